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
#include <memory>
#include <queue>
#include <stdexcept>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <lemon/full_graph.h>
#include <lemon/matching.h>

namespace smtcheck {
namespace {

constexpr double kForbidden = -std::numeric_limits<double>::infinity();
constexpr double kImprovement = 1e-12;
// Below this, relative to the largest weight, a gain may be rounding: the local search would cycle.
constexpr double kRelativeImprovement = 1e-11;
constexpr int kLookEverywhereUpTo = 256;

enum Kind : unsigned char { kThread, kForcedSolo, kFreeSolo, kDrop };

// A row's heaviest partners are chosen by inserting into a short sorted list every key that beats
// its last entry. Until the list is full every key gets in, and each entry costs mispredicted
// branches: with the list starting empty, the entries cost more than the rest of the row. A bound
// that a whole list's keys reach, from a loop that compiles to vector instructions, lets the list
// start just below it: about 23 entries a row instead of 60 at 1024 threads. The keys below the
// bound could never stay, so the list comes out the same.
constexpr int kLanes = 12;

// A value that at least kLanes of the keys w[i] - less[i], i < n, reach: the least of the maxima
// of kLanes interleaved lanes, or -inf when n is below kLanes.
float entry_bound(const float *w, const float *less, int n)
{
	int rounds = n / kLanes;
	if (rounds == 0)
		return -std::numeric_limits<float>::infinity();
	float lane[kLanes];
#if defined(__SSE2__)
	// The compiler keeps the lanes in scalar registers, a key at a time: three vectors instead.
	// _mm_max_ps(key, lane) takes the lane when either is NaN, as std::max(lane, key) does.
	static_assert(kLanes == 12, "three vectors of four lanes");
	__m128 l0 = _mm_sub_ps(_mm_loadu_ps(w), _mm_loadu_ps(less));
	__m128 l1 = _mm_sub_ps(_mm_loadu_ps(w + 4), _mm_loadu_ps(less + 4));
	__m128 l2 = _mm_sub_ps(_mm_loadu_ps(w + 8), _mm_loadu_ps(less + 8));
	for (int r = 1; r < rounds; r++) {
		const float *a = w + r * kLanes, *b = less + r * kLanes;
		l0 = _mm_max_ps(_mm_sub_ps(_mm_loadu_ps(a), _mm_loadu_ps(b)), l0);
		l1 = _mm_max_ps(_mm_sub_ps(_mm_loadu_ps(a + 4), _mm_loadu_ps(b + 4)), l1);
		l2 = _mm_max_ps(_mm_sub_ps(_mm_loadu_ps(a + 8), _mm_loadu_ps(b + 8)), l2);
	}
	_mm_storeu_ps(lane, l0);
	_mm_storeu_ps(lane + 4, l1);
	_mm_storeu_ps(lane + 8, l2);
#else
	for (int k = 0; k < kLanes; k++)
		lane[k] = w[k] - less[k];
	for (int r = 1; r < rounds; r++)
		for (int k = 0; k < kLanes; k++)
			lane[k] = std::max(lane[k], w[r * kLanes + k] - less[r * kLanes + k]);
#endif
	return *std::min_element(lane, lane + kLanes);
}

// Calls visit(i), in order, for each i < n whose key beats floor (as `keys[i] > floor`), where visit
// may raise floor. Past the bound above, a few keys in a hundred beat it: a test of eight keys at once
// by vector compare leaves one well-predicted branch per eight keys instead of one per key, and
// each key that passes is tested again against the floor as it is then, so the calls are those of
// the loop key by key.
template <typename Visit>
void for_each_above(const float *keys, int n, const float &floor, Visit visit)
{
	int i = 0;
#if defined(__SSE2__)
	for (; i + 8 <= n; i += 8) {
		__m128 f = _mm_set1_ps(floor);
		unsigned mask = _mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(keys + i), f)) |
				_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(keys + i + 4), f)) << 4;
		for (; mask != 0; mask &= mask - 1) {
			int k = i + __builtin_ctz(mask);
			if (keys[k] > floor)
				visit(k);
		}
	}
#endif
	for (; i < n; i++)
		if (keys[i] > floor)
			visit(i);
}

// Threads of one workload are interchangeable unless they run somewhere now: each running thread
// is a class of its own, with the CPU it holds, the rest of the workload's threads share a class.
struct ThreadClass {
	int workload;
	int core = -1, slot = -1;  // where it runs now, or -1
	bool owner = false;        // the first running thread of its core, in CPU order
};

