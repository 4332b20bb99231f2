#!/usr/bin/env bash
# Checks the packaged jar as a user runs it: the native library loads from inside the jar, plans
# come out right, and bad input gives one line and the documented exit code.
set -uo pipefail
cd "$(dirname "$0")/.."
jar=target/smtcheck-daemon.jar
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {
	local name=$1 expected_rc=$2 pattern=$3
	shift 3
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$expected_rc" ] && grep -qE -- "$pattern" <<<"$out"; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name (exit $rc, expected $expected_rc; wanted /$pattern/)"
		sed 's/^/     /' <<<"$out"
	fi
}

examples=scripts/examples/scores.json
check "plan on this machine" 0 '^mode (exact|greedy), total score' java -jar "$jar" plan --scores "$examples"
check "plan as JSON" 0 '"total"' java -jar "$jar" plan --scores "$examples" --topology "0,1" --json
check "native library from an explicit path" 0 '"mode" : "exact"' \
	env SMTCHECK_NATIVE_LIBRARY="$PWD/target/classes/META-INF/native/linux-x86_64/libsmtcheck.so" \
	java -jar "$jar" plan --scores "$examples" --topology "0" --json
check "missing native library override" 3 'not readable' \
	env SMTCHECK_NATIVE_LIBRARY=/nonexistent/libsmtcheck.so java -jar "$jar" plan --scores "$examples"
echo '{"workloads":[{"id":"a"}],"matrix":[[0,1]]}' >"$tmp/bad.json"
check "bad matrix" 1 "^plan: .*bad.json: score matrix row 0 \('a'\) has 2 entries" \
	java -jar "$jar" plan --scores "$tmp/bad.json"
check "offline CPU" 1 "is not online" java -jar "$jar" plan --scores "$examples" --topology "0;9999"
check "usage error" 2 "Missing required option" java -jar "$jar" plan
check "help lists exit codes" 0 "Exit codes:" java -jar "$jar" plan --help

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
