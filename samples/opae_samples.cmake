# SPDX-License-Identifier: BSD-3-Clause
# The OPAE C API samples (hello_fpga, hello_afu, hello_events) and their tests:
# each runs unchanged through framework/'s libopae-c -> libopae-vfio.so (found
# by the shipped config/opae/*.cfg, as an installed one would be) -> the mock
# kernel, on the PF and on a VF, with and without huge pages; hello_events
# also in the VM on QEMU's edu bound to the real vfio-pci. Label "samples"
# (the VM test: "vm"). Included from samples/CMakeLists.txt.

set(OPAE_VFIO_OPAE_SAMPLES hello_fpga hello_afu hello_events)
if(TARGET opae-c)
  add_library(opae_sample_common STATIC sample_common.c)
  target_link_libraries(opae_sample_common PUBLIC opae-c PkgConfig::UUID)
  target_compile_definitions(opae_sample_common PRIVATE _GNU_SOURCE)
  opae_vfio_warnings(opae_sample_common)
  foreach(s IN LISTS OPAE_VFIO_OPAE_SAMPLES)
    add_executable(${s} ${s}.c)
    target_link_libraries(${s} PRIVATE opae_sample_common)
    target_compile_definitions(${s} PRIVATE _GNU_SOURCE)
    opae_vfio_warnings(${s})
  endforeach()
endif()

