// SPDX-License-Identifier: BSD-3-Clause
/* plugin_pin.c - a child AFU's pins on a real kernel: two QEMU edu devices
 * (separate IOMMU groups, so separate containers) declared plain
 * accelerators; the plugin is driven through its adapter table exactly as a
 * framework drives a multi-port AFU: the first edu opened as the parent, the
 * second with FPGA_OPEN_HAS_PARENT_AFU as its child. A buffer prepared on the
 * parent and pinned into the child is read and written by the child's edu
 * DMA engine at the parent's I/O address; after the unpin the child's DMA is
 * blocked by the IOMMU (the buffer stays untouched); release and close of the
 * parent drop the child's pins. Runs in the VM (run-in-vm.sh --edu-count 2,
 * the real vfio-pci) and on the mock (scenario edu-pair.json); both must pass.
 *
 * usage: plugin_pin [PLUGIN.so]   (default: $PLUGIN_PIN_MODULE, else the
 * build tree's plugin). The host framework (libopae-c) is linked: the plugin
 * creates its properties through it.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

#include "edu_test.h"

#define PROG     "plugin_pin"
#define EDU_GUID "de1dafc1-ee0d-4d1b-9c7a-31338e6306b6"
#define EDU_ID   0x010000ed
#define HALF     EDU_DMA_MAX /* bytes moved per DMA */

static opae_api_adapter_table *t;
static struct ws {
	uint64_t id, io, len;
	uint8_t *va;
} last; /* pinned when the parent is closed */

static int prepare(fpga_handle parent, struct ws *w)
{
	void *va = NULL;

	if (t->fpgaPrepareBuffer(parent, 4096, &va, &w->id, 0) != FPGA_OK ||
	    t->fpgaGetWSInfo(parent, w->id, &w->io, &va, &w->len) != FPGA_OK)
		return -1;
	w->va = va;
	return 0;
}

static fpga_result pin(fpga_handle h, const struct ws *w)
{
	return t->fpgaPinBuffer(h, w->va, w->len, w->io);
}

static fpga_result unpin(fpga_handle h, const struct ws *w)
{
	return t->fpgaUnpinBuffer(h, w->va, w->len, w->io);
}

