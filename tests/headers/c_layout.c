/* SPDX-License-Identifier: BSD-3-Clause */
/* c_layout.c - the layout items of layout_items.h as the C compiler lays
 * them out; layout_test.cpp checks that C++ agrees.
 */
#include "layout_items.h"

#define C_ITEM(label, expr) {label, expr},
const struct c_layout_item c_layout_items[] = {OPAE_LAYOUT_ITEMS(C_ITEM)};
const size_t c_layout_count = sizeof(c_layout_items) / sizeof(c_layout_items[0]);
