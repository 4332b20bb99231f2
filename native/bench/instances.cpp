// SPDX-License-Identifier: GPL-2.0-only
#include "instances.h"

#include <algorithm>

namespace smtcheck::instances {

Topology smt_cores(int cores)
{
	Topology t;
	for (int c = 0; c < cores; c++)
		t.push_back({c, c + cores});
	return t;
}

PairingInput random_input(int n, int max_workers, const Topology &cores, Scores kind, std::mt19937_64 &rng)
{
	std::uniform_real_distribution<double> unit(0.0, 1.0);
	std::uniform_int_distribution<int> workers(1, std::max(1, max_workers));
	PairingInput in;
	in.cores = cores;
	in.solo = 1.0;
	in.scores.assign(static_cast<size_t>(n) * n, 0.0);
	for (int i = 0; i < n; i++)
		in.workers.push_back(workers(rng));
	if (kind == Scores::Uniform) {
		for (int i = 0; i < n; i++)
			for (int j = i; j < n; j++)
				in.scores[i * n + j] = in.scores[j * n + i] = 2.0 * unit(rng);
		return in;
	}
	constexpr int resources = 4;
	std::vector<double> sens(n * resources), inten(n * resources), scale(n), base(n);
	for (int i = 0; i < n; i++) {
		for (int r = 0; r < resources; r++) {
			sens[i * resources + r] = unit(rng);
			inten[i * resources + r] = unit(rng);
		}
		scale[i] = 0.8 + 0.4 * unit(rng);
		base[i] = 0.1 * unit(rng);
	}
	auto compat = [&](int a, int b) {
		double slowdown = 0.02 + 0.5 * base[a];
		for (int r = 0; r < resources; r++)
			slowdown += 0.35 * sens[a * resources + r] * inten[b * resources + r];
		return std::clamp(scale[a] * (1.0 - slowdown), 0.0, 1.0);
	};
	for (int i = 0; i < n; i++)
		for (int j = i; j < n; j++)
			in.scores[i * n + j] = in.scores[j * n + i] = compat(i, j) + compat(j, i);
	return in;
}

}  // namespace smtcheck::instances