// The migration cost becomes a bonus on the edges that let a running thread keep its CPU, given to
// one claim per core so that every claim can be honoured together: a pair of threads that both run
// on one core keeps both (2 x cost); a pair or a lone thread with the core's owner keeps the owner
// there (1 x cost; a pair only on a two-CPU core). A thread that keeps its CPU without such a claim
// (the second thread of a core whose owner moved) is kept by decode() but earns no bonus here.
class MatchingGraph {
public:
	// `cost` stands for in.migration_cost, so that a re-plan can try other costs on one input.
	MatchingGraph(const PairingInput &in, double cost) : in_(in), cost_(cost)
	{
		int n = static_cast<int>(in.workers.size());
		std::vector<std::vector<std::array<int, 2>>> homes(n);
		for (size_t c = 0; c < in.current.size(); c++)
			for (int s = 0; s < 2; s++) {
				int w = in.current[c][s];
				if (w != kEmpty && static_cast<int>(homes[w].size()) < in.workers[w])
					homes[w].push_back({static_cast<int>(c), s});
			}
		long threads = 0;
		for (int w = 0; w < n; w++) {
			for (const auto &h : homes[w]) {
				tclass_.push_back({w, h[0], h[1], false});
				add(kThread, static_cast<int>(tclass_.size()) - 1, 1);
			}
			long rest = in.workers[w] - static_cast<long>(homes[w].size());
			if (rest > 0) {
				tclass_.push_back({w});
				add(kThread, static_cast<int>(tclass_.size()) - 1, rest);
			}
			threads += in.workers[w];
		}
		// Owners: on each core, the running thread on the lowest CPU.
		std::vector<int> owner(in.cores.size(), -1);
		for (int k = 0; k < static_cast<int>(tclass_.size()); k++) {
			const ThreadClass &t = tclass_[k];
			if (t.core >= 0 && (owner[t.core] < 0 || tclass_[owner[t.core]].slot > t.slot))
				owner[t.core] = k;
		}
		for (int k : owner)
			if (k >= 0)
				tclass_[k].owner = true;

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
		int t = static_cast<int>(tclass_.size());
		add(kForcedSolo, t, forced);
		add(kFreeSolo, t + 1, free_solo);
		add(kDrop, t + 2, drops);
		threads_ = threads;
		restricted_ = forced + drops;

		// Weights by class: the thread classes, then the three placeholder kinds. Nodes of one
		// class are consecutive and share a row, so every weight is a single load.
		thread_classes_ = t;
		classes_ = t + 3;
		first_node_.assign(classes_ + 1, 0);
		for (int c : class_)
			first_node_[c + 1]++;
		for (int c = 0; c < classes_; c++)
			first_node_[c + 1] += first_node_[c];
		owns_two_.resize(t);
		for (int a = 0; a < t; a++)
			owns_two_[a] = tclass_[a].owner && in.cores[tclass_[a].core].size() == 2;
		set_potentials();
	}

	int size() const { return static_cast<int>(kind_.size()); }
	// Node u's row of weights, indexed by class: with cls(), one load per weight in the inner
	// loops of the local search.
	const float *row(int u) const { return &weight_[static_cast<size_t>(class_[u]) * classes_]; }
	int cls(int u) const { return class_[u]; }
	Kind kind(int u) const { return kind_[u]; }
	int workload(int u) const { return kind_[u] == kThread ? tclass_[class_[u]].workload : kEmpty; }
	// The running thread node u stands for, or nullptr for a thread that runs nowhere yet.
	const ThreadClass *home(int u) const
	{
		return kind_[u] == kThread && tclass_[class_[u]].core >= 0 ? &tclass_[class_[u]] : nullptr;
	}
	long threads() const { return threads_; }
	long restricted() const { return restricted_; }
	// The smallest gain the local search takes as one.
	double improvement() const { return improvement_; }
	// The weight the heuristic works with, from the matrix.
	double weight(int u, int v) const { return row(u)[class_[v]]; }
	// The same weight in double precision, for the exact solver.
	double exact_weight(int u, int v) const
	{
		int a = class_[u], b = class_[v];
		double w = raw(a, b);
		return w == kForbidden ? w : w - potential_[a] - potential_[b];
	}
	// Class c's heaviest partners, best first (ties by lower node index): one more than a node
	// takes, since a node of the class may find itself among them.
	static constexpr int kTop = 11;
	static_assert(kTop <= kLanes, "entry_bound's bound must be reached by a whole list");
	int top_count(int c) const { return top_len_[c]; }
	const int *top_nodes(int c) const { return &top_node_[static_cast<size_t>(c) * kTop]; }
	const float *top_weights(int c) const { return &top_weight_[static_cast<size_t>(c) * kTop]; }
	// Node u's heaviest edge to another node, from its class's list: a bound on any edge of u.
	double heaviest(int u) const
	{
		int c = class_[u];
		for (int i = 0; i < top_len_[c]; i++)
			if (top_nodes(c)[i] != u)
				return top_weights(c)[i];
		return kForbidden;
	}
	int first_node(int c) const { return first_node_[c]; }
	int end_node(int c) const { return first_node_[c + 1]; }
	int classes() const { return classes_; }
	int thread_classes() const { return thread_classes_; }

private:
	void add(Kind k, int cls, long count)
	{
		for (long i = 0; i < count; i++) {
			kind_.push_back(k);
			class_.push_back(cls);
		}
	}
	float &at(int a, int b) { return weight_[static_cast<size_t>(a) * classes_ + b]; }
	long members(int c) const { return first_node_[c + 1] - first_node_[c]; }

	double bonus(int a, int b) const
	{
		if (tclass_[a].core >= 0 && tclass_[a].core == tclass_[b].core)
			return 2 * cost_;
		return owns_two_[a] || owns_two_[b] ? cost_ : 0.0;
	}
	double solo(int a) const { return in_.solo + (tclass_[a].owner ? cost_ : 0.0); }

