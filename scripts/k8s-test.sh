#!/usr/bin/env bash
# Checks the Kubernetes deployment (deploy/kubernetes/smtcheck.yaml) and its image definition
# (deploy/container/Containerfile): the manifest against the API's own types and rules
# (scripts/k8s/validate.py, on Debian's Kubernetes Python client) and yamllint; that the validator
# refuses broken copies of it; that the daemon accepts the configuration the manifest ships and
# the command line it runs; and that the image holds every file the manifest names.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/packages.sh
. scripts/lib/packages.sh
ensure_packages "${K8S_TEST_PACKAGES[@]}" || exit 1
jar=target/smtcheck-daemon.jar
manifest=deploy/kubernetes/smtcheck.yaml
containerfile=deploy/container/Containerfile
python=/usr/bin/python3 # Debian's, where python3-kubernetes is
# shellcheck source=lib/check.sh
. scripts/lib/check.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check "yamllint" 0 '^clean$' sh -c \
	"yamllint -d '{extends: default, rules: {line-length: {max: 100}}}' '$manifest' && echo clean"
check "the manifest against the API's types" 0 "^$manifest: 3 objects valid$" "$python" scripts/k8s/validate.py "$manifest"

# broken NAME SED PATTERN: a copy of the manifest changed by SED must be refused with PATTERN.
broken() {
	local name=$1 edit=$2 pattern=$3
	sed "$edit" "$manifest" >"$tmp/$name.yaml"
	check "refused: $name" 1 "$pattern" "$python" scripts/k8s/validate.py "$tmp/$name.yaml"
}
broken "a misspelt field" 's/hostPID: true/hostPid: true/' 'spec.template.spec.hostPid: V1PodSpec has no such field'
broken "a string for an integer" 's/periodSeconds: 30/periodSeconds: "30"/' \
	'readinessProbe.periodSeconds: an int is wanted'
broken "a container without its name" 's/^        - name: smtcheck$/        - image: smtcheck:0.1.0/' \
	'containers\[0\].name: required by V1Container'
broken "a selector the template does not match" \
	'/^    metadata:$/,/^    spec:$/s#app.kubernetes.io/name: smtcheck#app.kubernetes.io/name: other#' \
	"spec.selector.matchLabels.app.kubernetes.io/name: 'smtcheck' does not match"
broken "a mount of no volume" 's/^            - name: store$/            - name: stor/' "no volume named 'stor'"
broken "an unknown kind" 's/^kind: DaemonSet$/kind: DaemonSets/' "no such kind 'DaemonSets' in 'apps/v1'"

# What the pod runs, read from the manifest.
field() {
	"$python" - "$manifest" "$1" <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
ds = next(d for d in docs if d and d["kind"] == "DaemonSet")
cm = next(d for d in docs if d and d["kind"] == "ConfigMap")
pod = ds["spec"]["template"]["spec"]
main = next(c for c in pod["containers"] if c["name"] == "smtcheck")
values = {
    "config": cm["data"]["smtcheck.conf"],
    "args": "\n".join(main["args"]),
    "java-options": next(e["value"] for e in main["env"] if e["name"] == "JAVA_TOOL_OPTIONS"),
    "probe": main["readinessProbe"]["exec"]["command"][0],
    "host-pid": str(pod.get("hostPID")),
}
print(values[sys.argv[2]], end="")
PY
}
field config >"$tmp/smtcheck.conf"
check "the daemon accepts the shipped configuration" 0 "Default: 3600" java -jar "$jar" run --config "$tmp/smtcheck.conf" --help
mapfile -t args < <(field args)
config_at=/etc/smtcheck/smtcheck.conf
args_here=("${args[@]/$config_at/$tmp/smtcheck.conf}")
check "the daemon accepts the pod's command line" 0 "Usage: smtcheck run" java -jar "$jar" "${args_here[@]}" --help
check "the pod runs in the host's PID namespace" 0 '^True$' field host-pid
unit_options=$(sed -n 's/^Environment="JAVA_TOOL_OPTIONS=\(.*\)"$/\1/p' scripts/smtcheck.service)
check "the pod's JVM options are the unit's" 0 '^same$' sh -c "[ \"\$(cat)\" = '$unit_options' ] && echo same" \
	< <(field java-options)

# The image: every COPY source is built, the probe's program and the entry point's jar are in it.
copies_built() {
	local src missing=0
	while read -r src; do
		[ -e "$src" ] || { echo "missing: $src"; missing=1; }
	done < <(awk '$1 == "COPY" { print $2 }' "$containerfile")
	[ "$missing" -eq 0 ] && echo "every COPY source is there"
}
check "the image's files are built" 0 '^every COPY source is there$' copies_built
probe=$(field probe)
check "the probe's program is in the image" 0 'smtcheck-status' sh -c \
	"grep -q '^COPY target/classes/META-INF/native/linux-x86_64/bin/ $(dirname "$probe")/\$' '$containerfile' &&
	 ls target/classes/META-INF/native/linux-x86_64/bin/$(basename "$probe")"
check "the entry point is the copied jar" 0 '^same jar$' sh -c \
	"grep -q '^ENTRYPOINT \[\"java\", \"-jar\", \"/usr/lib/smtcheck/smtcheck-daemon.jar\"\]$' '$containerfile' &&
	 grep -q '^COPY target/smtcheck-daemon.jar /usr/lib/smtcheck/smtcheck-daemon.jar$' '$containerfile' && echo same jar"
check "the probe answers for a daemon that is not there" 4 '^status: daemon is not running' \
	target/classes/META-INF/native/linux-x86_64/bin/smtcheck-status --socket="$tmp/none.sock"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
