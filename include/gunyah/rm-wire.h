/* SPDX-License-Identifier: GPL-2.0-only OR LGPL-2.1-or-later */
/*
 * Gunyah Resource Manager (RM) RPC wire format: packet header, fragmentation,
 * reassembly, message ids, payload codecs and error codes.
 *
 * The same code (rm/wire/wire.c) is compiled into gunyah.ko and into userspace
 * (librmwire: RM emulator, tests, fuzzer). It allocates nothing, uses no libc
 * beyond memcpy/memset and encodes every field byte by byte in little endian:
 * no packed struct is ever cast onto a buffer.
 *
 * Conventions:
 *  - gh_rm_enc_*() write into a caller buffer (buf, cap) and return the number
 *    of bytes written, or -EINVAL (bad argument), -E2BIG (too many entries or
 *    message too large) or -ENOSPC (cap too small). Nothing is written on error.
 *  - gh_rm_dec_*() parse a payload (without the 8-byte packet header and, for
 *    replies, without the 4-byte err_code) and return 0, or -EBADMSG when the
 *    length does not match the layout exactly, or -E2BIG when a list count is
 *    above GH_RM_MAX_LIST_ENTRIES (which the RM answers with NORESOURCE).
 *    Outputs are written only on success. Reserved bytes are not checked: the
 *    peers ignore them, and where the RM checks one (VM_INIT res0), it is
 *    returned to the caller.
 *  - Pointers in decoded structures point into the payload that was decoded.
 */
#ifndef GUNYAH_RM_WIRE_H
#define GUNYAH_RM_WIRE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <errno.h>
#include <string.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

/* ---------------------------------------------------------------------------
 * Little-endian accessors (unaligned, byte by byte)
 */
static inline void gh_rm_put_le16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static inline void gh_rm_put_le32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

static inline void gh_rm_put_le64(u8 *p, u64 v)
{
	gh_rm_put_le32(p, (u32)v);
	gh_rm_put_le32(p + 4, (u32)(v >> 32));
}

static inline u16 gh_rm_get_le16(const u8 *p)
{
	return (u16)(p[0] | (p[1] << 8));
}

