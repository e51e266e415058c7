// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The loopback transport and the RM client, with this test as the RM.
 *
 * Runs while no gh-rm-emu holds /dev/gunyah-rm: the test opens the device
 * itself and scripts every exchange with the wire codec (rm/wire/wire.c), so it
 * sees exactly what the module sends, in which order, and can answer late,
 * wrongly or not at all. Ioctls that wait for the RM run on a helper thread
 * while the main thread plays the RM.
 *
 * Covers: the device's ABI (single opener, sizes, O_NONBLOCK, poll, queue
 * depth 8), the parcel read and its refusals, reply matching (seq and
 * msg_id), late replies, malformed packets, fragmented replies, the golden
 * START sequence with the packets' contents, scatter lists over 512 entries
 * with MEM_APPEND, notifications, STOP, and the teardown state machine from
 * RUNNING, EXITED and LOAD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gunyah/rm-wire.h>
#include <linux/gunyah_rm_loopback.h>

#include "ghtest.h"

#define RM_TIMEOUT_MS	400	/* rm_timeout_ms while testing timeouts */
#define RM_PATIENT	"5000"	/* rm_timeout_ms otherwise: the script takes its time */
#define WAIT_MS		8000	/* how long the RM side waits for a request */

static void timeout_short(void)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", RM_TIMEOUT_MS);
	gt_param_set("rm_timeout_ms", v);
}

static void timeout_long(void)
{
	gt_param_set("rm_timeout_ms", RM_PATIENT);
}

static int rm_fd = -1;
static struct gh_rm_reasm reasm;
static u8 reasm_buf[GH_RM_MSG_MAX_RECV];
static u16 notif_seq;

struct req {
	u32 msg_id;
	u16 seq;
	size_t len;
	u8 payload[GH_RM_MSG_MAX_RECV];
};

static struct req rq;		/* the last request received */

/* ---- the RM side ---- */

static int rm_open(void)
{
	rm_fd = open("/dev/gunyah-rm", O_RDWR | O_CLOEXEC);
	if (rm_fd < 0)
		return -errno;
	gh_rm_reasm_init(&reasm, reasm_buf, sizeof(reasm_buf), GH_RM_ACCEPT_SERVER);
	return 0;
}

static void rm_write(const void *pkt, size_t len)
{
	if (write(rm_fd, pkt, len) != (ssize_t)len)
		gt_bail("write to /dev/gunyah-rm: %s", strerror(errno));
}

/* Next complete request within timeout_ms: 0, or -ETIMEDOUT */
static int rm_recv(int timeout_ms)
{
	long long deadline = gt_now_ms() + timeout_ms;
	u8 pkt[256];
	struct gh_rm_msg msg;

	for (;;) {
		struct pollfd p = { .fd = rm_fd, .events = POLLIN };
		long long left = deadline - gt_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) != 1)
			return -ETIMEDOUT;
		n = read(rm_fd, pkt, sizeof(pkt));
		if (n < 0)
			gt_bail("read /dev/gunyah-rm: %s", strerror(errno));
		if (gh_rm_reasm_feed(&reasm, pkt, (size_t)n, &msg) != 1)
			continue;
		rq.msg_id = msg.msg_id;
		rq.seq = msg.seq;
		rq.len = msg.len;
		memcpy(rq.payload, msg.payload, msg.len);
		return 0;
	}
}

/* Receives the next request and checks that it is @msg_id */
static bool rm_expect(u32 msg_id)
{
	if (rm_recv(WAIT_MS) < 0)
		return gt_ok(false, "RM got %s", gh_rm_msg_name(msg_id));
	return gt_ok(rq.msg_id == msg_id, "RM got %s (got %s)", gh_rm_msg_name(msg_id),
		     gh_rm_msg_name(rq.msg_id));
}

static void rm_reply_to(u16 seq, u32 msg_id, u32 err, const void *data, size_t len)
{
	u8 pkt[GH_RM_PACKET_MAX];
	int n = gh_rm_reply_npackets(len);

	for (int i = 0; i < n; i++) {
		int plen = gh_rm_encode_reply_packet(pkt, seq, msg_id, err, data, len, i);

		if (plen < 0)
			gt_bail("encode reply: %d", plen);
		rm_write(pkt, plen);
	}
}

static void rm_reply(u32 err, const void *data, size_t len)
{
	rm_reply_to(rq.seq, rq.msg_id, err, data, len);
}

static void rm_notify(u32 msg_id, const void *payload, size_t len)
{
	u8 pkt[GH_RM_PACKET_MAX];
	int n = gh_rm_msg_npackets(len);

	notif_seq++;
	for (int i = 0; i < n; i++) {
		int plen = gh_rm_encode_packet(pkt, GH_RM_TYPE_NOTIFICATION, notif_seq, msg_id,
					       payload, len, i);

		rm_write(pkt, plen);
	}
}

static void rm_notify_status(u16 vmid, u8 vm_status, u8 os_status)
{
	struct gh_rm_vm_status st = { .vmid = vmid, .vm_status = vm_status, .os_status = os_status };
	u8 buf[GH_RM_VM_STATUS_SIZE];

	gh_rm_enc_vm_status(buf, sizeof(buf), &st);
	rm_notify(GH_RM_NOTIF_VM_STATUS, buf, sizeof(buf));
}

