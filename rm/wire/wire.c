// SPDX-License-Identifier: GPL-2.0-only OR LGPL-2.1-or-later
/*
 * Gunyah RM RPC wire codec, shared by gunyah.ko and userspace.
 *
 * Portable C: no allocation, no libc beyond memcpy/memset, no floating point,
 * no VLAs. Every multi-byte field goes through the little-endian accessors of
 * rm-wire.h, so the host byte order and the buffer alignment never matter.
 * Interface documentation lives in include/gunyah/rm-wire.h.
 */
#include <gunyah/rm-wire.h>

#define GH_RM_ALIGN4(x)		(((x) + 3) & ~(size_t)3)

/* ---------------------------------------------------------------------------
 * Packet header
 */
int gh_rm_hdr_encode(u8 *buf, u8 type, u8 fragments, u16 seq, u32 msg_id)
{
	if (type > GH_RM_TYPE_NOTIFICATION || fragments > 63)
		return -EINVAL;

	buf[0] = GH_RM_RPC_API;
	buf[1] = (u8)(type | (fragments << 2));
	gh_rm_put_le16(buf + 2, seq);
	gh_rm_put_le32(buf + 4, msg_id);
	return GH_RM_HDR_SIZE;
}

static enum gh_rm_drop gh_rm_hdr_check(const u8 *p, size_t len, struct gh_rm_hdr *hdr)
{
	if (len < GH_RM_HDR_SIZE)
		return GH_RM_DROP_SHORT;
	if (len > GH_RM_PACKET_MAX)
		return GH_RM_DROP_LONG;
	if (p[0] != GH_RM_RPC_API)
		return GH_RM_DROP_API;

	hdr->api = p[0];
	hdr->type = p[1] & 0x3;
	hdr->fragments = p[1] >> 2;
	hdr->seq = gh_rm_get_le16(p + 2);
	hdr->msg_id = gh_rm_get_le32(p + 4);
	if (hdr->fragments > GH_RM_MAX_FRAGMENTS)
		return GH_RM_DROP_FRAGMENTS;
	return GH_RM_DROP_NONE;
}

static int gh_rm_drop_errno(enum gh_rm_drop drop)
{
	switch (drop) {
	case GH_RM_DROP_NONE:
		return 0;
	case GH_RM_DROP_SHORT:
	case GH_RM_DROP_LONG:
		return -EMSGSIZE;
	case GH_RM_DROP_API:
	case GH_RM_DROP_FRAGMENTS:
	case GH_RM_DROP_TYPE:
		return -EPROTO;
	case GH_RM_DROP_ORPHAN:
		return -ENOMSG;
	case GH_RM_DROP_MISMATCH:
		return -EILSEQ;
	case GH_RM_DROP_OVERFLOW:
		return -EOVERFLOW;
	case GH_RM_DROP_REPLY_SHORT:
		return -EBADMSG;
	case GH_RM_DROP_MAX:
		break;
	}
	return -EINVAL;
}

int gh_rm_hdr_decode(const void *pkt, size_t len, struct gh_rm_hdr *ret_hdr)
{
	struct gh_rm_hdr hdr;
	enum gh_rm_drop drop;

	drop = gh_rm_hdr_check(pkt, len, &hdr);
	if (drop != GH_RM_DROP_NONE)
		return gh_rm_drop_errno(drop);
	*ret_hdr = hdr;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Fragmentation
 */
int gh_rm_msg_fragments(size_t len)
{
	if (len > GH_RM_MSG_MAX_SEND)
		return -E2BIG;
	if (len == 0)
		return 0;
	return (int)((len - 1) / GH_RM_PAYLOAD_MAX);
}

int gh_rm_msg_npackets(size_t len)
{
	int n = gh_rm_msg_fragments(len);

	return n < 0 ? n : n + 1;
}

int gh_rm_reply_npackets(size_t data_len)
{
	if (data_len > GH_RM_MSG_MAX_SEND - GH_RM_REPLY_HDR_SIZE)
		return -E2BIG;
	return gh_rm_msg_npackets(data_len + GH_RM_REPLY_HDR_SIZE);
}

/*
 * Packet @index of a message whose logical payload is prefix[0..plen) followed
 * by data[0..dlen): a reply's err_code can then be prepended without a copy of
 * the whole message.
 */
static int gh_rm_encode_split(u8 *buf, u8 type, u16 seq, u32 msg_id, const u8 *prefix,
			      size_t plen, const u8 *data, size_t dlen, unsigned int index)
{
	size_t total, off, chunk, n;
	int frags;

	if (type < GH_RM_TYPE_REQUEST || type > GH_RM_TYPE_NOTIFICATION || msg_id == 0)
		return -EINVAL;
	if (!data && dlen)
		return -EINVAL;
	if (dlen > GH_RM_MSG_MAX_SEND - plen)
		return -E2BIG;
	total = plen + dlen;
	if (type == GH_RM_TYPE_REPLY && total < GH_RM_REPLY_HDR_SIZE)
		return -EINVAL;
	frags = gh_rm_msg_fragments(total);
	if (frags < 0)
		return frags;
	if (index > (unsigned int)frags)
		return -EINVAL;

	off = (size_t)index * GH_RM_PAYLOAD_MAX;
	chunk = total - off;
	if (chunk > GH_RM_PAYLOAD_MAX)
		chunk = GH_RM_PAYLOAD_MAX;

	gh_rm_hdr_encode(buf, index ? GH_RM_TYPE_CONTINUATION : type, (u8)frags, seq, msg_id);

	n = 0;
	if (off < plen) {
		n = plen - off;
		if (n > chunk)
			n = chunk;
		memcpy(buf + GH_RM_HDR_SIZE, prefix + off, n);
		off += n;
	}
	if (chunk > n)
		memcpy(buf + GH_RM_HDR_SIZE + n, data + (off - plen), chunk - n);

	return (int)(GH_RM_HDR_SIZE + chunk);
}

int gh_rm_encode_packet(u8 *buf, u8 type, u16 seq, u32 msg_id, const void *payload, size_t len,
			unsigned int index)
{
	return gh_rm_encode_split(buf, type, seq, msg_id, NULL, 0, payload, len, index);
}

int gh_rm_encode_reply_packet(u8 *buf, u16 seq, u32 msg_id, u32 err_code, const void *data,
			      size_t data_len, unsigned int index)
{
	u8 err[GH_RM_REPLY_HDR_SIZE];

	gh_rm_put_le32(err, err_code);
	return gh_rm_encode_split(buf, GH_RM_TYPE_REPLY, seq, msg_id, err, sizeof(err), data,
				  data_len, index);
}

/* ---------------------------------------------------------------------------
 * Reassembly
 */
void gh_rm_reasm_init(struct gh_rm_reasm *r, void *buf, size_t cap, u32 accept)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->cap = buf ? cap : 0;
	r->accept = accept;
}

