/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * console: attach to a VM's console (VM1.OpenConsole; with -n its last lines
 * first, VM1.FollowConsole). On a terminal the terminal goes raw, so that
 * the guest gets every key, and Ctrl-] detaches; otherwise standard input
 * goes to the guest and its output to standard output until the console
 * ends (the VM exited or was destroyed).
 * logs: the console output gunyahd keeps (VM1.GetConsoleOutput), its last
 * -n lines, and with -f what follows (FollowConsole) until interrupted.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/io-util.h"

#include "ctl-bus.h"
#include "verbs.h"

#define CONSOLE_ESCAPE	0x1d	/* Ctrl-] */

/* The terminal as it was before raw mode; restored on every way out. */
static struct termios saved_termios;
static bool termios_saved;

static void console_restore_terminal(void)
{
	if (termios_saved) {
		(void) tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
		termios_saved = false;
	}
}

static int console_raw_terminal(void)
{
	static bool registered;
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return -errno;
	/* A crash or exit() anywhere still gives the terminal back. */
	if (!registered && atexit(console_restore_terminal) == 0)
		registered = true;
	raw = saved_termios;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0)
		return -errno;
	termios_saved = true;
	return 0;
}

/*
 * Guest output to standard output: raw on an interactive console (the
 * guest drives its own terminal); else through stdout, which escapes
 * control characters on a terminal, dropping the \r of \r\n.
 */
static int console_emit(bool raw, const char *p, size_t n)
{
	if (raw)
		return loop_write(STDOUT_FILENO, p, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] == '\n'))
			continue;
		if (putchar(p[i]) == EOF)
			return -EIO;
	}
	return fflush(stdout) == 0 ? 0 : -EIO;
}

/* Our own copy of the console socket in reply (the message owns its fd); reports failure. */
static int console_keep(struct ctl *ctl, sd_bus_message *reply, const char *method, int *ret_fd)
{
	int fd, r;

	r = sd_bus_message_read(reply, "h", &fd);
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "bad %s reply: %s", method, strerror(-r));
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, -errno, "cannot keep the console socket: %m");
	*ret_fd = fd;
	return 0;
}

/* VM1.OpenConsole: our own copy of the socket; reports failure. */
static int console_open(struct ctl *ctl, const char *path, int *ret_fd)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(ctl->bus, CTL_SERVICE, path, CTL_VM_IFACE, "OpenConsole", &error,
			       &reply, "");
	if (r < 0)
		return ctl_bus_fail(ctl, &error, r);
	return console_keep(ctl, reply, "OpenConsole", ret_fd);
}

static int console_signalfd(sigset_t *ret_old)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &mask, ret_old) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0) {
		int r = -errno;

		sigprocmask(SIG_SETMASK, ret_old, NULL);
		return r;
	}
	return fd;
}

enum console_end {
	CONSOLE_END_EOF,	/* the console ended: the VM exited or was destroyed */
	CONSOLE_END_DETACHED,	/* Ctrl-] */
	CONSOLE_END_SIGNAL,
	CONSOLE_END_TIMEOUT,
};

struct console_session {
	int sock;
	int sigfd;
	bool interactive;	/* raw terminal, Ctrl-] detaches */
	bool input;		/* standard input still goes to the guest */
	char pending[4096];	/* read from stdin, not yet taken by the socket */
	size_t n_pending;
	uint64_t deadline;	/* CLOCK_MONOTONIC µs, UINT64_MAX: none */
};

/* Standard input: into pending, up to Ctrl-] when interactive. 1: detach. */
static int console_read_input(struct console_session *s)
{
	ssize_t n = read(STDIN_FILENO, s->pending, sizeof(s->pending));
	char *esc;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		/* End of input: the guest keeps running, its output still comes. */
		s->input = false;
		(void) shutdown(s->sock, SHUT_WR);
		return 0;
	}
	s->n_pending = (size_t) n;
	if (s->interactive && (esc = memchr(s->pending, CONSOLE_ESCAPE, (size_t) n))) {
		s->n_pending = (size_t) (esc - s->pending);
		return 1;
	}
	return 0;
}

static int console_send_pending(struct console_session *s)
{
	ssize_t n = send(s->sock, s->pending, s->n_pending, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return -errno;
	memmove(s->pending, s->pending + n, s->n_pending - (size_t) n);
	s->n_pending -= (size_t) n;
	return 0;
}

static int console_poll_timeout(const struct console_session *s)
{
	uint64_t now = ctl_bus_now();

	if (s->deadline == UINT64_MAX)
		return -1;
	return s->deadline <= now ? 0 : (int) ((s->deadline - now + 999) / 1000);
}

/* Copies both ways until the console ends, a detach, a signal or the deadline. */
static int console_pump(struct console_session *s, enum console_end *ret_end)
{
	char buf[8192];

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = s->sock, .events = POLLIN | (s->n_pending ? POLLOUT : 0) },
			{ .fd = s->sigfd, .events = POLLIN },
			{ .fd = s->input && !s->n_pending ? STDIN_FILENO : -1, .events = POLLIN },
		};
		int r = poll(p, 3, console_poll_timeout(s));
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {
			*ret_end = CONSOLE_END_TIMEOUT;
			return 0;
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;

			/* Taken, or it would strike once the mask is restored. */
			(void) !read(s->sigfd, &si, sizeof(si));
			*ret_end = CONSOLE_END_SIGNAL;
			return 0;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(s->sock, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				*ret_end = CONSOLE_END_EOF;
				return 0;
			}
			if (n > 0 && console_emit(s->interactive, buf, (size_t) n) < 0)
				return -EIO;
		}
		if (s->n_pending && (p[0].revents & POLLOUT)) {
			r = console_send_pending(s);
			if (r < 0) {
				*ret_end = CONSOLE_END_EOF;
				return 0;
			}
		}
		if (p[2].revents) {
			r = console_read_input(s);
			if (s->n_pending)
				(void) console_send_pending(s);
			if (r > 0) {
				*ret_end = CONSOLE_END_DETACHED;
				return 0;
			}
		}
	}
}

