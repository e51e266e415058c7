// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RM emulator: the server side of the Gunyah Resource Manager RPC protocol.
 *
 * One client (the HLOS, VMID 3) talks to it; every request is handled as
 * the RM handles it (shared reference gunyah-abi-and-rm-protocol.md §3,
 * rm-vm-config-dt.md), with the choices the reference leaves open written
 * down in docs/rm-emulator.md. Replies and notifications go out through the
 * send callback; the codec (rm/wire/wire.c) does every encoding, decoding,
 * fragmentation and reassembly.
 *
 * This file is the core: sending and notifications, timers, the VM table,
 * the request path (faults, dispatch, log), events and the entry points.
 * The requests themselves are handled in emu-vm.c (VM lifecycle) and
 * emu-mem.c (memparcels); emu-ctl.c is the control protocol.
 *
 * Ordering, as the RM does it: a state change that a request causes sends
 * its NOTIFY_VM_STATUS (and NOTIFY_VM_EXITED) before the reply
 * (vm_mgnt_update_vm_state() runs before rm_standard_reply()); the
 * "notify-order after-reply" setting flips that. VM_RESET's cleanup and a
 * simulated guest's power-off happen after the reply has been sent.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-internal.h"

/* ---------------------------------------------------------------------------
 * Tracing and sending
 */
void emu_trace(struct emu *emu, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!emu->ops.trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emu->ops.trace(emu->ops.opaque, line);
}

static void emu_trace_packet(struct emu *emu, const char *dir, const u8 *pkt, size_t len)
{
	char hex[3 * 24 + 1];
	size_t i, n = 0;

	if (!emu->ops.trace)
		return;
	if (len < GH_RM_HDR_SIZE) {
		emu_trace(emu, "%s packet len=%zu (shorter than a header)", dir, len);
		return;
	}
	for (i = GH_RM_HDR_SIZE; i < len && n + 3 < sizeof(hex); i++)
		n += (size_t)snprintf(hex + n, sizeof(hex) - n, " %02x", pkt[i]);
	hex[n] = '\0';
	emu_trace(emu, "%s %s %s seq=%u frags=%u api=0x%02x len=%zu%s%s", dir,
		  gh_rm_msg_type_name(pkt[1] & 3), gh_rm_msg_name(gh_rm_get_le32(pkt + 4)),
		  gh_rm_get_le16(pkt + 2), pkt[1] >> 2, pkt[0], len, n ? " |" : "", hex);
}

void emu_send_packet(struct emu *emu, const void *pkt, size_t len)
{
	emu_trace_packet(emu, "tx", pkt, len);
	emu->stats.tx_packets++;
	emu->ops.send(emu->ops.opaque, pkt, len);
}

static int emu_send_msg(struct emu *emu, u8 type, u16 seq, u32 msg_id, u32 err, const void *data,
			size_t len)
{
	u8 pkt[GH_RM_PACKET_MAX];
	int n, i, plen;

	n = type == GH_RM_TYPE_REPLY ? gh_rm_reply_npackets(len) : gh_rm_msg_npackets(len);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (type == GH_RM_TYPE_REPLY)
			plen = gh_rm_encode_reply_packet(pkt, seq, msg_id, err, data, len,
							 (unsigned int)i);
		else
			plen = gh_rm_encode_packet(pkt, type, seq, msg_id, data, len,
						   (unsigned int)i);
		if (plen < 0)
			return plen;
		emu_send_packet(emu, pkt, (size_t)plen);
	}
	if (type == GH_RM_TYPE_NOTIFICATION)
		emu->stats.notifications++;
	return 0;
}

static struct emu_outmsg *emu_outmsg_new(u8 type, u16 seq, u32 msg_id, u32 err, const void *data,
					 size_t len)
{
	struct emu_outmsg *m = malloc(sizeof(*m) + len);

	if (!m)
		return NULL;
	m->next = NULL;
	m->type = type;
	m->seq = seq;
	m->msg_id = msg_id;
	m->err = err;
	m->len = len;
	if (len)
		memcpy(m->data, data, len);
	return m;
}

