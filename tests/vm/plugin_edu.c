// SPDX-License-Identifier: BSD-3-Clause
/* plugin_edu.c - QEMU's edu through the OPAE API and libopae-vfio.so: the
 * plugin is registered with the framework (libopae-c.so.2) with a device
 * list declaring edu a plain accelerator; the program then enumerates it by
 * GUID, reads its properties, opens it and drives its registers with
 * fpgaReadMMIO32/64 and fpgaWriteMMIO32, asks for a reset (edu has none), runs
 * edu's DMA engine on a buffer from fpgaPrepareBuffer both ways, waiting for
 * its completion interrupt with fpgaRegisterEvent + poll on the event's fd,
 * measures the interrupt latency, and checks bad input and the leak-free
 * close. Runs in the VM (real vfio-pci) and on the mock's edu.
 *
 * usage: plugin_edu [PLUGIN.so]   (default: $PLUGIN_EDU_MODULE, else the build
 * tree's plugin)
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

#include "edu_test.h"

#define PROG     "plugin_edu"
#define EDU_GUID "de1dafc1-ee0d-4d1b-9c7a-31338e6306b6"
#define EDU_FACTORIAL 0x08
#define EDU_STATUS    0x20

/* The device list, built with json-c: edu by its ids, a plain accelerator. */
static char *device_list(void)
{
	struct json_object *root = json_object_new_object(), *devs = json_object_new_array();
	struct json_object *d = json_object_new_object(), *id = json_object_new_array();
	char *s;

	json_object_array_add(id, json_object_new_string("0x1234"));
	json_object_array_add(id, json_object_new_string("0x11e8"));
	json_object_object_add(d, "id", id);
	json_object_object_add(d, "kind", json_object_new_string("plain"));
	json_object_object_add(d, "guid", json_object_new_string(EDU_GUID));
	json_object_array_add(devs, d);
	json_object_object_add(root, "devices", devs);
	s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return s;
}

static fpga_token find_edu(void)
{
	fpga_properties f = NULL;
	fpga_token tok = NULL;
	fpga_guid guid;
	uint32_t n = 0;

	fpgaGetProperties(NULL, &f);
	fpgaPropertiesSetObjectType(f, FPGA_ACCELERATOR);
	for (int i = 0, b = 0; i < 36; i++) {
		static const char hex[] = "0123456789abcdef";
		if (EDU_GUID[i] == '-')
			continue;
		guid[b / 2] = (uint8_t)((b % 2 ? guid[b / 2] << 4 : 0) |
		                        (strchr(hex, EDU_GUID[i]) - hex));
		b++;
	}
	fpgaPropertiesSetGUID(f, guid);
	check(fpgaEnumerate(&f, 1, &tok, 1, &n) == FPGA_OK && n == 1,
	      "fpgaEnumerate by GUID finds exactly one edu (found %u)", n);
	fpgaDestroyProperties(&f);
	return n == 1 ? tok : NULL;
}

static void check_properties(fpga_token tok, fpga_accelerator_state want)
{
	fpga_properties p = NULL;
	fpga_accelerator_state st = FPGA_ACCELERATOR_ASSIGNED + 7;
	uint16_t vendor = 0, device = 0;
	fpga_interface ifc = FPGA_IFC_DFL;
	uint32_t mmio = 0;

	if (fpgaGetProperties(tok, &p) != FPGA_OK) {
		check(0, "fpgaGetProperties");
		return;
	}
	fpgaPropertiesGetVendorID(p, &vendor);
	fpgaPropertiesGetDeviceID(p, &device);
	fpgaPropertiesGetInterface(p, &ifc);
	fpgaPropertiesGetNumMMIO(p, &mmio);
	fpgaPropertiesGetAcceleratorState(p, &st);
	check(vendor == EDU_VENDOR && device == EDU_DEVICE, "properties: ids %04x:%04x", vendor,
	      device);
	check(ifc == FPGA_IFC_VFIO, "properties: interface VFIO");
	check(mmio == 1, "properties: one MMIO space (BAR0), got %u", mmio);
	check(st == want, "properties: accelerator state %s",
	      want == FPGA_ACCELERATOR_ASSIGNED ? "ASSIGNED" : "UNASSIGNED");
	fpgaDestroyProperties(&p);
}

