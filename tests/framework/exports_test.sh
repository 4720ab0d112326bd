#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# exports_test.sh LIBRARY INCLUDE_DIR: libopae-c.so.2 exports exactly the
# public API - every fpga* call declared in include/opae/*.h, plus opae_print
# and opae_plugin_mgr_register_plugin - and nothing else; soname libopae-c.so.2.
set -u
lib=$1 inc=$2
fail() { echo "FAIL: $*"; exit 1; }

readelf -d "$lib" | grep -q 'SONAME.*\[libopae-c.so.2\]' || fail "soname is not libopae-c.so.2"
expected=$( (grep -ho '^[a-z_ ]*\*\?\bfpga[A-Z][A-Za-z0-9]*(' "$inc"/opae/*.h |
	sed 's/.*\(fpga[A-Za-z0-9]*\)(/\1/'; echo opae_print; echo opae_plugin_mgr_register_plugin) |
	sort -u)
actual=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
n=$(echo "$expected" | grep -c '^fpga')
[ "$n" -ge 113 ] || fail "only $n fpga* declarations found in $inc/opae"
if [ "$expected" != "$actual" ]; then
	echo "missing (declared, not exported):"
	comm -23 <(echo "$expected") <(echo "$actual")
	echo "extra (exported, not public):"
	comm -13 <(echo "$expected") <(echo "$actual")
	fail "the exports differ from the public API"
fi
echo "PASS: $n fpga* calls + opae_print + opae_plugin_mgr_register_plugin, nothing else"
