// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gh-rm-emu: a userspace Gunyah Resource Manager serving gunyah.ko's
 * loopback transport (/dev/gunyah-rm) with the emulator library (emu.h).
 * This file is the device side, the poll loop and main(); the control
 * socket is gh-rm-emu-control.c, and `gh-rm-emu ctl`, its client,
 * gh-rm-emu-ctl.c.
 *
 *   gh-rm-emu [--device PATH] [--control PATH] [--foreground] [--log FILE]
 *             [--ready-file FILE] [--skip-dtb] [--max-cores N]
 *             [--phys-file FILE[@BASE]]
 *   gh-rm-emu ctl [--control PATH] COMMAND [ARGS...]
 *
 * One poll loop: the device (or, for tests, a SOCK_SEQPACKET socket that
 * --device names, which keeps packet boundaries as the device does), the
 * control socket and its clients, signals, and the emulator's timers.
 * Dependencies: libc and libfdt only, so that it links statically for a
 * minimal initramfs:
 *   cc -static rm/emu/emu*.c rm/emu/gh-rm-emu*.c rm/wire/wire.c -Iinclude -lfdt
 * docs/rm-emulator.md is the manual.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <uapi/linux/gunyah_rm_loopback.h>

#include "emu.h"
#include "gh-rm-emu.h"

#define APP_VERSION		"0.1.0"
#define APP_TXQ_MIN		64	/* packets; the ring grows by doubling... */
#define APP_TXQ_MAX		131072	/* ...up to this, queued while the device is full */
#define APP_PKT_MAX		256	/* bytes: 240, and room for the malformed long one */
#define APP_RX_BUF		4096	/* one read; the device wants at least 240 */
#define APP_READ_CHUNK		(1U << 20)	/* GH_RM_LOOPBACK_READ_PARCEL limit */

#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif

struct app_pkt {
	u16 len;
	u8 data[APP_PKT_MAX];
};

struct app {
	struct emu *emu;
	const char *device;
	const char *control;
	const char *ready_file;
	FILE *log;
	u64 t0;

	int dev_fd;
	bool dev_socket;
	struct app_pkt *txq;	/* ring of tx_cap packets */
	size_t tx_cap, tx_head, tx_len;
	u64 tx_overflow, tx_refused;

	int listen_fd;
	int signal_fd;
	struct app_client clients[APP_MAX_CLIENTS];

	int phys_fd;		/* --phys-file, for tests: phys_base maps to offset 0 */
	u64 phys_base;
	bool stop;
	int exit_code;
};

static u64 app_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static void __printf(2, 3) app_log(struct app *app, const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	if (!app->log)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(app->log, "[%8llu.%03ld] ", (unsigned long long)(ts.tv_sec - (time_t)app->t0),
		ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(app->log, fmt, ap);
	va_end(ap);
	fputc('\n', app->log);
	fflush(app->log);
}

/* Errors go to the log and, while there is a terminal, to stderr */
static void __printf(2, 3) app_err(struct app *app, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "gh-rm-emu: %s\n", line);
	app_log(app, "error: %s", line);
}

/* ---------------------------------------------------------------------------
 * Device transmit queue
 */
static void app_tx_flush(struct app *app)
{
	struct app_pkt *p;
	ssize_t n;

	while (app->tx_len) {
		p = &app->txq[app->tx_head];
		n = write(app->dev_fd, p->data, p->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 && errno == EINVAL) {
			/* the device refuses packets outside 8..240 bytes */
			app->tx_refused++;
			app_log(app, "device refused a %u-byte packet: %s", p->len,
				strerror(errno));
		} else if (n < 0) {
			app_err(app, "writing to %s: %s", app->device, strerror(errno));
			app->stop = true;
			app->exit_code = 1;
			return;
		} else if ((size_t)n != p->len) {
			app_log(app, "short write to the device: %zd of %u bytes", n, p->len);
		}
		app->tx_head = (app->tx_head + 1) % app->tx_cap;
		app->tx_len--;
	}
}

