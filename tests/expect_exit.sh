#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# expect_exit.sh - run one program and judge it by its exit status, whole
# output lines and the absence of sanitizer and mock-leak reports; used by
# ctest tests (cmake/TestWrappers.cmake) so that no output can hide a failure.
#
# Usage: expect_exit.sh [--status N] [--match ERE]... [--no-match ERE]...
#                       [--env NAME=VALUE]... -- PROGRAM [ARGS...]
#
#   --status N     the exact exit status wanted (default 0). A signal (bash's
#                  128+N) or any other status fails, so an expected "exit 1"
#                  is never confused with a crash or a sanitizer's exit 1.
#   --match ERE    a line of the program's output (stdout + stderr) must match
#                  ERE as a whole (grep -x: anchored at both ends). Repeatable.
#   --no-match ERE no output line may match ERE as a whole. Repeatable.
#   --env N=V      set for the program only, not for this script: an
#                  LD_PRELOAD'ed mock kernel must not load into bash.
#
# Always a failure, whatever the status: an AddressSanitizer, LeakSanitizer,
# ThreadSanitizer or UBSan report, a "vfio-mock: leak:" line, and files the
# program left in its private TMPDIR (the mock kernel's fake sysfs lives there
# and must be removed at exit).
#
# Exit status: 0 when every expectation holds, 1 otherwise (a "FAIL: ..."
# line per broken expectation), 2 for a usage error.
set -uo pipefail

want=0
matches=()
nomatches=()
envs=()
while (($#)); do
	case $1 in
	--status) want=$2; shift ;;
	--match) matches+=("$2"); shift ;;
	--no-match) nomatches+=("$2"); shift ;;
	--env) envs+=("$2"); shift ;;
	--) shift; break ;;
	*) echo "expect_exit.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
(($# >= 1)) || { echo "expect_exit.sh: no program given" >&2; exit 2; }
[[ $want =~ ^[0-9]+$ ]] || { echo "expect_exit.sh: --status needs a number" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/expect_exit.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"
log=$work/log

env "${envs[@]}" TMPDIR="$work/tmp" "$@" >"$log" 2>&1
rc=$?
cat "$log"

failed=0
fail() {
	echo "FAIL: expect_exit: $*"
	failed=1
}

if ((rc != want)); then
	why="exit status $rc, expected $want"
	if ((rc > 128 && rc < 128 + 65)); then
		why+=" (killed by signal $(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128))))"
	fi
	fail "$why: $*"
fi
for re in "${matches[@]}"; do
	grep -Eqx -- "$re" "$log" || fail "no output line is exactly /$re/"
done
for re in "${nomatches[@]}"; do
	if grep -Eqx -- "$re" "$log"; then
		fail "an output line is /$re/: $(grep -Ex -m1 -- "$re" "$log")"
	fi
done
# Sanitizer reports: ASan/LSan/TSan headers, UBSan diagnostics, and their
# SUMMARY lines (an ASan report exits 1 like many expected failures do).
san='(==[0-9]+==)?(ERROR|WARNING): [A-Za-z]*Sanitizer|.*: runtime error: .*|SUMMARY: [A-Za-z]*Sanitizer.*'
if grep -Eq -- "^($san)" "$log"; then
	fail "sanitizer report: $(grep -E -m1 -- "^($san)" "$log")"
fi
if grep -q '^vfio-mock: leak:' "$log"; then
	fail "the mock kernel reports leaked VFIO objects"
fi
left=$(find "$work/tmp" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null)
if [[ -n $left ]]; then
	fail "left temporary files behind: $left"
fi
exit $failed
