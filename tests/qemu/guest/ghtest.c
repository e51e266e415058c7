// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Helpers of the in-guest tests; see ghtest.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ghtest.h"
#include "guest-dtb.h"

static int gt_count;
static int gt_failed;

static void gt_vline(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

bool gt_ok(bool cond, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	gt_count++;
	if (!cond)
		gt_failed++;
	snprintf(prefix, sizeof(prefix), "%s %d - ", cond ? "ok" : "not ok", gt_count);
	va_start(ap, fmt);
	gt_vline(prefix, fmt, ap);
	va_end(ap);
	return cond;
}

bool gt_is(long long got, long long want, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;
	bool cond = got == want;

	gt_count++;
	if (!cond)
		gt_failed++;
	snprintf(prefix, sizeof(prefix), "%s %d - ", cond ? "ok" : "not ok", gt_count);
	va_start(ap, fmt);
	gt_vline(prefix, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got %lld (%s), want %lld (%s)\n", got, got < 0 ? strerror((int)-got) : "-",
		       want, want < 0 ? strerror((int)-want) : "-");
	fflush(stdout);
	return cond;
}

void gt_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gt_vline("# ", fmt, ap);
	va_end(ap);
}

void gt_skip(const char *fmt, ...)
{
	char prefix[48];
	va_list ap;

	gt_count++;
	snprintf(prefix, sizeof(prefix), "ok %d - # SKIP ", gt_count);
	va_start(ap, fmt);
	gt_vline(prefix, fmt, ap);
	va_end(ap);
}

void gt_bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gt_vline("Bail out! ", fmt, ap);
	va_end(ap);
	exit(1);
}

int gt_done(void)
{
	printf("1..%d\n", gt_count);
	if (gt_failed)
		printf("# %d of %d failed\n", gt_failed, gt_count);
	fflush(stdout);
	return gt_failed ? 1 : 0;
}

long long gt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- ioctls ---- */

