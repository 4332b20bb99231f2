// SPDX-License-Identifier: GPL-2.0-only
//
// Pair selection as a maximum-weight perfect matching.
//
// Every workload thread is a node. Two threads matched together share a two-CPU core. To express
// "alone on a core" and "left unplaced" as matchings too, placeholder nodes are added:
//   - solo nodes: a thread matched to one runs alone on a core (weight `solo`);
//     forced solo nodes must take a thread (one per one-CPU core that must be filled, and one per
//     thread that cannot find a two-CPU core), free solo nodes may instead pair with each other
//     (weight 0) and stand for spare capacity;
//   - drop nodes (only when threads outnumber hardware threads): a thread matched to one stays
//     unplaced (weight 0).
// With T placed threads, C cores of which C2 have two CPUs, the counts below make every perfect
// matching a feasible placement and every feasible placement a perfect matching:
//   solo nodes = 2C - T (at least T - 2C2 of them forced), drop nodes = surplus threads.
// Forbidden edges (placeholder to placeholder, but for two free solo nodes) have weight -inf.
#include "smtcheck/pairing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <stdexcept>
#include <string>

#include <lemon/full_graph.h>
#include <lemon/matching.h>

namespace smtcheck {
namespace {

constexpr double kForbidden = -std::numeric_limits<double>::infinity();
constexpr double kImprovement = 1e-12;

enum Kind : unsigned char { kThread, kForcedSolo, kFreeSolo, kDrop };

class MatchingGraph {
public:
	explicit MatchingGraph(const PairingInput &in)
	{
		int n = static_cast<int>(in.workers.size());
		long threads = 0;
		for (int w = 0; w < n; w++)
			for (int k = 0; k < in.workers[w]; k++) {
				kind_.push_back(kThread);
				class_.push_back(w);
				threads++;
			}
		long cores = in.cores.size(), two_cpu = 0;
		for (const auto &core : in.cores)
			two_cpu += core.size() == 2;
		long hw_threads = cores + two_cpu;
		long placed = std::min(threads, hw_threads);
		long drops = threads - placed;
		long solo_nodes = 2 * cores - placed;
		long forced = std::max(0L, placed - 2 * two_cpu);
		long free_solo = solo_nodes - forced;
		// More free solo nodes than threads that could use them only pair among themselves.
		long excess = free_solo - (placed - forced);
		if (excess > 0)
			free_solo -= excess;  // excess is even: node count parity is preserved
		add(kForcedSolo, n, forced);
		add(kFreeSolo, n + 1, free_solo);
		add(kDrop, n + 2, drops);
		threads_ = threads;
		restricted_ = forced + drops;

		// Weights by class: the workloads, then the three placeholder kinds. Nodes of one class
		// share a row, so every weight is a single load.
		classes_ = n + 3;
		weight_.assign(static_cast<size_t>(classes_) * classes_, kForbidden);
		for (int a = 0; a < n; a++) {
			for (int b = 0; b < n; b++)
				at(a, b) = in.scores[static_cast<size_t>(a) * n + b];
			at(a, n) = at(n, a) = in.solo;
			at(a, n + 1) = at(n + 1, a) = in.solo;
			at(a, n + 2) = at(n + 2, a) = 0.0;
		}
		at(n + 1, n + 1) = 0.0;
		subtract_potentials();
	}

	int size() const { return static_cast<int>(kind_.size()); }
	Kind kind(int u) const { return kind_[u]; }
	int workload(int u) const { return kind_[u] == kThread ? class_[u] : kEmpty; }
	long threads() const { return threads_; }
	long restricted() const { return restricted_; }
	double weight(int u, int v) const { return weight_[static_cast<size_t>(class_[u]) * classes_ + class_[v]]; }

private:
	void add(Kind k, int cls, long count)
	{
		for (long i = 0; i < count; i++) {
			kind_.push_back(k);
			class_.push_back(cls);
		}
	}
	double &at(int a, int b) { return weight_[static_cast<size_t>(a) * classes_ + b]; }