static const char *console_end_text(enum console_end end)
{
	switch (end) {
	case CONSOLE_END_EOF:
		return "The console ended";
	case CONSOLE_END_DETACHED:
		return "Detached";
	case CONSOLE_END_SIGNAL:
		return "Interrupted";
	case CONSOLE_END_TIMEOUT:
		return "Timed out";
	}
	return "";
}

static int console_session_run(struct ctl *ctl, const char *name, struct console_session *s)
{
	enum console_end end = CONSOLE_END_EOF;
	sigset_t old;
	int r;

	s->sigfd = console_signalfd(&old);
	if (s->sigfd < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, s->sigfd, "cannot watch for signals: %s",
				strerror(-s->sigfd));
	if (s->interactive) {
		fprintf(stderr, "Connected to the console of VM '%s'; Ctrl-] detaches.\n", name);
		r = console_raw_terminal();
		if (r < 0) {
			safe_close(s->sigfd);
			sigprocmask(SIG_SETMASK, &old, NULL);
			return ctl_fail(ctl, CTL_EXIT_FAILED, r, "cannot set up the terminal: %s",
					strerror(-r));
		}
	}
	r = console_pump(s, &end);
	console_restore_terminal();
	safe_close(s->sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "console of VM '%s': %s", name,
				strerror(-r));
	if (s->interactive)
		fprintf(stderr, "\n%s.\n", console_end_text(end));
	return 0;
}

/* Where the last `lines` lines of p[0..n) start (a final newline ends the last one). */
static size_t logs_last_lines(const char *p, size_t n, uint64_t lines)
{
	uint64_t found = 0;
	size_t start = n;

	if (lines == 0)
		return n;
	while (start > 0) {
		if (p[start - 1] == '\n' && start != n && ++found == lines)
			break;
		start--;
	}
	return start;
}

/*
 * The output kept (GetConsoleOutput), or with -f the same and a console
 * socket that goes on exactly where it ends (FollowConsole): its last
 * -n lines printed, the socket in *ret_fd.
 */
static int logs_tail(struct ctl *ctl, const char *path, int *ret_fd)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *method = ret_fd ? "FollowConsole" : "GetConsoleOutput";
	const void *data;
	size_t size, start;
	int r;

	r = sd_bus_call_method(ctl->bus, CTL_SERVICE, path, CTL_VM_IFACE, method, &error, &reply,
			       "t", (uint64_t) 0);
	if (r < 0)
		return ctl_bus_fail(ctl, &error, r);
	r = sd_bus_message_read_array(reply, 'y', &data, &size);
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "bad %s reply: %s", method, strerror(-r));
	if (ret_fd) {
		r = console_keep(ctl, reply, method, ret_fd);
		if (r < 0)
			return r;
	}
	start = ctl->lines_set ? logs_last_lines(data, size, ctl->lines) : 0;
	if (console_emit(false, (const char *) data + start, size - start) < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, -EIO, "cannot write to standard output");
	return 0;
}

int verb_console(struct ctl *ctl, char **args)
{
	_cleanup_free_ char *path = NULL;
	struct console_session s = {
		.sock = -1, .input = true,
		.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO),
	};
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = ctl_bus_vm_path(ctl, args[0], &path);
	if (r < 0)
		return r;
	/* With -n, where the guest is first: the last lines, and the console right after them. */
	r = ctl->lines_set ? logs_tail(ctl, path, &s.sock) : console_open(ctl, path, &s.sock);
	if (r < 0)
		return r;
	s.deadline = ctl_bus_deadline(ctl);
	r = console_session_run(ctl, args[0], &s);
	safe_close(s.sock);
	return r;
}

int verb_logs(struct ctl *ctl, char **args)
{
	_cleanup_free_ char *path = NULL;
	struct console_session s = { .sock = -1, .deadline = UINT64_MAX };
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = ctl_bus_vm_path(ctl, args[0], &path);
	if (r < 0)
		return r;
	r = logs_tail(ctl, path, ctl->follow ? &s.sock : NULL);
	if (r >= 0 && ctl->follow) {
		(void) shutdown(s.sock, SHUT_WR);
		r = console_session_run(ctl, args[0], &s);
	}
	safe_close(s.sock);
	return r;
}