int gt_ioctl(int fd, unsigned long req, const void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int gt_open_gunyah(void)
{
	int fd = open("/dev/gunyah", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		gt_bail("open /dev/gunyah: %s", strerror(errno));
	return fd;
}

int gt_create_vm(int dev)
{
	int r;

	do {
		r = ioctl(dev, GH_CREATE_VM, 0);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int gt_status(int vm, struct gh_vm_status *st)
{
	return gt_ioctl(vm, GH_VM_GET_STATUS, st);
}

bool gt_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

int gt_wait_exit(int vm, struct gh_vm_status *st, int timeout_ms)
{
	long long deadline = gt_now_ms() + timeout_ms;

	for (;;) {
		int r = gt_status(vm, st);

		if (r < 0)
			return r;
		if (st->exit_status != GH_VM_EXIT_STATUS_NONE)
			return 0;
		if (gt_now_ms() >= deadline)
			return -ETIMEDOUT;
		(void)gt_readable(vm, 100);
	}
}

int gt_region(int vm, uint32_t label, uint32_t flags, uint64_t gpa, uint64_t size, void *mem)
{
	struct gh_userspace_memory_region r = {
		.label = label,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)mem,
	};

	return gt_ioctl(vm, GH_VM_SET_USER_MEM_REGION, &r);
}

/* ---- guest memory ---- */

void *gt_map(size_t size)
{
	int fd = memfd_create("gt-guest", MFD_CLOEXEC);
	void *p;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		gt_bail("memfd: %s", strerror(errno));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		gt_bail("mmap: %s", strerror(errno));
	close(fd);
	return p;
}

/* The devicetree of tests/common/guest-dtb.c, the one the host tests use too */
bool gt_dtb_rm_rpc = true;
bool gt_dtb_console = true;

uint64_t gt_write_dtb(void *mem, size_t size, uint64_t base, uint32_t shm_label)
{
	const struct guest_dtb d = {
		.base = base, .size = size, .image_name = "qemu-suite", .vcpus = 1,
		.shm_label = shm_label, .shm_base = GT_SHM_BASE, .rm_rpc = gt_dtb_rm_rpc,
		.console = gt_dtb_console,
	};
	uint64_t offset = size - GT_DTB_SLOT;
	int r;

	r = guest_dtb_write((char *)mem + offset, GT_DTB_SLOT, &d);
	if (r)
		gt_bail("guest_dtb_write: %s", fdt_strerror(r));
	return offset;
}

int gt_vm_new(struct gt_vm *vm, int dev, size_t mem_size, bool with_shm)
{
	struct gh_vm_dtb_config dtb;
	struct gh_vm_status st;
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	vm->mem_size = mem_size;
	vm->mem = gt_map(mem_size);
	if (with_shm) {
		vm->shm_size = 2 * GT_PAGE;
		vm->shm = gt_map(vm->shm_size);
	}
	vm->dtb_offset = gt_write_dtb(vm->mem, mem_size, GT_MEM_BASE, with_shm ? 1 : 0);

	r = gt_create_vm(dev);
	if (r < 0)
		return r;
	vm->fd = r;
	r = gt_status(vm->fd, &st);
	if (r < 0)
		goto fail;
	vm->vmid = st.vmid;
	r = gt_region(vm->fd, 0, GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC |
		      GH_MEM_LENT, GT_MEM_BASE, mem_size, vm->mem);
	if (r < 0)
		goto fail;
	if (with_shm) {
		r = gt_region(vm->fd, 1, GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE, GT_SHM_BASE,
			      vm->shm_size, vm->shm);
		if (r < 0)
			goto fail;
	}
	dtb = (struct gh_vm_dtb_config){ .gpa = GT_MEM_BASE + vm->dtb_offset, .size = GT_DTB_SLOT };
	r = gt_ioctl(vm->fd, GH_VM_SET_DTB_CONFIG, &dtb);
	if (r < 0)
		goto fail;
	return 0;
fail:
	close(vm->fd);
	vm->fd = -1;
	return r;
}

void gt_vm_close(struct gt_vm *vm)
{
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->shm)
		munmap(vm->shm, vm->shm_size);
	vm->mem = vm->shm = NULL;
}

/* ---- module parameters ---- */

static long long gt_read_number(const char *path)
{
	char buf[64] = "";
	long long v;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	if (sscanf(buf, "%lld", &v) != 1)
		return -1;
	return v;
}

long long gt_param(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/gunyah/parameters/%s", name);
	return gt_read_number(path);
}

int gt_param_str(const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/gunyah/parameters/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int gt_param_set(const char *name, const char *value)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/gunyah/parameters/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

long long gt_module_refcnt(void)
{
	return gt_read_number("/sys/module/gunyah/refcnt");
}

/* ---- RM emulator ---- */

static int gt_emu_vcmd(char **ret_out, const char *fmt, va_list ap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = getenv("GH_EMU_CONTROL");
	char cmd[512], *buf = NULL, *status, *end;
	size_t len = 0, cap = 0;
	int fd, n, r;

	if (!path)
		path = "/run/gh-rm-emu.sock";
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 1)
		return -E2BIG;
	cmd[n++] = '\n';

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(fd, cmd, n) != n) {
		r = -errno;
		close(fd);
		return r;
	}

	/* Read until a status line: "OK" or "ERR ..." at the start of a line */
	for (;;) {
		ssize_t got;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				gt_bail("out of memory");
			buf = nb;
			cap += 65536;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += got;
		buf[len] = '\0';
		end = buf + len;
		if (len && end[-1] == '\n') {
			/* the last complete line */
			char *p = end - 1;

			while (p > buf && p[-1] != '\n')
				p--;
			if (!strncmp(p, "OK", 2) || !strncmp(p, "ERR", 3))
				break;
		}
	}
	close(fd);
	if (!buf || !len) {
		free(buf);
		return -EPIPE;
	}

	buf[len] = '\0';
	if (buf[len - 1] == '\n')
		buf[--len] = '\0';
	status = strrchr(buf, '\n');
	status = status ? status + 1 : buf;
	r = strncmp(status, "OK", 2) ? 1 : 0;
	if (r)
		gt_diag("emulator: '%.*s': %s", n - 1, cmd, status);
	*status = '\0';
	if (ret_out)
		*ret_out = buf;
	else
		free(buf);
	return r;
}

int gt_emu(char **ret_out, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = gt_emu_vcmd(ret_out, fmt, ap);
	va_end(ap);
	return r;
}

void gt_emu_must(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = gt_emu_vcmd(NULL, fmt, ap);
	va_end(ap);
	if (r)
		gt_bail("emulator command '%s' failed: %d", fmt, r);
}

bool gt_field(const char *line, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t n = strcspn(v, " \n");

			if (n >= size)
				n = size - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return true;
		}
		p += klen;
	}
	return false;
}

long long gt_field_num(const char *line, const char *key)
{
	char buf[64];

	if (!gt_field(line, key, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

long long gt_emu_stat(const char *key)
{
	char *out = NULL;
	long long v = -1;

	if (gt_emu(&out, "stats") == 0)
		v = gt_field_num(out, key);
	free(out);
	return v;
}

size_t gt_lines(const char *text)
{
	size_t n = 0;

	for (const char *p = text; p && *p; p++)
		if (*p == '\n' || !p[1])
			n++;
	return n;
}

bool gt_line(const char *text, size_t i, char *buf, size_t size)
{
	const char *p = text, *e;

	while (i--) {
		p = strchr(p, '\n');
		if (!p)
			return false;
		p++;
	}
	if (!*p)
		return false;
	e = strchrnul(p, '\n');
	if ((size_t)(e - p) >= size)
		e = p + size - 1;
	memcpy(buf, p, e - p);
	buf[e - p] = '\0';
	return true;
}