static inline u32 gh_rm_get_le32(const u8 *p)
{
	return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

static inline u64 gh_rm_get_le64(const u8 *p)
{
	return (u64)gh_rm_get_le32(p) | ((u64)gh_rm_get_le32(p + 4) << 32);
}

/* ---------------------------------------------------------------------------
 * Packet header and size limits
 */
#define GH_RM_RPC_API_VERSION		1
#define GH_RM_RPC_HEADER_WORDS		2
/* byte 0 of every packet: header words (2) << 4 | API version (1) */
#define GH_RM_RPC_API			0x21
#define GH_RM_HDR_SIZE			8	/* bytes */
#define GH_RM_REPLY_HDR_SIZE		4	/* le32 err_code opening a reply payload */
#define GH_RM_PACKET_MAX		240	/* bytes, header included (msgq message size) */
#define GH_RM_PAYLOAD_MAX		232	/* payload bytes per packet */
#define GH_RM_MAX_FRAGMENTS		62	/* continuation packets after the first */
/*
 * Receive limit: the largest message either peer accepts, 1 + 62 packets
 * (RM_RPC_MAX_MSG_SIZE). The reassembler accepts up to this.
 */
#define GH_RM_MSG_MAX_RECV		(GH_RM_PAYLOAD_MAX * (GH_RM_MAX_FRAGMENTS + 1))	/* 14616 */
/*
 * Send limit: the Linux RM client refuses to send a message above 62 * 232
 * bytes (-E2BIG), although 63 packets would fit the header. The encoder keeps
 * to that stricter limit on both sides (kernel requests, emulator replies and
 * notifications), so that nothing this project emits exceeds what the
 * reference client would emit, and a message that the real module could not
 * send never works by accident against the emulator.
 */
#define GH_RM_MSG_MAX_SEND		(GH_RM_PAYLOAD_MAX * GH_RM_MAX_FRAGMENTS)	/* 14384 */

/* message type: bits 1:0 of header byte 1; bits 7:2 carry the fragment count */
#define GH_RM_TYPE_CONTINUATION		0
#define GH_RM_TYPE_REQUEST		1
#define GH_RM_TYPE_REPLY		2
#define GH_RM_TYPE_NOTIFICATION		3

struct gh_rm_hdr {
	u8 api;			/* always GH_RM_RPC_API once decoded */
	u8 type;		/* GH_RM_TYPE_* */
	u8 fragments;		/* continuation packets of the message, 0..62 */
	u16 seq;
	u32 msg_id;
};

/*
 * gh_rm_hdr_encode() - write an 8-byte header at buf. Deliberately permissive
 * (fragments up to 63, any msg_id) so that tests can forge bad packets.
 * Return: GH_RM_HDR_SIZE, or -EINVAL for type > 3 or fragments > 63.
 */
int gh_rm_hdr_encode(u8 *buf, u8 type, u8 fragments, u16 seq, u32 msg_id);

/*
 * gh_rm_hdr_decode() - parse and validate a packet header.
 * Return: 0; -EMSGSIZE if len < 8 or > 240; -EPROTO if the api byte is not
 * 0x21 or fragments > 62.
 */
int gh_rm_hdr_decode(const void *pkt, size_t len, struct gh_rm_hdr *ret_hdr);

/* ---------------------------------------------------------------------------
 * Fragmentation (send side)
 */

/* Continuations of a len-byte message: 0 for 0, else (len - 1) / 232; -E2BIG above send max */
int gh_rm_msg_fragments(size_t len);
/* Packets for a len-byte message (fragments + 1), or -E2BIG above GH_RM_MSG_MAX_SEND */
int gh_rm_msg_npackets(size_t len);
/* Packets for a reply carrying data_len bytes after its err_code */
int gh_rm_reply_npackets(size_t data_len);

/*
 * gh_rm_encode_packet() - build packet @index of a message.
 * @buf:     at least GH_RM_PACKET_MAX bytes
 * @type:    GH_RM_TYPE_REQUEST, _REPLY or _NOTIFICATION. Packet 0 carries it;
 *           packets 1..N carry GH_RM_TYPE_CONTINUATION and repeat fragments,
 *           seq and msg_id. For REPLY the payload must open with the le32
 *           err_code (see gh_rm_encode_reply_packet()).
 * @msg_id:  non-zero (0 is reserved)
 * @payload: the whole logical payload (NULL allowed when len is 0)
 * @index:   0 .. gh_rm_msg_npackets(len) - 1
 * Return: packet length (8..240); -EINVAL for a bad type, msg_id 0, index out
 * of range or a reply payload shorter than 4 bytes; -E2BIG if len > send max.
 */
int gh_rm_encode_packet(u8 *buf, u8 type, u16 seq, u32 msg_id, const void *payload, size_t len,
			unsigned int index);

/*
 * gh_rm_encode_reply_packet() - as gh_rm_encode_packet() for a REPLY whose
 * logical payload is the le32 @err_code followed by @data, without the caller
 * having to assemble that payload. Packet count: gh_rm_reply_npackets(data_len).
 */
int gh_rm_encode_reply_packet(u8 *buf, u16 seq, u32 msg_id, u32 err_code, const void *data,
			      size_t data_len, unsigned int index);

/* ---------------------------------------------------------------------------
 * Reassembly (receive side)
 */

/* Why a packet was dropped; each reason has its own errno (gh_rm_reasm_feed()) */
enum gh_rm_drop {
	GH_RM_DROP_NONE,
	GH_RM_DROP_SHORT,	/* -EMSGSIZE: shorter than the 8-byte header */
	GH_RM_DROP_LONG,	/* -EMSGSIZE: longer than 240 bytes */
	GH_RM_DROP_API,		/* -EPROTO: api byte is not 0x21 */
	GH_RM_DROP_FRAGMENTS,	/* -EPROTO: fragment count above 62 */
	GH_RM_DROP_TYPE,	/* -EPROTO: message type this endpoint does not accept */
	GH_RM_DROP_ORPHAN,	/* -ENOMSG: continuation with no message in progress */
	GH_RM_DROP_MISMATCH,	/* -EILSEQ: continuation msg_id/seq/fragments differ */
	GH_RM_DROP_OVERFLOW,	/* -EOVERFLOW: message larger than the caller's buffer */
	GH_RM_DROP_REPLY_SHORT,	/* -EBADMSG: reply without its 4-byte err_code */
	GH_RM_DROP_MAX,
};

/* accept masks for gh_rm_reasm_init() */
#define GH_RM_ACCEPT(type)		(1U << (type))
#define GH_RM_ACCEPT_CLIENT		(GH_RM_ACCEPT(GH_RM_TYPE_REPLY) | \
					 GH_RM_ACCEPT(GH_RM_TYPE_NOTIFICATION))
#define GH_RM_ACCEPT_SERVER		GH_RM_ACCEPT(GH_RM_TYPE_REQUEST)
#define GH_RM_ACCEPT_ALL		(GH_RM_ACCEPT(GH_RM_TYPE_REQUEST) | GH_RM_ACCEPT_CLIENT)

/* A complete message, as returned by gh_rm_reasm_feed() */
struct gh_rm_msg {
	u8 type;		/* REQUEST, REPLY or NOTIFICATION */
	u8 fragments;
	u16 seq;
	u32 msg_id;
	u32 err_code;		/* REPLY: the RM error (GH_RM_ERROR_*); else 0 */
	const u8 *payload;	/* in the reassembly buffer; REPLY: the data after err_code */
	size_t len;		/* bytes at payload */
};

struct gh_rm_reasm_stats {
	u32 packets;		/* packets fed */
	u32 messages;		/* messages completed */
	u32 dropped;		/* packets dropped, all reasons */
	u32 aborted;		/* partial messages abandoned (new message, bad continuation) */
	u32 drops[GH_RM_DROP_MAX];	/* per reason */
};

