// SPDX-License-Identifier: GPL-2.0-only
// Pair selection: which workload threads share which physical core.
#pragma once

#include <array>
#include <vector>

#include "smtcheck/topology.h"

namespace smtcheck {

enum class Mode { Auto = 0, Greedy = 1, Exact = 2 };

inline constexpr int kEmpty = -1;

// The scores' values (finite, symmetric, a finite solo) are the caller's to check: the Java side
// validates them once, where it can name the workloads. plan_pairs checks only what it needs to
// stay within bounds.
struct PairingInput {
	std::vector<int> workers;    // hardware threads each workload occupies (>= 1)
	std::vector<double> scores;  // n*n row-major symbiotic scores, symmetric
	double solo = 0.0;           // score of a core holding one thread alone
	Topology cores;              // every core has one or two CPUs
	// Where workloads run now: per core, the workload on each of its CPUs, or kEmpty. Empty when
	// nothing runs yet. A workload listed on more CPUs than it has workers keeps only as many.
	std::vector<std::array<int, 2>> current;
	// What moving a running thread costs, in score units: the plan maximises its score less this
	// for every CPU of `current` that ends up holding another workload or none.
	double migration_cost = 0.0;
};

struct PairingPlan {
	Mode mode = Mode::Auto;                    // the mode that actually ran
	std::vector<std::array<int, 2>> occupants;  // per core: workload index per hardware thread, or kEmpty
	std::vector<int> unplaced;                 // per workload: threads left without a CPU
	double total = 0.0;                        // the placement's score, without migration costs
	int moved_threads = 0;                     // CPUs of `current` whose workload left them
	int moved_workloads = 0;                   // workloads of `current` that left one of its CPUs
};

// A re-plan: the placement to apply, and the two it was weighed against.
struct Replan {
	PairingPlan plan;    // the best by score less migration cost of the three below
	double kept = 0.0;   // score of the best plan found that moves no running thread (net of the
	                     // cost of any move a mixed topology forces)
	double optimal = 0.0;  // the best score found, migration cost ignored
};

// Graphs up to this many nodes (threads plus the placeholders for solo cores and surplus threads)
// are solved exactly in auto mode; the exact solver costs O(V^3) against the heuristic's ~O(V^2).
inline constexpr int kAutoExactMaxNodes = 32;

// Chooses the placement maximising the sum of core scores, less the migration cost of every running
// thread it moves: a pair scores scores[a][b], a lone thread scores solo, an empty core 0. When
// there are more threads than hardware threads, exactly the surplus is left unplaced. Throws
// std::invalid_argument on malformed input.
PairingPlan plan_pairs(const PairingInput &in, Mode mode);

// Plans with the migration cost, at cost 0 (the optimum) and at a cost that keeps every running
// thread, and applies the best of the three by score less migration cost, so that the result is
// never worth less than keeping everything, whatever the heuristic found.
Replan replan_pairs(const PairingInput &in, Mode mode);

// The score of a placement, computed from the input alone.
double plan_score(const PairingInput &in, const std::vector<std::array<int, 2>> &occupants);

}  // namespace smtcheck
