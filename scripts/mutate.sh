#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mutate.sh - mutation testing of vfio/: apply each mutation of
# tests/mutations.txt, one at a time, to a scratch copy of the tree (never to
# this checkout), rebuild, and run the tests that could notice: the mock-based
# labels first, the real-kernel (vm) label only for a mutant they missed.
# Prints KILLED/SURVIVED per mutation and the kill ratio. Not run by CI (slow:
# minutes per mutant). See tests/README.md for the figures of the last run.
#
#   scripts/mutate.sh [--no-vm] [--labels REGEX] [--list FILE] [ID...]
#   scripts/mutate.sh --check [--list FILE]
#
# --labels: the mock-based labels run per mutant (default: every area that
# runs on the mock; '^core$' is much faster and says so in the summary).
# --check: only verify that every mutation applies (its original text occurs
# exactly once), without building; ctest core.mutations_apply runs this so the
# list follows the code.
#
# Exit status 0 only when every mutation applied and built, every "(audit)"
# mutant was killed and at least 90% of those run were killed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
list=$top/tests/mutations.txt
vm=1
check=0
mock_labels='^(core|samples|plugin|framework|config|tool)$'
ids=()
while (($#)); do
	case $1 in
	--no-vm) vm=0 ;;
	--check) check=1 ;;
	--labels) mock_labels=$2; shift ;;
	--list) list=$2; shift ;;
	-h | --help) sed -n '3,21p' "$0"; exit 0 ;;
	*) ids+=("$1") ;;
	esac
	shift
done

# fields: the list with its TABs as \037 for read: a TAB is whitespace to
# IFS, so two in a row (an empty REPLACEMENT: a deleted line) would collapse
# and shift WHAT into REPLACEMENT; \037 is not whitespace
fields() {
	tr '\t' '\037' <"$list"
}

# why_not FILE ORIGINAL: prints why the mutation cannot be applied (nothing
# when ORIGINAL occurs exactly once in FILE)
# (perl, which Debian always has: bash's pattern removal is quadratic)
why_not() {
	[[ -f $1 ]] || { echo "the file does not exist"; return; }
	perl -e 'local $/; open(my $f, "<", $ARGV[0]) or die; my $c = <$f>; my $o = $ARGV[1];
		my ($n, $p) = (0, 0);
		while ($n < 2 && ($p = index($c, $o, $p)) >= 0) { $n++; $p += length($o) || 1 }
		print $n == 0 ? "the original text is no longer there\n"
		    : $n > 1 ? "the original text occurs more than once\n" : ""' "$1" "$2"
}

