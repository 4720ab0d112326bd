#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mutate.sh - mutation testing of vfio/: apply each mutation of
# tests/mutations.txt, one at a time, to a scratch copy of the tree (never to
# this checkout), rebuild, and run the tests that could notice: the mock-based
# labels first, the real-kernel (vm) label only for a mutant they missed.
# Prints KILLED/SURVIVED per mutation and the kill ratio. Not run by CI (slow:
# minutes per mutant). See tests/README.md for the figures of the last run.
#
#   scripts/mutate.sh [--no-vm] [--list FILE] [ID...]
#
# Exit status 0 only when every mutation applied and built, every "(audit)"
# mutant was killed and at least 90% of those run were killed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
list=$top/tests/mutations.txt
vm=1
ids=()
while (($#)); do
	case $1 in
	--no-vm) vm=0 ;;
	--list) list=$2; shift ;;
	-h | --help) sed -n '3,13p' "$0"; exit 0 ;;
	*) ids+=("$1") ;;
	esac
	shift
done
mock_labels='^(core|samples|plugin|framework|config|tool)$'

work=$(mktemp -d "${TMPDIR:-/tmp}/mutate.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
echo "mutate.sh: scratch copy in $work"
mkdir "$work/repo"
git -C "$top" ls-files -z | (cd "$top" && tar --null -T - -cf -) | tar -xf - -C "$work/repo" ||
	exit 1
# the VM harness and edu-smoke live beside the repository
[[ -d $top/../shared ]] && ln -s "$(cd "$top/../shared" && pwd)" "$work/shared"
build=$work/build
cmake -S "$work/repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DOPAE_VFIO_WERROR=OFF >/dev/null || exit 1

# run_tests LABEL-REGEX: 0 when all pass; the first failed test in $failed
run_tests() {
	local out
	out=$(ctest --test-dir "$build" -L "$1" -j2 --timeout 180 --stop-on-failure \
		--no-tests=error 2>&1)
	local rc=$?
	failed=$(sed -n '/^The following tests FAILED:/{n;p;q}' <<<"$out" | sed 's/^[[:space:]]*[0-9]* - //')
	return $rc
}

echo "mutate.sh: building and running the unmutated tree"
cmake --build "$build" -j2 >/dev/null || { echo "mutate.sh: the unmutated tree does not build"; exit 1; }
run_tests "$mock_labels" || { echo "mutate.sh: mock-based tests fail unmutated: $failed"; exit 1; }
if ((vm)); then
	run_tests '^vm$' || { echo "mutate.sh: vm tests fail unmutated: $failed"; exit 1; }
fi

total=0 killed=0 errors=0
audit_survivors=()
while IFS=$'\t' read -r id file orig repl what; do
	[[ -z $id || $id == \#* ]] && continue
	if ((${#ids[@]})) && [[ " ${ids[*]} " != *" $id "* ]]; then
		continue
	fi
	printf -v orig '%b' "$orig"
	printf -v repl '%b' "$repl"
	src=$work/repo/$file
	if [[ ! -f $src ]]; then
		echo "$id STALE: $file does not exist ($what)"
		errors=$((errors + 1))
		continue
	fi
	content=$(<"$src")
	rest=${content#*"$orig"}
	if [[ $rest == "$content" ]]; then
		echo "$id STALE: the original text is no longer in $file ($what)"
		errors=$((errors + 1))
		continue
	fi
	if [[ $rest == *"$orig"* ]]; then
		echo "$id AMBIGUOUS: the original text occurs more than once in $file ($what)"
		errors=$((errors + 1))
		continue
	fi
	cp "$src" "$work/pristine"
	printf '%s\n' "${content/"$orig"/"$repl"}" >"$src"
	total=$((total + 1))
	start=$SECONDS
	if ! cmake --build "$build" -j2 >"$work/build.log" 2>&1; then
		echo "$id INVALID: does not build ($what)"
		errors=$((errors + 1))
		total=$((total - 1))
	elif ! run_tests "$mock_labels"; then
		echo "$id KILLED by ${failed:-?} ($what) [$((SECONDS - start)) s]"
		killed=$((killed + 1))
	elif ((vm)) && ! run_tests '^vm$'; then
		echo "$id KILLED by ${failed:-?} in the VM ($what) [$((SECONDS - start)) s]"
		killed=$((killed + 1))
	else
		echo "$id SURVIVED ($what) [$((SECONDS - start)) s]"
		[[ $what == *"(audit)"* ]] && audit_survivors+=("$id")
	fi
	cp "$work/pristine" "$src" # new mtime: rebuilt next time
done <"$list"

cmake --build "$build" -j2 >/dev/null 2>&1
ratio=0
((total)) && ratio=$((100 * killed / total))
echo "mutate.sh: $killed of $total mutants killed ($ratio%), $errors stale/ambiguous/invalid"
((vm)) || echo "mutate.sh: --no-vm: the real-kernel tests were not run"
status=0
if ((errors)); then
	echo "mutate.sh: FAILED: $errors mutations could not be applied or built"
	status=1
fi
if ((${#audit_survivors[@]})); then
	echo "mutate.sh: FAILED: audit mutants survived: ${audit_survivors[*]}"
	status=1
fi
if ((total && ratio < 90)); then
	echo "mutate.sh: FAILED: kill ratio below 90%"
	status=1
fi
exit $status
