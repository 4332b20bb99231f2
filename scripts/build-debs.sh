#!/usr/bin/env bash
# Builds the Debian packages smtcheck (the daemon) and smtcheck-dkms (the kernel modules' source,
# for dkms) into target/debs/, from packaging/debian and the built jar (built first when missing).
# Needs root only to install the build's packages.
#
#   scripts/build-debs.sh [--revision N]
#
# The version is pom.xml's as Debian orders it (0.1.0-SNAPSHOT -> 0.1.0~snapshot, before 0.1.0),
# with revision N (default 1): 0.1.0~snapshot-1.
set -euo pipefail
cd "$(dirname "$0")/.."

revision=1
while [ $# -gt 0 ]; do
	case "$1" in
	--revision)
		[[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || {
			echo "build-debs.sh: --revision needs a positive whole number, not '${2:-}'" >&2
			exit 2
		}
		revision=$2
		shift 2
		;;
	-h | --help)
		sed -n '2,9p' "$0"
		exit 0
		;;
	*)
		echo "build-debs.sh: unknown argument '$1'" >&2
		exit 2
		;;
	esac
done

# shellcheck source=lib/packages.sh
. scripts/lib/packages.sh
# shellcheck source=lib/modules.sh
. scripts/lib/modules.sh
ensure_packages "${DEB_BUILD_PACKAGES[@]}"

classes=target/classes/META-INF
if [ ! -f target/smtcheck-daemon.jar ] || [ ! -f "$classes/man/smtcheck.1" ]; then
	ensure_packages "${BUILD_PACKAGES[@]}"
	mvn -B -q -ntp -DskipTests package
fi

pom_version=$(smtcheck_version)
upstream=$(tr 'A-Z-' 'a-z~' <<<"$pom_version")
version=$upstream-$revision
[[ "$version" =~ ^[0-9][a-z0-9.+~]*-[0-9]+$ ]] || {
	echo "build-debs.sh: pom.xml's version '$pom_version' makes no Debian version ('$version')" >&2
	exit 1
}

# A source tree of what the packages hold, for dpkg-buildpackage, which wants debian/ at its top.
build=target/deb-build
tree=$build/smtcheck-$version
rm -rf "$build"
mkdir -p "$tree/built/bin" "$tree/built/man" "$tree/built/trained_model" "$tree/dkms"
cp -r packaging/debian "$tree/debian"
cp target/smtcheck-daemon.jar "$classes/native/linux-x86_64/libsmtcheck.so" "$tree/built/"
cp "$classes/native/linux-x86_64/bin/smtcheck-inject" "$classes/native/linux-x86_64/bin/smtcheck-runner" \
	"$classes/native/linux-x86_64/bin/smtcheck-status" "$tree/built/bin/"
cp "$classes"/man/*.1 "$classes"/man/*.5 "$tree/built/man/"
cp trained_model/*.json "$tree/built/trained_model/"
cp scripts/smtcheck.sh scripts/smtcheck.conf scripts/smtcheck.service README.md "$tree/built/"
modules_stage_source "$tree/dkms/smtcheck-$pom_version"

maintainer=$(sed -n 's/^Maintainer: //p' packaging/debian/control)
cat >"$tree/debian/changelog" <<CHANGELOG
smtcheck ($version) unstable; urgency=medium

  * Built from $(git describe --always --dirty 2>/dev/null || echo "a source tree without git").

 -- $maintainer  $(date -R)
CHANGELOG

(cd "$tree" && dpkg-buildpackage -b -us -uc) >"$build/dpkg-buildpackage.log" 2>&1 || {
	cat "$build/dpkg-buildpackage.log" >&2
	echo "build-debs.sh: dpkg-buildpackage failed (log above, also in $build/dpkg-buildpackage.log)" >&2
	exit 1
}
mkdir -p target/debs
for deb in "$build"/*_"$version"_*.deb; do
	mv "$deb" target/debs/
	echo "target/debs/$(basename "$deb")"
done