static int all(const uint8_t *p, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* The child's edu moves the parent's buffer through its own DMA engine. */
static void child_dma(fpga_handle parent, fpga_handle child)
{
	struct ws w = {0};
	uint64_t *bar = NULL;
	int ok;

	ok = prepare(parent, &w) == 0;
	check(ok && w.io + w.len <= EDU_DMA_LIMIT,
	      "fpgaPrepareBuffer on the parent: 4 KiB at I/O address 0x%llx (edu reaches 28 bits)",
	      (unsigned long long)w.io);
	if (!ok)
		return;
	check(pin(parent, &w) == FPGA_INVALID_PARAM, "fpgaPinBuffer into the parent: refused (not a "
	                                             "child)");
	check(t->fpgaPinBuffer(child, w.va, 2048, w.io) == FPGA_INVALID_PARAM,
	      "fpgaPinBuffer of half a page: refused");
	check(t->fpgaPinBuffer(child, w.va, w.len, w.io + 4096) == FPGA_NOT_FOUND,
	      "fpgaPinBuffer at another I/O address: refused (not a buffer of the parent)");
	check(pin(child, &w) == FPGA_OK, "fpgaPinBuffer into the child at the parent's I/O address");
	check(pin(child, &w) == FPGA_INVALID_PARAM, "the same pin twice: refused");
	check(t->fpgaMapMMIO(child, 0, &bar) == FPGA_OK && bar, "fpgaMapMMIO of the child's BAR0");
	if (!bar)
		return;
	edu_set_bar0((uint8_t *)bar);
	for (int i = 0; i < HALF; i++)
		w.va[i] = (uint8_t)(i * 11 + 7);
	memset(w.va + HALF, 0, HALF);
	ok = edu_dma(w.io, EDU_DMA_WINDOW, HALF, 0) == 0 &&
	     edu_dma(EDU_DMA_WINDOW, w.io + HALF, HALF, EDU_DMA_TO_RAM) == 0;
	check(ok && !memcmp(w.va, w.va + HALF, HALF),
	      "the child's edu read the parent's buffer and wrote it back, by its I/O address");
	check(unpin(child, &w) == FPGA_OK, "fpgaUnpinBuffer");
	check(unpin(child, &w) == FPGA_NOT_FOUND, "fpgaUnpinBuffer again: FPGA_NOT_FOUND");
	memset(w.va + HALF, 0x77, HALF);
	edu_dma(EDU_DMA_WINDOW, w.io + HALF, HALF, EDU_DMA_TO_RAM);
	check(all(w.va + HALF, 0x77, HALF), "after the unpin the child's DMA cannot reach the buffer");
	/* a release drops the child's pin of it */
	check(pin(child, &w) == FPGA_OK, "pinned again");
	check(t->fpgaReleaseBuffer(parent, w.id) == FPGA_OK, "fpgaReleaseBuffer on the parent");
	check(unpin(child, &w) == FPGA_NOT_FOUND, "the release unpinned it from the child");
	/* closing the parent first drops the rest; the child keeps working */
	ok = prepare(parent, &last) == 0 && pin(child, &last) == FPGA_OK;
	check(ok, "a second buffer prepared and pinned");
}

static fpga_result open_both(fpga_token *tok, fpga_handle *parent, fpga_handle *child)
{
	fpga_handle bogus = (fpga_handle)(uintptr_t)0x4242420001ull;

	check(t->fpgaOpen(tok[1], &bogus, FPGA_OPEN_HAS_PARENT_AFU) == FPGA_INVALID_PARAM,
	      "a made-up parent handle: FPGA_INVALID_PARAM");
	if (t->fpgaOpen(tok[0], parent, 0) != FPGA_OK)
		return FPGA_EXCEPTION;
	*child = *parent;
	return t->fpgaOpen(tok[1], child, FPGA_OPEN_HAS_PARENT_AFU);
}

static opae_api_adapter_table *load(const char *path, void **dl)
{
	const char *list = "{\"devices\":[{\"id\":[\"0x1234\",\"0x11e8\"],\"kind\":\"plain\","
	                   "\"guid\":\"" EDU_GUID "\",\"mmio_bars\":[0]}]}";
	int (*configure)(opae_api_adapter_table *, const char *);
	opae_api_adapter_table *tab;

	*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	configure = *dl ? (int (*)(opae_api_adapter_table *, const char *))dlsym(
	                      *dl, "opae_plugin_configure")
	                : NULL;
	tab = calloc(1, sizeof(*tab));
	if (!configure || !tab || configure(tab, list) || (tab->initialize && tab->initialize())) {
		check(0, "%s loaded and configured: %s", path, *dl ? "configure failed" : dlerror());
		free(tab);
		return NULL;
	}
	return tab;
}

int main(int argc, char **argv)
{
	const char *plugin = argc > 1 ? argv[1] : getenv("PLUGIN_PIN_MODULE");
	fpga_token tok[2] = {NULL, NULL};
	fpga_handle parent = NULL, child = NULL;
	fpga_properties f = NULL;
	int fds_before = count_fds();
	fpga_guid guid;
	uint32_t n = 0, id = 0;
	void *dl = NULL;
	fpga_result r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t = load(plugin ? plugin : PLUGIN_PATH, &dl);
	if (!t)
		return summary(PROG);
	fpgaGetProperties(NULL, &f);
	fpgaPropertiesSetObjectType(f, FPGA_ACCELERATOR);
	for (int i = 0; i < 16; i++)
		sscanf(EDU_GUID + 2 * i + (i >= 4) + (i >= 6) + (i >= 8) + (i >= 10), "%2hhx", &guid[i]);
	fpgaPropertiesSetGUID(f, guid);
	r = t->fpgaEnumerate(&f, 1, tok, 2, &n);
	check(r == FPGA_OK && n == 2, "fpgaEnumerate: two edu accelerators (found %u)", n);
	fpgaDestroyProperties(&f);
	if (n == 2 && open_both(tok, &parent, &child) == FPGA_OK) {
		check(1, "the first edu opened as the parent, the second as its child");
		child_dma(parent, child);
		check(t->fpgaClose(parent) == FPGA_OK, "fpgaClose of the parent (child still open)");
		check(last.va && unpin(child, &last) == FPGA_NOT_FOUND,
		      "closing the parent dropped the child's pin of its buffer");
		r = t->fpgaReadMMIO32(child, 0, EDU_REG_ID, &id);
		check(r == FPGA_OK && id == EDU_ID, "the child still answers MMIO (id 0x%08x)", id);
		check(t->fpgaClose(child) == FPGA_OK, "fpgaClose of the child");
	} else {
		check(0, "parent and child opened");
		if (parent)
			t->fpgaClose(parent);
	}
	for (int i = 0; i < 2; i++)
		if (tok[i])
			t->fpgaDestroyToken(&tok[i]);
	check(t->finalize() == 0, "finalize");
	free(t);
	dlclose(dl);
	check(count_fds() == fds_before, "no fd left open (%d before, %d after)", fds_before,
	      count_fds());
	return summary(PROG);
}
