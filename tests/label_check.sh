#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# label_check.sh BUILD_DIR LABEL AREAS - the test label_<LABEL>: the build
# promises LABEL because it builds AREAS (cmake/TestWrappers.cmake); some
# test other than this one must carry it, or `ctest -L LABEL` would pass
# having run nothing.
set -uo pipefail
build=$1 label=$2 areas=$3
# ctest -N on the build directory would rewrite its Testing/Temporary logs
# under the running ctest: list the tests from a scratch directory instead.
scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT
printf 'subdirs("%s")\n' "$build" >"$scratch/CTestTestfile.cmake"
out=$(ctest --test-dir "$scratch" -N -L "^${label}\$" -E "^label_${label}\$" 2>&1) || {
	echo "FAIL: label_$label: ctest -N failed:"
	echo "$out"
	exit 1
}
n=$(sed -n 's/^Total Tests: \([0-9]*\)$/\1/p' <<<"$out")
if [[ -z $n ]]; then
	echo "FAIL: label_$label: cannot read the test count from ctest -N:"
	echo "$out"
	exit 1
fi
if ((n == 0)); then
	echo "FAIL: label_$label: this build has $areas, but no test carries the label '$label'"
	exit 1
fi
echo "label_$label: $n tests carry '$label' (promised by $areas)"
