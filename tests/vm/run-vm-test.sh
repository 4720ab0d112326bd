#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run-vm-test.sh - run one test program in the throwaway VM of
# ../shared/vm/run-in-vm.sh and map the outcome onto ctest's verdicts.
#
# Usage: run-vm-test.sh --name NAME --runner PATH [--timeout SEC]
#                       [--expect REGEX] [--skip-code N] [--vm-arg ARG]...
#                       -- PROGRAM [ARGS...]
#
#   --vm-arg ARG    passed to run-in-vm.sh before the program (repeatable),
#                   e.g. --vm-arg --ivshmem --vm-arg 1M
#
#   exit 0          the program passed in the VM (and printed a line that is
#                   exactly REGEX (grep -x), when given: guards against a
#                   program that exits 0 without having run its checks)
#   exit N (77)     SKIP: the VM harness is missing or could not start a VM.
#                   A visible "SKIP: NAME: reason" line says why. With CI=true
#                   a skip is a failure instead (exit 1, "FAIL: NAME: reason"):
#                   CI must never be green because the real kernel was not
#                   tried (same policy as tests/ci_skip.sh).
#   exit 1          the program failed, timed out, or the VM died while the
#                   program was running (e.g. QEMU aborted on a bad DMA).
#
# A VM that could not start is tried a second time before it counts as a skip.
# The guest gets no_timer_check: under load TCG can fail the kernel's IO-APIC
# timer check ("timer doesn't work through Interrupt-remapped IO-APIC").
#
# run-in-vm.sh exits 125 for any "no status from the guest". That covers
# infrastructure failures (apt, kernel, QEMU start, module load, binding) but
# also a VM that dies under the program. Only the former is a SKIP: the guest
# prints "== vm: kernel ..." just before it starts the program, so a 125
# after that line is the program's fault.
set -uo pipefail

name=vm-test
runner=
timeout=60
expect=
skip_code=77
vm_args=()

while (($#)); do
	case $1 in
	--name) name=$2; shift ;;
	--runner) runner=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--expect) expect=$2; shift ;;
	--skip-code) skip_code=$2; shift ;;
	--vm-arg) vm_args+=("$2"); shift ;;
	--) shift; break ;;
	*) echo "run-vm-test.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
(($# >= 1)) || { echo "run-vm-test.sh: no program given" >&2; exit 2; }
program=$1
shift

fail() {
	echo "FAIL: $name: $*"
	exit 1
}
skip() {
	[[ ${CI:-} != true ]] || fail "$* (CI=true: a skipped test is a failure in CI)"
	echo "SKIP: $name: $*"
	exit "$skip_code"
}

[[ -n $runner && -x $runner ]] ||
	skip "VM harness not found (${runner:-no --runner given}); it lives in ../shared/vm beside the repository"
[[ -x $program ]] || fail "test program $program is missing or not executable"

log=$(mktemp "${TMPDIR:-/tmp}/run-vm-test.XXXXXX")
trap 'rm -f "$log"' EXIT

# The reason a 125 is the infrastructure's (the program never started), or
# nothing when the program was running.
infra_reason() {
	if grep -q '^== vm: insmod .* failed' "$log"; then
		echo "the guest could not load the vfio modules (infrastructure)"
	elif grep -q '^== vm: binding .* to vfio-pci failed' "$log"; then
		echo "the guest could not bind edu to vfio-pci (infrastructure)"
	elif ! grep -q '^== vm: kernel ' "$log"; then
		reason=$(grep -E 'run-in-vm.sh: (error|VM ended)' "$log" | tail -n 1)
		echo "QEMU/VM could not start: ${reason:-run-in-vm.sh exit 125}"
	fi
}

# An infrastructure failure is tried once more (a TCG guest on a loaded
# machine sometimes panics at boot) before it counts as a SKIP.
for attempt in 1 2; do
	echo "== $name: $runner --timeout $timeout --append no_timer_check ${vm_args[*]} $program $*"
	start=$SECONDS
	# Show the output live (ctest captures it) and keep a copy to classify 125.
	"$runner" --timeout "$timeout" --append no_timer_check "${vm_args[@]}" "$program" "$@" 2>&1 |
		tee "$log"
	rc=${PIPESTATUS[0]}
	echo "== $name: run-in-vm.sh exit status $rc after $((SECONDS - start)) s"
	why=
	((rc == 125)) && why=$(infra_reason)
	[[ -n $why && $attempt == 1 ]] || break
	echo "== $name: $why; trying once more"
done

case $rc in
0)
	if [[ -n $expect ]] && ! grep -Eqx -- "$expect" "$log"; then
		fail "exit 0 but no output line is exactly '$expect'"
	fi
	exit 0
	;;
124)
	fail "timed out: the VM was killed after ${timeout} s"
	;;
125)
	[[ -z $why ]] || skip "$why"
	fail "the VM died while the program was running (no exit status from the guest)"
	;;
*)
	fail "the program failed in the VM (exit status $rc)"
	;;
esac
