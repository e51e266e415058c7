// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Bare-metal payload lifecycles on the real Gunyah hypervisor and Resource
 * Manager (tests/qemu/gunyah-suite.sh): a VM created with GH_CREATE_VM,
 * a shared 4 MiB region holding the payload (tests/qemu/payload) at its
 * base and its devicetree (PAYLOAD_DIR/vm.dtb, or vm-rpc.dtb) at +2 MiB,
 * GH_VM_SET_DTB_CONFIG, GH_VM_START.
 * The payload's counter, read through the shared mapping, proves that the
 * guest runs; its exits come back through GH_VM_GET_STATUS:
 *   spin  runs until GH_VM_STOP (force): exit type 7, the counter freezes
 *   off   counts to 100000 and calls PSCI SYSTEM_OFF: exit type 1
 *   rpc   graceful GH_VM_STOP: the RM's NOTIFY_VM_SHUTDOWN reaches the
 *         guest over its rm-rpc link and it powers off: exit type 1
 *   console  (vm-console.dtb: console-dev) the guest opens its RM console
 *         and writes a line: the RM accepts both and the line comes out of
 *         a GH_VM_OPEN_CONSOLE fd; it goes on running and is closed
 *   spin  closed while running: the module stops and tears it down
 * Afterwards nothing is pinned, no VM is a zombie, and the RM still answers.
 *
 *   test-real-payload PAYLOAD_DIR
 *   test-real-payload --alive     (only: the RM answers, nothing leaked)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ghtest.h"

#define MEM_SIZE	(4ul << 20)
#define DTB_OFFSET	(2ul << 20)
#define OFF_COUNT	100000		/* payload.S: PAYLOAD_OFF_COUNT */
#define EXIT_WAIT_MS	30000

static int dev;
static const char *payload_dir;

struct pvm {
	int fd;
	void *mem;
	volatile uint64_t *counter;
};

/* Reads file into buf (at most max bytes); returns its size or bails out */
static size_t load(const char *path, void *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		gt_bail("open %s: %s", path, strerror(errno));
	n = read(fd, buf, max);
	close(fd);
	if (n <= 0 || (size_t)n == max)
		gt_bail("%s: cannot read it, or larger than %zu bytes", path, max - 1);
	return (size_t)n;
}

/*
 * Creates and starts a payload VM; 0, or -errno of the failing step (named
 * in a diagnostic). The fd stays open on failure, for the caller to close.
 */
static int pvm_start(struct pvm *v, const char *payload, const char *dtb_name)
{
	char path[512];
	struct gh_vm_dtb_config dtb = { .gpa = GT_MEM_BASE + DTB_OFFSET, .size = GT_DTB_SLOT };
	const char *marker;
	int r;

	memset(v, 0, sizeof(*v));
	v->mem = gt_map(MEM_SIZE);
	snprintf(path, sizeof(path), "%s/%s", payload_dir, payload);
	load(path, v->mem, DTB_OFFSET);
	snprintf(path, sizeof(path), "%s/%s", payload_dir, dtb_name);
	load(path, (char *)v->mem + DTB_OFFSET, GT_DTB_SLOT);
	marker = memmem(v->mem, DTB_OFFSET, "GHCOUNT!", 8);
	if (!marker)
		gt_bail("%s has no GHCOUNT! marker", path);
	v->counter = (volatile uint64_t *)(marker + 8);

	v->fd = gt_create_vm(dev);
	if (v->fd < 0) {
		gt_diag("GH_CREATE_VM: %s", strerror(-v->fd));
		return v->fd;
	}
	/* shared, not lent: the host watches the counter */
	r = gt_region(v->fd, 0, GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC,
		      GT_MEM_BASE, MEM_SIZE, v->mem);
	if (r < 0) {
		gt_diag("GH_VM_SET_USER_MEM_REGION: %s", strerror(-r));
		return r;
	}
	r = gt_ioctl(v->fd, GH_VM_SET_DTB_CONFIG, &dtb);
	if (r < 0) {
		gt_diag("GH_VM_SET_DTB_CONFIG: %s", strerror(-r));
		return r;
	}
	r = gt_ioctl(v->fd, GH_VM_START, NULL);
	if (r < 0)
		gt_diag("GH_VM_START: %s", strerror(-r));
	return r;
}

/* Closes the VM (the module tears it down); returns how long that took */
static long long pvm_close(struct pvm *v)
{
	long long t0 = gt_now_ms();

	if (v->fd >= 0)
		close(v->fd);
	t0 = gt_now_ms() - t0;
	munmap(v->mem, MEM_SIZE);
	v->fd = -1;
	return t0;
}

/* The counter advances between two reads a second apart */
static bool advancing(struct pvm *v, const char *what)
{
	uint64_t a, b;

	usleep(300 * 1000);
	a = *v->counter;
	usleep(1000 * 1000);
	b = *v->counter;
	gt_diag("%s: counter %llu, a second later %llu", what, (unsigned long long)a,
		(unsigned long long)b);
	return gt_ok(a > 0 && b > a, "%s: the payload runs (its counter advances)", what);
}

