/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahd and its private bus for the benchmarks (bench-daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shared/cleanup.h"

#include "bench-daemon.h"

#define KERNEL_SIZE	65536
#define STOP_TIMEOUT_MS	30000

double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

double bench_quantile(double *v, size_t n, double q)
{
	double exact = q * (double) n;
	size_t rank = (size_t) exact;

	qsort(v, n, sizeof(*v), cmp_double);
	if ((double) rank < exact)
		rank++;
	return v[rank ? (rank <= n ? rank : n) - 1 : 0];
}

static int write_all(const char *path, const void *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	const char *p = buf;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

int bench_write_kernel(const char *path)
{
	_cleanup_free_ uint8_t *buf = malloc(KERNEL_SIZE);

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < KERNEL_SIZE; i++)
		buf[i] = (uint8_t) (i * 7);
	/* arm64 Image header: text_offset 0, image_size 2 MiB, flags 0xa, "ARM\x64". */
	memset(buf, 0, 64);
	put_le(buf + 16, 2 << 20, 8);
	put_le(buf + 24, 0xa, 8);
	put_le(buf + 56, 0x644d5241, 4);
	return write_all(path, buf, KERNEL_SIZE);
}

static void print_file(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[1024];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  | %s", line);
}

int bench_daemon_init(struct bench_daemon *d, const char *prog)
{
	static const char config[] = "version: 1\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	memset(d, 0, sizeof(*d));
	d->prog = prog;
	d->notify_fd = -1;
	d->gunyahd = getenv("GUNYAHD_BINARY");
	d->bus_conf = getenv("TEST_BUS_CONF");
	if (!d->gunyahd || !d->bus_conf) {
		fprintf(stderr, "%s: GUNYAHD_BINARY and TEST_BUS_CONF must be set "
			"(meson test --benchmark sets them)\n", prog);
		return -EINVAL;
	}
	strcpy(d->dir, "/tmp/gunyahd-bench-XXXXXX");
	if (!mkdtemp(d->dir)) {
		r = -errno;
		d->dir[0] = '\0';
		fprintf(stderr, "%s: mkdtemp: %s\n", prog, strerror(-r));
		return r;
	}
	snprintf(d->defs, sizeof(d->defs), "%s/vms.d", d->dir);
	snprintf(d->config, sizeof(d->config), "%s/gunyahd.yaml", d->dir);
	snprintf(d->log_path, sizeof(d->log_path), "%s/gunyahd.log", d->dir);
	snprintf(d->notify_path, sizeof(d->notify_path), "%s/notify", d->dir);
	snprintf(d->bus_log_path, sizeof(d->bus_log_path), "%s/bus.log", d->dir);
	if (mkdir(d->defs, 0755) < 0) {
		r = -errno;
		fprintf(stderr, "%s: mkdir %s: %s\n", prog, d->defs, strerror(-r));
		return r;
	}
	/* Our own configuration: the built-in defaults, whatever the host has in /etc. */
	r = write_all(d->config, config, strlen(config));
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, d->config, strerror(-r));
		return r;
	}
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->notify_fd < 0) {
		r = -errno;
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(-r));
		return r;
	}
	strcpy(sa.sun_path, d->notify_path);
	if (bind(d->notify_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		r = -errno;
		fprintf(stderr, "%s: bind %s: %s\n", prog, d->notify_path, strerror(-r));
		return r;
	}
	return 0;
}

int bench_daemon_define(struct bench_daemon *d, const char *name)
{
	char kernel[160], file[160], yaml[512];
	int r;

	snprintf(kernel, sizeof(kernel), "%s/%s.Image", d->dir, name);
	snprintf(file, sizeof(file), "%s/%s.yaml", d->defs, name);
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: %s\nvcpus: 1\n"
		 "memory:\n  base: 0x80000000\n  size: 16M\n"
		 "kernel: %s\ncmdline: \"console=hvc0\"\n", name, kernel);
	r = bench_write_kernel(kernel);
	if (r >= 0)
		r = write_all(file, yaml, strlen(yaml));
	if (r < 0)
		fprintf(stderr, "%s: cannot define %s in %s: %s\n", d->prog, name, d->dir,
			strerror(-r));
	return r;
}

/* In a child: never outlive the benchmark, whatever happens to it. */
static void child_setup(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int bench_bus_start(struct bench_daemon *d)
{
	char conf[256], buf[512];
	pid_t parent = getpid();
	size_t len = 0;
	int p[2], r;

	snprintf(conf, sizeof(conf), "--config-file=%s", d->bus_conf);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	d->bus_pid = fork();
	if (d->bus_pid < 0) {
		r = -errno;
		d->bus_pid = 0;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (d->bus_pid == 0) {
		int log_fd;

		child_setup(parent);
		/* Its complaints (it cannot raise its fd limit unprivileged) in bus.log. */
		log_fd = open(d->bus_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0 || dup2(p[1], STDOUT_FILENO) < 0 ||
		    dup2(log_fd, STDERR_FILENO) < 0)
			_exit(127);
		execlp("dbus-daemon", "dbus-daemon", "--nofork", "--print-address=1", conf,
		       (char *) NULL);
		fprintf(stderr, "%s: cannot run dbus-daemon: %m\n", d->prog);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		ssize_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t) n;
	}
	close(p[0]);
	buf[len] = '\0';
	if (!memchr(buf, '\n', len)) {
		fprintf(stderr, "%s: dbus-daemon did not print its address:\n", d->prog);
		print_file(d->bus_log_path);
		bench_bus_stop(d);
		return -EIO;
	}
	*strchr(buf, '\n') = '\0';
	free(d->bus_address);
	d->bus_address = strdup(buf);
	return d->bus_address ? 0 : -ENOMEM;
}

void bench_bus_stop(struct bench_daemon *d)
{
	if (d->bus_pid <= 0)
		return;
	kill(d->bus_pid, SIGTERM);
	waitpid(d->bus_pid, NULL, 0);
	d->bus_pid = 0;
}

int bench_bus_connect(struct bench_daemon *d, sd_bus **ret)
{
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, d->bus_address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		fprintf(stderr, "%s: cannot connect to %s: %s\n", d->prog, d->bus_address,
			strerror(-r));
		sd_bus_unref(bus);
		return r;
	}
	*ret = bus;
	return 0;
}

