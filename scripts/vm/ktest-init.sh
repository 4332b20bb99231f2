#!/bin/sh
# /init of the kernel-module test guest: mount the basics, run the C tests
# with their output on ttyS0, power off.  Kernel messages go to ttyS1.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# the kernel's console is ttyS1 (a file on the host); results go to ttyS0.
# A machine with one serial port (KTEST_TTY, the console too) keeps the
# kernel quiet there and prints its log after the tests (KTEST_DMESG=1).
exec >/dev/"${KTEST_TTY:-ttyS0}" 2>&1
[ "${KTEST_DMESG:-}" = 1 ] && dmesg -n 1
echo "KTEST BOOTED kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs," \
	"siblings of cpu0: $(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list)"
# A kernel with kmemleak: forget what boot left unreferenced, so that a
# report after the tests is about them.
leaks=/sys/kernel/debug/kmemleak
[ -w $leaks ] && echo clear >$leaks
cd /ktest && ./ktest -m /ktest @TESTS@
# the uapi layout as this architecture's compiler sees it, for the host to compare
[ -x ./abi-layout ] && ./abi-layout | sed 's/^/KTEST ABI| /'
if [ -w $leaks ]; then
	# an object is reported once it has been unreferenced for 5 s, and a
	# pointer left in a register or on a stack can hide it from one scan
	sleep 6
	echo scan >$leaks
	echo scan >$leaks
	echo "KTEST KMEMLEAK $(grep -c '^unreferenced object' $leaks) suspected leaks"
	sed 's/^/KTEST KMEMLEAK | /' $leaks | head -n 200
fi
[ "${KTEST_DMESG:-}" = 1 ] && dmesg | sed 's/^/KMSG| /'
echo "KTEST-END"
poweroff -f
