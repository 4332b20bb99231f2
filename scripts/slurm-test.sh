#!/usr/bin/env bash
# The daemon on a Slurm node: a real munged, slurmctld and slurmd on this host (a one-node cluster
# of its own, in a temporary directory, on ports of its own), jobs started with srun and sbatch,
# and the daemon (the built jar, userspace monitor, real pinning) recognising them: the Slurm job
# id as the group's job id, the profile of the job's name, and pins inside the job's allocation,
# for whole-node jobs and for a job that has only part of the node.
#
# Slurm tracks jobs with its cgroup plugins where cgroups allow (cgroup v1 with a cpuset
# hierarchy, or v2 where slurmd can use systemd), else with proctrack/linuxproc and
# task/affinity; which one ran is logged. See docs/slurm.md.
#
# Usage: scripts/slurm-test.sh    (as root; installs what it needs; needs target/smtcheck-daemon.jar)
# Env:   SLURM_TEST_TRACKING=cgroup|linuxproc   force one way of tracking jobs (default: cgroup, else linuxproc)
#        SLURM_TEST_KEEP=1                      keep the work directory
#        SLURM_TEST_PORT=N                      slurmctld's port (slurmd's is N+1; default 16817)
# Last line of output: "N passed, N failed"; exit status 0 only if all pass.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=lib/packages.sh
. scripts/lib/packages.sh

passed=0
failed=0
start=$(date +%s)
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
log() { printf '[slurm] %s\n' "$*" >&2; }
finish() {
	log "$(($(date +%s) - start))s in all"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

jar=$ROOT/target/smtcheck-daemon.jar
if [ "$(id -u)" -ne 0 ]; then
	fail "setup (slurmd and munged need root)"
	finish
fi
if [ ! -f "$jar" ]; then
	fail "setup (no $jar: build it with mvn package)"
	finish
fi
if ! ensure_packages "${SLURM_TEST_PACKAGES[@]}"; then
	fail "setup (packages could not be installed: ${SLURM_TEST_PACKAGES[*]})"
	finish
fi

WORK=$(mktemp -d /tmp/smtcheck-slurm.XXXXXX)
chmod 755 "$WORK" # munged wants every directory above its socket searchable by all
export SLURM_CONF=$WORK/etc/slurm.conf
HOST=$(hostname -s)
PORT=${SLURM_TEST_PORT:-16817}
CPUS=$(lscpu -p=CPU | grep -vc '^#')
SRUNS=()
DAEMON=

stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 10 s
	local pid=$1 _
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
		return 0
	fi
	kill "$pid" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
}

stop_slurm() {
	local p
	scancel --quiet --user=root 2>/dev/null # this cluster's jobs: SLURM_CONF names the private controller
	for p in "${SRUNS[@]}"; do
		stop_pid "$p"
	done
	SRUNS=()
	for p in slurmd slurmctld; do
		[ -f "$WORK/run/$p.pid" ] && stop_pid "$(cat "$WORK/run/$p.pid")"
		rm -f "$WORK/run/$p.pid"
	done
	# The job cgroups slurmd made in the v1 hierarchies, where it left them (only empty ones go).
	find /sys/fs/cgroup/*/slurm_"$HOST" /sys/fs/cgroup/*/slurm -depth -type d -exec rmdir {} + 2>/dev/null
}