void gh_rm_reasm_abort(struct gh_rm_reasm *r)
{
	if (!r->active)
		return;
	r->active = false;
	r->last_aborted.api = GH_RM_RPC_API;
	r->last_aborted.type = r->type;
	r->last_aborted.fragments = r->fragments;
	r->last_aborted.seq = r->seq;
	r->last_aborted.msg_id = r->msg_id;
	r->len = 0;
	r->stats.aborted++;
}

bool gh_rm_reasm_busy(const struct gh_rm_reasm *r)
{
	return r->active;
}

static int gh_rm_reasm_drop(struct gh_rm_reasm *r, enum gh_rm_drop drop)
{
	r->last_drop = drop;
	r->last_error = gh_rm_drop_errno(drop);
	r->stats.dropped++;
	r->stats.drops[drop]++;
	return r->last_error;
}

int gh_rm_reasm_feed(struct gh_rm_reasm *r, const void *pkt, size_t len, struct gh_rm_msg *ret_msg)
{
	const u8 *data = (const u8 *)pkt + GH_RM_HDR_SIZE;
	struct gh_rm_hdr hdr;
	enum gh_rm_drop drop;
	size_t plen;
	u32 err = 0;

	r->stats.packets++;
	drop = gh_rm_hdr_check(pkt, len, &hdr);
	if (drop != GH_RM_DROP_NONE)
		return gh_rm_reasm_drop(r, drop);
	plen = len - GH_RM_HDR_SIZE;

	if (hdr.type == GH_RM_TYPE_CONTINUATION) {
		if (!r->active)
			return gh_rm_reasm_drop(r, GH_RM_DROP_ORPHAN);
		if (hdr.msg_id != r->msg_id || hdr.seq != r->seq ||
		    hdr.fragments != r->fragments) {
			gh_rm_reasm_abort(r);
			return gh_rm_reasm_drop(r, GH_RM_DROP_MISMATCH);
		}
		if (plen > r->cap - r->len) {
			gh_rm_reasm_abort(r);
			return gh_rm_reasm_drop(r, GH_RM_DROP_OVERFLOW);
		}
		if (plen)
			memcpy(r->buf + r->len, data, plen);
		r->len += plen;
		r->received++;
		if (r->received < r->fragments)
			return 0;
	} else {
		if (!(r->accept & GH_RM_ACCEPT(hdr.type)))
			return gh_rm_reasm_drop(r, GH_RM_DROP_TYPE);
		gh_rm_reasm_abort(r);
		if (plen > r->cap)
			return gh_rm_reasm_drop(r, GH_RM_DROP_OVERFLOW);
		if (plen)
			memcpy(r->buf, data, plen);
		r->len = plen;
		r->type = hdr.type;
		r->fragments = hdr.fragments;
		r->received = 0;
		r->seq = hdr.seq;
		r->msg_id = hdr.msg_id;
		if (hdr.fragments) {
			r->active = true;
			return 0;
		}
	}

	/* complete */
	r->active = false;
	plen = r->len;
	r->len = 0;
	data = r->buf;
	if (r->type == GH_RM_TYPE_REPLY) {
		if (plen < GH_RM_REPLY_HDR_SIZE)
			return gh_rm_reasm_drop(r, GH_RM_DROP_REPLY_SHORT);
		err = gh_rm_get_le32(data);
		data += GH_RM_REPLY_HDR_SIZE;
		plen -= GH_RM_REPLY_HDR_SIZE;
	}

	ret_msg->type = r->type;
	ret_msg->fragments = r->fragments;
	ret_msg->seq = r->seq;
	ret_msg->msg_id = r->msg_id;
	ret_msg->err_code = err;
	ret_msg->payload = data;
	ret_msg->len = plen;
	r->stats.messages++;
	return 1;
}

const char *gh_rm_drop_name(enum gh_rm_drop drop)
{
	switch (drop) {
	case GH_RM_DROP_NONE:
		return "none";
	case GH_RM_DROP_SHORT:
		return "short packet";
	case GH_RM_DROP_LONG:
		return "long packet";
	case GH_RM_DROP_API:
		return "bad api byte";
	case GH_RM_DROP_FRAGMENTS:
		return "too many fragments";
	case GH_RM_DROP_TYPE:
		return "unexpected message type";
	case GH_RM_DROP_ORPHAN:
		return "orphan continuation";
	case GH_RM_DROP_MISMATCH:
		return "continuation mismatch";
	case GH_RM_DROP_OVERFLOW:
		return "message too large";
	case GH_RM_DROP_REPLY_SHORT:
		return "reply without error code";
	case GH_RM_DROP_MAX:
		break;
	}
	return "unknown";
}

/* ---------------------------------------------------------------------------
 * Name tables
 */
struct gh_rm_name {
	u32 id;
	const char *name;
};

