/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RM emulator internals shared by its files: emu.c (the core), emu-vm.c and
 * emu-mem.c (the request handlers), emu-ctl.c (the control protocol),
 * emu-dt.c (the devicetree rules). Not an API: programs and tests use emu.h.
 */
#ifndef GUNYAH_RM_EMU_INTERNAL_H
#define GUNYAH_RM_EMU_INTERNAL_H

#include "emu.h"
#include "emu-dt.h"

/* Kernel spellings, for code that reads like the rest of rm/ */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif

#define EMU_NR_VMIDS		256	/* VMIDs this emulator hands out are below 0xC0 */
#define EMU_MAX_PARCEL_ENTRIES	(1U << 20)	/* scatter entries per parcel */
#define EMU_HLOS_VIRQ_FIRST	96	/* HLOS vIRQs handed out for resources */
#define EMU_HLOS_VIRQ_LAST	1019
#define EMU_CAPID_FIRST		0x100ULL
#define EMU_MAX_STORM		100000
#define EMU_REPLY_MAX		GH_RM_MSG_MAX_SEND

struct emu_acl {
	u16 vmid;
	u8 perms;
	bool accepted;		/* the borrower VM holds the parcel (started, not reset) */
};

struct emu_parcel {
	struct emu_parcel *next;	/* in handle order */
	u32 handle;
	u32 label;
	u8 trans;		/* EMU_TRANS_* */
	u8 mem_type;
	u8 flags;		/* creation flags (SANITIZE, APPEND) */
	bool complete;		/* false until MEM_APPEND with END when APPEND was set */
	u16 owner;
	u32 n_acl;
	struct emu_acl *acl;
	u32 n_attr;
	struct gh_rm_attr_entry *attr;
	size_t n_mem, cap_mem;
	struct gh_rm_mem_entry *mem;
	u64 size;		/* bytes, sum of the entries */
	u32 messages;		/* MEM_LEND/SHARE/DONATE + accepted MEM_APPENDs */
	u32 packets;		/* request packets of those messages */
};

/* Physical ranges of live parcels, sorted by base: overlap detection in O(log n) */
struct emu_range {
	u64 base, end;		/* [base, end) */
	u32 handle;
};

struct emu_vm {
	u16 vmid;
	u16 owner;
	u8 state;		/* enum gh_rm_vm_state */
	u8 os_status;
	u16 app_status;

	/* VM_CONFIG_IMAGE */
	bool configured;
	u16 auth;
	u32 image_handle;
	u64 image_offset, image_size, dtb_offset, dtb_size;

	/* VM_INIT */
	bool initialised;
	bool dtb_skipped;
	struct emu_dt_config *cfg;	/* NULL before VM_INIT succeeded */
	char dtb[96];			/* "ok", "skipped" or the reason of the last refusal */

	/* VM_GET_HYP_RESOURCES */
	u32 n_res;
	struct gh_rm_hyp_resource *res;

	u16 exit_type;
	bool stop_requested;	/* a graceful VM_STOP is being honoured */

	struct emu_console *console;	/* from VM_INIT (console-dev) to the reset; emu-console.c */
};

enum emu_event_kind {
	EMU_EV_REPLY,		/* a delayed reply (and what was to follow it) */
	EMU_EV_RESET_DONE,	/* VM_RESET's asynchronous cleanup finishes */
	EMU_EV_POWEROFF,	/* the simulated guest powers off after VM_SHUTDOWN */
	EMU_EV_CONSOLE,		/* the simulated guest writes pending console output */
};

/* A packetised message waiting to be sent (notifications held behind a reply) */
struct emu_outmsg {
	struct emu_outmsg *next;
	u8 type;
	u16 seq;
	u32 msg_id;
	u32 err;		/* replies */
	size_t len;
	u8 data[];
};

