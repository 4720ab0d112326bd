#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vm-bench.sh [BUILD_DIR] [SCALE]: run tests/vm/core_bench.c in the throwaway VM
# (real vfio-pci, edu + QEMU's NVMe for MSI-X) and print ns per operation of the
# core library beside the raw kernel calls OPAE's libopaevfio makes, with the
# ratio. Figures only: never run by ctest or CI. BUILD_DIR defaults to
# build/plain (built without sanitizers); SCALE multiplies the iteration
# counts (default 1: the VM is software-emulated, about a minute).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build/plain}
scale=${2:-1}
runner=$top/../shared/vm/run-in-vm.sh
[[ -x $runner ]] || { echo "vm-bench.sh: no VM runner at $runner" >&2; exit 2; }
cmake --build "$build" --target core_bench_static >/dev/null
exec "$runner" --nvme 1M --timeout 600 "$build/tests/vm/core_bench_static" "$scale"