	// The score of a pair of classes plus the bonus for what it keeps.
	double raw(int a, int b) const
	{
		int t = thread_classes_;
		if (a >= t && b >= t)
			return a == t + 1 && b == t + 1 ? 0.0 : kForbidden;
		if (a >= t)
			std::swap(a, b);
		if (b >= t)
			return b == t + 2 ? 0.0 : solo(a);
		size_t n = in_.workers.size();
		return in_.scores[static_cast<size_t>(tclass_[a].workload) * n + tclass_[b].workload] + bonus(a, b);
	}

	// Rows `first` on of the scores, each summed over `workers` into sums; returns the largest absolute
	// score. Each row's sum goes in four lanes, one chain of additions each: taking rows in
	// twos keeps twice as many chains in flight, without changing any row's order of additions.
	template <int Rows>
	double sum_rows(size_t first, const double *workers, double *sums) const
	{
		size_t n = in_.workers.size();
		const double *s[Rows];
		double part[Rows][4] = {}, big[Rows][4] = {};
		for (int r = 0; r < Rows; r++)
			s[r] = &in_.scores[(first + r) * n];
		size_t v = 0;
		for (; v + 4 <= n; v += 4)
			for (int r = 0; r < Rows; r++)
				for (int k = 0; k < 4; k++) {
					part[r][k] += s[r][v + k] * workers[v + k];
					big[r][k] = std::max(big[r][k], std::fabs(s[r][v + k]));
				}
		for (; v < n; v++)
			for (int r = 0; r < Rows; r++) {
				part[r][0] += s[r][v] * workers[v];
				big[r][0] = std::max(big[r][0], std::fabs(s[r][v]));
			}
		double largest = 0;
		for (int r = 0; r < Rows; r++) {
			sums[r] = part[r][0] + part[r][1] + part[r][2] + part[r][3];
			largest = std::max({largest, big[r][0], big[r][1], big[r][2], big[r][3]});
		}
		return largest;
	}

	// Every node is matched exactly once, so subtracting a potential p(u) from each of u's edges
	// lowers every perfect matching's total by the same sum and changes none of the choices, for
	// any p. With p(u) about half of u's mean edge, what is left is how much better a partner is
	// than average for u: scores that are mostly "a + b" (some workloads good with everyone) no
	// longer fill every candidate list with the same few nodes. The means leave out the migration
	// bonus, which is small; it only steers the search, the weights keep it.
	void set_potentials()
	{
		size_t n = in_.workers.size();
		int t = thread_classes_;
		// Per workload, its scores summed over every thread: one pass over the score matrix.
		std::vector<double> with_all(n), workers(in_.workers.begin(), in_.workers.end());
		double largest_score = 0;
		size_t w = 0;
		for (; w + 2 <= n; w += 2)
			largest_score = std::max(largest_score, sum_rows<2>(w, workers.data(), &with_all[w]));
		for (; w < n; w++)
			largest_score = std::max(largest_score, sum_rows<1>(w, workers.data(), &with_all[w]));
		long solos = members(t) + members(t + 1);
		std::vector<double> sum(classes_, 0.0);
		std::vector<long> count(classes_, 0);
		double solo_over_threads = 0;
		for (int a = 0; a < t; a++) {
			int w = tclass_[a].workload;
			sum[a] = with_all[w] - in_.scores[static_cast<size_t>(w) * n + w] + solo(a) * solos;
			count[a] = size() - 1;
			solo_over_threads += solo(a) * members(a);
		}
		sum[t] = sum[t + 1] = solo_over_threads;
		count[t] = count[t + 2] = threads_;
		count[t + 1] = threads_ + members(t + 1) - 1;
		double all = 0, all_count = 0;
		for (int a = 0; a < classes_; a++) {
			all += sum[a] * members(a);
			all_count += static_cast<double>(count[a]) * members(a);
		}
		double half_overall = all_count > 0 ? all / all_count / 2 : 0.0;
		potential_.assign(classes_, 0.0);
		double largest_potential = 0;
		for (int a = 0; a < classes_; a++) {
			potential_[a] = (count[a] > 0 ? sum[a] / count[a] : 0.0) - half_overall;
			largest_potential = std::max(largest_potential, std::fabs(potential_[a]));
		}
		// A bound on every weight's size, for what counts as rounding.
		double largest = std::max(largest_score, std::fabs(in_.solo)) + 2 * cost_ +
				 2 * largest_potential;
		improvement_ = kImprovement + kRelativeImprovement * std::max(1.0, largest);
	}

public:
	// For the heuristic, every weight laid out in a matrix, in one pass over it: each row is
	// written and its heaviest partners found while it is in cache. Floats halve the matrix (4 MB
	// at 1024 threads); the exact solver computes its weights in double on demand instead.
	void build_matrix()
	{
		size_t n = in_.workers.size();
		int t = thread_classes_;
		weight_.reset(new float[static_cast<size_t>(classes_) * classes_]);
		top_node_.resize(static_cast<size_t>(classes_) * kTop);
		top_weight_.resize(static_cast<size_t>(classes_) * kTop);
		top_len_.assign(classes_, 0);
		zeros_.assign(t, 0.0f);
		std::vector<int> workload(t);
		std::vector<double> potential(potential_);
		bool one_class_each = static_cast<size_t>(t) == n;  // then class b is workload b
		for (int b = 0; b < t; b++)
			workload[b] = tclass_[b].workload;
		for (int a = 0; a < t; a++) {
			const double *scores = &in_.scores[static_cast<size_t>(workload[a]) * n];
			float *out = &at(a, 0);
			double pa = potential[a];
			if (cost_ == 0 && one_class_each) {
				// Without the indirection the row is read as it lies, two doubles a load.
				for (int b = 0; b < t; b++)
					out[b] = static_cast<float>(scores[b] - pa - potential[b]);
			} else if (cost_ == 0) {
				for (int b = 0; b < t; b++)
					out[b] = static_cast<float>(scores[workload[b]] - pa - potential[b]);
			} else {
				for (int b = 0; b < t; b++)
					out[b] = static_cast<float>(scores[workload[b]] + bonus(a, b) - pa - potential[b]);
			}
			for (int b = t; b < classes_; b++)
				out[b] = at(b, a) = static_cast<float>(raw(a, b) - pa - potential[b]);
			find_top(a);
		}
		for (int a = t; a < classes_; a++) {
			for (int b = t; b < classes_; b++) {
				double w = raw(a, b);
				at(a, b) = static_cast<float>(w == kForbidden ? w : w - potential[a] - potential[b]);
			}
			find_top(a);
		}
	}

private:
	// The kTop heaviest partners of class a, by one pass that inserts into a short sorted list.
	void find_top(int a)
	{
		const float *row = &at(a, 0);
		int *node = &top_node_[static_cast<size_t>(a) * kTop];
		float *weight = &top_weight_[static_cast<size_t>(a) * kTop];
		int len = 0;
		// What a weight must beat to enter: just below a bound that kTop weights reach (over the
		// thread classes, each of which has a node), so that every weight of the list gets in;
		// -inf, when there are few classes, excludes forbidden edges until the list is full.
		float bound = entry_bound(row, zeros_.data(), thread_classes_);
		float floor = std::nextafter(bound, -std::numeric_limits<float>::infinity());
		const int *first = first_node_.data();
		for_each_above(row, classes_, floor, [&](int b) {
			float w = row[b];
			for (int v = first[b]; v < first[b + 1] && w > floor; v++) {
				int i = len < kTop ? len++ : kTop - 1;
				for (; i > 0 && weight[i - 1] < w; i--) {
					weight[i] = weight[i - 1];
					node[i] = node[i - 1];
				}
				weight[i] = w;
				node[i] = v;
				if (len == kTop)
					floor = weight[kTop - 1];
			}
		});
		top_len_[a] = len;
	}

