#!/bin/bash
# Kernel module tests in a real kernel: build IPC_monitor.ko and
# runtime_monitor.ko against Debian's kernel (warnings are errors), build
# the static C tests of kernel/tests, boot that kernel under QEMU/TCG with
# an SMT topology and a busybox initramfs, run the tests in the guest and
# check the guest's kernel log.
#
# Usage: scripts/vm-test.sh      (as root; installs what it needs)
# Env:   VM_TEST_TIMEOUT=secs    guest wall-clock limit (default 480)
#        VM_TEST_KEEP=1          keep the work directory
#        VM_TEST_ONLY="a b"      ktest arguments: only these tests (names:
#                                ktest -l), "-r N" repeats them
#        VM_TEST_QEMU_ARGS=...   extra QEMU arguments (e.g. a monitor socket)
# Last line of output: "N passed, N failed"; exit status 0 only if all pass.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=vm/lib.sh
. "$ROOT/scripts/vm/lib.sh"

TIMEOUT=${VM_TEST_TIMEOUT:-480}
WORK=$(mktemp -d /tmp/smtcheck-vm.XXXXXX)
passed=0
failed=0

if [ "${VM_TEST_KEEP:-0}" = 1 ]; then
	vm_log "work directory (kept): $WORK"
else
	trap 'rm -rf "$WORK"' EXIT
fi

pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

start=$(date +%s)

# ---- host side: packages, kernel, builds ---------------------------------
if ! vm_install_deps; then
	fail "setup (packages could not be installed)"
	finish
fi
if ! KVER=$(vm_kernel_version); then
	fail "setup (no Debian kernel with headers)"
	finish
fi
KDIR=/lib/modules/$KVER/build
vm_log "kernel $KVER"

mkdir -p "$WORK/kernel"
cp -r "$ROOT/kernel/Kbuild" "$ROOT/kernel/Makefile" "$ROOT/kernel/include" \
	"$ROOT/kernel/module" "$ROOT/kernel/tests" "$WORK/kernel/" ||
	{ fail "setup (copy kernel/)"; finish; }
(cd "$WORK/kernel" && make clean KDIR="$KDIR" >/dev/null 2>&1)
make -C "$KDIR" M="$WORK/kernel" KCFLAGS=-Werror modules >"$WORK/build.log" 2>&1
brc=$?
grep -i 'warning' "$WORK/build.log" |
	grep -v 'the compiler differs from the one used to build' >"$WORK/warnings"
if [ "$brc" -eq 0 ] && [ ! -s "$WORK/warnings" ]; then
	pass "build-modules (warning-free against $KVER)"
else
	cat "$WORK/build.log"
	fail "build-modules"
	finish
fi
if make -C "$WORK/kernel/tests" >"$WORK/tests-build.log" 2>&1; then
	pass "build-tests"
else
	cat "$WORK/tests-build.log"
	fail "build-tests"
	finish
fi

# ---- guest ---------------------------------------------------------------
R=$WORK/root
vm_new_root "$R" || { fail "setup (initramfs)"; finish; }
mkdir -p "$R/ktest"
cp "$WORK/kernel/IPC_monitor.ko" "$WORK/kernel/runtime_monitor.ko" \
	"$WORK/kernel/tests/ktest" "$R/ktest/"
sed -e "s|@TESTS@|${VM_TEST_ONLY:-}|" \
	"$ROOT/scripts/vm/ktest-init.sh" >"$WORK/init"
vm_set_init "$R" "$WORK/init"
vm_pack_root "$R" "$WORK/initrd.gz" || { fail "setup (cpio)"; finish; }

vm_log "booting (limit ${TIMEOUT}s)"
# ttyS0: test output; ttyS1 (the kernel console): the whole kernel log
vm_boot "/boot/vmlinuz-$KVER" "$WORK/initrd.gz" "$WORK/console.raw" "$TIMEOUT" \
	"console=ttyS1 ignore_loglevel" -serial "file:$WORK/kmsg.raw" \
	${VM_TEST_QEMU_ARGS:-}
qrc=$?
tr -d '\r' <"$WORK/console.raw" >"$WORK/console.log"
tr -d '\r' <"$WORK/kmsg.raw" >"$WORK/kmsg.log" 2>/dev/null
vm_log "guest ran $(($(date +%s) - start))s in total (qemu status $qrc)"

LOG=$WORK/console.log
if ! grep -q '^KTEST BOOTED' "$LOG"; then
	tail -n 60 "$LOG" "$WORK/kmsg.log"
	fail "guest-boot (the guest never came up)"
	finish
fi
pass "guest-boot"

# the tests' own output, minus the kernel log
sed -n '/^KTEST BOOTED/,/^KTEST DONE/p' "$LOG" |
	grep -v '^KTEST \(PASS\|FAIL\|DONE\)' | sed 's/^/  guest| /'

current=
while IFS= read -r line; do
	case $line in
	"KTEST RUN "*) current=${line#KTEST RUN } ;;
	"KTEST PASS "*) pass "${line#KTEST PASS }"; current= ;;
	"KTEST FAIL "*) fail "${line#KTEST FAIL }"; current= ;;
	esac
done < <(grep '^KTEST \(RUN\|PASS\|FAIL\) ' "$LOG")

if ! grep -q '^KTEST DONE ' "$LOG"; then
	[ -n "$current" ] && fail "$current (guest stopped during this test)"
	echo "--- kernel log (tail) ---"
	tail -n 80 "$WORK/kmsg.log"
	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		fail "guest-finished (hung: killed after ${TIMEOUT}s)"
	else
		fail "guest-finished (guest died, qemu status $qrc)"
	fi
	finish
fi

# the guest kernel log must be clean
if ! grep -q 'Run /init' "$WORK/kmsg.log"; then
	fail "dmesg-clean (kernel log not received)"
elif grep -E 'BUG|WARNING|Oops|general protection' "$WORK/kmsg.log"; then
	fail "dmesg-clean (see the lines above; log: kmsg.log)"
else
	pass "dmesg-clean ($(grep -c 'IPC_monitor: loaded' "$WORK/kmsg.log") loads of IPC_monitor)"
fi
if [ "$qrc" -ne 0 ]; then
	fail "guest-poweroff (qemu status $qrc)"
fi
finish
