// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "instances.h"
#include "smtcheck/pairing.h"

namespace smtcheck {
namespace {

using instances::Scores;

int total_threads(const PairingInput &in)
{
	int t = 0;
	for (int w : in.workers)
		t += w;
	return t;
}

int hardware_threads(const PairingInput &in)
{
	int h = 0;
	for (const auto &c : in.cores)
		h += static_cast<int>(c.size());
	return h;
}

// Every thread placed at most once, no core over-filled, worker counts respected, only the surplus
// unplaced, and the reported total is the input's score of the placement.
void expect_valid(const PairingInput &in, const PairingPlan &plan)
{
	ASSERT_EQ(plan.occupants.size(), in.cores.size());
	std::vector<int> placed(in.workers.size(), 0);
	for (size_t c = 0; c < in.cores.size(); c++) {
		int used = 0;
		for (int slot = 0; slot < 2; slot++) {
			int w = plan.occupants[c][slot];
			if (w == kEmpty)
				continue;
			ASSERT_GE(w, 0);
			ASSERT_LT(w, static_cast<int>(in.workers.size()));
			placed[w]++;
			used++;
		}
		EXPECT_LE(used, static_cast<int>(in.cores[c].size())) << "core " << c << " over-filled";
		if (plan.occupants[c][1] != kEmpty) {
			EXPECT_NE(plan.occupants[c][0], kEmpty);
		}
	}
	int unplaced = 0;
	for (size_t w = 0; w < in.workers.size(); w++) {
		EXPECT_EQ(placed[w] + plan.unplaced[w], in.workers[w]) << "workload " << w;
		unplaced += plan.unplaced[w];
	}
	EXPECT_EQ(unplaced, std::max(0, total_threads(in) - hardware_threads(in)));
	EXPECT_NEAR(plan.total, plan_score(in, plan.occupants), 1e-9);
}

// The optimum by enumeration of every placement of every thread (tiny instances only).
double brute_force(const PairingInput &in)
{
	std::vector<int> threads;
	for (size_t w = 0; w < in.workers.size(); w++)
		for (int k = 0; k < in.workers[w]; k++)
			threads.push_back(static_cast<int>(w));
	int drops_needed = std::max(0, total_threads(in) - hardware_threads(in));
	std::vector<std::array<int, 2>> occ(in.cores.size(), {kEmpty, kEmpty});
	double best = -INFINITY;
	std::function<void(size_t, int)> place = [&](size_t i, int drops) {
		if (i == threads.size()) {
			if (drops == drops_needed)
				best = std::max(best, plan_score(in, occ));
			return;
		}
		if (drops < drops_needed)
			place(i + 1, drops + 1);
		for (size_t c = 0; c < in.cores.size(); c++) {
			int slot = occ[c][0] == kEmpty ? 0 : 1;
			if (slot >= static_cast<int>(in.cores[c].size()) || occ[c][slot] != kEmpty)
				continue;
			occ[c][slot] = threads[i];
			place(i + 1, drops);
			occ[c][slot] = kEmpty;
		}
	};
	place(0, 0);
	return best;
}

Topology mixed_cores(int two_cpu, int one_cpu)
{
	Topology t;
	int cpu = 0;
	for (int i = 0; i < two_cpu; i++, cpu += 2)
		t.push_back({cpu, cpu + 1});
	for (int i = 0; i < one_cpu; i++)
		t.push_back({cpu++});
	return t;
}

TEST(Pairing, ExactEqualsBruteForceOnSmallInstances)
{
	std::mt19937_64 rng(1);
	std::uniform_int_distribution<int> count(0, 3);
	std::uniform_real_distribution<double> solo(-0.5, 1.5);
	for (int round = 0; round < 300; round++) {
		int n = 1 + round % 4;
		Topology cores = mixed_cores(count(rng), count(rng));
		if (cores.empty())
			cores = mixed_cores(1, 0);
		PairingInput in = instances::random_input(n, 2, cores, round % 2 ? Scores::Uniform : Scores::Profiles, rng);
		in.solo = solo(rng);
		if (total_threads(in) > 7)
			continue;
		PairingPlan exact = plan_pairs(in, Mode::Exact);
		expect_valid(in, exact);
		EXPECT_NEAR(exact.total, brute_force(in), 1e-9) << "round " << round;
		PairingPlan greedy = plan_pairs(in, Mode::Greedy);
		expect_valid(in, greedy);
		EXPECT_LE(greedy.total, exact.total + 1e-9) << "round " << round;
	}
}

TEST(Pairing, HeuristicNeverBeatsExactAndComesClose)
{
	std::mt19937_64 rng(2);
	for (Scores kind : {Scores::Uniform, Scores::Profiles}) {
		double ratio_sum = 0;
		int rounds = 0;
		for (int n = 20; n <= 120; n += 10) {
			for (int max_workers : {1, 3}) {
				PairingInput in = instances::random_input(n, max_workers, instances::smt_cores(n / 2 + 3),
									 kind, rng);
				PairingPlan exact = plan_pairs(in, Mode::Exact);
				PairingPlan greedy = plan_pairs(in, Mode::Greedy);
				expect_valid(in, exact);
				expect_valid(in, greedy);
				ASSERT_GT(exact.total, 0);
				EXPECT_LE(greedy.total, exact.total + 1e-9);
				ratio_sum += greedy.total / exact.total;
				rounds++;
			}
		}
		EXPECT_GE(ratio_sum / rounds, 0.995) << "score kind " << static_cast<int>(kind);
	}
}

// Large hosts, where the search cannot look everywhere every round: on the bench's instances of 512
// workloads with profile-shaped scores (the harder kind), every seed within 0.15 % of the optimum.
TEST(Pairing, HeuristicComesCloseOnLargeHosts)
{
	for (int seed = 0; seed < 5; seed++) {
		std::mt19937_64 rng(1000 + seed);
		PairingInput in = instances::random_input(512, 1, instances::smt_cores(256), Scores::Profiles, rng);
		PairingPlan exact = plan_pairs(in, Mode::Exact);
		PairingPlan greedy = plan_pairs(in, Mode::Greedy);
		expect_valid(in, greedy);
		EXPECT_LE(greedy.total, exact.total + 1e-9);
		EXPECT_GE(greedy.total / exact.total, 0.9985) << "seed " << seed;
	}
}

// Above 256 nodes the search runs a second time with lists ranked against its matching, which are
// not sorted by weight: a cycle may close on an edge heavier than the first entry of either end's
// list. On this host (40 workloads with random scores, 220 in pairs that score 2 together and 0
// with anyone else) the optimum is such a cycle away from what the first search finds; a bound on
// closing edges taken from those first entries skipped it.
TEST(Pairing, SecondSearchClosesOnEdgesHeavierThanItsListsFirstEntries)
{
	constexpr int n = 260, active = 40;
	std::mt19937_64 rng(28);
	PairingInput part = instances::random_input(active, 1, instances::smt_cores(active / 2), Scores::Uniform, rng);
	PairingInput in;
	in.workers.assign(n, 1);
	in.solo = part.solo;
	in.cores = instances::smt_cores(n / 2);
	in.scores.assign(static_cast<size_t>(n) * n, 0.0);
	for (int i = 0; i < active; i++)
		for (int j = 0; j < active; j++)
			in.scores[i * n + j] = part.scores[i * active + j];
	for (int i = active; i < n; i += 2)
		in.scores[i * n + i + 1] = in.scores[(i + 1) * n + i] = 2.0;
	PairingPlan exact = plan_pairs(in, Mode::Exact);
	PairingPlan greedy = plan_pairs(in, Mode::Greedy);
	expect_valid(in, greedy);
	EXPECT_NEAR(greedy.total, exact.total, 1e-9);
}

TEST(Pairing, SurplusThreadsStayUnplaced)
{
	PairingInput in;
	in.workers = {1, 1, 1, 1, 1};
	in.scores.assign(25, 1.0);
	in.scores[4 * 5 + 4] = 0;  // make workload 4 the least attractive partner
	for (int i = 0; i < 4; i++)
		in.scores[i * 5 + 4] = in.scores[4 * 5 + i] = 0.1;
	in.cores = {{0, 1}, {2, 3}};
	for (Mode mode : {Mode::Greedy, Mode::Exact}) {
		PairingPlan plan = plan_pairs(in, mode);
		expect_valid(in, plan);
		EXPECT_EQ(plan.unplaced[4], 1);
		EXPECT_DOUBLE_EQ(plan.total, 2.0);
	}
}

TEST(Pairing, WorkloadMayPairWithItself)
{
	PairingInput in;
	in.workers = {2, 1, 1};
	in.scores = {1.9, 0.2, 0.2,
		     0.2, 0.1, 1.0,
		     0.2, 1.0, 0.1};
	in.cores = {{0, 1}, {2, 3}};
	for (Mode mode : {Mode::Greedy, Mode::Exact}) {
		PairingPlan plan = plan_pairs(in, mode);
		expect_valid(in, plan);
		EXPECT_DOUBLE_EQ(plan.total, 2.9);
		EXPECT_EQ(plan.occupants[0], (std::array<int, 2>{0, 0}));
		EXPECT_EQ(plan.occupants[1], (std::array<int, 2>{1, 2}));
	}
}

TEST(Pairing, LoneThreadsWhenSoloBeatsEveryPair)
{
	PairingInput in;
	in.workers = {1, 1, 1};
	in.scores.assign(9, 1.5);
	in.solo = 1.0;
	in.cores = instances::smt_cores(4);
	for (Mode mode : {Mode::Greedy, Mode::Exact}) {
		PairingPlan plan = plan_pairs(in, mode);
		expect_valid(in, plan);
		EXPECT_DOUBLE_EQ(plan.total, 3.0);
		for (const auto &core : plan.occupants)
			EXPECT_EQ(core[1], kEmpty);
	}
}

TEST(Pairing, PairsAreForcedWhenThreadsOutnumberCores)
{
	PairingInput in;
	in.workers = {1, 1, 1};
	in.scores.assign(9, 0.5);
	in.solo = 1.0;
	in.cores = {{0, 1}, {2}};
	for (Mode mode : {Mode::Greedy, Mode::Exact}) {
		PairingPlan plan = plan_pairs(in, mode);
		expect_valid(in, plan);
		EXPECT_DOUBLE_EQ(plan.total, 1.5);
		EXPECT_NE(plan.occupants[1][0], kEmpty) << "the one-CPU core is used";
	}
}

TEST(Pairing, AutoModeChoosesBySize)
{
	std::mt19937_64 rng(3);
	PairingInput small = instances::random_input(8, 1, instances::smt_cores(4), Scores::Uniform, rng);
	PairingInput large = instances::random_input(200, 1, instances::smt_cores(100), Scores::Uniform, rng);
	EXPECT_EQ(plan_pairs(small, Mode::Auto).mode, Mode::Exact);
	EXPECT_EQ(plan_pairs(large, Mode::Auto).mode, Mode::Greedy);
}

TEST(Pairing, NoWorkloads)
{
	PairingInput in;
	in.cores = instances::smt_cores(2);
	PairingPlan plan = plan_pairs(in, Mode::Exact);
	EXPECT_EQ(plan.total, 0);
	EXPECT_EQ(plan.occupants.size(), 2u);
}

TEST(Pairing, RejectsMalformedInput)
{
	PairingInput good;
	good.workers = {1, 1};
	good.scores = {0, 1, 1, 0};
	good.cores = {{0, 1}};
	EXPECT_NO_THROW(plan_pairs(good, Mode::Exact));

	PairingInput bad = good;
	bad.scores.pop_back();
	EXPECT_THROW(plan_pairs(bad, Mode::Exact), std::invalid_argument);
	bad = good;
	bad.workers[0] = 0;
	EXPECT_THROW(plan_pairs(bad, Mode::Exact), std::invalid_argument);
	bad = good;
	bad.cores = {{0, 1, 2, 3}};
	EXPECT_THROW(plan_pairs(bad, Mode::Exact), std::invalid_argument);
	bad = good;
	bad.cores = {};
	EXPECT_THROW(plan_pairs(bad, Mode::Exact), std::invalid_argument);
	bad = good;
	bad.current = {{0, 1}, {kEmpty, kEmpty}};
	EXPECT_THROW(plan_pairs(bad, Mode::Exact), std::invalid_argument) << "a core too many";
	bad = good;
	bad.current = {{0, 2}};
	EXPECT_THROW(replan_pairs(bad, Mode::Exact), std::invalid_argument) << "no workload 2";
	bad = good;
	bad.cores = {{0}};
	bad.current = {{0, 1}};
	EXPECT_THROW(plan_pairs(bad, Mode::Exact), std::invalid_argument) << "a one-CPU core holds two";
	bad = good;
	bad.migration_cost = -1;
	EXPECT_THROW(replan_pairs(bad, Mode::Greedy), std::invalid_argument);
	bad.migration_cost = NAN;
	EXPECT_THROW(replan_pairs(bad, Mode::Greedy), std::invalid_argument);
}

// Re-planning against a current placement.

// Placement of n one-thread workloads, two per core in index order: (0,1), (2,3), ...
std::vector<std::array<int, 2>> in_order(int n, int cores)
{
	std::vector<std::array<int, 2>> current(cores, {kEmpty, kEmpty});
	for (int w = 0; w < n && w / 2 < cores; w++)
		current[w / 2][w % 2] = w;
	return current;
}

// A valid random placement of the workloads' threads (some left out) on the cores.
std::vector<std::array<int, 2>> random_current(const PairingInput &in, std::mt19937_64 &rng)
{
	std::vector<std::array<int, 2>> slots;
	std::vector<std::pair<int, int>> free;
	for (size_t c = 0; c < in.cores.size(); c++)
		for (size_t s = 0; s < in.cores[c].size(); s++)
			free.push_back({static_cast<int>(c), static_cast<int>(s)});
	std::shuffle(free.begin(), free.end(), rng);
	std::vector<std::array<int, 2>> current(in.cores.size(), {kEmpty, kEmpty});
	std::bernoulli_distribution runs(0.7);
	size_t next = 0;
	for (size_t w = 0; w < in.workers.size(); w++)
		for (int k = 0; k < in.workers[w] && next < free.size(); k++)
			if (runs(rng)) {
				auto [c, s] = free[next++];
				current[c][s] = static_cast<int>(w);
			}
	return current;
}

// Every thread placed at most once, within the topology, and the reported moves are those of the
// placement.
void expect_valid_replan(const PairingInput &in, const PairingPlan &plan)
{
	ASSERT_EQ(plan.occupants.size(), in.cores.size());
	std::vector<int> placed(in.workers.size(), 0);
	int moved = 0;
	for (size_t c = 0; c < in.cores.size(); c++)
		for (size_t s = 0; s < 2; s++) {
			int w = plan.occupants[c][s];
			if (w != kEmpty) {
				ASSERT_LT(s, in.cores[c].size()) << "core " << c;
				placed[w]++;
			}
			moved += !in.current.empty() && in.current[c][s] != kEmpty && in.current[c][s] != w;
		}
	for (size_t w = 0; w < in.workers.size(); w++)
		EXPECT_EQ(placed[w] + plan.unplaced[w], in.workers[w]) << "workload " << w;
	EXPECT_EQ(plan.moved_threads, moved);
	EXPECT_NEAR(plan.total, plan_score(in, plan.occupants), 1e-9);
}

// Two pairs gain much by swapping partners, two others little: at a cost between the two, the first
// two pairs move and the others stay.
TEST(Replan, KeepsPartAndMovesPart)
{
	PairingInput in;
	in.workers.assign(8, 1);
	in.scores.assign(64, 0.0);
	auto set = [&](int a, int b, double s) { in.scores[a * 8 + b] = in.scores[b * 8 + a] = s; };
	set(0, 1, 1.0), set(2, 3, 1.0), set(0, 2, 1.5), set(1, 3, 1.5);      // +1.0 for moving 2 threads
	set(4, 5, 1.0), set(6, 7, 1.0), set(4, 6, 1.005), set(5, 7, 1.005);  // +0.01 for moving 2
	in.cores = instances::smt_cores(4);
	in.current = in_order(8, 4);
	in.migration_cost = 0.1;
	for (Mode mode : {Mode::Greedy, Mode::Exact}) {
		Replan r = replan_pairs(in, mode);
		expect_valid_replan(in, r.plan);
		EXPECT_NEAR(r.plan.total, 5.0, 1e-12);
		EXPECT_NEAR(r.kept, 4.0, 1e-12);
		EXPECT_NEAR(r.optimal, 5.01, 1e-12);
		EXPECT_EQ(r.plan.moved_threads, 2);
		EXPECT_EQ(r.plan.moved_workloads, 2);
		EXPECT_EQ(r.plan.occupants[0], (std::array<int, 2>{0, 2})) << "0 keeps its CPU, 2 joins it";
		EXPECT_EQ(r.plan.occupants[1], (std::array<int, 2>{1, 3})) << "3 keeps its CPU, 1 joins it";
		EXPECT_EQ(r.plan.occupants[2], in.current[2]);
		EXPECT_EQ(r.plan.occupants[3], in.current[3]);
		PairingPlan one_call = plan_pairs(in, mode);
		EXPECT_NEAR(one_call.total - 0.1 * one_call.moved_threads, 4.8, 1e-12);
	}
}

TEST(Replan, CostZeroIsTheOptimum)
{
	std::mt19937_64 rng(5);
	for (int round = 0; round < 100; round++) {
		int n = 2 + round % 9;
		PairingInput in = instances::random_input(n, 2, mixed_cores(1 + round % 4, round % 3),
							  round % 2 ? Scores::Uniform : Scores::Profiles, rng);
		PairingPlan fresh = plan_pairs(in, Mode::Exact);
		in.current = random_current(in, rng);
		PairingPlan exact = plan_pairs(in, Mode::Exact);
		expect_valid_replan(in, exact);
		EXPECT_NEAR(exact.total, fresh.total, 1e-9) << "round " << round;
		Replan r = replan_pairs(in, Mode::Exact);
		EXPECT_NEAR(r.plan.total, fresh.total, 1e-9) << "round " << round;
		EXPECT_NEAR(r.optimal, fresh.total, 1e-9) << "round " << round;
		EXPECT_GE(r.plan.total, r.kept - 1e-9);
	}
}

TEST(Replan, HugeCostKeepsEverything)
{
	std::mt19937_64 rng(6);
	for (int round = 0; round < 100; round++) {
		int n = 2 + round % 40;
		PairingInput in = instances::random_input(n, 2, instances::smt_cores(1 + n / 2), Scores::Uniform, rng);
		in.current = random_current(in, rng);
		in.migration_cost = 1e6;
		for (Mode mode : {Mode::Greedy, Mode::Exact, Mode::Auto}) {
			Replan r = replan_pairs(in, mode);
			expect_valid_replan(in, r.plan);
			EXPECT_EQ(r.plan.moved_threads, 0) << "round " << round;
			EXPECT_EQ(r.plan.moved_workloads, 0) << "round " << round;
			for (size_t c = 0; c < in.cores.size(); c++)
				for (int s = 0; s < 2; s++) {
					if (in.current[c][s] != kEmpty) {
						EXPECT_EQ(r.plan.occupants[c][s], in.current[c][s]) << "round " << round;
					}
				}
			EXPECT_NEAR(r.plan.total, r.kept, 1e-9);
			EXPECT_LE(r.kept, r.optimal + 1e-9);
		}
	}
}

// When every thread runs, keeping everything is the current placement: replan_pairs takes it as it
// is, and it is the plan a solve at a cost that keeps everything finds, on small instances (exact)
// as on large ones (the heuristic), on every shape of topology.
TEST(Replan, KeepingEverythingRunningIsTheCurrentPlacement)
{
	std::mt19937_64 rng(8);
	for (int round = 0; round < 60; round++) {
		int n = 1 + round % 20 + (round % 3 == 0 ? 100 : 0);
		PairingInput in = instances::random_input(n, 3, mixed_cores(1 + n * 2, round % 3),
							  round % 2 ? Scores::Uniform : Scores::Profiles, rng);
		int threads = total_threads(in);
		while (hardware_threads(in) > threads)
			in.cores.pop_back();
		if (hardware_threads(in) < threads)
			in.cores.push_back({1000 + round});
		std::vector<std::array<int, 2>> slots;
		for (size_t c = 0; c < in.cores.size(); c++)
			for (size_t s = 0; s < in.cores[c].size(); s++)
				slots.push_back({static_cast<int>(c), static_cast<int>(s)});
		std::shuffle(slots.begin(), slots.end(), rng);
		in.current.assign(in.cores.size(), {kEmpty, kEmpty});
		size_t next = 0;
		for (size_t w = 0; w < in.workers.size(); w++)
			for (int k = 0; k < in.workers[w]; k++, next++)
				in.current[slots[next][0]][slots[next][1]] = static_cast<int>(w);
		in.migration_cost = 0.05;
		PairingInput keep_all = in;
		keep_all.migration_cost = 1e6;
		for (Mode mode : {Mode::Greedy, Mode::Exact}) {
			if (mode == Mode::Exact && n > 40)
				continue;
			PairingPlan solved = plan_pairs(keep_all, mode);
			EXPECT_EQ(solved.occupants, in.current) << "round " << round;
			Replan r = replan_pairs(in, mode);
			expect_valid_replan(in, r.plan);
			EXPECT_DOUBLE_EQ(r.kept, plan_score(in, in.current)) << "round " << round;
			EXPECT_DOUBLE_EQ(r.kept, solved.total) << "round " << round;
			EXPECT_GE(r.plan.total - in.migration_cost * r.plan.moved_threads, r.kept - 1e-9);
		}
	}
}

// The applied plan is never worth less, net of its moves, than keeping everything or than the
// optimum net of its moves, and is valid, on random instances of every shape and cost.
TEST(Replan, NeverWorseThanKeepingOrTheOptimum)
{
	std::mt19937_64 rng(7);
	std::uniform_real_distribution<double> cost(0.0, 0.3);
	for (int round = 0; round < 200; round++) {
		int n = 1 + round % 60;
		PairingInput in = instances::random_input(n, 3, mixed_cores(1 + round % 30, round % 3),
							  round % 2 ? Scores::Uniform : Scores::Profiles, rng);
		in.current = random_current(in, rng);
		in.migration_cost = cost(rng);
		Replan r = replan_pairs(in, Mode::Auto);
		expect_valid_replan(in, r.plan);
		double net = r.plan.total - in.migration_cost * r.plan.moved_threads;
		EXPECT_GE(net, r.kept - 1e-9) << "round " << round;
		PairingInput at_zero = in;
		at_zero.migration_cost = 0;
		PairingPlan optimum = plan_pairs(at_zero, Mode::Auto);
		EXPECT_GE(net, optimum.total - in.migration_cost * optimum.moved_threads - 1e-9) << "round " << round;
		EXPECT_LE(r.plan.total, r.optimal + 1e-9);
	}
}

// Equal scores: nothing gains by moving, so at any cost nothing moves; an odd count leaves a lone
// thread, and a newcomer takes a free CPU.
TEST(Replan, TiesAndOddCountsMoveNobody)
{
	for (int n : {3, 5, 7}) {
		PairingInput in;
		in.workers.assign(n, 1);
		in.scores.assign(n * n, 1.0);
		in.solo = 0.5;
		in.cores = instances::smt_cores((n + 1) / 2);
		in.current = in_order(n - 1, (n + 1) / 2);  // the last workload is new
		in.migration_cost = 1e-6;
		for (Mode mode : {Mode::Greedy, Mode::Exact}) {
			Replan r = replan_pairs(in, mode);
			expect_valid_replan(in, r.plan);
			EXPECT_EQ(r.plan.moved_threads, 0) << n;
			EXPECT_EQ(r.plan.unplaced[n - 1], 0) << n;
			EXPECT_DOUBLE_EQ(r.plan.total, (n - 1) / 2 * 1.0 + 0.5) << n;
		}
		// Workload 0 is new and 1 lost its partner: 1 keeps its CPU, the second of its core.
		in.current = in_order(n, (n + 1) / 2);
		in.current[0][0] = kEmpty;
		for (Mode mode : {Mode::Greedy, Mode::Exact}) {
			Replan r = replan_pairs(in, mode);
			expect_valid_replan(in, r.plan);
			EXPECT_EQ(r.plan.moved_threads, 0) << n;
			EXPECT_EQ(r.plan.occupants[0][1], 1) << n;
		}
	}
}

}  // namespace
}  // namespace smtcheck
