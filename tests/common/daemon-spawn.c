/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahd and its private bus, in plain C (daemon-spawn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
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

#include "util/cleanup.h"

#include "daemon-spawn.h"

extern char **environ;

/* The variables systemd sets for a unit; a child gets them only from us. */
static const char *const unit_env[] = { "NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=", NULL };

double daemon_spawn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

int daemon_spawn_write_file(const char *path, const void *buf, size_t len)
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

static uint8_t *pattern(size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);

	if (buf)
		for (size_t i = 0; i < size; i++)
			buf[i] = (uint8_t) (i * 7);
	return buf;
}

int daemon_spawn_write_pattern(const char *path, size_t size)
{
	_cleanup_free_ uint8_t *buf = pattern(size);

	return buf ? daemon_spawn_write_file(path, buf, size) : -ENOMEM;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

int daemon_spawn_write_kernel(const char *path, size_t size)
{
	_cleanup_free_ uint8_t *buf = NULL;

	if (size < 64)
		return -EINVAL;
	buf = pattern(size);
	if (!buf)
		return -ENOMEM;
	/* arm64 Image header: text_offset 0, image_size 2 MiB, flags 0xa, "ARM\x64". */
	memset(buf, 0, 64);
	put_le(buf + 16, 2 << 20, 8);
	put_le(buf + 24, 0xa, 8);
	put_le(buf + 56, 0x644d5241, 4);
	return daemon_spawn_write_file(path, buf, size);
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

void daemon_spawn_print_log(struct daemon_spawn *d)
{
	print_file(d->log_path);
}

char *daemon_spawn_read_log(struct daemon_spawn *d)
{
	_cleanup_fclose_ FILE *f = fopen(d->log_path, "re");
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (!f)
		return strdup("");
	out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	for (int c; (c = getc(f)) != EOF;)
		putc(c, out);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int fail(struct daemon_spawn *d, int r, const char *what, const char *path)
{
	fprintf(stderr, "%s: %s%s%s: %s\n", d->prog, what, path ? " " : "", path ?: "",
		strerror(-r));
	return r;
}

static int make_dir(struct daemon_spawn *d, const char *prefix)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t) snprintf(d->dir, sizeof(d->dir), "%s/%s-XXXXXX", tmp, prefix) >=
	    sizeof(d->dir)) {
		d->dir[0] = '\0';
		return fail(d, -ENAMETOOLONG, "temporary directory in", tmp);
	}
	if (!mkdtemp(d->dir)) {
		d->dir[0] = '\0';
		return fail(d, -errno, "mkdtemp", NULL);
	}
	/* The paths are longer than dir by far more than these names: they fit. */
	snprintf(d->defs, sizeof(d->defs), "%s/vms.d", d->dir);
	snprintf(d->config, sizeof(d->config), "%s/gunyahd.yaml", d->dir);
	snprintf(d->log_path, sizeof(d->log_path), "%s/gunyahd.log", d->dir);
	snprintf(d->notify_path, sizeof(d->notify_path), "%s/notify", d->dir);
	snprintf(d->bus_log_path, sizeof(d->bus_log_path), "%s/bus.log", d->dir);
	if (mkdir(d->defs, 0755) < 0)
		return fail(d, -errno, "mkdir", d->defs);
	return 0;
}

