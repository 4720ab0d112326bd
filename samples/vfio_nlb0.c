/* SPDX-License-Identifier: BSD-3-Clause */
/* vfio_nlb0.c - run the NLB0 native loopback AFU (hello_fpga's test) through
 * the opae-vfio core API alone: open, find the AFU, copy 1 MiB, verify, close.
 *
 * PF (BAR0 starts with an FME): a bounded walk of the FME's feature list, then
 * the first implemented port, a port soft reset, and the AFU at port +
 * PORT_NEXT_AFU. VF (or any device whose BAR0 is not an FME): the AFU at BAR0
 * offset 0. A VF whose PF is bound to vfio-pci is opened with a fresh VF token
 * presented on both (as the OPAE vfio plugin does).
 *
 * Usage: vfio_nlb0 [--help] [-v] [PCI-ADDR]
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include <opae/vfio.h>

#define PROG "vfio_nlb0"

/* DFL (docs/references.md §3) */
#define FME_GUID_H       0xBFAF2AE94A5246E3ULL
#define FME_GUID_L       0x82FE38F0F9E17764ULL
#define NLB0_GUID_H      0xD8424DC4A4A3C413ULL
#define NLB0_GUID_L      0xF89E433683F9040BULL
#define DFH_EOL          (1ULL << 40)
#define DFL_MAX_FEATURES 1024 /* a real FME has a handful; bound hostile lists */
#define FME_PORT0        0x38
#define PORT_NEXT_AFU    0x18
#define PORT_CONTROL     0x38
#define PORT_SOFT_RESET  (1ULL << 0)
#define PORT_RESET_ACK   (1ULL << 4)
#define PR_FEATURE_ID    5

/* NLB0 registers (docs/references.md §4) */
#define NLB_DSM_BASE  0x110
#define NLB_SRC_ADDR  0x120
#define NLB_DST_ADDR  0x128
#define NLB_NUM_LINES 0x130
#define NLB_CTL       0x138
#define NLB_CFG       0x140
#define NLB_STATUS1   0x168
#define NLB_AFU_SPAN  0x170 /* the AFU registers we touch end here */
#define DSM_STATUS    0x40

#define BUF_SIZE             (2u * 1024 * 1024)
#define COPY_SIZE            (1u * 1024 * 1024)
#define LINE                 64u
#define COMPLETION_TIMEOUT_S 10

static int verbose;
static const char *dev_name = "?"; /* for messages: the device being driven */