	const PairingInput &in_;
	double cost_;
	std::vector<Kind> kind_;
	std::vector<int> class_;
	std::vector<int> first_node_;  // per class, its first node; classes are consecutive
	std::vector<ThreadClass> tclass_;
	std::vector<char> owns_two_;  // per thread class: the owner of a two-CPU core
	int thread_classes_ = 0;
	int classes_ = 0;
	std::vector<double> potential_;
	std::unique_ptr<float[]> weight_;
	std::vector<int> top_node_;
	std::vector<float> top_weight_;
	std::vector<int> top_len_;
	std::vector<float> zeros_;  // what entry_bound takes off a weight: nothing
	long threads_ = 0;
	long restricted_ = 0;
	double improvement_ = kImprovement;
};

// Each node's heaviest partners, so that greedy rarely rescans a row and the rotation search
// looks only where gains are likely: its class's, without itself.
class Candidates {
public:
	static constexpr int kPerNode = MatchingGraph::kTop - 1;

	explicit Candidates(const MatchingGraph &g) : node_(g.size() * kPerNode), weight_(g.size() * kPerNode),
		len_(g.size())
	{
		for (int c = 0; c < g.classes(); c++) {
			const int *nodes = g.top_nodes(c);
			const float *weights = g.top_weights(c);
			for (int u = g.first_node(c); u < g.end_node(c); u++) {
				int len = 0;
				for (int i = 0; i < g.top_count(c) && len < kPerNode; i++)
					if (nodes[i] != u) {
						node_[u * kPerNode + len] = nodes[i];
						weight_[u * kPerNode + len] = weights[i];
						len++;
					}
				len_[u] = len;
			}
		}
	}