static int open_notify(struct daemon_spawn *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(d->notify_path) >= sizeof(sa.sun_path))
		return fail(d, -ENAMETOOLONG, "notify socket", d->notify_path);
	strcpy(sa.sun_path, d->notify_path);
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->notify_fd < 0)
		return fail(d, -errno, "socket", NULL);
	if (bind(d->notify_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		return fail(d, -errno, "bind", d->notify_path);
	return 0;
}

int daemon_spawn_init(struct daemon_spawn *d, const char *prog, const char *prefix)
{
	int r;

	memset(d, 0, sizeof(*d));
	d->prog = prog;
	d->notify_fd = -1;
	d->gunyahd = getenv("GUNYAHD_BINARY");
	d->bus_conf = getenv("TEST_BUS_CONF");
	d->wrapper = getenv("GUNYAHD_TEST_WRAPPER");
	if (!d->gunyahd || !d->bus_conf) {
		fprintf(stderr, "%s: GUNYAHD_BINARY and TEST_BUS_CONF must be set "
			"(meson test sets them)\n", prog);
		return -EINVAL;
	}
	r = make_dir(d, prefix);
	return r < 0 ? r : open_notify(d);
}

int daemon_spawn_write_config(struct daemon_spawn *d, const char *yaml)
{
	int r = daemon_spawn_write_file(d->config, yaml, strlen(yaml));

	if (r < 0)
		return fail(d, r, "cannot write", d->config);
	d->has_config = true;
	return 0;
}

int daemon_spawn_define(struct daemon_spawn *d, const char *name, unsigned mem_mib,
			const char *kernel, const char *extra)
{
	_cleanup_free_ char *file = NULL, *yaml = NULL;
	int r, len;

	if (asprintf(&file, "%s/%s.yaml", d->defs, name) < 0) {
		file = NULL;
		return fail(d, -ENOMEM, "define", name);
	}
	len = asprintf(&yaml, "version: 1\nname: %s\nvcpus: 1\n"
		       "memory:\n  base: 0x80000000\n  size: %uM\n"
		       "kernel: %s\n%s", name, mem_mib, kernel, extra ?: "");
	if (len < 0) {
		yaml = NULL;
		return fail(d, -ENOMEM, "define", name);
	}
	r = daemon_spawn_write_file(file, yaml, (size_t) len);
	return r < 0 ? fail(d, r, "cannot write", file) : 0;
}

/*
 * In a child, after fork(): only async-signal-safe calls (the parent may
 * have threads). Never outlives the parent, whatever happens to it.
 */
static _Noreturn void exec_child(pid_t parent, int out_fd, int err_fd, char *const *argv,
				 char *const *envp)
{
	int null_fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		_exit(127);
	/* Nothing of the parent's but stdio, whatever it forgot to mark O_CLOEXEC. */
	close_range(3, ~0u, 0);
	execvpe(argv[0], argv, envp);
	/* Into the log: write(2) is async-signal-safe, stdio is not. */
	if (write(STDERR_FILENO, "cannot run ", 11) == 11 &&
	    write(STDERR_FILENO, argv[0], strlen(argv[0])) > 0)
		(void) !write(STDERR_FILENO, "\n", 1);
	_exit(127);
}

/* Whether entry ("KEY=value") sets a key of list ("KEY=..." each). */
static bool key_listed(const char *entry, const char *const *list)
{
	for (; list && *list; list++) {
		size_t len = strcspn(*list, "=");

		if (strncmp(entry, *list, len) == 0 && entry[len] == '=')
			return true;
	}
	return false;
}

/* environ without unit_env and the keys of extra, then extra (not copied). */
static char **child_env(const char *const *extra)
{
	size_t n = 0, k = 0;
	char **env;

	for (char **e = environ; *e; e++)
		n++;
	for (const char *const *e = extra; e && *e; e++)
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (char **e = environ; *e; e++)
		if (!key_listed(*e, unit_env) && !key_listed(*e, extra))
			env[k++] = *e;
	for (const char *const *e = extra; e && *e; e++)
		env[k++] = (char *) *e;
	return env;
}

int daemon_spawn_bus_start(struct daemon_spawn *d)
{
	_cleanup_free_ char *conf = NULL;
	_cleanup_free_ char **env = child_env(NULL);
	_cleanup_close_ int log_fd = -1;
	char buf[512];
	pid_t parent = getpid();
	size_t len = 0;
	int p[2];
	char *argv[] = { "dbus-daemon", "--nofork", "--print-address=1", NULL, NULL };

	if (asprintf(&conf, "--config-file=%s", d->bus_conf) < 0)
		conf = NULL;
	if (!conf || !env)
		return fail(d, -ENOMEM, "bus", NULL);
	argv[3] = conf;

	/* Its complaints (it cannot raise its fd limit unprivileged) in bus.log. */
	log_fd = open(d->bus_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0)
		return fail(d, -errno, "cannot open", d->bus_log_path);
	if (pipe2(p, O_CLOEXEC) < 0)
		return fail(d, -errno, "pipe", NULL);
	d->bus_pid = fork();
	if (d->bus_pid == 0)
		exec_child(parent, p[1], log_fd, argv, env);
	close(p[1]);
	if (d->bus_pid < 0) {
		d->bus_pid = 0;
		close(p[0]);
		return fail(d, -errno, "fork", NULL);
	}
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		ssize_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t) n;
	}
	close(p[0]);
	if (!memchr(buf, '\n', len)) {
		fprintf(stderr, "%s: dbus-daemon did not print its address:\n", d->prog);
		print_file(d->bus_log_path);
		daemon_spawn_bus_stop(d);
		return -EIO;
	}
	*(char *) memchr(buf, '\n', len) = '\0';
	free(d->bus_address);
	d->bus_address = strdup(buf);
	return d->bus_address ? 0 : fail(d, -ENOMEM, "bus", NULL);
}

