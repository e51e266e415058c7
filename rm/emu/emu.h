/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RM emulator library: the server side of the Gunyah Resource Manager RPC
 * protocol, in userspace, for tests (gh-rm-emu serves gunyah.ko's loopback
 * transport with it; unit tests feed it packets directly).
 *
 * The emulator is a passive object. Packets come in through emu_receive()
 * and go out through the send callback, one packet (8..240 bytes) per call.
 * Time only moves when the caller says so: emu_tick(now) runs whatever is
 * due (delayed replies, asynchronous VM reset completion, a simulated guest
 * powering off), and emu_next_deadline() says when to call it next, so that
 * a program can poll with a timeout and a unit test can drive a fake clock.
 *
 * Guest memory is only ever read (the devicetree, at VM_INIT) through the
 * read_phys callback, by host physical address as the MEM_LEND/MEM_SHARE
 * scatter lists carry them.
 *
 * Behaviour, RM error choices and the control protocol: docs/rm-emulator.md.
 * Not thread safe: one thread drives an emulator.
 */
#ifndef GUNYAH_RM_EMU_H
#define GUNYAH_RM_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gunyah/rm-wire.h>

struct emu;

struct emu_ops {
	/* Required: emit one packet (8..240 bytes; the malformed command may emit others). */
	void (*send)(void *opaque, const void *pkt, size_t len);
	/*
	 * Optional: copy @len bytes of guest memory at host physical address
	 * @phys into @buf. Returns 0 or a negative errno. Without it (or when
	 * it fails) VM_INIT cannot map the devicetree and answers MEM_INVALID,
	 * unless emu_set_skip_dtb() was called.
	 */
	int (*read_phys)(void *opaque, u64 phys, void *buf, size_t len);
	/* Optional: one human-readable line (no newline) per packet and RPC. */
	void (*trace)(void *opaque, const char *line);
	void *opaque;
};

#define EMU_DEFAULT_MAX_CORES	8	/* physical cores the simulated platform offers */
#define EMU_LOG_MAX		4096	/* request log entries kept (oldest dropped first) */

/* Returns 0, -EINVAL (no send callback) or -ENOMEM. */
int emu_new(const struct emu_ops *ops, struct emu **ret_emu);
/* Frees everything, pending timers included. Accepts NULL; returns NULL. */
struct emu *emu_free(struct emu *emu);

/*
 * Feed one received packet. Requests are answered (or faulted) at once,
 * with the emulator's current time (the last emu_tick()).
 * Returns 0 when the packet was used, or the reassembler's negative errno
 * when it was dropped (counted in the stats and traced; never fatal).
 */
int emu_receive(struct emu *emu, const void *pkt, size_t len);

/*
 * Advance the clock to @now_ms (milliseconds, any monotonic origin; it never
 * goes backwards: a smaller value is ignored) and run everything due.
 */
void emu_tick(struct emu *emu, u64 now_ms);
/* Earliest pending deadline in ms: true and *ret_ms filled, or false when idle. */
bool emu_next_deadline(const struct emu *emu, u64 *ret_ms);
/* The emulator's current time (the last emu_tick()). */
u64 emu_now(const struct emu *emu);

/*
 * Run one control-protocol command line (docs/rm-emulator.md), e.g. "vms"
 * or "fault VM_START error NORESOURCE count 1". *ret_reply receives a
 * malloc'd, NUL-terminated text: zero or more lines and a final status line
 * "OK\n" or "ERR <message>\n" (*ret_len bytes, without the NUL).
 * Returns 0 when the command succeeded, 1 when it answered ERR, -ENOMEM.
 */
int emu_ctl(struct emu *emu, const char *line, char **ret_reply, size_t *ret_len);

/* Settings also reachable through emu_ctl(); programs use these for options. */
void emu_set_skip_dtb(struct emu *emu, bool skip);	/* VM_INIT without reading the DT */
void emu_set_max_cores(struct emu *emu, unsigned int cores);	/* 1..64 */
/*
 * The program's own transmit queue (packets not yet taken by the device):
 * above 256 the simulated guests' console output waits, as a guest writing
 * to a full queue would. Programs without a queue never call it.
 */