	// Each node's best partners against a matching: by what an edge gains over half the two
	// edges it would replace, which sums to a cycle's gain exactly. A converged search finds in
	// these lists the edges that lists by weight alone miss. Not sorted by weight.
	Candidates(const MatchingGraph &g, const std::vector<int> &mate) : node_(g.size() * kPerNode),
		weight_(g.size() * kPerNode), len_(g.size()), by_weight_(false)
	{
		std::vector<float> half(g.size());
		for (int v = 0; v < g.size(); v++)
			half[v] = static_cast<float>(g.weight(v, mate[v]) / 2);
		// Per thread class, the least half of its nodes: that node's key is the class's largest.
		int t = g.thread_classes();
		std::vector<float> least_half(t, std::numeric_limits<float>::infinity());
		for (int v = 0; v < g.size(); v++)
			if (g.cls(v) < t)
				least_half[g.cls(v)] = std::min(least_half[g.cls(v)], half[v]);
		int top[kPerNode + 1];
		float key[kPerNode + 1];
		std::vector<float> keys(g.size());
		// Where each workload has a class of one thread, node v is class v up to the placeholders:
		// there the keys are read without the indirection, as the vector loop it then becomes.
		int own_class = 0;
		while (own_class < g.size() && g.cls(own_class) == own_class)
			own_class++;
		for (int c = 0; c < g.classes(); c++) {
			if (g.first_node(c) == g.end_node(c))
				continue;
			const float *row = g.row(g.first_node(c));
			int len = 0;
			float bound = entry_bound(row, least_half.data(), t);
			float floor = std::nextafter(bound, -std::numeric_limits<float>::infinity());
			int v = 0;
			for (; v < own_class; v++)
				keys[v] = row[v] - half[v];
			for (; v < g.size(); v++)
				keys[v] = row[g.cls(v)] - half[v];
			for_each_above(keys.data(), g.size(), floor, [&](int v) {
				float k = keys[v];
				int i = len <= kPerNode ? len++ : kPerNode;
				for (; i > 0 && key[i - 1] < k; i--) {
					key[i] = key[i - 1];
					top[i] = top[i - 1];
				}
				key[i] = k;
				top[i] = v;
				if (len == kPerNode + 1)
					floor = key[kPerNode];
			});
			for (int u = g.first_node(c); u < g.end_node(c); u++) {
				int n = 0;
				for (int i = 0; i < len && n < kPerNode; i++)
					if (top[i] != u) {
						node_[u * kPerNode + n] = top[i];
						weight_[u * kPerNode + n] = row[g.cls(top[i])];
						n++;
					}
				len_[u] = n;
			}
		}
	}