void daemon_spawn_bus_stop(struct daemon_spawn *d)
{
	if (d->bus_pid <= 0)
		return;
	kill(d->bus_pid, SIGTERM);
	waitpid(d->bus_pid, NULL, 0);
	d->bus_pid = 0;
}

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static void strv_freep(char ***v)
{
	strv_free(*v);
}

/* Appends a copy of "PREFIXs" to v, which has room. */
static int add_arg(char **v, size_t *n, const char *prefix, const char *s)
{
	if (asprintf(&v[*n], "%s%s", prefix, s) < 0) {
		v[*n] = NULL;
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

/* [wrapper words] gunyahd --bus-address= [--definitions=] [--config=] --backend=sim args */
static char **daemon_argv(struct daemon_spawn *d, const char *const *args)
{
	_cleanup_free_ char *words = strdup(d->wrapper ?: "");
	size_t max = 6, n = 0;
	char **v, *save = NULL;
	int r = 0;

	for (const char *p = d->wrapper; p && *p; p++)
		max += *p == ' ';
	for (const char *const *a = args; a && *a; a++)
		max++;
	v = calloc(max + 2, sizeof(*v));
	if (!v || !words) {
		free(v);
		return NULL;
	}
	for (char *w = strtok_r(words, " ", &save); w && r >= 0; w = strtok_r(NULL, " ", &save))
		r = add_arg(v, &n, "", w);
	if (r >= 0)
		r = add_arg(v, &n, "", d->gunyahd);
	if (r >= 0)
		r = add_arg(v, &n, "--bus-address=", d->bus_address);
	if (r >= 0 && !d->no_definitions_arg)
		r = add_arg(v, &n, "--definitions=", d->defs);
	if (r >= 0 && d->has_config)
		r = add_arg(v, &n, "--config=", d->config);
	if (r >= 0)
		r = add_arg(v, &n, "--backend=sim", "");
	for (const char *const *a = args; a && *a && r >= 0; a++)
		r = add_arg(v, &n, "", *a);
	if (r < 0) {
		strv_free(v);
		return NULL;
	}
	return v;
}

/* Receives what is queued on the notify socket (a previous daemon's STOPPING=1). */
static void drain_notify(struct daemon_spawn *d)
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

int daemon_spawn_recv_notify(struct daemon_spawn *d, double deadline_ms, char *buf,
			     size_t size)
{
	for (;;) {
		struct pollfd p = { .fd = d->notify_fd, .events = POLLIN };
		double left = deadline_ms - daemon_spawn_now_ms();
		int status;
		ssize_t n;

		if (d->pid <= 0)
			return -ECHILD;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			d->status = status;
			return -ECHILD;
		}
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left < 50 ? (int) left + 1 : 50) <= 0)
			continue;
		n = recv(d->notify_fd, buf, size - 1, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		return (int) n;
	}
}

static int wait_ready(struct daemon_spawn *d, double t0, int timeout_ms, double *ret_ms)
{
	char buf[1024];

	for (;;) {
		int r = daemon_spawn_recv_notify(d, t0 + timeout_ms, buf, sizeof(buf));
		double now = daemon_spawn_now_ms();

		if (r == -ECHILD)
			fprintf(stderr, "%s: gunyahd exited before READY=1 (status 0x%x):\n",
				d->prog, (unsigned) d->status);
		else if (r == -ETIMEDOUT)
			fprintf(stderr, "%s: gunyahd did not send READY=1 in %d ms:\n", d->prog,
				timeout_ms);
		if (r < 0) {
			daemon_spawn_print_log(d);
			return r;
		}
		if (d->on_notify)
			d->on_notify(buf, d->userdata);
		if (has_line(buf, "READY=1")) {
			if (ret_ms)
				*ret_ms = now - t0;
			return 0;
		}
	}
}

