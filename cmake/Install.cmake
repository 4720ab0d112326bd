# SPDX-License-Identifier: BSD-3-Clause
# What `cmake --install` puts where, for consumers (pkg-config, CMake package)
# and for the .deb packages (cmake/InstallPackage.cmake). Included at the end
# of the top-level CMakeLists, when every area's targets exist.
#
#   <prefix>/include/opae-vfio/opae/...   our headers (vfio.h and the OPAE C API
#                                         headers): private, so they never clash
#                                         with the OPAE SDK's /usr/include/opae
#   <prefix>/lib/opae/libopae-vfio.so     the plugin, where OPAE's libopae-c and ours look
#   <prefix>/lib/opae-vfio/               our framework libopae-c.so.2 and the static
#                                         core libopaevfio.a: a private directory, so
#                                         neither shadows the OPAE SDK's libraries
#   <prefix>/lib/opae-vfio/samples/       hello_fpga, hello_afu, hello_events, vfio_nlb0
#                                         (RUNPATH to our libopae-c)
#   <prefix>/bin/opaevfio                 the tool (tools/opaevfio installs itself)
#   <prefix>/share/opae-vfio/             opae.cfg examples and plugin device lists
#   <prefix>/share/doc/opae-vfio/         README and docs
#   <prefix>/lib/pkgconfig/opae-vfio.pc, opae-vfio-opae-c.pc
#   <prefix>/lib/cmake/opae-vfio/         find_package(opae-vfio): opae-vfio::opaevfio,
#                                         opae-vfio::opae-c, opae-vfio::plugin, opae-vfio::headers
# Components: "runtime" (plugin, framework, samples, tool, configs, docs) and
# "dev" (headers, static core, link name of libopae-c, pkg-config, CMake package).
include(CMakePackageConfigHelpers)

set(OPAE_VFIO_INSTALL_INCLUDEDIR include/opae-vfio)
set(OPAE_VFIO_INSTALL_PRIVLIBDIR lib/opae-vfio)
set(OPAE_VFIO_INSTALL_PLUGINDIR lib/opae)
set(OPAE_VFIO_INSTALL_CMAKEDIR lib/cmake/opae-vfio)
set(OPAE_VFIO_INSTALL_DOCDIR share/doc/opae-vfio)
set(OPAE_VFIO_INSTALL_DATADIR share/opae-vfio)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/opae DESTINATION ${OPAE_VFIO_INSTALL_INCLUDEDIR}
  COMPONENT dev FILES_MATCHING PATTERN "*.h")
set(export_targets "")
set_target_properties(opae_headers PROPERTIES EXPORT_NAME headers)
list(APPEND export_targets opae_headers)
if(TARGET opaevfio)
  install(TARGETS opaevfio EXPORT opae-vfio-targets
    ARCHIVE DESTINATION ${OPAE_VFIO_INSTALL_PRIVLIBDIR} COMPONENT dev)
endif()
if(TARGET opae-c)
  install(TARGETS opae-c EXPORT opae-vfio-targets
    LIBRARY DESTINATION ${OPAE_VFIO_INSTALL_PRIVLIBDIR} COMPONENT runtime
      NAMELINK_COMPONENT dev)
endif()
if(TARGET opae-vfio-plugin)
  set_target_properties(opae-vfio-plugin PROPERTIES EXPORT_NAME plugin)
  install(TARGETS opae-vfio-plugin EXPORT opae-vfio-targets
    LIBRARY DESTINATION ${OPAE_VFIO_INSTALL_PLUGINDIR} COMPONENT runtime)
endif()
install(TARGETS ${export_targets} EXPORT opae-vfio-targets)

# The samples find our libopae-c next door, wherever the tree is unpacked.
foreach(s hello_fpga hello_afu hello_events vfio_nlb0)
  if(TARGET ${s})
    set_target_properties(${s} PROPERTIES INSTALL_RPATH "$ORIGIN/..")
    install(TARGETS ${s} RUNTIME DESTINATION ${OPAE_VFIO_INSTALL_PRIVLIBDIR}/samples
      COMPONENT runtime)
  endif()
endforeach()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/opae ${PROJECT_SOURCE_DIR}/config/examples
  DESTINATION ${OPAE_VFIO_INSTALL_DATADIR} COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/config/README.md
  DESTINATION ${OPAE_VFIO_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${OPAE_VFIO_INSTALL_DOCDIR}/docs
  COMPONENT runtime FILES_MATCHING PATTERN "*.md")

install(EXPORT opae-vfio-targets NAMESPACE opae-vfio:: DESTINATION ${OPAE_VFIO_INSTALL_CMAKEDIR}
  COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/opae-vfio-config.cmake.in
  ${PROJECT_BINARY_DIR}/install/opae-vfio-config.cmake
  INSTALL_DESTINATION ${OPAE_VFIO_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/install/opae-vfio-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/install/opae-vfio-config.cmake
              ${PROJECT_BINARY_DIR}/install/opae-vfio-config-version.cmake
  DESTINATION ${OPAE_VFIO_INSTALL_CMAKEDIR} COMPONENT dev)

# pkg-config: paths relative to the .pc file's own place (${pcfiledir}), so
# the files work from any prefix and from an unpacked package.
foreach(pc opae-vfio opae-vfio-opae-c)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/install/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/install/${pc}.pc DESTINATION lib/pkgconfig COMPONENT dev)
endforeach()
