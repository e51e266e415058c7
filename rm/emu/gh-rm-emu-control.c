// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gh-rm-emu: the control socket's server side. Clients send command lines;
 * each line runs through emu_ctl() and its reply is queued back to the
 * client, written as the socket takes it (docs/rm-emulator.md).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu.h"
#include "gh-rm-emu.h"

int app_control_listen(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *dir, *slash;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	/* a socket nobody answers on is stale; one that answers belongs to a live emulator */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	(void)unlink(path);
	/* a minimal initramfs may have no /run yet */
	dir = strdup(path);
	if (dir) {
		/* mkdir -p of every parent */
		for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			(void)mkdir(dir, 0755);
			*slash = '/';
		}
		free(dir);
	}

	*ret_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*ret_fd < 0)
		return -errno;
	if (bind(*ret_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(*ret_fd, 16) < 0)
		return -errno;
	return 0;
}

void app_client_close(struct app_client *cl)
{
	close(cl->fd);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

void app_control_accept(int listen_fd, struct app_client *clients)
{
	struct app_client *cl = NULL;
	int fd, i;

	for (;;) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (i = 0, cl = NULL; i < APP_MAX_CLIENTS && !cl; i++)
			if (clients[i].fd < 0)
				cl = &clients[i];
		if (!cl) {
			static const char busy[] = "ERR too many control clients\n";

			(void)!write(fd, busy, sizeof(busy) - 1);
			close(fd);
			continue;
		}
		cl->fd = fd;
	}
}

static void app_client_queue(struct app_client *cl, const char *text, size_t len)
{
	char *out;

	out = realloc(cl->out, cl->out_len + len);
	if (!out) {
		cl->closing = true;
		return;
	}
	memcpy(out + cl->out_len, text, len);
	cl->out = out;
	cl->out_len += len;
}

void app_client_write(struct app_client *cl)
{
	ssize_t n;

	while (cl->out_off < cl->out_len) {
		n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			app_client_close(cl);
			return;
		}
		cl->out_off += (size_t)n;
	}
	free(cl->out);
	cl->out = NULL;
	cl->out_len = 0;
	cl->out_off = 0;
	if (cl->closing)
		app_client_close(cl);
}

void app_client_read(struct emu *emu, struct app_client *cl)
{
	char *nl, *reply;
	size_t len;
	ssize_t n;

	for (;;) {
		n = recv(cl->fd, cl->in + cl->in_len, APP_LINE_MAX + 1 - cl->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* peer done: answer what is queued, then close */
			cl->closing = true;
			break;
		}
		cl->in_len += (size_t)n;
		cl->in[cl->in_len] = '\0';
		while ((nl = memchr(cl->in, '\n', cl->in_len))) {
			*nl = '\0';
			if (emu_ctl(emu, cl->in, &reply, &len) < 0) {
				static const char oom[] = "ERR out of memory\n";

				app_client_queue(cl, oom, sizeof(oom) - 1);
			} else {
				app_client_queue(cl, reply, len);
				free(reply);
			}
			len = (size_t)(nl + 1 - cl->in);
			memmove(cl->in, nl + 1, cl->in_len - len);
			cl->in_len -= len;
			cl->in[cl->in_len] = '\0';
		}
		if (cl->in_len > APP_LINE_MAX) {
			static const char toolong[] = "ERR line too long\n";

			app_client_queue(cl, toolong, sizeof(toolong) - 1);
			cl->closing = true;
			break;
		}
	}
	if (cl->fd >= 0)
		app_client_write(cl);
}