void emu_set_tx_backlog(struct emu *emu, unsigned int packets);
/* Settings of the simulated guests' consoles (also "console ..." commands) */
void emu_set_console_rate(struct emu *emu, unsigned int bytes_per_s);	/* 0 = unlimited */
void emu_set_console_echo(struct emu *emu, bool echo);
void emu_set_console_banner(struct emu *emu, bool banner);

/*
 * The simulated guest of @vmid writes @n bytes to its console (queued, they
 * leave from the next tick on), or @n flood bytes (emu_console_flood_byte()
 * pattern). -ENOENT: no such VM or no console; -EAGAIN: the guest does not
 * run; -ENOSPC: more than 16 MiB already waiting; -ENOMEM.
 */
int emu_console_print(struct emu *emu, u16 vmid, const void *bytes, size_t n);
int emu_console_flood(struct emu *emu, u16 vmid, u64 n);

/* ---------------------------------------------------------------------------
 * Observation, for tests (the ctl commands print the same facts)
 */
struct emu_stats {
	u32 requests;		/* complete requests received, concurrent ones included */
	u32 concurrent;		/* requests answered BUSY while a reply was pending */
	u32 dropped;		/* replies withheld by a drop fault */
	u32 delayed;		/* replies sent late by a delay fault */
	u32 faulted;		/* requests answered with an injected error */
	u32 malformed;		/* malformed packets sent by the malformed command */
	u32 notifications;	/* notifications sent */
	u32 rx_packets;		/* packets received */
	u32 rx_dropped;		/* received packets the reassembler dropped */
	u32 tx_packets;		/* packets sent (notifications, replies, malformed) */
	u32 held;		/* requests that waited for a slow release (set release-delay) */
	u32 rm_exits;		/* requests at which the real RM exits (graceful VM_STOP without rm-rpc) */
};

void emu_get_stats(const struct emu *emu, struct emu_stats *ret);

struct emu_vm_info {
	u16 vmid;
	u8 state;		/* enum gh_rm_vm_state */
	u8 os_status;
	bool configured;	/* VM_CONFIG_IMAGE accepted */
	u32 image_handle;
	u64 dtb_offset;
	u64 dtb_size;
	bool initialised;	/* VM_INIT accepted (a parsed configuration exists) */
	char image_name[80];	/* "" until VM_INIT parsed one */
	char dtb[96];		/* "ok", "skipped" or the reason VM_INIT/VM_START refused */
	u32 vcpus;
	bool proxy;		/* vcpus affinity = "proxy" */
	u64 mem_base;		/* RAM IPA base the RM would use (after 2 MiB round-up) */
	u16 exit_type;		/* last VM_EXITED exit_type sent */
	bool no_shutdown, no_reset;
};

/* 0, or -ENOENT when @vmid is not allocated. */
int emu_vm_get(const struct emu *emu, u16 vmid, struct emu_vm_info *ret);
/* Number of allocated VMs. */
unsigned int emu_vm_count(const struct emu *emu);

#define EMU_TRANS_DONATE	0	/* RM transaction types (MEM_SHARED trans_type) */
#define EMU_TRANS_LEND		1
#define EMU_TRANS_SHARE		2

struct emu_parcel_info {
	u32 handle;
	u32 label;
	u8 trans;		/* EMU_TRANS_* */
	u8 mem_type;
	u16 owner;
	bool complete;		/* false while MEM_APPENDs are expected */
	bool accepted;		/* some borrower holds it (VM started, not yet reset) */
	u32 n_acl;
	struct gh_rm_acl_entry acl[4];	/* the first min(n_acl, 4) entries */
	size_t n_mem;		/* scatter-list entries */
	u64 size;		/* bytes */
	u32 messages;		/* requests that built it: MEM_LEND/SHARE + MEM_APPENDs */
	u32 packets;		/* request packets of those messages */
};

/* 0, or -ENOENT for an unknown handle. */
int emu_parcel_get(const struct emu *emu, u32 handle, struct emu_parcel_info *ret);
/* Number of live parcels. */
unsigned int emu_parcel_count(const struct emu *emu);

#endif /* GUNYAH_RM_EMU_H */