/*
 * Reassembly state. Treat as opaque except stats, last_drop, last_error and
 * last_aborted, which callers may read for logging. Not thread safe: the
 * caller serialises feeds (one receive path per endpoint).
 */
struct gh_rm_reasm {
	u8 *buf;		/* caller's buffer, holds one message payload */
	size_t cap;		/* its size in bytes; GH_RM_MSG_MAX_RECV takes anything */
	u32 accept;		/* GH_RM_ACCEPT_* mask */
	bool active;		/* a fragmented message is in progress */
	u8 type;
	u8 fragments;
	u8 received;		/* continuations received so far */
	u16 seq;
	u32 msg_id;
	size_t len;		/* bytes in buf */
	enum gh_rm_drop last_drop;
	int last_error;		/* errno of the last drop, negative */
	struct gh_rm_hdr last_aborted;	/* header of the last abandoned partial message */
	struct gh_rm_reasm_stats stats;
};

/* Prepare @r to reassemble into buf[0..cap) messages of the types in @accept */
void gh_rm_reasm_init(struct gh_rm_reasm *r, void *buf, size_t cap, u32 accept);

/* Abandon a message in progress, if any (e.g. on transport reset). Counts as aborted. */
void gh_rm_reasm_abort(struct gh_rm_reasm *r);

/* Whether a fragmented message is in progress */
bool gh_rm_reasm_busy(const struct gh_rm_reasm *r);

/*
 * gh_rm_reasm_feed() - feed one received packet.
 *
 * Rules (both the Linux client's and the RM's): packets shorter than 8 or
 * longer than 240 bytes, with an api byte other than 0x21 or more than 62
 * fragments are dropped and leave any partial message alone. A packet of a
 * type outside the accept mask is dropped likewise. A new REQUEST, REPLY or
 * NOTIFICATION abandons any partial message. A CONTINUATION with no message in
 * progress is dropped; one whose msg_id, seq or fragment count differs from
 * the message in progress is dropped and abandons that message. A message that
 * outgrows the buffer is abandoned. A REPLY must carry at least its 4-byte
 * err_code. Packets shorter than 240 bytes before the last are accepted, as
 * both peers do: the message is the concatenation of the payloads.
 *
 * Return: 1 and *ret_msg filled when a message completed (its payload stays
 * valid until the next feed); 0 when more packets are needed; a negative
 * errno when the packet was dropped (see enum gh_rm_drop; also recorded in
 * last_drop, last_error and stats).
 */
int gh_rm_reasm_feed(struct gh_rm_reasm *r, const void *pkt, size_t len, struct gh_rm_msg *ret_msg);

const char *gh_rm_drop_name(enum gh_rm_drop drop);

/* ---------------------------------------------------------------------------
 * Message ids
 */
#define GH_RM_MEM_DONATE		0x51000010U
#define GH_RM_MEM_ACCEPT		0x51000011U
#define GH_RM_MEM_LEND			0x51000012U
#define GH_RM_MEM_SHARE			0x51000013U
#define GH_RM_MEM_RELEASE		0x51000014U
#define GH_RM_MEM_RECLAIM		0x51000015U
#define GH_RM_MEM_NOTIFY		0x51000017U
#define GH_RM_MEM_APPEND		0x51000018U

#define GH_RM_VM_ALLOCATE		0x56000001U
#define GH_RM_VM_DEALLOCATE		0x56000002U
#define GH_RM_VM_START			0x56000004U
#define GH_RM_VM_STOP			0x56000005U
#define GH_RM_VM_RESET			0x56000006U
#define GH_RM_VM_CONFIG_IMAGE		0x56000009U
#define GH_RM_VM_AUTH_IMAGE		0x5600000AU
#define GH_RM_VM_INIT			0x5600000BU
#define GH_RM_VM_GET_STATE		0x56000017U
#define GH_RM_VM_GET_HYP_RESOURCES	0x56000020U
#define GH_RM_VM_GET_VMID		0x56000024U
#define GH_RM_VM_SET_FIRMWARE_MEM	0x56000032U
#define GH_RM_VM_CONSOLE_OPEN		0x56000081U
#define GH_RM_VM_CONSOLE_CLOSE		0x56000082U
#define GH_RM_VM_CONSOLE_WRITE		0x56000083U
#define GH_RM_VM_CONSOLE_FLUSH		0x56000084U

/* notifications (RM -> client) */
#define GH_RM_NOTIF_MEM_SHARED		0x51100011U
#define GH_RM_NOTIF_MEM_RELEASED	0x51100012U
#define GH_RM_NOTIF_MEM_ACCEPTED	0x51100013U
#define GH_RM_NOTIF_MEM_RECALL		0x51100014U
#define GH_RM_NOTIF_VM_EXITED		0x56100001U
#define GH_RM_NOTIF_VM_SHUTDOWN		0x56100002U
#define GH_RM_NOTIF_VM_STATUS		0x56100008U
#define GH_RM_NOTIF_VM_CONSOLE_CHARS	0x56100080U