static void fail(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const char *step, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s: %s: ", dev_name, step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static uint64_t rd64(const uint8_t *base, uint64_t off)
{
	return *(volatile const uint64_t *)(base + off);
}

static void wr64(uint8_t *base, uint64_t off, uint64_t v)
{
	*(volatile uint64_t *)(base + off) = v;
}

static void wr32(uint8_t *base, uint64_t off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

static void sleep_ns(long ns)
{
	struct timespec ts = {ns / 1000000000L, ns % 1000000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- finding the device ------------------------------------------------- */

static int read_hex(const char *addr, const char *file, unsigned *out)
{
	char path[PATH_MAX], buf[32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", addr, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	*out = (unsigned)strtoul(buf, NULL, 16);
	return 0;
}

/* The driver name the device is bound to ("" when unbound). */
static void driver_of(const char *addr, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	char *slash;

	out[0] = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = 0;
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	if (strlen(slash) < len)
		memcpy(out, slash, strlen(slash) + 1);
}

static int is_nlb_card(unsigned vendor, unsigned device)
{
	/* Intel OFS PF/VF (the mock's dfl-fpga), PAC A10 GX PF/VF, PAC D5005 PF/VF */
	static const unsigned ids[] = {0xbcce, 0xbccf, 0x09c4, 0x09c5, 0x0b2b, 0x0b2c};

	if (vendor != 0x8086)
		return 0;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (device == ids[i])
			return 1;
	return 0;
}

static int find_default_device(char *out, size_t len)
{
	struct dirent **names;
	int n, found = 0;

	n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		unsigned vendor, device;
		char drv[64];

		if (!found && names[i]->d_name[0] != '.' &&
		    !read_hex(names[i]->d_name, "vendor", &vendor) &&
		    !read_hex(names[i]->d_name, "device", &device) && is_nlb_card(vendor, device)) {
			driver_of(names[i]->d_name, drv, sizeof(drv));
			if (!strcmp(drv, "vfio-pci") && strlen(names[i]->d_name) < len) {
				memcpy(out, names[i]->d_name, strlen(names[i]->d_name) + 1);
				found = 1;
			}
		}
		free(names[i]);
	}
	free(names);
	return found ? 0 : -1;
}

/* ---- opening (PF, or VF + PF with a shared VF token) -------------------- */

struct card {
	struct opae_vfio dev;
	struct opae_vfio pf; /* open only for a VF whose PF is on vfio-pci */
	int pf_open;
};

static int open_card(struct card *c, const char *addr)
{
	char path[PATH_MAX], target[PATH_MAX], drv[64], token[37];
	const char *pf_addr;
	uuid_t u;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/physfn", addr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0) {
		if (opae_vfio_open(&c->dev, addr)) {
			fail("open", "opae_vfio_open failed: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	target[n] = 0;
	pf_addr = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	driver_of(pf_addr, drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci")) {
		if (opae_vfio_open(&c->dev, addr)) {
			fail("open", "opae_vfio_open of the VF failed: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	/* The PF is ours too: the kernel wants the same VF token on both. */
	uuid_generate(u);
	uuid_unparse(u, token);
	info("VF of PF %s (vfio-pci): opening both with a fresh VF token\n", pf_addr);
	if (opae_vfio_secure_open(&c->pf, pf_addr, token)) {
		fail("open", "opening its PF %s with a VF token failed: %s", pf_addr,
		     strerror(errno));
		return -1;
	}
	c->pf_open = 1;
	if (opae_vfio_secure_open(&c->dev, addr, token)) {
		fail("open", "opae_vfio_secure_open of the VF failed: %s", strerror(errno));
		opae_vfio_close(&c->pf);
		c->pf_open = 0;
		return -1;
	}
	return 0;
}

static void close_card(struct card *c)
{
	opae_vfio_close(&c->dev);
	if (c->pf_open)
		opae_vfio_close(&c->pf);
	c->pf_open = 0;
}

/* ---- locating the AFU --------------------------------------------------- */

/* Walk the FME's feature list without trusting it: every header inside the
 * BAR, strictly forward, at most DFL_MAX_FEATURES. Reports the PR feature. */
static int walk_fme(const uint8_t *bar, size_t size)
{
	uint64_t off = 0;

	for (unsigned n = 0; n < DFL_MAX_FEATURES; n++) {
		uint64_t dfh = rd64(bar, off), next = (dfh >> 16) & 0xffffff;

		info("  DFH @0x%06llx: type %llu id 0x%03llx next 0x%llx%s\n",
		     (unsigned long long)off, (unsigned long long)(dfh >> 60),
		     (unsigned long long)(dfh & 0xfff), (unsigned long long)next,
		     dfh & DFH_EOL ? " EOL" : "");
		if ((dfh & 0xfff) == PR_FEATURE_ID && (dfh >> 60) == 3 && off + 0xB8 <= size)
			info("  PR interface id %016llx%016llx\n",
			     (unsigned long long)rd64(bar, off + 0xB0),
			     (unsigned long long)rd64(bar, off + 0xA8));
		if ((dfh & DFH_EOL) || next == 0)
			return 0;
		if (next > size - 8 - off) {
			fail("DFL walk",
			     "feature at 0x%llx points 0x%llx ahead, past BAR0 (0x%zx bytes)",
			     (unsigned long long)off, (unsigned long long)next, size);
			return -1;
		}
		off += next;
	}
	fail("DFL walk", "more than %d features without an end of list", DFL_MAX_FEATURES);
	return -1;
}

static int port_reset(uint8_t *port)
{
	uint64_t v = rd64(port, PORT_CONTROL);
	int i;

	wr64(port, PORT_CONTROL, v | PORT_SOFT_RESET);
	for (i = 0; i < 1000 && !(rd64(port, PORT_CONTROL) & PORT_RESET_ACK); i++)
		sleep_ns(1000);
	if (i == 1000) {
		fail("port reset", "PORT_CONTROL never acknowledged the soft reset (bit 4)");
		return -1;
	}
	wr64(port, PORT_CONTROL, rd64(port, PORT_CONTROL) & ~PORT_SOFT_RESET);
	for (i = 0; i < 1000 && (rd64(port, PORT_CONTROL) & PORT_RESET_ACK); i++)
		sleep_ns(1000);
	if (i == 1000) {
		fail("port reset", "PORT_CONTROL reset ack (bit 4) stayed set after release");
		return -1;
	}
	return 0;
}

/* The AFU's register base: BAR0 itself, or the PF's port's AFU. */
static uint8_t *find_afu(struct opae_vfio *v)
{
	uint8_t *bar0, *pbar, *port, *afu;
	size_t size0, psize;

	if (opae_vfio_region_get(v, 0, &bar0, &size0)) {
		fail("find AFU", "BAR0 is not mapped (not implemented or not mmap-able)");
		return NULL;
	}
	if (size0 < NLB_AFU_SPAN) {
		fail("find AFU", "BAR0 of %zu bytes is too small for an AFU", size0);
		return NULL;
	}
	if (rd64(bar0, 0x10) != FME_GUID_H || rd64(bar0, 0x08) != FME_GUID_L) {
		info("BAR0 is not an FME: AFU at BAR0 offset 0 (VF layout)\n");
		afu = bar0;
	} else {
		info("BAR0 holds an FME (BBS id 0x%016llx), walking its feature list\n",
		     (unsigned long long)rd64(bar0, 0x60));
		if (walk_fme(bar0, size0))
			return NULL;
		afu = NULL;
		for (unsigned p = 0; p < 4 && !afu; p++) {
			uint64_t reg = rd64(bar0, FME_PORT0 + 8 * p);
			uint64_t off = reg & 0xffffff, next;
			unsigned bar = (reg >> 32) & 7;

			if (!(reg & (1ULL << 60)))
				continue;
			if (bar > 5 || opae_vfio_region_get(v, bar, &pbar, &psize)) {
				fail("find AFU", "port %u is in BAR %u, which is not mapped", p,
				     bar);
				return NULL;
			}
			if (off > psize || psize - off < 0x40) {
				fail("find AFU",
				     "port %u at 0x%llx is outside BAR %u (0x%zx bytes)", p,
				     (unsigned long long)off, bar, psize);
				return NULL;
			}
			port = pbar + off;
			if ((rd64(port, 0) >> 60) != 4 || (rd64(port, 0) & 0xfff) != 1) {
				fail("find AFU", "port %u at BAR %u + 0x%llx has no port header", p,
				     bar, (unsigned long long)off);
				return NULL;
			}
			next = rd64(port, PORT_NEXT_AFU) & 0xffffff;
			if (next > psize - off || psize - off - next < NLB_AFU_SPAN) {
				fail("find AFU", "port %u's AFU (port + 0x%llx) is outside BAR %u",
				     p, (unsigned long long)next, bar);
				return NULL;
			}
			info("port %u at BAR %u + 0x%llx, AFU at port + 0x%llx; resetting the "
			     "port\n",
			     p, bar, (unsigned long long)off, (unsigned long long)next);
			if (port_reset(port))
				return NULL;
			afu = port + next;
		}
		if (!afu) {
			fail("find AFU", "the FME lists no implemented port");
			return NULL;
		}
	}
	if (rd64(afu, 0x10) != NLB0_GUID_H || rd64(afu, 0x08) != NLB0_GUID_L) {
		fail("find AFU",
		     "AFU GUID is %016llx%016llx, not NLB0 (d8424dc4a4a3c413f89e433683f9040b)",
		     (unsigned long long)rd64(afu, 0x10), (unsigned long long)rd64(afu, 0x08));
		return NULL;
	}
	info("NLB0 AFU found (GUID D8424DC4-A4A3-C413-F89E-433683F9040B)\n");
	return afu;
}

/* ---- the NLB0 run --------------------------------------------------------- */

struct dma {
	uint8_t *ptr;
	uint64_t iova;
};

static int alloc_buf(struct opae_vfio *v, struct dma *b, const char *what)
{
	size_t size = BUF_SIZE;

	if (opae_vfio_buffer_allocate(v, &size, &b->ptr, &b->iova)) {
		fail("buffer allocation", "%s buffer of %u bytes: %s", what, BUF_SIZE,
		     strerror(errno));
		b->ptr = NULL;
		return -1;
	}
	info("%-6s buffer: %zu bytes at %p, IOVA 0x%llx\n", what, size, (void *)b->ptr,
	     (unsigned long long)b->iova);
	return 0;
}

static int run_nlb0(struct opae_vfio *v, uint8_t *afu)
{
	struct dma dsm = {0}, in = {0}, out = {0};
	volatile uint64_t *done;
	double t0, t;
	int rc = -1;

	if (alloc_buf(v, &dsm, "DSM") || alloc_buf(v, &in, "input") || alloc_buf(v, &out, "output"))
		goto out;
	memset(dsm.ptr, 0, BUF_SIZE);
	memset(in.ptr, 0xAF, COPY_SIZE);
	for (uint32_t line = 0; line < COPY_SIZE / LINE; line++) {
		uint32_t tag = line + 1;

		memcpy(in.ptr + (size_t)line * LINE + LINE - 4, &tag, 4);
	}
	memset(out.ptr, 0xBE, BUF_SIZE); /* also past the copy: must stay untouched */

	printf(PROG ": %s: copying %u KiB with NLB0\n", dev_name, COPY_SIZE / 1024);
	wr64(afu, NLB_DSM_BASE, dsm.iova);
	wr32(afu, NLB_CTL, 0);
	wr32(afu, NLB_CTL, 1);
	wr64(afu, NLB_SRC_ADDR, in.iova >> 6);
	wr64(afu, NLB_DST_ADDR, out.iova >> 6);
	wr32(afu, NLB_NUM_LINES, COPY_SIZE / LINE);
	wr32(afu, NLB_CFG, 0x42000);
	t0 = now_s();
	wr32(afu, NLB_CTL, 3);

	done = (volatile uint64_t *)(dsm.ptr + DSM_STATUS);
	while (!(*done & 1)) {
		if (now_s() - t0 > COMPLETION_TIMEOUT_S) {
			fail("NLB0 run",
			     "no completion in the DSM after %d s (IOMMU fault or "
			     "device stuck)",
			     COMPLETION_TIMEOUT_S);
			wr32(afu, NLB_CTL, 7);
			goto out;
		}
		sleep_ns(100000);
	}
	t = now_s() - t0;
	wr32(afu, NLB_CTL, 7);
	for (int i = 0; i < 100 && rd64(afu, NLB_STATUS1); i++)
		sleep_ns(1000000);
	info("completed in %.3f ms\n", t * 1e3);

	for (size_t i = 0; i < COPY_SIZE; i++) {
		if (out.ptr[i] != in.ptr[i]) {
			fail("verify",
			     "output differs from input at byte %zu (0x%02x, expected 0x%02x)", i,
			     out.ptr[i], in.ptr[i]);
			goto out;
		}
	}
	for (size_t i = COPY_SIZE; i < COPY_SIZE + LINE; i++)
		if (out.ptr[i] != 0xBE)
			rc = -2;
	if (rc == -2) {
		rc = -1;
		fail("verify", "the device wrote past the %u bytes it was asked to copy",
		     COPY_SIZE);
		goto out;
	}
	printf(PROG ": %s: output matches input (%u bytes, %.1f MB/s)\n", dev_name, COPY_SIZE,
	       t > 0 ? COPY_SIZE / t / 1e6 : 0.0);
	rc = 0;
out:
	if (out.ptr && opae_vfio_buffer_free(v, out.ptr))
		fail("cleanup", "freeing the output buffer failed");
	if (in.ptr && opae_vfio_buffer_free(v, in.ptr))
		fail("cleanup", "freeing the input buffer failed");
	if (dsm.ptr && opae_vfio_buffer_free(v, dsm.ptr))
		fail("cleanup", "freeing the DSM buffer failed");
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: " PROG " [--help] [-v] [PCI-ADDR]\n"
	        "Run the NLB0 loopback AFU (copy 1 MiB, verify) through the opae-vfio core API.\n"
	        "PCI-ADDR (dddd:bb:dd.f) defaults to the first vfio-pci device with an Intel\n"
	        "FPGA PF/VF id (8086:bcce/bccf/09c4/09c5/0b2b/0b2c).\n"
	        "  -v, --verbose  show the feature-list walk and the buffers\n"
	        "  -h, --help     this text\n"
	        "Exit status: 0 on PASS, 1 on any error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
	                                     {"verbose", no_argument, NULL, 'v'},
	                                     {NULL, 0, NULL, 0}};
	struct card c;
	char addr[64];
	uint8_t *afu;
	int o, rc;

	setvbuf(stdout, NULL, _IOLBF, 0); /* progress and errors interleave in order */
	while ((o = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return 1;
	}
	if (optind < argc) {
		if (strlen(argv[optind]) >= sizeof(addr)) {
			fprintf(stderr, PROG ": \"%s\" is not a PCI address (dddd:bb:dd.f)\n",
			        argv[optind]);
			return 1;
		}
		memcpy(addr, argv[optind], strlen(argv[optind]) + 1);
	} else if (find_default_device(addr, sizeof(addr))) {
		fprintf(stderr, PROG ": no Intel FPGA PF/VF bound to vfio-pci found in "
		                     "/sys/bus/pci/devices; give a PCI address\n");
		return 1;
	}
	dev_name = addr;
	printf(PROG ": %s: opening\n", addr);
	memset(&c, 0, sizeof(c));
	if (open_card(&c, addr)) {
		fprintf(stderr, PROG ": FAIL\n");
		return 1;
	}
	afu = find_afu(&c.dev);
	rc = afu ? run_nlb0(&c.dev, afu) : -1;
	close_card(&c);
	if (rc) {
		fprintf(stderr, PROG ": FAIL\n");
		return 1;
	}
	printf(PROG ": PASS\n");
	return 0;
}
