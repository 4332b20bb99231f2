#!/bin/sh
# smtcheck: the daemon and its commands (see smtcheck --help).
SMTCHECK_NATIVE_LIBRARY=${SMTCHECK_NATIVE_LIBRARY:-/usr/local/lib/smtcheck/libsmtcheck.so}
SMTCHECK_TOOLS_DIR=${SMTCHECK_TOOLS_DIR:-/usr/local/lib/smtcheck/bin}
SMTCHECK_JAR=${SMTCHECK_JAR:-/usr/local/lib/smtcheck/smtcheck-daemon.jar}
export SMTCHECK_NATIVE_LIBRARY SMTCHECK_TOOLS_DIR SMTCHECK_JAR
# status is asked often: a native client answers it without a JVM, and hands the jar what it does not know.
if [ "${1:-}" = status ] && [ -x "$SMTCHECK_TOOLS_DIR/smtcheck-status" ]; then
	exec "$SMTCHECK_TOOLS_DIR/smtcheck-status" "$@"
fi
exec java -jar "$SMTCHECK_JAR" "$@"
