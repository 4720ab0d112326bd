/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/metrics.h - telemetry of an opened resource (power, thermal, counters):
 * listing metrics, sampling them by index or name, and their thresholds.
 */
#ifndef OPAE_METRICS_H
#define OPAE_METRICS_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of metrics handle provides. */
fpga_result fpgaGetNumMetrics(fpga_handle handle, uint64_t *num_metrics);

/* Describe up to *num_metrics metrics into metric_info[]. */
fpga_result fpgaGetMetricsInfo(fpga_handle handle, fpga_metric_info *metric_info,
                               uint64_t *num_metrics);

/* Sample the metrics whose numbers are in metric_num[num_metric_indexes]. */
fpga_result fpgaGetMetricsByIndex(fpga_handle handle, uint64_t *metric_num,
                                  uint64_t num_metric_indexes, fpga_metric *metrics);

/* Sample the metrics named in metrics_names[num_metric_names]. */
fpga_result fpgaGetMetricsByName(fpga_handle handle, char **metrics_names,
                                 uint64_t num_metric_names, fpga_metric *metrics);

/* Thresholds of up to *num_thresholds metrics. */
fpga_result fpgaGetMetricsThresholdInfo(fpga_handle handle, metric_threshold *metric_thresholds,
                                        uint32_t *num_thresholds);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_METRICS_H */