/* Double the ring, unwrapping it; false when at the limit or out of memory */
static bool app_tx_grow(struct app *app)
{
	struct app_pkt *q;
	size_t cap, i;

	if (app->tx_cap >= APP_TXQ_MAX)
		return false;
	cap = app->tx_cap ? app->tx_cap * 2 : APP_TXQ_MIN;
	q = malloc(cap * sizeof(*q));
	if (!q)
		return false;
	for (i = 0; i < app->tx_len; i++)
		q[i] = app->txq[(app->tx_head + i) % app->tx_cap];
	free(app->txq);
	app->txq = q;
	app->tx_cap = cap;
	app->tx_head = 0;
	return true;
}

static void app_send(void *opaque, const void *pkt, size_t len)
{
	struct app *app = opaque;
	struct app_pkt *p;

	if (len > APP_PKT_MAX || (app->tx_len == app->tx_cap && !app_tx_grow(app))) {
		app->tx_overflow++;
		app_log(app, "transmit queue full: packet dropped");
		return;
	}
	p = &app->txq[(app->tx_head + app->tx_len) % app->tx_cap];
	memcpy(p->data, pkt, len);
	p->len = (u16)len;
	app->tx_len++;
	app_tx_flush(app);
}

static void app_trace(void *opaque, const char *line)
{
	app_log(opaque, "%s", line);
}