struct emu_event {
	struct emu_event *next;
	u64 deadline;		/* ms */
	u64 order;		/* insertion order: ties fire first-in first-out */
	enum emu_event_kind kind;
	u16 vmid;
	/* EMU_EV_REPLY */
	struct emu_outmsg *reply;
	struct emu_outmsg *after;	/* notifications to send right after the reply */
	int post_reset;			/* vmid whose reset cleanup starts at send, or -1 */
	int post_poweroff;		/* vmid whose guest powers off after send, or -1 */
	/* EMU_EV_RESET_DONE */
	bool busy;			/* the RM serves no request until it fires */
};

/* A request that came while the RM was busy releasing a VM's memory */
struct emu_held {
	struct emu_held *next;
	struct gh_rm_msg msg;		/* msg.payload points at data */
	u8 data[];
};

enum emu_fault_kind {
	EMU_FAULT_ERROR,
	EMU_FAULT_DROP,
	EMU_FAULT_DELAY,
};

struct emu_fault {
	struct emu_fault *next;
	bool any;		/* "*" */
	u32 msg_id;
	enum emu_fault_kind kind;
	u32 error;		/* EMU_FAULT_ERROR */
	u32 delay_ms;		/* EMU_FAULT_DELAY */
	long count;		/* remaining uses; -1 = unlimited */
};

struct emu_log_entry {
	u32 n;
	u32 msg_id;
	bool concurrent;
	u16 seq;
	u16 vmid;
	u32 result;
	char extra[160];
};

enum emu_guest_shutdown {
	EMU_GUEST_POWEROFF,
	EMU_GUEST_IGNORE,
};

struct emu {
	struct emu_ops ops;
	u64 now;

	/* receive */
	struct gh_rm_reasm reasm;
	u8 *rxbuf;
	u8 *replybuf;		/* EMU_REPLY_MAX bytes of reply data */

	/* VMs and parcels */
	struct emu_vm *vms[EMU_NR_VMIDS];
	struct emu_parcel *parcels;
	u32 next_handle;
	struct emu_range *ranges;
	size_t n_ranges, cap_ranges;
	u64 next_capid;
	u8 virq_used[EMU_HLOS_VIRQ_LAST + 1];

	/* outgoing */
	u16 notif_seq;		/* RM-global notification sequence number */
	bool in_request;	/* notifications are collected in outbox */
	struct emu_outmsg *outbox, **outbox_tail;
	u16 last_seq;		/* of the last request, for malformed truncated-reply */
	u32 last_msg_id;

	/* time */
	struct emu_event *events;
	u64 event_order;
	unsigned int pending_replies;	/* delayed replies not yet sent */
	unsigned int releasing;		/* busy RESET_DONE events: requests are held */
	struct emu_held *held, **held_tail;	/* in arrival order */
	u32 n_held;

	/* behaviour */
	struct emu_fault *faults;
	enum emu_guest_shutdown guest_shutdown;
	bool reclaim_refuse;
	bool notify_after_reply;
	bool skip_dtb;
	u32 max_cores;
	u32 reset_delay_ms;
	u32 shutdown_delay_ms;
	u32 release_delay_ms;		/* the RM's release of a VM's parcels at reset: */
	u32 release_ms_per_mib;		/* fixed + per MiB; the RM is busy meanwhile */
	u32 console_rate;		/* guest console output, bytes/s; 0 = unlimited */
	bool console_echo;		/* the guest echoes console input (default) */
	bool console_banner;		/* the guest prints a boot banner (default) */
	u32 tx_backlog;			/* packets the program has not sent yet */

	/* observation */
	struct emu_log_entry *log;	/* ring of log_cap entries, grown up to EMU_LOG_MAX */
	u32 log_cap, log_head, log_len, log_next;
	struct emu_stats stats;
};

/* Text buffer for control replies */
struct emu_str {
	char *buf;
	size_t len, cap;
	bool oom;
};

void __printf(2, 3) emu_str_printf(struct emu_str *s, const char *fmt, ...);

