/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-console: console throughput from an emulated guest (issue 12,
 * item 6), in the x86_64 QEMU guest on gunyah.ko and gh-rm-emu, where
 * tests/qemu/e2e.sh (mode console-bench) has started the system bus and
 * gunyahd --backend=kernel with console.log-dir = -l. The emulator's guest
 * floods -b bytes (`ctl console VMID flood`) and four sides time it
 * from the flood command to the last byte:
 *
 *   emu     nobody reads: until gh-rm-emu's `consoles` says the guest
 *           delivered every byte (polled each 10 ms; the module's ring
 *           takes them all, and the raw fd reads them afterwards, untimed):
 *           the emulator's output rate into the module
 *   raw     a console fd from GH_VM_OPEN_CONSOLE on a VM this program
 *           created itself (the ioctls alone, no daemon; emu's VM), read
 *           O_NONBLOCK with poll() as gunyahd reads its own: what the
 *           module and the emulator deliver to a reader; the reference
 *   log     gunyahd's log file of VM (no client attached): until the file
 *           (with NAME.log.1 when it rotated) holds every byte
 *   client  an OpenConsole socket of the same VM: until it received every
 *           byte (gunyahd writes the log file meanwhile, as it always does)
 *
 * Each side keeps its VM for all runs (byte i of a VM's floods is
 * i % 251, so every run's bytes are checked once it is over, outside the
 * timing, unless some were lost); the runs rotate which side goes first. The module's
 * console_ring_size is raised to 16 MiB for the run (and put back), so that
 * a flood up to that size cannot overtake a reader in the module; what is
 * lost anyway (the module's GH_CONSOLE_GET_LOST, a client too slow for
 * gunyahd's 64 KiB queue, the log's write failures) is counted as bytes
 * that did not arrive within 5 s of the last one. The emulator's banner and
 * echo are off for the run, so the streams are the floods alone.
 *
 * Prints DESIGN §10 "name value unit" lines: per side the median MiB/s and
 * the lost bytes of all runs; console-log-vs-raw and console-client-vs-raw,
 * the ratios of the medians (target >= 0.8, bench/report.sh), and each
 * reader against emu for information. Timing never fails the run; a
 * failing call or a wrong byte does (exit 1).
 *
 *   bench-console [-n RUNS] [-b BYTES] [-l LOG_DIR] [-d DEVICE] [VM]
 *   (defaults: 3 runs, 8 MiB, /tmp/gh-console-log, /dev/gunyah, cluster)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <linux/gunyah.h>

#include "bench-memfd.h"
#include "bench-stats.h"
#include "guest-dtb.h"
#include "gunyah/dbus-names.h"

#define MiB		(1024.0 * 1024.0)
#define RING_PARAM	"/sys/module/gunyah/parameters/console_ring_size"
#define RING_SIZE	(16u << 20)	/* GH_CONSOLE_RING_MAX */
#define RAW_MEM_BASE	0x80000000ull
#define RAW_MEM_SIZE	(1u << 20)
#define RAW_DTB_SLOT	(64u * 1024)
#define IDLE_MS		5000	/* no byte for this long after the last: the rest is lost */
#define CHUNK		(64u * 1024)
#define MAX_RUNS	32
#define PATTERN		251	/* byte i of a VM's floods is i % 251 */

enum side { EMU, RAW, LOG, CLIENT, N_SIDES };

static const char *const side_names[N_SIDES] = { "emu", "raw", "log", "client" };

/* The two VMs: this program's (emu, raw) and gunyahd's (log, client). */
enum { VM_OWN, VM_DAEMON, N_VMS };

static const int vm_of[N_SIDES] = {
	[EMU] = VM_OWN, [RAW] = VM_OWN, [LOG] = VM_DAEMON, [CLIENT] = VM_DAEMON,
};

/*
 * The guest's output is never dropped on the emulator's side (it waits for
 * the module), so each flood starts at offset, whatever a reader lost.
 */
struct stream {
	uint32_t vmid;
	uint64_t offset;	/* bytes of floods this VM wrote so far */
};

struct ctx {
	uint64_t bytes;
	const char *log_dir;
	const char *vm_name;
	char *vm_path;
	char log_path[512], log_old[512];
	sd_bus *bus;
	int dev, raw_vm, raw_cfd;	/* raw_cfd: opened before the start, kept */
	void *raw_mem;
	struct stream s[N_VMS];
	char *buf;			/* bytes bytes: what a reader got */
	double mibps[N_SIDES][MAX_RUNS];
	uint64_t lost[N_SIDES];
};

__attribute__((format(printf, 1, 2)))
static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-console: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * One gh-rm-emu control command ($GH_EMU_CONTROL, docs/rm-emulator.md): 0
 * on "OK". The reply (its lines and the status line) into out when given.
 */
__attribute__((format(printf, 3, 4)))
static int emu_reply(char *out, size_t out_size, const char *fmt, ...)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("GH_EMU_CONTROL");
	char cmd[256], reply[4096], *last;
	size_t len = 0;
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(cmd) - 1)
		return -E2BIG;
	cmd[n++] = '\n';
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path ? path : "/run/gh-rm-emu.sock");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || write(fd, cmd, (size_t) n) != n) {
		int r = -errno;

		close(fd);
		msg("cannot reach gh-rm-emu at %s: %s", sa.sun_path, strerror(-r));
		return r;
	}
	/* The reply ends with a status line, OK or ERR ... */
	for (;;) {
		ssize_t got = read(fd, reply + len, sizeof(reply) - 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t) got;
		reply[len] = '\0';
		if (len == sizeof(reply) - 1)
			break;
		if (reply[len - 1] != '\n')
			continue;
		reply[len - 1] = '\0';
		last = strrchr(reply, '\n');
		last = last ? last + 1 : reply;
		reply[len - 1] = '\n';
		if (!strncmp(last, "OK", 2) || !strncmp(last, "ERR", 3))
			break;
	}
	close(fd);
	reply[len] = '\0';
	if (out)
		snprintf(out, out_size, "%s", reply);
	last = len ? reply + len - 1 : reply;
	while (last > reply && last[-1] != '\n')
		last--;
	if (!strncmp(last, "OK", 2) && len && reply[len - 1] == '\n')
		return 0;
	cmd[n - 1] = '\0';
	msg("gh-rm-emu '%s': %s", cmd, len ? reply : "no reply");
	return -EIO;
}

