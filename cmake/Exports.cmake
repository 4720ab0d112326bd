# SPDX-License-Identifier: BSD-3-Clause
# Internal names never leak: a test per shipped library that fails on any
# global symbol outside an allow-list (scripts/check-exports.sh).
#
#   opae_vfio_exports_test(NAME core.exports TARGET opaevfio
#                          ALLOW "opae_vfio_[a-z0-9_]+" LABELS core)
#
# ALLOW takes extended regexes, each matched against the whole name. Any
# library target works: a static archive is checked member by member, a
# shared object or module by its dynamic symbol table.
function(opae_vfio_exports_test)
  cmake_parse_arguments(EXP "" "NAME;TARGET" "ALLOW;LABELS" ${ARGN})
  if(NOT EXP_NAME OR NOT EXP_TARGET OR NOT EXP_ALLOW)
    message(FATAL_ERROR "opae_vfio_exports_test: NAME, TARGET and ALLOW are required")
  endif()
  add_test(NAME ${EXP_NAME}
    COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-exports.sh $<TARGET_FILE:${EXP_TARGET}>
            ${EXP_ALLOW})
  set_tests_properties(${EXP_NAME} PROPERTIES LABELS "${EXP_LABELS}")
endfunction()
