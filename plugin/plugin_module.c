// SPDX-License-Identifier: BSD-3-Clause
/* plugin_module.c - the translation unit of the libopae-vfio.so module
 * itself; all code is in the ovfio_plugin archive, pulled in through
 * opae_plugin_configure (see CMakeLists.txt). */