#define emu(...) emu_reply(NULL, 0, __VA_ARGS__)

/* `sent=` of the VM's line in `consoles`: the bytes its guest delivered. */
static int emu_sent(uint32_t vmid, uint64_t *ret)
{
	char out[4096], want[32], *p;
	int r = emu_reply(out, sizeof(out), "consoles");

	if (r < 0)
		return r;
	snprintf(want, sizeof(want), "vmid=0x%x ", vmid);
	for (p = out; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *f;

		if (strncmp(p, want, strlen(want)))
			continue;
		f = strstr(p, " sent=");
		if (!f)
			break;
		*ret = strtoull(f + 6, NULL, 10);
		return 0;
	}
	msg("gh-rm-emu `consoles` has no sent= for VM 0x%x", vmid);
	return -ENOENT;
}

static int xioctl(int fd, unsigned long req, const void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static long read_param(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_param(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f)
		return -errno;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

/* The raw side's VM: 1 MiB lent, a console (rm-rpc console-dev), started. */
static int raw_vm_new(struct ctx *c)
{
	const struct guest_dtb d = {
		.base = RAW_MEM_BASE, .size = RAW_MEM_SIZE, .image_name = "bench-console",
		.vcpus = 1, .rm_rpc = true, .console = true,
	};
	uint64_t offset = RAW_MEM_SIZE - RAW_DTB_SLOT;
	struct gh_userspace_memory_region reg = {
		.label = 0,
		.flags = GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC | GH_MEM_LENT,
		.guest_phys_addr = RAW_MEM_BASE, .memory_size = RAW_MEM_SIZE,
	};
	struct gh_vm_dtb_config dtb = { .gpa = RAW_MEM_BASE + offset, .size = RAW_DTB_SLOT };
	struct gh_vm_status st;
	int r;

	c->raw_mem = bench_map_memfd("bench-console", RAW_MEM_SIZE, BENCH_PAGES_4K, true);
	if (!c->raw_mem || guest_dtb_write((char *) c->raw_mem + offset, RAW_DTB_SLOT, &d) < 0) {
		msg("cannot map the raw VM's memory or write its devicetree");
		return -ENOMEM;
	}
	reg.userspace_addr = (uintptr_t) c->raw_mem;
	c->raw_vm = xioctl(c->dev, GH_CREATE_VM, NULL);
	if (c->raw_vm < 0) {
		msg("GH_CREATE_VM: %s", strerror(-c->raw_vm));
		return c->raw_vm;
	}
	r = xioctl(c->raw_vm, GH_VM_SET_USER_MEM_REGION, &reg);
	if (r == 0)
		r = xioctl(c->raw_vm, GH_VM_SET_DTB_CONFIG, &dtb);
	if (r == 0)
		r = xioctl(c->raw_vm, GH_VM_GET_STATUS, &st);
	if (r == 0) {
		c->raw_cfd = xioctl(c->raw_vm, GH_VM_OPEN_CONSOLE, NULL);
		r = c->raw_cfd < 0 ? c->raw_cfd :
		    fcntl(c->raw_cfd, F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
	}
	if (r == 0)
		r = xioctl(c->raw_vm, GH_VM_START, NULL);
	if (r < 0) {
		msg("the raw VM's ioctls: %s", strerror(-r));
		return r;
	}
	c->s[VM_OWN].vmid = st.vmid;
	return 0;
}

/* Manager1.METHOD(vm name), no reply arguments wanted. */
static int manager_call(struct ctx *c, const char *method)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(c->bus, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH,
			       GH_DBUS_MANAGER_INTERFACE, method, &error, NULL, "s", c->vm_name);
	if (r < 0)
		msg("%s('%s'): %s: %s", method, c->vm_name, error.name ? error.name : "",
		    error.message ? error.message : strerror(-r));
	sd_bus_error_free(&error);
	return r;
}

/* The daemon's VM: created and started through gunyahd, its VMID from VM1.VMID. */
static int daemon_vm_new(struct ctx *c)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	uint32_t vmid = 0;
	int r;

	r = sd_bus_path_encode(GH_DBUS_VM_PATH_PREFIX, c->vm_name, &c->vm_path);
	if (r < 0)
		return r;
	r = manager_call(c, "StartVM");
	if (r < 0)
		return r;
	r = sd_bus_get_property_trivial(c->bus, GH_DBUS_SERVICE, c->vm_path, GH_DBUS_VM_INTERFACE,
					"VMID", &error, 'u', &vmid);
	if (r < 0 || vmid == 0) {
		msg("VM1.VMID of '%s': %s", c->vm_name,
		    error.message ? error.message : r < 0 ? strerror(-r) : "0");
		sd_bus_error_free(&error);
		return r < 0 ? r : -ENXIO;
	}
	c->s[VM_DAEMON].vmid = vmid;
	return 0;
}

/* VM1.OpenConsole: a socket of our own (the reply's fd closes with it). */
static int open_client(struct ctx *c)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int fd = -1, r;

	r = sd_bus_call_method(c->bus, GH_DBUS_SERVICE, c->vm_path, GH_DBUS_VM_INTERFACE,
			       "OpenConsole", &error, &reply, "");
	if (r >= 0)
		r = sd_bus_message_read(reply, "h", &fd);
	if (r >= 0) {
		r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (r < 0)
			r = -errno;
	}
	if (r < 0)
		msg("OpenConsole('%s'): %s", c->vm_name,
		    error.message ? error.message : strerror(-r));
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	return r;
}

