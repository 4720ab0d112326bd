/* SPDX-License-Identifier: BSD-3-Clause */
/* api_usage.c - compile-only proof that an OPAE program written against the
 * documented C API builds with our headers alone (never linked or run).
 *
 * The calls follow a hello_fpga-like flow plus every other public call the
 * plugin, framework and samples rely on, with the argument types an OPAE
 * program would use; a wrong or missing declaration breaks the build.
 */
#include <stdio.h>
#include <string.h>

#include <opae/fpga.h>

fpga_result api_usage_loopback(void);
fpga_result api_usage_properties(fpga_token tok);
fpga_result api_usage_events_errors(fpga_token tok, fpga_handle h);
fpga_result api_usage_objects_clock_metrics(fpga_token tok, fpga_handle h);

/* Enumerate an accelerator by GUID, open it, map MMIO, share a buffer. */
fpga_result api_usage_loopback(void)
{
	fpga_properties filter = NULL;
	fpga_token tok = NULL;
	fpga_handle h = NULL;
	fpga_guid guid;
	uint32_t n = 0;
	uint64_t *mmio = NULL, wsid = 0, iova = 0, v64 = 0;
	uint32_t v32 = 0, pasid = 0;
	volatile uint64_t *buf = NULL;
	uint64_t line[8] = {0};
	fpga_result r;

	memset(guid, 0, sizeof(guid));
	r = fpgaInitialize(NULL);
	r = fpgaGetProperties(NULL, &filter);
	r = fpgaPropertiesSetObjectType(filter, FPGA_ACCELERATOR);
	r = fpgaPropertiesSetGUID(filter, guid);
	r = fpgaEnumerate(&filter, 1, &tok, 1, &n);
	r = fpgaOpen(tok, &h, FPGA_OPEN_SHARED);
	r = fpgaMapMMIO(h, 0, &mmio);
	r = fpgaMapMMIO(h, 0, NULL);
	r = fpgaPrepareBuffer(h, 2 * 1024 * 1024, (void **)&buf, &wsid, 0);
	r = fpgaPrepareBuffer(h, 0, NULL, &wsid, FPGA_BUF_PREALLOCATED);
	r = fpgaReset(h);
	r = fpgaGetIOAddress(h, wsid, &iova);
	r = fpgaWriteMMIO64(h, 0, 0x110, iova);
	r = fpgaWriteMMIO32(h, 0, 0x138, 1);
	r = fpgaReadMMIO64(h, 0, 0x168, &v64);
	r = fpgaReadMMIO32(h, 0, 0x138, &v32);
	r = fpgaWriteMMIO512(h, 0, 0x400, line);
	r = fpgaBindSVA(h, &pasid);
	r = fpgaReleaseBuffer(h, wsid);
	r = fpgaUnmapMMIO(h, 0);
	r = fpgaClose(h);
	r = fpgaDestroyToken(&tok);
	r = fpgaDestroyProperties(&filter);
	if (r != FPGA_OK)
		fprintf(stderr, "loopback: %s\n", fpgaErrStr(r));
	return fpgaFinalize();
}

/* Every property getter and setter, and the properties lifetime calls. */
fpga_result api_usage_properties(fpga_token tok)
{
	fpga_properties p = NULL, copy = NULL;
	fpga_token parent = NULL, clone = NULL;
	fpga_objtype type;
	fpga_interface ifc;
	fpga_accelerator_state state;
	fpga_version ver = {2, 14, 0};
	fpga_guid guid;
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;
	char model[64] = "model";
	fpga_result r;

	r = fpgaCloneToken(tok, &clone);
	r = fpgaGetProperties(tok, &p);
	r = fpgaUpdateProperties(clone, p);
	r = fpgaCloneProperties(p, &copy);
	r = fpgaClearProperties(copy);

	r = fpgaPropertiesGetParent(p, &parent);
	r = fpgaPropertiesSetParent(copy, parent);
	r = fpgaPropertiesGetObjectType(p, &type);
	r = fpgaPropertiesSetObjectType(copy, type);
	r = fpgaPropertiesGetSegment(p, &u16);
	r = fpgaPropertiesSetSegment(copy, u16);
	r = fpgaPropertiesGetBus(p, &u8);
	r = fpgaPropertiesSetBus(copy, u8);
	r = fpgaPropertiesGetDevice(p, &u8);
	r = fpgaPropertiesSetDevice(copy, u8);
	r = fpgaPropertiesGetFunction(p, &u8);
	r = fpgaPropertiesSetFunction(copy, u8);
	r = fpgaPropertiesGetSocketID(p, &u8);
	r = fpgaPropertiesSetSocketID(copy, u8);
	r = fpgaPropertiesGetVendorID(p, &u16);
	r = fpgaPropertiesSetVendorID(copy, u16);
	r = fpgaPropertiesGetDeviceID(p, &u16);
	r = fpgaPropertiesSetDeviceID(copy, u16);
	r = fpgaPropertiesGetSubsystemVendorID(p, &u16);
	r = fpgaPropertiesSetSubsystemVendorID(copy, u16);
	r = fpgaPropertiesGetSubsystemDeviceID(p, &u16);
	r = fpgaPropertiesSetSubsystemDeviceID(copy, u16);
	r = fpgaPropertiesGetObjectID(p, &u64);
	r = fpgaPropertiesSetObjectID(copy, u64);
	r = fpgaPropertiesGetGUID(p, &guid);
	r = fpgaPropertiesSetGUID(copy, guid);
	r = fpgaPropertiesGetInterface(p, &ifc);
	r = fpgaPropertiesSetInterface(copy, ifc);
	r = fpgaPropertiesGetNumErrors(p, &u32);
	r = fpgaPropertiesSetNumErrors(copy, u32);
	r = fpgaPropertiesGetAcceleratorState(p, &state);
	r = fpgaPropertiesSetAcceleratorState(copy, state);
	r = fpgaPropertiesGetNumMMIO(p, &u32);
	r = fpgaPropertiesSetNumMMIO(copy, u32);
	r = fpgaPropertiesGetNumInterrupts(p, &u32);
	r = fpgaPropertiesSetNumInterrupts(copy, u32);
	r = fpgaPropertiesGetNumSlots(p, &u32);
	r = fpgaPropertiesSetNumSlots(copy, u32);
	r = fpgaPropertiesGetBBSID(p, &u64);
	r = fpgaPropertiesSetBBSID(copy, u64);
	r = fpgaPropertiesGetBBSVersion(p, &ver);
	r = fpgaPropertiesSetBBSVersion(copy, ver);
	r = fpgaPropertiesGetModel(p, model);
	r = fpgaPropertiesSetModel(copy, model);
	r = fpgaPropertiesGetLocalMemorySize(p, &u64);
	r = fpgaPropertiesSetLocalMemorySize(copy, u64);
	r = fpgaPropertiesGetCapabilities(p, &u64);
	r = fpgaPropertiesSetCapabilities(copy, u64);

	r = fpgaDestroyProperties(&copy);
	r = fpgaDestroyProperties(&p);
	r = fpgaDestroyToken(&clone);
	return r;
}

