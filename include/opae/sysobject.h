/* SPDX-License-Identifier: BSD-3-Clause */
/* opae/sysobject.h - the object API: named attributes and containers of a
 * resource (sysfs-like), looked up by name or index and read or written.
 */
#ifndef OPAE_SYSOBJECT_H
#define OPAE_SYSOBJECT_H

#include <opae/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Look up object name under a token; flags are enum fpga_sysobject_flags. */
fpga_result fpgaTokenGetObject(fpga_token token, const char *name, fpga_object *object, int flags);

/* Look up object name under an opened handle. */
fpga_result fpgaHandleGetObject(fpga_handle handle, const char *name, fpga_object *object,
                                int flags);

/* Look up object name inside container parent. */
fpga_result fpgaObjectGetObject(fpga_object parent, const char *name, fpga_object *object,
                                int flags);

/* The idx-th member of container parent. */
fpga_result fpgaObjectGetObjectAt(fpga_object parent, size_t idx, fpga_object *object);

/* Whether obj is a container or an attribute. */
fpga_result fpgaObjectGetType(fpga_object obj, enum fpga_sysobject_type *type);

/* Name of obj in a buffer of max_len bytes. */
fpga_result fpgaObjectGetName(fpga_object obj, char *name, size_t max_len);

/* Release *obj and set it to NULL. */
fpga_result fpgaDestroyObject(fpga_object *obj);

/* Size in bytes of obj's value. */
fpga_result fpgaObjectGetSize(fpga_object obj, uint32_t *value, int flags);

/* Read len bytes of obj's value starting at offset. */
fpga_result fpgaObjectRead(fpga_object obj, uint8_t *buffer, size_t offset, size_t len, int flags);

/* Read obj's value as a 64-bit number. */
fpga_result fpgaObjectRead64(fpga_object obj, uint64_t *value, int flags);

/* Write a 64-bit number to obj. */
fpga_result fpgaObjectWrite64(fpga_object obj, uint64_t value, int flags);

#ifdef __cplusplus
}
#endif

#endif /* OPAE_SYSOBJECT_H */