/* Send and free a list of messages */
static void emu_outmsg_flush(struct emu *emu, struct emu_outmsg *m)
{
	struct emu_outmsg *next;

	for (; m; m = next) {
		next = m->next;
		(void)emu_send_msg(emu, m->type, m->seq, m->msg_id, m->err, m->data, m->len);
		free(m);
	}
}

static void emu_outmsg_free(struct emu_outmsg *m)
{
	struct emu_outmsg *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
}

/* A notification with the RM-global sequence number; held back while a request runs */
void emu_notify(struct emu *emu, u32 msg_id, const void *data, size_t len)
{
	u16 seq = emu->notif_seq++;
	struct emu_outmsg *m;

	if (!emu->in_request) {
		(void)emu_send_msg(emu, GH_RM_TYPE_NOTIFICATION, seq, msg_id, 0, data, len);
		return;
	}
	m = emu_outmsg_new(GH_RM_TYPE_NOTIFICATION, seq, msg_id, 0, data, len);
	if (!m) {
		emu_trace(emu, "out of memory: notification %s lost", gh_rm_msg_name(msg_id));
		return;
	}
	*emu->outbox_tail = m;
	emu->outbox_tail = &m->next;
}

static struct emu_outmsg *emu_outbox_take(struct emu *emu)
{
	struct emu_outmsg *m = emu->outbox;

	emu->outbox = NULL;
	emu->outbox_tail = &emu->outbox;
	return m;
}

void emu_send_vm_status(struct emu *emu, const struct emu_vm *vm)
{
	struct gh_rm_vm_status st = {
		.vmid = vm->vmid,
		.vm_status = vm->state,
		.os_status = vm->os_status,
		.app_status = vm->app_status,
	};
	u8 buf[GH_RM_VM_STATUS_SIZE];

	if (gh_rm_enc_vm_status(buf, sizeof(buf), &st) < 0)
		return;
	emu_notify(emu, GH_RM_NOTIF_VM_STATUS, buf, sizeof(buf));
}

void emu_set_state(struct emu *emu, struct emu_vm *vm, u8 state)
{
	emu_trace(emu, "vm 0x%x: %s -> %s", vm->vmid, gh_rm_vm_state_name(vm->state),
		  gh_rm_vm_state_name(state));
	vm->state = state;
	emu_send_vm_status(emu, vm);
}

/* ---------------------------------------------------------------------------
 * Timers
 */
static struct emu_event *emu_event_add(struct emu *emu, u64 deadline, enum emu_event_kind kind,
				       u16 vmid)
{
	struct emu_event *ev = calloc(1, sizeof(*ev)), **pp;

	if (!ev)
		return NULL;
	ev->deadline = deadline;
	ev->order = emu->event_order++;
	ev->kind = kind;
	ev->vmid = vmid;
	ev->post_reset = -1;
	ev->post_poweroff = -1;
	for (pp = &emu->events; *pp && (*pp)->deadline <= deadline; pp = &(*pp)->next)
		;
	ev->next = *pp;
	*pp = ev;
	return ev;
}

int emu_event_console(struct emu *emu, u16 vmid, u64 deadline)
{
	return emu_event_add(emu, deadline, EMU_EV_CONSOLE, vmid) ? 0 : -ENOMEM;
}

static void emu_event_free(struct emu_event *ev)
{
	emu_outmsg_free(ev->reply);
	emu_outmsg_free(ev->after);
	free(ev);
}

/*
 * VM_RESET's cleanup. With a release delay the RM, single-threaded, spends
 * that long in MEM_RELEASE after the reply and serves no request meanwhile
 * (they are held, emu_receive()); RESET comes at the end.
 */
