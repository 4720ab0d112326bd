# SPDX-License-Identifier: BSD-3-Clause
# Warnings for our own code. Applied per target with opae_vfio_warnings(tgt)
# so system headers and generated code are not affected.
function(opae_vfio_warnings tgt)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes -Wshadow -Wformat=2 -Wvla -Wundef -Wconversion -Wno-sign-conversion>
    $<$<BOOL:${OPAE_VFIO_WERROR}>:-Werror>)
endfunction()
