// SPDX-License-Identifier: BSD-3-Clause
/* runas.c - `runas UID GID PROG ARGS...`: run PROG as an unprivileged user
 * (no supplementary groups) in the VM, whose busybox has no setpriv --reuid. */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uid_t uid;
	gid_t gid;

	if (argc < 4) {
		fprintf(stderr, "usage: runas UID GID PROG [ARGS...]\n");
		return 127;
	}
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	gid = (gid_t)strtoul(argv[2], NULL, 10);
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		perror("runas");
		return 127;
	}
	execv(argv[3], argv + 3);
	perror(argv[3]);
	return 127;
}
