#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# install_test.sh - what users get from an install, tried on the mock kernel.
#
#   install_test.sh prefix BUILD SRC PRELOAD SAMPLE   cmake --install into a temporary prefix:
#       the layout (nothing where the OPAE SDK keeps its libopae-c and headers), a
#       consumer built with find_package(opae-vfio) and one with pkg-config, each
#       run on the mock's edu, and an installed sample on the mock's DFL card.
#   install_test.sh deb BUILD SRC PRELOAD SAMPLE      cpack -G DEB from the finished build:
#       both packages' dependencies, lintian with no error, then the packages
#       unpacked into a scratch root (dpkg-deb -x) and a sample run from there.
#
# SAMPLE (hello_fpga, or hello_afu while the plugin has no DMA buffers) runs
# on the mock's DFL card with NLB0 or the hello_afu AFU. Every run uses its own temporary directory (removed at exit). Exit 0 when all
# holds, 1 with a "FAIL: ..." line otherwise.
set -uo pipefail
mode=$1 build=$2 src=$3 preload=$4 sample=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scen="$src/tests/mock/scenarios"
sample_scen="$scen/dfl-demo.json"
[[ $sample == hello_fpga ]] || sample_scen="$scen/dfl-hello-afu.json"

fail() { echo "FAIL: $*"; exit 1; }

# runs_lib PROGRAM LIB: PROGRAM loads LIB (both canonicalised) as its libopae-c.so.2
runs_lib() {
	local got
	got=$(ldd "$1" | sed -n 's/^\s*libopae-c\.so\.2 => \(\S*\) .*/\1/p')
	[[ -n $got && $(realpath "$got") == $(realpath "$2") ]] ||
		fail "$1 does not run $2: libopae-c.so.2 => ${got:-not found}"
}

# on_mock SCENARIO PROGRAM ARGS...: run on the mock kernel (leaks fail it), output in $tmp/out
on_mock() {
	local scenario=$1
	shift
	mkdir -p "$tmp/t"
	env LD_PRELOAD="$preload" ASAN_OPTIONS=verify_asan_link_order=0 VFIO_MOCK_LEAK_CHECK=fail \
		VFIO_MOCK_SCENARIO="$scenario" TMPDIR="$tmp/t" "$@" >"$tmp/out" 2>&1
	local rc=$?
	sed 's/^/    /' "$tmp/out"
	return $rc
}

# run_sample ROOT-PREFIX: the installed sample through the installed libopae-c and
# plugin (found from the library's own place), the installed opae.cfg
run_sample() {
	local p=$1 prog="$1/lib/opae-vfio/samples/$sample"
	echo "-- $prog on the mock's DFL card (PF), config $p/share/opae-vfio/opae/ofs-pf.cfg"
	runs_lib "$prog" "$p/lib/opae-vfio/libopae-c.so.2"
	on_mock "$sample_scen" env LIBOPAE_CFGFILE="$p/share/opae-vfio/opae/ofs-pf.cfg" LIBOPAE_LOG=2 \
		"$prog" || fail "$prog exited $?"
	grep -qx "$sample: PASS" "$tmp/out" || fail "$prog did not pass"
	local plugin
	plugin=$(sed -n 's/^libopae-c: plugin libopae-vfio.so: loaded from //p' "$tmp/out")
	[[ -n $plugin && $(realpath "$plugin") == $(realpath "$p/lib/opae/libopae-vfio.so") ]] ||
		fail "$prog loaded the plugin from '${plugin:-?}', not the one installed beside its libopae-c"
}