static int app_read_phys(void *opaque, u64 phys, void *buf, size_t len)
{
	struct app *app = opaque;
	struct gh_rm_loopback_read rd;
	size_t chunk;
	ssize_t n;

	if (app->phys_fd >= 0) {
		if (phys < app->phys_base)
			return -EFAULT;
		n = pread(app->phys_fd, buf, len, (off_t)(phys - app->phys_base));
		if (n < 0)
			return -errno;
		return (size_t)n == len ? 0 : -EFAULT;
	}
	if (app->dev_socket)
		return -ENOTTY;
	while (len) {
		chunk = len < APP_READ_CHUNK ? len : APP_READ_CHUNK;
		rd.phys_addr = phys;
		rd.size = chunk;
		rd.buf = (u64)(uintptr_t)buf;
		if (ioctl(app->dev_fd, GH_RM_LOOPBACK_READ_PARCEL, &rd) < 0) {
			app_log(app, "GH_RM_LOOPBACK_READ_PARCEL 0x%llx+%zu: %s",
				(unsigned long long)phys, chunk, strerror(errno));
			return -errno;
		}
		phys += chunk;
		buf = (u8 *)buf + chunk;
		len -= chunk;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * Device receive
 */
static void app_dev_read(struct app *app)
{
	u8 buf[APP_RX_BUF];
	ssize_t n;

	for (;;) {
		n = read(app->dev_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			app_err(app, "reading %s: %s", app->device, strerror(errno));
			app->stop = true;
			app->exit_code = 1;
			return;
		}
		if (n == 0) {
			app_log(app, "%s: end of file, exiting", app->device);
			app->stop = true;
			return;
		}
		(void)emu_receive(app->emu, buf, (size_t)n);
	}
}

static int app_open_device(struct app *app)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (stat(app->device, &st) == 0 && S_ISSOCK(st.st_mode)) {
		/* tests: a SOCK_SEQPACKET socket standing in for the device */
		if (strlen(app->device) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		strcpy(sa.sun_path, app->device);
		app->dev_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (app->dev_fd < 0)
			return -errno;
		if (connect(app->dev_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -errno;
		app->dev_socket = true;
		return 0;
	}
	app->dev_fd = open(app->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return app->dev_fd < 0 ? -errno : 0;
}

/* ---------------------------------------------------------------------------
 * Main loop
 */
/* The fds to poll: device, control socket, signals, then the clients (@ci: their slots) */
static int app_poll_set(struct app *app, struct pollfd *pfd, int *ci)
{
	int n = 0, i;

	pfd[n++] = (struct pollfd){ .fd = app->dev_fd,
				   .events = POLLIN | (app->tx_len ? POLLOUT : 0) };
	pfd[n++] = (struct pollfd){ .fd = app->listen_fd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = app->signal_fd, .events = POLLIN };
	for (i = 0; i < APP_MAX_CLIENTS; i++) {
		if (app->clients[i].fd < 0)
			continue;
		ci[n - 3] = i;
		pfd[n++] = (struct pollfd){
			.fd = app->clients[i].fd,
			.events = POLLIN | (app->clients[i].out_len ? POLLOUT : 0),
		};
	}
	return n;
}

/* Until the emulator's next deadline, at most a minute; -1 without one */
static int app_poll_timeout(const struct app *app)
{
	u64 deadline, now;

	if (!emu_next_deadline(app->emu, &deadline))
		return -1;
	now = app_now_ms();
	return deadline <= now ? 0 : deadline - now > 60000 ? 60000 : (int)(deadline - now);
}

static void app_serve_clients(struct app *app, const struct pollfd *pfd, const int *ci, int n)
{
	int i;

	for (i = 3; i < n; i++) {
		struct app_client *cl = &app->clients[ci[i - 3]];

		if (cl->fd < 0)
			continue;
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
			app_client_read(app->emu, cl);
		else if (pfd[i].revents & POLLOUT)
			app_client_write(cl);
		if (cl->fd >= 0 && cl->closing && !cl->out_len)
			app_client_close(cl);
	}
}

static void app_loop(struct app *app)
{
	struct pollfd pfd[3 + APP_MAX_CLIENTS];
	struct signalfd_siginfo si;
	int n, ci[APP_MAX_CLIENTS];

	while (!app->stop) {
		n = app_poll_set(app, pfd, ci);
		if (poll(pfd, (nfds_t)n, app_poll_timeout(app)) < 0) {
			if (errno == EINTR)
				continue;
			app_err(app, "poll: %s", strerror(errno));
			app->exit_code = 1;
			return;
		}
		if (app->tx_len)
			app_tx_flush(app);
		emu_set_tx_backlog(app->emu, (unsigned int)app->tx_len);
		emu_tick(app->emu, app_now_ms());

		if (pfd[2].revents & POLLIN) {
			if (read(app->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				app_log(app, "signal %u: exiting", si.ssi_signo);
			app->stop = true;
		}
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL) &&
		    !(pfd[0].revents & POLLIN)) {
			app_log(app, "%s: hang-up, exiting", app->device);
			app->stop = true;
		}
		if (pfd[0].revents & POLLIN)
			app_dev_read(app);
		if (app->tx_len)
			app_tx_flush(app);
		if (pfd[1].revents & POLLIN)
			app_control_accept(app->listen_fd, app->clients);
		app_serve_clients(app, pfd, ci, n);
	}
}

static int app_write_ready(struct app *app)
{
	FILE *f;

	if (!app->ready_file)
		return 0;
	f = fopen(app->ready_file, "we");
	if (!f)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f))
		return -errno;
	return 0;
}

void app_usage(FILE *f)
{
	fprintf(f,
		"usage: gh-rm-emu [--device PATH] [--control PATH] [--foreground]\n"
		"                 [--log FILE] [--ready-file FILE] [--skip-dtb]\n"
		"                 [--max-cores N] [--phys-file FILE[@BASE]]\n"
		"       gh-rm-emu ctl [--control PATH] COMMAND [ARGS...]\n"
		"\n"
		"  --device PATH      loopback RM device, or a SOCK_SEQPACKET socket (tests)\n"
		"                     (default " APP_DEFAULT_DEVICE ")\n"
		"  --control PATH     control socket (default " APP_DEFAULT_CONTROL ")\n"
		"  --foreground       do not detach\n"
		"  --log FILE         human log of every packet and RPC\n"
		"  --ready-file FILE  written (with the pid) once serving\n"
		"  --skip-dtb         VM_INIT accepts without reading the devicetree\n"
		"  --max-cores N      physical cores of the simulated platform (default 8)\n"
		"  --phys-file F[@B]  tests: read guest memory from F, host physical\n"
		"                     address B (default 0) being offset 0\n"
		"See docs/rm-emulator.md.\n");
}

/* ---------------------------------------------------------------------------
 * Command line
 */
struct app_phys {
	const char *path;	/* --phys-file FILE[@BASE] */
	u64 base;
};

struct app_settings {
	const char *device, *control, *log_path, *ready_file;
	bool foreground, skip_dtb;
	unsigned long cores;	/* 0: the emulator's default */
	struct app_phys phys;
};

static int app_parse_cores(char *arg, void *field)
{
	unsigned long *cores = field;
	char *end;

	*cores = strtoul(arg, &end, 0);
	if (*end || *cores < 1 || *cores > 64) {
		fprintf(stderr, "gh-rm-emu: --max-cores is 1..64\n");
		return -EINVAL;
	}
	return 1;
}

static int app_parse_phys(char *arg, void *field)
{
	struct app_phys *phys = field;
	char *at = strrchr(arg, '@'), *end;

	phys->path = arg;
	phys->base = 0;
	if (!at)
		return 1;
	*at = '\0';
	phys->base = strtoull(at + 1, &end, 0);
	if (*end) {
		fprintf(stderr, "gh-rm-emu: bad --phys-file base '%s'\n", at + 1);
		return -EINVAL;
	}
	return 1;
}

static int app_parse_version(char *arg, void *field)
{
	(void)arg;
	(void)field;
	printf("gh-rm-emu " APP_VERSION "\n");
	return 0;
}

#define APP_FIELD(f)	offsetof(struct app_settings, f)

static const struct app_option app_options[] = {
	{ "device",	'd', true,  app_parse_string,	APP_FIELD(device) },
	{ "control",	'c', true,  app_parse_string,	APP_FIELD(control) },
	{ "foreground",	'f', false, app_parse_flag,	APP_FIELD(foreground) },
	{ "log",	'l', true,  app_parse_string,	APP_FIELD(log_path) },
	{ "ready-file",	'r', true,  app_parse_string,	APP_FIELD(ready_file) },
	{ "skip-dtb",	's', false, app_parse_flag,	APP_FIELD(skip_dtb) },
	{ "max-cores",	'm', true,  app_parse_cores,	APP_FIELD(cores) },
	{ "phys-file",	'p', true,  app_parse_phys,	APP_FIELD(phys) },
	{ "help",	'h', false, app_parse_help,	0 },
	{ "version",	'V', false, app_parse_version,	0 },
};

/* The first argument names a command other than serving */
static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} app_commands[] = {
	{ "ctl", app_ctl_main },
};

/* ---------------------------------------------------------------------------
 * Setup and run
 */
static int app_open_log(struct app *app, const char *path)
{
	if (!path)
		return 0;
	app->log = fopen(path, "ae");
	if (!app->log) {
		fprintf(stderr, "gh-rm-emu: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int app_open_phys(struct app *app, const struct app_phys *phys)
{
	if (!phys->path)
		return 0;
	app->phys_base = phys->base;
	app->phys_fd = open(phys->path, O_RDONLY | O_CLOEXEC);
	if (app->phys_fd < 0) {
		app_err(app, "%s: %s", phys->path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int app_new_emu(struct app *app, const struct app_settings *s)
{
	const struct emu_ops ops = {
		.send = app_send, .read_phys = app_read_phys, .trace = app_trace, .opaque = app,
	};

	if (!app_tx_grow(app) || emu_new(&ops, &app->emu) < 0) {
		app_err(app, "out of memory");
		return -ENOMEM;
	}
	emu_set_skip_dtb(app->emu, s->skip_dtb);
	if (s->cores)
		emu_set_max_cores(app->emu, (unsigned int)s->cores);
	return 0;
}

/* SIGINT, SIGTERM and SIGHUP through a signalfd; SIGPIPE ignored */
static int app_open_signals(struct app *app)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	app->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (app->signal_fd < 0) {
		app_err(app, "signalfd: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Everything serving needs, errors reported; the caller exits 1 on failure */
static int app_setup(struct app *app, const struct app_settings *s)
{
	int i, r;

	*app = (struct app){
		.device = s->device, .control = s->control, .ready_file = s->ready_file,
		.dev_fd = -1, .listen_fd = -1, .signal_fd = -1, .phys_fd = -1,
	};
	for (i = 0; i < APP_MAX_CLIENTS; i++)
		app->clients[i].fd = -1;
	app->t0 = app_now_ms() / 1000;

	r = app_open_log(app, s->log_path);
	if (r >= 0)
		r = app_open_phys(app, &s->phys);
	if (r >= 0)
		r = app_new_emu(app, s);
	if (r < 0)
		return r;
	r = app_open_device(app);
	if (r < 0) {
		app_err(app, "cannot open %s: %s", app->device, strerror(-r));
		return r;
	}
	r = app_control_listen(app->control, &app->listen_fd);
	if (r < 0) {
		app_err(app, "cannot listen on %s: %s", app->control,
			r == -EADDRINUSE ? "another gh-rm-emu answers there" : strerror(-r));
		return r;
	}
	return app_open_signals(app);
}

static void app_stdio_to_null(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * Detach. The parent exits only once the child serves: 0 when the child
 * writes to *ret_ready (app_run), 1 when it closes it first.
 */
static int app_detach(struct app *app, int *ret_ready)
{
	int ready_pipe[2];
	ssize_t n;
	pid_t pid;
	char byte;

	if (pipe2(ready_pipe, O_CLOEXEC) < 0) {
		app_err(app, "pipe: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		app_err(app, "fork: %s", strerror(errno));
		return -errno;
	}
	if (pid > 0) {
		close(ready_pipe[1]);
		do
			n = read(ready_pipe[0], &byte, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	close(ready_pipe[0]);
	(void)setsid();
	app_stdio_to_null();
	*ret_ready = ready_pipe[1];
	return 0;
}

static void app_teardown(struct app *app)
{
	int i;

	unlink(app->control);
	if (app->ready_file)
		unlink(app->ready_file);
	for (i = 0; i < APP_MAX_CLIENTS; i++)
		if (app->clients[i].fd >= 0)
			app_client_close(&app->clients[i]);
	app_log(app, "exiting (%llu packets refused by the device, %llu lost to a full queue)",
		(unsigned long long)app->tx_refused, (unsigned long long)app->tx_overflow);
	emu_free(app->emu);
	free(app->txq);
	close(app->dev_fd);
	close(app->listen_fd);
	close(app->signal_fd);
	if (app->phys_fd >= 0)
		close(app->phys_fd);
	if (app->log)
		fclose(app->log);
}

/* Serve until a signal, end of file or a device error; the exit status */
static int app_run(struct app *app, int ready_fd)
{
	int r;

	r = app_write_ready(app);
	if (r < 0) {
		app_err(app, "%s: %s", app->ready_file, strerror(-r));
		unlink(app->control);
		return 1;
	}
	app_log(app, "gh-rm-emu %s serving %s%s, control %s", APP_VERSION, app->device,
		app->dev_socket ? " (socket)" : "", app->control);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "1", 1);
		close(ready_fd);
	}
	app_loop(app);
	app_teardown(app);
	return app->exit_code;
}

int main(int argc, char **argv)
{
	struct app_settings s = { .device = APP_DEFAULT_DEVICE, .control = APP_DEFAULT_CONTROL };
	int ready_fd = -1, r;
	struct app app;
	size_t i;

	for (i = 0; argc > 1 && i < ARRAY_SIZE(app_commands); i++)
		if (!strcmp(argv[1], app_commands[i].name))
			return app_commands[i].main(argc - 1, argv + 1);

	r = app_parse_argv(app_options, ARRAY_SIZE(app_options), false, &s, argc, argv);
	if (r <= 0)
		return r < 0 ? 2 : 0;
	if (optind < argc) {
		app_usage(stderr);
		return 2;
	}
	if (app_setup(&app, &s) < 0)
		return 1;
	if (!s.foreground && app_detach(&app, &ready_fd) < 0)
		return 1;
	return app_run(&app, ready_fd);
}