if ((check)); then
	n=0 bad=0
	while IFS=$'\037' read -r id file orig repl what; do
		[[ -z $id || $id == \#* ]] && continue
		printf -v orig '%b' "$orig"
		n=$((n + 1))
		why=$(why_not "$top/$file" "$orig")
		if [[ -n $why ]]; then
			echo "$id STALE: $file: $why ($what)"
			bad=$((bad + 1))
		fi
	done < <(fields)
	echo "mutate.sh --check: $n mutations, $bad cannot be applied"
	((n > 0 && bad == 0))
	exit
fi

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
	# (core.mutations_apply checks the list against the tree: a mutated tree
	# always fails it, which would count every mutant as killed)
	out=$(ctest --test-dir "$build" -L "$1" -E '^core\.mutations_apply$' -j2 --timeout 180 \
		--stop-on-failure --no-tests=error 2>&1)
	local rc=$?
	failed=$(sed -n '/^The following tests FAILED:/{n;p;q}' <<<"$out" | sed 's/^[[:space:]]*[0-9]* - //')
	return $rc
}

# needed_files LABEL-REGEX: what a mutant must rebuild for the tests of those
# labels (paths relative to $build, for ninja): every linked output a test runs
# or preloads (its command, arguments and environment name it), every library
# (a plugin is dlopened by a path no test names) and every linked output
# outside tests/ (tools and samples a test may run by a compiled-in path).
# The rest (the other areas' test binaries) is left stale: a mutant then costs
# the relinks of the labels it runs, not of the whole tree.
needed_files() {
	local linked
	linked=$(ninja -C "$build" -t targets all | sed -n 's/^\(.*\): [A-Z_]*_LINKER__.*/\1/p')
	linked=$(grep -v '^/' <<<"$linked") # (gtest's discovery files, absolute, come with the binary)
	{
		ctest --test-dir "$build" --show-only=json-v1 -L "$1" 2>/dev/null |
			perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>); my $b = $ARGV[0];
				for my $t (@{$d->{tests}}) {
					my @s = @{$t->{command} // []};
					for my $p (@{$t->{properties} // []}) {
						next unless $p->{name} eq "ENVIRONMENT";
						push @s, ref $p->{value} ? @{$p->{value}} : $p->{value};
					}
					for (map { split /[:=;]/ } @s) { print "$1\n" if m{^\Q$b\E/(.+)$} }
				}' "$build"
		grep -v '^tests/' <<<"$linked"
		grep -E '\.so(\.[0-9]+)*$' <<<"$linked"
	} | sort -u | grep -Fxf <(printf '%s\n' "$linked")
}

# build_for LABEL-REGEX: rebuild what the tests of those labels need
build_for() {
	local files
	mapfile -t files < <(needed_files "$1")
	((${#files[@]})) || return 1
	ninja -C "$build" -j2 "${files[@]}"
}

echo "mutate.sh: building and running the unmutated tree"
cmake --build "$build" -j2 >/dev/null || { echo "mutate.sh: the unmutated tree does not build"; exit 1; }
run_tests "$mock_labels" || { echo "mutate.sh: mock-based tests fail unmutated: $failed"; exit 1; }
if ((vm)); then
	run_tests '^vm$' || { echo "mutate.sh: vm tests fail unmutated: $failed"; exit 1; }
fi

total=0 killed=0 errors=0
audit_survivors=()
while IFS=$'\037' read -r id file orig repl what; do
	[[ -z $id || $id == \#* ]] && continue
	if ((${#ids[@]})) && [[ " ${ids[*]} " != *" $id "* ]]; then
		continue
	fi
	printf -v orig '%b' "$orig"
	printf -v repl '%b' "$repl"
	src=$work/repo/$file
	why=$(why_not "$src" "$orig")
	if [[ -n $why ]]; then
		echo "$id STALE: $file: $why ($what)"
		errors=$((errors + 1))
		continue
	fi
	content=$(<"$src")
	cp "$src" "$work/pristine"
	printf '%s\n' "${content/"$orig"/"$repl"}" >"$src"
	total=$((total + 1))
	start=$SECONDS
	if ! build_for "$mock_labels" >"$work/build.log" 2>&1; then
		echo "$id INVALID: does not build ($what)"
		errors=$((errors + 1))
		total=$((total - 1))
	elif ! run_tests "$mock_labels"; then
		echo "$id KILLED by ${failed:-?} ($what) [$((SECONDS - start)) s]"
		killed=$((killed + 1))
	elif ((vm)) && ! build_for '^vm$' >"$work/build.log" 2>&1; then
		echo "$id INVALID: the vm programs do not build ($what)"
		errors=$((errors + 1))
		total=$((total - 1))
	elif ((vm)) && ! run_tests '^vm$'; then
		echo "$id KILLED by ${failed:-?} in the VM ($what) [$((SECONDS - start)) s]"
		killed=$((killed + 1))
	else
		echo "$id SURVIVED ($what) [$((SECONDS - start)) s]"
		[[ $what == *"(audit)"* ]] && audit_survivors+=("$id")
	fi
	cp "$work/pristine" "$src" # new mtime: rebuilt next time
done < <(fields)

ratio=0
((total)) && ratio=$((100 * killed / total))
echo "mutate.sh: $killed of $total mutants killed ($ratio%), $errors stale/ambiguous/invalid"
((vm)) || echo "mutate.sh: --no-vm: the real-kernel tests were not run"
echo "mutate.sh: labels run per mutant: $mock_labels"
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
