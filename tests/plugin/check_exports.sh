#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# check_exports.sh MODULE: the dynamic symbol table of MODULE defines exactly
# opae_plugin_configure. Exit 0 if so, 1 (listing the others) if not.
set -eu
defined=$(nm -D --defined-only "$1" | awk 'NF == 3 { print $3 }' | sort)
if [ "$defined" = "opae_plugin_configure" ]; then
	echo "$1: exports only opae_plugin_configure"
	exit 0
fi
echo "$1: expected only opae_plugin_configure to be exported, found:" >&2
echo "$defined" >&2
exit 1