/* "VM_ALLOCATE", "NOTIFY_VM_STATUS", ...; "UNKNOWN" for any other id */
const char *gh_rm_msg_name(u32 msg_id);
/* "CONTINUATION", "REQUEST", "REPLY", "NOTIFICATION"; "UNKNOWN" otherwise */
const char *gh_rm_msg_type_name(u8 type);

/* ---------------------------------------------------------------------------
 * RM error codes (err_code of a reply) and their errno (ACK61 gh_rm_remap_error)
 */
#define GH_RM_ERROR_OK			0x0U
#define GH_RM_ERROR_UNIMPLEMENTED	0xFFFFFFFFU
#define GH_RM_ERROR_NOMEM		0x1U
#define GH_RM_ERROR_NORESOURCE		0x2U
#define GH_RM_ERROR_DENIED		0x3U
#define GH_RM_ERROR_MSG_INVALID		0x4U
#define GH_RM_ERROR_BUSY		0x5U
#define GH_RM_ERROR_ARGUMENT_INVALID	0x6U
#define GH_RM_ERROR_HANDLE_INVALID	0x7U
#define GH_RM_ERROR_VALIDATE_FAILED	0x8U
#define GH_RM_ERROR_MAP_FAILED		0x9U
#define GH_RM_ERROR_MEM_INVALID		0xAU
#define GH_RM_ERROR_MEM_INUSE		0xBU
#define GH_RM_ERROR_MEM_RELEASED	0xCU
#define GH_RM_ERROR_VMID_INVALID	0xDU
#define GH_RM_ERROR_LOOKUP_FAILED	0xEU
#define GH_RM_ERROR_IRQ_INVALID		0xFU
#define GH_RM_ERROR_IRQ_INUSE		0x10U
#define GH_RM_ERROR_IRQ_RELEASED	0x11U
#define GH_RM_ERROR_IN_USE		0x12U
#define GH_RM_ERROR_IRQ_NOT_MAPPED	0x13U
#define GH_RM_ERROR_VM_STATE		0x14U

/*
 * 0 for OK, -EOPNOTSUPP UNIMPLEMENTED, -ENOMEM NOMEM, -ENODEV NORESOURCE,
 * -EPERM DENIED, -EBUSY BUSY, -EINVAL for MSG_INVALID and 6..0x11, and
 * -EBADMSG for anything else (0x12..0x14 included, as Linux does).
 */
int gh_rm_error_to_errno(u32 rm_error);
/* "OK", "NOMEM", ..., "VM_STATE"; "UNKNOWN" for other codes */
const char *gh_rm_error_name(u32 rm_error);

/* ---------------------------------------------------------------------------
 * VMIDs, VM states, exit reasons
 */
#define GH_RM_VMID_HYP			0x0U	/* also "self" in Linux requests */
#define GH_RM_VMID_SELF			0x0U
#define GH_RM_VMID_HLOS			0x3U
#define GH_RM_VMID_DYNAMIC_FIRST	0x80U
/* The open-source RM: util_mask(0xBF - 0x80) in vm_mgnt_init, 63 VMIDs */
#define GH_RM_VMID_DYNAMIC_LAST		0xBEU
#define GH_RM_VMID_DYNAMIC_COUNT	(GH_RM_VMID_DYNAMIC_LAST - GH_RM_VMID_DYNAMIC_FIRST + 1)
#define GH_RM_VMID_RM			0xFFU
#define GH_RM_VMID_ANY			0xFFFEU
#define GH_RM_VMID_PEER_DEFAULT		0xFFFFU
#define GH_RM_VMID_INVALID		0xFFFFU

#define GH_RM_MEM_HANDLE_INVALID	0xFFFFFFFFU

/* RM VM status (VM_STATUS notification vm_status, VM_GET_STATE) */
enum gh_rm_vm_state {
	GH_RM_VM_STATE_NONE		= 0,
	GH_RM_VM_STATE_INIT		= 1,
	GH_RM_VM_STATE_READY		= 2,
	GH_RM_VM_STATE_RUNNING		= 3,
	GH_RM_VM_STATE_PAUSED		= 4,
	GH_RM_VM_STATE_LOAD		= 5,
	GH_RM_VM_STATE_AUTH		= 6,
	/* 7 reserved */
	GH_RM_VM_STATE_INIT_FAILED	= 8,
	GH_RM_VM_STATE_EXITED		= 9,
	GH_RM_VM_STATE_RESETTING	= 10,
	GH_RM_VM_STATE_RESET		= 11,
};

/* guest OS status (VM_STATUS os_status) */
enum gh_rm_os_status {
	GH_RM_OS_STATUS_NONE		= 0,
	GH_RM_OS_STATUS_EARLY_BOOT	= 1,
	GH_RM_OS_STATUS_BOOT		= 2,
	GH_RM_OS_STATUS_INIT		= 3,
	GH_RM_OS_STATUS_RUN		= 4,
	GH_RM_OS_STATUS_SHUTDOWN	= 5,
	GH_RM_OS_STATUS_HALTED		= 6,
	GH_RM_OS_STATUS_CRASHED		= 7,
};

