#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# expect-run.sh REGEX PROGRAM [ARGS...]: run PROGRAM, show its output, and pass
# only if it exits 0 AND printed a line matching REGEX (grep -E). A ctest with
# PASS_REGULAR_EXPRESSION alone would ignore the exit status (e.g. the mock's
# leak check, 97); this keeps both.
regex=$1
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then
	echo "expect-run.sh: $1 exited with status $rc"
	exit "$rc"
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
	echo "expect-run.sh: $1 exited 0 but printed no line matching '$regex'"
	exit 1
fi
exit 0