/* Interrupt events, error registers, management, version queries. */
fpga_result api_usage_events_errors(fpga_token tok, fpga_handle h)
{
	fpga_event_handle eh = NULL;
	struct fpga_error_info info;
	fpga_properties p = NULL;
	fpga_version ver;
	char vs[FPGA_VERSION_STR_MAX], bs[FPGA_BUILD_STR_MAX];
	static const uint8_t bitstream[16];
	uint64_t value;
	int fd = -1;
	fpga_result r;

	r = fpgaCreateEventHandle(&eh);
	r = fpgaRegisterEvent(h, FPGA_EVENT_INTERRUPT, eh, 0);
	r = fpgaGetOSObjectFromEventHandle(eh, &fd);
	r = fpgaUnregisterEvent(h, FPGA_EVENT_INTERRUPT, eh);
	r = fpgaDestroyEventHandle(&eh);

	r = fpgaGetPropertiesFromHandle(h, &p);
	r = fpgaReadError(tok, 0, &value);
	r = fpgaClearError(tok, 0);
	r = fpgaClearAllErrors(tok);
	r = fpgaGetErrorInfo(tok, 0, &info);

	r = fpgaAssignPortToInterface(h, 1, 0, 0);
	r = fpgaAssignToInterface(h, tok, 0, 0);
	r = fpgaReleaseFromInterface(h, tok);
	r = fpgaReconfigureSlot(h, 0, bitstream, sizeof(bitstream), FPGA_RECONF_FORCE);

	r = fpgaGetOPAECVersion(&ver);
	r = fpgaGetOPAECVersionString(vs, sizeof(vs));
	r = fpgaGetOPAECBuildString(bs, sizeof(bs));
	printf("%d.%d.%d %s %s %d %s %d\n", ver.major, ver.minor, ver.patch, vs, bs, fd, info.name,
	       info.can_clear);
	return r;
}

/* Object API, user clocks, metrics. */
fpga_result api_usage_objects_clock_metrics(fpga_token tok, fpga_handle h)
{
	fpga_object obj = NULL, child = NULL;
	enum fpga_sysobject_type type;
	fpga_metric_info infos[4];
	fpga_metric metrics[4];
	metric_threshold thresholds[4];
	uint64_t indexes[1] = {0}, num = 4, high = 0, low = 0, v64 = 0;
	uint32_t size = 0, nthr = 4;
	uint8_t bytes[8];
	char name[64];
	char *names[1] = {name};
	fpga_result r;

	r = fpgaTokenGetObject(tok, "errors", &obj, FPGA_OBJECT_GLOB);
	r = fpgaHandleGetObject(h, "errors/inject_errors", &child, 0);
	r = fpgaObjectGetObject(obj, "first_error", &child, FPGA_OBJECT_SYNC);
	r = fpgaObjectGetObjectAt(obj, 0, &child);
	r = fpgaObjectGetType(child, &type);
	r = fpgaObjectGetName(child, name, sizeof(name));
	r = fpgaObjectGetSize(child, &size, FPGA_OBJECT_SYNC);
	r = fpgaObjectRead(child, bytes, 0, sizeof(bytes), 0);
	r = fpgaObjectRead64(child, &v64, FPGA_OBJECT_RAW);
	r = fpgaObjectWrite64(child, v64, 0);
	r = fpgaDestroyObject(&child);
	r = fpgaDestroyObject(&obj);

	r = fpgaSetUserClock(h, 400, 200, 0);
	r = fpgaGetUserClock(h, &high, &low, 0);

	r = fpgaGetNumMetrics(h, &num);
	r = fpgaGetMetricsInfo(h, infos, &num);
	r = fpgaGetMetricsByIndex(h, indexes, 1, metrics);
	r = fpgaGetMetricsByName(h, names, 1, metrics);
	r = fpgaGetMetricsThresholdInfo(h, thresholds, &nthr);
	if (infos[0].metric_datatype == FPGA_METRIC_DATATYPE_DOUBLE)
		printf("%s %f\n", infos[0].metric_name, metrics[0].value.dvalue);
	return r;
}
