#!/bin/bash
# Deployment of the kernel modules, checked against Debian's kernel headers (the kernel the VM
# tests boot; it need not be running): dkms adds, builds, signs and installs the source tree that
# scripts/install.sh puts under /usr/src, and `make install` stages both modules where modprobe
# finds them. Everything goes to a temporary directory: dkms's own trees, its signing key and
# /lib/modules stay untouched.
#
# Usage: scripts/dkms-test.sh    (as root; installs what it needs)
# Env:   DKMS_TEST_KEEP=1        keep the work directory
# Last line of output: "N passed, N failed"; exit status 0 only if all pass.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=vm/lib.sh
. scripts/vm/lib.sh
# shellcheck source=lib/modules.sh
. scripts/lib/modules.sh

vm_workdir dkms "${DKMS_TEST_KEEP:-0}"

if ! vm_install_deps; then
	fail "setup (packages could not be installed)"
	finish
fi
if ! KVER=$(vm_kernel_version); then
	fail "setup (no Debian kernel with headers)"
	finish
fi
KDIR=/lib/modules/$KVER/build
VERSION=$(smtcheck_version)
vm_log "kernel $KVER, smtcheck $VERSION"
sig_hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$KDIR/.config")

# A throwaway key pair in the form dkms makes its own (/var/lib/dkms/mok.key, mok.pub).
if openssl req -new -x509 -nodes -days 1 -subj "/CN=smtcheck test key" -newkey rsa:2048 \
	-keyout "$WORK/mok.key" -outform DER -out "$WORK/mok.pub" >"$WORK/openssl.log" 2>&1; then
	pass "setup (signing key)"
else
	cat "$WORK/openssl.log"
	fail "setup (signing key)"
	finish
fi

# check_signed NAME FILE...: every FILE is signed by the test key, with the kernel's hash.
check_signed() {
	local name=$1 f bad=
	shift
	for f in "$@"; do
		[ "$(modinfo -F signer "$f")" = "smtcheck test key" ] &&
			[ "$(modinfo -F sig_hashalgo "$f")" = "$sig_hash" ] ||
			bad="$bad $(basename "$f") (signer '$(modinfo -F signer "$f")')"
	done
	if [ -z "$bad" ]; then
		pass "$name"
	else
		fail "$name:$bad"
	fi
}

# check_modprobe NAME BASE DIR: modprobe, with BASE as its root, loads both modules from
# BASE/lib/modules/KVER/DIR, IPC_monitor first.
check_modprobe() {
	local name=$1 base=$2 dir=$3 want got
	want="insmod $base/lib/modules/$KVER/$dir/IPC_monitor.ko
insmod $base/lib/modules/$KVER/$dir/runtime_monitor.ko"
	got=$(modprobe -d "$base" -S "$KVER" --show-depends runtime_monitor 2>&1 | sed 's/ *$//' | uniq)
	if [ "$got" = "$want" ]; then
		pass "$name"
	else
		printf 'modprobe --show-depends runtime_monitor said:\n%s\n' "$got"
		fail "$name"
	fi
}

# ---- dkms ----------------------------------------------------------------
src=$WORK/usr/src
if modules_stage_source "$src/smtcheck-$VERSION" &&
	grep -qx "PACKAGE_VERSION=\"$VERSION\"" "$src/smtcheck-$VERSION/dkms.conf" &&
	[ ! -e "$src/smtcheck-$VERSION/tests" ]; then
	pass "dkms source under /usr/src/smtcheck-$VERSION"
else
	fail "dkms source under /usr/src/smtcheck-$VERSION"
	finish
fi

mkdir -p "$WORK/var/lib/dkms" "$WORK/lib/modules/$KVER"
trees=(--sourcetree "$src" --dkmstree "$WORK/var/lib/dkms" --installtree "$WORK/lib/modules")
# dkms takes its signing key from /etc/dkms/framework.conf, which sets none by default, or else
# from the environment.
export mok_signing_key=$WORK/mok.key mok_certificate=$WORK/mok.pub
if dkms add -m smtcheck -v "$VERSION" "${trees[@]}" >"$WORK/dkms-add.log" 2>&1; then
	pass "dkms add"
else
	cat "$WORK/dkms-add.log"
	fail "dkms add"
	finish
fi
built=$WORK/var/lib/dkms/smtcheck/$VERSION/$KVER/x86_64/module
if dkms build -m smtcheck -v "$VERSION" -k "$KVER" "${trees[@]}" >"$WORK/dkms-build.log" 2>&1 &&
	[ -f "$built/IPC_monitor.ko" ] && [ -f "$built/runtime_monitor.ko" ]; then
	pass "dkms build against $KVER"
else
	cat "$WORK/dkms-build.log" "$WORK/var/lib/dkms/smtcheck/$VERSION/build/make.log"
	fail "dkms build against $KVER"
	finish
fi
check_signed "dkms signs both modules with its key ($sig_hash)" "$built/IPC_monitor.ko" "$built/runtime_monitor.ko"
if dkms install -m smtcheck -v "$VERSION" -k "$KVER" --no-depmod "${trees[@]}" >"$WORK/dkms-install.log" 2>&1 &&
	depmod -b "$WORK" "$KVER" 2>/dev/null; then
	check_modprobe "dkms install: modprobe finds both modules in updates/dkms" "$WORK" updates/dkms
else
	cat "$WORK/dkms-install.log"
	fail "dkms install"
fi

# ---- make install ----------------------------------------------------------
stage=$WORK/stage
if make -C "$src/smtcheck-$VERSION" install KDIR="$KDIR" INSTALL_MOD_PATH="$stage" \
	>"$WORK/make-install.log" 2>&1; then
	check_modprobe "make install INSTALL_MOD_PATH: modprobe finds both modules in updates" "$stage" updates
else
	cat "$WORK/make-install.log"
	fail "make install INSTALL_MOD_PATH"
	finish
fi

# Signing by hand, as kernel/README.md shows it.
installed=$stage/lib/modules/$KVER/updates
for m in IPC_monitor runtime_monitor; do
	"$KDIR/scripts/sign-file" "$sig_hash" "$WORK/mok.key" "$WORK/mok.pub" "$installed/$m.ko"
done
check_signed "sign-file signs both installed modules" "$installed/IPC_monitor.ko" "$installed/runtime_monitor.ko"

finish