# Which plugin calls the samples need exist yet? hello_afu needs MMIO only;
# hello_fpga needs DMA buffers, hello_events buffers and events (issue #11).
# Their tests are defined as soon as the plugin fills those adapter entries
# (and must then pass); until then configure says so.
function(opae_vfio_plugin_fills out)
  file(GLOB srcs ${PROJECT_SOURCE_DIR}/plugin/*.c)
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${srcs})
  set(all "")
  foreach(f IN LISTS srcs)
    file(READ ${f} text)
    string(APPEND all "${text}")
  endforeach()
  set(yes TRUE)
  foreach(entry IN LISTS ARGN)
    if(NOT all MATCHES "->${entry} *=")
      set(yes FALSE)
    endif()
  endforeach()
  set(${out} ${yes} PARENT_SCOPE)
endfunction()

# Scenario variants in the build tree: the same machine with 8 or 0 free
# 2 MiB huge pages (buffers then fall back to normal pages), and both again as
# <base>-vf-*: the PF (the first device) with the host's dfl-pci driver, its
# VF alone on vfio-pci, as OFS hosts run them.
function(opae_vfio_scenario_variants base)
  set(src ${PROJECT_SOURCE_DIR}/tests/mock/scenarios/${base}.json)
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  file(READ ${src} json)
  string(JSON desc GET "${json}" description)
  string(JSON vf_json SET "${json}" devices 0 driver "\"dfl-pci\"")
  string(JSON vf_json SET "${vf_json}" description
    "\"${desc} - here the PF stays with the host's dfl-pci driver, the VF alone is on vfio-pci\"")
  foreach(flavor "" -vf)
    if(flavor STREQUAL "")
      set(in "${json}")
    else()
      set(in "${vf_json}")
    endif()
    foreach(variant huge:8 nohuge:0)
      string(REPLACE ":" ";" variant ${variant})
      list(GET variant 0 name)
      list(GET variant 1 pages)
      string(JSON out SET "${in}" hugepages 2048kB ${pages})
      file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/samples/scenarios/${base}${flavor}-${name}.json
           CONTENT "${out}\n" @ONLY)
    endforeach()
  endforeach()
endfunction()

function(opae_vfio_opae_samples_tests)
  if(NOT TARGET opae-c)
    message(STATUS "samples: no framework/ (libopae-c): hello_fpga, hello_afu, hello_events not built")
    return()
  endif()
  set(OPAE_VFIO_OPAE_SAMPLES hello_fpga hello_afu hello_events) # (top-level scope here)
  set(cfgdir ${PROJECT_SOURCE_DIR}/config/opae)
  # --help and bad usage need no device
  foreach(s IN LISTS OPAE_VFIO_OPAE_SAMPLES)
    opae_vfio_expect_test(samples_${s}_help LABELS samples
      MATCH "Usage: ${s} \\[options\\] \\[\\[ssss:\\]bb:dd\\.f\\]" "  -B, --bus N .*"
      COMMAND $<TARGET_FILE:${s}> --help)
    opae_vfio_expect_test(samples_${s}_bad_address LABELS samples STATUS 64
      MATCH "${s}: '3b:00\\.9' is not a PCI address \\(\\[ssss:\\]bb:dd\\.f, hexadecimal\\)"
      COMMAND $<TARGET_FILE:${s}> 3b:00.9)
    opae_vfio_expect_test(samples_${s}_bad_bus LABELS samples STATUS 64
      MATCH "${s}: bus '0x100': expected a number from 0 to 255 \\(0xff\\)"
      COMMAND $<TARGET_FILE:${s}> --bus 0x100)
  endforeach()

  if(NOT TARGET opae-vfio-plugin OR NOT TARGET vfiomock)
    return()
  endif()
  # <card> (PF and VF on vfio-pci) for the PF; <card>-vf (the PF on the
  # host's dfl-pci, as OFS hosts run) for the VF: a VF of a vfio-pci PF needs
  # the PF's VF token, which the plugin's enumeration neither sets nor guesses
  # (docs/plugin.md), so an unchanged sample cannot find it by GUID.
  opae_vfio_scenario_variants(dfl-demo)
  opae_vfio_scenario_variants(dfl-hello-afu)
  set(scen ${PROJECT_BINARY_DIR}/samples/scenarios)
  # The environment reaches the sample only (tests/expect_exit.sh). The
  # shipped configs name the plugin "libopae-vfio.so", found in the build
  # tree here as in <prefix>/lib/opae once installed.
  # LD_PRELOAD: tests/mock's value (a sanitizer runtime first).
  get_directory_property(preload DIRECTORY ${PROJECT_SOURCE_DIR}/tests/mock
                         DEFINITION VFIOMOCK_PRELOAD)
  set(env LD_PRELOAD=${preload} ASAN_OPTIONS=verify_asan_link_order=0
          VFIO_MOCK_LEAK_CHECK=fail LD_LIBRARY_PATH=$<TARGET_FILE_DIR:opae-vfio-plugin>)
  set(pf_addr 0000:3b:00.0)
  set(vf_addr 0000:3b:00.1)
  set(pf_card "")
  set(vf_card "-vf")

  # hello_afu: the scratch register on the PF's port AFU and on the VF's AFU
  foreach(role pf vf)
    string(REPLACE "." "\\." addr_re ${${role}_addr})
    foreach(pages huge nohuge)
      opae_vfio_expect_test(samples_hello_afu_${role}_${pages} LABELS samples
        ENV ${env} VFIO_MOCK_SCENARIO=${scen}/dfl-hello-afu${${role}_card}-${pages}.json
            LIBOPAE_CFGFILE=${cfgdir}/ofs-${role}.cfg
        MATCH "hello_afu: hello_afu at ${addr_re}"
              "hello_afu: 0x10 GUID high 0x850adcc26ceb4b22"
              "hello_afu: scratch 0x80 = 0x0123456789abcdef \\(read back\\)"
              "hello_afu: scratch 0x80 = 0x0000000000000000 \\(read back\\)"
              "hello_afu: PASS"
        COMMAND $<TARGET_FILE:hello_afu>)
    endforeach()
  endforeach()
  # both claimed (ofs.cfg): the PCI options choose; -s opens shared
  opae_vfio_expect_test(samples_hello_afu_choose_vf_shared LABELS samples
    ENV ${env} VFIO_MOCK_SCENARIO=${scen}/dfl-hello-afu-vf-huge.json
        LIBOPAE_CFGFILE=${cfgdir}/ofs.cfg
    MATCH "hello_afu: hello_afu at 0000:3b:00\\.1" "hello_afu: PASS"
    COMMAND $<TARGET_FILE:hello_afu> -s -B 0x3b -D 0 -F 1)
  opae_vfio_expect_test(samples_hello_afu_choose_pf_by_address LABELS samples
    ENV ${env} VFIO_MOCK_SCENARIO=${scen}/dfl-hello-afu-huge.json
        LIBOPAE_CFGFILE=${cfgdir}/ofs.cfg
    MATCH "hello_afu: hello_afu at 0000:3b:00\\.0" "hello_afu: PASS"
    COMMAND $<TARGET_FILE:hello_afu> 0000:3b:00.0)
  # FPGA_NOT_FOUND (4): no hello_afu AFU on the NLB0 card; the VF is not in
  # the PF-only config
  opae_vfio_expect_test(samples_hello_afu_not_on_nlb0_card LABELS samples STATUS 4
    ENV ${env} VFIO_MOCK_SCENARIO=${scen}/dfl-demo-huge.json LIBOPAE_CFGFILE=${cfgdir}/ofs.cfg
    MATCH "hello_afu: no accelerator with GUID 850ADCC2-6CEB-4B22-9722-D43375B61C66 \\(is the device bound to vfio-pci and listed in the plugin's configuration\\?\\)"
    NO_MATCH "hello_afu: PASS"
    COMMAND $<TARGET_FILE:hello_afu>)
  opae_vfio_expect_test(samples_hello_afu_vf_not_configured LABELS samples STATUS 4
    ENV ${env} VFIO_MOCK_SCENARIO=${scen}/dfl-hello-afu-huge.json
        LIBOPAE_CFGFILE=${cfgdir}/ofs-pf.cfg
    MATCH "hello_afu: no accelerator with GUID .* at the PCI address given \\(.*\\)"
    COMMAND $<TARGET_FILE:hello_afu> 3b:00.1)

  # hello_fpga and hello_events need the plugin's buffers/events (issue #11)
  opae_vfio_plugin_fills(have_buffers fpgaPrepareBuffer fpgaReleaseBuffer fpgaGetIOAddress)
  opae_vfio_plugin_fills(have_events fpgaRegisterEvent fpgaUnregisterEvent)
  if(NOT have_buffers)
    message(STATUS "samples: the plugin has no DMA buffers yet (issue #11): "
                   "hello_fpga and hello_events are built but not tested")
    return()
  endif()
  foreach(role pf vf)
    string(REPLACE "." "\\." addr_re ${${role}_addr})
    foreach(pages huge nohuge)
      opae_vfio_expect_test(samples_hello_fpga_${role}_${pages} LABELS samples TIMEOUT 120
        ENV ${env} VFIO_MOCK_SCENARIO=${scen}/dfl-demo${${role}_card}-${pages}.json
            LIBOPAE_CFGFILE=${cfgdir}/ofs-${role}.cfg
        MATCH "hello_fpga: NLB0 at ${addr_re}, opened exclusively"
              "hello_fpga: output matches input \\(1048576 bytes copied by NLB0\\)"
              "hello_fpga: PASS"
        COMMAND $<TARGET_FILE:hello_fpga>)
    endforeach()
  endforeach()
  opae_vfio_expect_test(samples_hello_fpga_choose_vf_shared LABELS samples TIMEOUT 120
    ENV ${env} VFIO_MOCK_SCENARIO=${scen}/dfl-demo-vf-nohuge.json LIBOPAE_CFGFILE=${cfgdir}/ofs.cfg
    MATCH "hello_fpga: NLB0 at 0000:3b:00\\.1, opened shared" "hello_fpga: PASS"
    COMMAND $<TARGET_FILE:hello_fpga> --shared --bus 0x3b --function 1)
  opae_vfio_expect_test(samples_hello_fpga_not_on_hello_afu_card LABELS samples STATUS 4
    ENV ${env} VFIO_MOCK_SCENARIO=${scen}/dfl-hello-afu-huge.json
        LIBOPAE_CFGFILE=${cfgdir}/ofs.cfg
    MATCH "hello_fpga: no accelerator with GUID D8424DC4-A4A3-C413-F89E-433683F9040B .*"
    COMMAND $<TARGET_FILE:hello_fpga>)

  if(NOT have_events)
    message(STATUS "samples: the plugin has no events yet (issue #11): hello_events is not tested")
    return()
  endif()
  # hello_events on the mock's edu (QEMU's, declared plain in edu.cfg)
  set(edu_scen ${PROJECT_SOURCE_DIR}/tests/mock/scenarios)
  foreach(s edu edu-hugepages)
    string(REPLACE "-" "_" n ${s})
    opae_vfio_expect_test(samples_hello_events_${n} LABELS samples TIMEOUT 60
      ENV ${env} VFIO_MOCK_SCENARIO=${edu_scen}/${s}.json LIBOPAE_CFGFILE=${cfgdir}/edu.cfg
      MATCH "hello_events: DMA buffer -> edu: interrupt after .* ms \\(status 0x100\\), acknowledged"
            "hello_events: DMA edu -> buffer: interrupt after .* ms \\(status 0x100\\), acknowledged"
            "hello_events: 2048 bytes went to edu and back intact"
            "hello_events: PASS"
      COMMAND $<TARGET_FILE:hello_events>)
  endforeach()
  # ... and in the VM, on QEMU's edu bound to the real vfio-pci: the program
  # is dynamic (run-in-vm.sh copies what ldd lists), the plugin and the
  # shipped edu.cfg are added to /test. Plain builds only (tests/vm's rule).
  set(vm_runner ${PROJECT_SOURCE_DIR}/../shared/vm/run-in-vm.sh)
  if(OPAE_VFIO_SANITIZER STREQUAL "none")
    add_test(NAME vm_hello_events
      COMMAND ${PROJECT_SOURCE_DIR}/tests/vm/run-vm-test.sh --name vm_hello_events
              --runner ${vm_runner} --timeout 180 --skip-code 77
              --vm-arg --add --vm-arg $<TARGET_FILE:opae-vfio-plugin>
              --vm-arg --add --vm-arg ${cfgdir}/edu.cfg
              --vm-arg --env --vm-arg LIBOPAE_CFGFILE=/test/edu.cfg
              --vm-arg --env --vm-arg LD_LIBRARY_PATH=/test
              --expect "hello_events: PASS"
              -- $<TARGET_FILE:hello_events>)
    set_tests_properties(vm_hello_events PROPERTIES LABELS vm TIMEOUT 300
      SKIP_RETURN_CODE 77 RESOURCE_LOCK vm)
  endif()
endfunction()

# samples/ is configured before tests/mock: the mock's target exists only at
# the end of the top-level CMakeLists.
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL opae_vfio_opae_samples_tests)
include(${CMAKE_CURRENT_SOURCE_DIR}/install/install_tests.cmake)
