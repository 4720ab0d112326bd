// SPDX-License-Identifier: BSD-3-Clause
/* not_a_plugin.c - a loadable module without opae_plugin_configure, for the
 * "not a plugin" loading test. */
int not_a_plugin_marker(void);
int not_a_plugin_marker(void)
{
	return 1;
}