static void rm_notify_exited(u16 vmid, u16 exit_type, u32 word0)
{
	u8 reason[4], buf[GH_RM_VM_EXITED_HDR_SIZE + 4];
	int len;

	gh_rm_put_le32(reason, word0);
	len = gh_rm_enc_vm_exited(buf, sizeof(buf), vmid, exit_type, reason, sizeof(reason));
	rm_notify(GH_RM_NOTIF_VM_EXITED, buf, len);
}

static u16 rq_vmid(void)
{
	struct gh_rm_vmid_req v = { .vmid = 0xffff };

	(void)gh_rm_dec_vmid_req(rq.payload, rq.len, &v);
	return v.vmid;
}

/* ---- ioctls on a helper thread ---- */

struct async {
	pthread_t thread;
	int fd;
	unsigned long req;
	const void *arg;
	bool close_it;
	int ret;
};

static void *async_main(void *p)
{
	struct async *a = p;

	if (a->close_it)
		a->ret = close(a->fd) < 0 ? -errno : 0;
	else if (a->req == GH_CREATE_VM)
		a->ret = gt_create_vm(a->fd);
	else
		a->ret = gt_ioctl(a->fd, a->req, a->arg);
	return NULL;
}

static void async_ioctl(struct async *a, int fd, unsigned long req, const void *arg)
{
	*a = (struct async){ .fd = fd, .req = req, .arg = arg };
	if (pthread_create(&a->thread, NULL, async_main, a))
		gt_bail("pthread_create");
}

static void async_close(struct async *a, int fd)
{
	*a = (struct async){ .fd = fd, .close_it = true };
	if (pthread_create(&a->thread, NULL, async_main, a))
		gt_bail("pthread_create");
}

static int async_join(struct async *a)
{
	pthread_join(a->thread, NULL);
	return a->ret;
}

/* ---- scripted conversations ---- */

static u16 next_vmid = 0x80;

/* GH_CREATE_VM answered by this RM */
static int create_vm(void)
{
	struct async a;
	u8 reply[4];
	int fd;

	async_ioctl(&a, gt_open_gunyah(), GH_CREATE_VM, NULL);
	if (rm_expect(GH_RM_VM_ALLOCATE)) {
		gt_is(rq_vmid(), 0, "VM_ALLOCATE asks for a dynamic VMID");
		gh_rm_enc_vm_alloc_reply(reply, sizeof(reply), next_vmid++);
		rm_reply(GH_RM_ERROR_OK, reply, sizeof(reply));
	}
	fd = async_join(&a);
	close(a.fd);
	gt_ok(fd >= 0, "GH_CREATE_VM: %d", fd);
	return fd;
}

/* Closing a VM whose RM state the script knows; the RM answers as asked */
struct teardown {
	bool console;		/* expect VM_CONSOLE_FLUSH and VM_CONSOLE_CLOSE first */
	bool running;		/* expect VM_STOP(force) first */
	bool reset;		/* expect VM_RESET */
	u32 handles[4];		/* expect MEM_RECLAIM of these, in order */
	int n_handles;
};

static void close_vm(int fd, u16 vmid, const struct teardown *t)
{
	struct gh_rm_vm_stop_req stop;
	struct gh_rm_mem_reclaim_req rec;
	struct async a;

	async_close(&a, fd);
	if (t->console && rm_expect(GH_RM_VM_CONSOLE_FLUSH)) {
		gt_is(rq_vmid(), vmid, "VM_CONSOLE_FLUSH of the VM");
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	}
	if (t->console && rm_expect(GH_RM_VM_CONSOLE_CLOSE)) {
		gt_is(rq_vmid(), vmid, "VM_CONSOLE_CLOSE of the VM");
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	}
	if (t->running && rm_expect(GH_RM_VM_STOP)) {
		gt_ok(!gh_rm_dec_vm_stop_req(rq.payload, rq.len, &stop) && stop.vmid == vmid &&
		      stop.flags == GH_RM_VM_STOP_FLAG_FORCE &&
		      stop.reason == GH_RM_VM_STOP_REASON_FORCE_STOP,
		      "teardown of a running VM: VM_STOP force, reason 3");
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
		rm_notify_exited(vmid, GH_RM_EXIT_TYPE_VM_STOP_FORCED, 0);
	}
	if (t->reset && rm_expect(GH_RM_VM_RESET)) {
		gt_is(rq_vmid(), vmid, "VM_RESET of the VM");
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
		rm_notify_status(vmid, GH_RM_VM_STATE_RESETTING, 0);
		rm_notify_status(vmid, GH_RM_VM_STATE_RESET, 0);
	}
	for (int i = 0; i < t->n_handles; i++) {
		if (!rm_expect(GH_RM_MEM_RECLAIM))
			continue;
		gt_ok(!gh_rm_dec_mem_reclaim_req(rq.payload, rq.len, &rec) &&
		      rec.mem_handle == t->handles[i], "MEM_RECLAIM of parcel %#x", t->handles[i]);
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	}
	if (rm_expect(GH_RM_VM_DEALLOCATE)) {
		gt_is(rq_vmid(), vmid, "VM_DEALLOCATE of the VM");
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	}
	gt_is(async_join(&a), 0, "close of VM %#x", vmid);
}

