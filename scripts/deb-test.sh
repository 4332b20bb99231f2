#!/usr/bin/env bash
# The Debian packages as an administrator meets them: scripts/build-debs.sh builds them (twice, as
# revisions 1 and 2), lintian checks them, and in a throwaway Debian root (a chroot made with
# mmdebstrap from the mirror apt uses, kept as a tarball in /var/cache/smtcheck/deb-test) apt
# installs revision 1, upgrades to revision 2, removes and purges them. An edited configuration
# file and the profile store must survive the upgrade and the removal; purging must leave the root
# as it was before, but for the smtcheck group. No maintainer script may start the daemon there.
# smtcheck-dkms is checked for its source and its registration with dkms; building the modules
# is scripts/dkms-test.sh's.
#
# Usage: scripts/deb-test.sh    (as root; installs what it needs)
# Env:   DEB_TEST_KEEP=1        keep the work directory (the root is unmounted either way)
# Last line of output: "N passed, N failed"; exit status 0 only if all pass.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=lib/packages.sh
. scripts/lib/packages.sh
# shellcheck source=lib/modules.sh
. scripts/lib/modules.sh
# shellcheck source=vm/lib.sh
. scripts/vm/lib.sh

CACHE=${DEB_TEST_CACHE:-/var/cache/smtcheck/deb-test}
# What the packages depend on, in the base root already, so that each run needs no network.
BASE_PACKAGES=openjdk-17-jre-headless,dkms

if [ "$(id -u)" -ne 0 ]; then
	fail "setup (a chroot needs root)"
	finish
fi
if ! ensure_packages "${DEB_BUILD_PACKAGES[@]}" "${DEB_TEST_PACKAGES[@]}" "${SERVICE_TEST_PACKAGES[@]}"; then
	fail "setup (packages could not be installed)"
	finish
fi

WORK=$(mktemp -d /tmp/smtcheck-deb.XXXXXX)
chroot_dir=$WORK/root
cleanup() {
	local m
	for m in proc sys; do
		mountpoint -q "$chroot_dir/$m" && umount -l "$chroot_dir/$m"
	done
	if [ "${DEB_TEST_KEEP:-0}" = 1 ]; then
		vm_log "work directory (kept): $WORK"
	else
		rm -rf --one-file-system "$WORK"
	fi
}
trap cleanup EXIT

# in_root COMMAND...: runs COMMAND inside the root, as apt runs there for an administrator.
in_root() {
	chroot "$chroot_dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# check NAME COMMAND...: passes when COMMAND succeeds; shows its output when not.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		printf '%s\n' "$out" | sed 's/^/     /'
		fail "$name"
	fi
}

# ---- build and lint ---------------------------------------------------------
pom_version=$(smtcheck_version)
version=$(tr 'A-Z-' 'a-z~' <<<"$pom_version")
rm -f target/debs/smtcheck*_"$version"-[12]_*.deb
for revision in 1 2; do
	if scripts/build-debs.sh --revision "$revision" >"$WORK/build-$revision.log" 2>&1; then
		pass "build-debs.sh --revision $revision"
	else
		cat "$WORK/build-$revision.log"
		fail "build-debs.sh --revision $revision"
		finish
	fi
done
deb() { echo "target/debs/${1}_$version-$2_$3.deb"; }

lintian --info --display-info "$(deb smtcheck 1 amd64)" "$(deb smtcheck-dkms 1 all)" >"$WORK/lintian.log" 2>&1
grep -v -e '^N:' -e '^running with root privileges' "$WORK/lintian.log" | grep . | sed 's/^/     lintian: /'
if grep -q '^[EW]: ' "$WORK/lintian.log"; then
	fail "lintian: no errors or warnings"
else
	pass "lintian: no errors or warnings"
fi

# ---- the throwaway root -------------------------------------------------------
# shellcheck source=/dev/null
. /etc/os-release
suite=$VERSION_CODENAME
mirror=$(apt-get indextargets --format '$(REPO_URI)' "Release: $suite" "Component: main" "Identifier: Packages" 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian/}
base=$CACHE/$suite-$(printf '%s %s' "$mirror" "$BASE_PACKAGES" | sha256sum | cut -c1-12).tar
if [ ! -f "$base" ]; then
	vm_log "making the base root ($suite from $mirror, with $BASE_PACKAGES): once, then cached in $base"
	mkdir -p "$CACHE"
	made=$(date +%s)
	# mmdebstrap writes a tarball for a name ending in .tar (else a directory).
	partial=${base%.tar}.partial.tar
	if mmdebstrap --variant=apt --include="$BASE_PACKAGES" "$suite" "$partial" "$mirror" >"$WORK/mmdebstrap.log" 2>&1; then
		mv "$partial" "$base"
		vm_log "base root made in $(($(date +%s) - made))s"
	else
		rm -f "$partial"
		cat "$WORK/mmdebstrap.log"
		fail "setup (mmdebstrap $suite $mirror)"
		finish
	fi
