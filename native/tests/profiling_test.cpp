// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "smtcheck/topology.h"

namespace smtcheck {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const char *const kResources[] = {"int_alu", "fp_unit", "l1d_capacity", "l2_capacity",
				  "llc", "mem_bw", "branch_pred"};

// One line at a time from a pipe, waiting at most a given time for it.
class LineReader {
public:
	explicit LineReader(int fd) : fd_(fd) {}

	std::optional<std::string> next(milliseconds timeout)
	{
		auto deadline = Clock::now() + timeout;
		for (;;) {
			size_t nl = buf_.find('\n');
			if (nl != std::string::npos) {
				std::string line = buf_.substr(0, nl);
				buf_.erase(0, nl + 1);
				return line;
			}
			auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
			if (left <= 0)
				return std::nullopt;
			struct pollfd p = {fd_, POLLIN, 0};
			if (poll(&p, 1, static_cast<int>(left)) <= 0)
				continue;
			char chunk[4096];
			ssize_t n = read(fd_, chunk, sizeof(chunk));
			if (n <= 0)
				return std::nullopt;
			buf_.append(chunk, n);
		}
	}

	// Everything up to end of file.
	std::string rest()
	{
		char chunk[4096];
		ssize_t n;
		while ((n = read(fd_, chunk, sizeof(chunk))) > 0)
			buf_.append(chunk, n);
		std::string all;
		all.swap(buf_);
		return all;
	}

private:
	int fd_;
	std::string buf_;
};

// A program started with pipes on its standard streams; killed if the test leaves it running.
class Child {
public:
	explicit Child(const std::vector<std::string> &argv) : out(-1), err(-1)
	{
		int i[2], o[2], e[2];
		if (pipe2(i, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
			throw std::runtime_error("pipe2");
		pid_ = fork();
		if (pid_ == 0) {
			dup2(i[0], 0);
			dup2(o[1], 1);
			dup2(e[1], 2);
			std::vector<char *> args;
			for (const auto &a : argv)
				args.push_back(const_cast<char *>(a.c_str()));
			args.push_back(nullptr);
			execv(args[0], args.data());
			_exit(126);
		}
		close(i[0]);
		close(o[1]);
		close(e[1]);
		in_ = i[1];
		out = LineReader(o[0]);
		err = LineReader(e[0]);
		out_fd_ = o[0];
		err_fd_ = e[0];
	}
	~Child()
	{
		close_stdin();
		if (pid_ > 0 && !status_) {
			kill(pid_, SIGKILL);
			waitpid(pid_, nullptr, 0);
		}
		close(out_fd_);
		close(err_fd_);
	}
	Child(const Child &) = delete;
	Child &operator=(const Child &) = delete;

	pid_t pid() const { return pid_; }

	void send(const std::string &line)
	{
		std::string s = line + "\n";
		ASSERT_EQ(write(in_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
	}

	void close_stdin()
	{
		if (in_ >= 0)
			close(in_);
		in_ = -1;
	}

	// The wait status once it has exited, or nothing if it has not within `timeout`.
	std::optional<int> wait(milliseconds timeout)
	{
		auto deadline = Clock::now() + timeout;
		while (!status_) {
			int st;
			if (waitpid(pid_, &st, WNOHANG) == pid_)
				status_ = st;
			else if (Clock::now() >= deadline)
				break;
			else
				std::this_thread::sleep_for(std::chrono::microseconds(200));
		}
		return status_;
	}

	LineReader out, err;

private:
	pid_t pid_;
	int in_ = -1, out_fd_ = -1, err_fd_ = -1;
	std::optional<int> status_;
};

struct Outcome {
	int status;
	std::string out, err;
};

// Runs a program to its end with standard input closed.
Outcome run(const std::vector<std::string> &argv)
{
	Child c(argv);
	c.close_stdin();
	std::string out = c.out.rest(), err = c.err.rest();
	auto st = c.wait(milliseconds(60000));
	return {st ? *st : -1, out, err};
}

int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> split(const std::string &s)
{
	std::istringstream in(s);
	std::vector<std::string> words;
	std::string w;
	while (in >> w)
		words.push_back(w);
	return words;
}

// Alive means running, not merely waiting for a parent to reap it.
bool alive(pid_t pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
	std::string stat;
	if (!std::getline(in, stat))
		return false;
	size_t paren = stat.rfind(')');
	char state = paren + 2 < stat.size() ? stat[paren + 2] : '?';
	return state != 'Z' && state != 'X';
}

bool gone_within(const std::vector<pid_t> &pids, milliseconds timeout)
{
	auto deadline = Clock::now() + timeout;
	for (;;) {
		if (std::none_of(pids.begin(), pids.end(), alive))
			return true;
		if (Clock::now() >= deadline)
			return false;
		std::this_thread::sleep_for(milliseconds(5));
	}
}

std::string cpus_allowed(pid_t pid, pid_t tid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
	std::string line;
	while (std::getline(in, line))
		if (line.rfind("Cpus_allowed_list:", 0) == 0)
			return line.substr(line.find_first_not_of(" \t", 18));
	return "";
}

// The affinity of every thread of `pid`, which should all agree.
std::vector<std::string> thread_affinities(pid_t pid)
{
	std::vector<std::string> out;
	for (const auto &e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
		out.push_back(cpus_allowed(pid, std::stoi(e.path().filename())));
	return out;
}

double median(std::vector<double> v)
{
	std::sort(v.begin(), v.end());
	size_t n = v.size();
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ---- injector ----

struct Mark {
	uint64_t units;
	int64_t cpu_ns, wall_ns;
};

class Injector : public Child {
public:
	Injector(const std::string &resource, int cpu, std::vector<std::string> extra = {})
	    : Child(args(resource, cpu, extra))
	{
	}

	static std::vector<std::string> args(const std::string &resource, int cpu,
					     const std::vector<std::string> &extra)
	{
		std::vector<std::string> a{SMTCHECK_INJECT, "--resource", resource, "--cpu", std::to_string(cpu)};
		a.insert(a.end(), extra.begin(), extra.end());
		return a;
	}

	// Setting up the memory injector touches 256 MiB or more first.
	bool ready() { return out.next(milliseconds(20000)) == std::string("ready"); }

	Mark mark()
	{
		send("mark");
		auto line = out.next(milliseconds(5000));
		EXPECT_TRUE(line) << "no answer to mark";
		auto w = split(line.value_or(""));
		EXPECT_EQ(w.size(), 4u) << *line;
		if (w.size() != 4 || w[0] != "mark")
			return {0, 0, 0};
		return {std::stoull(w[1]), std::stoll(w[2]), std::stoll(w[3])};
	}
};

double rate(const Mark &a, const Mark &b)
{
	return (b.units - a.units) * 1e9 / (b.cpu_ns - a.cpu_ns);
}

TEST(Inject, ListsTheSevenInjectors)
{
	Outcome r = run({SMTCHECK_INJECT, "--list"});
	ASSERT_EQ(exit_code(r.status), 0) << r.err;
	std::map<std::string, std::vector<std::string>> listed;
	std::istringstream in(r.out);
	std::string line;
	while (std::getline(in, line)) {
		auto w = split(line);
		ASSERT_GE(w.size(), 4u) << line;
		listed[w[0]] = w;
	}
	std::map<std::string, std::string> types = {
		{"int_alu", "parallel"},      {"fp_unit", "parallel"},  {"l1d_capacity", "sequential"},
		{"l2_capacity", "sequential"},   {"llc", "sequential"},    {"mem_bw", "sequential"},
		{"branch_pred", "sequential"},
	};
	ASSERT_EQ(listed.size(), 7u) << r.out;
	for (const auto &[name, type] : types) {
		ASSERT_TRUE(listed.count(name)) << name;
		EXPECT_EQ(listed[name][1], type) << name;
	}
	EXPECT_EQ(listed["int_alu"][2], "0");
	EXPECT_EQ(listed["fp_unit"][2], "0");
	EXPECT_EQ(listed["branch_pred"][2], "0");
	uint64_t l1 = std::stoull(listed["l1d_capacity"][2]), l2 = std::stoull(listed["l2_capacity"][2]);
	uint64_t llc = std::stoull(listed["llc"][2]), mem = std::stoull(listed["mem_bw"][2]);
	EXPECT_GT(l1, 0u);
	EXPECT_LT(l1, l2);
	EXPECT_LT(l2, llc);
	EXPECT_EQ(mem, std::max<uint64_t>(8 * llc, 256ull << 20));
}

class EveryInjector : public testing::TestWithParam<const char *> {};

// Pinned, counting, steady, and gone at once when told to.
TEST_P(EveryInjector, PinnedSteadyAndStopsPromptly)
{
	const int cpu = online_cpus().front();
	Injector inj(GetParam(), cpu);
	ASSERT_TRUE(inj.ready());
	for (const auto &a : thread_affinities(inj.pid()))
		EXPECT_EQ(a, std::to_string(cpu));

	// Steady: four consecutive windows of 150 ms, each within 25 % of their median. Here they
	// mostly stay within a few percent, and a co-runner that matters costs an injector tens of
	// percent; but what other machines do to a shared cache can move a window now and then,
	// so the injector has up to ten windows to show four steady ones in a row.
	std::vector<Mark> marks{inj.mark()};
	std::vector<double> rates;
	double m = 0;
	bool steady = false;
	std::ostringstream seen;
	while (!steady && rates.size() < 10) {
		std::this_thread::sleep_for(milliseconds(150));
		marks.push_back(inj.mark());
		const Mark &a = marks[marks.size() - 2], &b = marks.back();
		EXPECT_GT(b.units, a.units);
		EXPECT_GT(b.cpu_ns, a.cpu_ns);
		EXPECT_GT(b.wall_ns, a.wall_ns);
		rates.push_back(rate(a, b));
		seen << rates.back() << " ";
		if (rates.size() < 4)
			continue;
		std::vector<double> last(rates.end() - 4, rates.end());
		m = median(last);
		steady = std::all_of(last.begin(), last.end(),
				     [m](double r) { return r > 0.75 * m && r < 1.25 * m; });
	}
	EXPECT_TRUE(steady) << "rates " << seen.str();
	RecordProperty("rates", seen.str());
	// One unit is some tens of microseconds, as the duty cycle needs.
	EXPECT_GT(m, 1e9 / 200e3);
	EXPECT_LT(m, 1e9 / 10e3);
	// Only the worker's time counts: it cannot exceed the wall time.
	EXPECT_LE(marks.back().cpu_ns - marks[0].cpu_ns, marks.back().wall_ns - marks[0].wall_ns + 1000000);

	auto t0 = Clock::now();
	inj.close_stdin();
	auto st = inj.wait(milliseconds(100));
	ASSERT_TRUE(st) << "still running 100 ms after end of input";
	EXPECT_EQ(exit_code(*st), 0);
	RecordProperty("eof_exit_us",
		       std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
					      Clock::now() - t0)
					      .count()));

	Injector term(GetParam(), cpu);
	ASSERT_TRUE(term.ready());
	kill(term.pid(), SIGTERM);
	st = term.wait(milliseconds(100));
	ASSERT_TRUE(st) << "still running 100 ms after SIGTERM";
	EXPECT_EQ(exit_code(*st), 0);
}

INSTANTIATE_TEST_SUITE_P(Inject, EveryInjector, testing::ValuesIn(kResources));

TEST(Inject, QuarterDutyCycleUsesAQuarterOfTheCpu)
{
	const int cpu = online_cpus().front();
	std::map<std::string, double> share;
	for (const char *d : {"1", "0.25"}) {
		Injector inj("int_alu", cpu, {"--intensity", d});
		ASSERT_TRUE(inj.ready());
		Mark a = inj.mark();
		std::this_thread::sleep_for(milliseconds(400));
		Mark b = inj.mark();
		share[d] = double(b.cpu_ns - a.cpu_ns) / (b.wall_ns - a.wall_ns);
		// the rate is per CPU second, so sleeping does not change it much
	}
	EXPECT_NEAR(share["0.25"], 0.25, 0.06);
	// Another process on this CPU may take some of a full duty cycle, not most of it.
	EXPECT_GT(share["1"], 2 * share["0.25"]);
}

TEST(Inject, ACacheInjectorsIntensityIsItsShareOfTheCacheNotOfTheTime)
{
	const int cpu = online_cpus().front();
	Injector inj("l2_capacity", cpu, {"--intensity", "0.25"});
	ASSERT_TRUE(inj.ready());
	Mark a = inj.mark();
	std::this_thread::sleep_for(milliseconds(400));
	Mark b = inj.mark();
	EXPECT_GT(double(b.cpu_ns - a.cpu_ns) / (b.wall_ns - a.wall_ns), 0.6) << "works all the time";
}

TEST(Inject, FixedUnitsRunsExactlyThatManyAndIgnoresInput)
{
	Child c({SMTCHECK_INJECT, "--resource", "branch_pred", "--cpu", std::to_string(online_cpus().front()),
		 "--units", "1234", "--intensity", "0.5", "--period-us", "5000"});
	c.send("bogus");
	c.close_stdin();
	ASSERT_EQ(c.out.next(milliseconds(20000)), std::string("ready"));
	auto done = c.out.next(milliseconds(20000));
	ASSERT_TRUE(done);
	auto w = split(*done);
	ASSERT_EQ(w.size(), 4u) << *done;
	EXPECT_EQ(w[0], "done");
	EXPECT_EQ(w[1], "1234");
	int64_t cpu = std::stoll(w[2]), wall = std::stoll(w[3]);
	EXPECT_GT(cpu, 0);
	EXPECT_LT(cpu, wall * 0.7) << "a duty cycle of one half";
	auto st = c.wait(milliseconds(1000));
	ASSERT_TRUE(st);
	EXPECT_EQ(exit_code(*st), 0);
	EXPECT_EQ(c.out.rest(), "");
}

TEST(Inject, AnswersUnknownCommandsAndGoesOn)
{
	Injector inj("branch_pred", online_cpus().front());
	ASSERT_TRUE(inj.ready());
	inj.send("frobnicate now");
	EXPECT_EQ(inj.out.next(milliseconds(5000)), std::string("error unknown command 'frobnicate now'"));
	Mark a = inj.mark();
	std::this_thread::sleep_for(milliseconds(20));
	EXPECT_GT(inj.mark().units, a.units);
}

TEST(Inject, BadArgumentsExitTwoWithOneLine)
{
	const std::vector<std::vector<std::string>> bad = {
		{},
		{"--resource", "quantum_flux"},
		{"--resource"},
		{"--resource", "int_alu", "--intensity", "0"},
		{"--resource", "int_alu", "--intensity", "1.5"},
		{"--resource", "int_alu", "--intensity", "half"},
		{"--resource", "int_alu", "--intensity", "nan"},
		{"--resource", "int_alu", "--cpu", "x"},
		{"--resource", "int_alu", "--cpu", "-1"},
		{"--resource", "int_alu", "--size", "4096"},
		{"--resource", "l2_capacity", "--size", "12Q"},
		{"--resource", "l2_capacity", "--size", "16"},
		{"--resource", "l2_capacity", "--units", "0"},
		{"--resource", "l2_capacity", "--period-us", "ten"},
		{"--resource", "l2_capacity", "--frobnicate"},
		{"--resource", "l2_capacity", "extra"},
		{"--resource", "int_alu", "--cpu", "1000"},  // valid syntax, offline CPU
	};
	for (auto args : bad) {
		args.insert(args.begin(), SMTCHECK_INJECT);
		Outcome r = run(args);
		std::string joined;
		for (const auto &a : args)
			joined += a + " ";
		EXPECT_EQ(exit_code(r.status), 2) << joined;
		EXPECT_EQ(r.out, "") << joined;
		EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << joined << ": " << r.err;
	}
	Outcome pin = run({SMTCHECK_INJECT, "--resource", "int_alu", "--cpu", "1000"});
	EXPECT_NE(pin.err.find("sched_setaffinity"), std::string::npos) << pin.err;

	Outcome help = run({SMTCHECK_INJECT, "--help"});
	EXPECT_EQ(exit_code(help.status), 0);
	EXPECT_NE(help.out.find("usage:"), std::string::npos);
}

// ---- runner ----

class TempDir {
public:
	TempDir()
	{
		std::string tmpl = (std::filesystem::temp_directory_path() / "smtcheck-runner-XXXXXX").string();
		if (!mkdtemp(tmpl.data()))
			throw std::runtime_error("mkdtemp");
		path_ = tmpl;
	}
	~TempDir() { std::filesystem::remove_all(path_); }
	std::string file(const std::string &name) const { return (path_ / name).string(); }

private:
	std::filesystem::path path_;
};

// The raw JSON value of `key` in a flat object: a number, null, true, false or a quoted string.
std::string field(const std::string &json, const std::string &key)
{
	std::string k = "\"" + key + "\": ";
	size_t at = json.find(k);
	if (at == std::string::npos)
		return "<missing>";
	at += k.size();
	if (json[at] == '"')
		return json.substr(at, json.find('"', at + 1) - at + 1);
	return json.substr(at, json.find_first_of(",}", at) - at);
}

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

std::vector<std::string> runner_args(int cpu, const std::string &report, std::vector<std::string> cmd)
{
	std::vector<std::string> a{SMTCHECK_RUNNER, "--cpu", std::to_string(cpu), "--report", report, "--"};
	a.insert(a.end(), cmd.begin(), cmd.end());
	return a;
}

void expect_counters_field(const std::string &report)
{
	std::string counters = field(report, "counters");
	if (counters == "\"hardware\"") {
		EXPECT_NE(field(report, "cycles"), "null");
		EXPECT_NE(field(report, "instructions"), "null");
	} else {
		EXPECT_EQ(counters.rfind("\"perf_event_open: ", 0), 0u) << counters;
		EXPECT_EQ(field(report, "cycles"), "null");
		EXPECT_EQ(field(report, "instructions"), "null");
	}
}

TEST(Runner, PinsTheCommandAndReportsItsExit)
{
	TempDir dir;
	for (int cpu : {online_cpus().back(), online_cpus().front()}) {
		std::string report = dir.file("report.json");
		Outcome r = run(runner_args(cpu, report,
					    {"/bin/sh", "-c",
					     "grep Cpus_allowed_list /proc/self/status; read x && exit 9; exit 3"}));
		EXPECT_EQ(exit_code(r.status), 3) << r.err;
		EXPECT_EQ(r.out, "Cpus_allowed_list:\t" + std::to_string(cpu) + "\n");
		std::string json = slurp(report);
		EXPECT_EQ(json.back(), '\n');
		EXPECT_EQ(field(json, "exit_code"), "3") << json;
		EXPECT_EQ(field(json, "signal"), "null");
		EXPECT_EQ(field(json, "exec_error"), "null");
		EXPECT_EQ(field(json, "interrupted"), "false");
		EXPECT_GT(std::stoll(field(json, "wall_ns")), 0);
		expect_counters_field(json);
		EXPECT_FALSE(std::filesystem::exists(report + ".tmp"));
	}
}

TEST(Runner, CountsTheCpuTimeOfTheCommandAndItsChildren)
{
	TempDir dir;
	std::string report = dir.file("r.json");
	std::string load = std::string(SMTCHECK_TESTLOAD) + " compute --iterations 20000000 >/dev/null";
	// both computations in grandchildren: one under a subshell, one an orphan the runner reaps
	Outcome r = run(runner_args(online_cpus().front(), report,
				    {"/bin/sh", "-c", "(" + load + "); (" + load + " & wait) & wait; exit 0"}));
	ASSERT_EQ(exit_code(r.status), 0) << r.err;
	std::string json = slurp(report);
	int64_t cpu = std::stoll(field(json, "cpu_ns")), wall = std::stoll(field(json, "wall_ns"));
	EXPECT_GT(cpu, 2 * 10000000) << json;
	EXPECT_LT(cpu, wall + 50000000) << json;
}

TEST(Runner, SignalKilledCommand)
{
	TempDir dir;
	std::string report = dir.file("r.json");
	Outcome r = run(runner_args(online_cpus().front(), report, {"/bin/sh", "-c", "kill -KILL $$"}));
	EXPECT_EQ(exit_code(r.status), 128 + SIGKILL);
	std::string json = slurp(report);
	EXPECT_EQ(field(json, "exit_code"), "null") << json;
	EXPECT_EQ(field(json, "signal"), "9") << json;
}

TEST(Runner, ExecFailure)
{
	TempDir dir;
	std::string report = dir.file("r.json");
	Outcome r = run(runner_args(online_cpus().front(), report, {"/nonexistent/smtcheck-no-such-command"}));
	EXPECT_EQ(exit_code(r.status), 127);
	std::string json = slurp(report);
	EXPECT_EQ(field(json, "exec_error"), "\"execvp: No such file or directory\"") << json;
	EXPECT_EQ(field(json, "interrupted"), "false");
}

TEST(Runner, BadUsageWritesNoReport)
{
	TempDir dir;
	std::string report = dir.file("r.json");
	for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
		     {"--report", report, "true"},
		     {"--cpu", "0", "true"},
		     {"--cpu", "0", "--report", report},
		     {"--cpu", "zero", "--report", report, "true"},
		     {"--cpu", "4000", "--report", report, "true"},
		     {"--cpu", "0", "--report", dir.file("no/such/dir/r.json"), "true"},
		     {"--bogus", "--cpu", "0", "--report", report, "true"},
	     }) {
		args.insert(args.begin(), SMTCHECK_RUNNER);
		Outcome r = run(args);
		EXPECT_EQ(exit_code(r.status), 2) << args[1];
		EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
		EXPECT_FALSE(std::filesystem::exists(report));
		EXPECT_FALSE(std::filesystem::exists(report + ".tmp"));
	}
}

TEST(Runner, KillsWhatTheCommandLeavesBehind)
{
	TempDir dir;
	std::string report = dir.file("r.json");
	Outcome r = run(runner_args(online_cpus().front(), report,
				    {"/bin/sh", "-c", "sleep 100 & echo $!; setsid sleep 101 & echo $!; exit 0"}));
	EXPECT_EQ(exit_code(r.status), 0) << r.err;
	auto w = split(r.out);
	ASSERT_EQ(w.size(), 2u) << r.out;
	for (const auto &pid : w)
		EXPECT_FALSE(alive(std::stoi(pid))) << "sleep " << pid << " survived";
	EXPECT_EQ(field(slurp(report), "exit_code"), "0");
}

// A command that leaves a background child, a child that escaped to its own session and an
// orphan (whose parent exits), all still running; prints their pids and its own.
const char kFamily[] =
	"sleep 100 & echo $!; setsid sleep 101 & echo $!; sh -c 'sleep 102 & echo $!'; echo $$; wait";

std::vector<pid_t> read_family(Child &c)
{
	std::vector<pid_t> pids;
	for (int i = 0; i < 4; i++) {
		auto line = c.out.next(milliseconds(5000));
		if (!line)
			break;
		pids.push_back(std::stoi(*line));
	}
	return pids;
}

TEST(Runner, SigtermKillsEverythingAndReportsInterrupted)
{
	TempDir dir;
	std::string report = dir.file("r.json");
	const int cpu = online_cpus().back();
	Child c(runner_args(cpu, report, {"/bin/sh", "-c", kFamily}));
	std::vector<pid_t> pids = read_family(c);
	ASSERT_EQ(pids.size(), 4u);
	for (pid_t pid : pids) {
		ASSERT_TRUE(alive(pid)) << pid;
		EXPECT_EQ(cpus_allowed(pid, pid), std::to_string(cpu)) << pid;
	}
	EXPECT_EQ(getpgid(pids[3]), c.pid()) << "the command is in the runner's process group";

	kill(c.pid(), SIGTERM);
	auto st = c.wait(milliseconds(2000));
	ASSERT_TRUE(st);
	EXPECT_EQ(exit_code(*st), 128 + SIGTERM);
	EXPECT_TRUE(gone_within(pids, milliseconds(0)));
	std::string json = slurp(report);
	EXPECT_EQ(field(json, "interrupted"), "true") << json;
	EXPECT_EQ(field(json, "signal"), "9") << json;
	expect_counters_field(json);
}

TEST(Runner, DeathOfItsParentKillsEverything)
{
	TempDir dir;
	std::string report = dir.file("r.json");
	int pids_pipe[2];
	ASSERT_EQ(pipe2(pids_pipe, O_CLOEXEC), 0);
	auto args = runner_args(online_cpus().front(), report, {"/bin/sh", "-c", kFamily});

	// The runner's parent: starts it, tells its pid, and idles until it is killed.
	pid_t parent = fork();
	if (parent == 0) {
		pid_t runner = fork();
		if (runner == 0) {
			dup2(pids_pipe[1], 1);
			std::vector<char *> argv;
			for (auto &a : args)
				argv.push_back(a.data());
			argv.push_back(nullptr);
			execv(argv[0], argv.data());
			_exit(126);
		}
		std::string line = std::to_string(runner) + "\n";
		if (write(pids_pipe[1], line.data(), line.size()) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(pids_pipe[1]);
	LineReader out(pids_pipe[0]);
	std::vector<pid_t> pids;
	for (int i = 0; i < 5; i++) {
		auto line = out.next(milliseconds(5000));
		ASSERT_TRUE(line);
		pids.push_back(std::stoi(*line));
	}
	close(pids_pipe[0]);
	for (pid_t pid : pids)
		ASSERT_TRUE(alive(pid)) << pid;

	kill(parent, SIGKILL);
	waitpid(parent, nullptr, 0);
	EXPECT_TRUE(gone_within(pids, milliseconds(2000)));
	auto deadline = Clock::now() + milliseconds(2000);
	while (!std::filesystem::exists(report) && Clock::now() < deadline)
		std::this_thread::sleep_for(milliseconds(5));
	std::string json = slurp(report);
	EXPECT_EQ(field(json, "interrupted"), "true") << json;
}

// How much an injector slows a co-runner is tested from Java (InjectorEffectsTest), which waits
// for the two CPUs to share the resource at all.

}  // namespace
}  // namespace smtcheck