/* The scatter list of the last MEM_LEND/MEM_SHARE (+ appends) */
static struct gh_rm_mem_entry sgl[8192];
static size_t n_sgl;

static uint64_t sgl_size(void)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n_sgl; i++)
		s += sgl[i].size;
	return s;
}

/* Host physical address of byte @off of the last parcel, 0 if outside */
static uint64_t sgl_phys(uint64_t off)
{
	for (size_t i = 0; i < n_sgl; i++) {
		if (off < sgl[i].size)
			return sgl[i].ipa_base + off;
		off -= sgl[i].size;
	}
	return 0;
}

static bool sgl_contains(uint64_t phys)
{
	for (size_t i = 0; i < n_sgl; i++)
		if (phys >= sgl[i].ipa_base && phys - sgl[i].ipa_base < sgl[i].size)
			return true;
	return false;
}

/* Receives a MEM_LEND/MEM_SHARE and its MEM_APPENDs, replies with @handle */
static bool rm_take_parcel(u32 msg_id, u32 label, const struct gh_rm_acl_entry *acl, size_t n_acl,
			   u32 handle)
{
	struct gh_rm_mem_share_req req;
	struct gh_rm_mem_append_req app;
	u8 reply[4];
	bool ok = true, append;

	if (!rm_expect(msg_id))
		return false;
	if (gh_rm_dec_mem_share_req(rq.payload, rq.len, &req))
		return gt_ok(false, "%s decodes", gh_rm_msg_name(msg_id));
	ok &= gt_is(req.mem_type, GH_RM_MEM_TYPE_NORMAL, "%s mem_type normal", gh_rm_msg_name(msg_id));
	ok &= gt_is(req.label, label, "%s label", gh_rm_msg_name(msg_id));
	ok &= gt_is(req.acl.n, n_acl, "%s ACL entries", gh_rm_msg_name(msg_id));
	for (size_t i = 0; i < n_acl && i < req.acl.n; i++) {
		struct gh_rm_acl_entry e;

		gh_rm_acl_get(&req.acl, i, &e);
		ok &= gt_ok(e.vmid == acl[i].vmid && e.perms == acl[i].perms,
			    "ACL[%zu] = %#x:%#x (got %#x:%#x)", i, acl[i].vmid, acl[i].perms,
			    e.vmid, e.perms);
	}
	ok &= gt_is(req.attr.n, 0, "no attributes");
	n_sgl = 0;
	for (unsigned int i = 0; i < req.mem.n && n_sgl < 8192; i++)
		gh_rm_mem_get(&req.mem, i, &sgl[n_sgl++]);
	append = req.flags & GH_RM_MEM_SHARE_FLAG_APPEND;
	gh_rm_enc_mem_handle_reply(reply, sizeof(reply), handle);
	rm_reply(GH_RM_ERROR_OK, reply, sizeof(reply));

	while (append) {
		if (!rm_expect(GH_RM_MEM_APPEND))
			return false;
		if (gh_rm_dec_mem_append_req(rq.payload, rq.len, &app))
			return gt_ok(false, "MEM_APPEND decodes");
		ok &= gt_is(app.mem_handle, handle, "MEM_APPEND to the new parcel");
		for (unsigned int i = 0; i < app.mem.n && n_sgl < 8192; i++)
			gh_rm_mem_get(&app.mem, i, &sgl[n_sgl++]);
		append = !(app.flags & GH_RM_MEM_APPEND_FLAG_END);
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	}
	return ok;
}

static int read_parcel(uint64_t phys, uint64_t size, void *buf)
{
	struct gh_rm_loopback_read rd = { .phys_addr = phys, .size = size, .buf = (uintptr_t)buf };

	return gt_ioctl(rm_fd, GH_RM_LOOPBACK_READ_PARCEL, &rd);
}

/* ---- tests ---- */

static void test_device_abi(void)
{
	struct pollfd p = { .events = POLLIN | POLLOUT };
	u8 buf[300] = { GH_RM_RPC_API };
	int fd2, fl;

	fd2 = open("/dev/gunyah-rm", O_RDWR | O_CLOEXEC);
	gt_is(fd2 < 0 ? -errno : fd2, -EBUSY, "a second opener is refused");
	if (fd2 >= 0)
		close(fd2);

	gt_is(read(rm_fd, buf, 239) < 0 ? -errno : 0, -EINVAL, "read() needs room for 240 bytes");
	fl = fcntl(rm_fd, F_GETFL);
	fcntl(rm_fd, F_SETFL, fl | O_NONBLOCK);
	gt_is(read(rm_fd, buf, sizeof(buf)) < 0 ? -errno : 0, -EAGAIN,
	      "O_NONBLOCK read() of an empty queue");
	fcntl(rm_fd, F_SETFL, fl);
	gt_is(write(rm_fd, buf, 7) < 0 ? -errno : 0, -EINVAL, "write() of 7 bytes");
	gt_is(write(rm_fd, buf, 241) < 0 ? -errno : 0, -EINVAL, "write() of 241 bytes");
	p.fd = rm_fd;
	gt_ok(poll(&p, 1, 0) == 1 && p.revents == POLLOUT, "poll: writable, nothing to read");
}