/* The module fd's GH_CONSOLE_GET_LOST (since its open) less base, into *lost. */
static int get_lost(int fd, uint64_t base, uint64_t *lost)
{
	uint64_t v = 0;
	int r = xioctl(fd, GH_CONSOLE_GET_LOST, &v);

	if (r == 0)
		*lost = v - base;
	return r;
}

/*
 * Reads fd (O_NONBLOCK) into c->buf until c->bytes arrived, or nothing came
 * for IDLE_MS. lost_fd >= 0: a module console fd, whose GH_CONSOLE_GET_LOST
 * beyond lost_base counts toward the end. Returns the bytes read, *t_last
 * when the last came.
 */
static int64_t read_stream(struct ctx *c, int fd, int lost_fd, uint64_t lost_base,
			   uint64_t *lost, double *t_last)
{
	uint64_t got = 0;
	unsigned reads = 0;
	int r;

	*lost = 0;
	while (got + *lost < c->bytes) {
		ssize_t n = read(fd, c->buf + got, c->bytes - *lost - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			/* the ring may have skipped: the lost bytes end the stream too */
			if (lost_fd >= 0 && (r = get_lost(lost_fd, lost_base, lost)) < 0)
				return r;
			if (got + *lost >= c->bytes)
				break;
			if (poll(&p, 1, IDLE_MS) == 0)
				break;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (uint64_t) n;
		*t_last = now_ms();
		/* a skip shows in the count only: look now and then */
		if (lost_fd >= 0 && ++reads % 256 == 0 &&
		    (r = get_lost(lost_fd, lost_base, lost)) < 0)
			return r;
	}
	*lost = c->bytes - got;
	return (int64_t) got;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t) st.st_size : 0;
}

