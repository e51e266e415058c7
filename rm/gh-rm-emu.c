// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gh-rm-emu: a userspace Gunyah Resource Manager serving gunyah.ko's
 * loopback transport (/dev/gunyah-rm), plus its control client.
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
 *   cc -static rm/gh-rm-emu.c rm/emu*.c rm/wire.c -Iinclude -lfdt
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

#define APP_VERSION		"0.1.0"
#define APP_DEFAULT_DEVICE	"/dev/gunyah-rm"
#define APP_DEFAULT_CONTROL	"/run/gh-rm-emu.sock"
#define APP_MAX_CLIENTS		32
#define APP_LINE_MAX		4096
#define APP_TXQ_MIN		64	/* packets; the ring grows by doubling... */
#define APP_TXQ_MAX		131072	/* ...up to this, queued while the device is full */
#define APP_PKT_MAX		256	/* bytes: 240, and room for the malformed long one */
#define APP_RX_BUF		4096	/* one read; the device wants at least 240 */
#define APP_READ_CHUNK		(1U << 20)	/* GH_RM_LOOPBACK_READ_PARCEL limit */
#define APP_CTL_TIMEOUT_S	30

#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif

struct app_pkt {
	u16 len;
	u8 data[APP_PKT_MAX];
};

struct app_client {
	int fd;
	char in[APP_LINE_MAX + 2];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool closing;		/* close once the output is written */
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
 * Control socket
 */
static int app_listen(struct app *app)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *dir, *slash;
	int fd;

	if (strlen(app->control) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, app->control);

	/* a socket nobody answers on is stale; one that answers belongs to a live emulator */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	(void)unlink(app->control);
	/* a minimal initramfs may have no /run yet */
	dir = strdup(app->control);
	if (dir) {
		/* mkdir -p of every parent */
		for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			(void)mkdir(dir, 0755);
			*slash = '/';
		}
		free(dir);
	}

	app->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (app->listen_fd < 0)
		return -errno;
	if (bind(app->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(app->listen_fd, 16) < 0)
		return -errno;
	return 0;
}

static void app_client_close(struct app_client *cl)
{
	close(cl->fd);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

static void app_accept(struct app *app)
{
	struct app_client *cl = NULL;
	int fd, i;

	for (;;) {
		fd = accept4(app->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (i = 0, cl = NULL; i < APP_MAX_CLIENTS && !cl; i++)
			if (app->clients[i].fd < 0)
				cl = &app->clients[i];
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

static void app_client_write(struct app_client *cl)
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

static void app_client_read(struct app *app, struct app_client *cl)
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
			if (emu_ctl(app->emu, cl->in, &reply, &len) < 0) {
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

/* ---------------------------------------------------------------------------
 * Main loop
 */
static void app_loop(struct app *app)
{
	struct pollfd pfd[3 + APP_MAX_CLIENTS];
	struct signalfd_siginfo si;
	int n, i, timeout, ci[APP_MAX_CLIENTS];
	u64 deadline, now;

	while (!app->stop) {
		n = 0;
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
		timeout = -1;
		if (emu_next_deadline(app->emu, &deadline)) {
			now = app_now_ms();
			timeout = deadline <= now ? 0 :
				  deadline - now > 60000 ? 60000 : (int)(deadline - now);
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			app_err(app, "poll: %s", strerror(errno));
			app->exit_code = 1;
			return;
		}
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
			app_accept(app);
		for (i = 3; i < n; i++) {
			struct app_client *cl = &app->clients[ci[i - 3]];

			if (cl->fd < 0)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				app_client_read(app, cl);
			else if (pfd[i].revents & POLLOUT)
				app_client_write(cl);
			if (cl->fd >= 0 && cl->closing && !cl->out_len)
				app_client_close(cl);
		}
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

static void app_usage(FILE *f)
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

static int app_ctl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *control = APP_DEFAULT_CONTROL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = APP_CTL_TIMEOUT_S };
	char *line = NULL, buf[4096], *acc = NULL, *p, *nl;
	size_t len = 0, acc_len = 0;
	ssize_t n;
	int c, fd, i, status = 2;

	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			control = optarg;
			break;
		case 'h':
			app_usage(stdout);
			return 0;
		default:
			app_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		app_usage(stderr);
		return 2;
	}
	for (i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	line = malloc(len + 1);
	if (!line)
		return 2;
	line[0] = '\0';
	for (i = optind; i < argc; i++) {
		strcat(line, argv[i]);
		strcat(line, i + 1 < argc ? " " : "\n");
	}

	if (strlen(control) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "gh-rm-emu ctl: control path too long\n");
		free(line);
		return 2;
	}
	strcpy(sa.sun_path, control);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "gh-rm-emu ctl: cannot connect to %s: %s\n", control,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		free(line);
		return 2;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "gh-rm-emu ctl: %s: %s\n", control, strerror(errno));
		goto out;
	}
	free(line);
	line = NULL;

	/* reply lines until the status line */
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "gh-rm-emu ctl: %s: %s\n", control,
				n < 0 ? strerror(errno) : "closed before the status line");
			goto out;
		}
		p = realloc(acc, acc_len + (size_t)n + 1);
		if (!p)
			goto out;
		acc = p;
		memcpy(acc + acc_len, buf, (size_t)n);
		acc_len += (size_t)n;
		acc[acc_len] = '\0';
		for (p = acc; (nl = strchr(p, '\n')); p = nl + 1) {
			*nl = '\0';
			if (!strcmp(p, "OK")) {
				status = 0;
				goto out;
			}
			if (!strncmp(p, "ERR", 3) && (p[3] == ' ' || !p[3])) {
				fprintf(stderr, "gh-rm-emu ctl: %s\n", p[3] ? p + 4 : "error");
				status = 1;
				goto out;
			}
			printf("%s\n", p);
		}
		acc_len = strlen(p);
		memmove(acc, p, acc_len + 1);
	}