static void test_replies(void)
{
	long long dropped = gt_param("rm_dropped"), t0;
	struct async a;
	u8 reply[4];
	int fd;

	/* NORESOURCE: no VMID left */
	async_ioctl(&a, gt_open_gunyah(), GH_CREATE_VM, NULL);
	if (rm_expect(GH_RM_VM_ALLOCATE))
		rm_reply(GH_RM_ERROR_NORESOURCE, NULL, 0);
	gt_is(async_join(&a), -ENODEV, "VM_ALLOCATE NORESOURCE: -ENODEV");
	close(a.fd);

	/* A reply with the right seq but another msg_id is not ours */
	async_ioctl(&a, gt_open_gunyah(), GH_CREATE_VM, NULL);
	t0 = gt_now_ms();
	if (rm_expect(GH_RM_VM_ALLOCATE)) {
		gh_rm_enc_vm_alloc_reply(reply, sizeof(reply), 0x90);
		rm_reply_to(rq.seq, GH_RM_VM_DEALLOCATE, GH_RM_ERROR_OK, reply, sizeof(reply));
	}
	gt_is(async_join(&a), -ETIMEDOUT, "a reply with another msg_id: -ETIMEDOUT");
	close(a.fd);
	t0 = gt_now_ms() - t0;
	gt_ok(t0 >= RM_TIMEOUT_MS - 50 && t0 < RM_TIMEOUT_MS + 1500, "timed out after %lld ms", t0);
	gt_ok(gt_param("rm_dropped") > dropped, "the stray reply was dropped (rm_dropped %lld)",
	      gt_param("rm_dropped"));

	/* A late reply, after its call timed out, is dropped; the next call works */
	dropped = gt_param("rm_dropped");
	async_ioctl(&a, gt_open_gunyah(), GH_CREATE_VM, NULL);
	rm_expect(GH_RM_VM_ALLOCATE);
	gt_is(async_join(&a), -ETIMEDOUT, "silent RM: GH_CREATE_VM -ETIMEDOUT");
	close(a.fd);
	gh_rm_enc_vm_alloc_reply(reply, sizeof(reply), 0x91);
	rm_reply(GH_RM_ERROR_OK, reply, sizeof(reply));
	fd = create_vm();
	gt_ok(gt_param("rm_dropped") > dropped, "the late reply was dropped");
	if (fd >= 0)
		close_vm(fd, next_vmid - 1, &(struct teardown){ 0 });
}

static void test_malformed(void)
{
	long long dropped = gt_param("rm_dropped");
	u8 pkt[GH_RM_PACKET_MAX] = { 0 };
	int fd;

	/* bad api byte */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_NOTIFICATION, 0, 1, GH_RM_NOTIF_VM_STATUS);
	pkt[0] = 0x12;
	rm_write(pkt, 16);
	/* 63 fragments */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_NOTIFICATION, 63, 1, GH_RM_NOTIF_VM_STATUS);
	rm_write(pkt, 16);
	/* orphan continuation */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_CONTINUATION, 1, 1, GH_RM_NOTIF_VM_STATUS);
	rm_write(pkt, 16);
	/* a reply without its err_code */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_REPLY, 0, 7, GH_RM_VM_ALLOCATE);
	rm_write(pkt, 10);
	/* a request: no client takes one */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_REQUEST, 0, 7, GH_RM_VM_ALLOCATE);
	rm_write(pkt, 12);
	/* a continuation that does not match the message in progress */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_NOTIFICATION, 1, 9, GH_RM_NOTIF_VM_STATUS);
	rm_write(pkt, GH_RM_PACKET_MAX);
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_CONTINUATION, 1, 10, GH_RM_NOTIF_VM_STATUS);
	rm_write(pkt, 16);
	/* a notification payload of the wrong size */
	gh_rm_hdr_encode(pkt, GH_RM_TYPE_NOTIFICATION, 0, 11, GH_RM_NOTIF_VM_EXITED);
	rm_write(pkt, 11);

	usleep(100000);
	gt_ok(gt_param("rm_dropped") >= dropped + 6, "malformed packets dropped (%lld -> %lld)",
	      dropped, gt_param("rm_dropped"));
	fd = create_vm();
	if (fd >= 0)
		close_vm(fd, next_vmid - 1, &(struct teardown){ 0 });
}