static const struct gh_rm_name gh_rm_msg_names[] = {
	{ GH_RM_MEM_DONATE,		"MEM_DONATE" },
	{ GH_RM_MEM_ACCEPT,		"MEM_ACCEPT" },
	{ GH_RM_MEM_LEND,		"MEM_LEND" },
	{ GH_RM_MEM_SHARE,		"MEM_SHARE" },
	{ GH_RM_MEM_RELEASE,		"MEM_RELEASE" },
	{ GH_RM_MEM_RECLAIM,		"MEM_RECLAIM" },
	{ GH_RM_MEM_NOTIFY,		"MEM_NOTIFY" },
	{ GH_RM_MEM_APPEND,		"MEM_APPEND" },
	{ GH_RM_VM_ALLOCATE,		"VM_ALLOCATE" },
	{ GH_RM_VM_DEALLOCATE,		"VM_DEALLOCATE" },
	{ GH_RM_VM_START,		"VM_START" },
	{ GH_RM_VM_STOP,		"VM_STOP" },
	{ GH_RM_VM_RESET,		"VM_RESET" },
	{ GH_RM_VM_CONFIG_IMAGE,	"VM_CONFIG_IMAGE" },
	{ GH_RM_VM_AUTH_IMAGE,		"VM_AUTH_IMAGE" },
	{ GH_RM_VM_INIT,		"VM_INIT" },
	{ GH_RM_VM_GET_STATE,		"VM_GET_STATE" },
	{ GH_RM_VM_GET_HYP_RESOURCES,	"VM_GET_HYP_RESOURCES" },
	{ GH_RM_VM_GET_VMID,		"VM_GET_VMID" },
	{ GH_RM_VM_SET_FIRMWARE_MEM,	"VM_SET_FIRMWARE_MEM" },
	{ GH_RM_VM_CONSOLE_OPEN,	"VM_CONSOLE_OPEN" },
	{ GH_RM_VM_CONSOLE_CLOSE,	"VM_CONSOLE_CLOSE" },
	{ GH_RM_VM_CONSOLE_WRITE,	"VM_CONSOLE_WRITE" },
	{ GH_RM_VM_CONSOLE_FLUSH,	"VM_CONSOLE_FLUSH" },
	{ GH_RM_NOTIF_MEM_SHARED,	"NOTIFY_MEM_SHARED" },
	{ GH_RM_NOTIF_MEM_RELEASED,	"NOTIFY_MEM_RELEASED" },
	{ GH_RM_NOTIF_MEM_ACCEPTED,	"NOTIFY_MEM_ACCEPTED" },
	{ GH_RM_NOTIF_MEM_RECALL,	"NOTIFY_MEM_RECALL" },
	{ GH_RM_NOTIF_VM_EXITED,	"NOTIFY_VM_EXITED" },
	{ GH_RM_NOTIF_VM_SHUTDOWN,	"NOTIFY_VM_SHUTDOWN" },
	{ GH_RM_NOTIF_VM_STATUS,	"NOTIFY_VM_STATUS" },
	{ GH_RM_NOTIF_VM_CONSOLE_CHARS,	"NOTIFY_VM_CONSOLE_CHARS" },
};

static const struct gh_rm_name gh_rm_error_names[] = {
	{ GH_RM_ERROR_OK,		"OK" },
	{ GH_RM_ERROR_UNIMPLEMENTED,	"UNIMPLEMENTED" },
	{ GH_RM_ERROR_NOMEM,		"NOMEM" },
	{ GH_RM_ERROR_NORESOURCE,	"NORESOURCE" },
	{ GH_RM_ERROR_DENIED,		"DENIED" },
	{ GH_RM_ERROR_MSG_INVALID,	"MSG_INVALID" },
	{ GH_RM_ERROR_BUSY,		"BUSY" },
	{ GH_RM_ERROR_ARGUMENT_INVALID,	"ARGUMENT_INVALID" },
	{ GH_RM_ERROR_HANDLE_INVALID,	"HANDLE_INVALID" },
	{ GH_RM_ERROR_VALIDATE_FAILED,	"VALIDATE_FAILED" },
	{ GH_RM_ERROR_MAP_FAILED,	"MAP_FAILED" },
	{ GH_RM_ERROR_MEM_INVALID,	"MEM_INVALID" },
	{ GH_RM_ERROR_MEM_INUSE,	"MEM_INUSE" },
	{ GH_RM_ERROR_MEM_RELEASED,	"MEM_RELEASED" },
	{ GH_RM_ERROR_VMID_INVALID,	"VMID_INVALID" },
	{ GH_RM_ERROR_LOOKUP_FAILED,	"LOOKUP_FAILED" },
	{ GH_RM_ERROR_IRQ_INVALID,	"IRQ_INVALID" },
	{ GH_RM_ERROR_IRQ_INUSE,	"IRQ_INUSE" },
	{ GH_RM_ERROR_IRQ_RELEASED,	"IRQ_RELEASED" },
	{ GH_RM_ERROR_IN_USE,		"IN_USE" },
	{ GH_RM_ERROR_IRQ_NOT_MAPPED,	"IRQ_NOT_MAPPED" },
	{ GH_RM_ERROR_VM_STATE,		"VM_STATE" },
};

static const struct gh_rm_name gh_rm_vm_state_names[] = {
	{ GH_RM_VM_STATE_NONE,		"NONE" },
	{ GH_RM_VM_STATE_INIT,		"INIT" },
	{ GH_RM_VM_STATE_READY,		"READY" },
	{ GH_RM_VM_STATE_RUNNING,	"RUNNING" },
	{ GH_RM_VM_STATE_PAUSED,	"PAUSED" },
	{ GH_RM_VM_STATE_LOAD,		"LOAD" },
	{ GH_RM_VM_STATE_AUTH,		"AUTH" },
	{ GH_RM_VM_STATE_INIT_FAILED,	"INIT_FAILED" },
	{ GH_RM_VM_STATE_EXITED,	"EXITED" },
	{ GH_RM_VM_STATE_RESETTING,	"RESETTING" },
	{ GH_RM_VM_STATE_RESET,		"RESET" },
};

static const struct gh_rm_name gh_rm_exit_type_names[] = {
	{ GH_RM_EXIT_TYPE_VM_EXIT,		"VM_EXIT" },
	{ GH_RM_EXIT_TYPE_PLATFORM_OFF,		"PLATFORM_OFF" },
	{ GH_RM_EXIT_TYPE_PLATFORM_RESET,	"PLATFORM_RESET" },
	{ GH_RM_EXIT_TYPE_PSCI_SYSTEM_RESET2,	"PSCI_SYSTEM_RESET2" },
	{ GH_RM_EXIT_TYPE_WATCHDOG_BITE,	"WATCHDOG_BITE" },
	{ GH_RM_EXIT_TYPE_SOFTWARE_ERROR,	"SOFTWARE_ERROR" },
	{ GH_RM_EXIT_TYPE_ASYNC_HW_ERROR,	"ASYNC_HW_ERROR" },
	{ GH_RM_EXIT_TYPE_VM_STOP_FORCED,	"VM_STOP_FORCED" },
};