/* VM_EXITED exit_type */
enum gh_rm_exit_type {
	GH_RM_EXIT_TYPE_VM_EXIT			= 0,
	GH_RM_EXIT_TYPE_PLATFORM_OFF		= 1,
	GH_RM_EXIT_TYPE_PLATFORM_RESET		= 2,
	GH_RM_EXIT_TYPE_PSCI_SYSTEM_RESET2	= 3,
	GH_RM_EXIT_TYPE_WATCHDOG_BITE		= 4,
	GH_RM_EXIT_TYPE_SOFTWARE_ERROR		= 5,
	GH_RM_EXIT_TYPE_ASYNC_HW_ERROR		= 6,
	GH_RM_EXIT_TYPE_VM_STOP_FORCED		= 7,
};

/* exit_code in word 0 of a VM_EXIT exit reason: exit_flags (u16) | exit_code << 16 */
#define GH_RM_EXIT_CODE_NORMAL		0
#define GH_RM_EXIT_CODE_SOFTWARE_ERROR	1
#define GH_RM_EXIT_CODE_UNKNOWN_ERROR	2
#define GH_RM_EXIT_CODE_BUS_ERROR	3
#define GH_RM_EXIT_CODE_DEVICE_ERROR	4
#define GH_RM_EXIT_FLAG_RESTART		(1U << 0)

/* "NONE", "INIT", ..., "RESET"; "UNKNOWN" otherwise */
const char *gh_rm_vm_state_name(u32 state);
/* "VM_EXIT", ..., "VM_STOP_FORCED"; "UNKNOWN" otherwise */
const char *gh_rm_exit_type_name(u32 exit_type);

/* ---------------------------------------------------------------------------
 * VM management payloads
 */

/*
 * Common VMID request {le16 vmid; le16 reserved}, 4 bytes: VM_ALLOCATE (vmid
 * 0 = pick a dynamic one), VM_DEALLOCATE, VM_START, VM_RESET, VM_INIT,
 * VM_GET_HYP_RESOURCES (and VM_GET_STATE).
 */
#define GH_RM_VMID_REQ_SIZE		4
struct gh_rm_vmid_req {
	u16 vmid;
	u16 reserved;		/* the RM wants 0 here for VM_INIT */
};

int gh_rm_enc_vmid_req(void *buf, size_t cap, u16 vmid);
int gh_rm_dec_vmid_req(const void *payload, size_t len, struct gh_rm_vmid_req *ret_req);

/* No payload at all: standard replies, the VM_GET_VMID request. 0 or -EBADMSG. */
int gh_rm_dec_empty(size_t len);

/*
 * VM_ALLOCATE reply: 4 bytes le32 vmid when a dynamic VMID was requested
 * (vmid 0), empty when a specific one was. The decoder reads the low 16 bits;
 * an empty reply yields @req_vmid, and is -EBADMSG when req_vmid was 0.
 */
int gh_rm_enc_vm_alloc_reply(void *buf, size_t cap, u16 vmid);
int gh_rm_dec_vm_alloc_reply(const void *payload, size_t len, u16 req_vmid, u16 *ret_vmid);

/* VM_GET_VMID reply: 4 bytes le32, the caller's VMID in the low 16 bits */
int gh_rm_enc_get_vmid_reply(void *buf, size_t cap, u16 vmid);
int gh_rm_dec_get_vmid_reply(const void *payload, size_t len, u16 *ret_vmid);

/* VM_STOP {le16 vmid; u8 flags; u8 pad; le32 stop_reason}, 8 bytes */
#define GH_RM_VM_STOP_REQ_SIZE		8
#define GH_RM_VM_STOP_FLAG_FORCE	(1U << 0)
#define GH_RM_VM_STOP_REASON_FORCE_STOP	3
struct gh_rm_vm_stop_req {
	u16 vmid;
	u8 flags;		/* GH_RM_VM_STOP_FLAG_*; the encoder refuses other bits */
	u32 reason;
};

int gh_rm_enc_vm_stop_req(void *buf, size_t cap, const struct gh_rm_vm_stop_req *req);
int gh_rm_dec_vm_stop_req(const void *payload, size_t len, struct gh_rm_vm_stop_req *ret_req);

/* VM_CONFIG_IMAGE, 40 bytes */
#define GH_RM_VM_CONFIG_IMAGE_REQ_SIZE	40
#define GH_RM_VM_AUTH_NONE		0
#define GH_RM_VM_AUTH_QCOM_PIL_ELF	1	/* RM: PLATFORM */
#define GH_RM_VM_AUTH_QCOM_ANDROID_PVM	2	/* RM: ANDROID */
struct gh_rm_vm_config_image_req {
	u16 vmid;
	u16 auth_mech;		/* GH_RM_VM_AUTH_* */
	u32 mem_handle;		/* parcel holding image and DTB */
	u64 image_offset;	/* bytes, within the parcel */
	u64 image_size;
	u64 dtb_offset;
	u64 dtb_size;
};