/* The log's bytes, NAME.log.1 included (both were removed before the first run). */
static uint64_t log_size(const struct ctx *c)
{
	return file_size(c->log_path) + file_size(c->log_old);
}

/* Polls the log file (1 ms) until it grew by c->bytes, or did not grow for IDLE_MS. */
static uint64_t wait_log(struct ctx *c, uint64_t start, double *t_last)
{
	const struct timespec tick = { .tv_nsec = 1000000 };
	uint64_t size = start;
	double last = now_ms();

	*t_last = last;
	while (size - start < c->bytes && now_ms() - last < IDLE_MS) {
		uint64_t s;

		nanosleep(&tick, NULL);
		s = log_size(c);
		if (s != size) {
			size = s;
			last = *t_last = now_ms();
		}
	}
	return size - start;
}

/* Is buf[0..n) the flood's bytes from stream offset off on? */
static bool pattern_ok(const char *buf, uint64_t n, uint64_t off)
{
	for (uint64_t i = 0; i < n; i++)
		if ((unsigned char) buf[i] != (off + i) % PATTERN)
			return false;
	return true;
}

/* The log's bytes from start on (it did not rotate: else the check is skipped). */
static int read_log(struct ctx *c, uint64_t start, uint64_t n)
{
	int fd = open(c->log_path, O_RDONLY | O_CLOEXEC);
	uint64_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < n) {
		ssize_t k = pread(fd, c->buf + done, n - done, (off_t) (start + done));

		if (k <= 0) {
			close(fd);
			return k < 0 ? -errno : -EIO;
		}
		done += (uint64_t) k;
	}
	close(fd);
	return 0;
}

/*
 * Polls the emulator's `consoles` (each 10 ms: it answers on the thread
 * that floods) until the VM's guest delivered base + c->bytes, or nothing
 * more for IDLE_MS. Returns the bytes delivered since base, or < 0.
 */
static int64_t wait_sent(struct ctx *c, uint32_t vmid, uint64_t base, double *t_last)
{
	const struct timespec tick = { .tv_nsec = 10000000 };
	uint64_t sent = base, v;
	double last = now_ms();
	int r;

	*t_last = last;
	while (sent - base < c->bytes && now_ms() - last < IDLE_MS) {
		nanosleep(&tick, NULL);
		r = emu_sent(vmid, &v);
		if (r < 0)
			return r;
		if (v != sent) {
			sent = v;
			last = *t_last = now_ms();
		}
	}
	return (int64_t) (sent - base);
}

