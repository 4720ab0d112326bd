# SPDX-License-Identifier: BSD-3-Clause
# CPack: two Debian packages from the install components (cmake/Install.cmake).
#   opae-vfio         runtime: the plugin (/usr/lib/opae), our libopae-c in
#                     /usr/lib/opae-vfio (never /usr/lib: OPAE's SDK keeps its own),
#                     samples, opaevfio, configs, docs. Depends found by dpkg-shlibdeps.
#   libopae-vfio-dev  headers (/usr/include/opae-vfio), the static core, pkg-config
#                     and CMake package files; depends on opae-vfio of the same version.
# `cpack -G DEB` in the build directory (after the build) writes both .debs.
# Each package carries the Debian copyright and a changelog (lintian).
set(OPAE_VFIO_DEB_RUNTIME opae-vfio)
set(OPAE_VFIO_DEB_DEV libopae-vfio-dev)

# Debian's per-package documents, generated into the build tree.
set(debdir ${PROJECT_BINARY_DIR}/debian)
string(TIMESTAMP deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
foreach(pkg ${OPAE_VFIO_DEB_RUNTIME} ${OPAE_VFIO_DEB_DEV})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/debian-copyright ${debdir}/${pkg}/copyright COPYONLY)
  file(WRITE ${debdir}/${pkg}/changelog
    "${pkg} (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
    "  * Package built from the opae-vfio source tree.\n\n"
    " -- opae-vfio developers <opae-vfio@lists.invalid>  ${deb_date}\n")
  find_program(GZIP_PROG gzip REQUIRED)
  execute_process(COMMAND ${GZIP_PROG} -9nf ${debdir}/${pkg}/changelog COMMAND_ERROR_IS_FATAL ANY)
endforeach()
install(FILES ${debdir}/${OPAE_VFIO_DEB_RUNTIME}/copyright
              ${debdir}/${OPAE_VFIO_DEB_RUNTIME}/changelog.gz
  DESTINATION share/doc/${OPAE_VFIO_DEB_RUNTIME} COMPONENT runtime)
install(FILES ${debdir}/${OPAE_VFIO_DEB_DEV}/copyright ${debdir}/${OPAE_VFIO_DEB_DEV}/changelog.gz
  DESTINATION share/doc/${OPAE_VFIO_DEB_DEV} COMPONENT dev)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME opae-vfio)
set(CPACK_PACKAGE_VENDOR "opae-vfio developers")
set(CPACK_PACKAGE_CONTACT "opae-vfio developers <opae-vfio@lists.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://opae.github.io/")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${OPAE_VFIO_DEB_RUNTIME})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME ${OPAE_VFIO_DEB_DEV})
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "OPAE plugin and runtime for PCIe accelerators on vfio-pci
libopae-vfio.so lets unchanged OPAE C API programs enumerate, open and drive
FPGA cards (Device Feature List) and other PCIe accelerators bound to the
stock vfio-pci driver, with no vendor kernel driver. The package also holds a
stand-in OPAE runtime (libopae-c.so.2, in a private directory that never
shadows the OPAE SDK's), sample programs, the opaevfio tool and opae.cfg
examples.")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "development files for opae-vfio
Headers (opae/vfio.h and the OPAE C API), the static core library, and
pkg-config and CMake package files (find_package(opae-vfio)) to build
programs against opae-vfio's core library or its OPAE runtime.")
include(CPack)
