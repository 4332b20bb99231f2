#!/usr/bin/env bash
# Measures the daemon with the packaged jar, the service's JVM options and the userspace monitor:
#  1. N groups (default 64) arrive at once and are placed: the start-up burst, also JIT warm-up;
#  2. after `reset --counters`, M more groups (default 40) arrive one at a time, about a second
#     apart: event-to-pin latency from the daemon's own timestamps (status: eventToPinMs);
#  3. they leave, and with N groups managed the daemon sits idle: its RSS and CPU share.
#
#   scripts/bench-daemon.sh [N] [IDLE_SECONDS] [M]
set -euo pipefail
cd "$(dirname "$0")/.."
groups=${1:-64}
idle=${2:-60}
singles=${3:-40}
jar=target/smtcheck-daemon.jar
tools=target/native
[ -f "$jar" ] || { echo "build first: mvn package" >&2; exit 1; }
work=$(mktemp -d)
pids=()
# The groups go first, so that the daemon has nothing left to restore; a daemon that does not stop
# within 10 s is killed, so that the script always ends (and with it, the pipe it writes to).
cleanup() {
	for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
	pkill -P $$ -x sleep 2>/dev/null || true # what kept each group's standard input open
	if [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null; then
		for _ in $(seq 1 100); do
			kill -0 "$daemon" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

opts=$(sed -n 's/^Environment="JAVA_TOOL_OPTIONS=\(.*\)"$/\1/p' scripts/smtcheck.service)
[ -n "$opts" ] || { echo "no JAVA_TOOL_OPTIONS in scripts/smtcheck.service" >&2; exit 1; }
mkdir -p "$work/run/launched"
# The groups: each a leader with one extra thread, sleeping; recorded as launched jobs of the
# shipped sample profiles, so that the daemon scores them for real.
# shellcheck source=lib/bench-groups.sh
. scripts/lib/bench-groups.sh
start_group() { start_launched_group "$tools" "$work/run/launched" "$1" 1; }
for i in $(seq 1 "$groups"); do
	start_group "$i"
done

# shellcheck disable=SC2086
JAVA_TOOL_OPTIONS="$opts ${BENCH_JAVA_OPTS:-}" java -jar "$jar" run --userspace --sample-profiles --threshold 1 --interval 1 \
	--socket "$work/run/control.sock" --state-dir "$work/run" --data-dir "$work/data" >"$work/daemon.log" 2>&1 &
daemon=$!
status() { java -jar "$jar" status --socket "$work/run/control.sock" --json 2>/dev/null; }
managed() { status | grep -c '"pgid"' || true; }
for _ in $(seq 1 240); do
	[ "$(managed)" -ge "$groups" ] && break
	sleep 0.5
done
burst=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["eventToPinMs"])')
java -jar "$jar" reset --counters --socket "$work/run/control.sock" >/dev/null
first_single=${#pids[@]}
for i in $(seq 1 "$singles"); do
	start_group $((groups + i))
	sleep 1.05
done
for _ in $(seq 1 60); do
	[ "$(managed)" -ge $((groups + singles)) ] && break
	sleep 0.5
done
status >"$work/status.json"
# The single arrivals leave again, so that the idle phase has N groups.
for p in "${pids[@]:$first_single}"; do kill "$p" 2>/dev/null || true; done
for _ in $(seq 1 60); do
	[ "$(managed)" -le "$groups" ] && break
	sleep 0.5
done
managed=$(managed)
sleep 20 # let start-up work settle before measuring idle
ticks() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
# Per thread: name and CPU ticks, to see where idle time goes.
threads() {
	for t in /proc/"$daemon"/task/*; do
		printf '%s\t%s\t%s\n' "${t##*/}" "$(awk '{print $14 + $15}' "$t/stat")" "$(cat "$t/comm")"
	done | sort
}
threads >"$work/threads.0"
t0=$(ticks)
s0=$(date +%s.%N)
sleep "$idle"
t1=$(ticks)
s1=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")
threads >"$work/threads.1"
echo "busiest threads while idle (ticks of 1/$(getconf CLK_TCK) s):"
join -t $'\t' "$work/threads.0" "$work/threads.1" 2>/dev/null | awk -F'\t' '{d=$4-$2; if (d>0) print d"\t"$3}' | sort -rn | head -8
hz=$(getconf CLK_TCK)
echo "start-up burst of $groups (before the reset): $burst"
python3 - "$work/status.json" "$managed" "$t0" "$t1" "$s0" "$s1" "$hz" "$rss" <<'PY'
import json, sys
status = json.load(open(sys.argv[1]))
managed, t0, t1, s0, s1, hz, rss = sys.argv[2:]
lat = status["eventToPinMs"]
if not lat.get("samples"):
    lat = {"median": float("nan"), "p99": float("nan"), "max": float("nan"), "samples": 0}
cpu = (int(t1) - int(t0)) / int(hz) / (float(s1) - float(s0)) * 100
print(f"managed groups while idle: {managed}")
print(f"event-to-pin ms, single arrivals: median {lat['median']:.3f}, p99 {lat['p99']:.3f}, max {lat['max']:.3f} ({lat['samples']} events)")
print(f"idle CPU: {cpu:.2f} % of one core over {float(s1) - float(s0):.0f} s")
print(f"RSS: {int(rss) / 1024:.1f} MiB")
PY
