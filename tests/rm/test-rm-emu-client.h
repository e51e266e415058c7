/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A test RM client for the emulator: builds requests with the codec as the
 * kernel's rsc_mgr would, feeds them to the emulator (the library directly,
 * or gh-rm-emu through a SOCK_SEQPACKET socket), and reassembles what comes
 * back into replies and notifications, in arrival order.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include <gunyah/rm-wire.h>

#include "emu.h"

struct rmc_msg {
	u8 type;		/* GH_RM_TYPE_REPLY or _NOTIFICATION */
	u16 seq;
	u32 msg_id;
	u32 err;		/* replies */
	size_t len;		/* data bytes (after err_code for replies) */
	u8 data[];
};

struct rmc_map {
	u64 phys;
	u8 *host;
	size_t len;
};

struct rmc {
	struct emu *emu;	/* library mode */
	int fd;			/* socket mode: the "module" end of a SEQPACKET socket */
	GQueue msgs;		/* struct rmc_msg *, arrival order */
	GPtrArray *raw;		/* GByteArray *: every packet received from the RM */
	struct gh_rm_reasm reasm;
	u8 *rxbuf;
	u16 seq;
	u64 now;		/* fake clock, ms */
	struct rmc_map map[128];	/* fake host physical memory */
	unsigned int n_map;
	unsigned int rx_drops;	/* packets the client reassembler dropped */
};

/* Library mode: a fresh emulator whose read_phys looks into rmc->map. */
struct rmc *rmc_new(void);
/* Socket mode: talk to a gh-rm-emu through fd. */
struct rmc *rmc_new_fd(int fd);
void rmc_free(struct rmc *c);

void rmc_map(struct rmc *c, u64 phys, void *host, size_t len);

/* Send a request (all its packets); returns its seq. */
u16 rmc_send(struct rmc *c, u32 msg_id, const void *payload, size_t len);
/* Send a raw packet as is. */
void rmc_send_raw(struct rmc *c, const void *pkt, size_t len);

/* Socket mode: receive for up to timeout_ms (stops early once a message completes). */
void rmc_pump(struct rmc *c, int timeout_ms);

/* First reply with @seq, removed from the queue, or NULL (socket mode waits up to 5 s). */
struct rmc_msg *rmc_take_reply(struct rmc *c, u16 seq);
/* First notification, removed, or NULL. */
struct rmc_msg *rmc_take_notif(struct rmc *c);
/* Number of queued messages */
guint rmc_pending(struct rmc *c);

/* Send and take the reply (asserts there is one); returns its err, *ret_reply gets it if asked */
u32 rmc_call(struct rmc *c, u32 msg_id, const void *payload, size_t len,
	     struct rmc_msg **ret_reply);
/* A common {vmid, 0} request */
u32 rmc_vmid_call(struct rmc *c, u32 msg_id, u16 vmid);

/* Library mode: advance the fake clock. */
void rmc_tick(struct rmc *c, u64 ms);

/* Library mode: run a control command; returns the full reply text (caller frees). */
char *rmc_ctl(struct rmc *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Run a command that must succeed; returns the lines before "OK" (caller frees). */
char *rmc_ctl_ok(struct rmc *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* VM_ALLOCATE(0), asserting success; returns the VMID. */
u16 rmc_alloc_vm(struct rmc *c);
/*
 * Lend or share (msg_id) a scatter list with MEM_APPEND as the kernel does
 * past 512 entries. Returns the RM error of the first failing message;
 * *ret_handle on success.
 */
u32 rmc_mem(struct rmc *c, u32 msg_id, u32 label, const struct gh_rm_acl_entry *acl, size_t n_acl,
	    const struct gh_rm_mem_entry *mem, size_t n_mem, u32 *ret_handle);
u32 rmc_config_image(struct rmc *c, u16 vmid, u32 handle, u64 dtb_offset, u64 dtb_size);
u32 rmc_stop(struct rmc *c, u16 vmid, bool force);
u32 rmc_reclaim(struct rmc *c, u32 handle);

/* Takes the next notification and asserts it is VM_STATUS(vmid, state). */
void rmc_expect_status(struct rmc *c, u16 vmid, u8 state);
/* Drops every queued notification. */
void rmc_drain(struct rmc *c);
