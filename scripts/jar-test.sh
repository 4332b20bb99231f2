#!/usr/bin/env bash
# Checks the packaged jar as a user runs it: the native library loads from inside the jar, plans
# come out right, and bad input gives one line and the documented exit code.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/packages.sh
. scripts/lib/packages.sh
ensure_packages "${SERVICE_TEST_PACKAGES[@]}" "${MAN_TEST_PACKAGES[@]}" || exit 1
jar=target/smtcheck-daemon.jar
# shellcheck source=lib/check.sh
. scripts/lib/check.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

examples=scripts/examples/scores.json
check "--version names the build's version" 0 '^smtcheck [0-9]+\.[0-9]+\.[0-9]+' java -jar "$jar" --version
check "plan on this machine" 0 '^mode (exact|greedy), total score' java -jar "$jar" plan --scores "$examples"
check "plan as JSON" 0 '"total"' java -jar "$jar" plan --scores "$examples" --topology "0,1" --json
check "native library from an explicit path" 0 '"mode" : "exact"' \
	env SMTCHECK_NATIVE_LIBRARY="$PWD/target/classes/META-INF/native/linux-x86_64/libsmtcheck.so" \
	java -jar "$jar" plan --scores "$examples" --topology "0" --json
check "missing native library override" 3 'not readable' \
	env SMTCHECK_NATIVE_LIBRARY=/nonexistent/libsmtcheck.so java -jar "$jar" plan --scores "$examples"
echo '{"workloads":[{"id":"a"}],"matrix":[[0,1]]}' >"$tmp/bad.json"
check "bad matrix" 1 "^plan: .*bad.json: score matrix row 0 \('a'\) has 2 entries" \
	java -jar "$jar" plan --scores "$tmp/bad.json"
check "offline CPU" 1 "is not online" java -jar "$jar" plan --scores "$examples" --topology "0;9999"
check "usage error" 2 "Missing required (option|argument)" java -jar "$jar" plan
check "help lists exit codes" 0 "Exit codes:" java -jar "$jar" plan --help

printf 'threshold=600\ndry-run=true\n' >"$tmp/smtcheck.conf"
check "run reads its configuration file" 0 "Default: 600" env SMTCHECK_CONFIG="$tmp/smtcheck.conf" java -jar "$jar" run --help
printf '# settings\n\ntreshold=600\n' >"$tmp/typo.conf"
check "unknown setting in \$SMTCHECK_CONFIG" 2 "^run: $tmp/typo.conf:3: unknown setting \"treshold\" \(did you mean \"threshold\"\?\)$" \
	env SMTCHECK_CONFIG="$tmp/typo.conf" java -jar "$jar" run --help
check "missing \$SMTCHECK_CONFIG" 2 "^run: $tmp/none.conf: no such configuration file$" \
	env SMTCHECK_CONFIG="$tmp/none.conf" java -jar "$jar" run --help
check "status without a daemon" 4 "daemon is not running" java -jar "$jar" status --socket "$tmp/none.sock"
check "launch returns the command's exit code" 7 "runs as process group" \
	java -jar "$jar" launch --job 1 --state-dir "$tmp/state" -- sh -c 'exit 7'
check "staged install" 0 "installed smtcheck under $tmp/stage/usr/local" \
	env DESTDIR="$tmp/stage" scripts/install.sh --no-build
check "installed documentation: README and the pages it links" 0 "docs/operating.md" \
	ls "$tmp/stage/usr/local/share/doc/smtcheck/README.md" "$tmp/stage/usr/local/share/doc/smtcheck/docs/operating.md"
check "installed files" 0 "smtcheck-daemon.jar" ls "$tmp/stage/usr/local/lib/smtcheck" "$tmp/stage/etc/systemd/system/smtcheck.service" \
	"$tmp/stage/etc/smtcheck/smtcheck.conf" "$tmp/stage/usr/local/bin/smtcheck"
