/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The escaping streams are fopencookie() streams over the original file
 * descriptors, so that every printf, fputs and perror in gunyahctl goes
 * through them without knowing. A lead byte 0xC2 is held back until the
 * next byte tells whether it starts a C1 control.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl-terminal.h"
#include "util/io-util.h"

struct guard {
	int fd;
	bool held_c2;		/* 0xC2 seen, its next byte not yet */
};

static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

static ssize_t guard_write(void *cookie, const char *buf, size_t size)
{
	struct guard *g = cookie;
	char out[1024];
	size_t n = 0;

	for (size_t i = 0; i < size; i++) {
		unsigned char c = (unsigned char) buf[i];

		if (n > sizeof(out) - 16) {
			if (loop_write(g->fd, out, n) < 0)
				return -1;
			n = 0;
		}
		if (g->held_c2) {
			g->held_c2 = false;
			if (c >= 0x80 && c <= 0x9f) {
				n += (size_t) snprintf(out + n, sizeof(out) - n, "\\u%04x", c);
				continue;
			}
			out[n++] = (char) 0xc2;
		}
		if (c == 0xc2)
			g->held_c2 = true;
		else if (is_control(c))
			n += (size_t) snprintf(out + n, sizeof(out) - n, "\\x%02x", c);
		else
			out[n++] = (char) c;
	}
	if (loop_write(g->fd, out, n) < 0)
		return -1;
	return (ssize_t) size;
}

static int guard_close(void *cookie)
{
	struct guard *g = cookie;
	int r = 0;

	if (g->held_c2)
		r = loop_write(g->fd, "\xc2", 1);
	free(g);
	return r < 0 ? -1 : 0;
}

FILE *ctl_terminal_escaping_stream(int fd, const char *mode)
{
	static const cookie_io_functions_t io = { .write = guard_write, .close = guard_close };
	struct guard *g = calloc(1, sizeof(*g));
	FILE *f;

	if (!g)
		return NULL;
	g->fd = fd;
	f = fopencookie(g, mode, io);
	if (!f)
		free(g);
	return f;
}

static FILE *plain_stdout, *plain_stderr;	/* set while guarded */

int ctl_terminal_guard(void)
{
	FILE *out = NULL, *err = NULL;

	if (isatty(STDOUT_FILENO)) {
		out = ctl_terminal_escaping_stream(STDOUT_FILENO, "w");
		if (!out)
			return -ENOMEM;
		setvbuf(out, NULL, _IOLBF, 0);
	}
	if (isatty(STDERR_FILENO)) {
		err = ctl_terminal_escaping_stream(STDERR_FILENO, "w");
		if (!err) {
			if (out)
				fclose(out);
			return -ENOMEM;
		}
		setvbuf(err, NULL, _IONBF, 0);
	}
	if (out) {
		plain_stdout = stdout;
		stdout = out;
	}
	if (err) {
		plain_stderr = stderr;
		stderr = err;
	}
	return 0;
}

int ctl_terminal_release(void)
{
	int r = 0;

	if (plain_stdout) {
		if (fclose(stdout) != 0)
			r = -EIO;
		stdout = plain_stdout;
		plain_stdout = NULL;
	}
	if (plain_stderr) {
		(void) fclose(stderr);
		stderr = plain_stderr;
		plain_stderr = NULL;
	}
	return r;
}

unsigned int ctl_terminal_columns(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws = {};
	unsigned long n;
	char *end;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (env && *env) {
		errno = 0;
		n = strtoul(env, &end, 10);
		if (errno == 0 && !*end && n > 0 && n <= 100000)
			return (unsigned int) n;
	}
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}
