#!/bin/sh
# smtcheck: the daemon and its commands (see smtcheck --help).
SMTCHECK_NATIVE_LIBRARY=${SMTCHECK_NATIVE_LIBRARY:-/usr/local/lib/smtcheck/libsmtcheck.so}
SMTCHECK_TOOLS_DIR=${SMTCHECK_TOOLS_DIR:-/usr/local/lib/smtcheck/bin}
export SMTCHECK_NATIVE_LIBRARY SMTCHECK_TOOLS_DIR
exec java -jar /usr/local/lib/smtcheck/smtcheck-daemon.jar "$@"