# A page renders without a troff warning; prints it.
render_man() {
	local warnings
	warnings=$(groff -man -Tutf8 -ww -z "$1" 2>&1) || return 1
	[ -z "$warnings" ] || { echo "$warnings"; return 1; }
	groff -man -Tutf8 -P-cbou "$1"
}
check "installed manual page of run" 0 'smtcheck-run +- +Runs +the +daemon' \
	render_man "$tmp/stage/usr/local/share/man/man1/smtcheck-run.1"
check "installed manual page of the configuration" 0 '^ +threshold=SECONDS$' \
	render_man "$tmp/stage/usr/local/share/man/man5/smtcheck.conf.5"
# Every command that --help lists has its page; prints how many.
pages_of_commands() {
	local c n=0
	for c in $(java -jar "$jar" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'); do
		[ "$c" = help ] && continue
		[ -f "$1/man1/smtcheck-$c.1" ] || { echo "no page for $c"; return 1; }
		n=$((n + 1))
	done
	echo "$n commands, each with its page"
}
check "every command has its installed page" 0 '^[0-9]+ commands, each with its page$' \
	pages_of_commands "$tmp/stage/usr/local/share/man"
check "staged modules' source for dkms" 0 '^PACKAGE_VERSION="[0-9][^@"]*"$' \
	cat "$tmp/stage/usr/src/smtcheck-"*/dkms.conf
check "modules loaded at boot" 0 '^runtime_monitor$' cat "$tmp/stage/etc/modules-load.d/smtcheck.conf"
staged_without_modules() {
	DESTDIR=$1 scripts/install.sh --no-build --no-modules >/dev/null &&
		! ls "$1/usr/src" "$1/etc/modules-load.d" 2>/dev/null &&
		echo "nothing in usr/src or modules-load.d"
}
check "staged install without modules" 0 '^nothing in usr/src or modules-load.d$' \
	staged_without_modules "$tmp/stage-no-modules"
# systemd-analyze verify checks that the programs the unit runs exist: verify the installed unit with
# its installed paths pointed into the staging directory. Any warning (an ignored assignment, say) fails.
verify_unit() {
	local out
	mkdir -p "$tmp/unit"
	sed "s#/usr/local/#$tmp/stage/usr/local/#g" "$tmp/stage/etc/systemd/system/smtcheck.service" >"$tmp/unit/smtcheck.service"
	# It runs man(1) for each of the unit's Documentation= pages: the staged ones.
	if out=$(MANPATH="$tmp/stage/usr/local/share/man" systemd-analyze verify "$tmp/unit/smtcheck.service" 2>&1) &&
		[ -z "$out" ]; then
		echo clean
	else
		echo "$out"
		return 1
	fi
}
check "the installed unit passes systemd-analyze verify" 0 '^clean$' verify_unit
check "the installed configuration is accepted" 0 "Default: 3600" java -jar "$jar" run --config "$tmp/stage/etc/smtcheck/smtcheck.conf" --help

# Scores, profiles and models: the shipped model and sample data inside the jar.
sample=trained_model/sample_dataset.json
check "scores board from the shipped model" 0 '^solo \(one thread, idle sibling\): ' \
	java -jar "$jar" scores --profiles "$sample" --job dgemm --job stream-copy
check "plan from profiles" 0 '^mode (exact|greedy), total score' \
	java -jar "$jar" plan --profiles "$sample" --job dgemm --job stream-copy --job nbody --topology "0,1"
check "model show" 0 '^resources: fp_unit \(parallel\)' java -jar "$jar" model show
check "train from the sample data" 0 '^wrote .*/prediction_model_[0-9]{8}T[0-9]{6}Z\.json$' \
	java -jar "$jar" train --samples "$sample" --out "$tmp/models"
check "profiles import into an embedded store" 0 '^imported 5 baselines, 16 profiles' \
	java -jar "$jar" profiles import "$sample" --data-dir "$tmp/db"
check "scores from the embedded store" 0 '"solo"' \
	java -jar "$jar" scores --data-dir "$tmp/db" --job dgemm --job gzip --json
echo '{"format_version": 1}' >"$tmp/prediction_model_20250101T000000Z.json"
check "invalid model" 1 '^show: .*: resources: missing$' java -jar "$jar" model show "$tmp/prediction_model_20250101T000000Z.json"
check "invalid model not deployed" 1 'resources: missing' \
	java -jar "$jar" model deploy "$tmp/prediction_model_20250101T000000Z.json" --dir "$tmp/deployed"
check "unreachable MongoDB" 3 'is unreachable' \
	java -jar "$jar" profiles export --mongo-uri mongodb://127.0.0.1:1

# Profiling: the injectors and the runner travel inside the jar and run from there.
check "profiling programs inside the jar" 0 'bin/smtcheck-runner' jar tf "$jar"
check "profile --help lists exit codes" 0 "Exit codes:" java -jar "$jar" profile --help
# A shell loop: about 0.2 s of CPU, enough to measure.
check "profile a command from the jar" 0 "^profile of 'count' \(job 1\) written to embedded server" \
	java -jar "$jar" profile --job 1 --name count --topology "0,1" --cpus 0,1 --duration 0.05 --levels 1 --repeats 1 \
	--data-dir "$tmp/pdb" --socket "$tmp/none.sock" -- sh -c 'i=0; while [ $i -lt 150000 ]; do i=$((i + 1)); done'
check "profile of a command too short to measure" 1 "^profile: true ran for 0.0[0-9]* s of CPU time: too short" \
	java -jar "$jar" profile --job 3 --name true --topology "0,1" --cpus 0,1 --duration 0.05 --levels 1 --repeats 1 \
	--data-dir "$tmp/pdb" --socket "$tmp/none.sock" -- true
check "profile of a failing command" 1 "^profile: false exited with status 1" \
	java -jar "$jar" profile --job 2 --name false --topology "0,1" --cpus 0,1 --duration 0.05 --levels 1 --repeats 1 \
	--data-dir "$tmp/pdb" --socket "$tmp/none.sock" -- false
check "profiling programs installed" 0 "bin/smtcheck-inject$" ls "$tmp/stage/usr/local/lib/smtcheck/bin/smtcheck-inject"

# What the jar ships runs as root: full RELRO (bound at load, then read-only) and stack protection.
hardened() {
	# grep reads to the end: with pipefail, grep -q would end readelf with SIGPIPE
	readelf -d "$1" | grep BIND_NOW >/dev/null && readelf -lW "$1" | grep GNU_RELRO >/dev/null &&
		readelf --dyn-syms -W "$1" | grep __stack_chk_fail >/dev/null && echo "hardened: $1"
}
mkdir "$tmp/shipped" && (jar_path=$PWD/$jar && cd "$tmp/shipped" && jar xf "$jar_path" META-INF/native)
for f in "$tmp"/shipped/META-INF/native/linux-x86_64/libsmtcheck.so "$tmp"/shipped/META-INF/native/linux-x86_64/bin/*; do
	check "hardened native file: ${f##*/}" 0 "^hardened: " hardened "$f"
