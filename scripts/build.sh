#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# build.sh NAME [cmake options...]: configure and build into build/NAME.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
name=$1
shift
cmake -S "$top" -B "$top/build/$name" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$top/build/$name" -j "$(nproc)"
