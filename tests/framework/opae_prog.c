// SPDX-License-Identifier: BSD-3-Clause
/* opae_prog.c - an ordinary OPAE program (no framework internals, no plugin
 * registration): it relies on libopae-c loading the plugins of its
 * configuration file at start-up. Enumerates accelerators, opens the first,
 * reads its first register, and prints "accelerators N". Compiled and linked
 * by soname_test.sh against libopae-c.so.2 only. */
#include <stdio.h>

#include <opae/fpga.h>

int main(void)
{
	fpga_properties filter = NULL;
	fpga_token tok = NULL;
	fpga_handle h = NULL;
	uint32_t n = 0;
	uint64_t v = 0;
	fpga_result r;

	r = fpgaGetProperties(NULL, &filter);
	if (r == FPGA_OK)
		r = fpgaPropertiesSetObjectType(filter, FPGA_ACCELERATOR);
	if (r == FPGA_OK)
		r = fpgaEnumerate(&filter, 1, &tok, 1, &n);
	if (r != FPGA_OK) {
		fprintf(stderr, "opae_prog: enumerate: %s\n", fpgaErrStr(r));
		return 1;
	}
	printf("accelerators %u\n", n);
	if (n) {
		r = fpgaOpen(tok, &h, 0);
		if (r == FPGA_OK)
			r = fpgaReadMMIO64(h, 0, 0, &v);
		if (r != FPGA_OK) {
			fprintf(stderr, "opae_prog: open/read: %s\n", fpgaErrStr(r));
			return 1;
		}
		fpgaClose(h);
		fpgaDestroyToken(&tok);
	}
	fpgaDestroyProperties(&filter);
	return 0;
}
