// SPDX-License-Identifier: BSD-3-Clause
/* fake_mock_services.cpp - the services of tests/mock/mock_model.h for the
 * standalone model test: BAR arrays, an IOVA->buffer map, a manual worker. */
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fake_mock.h"

unsigned mock_dev::run_worker(unsigned max)
{
	unsigned n = 0;

	while (!queue.empty() && n < max) {
		fake_work w = queue.front();

		queue.erase(queue.begin());
		w.fn(state, w.arg);
		n++;
	}
	return n;
}

/* The host memory behind [iova, iova+len), or nullptr (an IOMMU fault). */
static uint8_t *translate(mock_dev *d, uint64_t iova, size_t len)
{
	for (const fake_dma_map &m : d->maps)
		if (iova >= m.iova && len <= m.len && iova - m.iova <= m.len - len)
			return m.mem + (iova - m.iova);
	return nullptr;
}

extern "C" {

uint8_t *mock_bar_mem(struct mock_dev *d, unsigned bar)
{
	return bar < 6 && !d->bar[bar].empty() ? d->bar[bar].data() : nullptr;
}

uint64_t mock_bar_size(struct mock_dev *d, unsigned bar)
{
	return bar < 6 ? d->bar[bar].size() : 0;
}

const struct mock_dev_config *mock_dev_cfg(struct mock_dev *d)
{
	return &d->cfg;
}

int mock_dma_read(struct mock_dev *d, uint64_t iova, void *buf, size_t len)
{
	uint8_t *p;

	if (!d->bus_master)
		return -2;
	p = translate(d, iova, len);
	if (!p) {
		d->faults.push_back(iova);
		return -1;
	}
	memcpy(buf, p, len);
	return 0;
}

int mock_dma_write(struct mock_dev *d, uint64_t iova, const void *buf, size_t len)
{
	uint8_t *p;

	if (!d->bus_master)
		return -2;
	p = translate(d, iova, len);
	if (!p) {
		d->faults.push_back(iova);
		return -1;
	}
	memcpy(p, buf, len);
	return 0;
}

void mock_irq_raise(struct mock_dev *d, unsigned index, unsigned vector)
{
	d->irqs.emplace_back(index, vector);
}

void mock_msix_raise(struct mock_dev *d, unsigned vector)
{
	d->irqs.emplace_back(2u, vector);
}

void mock_intx_set_level(struct mock_dev *d, int asserted)
{
	(void)d;
	(void)asserted;
}

int mock_msi_enabled(struct mock_dev *d, unsigned index)
{
	(void)d;
	return index == 2;
}

void mock_schedule(struct mock_dev *d, uint64_t delay_ns, void (*fn)(void *state, void *arg),
                   void *arg)
{
	(void)delay_ns;
	d->scheduled++;
	d->queue.push_back({fn, arg});
}

void mock_log(int level, const char *fmt, ...)
{
	const char *env = getenv("VFIO_MOCK_LOG");
	va_list ap;

	if (!env || atoi(env) < level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

} /* extern "C" */
