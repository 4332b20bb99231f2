#!/bin/bash
# The whole system in a real kernel: builds IPC_monitor.ko and
# runtime_monitor.ko against Debian's kernel, boots that kernel under QEMU
# with an SMT topology (2 cores x 2 threads), and runs the daemon jar, jobs
# under `smtcheck launch` and the checks of scripts/e2e/guest_test.py inside
# the guest, with this machine's root (its JDK, the built jar) shared
# read-only over 9p and a work directory shared read-write.  Then checks the
# guest's kernel log.  Needs the built jar and native tools (mvn verify).
#
# Usage: scripts/e2e-test.sh     (as root; installs what it needs)
# Env:   E2E_TIMEOUT=secs        guest wall-clock limit (default 900)
#        E2E_KEEP=1              keep the work directory (logs, kernel log)
# Last line of output: "N passed, N failed"; exit status 0 only if all pass.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=vm/lib.sh
. "$ROOT/scripts/vm/lib.sh"

TIMEOUT=${E2E_TIMEOUT:-900}
vm_workdir e2e "${E2E_KEEP:-0}"

# ---- host side -----------------------------------------------------------
if ! vm_install_deps; then
	fail "setup (packages could not be installed)"
	finish
fi
if [ ! -x /usr/bin/python3 ]; then
	apt-get install -y -q --no-install-recommends python3 >&2 ||
		{ fail "setup (no /usr/bin/python3)"; finish; }
fi
for f in target/smtcheck-daemon.jar target/native/smtcheck-testproc \
	target/native/smtcheck-control-client; do
	[ -e "$ROOT/$f" ] || { fail "setup ($f is missing: run mvn verify first)"; finish; }
done
if ! KVER=$(vm_kernel_version); then
	fail "setup (no Debian kernel with headers)"
	finish
fi
KDIR=/lib/modules/$KVER/build
vm_log "kernel $KVER"

mkdir -p "$WORK/kernel" "$WORK/share"
cp -r "$ROOT/kernel/Kbuild" "$ROOT/kernel/Makefile" "$ROOT/kernel/include" \
	"$ROOT/kernel/module" "$WORK/kernel/" || { fail "setup (copy kernel/)"; finish; }
(cd "$WORK/kernel" && make clean KDIR="$KDIR" >/dev/null 2>&1)
if make -C "$KDIR" M="$WORK/kernel" KCFLAGS=-Werror modules >"$WORK/build.log" 2>&1; then
	cp "$WORK/kernel/IPC_monitor.ko" "$WORK/kernel/runtime_monitor.ko" "$WORK/share/"
else
	cat "$WORK/build.log"
	fail "setup (build the modules)"
	finish
fi

R=$WORK/root
vm_new_root "$R" || { fail "setup (initramfs)"; finish; }
mkdir -p "$R/mods"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
	virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
	f=$(find "/lib/modules/$KVER/kernel" -name "$m.ko" | head -n 1)
	[ -n "$f" ] || { fail "setup (no $m.ko in /lib/modules/$KVER)"; finish; }
	cp "$f" "$R/mods/"
done
vm_set_init "$R" "$ROOT/scripts/e2e/init.sh"
vm_pack_root "$R" "$WORK/initrd.gz" || { fail "setup (cpio)"; finish; }

# ---- the guest -----------------------------------------------------------
# The modules are loaded once and IPC_monitor stays in.  Enabling the
# sched_switch trace event at boot means registering IPC_monitor's probe
# patches no code, so the vCPUs may run in parallel (multi-threaded TCG).
vm_log "booting (limit ${TIMEOUT}s)"
t0=$(date +%s)
VM_ACCEL=tcg VM_MEM=2G vm_boot "/boot/vmlinuz-$KVER" "$WORK/initrd.gz" \
	"$WORK/console.raw" "$TIMEOUT" \
	"console=ttyS1 ignore_loglevel trace_event=sched:sched_switch" \
	-serial "file:$WORK/kmsg.raw" \
	-fsdev local,id=r,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
	-fsdev "local,id=s,path=$WORK/share,security_model=none" \
	-device virtio-9p-pci,fsdev=s,mount_tag=share \
	-fsdev "local,id=src,path=$ROOT,security_model=none,readonly=on,multidevs=remap" \
	-device virtio-9p-pci,fsdev=src,mount_tag=repo
qrc=$?
tr -d '\r' <"$WORK/console.raw" >"$WORK/console.log"
tr -d '\r' <"$WORK/kmsg.raw" >"$WORK/kmsg.log" 2>/dev/null
vm_log "guest ran $(($(date +%s) - t0))s (qemu status $qrc)"

if ! grep -q '^E2E BOOTED' "$WORK/console.log"; then
	tail -n 60 "$WORK/console.log" "$WORK/kmsg.log"
	fail "guest-boot (the guest never came up)"
	finish
fi
pass "guest-boot"

grep -v '^E2E \(PASS\|FAIL\|DONE\)' "$WORK/console.log" | sed 's/^/  guest| /'
guest_results E2E "$WORK/console.log"

if ! grep -q '^E2E DONE ' "$WORK/console.log"; then
	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		fail "guest-finished (killed after ${TIMEOUT}s)"
	else
		fail "guest-finished (guest died, qemu status $qrc)"
	fi
fi
if [ "$failed" -gt 0 ] || ! grep -q '^E2E DONE ' "$WORK/console.log"; then
	echo "--- daemon log (tail) ---"
	tail -n 80 "$WORK/share/daemon.log" 2>/dev/null
	echo "--- kernel log (tail) ---"
	tail -n 40 "$WORK/kmsg.log"
fi

if ! grep -q 'Run /init' "$WORK/kmsg.log"; then
	fail "dmesg-clean (kernel log not received)"
elif grep -E 'BUG|WARNING|Oops|general protection' "$WORK/kmsg.log"; then
	fail "dmesg-clean (see the lines above)"
else
	pass "dmesg-clean ($(grep -c 'runtime_monitor: loaded' "$WORK/kmsg.log") loads of runtime_monitor)"
fi
[ "$qrc" -eq 0 ] || fail "guest-poweroff (qemu status $qrc)"
finish
