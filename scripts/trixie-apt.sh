# SPDX-License-Identifier: MIT
# Debian trixie's packages from a bookworm machine without touching the
# machine's apt setup: a sources list and state of our own (under the
# cache, else the caller's work directory), for the mirrors the machine's
# apt already uses.  POSIX sh, sourced after scripts/debsrc.sh; the caller
# defines cache, work, release and log().

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
		grep -v '^[[:space:]]*#' | grep -oE '[a-z]+://[^[:space:]]*security[^[:space:]]*' | head -n1
}

# trixie_apt CMD ARGS...: apt-get/apt-cache with the private state.
trixie_apt() {
	st=$(trixie_state)
	cmd=$1
	shift
	"$cmd" -o Dir::Etc::sourcelist="$st/sources.list" \
		-o Dir::Etc::sourceparts=/dev/null \
		-o Dir::State="$st/state" -o Dir::State::status=/dev/null \
		-o Dir::Cache="$st/cache" -o APT::Sandbox::User=root "$@"
}

trixie_apt_update() {
	st=$(trixie_state)
	uri=$(mirror_uri | head -n1)
	[ -n "$uri" ] || { log "no Debian mirror in the apt sources"; return 1; }
	sec=$(security_uri)
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$st/state/lists/partial" "$st/cache/archives/partial"
	{
		for t in deb deb-src; do
			echo "$t [signed-by=$key] $uri trixie main"
			[ -z "$sec" ] ||
				echo "$t [signed-by=$key] $sec trixie-security main"
		done
	} >"$st/sources.list"
	trixie_apt apt-get update -qq >&2
}

# trixie_kconfig DIR: print the path of the configuration trixie's
# xen-hypervisor-$release-amd64 was built with, unpacked into DIR.
trixie_kconfig() {
	pkg=xen-hypervisor-$release-amd64
	mkdir -p "$1"
	cached="$srccache/$pkg.config"
	if [ ! -s "$cached" ]; then
		trixie_apt_update || return 1
		(cd "$1" && trixie_apt apt-get download -qq "$pkg") >&2 ||
			return 1
		deb=$(ls "$1"/"$pkg"_*.deb 2>/dev/null | tail -n1)
		[ -n "$deb" ] || return 1
		dpkg-deb -x "$deb" "$1/root" || return 1
		cp "$1/root/boot/xen-$release-amd64.config" "$cached.tmp" &&
			echo "$(basename "$deb" .deb)" >"$cached.pkg" &&
			mv "$cached.tmp" "$cached" || return 1
	fi
	echo "$cached"
}