	// Every node is matched exactly once, so subtracting a potential p(u) from each of u's edges
	// lowers every perfect matching's total by the same sum and changes none of the choices. With
	// p(u) about half of u's mean edge, what is left is how much better a partner is than
	// average for u: scores that are mostly "a + b" (some workloads good with everyone) no longer
	// fill every candidate list with the same few nodes.
	void subtract_potentials()
	{
		std::vector<long> members(classes_, 0);
		for (int c : class_)
			members[c]++;
		std::vector<double> mean(classes_, 0.0);
		double all = 0;
		long all_count = 0;
		for (int a = 0; a < classes_; a++) {
			double sum = 0;
			long count = 0;
			for (int b = 0; b < classes_; b++) {
				long partners = members[b] - (a == b);
				if (partners <= 0 || at(a, b) == kForbidden)
					continue;
				sum += at(a, b) * partners;
				count += partners;
			}
			mean[a] = count ? sum / count : 0.0;
			all += sum * members[a];
			all_count += count * members[a];
		}
		double half_overall = all_count ? all / all_count / 2 : 0.0;
		for (int a = 0; a < classes_; a++)
			for (int b = 0; b < classes_; b++)
				if (at(a, b) != kForbidden)
					at(a, b) -= (mean[a] - half_overall) + (mean[b] - half_overall);
	}

	std::vector<Kind> kind_;
	std::vector<int> class_;
	int classes_ = 0;
	std::vector<double> weight_;
	long threads_ = 0;
	long restricted_ = 0;
};

// The k heaviest partners of node u, best first (ties by lower index), by one pass that inserts
// into a short sorted list.
int heaviest_partners(const MatchingGraph &g, int u, int k, int *node, double *weight)
{
	int len = 0;
	for (int v = 0; v < g.size(); v++) {
		double w = g.weight(u, v);
		if (w == kForbidden || v == u || (len == k && w <= weight[len - 1]))
			continue;
		int i = len < k ? len++ : k - 1;
		for (; i > 0 && weight[i - 1] < w; i--) {
			weight[i] = weight[i - 1];
			node[i] = node[i - 1];
		}
		weight[i] = w;
		node[i] = v;
	}
	return len;
}

// Each node's heaviest partners, so that greedy rarely rescans a row and the rotation search
// looks only where gains are likely.
class Candidates {
public:
	static constexpr int kPerNode = 10;

	explicit Candidates(const MatchingGraph &g) : node_(g.size() * kPerNode), weight_(g.size() * kPerNode),
		len_(g.size())
	{
		for (int u = 0; u < g.size(); u++)
			len_[u] = heaviest_partners(g, u, kPerNode, &node_[u * kPerNode], &weight_[u * kPerNode]);
	}

	int count(int u) const { return len_[u]; }
	int node(int u, int i) const { return node_[u * kPerNode + i]; }
	double weight(int u, int i) const { return weight_[u * kPerNode + i]; }

private:
	std::vector<int> node_;
	std::vector<double> weight_;
	std::vector<int> len_;
};

// Greedy over the candidate edges: repeatedly take the heaviest one between unmatched nodes that
// still leaves a perfect matching possible. Nodes whose candidates were all taken are then matched
// in index order; the local search that follows mends those few pairs.
class Greedy {
public:
	Greedy(const MatchingGraph &g, const Candidates &c) : g_(g), c_(c), mate_(g.size(), kEmpty),
		next_(g.size(), 0), threads_(g.threads()), restricted_(g.restricted()) {}

	std::vector<int> run()
	{
		for (int u = 0; u < g_.size(); u++)
			offer(u);
		while (!heap_.empty()) {
			Offer o = heap_.top();
			heap_.pop();
			if (mate_[o.u] != kEmpty)
				continue;
			if (mate_[o.v] != kEmpty || !feasible(o.u, o.v)) {
				offer(o.u);
				continue;
			}
			match(o.u, o.v);
		}
		complete();
		return mate_;
	}

private:
	struct Offer {
		double weight;
		int u, v;
		bool operator<(const Offer &o) const
		{
			if (weight != o.weight)
				return weight < o.weight;
			return u != o.u ? u > o.u : v > o.v;  // deterministic: lowest indices first
		}
	};

	// A perfect matching of the rest exists while threads can still serve every restricted node.
	bool feasible(int u, int v) const
	{
		Kind a = g_.kind(u), b = g_.kind(v);
		if (a == kThread && b == kThread)
			return threads_ - 2 >= restricted_;
		if (a == kThread || b == kThread) {
			Kind other = a == kThread ? b : a;
			return other == kFreeSolo ? threads_ - 1 >= restricted_ : true;
		}
		return a == kFreeSolo && b == kFreeSolo;
	}

	// Offers u's heaviest candidate that is still free; a node whose candidates are gone waits
	// for complete().
	void offer(int u)
	{
		for (int &i = next_[u]; i < c_.count(u); i++) {
			int v = c_.node(u, i);
			if (mate_[v] == kEmpty && feasible(u, v)) {
				heap_.push({c_.weight(u, i), u, v});
				return;
			}
		}
	}

