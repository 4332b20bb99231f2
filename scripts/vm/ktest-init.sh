#!/bin/sh
# /init of the kernel-module test guest: mount the basics, run the C tests
# with their output on ttyS0, power off.  Kernel messages go to ttyS1.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# the kernel's console is ttyS1 (a file on the host); results go to ttyS0
exec >/dev/ttyS0 2>&1
echo "KTEST BOOTED kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs," \
	"siblings of cpu0: $(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list)"
cd /ktest && ./ktest -m /ktest @TESTS@
echo "KTEST-END"
poweroff -f
