#!/bin/bash
# SPDX-License-Identifier: MIT
# The manual pages (man/): each renders without a groff warning, documents
# every option its program's --help lists and no other, and
# ptswitch.yaml(5) names every key the policy parser accepts and every
# reason token the engine publishes.  make install puts them in place.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
MAN=$TOP/man

# Plain text, one paragraph a line (no line breaks, so no hyphenation).
render() {
	groff -t -man -Tutf8 -rLL=1000n -P-cbou "$1" 2>/dev/null
}

for page in ptswitchd.8 ptswitch-agent.8 ptswitch.yaml.5; do
	if [ ! -f "$MAN/$page" ]; then
		not_ok "$page exists"
		continue
	fi
	groff -t -man -ww -z -Tutf8 "$MAN/$page" >"$T/warn" 2>&1
	check "$page renders without warnings$(head -c 300 "$T/warn")" \
		test ! -s "$T/warn"
done

# long_opts: the --long options in a text, one per line, sorted.
long_opts() {
	grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

for prog in ptswitchd ptswitch-agent; do
	"$PTSWITCH_BUILD/$prog" --help | long_opts >"$T/$prog.help"
	render "$MAN/$prog.8" | long_opts >"$T/$prog.man"
	check "$prog --help lists options" test -s "$T/$prog.help"
	missing=$(comm -23 "$T/$prog.help" "$T/$prog.man" | tr '\n' ' ')
	check "$prog.8 documents every option of --help (missing: $missing)" \
		test -z "$missing"
	extra=$(comm -13 "$T/$prog.help" "$T/$prog.man" | tr '\n' ' ')
	check "$prog.8 documents no option --help lacks (extra: $extra)" \
		test -z "$extra"
done

# Every key of the parser's schemas: {"key", F_... lines.
render "$MAN/ptswitch.yaml.5" >"$T/yaml.txt"
grep -oE '\{"[a-z][a-z-]*", F_' "$TOP/daemon/policy_yaml.c" |
	sed -E 's/\{"([a-z-]+)".*/\1/' | sort -u >"$T/keys"
check "the parser's keys were found" test "$(wc -l <"$T/keys")" -ge 20
missing=$(while read -r k; do
	grep -qw -- "$k" "$T/yaml.txt" || echo "$k"; done <"$T/keys" |
	tr '\n' ' ' | sed 's/ *$//')
check "ptswitch.yaml.5 names every policy key (missing: $missing)" \
	test -z "$missing"

# Every reason token the engine sets.
grep -E 'set_reason\(|force_emulate\(|\? "|: "' "$TOP/daemon/engine.c" |
	grep -oE '"[a-z][a-z-]*"' | tr -d '"' | sort -u >"$T/reasons"
check "the engine's reasons were found" \
	test "$(wc -l <"$T/reasons")" -ge 10
missing=$(while read -r r; do
	grep -qw -- "$r" "$T/yaml.txt" || echo "$r"; done <"$T/reasons" |
	tr '\n' ' ' | sed 's/ *$//')
check "ptswitch.yaml.5 names every decision reason (missing: $missing)" \
	test -z "$missing"

# make install puts the pages under MANDIR.
make -s -C "$TOP" install-man DESTDIR="$T/destdir" PREFIX=/usr >/dev/null
for page in man8/ptswitchd.8 man8/ptswitch-agent.8 man5/ptswitch.yaml.5; do
	check "make install-man installs $page" \
		test -f "$T/destdir/usr/share/man/$page"
done
finish
