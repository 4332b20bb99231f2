#!/usr/bin/env bash
# Builds smtcheck and installs it: the jar, its native library, profiling programs and status client, the
# shipped model, a `smtcheck` command, the systemd unit and a default configuration (kept if one exists),
# and the kernel modules: through dkms when it is there (rebuilt for every new kernel), else built once
# for the running kernel; /etc/modules-load.d/smtcheck.conf loads them at boot.
#
#   scripts/install.sh [--no-build] [--no-modules] [--enable]
#
# PREFIX (default /usr/local) and DESTDIR (default empty) work as usual for staged installs; with
# DESTDIR the modules' source is only staged under DESTDIR/usr/src/smtcheck-<version> for dkms.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
modules=1
enable=0
for arg in "$@"; do
	case "$arg" in
	--no-build) build=0 ;;
	--no-modules) modules=0 ;;
	--enable) enable=1 ;;
	-h | --help)
		sed -n '2,10p' "$0"
		exit 0
		;;
	*)
		echo "install.sh: unknown argument '$arg'" >&2
		exit 2
		;;
	esac
done

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
kernel=$(uname -r)
if [ "$modules" -eq 1 ] && [ -z "$DESTDIR" ] && [ ! -e "/lib/modules/$kernel/build" ]; then
	echo "install.sh: no headers for the running kernel $kernel to build the modules with" \
		"(/lib/modules/$kernel/build): install linux-headers-$kernel, or pass --no-modules" >&2
	exit 3
fi
lib=$DESTDIR$PREFIX/lib/smtcheck
share=$DESTDIR$PREFIX/share/smtcheck
bin=$DESTDIR$PREFIX/bin
etc=$DESTDIR/etc/smtcheck
unit_dir=$DESTDIR/etc/systemd/system

if [ "$build" -eq 1 ]; then
	# shellcheck source=lib/packages.sh
	. scripts/lib/packages.sh
	ensure_packages "${BUILD_PACKAGES[@]}"
	mvn -B -q -ntp -DskipTests package
fi
jar=target/smtcheck-daemon.jar
native=target/classes/META-INF/native/linux-x86_64/libsmtcheck.so
tools=target/classes/META-INF/native/linux-x86_64/bin
[ -f "$jar" ] && [ -f "$native" ] && [ -x "$tools/smtcheck-inject" ] && [ -x "$tools/smtcheck-runner" ] &&
	[ -x "$tools/smtcheck-status" ] &&
	[ -f target/classes/META-INF/man/smtcheck.1 ] || {
	echo "install.sh: $jar, $native, the programs in $tools or the manual pages are missing: build first (drop --no-build)" >&2
	exit 1
}

