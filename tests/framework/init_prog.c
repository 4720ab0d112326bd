// SPDX-License-Identifier: BSD-3-Clause
/* init_prog.c - a program for the start-up/shut-down tests: registers the
 * plugin argv[1], initializes, checks that it enumerates, and returns
 * without fpgaFinalize (the library's destructor decides what happens). */
#include <stdio.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

int main(int argc, char **argv)
{
	uint32_t n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: init_prog PLUGIN\n");
		return 2;
	}
	if (opae_plugin_mgr_register_plugin(argv[1], "{}"))
		return 3;
	if (fpgaInitialize(NULL) != FPGA_OK)
		return 4;
	if (fpgaEnumerate(NULL, 0, NULL, 0, &n) != FPGA_OK || n != 2) {
		fprintf(stderr, "init_prog: %u tokens, expected 2\n", n);
		return 5;
	}
	printf("init_prog: plugin loaded, %u tokens\n", n);
	return 0;
}
