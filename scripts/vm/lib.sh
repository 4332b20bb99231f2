# shellcheck shell=bash
# Helpers for booting Debian's kernel under QEMU (TCG) with a busybox
# initramfs.  Source this file; every function prints errors to stderr and
# returns non-zero on failure.
#
#   vm_install_deps               apt-get what is missing (root, once)
#   vm_kernel_version [rt]        newest version with headers and a vmlinuz
#                                 (rt: of the PREEMPT_RT flavour; without:
#                                 of any other)
#   vm_arm64_kernel DIR           download Debian's arm64 kernel, its headers
#                                 and busybox into DIR (extracted, not
#                                 installed); prints the kernel version
#   vm_arm64_jre                  prints the directory of a root holding
#                                 Debian's arm64 Java runtime and the
#                                 libraries it loads (extracted, pruned,
#                                 kept in VM_ARM64_JRE_CACHE per version)
#   vm_new_root DIR [BUSYBOX]     busybox initramfs skeleton in DIR
#   vm_set_init DIR SCRIPT        install SCRIPT as DIR/init
#   vm_pack_root DIR OUT          DIR -> gzip'd newc cpio OUT
#   vm_boot KERNEL INITRD LOG TIMEOUT [APPEND [QEMU ARGS...]]
#                                 boot; the first serial port (ttyS0) goes
#                                 to LOG, and is the console unless APPEND
#                                 names one; extra QEMU ARGS may add ports
#                                 (-serial file:F is ttyS1) or 9p shares.
#                                 Returns qemu's status (124 = timed out).
#                                 VM_ARCH=arm64: an arm64 virt machine with
#                                 the PMU counting (icount; VM_ICOUNT=off
#                                 boots without, so without instructions)
#   vm_debug_kernel               prints the directory of a kernel built from
#                                 Debian's linux-source-6.1 with the checks
#                                 of vm/debug-kernel.config (bzImage, and
#                                 build/ to build modules against); builds
#                                 it when the cache holds none of this
#                                 source, configuration and compiler, or
#                                 waits for the build another caller runs

VM_PACKAGES="qemu-system-x86 linux-image-amd64 linux-headers-amd64
linux-image-rt-amd64 linux-headers-rt-amd64
busybox-static cpio gzip kmod gcc make libc6-dev dkms openssl"

# The arm64 guest: an emulator, cross compilers (modules, tests), and what
# cross-building the native library needs (its headers: JNI's, LEMON's).
VM_ARM64_PACKAGES="qemu-system-arm gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
libc6-dev-arm64-cross cmake liblemon-dev openjdk-17-jdk-headless"

# What building the debug kernel and checking the modules against its source
# need besides VM_PACKAGES.
VM_DEBUG_PACKAGES="linux-source-6.1 bc bison flex libelf-dev libssl-dev xz-utils sparse"

vm_log() {
	printf '[vm] %s\n' "$*" >&2
}

