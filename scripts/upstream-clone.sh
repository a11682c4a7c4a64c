# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# Sourced by hv-patches/check-upstream.sh and
# guestagent/linux-patches/check-upstream.sh: check a checkout and a commit
# of it, and make a shared clone of that commit in a temporary directory,
# so that nothing is written to the checkout given on the command line.
#
#   upstream_clone CHECKOUT REF NAME KEEP
#
# sets $commit and $work (the clone is $work/NAME), logs the commit, and
# removes $work on exit unless KEEP is 1.

log() { echo "check-upstream: $*"; }

upstream_clone() {
	git -C "$1" rev-parse --git-dir >/dev/null 2>&1 || {
		echo "check-upstream: $1 is not a git checkout" >&2
		exit 2
	}
	commit=$(git -C "$1" rev-parse --verify "$2^{commit}") || {
		echo "check-upstream: $2 is not a commit of $1" >&2
		exit 2
	}
	work=$(mktemp -d "${TMPDIR:-/tmp}/ptswitch-upstream.XXXXXX")
	if [ "$4" = 1 ]; then
		trap 'echo "check-upstream: kept $work"' EXIT
	else
		trap 'rm -rf "$work"' EXIT
	fi
	log "$3 $commit ($(git -C "$1" log -1 --format='%cs %s' "$commit"))"
	git clone -q --shared --no-checkout "$1" "$work/$3"
	git -C "$work/$3" checkout -q -b ptswitch-check "$commit"
}

# apply_series DIR CLONE: `git am` every patch DIR/series names onto the
# clone, in order; the first that does not apply aborts the am and fails.
apply_series() {
	n=0
	while read -r p; do
		case $p in '' | '#'*) continue ;; esac
		git -C "$2" -c user.name=check -c user.email=check@invalid \
			am -q --committer-date-is-author-date "$1/$p" || {
			git -C "$2" am --abort
			echo "check-upstream: $p does not apply" >&2
			exit 1
		}
		n=$((n + 1))
	done <"$1/series"
	log "$n patches applied"
}