static const char *gh_rm_lookup(const struct gh_rm_name *tab, size_t n, u32 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i].id == id)
			return tab[i].name;
	return "UNKNOWN";
}

#define GH_RM_LOOKUP(tab, id)	gh_rm_lookup(tab, sizeof(tab) / sizeof((tab)[0]), id)

const char *gh_rm_msg_name(u32 msg_id)
{
	return GH_RM_LOOKUP(gh_rm_msg_names, msg_id);
}

const char *gh_rm_msg_type_name(u8 type)
{
	switch (type) {
	case GH_RM_TYPE_CONTINUATION:
		return "CONTINUATION";
	case GH_RM_TYPE_REQUEST:
		return "REQUEST";
	case GH_RM_TYPE_REPLY:
		return "REPLY";
	case GH_RM_TYPE_NOTIFICATION:
		return "NOTIFICATION";
	}
	return "UNKNOWN";
}

const char *gh_rm_error_name(u32 rm_error)
{
	return GH_RM_LOOKUP(gh_rm_error_names, rm_error);
}

const char *gh_rm_vm_state_name(u32 state)
{
	return GH_RM_LOOKUP(gh_rm_vm_state_names, state);
}

const char *gh_rm_exit_type_name(u32 exit_type)
{
	return GH_RM_LOOKUP(gh_rm_exit_type_names, exit_type);
}

int gh_rm_error_to_errno(u32 rm_error)
{
	switch (rm_error) {
	case GH_RM_ERROR_OK:
		return 0;
	case GH_RM_ERROR_UNIMPLEMENTED:
		return -EOPNOTSUPP;
	case GH_RM_ERROR_NOMEM:
		return -ENOMEM;
	case GH_RM_ERROR_NORESOURCE:
		return -ENODEV;
	case GH_RM_ERROR_DENIED:
		return -EPERM;
	case GH_RM_ERROR_BUSY:
		return -EBUSY;
	case GH_RM_ERROR_MSG_INVALID:
	case GH_RM_ERROR_ARGUMENT_INVALID:
	case GH_RM_ERROR_HANDLE_INVALID:
	case GH_RM_ERROR_VALIDATE_FAILED:
	case GH_RM_ERROR_MAP_FAILED:
	case GH_RM_ERROR_MEM_INVALID:
	case GH_RM_ERROR_MEM_INUSE:
	case GH_RM_ERROR_MEM_RELEASED:
	case GH_RM_ERROR_VMID_INVALID:
	case GH_RM_ERROR_LOOKUP_FAILED:
	case GH_RM_ERROR_IRQ_INVALID:
	case GH_RM_ERROR_IRQ_INUSE:
	case GH_RM_ERROR_IRQ_RELEASED:
		return -EINVAL;
	default:
		return -EBADMSG;
	}
}

/* ---------------------------------------------------------------------------
 * VM management payloads
 */
int gh_rm_dec_empty(size_t len)
{
	return len ? -EBADMSG : 0;
}

static int gh_rm_enc_le32(void *buf, size_t cap, u32 v)
{
	if (cap < 4)
		return -ENOSPC;
	gh_rm_put_le32(buf, v);
	return 4;
}

static int gh_rm_dec_le32(const void *payload, size_t len, u32 *ret)
{
	if (len != 4)
		return -EBADMSG;
	*ret = gh_rm_get_le32(payload);
	return 0;
}

int gh_rm_enc_vmid_req(void *buf, size_t cap, u16 vmid)
{
	u8 *p = buf;

	if (cap < GH_RM_VMID_REQ_SIZE)
		return -ENOSPC;
	gh_rm_put_le16(p, vmid);
	gh_rm_put_le16(p + 2, 0);
	return GH_RM_VMID_REQ_SIZE;
}

int gh_rm_dec_vmid_req(const void *payload, size_t len, struct gh_rm_vmid_req *ret_req)
{
	const u8 *p = payload;

	if (len != GH_RM_VMID_REQ_SIZE)
		return -EBADMSG;
	ret_req->vmid = gh_rm_get_le16(p);
	ret_req->reserved = gh_rm_get_le16(p + 2);
	return 0;
}

int gh_rm_enc_vm_alloc_reply(void *buf, size_t cap, u16 vmid)
{
	return gh_rm_enc_le32(buf, cap, vmid);
}

int gh_rm_dec_vm_alloc_reply(const void *payload, size_t len, u16 req_vmid, u16 *ret_vmid)
{
	u32 v;
	int ret;

	if (len == 0) {
		if (req_vmid == 0)
			return -EBADMSG;
		*ret_vmid = req_vmid;
		return 0;
	}
	ret = gh_rm_dec_le32(payload, len, &v);
	if (ret < 0)
		return ret;
	*ret_vmid = (u16)v;
	return 0;
}

int gh_rm_enc_get_vmid_reply(void *buf, size_t cap, u16 vmid)
{
	return gh_rm_enc_le32(buf, cap, vmid);
}

int gh_rm_dec_get_vmid_reply(const void *payload, size_t len, u16 *ret_vmid)
{
	u32 v;
	int ret;

	ret = gh_rm_dec_le32(payload, len, &v);
	if (ret < 0)
		return ret;
	*ret_vmid = (u16)v;
	return 0;
}

int gh_rm_enc_vm_stop_req(void *buf, size_t cap, const struct gh_rm_vm_stop_req *req)
{
	u8 *p = buf;

	if (req->flags & ~GH_RM_VM_STOP_FLAG_FORCE)
		return -EINVAL;
	if (cap < GH_RM_VM_STOP_REQ_SIZE)
		return -ENOSPC;
	gh_rm_put_le16(p, req->vmid);
	p[2] = req->flags;
	p[3] = 0;
	gh_rm_put_le32(p + 4, req->reason);
	return GH_RM_VM_STOP_REQ_SIZE;
}

