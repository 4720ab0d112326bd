// SPDX-License-Identifier: BSD-3-Clause
/* out.c - JSON output helpers shared by -l and -c (json-c). */
#include <json-c/json.h>

#include "opaevfio.h"
#include "out.h"

json_object *json_str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

json_object *json_int_or_null(long long v)
{
	return v >= 0 ? json_object_new_int64(v) : NULL;
}

json_object *json_hex(unsigned v, int digits)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%0*x", digits, v);
	return json_object_new_string(buf);
}

int json_print(const struct ovf_ctx *ctx, json_object *obj)
{
	const char *text =
	    json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                                            JSON_C_TO_STRING_NOSLASHESCAPE);
	int r = text ? 0 : -1;

	if (text)
		fprintf(ctx->out, "%s\n", text);
	json_object_put(obj);
	return r;
}
