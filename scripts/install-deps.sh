#!/usr/bin/env bash
# Install the Debian 12 packages the build and the tests need; idempotent:
# apt runs only when something is missing.
set -euo pipefail
pkgs=(gcc g++ make cmake ninja-build pkg-config libjson-c-dev uuid-dev libgtest-dev
      qemu-system-x86 busybox-static cpio kmod xz-utils
      dpkg-dev file lintian) # the last three: .deb packages (cpack, dpkg-shlibdeps) and their check
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=""
	(($(id -u) == 0)) || sudo=sudo
	echo "install-deps: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
