// SPDX-License-Identifier: BSD-3-Clause
/* cli.c - opaevfio's command line: OPAE's options (-i -r -d -u -g -n -v) plus
 * -l, -c, --json and --dma-size; validation, help, and the dispatch. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opaevfio.h"

#ifndef OPAEVFIO_VERSION
#define OPAEVFIO_VERSION "unknown"
#endif

enum { OPT_JSON = 256, OPT_DMA_SIZE };

static const struct option long_opts[] = {
    {"init", no_argument, NULL, 'i'},
    {"release", no_argument, NULL, 'r'},
    {"list", no_argument, NULL, 'l'},
    {"check", no_argument, NULL, 'c'},
    {"driver", required_argument, NULL, 'd'},
    {"user", required_argument, NULL, 'u'},
    {"group", required_argument, NULL, 'g'},
    {"no-sriov", no_argument, NULL, 'n'},
    {"version", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"json", no_argument, NULL, OPT_JSON},
    {"dma-size", required_argument, NULL, OPT_DMA_SIZE},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "Usage: opaevfio -i [-u USER] [-g GROUP] [-n] ADDR   bind ADDR to vfio-pci\n"
    "       opaevfio -r [-d DRIVER] ADDR                 release ADDR from vfio-pci\n"
    "       opaevfio -l [--json] [ADDR]                  list PCI functions, IOMMU groups, SR-IOV\n"
    "       opaevfio -c [--json] [--dma-size SIZE] [ADDR] check the machine (and ADDR) for VFIO\n"
    "       opaevfio -v | -h\n"
    "\n"
    "  ADDR                PCI address [dddd:]bb:dd.f, e.g. 0000:3b:00.0 or 3b:00.0\n"
    "  -i, --init          load vfio-pci, unbind ADDR from its driver, bind it to vfio-pci\n"
    "                      (driver_override), wait for /dev/vfio/N; a failure rebinds the\n"
    "                      original driver\n"
    "  -u, --user USER     with -i: owner of /dev/vfio/N (mode becomes 0660)\n"
    "  -g, --group GROUP   with -i: group of /dev/vfio/N (mode becomes 0660)\n"
    "  -n, --no-sriov      with -i: do not enable SR-IOV in vfio-pci (enable_sriov)\n"
    "  -r, --release       unbind ADDR from vfio-pci (refused while a program has it open)\n"
    "  -d, --driver DRIVER with -r: bind ADDR to DRIVER afterwards (default: leave it unbound)\n"
    "  -l, --list          ids, driver, IOMMU group, the group's other members and whether\n"
    "                      the group is viable, PF/VF relations and VF counts\n"
    "  -c, --check         IOMMU, vfio modules, no-IOMMU mode, interrupt remapping, huge\n"
    "                      pages, RLIMIT_MEMLOCK, and per device: group viability and access\n"
    "                      to /dev/vfio/N; says what is wrong and how to fix it\n"
    "      --json          with -l or -c: machine-readable output\n"
    "      --dma-size SIZE with -c: memory the program will DMA-map (K/M/G suffixes; default\n"
    "                      64M or the reserved huge pages if more), checked against\n"
    "                      RLIMIT_MEMLOCK\n"
    "  -v, --version       print the version\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 done (-c: no problem), 1 -c found a problem, 2 usage error,\n"
    "3 no such device/driver/user/group, 4 permission denied, 5 device in the wrong\n"
    "state (already bound, not bound, in use), 6 machine not ready (no IOMMU group,\n"
    "vfio-pci missing), 7 the kernel refused and the device was put back,\n"
    "8 the kernel refused and putting the device back failed too.\n";

void ovf_error(const struct ovf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("opaevfio: ", ctx->err);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
}

/* "64M", "2G", "4096": bytes, or -EINVAL. */
static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	if (*s == '-' || *s == '\0')
		return -EINVAL;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		break;
	}
	if ((*end == 'i' || *end == 'I') && shift)
		end++;
	if ((*end == 'b' || *end == 'B') && shift)
		end++;
	if (*end || (shift && v > (~0ULL >> shift)))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