static void test_spin_forced_stop(void)
{
	struct gh_vm_stop stop = { .flags = GH_VM_STOP_FORCE };
	struct gh_vm_status st;
	struct pvm v;
	uint64_t a, b;

	if (!gt_is(pvm_start(&v, "payload-spin.bin", "vm.dtb"), 0, "spin: GH_VM_START")) {
		pvm_close(&v);
		return;
	}
	gt_is(gt_status(v.fd, &st), 0, "spin: GH_VM_GET_STATUS");
	gt_is(st.rm_status, GH_RM_VM_STATUS_RUNNING, "spin: RUNNING (vmid %#x)", st.vmid);
	gt_ok(st.vmid >= 0x80 && st.vmid <= 0xbe, "spin: a dynamic VMID (%#x)", st.vmid);
	advancing(&v, "spin");
	gt_is(gt_ioctl(v.fd, GH_VM_STOP, &stop), 0, "spin: GH_VM_STOP force");
	if (gt_is(gt_wait_exit(v.fd, &st, EXIT_WAIT_MS), 0, "spin: the exit is reported")) {
		gt_is(st.exit_status, GH_VM_EXIT_STATUS_EXITED, "spin: exit_status EXITED");
		gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED, "spin: exit_type 7 (forced)");
		gt_is(st.rm_status, GH_RM_VM_STATUS_EXITED, "spin: rm_status EXITED");
	}
	a = *v.counter;
	usleep(300 * 1000);
	b = *v.counter;
	gt_is((long long)b, (long long)a, "spin: stopped, the counter no longer moves");
	gt_diag("spin: close took %lld ms", pvm_close(&v));
}

static void test_off(void)
{
	struct gh_vm_status st;
	struct pvm v;

	if (!gt_is(pvm_start(&v, "payload-off.bin", "vm.dtb"), 0, "off: GH_VM_START")) {
		pvm_close(&v);
		return;
	}
	if (gt_is(gt_wait_exit(v.fd, &st, EXIT_WAIT_MS), 0, "off: the exit is reported")) {
		gt_is(st.exit_status, GH_VM_EXIT_STATUS_EXITED, "off: exit_status EXITED");
		gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_PLATFORM_OFF,
		      "off: exit_type 1 (PSCI SYSTEM_OFF)");
		gt_is(st.rm_status, GH_RM_VM_STATUS_EXITED, "off: rm_status EXITED");
	}
	gt_is((long long)*v.counter, OFF_COUNT, "off: the payload counted to %d first", OFF_COUNT);
	gt_diag("off: close took %lld ms", pvm_close(&v));
}

/* payload.S, PAYLOAD_RPC: what it leaves for a puzzled host */
#define RPC_POLLS	0x1010
#define RPC_LAST_MSG	0x1018
#define RPC_ERRORS	0x1100
#define RPC_CAPS	64

static void rpc_diag(const struct pvm *v)
{
	const volatile uint64_t *errors = (const volatile uint64_t *)((char *)v->mem + RPC_ERRORS);

	gt_diag("rpc: %llu polls, last message ID %#llx",
		(unsigned long long)*(volatile uint64_t *)((char *)v->mem + RPC_POLLS),
		(unsigned long long)*(volatile uint64_t *)((char *)v->mem + RPC_LAST_MSG));
	for (int i = 0; i < RPC_CAPS; i++)
		if (errors[i] != errors[RPC_CAPS - 1] || i < 4)
			gt_diag("rpc: MSGQ_RECV on capability %d: error %llu", i,
				(unsigned long long)errors[i]);
}

static void test_rpc_graceful_stop(void)
{
	struct gh_vm_stop stop = { .flags = 0 };
	struct gh_vm_status st;
	struct pvm v;

	if (!gt_is(pvm_start(&v, "payload-rpc.bin", "vm-rpc.dtb"), 0, "rpc: GH_VM_START")) {
		pvm_close(&v);
		return;
	}
	advancing(&v, "rpc");
	gt_is(gt_ioctl(v.fd, GH_VM_STOP, &stop), 0, "rpc: GH_VM_STOP graceful");
	if (gt_is(gt_wait_exit(v.fd, &st, EXIT_WAIT_MS), 0, "rpc: the exit is reported")) {
		gt_is(st.exit_status, GH_VM_EXIT_STATUS_EXITED, "rpc: exit_status EXITED");
		gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_PLATFORM_OFF,
		      "rpc: exit_type 1 (the guest powered off)");
	} else {
		rpc_diag(&v);
	}
	gt_diag("rpc: close took %lld ms", pvm_close(&v));
}

/* payload.S, PAYLOAD_CONSOLE: the line it writes, and what it leaves at 0x1020 */
#define CONSOLE_LINE	"gunyah payload: hello from the guest console\r\n"
#define CON_BLOCK	0x1020
#define CON_SEND_ERRORS	0x1300
#define CON_WAIT_MS	20000
enum { CON_STAGE, CON_TX_CAP, CON_RX_CAP, CON_OPEN_ERR, CON_WRITE_ERR, CON_SEND_ERR, CON_ROUNDS,
       CON_WORDS };

