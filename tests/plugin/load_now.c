// SPDX-License-Identifier: BSD-3-Clause
/* load_now.c - dlopen MODULE with RTLD_NOW: every symbol the module needs must
 * resolve at load (a framework may load it lazily and fail only at the first
 * call). Exit 0 if it loads and has opae_plugin_configure, else 1. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	void *dl;

	if (argc != 2) {
		fprintf(stderr, "usage: load_now MODULE\n");
		return 2;
	}
	dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(stderr, "load_now: %s\n", dlerror());
		return 1;
	}
	if (!dlsym(dl, "opae_plugin_configure")) {
		fprintf(stderr, "load_now: %s has no opae_plugin_configure\n", argv[1]);
		return 1;
	}
	printf("load_now: %s loads with every symbol resolved\n", argv[1]);
	dlclose(dl);
	return 0;
}
