# shellcheck shell=bash
# Helpers for booting Debian's kernel under QEMU (TCG) with a busybox
# initramfs.  Source this file; every function prints errors to stderr and
# returns non-zero on failure.
#
#   vm_install_deps               apt-get what is missing (root, once)
#   vm_kernel_version [rt]        newest version with headers and a vmlinuz
#                                 (rt: of the PREEMPT_RT flavour; without:
#                                 of any other)
#   vm_new_root DIR               busybox initramfs skeleton in DIR
#   vm_set_init DIR SCRIPT        install SCRIPT as DIR/init
#   vm_pack_root DIR OUT          DIR -> gzip'd newc cpio OUT
#   vm_boot KERNEL INITRD LOG TIMEOUT [APPEND [QEMU ARGS...]]
#                                 boot; the first serial port (ttyS0) goes
#                                 to LOG, and is the console unless APPEND
#                                 names one; extra QEMU ARGS may add ports
#                                 (-serial file:F is ttyS1) or 9p shares.
#                                 Returns qemu's status (124 = timed out)

VM_PACKAGES="qemu-system-x86 linux-image-amd64 linux-headers-amd64
linux-image-rt-amd64 linux-headers-rt-amd64
busybox-static cpio gzip kmod gcc make libc6-dev dkms openssl"

vm_log() {
	printf '[vm] %s\n' "$*" >&2
}

vm_install_deps() {
	local missing=() p
	for p in $VM_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		return 0
	fi
	vm_log "installing: ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		vm_log "need root to install packages"
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2 || return 1
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# The newest kernel that has both a build tree and an image in /boot;
# vm_kernel_version rt: the newest PREEMPT_RT one.
vm_kernel_version() {
	local flavour=${1:-} d v best=
	for d in /lib/modules/*/build; do
		[ -e "$d/Makefile" ] || continue
		v=${d#/lib/modules/}
		v=${v%/build}
		[ -r "/boot/vmlinuz-$v" ] || continue
		case $flavour,$v in
		rt,*-rt-*) ;;
		rt,* | ,*-rt-*) continue ;;
		esac
		best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n1)
	done
	if [ -z "$best" ]; then
		vm_log "no ${flavour:+$flavour }kernel with headers and /boot/vmlinuz found"
		return 1
	fi
	echo "$best"
}

vm_new_root() {
	local root=$1 bb
	bb=$(command -v busybox || echo /bin/busybox)
	case $(LC_ALL=C ldd "$bb" 2>&1) in
	*"not a dynamic"*) ;;
	*)
		vm_log "$bb is not static (install busybox-static)"
		return 1
		;;
	esac
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,mnt,etc,root} || return 1
	cp "$bb" "$root/bin/busybox" || return 1
	ln -s busybox "$root/bin/sh"
	# the kernel needs a console before devtmpfs is mounted
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
}

vm_set_init() {
	install -m 755 "$2" "$1/init"
}

vm_pack_root() {
	local root=$1 out=$2
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 >"$out"
}

vm_boot() {
	local kernel=$1 initrd=$2 log=$3 secs=$4 append=${5:-}
	shift 5 2>/dev/null || shift $#
	case " $append " in
	*" console="*) ;;
	*) append="console=ttyS0 $append" ;;
	esac
	# -cpu max alone reports an AMD CPU without TOPOEXT: no SMT siblings.
	# no_timer_check: on a busy host the emulated timer can miss the boot
	# check ("IO-APIC + timer doesn't work!"), a panic before /init.
	timeout --kill-after=10 "$secs" \
		qemu-system-x86_64 -accel "${VM_ACCEL:-tcg,thread=single}" \
		-cpu max,vendor=GenuineIntel \
		-smp 4,sockets=1,cores=2,threads=2 -m "${VM_MEM:-1G}" \
		-display none -no-reboot -monitor none -serial stdio \
		-kernel "$kernel" -initrd "$initrd" \
		-append "panic=-1 mitigations=off no_timer_check $append" \
		"$@" </dev/null >"$log" 2>&1
}

# Sets WORK to a new directory under /tmp, removed on exit unless KEEP is 1
# (then its path is logged).  vm_workdir NAME KEEP
vm_workdir() {
	WORK=$(mktemp -d "/tmp/smtcheck-$1.XXXXXX")
	if [ "$2" = 1 ]; then
		vm_log "work directory (kept): $WORK"
	else
		trap 'rm -rf "$WORK"' EXIT
	fi
}

# Counting shared by the guest test scripts: a PASS or FAIL line per check, and finish() prints
# the closing "N passed, N failed" and exits non-zero unless every check passed.
passed=0
failed=0
start=$(date +%s)
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
	vm_log "$(($(date +%s) - start))s in all"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}