int gh_rm_dec_vm_stop_req(const void *payload, size_t len, struct gh_rm_vm_stop_req *ret_req)
{
	const u8 *p = payload;

	if (len != GH_RM_VM_STOP_REQ_SIZE)
		return -EBADMSG;
	ret_req->vmid = gh_rm_get_le16(p);
	ret_req->flags = p[2];
	ret_req->reason = gh_rm_get_le32(p + 4);
	return 0;
}

int gh_rm_enc_vm_config_image_req(void *buf, size_t cap,
				  const struct gh_rm_vm_config_image_req *req)
{
	u8 *p = buf;

	if (cap < GH_RM_VM_CONFIG_IMAGE_REQ_SIZE)
		return -ENOSPC;
	gh_rm_put_le16(p, req->vmid);
	gh_rm_put_le16(p + 2, req->auth_mech);
	gh_rm_put_le32(p + 4, req->mem_handle);
	gh_rm_put_le64(p + 8, req->image_offset);
	gh_rm_put_le64(p + 16, req->image_size);
	gh_rm_put_le64(p + 24, req->dtb_offset);
	gh_rm_put_le64(p + 32, req->dtb_size);
	return GH_RM_VM_CONFIG_IMAGE_REQ_SIZE;
}

int gh_rm_dec_vm_config_image_req(const void *payload, size_t len,
				  struct gh_rm_vm_config_image_req *ret_req)
{
	const u8 *p = payload;

	if (len != GH_RM_VM_CONFIG_IMAGE_REQ_SIZE)
		return -EBADMSG;
	ret_req->vmid = gh_rm_get_le16(p);
	ret_req->auth_mech = gh_rm_get_le16(p + 2);
	ret_req->mem_handle = gh_rm_get_le32(p + 4);
	ret_req->image_offset = gh_rm_get_le64(p + 8);
	ret_req->image_size = gh_rm_get_le64(p + 16);
	ret_req->dtb_offset = gh_rm_get_le64(p + 24);
	ret_req->dtb_size = gh_rm_get_le64(p + 32);
	return 0;
}

int gh_rm_enc_hyp_resources(void *buf, size_t cap, const struct gh_rm_hyp_resource *res, u32 n)
{
	u8 *p = buf;
	u32 i;

	/* the reply data follows the 4-byte err_code */
	if (n > (GH_RM_MSG_MAX_SEND - GH_RM_REPLY_HDR_SIZE - 4) / GH_RM_HYP_RESOURCE_SIZE)
		return -E2BIG;
	if (n && !res)
		return -EINVAL;
	if (cap < 4 || n > (cap - 4) / GH_RM_HYP_RESOURCE_SIZE)
		return -ENOSPC;

	gh_rm_put_le32(p, n);
	p += 4;
	for (i = 0; i < n; i++, p += GH_RM_HYP_RESOURCE_SIZE) {
		p[0] = res[i].type;
		p[1] = 0;
		gh_rm_put_le16(p + 2, res[i].partner_vmid);
		gh_rm_put_le32(p + 4, res[i].resource_handle);
		gh_rm_put_le32(p + 8, res[i].resource_label);
		gh_rm_put_le64(p + 12, res[i].cap_id);
		gh_rm_put_le32(p + 20, res[i].virq_handle);
		gh_rm_put_le32(p + 24, res[i].virq);
		gh_rm_put_le64(p + 28, res[i].base);
		gh_rm_put_le64(p + 36, res[i].size);
	}
	return (int)(4 + (size_t)n * GH_RM_HYP_RESOURCE_SIZE);
}

int gh_rm_dec_hyp_resources(const void *payload, size_t len, u32 *ret_n)
{
	u32 n;

	if (len < 4)
		return -EBADMSG;
	n = gh_rm_get_le32(payload);
	/* 4 + 44 * n == len, without overflowing on 32-bit */
	if ((len - 4) % GH_RM_HYP_RESOURCE_SIZE ||
	    (len - 4) / GH_RM_HYP_RESOURCE_SIZE != n)
		return -EBADMSG;
	*ret_n = n;
	return 0;
}

int gh_rm_dec_hyp_resource(const void *payload, size_t len, u32 index,
			   struct gh_rm_hyp_resource *ret_res)
{
	const u8 *p;
	u32 n;
	int ret;

	ret = gh_rm_dec_hyp_resources(payload, len, &n);
	if (ret < 0)
		return ret;
	if (index >= n)
		return -EINVAL;