static void test_tx_depth(void)
{
	u8 pkt[GH_RM_PACKET_MAX];
	struct async a;
	int fd, n = 0, fl;

	/*
	 * One call at a time never queues 8 small requests. So stop reading and
	 * let one request that needs more than 8 packets block.
	 */
	fd = create_vm();
	if (fd < 0)
		return;
	{
		size_t size = 256 * GT_PAGE;	/* at least 256 pages: many entries, 1+ KiB of list */
		void *mem = gt_map(size);
		struct gh_vm_dtb_config dtb = { .gpa = GT_MEM_BASE, .size = GT_PAGE };

		/* interleave with a second memfd so that the pages are not contiguous */
		void *other = gt_map(size);

		for (size_t i = 0; i < size; i += GT_PAGE) {
			((volatile char *)other)[i] = 1;
			((volatile char *)mem)[size - GT_PAGE - i] = 1;
		}
		gt_is(gt_region(fd, 0, GH_MEM_ALLOW_READ | GH_MEM_LENT, GT_MEM_BASE, size, mem), 0,
		      "region of 256 pages");
		gt_ioctl(fd, GH_VM_SET_DTB_CONFIG, &dtb);
		async_ioctl(&a, fd, GH_VM_START, NULL);
		/* nobody reads: the module can queue 8 packets, then its call times out */
		gt_is(async_join(&a), -ETIMEDOUT, "START with a full TX queue: -ETIMEDOUT");
		fl = fcntl(rm_fd, F_GETFL);
		fcntl(rm_fd, F_SETFL, fl | O_NONBLOCK);
		while (read(rm_fd, pkt, sizeof(pkt)) > 0)
			n++;
		fcntl(rm_fd, F_SETFL, fl);
		gh_rm_reasm_abort(&reasm);
		gt_ok(n == 8, "exactly 8 packets were queued (%d)", n);
		/* the request never reached the RM whole: no parcel to reclaim */
		close_vm(fd, next_vmid - 1, &(struct teardown){ 0 });
		munmap(mem, size);
		munmap(other, size);
	}
}