out:
	fflush(stdout);
	free(line);
	free(acc);
	close(fd);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "control", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log", required_argument, NULL, 'l' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "skip-dtb", no_argument, NULL, 's' },
		{ "max-cores", required_argument, NULL, 'm' },
		{ "phys-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct app app = {
		.device = APP_DEFAULT_DEVICE,
		.control = APP_DEFAULT_CONTROL,
		.dev_fd = -1, .listen_fd = -1, .signal_fd = -1, .phys_fd = -1,
	};
	struct emu_ops ops = {
		.send = app_send, .read_phys = app_read_phys, .trace = app_trace, .opaque = &app,
	};
	int ready_pipe[2] = { -1, -1 };
	bool foreground = false, skip_dtb = false;
	const char *log_path = NULL, *phys = NULL;
	unsigned long cores = 0;
	sigset_t mask;
	char *at, *end;
	int c, r, i;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return app_ctl_main(argc - 1, argv + 1);

	while ((c = getopt_long(argc, argv, "d:c:fl:r:sm:p:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			app.device = optarg;
			break;
		case 'c':
			app.control = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'r':
			app.ready_file = optarg;
			break;
		case 's':
			skip_dtb = true;
			break;
		case 'm':
			cores = strtoul(optarg, &end, 0);
			if (*end || cores < 1 || cores > 64) {
				fprintf(stderr, "gh-rm-emu: --max-cores is 1..64\n");
				return 2;
			}
			break;
		case 'p':
			phys = optarg;
			break;
		case 'h':
			app_usage(stdout);
			return 0;
		case 'V':
			printf("gh-rm-emu " APP_VERSION "\n");
			return 0;
		default:
			app_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		app_usage(stderr);
		return 2;
	}
	for (i = 0; i < APP_MAX_CLIENTS; i++)
		app.clients[i].fd = -1;
	app.t0 = app_now_ms() / 1000;

	if (log_path) {
		app.log = fopen(log_path, "ae");
		if (!app.log) {
			fprintf(stderr, "gh-rm-emu: %s: %s\n", log_path, strerror(errno));
			return 1;
		}
	}
	if (phys) {
		at = strrchr(phys, '@');
		if (at) {
			*at = '\0';
			app.phys_base = strtoull(at + 1, &end, 0);
			if (*end) {
				fprintf(stderr, "gh-rm-emu: bad --phys-file base '%s'\n", at + 1);
				return 2;
			}
		}
		app.phys_fd = open(phys, O_RDONLY | O_CLOEXEC);
		if (app.phys_fd < 0) {
			app_err(&app, "%s: %s", phys, strerror(errno));
			return 1;
		}
	}

	if (!app_tx_grow(&app) || emu_new(&ops, &app.emu) < 0) {
		app_err(&app, "out of memory");
		return 1;
	}
	emu_set_skip_dtb(app.emu, skip_dtb);
	if (cores)
		emu_set_max_cores(app.emu, (unsigned int)cores);

	r = app_open_device(&app);
	if (r < 0) {
		app_err(&app, "cannot open %s: %s", app.device, strerror(-r));
		return 1;
	}
	r = app_listen(&app);
	if (r < 0) {
		app_err(&app, "cannot listen on %s: %s", app.control,
			r == -EADDRINUSE ? "another gh-rm-emu answers there" : strerror(-r));
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	app.signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (app.signal_fd < 0) {
		app_err(&app, "signalfd: %s", strerror(errno));
		return 1;
	}

	if (!foreground) {
		/* the parent returns only once the child serves (ready file written) */
		if (pipe2(ready_pipe, O_CLOEXEC) < 0) {
			app_err(&app, "pipe: %s", strerror(errno));
			return 1;
		}
		pid = fork();
		if (pid < 0) {
			app_err(&app, "fork: %s", strerror(errno));
			return 1;
		}
		if (pid > 0) {
			char byte;
			ssize_t n;

			close(ready_pipe[1]);
			do
				n = read(ready_pipe[0], &byte, 1);
			while (n < 0 && errno == EINTR);
			_exit(n == 1 ? 0 : 1);
		}
		close(ready_pipe[0]);
		(void)setsid();
		i = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (i >= 0) {
			dup2(i, STDIN_FILENO);
			dup2(i, STDOUT_FILENO);
			dup2(i, STDERR_FILENO);
			if (i > STDERR_FILENO)
				close(i);
		}
	}

	r = app_write_ready(&app);
	if (r < 0) {
		app_err(&app, "%s: %s", app.ready_file, strerror(-r));
		unlink(app.control);
		return 1;
	}
	app_log(&app, "gh-rm-emu %s serving %s%s, control %s", APP_VERSION, app.device,
		app.dev_socket ? " (socket)" : "", app.control);
	if (ready_pipe[1] >= 0) {
		(void)!write(ready_pipe[1], "1", 1);
		close(ready_pipe[1]);
	}

	app_loop(&app);

	unlink(app.control);
	if (app.ready_file)
		unlink(app.ready_file);
	for (i = 0; i < APP_MAX_CLIENTS; i++)
		if (app.clients[i].fd >= 0)
			app_client_close(&app.clients[i]);
	app_log(&app, "exiting (%llu packets refused by the device, %llu lost to a full queue)",
		(unsigned long long)app.tx_refused, (unsigned long long)app.tx_overflow);
	emu_free(app.emu);
	free(app.txq);
	close(app.dev_fd);
	close(app.listen_fd);
	close(app.signal_fd);
	if (app.phys_fd >= 0)
		close(app.phys_fd);
	if (app.log)
		fclose(app.log);
	return app.exit_code;
}