static void emu_schedule_reset(struct emu *emu, u16 vmid)
{
	u64 mib = (emu_vm_parcel_bytes(emu, vmid) + (1ULL << 20) - 1) >> 20;
	u64 release = emu->release_delay_ms + emu->release_ms_per_mib * mib;
	struct emu_event *ev;

	ev = emu_event_add(emu, emu->now + emu->reset_delay_ms + release, EMU_EV_RESET_DONE, vmid);
	if (!ev) {
		emu_trace(emu, "out of memory: reset of 0x%x never completes", vmid);
		return;
	}
	if (release) {
		ev->busy = true;
		emu->releasing++;
		emu_trace(emu, "vm 0x%x: releasing its memory (%llu MiB) for %llu ms; requests wait",
			  vmid, (unsigned long long)mib, (unsigned long long)release);
	}
}

/* What follows a reply once it is out (or withheld): reset cleanup, guest power-off */
static void emu_post_reply(struct emu *emu, int reset_vmid, int poweroff_vmid)
{
	if (reset_vmid >= 0)
		emu_schedule_reset(emu, (u16)reset_vmid);
	if (poweroff_vmid >= 0 &&
	    !emu_event_add(emu, emu->now + emu->shutdown_delay_ms, EMU_EV_POWEROFF,
			   (u16)poweroff_vmid))
		emu_trace(emu, "out of memory: guest 0x%x never powers off", poweroff_vmid);
}

bool emu_next_deadline(const struct emu *emu, u64 *ret_ms)
{
	if (!emu->events)
		return false;
	*ret_ms = emu->events->deadline;
	return true;
}

u64 emu_now(const struct emu *emu)
{
	return emu->now;
}

/* ---------------------------------------------------------------------------
 * VMs
 */
struct emu_vm *emu_vm_lookup(const struct emu *emu, u32 vmid)
{
	if (vmid >= EMU_NR_VMIDS)
		return NULL;
	return emu->vms[vmid];
}

void emu_vm_free_resources(struct emu *emu, struct emu_vm *vm)
{
	u32 i;

	for (i = 0; i < vm->n_res; i++)
		if (vm->res[i].virq >= EMU_HLOS_VIRQ_FIRST && vm->res[i].virq <= EMU_HLOS_VIRQ_LAST)
			emu->virq_used[vm->res[i].virq] = 0;
	free(vm->res);
	vm->res = NULL;
	vm->n_res = 0;
}

void emu_vm_free(struct emu *emu, struct emu_vm *vm)
{
	if (!vm)
		return;
	emu_vm_free_resources(emu, vm);
	emu_console_destroy(vm);
	free(vm->cfg);
	free(vm);
}

bool emu_vm_running(const struct emu_vm *vm)
{
	return vm->state == GH_RM_VM_STATE_RUNNING || vm->state == GH_RM_VM_STATE_PAUSED;
}