fi
# The JVM needs /proc; smtcheck plan reads the CPUs from /sys.
mkdir "$chroot_dir" && tar -C "$chroot_dir" -xf "$base" && mount -t proc proc "$chroot_dir/proc" &&
	mount -t sysfs -o ro sysfs "$chroot_dir/sys" || {
	fail "setup (unpacking $base)"
	finish
}
# Maintainer scripts ask policy-rc.d before they start anything; this one writes the question
# down and says no. (In a chroot deb-systemd-invoke is not even reached: /run/systemd/system is
# missing.)
cat >"$chroot_dir/usr/sbin/policy-rc.d" <<'POLICY'
#!/bin/sh
echo "$*" >>/var/log/policy-rc.d.calls
exit 101
POLICY
chmod 0755 "$chroot_dir/usr/sbin/policy-rc.d"
mkdir "$chroot_dir/tmp/debs"
cp target/debs/smtcheck*_"$version"-[12]_*.deb scripts/examples/scores.json "$chroot_dir/tmp/debs/"

# Every path in the root but those apt, dpkg and the logs keep for themselves, and the backups
# groupadd leaves of the files it adds the group smtcheck to (the group stays).
root_paths() {
	(cd "$chroot_dir" && find . -xdev \( -path ./tmp -o -path ./var/lib/dpkg -o -path ./var/lib/apt \
		-o -path ./var/cache -o -path ./var/log \) -prune -o -print) |
		grep -vx -e './etc/group-' -e './etc/gshadow-' -e './etc/passwd-' -e './etc/shadow-' | sort
}
root_paths >"$WORK/paths-before"

# no_daemon_started: nothing asked policy-rc.d, and no process runs inside the root.
no_daemon_started() {
	local p
	[ ! -s "$chroot_dir/var/log/policy-rc.d.calls" ] || {
		echo "policy-rc.d was asked: $(cat "$chroot_dir/var/log/policy-rc.d.calls")"
		return 1
	}
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" != "$chroot_dir" ] || {
			echo "process ${p#/proc/} runs in the root: $(tr '\0' ' ' <"$p/cmdline")"
			return 1
		}
	done
}

# installed REVISION: dpkg has both packages at that revision, configured.
installed() {
	local p status
	for p in smtcheck smtcheck-dkms; do
		status=$(in_root dpkg-query -W -f='${Status} ${Version}' "$p")
		[ "$status" = "install ok installed $version-$1" ] || {
			echo "$p: $status"
			return 1
		}
	done
}

# apt_install REVISION: installs (or upgrades to) both packages of that revision.
apt_install() {
	in_root apt-get install -y --no-install-recommends \
		"/tmp/debs/smtcheck_$version-$1_amd64.deb" "/tmp/debs/smtcheck-dkms_$version-$1_all.deb"
}

conf=/etc/smtcheck/smtcheck.conf
store=/var/lib/smtcheck
unit=/lib/systemd/system/smtcheck.service
dkms_source=/usr/src/smtcheck-$pom_version

version_is_pom() { in_root smtcheck --version | tee /dev/stderr | grep -q "^smtcheck $pom_version\$"; }
is_conffile() { in_root dpkg-query -W -f='${Conffiles}' smtcheck | grep -q "^ $conf "; }
model_dir_holds_model() {
	ls "$chroot_dir$(sed -n 's/^model-dir=//p' "$chroot_dir$conf")"/prediction_model_*.json
}
# systemd-analyze verify checks that the programs the unit runs exist and runs man(1) for its
# Documentation= pages: verify it with its /usr paths pointed into the root. Any warning fails.
unit_verifies() {
	local out
	mkdir -p "$WORK/unit"
	sed "s#/usr/#$chroot_dir/usr/#g" "$chroot_dir$unit" >"$WORK/unit/smtcheck.service"
	out=$(MANPATH="$chroot_dir/usr/share/man" systemd-analyze verify "$WORK/unit/smtcheck.service" 2>&1) &&
		[ -z "$out" ] || {
		echo "$out"
		return 1
	}
}
unit_names_installed_files() {
	local lib doc
	grep -qx 'ExecStart=/usr/bin/smtcheck run' "$chroot_dir$unit" &&
		lib=$(sed -n 's/^Environment=SMTCHECK_NATIVE_LIBRARY=//p' "$chroot_dir$unit") &&
		doc=$(sed -n 's#^Documentation=file://##p' "$chroot_dir$unit") &&
		ls "$chroot_dir$lib" "$chroot_dir$doc" && ! grep -n /usr/local/ "$chroot_dir$unit"
}
# Enabling would have linked it into /etc/systemd/system/*.wants.
unit_disabled() { [ -z "$(find "$chroot_dir/etc/systemd" -name smtcheck.service)" ]; }
group_and_store() { in_root getent group smtcheck && [ "$(stat -c %a "$chroot_dir$store")" = 750 ]; }
dkms_source_installed() {
	ls "$chroot_dir$dkms_source/module/ipc_monitor.c" "$chroot_dir$dkms_source/module/runtime_monitor.c" &&
		grep -qx "PACKAGE_VERSION=\"$pom_version\"" "$chroot_dir$dkms_source/dkms.conf"
}
dkms_registered() { in_root dkms status smtcheck | tee /dev/stderr | grep -q "^smtcheck/$pom_version: added"; }
dkms_gone() { [ -z "$(in_root dkms status smtcheck)" ] && absent "$dkms_source" /var/lib/dkms/smtcheck; }
# The installed status goes to the native client: with no daemon it says so, exit 4, and no JVM ran.
native_status() {
	local out rc
	out=$(in_root env PATH=/nonexistent /bin/sh /usr/bin/smtcheck status --socket /run/none.sock 2>&1)
	rc=$?
	echo "$out" >&2
	[ "$rc" -eq 4 ] && [ "$out" = "status: daemon is not running (no socket at /run/none.sock)" ]
}
reads_edited_conf() { in_root smtcheck run --help | grep -q 'Default: 1234'; }
import_profiles() {
	in_root smtcheck profiles import /usr/share/smtcheck/trained_model/sample_dataset.json |
		tee /dev/stderr | grep -q '^imported 5 baselines, 16 profiles and 272 samples'
}
store_sum() { (cd "$chroot_dir$store" && find . -type f -print0 | sort -z | xargs -0r sha256sum); }
store_unchanged() { [ -s "$WORK/store-before" ] && store_sum | diff "$WORK/store-before" -; }
reads_store() { [ "$(in_root smtcheck profiles export | grep -c '"job_id" :')" = 16 ]; }
conf_kept_on_remove() {
	[ "$(in_root dpkg-query -W -f='${Status}' smtcheck)" = 'deinstall ok config-files' ] &&
		grep -qx threshold=1234 "$chroot_dir$conf"
}
# absent PATH...: none of the PATHs is in the root.
absent() {
	local p there=
	for p in "$@"; do
		[ ! -e "$chroot_dir$p" ] || there="$there $p"
	done
	[ -z "$there" ] || {
		echo "still there:$there"
		return 1
	}
}
dpkg_forgot() { ! in_root dpkg-query -W smtcheck smtcheck-dkms 2>/dev/null; }