int gh_rm_enc_vm_config_image_req(void *buf, size_t cap,
				  const struct gh_rm_vm_config_image_req *req);
int gh_rm_dec_vm_config_image_req(const void *payload, size_t len,
				  struct gh_rm_vm_config_image_req *ret_req);

/* VM_GET_HYP_RESOURCES reply: {le32 n; entry[n]}, 44-byte entries */
#define GH_RM_HYP_RESOURCE_SIZE		44
struct gh_rm_hyp_resource {
	u8 type;		/* resource type (vcpu, msgq, doorbell, ...) */
	u16 partner_vmid;
	u32 resource_handle;
	u32 resource_label;
	u64 cap_id;
	u32 virq_handle;
	u32 virq;		/* GIC INTID, 0 = none */
	u64 base;
	u64 size;
};

int gh_rm_enc_hyp_resources(void *buf, size_t cap, const struct gh_rm_hyp_resource *res, u32 n);
/* Validates len == 4 + 44 * n and returns n */
int gh_rm_dec_hyp_resources(const void *payload, size_t len, u32 *ret_n);
/* Entry @index of a reply that gh_rm_dec_hyp_resources() accepts; -EINVAL past n */
int gh_rm_dec_hyp_resource(const void *payload, size_t len, u32 index,
			   struct gh_rm_hyp_resource *ret_res);

/* ---------------------------------------------------------------------------
 * Memory parcels: MEM_LEND / MEM_SHARE (same layout), MEM_APPEND, MEM_RECLAIM
 *
 * MEM_LEND/SHARE: header {u8 mem_type; u8 pad; u8 flags; u8 pad; le32 label},
 * then three lists, each {le16 count; le16 reserved; entries} starting on a
 * 4-byte boundary: ACL {le16 vmid; u8 perms; u8 reserved}, memory
 * {le64 ipa_base; le64 size}, attributes {le16 attr; le16 vmid} (this project
 * always sends zero attributes). Reply: le32 mem_handle.
 */
#define GH_RM_MAX_LIST_ENTRIES		512	/* per list, RM MAX_LIST_ENTRIES */
#define GH_RM_MAX_MEM_ENTRIES		512	/* memory entries per message */
#define GH_RM_MAX_ACL_ENTRIES		255	/* Linux client limit */
#define GH_RM_MEM_SHARE_HDR_SIZE	8
#define GH_RM_LIST_HDR_SIZE		4
#define GH_RM_ACL_ENTRY_SIZE		4
#define GH_RM_MEM_ENTRY_SIZE		16
#define GH_RM_ATTR_ENTRY_SIZE		4
#define GH_RM_MEM_APPEND_HDR_SIZE	8
#define GH_RM_MEM_RECLAIM_REQ_SIZE	8
#define GH_RM_MEM_HANDLE_REPLY_SIZE	4

#define GH_RM_MEM_TYPE_NORMAL		0
#define GH_RM_MEM_TYPE_IO		1

#define GH_RM_MEM_SHARE_FLAG_SANITIZE	(1U << 0)
#define GH_RM_MEM_SHARE_FLAG_APPEND	(1U << 1)	/* MEM_APPEND messages follow */
#define GH_RM_MEM_APPEND_FLAG_END	(1U << 0)	/* last MEM_APPEND */
#define GH_RM_MEM_RECLAIM_FLAG_SANITIZE	(1U << 0)

#define GH_RM_ACL_X			(1U << 0)
#define GH_RM_ACL_W			(1U << 1)
#define GH_RM_ACL_R			(1U << 2)
#define GH_RM_ACL_RWX			(GH_RM_ACL_R | GH_RM_ACL_W | GH_RM_ACL_X)

#define GH_RM_MEM_ATTR_NORMAL		0
#define GH_RM_MEM_ATTR_DEVICE		1
#define GH_RM_MEM_ATTR_UNCACHED		2
#define GH_RM_MEM_ATTR_CACHED		3

struct gh_rm_acl_entry {
	u16 vmid;
	u8 perms;		/* GH_RM_ACL_* */
};

struct gh_rm_mem_entry {
	u64 ipa_base;		/* host physical address for LEND/SHARE from the HLOS */
	u64 size;		/* bytes */
};

struct gh_rm_attr_entry {
	u16 attr;		/* GH_RM_MEM_ATTR_* */
	u16 vmid;
};

/* A list inside a decoded payload: @n entries at @data */
struct gh_rm_list {
	u16 n;
	const u8 *data;
};

/* Entry @i of a decoded list; -EINVAL if i >= n */
int gh_rm_acl_get(const struct gh_rm_list *list, unsigned int i, struct gh_rm_acl_entry *ret);
int gh_rm_mem_get(const struct gh_rm_list *list, unsigned int i, struct gh_rm_mem_entry *ret);
int gh_rm_attr_get(const struct gh_rm_list *list, unsigned int i, struct gh_rm_attr_entry *ret);