	// Whether the lists are sorted by weight, heaviest first.
	bool by_weight() const { return by_weight_; }
	int count(int u) const { return len_[u]; }
	int node(int u, int i) const { return node_[u * kPerNode + i]; }
	double weight(int u, int i) const { return weight_[u * kPerNode + i]; }

private:
	std::vector<int> node_;
	std::vector<float> weight_;
	std::vector<int> len_;
	bool by_weight_ = true;
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
// (a,d)+(b,c). Only edges with a node in `look` are scanned at first, and an edge is rescanned only
// after it changed (a "don't look" flag), so the passes after the first cost little. On return,
// `look` holds the nodes whose edge changed. Returns whether anything improved.
bool improve_by_swaps(const MatchingGraph &g, std::vector<int> &mate, std::vector<char> &look)
{
	std::vector<std::array<int, 2>> edges;
	for (int u = 0; u < g.size(); u++)
		if (u < mate[u])
			edges.push_back({u, mate[u]});
	size_t m = edges.size();
	// The ends' classes side by side, so that the inner loop reads two rows and four columns.
	std::vector<int> first(m), second(m);
	std::vector<double> w(m);
	for (size_t i = 0; i < m; i++) {
		first[i] = g.cls(edges[i][0]);
		second[i] = g.cls(edges[i][1]);
		w[i] = g.weight(edges[i][0], edges[i][1]);
	}
	std::vector<char> dirty(m, 0);
	for (size_t i = 0; i < m; i++)
		dirty[i] = look[edges[i][0]] || look[edges[i][1]];
	std::fill(look.begin(), look.end(), 0);
	double improvement = g.improvement();
	bool any = true, improved = false;
	while (any) {
		any = false;
		for (size_t i = 0; i < m; i++) {
			if (!dirty[i])
				continue;
			dirty[i] = 0;
			const float *ra = g.row(edges[i][0]), *rb = g.row(edges[i][1]);
			// Both rows are read whole, in random order: fetch them at once.
			for (int c = 0; c < g.classes(); c += 64 / sizeof(float)) {
				__builtin_prefetch(ra + c);
				__builtin_prefetch(rb + c);
			}
			for (size_t j = 0; j < m; j++) {
				if (j == i)
					continue;
				double current = w[i] + w[j];
				double ac = ra[first[j]], bd = rb[second[j]];
				double ad = ra[second[j]], bc = rb[first[j]];
				int a = edges[i][0], b = edges[i][1], c = edges[j][0], d = edges[j][1];
				if (ac + bd > current + improvement && ac + bd >= ad + bc) {
					edges[i] = {a, c};
					edges[j] = {b, d};
					w[i] = ac;
					w[j] = bd;
				} else if (ad + bc > current + improvement) {
					edges[i] = {a, d};
					edges[j] = {b, c};
					w[i] = ad;
					w[j] = bc;
				} else {
					continue;
				}
				for (size_t e : {i, j}) {
					first[e] = g.cls(edges[e][0]);
					second[e] = g.cls(edges[e][1]);
				}
				ra = g.row(edges[i][0]);
				rb = g.row(edges[i][1]);
				dirty[i] = dirty[j] = 1;
				any = improved = true;
			}
		}
	}
	for (const auto &e : edges) {
		if (mate[e[0]] != e[1])
			look[e[0]] = look[e[1]] = 1;
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
		: g_(g), cand_(cand), mate_(mate), mate_weight_(g.size()), heaviest_(g.size()),
		  breadth_(g.size() <= kWideUpTo ? kWide : cand.by_weight() ? kNarrow : kNarrowAgainst)
	{
		for (int u = 0; u < g.size(); u++) {
			mate_weight_[u] = g.weight(u, mate[u]);
			// Not the first entry of u's list: lists against a matching are not sorted by
			// weight, and a bound too low would skip closings that gain.
			heaviest_[u] = g.heaviest(u);
		}
	}

	// Searches from the nodes in `look`, then again only from nodes a change touched ("don't
	// look" bits). On return, `look` holds the nodes whose edge changed.
	bool run(std::vector<char> &look)
	{
		bool improved = false;
		std::vector<char> active(g_.size(), 0);
		std::vector<int> queue;
		for (int u = 0; u < g_.size(); u++)
			if (look[u]) {
				queue.push_back(u);
				active[u] = 1;
			}
		std::fill(look.begin(), look.end(), 0);
		for (size_t head = 0; head < queue.size(); head++) {
			int a = queue[head];
			active[a] = 0;
			start_ = a;
			// Closing a cycle reads a's row at random: fetch all of it at once rather than
			// waiting on one cache line after another.
			const float *row = g_.row(a);
			for (int c = 0; c < g_.classes(); c += 64 / sizeof(float))
				__builtin_prefetch(row + c);
			best_gain_ = g_.improvement();
			best_len_ = 0;
			path_[0] = a;
			path_[1] = mate_[a];
			extend(1, -mate_weight_[a]);
			if (best_len_ == 0)
				continue;
			apply();
			improved = true;
			for (int i = 0; i < 2 * best_len_ + 2; i++)
				look[best_path_[i]] = 1;
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
	// so small instances, which must come closest to the optimum, afford a wider tree. On large
	// ones the search with lists by weight is a first pass, four edges deep and four partners
	// wide: the search against the matching, which follows it, goes to five edges and tries more
	// first partners, from lists that hold what lists by weight lack, and it finds most of what
	// a wider first pass would have. Together, plans as good for less time (BENCHMARKS.md).
	static constexpr int kWide[kMaxDepth] = {10, 5, 3, 2, 2};
	static constexpr int kNarrow[kMaxDepth] = {4, 2, 2, 1, 0};
	static constexpr int kNarrowAgainst[kMaxDepth] = {10, 3, 2, 1, 1};
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
			if (added <= 0) {
				if (cand_.by_weight())
					break;  // none further on can pass either
				continue;
			}
			int z = mate_[y];
			double after = added - mate_weight_[y];
			path_[2 * depth] = y;
			path_[2 * depth + 1] = z;
			// Closing the cycle reads the matrix at random, the search's one cache miss: only
			// when even the heaviest edge of start_ or z could close it with a gain.
			double bound = after + std::min(heaviest_[start_], heaviest_[z]);
			double closed = bound > best_gain_ ? after + g_.weight(start_, z) : bound;
			if (closed > best_gain_) {
				best_gain_ = closed;
				best_len_ = depth;
				std::copy(path_, path_ + 2 * depth + 2, best_path_);
			}
			if (depth < kMaxDepth && breadth_[depth] > 0)
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
			mate_weight_[from] = mate_weight_[to] = g_.weight(from, to);
		}
		int last = best_path_[2 * k + 1];
		mate_[last] = start_;
		mate_[start_] = last;
		mate_weight_[last] = mate_weight_[start_] = g_.weight(start_, last);
	}

	const MatchingGraph &g_;
	const Candidates &cand_;
	std::vector<int> &mate_;
	std::vector<double> mate_weight_;  // each node's edge in mate_, read once per step of a chain
	std::vector<double> heaviest_;     // each node's heaviest edge, a bound on any edge it closes
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
		double w = g_.exact_weight(fg_.index(fg_.u(e)), fg_.index(fg_.v(e)));
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
			double w = g.exact_weight(a, b);
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
		if (g.exact_weight(a, mate[a]) == kForbidden)
			throw std::logic_error("exact pairing used a forbidden edge");
	}
	return mate;
}

// Moves against the current placement: a CPU whose workload is no longer on it moved a thread, and
// its workload moved (a workload that only gains CPUs did not).
void count_moves(const PairingInput &in, PairingPlan &plan)
{
	size_t n = in.workers.size();
	std::vector<char> left(n, 0);
	for (size_t c = 0; c < in.current.size(); c++)
		for (int s = 0; s < 2; s++) {
			int before = in.current[c][s], after = plan.occupants[c][s];
			if (before == after)
				continue;
			if (before != kEmpty) {
				plan.moved_threads++;
				left[before] = 1;
			}
		}
	for (char l : left)
		plan.moved_workloads += l;
}

void validate(const PairingInput &in)
{
	size_t n = in.workers.size();
	if (in.scores.size() != n * n)
		throw std::invalid_argument("score matrix has " + std::to_string(in.scores.size()) +
					    " entries, expected " + std::to_string(n * n));
	for (size_t i = 0; i < n; i++)
		if (in.workers[i] < 1)
			throw std::invalid_argument("workload " + std::to_string(i) + " has " +
						    std::to_string(in.workers[i]) + " workers");
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
	if (!in.current.empty() && in.current.size() != in.cores.size())
		throw std::invalid_argument("current placement has " + std::to_string(in.current.size()) +
					    " cores, the topology " + std::to_string(in.cores.size()));
	for (size_t c = 0; c < in.current.size(); c++)
		for (size_t s = 0; s < 2; s++) {
			int w = in.current[c][s];
			if (w == kEmpty)
				continue;
			if (w < 0 || static_cast<size_t>(w) >= n || s >= in.cores[c].size())
				throw std::invalid_argument("current placement: core " + std::to_string(c) + " CPU " +
							    std::to_string(s) + " holds workload " + std::to_string(w) +
							    ", which is not there");
		}
	if (!(in.migration_cost >= 0) || std::isinf(in.migration_cost))
		throw std::invalid_argument("migration cost must be finite and 0 or more");
}

// Which core each matched group goes to. A group with a claim (see MatchingGraph) gets the core it
// claimed; the others prefer a free core where one of their threads runs now, and take the rest in
// core order, pairs first (they need the two-CPU cores). A running thread keeps its CPU on the core
// it stays on.
PairingPlan decode(const PairingInput &in, const MatchingGraph &g, const std::vector<int> &mate, Mode mode)
{
	struct Group {
		int u, v;  // nodes; v < 0 for a lone thread
		int claim = -1;
	};
	std::vector<Group> pairs, solos;
	PairingPlan plan;
	plan.mode = mode;
	plan.unplaced.assign(in.workers.size(), 0);
	for (int u = 0; u < g.size(); u++) {
		if (g.kind(u) != kThread)
			continue;
		int v = mate[u];
		const ThreadClass *hu = g.home(u);
		if (g.kind(v) == kThread) {
			if (u > v)
				continue;
			const ThreadClass *hv = g.home(v);
			Group p{u, v};
			if (hu && hv && hu->core == hv->core)
				p.claim = hu->core;
			else if (hu && hu->owner && in.cores[hu->core].size() == 2)
				p.claim = hu->core;
			else if (hv && hv->owner && in.cores[hv->core].size() == 2)
				p.claim = hv->core;
			pairs.push_back(p);
		} else if (g.kind(v) == kDrop) {
			plan.unplaced[g.workload(u)]++;
		} else {
			solos.push_back({u, -1, hu && hu->owner ? hu->core : -1});
		}
	}
	// Unclaimed pairs in workload order, as without a current placement.
	std::stable_sort(pairs.begin(), pairs.end(), [&](const Group &a, const Group &b) {
		auto key = [&](const Group &p) {
			return std::make_pair(std::min(g.workload(p.u), g.workload(p.v)),
					      std::max(g.workload(p.u), g.workload(p.v)));
		};
		return key(a) < key(b);
	});
	plan.occupants.assign(in.cores.size(), {kEmpty, kEmpty});
	std::vector<char> used(in.cores.size(), 0);
	auto put = [&](const Group &grp, size_t c) {
		used[c] = 1;
		int nodes[2] = {grp.u, grp.v};
		int free_nodes[2], n_free = 0;
		for (int x : nodes) {
			if (x < 0)
				continue;
			const ThreadClass *h = g.home(x);
			if (h && h->core == static_cast<int>(c) && plan.occupants[c][h->slot] == kEmpty)
				plan.occupants[c][h->slot] = g.workload(x);
			else
				free_nodes[n_free++] = x;
		}
		if (n_free == 2 && g.workload(free_nodes[0]) > g.workload(free_nodes[1]))
			std::swap(free_nodes[0], free_nodes[1]);
		for (int i = 0; i < n_free; i++) {
			int slot = plan.occupants[c][0] == kEmpty ? 0 : 1;
			plan.occupants[c][slot] = g.workload(free_nodes[i]);
		}
	};
	// The lowest free core, of the kind `fits` accepts, where one of the group's threads runs now.
	auto home_core = [&](const Group &grp, auto fits) {
		int best = -1;
		for (int x : {grp.u, grp.v}) {
			const ThreadClass *h = x >= 0 ? g.home(x) : nullptr;
			if (h && !used[h->core] && fits(h->core) && (best < 0 || h->core < best))
				best = h->core;
		}
		return best;
	};
	// The lowest free core of the kind `fits` accepts from `next` on; cores only fill up, so
	// each kind's scan goes through the cores once.
	auto next_free = [&](size_t &next, auto fits) {
		while (next < in.cores.size() && (used[next] || !fits(next)))
			next++;
		return next < in.cores.size() ? static_cast<int>(next) : -1;
	};
	auto two_cpus = [&](size_t c) { return in.cores[c].size() == 2; };
	auto one_cpu = [&](size_t c) { return in.cores[c].size() == 1; };
	auto any = [](size_t) { return true; };
	std::vector<char> pair_done(pairs.size(), 0), solo_done(solos.size(), 0);
	long free_two = 0, open_pairs = 0;
	for (size_t i = 0; i < pairs.size(); i++)
		if (pairs[i].claim >= 0) {
			put(pairs[i], pairs[i].claim);
			pair_done[i] = 1;
		} else {
			open_pairs++;
		}
	for (size_t c = 0; c < in.cores.size(); c++)
		free_two += !used[c] && in.cores[c].size() == 2;
	// A lone thread keeps a two-CPU core only while enough are left for the pairs.
	for (size_t i = 0; i < solos.size(); i++) {
		int c = solos[i].claim;
		if (c < 0 || used[c])
			continue;
		if (in.cores[c].size() == 2) {
			if (free_two <= open_pairs)
				continue;
			free_two--;
		}
		put(solos[i], c);
		solo_done[i] = 1;
	}
	// The rest: first onto a free core where one of their threads runs now, then in core order.
	for (size_t i = 0; i < pairs.size(); i++) {
		int c = pair_done[i] ? -1 : home_core(pairs[i], two_cpus);
		if (c >= 0) {
			put(pairs[i], c);
			pair_done[i] = 1;
		}
	}
	size_t next_two = 0;
	for (size_t i = 0; i < pairs.size(); i++) {
		int c = pair_done[i] ? -1 : next_free(next_two, two_cpus);
		if (c >= 0) {
			put(pairs[i], c);
			pair_done[i] = 1;
		}
	}
	size_t next_one = 0, next_any = 0;
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < solos.size(); i++) {
			if (solo_done[i])
				continue;
			int c = pass == 0 ? home_core(solos[i], any)
				: pass == 1 ? next_free(next_one, one_cpu) : next_free(next_any, any);
			if (c >= 0) {
				put(solos[i], c);
				solo_done[i] = 1;
			}
		}
	for (char d : pair_done)
		if (!d)
			throw std::logic_error("pairing placed more threads than the topology holds");
	for (char d : solo_done)
		if (!d)
			throw std::logic_error("pairing placed more threads than the topology holds");
	plan.total = plan_score(in, plan.occupants);
	count_moves(in, plan);
	return plan;
}