/* NOTIFY_SOCKET, WATCHDOG_USEC when set, then d->env: what the daemon gets besides environ. */
static const char **unit_vars(struct daemon_spawn *d, char **notify, char **watchdog)
{
	size_t n = 0, k = 0;
	const char **v;

	if (asprintf(notify, "NOTIFY_SOCKET=%s", d->notify_path) < 0) {
		*notify = NULL;
		return NULL;
	}
	if (d->watchdog_usec && asprintf(watchdog, "WATCHDOG_USEC=%lu", d->watchdog_usec) < 0) {
		*watchdog = NULL;
		return NULL;
	}
	for (const char *const *e = d->env; e && *e; e++)
		n++;
	v = calloc(n + 3, sizeof(*v));
	if (!v)
		return NULL;
	v[k++] = *notify;
	if (*watchdog)
		v[k++] = *watchdog;
	for (const char *const *e = d->env; e && *e; e++)
		v[k++] = *e;
	return v;
}

int daemon_spawn_start(struct daemon_spawn *d, const char *const *args, int timeout_ms,
		       double *ret_ms)
{
	_cleanup_(strv_freep) char **argv = NULL;
	_cleanup_free_ char *notify = NULL, *watchdog = NULL, **env = NULL;
	_cleanup_free_ const char **vars = NULL;
	_cleanup_close_ int log_fd = -1;
	pid_t parent = getpid();
	double t0;

	if (!d->bus_address || d->pid > 0)
		return fail(d, -EINVAL, "gunyahd needs a bus and no daemon running", NULL);
	vars = unit_vars(d, &notify, &watchdog);
	if (vars)
		env = child_env(vars);
	argv = daemon_argv(d, args);
	if (!env || !argv)
		return fail(d, -ENOMEM, "gunyahd", NULL);
	/* A fresh log per daemon, so that a failure prints only its own. */
	log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_CLOEXEC |
		      (d->append_log ? O_APPEND : O_TRUNC), 0644);
	if (log_fd < 0)
		return fail(d, -errno, "cannot open", d->log_path);
	drain_notify(d);

	t0 = daemon_spawn_now_ms();
	d->pid = fork();
	if (d->pid == 0)
		exec_child(parent, log_fd, log_fd, argv, env);
	if (d->pid < 0) {
		d->pid = 0;
		return fail(d, -errno, "fork", NULL);
	}
	return wait_ready(d, t0, timeout_ms, ret_ms);
}

int daemon_spawn_stop(struct daemon_spawn *d, int timeout_ms)
{
	double deadline = daemon_spawn_now_ms() + timeout_ms;
	int status = 0;
	pid_t r;

	if (d->pid <= 0)
		return -ESRCH;
	kill(d->pid, SIGTERM);
	if (timeout_ms < 0)
		while ((r = waitpid(d->pid, &status, 0)) < 0 && errno == EINTR)
			;
	else
		while ((r = waitpid(d->pid, &status, WNOHANG)) == 0) {
			if (daemon_spawn_now_ms() >= deadline) {
				fprintf(stderr, "%s: gunyahd did not exit %d ms after SIGTERM:\n",
					d->prog, timeout_ms);
				daemon_spawn_kill(d);
				daemon_spawn_print_log(d);
				return -ETIMEDOUT;
			}
			usleep(1000);
		}
	d->pid = 0;
	if (r < 0)
		return fail(d, -errno, "waitpid", NULL);
	d->status = status;
	return 0;
}

void daemon_spawn_kill(struct daemon_spawn *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &d->status, 0);
	d->pid = 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st, (void) flag, (void) ftw;
	return remove(path) < 0 ? -1 : 0;
}

int daemon_spawn_fini(struct daemon_spawn *d)
{
	int r = 0;

	daemon_spawn_kill(d);
	daemon_spawn_bus_stop(d);
	d->notify_fd = safe_close(d->notify_fd);
	if (d->dir[0] && nftw(d->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		r = fail(d, -errno, "cannot remove", d->dir);
	d->dir[0] = '\0';
	free(d->bus_address);
	d->bus_address = NULL;
	return r;
}