/* Arguments of a lend/share. @mem/@n_mem is the whole scatter list (any length). */
struct gh_rm_mem_share_args {
	u8 mem_type;		/* GH_RM_MEM_TYPE_* */
	u8 flags;		/* GH_RM_MEM_SHARE_FLAG_*; APPEND is added when needed */
	u32 label;
	const struct gh_rm_acl_entry *acl;
	size_t n_acl;		/* at most 255 */
	const struct gh_rm_mem_entry *mem;
	size_t n_mem;		/* total entries; the first 512 go in MEM_LEND/SHARE */
};

/* Messages to transfer n_mem entries: 1 MEM_LEND/SHARE + (n - 1) MEM_APPEND. 1 for 0 entries. */
size_t gh_rm_mem_nchunks(size_t n_mem);
/* Payload size of a MEM_LEND/SHARE carrying n_acl and n_mem (<= 512) entries */
size_t gh_rm_mem_share_req_len(size_t n_acl, size_t n_mem);
/* Payload size of a MEM_APPEND carrying n_mem (<= 512) entries */
size_t gh_rm_mem_append_req_len(size_t n_mem);

/*
 * gh_rm_enc_mem_share_req() - first message of a lend/share: header, the ACL,
 * the first min(n_mem, 512) memory entries, an empty attribute list. When
 * n_mem > 512 the APPEND flag is set; follow up with gh_rm_enc_mem_append_req()
 * for chunks 1 .. gh_rm_mem_nchunks(n_mem) - 1 using the returned handle.
 * Empty ACL or memory lists are encoded as such (the RM refuses them with
 * ARGUMENT_INVALID; emulator tests need to send them).
 * Return: length; -EINVAL (mem_type > 1, unknown flags, perms above RWX,
 * n_acl > 255); -ENOSPC.
 */
int gh_rm_enc_mem_share_req(void *buf, size_t cap, const struct gh_rm_mem_share_args *args);

/*
 * gh_rm_enc_mem_append_req() - MEM_APPEND number @chunk (1-based) of the
 * scatter list mem[0..n_mem): entries [512 * chunk, min(512 * (chunk + 1), n_mem)),
 * END set on the last chunk. -EINVAL if chunk is 0 or >= gh_rm_mem_nchunks(n_mem).
 */
int gh_rm_enc_mem_append_req(void *buf, size_t cap, u32 mem_handle,
			     const struct gh_rm_mem_entry *mem, size_t n_mem, size_t chunk);

/*
 * gh_rm_mem_plan() - how a client sends n_mem entries with n_acl ACL entries:
 * the fewest messages (1 MEM_LEND/SHARE + gh_rm_mem_nchunks(n_mem) - 1
 * MEM_APPEND), and among those splits the fewest packets. @counts
 * (gh_rm_mem_nchunks(n_mem) elements) receives the entries of each message,
 * each 1..512 (0 for n_mem 0). Return: the total request packets.
 */
size_t gh_rm_mem_plan(size_t n_acl, size_t n_mem, u16 *counts);

/* MEM_APPEND with explicit @flags and a slice of at most 512 entries (-E2BIG) */
int gh_rm_enc_mem_append_slice(void *buf, size_t cap, u32 mem_handle, u8 flags,
			       const struct gh_rm_mem_entry *mem, size_t n_mem);

/* Decoded MEM_LEND/MEM_SHARE (and MEM_DONATE) request */
struct gh_rm_mem_share_req {
	u8 mem_type;
	u8 flags;
	u32 label;
	struct gh_rm_list acl;
	struct gh_rm_list mem;
	struct gh_rm_list attr;
};

/*
 * gh_rm_dec_mem_share_req() - parse with the RM's list rules: a list is
 * {le16 count; 2 bytes; entries} and the next starts at a 4-byte boundary; a
 * list that is entirely absent (payload ends before it) has zero entries; a
 * count above 512 is -E2BIG (checked before its entries must fit); entries
 * overrunning the payload, a truncated list header or trailing bytes after
 * the last list are -EBADMSG. Empty lists are returned as such (the RM
 * answers ARGUMENT_INVALID to empty ACL or memory lists, not the decoder).
 */
int gh_rm_dec_mem_share_req(const void *payload, size_t len, struct gh_rm_mem_share_req *ret_req);

/* Decoded MEM_APPEND: {le32 handle; u8 flags; u8 pad; le16 pad} + memory list */
struct gh_rm_mem_append_req {
	u32 mem_handle;
	u8 flags;
	struct gh_rm_list mem;
};

int gh_rm_dec_mem_append_req(const void *payload, size_t len,
			     struct gh_rm_mem_append_req *ret_req);

/* MEM_LEND/SHARE reply: le32 mem_handle, exactly 4 bytes */
int gh_rm_enc_mem_handle_reply(void *buf, size_t cap, u32 mem_handle);
int gh_rm_dec_mem_handle_reply(const void *payload, size_t len, u32 *ret_handle);

