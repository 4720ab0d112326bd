// SPDX-License-Identifier: BSD-3-Clause
/* sample_common.h - what the OPAE-API samples share: the PCI address options
 * (as OPAE's samples take them), finding one accelerator by GUID, reporting.
 * OPAE C API only: the samples build against any libopae-c (ours or OPAE's). */
#ifndef SAMPLE_COMMON_H
#define SAMPLE_COMMON_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include <opae/fpga.h>

/* Exit status of a sample that was used wrongly (bad option or argument);
 * API failures exit with the failing call's fpga_result (1..10). */
#define SAMPLE_EXIT_USAGE 64

/* Which PCI function to use; -1 = any. */
struct sample_pci {
	int segment, bus, device, function;
};

#define SAMPLE_PCI_ANY                                                                             \
	{                                                                                          \
		-1, -1, -1, -1                                                                     \
	}

/* The four long options to put in a sample's getopt_long table, and the
 * short-option letters they map to ("S:B:D:F:"). */
#define SAMPLE_PCI_LONGOPTS                                                                        \
	{"segment", required_argument, NULL, 'S'}, {"bus", required_argument, NULL, 'B'},          \
	    {"device", required_argument, NULL, 'D'},                                              \
	{                                                                                          \
		"function", required_argument, NULL, 'F'                                           \
	}
#define SAMPLE_PCI_SHORTOPTS "S:B:D:F:"
/* -v/--version and -h/--help, handled by sample_parse_args() */
#define SAMPLE_STD_LONGOPTS                                                                        \
	{"version", no_argument, NULL, 'v'},                                                       \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}
#define SAMPLE_STD_SHORTOPTS "vh"
#define SAMPLE_PCI_HELP                                                                            \
	"  -S, --segment N     PCI segment (domain) of the device, e.g. 0x0000\n"                  \
	"  -B, --bus N         PCI bus, e.g. 0x3b\n"                                               \
	"  -D, --device N      PCI device, e.g. 0\n"                                               \
	"  -F, --function N    PCI function, e.g. 1 (a VF)\n"                                      \
	"  [ssss:]bb:dd.f      the same as one PCI address (hexadecimal)\n"

/* One of -S/-B/-D/-F (opt) with its argument (strtoul base 0: 0x3b or 59).
 * Returns 0, or -1 after printing why. */
int sample_pci_option(const char *prog, struct sample_pci *pci, int opt, const char *arg);
/* A positional PCI address [ssss:]bb:dd.f (hex). 0, or -1 after printing why. */
int sample_pci_address(const char *prog, struct sample_pci *pci, const char *arg);
/* getopt_long over argv with the sample's own options (own() gets each of
 * them and returns 0, or -1 after printing why), the PCI options, -v, -h and
 * one optional positional PCI address. Returns -1 to go on, or the status the
 * sample exits with now: 0 after -h/-v, SAMPLE_EXIT_USAGE for bad usage. */
int sample_parse_args(const char *prog, int argc, char **argv, const char *shortopts,
                      const struct option *longopts, struct sample_pci *pci,
                      int (*own)(int opt, const char *arg, void *ctx), void *ctx,
                      void (*usage)(FILE *f));
/* Apply the PCI choice to a properties object. */
fpga_result sample_pci_filter(fpga_properties filter, const struct sample_pci *pci);

/* A number (strtoul base 0) from 0 to max into *out; 0, or -1 after printing
 * "<prog>: <what> '<arg>': expected ...". */
int sample_parse_uint(const char *prog, const char *what, const char *arg, unsigned long max,
                      unsigned long *out);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" -> bytes; 0, or -1 if malformed. */
int sample_parse_guid(const char *text, fpga_guid guid);

/* Find the first accelerator with this GUID on the chosen PCI function:
 * *tok (destroy it with fpgaDestroyToken) and its address in where[]
 * ("ssss:bb:dd.f"). FPGA_NOT_FOUND (said so) when none matches. */
fpga_result sample_find_accelerator(const char *prog, const struct sample_pci *pci,
                                    const char *guid, fpga_token *tok, char where[16]);

/* "<prog>: <step>: <fpgaErrStr(r)>" on stderr; returns r. */
fpga_result sample_fail(const char *prog, const char *step, fpga_result r);

/* Print the OPAE library's version and build strings (the samples' -v). */
void sample_print_version(const char *prog);

/* Seconds on the monotonic clock. */
double sample_now(void);

#endif /* SAMPLE_COMMON_H */