	p = (const u8 *)payload + 4 + (size_t)index * GH_RM_HYP_RESOURCE_SIZE;
	ret_res->type = p[0];
	ret_res->partner_vmid = gh_rm_get_le16(p + 2);
	ret_res->resource_handle = gh_rm_get_le32(p + 4);
	ret_res->resource_label = gh_rm_get_le32(p + 8);
	ret_res->cap_id = gh_rm_get_le64(p + 12);
	ret_res->virq_handle = gh_rm_get_le32(p + 20);
	ret_res->virq = gh_rm_get_le32(p + 24);
	ret_res->base = gh_rm_get_le64(p + 28);
	ret_res->size = gh_rm_get_le64(p + 36);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Memory parcels
 */
int gh_rm_acl_get(const struct gh_rm_list *list, unsigned int i, struct gh_rm_acl_entry *ret)
{
	const u8 *p;

	if (i >= list->n)
		return -EINVAL;
	p = list->data + (size_t)i * GH_RM_ACL_ENTRY_SIZE;
	ret->vmid = gh_rm_get_le16(p);
	ret->perms = p[2];
	return 0;
}

int gh_rm_mem_get(const struct gh_rm_list *list, unsigned int i, struct gh_rm_mem_entry *ret)
{
	const u8 *p;

	if (i >= list->n)
		return -EINVAL;
	p = list->data + (size_t)i * GH_RM_MEM_ENTRY_SIZE;
	ret->ipa_base = gh_rm_get_le64(p);
	ret->size = gh_rm_get_le64(p + 8);
	return 0;
}

int gh_rm_attr_get(const struct gh_rm_list *list, unsigned int i, struct gh_rm_attr_entry *ret)
{
	const u8 *p;

	if (i >= list->n)
		return -EINVAL;
	p = list->data + (size_t)i * GH_RM_ATTR_ENTRY_SIZE;
	ret->attr = gh_rm_get_le16(p);
	ret->vmid = gh_rm_get_le16(p + 2);
	return 0;
}

size_t gh_rm_mem_nchunks(size_t n_mem)
{
	if (n_mem <= GH_RM_MAX_MEM_ENTRIES)
		return 1;
	return (n_mem + GH_RM_MAX_MEM_ENTRIES - 1) / GH_RM_MAX_MEM_ENTRIES;
}

static size_t gh_rm_list_len(size_t n, size_t entry_size)
{
	return GH_RM_LIST_HDR_SIZE + GH_RM_ALIGN4(n * entry_size);
}

size_t gh_rm_mem_share_req_len(size_t n_acl, size_t n_mem)
{
	return GH_RM_MEM_SHARE_HDR_SIZE + gh_rm_list_len(n_acl, GH_RM_ACL_ENTRY_SIZE) +
	       gh_rm_list_len(n_mem, GH_RM_MEM_ENTRY_SIZE) +
	       gh_rm_list_len(0, GH_RM_ATTR_ENTRY_SIZE);
}

size_t gh_rm_mem_append_req_len(size_t n_mem)
{
	return GH_RM_MEM_APPEND_HDR_SIZE + gh_rm_list_len(n_mem, GH_RM_MEM_ENTRY_SIZE);
}

/* Write a memory list (header + entries) at p; returns the bytes written */
static size_t gh_rm_put_mem_list(u8 *p, const struct gh_rm_mem_entry *mem, size_t n)
{
	size_t i;

	gh_rm_put_le16(p, (u16)n);
	gh_rm_put_le16(p + 2, 0);
	p += GH_RM_LIST_HDR_SIZE;
	for (i = 0; i < n; i++, p += GH_RM_MEM_ENTRY_SIZE) {
		gh_rm_put_le64(p, mem[i].ipa_base);
		gh_rm_put_le64(p + 8, mem[i].size);
	}
	return gh_rm_list_len(n, GH_RM_MEM_ENTRY_SIZE);
}

int gh_rm_enc_mem_share_req(void *buf, size_t cap, const struct gh_rm_mem_share_args *args)
{
	size_t n_mem = args->n_mem, len, i;
	u8 flags = args->flags;
	u8 *p = buf;

	if (args->mem_type > GH_RM_MEM_TYPE_IO)
		return -EINVAL;
	if (flags & ~(GH_RM_MEM_SHARE_FLAG_SANITIZE | GH_RM_MEM_SHARE_FLAG_APPEND))
		return -EINVAL;
	if (args->n_acl > GH_RM_MAX_ACL_ENTRIES)
		return -EINVAL;
	if ((args->n_acl && !args->acl) || (n_mem && !args->mem))
		return -EINVAL;
	for (i = 0; i < args->n_acl; i++)
		if (args->acl[i].perms & ~GH_RM_ACL_RWX)
			return -EINVAL;
	if (n_mem > GH_RM_MAX_MEM_ENTRIES) {
		n_mem = GH_RM_MAX_MEM_ENTRIES;
		flags |= GH_RM_MEM_SHARE_FLAG_APPEND;
	}
	len = gh_rm_mem_share_req_len(args->n_acl, n_mem);
	if (cap < len)
		return -ENOSPC;

	p[0] = args->mem_type;
	p[1] = 0;
	p[2] = flags;
	p[3] = 0;
	gh_rm_put_le32(p + 4, args->label);
	p += GH_RM_MEM_SHARE_HDR_SIZE;

	gh_rm_put_le16(p, (u16)args->n_acl);
	gh_rm_put_le16(p + 2, 0);
	p += GH_RM_LIST_HDR_SIZE;
	for (i = 0; i < args->n_acl; i++, p += GH_RM_ACL_ENTRY_SIZE) {
		gh_rm_put_le16(p, args->acl[i].vmid);
		p[2] = args->acl[i].perms;
		p[3] = 0;
	}

	p += gh_rm_put_mem_list(p, args->mem, n_mem);

	/* attribute list: none */
	gh_rm_put_le32(p, 0);
	return (int)len;
}

int gh_rm_enc_mem_append_slice(void *buf, size_t cap, u32 mem_handle, u8 flags,
			       const struct gh_rm_mem_entry *mem, size_t n_mem)
{
	size_t len;
	u8 *p = buf;

	if (flags & ~GH_RM_MEM_APPEND_FLAG_END)
		return -EINVAL;
	if (n_mem && !mem)
		return -EINVAL;
	if (n_mem > GH_RM_MAX_MEM_ENTRIES)
		return -E2BIG;
	len = gh_rm_mem_append_req_len(n_mem);
	if (cap < len)
		return -ENOSPC;

	gh_rm_put_le32(p, mem_handle);
	p[4] = flags;
	p[5] = 0;
	gh_rm_put_le16(p + 6, 0);
	gh_rm_put_mem_list(p + GH_RM_MEM_APPEND_HDR_SIZE, mem, n_mem);
	return (int)len;
}

int gh_rm_enc_mem_append_req(void *buf, size_t cap, u32 mem_handle,
			     const struct gh_rm_mem_entry *mem, size_t n_mem, size_t chunk)
{
	size_t nchunks = gh_rm_mem_nchunks(n_mem);
	size_t first, n;

	if (chunk == 0 || chunk >= nchunks)
		return -EINVAL;
	first = chunk * GH_RM_MAX_MEM_ENTRIES;
	n = n_mem - first;
	if (n > GH_RM_MAX_MEM_ENTRIES)
		n = GH_RM_MAX_MEM_ENTRIES;
	return gh_rm_enc_mem_append_slice(buf, cap, mem_handle,
					  chunk == nchunks - 1 ? GH_RM_MEM_APPEND_FLAG_END : 0,
					  mem + first, n);
}

/* Entries a memparcel message with @ovh bytes besides its entries carries in @pkts packets */
static size_t gh_rm_mem_plan_cap(size_t ovh, size_t pkts)
{
	size_t bytes = pkts * GH_RM_PAYLOAD_MAX;

	if (bytes < ovh)
		return 0;
	bytes = (bytes - ovh) / GH_RM_MEM_ENTRY_SIZE;
	return bytes < GH_RM_MAX_MEM_ENTRIES ? bytes : GH_RM_MAX_MEM_ENTRIES;
}

static size_t gh_rm_mem_plan_ovh(size_t n_acl, size_t msg)
{
	return msg ? gh_rm_mem_append_req_len(0) : gh_rm_mem_share_req_len(n_acl, 0);
}

/*
 * Every message but the last ends in a partly filled packet when it carries
 * 512 entries; giving back a few of its entries can save that packet. Start
 * from the fewest messages, each at its packet count for 512 entries, and
 * drop the packet that costs the fewest entries while the rest still fits
 * (a packet holds 14.5 entries; the first one dropped from a message far
 * fewer). Exhaustively checked against every split in tests/rm/test-rm-wire.c.
 */
size_t gh_rm_mem_plan(size_t n_acl, size_t n_mem, u16 *counts)
{
	size_t m = gh_rm_mem_nchunks(n_mem), total = 0, room, i, best, loss, best_loss, c, surplus;

	if (!n_mem) {
		counts[0] = 0;
		return (size_t)gh_rm_msg_npackets(gh_rm_mem_share_req_len(n_acl, 0));
	}
	/* counts[] holds each message's packet budget until the end */
	for (i = 0; i < m; i++)
		counts[i] = (u16)gh_rm_msg_npackets(gh_rm_mem_plan_ovh(n_acl, i) +
						     GH_RM_MAX_MEM_ENTRIES * GH_RM_MEM_ENTRY_SIZE);
	room = m * GH_RM_MAX_MEM_ENTRIES;
	for (;;) {
		best = m;
		best_loss = 0;
		for (i = 0; i < m; i++) {
			c = gh_rm_mem_plan_cap(gh_rm_mem_plan_ovh(n_acl, i), counts[i] - 1u);
			if (!c)
				continue;
			loss = gh_rm_mem_plan_cap(gh_rm_mem_plan_ovh(n_acl, i), counts[i]) - c;
			/* ties go to the later message: the first stays full */
			if (best == m || loss <= best_loss) {
				best = i;
				best_loss = loss;
			}
		}
		if (best == m || room - best_loss < n_mem)
			break;
		counts[best]--;
		room -= best_loss;
	}
	/* entries: each message's capacity, the surplus taken from the last ones */
	surplus = room - n_mem;
	for (i = m; i-- > 0;) {
		total += counts[i];
		c = gh_rm_mem_plan_cap(gh_rm_mem_plan_ovh(n_acl, i), counts[i]);
		loss = surplus < c - 1 ? surplus : c - 1;
		counts[i] = (u16)(c - loss);
		surplus -= loss;
	}
	return total;
}

/*
 * Read one list at p[0..len) by the RM's rules (rm_rpc_read_list): nothing
 * left means an empty list; otherwise a 4-byte list header, a count of at
 * most 512 (-E2BIG) and entries that fit (-EBADMSG). Returns the bytes the
 * list occupies, the next list starting 4-aligned after it.
 */
static int gh_rm_read_list(const u8 *p, size_t len, size_t entry_size, struct gh_rm_list *list,
			   size_t *used)
{
	size_t size;

	list->n = 0;
	list->data = p;
	*used = 0;
	if (len == 0)
		return 0;
	if (len < GH_RM_LIST_HDR_SIZE)
		return -EBADMSG;
	list->n = gh_rm_get_le16(p);
	if (list->n > GH_RM_MAX_LIST_ENTRIES)
		return -E2BIG;
	size = GH_RM_ALIGN4((size_t)list->n * entry_size);
	if (size > len - GH_RM_LIST_HDR_SIZE)
		return -EBADMSG;
	list->data = p + GH_RM_LIST_HDR_SIZE;
	*used = GH_RM_LIST_HDR_SIZE + size;
	return 0;
}

int gh_rm_dec_mem_share_req(const void *payload, size_t len, struct gh_rm_mem_share_req *ret_req)
{
	struct gh_rm_mem_share_req req;
	const u8 *p = payload;
	size_t used;
	int ret;

	if (len < GH_RM_MEM_SHARE_HDR_SIZE)
		return -EBADMSG;
	req.mem_type = p[0];
	req.flags = p[2];
	req.label = gh_rm_get_le32(p + 4);
	p += GH_RM_MEM_SHARE_HDR_SIZE;
	len -= GH_RM_MEM_SHARE_HDR_SIZE;

	ret = gh_rm_read_list(p, len, GH_RM_ACL_ENTRY_SIZE, &req.acl, &used);
	if (ret < 0)
		return ret;
	p += used;
	len -= used;
	ret = gh_rm_read_list(p, len, GH_RM_MEM_ENTRY_SIZE, &req.mem, &used);
	if (ret < 0)
		return ret;
	p += used;
	len -= used;
	ret = gh_rm_read_list(p, len, GH_RM_ATTR_ENTRY_SIZE, &req.attr, &used);
	if (ret < 0)
		return ret;
	if (len != used)
		return -EBADMSG;

	*ret_req = req;
	return 0;
}

int gh_rm_dec_mem_append_req(const void *payload, size_t len,
			     struct gh_rm_mem_append_req *ret_req)
{
	struct gh_rm_mem_append_req req;
	const u8 *p = payload;
	size_t used;
	int ret;

