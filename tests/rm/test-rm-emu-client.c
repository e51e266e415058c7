// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Test RM client for the emulator tests (see test-rm-emu-client.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test-rm-emu-client.h"

static void rmc_rx_packet(struct rmc *c, const void *pkt, size_t len)
{
	struct rmc_msg *m;
	struct gh_rm_msg msg;
	int r;

	g_ptr_array_add(c->raw, g_byte_array_append(g_byte_array_new(), pkt, (guint)len));
	r = gh_rm_reasm_feed(&c->reasm, pkt, len, &msg);
	if (r < 0) {
		c->rx_drops++;
		return;
	}
	if (r == 0)
		return;
	m = g_malloc0(sizeof(*m) + msg.len);
	m->type = msg.type;
	m->seq = msg.seq;
	m->msg_id = msg.msg_id;
	m->err = msg.err_code;
	m->len = msg.len;
	memcpy(m->data, msg.payload, msg.len);
	g_queue_push_tail(&c->msgs, m);
}

static void rmc_emu_send(void *opaque, const void *pkt, size_t len)
{
	rmc_rx_packet(opaque, pkt, len);
}

static int rmc_read_phys(void *opaque, u64 phys, void *buf, size_t len)
{
	struct rmc *c = opaque;
	unsigned int i;

	for (i = 0; i < c->n_map; i++) {
		const struct rmc_map *m = &c->map[i];

		if (phys >= m->phys && phys - m->phys <= m->len &&
		    len <= m->len - (phys - m->phys)) {
			memcpy(buf, m->host + (phys - m->phys), len);
			return 0;
		}
	}
	return -EFAULT;
}

static struct rmc *rmc_alloc(void)
{
	struct rmc *c = g_new0(struct rmc, 1);

	c->fd = -1;
	g_queue_init(&c->msgs);
	c->raw = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
	c->rxbuf = g_malloc(GH_RM_MSG_MAX_RECV);
	gh_rm_reasm_init(&c->reasm, c->rxbuf, GH_RM_MSG_MAX_RECV, GH_RM_ACCEPT_CLIENT);
	c->seq = 1;
	return c;
}

static void rmc_trace(void *opaque, const char *line)
{
	(void)opaque;
	g_test_message("emu: %s", line);
}

struct rmc *rmc_new(void)
{
	struct emu_ops ops = {
		.send = rmc_emu_send,
		.read_phys = rmc_read_phys,
	};
	struct rmc *c = rmc_alloc();

	ops.opaque = c;
	if (g_test_verbose())
		ops.trace = rmc_trace;
	g_assert_cmpint(emu_new(&ops, &c->emu), ==, 0);
	return c;
}

struct rmc *rmc_new_fd(int fd)
{
	struct rmc *c = rmc_alloc();

	c->fd = fd;
	return c;
}

void rmc_free(struct rmc *c)
{
	if (!c)
		return;
	emu_free(c->emu);
	g_queue_clear_full(&c->msgs, g_free);
	g_ptr_array_unref(c->raw);
	g_free(c->rxbuf);
	g_free(c);
}

void rmc_map(struct rmc *c, u64 phys, void *host, size_t len)
{
	g_assert_cmpuint(c->n_map, <, G_N_ELEMENTS(c->map));
	c->map[c->n_map++] = (struct rmc_map){ .phys = phys, .host = host, .len = len };
}

void rmc_send_raw(struct rmc *c, const void *pkt, size_t len)
{
	if (c->emu) {
		(void)emu_receive(c->emu, pkt, len);
		return;
	}
	g_assert_cmpint(send(c->fd, pkt, len, MSG_NOSIGNAL), ==, (ssize_t)len);
}

u16 rmc_send(struct rmc *c, u32 msg_id, const void *payload, size_t len)
{
	u8 pkt[GH_RM_PACKET_MAX];
	u16 seq = c->seq++;
	int n, i, plen;

	n = gh_rm_msg_npackets(len);
	g_assert_cmpint(n, >, 0);
	for (i = 0; i < n; i++) {
		plen = gh_rm_encode_packet(pkt, GH_RM_TYPE_REQUEST, seq, msg_id, payload, len,
					   (unsigned int)i);
		g_assert_cmpint(plen, >=, GH_RM_HDR_SIZE);
		rmc_send_raw(c, pkt, (size_t)plen);
	}
	return seq;
}

void rmc_pump(struct rmc *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	guint before = c->msgs.length;
	u8 buf[4096];
	ssize_t n;
	int left;

	if (c->fd < 0)
		return;
	for (;;) {
		left = (int)((end - g_get_monotonic_time()) / 1000);
		if (left < 0)
			left = 0;
		if (poll(&pfd, 1, c->msgs.length > before ? 0 : left) <= 0)
			return;
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			return;
		rmc_rx_packet(c, buf, (size_t)n);
	}
}

