#!/bin/sh
# SPDX-License-Identifier: MIT
# The end-to-end lab's Debian packages: see scripts/install-deps.sh.
exec "$(dirname "$0")/../../scripts/install-deps.sh" e2e