	if (len < GH_RM_MEM_APPEND_HDR_SIZE)
		return -EBADMSG;
	req.mem_handle = gh_rm_get_le32(p);
	req.flags = p[4];
	p += GH_RM_MEM_APPEND_HDR_SIZE;
	len -= GH_RM_MEM_APPEND_HDR_SIZE;

	ret = gh_rm_read_list(p, len, GH_RM_MEM_ENTRY_SIZE, &req.mem, &used);
	if (ret < 0)
		return ret;
	if (len != used)
		return -EBADMSG;

	*ret_req = req;
	return 0;
}

int gh_rm_enc_mem_handle_reply(void *buf, size_t cap, u32 mem_handle)
{
	return gh_rm_enc_le32(buf, cap, mem_handle);
}

int gh_rm_dec_mem_handle_reply(const void *payload, size_t len, u32 *ret_handle)
{
	return gh_rm_dec_le32(payload, len, ret_handle);
}

int gh_rm_enc_mem_reclaim_req(void *buf, size_t cap, const struct gh_rm_mem_reclaim_req *req)
{
	u8 *p = buf;

	if (req->flags & ~GH_RM_MEM_RECLAIM_FLAG_SANITIZE)
		return -EINVAL;
	if (cap < GH_RM_MEM_RECLAIM_REQ_SIZE)
		return -ENOSPC;
	gh_rm_put_le32(p, req->mem_handle);
	p[4] = req->flags;
	p[5] = 0;
	gh_rm_put_le16(p + 6, 0);
	return GH_RM_MEM_RECLAIM_REQ_SIZE;
}

int gh_rm_dec_mem_reclaim_req(const void *payload, size_t len,
			      struct gh_rm_mem_reclaim_req *ret_req)
{
	const u8 *p = payload;

