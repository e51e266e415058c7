/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahd and its private bus for the benchmarks (bench-daemon.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench-stats.h"
#include "util/cleanup.h"

#include "bench-daemon.h"

#define KERNEL_SIZE	65536
#define STOP_TIMEOUT_MS	30000

double bench_quantile(double *v, size_t n, double q)
{
	double exact = q * (double) n;
	size_t rank = (size_t) exact;

	qsort(v, n, sizeof(*v), cmp_double);
	if ((double) rank < exact)
		rank++;
	return v[rank ? (rank <= n ? rank : n) - 1 : 0];
}

int bench_write_kernel(const char *path)
{
	return daemon_spawn_write_kernel(path, KERNEL_SIZE);
}

int bench_daemon_init(struct daemon_spawn *d, const char *prog)
{
	int r = daemon_spawn_init(d, prog, "gunyahd-bench");

	/* Our own configuration: the built-in defaults, whatever the host has in /etc. */
	return r < 0 ? r : daemon_spawn_write_config(d, "version: 1\n");
}

int bench_daemon_define(struct daemon_spawn *d, const char *name)
{
	return bench_daemon_define_sized(d, name, 16, KERNEL_SIZE);
}

int bench_daemon_define_sized(struct daemon_spawn *d, const char *name, unsigned mem_mib,
			      size_t kernel_bytes)
{
	char kernel[192];
	int r;

	snprintf(kernel, sizeof(kernel), "%s/%s.Image", d->dir, name);
	r = daemon_spawn_write_kernel(kernel, kernel_bytes);
	if (r < 0) {
		fprintf(stderr, "%s: cannot define %s in %s: %s\n", d->prog, name, d->dir,
			strerror(-r));
		return r;
	}
	return daemon_spawn_define(d, name, mem_mib, kernel, "cmdline: \"console=hvc0\"\n");
}

int bench_bus_connect(struct daemon_spawn *d, sd_bus **ret)
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

int bench_daemon_status_kib(struct daemon_spawn *d, const char *field, long *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], line[256];
	size_t n = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", (int) d->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':' &&
		    sscanf(line + n + 1, " %ld kB", ret) == 1)
			return 0;
	return -ENODATA;
}

int bench_daemon_rss_kib(struct daemon_spawn *d, long *ret)
{
	return bench_daemon_status_kib(d, "VmRSS", ret);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int bench_daemon_ctxt_switches(struct daemon_spawn *d, unsigned long long *ret_voluntary,
			       unsigned long long *ret_involuntary)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	unsigned long long vol = 0, invol = 0, v;
	struct dirent *e;
	char path[320], line[256];

	snprintf(path, sizeof(path), "/proc/%d/task", (int) d->pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir))) {
		_cleanup_fclose_ FILE *f = NULL;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int) d->pid, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;	/* a thread that just ended */
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
				vol += v;
			else if (sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
				invol += v;
	}
	*ret_voluntary = vol;
	*ret_involuntary = invol;
	return 0;
}

int bench_daemon_stop(struct daemon_spawn *d)
{
	int r = daemon_spawn_stop(d, STOP_TIMEOUT_MS);

	if (r < 0)
		return r;
	if (!WIFEXITED(d->status) || WEXITSTATUS(d->status) != 0) {
		fprintf(stderr, "%s: gunyahd did not exit cleanly after SIGTERM (status 0x%x):\n",
			d->prog, (unsigned) d->status);
		daemon_spawn_print_log(d);
		return -EIO;
	}
	return 0;
}

