// SPDX-License-Identifier: BSD-3-Clause
/* main.c - opaevfio's entry point; the program lives in cli.c (ovf_main), so
 * the tests can run it in-process as well. */
#include <stdio.h>

#include "opaevfio.h"

int main(int argc, char **argv)
{
	return ovf_main(argc, argv, stdout, stderr);
}
