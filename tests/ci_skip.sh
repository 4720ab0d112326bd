#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ci_skip.sh NAME REASON... - the skip policy of the test suite in one place.
# Outside CI: print "SKIP: NAME: REASON" and exit 77 (ctest's SKIP_RETURN_CODE).
# With CI=true a test that cannot run is a failure: print "FAIL: ..." and exit 1,
# so a CI run is never green because its tests did not run.
name=${1:-test}
shift
if [[ ${CI:-} == true ]]; then
	echo "FAIL: $name: $* (CI=true: a skipped test is a failure in CI)"
	exit 1
fi
echo "SKIP: $name: $*"
exit 77
