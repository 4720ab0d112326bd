/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/version.h - version of the OPAE C API implementation in use, as a
 * number, a string and a build (source revision) string.
 *
 * The OPAE_VERSION* macros name the OPAE release whose ABI these headers
 * describe (the 2.12+ adapter table layout); the functions report the
 * version of the library actually loaded, which may differ.
 */
#ifndef OPAE_VERSION_H
#define OPAE_VERSION_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OPAE_VERSION          "2.14.0"
#define OPAE_VERSION_MAJOR    2
#define OPAE_VERSION_MINOR    14
#define OPAE_VERSION_REVISION 0

/* Buffer sizes (with NUL) sufficient for the strings returned below. */
#define FPGA_VERSION_STR_MAX 10
#define FPGA_BUILD_STR_MAX   41

/* Version of the loaded OPAE C library. */
fpga_result fpgaGetOPAECVersion(fpga_version *version);

/* Same as a string "major.minor.patch" in a buffer of len bytes. */
fpga_result fpgaGetOPAECVersionString(char *version_str, size_t len);

/* Source revision the library was built from, in a buffer of len bytes. */
fpga_result fpgaGetOPAECBuildString(char *build_str, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_VERSION_H */
