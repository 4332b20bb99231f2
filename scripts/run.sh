#!/usr/bin/env bash
# Runs smtcheck from a checkout: installs what the build needs, builds the jar when it is missing
# or older than the sources, then runs it with the given arguments.
#   scripts/run.sh plan --scores scripts/examples/scores.json
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/packages.sh
. scripts/lib/packages.sh
ensure_packages "${BUILD_PACKAGES[@]}"

jar=target/smtcheck-daemon.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml src/main native -newer "$jar" -type f -print -quit)" ]; then
	echo "building $jar ..." >&2
	mvn -B -q -ntp -DskipTests package >&2
fi
exec java -jar "$jar" "$@"
