#!/usr/bin/env bash
# The metrics endpoint as a real Prometheus (Debian's) scrapes it: the built jar's `run
# --metrics-port` with two launched groups, Prometheus scraping it every second; each series
# queried from Prometheus must hold what `smtcheck status --json` says, and every expression of the
# Grafana dashboard must be valid PromQL over series Prometheus has. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/packages.sh
. scripts/lib/packages.sh
ensure_packages "${METRICS_TEST_PACKAGES[@]}" || exit 1
jar=target/smtcheck-daemon.jar
dashboard=scripts/grafana/smtcheck-dashboard.json
passed=0
failed=0
tmp=$(mktemp -d)
pids=()
# Whatever happens, nothing started here outlives the script.
stop_all() {
	local p
	# The launched groups first: `launch` printed each one's process group.
	for p in $(cat "$tmp"/launch-*.log 2>/dev/null | grep -oE 'process group [0-9]+' | grep -oE '[0-9]+$'); do
		kill -TERM -- "-$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	pids=()
}
trap 'stop_all; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

pass() {
	passed=$((passed + 1))
	echo "ok   $1"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL $1"
	[ $# -lt 2 ] || sed 's/^/     /' <<<"$2"
}

# A loopback port nothing listens on (bash connects to find out).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# eventually SECONDS COMMAND...: true once COMMAND succeeds, within SECONDS.
eventually() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.5
	done
}

metrics_port=$(free_port)
prometheus_port=$(free_port)
while [ "$prometheus_port" = "$metrics_port" ]; do prometheus_port=$(free_port); done
state=$tmp/state
socket=$tmp/control.sock

# The daemon: userspace monitor, the sample profiles, one two-CPU core of this machine.
setsid java -jar "$jar" run --userspace --sample-profiles --threshold 1 --interval 0.2 --topology 0,1 \
	--state-dir "$state" --socket "$socket" --data-dir "$tmp/data" --metrics-port "$metrics_port" \
	>"$tmp/daemon.log" 2>&1 &
pids+=($!)
# Two groups with known profiles (dgemm, job 101; stream-copy, job 102), idle.
for job in 101 102; do
	setsid java -jar "$jar" launch --job "$job" --state-dir "$state" --socket "$socket" -- sleep 300 \
		>"$tmp/launch-$job.log" 2>&1 &
	pids+=($!)
done

cat >"$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: smtcheck
    scrape_interval: 1s
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
YAML
setsid prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$prometheus_port" >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
api=http://127.0.0.1:$prometheus_port/api/v1

target_up() {
	[ "$(curl -sf "$api/targets" | jq -r '.data.activeTargets[0].health')" = up ]
}
if eventually 120 target_up; then
	pass "Prometheus reports the daemon's endpoint up"
else
	fail "Prometheus reports the daemon's endpoint up" "$(curl -s "$api/targets"; tail -n 20 "$tmp/daemon.log" "$tmp/prometheus.log")"
fi

status() {
	java -jar "$jar" status --socket "$socket" --json
}

# query PROMQL: the value of its one series, or nothing.
query() {
	curl -sf --get "$api/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'
}

both_pinned() {
	status >"$tmp/status.json" 2>/dev/null &&
		[ "$(jq '[.workloads[] | select(.cpus | length > 0)] | length' "$tmp/status.json")" = 2 ]
}
if eventually 120 both_pinned; then
	pass "the daemon pins both groups"
else
	fail "the daemon pins both groups" "$(cat "$tmp/status.json"; tail -n 20 "$tmp/daemon.log")"
fi

# Each check: a PromQL query and the jq expression of `status --json` that gives its value; the
# state stops changing once both are pinned, and Prometheus catches up within a few scrapes.
matches() {
	local promql=$1 expected_jq=$2 expected got
	status >"$tmp/now.json" 2>/dev/null || return 1
	expected=$(jq -r "$expected_jq" "$tmp/now.json")
	got=$(query "$promql")
	[ -n "$got" ] && [ -n "$expected" ] && [ "$expected" != null ] &&
		awk -v a="$got" -v b="$expected" 'BEGIN { d = a - b; exit !(d < 1e-9 && d > -1e-9) }'
}
check() {
	local promql=$1 expected_jq=$2
	if eventually 30 matches "$promql" "$expected_jq"; then
		pass "$promql = status $expected_jq ($(query "$promql"))"
	else
		fail "$promql = status $expected_jq" "Prometheus: $(query "$promql"); status: $(jq -c "$expected_jq" "$tmp/now.json")"
	fi
}
check smtcheck_workloads '.workloads | length'
check smtcheck_pairs '[.cores[] | select(.workloads | length == 2)] | length'
check smtcheck_pins_applied_total '.counters.pins'
check smtcheck_plans_total '.counters.plans'
check smtcheck_events_total '.counters.events'
check 'smtcheck_errors_total{kind="pin"}' '.counters.errorsByKind.pin'
check smtcheck_store_failures_total '.counters.errorsByKind.store'
check 'smtcheck_monitor_info{kind="userspace"}' '1'
check smtcheck_store_up 'if (.storeHealth | startswith("ok")) then 1 else 0 end'
check smtcheck_event_to_pin_latency_seconds_count '.eventToPinMs.samples'
check smtcheck_observed_samples_unwritten_total '.counters.observedUnwritten'
for kind in stopped unchanged wentBack jumped fasterThanAlone ambiguous; do
	check "smtcheck_observed_windows_discarded_total{kind=\"$kind\"}" ".counters.windowsDiscardedByKind.$kind"
done
for pgid in $(jq -r '.workloads[].pgid' "$tmp/status.json"); do
	check "smtcheck_workload_predicted_slowdown_ratio{pgid=\"$pgid\"}" ".workloads[] | select(.pgid == $pgid) | .predictedSlowdown"
done
format=$(jq -r '.modelFormat' "$tmp/status.json")
check "smtcheck_model_info{format=\"$format\"}" '1'

# The dashboard: each expression, its Grafana variables filled in, is valid PromQL and names only
# series Prometheus has scraped (the in-situ windows exist only while a profile runs, an observed
# slowdown only with hardware counters).
names=$(curl -sf "$api/label/__name__/values" | jq -r '.data[]')
while IFS= read -r expr; do
	promql=${expr//\$instance/.*}
	answer=$(curl -s --get "$api/query" --data-urlencode "query=$promql")
	unknown=""
	for name in $(grep -oE 'smtcheck_[a-z0-9_]+' <<<"$promql" | sort -u); do
		case $name in smtcheck_insitu_windows | smtcheck_insitu_windows_done | smtcheck_workload_observed_slowdown_ratio) continue ;; esac
		grep -qx "$name" <<<"$names" || unknown="$unknown $name"
	done
	if [ "$(jq -r .status <<<"$answer")" = success ] && [ -z "$unknown" ]; then
		pass "dashboard: $expr"
	else
		fail "dashboard: $expr" "$answer${unknown:+ (not scraped:$unknown)}"
	fi
done < <(jq -r '.. | objects | .expr? // empty' "$dashboard")

stop_all
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