/* Receives what is queued on the notify socket (a previous daemon's STOPPING=1). */
static void drain_notify(struct bench_daemon *d)
{
	char buf[1024];

	while (recv(d->notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += len)
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

static void exec_gunyahd(struct bench_daemon *d, pid_t parent, int log_fd)
{
	char bus[600], defs[128], config[128];
	int null_fd;

	child_setup(parent);
	setenv("NOTIFY_SOCKET", d->notify_path, 1);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
		_exit(127);
	snprintf(bus, sizeof(bus), "--bus-address=%s", d->bus_address);
	snprintf(defs, sizeof(defs), "--definitions=%s", d->defs);
	snprintf(config, sizeof(config), "--config=%s", d->config);
	execl(d->gunyahd, d->gunyahd, "--backend=sim", bus, defs, config, (char *) NULL);
	fprintf(stderr, "%s: cannot run %s: %m\n", d->prog, d->gunyahd);
	_exit(127);
}

int bench_daemon_start(struct bench_daemon *d, int timeout_ms, double *ret_ms)
{
	_cleanup_close_ int log_fd = -1;
	char buf[1024];
	pid_t parent = getpid();
	double t0, deadline;
	int r;

	if (!d->bus_address || d->pid > 0)
		return -EINVAL;
	/* A fresh log per daemon, so that a failure prints only its own. */
	log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log_fd < 0)
		return -errno;
	drain_notify(d);

	t0 = bench_now_ms();
	d->pid = fork();
	if (d->pid < 0) {
		r = -errno;
		d->pid = 0;
		fprintf(stderr, "%s: fork: %s\n", d->prog, strerror(-r));
		return r;
	}
	if (d->pid == 0)
		exec_gunyahd(d, parent, log_fd);

	deadline = t0 + timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = d->notify_fd, .events = POLLIN };
		int status;
		ssize_t n;

		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			fprintf(stderr, "%s: gunyahd exited before READY=1 (status 0x%x):\n",
				d->prog, (unsigned) status);
			bench_daemon_print_log(d);
			return -ECHILD;
		}
		if (bench_now_ms() >= deadline) {
			fprintf(stderr, "%s: gunyahd did not send READY=1 in %d ms:\n", d->prog,
				timeout_ms);
			bench_daemon_print_log(d);
			return -ETIMEDOUT;
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(d->notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (has_line(buf, "READY=1")) {
			if (ret_ms)
				*ret_ms = bench_now_ms() - t0;
			return 0;
		}
	}
}

int bench_daemon_rss_kib(struct bench_daemon *d, long *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], line[256];

	snprintf(path, sizeof(path), "/proc/%d/status", (int) d->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", ret) == 1)
			return 0;
	return -ENODATA;
}

int bench_daemon_stop(struct bench_daemon *d)
{
	double deadline = bench_now_ms() + STOP_TIMEOUT_MS;
	int status = 0;
	pid_t r;

	if (d->pid <= 0)
		return -ESRCH;
	kill(d->pid, SIGTERM);
	while ((r = waitpid(d->pid, &status, WNOHANG)) == 0) {
		if (bench_now_ms() >= deadline) {
			fprintf(stderr, "%s: gunyahd did not exit %d ms after SIGTERM:\n",
				d->prog, STOP_TIMEOUT_MS);
			kill(d->pid, SIGKILL);
			waitpid(d->pid, NULL, 0);
			d->pid = 0;
			bench_daemon_print_log(d);
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
	d->pid = 0;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: gunyahd did not exit cleanly after SIGTERM (status 0x%x):\n",
			d->prog, (unsigned) status);
		bench_daemon_print_log(d);
		return -EIO;
	}
	return 0;
}

void bench_daemon_print_log(struct bench_daemon *d)
{
	print_file(d->log_path);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st, (void) flag, (void) ftw;
	return remove(path) < 0 ? -1 : 0;
}

void bench_daemon_fini(struct bench_daemon *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
	bench_bus_stop(d);
	d->notify_fd = safe_close(d->notify_fd);
	if (d->dir[0] && nftw(d->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr, "%s: cannot remove %s: %m\n", d->prog, d->dir);
	d->dir[0] = '\0';
	free(d->bus_address);
	d->bus_address = NULL;
}