static struct rmc_msg *rmc_take(struct rmc *c, u8 type, int seq)
{
	GList *l;

	for (l = c->msgs.head; l; l = l->next) {
		struct rmc_msg *m = l->data;

		if (m->type == type && (seq < 0 || m->seq == seq)) {
			g_queue_delete_link(&c->msgs, l);
			return m;
		}
	}
	return NULL;
}

struct rmc_msg *rmc_take_reply(struct rmc *c, u16 seq)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	struct rmc_msg *m;

	for (;;) {
		m = rmc_take(c, GH_RM_TYPE_REPLY, seq);
		if (m || c->fd < 0 || g_get_monotonic_time() > end)
			return m;
		rmc_pump(c, 100);
	}
}

struct rmc_msg *rmc_take_notif(struct rmc *c)
{
	return rmc_take(c, GH_RM_TYPE_NOTIFICATION, -1);
}

guint rmc_pending(struct rmc *c)
{
	return c->msgs.length;
}

u32 rmc_call(struct rmc *c, u32 msg_id, const void *payload, size_t len,
	     struct rmc_msg **ret_reply)
{
	struct rmc_msg *m;
	u16 seq;
	u32 err;

	seq = rmc_send(c, msg_id, payload, len);
	m = rmc_take_reply(c, seq);
	if (!m)
		g_error("no reply to %s seq %u", gh_rm_msg_name(msg_id), seq);
	g_assert_cmphex(m->msg_id, ==, msg_id);
	err = m->err;
	if (ret_reply)
		*ret_reply = m;
	else
		g_free(m);
	return err;
}

u32 rmc_vmid_call(struct rmc *c, u32 msg_id, u16 vmid)
{
	u8 buf[GH_RM_VMID_REQ_SIZE];

	g_assert_cmpint(gh_rm_enc_vmid_req(buf, sizeof(buf), vmid), ==, GH_RM_VMID_REQ_SIZE);
	return rmc_call(c, msg_id, buf, sizeof(buf), NULL);
}

void rmc_tick(struct rmc *c, u64 ms)
{
	c->now += ms;
	emu_tick(c->emu, c->now);
}

static G_GNUC_PRINTF(2, 0) char *rmc_vctl(struct rmc *c, const char *fmt, va_list ap)
{
	g_autofree char *line = g_strdup_vprintf(fmt, ap);
	char *reply = NULL;
	size_t len = 0;

	g_assert_nonnull(c->emu);
	g_assert_cmpint(emu_ctl(c->emu, line, &reply, &len), >=, 0);
	g_assert_cmpuint(strlen(reply), ==, len);
	return reply;
}

char *rmc_ctl(struct rmc *c, const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = rmc_vctl(c, fmt, ap);
	va_end(ap);
	return r;
}

char *rmc_ctl_ok(struct rmc *c, const char *fmt, ...)
{
	va_list ap;
	char *r;
	size_t n;

	va_start(ap, fmt);
	r = rmc_vctl(c, fmt, ap);
	va_end(ap);
	n = strlen(r);
	if (n < 3 || strcmp(r + n - 3, "OK\n") || (n > 3 && r[n - 4] != '\n'))
		g_error("control command failed: %s", r);
	r[n - 3] = '\0';
	return r;
}

u16 rmc_alloc_vm(struct rmc *c)
{
	struct rmc_msg *m;
	u8 buf[GH_RM_VMID_REQ_SIZE];
	u16 vmid;

	gh_rm_enc_vmid_req(buf, sizeof(buf), 0);
	g_assert_cmphex(rmc_call(c, GH_RM_VM_ALLOCATE, buf, sizeof(buf), &m), ==, GH_RM_ERROR_OK);
	g_assert_cmpuint(m->len, ==, 4);
	g_assert_cmpint(gh_rm_dec_vm_alloc_reply(m->data, m->len, 0, &vmid), ==, 0);
	g_free(m);
	return vmid;
}