/* Calls first, checks after: a check's message must show the value read. */
static void drive(fpga_handle h)
{
	uint32_t v = 0;
	uint64_t v64 = 0;
	fpga_result r;
	double t0;

	r = fpgaReadMMIO32(h, 0, 0x0, &v);
	check(r == FPGA_OK && v == 0x010000ed, "edu ID register 0x%08x", v);
	fpgaWriteMMIO32(h, 0, 0x4, 0x5a5a0f0f);
	r = fpgaReadMMIO32(h, 0, 0x4, &v);
	check(r == FPGA_OK && v == ~0x5a5a0f0fu, "liveness register inverts (0x%08x)", v);
	fpgaWriteMMIO32(h, 0, EDU_FACTORIAL, 6);
	t0 = now_ms();
	do
		fpgaReadMMIO32(h, 0, EDU_STATUS, &v);
	while ((v & 1) && now_ms() - t0 < EDU_WAIT_MS);
	r = fpgaReadMMIO32(h, 0, EDU_FACTORIAL, &v);
	check(r == FPGA_OK && v == 720, "factorial 6! = %u", v);
	/* edu takes 64-bit accesses from 0x80 on (the DMA registers) */
	r = fpgaWriteMMIO64(h, 0, EDU_REG_DMA_SRC, 0x123456789000ull);
	check(r == FPGA_OK, "64-bit write of the DMA source register");
	r = fpgaReadMMIO64(h, 0, EDU_REG_DMA_SRC, &v64);
	check(r == FPGA_OK && v64 == 0x123456789000ull, "64-bit read back 0x%llx",
	      (unsigned long long)v64);
	check(fpgaReadMMIO64(h, 0, EDU_BAR0_SIZE - 8, &v64) == FPGA_OK, "last 8 bytes of BAR0");
	check(fpgaReadMMIO64(h, 0, EDU_BAR0_SIZE, &v64) == FPGA_INVALID_PARAM,
	      "offset = BAR0 size refused");
	check(fpgaReadMMIO32(h, 0, 0x2, &v) == FPGA_INVALID_PARAM, "unaligned offset refused");
	check(fpgaReadMMIO32(h, 1, 0x0, &v) == FPGA_INVALID_PARAM, "mmio_num 1 refused");
	/* QEMU's edu has no function reset: vfio-pci reports no RESET flag (flags
	 * 0x2 in the VM; the mock's edu the same), so fpgaReset says so */
	r = fpgaReset(h);
	check(r == FPGA_NOT_SUPPORTED, "fpgaReset: edu has no VFIO_DEVICE_RESET (result %d)", r);
	r = fpgaReadMMIO32(h, 0, 0x0, &v);
	check(r == FPGA_OK && v == 0x010000ed, "ID after the refused reset 0x%08x", v);
}

#define EDU_DMA_IRQ 0x4 /* DMA command bit: raise the interrupt when done */

/* One edu DMA; the completion is the interrupt, seen through the event's fd.
 * Returns the eventfd count (0: no interrupt in time). */
static uint64_t dma_wait_irq(fpga_handle h, int fd, uint64_t src, uint64_t dst, uint64_t cmd)
{
	uint32_t st = 0;
	uint64_t n;

	fpgaWriteMMIO64(h, 0, EDU_REG_DMA_SRC, src);
	fpgaWriteMMIO64(h, 0, EDU_REG_DMA_DST, dst);
	fpgaWriteMMIO64(h, 0, EDU_REG_DMA_CNT, EDU_DMA_MAX);
	fpgaWriteMMIO64(h, 0, EDU_REG_DMA_CMD, EDU_DMA_RUN | EDU_DMA_IRQ | cmd);
	n = wait_eventfd(fd, EDU_WAIT_MS);
	fpgaReadMMIO32(h, 0, EDU_REG_IRQ_STATUS, &st);
	fpgaWriteMMIO32(h, 0, EDU_REG_IRQ_ACK, st);
	return n;
}

/* A buffer from fpgaPrepareBuffer, edu's DMA into and out of it, completion
 * interrupts through fpgaRegisterEvent on MSI vector 0. */
