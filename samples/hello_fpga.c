// SPDX-License-Identifier: BSD-3-Clause
/* hello_fpga.c - OPAE's NLB0 loopback test through the OPAE C API alone: find
 * the native loopback AFU, give it three DMA buffers, let it copy 1 MiB and
 * check the copy. Unlike OPAE's sample, a wrong copy is a failure (exit 3).
 *
 * The sequence and register map are OPAE's hello_fpga's (opae-facts 5.1);
 * the code is ours. Runs unchanged on OPAE's libopae-c or on ours.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sample_common.h"

#define PROG "hello_fpga"

#define NLB0_GUID       "D8424DC4-A4A3-C413-F89E-433683F9040B"
#define NLB0_N3000_GUID "9AEFFE5F-8457-0612-C000-C9660D824272" /* -c: the N3000 wrapper */
#define ASE_DEVICE_ID   0x0a5e /* OPAE's simulator (ASE) reports this FPGA device id */

/* NLB0 registers, offsets from the AFU's base in MMIO space 0 */
#define NLB_DSM_BASE  0x110 /* 64-bit: DSM byte address */
#define NLB_SRC_ADDR  0x120 /* 64-bit: source, in cache lines (address >> 6) */
#define NLB_DST_ADDR  0x128 /* 64-bit: destination, in cache lines */
#define NLB_NUM_LINES 0x130 /* 32-bit: lines to copy */
#define NLB_CTL       0x138 /* 32-bit: 0 reset, 1 run, 3 start, 7 stop */
#define NLB_CFG       0x140 /* 32-bit: mode; 0x42000 is what OPAE's sample writes */
#define NLB_STATUS1   0x168 /* 64-bit: reads/writes still in flight */
#define DSM_STATUS    0x40  /* in the DSM: bit 0 = test complete */

#define CTL_RESET  0u
#define CTL_RUN    1u
#define CTL_START  3u
#define CTL_STOP   7u
#define CFG_LPBK1  0x42000u
#define CL         64u
#define BUF_SIZE   (2u * 1024 * 1024) /* one 2 MiB huge page each where reserved */
#define COPY_BYTES (1u * 1024 * 1024)
#define POLL_US    100
#define ASE_WAIT_S 3600.0 /* a simulated AFU is slow; do not give up quickly */

/* DFL walk for -c: a feature header's next-offset and end-of-list bits */
#define DFH_NEXT(dfh) (((dfh) >> 16) & 0xffffffULL)
#define DFH_EOL(dfh)  (((dfh) >> 40) & 1ULL)
#define DFL_MAX_STEP  1024

enum { DSM, INPUT, OUTPUT, NBUF };
static const char *const buf_name[NBUF] = {"DSM", "input", "output"};

struct nlb {
	fpga_handle h;
	uint64_t base; /* the AFU's offset in MMIO space 0 (0 except with -c) */
	volatile uint8_t *buf[NBUF];
	uint64_t wsid[NBUF];
	uint64_t ioaddr[NBUF];
	int prepared[NBUF];
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: " PROG " [options] [[ssss:]bb:dd.f]\n"
	           "Runs the NLB0 native loopback AFU: it copies 1 MiB from one DMA buffer to\n"
	           "another, and the copy is checked. Exit status 0 when it matches, the\n"
	           "failing call's fpga_result otherwise (3 = FPGA_EXCEPTION for a timeout or\n"
	           "a wrong copy), 64 for bad usage.\n\n"
	           "Options:\n" SAMPLE_PCI_HELP
	           "  -s, --shared        open the accelerator shared (FPGA_OPEN_SHARED)\n"
	           "  -c, --n3000         N3000 layout: NLB0 sits behind a wrapper AFU; find it\n"
	           "                      by walking the feature headers of MMIO space 0\n"
	           "  -t, --timeout SEC   wait at most SEC seconds for completion (default 10)\n"
	           "  -v, --version       print the OPAE library's version and exit\n"
	           "  -h, --help          this text\n");
}