u32 rmc_mem(struct rmc *c, u32 msg_id, u32 label, const struct gh_rm_acl_entry *acl, size_t n_acl,
	    const struct gh_rm_mem_entry *mem, size_t n_mem, u32 *ret_handle)
{
	struct gh_rm_mem_share_args args = {
		.mem_type = GH_RM_MEM_TYPE_NORMAL,
		.label = label,
		.acl = acl,
		.n_acl = n_acl,
		.mem = mem,
		.n_mem = n_mem,
	};
	size_t cap = gh_rm_mem_share_req_len(n_acl, GH_RM_MAX_MEM_ENTRIES), chunk, done;
	size_t nchunks = gh_rm_mem_nchunks(n_mem);
	g_autofree u16 *counts = g_new(u16, nchunks);
	g_autofree u8 *buf = g_malloc(cap);
	struct rmc_msg *m;
	u32 err, handle;
	int len;

	/* split as kmod/rsc_mgr_rpc.c does */
	gh_rm_mem_plan(n_acl, n_mem, counts);
	args.n_mem = counts[0];
	if (nchunks > 1)
		args.flags |= GH_RM_MEM_SHARE_FLAG_APPEND;
	len = gh_rm_enc_mem_share_req(buf, cap, &args);
	g_assert_cmpint(len, >, 0);
	err = rmc_call(c, msg_id, buf, (size_t)len, &m);
	if (err) {
		g_free(m);
		return err;
	}
	g_assert_cmpint(gh_rm_dec_mem_handle_reply(m->data, m->len, &handle), ==, 0);
	g_free(m);
	for (chunk = 1, done = counts[0]; chunk < nchunks; done += counts[chunk++]) {
		len = gh_rm_enc_mem_append_slice(buf, cap, handle,
						 chunk == nchunks - 1 ? GH_RM_MEM_APPEND_FLAG_END : 0,
						 mem + done, counts[chunk]);
		g_assert_cmpint(len, >, 0);
		err = rmc_call(c, GH_RM_MEM_APPEND, buf, (size_t)len, NULL);
		if (err)
			return err;
	}
	if (ret_handle)
		*ret_handle = handle;
	return GH_RM_ERROR_OK;
}

u32 rmc_config_image(struct rmc *c, u16 vmid, u32 handle, u64 dtb_offset, u64 dtb_size)
{
	struct gh_rm_vm_config_image_req req = {
		.vmid = vmid,
		.auth_mech = GH_RM_VM_AUTH_NONE,
		.mem_handle = handle,
		.dtb_offset = dtb_offset,
		.dtb_size = dtb_size,
	};
	u8 buf[GH_RM_VM_CONFIG_IMAGE_REQ_SIZE];

	g_assert_cmpint(gh_rm_enc_vm_config_image_req(buf, sizeof(buf), &req), ==, sizeof(buf));
	return rmc_call(c, GH_RM_VM_CONFIG_IMAGE, buf, sizeof(buf), NULL);
}

u32 rmc_stop(struct rmc *c, u16 vmid, bool force)
{
	struct gh_rm_vm_stop_req req = {
		.vmid = vmid,
		.flags = force ? GH_RM_VM_STOP_FLAG_FORCE : 0,
		.reason = force ? GH_RM_VM_STOP_REASON_FORCE_STOP : 0,
	};
	u8 buf[GH_RM_VM_STOP_REQ_SIZE];

	g_assert_cmpint(gh_rm_enc_vm_stop_req(buf, sizeof(buf), &req), ==, sizeof(buf));
	return rmc_call(c, GH_RM_VM_STOP, buf, sizeof(buf), NULL);
}

u32 rmc_reclaim(struct rmc *c, u32 handle)
{
	struct gh_rm_mem_reclaim_req req = { .mem_handle = handle };
	u8 buf[GH_RM_MEM_RECLAIM_REQ_SIZE];

	g_assert_cmpint(gh_rm_enc_mem_reclaim_req(buf, sizeof(buf), &req), ==, sizeof(buf));
	return rmc_call(c, GH_RM_MEM_RECLAIM, buf, sizeof(buf), NULL);
}

void rmc_expect_status(struct rmc *c, u16 vmid, u8 state)
{
	g_autofree struct rmc_msg *m = rmc_take_notif(c);
	struct gh_rm_vm_status st;

	if (!m && c->fd >= 0) {
		rmc_pump(c, 2000);
		m = rmc_take_notif(c);
	}
	if (!m)
		g_error("no notification, expected VM_STATUS 0x%x %s", vmid,
			gh_rm_vm_state_name(state));
	g_assert_cmphex(m->msg_id, ==, GH_RM_NOTIF_VM_STATUS);
	g_assert_cmpint(gh_rm_dec_vm_status(m->data, m->len, &st), ==, 0);
	g_assert_cmphex(st.vmid, ==, vmid);
	if (st.vm_status != state)
		g_error("VM_STATUS %s, expected %s", gh_rm_vm_state_name(st.vm_status),
			gh_rm_vm_state_name(state));
}

void rmc_drain(struct rmc *c)
{
	struct rmc_msg *m;

	while ((m = rmc_take_notif(c)))
		g_free(m);
}