// The plan for `in` as if its migration cost were `cost`.
PairingPlan solve(const PairingInput &in, Mode mode, double cost)
{
	MatchingGraph g(in, cost);
	if (mode == Mode::Auto)
		mode = g.size() <= kAutoExactMaxNodes ? Mode::Exact : Mode::Greedy;
	std::vector<int> mate;
	if (g.size() == 0) {
		mate = {};
	} else if (mode == Mode::Exact) {
		mate = exact_matching(g);
	} else {
		g.build_matrix();
		Candidates candidates(g);
		mate = Greedy(g, candidates).run();
		// Each search starts where the other changed something; on small graphs, where that
		// costs little, everywhere again, for what a change elsewhere made worth trying. On large
		// ones the cycles go first: they mend most of greedy's edges from the candidate lists, so
		// the full 2-opt after them rescans fewer edges and finds what the lists miss.
		std::vector<char> look(g.size(), 1);
		bool small = g.size() <= kLookEverywhereUpTo;
		for (bool more = true; more;) {
			if (small) {
				std::fill(look.begin(), look.end(), 1);
				more = improve_by_swaps(g, mate, look);
				std::fill(look.begin(), look.end(), 1);
				more |= ChainSearch(g, candidates, mate).run(look);
			} else {
				more = ChainSearch(g, candidates, mate).run(look);
				more |= improve_by_swaps(g, mate, look);
			}
		}
		// Once converged, again with lists ranked against the matching found: on profile-shaped
		// scores the optimum uses edges that no list by weight holds.
		if (!small) {
			Candidates against(g, mate);
			std::fill(look.begin(), look.end(), 1);
			for (bool more = true; more;) {
				more = ChainSearch(g, against, mate).run(look);
				more |= improve_by_swaps(g, mate, look);
			}
		}
	}
	return decode(in, g, mate, mode);
}

