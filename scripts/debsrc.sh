# SPDX-License-Identifier: MIT
# Shared by the scripts that fetch Debian sources and install build
# dependencies (hv-patches/build-xen.sh, guestagent/linux-patches/
# build-kernel.sh).  POSIX sh, sourced; the caller defines APT (apt-get
# with its options, behind sudo when not root), SUDO and log().

# need_pkgs PKG...: print the ones not installed.
need_pkgs() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "ok installed" || missing="$missing $p"
	done
	echo "$missing"
}

# The bookworm URI of the machine's own Debian mirror (deb822 or one-line).
mirror_uri() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# deb822: first stanza of type deb whose suites include bookworm.
		awk '
			/^[[:space:]]*$/ { flush() ; next }
			/^Types:/ { types = $0 }
			/^URIs:/ { uris = $2 }
			/^Suites:/ { suites = $0 }
			function flush() {
				if (types ~ /[[:space:]]deb([[:space:]]|$)/ &&
				    suites ~ /[[:space:]]bookworm([[:space:]]|$)/ &&
				    uris != "" && !found) { print uris; found = 1 }
				types = ""; uris = ""; suites = ""
			}
			END { flush() }
		' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" && $0 ~ /[[:space:]]bookworm[[:space:]]/ {
			for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { print $i; exit }
		}' "$f"
	done
}

# have_src PKG: apt knows the source package.
have_src() {
	apt-cache showsrc "$1" 2>/dev/null | grep -q "^Package: $1\$"
}

# ensure_deb_src PKG: make `apt-get source PKG` work, adding a deb-src
# entry for the machine's own mirror if there is none.
ensure_deb_src() {
	have_src "$1" && return 0
	# A deb-src entry may exist with package lists not yet fetched.
	if grep -qs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources ||
		grep -qs '^deb-src' /etc/apt/sources.list \
			/etc/apt/sources.list.d/*.list; then
		$APT update -qq
		have_src "$1" && return 0
	fi
	uri=$(mirror_uri | head -n1)
	[ -n "$uri" ] || {
		log "no Debian bookworm mirror found in the apt sources"
		exit 1
	}
	log "adding deb-src entry for $uri"
	printf '%s\n' "Types: deb-src" "URIs: $uri" "Suites: bookworm" \
		"Components: main" \
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
		$SUDO tee /etc/apt/sources.list.d/ptswitch-debsrc.sources \
			>/dev/null
	$APT update -qq
}