/* The golden sequence, the parcel read, status, STOP and teardown */
static void test_golden(void)
{
	const size_t size = 1 << 20;
	long long pinned0 = gt_param("pinned_pages");
	struct gh_rm_acl_entry lend_acl[1], share_acl[2];
	struct gh_rm_vm_config_image_req img;
	struct gh_rm_hyp_resource res[10] = { 0 };
	struct gh_vm_stop stop = { .flags = 0, .reason = 5 };
	struct gh_rm_vm_stop_req sreq;
	struct gh_vm_status st;
	uint64_t dtb_off, dtb_phys, far;
	u8 rbuf[4 + 10 * GH_RM_HYP_RESOURCE_SIZE];
	void *mem = gt_map(size), *shm = gt_map(2 * GT_PAGE), *copy;
	struct async a;
	u16 vmid;
	int fd, cfd, len, r;

	fd = create_vm();
	if (fd < 0)
		return;
	vmid = next_vmid - 1;
	dtb_off = gt_write_dtb(mem, size, GT_MEM_BASE, 1);
	gt_is(gt_region(fd, 1, GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE, GT_SHM_BASE, 2 * GT_PAGE,
			shm), 0, "shared region, label 1 (added first)");
	gt_is(gt_region(fd, 0, GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC |
			GH_MEM_LENT, GT_MEM_BASE, size, mem), 0, "lent region, label 0");
	gt_is(gt_param("pinned_pages"), pinned0 + size / GT_PAGE + 2, "pinned_pages counts both");
	gt_is(gt_ioctl(fd, GH_VM_SET_DTB_CONFIG, &(struct gh_vm_dtb_config){
		.gpa = GT_MEM_BASE + dtb_off, .size = GT_DTB_SLOT - 100 }), 0, "DTB config");

	async_ioctl(&a, fd, GH_VM_START, NULL);
	/* the first share of the module's life asks for the host's VMID */
	if (rm_expect(GH_RM_VM_GET_VMID)) {
		u8 reply[4];

		gt_is(rq.len, 0, "VM_GET_VMID has no payload");
		gh_rm_enc_get_vmid_reply(reply, sizeof(reply), GH_RM_VMID_HLOS);
		rm_reply(GH_RM_ERROR_OK, reply, sizeof(reply));
	}
	lend_acl[0] = (struct gh_rm_acl_entry){ .vmid = vmid, .perms = GH_RM_ACL_RWX };
	rm_take_parcel(GH_RM_MEM_LEND, 0, lend_acl, 1, 0x1001);
	gt_is(sgl_size(), size, "MEM_LEND covers the region");
	{
		bool aligned = true;

		for (size_t i = 0; i < n_sgl; i++)
			aligned &= !(sgl[i].ipa_base % GT_PAGE) && !(sgl[i].size % GT_PAGE);
		gt_ok(aligned, "scatter list of %zu page-aligned entries", n_sgl);
		for (size_t i = 1; i < n_sgl; i++)
			aligned &= sgl[i - 1].ipa_base + sgl[i - 1].size != sgl[i].ipa_base;
		gt_ok(aligned, "contiguous pages are merged");
	}
	dtb_phys = sgl_phys(dtb_off);

	share_acl[0] = (struct gh_rm_acl_entry){ .vmid = vmid,
						  .perms = GH_RM_ACL_R | GH_RM_ACL_W };
	share_acl[1] = (struct gh_rm_acl_entry){ .vmid = GH_RM_VMID_HLOS, .perms = GH_RM_ACL_RWX };
	rm_take_parcel(GH_RM_MEM_SHARE, 1, share_acl, 2, 0x1002);
	gt_is(sgl_size(), 2 * GT_PAGE, "MEM_SHARE covers the region");

	if (rm_expect(GH_RM_VM_CONFIG_IMAGE)) {
		gt_ok(!gh_rm_dec_vm_config_image_req(rq.payload, rq.len, &img) && img.vmid == vmid &&
		      img.auth_mech == 0 && img.mem_handle == 0x1001 && img.image_offset == 0 &&
		      img.image_size == 0 && img.dtb_offset == dtb_off && img.dtb_size == GT_DTB_SLOT,
		      "VM_CONFIG_IMAGE {vmid, auth 0, handle 0x1001, 0, 0, dtb %#llx, size %u}",
		      (unsigned long long)dtb_off, GT_DTB_SLOT);
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
		rm_notify_status(vmid, GH_RM_VM_STATE_INIT, 0);
	}

	if (rm_expect(GH_RM_VM_INIT)) {
		gt_is(rq_vmid(), vmid, "VM_INIT of the VM");
		/* the RM maps the devicetree: the test-only parcel read */
		copy = malloc(GT_DTB_SLOT);
		r = read_parcel(dtb_phys, GT_PAGE, copy);
		gt_is(r, 0, "parcel read of the DTB's first page");
		gt_ok(!r && fdt_magic(copy) == FDT_MAGIC && !memcmp(copy, (char *)mem + dtb_off, GT_PAGE),
		      "it holds the devicetree");
		if (sgl_phys(dtb_off + GT_PAGE) == dtb_phys + GT_PAGE) {
			gt_is(read_parcel(dtb_phys + 100, 5000, copy), 0,
			      "an unaligned read across two pages");
			gt_ok(!memcmp(copy, (char *)mem + dtb_off + 100, 5000), "right bytes");
		} else {
			gt_is(read_parcel(dtb_phys + 100, 3000, copy), 0, "an unaligned read");
			gt_ok(!memcmp(copy, (char *)mem + dtb_off + 100, 3000), "right bytes");
		}
		gt_is(read_parcel(dtb_phys, 0, copy), -EINVAL, "parcel read of 0 bytes: -EINVAL");
		gt_is(read_parcel(dtb_phys, (1 << 20) + 1, copy), -EINVAL,
		      "parcel read over 1 MiB: -EINVAL");
		far = 0;
		for (uint64_t cand = 0x1000; cand < (1ull << 40); cand <<= 1)
			if (!sgl_contains(cand)) {
				far = cand;
				break;
			}
		gt_is(read_parcel(far, 16, copy), -EACCES, "a page no VM pinned: -EACCES");
		gt_is(read_parcel(~0ull - 8, 16, copy), -EACCES, "a range that wraps: -EACCES");
		gt_is(gt_param_set("parcel_read", "0"), 0, "parcel_read=0");
		gt_is(read_parcel(dtb_phys, 16, copy), -EPERM, "parcel read while off: -EPERM");
		gt_param_set("parcel_read", "1");
		free(copy);
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
		rm_notify_status(vmid, GH_RM_VM_STATE_READY, 0);
	}

	if (rm_expect(GH_RM_VM_GET_HYP_RESOURCES)) {
		for (int i = 0; i < 10; i++)
			res[i] = (struct gh_rm_hyp_resource){ .type = 4, .resource_label = i,
							      .cap_id = 0x100 + i, .virq = 40 + i };
		len = gh_rm_enc_hyp_resources(rbuf, sizeof(rbuf), res, 10);
		/* 444 bytes: a reply in three packets */
		rm_reply(GH_RM_ERROR_OK, rbuf, len);
	}
	/* the console, before the guest runs: the RM keeps nothing of an unopened one */
	if (rm_expect(GH_RM_VM_CONSOLE_OPEN)) {
		gt_is(rq_vmid(), vmid, "VM_CONSOLE_OPEN of the VM");
		gt_is(rq.len, GH_RM_CONSOLE_REQ_SIZE, "VM_CONSOLE_OPEN is {target, res0}");
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	}
	if (rm_expect(GH_RM_VM_START)) {
		gt_is(rq_vmid(), vmid, "VM_START of the VM");
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
		rm_notify_status(vmid, GH_RM_VM_STATE_RUNNING, GH_RM_OS_STATUS_BOOT);
	}
	gt_is(async_join(&a), 0, "GH_VM_START");

	/* CHARS of this VM reach its console fd; another VM's do not */
	cfd = gt_ioctl(fd, GH_VM_OPEN_CONSOLE, NULL);
	gt_ok(cfd >= 0, "GH_VM_OPEN_CONSOLE: %d", cfd);
	len = gh_rm_enc_console_chars(rbuf, sizeof(rbuf), 0x7f, "other", 5);
	rm_notify(GH_RM_NOTIF_VM_CONSOLE_CHARS, rbuf, len);
	len = gh_rm_enc_console_chars(rbuf, sizeof(rbuf), vmid, "boot\xff", 5);
	rm_notify(GH_RM_NOTIF_VM_CONSOLE_CHARS, rbuf, len);
	gt_ok(gt_readable(cfd, 2000), "the console fd polls readable");
	r = (int)read(cfd, rbuf, sizeof(rbuf));
	gt_ok(r == 5 && !memcmp(rbuf, "boot\xff", 5), "read the CHARS bytes (%d)", r);
	gt_is(gt_status(fd, &st), 0, "GET_STATUS");
	gt_is(st.rm_status, GH_RM_VM_STATUS_RUNNING, "running");

	/* status notifications reach the VM and wake its pollers */
	(void)gt_status(fd, &st);
	gt_ok(!gt_readable(fd, 0), "poll: nothing new");
	rm_notify_status(vmid, GH_RM_VM_STATE_RUNNING, GH_RM_OS_STATUS_RUN);
	gt_ok(gt_readable(fd, 2000), "poll: a VM_STATUS woke it");
	gt_status(fd, &st);
	gt_is(st.os_status, GH_RM_OS_STATUS_RUN, "os_status from VM_STATUS");
	rm_notify_status(0x7f, GH_RM_VM_STATE_EXITED, 0);
	usleep(50000);
	gt_ok(!gt_readable(fd, 0), "another VMID's notification is not ours");

	/* graceful stop: flags 0 and the caller's reason */
	async_ioctl(&a, fd, GH_VM_STOP, &stop);
	if (rm_expect(GH_RM_VM_STOP)) {
		gt_ok(!gh_rm_dec_vm_stop_req(rq.payload, rq.len, &sreq) && sreq.vmid == vmid &&
		      sreq.flags == 0 && sreq.reason == 5, "graceful VM_STOP: flags 0, reason 5");
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	}
	gt_is(async_join(&a), 0, "GH_VM_STOP");
	gt_status(fd, &st);
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_NONE, "a graceful stop only asks");
	rm_notify_exited(vmid, GH_RM_EXIT_TYPE_PLATFORM_OFF, 0x10001);
	gt_is(gt_wait_exit(fd, &st, 3000), 0, "VM_EXITED arrives");
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_EXITED, "exit_status EXITED");
	gt_is(st.exit_type, GH_RM_VM_EXIT_TYPE_PLATFORM_OFF, "exit_type PLATFORM_OFF");
	gt_is(st.rm_status, GH_RM_VM_STATUS_EXITED, "rm_status EXITED");
	gt_ok(st.exit_reason_size == 4 && st.exit_reason[0] == 1 && st.exit_reason[2] == 1,
	      "exit reason copied (%u bytes)", st.exit_reason_size);
	gt_is(gt_ioctl(fd, GH_VM_STOP, &stop), -EINVAL, "GH_VM_STOP after the exit: -EINVAL");
	gt_is((int)read(cfd, rbuf, sizeof(rbuf)), 0, "console after the exit: end of file");
	gt_ok(write(cfd, "x", 1) < 0 && errno == EPIPE, "console write after the exit: EPIPE");

	/* EXITED: console flush and close, VM_RESET, wait for RESET, reclaim, deallocate */
	close_vm(fd, vmid, &(struct teardown){ .console = true, .reset = true,
					       .handles = { 0x1001, 0x1002 }, .n_handles = 2 });
	gt_is((int)read(cfd, rbuf, sizeof(rbuf)), 0, "the console fd outlives the VM: EOF");
	close(cfd);
	gt_is(gt_param("pinned_pages"), pinned0, "every page unpinned");
	gt_is(read_parcel(dtb_phys, 16, rbuf), -EACCES, "a closed VM's pages: -EACCES");
	munmap(mem, size);
	munmap(shm, 2 * GT_PAGE);
}

