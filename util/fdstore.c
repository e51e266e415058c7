/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "util/fdstore.h"

#define FDSTORE_SYNC_TIMEOUT_USEC (5ull * 1000 * 1000)

bool fdstore_available(void)
{
	const char *e = getenv("NOTIFY_SOCKET");

	return e && *e;
}

static int fdstore_notify(const char *what, const char *name, const int *fds, size_t n)
{
	char msg[64 + FDSTORE_NAME_MAX];

	if ((size_t) snprintf(msg, sizeof(msg), "%s\nFDNAME=%s", what, name) >= sizeof(msg))
		return -ENAMETOOLONG;
	return sd_pid_notify_with_fds(0, false, msg, fds, (unsigned) n);
}

int fdstore_add(const char *name, const int *fds, size_t n)
{
	return fdstore_notify("FDSTORE=1", name, fds, n);
}

int fdstore_remove(const char *name)
{
	return fdstore_notify("FDSTOREREMOVE=1", name, NULL, 0);
}

int fdstore_sync(void)
{
	if (!fdstore_available())
		return 0;
	return sd_notify_barrier(false, FDSTORE_SYNC_TIMEOUT_USEC);
}