/* The VM exits: EXITED, NOTIFY_VM_STATUS and NOTIFY_VM_EXITED to the owner */
int emu_vm_exit(struct emu *emu, struct emu_vm *vm, u16 exit_type, u32 exit_code)
{
	u8 buf[GH_RM_VM_EXITED_HDR_SIZE + 4], reason[4];
	int len;

	if (!emu_vm_running(vm))
		return -EINVAL;
	emu_console_guest_stop(emu, vm);
	emu_set_state(emu, vm, GH_RM_VM_STATE_EXITED);
	vm->exit_type = exit_type;
	vm->stop_requested = false;
	/* one word: exit_flags (u16) | exit_code << 16 */
	gh_rm_put_le32(reason, exit_code << 16);
	len = gh_rm_enc_vm_exited(buf, sizeof(buf), vm->vmid, exit_type, reason, sizeof(reason));
	if (len > 0)
		emu_notify(emu, GH_RM_NOTIF_VM_EXITED, buf, (size_t)len);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Requests: helpers of the handlers, and the dispatch
 */
void emu_req_extra(struct emu_req *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->extra_len + 2 >= sizeof(r->extra))
		return;
	r->extra[r->extra_len++] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(r->extra + r->extra_len, sizeof(r->extra) - r->extra_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->extra_len += (size_t)n;
	if (r->extra_len >= sizeof(r->extra))
		r->extra_len = sizeof(r->extra) - 1;
	r->extra[r->extra_len] = '\0';
}

/* A value without spaces, for key=value logs */
void emu_word(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = (src[i] == ' ' || src[i] == '\t' || src[i] == '\n') ? '-' : src[i];
	dst[i] = '\0';
	if (!i && len > 1)
		snprintf(dst, len, "-");
}

void emu_reply_u32(struct emu_req *r, u32 v)
{
	gh_rm_put_le32(r->data, v);
	r->data_len = 4;
}

/* Decode a common {vmid; reserved} request and find the VM */
struct emu_vm *emu_req_vm(struct emu *emu, struct emu_req *r, struct gh_rm_vmid_req *req)
{
	struct emu_vm *vm;

	if (gh_rm_dec_vmid_req(r->p, r->len, req) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return NULL;
	}
	r->vmid = req->vmid;
	vm = emu_vm_lookup(emu, req->vmid);
	if (!vm)
		r->err = GH_RM_ERROR_VMID_INVALID;
	return vm;
}

/* Handler tables, each ended by an entry without fn */
static const struct emu_handler *const emu_handler_tables[] = {
	emu_vm_handlers,
	emu_mem_handlers,
	emu_console_handlers,
};

static void emu_dispatch(struct emu *emu, struct emu_req *r)
{
	const struct emu_handler *h;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(emu_handler_tables); i++) {
		for (h = emu_handler_tables[i]; h->fn; h++) {
			if (h->msg_id == r->msg_id) {
				h->fn(emu, r);
				return;
			}
		}
	}
	/* resource-manager.c: an unhandled id gets RM_ERROR_UNIMPLEMENTED */
	r->err = GH_RM_ERROR_UNIMPLEMENTED;
	emu_req_extra(r, "msg_id=0x%08x", r->msg_id);
}

/* ---------------------------------------------------------------------------
 * Request log
 */
static void emu_log_add(struct emu *emu, const struct emu_req *r, bool concurrent)
{
	struct emu_log_entry *e, *grown;
	u32 idx, cap;

	/* grow until EMU_LOG_MAX (the ring has not wrapped yet, head is 0), then wrap */
	if (emu->log_len == emu->log_cap && emu->log_cap < EMU_LOG_MAX) {
		cap = emu->log_cap ? emu->log_cap * 2 : 64;
		if (cap > EMU_LOG_MAX)
			cap = EMU_LOG_MAX;
		grown = realloc(emu->log, cap * sizeof(*grown));
		if (grown) {
			emu->log = grown;
			emu->log_cap = cap;
		}
	}
	if (!emu->log_cap)
		return;
	if (emu->log_len == emu->log_cap) {
		emu->log_head = (emu->log_head + 1) % emu->log_cap;
		emu->log_len--;
	}
	idx = (emu->log_head + emu->log_len++) % emu->log_cap;
	e = &emu->log[idx];
	e->n = emu->log_next++;
	e->msg_id = r->msg_id;
	e->concurrent = concurrent;
	e->seq = r->seq;
	e->vmid = r->vmid;
	e->result = r->err;
	snprintf(e->extra, sizeof(e->extra), "%s", r->extra);
}

void emu_log_clear(struct emu *emu)
{
	emu->log_head = 0;
	emu->log_len = 0;
	emu->log_next = 1;
}

void emu_format_log_entry(const struct emu_log_entry *e, struct emu_str *out)
{
	emu_str_printf(out, "%u %s seq=%u vmid=0x%x result=%s%s%s%s\n", e->n,
		       e->concurrent ? "CONCURRENT" : gh_rm_msg_name(e->msg_id), e->seq, e->vmid,
		       gh_rm_error_name(e->result), e->concurrent ? " msg=" : "",
		       e->concurrent ? gh_rm_msg_name(e->msg_id) : "", e->extra);
}