/* A VM closed while running; and a scatter list over 512 entries */
static void test_running_and_append(void)
{
	const size_t pages = 1200, size = pages * GT_PAGE;
	long long pinned0 = gt_param("pinned_pages");
	struct gh_rm_acl_entry acl[1];
	void *mem, *other;
	struct async a;
	u16 vmid;
	int fd;

	/* Pages taken alternately from two files and mapped backwards: not contiguous */
	mem = gt_map(size);
	other = gt_map(size);
	for (size_t i = 0; i < pages; i++) {
		((volatile char *)other)[i * GT_PAGE] = 1;
		((volatile char *)mem)[(pages - 1 - i) * GT_PAGE] = 1;
	}
	fd = create_vm();
	if (fd < 0)
		return;
	vmid = next_vmid - 1;
	gt_write_dtb(mem, size, GT_MEM_BASE, 0);
	gt_is(gt_region(fd, 0, GH_MEM_ALLOW_READ | GH_MEM_ALLOW_EXEC | GH_MEM_LENT, GT_MEM_BASE,
			size, mem), 0, "lent region of %zu pages", pages);
	gt_ioctl(fd, GH_VM_SET_DTB_CONFIG, &(struct gh_vm_dtb_config){
		.gpa = GT_MEM_BASE + size - GT_DTB_SLOT, .size = GT_DTB_SLOT });

	async_ioctl(&a, fd, GH_VM_START, NULL);
	acl[0] = (struct gh_rm_acl_entry){ .vmid = vmid, .perms = GH_RM_ACL_R | GH_RM_ACL_X };
	rm_take_parcel(GH_RM_MEM_LEND, 0, acl, 1, 0x2001);
	gt_is(sgl_size(), size, "MEM_LEND + MEM_APPEND cover the region");
	if (n_sgl > 512)
		gt_ok(true, "%zu entries went in MEM_LEND + MEM_APPEND chunks", n_sgl);
	else
		gt_skip("only %zu scatter-list entries: the pages came out contiguous", n_sgl);
	if (rm_expect(GH_RM_VM_CONFIG_IMAGE))
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	if (rm_expect(GH_RM_VM_INIT))
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	if (rm_expect(GH_RM_VM_GET_HYP_RESOURCES)) {
		u8 zero[4] = { 0 };

		rm_reply(GH_RM_ERROR_OK, zero, sizeof(zero));
	}
	/* no console-dev: the RM refuses the console, the VM starts all the same */
	if (rm_expect(GH_RM_VM_CONSOLE_OPEN))
		rm_reply(GH_RM_ERROR_ARGUMENT_INVALID, NULL, 0);
	if (rm_expect(GH_RM_VM_START))
		rm_reply(GH_RM_ERROR_OK, NULL, 0);
	gt_is(async_join(&a), 0, "GH_VM_START (no VM_GET_VMID: nothing shared)");
	gt_is(gt_ioctl(fd, GH_VM_OPEN_CONSOLE, NULL), -ENODEV,
	      "GH_VM_OPEN_CONSOLE after the RM refused the console: -ENODEV");

	/* RUNNING: VM_STOP(force), wait for EXITED, then the rest */
	close_vm(fd, vmid, &(struct teardown){ .running = true, .reset = true,
					       .handles = { 0x2001 }, .n_handles = 1 });
	gt_is(gt_param("pinned_pages"), pinned0, "every page unpinned");
	munmap(mem, size);
	munmap(other, size);
}

