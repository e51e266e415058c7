// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gh-rm-emu ctl [--control PATH] COMMAND [ARGS...]: sends one control
 * command line to a running gh-rm-emu, prints the reply lines but the
 * status line, and exits 0 on OK, 1 on ERR, 2 when it cannot ask
 * (docs/rm-emulator.md).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "gh-rm-emu.h"

#define APP_CTL_TIMEOUT_S	30
#define APP_CTL_GO_ON		-1	/* app_ctl_line(): not the status line */

struct app_ctl_settings {
	const char *control;
};

static const struct app_option app_ctl_options[] = {
	{ "control", 'c', true, app_parse_string, offsetof(struct app_ctl_settings, control) },
	{ "help", 'h', false, app_parse_help, 0 },
};

/* The words after the options, space-separated, newline-terminated */
static char *app_ctl_join(int argc, char **argv)
{
	size_t len = 0;
	char *line;
	int i;

	for (i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	line = malloc(len + 1);
	if (!line)
		return NULL;
	line[0] = '\0';
	for (i = optind; i < argc; i++) {
		strcat(line, argv[i]);
		strcat(line, i + 1 < argc ? " " : "\n");
	}
	return line;
}

/* A connected socket, or -1 after saying why */
static int app_ctl_connect(const char *control)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = APP_CTL_TIMEOUT_S };
	int fd;

	if (strlen(control) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "gh-rm-emu ctl: control path too long\n");
		return -1;
	}
	strcpy(sa.sun_path, control);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "gh-rm-emu ctl: cannot connect to %s: %s\n", control,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* One reply line: the exit status after the status line, else APP_CTL_GO_ON */
static int app_ctl_line(const char *p)
{
	if (!strcmp(p, "OK"))
		return 0;
	if (!strncmp(p, "ERR", 3) && (p[3] == ' ' || !p[3])) {
		fprintf(stderr, "gh-rm-emu ctl: %s\n", p[3] ? p + 4 : "error");
		return 1;
	}
	printf("%s\n", p);
	return APP_CTL_GO_ON;
}

/* Reply lines until the status line: its exit status, or 2 */
static int app_ctl_read_reply(int fd, const char *control)
{
	char buf[4096], *acc = NULL, *p, *nl;
	size_t acc_len = 0;
	int status = APP_CTL_GO_ON;
	ssize_t n;

	while (status == APP_CTL_GO_ON) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "gh-rm-emu ctl: %s: %s\n", control,
				n < 0 ? strerror(errno) : "closed before the status line");
			status = 2;
			break;
		}
		p = realloc(acc, acc_len + (size_t)n + 1);
		if (!p) {
			status = 2;
			break;
		}
		acc = p;
		memcpy(acc + acc_len, buf, (size_t)n);
		acc_len += (size_t)n;
		acc[acc_len] = '\0';
		for (p = acc; status == APP_CTL_GO_ON && (nl = strchr(p, '\n')); p = nl + 1) {
			*nl = '\0';
			status = app_ctl_line(p);
		}
		acc_len = strlen(p);
		memmove(acc, p, acc_len + 1);
	}
	free(acc);
	return status;
}

int app_ctl_main(int argc, char **argv)
{
	struct app_ctl_settings s = { .control = APP_DEFAULT_CONTROL };
	char *line;
	int fd, r, status = 2;

	r = app_parse_argv(app_ctl_options, ARRAY_SIZE(app_ctl_options), true, &s, argc, argv);
	if (r <= 0)
		return r < 0 ? 2 : 0;
	if (optind >= argc) {
		app_usage(stderr);
		return 2;
	}
	line = app_ctl_join(argc, argv);
	if (!line)
		return 2;
	fd = app_ctl_connect(s.control);
	if (fd < 0) {
		free(line);
		return 2;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
		fprintf(stderr, "gh-rm-emu ctl: %s: %s\n", s.control, strerror(errno));
	else
		status = app_ctl_read_reply(fd, s.control);
	fflush(stdout);
	free(line);
	close(fd);
	return status;
}