case $mode in
prefix)
	p="$tmp/prefix"
	cmake --install "$build" --prefix "$p" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "cmake --install"; }
	for f in include/opae-vfio/opae/vfio.h include/opae-vfio/opae/fpga.h \
		include/opae-vfio/opae/plugin/adapter.h lib/opae-vfio/libopaevfio.a \
		lib/opae-vfio/libopae-c.so.2 lib/opae-vfio/libopae-c.so lib/opae/libopae-vfio.so \
		lib/opae-vfio/samples/$sample lib/pkgconfig/opae-vfio.pc lib/pkgconfig/opae-vfio-opae-c.pc \
		lib/cmake/opae-vfio/opae-vfio-config.cmake share/opae-vfio/opae/ofs.cfg \
		share/opae-vfio/examples/dfl-vf.json share/doc/opae-vfio/README.md bin/opaevfio; do
		[[ -e $p/$f ]] || fail "not installed: $f"
	done
	# OPAE's SDK owns <prefix>/lib/libopae-c.so* and <prefix>/include/opae
	for f in "$p"/lib/libopae-c.so* "$p/include/opae"; do
		[[ ! -e $f ]] || fail "installed where the OPAE SDK's files live: ${f#"$p"/}"
	done
	echo "-- installed into $p: layout as documented"

	echo "-- consumer built with find_package(opae-vfio)"
	cmake -S "$src/samples/install/consumer" -B "$tmp/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$p" \
		>"$tmp/log" 2>&1 && cmake --build "$tmp/cmake" >>"$tmp/log" 2>&1 ||
		{ cat "$tmp/log"; fail "the find_package consumer does not build"; }
	echo "-- consumer built with pkg-config (opae-vfio, opae-vfio-opae-c)"
	mkdir -p "$tmp/pc"
	export PKG_CONFIG_PATH="$p/lib/pkgconfig"
	cc -o "$tmp/pc/consumer_core" "$src/samples/install/consumer/consumer_core.c" \
		$(pkg-config --cflags --libs opae-vfio) || fail "the pkg-config core consumer does not build"
	cc -o "$tmp/pc/consumer_opae" "$src/samples/install/consumer/consumer_opae.c" \
		$(pkg-config --cflags --libs opae-vfio-opae-c) || fail "the pkg-config OPAE consumer does not build"
	for d in cmake pc; do
		echo "-- $d consumers on the mock's edu"
		on_mock "$scen/edu.json" "$tmp/$d/consumer_core" || fail "$d/consumer_core exited $?"
		grep -qx "consumer_core: 0000:00:03.0: PASS" "$tmp/out" || fail "$d/consumer_core did not pass"
		runs_lib "$tmp/$d/consumer_opae" "$p/lib/opae-vfio/libopae-c.so.2"
		on_mock "$scen/edu.json" env LIBOPAE_CFGFILE="$p/share/opae-vfio/opae/edu.cfg" \
			"$tmp/$d/consumer_opae" || fail "$d/consumer_opae exited $?"
		grep -qx "consumer_opae: 1 accelerator(s), id 0x010000ed: PASS" "$tmp/out" ||
			fail "$d/consumer_opae did not pass"
	done
	run_sample "$p"
	;;
deb)
	cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/log" 2>&1 ||
		{ cat "$tmp/log"; fail "cpack -G DEB"; }
	version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
	rt=$(echo "$tmp"/pkg/opae-vfio_"$version"_*.deb)
	dev=$(echo "$tmp"/pkg/libopae-vfio-dev_"$version"_*.deb)
	[[ -f $rt && -f $dev ]] || fail "cpack made $(ls "$tmp/pkg"), not opae-vfio and libopae-vfio-dev $version"
	for deb in "$rt" "$dev"; do
		echo "-- $(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
	done
	depends=$(dpkg-deb -f "$rt" Depends)
	for d in libc6 libjson-c5 libuuid1; do
		[[ ,$depends, =~ [,\ ]$d\ \( ]] || fail "opae-vfio does not depend on $d: $depends"
	done
	[[ $(dpkg-deb -f "$dev" Depends) == *"opae-vfio (= $version)"* ]] ||
		fail "libopae-vfio-dev does not depend on opae-vfio (= $version)"
	echo "-- lintian"
	lintian --fail-on error "$rt" "$dev" >"$tmp/lintian" 2>&1
	lint=$?
	sed 's/^/    /' "$tmp/lintian"
	((lint == 0)) || fail "lintian reports errors (exit $lint)"
	for deb in "$rt" "$dev"; do
		dpkg-deb -x "$deb" "$tmp/root" || fail "dpkg-deb -x $deb"
	done
	echo "-- unpacked into $tmp/root"
	for f in bin/opaevfio lib/opae/libopae-vfio.so lib/opae-vfio/libopae-c.so.2 \
		include/opae-vfio/opae/fpga.h lib/cmake/opae-vfio/opae-vfio-config.cmake; do
		[[ -e $tmp/root/usr/$f ]] || fail "not in the packages: /usr/$f"
	done
	run_sample "$tmp/root/usr"
	;;
*)
	echo "usage: install_test.sh prefix|deb BUILD SRC PRELOAD SAMPLE" >&2
	exit 2
	;;
esac
echo "PASS"
