// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RM emulator: the server side of the Gunyah Resource Manager RPC protocol.
 *
 * One client (the HLOS, VMID 3) talks to it; every request is handled as
 * the RM handles it (shared reference gunyah-abi-and-rm-protocol.md §3,
 * rm-vm-config-dt.md), with the choices the reference leaves open written
 * down in docs/rm-emulator.md. Replies and notifications go out through the
 * send callback; the codec (rm/wire.c) does every encoding, decoding,
 * fragmentation and reassembly.
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

#include <libfdt.h>

#include "emu-internal.h"

#define EMU_PAGE		0x1000ULL
#define EMU_DTB_MAX		(2U << 20)	/* bytes: arm64 boot protocol DTB limit */

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
static void emu_notify(struct emu *emu, u32 msg_id, const void *data, size_t len)
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

static void emu_set_state(struct emu *emu, struct emu_vm *vm, u8 state)
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

static void emu_event_free(struct emu_event *ev)
{
	emu_outmsg_free(ev->reply);
	emu_outmsg_free(ev->after);
	free(ev);
}

static bool emu_parcel_targets(const struct emu_parcel *p, u16 vmid);

/* Bytes of the parcels lent or shared to @vmid: what its reset releases */
static u64 emu_vm_parcel_bytes(const struct emu *emu, u16 vmid)
{
	const struct emu_parcel *p;
	u64 bytes = 0;

	for (p = emu->parcels; p; p = p->next)
		if (emu_parcel_targets(p, vmid))
			bytes += p->size;
	return bytes;
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

static u32 emu_virq_alloc(struct emu *emu)
{
	u32 i;

	for (i = EMU_HLOS_VIRQ_FIRST; i <= EMU_HLOS_VIRQ_LAST; i++) {
		if (!emu->virq_used[i]) {
			emu->virq_used[i] = 1;
			return i;
		}
	}
	return 0;	/* none left: "no IRQ" */
}

static void emu_vm_free_resources(struct emu *emu, struct emu_vm *vm)
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
	free(vm->cfg);
	free(vm);
}

static void emu_vm_reset_init(struct emu *emu, struct emu_vm *vm)
{
	emu_vm_free_resources(emu, vm);
	free(vm->cfg);
	vm->cfg = NULL;
	vm->initialised = false;
	vm->dtb_skipped = false;
}

static bool emu_vm_running(const struct emu_vm *vm)
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
 * Parcels
 */
static struct emu_parcel *emu_parcel_lookup(const struct emu *emu, u32 handle)
{
	struct emu_parcel *p;

	for (p = emu->parcels; p; p = p->next)
		if (p->handle == handle)
			return p;
	return NULL;
}

static struct emu_acl *emu_parcel_acl(const struct emu_parcel *p, u16 vmid)
{
	u32 i;

	for (i = 0; i < p->n_acl; i++)
		if (p->acl[i].vmid == vmid)
			return &p->acl[i];
	return NULL;
}

/* Lent or shared to @vmid (as a borrower, not the owner) */
static bool emu_parcel_targets(const struct emu_parcel *p, u16 vmid)
{
	return vmid != p->owner && emu_parcel_acl(p, vmid);
}

static bool emu_parcel_accepted(const struct emu_parcel *p)
{
	u32 i;

	for (i = 0; i < p->n_acl; i++)
		if (p->acl[i].accepted)
			return true;
	return false;
}

/* First borrower, for logs */
static u16 emu_parcel_target(const struct emu_parcel *p)
{
	u32 i;

	for (i = 0; i < p->n_acl; i++)
		if (p->acl[i].vmid != p->owner)
			return p->acl[i].vmid;
	return 0;
}

static void emu_parcel_free(struct emu_parcel *p)
{
	if (!p)
		return;
	free(p->acl);
	free(p->attr);
	free(p->mem);
	free(p);
}

static int emu_range_cmp(const void *a, const void *b)
{
	const struct emu_range *x = a, *y = b;

	return x->base < y->base ? -1 : x->base > y->base;
}

