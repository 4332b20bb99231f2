# shellcheck shell=bash
# The kernel modules' source tree as dkms builds it. Source from the repository root.
#
#   smtcheck_version           the project's version (pom.xml), also the dkms package version
#   modules_stage_source DIR   copies the modules' sources into DIR (the tests excluded), with
#                              that version in DIR/dkms.conf

smtcheck_version() {
	# The project's own <version> is the first one, indented once; dependencies' are deeper.
	sed -n 's|^  <version>\([^<]*\)</version>$|\1|p' pom.xml | head -n 1
}

modules_stage_source() {
	local dir=$1 version
	version=$(smtcheck_version)
	if [ -z "$version" ]; then
		echo "pom.xml: no <version> found" >&2
		return 1
	fi
	# Sources only: an in-tree build leaves objects in kernel/ that must not travel.
	rm -rf "$dir" &&
		install -d -m 0755 "$dir/include" "$dir/module" &&
		install -m 0644 kernel/Kbuild kernel/Makefile "$dir/" &&
		install -m 0644 kernel/include/*.h "$dir/include/" &&
		install -m 0644 kernel/module/*.c "$dir/module/" &&
		sed "s|@VERSION@|$version|" kernel/dkms.conf >"$dir/dkms.conf" &&
		chmod 0644 "$dir/dkms.conf"
}
