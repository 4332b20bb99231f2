#!/usr/bin/env bash
# Installs what the build and the tests need, then runs every test: the native library's C++ tests
# (ctest) and the Java tests (JUnit), both from Maven; checks of the built jar's command line; the
# Kubernetes manifest; the metrics endpoint scraped by a real Prometheus; the Debian packages
# (built, linted, installed, upgraded, removed and purged in a chroot); the daemon with a real
# one-node Slurm on this host; the kernel modules' deployment (dkms, make install); their tests
# inside a QEMU guest, on Debian's kernels, on a debug kernel built from Debian's source (once,
# then cached) and on Debian's arm64 kernel in an emulated arm64 machine whose PMU counts (modules
# cross-built); and the whole system (daemon jar + modules) end to end inside a QEMU guest. Ends
# with one line "N passed, N failed" over all of them and exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/packages.sh
. scripts/lib/packages.sh
ensure_packages "${BUILD_PACKAGES[@]}" libxml2-utils || exit 1

passed=0
failed=0
failed_stages=()

# Sums the tests/failures/errors attributes of JUnit XML reports.
count_junit() {
	local f tests fails errs skips
	for f in "$@"; do
		[ -f "$f" ] || continue
		tests=$(xmllint --xpath 'string((//testsuite)[1]/@tests)' "$f")
		fails=$(xmllint --xpath 'string((//testsuite)[1]/@failures)' "$f")
		errs=$(xmllint --xpath 'string((//testsuite)[1]/@errors)' "$f")
		skips=$(xmllint --xpath 'string((//testsuite)[1]/@skipped)' "$f")
		fails=$(( ${fails:-0} + ${errs:-0} ))
		passed=$(( passed + ${tests:-0} - fails - ${skips:-0} ))
		failed=$(( failed + fails ))
	done
}

stage() {
	echo
	echo "=== $1"
}

stage "build, C++ tests and Java tests (mvn verify)"
# A failing Java test is counted from its report below; the jar is still built, so that the later
# stages still run and show what they show.
if ! mvn -B -ntp verify -Dmaven.test.failure.ignore=true; then
	failed_stages+=("mvn verify")
fi
count_junit target/native/ctest-results.xml target/surefire-reports/TEST-*.xml

# counted_stage TITLE NAME SCRIPT [ARGS...]: runs one test script, showing its output, and adds its
# closing "N passed, N failed" line to the totals; a script that exits non-zero, or ends without
# that line, fails its stage.
counted_stage() {
	local title=$1 name=$2 script=$3 out_file rc line
	shift 3
	stage "$title ($script${*:+ $*})"
	out_file=$(mktemp)
	"$script" "$@" 2>&1 | tee "$out_file"
	rc=${PIPESTATUS[0]}
	line=$(tail -n 1 "$out_file")
	rm -f "$out_file"
	if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$(( passed + BASH_REMATCH[1] ))
		failed=$(( failed + BASH_REMATCH[2] ))
	else
		echo "$script ended without its \"N passed, N failed\" line" >&2
		[ "$rc" -ne 0 ] || rc=1
	fi
	[ "$rc" -eq 0 ] || failed_stages+=("$name (exit $rc)")
}

if [ -f target/smtcheck-daemon.jar ]; then
	counted_stage "command line of the built jar" "jar checks" scripts/jar-test.sh
	counted_stage "the Kubernetes manifest and image definition" "kubernetes checks" scripts/k8s-test.sh
	counted_stage "the metrics endpoint scraped by a real Prometheus" "metrics" scripts/metrics-test.sh
	counted_stage "Debian packages: build, lintian, install, upgrade, remove, purge in a chroot" deb-test scripts/deb-test.sh
	counted_stage "the daemon with a real Slurm on this host: munged, slurmctld, slurmd" slurm-test \
		scripts/slurm-test.sh
else
	failed_stages+=("jar checks, kubernetes checks, metrics, deb-test and slurm-test (no jar was built)")
fi
counted_stage "deployment of the kernel modules: dkms and make install" dkms-test scripts/dkms-test.sh
counted_stage "kernel modules in a QEMU guest" vm-test scripts/vm-test.sh
counted_stage "kernel modules in a QEMU guest on a debug kernel (lockdep, KASAN, kmemleak)" \
	vm-test-debug scripts/vm-test.sh --debug-kernel
counted_stage "kernel modules and the daemon in arm64 QEMU guests with hardware counters (PMU)" \
	vm-test-arm64 scripts/vm-test.sh --arch arm64
counted_stage "the whole system in a QEMU guest: daemon + modules" e2e-test scripts/e2e-test.sh

echo
if [ ${#failed_stages[@]} -gt 0 ]; then
	echo "failed: ${failed_stages[*]}"
	[ "$failed" -gt 0 ] || failed=1
fi
echo "$passed passed, $failed failed"
[ ${#failed_stages[@]} -eq 0 ] && [ "$failed" -eq 0 ]
