#!/bin/bash
# Kernel module tests in a real kernel: build IPC_monitor.ko and
# runtime_monitor.ko against Debian's kernel (warnings are errors), build
# the static C tests of kernel/tests, boot that kernel under QEMU/TCG with
# an SMT topology and a busybox initramfs, run the tests in the guest and
# check the guest's kernel log.  A third, short guest runs the counting
# tests on Debian's PREEMPT_RT kernel (built against its own headers).
#
# --debug-kernel runs the tests instead on a kernel built from Debian's
# linux-source-6.1 with lockdep, KASAN, UBSAN, debug objects, list debugging
# and kmemleak (scripts/vm/debug-kernel.config; built once, about 20
# minutes, then reused from /var/cache/smtcheck/kernels), and passes only
# with no splat in the kernel log and no leak that kmemleak suspects.  It
# also runs checkpatch and sparse (W=1) from that source over the modules.
#
# --arch arm64 runs them instead on Debian's arm64 kernel in an emulated
# arm64 machine whose PMU counts (QEMU's icount), so IPC_monitor runs in
# hardware mode there; modules and tests are cross-built.  A second, short
# guest boots without icount, where the PMU has no instruction counter.
# Two more guests run the daemon jar on Debian's arm64 Java runtime (cached
# in /var/cache/smtcheck/arm64-jre) with the cross-built libsmtcheck.so: a
# group of known work is charged in `status` what it counted itself, with
# the kernel monitor (the table) and the userspace one (perf_event_open).
# With the kernel monitor a long-running group is then profiled in situ
# (short windows, the cross-built smtcheck-inject on the borrowed core's
# sibling), and two groups on sibling CPUs must show observed slowdowns.
# Without icount the daemon must show software mode and no IPC, and refuse
# the in-situ profile.
#
# Usage: scripts/vm-test.sh [--debug-kernel | --arch arm64]
#        (as root; installs what it needs)
# Env:   VM_TEST_TIMEOUT=secs    guest wall-clock limit (default 420 for the
#                                main guest, 150 for the parallel one, 240
#                                for the PREEMPT_RT one; arm64: 420 and 150,
#                                900 for each daemon guest)
#        VM_TEST_KEEP=1          keep the work directory
#        VM_TEST_ONLY="a b"      one guest, these ktest arguments: only these
#                                tests (names: ktest -l), "-r N" repeats them;
#                                with --arch arm64, "daemon": the daemon
#                                guests only
#        VM_ACCEL=tcg            with VM_TEST_ONLY: multi-threaded TCG
#        VM_KERNEL=rt            with VM_TEST_ONLY: the PREEMPT_RT kernel
#        VM_KERNEL_CACHE=dir     where debug kernels are kept
#        VM_TEST_APPEND=...      extra kernel command line
#        VM_TEST_QEMU_ARGS=...   extra QEMU arguments (e.g. a monitor socket)
#        The fuzz test prints its seed; VM_TEST_APPEND="KTEST_FUZZ_SEED=N
#        KTEST_FUZZ_COUNT=N" replays or lengthens it (the kernel hands such
#        words to /init as environment variables).
# Last line of output: "N passed, N failed"; exit status 0 only if all pass.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=vm/lib.sh
. "$ROOT/scripts/vm/lib.sh"

DEBUG=0
ARCH=x86_64
case ${1:-} in
--debug-kernel) DEBUG=1 ;;
--arch)
	case ${2:-} in
	arm64 | x86_64) ARCH=$2 ;;
	*)
		echo "usage: $0 [--debug-kernel | --arch arm64]" >&2
		exit 2
		;;
	esac
	;;
"") ;;
*)
	echo "usage: $0 [--debug-kernel | --arch arm64]" >&2
	exit 2
	;;
esac

TIMEOUT=${VM_TEST_TIMEOUT:-420}
vm_workdir vm "${VM_TEST_KEEP:-0}"

# ---- host side: packages, kernel, builds ---------------------------------
if ! vm_install_deps $([ "$DEBUG" = 1 ] && echo "$VM_DEBUG_PACKAGES") \
	$([ "$ARCH" = arm64 ] && echo "$VM_ARM64_PACKAGES"); then
	fail "setup (packages could not be installed)"
	finish
fi
if [ "$DEBUG" = 1 ]; then
	if ! DEBUG_DIR=$(vm_debug_kernel); then
		fail "setup (the debug kernel could not be built)"
		finish
	fi
	vm_log "debug kernel $DEBUG_DIR"
