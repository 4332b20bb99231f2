# shellcheck shell=bash
# Installs the named Debian packages that are missing (one apt-get update, only when needed).
ensure_packages() {
	local missing=()
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}" >&2
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building the jar (Java, the native library and its tests) needs.
BUILD_PACKAGES=(openjdk-17-jdk-headless maven cmake make g++ liblemon-dev libgtest-dev)

# What checking the systemd unit needs (systemd-analyze verify, in jar-test.sh).
SERVICE_TEST_PACKAGES=(systemd)

# What rendering the manual pages needs (groff, in jar-test.sh).
MAN_TEST_PACKAGES=(groff-base)

# What checking the Kubernetes manifest needs (the API's types from the Kubernetes Python client,
# and yamllint; in k8s-test.sh).
K8S_TEST_PACKAGES=(python3-kubernetes python3-yaml yamllint)

# What building the Debian packages needs (scripts/build-debs.sh).
DEB_BUILD_PACKAGES=(dpkg-dev debhelper dh-dkms fakeroot)

# What checking them needs (scripts/deb-test.sh): a Debian root to install them in, and lintian.
DEB_TEST_PACKAGES=(mmdebstrap lintian)

# What the metrics endpoint's test against a real Prometheus needs (scripts/metrics-test.sh).
METRICS_TEST_PACKAGES=(prometheus curl jq)

# What the Slurm test needs (scripts/slurm-test.sh): a one-node cluster on this host, and python3
# for reading the daemon's status.
SLURM_TEST_PACKAGES=(slurm-wlm munge python3)
