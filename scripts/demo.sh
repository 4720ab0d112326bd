#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, and runs a sample through
# our stack against the simulated DFL FPGA (PF + VF with an NLB0 loopback AFU) of the
# mock kernel. Safe to re-run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" plain
b="$top/build/plain"
scenario="$top/tests/mock/scenarios/dfl-demo.json"
echo "=== vfio_nlb0 (core API) on the simulated DFL FPGA: $scenario ==="
LD_PRELOAD="$b/tests/mock/libvfiomock.so" VFIO_MOCK_SCENARIO="$scenario" VFIO_MOCK_LEAK_CHECK=fail \
	"$b/samples/vfio_nlb0" "$@"
