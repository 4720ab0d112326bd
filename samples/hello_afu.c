// SPDX-License-Identifier: BSD-3-Clause
/* hello_afu.c - OPAE's hello_afu check through the OPAE C API alone: find the
 * hello_afu accelerator by GUID, reset it, read its header and prove its
 * scratch register holds what is written (opae-facts 5.3; the code is ours).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "sample_common.h"

#define PROG "hello_afu"

#define HELLO_AFU_GUID "850ADCC2-6CEB-4B22-9722-D43375B61C66"
#define AFU_SCRATCH    0x80 /* 64-bit read/write */
#define SCRATCH_VALUE  0x0123456789ABCDEFULL

static const struct {
	uint64_t off;
	const char *name;
} header[] = {
    {0x00, "DFH"}, {0x08, "GUID low"}, {0x10, "GUID high"}, {0x18, "next AFU"}, {0x20, "reserved"}};

static void usage(FILE *f)
{
	fprintf(f, "Usage: " PROG " [options] [[ssss:]bb:dd.f]\n"
	           "Opens the hello_afu accelerator (GUID " HELLO_AFU_GUID "),\n"
	           "resets it, prints its header registers and checks that its scratch\n"
	           "register (0x80) reads back what is written. Exit status 0 on success,\n"
	           "the failing call's fpga_result otherwise (3 = FPGA_EXCEPTION for a\n"
	           "wrong read-back), 64 for bad usage.\n\n"
	           "Options:\n" SAMPLE_PCI_HELP
	           "  -s, --shared        open the accelerator shared (FPGA_OPEN_SHARED)\n"
	           "  -v, --version       print the OPAE library's version and exit\n"
	           "  -h, --help          this text\n");
}

/* Write v to the scratch register and read it back. */
static fpga_result scratch_round(fpga_handle h, uint64_t v)
{
	uint64_t got = ~v;
	fpga_result r = fpgaWriteMMIO64(h, 0, AFU_SCRATCH, v);

	if (r != FPGA_OK)
		return sample_fail(PROG, "fpgaWriteMMIO64 (scratch 0x80)", r);
	r = fpgaReadMMIO64(h, 0, AFU_SCRATCH, &got);
	if (r != FPGA_OK)
		return sample_fail(PROG, "fpgaReadMMIO64 (scratch 0x80)", r);
	if (got != v) {
		fprintf(stderr,
		        PROG ": scratch register reads 0x%016" PRIx64 " after 0x%016" PRIx64
		             " was written\n",
		        got, v);
		return FPGA_EXCEPTION;
	}
	printf(PROG ": scratch 0x80 = 0x%016" PRIx64 " (read back)\n", got);
	return FPGA_OK;
}

static fpga_result run(fpga_token tok, int flags)
{
	fpga_handle h = NULL;
	uint64_t v, before = 0;
	fpga_result r, r2;

	r = fpgaOpen(tok, &h, flags);
	if (r != FPGA_OK)
		return sample_fail(PROG, "fpgaOpen", r);
	r = fpgaMapMMIO(h, 0, NULL);
	if (r != FPGA_OK)
		sample_fail(PROG, "fpgaMapMMIO (space 0)", r);
	if (r == FPGA_OK) {
		r = fpgaReset(h);
		if (r != FPGA_OK)
			sample_fail(PROG, "fpgaReset", r);
	}
	for (size_t i = 0; r == FPGA_OK && i < sizeof(header) / sizeof(header[0]); i++) {
		r = fpgaReadMMIO64(h, 0, header[i].off, &v);
		if (r != FPGA_OK)
			sample_fail(PROG, "fpgaReadMMIO64 (AFU header)", r);
		else
			printf(PROG ": 0x%02" PRIx64 " %-9s 0x%016" PRIx64 "\n", header[i].off,
			       header[i].name, v);
	}
	if (r == FPGA_OK) {
		r = fpgaReadMMIO64(h, 0, AFU_SCRATCH, &before);
		if (r != FPGA_OK)
			sample_fail(PROG, "fpgaReadMMIO64 (scratch 0x80)", r);
		else
			printf(PROG ": scratch 0x80 = 0x%016" PRIx64 " (after reset)\n", before);
	}
	if (r == FPGA_OK)
		r = scratch_round(h, SCRATCH_VALUE);
	if (r == FPGA_OK)
		r = scratch_round(h, 0);

	r2 = fpgaUnmapMMIO(h, 0);
	if (r == FPGA_OK && r2 != FPGA_OK)
		r = sample_fail(PROG, "fpgaUnmapMMIO", r2);
	r2 = fpgaClose(h);
	if (r == FPGA_OK && r2 != FPGA_OK)
		r = sample_fail(PROG, "fpgaClose", r2);
	return r;
}

static int own_option(int opt, const char *arg, void *ctx)
{
	(void)arg;
	if (opt != 's')
		return -1;
	*(int *)ctx |= FPGA_OPEN_SHARED;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {SAMPLE_PCI_LONGOPTS,
	                                         SAMPLE_STD_LONGOPTS,
	                                         {"shared", no_argument, NULL, 's'},
	                                         {NULL, 0, NULL, 0}};
	struct sample_pci pci = SAMPLE_PCI_ANY;
	int flags = 0, status;
	fpga_token tok = NULL;
	char where[16];
	fpga_result r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	status = sample_parse_args(PROG, argc, argv, SAMPLE_PCI_SHORTOPTS SAMPLE_STD_SHORTOPTS "s",
	                           longopts, &pci, own_option, &flags, usage);
	if (status >= 0)
		return status;

	r = sample_find_accelerator(PROG, &pci, HELLO_AFU_GUID, &tok, where);
	if (r != FPGA_OK)
		return (int)r;
	printf(PROG ": hello_afu at %s\n", where);
	r = run(tok, flags);
	fpgaDestroyToken(&tok);
	printf(PROG ": %s\n", r == FPGA_OK ? "PASS" : "FAIL");
	return (int)r;
}
