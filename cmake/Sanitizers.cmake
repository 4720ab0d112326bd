# SPDX-License-Identifier: BSD-3-Clause
# One option per sanitizer; they apply to every target in the tree so that the
# core, the mock kernel and the tests are instrumented alike.
if(OPAE_VFIO_ASAN AND OPAE_VFIO_TSAN)
  message(FATAL_ERROR "OPAE_VFIO_ASAN and OPAE_VFIO_TSAN cannot be combined")
endif()

set(OPAE_VFIO_SANITIZER "none")
if(OPAE_VFIO_ASAN)
  set(OPAE_VFIO_SANITIZER "asan")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(OPAE_VFIO_UBSAN)
  set(OPAE_VFIO_SANITIZER "ubsan")
  add_compile_options(-fsanitize=undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=undefined)
elseif(OPAE_VFIO_TSAN)
  set(OPAE_VFIO_SANITIZER "tsan")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
message(STATUS "opae-vfio sanitizer: ${OPAE_VFIO_SANITIZER}")