done

# `status` without a JVM: the native client that the installed `smtcheck` runs for `status`, beside
# the Java command, against one running daemon (dry run, userspace monitor, one launched group).
d=$tmp/daemon
mkdir -p "$d"
chmod 0755 "$tmp" "$d" # another user reaches the socket itself, whose mode decides
client=$d/smtcheck-status
install -m 0755 target/classes/META-INF/native/linux-x86_64/bin/smtcheck-status "$client"
sock=$d/control.sock
java -jar "$jar" run --dry-run --userspace --sample-profiles --threshold 1 --interval 0.2 --topology "0,1" \
	--socket "$sock" --state-dir "$d/state" --data-dir "$d/data" >"$d/daemon.log" 2>&1 &
daemon_pid=$!
java -jar "$jar" launch --job 101 --state-dir "$d/state" -- sleep 600 >"$d/launch.log" 2>&1 &
launch_pid=$!
# The launched group is the sleep's own: its pgid, once status shows it, is what the trap kills.
group_file=$d/group
trap 'kill "$daemon_pid" "$launch_pid" 2>/dev/null; [ -s "$group_file" ] && kill -- "-$(cat "$group_file")" 2>/dev/null; wait; rm -rf "$tmp"' EXIT
pinned_group() {
	local _ out
	for _ in $(seq 1 240); do
		out=$("$client" --socket "$sock" --json 2>/dev/null)
		if grep -q '"pinnedSince"' <<<"$out"; then
			grep -oE '"pgid" : [0-9]+' <<<"$out" | head -n 1 | grep -oE '[0-9]+' >"$group_file"
			echo pinned
			return 0
		fi
		sleep 0.5
	done
	cat "$d/daemon.log" "$d/launch.log"
	return 1
}
check "the daemon pins the launched group" 0 '^pinned$' pinned_group
# The uptime is all that may change between the two calls of a quiet daemon.
same_status() {
	local java_out native_out
	java_out=$(java -jar "$jar" status --socket "$sock" "$@" | sed -E 's/up [0-9]+m[0-9]+s/up T/; s/"uptimeSeconds" : [0-9]+/"uptimeSeconds" : T/')
	native_out=$("$client" --socket "$sock" "$@" | sed -E 's/up [0-9]+m[0-9]+s/up T/; s/"uptimeSeconds" : [0-9]+/"uptimeSeconds" : T/')
	if [ "$java_out" = "$native_out" ] && [ -n "$java_out" ]; then
		echo same
	else
		diff <(echo "$java_out") <(echo "$native_out")
	fi
}
check "native status prints what the Java status prints" 0 '^same$' same_status
check "native status --json prints what the Java status --json prints" 0 '^same$' same_status --json
check "status explains the plan and each workload" 0 'command: sleep 600' "$client" --socket "$sock"
refreshes() {
	{ timeout 2.3 "$client" --socket "$sock" --watch 0.5 || true; } | grep -c '^smtcheck daemon'
}
check "native status --watch shows it again and again" 0 '^[3-9]$' refreshes
# watched_json_lines SECONDS COMMAND...: what COMMAND prints in SECONDS, as "N object" when every line is one.
watched_json_lines() {
	local seconds=$1 lines
	shift
	lines=$(timeout "$seconds" "$@" | while read -r line; do
		if [ "${line:0:1}" = "{" ] && [ "${line: -1}" = "}" ]; then echo object; else echo "not one object: $line"; fi
	done)
	sort <<<"$lines" | uniq -c
	! grep -q "not one object" <<<"$lines"
}
check "native status --watch --json prints one object a line" 0 '^ +([2-9]|[1-9][0-9]+) object$' \
	watched_json_lines 1.2 "$client" --socket "$sock" --watch=0.3 --json
