# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# Shared by the scripts that fetch Debian sources and install build
# dependencies (hv-patches/build-xen.sh, guestagent/linux-patches/
# build-kernel.sh, build-kernel-deb.sh, install-deps.sh).  POSIX sh,
# sourced; the caller defines APT (apt-get with its options, behind sudo
# when not root), SUDO and log().

# apt_locked ARGS...: apt-get ARGS, waiting for another apt's lock.
# DPkg::Lock::Timeout covers the dpkg lock only, not the lists and archive
# locks that update and install take, so a cold CI run's parallel builds
# (each installing its own build dependencies) failed at once on them.
# Retried for up to 10 min while the error is a lock; any other error
# fails at once.
apt_locked() {
	for _ in $(seq 120); do
		err=$($APT "$@" 2>&1 >/dev/null) && return 0
		case $err in
		*"Could not get lock"* | *"Unable to lock"*) sleep 5 ;;
		*) printf '%s\n' "$err" >&2; return 1 ;;
		esac
	done
	$APT "$@"
}

apt_update() {
	apt_locked update -qq
}

# install_missing PKG...: install those not yet installed.
install_missing() {
	missing=$(need_pkgs "$@")
	[ -n "$missing" ] || return 0
	log "installing:$missing"
	apt_update
	# shellcheck disable=SC2086 # one word per package
	apt_locked install -y -qq --no-install-recommends $missing
}

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
		apt_update
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
	apt_update
}