/* MEM_RECLAIM (and MEM_RELEASE): {le32 handle; u8 flags; u8 pad; le16 pad}, 8 bytes */
struct gh_rm_mem_reclaim_req {
	u32 mem_handle;
	u8 flags;		/* GH_RM_MEM_RECLAIM_FLAG_*; the encoder refuses other bits */
};

int gh_rm_enc_mem_reclaim_req(void *buf, size_t cap, const struct gh_rm_mem_reclaim_req *req);
int gh_rm_dec_mem_reclaim_req(const void *payload, size_t len,
			      struct gh_rm_mem_reclaim_req *ret_req);

/* ---------------------------------------------------------------------------
 * Notifications
 */

/* NOTIFY_VM_STATUS {le16 vmid; u16 reserved; u8 vm_status; u8 os_status; le16 app_status} */
#define GH_RM_VM_STATUS_SIZE		8
struct gh_rm_vm_status {
	u16 vmid;
	u8 vm_status;		/* enum gh_rm_vm_state */
	u8 os_status;		/* enum gh_rm_os_status */
	u16 app_status;
};

int gh_rm_enc_vm_status(void *buf, size_t cap, const struct gh_rm_vm_status *st);
int gh_rm_dec_vm_status(const void *payload, size_t len, struct gh_rm_vm_status *ret_st);

/*
 * NOTIFY_VM_EXITED {le16 vmid; le16 exit_type; le32 exit_reason_size; reason}:
 * the decoder requires len == 8 + exit_reason_size exactly.
 */
#define GH_RM_VM_EXITED_HDR_SIZE	8
struct gh_rm_vm_exited {
	u16 vmid;
	u16 exit_type;		/* enum gh_rm_exit_type */
	u32 exit_reason_size;	/* bytes at exit_reason */
	const u8 *exit_reason;	/* inside the decoded payload */
};

int gh_rm_enc_vm_exited(void *buf, size_t cap, u16 vmid, u16 exit_type, const void *reason,
			size_t reason_size);
int gh_rm_dec_vm_exited(const void *payload, size_t len, struct gh_rm_vm_exited *ret_ex);

/* NOTIFY_VM_SHUTDOWN {le32 stop_reason}, 4 bytes */
int gh_rm_enc_vm_shutdown(void *buf, size_t cap, u32 reason);
int gh_rm_dec_vm_shutdown(const void *payload, size_t len, u32 *ret_reason);

/* ---------------------------------------------------------------------------
 * Console (RM vm_console_simple.c)
 *
 * VM_CONSOLE_OPEN, VM_CONSOLE_CLOSE and VM_CONSOLE_FLUSH carry the common
 * VMID request {le16 target; le16 res0} (gh_rm_enc_console_req(), the same
 * bytes as gh_rm_enc_vmid_req()); every console reply is a standard reply
 * (err_code alone: gh_rm_dec_empty()). VM_CONSOLE_WRITE and the
 * NOTIFY_VM_CONSOLE_CHARS notification share one layout: {le16 vmid;
 * le16 num_bytes; num_bytes bytes}, the RM requiring len == 4 + num_bytes
 * exactly (MSG_INVALID otherwise).
 */
#define GH_RM_CONSOLE_REQ_SIZE		4
#define GH_RM_CONSOLE_HDR_SIZE		4	/* WRITE and CHARS before their bytes */
/* The most bytes one WRITE or CHARS can carry within the send limit */
#define GH_RM_CONSOLE_MAX_BYTES		(GH_RM_MSG_MAX_SEND - GH_RM_CONSOLE_HDR_SIZE)	/* 14380 */
/* The most bytes a WRITE or CHARS carries in a single 240-byte packet */
#define GH_RM_CONSOLE_PACKET_BYTES	(GH_RM_PAYLOAD_MAX - GH_RM_CONSOLE_HDR_SIZE)	/* 228 */

/* OPEN/CLOSE/FLUSH request for @vmid (0 = the caller's own console) */
int gh_rm_enc_console_req(void *buf, size_t cap, u16 vmid);
/* 0 or -EBADMSG (len != 4); *ret_vmid is the target */
int gh_rm_dec_console_req(const void *payload, size_t len, u16 *ret_vmid);

/* A decoded VM_CONSOLE_WRITE or NOTIFY_VM_CONSOLE_CHARS */
struct gh_rm_console_chars {
	u16 vmid;		/* WRITE: target (0 = self); CHARS: from (0 = the owner) */
	u16 num_bytes;
	const u8 *bytes;	/* inside the decoded payload */
};

/*
 * Encode a WRITE or CHARS with @n bytes: -EINVAL when n > 0 and !bytes,
 * -E2BIG above GH_RM_CONSOLE_MAX_BYTES, -ENOSPC. An empty one (n = 0) is
 * valid, as the RM accepts it.
 */
int gh_rm_enc_console_chars(void *buf, size_t cap, u16 vmid, const void *bytes, size_t n);
/* -EBADMSG unless len == 4 + num_bytes */
int gh_rm_dec_console_chars(const void *payload, size_t len, struct gh_rm_console_chars *ret);

#endif /* GUNYAH_RM_WIRE_H */
