# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2154 # cache and PKGS are the caller's
# A cached Debian root made with mmdebstrap, for the tests that need one
# (tests/trixie/mkroot.sh, tests/systemd/mkroot.sh): sourced, not run.
#
#   die MESSAGE               say why on stderr and exit 1
#   host_uris                 the http(s) URIs of the host's apt sources
#   debroot NAME SUITE FORCE VERSION_PKGS SOURCE...
#                             print the path of the root NAME-<key> under
#                             $cache, building it first when it is absent,
#                             incomplete or older than
#                             PTSWITCH_ROOT_MAX_DAYS (default 7) days, or
#                             when FORCE is 1
#
# The caller sets cache and PKGS (the packages, one word each).  The key
# is a hash of the suite and PKGS: what goes into the root, not where it
# came from.  The host's apt setup is not touched: mmdebstrap
# keeps its own sources and state inside the root.  VERSION_PKGS are
# recorded in the root's .ptswitch-versions for the logs.

die() {
	echo "mkroot: $*" >&2
	exit 1
}

host_uris() {
	local f
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		grep -hoE '(URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+' "$f" |
			grep -oE '[a-z]+://[^[:space:]]+' || true
	done
}

debroot() {
	local name=$1 suite=$2 force=$3 vpkgs=$4 key root stamp max_days
	shift 4
	# shellcheck disable=SC2086 # one word per package
	key=$(printf '%s\n' "$suite" $PKGS | sha256sum | cut -c1-16)
	root=$cache/$name-$key
	stamp=$root/.ptswitch-root-complete

	mkdir -p "$cache"
	exec 9>"$cache/$name.lock"
	flock 9

	# Older roots are rebuilt, so the tests follow the suite's point and
	# security releases.
	max_days=${PTSWITCH_ROOT_MAX_DAYS:-7}
	if [ "$force" = 0 ] && [ -e "$stamp" ] &&
		[ -z "$(find "$stamp" -mtime +"$max_days")" ]; then
		echo "$root"
		return 0
	fi

	command -v mmdebstrap >/dev/null || debroot_install_mmdebstrap ||
		{ apt-get update -qq >&2 && debroot_install_mmdebstrap; } ||
		die "cannot install mmdebstrap"

	echo "mkroot: building the $suite root $root from $1" >&2
	debroot_start=$(date +%s)
	debroot_tmp=$root.tmp.$$
	rm -rf --one-file-system "$debroot_tmp"
	trap 'rm -rf --one-file-system "$debroot_tmp"' EXIT
	# shellcheck disable=SC2086 # one word per package
	mmdebstrap --mode=root --variant=apt --format=directory \
		--aptopt='APT::Install-Recommends "false"' \
		--include="$(echo $PKGS | tr ' ' ',')" \
		"$suite" "$debroot_tmp" "$@" >&2 || die "mmdebstrap failed"
	# shellcheck disable=SC2086 # one word per package
	# shellcheck disable=SC2016 # dpkg-query's own fields
	chroot "$debroot_tmp" dpkg-query -W -f='${Package} ${Version}\n' \
		$vpkgs >"$debroot_tmp/.ptswitch-versions"
	rm -rf "$root"
	mv "$debroot_tmp" "$root"
	trap - EXIT
	date -u +%FT%TZ >"$stamp"
	echo "mkroot: built in $(($(date +%s) - debroot_start)) s:" \
		"$(tr '\n' ' ' <"$root/.ptswitch-versions")" >&2
	echo "$root"
}

debroot_install_mmdebstrap() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends mmdebstrap >&2
}