static void dma_and_interrupts(fpga_handle h)
{
	fpga_event_handle eh = NULL;
	uint64_t wsid = 0, iova = 0, n;
	uint8_t *buf = NULL;
	double t0, best = 1e9;
	int fd = -1, ok = 1;
	fpga_result r;

	r = fpgaPrepareBuffer(h, 4096, (void **)&buf, &wsid, 0);
	check(r == FPGA_OK && buf, "fpgaPrepareBuffer 4 KiB");
	if (r != FPGA_OK)
		return;
	r = fpgaGetIOAddress(h, wsid, &iova);
	check(r == FPGA_OK && iova && iova + 4096 <= EDU_DMA_LIMIT,
	      "fpgaGetIOAddress 0x%llx (within edu's 28-bit reach)", (unsigned long long)iova);
	check(fpgaCreateEventHandle(&eh) == FPGA_OK, "fpgaCreateEventHandle");
	r = fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, 0);
	check(r == FPGA_OK, "fpgaRegisterEvent(FPGA_EVENT_INTERRUPT, vector 0)");
	check(fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, 1) != FPGA_OK,
	      "vector 1 refused (edu has one MSI vector)");
	r = fpgaGetOSObjectFromEventHandle(eh, &fd);
	check(r == FPGA_OK && fd >= 0, "fpgaGetOSObjectFromEventHandle: fd %d", fd);
	if (fd >= 0) {
		for (int i = 0; i < EDU_DMA_MAX; i++)
			buf[i] = (uint8_t)(i * 7 + 3);
		memset(buf + EDU_DMA_MAX, 0, EDU_DMA_MAX);
		n = dma_wait_irq(h, fd, iova, EDU_DMA_WINDOW, 0);
		check(n >= 1, "DMA buffer -> edu: completion interrupt (count %llu)",
		      (unsigned long long)n);
		n = dma_wait_irq(h, fd, EDU_DMA_WINDOW, iova + EDU_DMA_MAX, EDU_DMA_TO_RAM);
		check(n >= 1, "DMA edu -> buffer: completion interrupt (count %llu)",
		      (unsigned long long)n);
		check(!memcmp(buf, buf + EDU_DMA_MAX, EDU_DMA_MAX),
		      "the data came back through the device");
		/* latency: raise register write to poll returning, best of 20 */
		for (int i = 0; i < 20 && ok; i++) {
			uint32_t st = 0;

			t0 = now_ms();
			fpgaWriteMMIO32(h, 0, EDU_REG_IRQ_RAISE, 0x8);
			ok = wait_eventfd(fd, EDU_WAIT_MS) >= 1;
			if (now_ms() - t0 < best)
				best = now_ms() - t0;
			fpgaReadMMIO32(h, 0, EDU_REG_IRQ_STATUS, &st);
			fpgaWriteMMIO32(h, 0, EDU_REG_IRQ_ACK, st);
		}
		check(ok, "20 raised interrupts delivered");
		info("interrupt latency (raise register write to poll returning), best of 20: %.1f us",
		     best * 1000.0);
	}
	check(fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, eh) == FPGA_OK, "fpgaUnregisterEvent");
	check(fpgaDestroyEventHandle(&eh) == FPGA_OK, "fpgaDestroyEventHandle");
	check(fpgaReleaseBuffer(h, wsid) == FPGA_OK, "fpgaReleaseBuffer");
	check(fpgaReleaseBuffer(h, wsid) != FPGA_OK, "released id refused");
}

int main(int argc, char **argv)
{
	const char *plugin = argc > 1 ? argv[1] : getenv("PLUGIN_EDU_MODULE");
	char *list = device_list();
	fpga_handle h = NULL, h2 = NULL;
	fpga_token tok;
	int fds_before = count_fds();
	uint32_t v;

	if (!plugin)
		plugin = PLUGIN_PATH;
	setvbuf(stdout, NULL, _IOLBF, 0);
	info("plugin %s, device list %s", plugin, list);
	check(list && opae_plugin_mgr_register_plugin(plugin, list) == 0,
	      "opae_plugin_mgr_register_plugin");
	free(list);
	tok = find_edu();
	if (!tok)
		return summary(PROG);
	check_properties(tok, FPGA_ACCELERATOR_UNASSIGNED);
	check(fpgaOpen(tok, &h, 0) == FPGA_OK, "fpgaOpen");
	if (h) {
		check_properties(tok, FPGA_ACCELERATOR_ASSIGNED);
		check(fpgaOpen(tok, &h2, 0) == FPGA_BUSY, "second exclusive open: FPGA_BUSY");
		drive(h);
		dma_and_interrupts(h);
		check(fpgaClose(h) == FPGA_OK, "fpgaClose");
		check(fpgaReadMMIO32(h, 0, 0, &v) != FPGA_OK, "MMIO after close refused");
	}
	check(fpgaDestroyToken(&tok) == FPGA_OK, "fpgaDestroyToken");
	check(count_fds() == fds_before, "no fd left open (%d before, %d after)", fds_before,
	      count_fds());
	return summary(PROG);
}
