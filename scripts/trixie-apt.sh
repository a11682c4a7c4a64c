# SPDX-License-Identifier: MIT
# Debian trixie's packages from a bookworm machine without touching the
# machine's apt setup: a sources list and state of our own (under the
# cache, else the caller's work directory), for the mirrors the machine's
# apt already uses.  POSIX sh, sourced after scripts/debsrc.sh; the caller
# defines cache, work, release, srccache and log().  Its own variables are
# ta_*: sh has no locals, and the caller's (key, uri...) must survive.

trixie_state() {
	if mkdir -p "$cache/trixie-apt" 2>/dev/null && [ -w "$cache/trixie-apt" ]; then
		echo "$cache/trixie-apt"
	else
		mkdir -p "$work/trixie-apt" && echo "$work/trixie-apt"
	fi
}

# The security archive the machine's apt uses, if any.
security_uri() {
	cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list 2>/dev/null |
		grep -v '^[[:space:]]*#' |
		grep -oE '[a-z]+://[^[:space:]]*security[^[:space:]]*' | head -n1
}

# trixie_apt CMD ARGS...: apt-get/apt-cache with the private state.
trixie_apt() {
	ta_st=$(trixie_state)
	ta_cmd=$1
	shift
	"$ta_cmd" -o Dir::Etc::sourcelist="$ta_st/sources.list" \
		-o Dir::Etc::sourceparts=/dev/null \
		-o Dir::State="$ta_st/state" -o Dir::State::status=/dev/null \
		-o Dir::Cache="$ta_st/cache" -o APT::Sandbox::User=root "$@"
}

trixie_apt_update() {
	ta_st=$(trixie_state)
	ta_uri=$(mirror_uri | head -n1)
	[ -n "$ta_uri" ] || { log "no Debian mirror in the apt sources"; return 1; }
	ta_sec=$(security_uri)
	ta_key=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$ta_st/state/lists/partial" "$ta_st/cache/archives/partial"
	{
		for ta_t in deb deb-src; do
			echo "$ta_t [signed-by=$ta_key] $ta_uri trixie main"
			[ -z "$ta_sec" ] ||
				echo "$ta_t [signed-by=$ta_key] $ta_sec trixie-security main"
		done
	} >"$ta_st/sources.list"
	trixie_apt apt-get update -qq >&2
}

# trixie_kconfig DIR: print the path of the configuration trixie's
# xen-hypervisor-$release-amd64 was built with, unpacked into DIR.
trixie_kconfig() {
	ta_pkg=xen-hypervisor-$release-amd64
	mkdir -p "$1"
	ta_cached="$srccache/$ta_pkg.config"
	if [ ! -s "$ta_cached" ]; then
		trixie_apt_update || return 1
		(cd "$1" && trixie_apt apt-get download -qq "$ta_pkg") >&2 ||
			return 1
		ta_deb=""
		for ta_f in "$1/$ta_pkg"_*.deb; do
			[ -e "$ta_f" ] && ta_deb=$ta_f
		done
		[ -n "$ta_deb" ] || return 1
		dpkg-deb -x "$ta_deb" "$1/pkg" || return 1
		cp "$1/pkg/boot/xen-$release-amd64.config" "$ta_cached.tmp" &&
			basename "$ta_deb" .deb >"$ta_cached.pkg" &&
			mv "$ta_cached.tmp" "$ta_cached" || return 1
	fi
	echo "$ta_cached"
}
