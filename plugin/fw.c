// SPDX-License-Identifier: BSD-3-Clause
/* fw.c - the framework's public API, looked up at run time (never linked):
 * whichever libopae-c loaded us (OPAE's or framework/'s) serves the calls.
 * Lookup order: the global scope (RTLD_DEFAULT), then an already loaded
 * libopae-c.so.2 even if it was loaded RTLD_LOCAL. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "plugin_priv.h"

struct pl_fw pl_fw;

#define E(name, field) {name, offsetof(struct pl_fw, field)}

static const struct {
	const char *name;
	size_t off;
} imports[] = {
    E("fpgaGetOPAECVersion", GetOPAECVersion),
    E("fpgaGetProperties", GetProperties),
    E("fpgaClearProperties", ClearProperties),
    E("fpgaDestroyProperties", DestroyProperties),
    E("fpgaPropertiesSetObjectType", SetObjectType),
    E("fpgaPropertiesSetSegment", SetSegment),
    E("fpgaPropertiesSetBus", SetBus),
    E("fpgaPropertiesSetDevice", SetDevice),
    E("fpgaPropertiesSetFunction", SetFunction),
    E("fpgaPropertiesSetSocketID", SetSocketID),
    E("fpgaPropertiesSetVendorID", SetVendorID),
    E("fpgaPropertiesSetDeviceID", SetDeviceID),
    E("fpgaPropertiesSetSubsystemVendorID", SetSubsystemVendorID),
    E("fpgaPropertiesSetSubsystemDeviceID", SetSubsystemDeviceID),
    E("fpgaPropertiesSetObjectID", SetObjectID),
    E("fpgaPropertiesSetInterface", SetInterface),
    E("fpgaPropertiesSetGUID", SetGUID),
    E("fpgaPropertiesSetNumErrors", SetNumErrors),
    E("fpgaPropertiesSetNumMMIO", SetNumMMIO),
    E("fpgaPropertiesSetNumInterrupts", SetNumInterrupts),
    E("fpgaPropertiesSetAcceleratorState", SetAcceleratorState),
    E("fpgaPropertiesSetNumSlots", SetNumSlots),
    E("fpgaPropertiesSetBBSID", SetBBSID),
    E("fpgaPropertiesSetBBSVersion", SetBBSVersion),
    E("fpgaPropertiesGetObjectType", GetObjectType),
    E("fpgaPropertiesGetParent", GetParent),
    E("fpgaPropertiesGetSegment", GetSegment),
    E("fpgaPropertiesGetBus", GetBus),
    E("fpgaPropertiesGetDevice", GetDevice),
    E("fpgaPropertiesGetFunction", GetFunction),
    E("fpgaPropertiesGetSocketID", GetSocketID),
    E("fpgaPropertiesGetVendorID", GetVendorID),
    E("fpgaPropertiesGetDeviceID", GetDeviceID),
    E("fpgaPropertiesGetSubsystemVendorID", GetSubsystemVendorID),
    E("fpgaPropertiesGetSubsystemDeviceID", GetSubsystemDeviceID),
    E("fpgaPropertiesGetObjectID", GetObjectID),
    E("fpgaPropertiesGetGUID", GetGUID),
    E("fpgaPropertiesGetInterface", GetInterface),
    E("fpgaPropertiesGetNumErrors", GetNumErrors),
    E("fpgaPropertiesGetAcceleratorState", GetAcceleratorState),
    E("fpgaPropertiesGetNumMMIO", GetNumMMIO),
    E("fpgaPropertiesGetNumInterrupts", GetNumInterrupts),
    E("fpgaPropertiesGetNumSlots", GetNumSlots),
    E("fpgaPropertiesGetBBSID", GetBBSID),
    E("fpgaPropertiesGetBBSVersion", GetBBSVersion),
    E("fpgaPropertiesGetModel", GetModel),
    E("fpgaPropertiesGetLocalMemorySize", GetLocalMemorySize),
    E("fpgaPropertiesGetCapabilities", GetCapabilities),
};

int fw_resolve(char *missing, size_t len)
{
	void *lib = dlopen("libopae-c.so.2", RTLD_LAZY | RTLD_NOLOAD);
	struct pl_fw fw;
	int rc = 0;

	memset(&fw, 0, sizeof(fw));
	for (size_t i = 0; i < sizeof(imports) / sizeof(imports[0]); i++) {
		void *sym = dlsym(RTLD_DEFAULT, imports[i].name);

		if (!sym && lib)
			sym = dlsym(lib, imports[i].name);
		if (!sym) {
			snprintf(missing, len, "%s", imports[i].name);
			rc = -1;
			break;
		}
		/* object pointer -> function pointer, as dlsym users must */
		memcpy((char *)&fw + imports[i].off, &sym, sizeof(sym));
	}
	if (lib)
		dlclose(lib); /* only drops the reference NOLOAD took */
	if (!rc)
		pl_fw = fw;
	return rc;
}