static uint64_t con_word(const struct pvm *v, int i)
{
	return ((const volatile uint64_t *)((char *)v->mem + CON_BLOCK))[i];
}

static void console_diag(const struct pvm *v)
{
	static const char *const names[CON_WORDS] = {
		"stage (4: done)", "send capability", "capability of the last reply",
		"RM error of VM_CONSOLE_OPEN", "RM error of VM_CONSOLE_WRITE",
		"MSGQ_SEND error of the WRITE", "rounds polled for replies",
	};
	const volatile uint64_t *send = (const volatile uint64_t *)((char *)v->mem + CON_SEND_ERRORS);

	for (int i = 0; i < CON_WORDS; i++)
		gt_diag("console: %s: %lld", names[i], (long long)con_word(v, i));
	for (int i = 0; i < 4; i++)
		gt_diag("console: MSGQ_SEND of the OPEN on capability %d: error %llu", i,
			(unsigned long long)send[i]);
}

/* Reads con until CONSOLE_LINE came, end of file or CON_WAIT_MS; bytes in buf */
static size_t console_read_line(int con, char *buf, size_t size)
{
	long long deadline = gt_now_ms() + CON_WAIT_MS;
	size_t got = 0;

	while (got < size - 1 && !memmem(buf, got, CONSOLE_LINE, strlen(CONSOLE_LINE))) {
		long long left = deadline - gt_now_ms();
		ssize_t n;

		if (left <= 0 || !gt_readable(con, (int)left))
			break;
		n = read(con, buf + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

static void test_console(void)
{
	char buf[1024];
	struct pvm v;
	bool ok = true;
	size_t got;
	int con;

	if (!gt_is(pvm_start(&v, "payload-console.bin", "vm-console.dtb"), 0,
		   "console: GH_VM_START")) {
		pvm_close(&v);
		return;
	}
	con = gt_ioctl(v.fd, GH_VM_OPEN_CONSOLE, NULL);
	if (gt_ok(con >= 0, "console: GH_VM_OPEN_CONSOLE (%s)", con < 0 ? strerror(-con) : "ok")) {
		got = console_read_line(con, buf, sizeof(buf));
		ok &= gt_ok(memmem(buf, got, CONSOLE_LINE, strlen(CONSOLE_LINE)) != NULL,
			    "console: the guest's line comes out of the console fd (%zu bytes)", got);
		if (got)
			gt_diag("console: read '%.*s'", (int)strcspn(buf, "\r\n"), buf);
		close(con);
	} else {
		ok = false;
	}
	ok &= gt_is((long long)con_word(&v, CON_OPEN_ERR), 0,
		    "console: the RM accepts the guest's VM_CONSOLE_OPEN (target 0)");
	ok &= gt_is((long long)con_word(&v, CON_WRITE_ERR), 0,
		    "console: the RM accepts the guest's VM_CONSOLE_WRITE");
	if (!ok)
		console_diag(&v);
	/* Still running past its console (the graceful stop is rpc's test): closed */
	advancing(&v, "console");
	gt_diag("console: close took %lld ms", pvm_close(&v));
}

static void test_close_running(void)
{
	struct pvm v;

	if (!gt_is(pvm_start(&v, "payload-spin.bin", "vm.dtb"), 0, "close-running: GH_VM_START")) {
		pvm_close(&v);
		return;
	}
	advancing(&v, "close-running");
	gt_diag("close-running: close took %lld ms", pvm_close(&v));
}

/* The RM still answers: VM_ALLOCATE and the teardown of an unstarted VM */
static void test_rm_alive(void)
{
	struct gh_vm_status st = { 0 };
	int fd = gt_create_vm(dev);

	if (!gt_ok(fd >= 0, "rm-alive: GH_CREATE_VM (%s)", fd < 0 ? strerror(-fd) : "ok"))
		return;
	gt_is(gt_status(fd, &st), 0, "rm-alive: GH_VM_GET_STATUS");
	gt_ok(st.vmid >= 0x80 && st.vmid <= 0xbe, "rm-alive: a dynamic VMID (%#x)", st.vmid);
	close(fd);
}

int main(int argc, char **argv)
{
	bool alive = argc == 2 && strcmp(argv[1], "--alive") == 0;

	if (argc != 2)
		gt_bail("usage: test-real-payload PAYLOAD_DIR | --alive");
	dev = gt_open_gunyah();
	if (!alive) {
		payload_dir = argv[1];
		test_spin_forced_stop();
		test_console();
		test_off();
		test_rpc_graceful_stop();
		test_close_running();
	}
	test_rm_alive();
	gt_is(gt_param("zombies"), 0, "no zombie VM");
	gt_is(gt_param("pinned_pages"), 0, "no page stays pinned");
	gt_is(gt_param("rm_dropped"), 0, "no RM message was dropped");
	close(dev);
	return gt_done();
}