static void emu_trace_rpc(struct emu *emu, const struct emu_log_entry *e)
{
	struct emu_str s = { 0 };

	if (!emu->ops.trace)
		return;
	emu_format_log_entry(e, &s);
	if (s.buf) {
		if (s.len && s.buf[s.len - 1] == '\n')
			s.buf[s.len - 1] = '\0';
		emu_trace(emu, "rpc %s", s.buf);
	}
	free(s.buf);
}

static void emu_trace_last(struct emu *emu)
{
	if (emu->log_len)
		emu_trace_rpc(emu, &emu->log[(emu->log_head + emu->log_len - 1) % emu->log_cap]);
}

/* ---------------------------------------------------------------------------
 * Faults and the request path
 */
static bool emu_fault_take(struct emu *emu, u32 msg_id, struct emu_fault *ret)
{
	struct emu_fault **pp, *f;

	for (pp = &emu->faults; (f = *pp); pp = &f->next) {
		if (!f->any && f->msg_id != msg_id)
			continue;
		*ret = *f;
		if (f->count > 0 && --f->count == 0) {
			*pp = f->next;
			free(f);
		}
		return true;
	}
	return false;
}

bool emu_fault_take_notification(struct emu *emu, u32 msg_id, struct emu_fault *ret)
{
	struct emu_fault **pp, *f;

	for (pp = &emu->faults; (f = *pp); pp = &f->next) {
		if (f->any || f->msg_id != msg_id || f->kind != EMU_FAULT_DROP)
			continue;
		*ret = *f;
		if (f->count > 0 && --f->count == 0) {
			*pp = f->next;
			free(f);
		}
		emu->stats.dropped++;
		return true;
	}
	return false;
}

/* An answer without running the request (BUSY, an injected error): logged, sent */
static void emu_refuse_now(struct emu *emu, struct emu_req *r, u32 err, bool concurrent)
{
	r->err = err;
	emu_log_add(emu, r, concurrent);
	emu_trace_last(emu);
	(void)emu_send_msg(emu, GH_RM_TYPE_REPLY, r->seq, r->msg_id, r->err, NULL, 0);
}

/*
 * Run the request's handler and log it. Returns the notifications it caused
 * that are still to be sent after the reply (notify-order after-reply).
 */
static struct emu_outmsg *emu_run_handler(struct emu *emu, struct emu_req *r,
					  const struct emu_fault *f)
{
	struct emu_outmsg *notifs;

	emu->in_request = true;
	emu_dispatch(emu, r);
	emu->in_request = false;
	notifs = emu_outbox_take(emu);
	if (r->err)
		r->data_len = 0;
	if (f && f->kind == EMU_FAULT_DROP)
		emu_req_extra(r, "fault=drop");
	if (f && f->kind == EMU_FAULT_DELAY)
		emu_req_extra(r, "fault=delay delay_ms=%u", f->delay_ms);
	emu_log_add(emu, r, false);
	emu_trace_last(emu);
	if (emu->notify_after_reply)
		return notifs;
	emu_outmsg_flush(emu, notifs);
	return NULL;
}

/* The reply, @notifs and what follows them go out in @delay_ms; -ENOMEM */
static int emu_delay_reply(struct emu *emu, const struct emu_req *r, struct emu_outmsg *notifs,
			   u32 delay_ms)
{
	struct emu_outmsg *reply;
	struct emu_event *ev;

	reply = emu_outmsg_new(GH_RM_TYPE_REPLY, r->seq, r->msg_id, r->err, r->data, r->data_len);
	ev = reply ? emu_event_add(emu, emu->now + delay_ms, EMU_EV_REPLY, r->vmid) : NULL;
	if (!ev) {
		free(reply);
		emu_trace(emu, "out of memory: reply sent without its delay");
		return -ENOMEM;
	}
	ev->reply = reply;
	ev->after = notifs;
	ev->post_reset = r->post_reset;
	ev->post_poweroff = r->post_poweroff;
	emu->pending_replies++;
	emu->stats.delayed++;
	return 0;
}

