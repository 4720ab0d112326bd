#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# check-format.sh [PATH...] - clang-format --dry-run -Werror (.clang-format at
# the top) over the C/C++ files git tracks under the given paths; by default
# the areas that are kept formatted. An area joins by adding its path below
# once `clang-format -i` has been run over it. Exit 0 when all are formatted.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
formatted=(vfio include/opae/vfio.h tests/core tests/common)
(($#)) && formatted=("$@")
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed" >&2; exit 1; }
mapfile -t files < <(git ls-files -- "${formatted[@]}" | grep -E '\.(c|h|cpp)$')
((${#files[@]})) || { echo "check-format: no C/C++ file under ${formatted[*]}" >&2; exit 1; }
if clang-format --dry-run -Werror "${files[@]}"; then
	echo "check-format: ${#files[@]} files formatted (${formatted[*]})"
else
	echo "check-format: run clang-format -i on the files above" >&2
	exit 1
fi