/* Index of the first range whose base is >= @base */
static size_t emu_range_lower(const struct emu *emu, u64 base)
{
	size_t lo = 0, hi = emu->n_ranges, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (emu->ranges[mid].base < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Record the physical ranges of @n entries for @handle. Returns 0, -EBUSY
 * when one overlaps a live parcel or another entry (the hypervisor refuses
 * the memextent: MEM_INUSE), -ENOMEM. Sorting first keeps a scatter list
 * of n entries at O(n log n + total) rather than a quadratic insert.
 */
static int emu_ranges_add(struct emu *emu, u32 handle, const struct gh_rm_list *list)
{
	struct emu_range *tmp, *merged;
	struct gh_rm_mem_entry e;
	size_t i, j, k, idx, n = list->n;

	if (!n)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		(void)gh_rm_mem_get(list, (unsigned int)i, &e);
		tmp[i].base = e.ipa_base;
		tmp[i].end = e.ipa_base + e.size;
		tmp[i].handle = handle;
	}
	qsort(tmp, n, sizeof(*tmp), emu_range_cmp);
	for (i = 0; i < n; i++) {
		if (i && tmp[i].base < tmp[i - 1].end)
			goto busy;
		idx = emu_range_lower(emu, tmp[i].end);
		if (idx && emu->ranges[idx - 1].end > tmp[i].base)
			goto busy;
	}

	merged = malloc((emu->n_ranges + n) * sizeof(*merged));
	if (!merged) {
		free(tmp);
		return -ENOMEM;
	}
	for (i = j = k = 0; i < emu->n_ranges || j < n;) {
		if (j == n || (i < emu->n_ranges && emu->ranges[i].base < tmp[j].base))
			merged[k++] = emu->ranges[i++];
		else
			merged[k++] = tmp[j++];
	}
	free(emu->ranges);
	free(tmp);
	emu->ranges = merged;
	emu->n_ranges = k;
	emu->cap_ranges = k;
	return 0;

busy:
	free(tmp);
	return -EBUSY;
}

static void emu_ranges_remove(struct emu *emu, u32 handle)
{
	size_t i, k;

	for (i = k = 0; i < emu->n_ranges; i++)
		if (emu->ranges[i].handle != handle)
			emu->ranges[k++] = emu->ranges[i];
	emu->n_ranges = k;
}

static void emu_parcel_delete(struct emu *emu, struct emu_parcel *p)
{
	struct emu_parcel **pp;

	for (pp = &emu->parcels; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	emu_ranges_remove(emu, p->handle);
	emu_parcel_free(p);
}

/* Copy guest memory at byte @off of the parcel, through the scatter list */
static int emu_parcel_read(struct emu *emu, const struct emu_parcel *p, u64 off, void *buf,
			   size_t len)
{
	u8 *out = buf;
	size_t i, chunk;
	int r;

	if (!emu->ops.read_phys)
		return -EOPNOTSUPP;
	for (i = 0; i < p->n_mem && len; i++) {
		if (off >= p->mem[i].size) {
			off -= p->mem[i].size;
			continue;
		}
		chunk = p->mem[i].size - off < len ? (size_t)(p->mem[i].size - off) : len;
		r = emu->ops.read_phys(emu->ops.opaque, p->mem[i].ipa_base + off, out, chunk);
		if (r < 0)
			return r;
		out += chunk;
		len -= chunk;
		off = 0;
	}
	return len ? -EFAULT : 0;
}

void emu_format_acl(const struct emu_parcel *p, char *buf, size_t len)
{
	size_t n = 0;
	u32 i;

	buf[0] = '\0';
	for (i = 0; i < p->n_acl && n < len; i++) {
		u8 perms = p->acl[i].perms;

		n += (size_t)snprintf(buf + n, len - n, "%s0x%x:%s%s%s%s", i ? "," : "",
				      p->acl[i].vmid, perms & GH_RM_ACL_R ? "r" : "",
				      perms & GH_RM_ACL_W ? "w" : "",
				      perms & GH_RM_ACL_X ? "x" : "",
				      perms & GH_RM_ACL_RWX ? "" : "-");
	}
}

/* ---------------------------------------------------------------------------
 * Requests
 */
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

static void __printf(2, 3) emu_req_extra(struct emu_req *r, const char *fmt, ...)
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
static void emu_word(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = (src[i] == ' ' || src[i] == '\t' || src[i] == '\n') ? '-' : src[i];
	dst[i] = '\0';
	if (!i && len > 1)
		snprintf(dst, len, "-");
}

static void emu_reply_u32(struct emu_req *r, u32 v)
{
	gh_rm_put_le32(r->data, v);
	r->data_len = 4;
}

/* Decode a common {vmid; reserved} request and find the VM */
static struct emu_vm *emu_req_vm(struct emu *emu, struct emu_req *r, struct gh_rm_vmid_req *req)
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

static void emu_h_vm_allocate(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vmid_req req;
	struct emu_vm *vm;
	u32 vmid = 0, i;

	if (gh_rm_dec_vmid_req(r->p, r->len, &req) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	if (req.vmid == 0) {
		for (i = GH_RM_VMID_DYNAMIC_FIRST; i <= GH_RM_VMID_DYNAMIC_LAST; i++) {
			if (!emu->vms[i]) {
				vmid = i;
				break;
			}
		}
	} else if (req.vmid < 64 && req.vmid != GH_RM_VMID_HLOS && !emu->vms[req.vmid]) {
		vmid = req.vmid;
	}
	r->vmid = (u16)vmid;
	if (!vmid) {
		r->vmid = req.vmid;
		r->err = GH_RM_ERROR_NORESOURCE;
		return;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		r->err = GH_RM_ERROR_NOMEM;
		return;
	}
	vm->vmid = (u16)vmid;
	vm->owner = GH_RM_VMID_HLOS;
	vm->state = GH_RM_VM_STATE_LOAD;
	vm->image_handle = GH_RM_MEM_HANDLE_INVALID;
	snprintf(vm->dtb, sizeof(vm->dtb), "-");
	emu->vms[vmid] = vm;
	emu_trace(emu, "vm 0x%x: allocated, LOAD", vmid);
	/* a dynamic VMID is returned; a specific one gets a standard reply */
	if (req.vmid == 0)
		emu_reply_u32(r, vmid);
}

static void emu_h_vm_deallocate(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vmid_req req;
	struct emu_vm *vm = emu_req_vm(emu, r, &req);

	/* the RM asserts on an unknown VMID; the emulator answers VMID_INVALID */
	if (!vm)
		return;
	if (vm->state != GH_RM_VM_STATE_LOAD && vm->state != GH_RM_VM_STATE_RESET) {
		r->err = GH_RM_ERROR_VM_STATE;
		return;
	}
	emu->vms[vm->vmid] = NULL;
	emu_trace(emu, "vm 0x%x: deallocated", vm->vmid);
	emu_vm_free(emu, vm);
}

static void emu_h_vm_config_image(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vm_config_image_req req;
	struct emu_parcel *p;
	struct emu_vm *vm;

	if (gh_rm_dec_vm_config_image_req(r->p, r->len, &req) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	r->vmid = req.vmid;
	emu_req_extra(r,
		      "handle=%u image_offset=%llu image_size=%llu dtb_offset=%llu dtb_size=%llu auth=%u",
		      req.mem_handle, (unsigned long long)req.image_offset,
		      (unsigned long long)req.image_size, (unsigned long long)req.dtb_offset,
		      (unsigned long long)req.dtb_size, req.auth_mech);
	vm = emu_vm_lookup(emu, req.vmid);
	if (!vm) {
		r->err = GH_RM_ERROR_VMID_INVALID;
		return;
	}
	if (vm->state != GH_RM_VM_STATE_LOAD && vm->state != GH_RM_VM_STATE_RESET) {
		r->err = GH_RM_ERROR_VM_STATE;
		return;
	}
	emu_vm_reset_init(emu, vm);
	vm->configured = false;
	p = emu_parcel_lookup(emu, req.mem_handle);
	if (!p || !p->complete || !emu_parcel_targets(p, vm->vmid)) {
		r->err = GH_RM_ERROR_MEM_INVALID;
		snprintf(vm->dtb, sizeof(vm->dtb), "image parcel not lent or shared to the VM");
		emu_set_state(emu, vm, GH_RM_VM_STATE_INIT_FAILED);
		return;
	}
	if (req.image_offset > p->size || req.image_size > p->size - req.image_offset ||
	    req.dtb_offset > p->size || req.dtb_size > p->size - req.dtb_offset) {
		r->err = GH_RM_ERROR_ARGUMENT_INVALID;
		snprintf(vm->dtb, sizeof(vm->dtb), "image or DTB range outside the parcel");
		emu_set_state(emu, vm, GH_RM_VM_STATE_INIT_FAILED);
		return;
	}
	if (req.auth_mech > GH_RM_VM_AUTH_QCOM_ANDROID_PVM) {
		r->err = GH_RM_ERROR_ARGUMENT_INVALID;
		snprintf(vm->dtb, sizeof(vm->dtb), "unknown auth_mech %u", req.auth_mech);
		emu_set_state(emu, vm, GH_RM_VM_STATE_INIT_FAILED);
		return;
	}
	vm->configured = true;
	vm->auth = req.auth_mech;
	vm->image_handle = req.mem_handle;
	vm->image_offset = req.image_offset;
	vm->image_size = req.image_size;
	vm->dtb_offset = req.dtb_offset;
	vm->dtb_size = req.dtb_size;
	snprintf(vm->dtb, sizeof(vm->dtb), "-");
	/* NONE and ANDROID go to INIT; PLATFORM (PIL ELF) waits in AUTH */
	emu_set_state(emu, vm, req.auth_mech == GH_RM_VM_AUTH_QCOM_PIL_ELF ?
			       GH_RM_VM_STATE_AUTH : GH_RM_VM_STATE_INIT);
}

static void emu_h_vm_auth_image(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vmid_req req;
	struct emu_vm *vm = emu_req_vm(emu, r, &req);

	if (!vm)
		return;
	if (vm->state != GH_RM_VM_STATE_AUTH) {
		r->err = GH_RM_ERROR_VM_STATE;
		return;
	}
	emu_set_state(emu, vm, GH_RM_VM_STATE_INIT);
}

/*
 * The owner's side of the VM's resources: one VCPU per vCPU, and for
 * peer-default doorbells and message queues the HLOS end.
 */
static int emu_vm_build_resources(struct emu *emu, struct emu_vm *vm)
{
	const struct emu_dt_config *cfg = vm->cfg;
	struct gh_rm_hyp_resource *res;
	u32 n = cfg->n_vcpus, i, k = 0;

	for (i = 0; i < cfg->n_vdevs; i++)
		n += cfg->vdevs[i].type == EMU_DT_VDEV_MSGQ_PAIR ? 2 : 1;
	res = calloc(n ? n : 1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	vm->res = res;
	for (i = 0; i < cfg->n_vcpus; i++, k++) {
		res[k].type = 4;	/* VIRTUAL_CPU */
		res[k].partner_vmid = vm->vmid;
		res[k].resource_handle = (u32)emu->next_capid;
		res[k].resource_label = i;
		res[k].cap_id = emu->next_capid++;
		res[k].virq = emu_virq_alloc(emu);
		res[k].virq_handle = res[k].virq ? (u32)emu->next_capid++ : 0;
	}
	for (i = 0; i < cfg->n_vdevs; i++) {
		const struct emu_dt_vdev *vd = &cfg->vdevs[i];
		u8 types[2];
		u32 nt = 0, t;

		switch (vd->type) {
		case EMU_DT_VDEV_DOORBELL:	/* the guest receives: HLOS rings it */
			types[nt++] = 0;
			break;
		case EMU_DT_VDEV_DOORBELL_SOURCE:	/* the guest rings: HLOS receives */
			types[nt++] = 1;
			break;
		case EMU_DT_VDEV_MSGQ:
			types[nt++] = vd->is_sender ? 3 : 2;
			break;
		case EMU_DT_VDEV_MSGQ_PAIR:
			types[nt++] = 2;
			types[nt++] = 3;
			break;
		default:
			break;
		}
		for (t = 0; t < nt; t++, k++) {
			res[k].type = types[t];
			res[k].partner_vmid = vm->vmid;
			res[k].resource_handle = (u32)emu->next_capid;
			res[k].resource_label = vd->label;
			res[k].cap_id = emu->next_capid++;
			/* the sending end (BELL_TX, MSGQ_TX) has no IRQ at the receiver side */
			if (types[t] == 1 || types[t] == 3) {
				res[k].virq = emu_virq_alloc(emu);
				res[k].virq_handle = res[k].virq ? (u32)emu->next_capid++ : 0;
			}
		}
	}
	vm->n_res = k;
	return 0;
}

static int __printf(3, 4) emu_dt_refuse(struct emu_dt_error *err, u32 rm_error, const char *fmt,
					 ...)
{
	va_list ap;

	err->rm_error = rm_error;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Map the DTB from the image parcel as CRE map_dtb does, then parse it */
static int emu_vm_read_dtb(struct emu *emu, const struct emu_vm *vm, const struct emu_parcel *p,
			   struct emu_dt_config *cfg, struct emu_dt_error *err)
{
	struct emu_dt_platform plat = { .max_cores = emu->max_cores };
	const u32 mem_invalid = GH_RM_ERROR_MEM_INVALID;
	struct fdt_header hdr;
	void *blob;
	u32 total;
	int ret;

	if (!p)
		return emu_dt_refuse(err, mem_invalid, "image parcel gone");
	if (vm->dtb_size < sizeof(hdr))
		return emu_dt_refuse(err, mem_invalid, "dtb_size smaller than a DTB header");
	ret = emu_parcel_read(emu, p, vm->dtb_offset, &hdr, sizeof(hdr));
	if (ret < 0)
		return emu_dt_refuse(err, mem_invalid, "DTB unreadable (%s)", strerror(-ret));
	if (fdt_magic(&hdr) != FDT_MAGIC)
		return emu_dt_refuse(err, mem_invalid, "no valid DTB header");
	total = fdt_totalsize(&hdr);
	if (total > vm->dtb_size)
		return emu_dt_refuse(err, mem_invalid, "fdt_totalsize %u > dtb_size", total);
	if (total > EMU_DTB_MAX || total < sizeof(hdr))
		return emu_dt_refuse(err, mem_invalid, "fdt_totalsize %u unusable", total);
	blob = malloc(total);
	if (!blob)
		return emu_dt_refuse(err, GH_RM_ERROR_NOMEM, "out of memory");
	ret = emu_parcel_read(emu, p, vm->dtb_offset, blob, total);
	if (ret < 0) {
		free(blob);
		return emu_dt_refuse(err, mem_invalid, "DTB unreadable (%s)", strerror(-ret));
	}
	plat.ram_size = p->size;
	ret = emu_dt_parse(blob, total, &plat, cfg, err);
	free(blob);
	return ret;
}

static void emu_h_vm_init(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vmid_req req;
	struct emu_dt_error err = { 0 };
	struct emu_dt_config *cfg;
	struct emu_vm *vm = emu_req_vm(emu, r, &req);
	char word[96];

	if (!vm)
		return;
	if (vm->state != GH_RM_VM_STATE_INIT) {
		r->err = GH_RM_ERROR_VM_STATE;
		return;
	}
	if (req.reserved) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		r->err = GH_RM_ERROR_NOMEM;
		return;
	}

	if (emu->skip_dtb) {
		/* no DT to read: one vCPU, memory at the default base */
		snprintf(cfg->image_name, sizeof(cfg->image_name), "-");
		cfg->n_vcpus = 1;
		cfg->vcpus_node = true;
		cfg->mem_base = EMU_DT_DEFAULT_BASE;
		cfg->gic_found = true;
		cfg->has_chosen = true;
		vm->dtb_skipped = true;
	} else if (emu_vm_read_dtb(emu, vm, emu_parcel_lookup(emu, vm->image_handle), cfg,
				   &err) == 0) {
		err.rm_error = GH_RM_ERROR_OK;
	}

	if (err.rm_error == GH_RM_ERROR_OK) {
		vm->cfg = cfg;
		if (emu_vm_build_resources(emu, vm) < 0) {
			vm->cfg = NULL;
			err.rm_error = GH_RM_ERROR_NOMEM;
			snprintf(err.reason, sizeof(err.reason), "out of memory");
		}
	}
	if (err.rm_error != GH_RM_ERROR_OK) {
		free(cfg);
		r->err = err.rm_error;
		snprintf(vm->dtb, sizeof(vm->dtb), "%s", err.reason);
		emu_word(word, sizeof(word), err.reason);
		emu_req_extra(r, "dtb=%s", word);
		emu_trace(emu, "vm 0x%x: VM_INIT refused, %s: %s", vm->vmid,
			  gh_rm_error_name(err.rm_error), err.reason);
		emu_set_state(emu, vm, GH_RM_VM_STATE_INIT_FAILED);
		return;
	}
	vm->initialised = true;
	snprintf(vm->dtb, sizeof(vm->dtb), "%s", vm->dtb_skipped ? "skipped" : "ok");
	emu_word(word, sizeof(word), cfg->image_name);
	emu_req_extra(r, "dtb=%s image-name=%s vcpus=%u", vm->dtb, word, cfg->n_vcpus);
	if (cfg->mem_base_rounded)
		emu_trace(emu, "vm 0x%x: base-address not 2 MiB aligned, aligning up to 0x%llx",
			  vm->vmid, (unsigned long long)cfg->mem_base);
	emu_set_state(emu, vm, GH_RM_VM_STATE_READY);
}

static void emu_h_vm_get_hyp_resources(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vmid_req req;
	struct emu_vm *vm = emu_req_vm(emu, r, &req);
	int len;

	if (!vm)
		return;
	if (!vm->cfg || (vm->state != GH_RM_VM_STATE_READY && !emu_vm_running(vm) &&
			 vm->state != GH_RM_VM_STATE_EXITED)) {
		r->err = GH_RM_ERROR_VM_STATE;
		return;
	}
	len = gh_rm_enc_hyp_resources(r->data, EMU_REPLY_MAX - GH_RM_REPLY_HDR_SIZE, vm->res,
				      vm->n_res);
	if (len < 0) {
		r->err = GH_RM_ERROR_NOMEM;
		return;
	}
	r->data_len = (size_t)len;
	emu_req_extra(r, "entries=%u", vm->n_res);
}

/* VM_START's parcel and overlay checks (CRE process_memparcels, create_dtbo) */
static int emu_start_checks(struct emu *emu, struct emu_vm *vm, char *why, size_t whylen)
{
	const struct emu_dt_config *cfg = vm->cfg;
	struct emu_parcel *img = emu_parcel_lookup(emu, vm->image_handle), *p, *found;
	struct emu_dt_error err;
	u64 fixed_base[EMU_DT_MAX_VDEVS], fixed_size[EMU_DT_MAX_VDEVS], ram_end;
	u32 i, j, nfound, n_fixed = 0;

	if (!img || !img->complete || !emu_parcel_targets(img, vm->vmid)) {
		snprintf(why, whylen, "image parcel gone");
		return -EINVAL;
	}
	/* the accept: exactly {this VM: RWX}, no attributes, LEND, normal memory */
	if (img->trans != EMU_TRANS_LEND || img->n_acl != 1 || img->acl[0].vmid != vm->vmid ||
	    img->acl[0].perms != GH_RM_ACL_RWX || img->n_attr || img->mem_type) {
		snprintf(why, whylen, "image parcel not lent exclusively RWX");
		return -EINVAL;
	}
	if (vm->dtb_skipped)
		return 0;

	ram_end = cfg->mem_base + img->size;
	for (i = 0; i < cfg->n_vdevs; i++) {
		const struct emu_dt_vdev *vd = &cfg->vdevs[i];
		bool shm = vd->type == EMU_DT_VDEV_SHM || vd->type == EMU_DT_VDEV_SHM_DOORBELL;

		if (!shm && vd->type != EMU_DT_VDEV_VIRTIO_MMIO)
			continue;
		for (j = 0; j < i; j++) {
			if (cfg->vdevs[j].has_memory && cfg->vdevs[j].label == vd->label &&
			    cfg->vdevs[j].type != EMU_DT_VDEV_IOMEM) {
				snprintf(why, whylen, "%s: label %u used twice", vd->path,
					 vd->label);
				return -EINVAL;
			}
		}
		if (vd->label == 0) {
			snprintf(why, whylen, "%s: shm label 0 (a private parcel)", vd->path);
			return -EINVAL;
		}
		found = NULL;
		nfound = 0;
		for (p = emu->parcels; p; p = p->next) {
			if (p != img && p->complete && p->label == vd->label &&
			    emu_parcel_targets(p, vm->vmid)) {
				found = p;
				nfound++;
			}
		}
		if (nfound > 1) {
			snprintf(why, whylen, "%s: %u parcels with label %u", vd->path, nfound,
				 vd->label);
			return -EINVAL;
		}
		if (!found) {
			if (shm && vd->optional)
				continue;
			snprintf(why, whylen, "%s: no parcel with label %u", vd->path, vd->label);
			return -EINVAL;
		}
		if (!vd->fixed_base)
			continue;
		if (vd->base < ram_end && cfg->mem_base < vd->base + found->size) {
			snprintf(why, whylen, "%s: base inside the RAM window", vd->path);
			return -EINVAL;
		}
		for (j = 0; j < n_fixed; j++) {
			if (vd->base < fixed_base[j] + fixed_size[j] &&
			    fixed_base[j] < vd->base + found->size) {
				snprintf(why, whylen, "%s: overlaps another shm", vd->path);
				return -EINVAL;
			}
		}
		fixed_base[n_fixed] = vd->base;
		fixed_size[n_fixed++] = found->size;
	}

	if (emu_dt_check_start(cfg, vm->dtb_size, &err) < 0) {
		snprintf(why, whylen, "%s", err.reason);
		return -EINVAL;
	}

	/* existing /reserved-memory children must match a parcel (patch_resmem_nodes) */
	for (i = 0; i < cfg->n_resmem; i++) {
		const struct emu_dt_resmem *rm = &cfg->resmem[i];
		bool ok = false;

		if (rm->has_label) {
			for (p = emu->parcels; p && !ok; p = p->next)
				ok = p->complete && p->label == rm->label &&
				     emu_parcel_targets(p, vm->vmid);
		} else if (!rm->has_reg) {
			ok = true;	/* size without reg: skipped */
		} else if (!rm->multi_reg) {
			ok = rm->addr == cfg->mem_base && rm->size == img->size;
			for (j = 0; j < n_fixed && !ok; j++)
				ok = rm->addr == fixed_base[j] && rm->size == fixed_size[j];
		}
		if (!ok) {
			snprintf(why, whylen, "reserved-memory/%s matches no parcel", rm->name);
			return -EINVAL;
		}
	}
	return 0;
}

static void emu_h_vm_start(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vmid_req req;
	struct emu_vm *vm = emu_req_vm(emu, r, &req);
	struct emu_parcel *p;
	struct emu_acl *a;
	char why[96], word[96];

	if (!vm)
		return;
	if (vm->state != GH_RM_VM_STATE_READY) {
		r->err = GH_RM_ERROR_VM_STATE;
		return;
	}
	if (emu_start_checks(emu, vm, why, sizeof(why)) < 0) {
		r->err = GH_RM_ERROR_NORESOURCE;
		snprintf(vm->dtb, sizeof(vm->dtb), "%s", why);
		emu_word(word, sizeof(word), why);
		emu_req_extra(r, "dtb=%s", word);
		emu_trace(emu, "vm 0x%x: VM_START refused: %s", vm->vmid, why);
		emu_set_state(emu, vm, GH_RM_VM_STATE_INIT_FAILED);
		return;
	}
	/* every complete parcel lent or shared to the VM is accepted now */
	for (p = emu->parcels; p; p = p->next) {
		a = emu_parcel_acl(p, vm->vmid);
		if (a && p->complete && vm->vmid != p->owner)
			a->accepted = true;
	}
	vm->os_status = GH_RM_OS_STATUS_NONE;
	emu_set_state(emu, vm, GH_RM_VM_STATE_RUNNING);
}

static void emu_h_vm_stop(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vm_stop_req req;
	struct emu_vm *vm;

	if (gh_rm_dec_vm_stop_req(r->p, r->len, &req) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	r->vmid = req.vmid;
	emu_req_extra(r, "flags=0x%x reason=%u", req.flags, req.reason);
	vm = emu_vm_lookup(emu, req.vmid);
	if (!vm) {
		r->err = GH_RM_ERROR_VMID_INVALID;
		return;
	}
	if (!emu_vm_running(vm) || (vm->cfg && vm->cfg->no_shutdown)) {
		r->err = GH_RM_ERROR_VM_STATE;
		return;
	}
	if (req.flags & GH_RM_VM_STOP_FLAG_FORCE) {
		(void)emu_vm_exit(emu, vm, GH_RM_EXIT_TYPE_VM_STOP_FORCED, GH_RM_EXIT_CODE_NORMAL);
		return;
	}
	/*
	 * The RM's NOTIFY_VM_SHUTDOWN needs the guest's RM-RPC link; without one
	 * rm_notify() fails and the open-source RM exits (never replies). The
	 * emulator withholds the reply, counts it and serves on.
	 */
	if (vm->cfg && !vm->dtb_skipped && !emu_dt_has_vdev(vm->cfg, EMU_DT_VDEV_RM_RPC)) {
		emu_trace(emu, "vm 0x%x: graceful VM_STOP without an rm-rpc vdevice: the real RM exits here",
			  vm->vmid);
		emu_req_extra(r, "rm-exit=no-rm-rpc");
		r->rm_exit = true;
		return;
	}
	/* NOTIFY_VM_SHUTDOWN goes to the VM itself: here, the simulated guest */
	emu_trace(emu, "vm 0x%x: NOTIFY_VM_SHUTDOWN reason=%u to the guest, which will %s",
		  vm->vmid, req.reason,
		  emu->guest_shutdown == EMU_GUEST_POWEROFF ? "power off" : "ignore it");
	vm->stop_requested = true;
	if (emu->guest_shutdown == EMU_GUEST_POWEROFF)
		r->post_poweroff = vm->vmid;
}

static void emu_h_vm_reset(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vmid_req req;
	struct emu_vm *vm = emu_req_vm(emu, r, &req);

	if (!vm)
		return;
	if (vm->cfg && vm->cfg->no_reset) {
		r->err = GH_RM_ERROR_DENIED;
		return;
	}
	if (vm->state != GH_RM_VM_STATE_EXITED && vm->state != GH_RM_VM_STATE_READY &&
	    vm->state != GH_RM_VM_STATE_INIT_FAILED) {
		r->err = GH_RM_ERROR_VM_STATE;
		return;
	}
	emu_set_state(emu, vm, GH_RM_VM_STATE_RESETTING);
	r->post_reset = vm->vmid;
}

static void emu_h_vm_get_vmid(struct emu *emu, struct emu_req *r)
{
	(void)emu;
	if (gh_rm_dec_empty(r->len) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	r->vmid = GH_RM_VMID_HLOS;
	r->data_len = (size_t)gh_rm_enc_get_vmid_reply(r->data, 4, GH_RM_VMID_HLOS);
}

static void emu_h_vm_get_state(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_vmid_req req;
	struct emu_vm *vm;

	if (gh_rm_dec_vmid_req(r->p, r->len, &req) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	r->vmid = req.vmid ? req.vmid : GH_RM_VMID_HLOS;
	if (r->vmid == GH_RM_VMID_HLOS) {
		emu_reply_u32(r, GH_RM_VM_STATE_RUNNING | (GH_RM_OS_STATUS_RUN << 8));
		return;
	}
	vm = emu_vm_lookup(emu, r->vmid);
	if (!vm) {
		r->err = GH_RM_ERROR_NORESOURCE;
		return;
	}
	emu_reply_u32(r, vm->state | ((u32)vm->os_status << 8) | ((u32)vm->app_status << 16));
}

/* Checks one slice of a scatter list: page-granular, non-empty, no wrap */
static u32 emu_check_mem_list(const struct gh_rm_list *list, u64 *ret_size)
{
	struct gh_rm_mem_entry e;
	u64 size = 0;
	u32 i;

	for (i = 0; i < list->n; i++) {
		(void)gh_rm_mem_get(list, i, &e);
		if (!e.size || e.ipa_base % EMU_PAGE || e.size % EMU_PAGE ||
		    e.ipa_base + e.size < e.ipa_base)
			return GH_RM_ERROR_ARGUMENT_INVALID;
		size += e.size;
	}
	*ret_size = size;
	return GH_RM_ERROR_OK;
}

static u32 emu_parcel_add_mem(struct emu *emu, struct emu_parcel *p, const struct gh_rm_list *list)
{
	struct gh_rm_mem_entry *mem;
	size_t cap;
	u64 size;
	u32 err, i;
	int ret;

	err = emu_check_mem_list(list, &size);
	if (err)
		return err;
	if (p->n_mem + list->n > EMU_MAX_PARCEL_ENTRIES)
		return GH_RM_ERROR_NOMEM;
	if (p->n_mem + list->n > p->cap_mem) {
		cap = p->cap_mem ? p->cap_mem : 16;
		while (cap < p->n_mem + list->n)
			cap *= 2;
		mem = realloc(p->mem, cap * sizeof(*mem));
		if (!mem)
			return GH_RM_ERROR_NOMEM;
		p->mem = mem;
		p->cap_mem = cap;
	}
	ret = emu_ranges_add(emu, p->handle, list);
	if (ret == -EBUSY)
		return GH_RM_ERROR_MEM_INUSE;
	if (ret < 0)
		return GH_RM_ERROR_NOMEM;
	for (i = 0; i < list->n; i++)
		(void)gh_rm_mem_get(list, i, &p->mem[p->n_mem + i]);
	p->n_mem += list->n;
	p->size += size;
	return GH_RM_ERROR_OK;
}

/* MEM_LEND, MEM_SHARE, MEM_DONATE (memparcel_create / memparcel_construct) */
static u32 emu_mem_create(struct emu *emu, struct emu_req *r, const struct gh_rm_mem_share_req *q,
			  u8 trans)
{
	struct gh_rm_acl_entry a, b;
	struct gh_rm_attr_entry at, at2;
	struct emu_parcel *p, **pp;
	bool owner_in_acl = false;
	u32 i, j, err;

	if ((q->flags & GH_RM_MEM_SHARE_FLAG_SANITIZE) && q->mem_type == GH_RM_MEM_TYPE_IO)
		return GH_RM_ERROR_ARGUMENT_INVALID;
	if (q->mem_type > GH_RM_MEM_TYPE_IO || !q->acl.n || !q->mem.n)
		return GH_RM_ERROR_ARGUMENT_INVALID;
	if (trans == EMU_TRANS_DONATE) {
		if (q->acl.n > 1)
			return GH_RM_ERROR_ARGUMENT_INVALID;
		if (q->mem.n > 1 || q->mem_type != GH_RM_MEM_TYPE_NORMAL)
			return GH_RM_ERROR_DENIED;
	}
	/* a lend has exactly one borrower */
	if (trans == EMU_TRANS_LEND && q->acl.n != 1)
		return GH_RM_ERROR_ARGUMENT_INVALID;
	for (i = 0; i < q->acl.n; i++) {
		(void)gh_rm_acl_get(&q->acl, i, &a);
		for (j = 0; j < i; j++) {
			(void)gh_rm_acl_get(&q->acl, j, &b);
			if (a.vmid == b.vmid)
				return GH_RM_ERROR_ARGUMENT_INVALID;
		}
		if (a.vmid != GH_RM_VMID_HLOS && !emu_vm_lookup(emu, a.vmid))
			return GH_RM_ERROR_ARGUMENT_INVALID;
		if (a.perms != GH_RM_ACL_R && a.perms != (GH_RM_ACL_R | GH_RM_ACL_X) &&
		    a.perms != (GH_RM_ACL_R | GH_RM_ACL_W) && a.perms != GH_RM_ACL_RWX)
			return GH_RM_ERROR_ARGUMENT_INVALID;
		if (q->mem_type == GH_RM_MEM_TYPE_IO && (a.perms & GH_RM_ACL_X))
			return GH_RM_ERROR_ARGUMENT_INVALID;
		if (trans == EMU_TRANS_DONATE && a.perms != GH_RM_ACL_RWX)
			return GH_RM_ERROR_DENIED;
		if (a.vmid == GH_RM_VMID_HLOS)
			owner_in_acl = true;
	}
	/* the owner is in the ACL of a share, and only of a share */
	if ((trans == EMU_TRANS_SHARE) != owner_in_acl)
		return GH_RM_ERROR_ARGUMENT_INVALID;
	for (i = 0; i < q->attr.n; i++) {
		(void)gh_rm_attr_get(&q->attr, i, &at);
		for (j = 0; j < i; j++) {
			(void)gh_rm_attr_get(&q->attr, j, &at2);
			if (at.vmid == at2.vmid)
				return GH_RM_ERROR_ARGUMENT_INVALID;
		}
		if (at.attr > GH_RM_MEM_ATTR_CACHED ||
		    (trans == EMU_TRANS_DONATE && at.attr != GH_RM_MEM_ATTR_NORMAL))
			return GH_RM_ERROR_ARGUMENT_INVALID;
		for (j = 0; j < q->acl.n; j++) {
			(void)gh_rm_acl_get(&q->acl, j, &a);
			if (a.vmid == at.vmid)
				break;
		}
		if (j == q->acl.n)
			return GH_RM_ERROR_VMID_INVALID;
	}

	p = calloc(1, sizeof(*p));
	if (!p)
		return GH_RM_ERROR_NOMEM;
	p->handle = emu->next_handle;
	p->label = q->label;
	p->trans = trans;
	p->mem_type = q->mem_type;
	p->flags = q->flags;
	p->complete = !(q->flags & GH_RM_MEM_SHARE_FLAG_APPEND);
	p->owner = GH_RM_VMID_HLOS;
	p->n_acl = q->acl.n;
	p->n_attr = q->attr.n;
	p->acl = calloc(q->acl.n, sizeof(*p->acl));
	p->attr = q->attr.n ? calloc(q->attr.n, sizeof(*p->attr)) : NULL;
	if (!p->acl || (q->attr.n && !p->attr)) {
		emu_parcel_free(p);
		return GH_RM_ERROR_NOMEM;
	}
	for (i = 0; i < q->acl.n; i++) {
		(void)gh_rm_acl_get(&q->acl, i, &a);
		p->acl[i].vmid = a.vmid;
		p->acl[i].perms = a.perms;
	}
	for (i = 0; i < q->attr.n; i++)
		(void)gh_rm_attr_get(&q->attr, i, &p->attr[i]);
	err = emu_parcel_add_mem(emu, p, &q->mem);
	if (err) {
		emu_ranges_remove(emu, p->handle);
		emu_parcel_free(p);
		return err;
	}
	p->messages = 1;
	p->packets = r->fragments + 1u;
	emu->next_handle++;
	for (pp = &emu->parcels; *pp; pp = &(*pp)->next)
		;
	*pp = p;
	r->vmid = emu_parcel_target(p);
	emu_reply_u32(r, p->handle);
	return GH_RM_ERROR_OK;
}

static void emu_h_mem_create(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_mem_share_req q;
	struct emu_parcel *p;
	char acl[96];
	u8 trans;
	int ret;

	trans = r->msg_id == GH_RM_MEM_LEND ? EMU_TRANS_LEND :
		r->msg_id == GH_RM_MEM_SHARE ? EMU_TRANS_SHARE : EMU_TRANS_DONATE;
	ret = gh_rm_dec_mem_share_req(r->p, r->len, &q);
	if (ret == -E2BIG) {
		/* a list count above MAX_LIST_ENTRIES */
		r->err = GH_RM_ERROR_NORESOURCE;
		return;
	}
	if (ret < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	emu_req_extra(r, "label=%u", q.label);
	r->err = emu_mem_create(emu, r, &q, trans);
	if (r->err)
		return;
	p = emu_parcel_lookup(emu, gh_rm_get_le32(r->data));
	emu_format_acl(p, acl, sizeof(acl));
	emu_req_extra(r, "acl=%s entries=%zu size=%llu handle=%u%s", acl, p->n_mem,
		      (unsigned long long)p->size, p->handle, p->complete ? "" : " append=1");
}

static void emu_h_mem_append(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_mem_append_req q;
	struct emu_parcel *p;
	int ret;

	ret = gh_rm_dec_mem_append_req(r->p, r->len, &q);
	if (ret == -E2BIG) {
		r->err = GH_RM_ERROR_NORESOURCE;
		return;
	}
	if (ret < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	emu_req_extra(r, "handle=%u entries=%u end=%u", q.mem_handle, q.mem.n,
		      q.flags & GH_RM_MEM_APPEND_FLAG_END ? 1 : 0);
	p = emu_parcel_lookup(emu, q.mem_handle);
	if (!p) {
		r->err = GH_RM_ERROR_HANDLE_INVALID;
		return;
	}
	r->vmid = emu_parcel_target(p);
	if (p->owner != GH_RM_VMID_HLOS || p->complete) {
		r->err = GH_RM_ERROR_DENIED;
		return;
	}
	if (!q.mem.n) {
		r->err = GH_RM_ERROR_ARGUMENT_INVALID;
		return;
	}
	r->err = emu_parcel_add_mem(emu, p, &q.mem);
	if (r->err)
		return;
	p->messages++;
	p->packets += r->fragments + 1u;
	if (q.flags & GH_RM_MEM_APPEND_FLAG_END)
		p->complete = true;
}

static void emu_h_mem_reclaim(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_mem_reclaim_req q;
	struct emu_parcel *p;

	if (gh_rm_dec_mem_reclaim_req(r->p, r->len, &q) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	emu_req_extra(r, "handle=%u", q.mem_handle);
	p = emu_parcel_lookup(emu, q.mem_handle);
	if (!p) {
		r->err = GH_RM_ERROR_HANDLE_INVALID;
		return;
	}
	r->vmid = emu_parcel_target(p);
	if (p->owner != GH_RM_VMID_HLOS) {
		r->err = GH_RM_ERROR_DENIED;
		return;
	}
	if (emu->reclaim_refuse) {
		r->err = GH_RM_ERROR_IN_USE;
		emu_req_extra(r, "fault=reclaim-refuse");
		return;
	}
	/* memparcel_do_reclaim: a parcel some borrower holds is MEM_INUSE */
	if (emu_parcel_accepted(p)) {
		r->err = GH_RM_ERROR_MEM_INUSE;
		return;
	}
	if ((q.flags & GH_RM_MEM_RECLAIM_FLAG_SANITIZE) && p->mem_type == GH_RM_MEM_TYPE_IO) {
		r->err = GH_RM_ERROR_ARGUMENT_INVALID;
		return;
	}
	emu_trace(emu, "parcel %u reclaimed", p->handle);
	emu_parcel_delete(emu, p);
}

static void emu_h_mem_release(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_mem_reclaim_req q;
	struct emu_parcel *p;

	if (gh_rm_dec_mem_reclaim_req(r->p, r->len, &q) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	emu_req_extra(r, "handle=%u", q.mem_handle);
	p = emu_parcel_lookup(emu, q.mem_handle);
	/* the HLOS only ever owns parcels here: it never borrowed one to release */
	if (!p || !emu_parcel_acl(p, GH_RM_VMID_HLOS))
		r->err = GH_RM_ERROR_HANDLE_INVALID;
	else
		r->err = GH_RM_ERROR_DENIED;
}

struct emu_handler {
	u32 msg_id;
	void (*fn)(struct emu *emu, struct emu_req *r);
};

static const struct emu_handler emu_handlers[] = {
	{ GH_RM_VM_ALLOCATE,		emu_h_vm_allocate },
	{ GH_RM_VM_DEALLOCATE,		emu_h_vm_deallocate },
	{ GH_RM_VM_START,		emu_h_vm_start },
	{ GH_RM_VM_STOP,		emu_h_vm_stop },
	{ GH_RM_VM_RESET,		emu_h_vm_reset },
	{ GH_RM_VM_CONFIG_IMAGE,	emu_h_vm_config_image },
	{ GH_RM_VM_AUTH_IMAGE,		emu_h_vm_auth_image },
	{ GH_RM_VM_INIT,		emu_h_vm_init },
	{ GH_RM_VM_GET_STATE,		emu_h_vm_get_state },
	{ GH_RM_VM_GET_HYP_RESOURCES,	emu_h_vm_get_hyp_resources },
	{ GH_RM_VM_GET_VMID,		emu_h_vm_get_vmid },
	{ GH_RM_MEM_DONATE,		emu_h_mem_create },
	{ GH_RM_MEM_LEND,		emu_h_mem_create },
	{ GH_RM_MEM_SHARE,		emu_h_mem_create },
	{ GH_RM_MEM_RELEASE,		emu_h_mem_release },
	{ GH_RM_MEM_RECLAIM,		emu_h_mem_reclaim },
	{ GH_RM_MEM_APPEND,		emu_h_mem_append },
};

static void emu_dispatch(struct emu *emu, struct emu_req *r)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(emu_handlers); i++) {
		if (emu_handlers[i].msg_id == r->msg_id) {
			emu_handlers[i].fn(emu, r);
			return;
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
	struct emu_outmsg *notifs, *reply;
	struct emu_event *ev;
	struct emu_fault f;
	bool faulted;

	emu->stats.requests++;
	emu->last_seq = msg->seq;
	emu->last_msg_id = msg->msg_id;

	/* the RM keeps one pending reply per client */
	if (emu->pending_replies) {
		emu->stats.concurrent++;
		r.err = GH_RM_ERROR_BUSY;
		emu_log_add(emu, &r, true);
		emu_trace_last(emu);
		(void)emu_send_msg(emu, GH_RM_TYPE_REPLY, r.seq, r.msg_id, r.err, NULL, 0);
		return;
	}

	faulted = emu_fault_take(emu, msg->msg_id, &f);
	if (faulted && f.kind == EMU_FAULT_ERROR) {
		emu->stats.faulted++;
		r.err = f.error;
		emu_req_extra(&r, "fault=error");
		emu_log_add(emu, &r, false);
		emu_trace_last(emu);
		(void)emu_send_msg(emu, GH_RM_TYPE_REPLY, r.seq, r.msg_id, r.err, NULL, 0);
		return;
	}

	emu->in_request = true;
	emu_dispatch(emu, &r);
	emu->in_request = false;
	notifs = emu_outbox_take(emu);
	if (r.err)
		r.data_len = 0;
	if (faulted && f.kind == EMU_FAULT_DROP)
		emu_req_extra(&r, "fault=drop");
	if (faulted && f.kind == EMU_FAULT_DELAY)
		emu_req_extra(&r, "fault=delay delay_ms=%u", f.delay_ms);
	emu_log_add(emu, &r, false);
	emu_trace_last(emu);

	if (!emu->notify_after_reply) {
		emu_outmsg_flush(emu, notifs);
		notifs = NULL;
	}

	if (faulted && f.kind == EMU_FAULT_DELAY) {
		reply = emu_outmsg_new(GH_RM_TYPE_REPLY, r.seq, r.msg_id, r.err, r.data,
				       r.data_len);
		ev = reply ? emu_event_add(emu, emu->now + f.delay_ms, EMU_EV_REPLY, r.vmid) : NULL;
		if (ev) {
			ev->reply = reply;
			ev->after = notifs;
			ev->post_reset = r.post_reset;
			ev->post_poweroff = r.post_poweroff;
			emu->pending_replies++;
			emu->stats.delayed++;
			return;
		}
		free(reply);
		emu_trace(emu, "out of memory: reply sent without its delay");
		faulted = false;
	}

	if (r.rm_exit) {
		emu->stats.rm_exits++;
	} else if (faulted && f.kind == EMU_FAULT_DROP) {
		emu->stats.dropped++;
		emu_trace(emu, "reply to %s seq=%u dropped (fault)", gh_rm_msg_name(r.msg_id),
			  r.seq);
	} else {
		(void)emu_send_msg(emu, GH_RM_TYPE_REPLY, r.seq, r.msg_id, r.err, r.data,
				   r.data_len);
	}
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

int emu_parcel_get(const struct emu *emu, u32 handle, struct emu_parcel_info *ret)
{
	const struct emu_parcel *p = emu_parcel_lookup(emu, handle);
	u32 i;

	if (!p)
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	ret->handle = p->handle;
	ret->label = p->label;
	ret->trans = p->trans;
	ret->mem_type = p->mem_type;
	ret->owner = p->owner;
	ret->complete = p->complete;
	ret->accepted = emu_parcel_accepted(p);
	ret->n_acl = p->n_acl;
	for (i = 0; i < p->n_acl && i < 4; i++) {
		ret->acl[i].vmid = p->acl[i].vmid;
		ret->acl[i].perms = p->acl[i].perms;
	}
	ret->n_mem = p->n_mem;
	ret->size = p->size;
	ret->messages = p->messages;
	ret->packets = p->packets;
	return 0;
}

unsigned int emu_parcel_count(const struct emu *emu)
{
	const struct emu_parcel *p;
	unsigned int n = 0;

	for (p = emu->parcels; p; p = p->next)
		n++;
	return n;
}
