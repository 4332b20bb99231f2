#!/bin/sh
# /init of the end-to-end guest: mount the host's root and the repository
# (read-only) and the work share (read-write) over 9p, then run the guest test
# in a chroot of the host's root with its output on ttyS0, and power off.
# Kernel messages go to ttyS1.  The repository has a share of its own because
# the chroot gets a fresh /tmp and /run, and a checkout may live in either.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec >/dev/ttyS0 2>&1
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
	virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
	insmod "/mods/$m.ko" || echo "E2E FAIL setup: insmod $m"
done
R=/mnt
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot $R ||
	echo "E2E FAIL setup: mount the host root"
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mount -t tmpfs tmpfs $R/tmp
mount -t tmpfs tmpfs $R/run
mkdir -p $R/run/e2e $R/run/repo
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share $R/run/e2e ||
	echo "E2E FAIL setup: mount the work share"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 repo $R/run/repo ||
	echo "E2E FAIL setup: mount the repository"
ip link set lo up || echo "E2E FAIL setup: loopback"
echo "E2E BOOTED kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
chroot $R /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8 \
	/usr/bin/python3 -u /run/repo/scripts/e2e/guest_test.py /run/repo /run/e2e
echo "E2E-END"
sync
poweroff -f
