// SPDX-License-Identifier: GPL-2.0-only
// Pair-selection benchmark: greedy+swaps against the exact matching on the same instances, side by
// side in one run. Prints one row per size and score kind: median times and the median and worst
// ratio of the heuristic's total to the optimum, and the time of a whole re-plan (replan_pairs, up
// to three solves) from a shuffled current placement. Times are the CPU time of the planning
// thread, so that other work on a shared machine does not count.
//
//   pairing_bench [--seeds N] [--sizes 64,256,512,1024]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <time.h>

#include "instances.h"
#include "smtcheck/pairing.h"

using namespace smtcheck;

namespace {

double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	size_t n = v.size();
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double cpu_ms()
{
	timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// Median of `reps` timed runs, in milliseconds of CPU time.
double time_ms(const PairingInput &in, Mode mode, int reps, PairingPlan &plan)
{
	std::vector<double> t;
	for (int r = 0; r < reps; r++) {
		double start = cpu_ms();
		plan = plan_pairs(in, mode);
		t.push_back(cpu_ms() - start);
	}
	return median(t);
}

double replan_ms(const PairingInput &in, int reps)
{
	std::vector<double> t;
	for (int r = 0; r < reps; r++) {
		double start = cpu_ms();
		Replan plan = replan_pairs(in, Mode::Auto);
		t.push_back(cpu_ms() - start);
		if (plan.plan.occupants.empty())
			return -1;
	}
	return median(t);
}

// Every thread running somewhere now, in a random order, as after a plan made for other scores.
void shuffle_current(PairingInput &in, std::mt19937_64 &rng)
{
	std::vector<int> threads;
	for (size_t w = 0; w < in.workers.size(); w++)
		threads.insert(threads.end(), in.workers[w], static_cast<int>(w));
	std::shuffle(threads.begin(), threads.end(), rng);
	in.current.assign(in.cores.size(), {kEmpty, kEmpty});
	size_t next = 0;
	for (size_t c = 0; c < in.cores.size(); c++)
		for (size_t s = 0; s < in.cores[c].size() && next < threads.size(); s++)
			in.current[c][s] = threads[next++];
	in.migration_cost = 0.02;
}

}  // namespace

int main(int argc, char **argv)
{
	int seeds = 7;
	std::vector<int> sizes{64, 256, 512, 1024};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seeds") && i + 1 < argc) {
			seeds = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			sizes.clear();
			std::stringstream list(argv[++i]);
			std::string item;
			while (std::getline(list, item, ','))
				sizes.push_back(std::stoi(item));
		} else {
			fprintf(stderr, "usage: %s [--seeds N] [--sizes 64,256,512,1024]\n", argv[0]);
			return 2;
		}
	}
	printf("%-9s %-9s %6s %12s %12s %12s %12s %10s %10s\n", "workloads", "scores", "seeds", "greedy_ms",
	       "exact_ms", "auto_ms", "replan_ms", "ratio_med", "ratio_min");
	for (int n : sizes) {
		for (auto kind : {instances::Scores::Uniform, instances::Scores::Profiles}) {
			std::vector<double> greedy_t, exact_t, auto_t, replan_t, ratio;
			for (int s = 0; s < seeds; s++) {
				std::mt19937_64 rng(1000 + s);
				// One thread per workload and a core per two: every hardware thread is contested.
				PairingInput in = instances::random_input(n, 1, instances::smt_cores(n / 2), kind, rng);
				PairingPlan g, e, a;
				greedy_t.push_back(time_ms(in, Mode::Greedy, 15, g));
				exact_t.push_back(time_ms(in, Mode::Exact, n >= 1024 ? 1 : n >= 256 ? 3 : 7, e));
				auto_t.push_back(time_ms(in, Mode::Auto, 15, a));
				ratio.push_back(g.total / e.total);
				shuffle_current(in, rng);
				replan_t.push_back(replan_ms(in, 5));
			}
			printf("%-9d %-9s %6d %12.3f %12.3f %12.3f %12.3f %10.5f %10.5f\n", n,
			       kind == instances::Scores::Uniform ? "uniform" : "profiles", seeds, median(greedy_t),
			       median(exact_t), median(auto_t), median(replan_t), median(ratio),
			       *std::min_element(ratio.begin(), ratio.end()));
			fflush(stdout);
		}
	}
	return 0;
}