# shellcheck disable=SC2317 # it runs from the trap
teardown() {
	stop_pid "$DAEMON"
	stop_slurm
	[ -f "$WORK/munge/munged.pid" ] && stop_pid "$(cat "$WORK/munge/munged.pid")"
	if [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then
		log "work directory (kept): $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap teardown EXIT
trap 'exit 1' INT TERM

# ---- munge ---------------------------------------------------------------
mkdir -p "$WORK/munge" "$WORK/munge-run" "$WORK/etc" "$WORK/run" "$WORK/state" "$WORK/spool" "$WORK/log"
head -c 1024 /dev/urandom >"$WORK/munge/munge.key"
chown -R munge:munge "$WORK/munge" "$WORK/munge-run"
chmod 700 "$WORK/munge"
chmod 400 "$WORK/munge/munge.key"
chmod 755 "$WORK/munge-run"
SOCK=$WORK/munge-run/munge.socket
if runuser -u munge -- munged --socket="$SOCK" --key-file="$WORK/munge/munge.key" \
	--log-file="$WORK/munge/munged.log" --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/seed" &&
	munge -S "$SOCK" -n | unmunge -S "$SOCK" >/dev/null; then
	pass "setup (munged with a key of its own)"
else
	cat "$WORK/munge/munged.log" 2>/dev/null
	fail "setup (munged)"
	finish
fi

# ---- slurm ---------------------------------------------------------------
cgroup_kind() { # how this host's cgroups can hold Slurm's jobs: v1, v2 or none
	if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
		echo v2
	elif [ "$(stat -fc %T /sys/fs/cgroup/cpuset 2>/dev/null)" = cgroupfs ] &&
		[ "$(stat -fc %T /sys/fs/cgroup/freezer 2>/dev/null)" = cgroupfs ]; then
		echo v1
	else
		echo none
	fi
}

# write_conf cgroup|linuxproc
write_conf() {
	local proctrack=proctrack/linuxproc task=task/affinity
	if [ "$1" = cgroup ]; then
		proctrack=proctrack/cgroup
		task=task/cgroup,task/affinity
	fi
	cat >"$WORK/etc/slurm.conf" <<EOF
ClusterName=smtcheck-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/run/slurmctld.pid
SlurmdPidFile=$WORK/run/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ProctrackType=$proctrack
TaskPlugin=$task
MpiDefault=none
ReturnToService=2
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
	cat >"$WORK/etc/cgroup.conf" <<EOF
CgroupPlugin=cgroup/$(cgroup_kind)
ConstrainCores=yes
EOF
}

# start_slurm cgroup|linuxproc: true once the node is idle
start_slurm() {
	local state _
	write_conf "$1"
	slurmctld -i >>"$WORK/log/slurmctld.out" 2>&1 || return 1
	slurmd >>"$WORK/log/slurmd.out" 2>&1 || return 1
	for _ in $(seq 1 60); do
		state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null)
		[ "$state" = idle ] && return 0
		sleep 0.5
	done
	log "node state after 30 s: '$state'"
	return 1
}

TRACKING=${SLURM_TEST_TRACKING:-}
if [ -z "$TRACKING" ]; then
	if [ "$(cgroup_kind)" != none ] && start_slurm cgroup; then
		TRACKING=cgroup
	else
		log "slurmd does not run with cgroups here ($(cgroup_kind)); its log:"
		tail -n 5 "$WORK/log/slurmd.log" >&2 2>/dev/null
		stop_slurm
		start_slurm linuxproc && TRACKING=linuxproc
	fi
elif ! start_slurm "$TRACKING"; then
	TRACKING=
fi
if [ -n "$TRACKING" ]; then
	pass "setup (slurmctld and slurmd on $HOST, $CPUS CPUs, jobs tracked with $TRACKING, cgroups $(cgroup_kind))"
else
	tail -n 20 "$WORK/log/slurmctld.log" "$WORK/log/slurmd.log" 2>/dev/null
	fail "setup (slurmctld and slurmd)"
	finish
fi

# ---- the daemon ----------------------------------------------------------
# This host's CPUs as cores of two hardware threads each, so that pairs are planned on hosts without SMT.
TOPOLOGY=$(lscpu -p=CPU | grep -v '^#' | paste -sd ' ' | sed -E 's/([0-9]+) ([0-9]+)/\1,\2;/g; s/ /;/g; s/;$//')
CONTROL=$WORK/run/control.sock
# Only sleep's groups: the sample profiles' process rules match common programs, which this test
# must not pin on a shared host; the jobs below run sleep, which matches no rule.
java -jar "$jar" run --userspace --sample-profiles --threshold 1 --interval 0.5 --topology "$TOPOLOGY" \
	--include comm=sleep --socket "$CONTROL" --state-dir "$WORK/run" --data-dir "$WORK/data" \
	>"$WORK/log/daemon.log" 2>&1 &
DAEMON=$!
status() { java -jar "$jar" status --socket "$CONTROL" --json 2>/dev/null; }
for _ in $(seq 1 120); do
	status >/dev/null && break
	sleep 0.5
done
if status >/dev/null; then
	pass "setup (daemon on topology $TOPOLOGY)"
else
	tail -n 20 "$WORK/log/daemon.log"
	fail "setup (the daemon did not answer)"
	finish
fi

# The CPU list format as one number a line.
expand_cpus() {
	tr ',' '\n' <<<"$1" | while IFS=- read -r a b; do
		[ -n "$a" ] && seq "$a" "${b:-$a}"
	done
}
allowed() { sed -n 's/^Cpus_allowed_list:\s*//p' "/proc/$1/status"; }
# within LIST OUTER: every CPU of LIST is one of OUTER
within() { [ -z "$(comm -23 <(expand_cpus "$1" | sort) <(expand_cpus "$2" | sort))" ]; }

# job_task ID: the pid of the job's sleep (its only task), once it runs
job_task() {
	local pid _
	for _ in $(seq 1 60); do
		for pid in $(scontrol listpids "$1" 2>/dev/null | awk 'NR > 1 { print $1 }'); do
			[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && echo "$pid" && return 0
		done
		sleep 0.5
	done
	return 1
}

# job_id NAME: the id of this cluster's job of that name, once it is known
job_id() {
	local id _
	for _ in $(seq 1 60); do
		id=$(squeue -h -n "$1" -o %i | head -n 1)
		[ -n "$id" ] && echo "$id" && return 0
		sleep 0.5
	done
	return 1
}

# allocation ID: the job's CPUs on this node as Slurm shows them (scontrol show job -d: CPU_IDs=...)
allocation() { scontrol show job -d "$1" | sed -n 's/.*CPU_IDs=\([^ ]*\).*/\1/p' | head -n 1; }

# entry KIND PGID: the status's entry for the group (KIND workloads or leftAlone) as "field=value" lines
entry() {
	status | python3 -c '
import json, sys
kind, pgid = sys.argv[1], int(sys.argv[2])
for w in json.load(sys.stdin)[kind]:
    if w["pgid"] == pgid:
        for k, v in w.items():
            print("%s=%s" % (k, ",".join(map(str, v)) if isinstance(v, list) else v))
' "$1" "$2"
}

# await_entry KIND PGID: entry KIND PGID once it has one (and, for a workload, its pins applied),
# waiting up to 45 s (each status is a JVM started: counted in seconds, not in tries)
await_entry() {
	local e end=$((SECONDS + 45))
	while [ "$SECONDS" -lt "$end" ]; do
		e=$(entry "$1" "$2")
		if [ -n "$e" ] && { [ "$1" = leftAlone ] || grep -q '^cpus=.' <<<"$e"; }; then
			echo "$e"
			return 0
		fi
		sleep 0.5
	done
	echo "$e"
	return 1
}

field() { sed -n "s/^$1=//p" <<<"$2"; }

# check_managed HOW NAME ID PID: the daemon manages the job's group as a Slurm job, pinned within
# its allocation; false when it does not manage it at all
check_managed() {
	local how=$1 name=$2 id=$3 pid=$4 alloc e cpus now
	alloc=$(allocation "$id")
	if ! e=$(await_entry workloads "$pid"); then
		status >"$WORK/log/status-$id.json"
		tail -n 20 "$WORK/log/daemon.log"
		fail "$how job $id ($name): not managed after 45 s (status: $(tr -d '\n' <"$WORK/log/status-$id.json" | head -c 2000))"
		return 1
	fi
	if [ "$(field job "$e")" = "$id" ]; then
		pass "$how job $id ($name): its job id is the Slurm job id"
	else
		fail "$how job $id ($name): job id $(field job "$e"), not $id"
	fi
	if [ "$(field name "$e")" = "$name" ] && [ "$(field profileKnown "$e")" = True ]; then
		pass "$how job $id ($name): placed with the sample profile of its name"
	else
		fail "$how job $id ($name): name '$(field name "$e")', profile known: $(field profileKnown "$e")"
	fi
	cpus=$(field cpus "$e")
	now=$(allowed "$pid")
	if [ -n "$alloc" ] && [ "$(expand_cpus "$now")" = "$(expand_cpus "$cpus")" ] && within "$now" "$alloc"; then
		pass "$how job $id ($name): pinned to CPUs $now (Cpus_allowed_list), within its allocation $alloc"
	else
		fail "$how job $id ($name): Cpus_allowed_list '$now', status cpus '$cpus', allocation '$alloc'"
	fi
}

# await_gone PID: the group leaves the status once Slurm ended the job
await_gone() {
	local end=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$end" ]; do
		[ -z "$(entry workloads "$1")" ] && return 0
		sleep 0.5
	done
	return 1
}

# ---- a whole-node srun job, named as a sample profile -----------------------
srun --job-name=dgemm --exclusive -c "$CPUS" sleep 300 >"$WORK/log/srun-dgemm.out" 2>&1 &
SRUNS+=($!)
if id=$(job_id dgemm) && pid=$(job_task "$id"); then
	if check_managed srun dgemm "$id" "$pid"; then
		scancel "$id"
		if await_gone "$pid"; then
			pass "srun job $id: leaves the status when cancelled"
		else
			fail "srun job $id: still in the status after scancel"
		fi
	fi
	scancel "$id"
else
	fail "srun job dgemm did not start: $(cat "$WORK/log/srun-dgemm.out")"
fi

# ---- a whole-node sbatch job: the batch step ---------------------------------
if id=$(sbatch --parsable --job-name=stream-copy --exclusive -c "$CPUS" -o "$WORK/log/sbatch-%j.out" \
	--wrap 'exec sleep 300') && pid=$(job_task "$id"); then
	if check_managed sbatch stream-copy "$id" "$pid"; then
		scancel "$id"
		await_gone "$pid" || fail "sbatch job $id: still in the status after scancel"
	fi
	scancel "$id"
else
	fail "sbatch job stream-copy did not start"
fi

# ---- a job with part of the node: placed within its allocation ----------------
if [ "$CPUS" -lt 2 ]; then
	log "one CPU: no job can have part of this node; that check is not run"
else
	srun --job-name=nbody -c 1 sleep 300 >"$WORK/log/srun-nbody.out" 2>&1 &
	SRUNS+=($!)
	if id=$(job_id nbody) && pid=$(job_task "$id"); then
		alloc=$(allocation "$id")
		if check_managed "srun (CPUs $alloc of $CPUS)" nbody "$id" "$pid"; then
			sleep 2 # a few more scans: still where it was pinned, on one CPU
			now=$(allowed "$pid")
			if [ "$(expand_cpus "$now" | wc -l)" -eq 1 ] && within "$now" "$alloc"; then
				pass "srun job $id: stays on CPU $now, within its allocation $alloc"
			else
				fail "srun job $id: affinity $now (allocation $alloc)"
			fi
		fi
	else
		fail "srun job nbody did not start: $(cat "$WORK/log/srun-nbody.out")"
	fi
fi

grep -q ' ERROR ' "$WORK/log/daemon.log" && fail "the daemon logged errors: $(grep ' ERROR ' "$WORK/log/daemon.log" | head -n 3)"
finish
