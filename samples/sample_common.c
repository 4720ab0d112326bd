// SPDX-License-Identifier: BSD-3-Clause
/* sample_common.c - the samples' shared helpers: PCI address options, finding
 * an accelerator by GUID, failure lines, version. OPAE C API only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uuid/uuid.h>

#include "sample_common.h"

int sample_parse_uint(const char *prog, const char *what, const char *arg, unsigned long max,
                      unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || *out > max) {
		fprintf(stderr, "%s: %s '%s': expected a number from 0 to %lu (0x%lx)\n", prog,
		        what, arg, max, max);
		return -1;
	}
	return 0;
}

static int parse_pci_field(const char *prog, const char *what, const char *arg, unsigned long max,
                           int *field)
{
	unsigned long v;

	if (sample_parse_uint(prog, what, arg, max, &v))
		return -1;
	*field = (int)v;
	return 0;
}

int sample_pci_option(const char *prog, struct sample_pci *pci, int opt, const char *arg)
{
	switch (opt) {
	case 'S':
		return parse_pci_field(prog, "segment", arg, 0xffff, &pci->segment);
	case 'B':
		return parse_pci_field(prog, "bus", arg, 0xff, &pci->bus);
	case 'D':
		return parse_pci_field(prog, "device", arg, 0x1f, &pci->device);
	case 'F':
		return parse_pci_field(prog, "function", arg, 7, &pci->function);
	}
	return -1;
}

int sample_pci_address(const char *prog, struct sample_pci *pci, const char *arg)
{
	unsigned seg = 0, bus, dev, fn;
	int n = -1;
	int with_seg = strchr(arg, ':') != strrchr(arg, ':');

	if (with_seg)
		sscanf(arg, "%4x:%2x:%2x.%1u%n", &seg, &bus, &dev, &fn, &n);
	else
		sscanf(arg, "%2x:%2x.%1u%n", &bus, &dev, &fn, &n);
	if (n < 0 || (size_t)n != strlen(arg) || dev > 0x1f || fn > 7) {
		fprintf(stderr, "%s: '%s' is not a PCI address ([ssss:]bb:dd.f, hexadecimal)\n",
		        prog, arg);
		return -1;
	}
	if (with_seg)
		pci->segment = (int)seg;
	pci->bus = (int)bus;
	pci->device = (int)dev;
	pci->function = (int)fn;
	return 0;
}

int sample_parse_args(const char *prog, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, struct sample_pci *pci,
                      int (*own)(int opt, const char *arg, void *ctx), void *ctx,
                      void (*usage)(FILE *f))
{
	int opt;

	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			sample_print_version(prog);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case '?':
			usage(stderr);
			return SAMPLE_EXIT_USAGE;
		case 'S':
		case 'B':
		case 'D':
		case 'F':
			if (sample_pci_option(prog, pci, opt, optarg))
				return SAMPLE_EXIT_USAGE;
			break;
		default:
			if (own(opt, optarg, ctx))
				return SAMPLE_EXIT_USAGE;
		}
	}
	if (optind < argc && sample_pci_address(prog, pci, argv[optind++]))
		return SAMPLE_EXIT_USAGE;
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr);
		return SAMPLE_EXIT_USAGE;
	}
	return -1;
}

fpga_result sample_pci_filter(fpga_properties filter, const struct sample_pci *pci)
{
	fpga_result r = FPGA_OK;

	if (pci->segment >= 0)
		r = fpgaPropertiesSetSegment(filter, (uint16_t)pci->segment);
	if (r == FPGA_OK && pci->bus >= 0)
		r = fpgaPropertiesSetBus(filter, (uint8_t)pci->bus);
	if (r == FPGA_OK && pci->device >= 0)
		r = fpgaPropertiesSetDevice(filter, (uint8_t)pci->device);
	if (r == FPGA_OK && pci->function >= 0)
		r = fpgaPropertiesSetFunction(filter, (uint8_t)pci->function);
	return r;
}

int sample_parse_guid(const char *text, fpga_guid guid)
{
	return uuid_parse(text, guid) ? -1 : 0;
}

/* "ssss:bb:dd.f" of a token, or "?" when its properties say nothing. */
static void token_address(fpga_token tok, char where[16])
{
	fpga_properties p = NULL;
	uint16_t seg = 0;
	uint8_t bus = 0, dev = 0, fn = 0;

	strcpy(where, "?");
	if (fpgaGetProperties(tok, &p) != FPGA_OK)
		return;
	if (fpgaPropertiesGetSegment(p, &seg) == FPGA_OK &&
	    fpgaPropertiesGetBus(p, &bus) == FPGA_OK &&
	    fpgaPropertiesGetDevice(p, &dev) == FPGA_OK &&
	    fpgaPropertiesGetFunction(p, &fn) == FPGA_OK)
		snprintf(where, 16, "%04x:%02x:%02x.%x", seg, bus, dev, fn & 7);
	fpgaDestroyProperties(&p);
}

fpga_result sample_find_accelerator(const char *prog, const struct sample_pci *pci,
                                    const char *guid_text, fpga_token *tok, char where[16])
{
	fpga_properties filter = NULL;
	fpga_guid guid;
	uint32_t matches = 0;
	fpga_result r;

	*tok = NULL;
	if (sample_parse_guid(guid_text, guid)) {
		fprintf(stderr, "%s: '%s' is not a GUID\n", prog, guid_text);
		return FPGA_INVALID_PARAM;
	}
	r = fpgaGetProperties(NULL, &filter);
	if (r != FPGA_OK)
		return sample_fail(prog, "fpgaGetProperties (filter)", r);
	r = fpgaPropertiesSetObjectType(filter, FPGA_ACCELERATOR);
	if (r == FPGA_OK)
		r = fpgaPropertiesSetGUID(filter, guid);
	if (r == FPGA_OK)
		r = sample_pci_filter(filter, pci);
	if (r != FPGA_OK) {
		fpgaDestroyProperties(&filter);
		return sample_fail(prog, "setting up the filter", r);
	}
	r = fpgaEnumerate(&filter, 1, tok, 1, &matches);
	fpgaDestroyProperties(&filter);
	if (r != FPGA_OK)
		return sample_fail(prog, "fpgaEnumerate", r);
	if (matches == 0) {
		fprintf(stderr,
		        "%s: no accelerator with GUID %s%s (is the device bound to vfio-pci and "
		        "listed in the plugin's configuration?)\n",
		        prog, guid_text,
		        pci->segment >= 0 || pci->bus >= 0 || pci->device >= 0 || pci->function >= 0
		            ? " at the PCI address given"
		            : "");
		return FPGA_NOT_FOUND;
	}
	token_address(*tok, where);
	if (matches > 1)
		printf("%s: %u accelerators match; using the first, %s (choose with -B/-D/-F)\n",
		       prog, matches, where);
	return FPGA_OK;
}

fpga_result sample_fail(const char *prog, const char *step, fpga_result r)
{
	fprintf(stderr, "%s: %s: %s\n", prog, step, fpgaErrStr(r));
	return r;
}

void sample_print_version(const char *prog)
{
	char version[64] = "?", build[128] = "?";

	fpgaGetOPAECVersionString(version, sizeof(version));
	fpgaGetOPAECBuildString(build, sizeof(build));
	printf("%s: OPAE C library %s (build %s)\n", prog, version, build);
}

double sample_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
