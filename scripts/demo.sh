#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, and runs a sample through
# our stack against the simulated DFL FPGA (PF + VF with an NLB0 loopback AFU) of the
# mock kernel. Safe to re-run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
b="$top/build/plain"
# Only what the demo needs: the mock kernel and the sample (the tests build in test.sh).
cmake -S "$top" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$b" -j "$(nproc)" --target vfiomock vfio_nlb0
scenario="$top/tests/mock/scenarios/dfl-demo.json"
echo "=== vfio_nlb0 (core API) on the simulated DFL FPGA: $scenario ==="
LD_PRELOAD="$b/tests/mock/libvfiomock.so" VFIO_MOCK_SCENARIO="$scenario" VFIO_MOCK_LEAK_CHECK=fail \
	"$b/samples/vfio_nlb0" "$@"