check "Java status --watch --json prints one object a line" 0 '^ +([2-9]|[1-9][0-9]+) object$' \
	watched_json_lines 8 java -jar "$jar" status --socket "$sock" --watch 0.5 --json
check "native status without a daemon" 4 "^status: daemon is not running \(no socket at $tmp/none.sock\)$" \
	"$client" --socket "$tmp/none.sock"
check "native status as another user" 5 "^status: permission denied on $sock: run as root or as a member" \
	runuser -u nobody -- "$client" --socket "$sock"
check "Java status as another user says the same" 5 "^status: permission denied on $sock: run as root or as a member" \
	runuser -u nobody -- java -jar "$PWD/$jar" status --socket "$sock"
check "native status hands --help to the jar" 0 "--watch\[=SECONDS\]" env SMTCHECK_JAR="$jar" "$client" status --help
check "native status hands a bad --watch to the jar" 2 "^status: --watch: a refresh every 0.0 s is out of range" \
	env SMTCHECK_JAR="$jar" "$client" status --watch=0
check "native status without the jar to hand an option to" 2 "^status: usage: smtcheck status" \
	env -u SMTCHECK_JAR "$client" status --verbose
# The installed command answers status with no java anywhere on its PATH: the native client did.
check "installed smtcheck status needs no JVM" 0 "^smtcheck daemon, pid $daemon_pid" \
	env PATH=/nonexistent SMTCHECK_TOOLS_DIR="$tmp/stage/usr/local/lib/smtcheck/bin" \
	/bin/sh "$tmp/stage/usr/local/bin/smtcheck" status --socket "$sock"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