static int usage_error(const struct ovf_ctx *ctx, const char *what)
{
	ovf_error(ctx, "%s (see opaevfio --help)", what);
	return OVF_USAGE;
}

int ovf_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct ovf_ctx ctx = {.out = out, .err = err};
	int mode = 0, opt, version = 0, help = 0;
	char msg[160];

	optind = 0; /* full re-initialisation: the tests call this repeatedly */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":irlcd:u:g:nvh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
		case 'r':
		case 'l':
		case 'c':
			if (mode && mode != opt) {
				snprintf(msg, sizeof(msg), "-%c and -%c cannot be combined", mode,
				         opt);
				return usage_error(&ctx, msg);
			}
			mode = opt;
			break;
		case 'd':
			ctx.driver = optarg;
			break;
		case 'u':
			ctx.user = optarg;
			break;
		case 'g':
			ctx.group = optarg;
			break;
		case 'n':
			ctx.no_sriov = 1;
			break;
		case 'v':
			version = 1;
			break;
		case 'h':
			help = 1;
			break;
		case OPT_JSON:
			ctx.json = 1;
			break;
		case OPT_DMA_SIZE:
			if (parse_size(optarg, &ctx.dma_size) || !ctx.dma_size) {
				snprintf(msg, sizeof(msg),
				         "--dma-size %.40s: not a size (e.g. 512M, 2G)", optarg);
				return usage_error(&ctx, msg);
			}
			break;
		case ':':
			snprintf(msg, sizeof(msg), "option %.40s needs an argument",
			         argv[optind - 1]);
			return usage_error(&ctx, msg);
		default:
			if (optopt)
				snprintf(msg, sizeof(msg), "unknown option -%c", optopt);
			else
				snprintf(msg, sizeof(msg), "unknown option %.40s",
				         argv[optind - 1]);
			return usage_error(&ctx, msg);
		}
	}
	if (help) {
		fputs(usage_text, out);
		return OVF_OK;
	}
	if (version) {
		fprintf(out, "opaevfio %s\n", OPAEVFIO_VERSION);
		return OVF_OK;
	}
	if (argc - optind > 1)
		return usage_error(&ctx, "more than one address given");
	if (argc - optind == 1 && pci_parse_addr(argv[optind], ctx.addr)) {
		snprintf(msg, sizeof(msg),
		         "%.40s: not a PCI address ([dddd:]bb:dd.f, e.g. 0000:3b:00.0)",
		         argv[optind]);
		return usage_error(&ctx, msg);
	}
	if (!mode)
		return usage_error(&ctx, "nothing to do: give -i, -r, -l or -c");
	if ((mode == 'i' || mode == 'r') && !ctx.addr[0]) {
		snprintf(msg, sizeof(msg), "-%c needs a PCI address", mode);
		return usage_error(&ctx, msg);
	}
	if (ctx.driver && mode != 'r')
		return usage_error(&ctx, "-d/--driver is only used with -r");
	if ((ctx.user || ctx.group || ctx.no_sriov) && mode != 'i')
		return usage_error(&ctx, "-u, -g and -n are only used with -i");
	if (ctx.json && mode != 'l' && mode != 'c')
		return usage_error(&ctx, "--json is only used with -l or -c");
	if (ctx.dma_size && mode != 'c')
		return usage_error(&ctx, "--dma-size is only used with -c");
	if (ctx.driver && (!*ctx.driver || pci_driver_is_vfio(ctx.driver))) {
		snprintf(msg, sizeof(msg), "-d %.40s: name the host driver to bind after release",
		         ctx.driver);
		return usage_error(&ctx, msg);
	}
	switch (mode) {
	case 'i':
		return ovf_init(&ctx);
	case 'r':
		return ovf_release(&ctx);
	case 'l':
		return ovf_list(&ctx);
	default:
		return ovf_check(&ctx);
	}
}
