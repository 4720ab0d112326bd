#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# check-exports.sh LIBRARY ALLOWED...: fail if LIBRARY defines a global symbol
# that none of ALLOWED permits, and list those. Each ALLOWED is an extended
# regex matched against the whole name, or @FILE: every name the shared
# library FILE defines (e.g. @/lib/x86_64-linux-gnu/libc.so.6 for a preload
# library that interposes libc calls).
# A static archive is read with `nm -g` (every member), anything else (shared
# object, plugin module) with `nm -D` (what the dynamic linker sees).
# Names the toolchain adds to every shared object (_init, _fini, _edata, ...)
# are always allowed. CMake: opae_vfio_exports_test() in cmake/Exports.cmake.
set -euo pipefail
if (($# < 2)); then
	echo "usage: $0 LIBRARY REGEX..." >&2
	exit 2
fi
lib=$1
shift
[[ -r $lib ]] || { echo "check-exports: cannot read $lib" >&2; exit 2; }
case $lib in
*.a) syms=$(nm -g --defined-only "$lib") ;;
*) syms=$(nm -D --defined-only "$lib") ;;
esac
allow="_init|_fini|_edata|_end|__bss_start"
from_files=""
for re in "$@"; do
	if [[ $re == @* ]]; then
		from_files+=$(nm -D --defined-only "${re#@}" | awk 'NF == 3 { print $3 }' |
			sed 's/@.*//')$'\n'
	else
		allow+="|$re"
	fi
done
# "ADDRESS TYPE NAME" lines only (archives also print member names)
names=$(awk 'NF == 3 { print $3 }' <<<"$syms" | sed 's/@.*//' | sort -u)
bad=$(grep -Ev "^($allow)\$" <<<"$names" || true)
if [[ -n $bad && -n $from_files ]]; then
	bad=$(grep -vxF -f <(sort -u <<<"$from_files" | grep .) <<<"$bad" || true)
fi
count=$(grep -c . <<<"$names" || true)
if [[ -n $bad ]]; then
	echo "check-exports: $lib exports names outside its allow-list ($*):"
	sed 's/^/  /' <<<"$bad"
	exit 1
fi
echo "check-exports: $lib: $count global names, all allowed"
