/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/fpga.h - the umbrella header of the OPAE C API: include this one
 * header to get every fpga* call and type, as OPAE programs do.
 */
#ifndef OPAE_FPGA_H
#define OPAE_FPGA_H

#include <opae/types.h>
#include <opae/access.h>
#include <opae/buffer.h>
#include <opae/umsg.h>
#include <opae/enum.h>
#include <opae/event.h>
#include <opae/manage.h>
#include <opae/mmio.h>
#include <opae/properties.h>
#include <opae/utils.h>
#include <opae/error.h>
#include <opae/version.h>
#include <opae/sysobject.h>
#include <opae/userclk.h>
#include <opae/metrics.h>
#include <opae/init.h>

#endif /* OPAE_FPGA_H */