static fpga_result wr64(struct nlb *n, uint64_t reg, uint64_t v, const char *what)
{
	fpga_result r = fpgaWriteMMIO64(n->h, 0, n->base + reg, v);

	return r == FPGA_OK ? r : sample_fail(PROG, what, r);
}

static fpga_result wr32(struct nlb *n, uint64_t reg, uint32_t v, const char *what)
{
	fpga_result r = fpgaWriteMMIO32(n->h, 0, n->base + reg, v);

	return r == FPGA_OK ? r : sample_fail(PROG, what, r);
}

/* -c: walk the feature list of MMIO space 0 from offset 0 (bounded; a read
 * the plugin refuses ends it) for the header whose GUID is NLB0's. */
static fpga_result find_nlb0_in_dfl(struct nlb *n)
{
	fpga_guid g;
	uint64_t want_hi = 0, want_lo = 0, off = 0, dfh, lo, hi;

	sample_parse_guid(NLB0_GUID, g);
	for (int i = 0; i < 8; i++) {
		want_hi = want_hi << 8 | g[i];
		want_lo = want_lo << 8 | g[8 + i];
	}
	for (int step = 0; step < DFL_MAX_STEP; step++) {
		if (fpgaReadMMIO64(n->h, 0, off, &dfh) != FPGA_OK ||
		    fpgaReadMMIO64(n->h, 0, off + 0x08, &lo) != FPGA_OK ||
		    fpgaReadMMIO64(n->h, 0, off + 0x10, &hi) != FPGA_OK)
			break;
		if (hi == want_hi && lo == want_lo) {
			n->base = off;
			printf(PROG ": -c: NLB0 found at offset 0x%llx of MMIO space 0\n",
			       (unsigned long long)off);
			return FPGA_OK;
		}
		if (DFH_EOL(dfh) || DFH_NEXT(dfh) == 0)
			break;
		off += DFH_NEXT(dfh);
	}
	fprintf(stderr, PROG ": -c: no feature header with the NLB0 GUID in MMIO space 0\n");
	return FPGA_NOT_FOUND;
}

static fpga_result prepare_buffers(struct nlb *n)
{
	for (int i = 0; i < NBUF; i++) {
		void *p = NULL;
		char step[64];
		fpga_result r = fpgaPrepareBuffer(n->h, BUF_SIZE, &p, &n->wsid[i], 0);

		if (r != FPGA_OK) {
			snprintf(step, sizeof(step), "fpgaPrepareBuffer (%s, 2 MiB)", buf_name[i]);
			return sample_fail(PROG, step, r);
		}
		n->prepared[i] = 1;
		n->buf[i] = p;
		r = fpgaGetIOAddress(n->h, n->wsid[i], &n->ioaddr[i]);
		if (r != FPGA_OK) {
			snprintf(step, sizeof(step), "fpgaGetIOAddress (%s)", buf_name[i]);
			return sample_fail(PROG, step, r);
		}
	}
	return FPGA_OK;
}

/* What the CPU writes first: a zero DSM, a patterned input whose lines are
 * numbered, and an output filled with something else. */
static void fill_buffers(struct nlb *n)
{
	memset((void *)n->buf[DSM], 0, BUF_SIZE);
	memset((void *)n->buf[INPUT], 0xAF, COPY_BYTES);
	memset((void *)n->buf[OUTPUT], 0xBE, COPY_BYTES);
	for (uint32_t line = 0; line < COPY_BYTES / CL; line++) {
		uint32_t tag = line + 1;

		memcpy((void *)(n->buf[INPUT] + line * CL + CL - sizeof(tag)), &tag, sizeof(tag));
	}
}

