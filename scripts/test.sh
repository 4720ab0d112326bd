#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's test command: installs what is missing, builds with warnings as
# errors (plain, ASan+UBSan, TSan) and runs every test. Safe to re-run.
#   scripts/test.sh            everything
#   scripts/test.sh -L core    pass ctest arguments (e.g. one area)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh" || exit 1
status=0
# A selection that runs no test fails (--no-tests=error). With CI=true a
# skipped test fails the run too (tests/ci_skip.sh makes the project's own
# skips fail there; this catches any other).
run() { # run NAME BUILD CTEST-ARGS...
	local name=$1 build=$2 log
	shift 2
	echo "=== ctest ($name) ==="
	log=$(mktemp)
	ctest --test-dir "$top/build/$build" --output-on-failure --timeout 600 --no-tests="$none" \
		-j "$jobs" "$@" | tee "$log"
	((PIPESTATUS[0] == 0)) || status=1
	if [[ ${CI:-} == true ]] && grep -q '^The following tests did not run:' "$log"; then
		echo "test.sh: CI=true and tests were skipped: a failure in CI"
		status=1
	fi
	rm -f "$log"
}

echo "=== clang-format ==="
"$top/scripts/check-format.sh" || status=1
echo "=== SPDX lines ==="
"$top/scripts/check-spdx.sh" || status=1

# Tests run two at a time, except the VM tests: each boots a software-emulated
# VM that needs the whole machine, so they run one at a time, alone.
jobs=$(nproc) none=error

"$top/scripts/build.sh" plain -DOPAE_VFIO_WERROR=ON || exit 1
run plain plain -LE vm "$@"
# (A selection given on the command line may have no VM test.)
(($#)) && none=ignore
jobs=1 run "plain, VM" plain -L vm "$@"
none=error

"$top/scripts/build.sh" asan -DOPAE_VFIO_WERROR=ON -DOPAE_VFIO_ASAN=ON || exit 1
# The VM tests run once, from the plain build; benchmarks are not timed under ASan.
run asan asan -LE 'vm|bench' "$@"

"$top/scripts/build.sh" tsan -DOPAE_VFIO_WERROR=ON -DOPAE_VFIO_TSAN=ON || exit 1
# Under TSan: the in-process suites (core, mock, concurrency). Programs that load
# the mock with LD_PRELOAD are left out: TSan's start-up calls the (instrumented)
# mock's mmap before TSan is initialised. So are the fork probes and the shell
# started by a test (system()): TSan does not support a child of a
# multi-threaded process that starts threads (the mock's edu worker) and such a
# child hangs. ASan runs all of them.
run tsan tsan -L 'core|mock|concurrency' \
	-E '^(mock_(edu|nvme)_smoke|mock_core_.*|mock_fork_.*|SysfsWrite\.AShellRedirectionActs)$' "$@"

if ((status)); then echo "test.sh: FAILED"; else echo "test.sh: all test runs passed"; fi
exit $status