/* A START the RM refuses at VM_CONFIG_IMAGE: the VM stays in LOAD */
static void test_refused_start(void)
{
	const size_t size = 64 * GT_PAGE;
	struct gh_rm_acl_entry acl[1];
	void *mem = gt_map(size);
	struct gh_vm_status st;
	struct async a;
	u16 vmid;
	int fd;

	fd = create_vm();
	if (fd < 0)
		return;
	vmid = next_vmid - 1;
	gt_region(fd, 0, GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_LENT, GT_MEM_BASE, size, mem);
	gt_ioctl(fd, GH_VM_SET_DTB_CONFIG, &(struct gh_vm_dtb_config){ .gpa = GT_MEM_BASE,
								      .size = GT_PAGE });
	(void)gt_status(fd, &st);
	async_ioctl(&a, fd, GH_VM_START, NULL);
	acl[0] = (struct gh_rm_acl_entry){ .vmid = vmid, .perms = GH_RM_ACL_R | GH_RM_ACL_W };
	rm_take_parcel(GH_RM_MEM_LEND, 0, acl, 1, 0x3001);
	if (rm_expect(GH_RM_VM_CONFIG_IMAGE))
		rm_reply(GH_RM_ERROR_DENIED, NULL, 0);
	gt_is(async_join(&a), -EPERM, "VM_CONFIG_IMAGE DENIED: START -EPERM");
	gt_ok(gt_readable(fd, 0), "the failed start polls readable");
	gt_status(fd, &st);
	gt_is(st.exit_status, GH_VM_EXIT_STATUS_LOAD_FAILED, "exit_status LOAD_FAILED");
	gt_is(st.rm_status, GH_RM_VM_STATUS_LOAD, "the RM's VM is still in LOAD");
	gt_is(gt_ioctl(fd, GH_VM_START, NULL), -EINVAL, "START after a failed START: -EINVAL");
	/* LOAD: reclaim, deallocate, no reset */
	close_vm(fd, vmid, &(struct teardown){ .handles = { 0x3001 }, .n_handles = 1 });
	munmap(mem, size);
}

static void test_device_close(void)
{
	struct async a;
	int dev = gt_open_gunyah();

	/* The RM goes away while a call waits: the call times out */
	async_ioctl(&a, dev, GH_CREATE_VM, NULL);
	rm_expect(GH_RM_VM_ALLOCATE);
	close(rm_fd);
	gt_is(async_join(&a), -ETIMEDOUT, "closing the device: the call in flight times out");
	/* without an RM, calls time out */
	gt_is(gt_create_vm(dev), -ETIMEDOUT, "no RM at all: -ETIMEDOUT");
	gt_is(rm_open(), 0, "the device can be opened again");
	close(dev);
}

int main(void)
{
	char old_timeout[32];
	long long t;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = rm_open();
	if (r < 0)
		gt_bail("open /dev/gunyah-rm: %s (is an emulator running?)", strerror(-r));
	t = gt_param("rm_timeout_ms");
	timeout_long();
	gt_ok(gt_param_str("parcel_read", old_timeout, sizeof(old_timeout)) == 0 &&
	      old_timeout[0] == 'Y', "loaded with parcel_read=1");
	snprintf(old_timeout, sizeof(old_timeout), "%lld", t);

	test_device_abi();
	test_golden();
	timeout_short();
	test_replies();
	timeout_long();
	test_malformed();
	test_running_and_append();
	test_refused_start();
	timeout_short();
	test_tx_depth();
	test_device_close();

	gt_param_set("rm_timeout_ms", old_timeout);
	close(rm_fd);
	return gt_done();
}
