// SPDX-License-Identifier: BSD-3-Clause
/* hello_events.c - an interrupt sample through the OPAE C API alone, on a
 * plain accelerator: QEMU's edu device, declared in the plugin's device list
 * with a GUID. Data goes from a prepared buffer into the device and back by
 * DMA; each transfer's completion interrupt is waited for with
 * fpgaRegisterEvent + poll() on the event's file descriptor, then acknowledged.
 * edu's registers: shared/reference/edu-device.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sample_common.h"

#define PROG "hello_events"

/* the GUID config/examples/edu-plain.json gives edu */
#define EDU_GUID "de1dafc1-ee0d-4d1b-9c7a-31338e6306b6"

#define EDU_ID         0x00 /* 32-bit: 0xRRrr00ed */
#define EDU_IRQ_STATUS 0x24 /* 32-bit: why the interrupt was raised */
#define EDU_IRQ_ACK    0x64 /* 32-bit: clears those bits */
#define EDU_DMA_SRC    0x80 /* 64-bit */
#define EDU_DMA_DST    0x88
#define EDU_DMA_COUNT  0x90
#define EDU_DMA_CMD    0x98
#define DMA_RUN        0x1u
#define DMA_TO_RAM     0x2u
#define DMA_IRQ        0x4u
#define IRQ_DMA_DONE   0x100u
#define EDU_WINDOW     0x40000u     /* the device's own 4 KiB buffer */
#define EDU_ADDR_LIMIT (1ULL << 28) /* edu drops address bits above 27 */
#define XFER           2048u        /* QEMU 7.2 aborts on a DMA ending at the window's end */
#define BUF_SIZE       4096u

struct edu {
	fpga_handle h;
	fpga_event_handle eh;
	int fd;
	unsigned vector;
	int timeout_ms;
	uint8_t *buf;
	uint64_t wsid, ioaddr;
	int prepared, registered;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: " PROG " [options] [[ssss:]bb:dd.f]\n"
	        "Moves 2 KiB from a DMA buffer into QEMU's edu device and back, waiting\n"
	        "for each transfer's completion interrupt through an OPAE event\n"
	        "(fpgaRegisterEvent + poll), and checks the data. Exit status 0 on\n"
	        "success, the failing call's fpga_result otherwise (3 = FPGA_EXCEPTION for\n"
	        "a missing interrupt or wrong data), 64 for bad usage.\n\n"
	        "Options:\n" SAMPLE_PCI_HELP
	        "  -g, --guid GUID     the accelerator's GUID from the device list\n"
	        "                      (default " EDU_GUID ")\n"
	        "  -i, --vector N      interrupt vector to register (default 0)\n"
	        "  -t, --timeout MS    wait at most MS milliseconds per interrupt (default 5000)\n"
	        "  -v, --version       print the OPAE library's version and exit\n"
	        "  -h, --help          this text\n");
}

static fpga_result rd32(struct edu *e, uint64_t reg, uint32_t *v, const char *what)
{
	fpga_result r = fpgaReadMMIO32(e->h, 0, reg, v);

	return r == FPGA_OK ? r : sample_fail(PROG, what, r);
}

static fpga_result wr32(struct edu *e, uint64_t reg, uint32_t v, const char *what)
{
	fpga_result r = fpgaWriteMMIO32(e->h, 0, reg, v);

	return r == FPGA_OK ? r : sample_fail(PROG, what, r);
}

static fpga_result wr64(struct edu *e, uint64_t reg, uint64_t v, const char *what)
{
	fpga_result r = fpgaWriteMMIO64(e->h, 0, reg, v);

	return r == FPGA_OK ? r : sample_fail(PROG, what, r);
}

/* The device is QEMU's edu, its DMA can reach the buffer, and the
 * interrupt is wired to an event this process can poll. */
