// SPDX-License-Identifier: BSD-3-Clause
/* consumer_opae.c - a program built against an installed opae-vfio's OPAE
 * runtime (find_package or pkg-config): with the installed edu.cfg it finds
 * QEMU's edu as an accelerator through the installed plugin, opens it and
 * reads its identity register. Exit 0 on success. */
#include <stdint.h>
#include <stdio.h>

#include <opae/fpga.h>

int main(void)
{
	fpga_properties filter = NULL;
	fpga_token tok = NULL;
	fpga_handle h = NULL;
	uint32_t n = 0, id = 0;
	int ok = fpgaGetProperties(NULL, &filter) == FPGA_OK &&
	         fpgaPropertiesSetObjectType(filter, FPGA_ACCELERATOR) == FPGA_OK &&
	         fpgaEnumerate(&filter, 1, &tok, 1, &n) == FPGA_OK && n == 1 &&
	         fpgaOpen(tok, &h, 0) == FPGA_OK && fpgaMapMMIO(h, 0, NULL) == FPGA_OK &&
	         fpgaReadMMIO32(h, 0, 0, &id) == FPGA_OK && (id & 0xffffu) == 0x00ed;

	if (h) {
		fpgaUnmapMMIO(h, 0);
		fpgaClose(h);
	}
	if (tok)
		fpgaDestroyToken(&tok);
	fpgaDestroyProperties(&filter);
	printf("consumer_opae: %u accelerator(s), id 0x%08x: %s\n", n, id, ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