static void emu_send_reply(struct emu *emu, const struct emu_req *r, bool drop)
{
	if (r->rm_exit) {
		emu->stats.rm_exits++;
	} else if (drop) {
		emu->stats.dropped++;
		emu_trace(emu, "reply to %s seq=%u dropped (fault)", gh_rm_msg_name(r->msg_id),
			  r->seq);
	} else {
		(void)emu_send_msg(emu, GH_RM_TYPE_REPLY, r->seq, r->msg_id, r->err, r->data,
				   r->data_len);
	}
}

static void emu_handle_request(struct emu *emu, const struct gh_rm_msg *msg)
{
	struct emu_req r = {
		.seq = msg->seq,
		.msg_id = msg->msg_id,
		.fragments = msg->fragments,
		.p = msg->payload,
		.len = msg->len,
		.err = GH_RM_ERROR_OK,
		.data = emu->replybuf,
		.post_reset = -1,
		.post_poweroff = -1,
	};
	struct emu_outmsg *notifs;
	struct emu_fault f;
	bool faulted;

	emu->stats.requests++;
	emu->last_seq = msg->seq;
	emu->last_msg_id = msg->msg_id;
	/* the RM keeps one pending reply per client */
	if (emu->pending_replies) {
		emu->stats.concurrent++;
		emu_refuse_now(emu, &r, GH_RM_ERROR_BUSY, true);
		return;
	}
	faulted = emu_fault_take(emu, msg->msg_id, &f);
	if (faulted && f.kind == EMU_FAULT_ERROR) {
		emu->stats.faulted++;
		emu_req_extra(&r, "fault=error");
		emu_refuse_now(emu, &r, f.error, false);
		return;
	}
	notifs = emu_run_handler(emu, &r, faulted ? &f : NULL);
	if (faulted && f.kind == EMU_FAULT_DELAY &&
	    emu_delay_reply(emu, &r, notifs, f.delay_ms) == 0)
		return;
	emu_send_reply(emu, &r, faulted && f.kind == EMU_FAULT_DROP);
	emu_outmsg_flush(emu, notifs);
	emu_post_reply(emu, r.post_reset, r.post_poweroff);
}

/* ---------------------------------------------------------------------------
 * Events
 */
static void emu_reset_done(struct emu *emu, struct emu_vm *vm)
{
	struct emu_parcel *p;
	struct emu_acl *a;

	/* destroy vdevices, release memparcels and IRQs */
	for (p = emu->parcels; p; p = p->next) {
		a = emu_parcel_acl(p, vm->vmid);
		if (a)
			a->accepted = false;
	}
	emu_vm_free_resources(emu, vm);
	emu_console_destroy(vm);
	vm->os_status = GH_RM_OS_STATUS_NONE;
	vm->stop_requested = false;
	emu_set_state(emu, vm, GH_RM_VM_STATE_RESET);
}

/* The release is over: serve the requests that waited, in order, until one starts another */
static void emu_serve_held(struct emu *emu)
{
	struct emu_held *h;

	while (!emu->releasing && (h = emu->held)) {
		emu->held = h->next;
		if (!emu->held)
			emu->held_tail = &emu->held;
		emu->n_held--;
		emu_handle_request(emu, &h->msg);
		free(h);
	}
}