	// Restricted placeholders take threads first, so what remains can always be paired.
	void complete()
	{
		for (Kind first : {kForcedSolo, kDrop, kThread, kFreeSolo})
			for (int u = 0; u < g_.size(); u++) {
				if (g_.kind(u) != first || mate_[u] != kEmpty)
					continue;
				for (int v = 0; v < g_.size(); v++)
					if (v != u && mate_[v] == kEmpty && feasible(u, v)) {
						match(u, v);
						break;
					}
			}
		for (int u = 0; u < g_.size(); u++)
			if (mate_[u] == kEmpty)
				throw std::logic_error("greedy pairing left a node unmatched");
	}

	void match(int u, int v)
	{
		mate_[u] = v;
		mate_[v] = u;
		for (int x : {u, v}) {
			if (g_.kind(x) == kThread)
				threads_--;
			else if (g_.kind(x) != kFreeSolo)
				restricted_--;
		}
	}

	const MatchingGraph &g_;
	const Candidates &c_;
	std::vector<int> mate_;
	std::vector<int> next_;  // position in each node's candidate list
	long threads_, restricted_;
	std::priority_queue<Offer> heap_;
};

// 2-opt local search over matched edges: for two edges (a,b), (c,d) try (a,c)+(b,d) and
// (a,d)+(b,c). An edge is rescanned only after it changed (a "don't look" flag), so the passes
// after the first cost little. Returns whether anything improved.
bool improve_by_swaps(const MatchingGraph &g, std::vector<int> &mate)
{
	std::vector<std::array<int, 2>> edges;
	for (int u = 0; u < g.size(); u++)
		if (u < mate[u])
			edges.push_back({u, mate[u]});
	size_t m = edges.size();
	std::vector<double> w(m);
	for (size_t i = 0; i < m; i++)
		w[i] = g.weight(edges[i][0], edges[i][1]);
	std::vector<char> dirty(m, 1);
	bool any = true, improved = false;
	while (any) {
		any = false;
		for (size_t i = 0; i < m; i++) {
			if (!dirty[i])
				continue;
			dirty[i] = 0;
			for (size_t j = 0; j < m; j++) {
				if (j == i)
					continue;
				int a = edges[i][0], b = edges[i][1], c = edges[j][0], d = edges[j][1];
				double current = w[i] + w[j];
				double ac = g.weight(a, c), bd = g.weight(b, d);
				double ad = g.weight(a, d), bc = g.weight(b, c);
				if (ac + bd > current + kImprovement && ac + bd >= ad + bc) {
					edges[i] = {a, c};
					edges[j] = {b, d};
					w[i] = ac;
					w[j] = bd;
				} else if (ad + bc > current + kImprovement) {
					edges[i] = {a, d};
					edges[j] = {b, c};
					w[i] = ad;
					w[j] = bc;
				} else {
					continue;
				}
				dirty[i] = dirty[j] = 1;
				any = improved = true;
			}
		}
	}
	for (const auto &e : edges) {
		mate[e[0]] = e[1];
		mate[e[1]] = e[0];
	}
	return improved;
}

// Alternating cycles, the moves 2-opt cannot make. From node a, drop its edge (a,b); the free end b
// takes a candidate partner y, whose old mate z becomes the free end, and so on; joining the free
// end back to a closes the cycle. A chain is extended only while what it has added so far
// outweighs what it has dropped (the Lin-Kernighan gain criterion), and the search narrows with
// depth. The best closing found from a is applied. Returns whether anything improved.
class ChainSearch {
public:
	ChainSearch(const MatchingGraph &g, const Candidates &cand, std::vector<int> &mate)
		: g_(g), cand_(cand), mate_(mate), breadth_(g.size() <= kWideUpTo ? kWide : kNarrow) {}

	// Searches from every node, then again only from nodes a change touched ("don't look" bits).
	bool run()
	{
		bool improved = false;
		std::vector<char> active(g_.size(), 1);
		std::vector<int> queue(g_.size());
		for (int u = 0; u < g_.size(); u++)
			queue[u] = u;
		for (size_t head = 0; head < queue.size(); head++) {
			int a = queue[head];
			active[a] = 0;
			start_ = a;
			best_gain_ = kImprovement;
			best_len_ = 0;
			path_[0] = a;
			path_[1] = mate_[a];
			extend(1, -g_.weight(a, mate_[a]));
			if (best_len_ == 0)
				continue;
			apply();
			improved = true;
			for (int i = 0; i < 2 * best_len_ + 2; i++)
				if (!active[best_path_[i]]) {
					active[best_path_[i]] = 1;
					queue.push_back(best_path_[i]);
				}
		}
		return improved;
	}

private:
	static constexpr int kMaxDepth = 5;
	// How many candidates each level tries. The search costs about nodes x product of breadths,
	// so small instances, which must come closest to the optimum, afford a wider tree.
	static constexpr int kWide[kMaxDepth] = {10, 5, 3, 2, 2};
	static constexpr int kNarrow[kMaxDepth] = {8, 3, 2, 1, 1};
	static constexpr int kWideUpTo = 256;