elif [ "$ARCH" = arm64 ]; then
	if ! A64VER=$(vm_arm64_kernel "$WORK/arm64"); then
		fail "setup (Debian's arm64 kernel could not be downloaded)"
		finish
	fi
	vm_log "arm64 kernel $A64VER"
	A64=$WORK/arm64/root
else
	if ! KVER=$(vm_kernel_version); then
		fail "setup (no Debian kernel with headers)"
		finish
	fi
	if ! RTVER=$(vm_kernel_version rt); then
		fail "setup (no Debian PREEMPT_RT kernel with headers)"
		finish
	fi
	vm_log "kernels $KVER, $RTVER"
fi

# build_modules KDIR DIR [MAKE ARGS...]: copy kernel/ to DIR and build it
# warning-free against the kernel build tree KDIR
build_modules() {
	local kdir=$1 dir=$2 brc
	shift 2
	mkdir -p "$dir"
	cp -r "$ROOT/kernel/Kbuild" "$ROOT/kernel/Makefile" "$ROOT/kernel/include" \
		"$ROOT/kernel/module" "$ROOT/kernel/tests" "$dir/" ||
		{ fail "setup (copy kernel/)"; return 1; }
	(cd "$dir" && make clean KDIR="$kdir" >/dev/null 2>&1)
	make -C "$kdir" M="$dir" KCFLAGS=-Werror "$@" modules >"$dir/build.log" 2>&1
	brc=$?
	grep -i 'warning' "$dir/build.log" |
		grep -v 'the compiler differs from the one used to build' >"$dir/warnings"
	if [ "$brc" -eq 0 ] && [ ! -s "$dir/warnings" ]; then
		pass "build-modules (warning-free against $kdir)"
	else
		cat "$dir/build.log"
		fail "build-modules ($kdir)"
		return 1
	fi
}
# static_checks DIR: the kernel's own checkers over the modules built in DIR,
# with the kernel's source at hand: checkpatch, and sparse with W=1 warnings
# (in a copy, so that the modules the guest loads stay as built)
static_checks() {
	local dir=$1-checks src=$DEBUG_DIR/src out f
	# The version guard keeps the modules building on kernels before 6.3; the
	# uapi header is compiled by userspace too, which has no __aligned().
	out=
	for f in "$ROOT"/kernel/module/*.c "$ROOT"/kernel/include/*.h; do
		out+=$("$src/scripts/checkpatch.pl" --no-tree --terse --show-types \
			--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,PREFER_DEFINED_ATTRIBUTE_MACRO \
			-f "$f" 2>&1 | grep -v '^total: 0 errors, 0 warnings')
	done
	if [ -z "$out" ]; then
		pass "checkpatch (no error, no warning)"
	else
		echo "$out"
		fail "checkpatch"
	fi
	rm -rf "$dir"
	cp -r "$1" "$dir" || { fail "sparse and W=1 (copy $1)"; return; }
	make -C "$DEBUG_DIR/build" M="$dir" clean >/dev/null 2>&1
	if make -C "$DEBUG_DIR/build" M="$dir" C=2 W=1 CHECK=sparse modules \
		>"$dir/sparse.log" 2>&1 && ! grep -E 'warning|error' "$dir/sparse.log"; then
		pass "sparse and W=1 (clean)"
	else
		cat "$dir/sparse.log"
		fail "sparse and W=1"
	fi
}

# cross_build_native DIR: the native library and the profiling programs
# for arm64 (they are not shipped for it: this shows that they build)
cross_build_native() {
	local dir=$1 javac f bad=
	javac=$(readlink -f "$(command -v javac)")
	# of the host's headers only LEMON's (the rest of /usr/include is x86-64's)
	mkdir -p "$dir/include" && ln -sfn /usr/include/lemon "$dir/include/lemon"
	if JAVA_HOME=${javac%/bin/javac} cmake -S "$ROOT/native" -B "$dir/build" \
		-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
		-DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc \
		-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ \
		-DBUILD_TESTING=OFF -DLEMON_INCLUDE_DIR="$dir/include" >"$dir/build.log" 2>&1 &&
		cmake --build "$dir/build" -j"$(nproc)" --target smtcheck smtcheck-inject \
			smtcheck-runner smtcheck-abi-layout >>"$dir/build.log" 2>&1; then
		for f in lib/libsmtcheck.so lib/bin/smtcheck-inject lib/bin/smtcheck-runner \
			smtcheck-abi-layout; do
			readelf -h "$dir/build/$f" 2>/dev/null | grep -q 'Machine:.*AArch64' ||
				bad+=" $f"
		done
		if [ -z "$bad" ]; then
			pass "cross-build-native (libsmtcheck.so and the profiling programs for arm64)"
		else
			fail "cross-build-native (not arm64:$bad)"
		fi
	else
		tail -n 40 "$dir/build.log"
		fail "cross-build-native (arm64)"
	fi
}

if [ "$DEBUG" = 1 ]; then
	build_modules "$DEBUG_DIR/build" "$WORK/kernel" || finish
	static_checks "$WORK/kernel"
elif [ "$ARCH" = arm64 ]; then
	build_modules "$WORK/arm64/root/usr/src/linux-headers-$A64VER" "$WORK/kernel" \
		ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- || finish
	# the guest prints the uapi layout as arm64 lays it out; the host's is
	# the one the Java mirror is checked against
	aarch64-linux-gnu-gcc -static -Wall -Werror -I"$ROOT/kernel/include" \
		-o "$WORK/abi-layout" "$ROOT/native/tools/abi_layout.c" &&
		gcc -Wall -Werror -I"$ROOT/kernel/include" -o "$WORK/abi-layout-host" \
			"$ROOT/native/tools/abi_layout.c" ||
		fail "build abi-layout (arm64 and x86-64)"
	case ${VM_TEST_ONLY:-daemon} in
	daemon) cross_build_native "$WORK/native-arm64" ;;
	esac
else
	build_modules "/lib/modules/$KVER/build" "$WORK/kernel" || finish
	build_modules "/lib/modules/$RTVER/build" "$WORK/kernel-rt" || finish
fi
if make -C "$WORK/kernel/tests" $([ "$ARCH" = arm64 ] && echo CC=aarch64-linux-gnu-gcc) \
	>"$WORK/tests-build.log" 2>&1; then
	pass "build-tests"
else
	cat "$WORK/tests-build.log"
	fail "build-tests"
	finish
fi

# ---- guests --------------------------------------------------------------
# run_guest NAME ACCEL "KTEST ARGS" "EXTRA KERNEL ARGS" [TIMEOUT [KERNEL MODDIR]]
# Boots one guest (the kernel image KERNEL, default Debian's $KVER, with
# the modules built in MODDIR), runs ktest with those arguments, counts its
# results and checks its kernel log.  Returns non-zero if the guest did not
# finish.
run_guest() {
	local name=$1 accel=$2 args=$3 append=$4
	local g=$WORK/$name R=$WORK/$name/root qrc current line
	local limit=${5:-$TIMEOUT} kernel=${6:-/boot/vmlinuz-${KVER:-}} mods=${7:-$WORK/kernel} t0
	t0=$(date +%s)
	mkdir -p "$g"
	vm_new_root "$R" ${VM_BUSYBOX:-} || { fail "$name: setup (initramfs)"; return 1; }
	mkdir -p "$R/ktest"
	cp "$mods/IPC_monitor.ko" "$mods/runtime_monitor.ko" \
		"$WORK/kernel/tests/ktest" "$R/ktest/"
	[ ! -e "$WORK/abi-layout" ] || cp "$WORK/abi-layout" "$R/ktest/"
	sed -e "s|@TESTS@|$args|" "$ROOT/scripts/vm/ktest-init.sh" >"$g/init"
	vm_set_init "$R" "$g/init"
	vm_pack_root "$R" "$g/initrd.gz" || { fail "$name: setup (cpio)"; return 1; }

	vm_log "$name: booting $kernel ($accel, limit ${limit}s)"
	if [ "$ARCH" = arm64 ]; then
		# one serial port: the kernel log follows the tests on it
		VM_ARCH=arm64 vm_boot "$kernel" "$g/initrd.gz" "$g/console.raw" "$limit" \
			"KTEST_TTY=ttyAMA0 KTEST_DMESG=1 log_buf_len=8M $append ${VM_TEST_APPEND:-}" \
			${VM_TEST_QEMU_ARGS:-}
		qrc=$?
		tr -d '\r' <"$g/console.raw" >"$g/console.log"
		sed -n 's/^KMSG| //p' "$g/console.log" >"$g/kmsg.log"
		# a guest that died before printing it: what its console showed
		[ -s "$g/kmsg.log" ] || grep -v '^KTEST' "$g/console.log" >"$g/kmsg.log"
	else
		# ttyS0: test output; ttyS1 (the kernel console): the whole kernel log
		VM_ACCEL=$accel vm_boot "$kernel" "$g/initrd.gz" \
			"$g/console.raw" "$limit" \
			"console=ttyS1 ignore_loglevel $append ${VM_TEST_APPEND:-}" \
			-serial "file:$g/kmsg.raw" ${VM_TEST_QEMU_ARGS:-}
		qrc=$?
		tr -d '\r' <"$g/console.raw" >"$g/console.log"
		tr -d '\r' <"$g/kmsg.raw" >"$g/kmsg.log" 2>/dev/null
	fi
	vm_log "$name: guest ran $(($(date +%s) - t0))s (qemu status $qrc)"

	if ! grep -q '^KTEST BOOTED' "$g/console.log"; then
		tail -n 60 "$g/console.log" "$g/kmsg.log"
		fail "$name: guest-boot (the guest never came up)"
		return 1
	fi
	pass "$name: guest-boot"

	# the tests' own output
	sed -n '/^KTEST BOOTED/,/^KTEST DONE/p' "$g/console.log" |
		grep -v '^KTEST \(PASS\|FAIL\|SKIP\|DONE\)' | sed 's/^/  guest| /'

	current=
	while IFS= read -r line; do
		case $line in
		"KTEST RUN "*) current=${line#KTEST RUN } ;;
		"KTEST PASS "*) pass "${line#KTEST PASS }"; current= ;;
		"KTEST FAIL "*) fail "${line#KTEST FAIL }"; current= ;;
		"KTEST SKIP "*) echo "SKIP ${line#KTEST SKIP }"; current= ;;
		esac
	done < <(grep '^KTEST \(RUN\|PASS\|FAIL\|SKIP\) ' "$g/console.log")

	if ! grep -q '^KTEST DONE ' "$g/console.log"; then
		[ -n "$current" ] && fail "$current (guest stopped during this test)"
		echo "--- kernel log (tail) ---"
		tail -n 80 "$g/kmsg.log"
		if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
			fail "$name: guest-finished (hung: killed after ${limit}s)"
		else
			fail "$name: guest-finished (guest died, qemu status $qrc)"
		fi
		return 1
	fi

	# a kernel with kmemleak scanned after the tests (ktest-init.sh)
	line=$(grep '^KTEST KMEMLEAK [0-9]' "$g/console.log")
	if [ -n "$line" ]; then
		if [ "$line" = "KTEST KMEMLEAK 0 suspected leaks" ]; then
			pass "$name: kmemleak (no suspected leak)"
		else
			grep '^KTEST KMEMLEAK | ' "$g/console.log" | sed 's/^KTEST KMEMLEAK | /  kmemleak| /'
			fail "$name: kmemleak (${line#KTEST KMEMLEAK })"
		fi
	fi

	# the guest kernel log must be clean.  QEMU's arm64 machine describes no
	# shared cache, so there the kernel finds each CPU's last-level-cache
	# (MC) domain smaller than its SMT one and says so at every CPU bring-up
	local known='^$' reports
	[ "$ARCH" = arm64 ] && known='BUG: arch topology borken'
	if ! grep -q 'Run /init' "$g/kmsg.log"; then
		fail "$name: dmesg-clean (kernel log not received)"
	elif reports=$(grep -v "$known" "$g/kmsg.log" | grep -E 'BUG|WARNING|Oops|general protection|KASAN|UBSAN|ODEBUG|circular locking|inconsistent lock state|recursive locking|suspicious RCU|sleeping function|soft lockup|blocked for more than|suspected memory leak|list_(add|del) corruption'); then
		echo "$reports"
		# and the first one whole (up to 60 lines), for a log that is not
		# kept, such as a CI run's
		grep -F -x -A 59 -m 1 -- "${reports%%$'\n'*}" "$g/kmsg.log" | sed 's/^/  kmsg| /'
		fail "$name: dmesg-clean (see the lines above; $g/kmsg.log)"
	else
		pass "$name: dmesg-clean ($(grep -c 'IPC_monitor: loaded' "$g/kmsg.log") loads of IPC_monitor)"
	fi
	if [ "$qrc" -ne 0 ]; then
		fail "$name: guest-poweroff (qemu status $qrc)"
	fi
	return 0
}

if [ "$DEBUG" = 1 ]; then
	# Every check runs several times slower here (-t 4 stretches the limits);
	# the timing-bound torn-read test and the benchmark stay on the other
	# guests.  debug_objects and lockdep report once, so the first splat
	# fails the run.  KASAN doubles the kernel stacks, which halves the
	# kernel's thread limit: 2 GiB keeps room for slots_full's 4096 groups.
	VM_MEM=2G run_guest debug tcg,thread=single \
		"-t 4 ${VM_TEST_ONLY:--x seqlock_torn -x bench_switch}" "" \
		"${VM_TEST_TIMEOUT:-1500}" "$DEBUG_DIR/bzImage" "$WORK/kernel"
	finish
fi

# run_daemon_guest NAME EXPECT MONITORS [VM_ICOUNT]: the daemon in an arm64
# guest (scripts/vm/daemon-init.sh) on Debian's arm64 Java runtime, with the
# MONITORS named (kernel,userspace); EXPECT is the counter mode the guest
# must find (hardware, or software without icount).
# The runtime and the jar travel in the initramfs, uncompressed: read over
# 9p, the JVM's many small reads kept the emulated CPU waiting for minutes.
run_daemon_guest() {
	local name=$1 expect=$2 g=$WORK/$1 R=$WORK/$1/root qrc t0 line
	local lib=$WORK/native-arm64/build/lib/libsmtcheck.so failed_before=$failed
	t0=$(date +%s)
	if [ ! -e "$ROOT/target/smtcheck-daemon.jar" ]; then
		fail "$name: setup (target/smtcheck-daemon.jar is missing: run mvn package first)"
		return 1
	fi
	[ -e "$lib" ] || { fail "$name: setup (no arm64 libsmtcheck.so was built)"; return 1; }
	vm_new_root "$R" "$A64/bin/busybox" || { fail "$name: setup (initramfs)"; return 1; }
	mkdir -p "$R/dtest/bin" &&
		cp -a "$JRE/." "$R/" &&
		cp "$ROOT/target/smtcheck-daemon.jar" "$lib" "$WORK/kernel/IPC_monitor.ko" \
			"$WORK/kernel/runtime_monitor.ko" "$WORK/control-client" "$WORK/counted-loop" \
			"$R/dtest/" &&
		cp "$WORK/native-arm64/build/lib/bin/smtcheck-inject" "$R/dtest/bin/" ||
		{ fail "$name: setup (initramfs)"; return 1; }
	vm_set_init "$R" "$ROOT/scripts/vm/daemon-init.sh"
	(cd "$R" && find . -print0 | cpio --null -o -H newc --quiet) >"$g/initrd.cpio" ||
		{ fail "$name: setup (cpio)"; return 1; }

	vm_log "$name: booting the daemon guest (${4:-icount}, limit ${VM_TEST_TIMEOUT:-900}s)"
	VM_ARCH=arm64 VM_ICOUNT=${4:-} VM_MEM=2G vm_boot "$A64/boot/vmlinuz-$A64VER" \
		"$g/initrd.cpio" "$g/console.raw" "${VM_TEST_TIMEOUT:-900}" \
		"DTEST_EXPECT=$expect DTEST_MONITORS=$3 ${VM_TEST_APPEND:-}"
	qrc=$?
	tr -d '\r' <"$g/console.raw" >"$g/console.log"
	vm_log "$name: guest ran $(($(date +%s) - t0))s (qemu status $qrc)"
	if ! grep -q '^DTEST BOOTED' "$g/console.log"; then
		tail -n 60 "$g/console.log"
		fail "$name: guest-boot (the guest never came up)"
		return 1
	fi
	grep '^DTEST \(BOOTED\|INFO\)' "$g/console.log" | sed 's/^DTEST /  guest| /'
	guest_results DTEST "$g/console.log" "$name: "
	if ! grep -q '^DTEST DONE' "$g/console.log" || [ "$failed" -gt "$failed_before" ]; then
		grep -v '^DTEST \(BOOTED\|INFO\|PASS\|FAIL\|DONE\)' "$g/console.log" | tail -n 60
		grep -q '^DTEST DONE' "$g/console.log" ||
			fail "$name: guest-finished (qemu status $qrc)"
	fi
}

# The daemon's counters: both monitors where the PMU counts instructions;
# without icount the kernel monitor alone, which must say it has no IPC.
run_daemon_guests() {
	run_daemon_guest daemon hardware kernel,userspace
	run_daemon_guest daemon-no-icount software kernel off
}

if [ "$ARCH" = arm64 ]; then
	if [ "${VM_TEST_ONLY:-daemon}" = daemon ]; then
		aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -I"$ROOT/kernel/tests" \
			-o "$WORK/counted-loop" \
			"$ROOT/scripts/vm/counted-loop.c" &&
			aarch64-linux-gnu-gcc -static -O2 -Wall -Werror -o "$WORK/control-client" \
				"$ROOT/native/tools/control_client.c" ||
			fail "build the daemon guest's programs (arm64)"
		if ! JRE=$(vm_arm64_jre); then
			fail "setup (Debian's arm64 Java runtime could not be downloaded)"
			finish
		fi
		vm_log "arm64 Java runtime $JRE"
	fi
fi
if [ "$ARCH" = arm64 ] && [ "${VM_TEST_ONLY:-}" = daemon ]; then
	run_daemon_guests
	finish
fi

if [ "$ARCH" = arm64 ]; then
	# Under icount one virtual second is 1e9 instructions of all vCPUs
	# together, so tests that keep every CPU busy for seconds are slow here:
	# the ABI, the counting and hotplug tests and the hardware ones
	# (unload_busy_system passes but takes 25 s of guest time).  Every test
	# must run: a skip would mean no hardware mode.
	VM_BUSYBOX=$A64/bin/busybox run_guest pmu tcg "${VM_TEST_ONLY:-abi_layout \
		smt_topology abi_info counters reset cpu_hotplug cpu_info \
		hw_loop_exact hw_cycles_grow hw_siblings_apart hw_hotplug \
		hw_perf_holder}" "" \
		"${VM_TEST_TIMEOUT:-420}" "$A64/boot/vmlinuz-$A64VER" || finish
	# Without icount the PMU counts cycles but not instructions.
	[ -n "${VM_TEST_ONLY:-}" ] ||
		VM_ICOUNT=off VM_BUSYBOX=$A64/bin/busybox run_guest no-icount tcg \
			"hw_unavailable abi_info" "" "${VM_TEST_TIMEOUT:-150}" \
			"$A64/boot/vmlinuz-$A64VER" || finish
	if [ -e "$WORK/pmu/console.log" ] && [ -x "$WORK/abi-layout-host" ]; then
		sed -n 's/^KTEST ABI| //p' "$WORK/pmu/console.log" >"$WORK/abi-arm64"
		if [ -s "$WORK/abi-arm64" ] &&
			"$WORK/abi-layout-host" | diff - "$WORK/abi-arm64"; then
			pass "abi-layout (arm64 lays out the uapi as x86-64: $(wc -l <"$WORK/abi-arm64") sizes and offsets)"
		else
			fail "abi-layout (arm64 differs from x86-64, or the guest printed none)"
		fi
	fi
	for g in pmu no-icount; do
		[ -e "$WORK/$g/console.log" ] || continue
		if grep '^KTEST SKIP' "$WORK/$g/console.log"; then
			fail "$g: every test ran (see the skips above)"
		else
			pass "$g: every test ran (none skipped)"
		fi
	done
	[ -n "${VM_TEST_ONLY:-}" ] || run_daemon_guests
	finish
fi

if [ -n "${VM_TEST_ONLY:-}" ]; then
	if [ "${VM_KERNEL:-}" = rt ]; then
		run_guest guest "${VM_ACCEL:-tcg,thread=single}" "$VM_TEST_ONLY" "" \
			"$TIMEOUT" "/boot/vmlinuz-$RTVER" "$WORK/kernel-rt"
	else
		run_guest guest "${VM_ACCEL:-tcg,thread=single}" "$VM_TEST_ONLY" ""
	fi
	finish
fi

# Most tests load and unload the modules over and over.  Multi-threaded TCG
# hung now and then while the kernel patched the sched_switch tracepoint
# call site; single-threaded TCG never did, so they run there.
run_guest serial tcg,thread=single "-x seqlock_torn -x bench_switch" "" || finish
# The torn-read test wants vCPUs that really run in parallel.  Enabling the
# sched_switch trace event at boot keeps two probes on the tracepoint, so
# registering our probe (at the first claim) patches no code in __schedule.
run_guest parallel tcg "seqlock_torn counters" \
	"trace_event=sched:sched_switch" "${VM_TEST_TIMEOUT:-150}"
# PREEMPT_RT: hrtimers not marked hard expire in a preemptible softirq
# there; the counting tests only, to keep the guest short.
run_guest rt tcg,thread=single \
	"abi_info counters reset cpu_hotplug cpu_info counters_all_cpus flush_idle flush_hardirq unload_busy_system" \
	"" "${VM_TEST_TIMEOUT:-240}" "/boot/vmlinuz-$RTVER" "$WORK/kernel-rt"
finish