static fpga_result start_copy(struct nlb *n)
{
	fpga_result r;

	r = wr64(n, NLB_DSM_BASE, n->ioaddr[DSM], "writing DSM_BASE");
	if (!r)
		r = wr32(n, NLB_CTL, CTL_RESET, "CTL: hold the AFU in reset");
	if (!r)
		r = wr32(n, NLB_CTL, CTL_RUN, "CTL: release the AFU from reset");
	if (!r)
		r = wr64(n, NLB_SRC_ADDR, n->ioaddr[INPUT] / CL, "writing SRC_ADDR");
	if (!r)
		r = wr64(n, NLB_DST_ADDR, n->ioaddr[OUTPUT] / CL, "writing DST_ADDR");
	if (!r)
		r = wr32(n, NLB_NUM_LINES, COPY_BYTES / CL, "writing NUM_LINES");
	if (!r)
		r = wr32(n, NLB_CFG, CFG_LPBK1, "writing CFG");
	if (!r)
		r = wr32(n, NLB_CTL, CTL_START, "CTL: start");
	return r;
}

/* The AFU sets bit 0 of the DSM status word when the copy is done. */
static fpga_result wait_done(struct nlb *n, double timeout_s)
{
	volatile uint64_t *status = (volatile uint64_t *)(n->buf[DSM] + DSM_STATUS);
	double deadline = sample_now() + timeout_s;

	while (!(*status & 1)) {
		if (sample_now() > deadline) {
			fprintf(stderr,
			        PROG ": NLB0 did not report completion within %.0f s (DSM status "
			             "0x%llx)\n",
			        timeout_s, (unsigned long long)*status);
			return FPGA_EXCEPTION;
		}
		usleep(POLL_US);
	}
	return FPGA_OK;
}

/* Stop the AFU and give in-flight requests up to 100 ms to drain (not
 * draining is not an error: the copy was already reported complete). */
static fpga_result stop_copy(struct nlb *n)
{
	fpga_result r = wr32(n, NLB_CTL, CTL_STOP, "CTL: stop");
	uint64_t pending = 1;

	for (int i = 0; r == FPGA_OK && i < 100; i++) {
		r = fpgaReadMMIO64(n->h, 0, n->base + NLB_STATUS1, &pending);
		if (r != FPGA_OK)
			return sample_fail(PROG, "reading STATUS1", r);
		if (!pending)
			break;
		usleep(1000);
	}
	return r;
}

static fpga_result check_copy(struct nlb *n)
{
	const volatile uint8_t *in = n->buf[INPUT], *out = n->buf[OUTPUT];

	for (size_t i = 0; i < COPY_BYTES; i++) {
		if (in[i] != out[i]) {
			fprintf(stderr,
			        PROG ": output does not match input at byte %zu (0x%02x, expected "
			             "0x%02x)\n",
			        i, out[i], in[i]);
			return FPGA_EXCEPTION;
		}
	}
	printf(PROG ": output matches input (%u bytes copied by NLB0)\n", COPY_BYTES);
	return FPGA_OK;
}

static fpga_result release_all(struct nlb *n)
{
	fpga_result first = FPGA_OK, r;

	for (int i = 0; i < NBUF; i++) {
		if (!n->prepared[i])
			continue;
		r = fpgaReleaseBuffer(n->h, n->wsid[i]);
		if (r != FPGA_OK && first == FPGA_OK)
			first = sample_fail(PROG, "fpgaReleaseBuffer", r);
	}
	return first;
}

/* OPAE's sample asks whether the FPGA device is its simulator (ASE), which
 * is slow enough to need a far longer wait; any failure here is ignored. */
static int running_on_ase(const struct sample_pci *pci)
{
	fpga_properties f = NULL, p = NULL;
	fpga_token tok = NULL;
	uint32_t n = 0;
	uint16_t id = 0;

	if (fpgaGetProperties(NULL, &f) != FPGA_OK)
		return 0;
	if (fpgaPropertiesSetObjectType(f, FPGA_DEVICE) == FPGA_OK &&
	    sample_pci_filter(f, pci) == FPGA_OK && fpgaEnumerate(&f, 1, &tok, 1, &n) == FPGA_OK &&
	    n > 0 && fpgaGetProperties(tok, &p) == FPGA_OK)
		fpgaPropertiesGetDeviceID(p, &id);
	if (p)
		fpgaDestroyProperties(&p);
	if (tok)
		fpgaDestroyToken(&tok);
	fpgaDestroyProperties(&f);
	return id == ASE_DEVICE_ID;
}