/* Before the flood: what each side needs to tell its bytes from earlier ones. */
static int side_prepare(struct ctx *c, enum side side, int *fd, uint64_t *base,
			uint64_t *sent_base)
{
	int r = 0;

	switch (side) {
	case EMU:	/* the same fd reads the bytes afterwards */
	case RAW:
		if (side == EMU) {
			r = emu_sent(c->s[VM_OWN].vmid, sent_base);
			if (r < 0)
				return r;
		}
		r = get_lost(c->raw_cfd, 0, base);
		if (r < 0)
			msg("GH_CONSOLE_GET_LOST: %s", strerror(-r));
		return r;
	case CLIENT:
		*fd = open_client(c);
		if (*fd < 0)
			return *fd;
		return fcntl(*fd, F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
	case LOG:
		*base = log_size(c);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * One flood read by one side; its rate into c->mibps[side][run]. The emu
 * side reads nothing while it is timed (the module's ring holds the flood)
 * and reads the fd afterwards.
 */
static int run_side(struct ctx *c, enum side side, unsigned run)
{
	struct stream *s = &c->s[vm_of[side]];
	uint64_t got = 0, timed = 0, lost = 0, base = 0, sent_base = 0;
	double t0, t_last = 0, t_drained;
	int64_t n = 0;
	int fd = -1, r;
	bool checkable;

	r = side_prepare(c, side, &fd, &base, &sent_base);
	if (r < 0)
		goto out;
	t0 = now_ms();
	r = emu("console 0x%x flood %llu", s->vmid, (unsigned long long) c->bytes);
	if (r < 0)
		goto out;
	switch (side) {
	case EMU:
		n = wait_sent(c, s->vmid, sent_base, &t_last);
		timed = n > 0 ? (uint64_t) n : 0;
		if (n >= 0)
			n = read_stream(c, c->raw_cfd, c->raw_cfd, base, &lost, &t_drained);
		break;
	case RAW:
		n = read_stream(c, c->raw_cfd, c->raw_cfd, base, &lost, &t_last);
		break;
	case CLIENT:
		n = read_stream(c, fd, -1, 0, &lost, &t_last);
		break;
	case LOG:
		n = (int64_t) wait_log(c, base, &t_last);
		break;
	default:
		break;
	}
	if (n < 0) {
		r = (int) n;
		msg("%s: %s", side_names[side], strerror(-r));
		goto out;
	}
	got = (uint64_t) n;
	if (side != EMU)
		timed = got;
	lost = got < c->bytes ? c->bytes - got : 0;
	c->lost[side] += lost;
	c->mibps[side][run] = timed && t_last > t0 ? timed / MiB / ((t_last - t0) / 1e3) : 0;

	/* the bytes themselves, outside the timing, when they are all there in one piece */
	checkable = lost == 0 && (side != LOG || file_size(c->log_old) == 0);
	if (checkable && side == LOG) {
		r = read_log(c, base, got);
		if (r < 0)
			msg("log: cannot read back %s: %s", c->log_path, strerror(-r));
	}
	if (checkable && r == 0 && !pattern_ok(c->buf, got, s->offset)) {
		msg("%s: run %u: the bytes are not the flood's", side_names[side], run);
		r = -EBADMSG;
	}
	s->offset += c->bytes;
	printf("# bench-console: run %u %s: %.2f MiB/s, %llu of %llu bytes, %llu lost%s\n", run,
	       side_names[side], c->mibps[side][run], (unsigned long long) got,
	       (unsigned long long) c->bytes, (unsigned long long) lost,
	       checkable ? ", checked" : "");
	fflush(stdout);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int parse_args(int argc, char **argv, struct ctx *c, unsigned *runs, const char **device)
{
	int opt;

	while ((opt = getopt(argc, argv, "n:b:l:d:")) >= 0) {
		switch (opt) {
		case 'n':
			*runs = (unsigned) strtoul(optarg, NULL, 0);
			break;
		case 'b':
			c->bytes = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			c->log_dir = optarg;
			break;
		case 'd':
			*device = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc)
		c->vm_name = argv[optind];
	if (!*runs || *runs > MAX_RUNS || !c->bytes || c->bytes > (1ull << 30) ||
	    c->log_dir[0] != '/')
		return -EINVAL;
	if ((size_t) snprintf(c->log_path, sizeof(c->log_path), "%s/%s.log", c->log_dir,
			      c->vm_name) >= sizeof(c->log_path) ||
	    (size_t) snprintf(c->log_old, sizeof(c->log_old), "%s.1", c->log_path) >=
		    sizeof(c->log_old))
		return -EINVAL;
	return 0;
}

static void report(struct ctx *c, unsigned runs)
{
	double med[N_SIDES];

	for (int i = 0; i < N_SIDES; i++) {
		med[i] = median(c->mibps[i], runs);
		printf("console-%s-mibps %.2f MiB/s\n", side_names[i], med[i]);
		printf("console-%s-lost %llu bytes\n", side_names[i],
		       (unsigned long long) c->lost[i]);
	}
	if (med[RAW] > 0) {
		printf("console-log-vs-raw %.2f x\n", med[LOG] / med[RAW]);
		printf("console-client-vs-raw %.2f x\n", med[CLIENT] / med[RAW]);
	}
	if (med[EMU] > 0) {
		printf("console-raw-vs-emu %.2f x\n", med[RAW] / med[EMU]);
		printf("console-log-vs-emu %.2f x\n", med[LOG] / med[EMU]);
		printf("console-client-vs-emu %.2f x\n", med[CLIENT] / med[EMU]);
	}
}

int main(int argc, char **argv)
{
	struct ctx c = { .bytes = 8u << 20, .log_dir = "/tmp/gh-console-log", .vm_name = "cluster",
			 .dev = -1, .raw_vm = -1, .raw_cfd = -1 };
	const char *device = "/dev/gunyah";
	unsigned runs = 3;
	long ring_old;
	int r = 0;

	if (parse_args(argc, argv, &c, &runs, &device) < 0) {
		fprintf(stderr, "usage: bench-console [-n RUNS (1..%d)] [-b BYTES (<= 1 GiB)] "
			"[-l ABSOLUTE_LOG_DIR] [-d DEVICE] [VM]\n", MAX_RUNS);
		return 2;
	}
	c.buf = malloc(c.bytes);
	if (!c.buf)
		return 1;
	if (c.bytes > RING_SIZE)
		printf("# bench-console: %llu bytes are more than the module's ring (%u): "
		       "a slow reader loses some\n", (unsigned long long) c.bytes, RING_SIZE);
	ring_old = read_param(RING_PARAM);
	c.dev = open(device, O_RDWR | O_CLOEXEC);
	if (c.dev < 0 || ring_old < 0 || write_param(RING_PARAM, RING_SIZE) < 0) {
		msg("%s or %s: %s", device, RING_PARAM, strerror(errno));
		return 1;
	}
	unlink(c.log_path);
	unlink(c.log_old);
	r = sd_bus_open_system(&c.bus);
	if (r < 0)
		msg("cannot connect to the system bus: %s", strerror(-r));
	if (r >= 0)
		r = emu("console banner no");
	if (r >= 0)
		r = emu("console echo no");
	if (r >= 0)
		r = raw_vm_new(&c);
	if (r >= 0)
		r = daemon_vm_new(&c);
	/* each VM is created with the big ring: the parameter goes back at once */
	(void) write_param(RING_PARAM, ring_old);
	printf("# bench-console: %u runs of %llu bytes; raw VM 0x%x, '%s' VM 0x%x, log %s\n", runs,
	       (unsigned long long) c.bytes, c.s[VM_OWN].vmid, c.vm_name, c.s[VM_DAEMON].vmid,
	       c.log_path);
	for (unsigned i = 0; r >= 0 && i < runs; i++)
		for (unsigned k = 0; r >= 0 && k < N_SIDES; k++)
			r = run_side(&c, (enum side) ((i + k) % N_SIDES), i);
	if (r >= 0)
		report(&c, runs);

	if (c.vm_path)
		(void) manager_call(&c, "DestroyVM");
	if (c.raw_cfd >= 0)
		close(c.raw_cfd);
	if (c.raw_vm >= 0)
		close(c.raw_vm);
	if (c.raw_mem)
		munmap(c.raw_mem, RAW_MEM_SIZE);
	(void) emu("console banner yes");
	(void) emu("console echo yes");
	sd_bus_flush_close_unref(c.bus);
	free(c.vm_path);
	free(c.buf);
	close(c.dev);
	return r < 0 ? 1 : 0;
}