# vm_install_deps [EXTRA PACKAGES...]
vm_install_deps() {
	local missing=() p
	for p in $VM_PACKAGES "$@"; do
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

# vm_arm64_kernel DIR: DIR/root/boot/vmlinuz-VER, DIR/root/bin/busybox and
# DIR/root/usr/src/linux-headers-VER to build modules against.  Debian's
# arm64 header package cannot be installed beside amd64 (it depends on
# arm64 compilers); extracted, it builds with the amd64 kbuild tools.
vm_arm64_kernel() {
	local dir=$1 ver d
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64 && apt-get update -q >&2 || return 1
	fi
	ver=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(.*-arm64\)\(:arm64\)\?$/\1/p' | head -n1)
	if [ -z "$ver" ]; then
		apt-get update -q >&2
		ver=$(apt-cache depends linux-image-arm64:arm64 |
			sed -n 's/^ *Depends: linux-image-\(.*-arm64\)\(:arm64\)\?$/\1/p' | head -n1)
	fi
	[ -n "$ver" ] || { vm_log "no arm64 kernel in the package lists"; return 1; }
	rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root" || return 1
	# as root: apt's sandbox user may not enter a private temporary directory
	(cd "$dir/debs" && apt-get download -q -o APT::Sandbox::User=root "linux-image-$ver:arm64" \
		"linux-headers-$ver:arm64" "linux-headers-${ver%-arm64}-common" \
		linux-kbuild-"$(echo "$ver" | cut -d. -f1,2)":amd64 busybox-static:arm64) >&2 ||
		return 1
	for d in "$dir"/debs/*.deb; do
		dpkg-deb -x "$d" "$dir/root" || return 1
	done
	# its Makefile includes the common headers by absolute path
	sed -i "s#^include /usr/src/#include $dir/root/usr/src/#" \
		"$dir/root/usr/src/linux-headers-$ver/Makefile" || return 1
	echo "$ver"
}

# What the daemon's JVM loads in the arm64 guest: the headless runtime and
# the libraries of libjvm, libjava, libzip, libnio and libnet.  The rest of
# the runtime's dependencies serve AWT, sound, smart cards and TLS.
VM_ARM64_JRE_DEBS="openjdk-17-jre-headless libc6 zlib1g libgcc-s1 libstdc++6"
VM_ARM64_JRE_CACHE=${VM_ARM64_JRE_CACHE:-/var/cache/smtcheck/arm64-jre}

# vm_arm64_jre: VM_ARM64_JRE_CACHE/KEY/root, KEY naming the packages'
# versions; downloaded (about 46 MB) only when the cache lacks that root.
# Needs the arm64 package lists (vm_arm64_kernel adds them).
vm_arm64_jre() {
	local p versions=() key
	for p in $VM_ARM64_JRE_DEBS; do
		versions+=("$p=$(apt-cache policy "$p:arm64" | sed -n 's/^ *Candidate: //p')")
	done
	case " ${versions[*]} " in
	*"=(none) "* | *"= "*)
		vm_log "arm64 runtime: not in the package lists: ${versions[*]}"
		return 1
		;;
	esac
	key=$(printf '%s\n' "${versions[@]}" | sha256sum | cut -c1-16)
	mkdir -p "$VM_ARM64_JRE_CACHE" || return 1
	# one download at a time: a second caller waits and reuses it
	(
		flock 9 || exit 1
		vm_fetch_arm64_jre "$VM_ARM64_JRE_CACHE/$key" "${versions[*]}"
	) 9>"$VM_ARM64_JRE_CACHE/.lock" || return 1
	echo "$VM_ARM64_JRE_CACHE/$key/root"
}

vm_fetch_arm64_jre() {
	local dir=$1 d
	[ -e "$dir/complete" ] && return 0
	vm_log "arm64 runtime: downloading $2"
	rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root" || return 1
	(cd "$dir/debs" && apt-get download -q -o APT::Sandbox::User=root \
		$(printf '%s:arm64 ' $VM_ARM64_JRE_DEBS)) >&2 || return 1
	for d in "$dir"/debs/*.deb; do
		dpkg-deb -x "$d" "$dir/root" || return 1
	done
	# nothing the JVM reads: documentation, locales, iconv's modules, the
	# compiler's symbol table and AWT's libraries
	rm -rf "$dir/debs" "$dir"/root/usr/share/{doc,man,lintian,locale,i18n} \
		"$dir"/root/usr/lib/aarch64-linux-gnu/gconv \
		"$dir"/root/usr/lib/jvm/*/{legal,man,docs,lib/ct.sym} \
		"$dir"/root/usr/lib/jvm/*/lib/lib{awt,awt_headless,fontmanager,javajpeg,jsound,lcms,mlib_image}.so
	# runtimes of older versions will not be asked for again
	find "$VM_ARM64_JRE_CACHE" -mindepth 1 -maxdepth 1 -name '[0-9a-f]*' ! -path "$dir" \
		-exec rm -rf {} +
	touch "$dir/complete"
}

vm_new_root() {
	local root=$1 bb=${2:-}
	[ -n "$bb" ] || bb=$(command -v busybox || echo /bin/busybox)
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
	if [ "${VM_ARCH:-}" = arm64 ]; then
		vm_boot_arm64 "$kernel" "$initrd" "$log" "$secs" "$append" "$@"
		return
	fi
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

# -icount shift=0: one instruction per virtual nanosecond, and the PMU
# counts instructions exactly (without icount it offers none); it also
# makes TCG single-threaded.  cryptomgr.notests skips seconds of self-tests.
vm_boot_arm64() {
	local kernel=$1 initrd=$2 log=$3 secs=$4 append=$5 icount=()
	shift 5
	[ "${VM_ICOUNT:-0}" = off ] || icount=(-icount "shift=${VM_ICOUNT:-0}")
	case " $append " in
	*" console="*) ;;
	*) append="console=ttyAMA0 $append" ;;
	esac
	timeout --kill-after=10 "$secs" \
		qemu-system-aarch64 -M virt -cpu max "${icount[@]}" \
		-smp 4,sockets=1,cores=2,threads=2 -m "${VM_MEM:-1G}" \
		-display none -no-reboot -monitor none -serial stdio \
		-kernel "$kernel" -initrd "$initrd" \
		-append "panic=-1 cryptomgr.notests $append" \
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
# guest_results TAG FILE [PREFIX]: counts the guest's "TAG PASS name" and "TAG FAIL name: why"
# lines of FILE as checks, named PREFIX followed by the name.
guest_results() {
	local tag=$1 file=$2 prefix=${3:-} line
	while IFS= read -r line; do
		case $line in
		"$tag PASS "*) pass "$prefix${line#"$tag" PASS }" ;;
		"$tag FAIL "*) fail "$prefix${line#"$tag" FAIL }" ;;
		esac
	done < <(grep "^$tag \(PASS\|FAIL\) " "$file")
}
finish() {
	vm_log "$(($(date +%s) - start))s in all"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

# Kernels built once per source, configuration and compiler, and kept: a
# build takes about 20 minutes on two cores.
VM_KERNEL_CACHE=${VM_KERNEL_CACHE:-/var/cache/smtcheck/kernels}

vm_debug_kernel() {
	local here frag src key dir
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	frag=$here/debug-kernel.config
	src=/usr/src/linux-source-6.1.tar.xz
	[ -r "$src" ] || { vm_log "$src missing (install linux-source-6.1)"; return 1; }
	key=$( { dpkg-query -W -f='${Version}' linux-source-6.1; cat "$frag"; gcc --version | head -n1; } |
		sha256sum | cut -c1-16)
	dir=$VM_KERNEL_CACHE/debug-$key
	mkdir -p "$VM_KERNEL_CACHE" || return 1
	# one build at a time: a second caller waits for the first one's kernel
	(
		flock 9 || exit 1
		vm_build_debug_kernel "$frag" "$src" "$dir"
	) 9>"$VM_KERNEL_CACHE/.lock" || return 1
	echo "$dir"
}

# vm_build_debug_kernel FRAGMENT SOURCE DIR: builds into DIR unless a build
# there is complete; an interrupted one is resumed (make redoes only what is
# missing)
vm_build_debug_kernel() {
	local frag=$1 src=$2 dir=$3 t0
	if [ -e "$dir/complete" ]; then
		vm_log "debug kernel: reusing $dir"
		return 0
	fi
	t0=$(date +%s)
	# built where it stays: the build tree names its source by absolute path
	if [ ! -e "$dir/configured" ]; then
		vm_log "debug kernel: building in $dir (about 20 minutes on two cores)"
		rm -rf "$dir"
		mkdir -p "$dir/src" "$dir/build" || return 1
		tar -xJf "$src" -C "$dir/src" --strip-components=1 || return 1
		if ! (cd "$dir/src" &&
			make -s O="$dir/build" allnoconfig &&
			scripts/kconfig/merge_config.sh -m -O "$dir/build" "$dir/build/.config" "$frag" &&
			make -s O="$dir/build" olddefconfig) >"$dir/config.log" 2>&1; then
			cat "$dir/config.log" >&2
			return 1
		fi
		vm_config_has "$frag" "$dir/build/.config" || return 1
		touch "$dir/configured"
	else
		vm_log "debug kernel: resuming the build in $dir"
	fi
	if ! make -s -C "$dir/src" O="$dir/build" -j"$(($(nproc) + 1))" bzImage modules \
		>"$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		vm_log "debug kernel: build failed (log in $dir/build.log)"
		return 1
	fi
	cp "$dir/build/arch/x86/boot/bzImage" "$dir/bzImage" || return 1
	touch "$dir/complete"
	vm_log "debug kernel: built in $(($(date +%s) - t0))s"
	# kernels of an older source, fragment or compiler will not be asked for again
	find "$VM_KERNEL_CACHE" -mindepth 1 -maxdepth 1 -name 'debug-*' ! -path "$dir" \
		-exec rm -rf {} +
}

# vm_config_has FRAGMENT CONFIG: every option the fragment sets has that value
vm_config_has() {
	local key want got bad=0
	while IFS='=' read -r key want; do
		got=$(sed -n "s/^$key=//p" "$2")
		[ -n "$got" ] || got=n
		if [ "$got" != "$want" ]; then
			vm_log "debug kernel: $key is $got, the fragment asks for $want"
			bad=1
		fi
	done < <(grep '^CONFIG_' "$1")
	return "$bad"
}
