// SPDX-License-Identifier: BSD-3-Clause
/* version.c - fpgaErrStr and the version calls. We report the OPAE release
 * whose ABI we implement (include/opae/version.h, 2.14.0): plugins pick the
 * adapter table layout from it, and ours is the 2.12+ one. */
#include <string.h>

#include "fw_priv.h"

#ifndef FW_BUILD_STRING
#define FW_BUILD_STRING "unknown"
#endif

static const char *const result_text[] = {
    [FPGA_OK] = "success",
    [FPGA_INVALID_PARAM] = "invalid parameter",
    [FPGA_BUSY] = "resource busy",
    [FPGA_EXCEPTION] = "exception",
    [FPGA_NOT_FOUND] = "not found",
    [FPGA_NO_MEMORY] = "no memory",
    [FPGA_NOT_SUPPORTED] = "not supported",
    [FPGA_NO_DRIVER] = "no driver available",
    [FPGA_NO_DAEMON] = "no fpga daemon running",
    [FPGA_NO_ACCESS] = "insufficient privileges",
    [FPGA_RECONF_ERROR] = "reconfiguration error",
};

FW_API const char *fpgaErrStr(fpga_result e)
{
	if ((unsigned int)e < sizeof(result_text) / sizeof(result_text[0]) && result_text[e])
		return result_text[e];
	return "unknown error";
}

FW_API fpga_result fpgaGetOPAECVersion(fpga_version *version)
{
	if (!version)
		return FPGA_INVALID_PARAM;
	version->major = OPAE_VERSION_MAJOR;
	version->minor = OPAE_VERSION_MINOR;
	version->patch = OPAE_VERSION_REVISION;
	return FPGA_OK;
}

static fpga_result copy_out(const char *what, const char *s, char *out, size_t len)
{
	size_t n = strlen(s) + 1;

	if (!out)
		return FPGA_INVALID_PARAM;
	if (len < n) {
		fw_err("%s: buffer of %zu bytes is too small for \"%s\"", what, len, s);
		return FPGA_INVALID_PARAM;
	}
	memcpy(out, s, n);
	return FPGA_OK;
}

FW_API fpga_result fpgaGetOPAECVersionString(char *version_str, size_t len)
{
	return copy_out("fpgaGetOPAECVersionString", OPAE_VERSION, version_str, len);
}

FW_API fpga_result fpgaGetOPAECBuildString(char *build_str, size_t len)
{
	return copy_out("fpgaGetOPAECBuildString", FW_BUILD_STRING, build_str, len);
}
