#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# soname_test.sh CC INCLUDE_DIR FRAMEWORK_DIR PLUGIN MOCK_LIB SCENARIO SOURCE
#
# An OPAE program compiled against our headers and linked through the soname
# libopae-c.so.2 only (no unversioned libopae-c.so, no rpath) runs unchanged:
# at start-up the library finds the configuration ($LIBOPAE_CFGFILE), detects
# the card in the mock kernel's fake sysfs and loads the plugin; with
# OPAE_EXPLICIT_INITIALIZE it loads nothing. Also checks LIBOPAE_LOG and
# LIBOPAE_LOGFILE.
set -u
cc=$1 inc=$2 fwdir=$3 plugin=$4 mock=$5 scenario=$6 src=$7
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Link against the soname file itself, as a program built against the OPAE
# SDK would find it at run time.
"$cc" -std=gnu11 -I"$inc" -o "$tmp/opae_prog" "$src" "$fwdir/libopae-c.so.2" || fail "link"
readelf -d "$tmp/opae_prog" | grep -q 'NEEDED.*\[libopae-c.so.2\]' || fail "no DT_NEEDED libopae-c.so.2"
readelf -d "$tmp/opae_prog" | grep -Eq 'RPATH|RUNPATH' && fail "unexpected rpath"

cat >"$tmp/opae.cfg" <<CFG
{
  "configurations": {
    "demo": {
      "enabled": true,
      "devices": [ { "name": "pf", "id": ["0x8086", "0xbcce", "*", "*"] } ],
      "opae": { "plugin": [ { "enabled": true, "module": "$plugin", "devices": ["pf"],
                              "configuration": { "note": "from soname_test" } } ] }
    }
  },
  "configs": ["demo"]
}
CFG
run() {
	env -u OPAE_EXPLICIT_INITIALIZE LD_LIBRARY_PATH="$fwdir" LD_PRELOAD="$mock" \
	    VFIO_MOCK_SCENARIO="$scenario" LIBOPAE_CFGFILE="$tmp/opae.cfg" "$@"
}

out=$(run "$tmp/opae_prog") || fail "run: $out"
[ "$out" = "accelerators 1" ] || fail "expected the plugin's accelerator (loaded at start-up), got: $out"

out=$(run env OPAE_EXPLICIT_INITIALIZE=1 "$tmp/opae_prog") || fail "explicit run: $out"
[ "$out" = "accelerators 0" ] || fail "OPAE_EXPLICIT_INITIALIZE: expected no plugin, got: $out"

# Messages at LIBOPAE_LOG=1, into a relative LIBOPAE_LOGFILE.
(cd "$tmp" && run env LIBOPAE_LOG=1 LIBOPAE_LOGFILE=fw.log "$tmp/opae_prog" >/dev/null) ||
	fail "logged run"
grep -q "configuration file $tmp/opae.cfg" "$tmp/fw.log" || fail "log: no configuration line"
grep -q "configuration demo, device pf (8086:bcce subsystem 8086:1770) detected at 0000:3b:00.0" \
	"$tmp/fw.log" || fail "log: no detection line"
grep -q "plugin #1 $plugin ($tmp/opae.cfg: configuration demo, device pf, detected at 0000:3b:00.0) loaded with configuration {\"note\":\"from soname_test\"}" \
	"$tmp/fw.log" || fail "log: no load line: $(cat "$tmp/fw.log")"

# Default level: quiet. An absolute log file outside /tmp/ is refused, loudly.
err=$(run "$tmp/opae_prog" 2>&1 >/dev/null)
[ -z "$err" ] || fail "unexpected messages at the default level: $err"
err=$(run env LIBOPAE_LOGFILE=/var/fw-test.log "$tmp/opae_prog" 2>&1 >/dev/null)
echo "$err" | grep -q "LIBOPAE_LOGFILE /var/fw-test.log: absolute paths must be under /tmp/" ||
	fail "no complaint about /var/fw-test.log: $err"
[ -e /var/fw-test.log ] && fail "/var/fw-test.log written"
echo "PASS: linked through libopae-c.so.2, plugin loaded at start-up from LIBOPAE_CFGFILE, logging"
