// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The RM console through gunyah.ko, against gh-rm-emu's scripted guests
 * (docs/kmod.md "Console", docs/rm-emulator.md "Console"): boot output read
 * from its first byte, input echoed, a 10 MiB flood with exact loss
 * accounting, the console after the VM's exit and after its fd's close, a
 * refused console, dropped notifications, and 1000 opens and closes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ghtest.h"

#define MEM_SIZE	(1ul << 20)
#define FLOOD		(10ull << 20)
#define BANNER_END	"up; echoing input\r\n"

static int dev;

static int open_console(int vm)
{
	return gt_ioctl(vm, GH_VM_OPEN_CONSOLE, NULL);
}

static unsigned long long get_lost(int cfd)
{
	uint64_t lost = ~0ull;

	if (ioctl(cfd, GH_CONSOLE_GET_LOST, &lost) < 0)
		gt_bail("GH_CONSOLE_GET_LOST: %s", strerror(errno));
	return lost;
}

/*
 * Reads into buf (NUL-terminated) until it holds @want or @timeout_ms pass.
 * Returns the bytes read.
 */
static size_t read_until(int cfd, char *buf, size_t size, const char *want, int timeout_ms)
{
	long long deadline = gt_now_ms() + timeout_ms;
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	while (len + 1 < size && !memmem(buf, len, want, strlen(want))) {
		long long left = deadline - gt_now_ms();

		if (left <= 0 || !gt_readable(cfd, (int)left))
			break;
		n = read(cfd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return len;
}

/* A field of this VM's line in the emulator's `consoles` */
static long long emu_console_field(uint16_t vmid, const char *key)
{
	char *out = NULL, line[512], want[32];
	long long v = -1;

	if (gt_emu(&out, "consoles"))
		return -1;
	snprintf(want, sizeof(want), "vmid=0x%x ", vmid);
	for (size_t i = 0; gt_line(out, i, line, sizeof(line)); i++)
		if (!strncmp(line, want, strlen(want)))
			v = gt_field_num(line, key);
	free(out);
	return v;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool new_started_vm(struct gt_vm *vm, int *ret_cfd)
{
	if (gt_vm_new(vm, dev, MEM_SIZE, false))
		return gt_ok(false, "a VM");
	/* opened before the start: it must see the boot output from its first byte */
	if (ret_cfd) {
		*ret_cfd = open_console(vm->fd);
		if (*ret_cfd < 0)
			gt_diag("GH_VM_OPEN_CONSOLE before START: %d", *ret_cfd);
	}
	return gt_is(gt_ioctl(vm->fd, GH_VM_START, NULL), 0, "VM %#x started", vm->vmid);
}

static void test_boot_and_echo(void)
{
	static const char input[] = "hello \xff\x80\xc3\x28 world\r\n";
	char buf[8192], want[128], big[1000];
	struct gt_vm vm;
	int cfd, cfd2, r;
	size_t n;

	gt_is(gt_param("console_ring_size"), 65536, "console_ring_size defaults to 64 KiB");
	if (!new_started_vm(&vm, &cfd))
		return;
	gt_ok(cfd >= 0, "GH_VM_OPEN_CONSOLE before START gives an fd (%d)", cfd);
	gt_ok(fcntl(cfd, F_GETFD) & FD_CLOEXEC, "the console fd is O_CLOEXEC");

	n = read_until(cfd, buf, sizeof(buf), BANNER_END, 10000);
	snprintf(want, sizeof(want), "gh-rm-emu guest: booting VM 0x%x (qemu-suite)\r\n", vm.vmid);
	gt_ok(!strncmp(buf, want, strlen(want)), "boot output from its first byte: '%.60s'", buf);
	gt_ok(strstr(buf, BANNER_END) != NULL, "the whole banner (%zu bytes)", n);
	gt_is(emu_console_field(vm.vmid, "unopened"), 0, "the RM dropped nothing: opened in time");
	gt_is(emu_console_field(vm.vmid, "sent"), (long long)n, "every byte the guest wrote");
	gt_is(get_lost(cfd), 0, "nothing lost");

	/* a second fd reads from the first byte the ring holds */
	cfd2 = open_console(vm.fd);
	gt_ok(cfd2 >= 0 && cfd2 != cfd, "a second console fd");
	gt_ok(read_until(cfd2, buf, sizeof(buf), BANNER_END, 5000) == n &&
	      !strncmp(buf, want, strlen(want)), "it reads the boot output too");

	/* nothing to read: O_NONBLOCK gives EAGAIN */
	fcntl(cfd2, F_SETFL, O_NONBLOCK);
	gt_ok(read(cfd2, buf, 1) < 0 && errno == EAGAIN, "O_NONBLOCK read with nothing: EAGAIN");
	close(cfd2);

	/* input goes to the guest, which echoes it, bytes as they are */
	{
		struct pollfd p = { .fd = cfd, .events = POLLOUT };

		gt_ok(poll(&p, 1, 1000) == 1 && (p.revents & POLLOUT), "the console polls writable");
	}
	gt_is(write(cfd, input, sizeof(input) - 1), (long long)sizeof(input) - 1, "write input");
	n = read_until(cfd, buf, sizeof(buf), "world\r\n", 5000);
	gt_ok(n == sizeof(input) - 1 && !memcmp(buf, input, n), "echoed exactly (%zu bytes)", n);

	/* a write above one packet goes in 228-byte VM_CONSOLE_WRITEs */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = '$';
	gt_emu_must("log clear");
	gt_is(write(cfd, big, sizeof(big)), (long long)sizeof(big), "write 1000 bytes");
	n = read_until(cfd, buf, sizeof(buf), "$", 5000);
	gt_ok(n == sizeof(big) && !memcmp(buf, big, n), "1000 bytes echoed (%zu)", n);
	{
		char *log = NULL, line[512];
		int writes = 0, sized = 0;

		if (gt_emu(&log, "log") == 0)
			for (size_t i = 0; gt_line(log, i, line, sizeof(line)); i++)
				if (strstr(line, " VM_CONSOLE_WRITE ") && strstr(line, "result=OK")) {
					writes++;
					sized += gt_field_num(line, "bytes") <= 228;
				}
		free(log);
		gt_is(writes, 5, "five VM_CONSOLE_WRITEs (4 x 228 + 88)");
		gt_is(sized, 5, "none above one packet");
	}
	r = (int)emu_console_field(vm.vmid, "received");
	gt_is(r, (long long)(sizeof(input) - 1 + sizeof(big)), "the guest received every byte");

	close(cfd);
	gt_vm_close(&vm);
}

/* 10 MiB as fast as the guest can: the reader stays responsive; read + lost == sent */
static void test_flood(void)
{
	static char buf[65536];
	unsigned long long got = 0, lost = 0, base, start;
	long long t0, worst = 0, t, sent;
	struct gh_vm_status st;
	bool pattern = true;
	struct gt_vm vm;
	int cfd;
	ssize_t n;

	gt_emu_must("console echo no");
	if (!new_started_vm(&vm, &cfd) || cfd < 0)
		return;
	/* the banner first: the flood's stream starts after it */
	got = base = read_until(cfd, buf, sizeof(buf), BANNER_END, 10000);
	gt_ok(strstr(buf, BANNER_END) != NULL, "banner read before the flood");

	gt_emu_must("console 0x%x flood %llu", vm.vmid, FLOOD);
	t0 = gt_now_ms();
	/*
	 * A slow start: read nothing until the guest sent 16 rings' worth, so
	 * that the ring overtakes this reader however fast the machine is.
	 */
	while (emu_console_field(vm.vmid, "sent") < (long long)(base + 16 * 65536) &&
	       gt_now_ms() - t0 < 120000)
		usleep(10 * 1000);
	while (got + lost < base + FLOOD && gt_now_ms() - t0 < 240000) {
		if (!gt_readable(cfd, 5000))
			break;
		n = read(cfd, buf, sizeof(buf));
		if (n <= 0)
			break;
		got += (unsigned long long)n;
		lost = get_lost(cfd);
		/* where this chunk sits in the flood */
		start = got + lost - base - (unsigned long long)n;
		for (ssize_t i = 0; i < n && pattern; i++)
			if ((unsigned char)buf[i] != (start + (unsigned long long)i) % 251)
				pattern = false;
		/* the VM fd answers while the flood runs */
		t = gt_now_ms();
		gt_status(vm.fd, &st);
		if (gt_now_ms() - t > worst)
			worst = gt_now_ms() - t;
	}
	sent = emu_console_field(vm.vmid, "sent");
	gt_diag("flood: %llu bytes read, %llu lost, in %lld ms; GET_STATUS at worst %lld ms",
		got, lost, gt_now_ms() - t0, worst);
	gt_is((long long)(got + lost), (long long)(base + FLOOD), "bytes read + lost == bytes sent");
	gt_is(sent, (long long)(base + FLOOD), "the guest sent them all (emulator's count)");
	gt_is(emu_console_field(vm.vmid, "dropped"), 0, "no notification dropped");
	gt_ok(lost > 0, "the ring overtook the slow reader (%llu lost)", lost);
	gt_ok(got >= 65536, "at least one ring's worth was read (%llu)", got);
	gt_ok(pattern, "every byte read is the flood's byte at its place");
	gt_ok(worst < 2000, "the VM fd stayed responsive (%lld ms)", worst);
	gt_emu_must("console echo yes");
	close(cfd);
	gt_vm_close(&vm);
}

/* After the VM's exit: drain, then end of file; writes EPIPE; and after the VM fd's close */
static void test_exit_and_close(void)
{
	char buf[4096];
	struct gt_vm vm;
	struct pollfd p;
	int cfd, r;

	if (!new_started_vm(&vm, &cfd) || cfd < 0)
		return;
	read_until(cfd, buf, sizeof(buf), BANNER_END, 10000);
	gt_emu_must("console 0x%x print last\\swords\\r\\n", vm.vmid);
	/* let the words go out before the exit */
	gt_ok(gt_readable(cfd, 5000), "the last words arrive");
	gt_emu_must("exit 0x%x VM_EXIT", vm.vmid);
	{
		struct gh_vm_status st;

		gt_is(gt_wait_exit(vm.fd, &st, 5000), 0, "the VM exited");
	}
	gt_ok(read_until(cfd, buf, sizeof(buf), "words\r\n", 2000) > 0 &&
	      strstr(buf, "last words\r\n"), "what was written before the exit is read");
	p = (struct pollfd){ .fd = cfd, .events = POLLIN | POLLOUT };
	r = poll(&p, 1, 1000);
	gt_ok(r == 1 && (p.revents & POLLHUP) && !(p.revents & POLLOUT),
	      "drained after the exit: EPOLLHUP, not EPOLLOUT (revents %#x)", p.revents);
	gt_is(read(cfd, buf, sizeof(buf)), 0, "read() == 0 after the exit");
	gt_ok(write(cfd, "x", 1) < 0 && errno == EPIPE, "write after the exit: EPIPE");

	/* the VM fd goes; the console fd keeps its console */
	gt_emu_must("log clear");
	gt_vm_close(&vm);
	gt_is(read(cfd, buf, sizeof(buf)), 0, "after the VM fd's close: read() == 0");
	gt_ok(write(cfd, "x", 1) < 0 && errno == EPIPE, "after the VM fd's close: EPIPE");
	{
		char *log = NULL;

		gt_ok(gt_emu(&log, "log") == 0 && strstr(log, "VM_CONSOLE_FLUSH") &&
		      strstr(log, "VM_CONSOLE_CLOSE") &&
		      strstr(log, "VM_CONSOLE_CLOSE") < strstr(log, "VM_RESET"),
		      "teardown flushes and closes the console before VM_RESET");
		free(log);
	}
	gt_is(close(cfd), 0, "close the console fd last");
}

/* The RM refuses the console: the VM works; GH_VM_OPEN_CONSOLE is -ENODEV */
static void test_refused(void)
{
	struct gh_vm_status st;
	struct gt_vm vm;
	char buf[16];
	int cfd;

	gt_emu_must("fault VM_CONSOLE_OPEN error DENIED count 1");
	if (!new_started_vm(&vm, &cfd))
		return;
	gt_ok(cfd >= 0, "a console fd opened before the start");
	gt_status(vm.fd, &st);
	gt_is(st.rm_status, GH_RM_VM_STATUS_RUNNING, "the VM runs without a console");
	gt_is(open_console(vm.fd), -ENODEV, "GH_VM_OPEN_CONSOLE after a refused open: -ENODEV");
	gt_is(read(cfd, buf, sizeof(buf)), 0, "the early fd reads end of file");
	gt_ok(write(cfd, "x", 1) < 0 && errno == EPIPE, "and writes EPIPE");
	close(cfd);
	gt_vm_close(&vm);

	/* no console-dev in the devicetree: the RM has no console for it */
	gt_dtb_console = false;
	if (new_started_vm(&vm, NULL))
		gt_is(open_console(vm.fd), -ENODEV, "no console-dev: -ENODEV");
	gt_dtb_console = true;
	gt_vm_close(&vm);
}

/* A CHARS notification lost on the way: the module cannot know; the rest flows */
static void test_dropped_notification(void)
{
	char buf[4096];
	struct gt_vm vm;
	int cfd;

	if (!new_started_vm(&vm, &cfd) || cfd < 0)
		return;
	read_until(cfd, buf, sizeof(buf), BANNER_END, 10000);
	gt_emu_must("fault NOTIFY_VM_CONSOLE_CHARS drop count 1");
	gt_is(write(cfd, "abc", 3), 3, "write abc");
	gt_ok(!gt_readable(cfd, 500), "its echo was dropped");
	gt_is(write(cfd, "def", 3), 3, "write def");
	gt_ok(read_until(cfd, buf, sizeof(buf), "def", 5000) == 3 && !strcmp(buf, "def"),
	      "the next echo arrives (%s)", buf);
	gt_is(emu_console_field(vm.vmid, "dropped"), 3, "the emulator counted 3 dropped bytes");
	close(cfd);
	gt_vm_close(&vm);
}

/* 1000 opens and closes leak nothing: fds, module references, and the module unloads later */
static void test_open_close_1000(void)
{
	long long ref0, ref1;
	struct gt_vm vm;
	int fds0, bad = 0, cfd;

	if (!new_started_vm(&vm, NULL))
		return;
	fds0 = count_fds();
	ref0 = gt_module_refcnt();
	for (int i = 0; i < 1000; i++) {
		cfd = open_console(vm.fd);
		if (cfd < 0 || close(cfd))
			bad++;
	}
	gt_is(bad, 0, "1000 opens and closes");
	gt_is(count_fds(), fds0, "no fd left behind");
	gt_is(gt_module_refcnt(), ref0, "no module reference left behind");
	cfd = open_console(vm.fd);
	ref1 = gt_module_refcnt();
	gt_is(ref1, ref0 + 1, "an open console fd holds the module");
	gt_vm_close(&vm);
	close(cfd);
	gt_is(gt_module_refcnt(), ref0 - 1, "VM and console gone: their references too");
	gt_is(gt_param("pinned_pages"), 0, "nothing pinned");
	gt_is(gt_param("zombies"), 0, "no zombie");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = gt_open_gunyah();
	gt_emu_must("fault clear");
	gt_emu_must("console rate 0");
	test_boot_and_echo();
	test_refused();
	test_dropped_notification();
	test_exit_and_close();
	test_open_close_1000();
	test_flood();
	gt_emu_must("fault clear");
	close(dev);
	return gt_done();
}