/* A request while the RM releases memory: it waits, as in the single-threaded RM */
static void emu_hold(struct emu *emu, const struct gh_rm_msg *msg)
{
	struct emu_held *h = malloc(sizeof(*h) + msg->len);

	if (!h) {
		emu_trace(emu, "out of memory: %s seq=%u lost", gh_rm_msg_name(msg->msg_id),
			  msg->seq);
		return;
	}
	h->next = NULL;
	h->msg = *msg;
	if (msg->len)
		memcpy(h->data, msg->payload, msg->len);
	h->msg.payload = h->data;
	*emu->held_tail = h;
	emu->held_tail = &h->next;
	emu->n_held++;
	emu->stats.held++;
	emu_trace(emu, "%s seq=%u waits: the RM is releasing memory", gh_rm_msg_name(msg->msg_id),
		  msg->seq);
}

static void emu_run_event(struct emu *emu, struct emu_event *ev)
{
	struct emu_vm *vm = emu_vm_lookup(emu, ev->vmid);

	switch (ev->kind) {
	case EMU_EV_REPLY:
		emu->pending_replies--;
		emu_outmsg_flush(emu, ev->reply);
		ev->reply = NULL;
		emu_outmsg_flush(emu, ev->after);
		ev->after = NULL;
		emu_post_reply(emu, ev->post_reset, ev->post_poweroff);
		break;
	case EMU_EV_RESET_DONE:
		if (vm && vm->state == GH_RM_VM_STATE_RESETTING)
			emu_reset_done(emu, vm);
		if (ev->busy && !--emu->releasing)
			emu_serve_held(emu);
		break;
	case EMU_EV_POWEROFF:
		if (vm && emu_vm_running(vm) && vm->stop_requested &&
		    emu->guest_shutdown == EMU_GUEST_POWEROFF) {
			emu_trace(emu, "vm 0x%x: the guest powers off", vm->vmid);
			(void)emu_vm_exit(emu, vm, GH_RM_EXIT_TYPE_PLATFORM_OFF,
					  GH_RM_EXIT_CODE_NORMAL);
		}
		break;
	case EMU_EV_CONSOLE:
		emu_console_run(emu, ev->vmid);
		break;
	}
}

static void emu_run_due(struct emu *emu)
{
	struct emu_event *ev;

	while ((ev = emu->events) && ev->deadline <= emu->now) {
		emu->events = ev->next;
		emu_run_event(emu, ev);
		emu_event_free(ev);
	}
}

void emu_tick(struct emu *emu, u64 now_ms)
{
	if (now_ms > emu->now)
		emu->now = now_ms;
	emu_run_due(emu);
}

/* ---------------------------------------------------------------------------
 * Entry points
 */
int emu_receive(struct emu *emu, const void *pkt, size_t len)
{
	u32 aborted = emu->reasm.stats.aborted;
	struct gh_rm_msg msg;
	int r;

	emu->stats.rx_packets++;
	emu_trace_packet(emu, "rx", pkt, len);
	r = gh_rm_reasm_feed(&emu->reasm, pkt, len, &msg);
	if (emu->reasm.stats.aborted != aborted)
		emu_trace(emu, "rx: partial %s seq=%u abandoned",
			  gh_rm_msg_name(emu->reasm.last_aborted.msg_id),
			  emu->reasm.last_aborted.seq);
	if (r < 0) {
		emu->stats.rx_dropped++;
		emu_trace(emu, "rx: packet dropped: %s", gh_rm_drop_name(emu->reasm.last_drop));
		return r;
	}
	if (r == 1 && emu->releasing)
		emu_hold(emu, &msg);
	else if (r == 1)
		emu_handle_request(emu, &msg);
	emu_run_due(emu);
	return 0;
}