static fpga_result set_up(struct edu *e)
{
	uint32_t id = 0, pending = 0;
	void *p = NULL;
	fpga_result r;

	r = rd32(e, EDU_ID, &id, "reading edu's id register");
	if (r != FPGA_OK)
		return r;
	if ((id & 0xffff) != 0x00ed) {
		fprintf(stderr, PROG ": the accelerator is not QEMU's edu (id register 0x%08x)\n",
		        id);
		return FPGA_NOT_FOUND;
	}
	r = fpgaPrepareBuffer(e->h, BUF_SIZE, &p, &e->wsid, 0);
	if (r != FPGA_OK)
		return sample_fail(PROG, "fpgaPrepareBuffer (4 KiB)", r);
	e->prepared = 1;
	e->buf = p;
	r = fpgaGetIOAddress(e->h, e->wsid, &e->ioaddr);
	if (r != FPGA_OK)
		return sample_fail(PROG, "fpgaGetIOAddress", r);
	if (e->ioaddr + BUF_SIZE > EDU_ADDR_LIMIT) {
		fprintf(stderr,
		        PROG ": buffer at I/O address 0x%" PRIx64 " is beyond edu's 28-bit "
		             "DMA reach\n",
		        e->ioaddr);
		return FPGA_EXCEPTION;
	}
	r = fpgaCreateEventHandle(&e->eh);
	if (r != FPGA_OK)
		return sample_fail(PROG, "fpgaCreateEventHandle", r);
	r = fpgaRegisterEvent(e->h, FPGA_EVENT_INTERRUPT, e->eh, e->vector);
	if (r != FPGA_OK)
		return sample_fail(PROG, "fpgaRegisterEvent (FPGA_EVENT_INTERRUPT)", r);
	e->registered = 1;
	r = fpgaGetOSObjectFromEventHandle(e->eh, &e->fd);
	if (r != FPGA_OK)
		return sample_fail(PROG, "fpgaGetOSObjectFromEventHandle", r);
	/* start from a quiet device: acknowledge anything left pending */
	r = rd32(e, EDU_IRQ_STATUS, &pending, "reading the interrupt status");
	if (r == FPGA_OK && pending)
		r = wr32(e, EDU_IRQ_ACK, pending, "acknowledging old interrupts");
	printf(PROG ": edu (id 0x%08x), buffer at I/O address 0x%" PRIx64
	            ", interrupt vector %u on fd %d\n",
	       id, e->ioaddr, e->vector, e->fd);
	return r;
}

/* Wait for the event, then check that edu says why and acknowledge it. */
static fpga_result wait_interrupt(struct edu *e, const char *what)
{
	struct pollfd pfd = {.fd = e->fd, .events = POLLIN};
	uint64_t count = 0;
	uint32_t status = 0;
	double t0 = sample_now();
	fpga_result r;
	int n;

	do
		n = poll(&pfd, 1, e->timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		fprintf(stderr, PROG ": %s: poll: %s\n", what, strerror(errno));
		return FPGA_EXCEPTION;
	}
	if (n == 0) {
		fprintf(stderr, PROG ": %s: no interrupt within %d ms\n", what, e->timeout_ms);
		return FPGA_EXCEPTION;
	}
	if (read(e->fd, &count, sizeof(count)) != (ssize_t)sizeof(count)) {
		fprintf(stderr, PROG ": %s: reading the event fd: %s\n", what, strerror(errno));
		return FPGA_EXCEPTION;
	}
	r = rd32(e, EDU_IRQ_STATUS, &status, "reading the interrupt status");
	if (r != FPGA_OK)
		return r;
	if (!(status & IRQ_DMA_DONE)) {
		fprintf(stderr, PROG ": %s: interrupt status 0x%x lacks DMA completion (0x%x)\n",
		        what, status, IRQ_DMA_DONE);
		return FPGA_EXCEPTION;
	}
	r = wr32(e, EDU_IRQ_ACK, status, "acknowledging the interrupt");
	if (r == FPGA_OK)
		printf(PROG ": %s: interrupt after %.1f ms (status 0x%x), acknowledged\n", what,
		       (sample_now() - t0) * 1e3, status);
	return r;
}

static fpga_result dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t cmd, const char *what)
{
	fpga_result r;

	r = wr64(e, EDU_DMA_SRC, src, "writing the DMA source");
	if (r == FPGA_OK)
		r = wr64(e, EDU_DMA_DST, dst, "writing the DMA destination");
	if (r == FPGA_OK)
		r = wr64(e, EDU_DMA_COUNT, XFER, "writing the DMA count");
	if (r == FPGA_OK)
		r = wr64(e, EDU_DMA_CMD, DMA_RUN | DMA_IRQ | cmd, "starting the DMA");
	return r == FPGA_OK ? wait_interrupt(e, what) : r;
}

