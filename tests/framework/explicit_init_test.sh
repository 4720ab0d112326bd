#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# explicit_init_test.sh PROG PLUGIN: the library's destructor finalizes the
# plugins at exit, unless OPAE_EXPLICIT_INITIALIZE is set (then the program
# owns fpgaInitialize/fpgaFinalize, as with OPAE).
set -u
prog=$1 plugin=$2
mark=$(mktemp)
trap 'rm -f "$mark"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

rm -f "$mark"
env -u OPAE_EXPLICIT_INITIALIZE REC_FINALIZE_MARK="$mark" "$prog" "$plugin" || fail "run 1: exit $?"
grep -q "finalize" "$mark" 2>/dev/null || fail "the destructor did not finalize the plugin"

rm -f "$mark"
OPAE_EXPLICIT_INITIALIZE=1 REC_FINALIZE_MARK="$mark" "$prog" "$plugin" || fail "run 2: exit $?"
[ -e "$mark" ] && fail "plugin finalized at exit despite OPAE_EXPLICIT_INITIALIZE"
echo "PASS: destructor finalizes; OPAE_EXPLICIT_INITIALIZE leaves it to the program"