// When every thread runs now, each on a CPU of its own, the current placement is a plan that keeps
// everything, and nothing can beat it once every move costs more than any plan gains: it is the
// keep-all plan, exactly, without solving for it.
bool everything_runs(const PairingInput &in)
{
	std::vector<int> listed(in.workers.size(), 0);
	for (const auto &core : in.current)
		for (int w : core)
			if (w != kEmpty)
				listed[w]++;
	return listed == in.workers;
}

PairingPlan as_is(const PairingInput &in, Mode mode)
{
	PairingPlan plan;
	plan.mode = mode;
	plan.occupants = in.current;
	plan.unplaced.assign(in.workers.size(), 0);
	plan.total = plan_score(in, plan.occupants);
	return plan;
}

double net(const PairingInput &in, const PairingPlan &p)
{
	return p.total - in.migration_cost * p.moved_threads;
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
	return solve(in, mode, in.migration_cost);
}

Replan replan_pairs(const PairingInput &in, Mode mode)
{
	validate(in);
	Replan r;
	r.plan = solve(in, mode, in.migration_cost);
	bool runs = false;
	for (const auto &core : in.current)
		runs |= core[0] != kEmpty || core[1] != kEmpty;
	if (!runs) {
		r.kept = r.optimal = r.plan.total;
		return r;
	}
	// Other costs on the same input: a copy would copy the score matrix (8 MB at 1024 workloads).
	PairingPlan kept;
	if (everything_runs(in)) {
		kept = as_is(in, r.plan.mode);
	} else {
		// Keeping every running thread: a cost above any gain a plan could make by moving one.
		double span = std::fabs(in.solo);
		for (double s : in.scores)
			span = std::max(span, std::fabs(s));
		long threads = 0;
		for (int w : in.workers)
			threads += w;
		kept = solve(in, mode, (2 * span + 1) * static_cast<double>(threads + 1));
	}
	PairingPlan optimal = in.migration_cost == 0 ? r.plan : solve(in, mode, 0.0);
	// It keeps everything but where a lone thread holds a two-CPU core that the pairs need (mixed
	// topologies only): then what it moves is charged too.
	r.kept = net(in, kept);
	r.optimal = std::max({optimal.total, kept.total, r.plan.total});
	// The heuristic may find a worse plan for one cost than for another: take the best by what counts.
	for (const PairingPlan *p : {&kept, &optimal})
		if (net(in, *p) > net(in, r.plan) + kImprovement)
			r.plan = *p;
	return r;
}

}  // namespace smtcheck
