# shellcheck shell=bash
# What the benchmark scripts share: sleeping process groups recorded as launched jobs, the way
# `smtcheck launch` records them, so that the userspace monitor takes them in and the daemon
# scores them with the shipped sample profiles.

# The sample profiles' job ids, which the groups take in turn.
BENCH_JOBS=(101 102 103 104 106 107 108 109 110 111)

# start_launched_group TOOLS_DIR LAUNCHED_DIR INDEX THREADS: starts a sleeping group (a leader with
# THREADS extra threads), records it under LAUNCHED_DIR as job BENCH_JOBS[INDEX-1 mod N], and
# appends the leader's pid to the caller's `pids` array.
start_launched_group() {
	local tools=$1 launched=$2 i=$3 threads=$4 fd pgid start ready
	ready=$launched/../ready.$i
	exec {fd}< <(exec sleep infinity 2>/dev/null)
	"$tools/smtcheck-testproc" --threads "$threads" --children 0 <&$fd >"$ready" &
	pids+=($!)
	until grep -q ready "$ready" 2>/dev/null; do sleep 0.01; done
	pgid=$(awk '{print $2}' "$ready")
	# The leader's start time (field 22 of stat, the 20th after the command name), as `smtcheck
	# launch` records it: without it the daemon takes the record for one of a reused pgid.
	start=$(sed 's/.*) //' "/proc/$pgid/stat" | awk '{print $20}')
	printf '{"pgid":%d,"jobId":%d,"workers":1,"command":"bench","startedEpochSeconds":%d,"leaderStartTicks":%d}\n' \
		"$pgid" "${BENCH_JOBS[$(( (i - 1) % ${#BENCH_JOBS[@]} ))]}" "$(date +%s)" "$start" >"$launched/$pgid.json"
}
