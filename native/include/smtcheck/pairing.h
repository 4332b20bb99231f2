// SPDX-License-Identifier: GPL-2.0-only
// Pair selection: which workload threads share which physical core.
#pragma once

#include <array>
#include <vector>

#include "smtcheck/topology.h"

namespace smtcheck {

enum class Mode { Auto = 0, Greedy = 1, Exact = 2 };

struct PairingInput {
	std::vector<int> workers;    // hardware threads each workload occupies (>= 1)
	std::vector<double> scores;  // n*n row-major symbiotic scores, symmetric
	double solo = 0.0;           // score of a core holding one thread alone
	Topology cores;              // every core has one or two CPUs
};

inline constexpr int kEmpty = -1;

struct PairingPlan {
	Mode mode = Mode::Auto;                    // the mode that actually ran
	std::vector<std::array<int, 2>> occupants;  // per core: workload index per hardware thread, or kEmpty
	std::vector<int> unplaced;                 // per workload: threads left without a CPU
	double total = 0.0;
};

// Graphs up to this many nodes (threads plus the placeholders for solo cores and surplus threads)
// are solved exactly in auto mode; the exact solver costs O(V^3) against the heuristic's ~O(V^2).
inline constexpr int kAutoExactMaxNodes = 32;

// Chooses the placement maximising the sum of core scores: a pair scores scores[a][b], a lone thread
// scores solo, an empty core 0. When there are more threads than hardware threads, exactly the surplus
// is left unplaced. Throws std::invalid_argument on malformed input.
PairingPlan plan_pairs(const PairingInput &in, Mode mode);

// The score of a placement, computed from the input alone.
double plan_score(const PairingInput &in, const std::vector<std::array<int, 2>> &occupants);

}  // namespace smtcheck
