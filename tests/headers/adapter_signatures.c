/* SPDX-License-Identifier: BSD-3-Clause */
/* adapter_signatures.c - compile-time proof that every adapter table entry
 * has exactly the type of the public fpga* call it forwards.
 *
 * A mismatch would let a plugin compile against the table yet be called with
 * the wrong arguments; GCC's type-compatibility builtin catches it here.
 */
#include <opae/fpga.h>
#include <opae/plugin/adapter.h>

#define SAME_SIGNATURE(name)                                                                       \
	_Static_assert(__builtin_types_compatible_p(                                               \
	                   __typeof__(&name), __typeof__(((opae_api_adapter_table *)0)->name)),    \
	               "adapter entry " #name " differs from the public prototype")

SAME_SIGNATURE(fpgaOpen);
SAME_SIGNATURE(fpgaClose);
SAME_SIGNATURE(fpgaReset);
SAME_SIGNATURE(fpgaGetPropertiesFromHandle);
SAME_SIGNATURE(fpgaGetProperties);
SAME_SIGNATURE(fpgaUpdateProperties);
SAME_SIGNATURE(fpgaWriteMMIO64);
SAME_SIGNATURE(fpgaReadMMIO64);
SAME_SIGNATURE(fpgaWriteMMIO32);
SAME_SIGNATURE(fpgaReadMMIO32);
SAME_SIGNATURE(fpgaWriteMMIO512);
SAME_SIGNATURE(fpgaMapMMIO);
SAME_SIGNATURE(fpgaUnmapMMIO);
SAME_SIGNATURE(fpgaEnumerate);
SAME_SIGNATURE(fpgaCloneToken);
SAME_SIGNATURE(fpgaDestroyToken);
SAME_SIGNATURE(fpgaGetNumUmsg);
SAME_SIGNATURE(fpgaSetUmsgAttributes);
SAME_SIGNATURE(fpgaTriggerUmsg);
SAME_SIGNATURE(fpgaGetUmsgPtr);
SAME_SIGNATURE(fpgaPrepareBuffer);
SAME_SIGNATURE(fpgaReleaseBuffer);
SAME_SIGNATURE(fpgaGetIOAddress);
SAME_SIGNATURE(fpgaBindSVA);
SAME_SIGNATURE(fpgaReadError);
SAME_SIGNATURE(fpgaClearError);
SAME_SIGNATURE(fpgaClearAllErrors);
SAME_SIGNATURE(fpgaGetErrorInfo);
SAME_SIGNATURE(fpgaCreateEventHandle);
SAME_SIGNATURE(fpgaDestroyEventHandle);
SAME_SIGNATURE(fpgaGetOSObjectFromEventHandle);
SAME_SIGNATURE(fpgaRegisterEvent);
SAME_SIGNATURE(fpgaUnregisterEvent);
SAME_SIGNATURE(fpgaAssignPortToInterface);
SAME_SIGNATURE(fpgaAssignToInterface);
SAME_SIGNATURE(fpgaReleaseFromInterface);
SAME_SIGNATURE(fpgaReconfigureSlot);
SAME_SIGNATURE(fpgaTokenGetObject);
SAME_SIGNATURE(fpgaHandleGetObject);
SAME_SIGNATURE(fpgaObjectGetObject);
SAME_SIGNATURE(fpgaObjectGetObjectAt);
SAME_SIGNATURE(fpgaDestroyObject);
SAME_SIGNATURE(fpgaObjectRead);
SAME_SIGNATURE(fpgaObjectRead64);
SAME_SIGNATURE(fpgaObjectGetSize);
SAME_SIGNATURE(fpgaObjectGetType);
SAME_SIGNATURE(fpgaObjectWrite64);
SAME_SIGNATURE(fpgaSetUserClock);
SAME_SIGNATURE(fpgaGetUserClock);
SAME_SIGNATURE(fpgaGetNumMetrics);
SAME_SIGNATURE(fpgaGetMetricsInfo);
SAME_SIGNATURE(fpgaGetMetricsByIndex);
SAME_SIGNATURE(fpgaGetMetricsByName);
SAME_SIGNATURE(fpgaGetMetricsThresholdInfo);

/* The plugin entry point has the type the framework dlsym()s and calls. */
typedef int (*opae_plugin_configure_fn)(opae_api_adapter_table *, const char *);
_Static_assert(__builtin_types_compatible_p(__typeof__(&opae_plugin_configure),
                                            opae_plugin_configure_fn),
               "opae_plugin_configure has the wrong type");
