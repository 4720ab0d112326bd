# SPDX-License-Identifier: BSD-3-Clause
# ctest helpers that keep tests honest: every program test is judged by its
# exact exit status and whole output lines, never by a PASS regex alone
# (tests/expect_exit.sh), and a skip is a failure under CI (tests/ci_skip.sh).

set(OPAE_VFIO_EXPECT_EXIT ${PROJECT_SOURCE_DIR}/tests/expect_exit.sh)
set(OPAE_VFIO_CI_SKIP ${PROJECT_SOURCE_DIR}/tests/ci_skip.sh)

# opae_vfio_expect_test(NAME
#   [STATUS n]            exact exit status (default 0)
#   [MATCH ere...]        each must match one whole output line
#   [NO_MATCH ere...]     none may match a whole output line
#   [ENV NAME=VALUE...]   for the program only (e.g. LD_PRELOAD of the mock)
#   [LABELS l...] [TIMEOUT s]
#   COMMAND program args...)
# Sanitizer reports, "vfio-mock: leak:" lines and leftover temp files fail
# the test whatever the status (see tests/expect_exit.sh).
function(opae_vfio_expect_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "STATUS;TIMEOUT" "MATCH;NO_MATCH;ENV;LABELS;COMMAND")
  if(NOT arg_COMMAND)
    message(FATAL_ERROR "opae_vfio_expect_test(${name}): no COMMAND")
  endif()
  if(NOT DEFINED arg_STATUS)
    set(arg_STATUS 0)
  endif()
  set(opts --status ${arg_STATUS})
  foreach(re IN LISTS arg_MATCH)
    list(APPEND opts --match ${re})
  endforeach()
  foreach(re IN LISTS arg_NO_MATCH)
    list(APPEND opts --no-match ${re})
  endforeach()
  foreach(e IN LISTS arg_ENV)
    list(APPEND opts --env ${e})
  endforeach()
  add_test(NAME ${name} COMMAND ${OPAE_VFIO_EXPECT_EXIT} ${opts} -- ${arg_COMMAND})
  if(arg_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${arg_LABELS}")
  endif()
  if(arg_TIMEOUT)
    set_tests_properties(${name} PROPERTIES TIMEOUT ${arg_TIMEOUT})
  endif()
endfunction()

# opae_vfio_skip_test(NAME REASON [LABELS l...]): a test that cannot run in
# this checkout (e.g. ../shared missing). ctest shows it as skipped with the
# reason; with CI=true it fails instead, so CI is never green by skipping.
function(opae_vfio_skip_test name reason)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "LABELS")
  add_test(NAME ${name} COMMAND ${OPAE_VFIO_CI_SKIP} ${name} ${reason})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
  if(arg_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${arg_LABELS}")
  endif()
endfunction()

# Labels a build promises: one per area it builds (opae_vfio_add_area records
# them): vfio -> core, tools -> tool, tests/<x> or <x> -> x (tests/headers and
# tests itself promise nothing of their own). For each, a test label_<x>
# carrying label x checks that some other test carries x too, so that
# `ctest -L x` fails instead of passing with nothing run when an area exists
# but its tests do not. Derived from the areas present, never a fixed list:
# a new area brings its promise with it.
function(opae_vfio_label_checks)
  get_property(areas GLOBAL PROPERTY OPAE_VFIO_BUILT_AREAS)
  set(labels "")
  foreach(dir IN LISTS areas)
    string(REGEX REPLACE "^tests/?" "" rel "${dir}")
    string(REGEX REPLACE "/.*" "" top "${rel}")
    if(top STREQUAL "" OR top STREQUAL "headers")
      continue()
    elseif(top STREQUAL "vfio")
      set(top core)
    elseif(top STREQUAL "tools")
      set(top tool)
    endif()
    list(APPEND labels ${top})
    set_property(GLOBAL APPEND PROPERTY OPAE_VFIO_LABEL_AREAS_${top} ${dir})
  endforeach()
  list(REMOVE_DUPLICATES labels)
  foreach(label IN LISTS labels)
    get_property(from GLOBAL PROPERTY OPAE_VFIO_LABEL_AREAS_${label})
    string(REPLACE ";" "," from "${from}")
    add_test(NAME label_${label}
      COMMAND ${PROJECT_SOURCE_DIR}/tests/label_check.sh ${PROJECT_BINARY_DIR} ${label} ${from})
    set_tests_properties(label_${label} PROPERTIES LABELS ${label})
  endforeach()
endfunction()
if(OPAE_VFIO_TESTS)
  cmake_language(DEFER CALL opae_vfio_label_checks)
endif()
