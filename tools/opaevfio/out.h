/* SPDX-License-Identifier: BSD-3-Clause */
/* out.h - JSON output helpers shared by -l and -c. */
#ifndef OPAEVFIO_OUT_H
#define OPAEVFIO_OUT_H

#include <json-c/json.h>

struct ovf_ctx;

json_object *json_str_or_null(const char *s);  /* "" -> null */
json_object *json_int_or_null(long long v);    /* < 0 -> null */
json_object *json_hex(unsigned v, int digits); /* "0x8086" */
/* Prints obj (pretty) on ctx->out and releases it. */
int json_print(const struct ovf_ctx *ctx, json_object *obj);

#endif
