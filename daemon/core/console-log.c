/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The console log file. A write to a local file does not wait on the
 * guest, and what one write takes is bounded by the console's read budget,
 * so the loop never stalls on a chatty guest; a failing disk costs the
 * file its output (counted, logged once), never the loop or the VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console-log.h"
#include "util/log.h"

struct console_log {
	char *name;		/* the VM's, for messages */
	char *path;		/* dir/name.log */
	char *path_old;		/* dir/name.log.1 */
	int fd;			/* -1 after a failure, until the next rotation */
	uint64_t size;		/* bytes in the current file */
	uint64_t max_size;
	uint64_t dropped;
	bool failed;		/* the failure was logged */
};

static int console_log_open_file(struct console_log *l, bool truncate)
{
	struct stat st;
	int fd;

	fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
		  (truncate ? O_TRUNC : 0), 0640);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = S_ISREG(st.st_mode) ? -errno : -EBADFD;

		close(fd);
		return r;
	}
	safe_close(l->fd);
	l->fd = fd;
	l->size = (uint64_t) st.st_size;
	return 0;
}

int console_log_open(const char *dir, const char *name, uint64_t max_size,
		     struct console_log **ret)
{
	_cleanup_(console_log_freep) struct console_log *l = NULL;
	int r;

	if (!dir || !name || max_size == 0)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = -1;
	l->max_size = max_size;
	l->name = strdup(name);
	if (!l->name || asprintf(&l->path, "%s/%s.log", dir, name) < 0) {
		l->path = NULL;
		return -ENOMEM;
	}
	if (asprintf(&l->path_old, "%s.1", l->path) < 0) {
		l->path_old = NULL;
		return -ENOMEM;
	}
	r = console_log_open_file(l, false);
	if (r < 0)
		return r;
	*ret = steal_ptr(l);
	return 0;
}

static void console_log_fail(struct console_log *l, int r, size_t n)
{
	l->dropped += n;
	if (l->failed)
		return;
	l->failed = true;
	log_errno(LOG_WARNING, r, "VM '%s': cannot write the console log '%s', leaving output "
		  "out of it: %m", l->name, l->path);
}

/* NAME.log -> NAME.log.1, and a new NAME.log. */
static int console_log_rotate(struct console_log *l)
{
	if (rename(l->path, l->path_old) < 0 && errno != ENOENT)
		return -errno;
	l->fd = safe_close(l->fd);
	return console_log_open_file(l, true);
}

void console_log_write(struct console_log *l, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		size_t room, k;
		ssize_t w;
		int r;

		r = 0;
		if (l->fd < 0)
			r = console_log_open_file(l, false);
		if (r >= 0 && l->size >= l->max_size)
			r = console_log_rotate(l);
		if (r < 0) {
			console_log_fail(l, r, n);
			return;
		}
		room = l->max_size - l->size;
		k = n < room ? n : room;
		w = write(l->fd, p, k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			console_log_fail(l, w < 0 ? -errno : -ENOSPC, n);
			/* Reopened at the next write: the disk may have room again. */
			l->fd = safe_close(l->fd);
			return;
		}
		l->size += (uint64_t) w;
		p += w;
		n -= (size_t) w;
	}
}

uint64_t console_log_dropped(const struct console_log *l)
{
	return l->dropped;
}

const char *console_log_path(const struct console_log *l)
{
	return l->path;
}

struct console_log *console_log_free(struct console_log *l)
{
	if (!l)
		return NULL;
	safe_close(l->fd);
	free(l->name);
	free(l->path);
	free(l->path_old);
	free(l);
	return NULL;
}