/* One request being handled: what came in, and the reply being built */
struct emu_req {
	u16 seq;
	u32 msg_id;
	u8 fragments;		/* continuation packets of the request */
	const u8 *p;
	size_t len;
	u32 err;
	u8 *data;		/* reply data (after err_code) */
	size_t data_len;
	u16 vmid;		/* for the log */
	char extra[160];
	size_t extra_len;
	int post_reset;		/* vmid, or -1 */
	int post_poweroff;	/* vmid, or -1 */
	bool rm_exit;		/* the real RM exits here: no reply */
};

/* A request handler: sets r->err, or fills the reply data */
struct emu_handler {
	u32 msg_id;
	void (*fn)(struct emu *emu, struct emu_req *r);
};

/* Handler tables, each ended by { 0, NULL }; emu.c dispatches through them */
extern const struct emu_handler emu_vm_handlers[];	/* emu-vm.c */
extern const struct emu_handler emu_mem_handlers[];	/* emu-mem.c */
extern const struct emu_handler emu_console_handlers[];	/* emu-console.c */

/* emu.c: sending, tracing, the VM table, the request helpers, the log */
void emu_send_packet(struct emu *emu, const void *pkt, size_t len);
void emu_send_vm_status(struct emu *emu, const struct emu_vm *vm);
void emu_notify(struct emu *emu, u32 msg_id, const void *data, size_t len);
int emu_event_console(struct emu *emu, u16 vmid, u64 deadline);
/* A standing drop fault naming exactly this notification (never "*"): true, one use taken */
bool emu_fault_take_notification(struct emu *emu, u32 msg_id, struct emu_fault *ret);
void emu_set_state(struct emu *emu, struct emu_vm *vm, u8 state);
void __printf(2, 3) emu_trace(struct emu *emu, const char *fmt, ...);
struct emu_vm *emu_vm_lookup(const struct emu *emu, u32 vmid);
void emu_vm_free_resources(struct emu *emu, struct emu_vm *vm);
void emu_vm_free(struct emu *emu, struct emu_vm *vm);
bool emu_vm_running(const struct emu_vm *vm);
int emu_vm_exit(struct emu *emu, struct emu_vm *vm, u16 exit_type, u32 exit_code);
void __printf(2, 3) emu_req_extra(struct emu_req *r, const char *fmt, ...);
void emu_word(char *dst, size_t len, const char *src);
void emu_reply_u32(struct emu_req *r, u32 v);
struct emu_vm *emu_req_vm(struct emu *emu, struct emu_req *r, struct gh_rm_vmid_req *req);
void emu_log_clear(struct emu *emu);
void emu_format_log_entry(const struct emu_log_entry *e, struct emu_str *out);

/* emu-console.c: the console service and the scripted guest */
struct emu_console;
void emu_console_create(struct emu *emu, struct emu_vm *vm);
void emu_console_destroy(struct emu_vm *vm);
void emu_console_guest_start(struct emu *emu, struct emu_vm *vm);
void emu_console_guest_stop(struct emu *emu, struct emu_vm *vm);
void emu_console_run(struct emu *emu, u16 vmid);
void emu_console_format(const struct emu *emu, struct emu_str *out);
u8 emu_console_flood_byte(u64 i);

/* emu-mem.c: parcels */
struct emu_parcel *emu_parcel_lookup(const struct emu *emu, u32 handle);
struct emu_acl *emu_parcel_acl(const struct emu_parcel *p, u16 vmid);
bool emu_parcel_targets(const struct emu_parcel *p, u16 vmid);
bool emu_parcel_accepted(const struct emu_parcel *p);
void emu_parcel_free(struct emu_parcel *p);
int emu_parcel_read(struct emu *emu, const struct emu_parcel *p, u64 off, void *buf, size_t len);
u64 emu_vm_parcel_bytes(const struct emu *emu, u16 vmid);
void emu_format_acl(const struct emu_parcel *p, char *buf, size_t len);

#endif /* GUNYAH_RM_EMU_INTERNAL_H */