	// path_ holds a, b, y1, z1, y2, z2, ...: the free end is path_[2 * depth - 1].
	void extend(int depth, double gain)
	{
		int end = path_[2 * depth - 1];
		int tried = 0;
		for (int i = 0; i < cand_.count(end) && tried < breadth_[depth - 1]; i++) {
			int y = cand_.node(end, i);
			if (touched(y, depth))
				continue;
			tried++;
			double added = gain + cand_.weight(end, i);
			if (added <= 0)
				break;  // candidates are sorted: none further on can pass either
			int z = mate_[y];
			double after = added - g_.weight(y, z);
			path_[2 * depth] = y;
			path_[2 * depth + 1] = z;
			double closed = after + g_.weight(z, start_);
			if (closed > best_gain_) {
				best_gain_ = closed;
				best_len_ = depth;
				std::copy(path_, path_ + 2 * depth + 2, best_path_);
			}
			if (depth < kMaxDepth)
				extend(depth + 1, after);
		}
	}

	bool touched(int v, int depth) const
	{
		for (int i = 0; i < 2 * depth; i++)
			if (path_[i] == v)
				return true;
		return false;
	}

	// The cycle a, b, y1, z1, ..., yk, zk becomes edges (b,y1), (z1,y2), ..., (zk,a).
	void apply()
	{
		int k = best_len_;
		for (int i = 1; i <= k; i++) {
			int from = best_path_[2 * i - 1], to = best_path_[2 * i];
			mate_[from] = to;
			mate_[to] = from;
		}
		int last = best_path_[2 * k + 1];
		mate_[last] = start_;
		mate_[start_] = last;
	}

	const MatchingGraph &g_;
	const Candidates &cand_;
	std::vector<int> &mate_;
	const int *breadth_;
	int start_ = 0;
	int path_[2 * kMaxDepth + 2] = {};
	int best_path_[2 * kMaxDepth + 2] = {};
	int best_len_ = 0;
	double best_gain_ = 0;
};

// Weights for LEMON computed on demand, so the complete graph's edges are never stored.
// Forbidden edges get a penalty larger than any gain a perfect matching could make by using one.
class EdgeWeights {
public:
	using Key = lemon::FullGraph::Edge;
	using Value = double;

	EdgeWeights(const lemon::FullGraph &fg, const MatchingGraph &g, double penalty)
		: fg_(fg), g_(g), penalty_(penalty) {}