# ---- install revision 1 -----------------------------------------------------
check "apt installs revision 1 (its dependencies are in the base root)" apt_install 1
check "both packages installed and configured" installed 1
check "smtcheck --version from the installed files" version_is_pom
check "smtcheck status answers from the native client" native_status
check "smtcheck plan loads the installed native library" \
	in_root smtcheck plan --scores /tmp/debs/scores.json --topology 0,1 --json
check "$conf is a conffile" is_conffile
check "the configured model directory holds the shipped model" model_dir_holds_model
check "the unit names the installed command, library and README" unit_names_installed_files
check "the installed unit passes systemd-analyze verify" unit_verifies
check "the unit is installed disabled" unit_disabled
check "group smtcheck and the store $store (mode 750)" group_and_store
check "manual pages smtcheck(1) and smtcheck.conf(5)" \
	ls "$chroot_dir/usr/share/man/man1/smtcheck.1.gz" "$chroot_dir/usr/share/man/man5/smtcheck.conf.5.gz"
check "smtcheck-dkms: source in $dkms_source, its version in dkms.conf" dkms_source_installed
check "smtcheck-dkms: registered with dkms" dkms_registered
check "no daemon started on installation" no_daemon_started

# Something to keep: an edited setting and profiles in the store.
sed -i 's/^threshold=3600$/threshold=1234/' "$chroot_dir$conf"
check "the installed command reads the edited $conf" reads_edited_conf
check "profiles import into the store" import_profiles
store_sum >"$WORK/store-before"

# ---- upgrade to revision 2 -----------------------------------------------------
check "apt upgrades to revision 2" apt_install 2
check "both packages at revision 2" installed 2
check "the edited $conf survives the upgrade" grep -qx threshold=1234 "$chroot_dir$conf"
check "the store survives the upgrade unchanged" store_unchanged
check "the upgraded command reads the store" reads_store
check "smtcheck-dkms: registered with dkms after the upgrade" dkms_registered
check "no daemon started on the upgrade" no_daemon_started

# ---- remove ---------------------------------------------------------------------
check "apt removes both" in_root apt-get remove -y smtcheck smtcheck-dkms
check "smtcheck's configuration file stays, as edited" conf_kept_on_remove
check "the store stays" store_unchanged
check "the command, the jar and the unit are gone" absent /usr/bin/smtcheck /usr/lib/smtcheck "$unit"
check "smtcheck-dkms: unregistered, its source gone" dkms_gone

# ---- purge -------------------------------------------------------------------
check "apt purges both" in_root apt-get purge -y smtcheck smtcheck-dkms
check "the configuration and the store are gone" absent /etc/smtcheck "$store"
check "dpkg knows neither package any more" dpkg_forgot
root_paths >"$WORK/paths-after"
check "nothing else is left: the root holds the paths it held before" diff "$WORK/paths-before" "$WORK/paths-after"
check "the group smtcheck stays (files elsewhere may still be its)" in_root getent group smtcheck
check "no daemon started by any maintainer script" no_daemon_started

finish
