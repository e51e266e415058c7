/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* I/O helpers shared by the daemon and gunyahctl (systemd's io-util). */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/*
 * Writes all n bytes to a blocking fd, across EINTR and short writes:
 * 0, or the write's negative errno (-EIO if it wrote nothing).
 */
static inline int loop_write(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t) k;
	}
	return 0;
}
