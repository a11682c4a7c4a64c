#!/bin/bash
# SPDX-License-Identifier: MIT
# Every source file of ours names its licence in its first lines (LICENSE:
# MIT, but for the GPL-2.0 hypervisor and kernel patch series, whose
# .patch files carry the licence of the files they change).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "FAIL - not a git checkout: cannot list the source files"
	echo "0 passed, 1 failed"
	exit 1
fi
pass=0 fail=0
# The two build scripts' bytes are part of their build caches' keys (a
# changed comment costs every cached Xen and kernel build): LICENSE covers
# them, and they take the line with their next real change.
keyed="hv-patches/build-xen.sh guestagent/linux-patches/build-kernel.sh"
while IFS= read -r f; do
	case " $keyed " in *" $f "*) continue ;; esac
	case $f in
	*.c | *.h | *.sh | *.py | *.S | *.lds | Makefile | *.service | man/*.[0-9]) ;;
	*) continue ;;
	esac
	if head -n 3 "$f" | grep -q 'SPDX-License-Identifier: '; then
		pass=$((pass + 1))
	else
		echo "FAIL - $f: no SPDX-License-Identifier in its first 3 lines"
		fail=$((fail + 1))
	fi
done < <(git ls-files)
echo "ok   - $pass files name their licence"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
