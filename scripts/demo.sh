#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's main job: an unchanged OPAE sample through our whole stack —
# framework/'s libopae-c.so.2 -> plugin/'s libopae-vfio.so -> the mock kernel's
# simulated DFL FPGA (tests/mock) — on the PF and on its VF, saying what
# happens at each step. Installs what is missing, builds only what it needs;
# safe to re-run.
#   scripts/demo.sh              the PF, then the VF
#   scripts/demo.sh pf | vf      one of them
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b="$top/build/plain"
# hello_fpga (OPAE's NLB0 DMA loopback) needs the plugin's DMA buffers (issue
# #11, as samples/opae_samples.cmake checks); before they exist, hello_afu (MMIO).
if grep -q -- '->fpgaPrepareBuffer *=' "$top"/plugin/*.c; then
	sample=hello_fpga card=dfl-demo
	afu="NLB0 (GUID D8424DC4-...): it copies 1 MiB between DMA buffers and flags completion"
	steps="fpgaPrepareBuffer gives three 2 MiB DMA buffers (IOMMU-mapped; huge pages if free);
   fpgaGetIOAddress hands their IOVAs to NLB0 over MMIO; the sample polls the completion flag
   and compares the 1 MiB copy."
else
	sample=hello_afu card=dfl-hello-afu
	afu="OPAE's hello_afu (GUID 850ADCC2-..., a scratch register at 0x80)"
	steps="the sample reads the AFU header and writes/reads back its scratch register."
fi
roles=(pf vf)
(($#)) && roles=("$@")
for r in "${roles[@]}"; do
	[[ $r == pf || $r == vf ]] || { echo "usage: scripts/demo.sh [pf|vf]" >&2; exit 64; }
done
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. Debian packages the build needs (scripts/install-deps.sh; apt only if something is missing)"
"$top/scripts/install-deps.sh"

say "2. Build (build/plain): the mock kernel, the framework, the plugin and $sample"
cmake -S "$top" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$b" -j "$(nproc)" --target vfiomock opae-c opae-vfio-plugin "$sample"
echo "   $b/framework/libopae-c.so.2      OPAE's C API (a stand-in for the OPAE SDK's runtime)"
echo "   $b/plugin/libopae-vfio.so        our plugin: vfio-pci devices behind that API"
echo "   $b/tests/mock/libvfiomock.so     the kernel's VFIO ABI + sysfs, simulated (LD_PRELOAD)"
echo "   $b/samples/$sample               written against opae/fpga.h only"

say "3. The simulated machine: tests/mock/scenarios/$card.json (VF run: a variant, build/plain/samples/scenarios/$card-vf-huge.json)"
echo "   an OFS-like card: PF 0000:3b:00.0 (8086:bcce; FME -> port -> AFU, IOMMU group 12) and"
echo "   its SR-IOV VF 0000:3b:00.1 (8086:bccf; the AFU at BAR0, group 13). For the PF run both"
echo "   are bound to vfio-pci; for the VF run the PF stays with the host's dfl-pci driver, as on"
echo "   an OFS host. The AFU is $afu."

for role in "${roles[@]}"; do
	cfg="$top/config/opae/ofs-$role.cfg"
	scenario="$top/tests/mock/scenarios/$card.json"
	[[ $role == pf ]] || scenario="$b/samples/scenarios/$card-vf-huge.json"
	say "4. $sample on the ${role^^}: LIBOPAE_CFGFILE=$(realpath --relative-to="$top" "$cfg")"
	echo "   libopae-c reads that opae.cfg, finds the card's PCI ids in sysfs and loads the plugin it"
	echo "   names (libopae-vfio.so) with its device list; fpgaEnumerate -> the plugin walks the"
	echo "   feature list read-only; fpgaOpen opens the device through VFIO (container, group,"
	echo "   device fd); fpgaMapMMIO maps BAR0; MMIO is plain loads/stores; $steps"
	echo "   LIBOPAE_LOG=1 shows the framework's and the plugin's messages; the mock fails the run"
	echo "   if any fd, mapping or IOMMU entry is left behind (VFIO_MOCK_LEAK_CHECK=fail)."
	echo
	LD_PRELOAD="$b/tests/mock/libvfiomock.so" VFIO_MOCK_SCENARIO="$scenario" \
		VFIO_MOCK_LEAK_CHECK=fail LIBOPAE_CFGFILE="$cfg" LIBOPAE_LOG=1 \
		LD_LIBRARY_PATH="$b/plugin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		"$b/samples/$sample"
done
say "Done: $sample passed on ${roles[*]} through libopae-c -> libopae-vfio.so -> (mock) vfio-pci"
