#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# coverage.sh - line and branch coverage of the libraries (vfio/, and plugin/,
# framework/, config/ when they exist) by the mock-based test suites, with
# gcovr (Debian's package; installed here if missing). Builds into
# build/coverage (gcc --coverage, -O0), runs every test but the VM and the
# benchmarks, prints the per-file summary and the uncovered lines, and writes
# build/coverage/coverage.txt. Not run by CI. Figures: tests/README.md.
#
#   scripts/coverage.sh [ctest arguments, e.g. -L core]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build/coverage
if ! command -v gcovr >/dev/null; then
	sudo=""
	(($(id -u) == 0)) || sudo=sudo
	$sudo apt-get install -y -q --no-install-recommends gcovr >/dev/null || exit 1
fi
# atomic counters: the threaded tests would otherwise leave torn counts
# (negative branch counts, which gcovr refuses to parse)
flags="--coverage -O0 -fprofile-update=atomic"
# no -Werror: -O0 brings warnings (format-truncation) an optimised build does not
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOPAE_VFIO_WERROR=OFF \
	-DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
	-DCMAKE_EXE_LINKER_FLAGS=--coverage -DCMAKE_SHARED_LINKER_FLAGS=--coverage \
	-DCMAKE_MODULE_LINKER_FLAGS=--coverage >/dev/null || exit 1
cmake --build "$build" -j2 >/dev/null || exit 1
find "$build" -name '*.gcda' -delete
ctest --test-dir "$build" -LE 'vm|bench' -j2 --timeout 600 "${@}" | tail -n 3

filters=()
for d in vfio plugin framework config; do
	[[ -d $top/$d ]] && filters+=(--filter "$top/$d/")
done
cd "$top" || exit 1
gcovr -r "$top" "${filters[@]}" --object-directory "$build" --branches \
	--exclude-unreachable-branches --exclude-throw-branches \
	-o "$build/coverage-branches.txt" >/dev/null
gcovr -r "$top" "${filters[@]}" --object-directory "$build" \
	--exclude-unreachable-branches --exclude-throw-branches -s | tee "$build/coverage.txt"
echo "coverage.sh: uncovered lines per file in the 'Missing' column above;"
echo "coverage.sh: branch figures per file in $build/coverage-branches.txt"