	Value operator[](const Key &e) const
	{
		double w = g_.weight(fg_.index(fg_.u(e)), fg_.index(fg_.v(e)));
		return w == kForbidden ? -penalty_ : w;
	}

private:
	const lemon::FullGraph &fg_;
	const MatchingGraph &g_;
	double penalty_;
};

std::vector<int> exact_matching(const MatchingGraph &g)
{
	int v = g.size();
	double lo = 0.0, hi = 0.0;
	for (int a = 0; a < v; a++)
		for (int b = a + 1; b < v; b++) {
			double w = g.weight(a, b);
			if (w == kForbidden)
				continue;
			lo = std::min(lo, w);
			hi = std::max(hi, w);
		}
	double penalty = (hi - lo) * (v / 2 + 1) + 1.0;
	lemon::FullGraph fg(v);
	EdgeWeights weights(fg, g, penalty);
	lemon::MaxWeightedPerfectMatching<lemon::FullGraph, EdgeWeights> matching(fg, weights);
	if (!matching.run())
		throw std::logic_error("exact pairing found no perfect matching");
	std::vector<int> mate(v);
	for (int a = 0; a < v; a++) {
		mate[a] = fg.index(matching.mate(fg(a)));
		if (g.weight(a, mate[a]) == kForbidden)
			throw std::logic_error("exact pairing used a forbidden edge");
	}
	return mate;
}

void validate(const PairingInput &in)
{
	size_t n = in.workers.size();
	if (in.scores.size() != n * n)
		throw std::invalid_argument("score matrix has " + std::to_string(in.scores.size()) +
					    " entries, expected " + std::to_string(n * n));
	for (size_t i = 0; i < n; i++) {
		if (in.workers[i] < 1)
			throw std::invalid_argument("workload " + std::to_string(i) + " has " +
						    std::to_string(in.workers[i]) + " workers");
		for (size_t j = 0; j < n; j++) {
			double s = in.scores[i * n + j];
			if (!std::isfinite(s))
				throw std::invalid_argument("score [" + std::to_string(i) + "][" +
							    std::to_string(j) + "] is not finite");
			if (s != in.scores[j * n + i])
				throw std::invalid_argument("score matrix is not symmetric at [" +
							    std::to_string(i) + "][" + std::to_string(j) + "]");
		}
	}
	if (!std::isfinite(in.solo))
		throw std::invalid_argument("solo score is not finite");
	if (in.cores.empty())
		throw std::invalid_argument("topology has no cores");
	for (size_t c = 0; c < in.cores.size(); c++)
		if (in.cores[c].empty() || in.cores[c].size() > 2)
			throw std::invalid_argument("core " + std::to_string(c) + " has " +
						    std::to_string(in.cores[c].size()) +
						    " hardware threads; pairing supports one or two");
	long threads = 0;
	for (int w : in.workers)
		threads += w;
	if (threads > 1000000)
		throw std::invalid_argument("too many workload threads: " + std::to_string(threads));
}

// Pairs go to two-CPU cores and lone threads to one-CPU cores first, both in core order.
PairingPlan decode(const PairingInput &in, const MatchingGraph &g, const std::vector<int> &mate, Mode mode)
{
	std::vector<std::array<int, 2>> pairs;
	std::vector<int> solos;
	PairingPlan plan;
	plan.mode = mode;
	plan.unplaced.assign(in.workers.size(), 0);
	for (int u = 0; u < g.size(); u++) {
		if (g.kind(u) != kThread)
			continue;
		int v = mate[u];
		if (g.kind(v) == kThread) {
			if (u < v)
				pairs.push_back({std::min(g.workload(u), g.workload(v)),
						 std::max(g.workload(u), g.workload(v))});
		} else if (g.kind(v) == kDrop) {
			plan.unplaced[g.workload(u)]++;
		} else {
			solos.push_back(g.workload(u));
		}
	}
	std::sort(pairs.begin(), pairs.end());
	plan.occupants.assign(in.cores.size(), {kEmpty, kEmpty});
	size_t next_pair = 0, next_solo = 0;
	for (size_t c = 0; c < in.cores.size(); c++)
		if (in.cores[c].size() == 2 && next_pair < pairs.size())
			plan.occupants[c] = pairs[next_pair++];
	for (int pass = 0; pass < 2; pass++)
		for (size_t c = 0; c < in.cores.size(); c++) {
			bool wanted = pass == 0 ? in.cores[c].size() == 1 : true;
			if (wanted && plan.occupants[c][0] == kEmpty && next_solo < solos.size())
				plan.occupants[c][0] = solos[next_solo++];
		}
	if (next_pair != pairs.size() || next_solo != solos.size())
		throw std::logic_error("pairing placed more threads than the topology holds");
	plan.total = plan_score(in, plan.occupants);
	return plan;
}

}  // namespace

double plan_score(const PairingInput &in, const std::vector<std::array<int, 2>> &occupants)
{
	size_t n = in.workers.size();
	double total = 0.0;
	for (const auto &core : occupants) {
		if (core[0] != kEmpty && core[1] != kEmpty)
			total += in.scores[core[0] * n + core[1]];
		else if (core[0] != kEmpty || core[1] != kEmpty)
			total += in.solo;
	}
	return total;
}

PairingPlan plan_pairs(const PairingInput &in, Mode mode)
{
	validate(in);
	MatchingGraph g(in);
	if (mode == Mode::Auto)
		mode = g.size() <= kAutoExactMaxNodes ? Mode::Exact : Mode::Greedy;
	std::vector<int> mate;
	if (g.size() == 0) {
		mate = {};
	} else if (mode == Mode::Exact) {
		mate = exact_matching(g);
	} else {
		Candidates candidates(g);
		mate = Greedy(g, candidates).run();
		while (improve_by_swaps(g, mate) | ChainSearch(g, candidates, mate).run())
			;
	}
	return decode(in, g, mate, mode);
}

}  // namespace smtcheck