static fpga_result run(fpga_token tok, int open_flags, int n3000, double timeout_s)
{
	struct nlb n = {0};
	fpga_result r, r2;

	r = fpgaOpen(tok, &n.h, open_flags);
	if (r != FPGA_OK)
		return sample_fail(PROG, "fpgaOpen", r);
	r = fpgaMapMMIO(n.h, 0, NULL);
	if (r != FPGA_OK)
		sample_fail(PROG, "fpgaMapMMIO (space 0)", r);
	if (r == FPGA_OK && n3000)
		r = find_nlb0_in_dfl(&n);
	if (r == FPGA_OK)
		r = prepare_buffers(&n);
	if (r == FPGA_OK) {
		fill_buffers(&n);
		r = fpgaReset(n.h);
		if (r != FPGA_OK)
			sample_fail(PROG, "fpgaReset", r);
	}
	if (r == FPGA_OK)
		r = start_copy(&n);
	if (r == FPGA_OK)
		r = wait_done(&n, timeout_s);
	if (r == FPGA_OK)
		r = stop_copy(&n);
	if (r == FPGA_OK)
		r = check_copy(&n);

	r2 = release_all(&n);
	if (r == FPGA_OK)
		r = r2;
	r2 = fpgaUnmapMMIO(n.h, 0);
	if (r == FPGA_OK && r2 != FPGA_OK)
		r = sample_fail(PROG, "fpgaUnmapMMIO", r2);
	r2 = fpgaClose(n.h);
	if (r == FPGA_OK && r2 != FPGA_OK)
		r = sample_fail(PROG, "fpgaClose", r2);
	return r;
}

struct options {
	int flags, n3000;
	double timeout_s;
};

static int own_option(int opt, const char *arg, void *ctx)
{
	struct options *o = ctx;
	char *end;

	switch (opt) {
	case 's':
		o->flags |= FPGA_OPEN_SHARED;
		return 0;
	case 'c':
		o->n3000 = 1;
		return 0;
	case 't':
		errno = 0;
		o->timeout_s = strtod(arg, &end);
		if (errno || end == arg || *end || !(o->timeout_s > 0)) {
			fprintf(stderr, PROG ": --timeout '%s': expected seconds > 0\n", arg);
			return -1;
		}
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {SAMPLE_PCI_LONGOPTS,
	                                         SAMPLE_STD_LONGOPTS,
	                                         {"shared", no_argument, NULL, 's'},
	                                         {"n3000", no_argument, NULL, 'c'},
	                                         {"timeout", required_argument, NULL, 't'},
	                                         {NULL, 0, NULL, 0}};
	struct sample_pci pci = SAMPLE_PCI_ANY;
	struct options o = {.timeout_s = 10.0};
	fpga_token tok = NULL;
	char where[16];
	fpga_result r;
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	status = sample_parse_args(PROG, argc, argv,
	                           SAMPLE_PCI_SHORTOPTS SAMPLE_STD_SHORTOPTS "sct:", longopts, &pci,
	                           own_option, &o, usage);
	if (status >= 0)
		return status;

	if (running_on_ase(&pci)) {
		printf(PROG ": the FPGA device is OPAE's simulator (ASE): waiting up to %.0f s\n",
		       ASE_WAIT_S);
		o.timeout_s = ASE_WAIT_S;
	}
	r = sample_find_accelerator(PROG, &pci, o.n3000 ? NLB0_N3000_GUID : NLB0_GUID, &tok, where);
	if (r != FPGA_OK)
		return (int)r;
	printf(PROG ": NLB0 at %s, opened %s\n", where,
	       o.flags & FPGA_OPEN_SHARED ? "shared" : "exclusively");
	r = run(tok, o.flags, o.n3000, o.timeout_s);
	fpgaDestroyToken(&tok);
	printf(PROG ": %s\n", r == FPGA_OK ? "PASS" : "FAIL");
	return (int)r;
}