static fpga_result run(struct edu *e)
{
	fpga_result r = set_up(e);

	if (r != FPGA_OK)
		return r;
	for (uint32_t i = 0; i < XFER; i++)
		e->buf[i] = (uint8_t)(i * 7 + 3);
	memset(e->buf + XFER, 0, BUF_SIZE - XFER);

	r = dma(e, e->ioaddr, EDU_WINDOW, 0, "DMA buffer -> edu");
	if (r == FPGA_OK)
		r = dma(e, EDU_WINDOW, e->ioaddr + XFER, DMA_TO_RAM, "DMA edu -> buffer");
	if (r != FPGA_OK)
		return r;
	for (uint32_t i = 0; i < XFER; i++) {
		if (e->buf[XFER + i] != e->buf[i]) {
			fprintf(stderr,
			        PROG
			        ": data came back wrong at byte %u (0x%02x, expected 0x%02x)\n",
			        i, e->buf[XFER + i], e->buf[i]);
			return FPGA_EXCEPTION;
		}
	}
	printf(PROG ": %u bytes went to edu and back intact\n", XFER);
	return FPGA_OK;
}

static fpga_result tear_down(struct edu *e)
{
	fpga_result first = FPGA_OK, r;

	if (e->registered) {
		r = fpgaUnregisterEvent(e->h, FPGA_EVENT_INTERRUPT, e->eh);
		if (r != FPGA_OK)
			first = sample_fail(PROG, "fpgaUnregisterEvent", r);
	}
	if (e->eh) {
		r = fpgaDestroyEventHandle(&e->eh);
		if (r != FPGA_OK && first == FPGA_OK)
			first = sample_fail(PROG, "fpgaDestroyEventHandle", r);
	}
	if (e->prepared) {
		r = fpgaReleaseBuffer(e->h, e->wsid);
		if (r != FPGA_OK && first == FPGA_OK)
			first = sample_fail(PROG, "fpgaReleaseBuffer", r);
	}
	r = fpgaUnmapMMIO(e->h, 0);
	if (r != FPGA_OK && first == FPGA_OK)
		first = sample_fail(PROG, "fpgaUnmapMMIO", r);
	r = fpgaClose(e->h);
	if (r != FPGA_OK && first == FPGA_OK)
		first = sample_fail(PROG, "fpgaClose", r);
	return first;
}

struct options {
	struct edu *e;
	const char *guid;
};

static int own_option(int opt, const char *arg, void *ctx)
{
	struct options *o = ctx;
	unsigned long v;

	switch (opt) {
	case 'g':
		o->guid = arg;
		return 0;
	case 'i':
		if (sample_parse_uint(PROG, "vector", arg, 2047, &v))
			return -1;
		o->e->vector = (unsigned)v;
		return 0;
	case 't':
		if (sample_parse_uint(PROG, "timeout", arg, 3600000, &v))
			return -1;
		if (v == 0) {
			fprintf(stderr, PROG ": timeout must be at least 1 ms\n");
			return -1;
		}
		o->e->timeout_ms = (int)v;
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {SAMPLE_PCI_LONGOPTS,
	                                         SAMPLE_STD_LONGOPTS,
	                                         {"guid", required_argument, NULL, 'g'},
	                                         {"vector", required_argument, NULL, 'i'},
	                                         {"timeout", required_argument, NULL, 't'},
	                                         {NULL, 0, NULL, 0}};
	struct sample_pci pci = SAMPLE_PCI_ANY;
	struct edu e = {.fd = -1, .timeout_ms = 5000};
	struct options o = {.e = &e, .guid = EDU_GUID};
	fpga_token tok = NULL;
	char where[16];
	fpga_result r, r2;
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	status = sample_parse_args(PROG, argc, argv,
	                           SAMPLE_PCI_SHORTOPTS SAMPLE_STD_SHORTOPTS "g:i:t:", longopts,
	                           &pci, own_option, &o, usage);
	if (status >= 0)
		return status;

	r = sample_find_accelerator(PROG, &pci, o.guid, &tok, where);
	if (r != FPGA_OK)
		return (int)r;
	printf(PROG ": accelerator %s at %s\n", o.guid, where);
	r = fpgaOpen(tok, &e.h, 0);
	if (r != FPGA_OK) {
		sample_fail(PROG, "fpgaOpen", r);
	} else {
		r = fpgaMapMMIO(e.h, 0, NULL);
		if (r != FPGA_OK)
			sample_fail(PROG, "fpgaMapMMIO (space 0)", r);
		else
			r = run(&e);
		r2 = tear_down(&e);
		if (r == FPGA_OK)
			r = r2;
	}
	fpgaDestroyToken(&tok);
	printf(PROG ": %s\n", r == FPGA_OK ? "PASS" : "FAIL");
	return (int)r;
}