	if (len != GH_RM_MEM_RECLAIM_REQ_SIZE)
		return -EBADMSG;
	ret_req->mem_handle = gh_rm_get_le32(p);
	ret_req->flags = p[4];
	return 0;
}

/* ---------------------------------------------------------------------------
 * Notifications
 */
int gh_rm_enc_vm_status(void *buf, size_t cap, const struct gh_rm_vm_status *st)
{
	u8 *p = buf;

	if (cap < GH_RM_VM_STATUS_SIZE)
		return -ENOSPC;
	gh_rm_put_le16(p, st->vmid);
	gh_rm_put_le16(p + 2, 0);
	p[4] = st->vm_status;
	p[5] = st->os_status;
	gh_rm_put_le16(p + 6, st->app_status);
	return GH_RM_VM_STATUS_SIZE;
}

int gh_rm_dec_vm_status(const void *payload, size_t len, struct gh_rm_vm_status *ret_st)
{
	const u8 *p = payload;

	if (len != GH_RM_VM_STATUS_SIZE)
		return -EBADMSG;
	ret_st->vmid = gh_rm_get_le16(p);
	ret_st->vm_status = p[4];
	ret_st->os_status = p[5];
	ret_st->app_status = gh_rm_get_le16(p + 6);
	return 0;
}

int gh_rm_enc_vm_exited(void *buf, size_t cap, u16 vmid, u16 exit_type, const void *reason,
			size_t reason_size)
{
	u8 *p = buf;

	if (reason_size && !reason)
		return -EINVAL;
	if (reason_size > GH_RM_MSG_MAX_SEND - GH_RM_VM_EXITED_HDR_SIZE)
		return -E2BIG;
	if (cap < GH_RM_VM_EXITED_HDR_SIZE || reason_size > cap - GH_RM_VM_EXITED_HDR_SIZE)
		return -ENOSPC;
	gh_rm_put_le16(p, vmid);
	gh_rm_put_le16(p + 2, exit_type);
	gh_rm_put_le32(p + 4, (u32)reason_size);
	if (reason_size)
		memcpy(p + GH_RM_VM_EXITED_HDR_SIZE, reason, reason_size);
	return (int)(GH_RM_VM_EXITED_HDR_SIZE + reason_size);
}

int gh_rm_dec_vm_exited(const void *payload, size_t len, struct gh_rm_vm_exited *ret_ex)
{
	const u8 *p = payload;
	u32 size;

	if (len < GH_RM_VM_EXITED_HDR_SIZE)
		return -EBADMSG;
	size = gh_rm_get_le32(p + 4);
	if (len - GH_RM_VM_EXITED_HDR_SIZE != size)
		return -EBADMSG;
	ret_ex->vmid = gh_rm_get_le16(p);
	ret_ex->exit_type = gh_rm_get_le16(p + 2);
	ret_ex->exit_reason_size = size;
	ret_ex->exit_reason = p + GH_RM_VM_EXITED_HDR_SIZE;
	return 0;
}

int gh_rm_enc_vm_shutdown(void *buf, size_t cap, u32 reason)
{
	return gh_rm_enc_le32(buf, cap, reason);
}

int gh_rm_dec_vm_shutdown(const void *payload, size_t len, u32 *ret_reason)
{
	return gh_rm_dec_le32(payload, len, ret_reason);
}

/* ---------------------------------------------------------------------------
 * Console
 */
int gh_rm_enc_console_req(void *buf, size_t cap, u16 vmid)
{
	return gh_rm_enc_vmid_req(buf, cap, vmid);
}

int gh_rm_dec_console_req(const void *payload, size_t len, u16 *ret_vmid)
{
	struct gh_rm_vmid_req req;
	int ret = gh_rm_dec_vmid_req(payload, len, &req);

	if (ret)
		return ret;
	*ret_vmid = req.vmid;
	return 0;
}

int gh_rm_enc_console_chars(void *buf, size_t cap, u16 vmid, const void *bytes, size_t n)
{
	u8 *p = buf;

	if (n && !bytes)
		return -EINVAL;
	if (n > GH_RM_CONSOLE_MAX_BYTES)
		return -E2BIG;
	if (cap < GH_RM_CONSOLE_HDR_SIZE || n > cap - GH_RM_CONSOLE_HDR_SIZE)
		return -ENOSPC;
	gh_rm_put_le16(p, vmid);
	gh_rm_put_le16(p + 2, (u16)n);
	if (n)
		memcpy(p + GH_RM_CONSOLE_HDR_SIZE, bytes, n);
	return (int)(GH_RM_CONSOLE_HDR_SIZE + n);
}

int gh_rm_dec_console_chars(const void *payload, size_t len, struct gh_rm_console_chars *ret)
{
	const u8 *p = payload;
	u16 n;

	if (len < GH_RM_CONSOLE_HDR_SIZE)
		return -EBADMSG;
	n = gh_rm_get_le16(p + 2);
	if (len - GH_RM_CONSOLE_HDR_SIZE != n)
		return -EBADMSG;
	ret->vmid = gh_rm_get_le16(p);
	ret->num_bytes = n;
	ret->bytes = p + GH_RM_CONSOLE_HDR_SIZE;
	return 0;
}
