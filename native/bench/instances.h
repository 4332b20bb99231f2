// SPDX-License-Identifier: GPL-2.0-only
// Random pairing instances shared by the tests and the benchmark.
#pragma once

#include <random>

#include "smtcheck/pairing.h"

namespace smtcheck::instances {

enum class Scores {
	Uniform,   // independent scores in [0, 2]
	Profiles,  // random resource profiles through the original SMTcheck's formula, like real tables
};

// `cores` cores of two CPUs each (CPUs c and c + cores, as Linux numbers siblings).
Topology smt_cores(int cores);

// n workloads with 1..max_workers threads each.
PairingInput random_input(int n, int max_workers, const Topology &cores, Scores kind, std::mt19937_64 &rng);

}  // namespace smtcheck::instances
