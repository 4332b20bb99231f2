#!/usr/bin/env bash
# Builds smtcheck and installs it: the jar, its native library and profiling programs, the
# shipped model, a `smtcheck` command, the systemd unit and a default configuration (kept if one exists).
#
#   scripts/install.sh [--no-build] [--enable]
#
# PREFIX (default /usr/local) and DESTDIR (default empty) work as usual for staged installs.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
enable=0
for arg in "$@"; do
	case "$arg" in
	--no-build) build=0 ;;
	--enable) enable=1 ;;
	-h | --help)
		sed -n '2,8p' "$0"
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
[ -f "$jar" ] && [ -f "$native" ] && [ -x "$tools/smtcheck-inject" ] && [ -x "$tools/smtcheck-runner" ] || {
	echo "install.sh: $jar, $native or the programs in $tools are missing: build first (drop --no-build)" >&2
	exit 1
}

install -d -m 0755 "$lib" "$lib/bin" "$share/trained_model" "$bin" "$etc" "$unit_dir" "$DESTDIR$PREFIX/share/doc/smtcheck"
install -m 0644 "$jar" "$lib/smtcheck-daemon.jar"
install -m 0644 "$native" "$lib/libsmtcheck.so"
install -m 0755 "$tools/smtcheck-inject" "$tools/smtcheck-runner" "$lib/bin/"
install -m 0644 trained_model/*.json "$share/trained_model/"
install -m 0644 README.md "$DESTDIR$PREFIX/share/doc/smtcheck/README.md"
cat >"$bin/smtcheck" <<WRAPPER
#!/bin/sh
# smtcheck: the daemon and its commands (see smtcheck --help).
SMTCHECK_NATIVE_LIBRARY=\${SMTCHECK_NATIVE_LIBRARY:-$PREFIX/lib/smtcheck/libsmtcheck.so}
SMTCHECK_TOOLS_DIR=\${SMTCHECK_TOOLS_DIR:-$PREFIX/lib/smtcheck/bin}
export SMTCHECK_NATIVE_LIBRARY SMTCHECK_TOOLS_DIR
exec java -jar $PREFIX/lib/smtcheck/smtcheck-daemon.jar "\$@"
WRAPPER
chmod 0755 "$bin/smtcheck"
install -m 0644 scripts/smtcheck.service "$unit_dir/smtcheck.service"
if [ "$PREFIX" != /usr/local ]; then
	sed -i "s#/usr/local/#$PREFIX/#g" "$unit_dir/smtcheck.service"
fi
if [ ! -f "$etc/smtcheck.conf" ]; then
	cat >"$etc/smtcheck.conf" <<CONF
# smtcheck daemon settings: name=value, one per line; names are the options of
# \`smtcheck run --help\` without the leading dashes (an unknown name is an error).
# The command line wins. \`systemctl reload smtcheck\` applies verbose and re-reads the
# model directory; other changes take effect at the next restart.
model-dir=$PREFIX/share/smtcheck/trained_model
data-dir=/var/lib/smtcheck
socket=/run/smtcheck/control.sock
socket-group=smtcheck
threshold=3600
interval=1
min-gain=0.02
# mongo-uri=mongodb://db1,db2,db3/?replicaSet=rs0
# topology=0,4;1,5;2,6;3,7
# dry-run=true
CONF
	chmod 0644 "$etc/smtcheck.conf"
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