int emu_new(const struct emu_ops *ops, struct emu **ret_emu)
{
	struct emu *emu;

	if (!ops || !ops->send)
		return -EINVAL;
	emu = calloc(1, sizeof(*emu));
	if (!emu)
		return -ENOMEM;
	emu->rxbuf = malloc(GH_RM_MSG_MAX_RECV);
	emu->replybuf = malloc(EMU_REPLY_MAX);
	if (!emu->rxbuf || !emu->replybuf) {
		free(emu->rxbuf);
		free(emu->replybuf);
		free(emu);
		return -ENOMEM;
	}
	emu->ops = *ops;
	gh_rm_reasm_init(&emu->reasm, emu->rxbuf, GH_RM_MSG_MAX_RECV, GH_RM_ACCEPT_SERVER);
	emu->outbox_tail = &emu->outbox;
	emu->held_tail = &emu->held;
	emu->next_capid = EMU_CAPID_FIRST;
	emu->max_cores = EMU_DEFAULT_MAX_CORES;
	emu->console_echo = true;
	emu->console_banner = true;
	emu->log_next = 1;
	*ret_emu = emu;
	return 0;
}

struct emu *emu_free(struct emu *emu)
{
	struct emu_parcel *p, *pn;
	struct emu_event *ev, *evn;
	struct emu_fault *f, *fn;
	u32 i;

	if (!emu)
		return NULL;
	for (i = 0; i < EMU_NR_VMIDS; i++)
		emu_vm_free(emu, emu->vms[i]);
	for (p = emu->parcels; p; p = pn) {
		pn = p->next;
		emu_parcel_free(p);
	}
	for (ev = emu->events; ev; ev = evn) {
		evn = ev->next;
		emu_event_free(ev);
	}
	for (f = emu->faults; f; f = fn) {
		fn = f->next;
		free(f);
	}
	while (emu->held) {
		struct emu_held *h = emu->held;

		emu->held = h->next;
		free(h);
	}
	emu_outmsg_free(emu->outbox);
	free(emu->ranges);
	free(emu->rxbuf);
	free(emu->replybuf);
	free(emu->log);
	free(emu);
	return NULL;
}

void emu_set_skip_dtb(struct emu *emu, bool skip)
{
	emu->skip_dtb = skip;
}

void emu_set_max_cores(struct emu *emu, unsigned int cores)
{
	if (cores >= 1 && cores <= EMU_DT_MAX_VCPUS)
		emu->max_cores = cores;
}

/* ---------------------------------------------------------------------------
 * Observation
 */
void emu_get_stats(const struct emu *emu, struct emu_stats *ret)
{
	*ret = emu->stats;
}

int emu_vm_get(const struct emu *emu, u16 vmid, struct emu_vm_info *ret)
{
	const struct emu_vm *vm = emu_vm_lookup(emu, vmid);

	if (!vm)
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	ret->vmid = vm->vmid;
	ret->state = vm->state;
	ret->os_status = vm->os_status;
	ret->configured = vm->configured;
	ret->image_handle = vm->image_handle;
	ret->dtb_offset = vm->dtb_offset;
	ret->dtb_size = vm->dtb_size;
	ret->initialised = vm->initialised;
	snprintf(ret->dtb, sizeof(ret->dtb), "%s", vm->dtb);
	ret->exit_type = vm->exit_type;
	if (vm->cfg) {
		snprintf(ret->image_name, sizeof(ret->image_name), "%s", vm->cfg->image_name);
		ret->vcpus = vm->cfg->n_vcpus;
		ret->proxy = vm->cfg->proxy;
		ret->mem_base = vm->cfg->mem_base;
		ret->no_shutdown = vm->cfg->no_shutdown;
		ret->no_reset = vm->cfg->no_reset;
	}
	return 0;
}

unsigned int emu_vm_count(const struct emu *emu)
{
	unsigned int i, n = 0;

	for (i = 0; i < EMU_NR_VMIDS; i++)
		n += !!emu->vms[i];
	return n;
}

void emu_set_tx_backlog(struct emu *emu, unsigned int packets)
{
	emu->tx_backlog = packets;
}

void emu_set_console_rate(struct emu *emu, unsigned int bytes_per_s)
{
	emu->console_rate = bytes_per_s;
}

void emu_set_console_echo(struct emu *emu, bool echo)
{
	emu->console_echo = echo;
}

void emu_set_console_banner(struct emu *emu, bool banner)
{
	emu->console_banner = banner;
}
