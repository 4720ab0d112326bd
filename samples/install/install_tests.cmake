# SPDX-License-Identifier: BSD-3-Clause
# What an install gives users (label samples): samples/install/install_test.sh
# installs into a temporary prefix (layout, find_package and pkg-config
# consumers, an installed sample), and builds the .deb packages from the
# finished build (dependencies, lintian, a sample run from the unpacked tree).
# Both on the mock kernel; plain builds only (packages are not built with
# sanitizers). Included from samples/opae_samples.cmake; deferred to the end
# of the top-level CMakeLists, when the mock's target exists.
function(opae_vfio_install_tests)
  if(NOT OPAE_VFIO_SANITIZER STREQUAL "none" OR NOT TARGET vfiomock OR NOT TARGET hello_afu
     OR NOT TARGET opae-vfio-plugin)
    return()
  endif()
  # hello_fpga needs the plugin's DMA buffers (issue #11); hello_afu until then
  opae_vfio_plugin_fills(have_buffers fpgaPrepareBuffer fpgaReleaseBuffer fpgaGetIOAddress)
  set(sample hello_afu)
  if(have_buffers)
    set(sample hello_fpga)
  endif()
  get_directory_property(preload DIRECTORY ${PROJECT_SOURCE_DIR}/tests/mock
                         DEFINITION VFIOMOCK_PRELOAD)
  foreach(mode prefix deb)
    add_test(NAME samples_install_${mode}
      COMMAND ${PROJECT_SOURCE_DIR}/samples/install/install_test.sh ${mode} ${PROJECT_BINARY_DIR}
              ${PROJECT_SOURCE_DIR} ${preload} ${sample})
    # both read the build tree's install scripts; cpack also runs its preinstall step
    set_tests_properties(samples_install_${mode} PROPERTIES LABELS samples TIMEOUT 120
      RESOURCE_LOCK opae_vfio_install)
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL opae_vfio_install_tests)
