# shellcheck shell=bash
# The checks of the test scripts that run commands as a user would: each passes when the command
# exits as expected and prints a line matching a pattern, and counts into `passed` and `failed`.
passed=0
failed=0

# check NAME EXPECTED_RC PATTERN COMMAND...: runs COMMAND; shows its output when it fails.
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
