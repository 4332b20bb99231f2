#!/usr/bin/env bash
# Measures what one `smtcheck status` costs: CPU time (user + system) and wall time of the Java
# command (`java -jar smtcheck-daemon.jar status`) and of the native client the installed
# `smtcheck` runs for it, asked in turn (Java, native, Java, ...) of one dry-run daemon that
# manages G launched groups. Prints each one's median and the ratio of the medians.
#
#   scripts/bench-status.sh [CALLS] [GROUPS]      (defaults: 21 rounds, 16 groups)
#
# A round is one call of the Java command, then 50 of the native client in a row (timed together:
# time(1) counts in 10 ms steps).
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-21}
groups=${2:-16}
jar=target/smtcheck-daemon.jar
client=target/classes/META-INF/native/linux-x86_64/bin/smtcheck-status
[ -f "$jar" ] && [ -x "$client" ] || { echo "build first: mvn package" >&2; exit 1; }
# shellcheck source=lib/packages.sh
. scripts/lib/packages.sh
ensure_packages time
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
	pkill -P $$ -x sleep 2>/dev/null || true # what kept each group's standard input open
	[ -z "${daemon:-}" ] || { kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true; }
	rm -rf "$work"
	return 0
}
trap cleanup EXIT
trap 'exit 143' TERM INT

tools=target/native
mkdir -p "$work/state/launched"
# shellcheck source=lib/bench-groups.sh
. scripts/lib/bench-groups.sh
for i in $(seq 1 "$groups"); do
	start_launched_group "$tools" "$work/state/launched" "$i" 0
done
java -jar "$jar" run --dry-run --userspace --sample-profiles --threshold 1 --socket "$work/control.sock" \
	--state-dir "$work/state" --data-dir "$work/data" >"$work/daemon.log" 2>&1 &
daemon=$!
n=0
for _ in $(seq 1 240); do
	n=$("$client" --socket "$work/control.sock" --json 2>/dev/null | grep -c '"job" :' || true)
	[ "$n" -ge "$groups" ] && break
	sleep 0.5
done
echo "daemon manages $n groups; $calls calls of each, in turn; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# measure FILE REPEATS COMMAND...: appends "cpu_seconds wall_seconds" per call, of REPEATS calls in
# a row (time(1) counts in 10 ms steps: a call that costs less is timed over many).
measure() {
	local file=$1 repeats=$2
	shift 2
	/usr/bin/time -f "%U %S %e" -o "$work/t" bash -c 'for _ in $(seq 1 "$0"); do "$@" >/dev/null; done' "$repeats" "$@"
	awk -v n="$repeats" '{ printf "%.4f %.4f\n", ($1 + $2) / n, $3 / n }' "$work/t" >>"$file"
}
for _ in $(seq 1 "$calls"); do
	measure "$work/java" 1 java -jar "$jar" status --socket "$work/control.sock"
	measure "$work/native" 50 "$client" --socket "$work/control.sock"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for kind in java native; do
	printf '%-7s median CPU %s s, median wall %s s\n' "$kind" "$(cut -d' ' -f1 "$work/$kind" | median)" \
		"$(cut -d' ' -f2 "$work/$kind" | median)"
done
java_cpu=$(cut -d' ' -f1 "$work/java" | median)
native_cpu=$(cut -d' ' -f1 "$work/native" | median)
awk -v j="$java_cpu" -v n="$native_cpu" 'BEGIN { if (n > 0) printf "CPU ratio java/native: %.0f\n", j / n; else print "native CPU: under 0.2 ms a call" }'
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