install -d -m 0755 "$lib" "$lib/bin" "$share/trained_model" "$bin" "$etc" "$unit_dir" "$DESTDIR$PREFIX/share/doc/smtcheck"
install -m 0644 "$jar" "$lib/smtcheck-daemon.jar"
install -m 0644 "$native" "$lib/libsmtcheck.so"
install -m 0755 "$tools/smtcheck-inject" "$tools/smtcheck-runner" "$tools/smtcheck-status" "$lib/bin/"
install -m 0644 trained_model/*.json "$share/trained_model/"
# README's links point into docs/: the pages go beside it.
install -d -m 0755 "$DESTDIR$PREFIX/share/doc/smtcheck/docs"
install -m 0644 README.md "$DESTDIR$PREFIX/share/doc/smtcheck/README.md"
install -m 0644 docs/*.md "$DESTDIR$PREFIX/share/doc/smtcheck/docs/"
# The manual pages the build wrote from the commands themselves (smtcheck(1), smtcheck-run(1), ...).
man_dir=$DESTDIR$PREFIX/share/man
install -d -m 0755 "$man_dir/man1" "$man_dir/man5"
install -m 0644 target/classes/META-INF/man/*.1 "$man_dir/man1/"
install -m 0644 target/classes/META-INF/man/smtcheck.conf.5 "$man_dir/man5/"
# The command (scripts/smtcheck.sh, written for PREFIX=/usr/local).
sed "s#/usr/local/#$PREFIX/#g" scripts/smtcheck.sh >"$bin/smtcheck"
chmod 0755 "$bin/smtcheck"
install -m 0644 scripts/smtcheck.service "$unit_dir/smtcheck.service"
if [ "$PREFIX" != /usr/local ]; then
	sed -i "s#/usr/local/#$PREFIX/#g" "$unit_dir/smtcheck.service"
fi
# The default configuration (scripts/smtcheck.conf, written for PREFIX=/usr/local).
if [ ! -f "$etc/smtcheck.conf" ]; then
	sed "s#/usr/local/#$PREFIX/#g" scripts/smtcheck.conf >"$etc/smtcheck.conf"
	chmod 0644 "$etc/smtcheck.conf"
fi

# The kernel modules. dkms rebuilds them for every kernel installed later, and signs them with its
# key, which a Secure Boot machine must have enrolled (kernel/README.md).
secure_boot_on() {
	# One byte of value after four of attributes; 1 means on.
	local var=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
	[ -r "$var" ] && [ "$(od -An -tu1 -j4 -N1 "$var" | tr -d ' ')" = 1 ]
}
if [ "$modules" -eq 1 ]; then
	# shellcheck source=lib/modules.sh
	. scripts/lib/modules.sh
	version=$(smtcheck_version)
	src=$DESTDIR/usr/src/smtcheck-$version
	if [ -n "$DESTDIR" ]; then
		modules_stage_source "$src"
		modules_how="source in $src, for dkms"
	elif command -v dkms >/dev/null; then
		# One version at a time: take out what an earlier install registered. dkms 3 says
		# "smtcheck/<version>, <kernel>, ...", dkms 2 "smtcheck, <version>, <kernel>, ...".
		for old in $(dkms status -m smtcheck | sed -n 's|^smtcheck[/,] *\([^,:]*\)[,:].*|\1|p' | sort -u); do
			dkms remove -m smtcheck -v "$old" --all >/dev/null
			rm -rf "/usr/src/smtcheck-$old"
		done
		# A copy from an install without dkms would compete with dkms's in updates/.
		rm -f "/lib/modules/$kernel/updates/IPC_monitor.ko" "/lib/modules/$kernel/updates/runtime_monitor.ko"
		modules_stage_source "$src"
		dkms add -m smtcheck -v "$version" >/dev/null
		if ! dkms install -m smtcheck -v "$version" -k "$kernel"; then
			echo "install.sh: dkms could not build or install the modules for $kernel" \
				"(see /var/lib/dkms/smtcheck/$version/build/make.log); pass --no-modules to leave them out" >&2
			exit 3
		fi
		modules_how="dkms smtcheck/$version, in /lib/modules/$kernel/updates/dkms"
		signing="enrol dkms's key: mokutil --import /var/lib/dkms/mok.pub, then reboot"
	else
		build_dir=$(mktemp -d)
		modules_stage_source "$build_dir/src"
		if ! make -C "$build_dir/src" install >"$build_dir/make.log" 2>&1; then
			cat "$build_dir/make.log" >&2
			rm -rf "$build_dir"
			echo "install.sh: the modules did not build for $kernel (the make output is above);" \
				"pass --no-modules to leave them out" >&2
			exit 3
		fi
		rm -rf "$build_dir"
		modules_how="/lib/modules/$kernel/updates, for this kernel only (no dkms)"
		signing="sign them with a key of yours and enrol it"
	fi
	install -d -m 0755 "$DESTDIR/etc/modules-load.d"
	cat >"$DESTDIR/etc/modules-load.d/smtcheck.conf" <<LOAD
# smtcheck's kernel modules, loaded at boot by systemd-modules-load before smtcheck.service.
IPC_monitor
runtime_monitor
LOAD
	chmod 0644 "$DESTDIR/etc/modules-load.d/smtcheck.conf"
	if [ -z "$DESTDIR" ]; then
		if [ -d /sys/module/IPC_monitor ] || [ -d /sys/module/runtime_monitor ]; then
			echo "install.sh: modules from before are loaded; the new ones take their place once those" \
				"are unloaded (rmmod runtime_monitor IPC_monitor) or at the next boot"
		elif ! load_error=$(modprobe runtime_monitor 2>&1); then
			echo "install.sh: the modules are installed but do not load: $load_error" >&2
			if secure_boot_on; then
				echo "install.sh: Secure Boot is on, and the kernel loads only modules signed with a key" \
					"it trusts: $signing (kernel/README.md, Secure Boot)" >&2
			fi
		fi
	fi
	echo "kernel modules: $modules_how"
fi

# Members of this group may read `smtcheck status`; only root may change state.
if [ -z "$DESTDIR" ] && ! getent group smtcheck >/dev/null; then
	groupadd --system smtcheck
fi
if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	if [ "$enable" -eq 1 ]; then
		systemctl enable --now smtcheck.service
	fi
fi
echo "installed smtcheck under $DESTDIR$PREFIX (unit: $unit_dir/smtcheck.service, config: $etc/smtcheck.conf)"
