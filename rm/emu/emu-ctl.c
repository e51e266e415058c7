// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RM emulator: the control protocol (docs/rm-emulator.md). One command line
 * in, zero or more reply lines and a status line ("OK" or "ERR <message>")
 * out. Everything a test needs to inject faults and inspect the emulator.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu-internal.h"

#define EMU_CTL_MAX_WORDS	16
#define EMU_CTL_MAX_LINE	4096

/* ---------------------------------------------------------------------------
 * Text buffer
 */
void emu_str_printf(struct emu_str *s, const char *fmt, ...)
{
	va_list ap;
	size_t need, cap;
	char *buf;
	int n;

	if (s->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	need = s->len + (size_t)n + 1;
	if (need > s->cap) {
		cap = s->cap ? s->cap : 256;
		while (cap < need)
			cap *= 2;
		buf = realloc(s->buf, cap);
		if (!buf) {
			s->oom = true;
			return;
		}
		s->buf = buf;
		s->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

/* ---------------------------------------------------------------------------
 * Name and number parsing
 */
static const u32 emu_ctl_msg_ids[] = {
	GH_RM_MEM_DONATE, GH_RM_MEM_ACCEPT, GH_RM_MEM_LEND, GH_RM_MEM_SHARE,
	GH_RM_MEM_RELEASE, GH_RM_MEM_RECLAIM, GH_RM_MEM_NOTIFY, GH_RM_MEM_APPEND,
	GH_RM_VM_ALLOCATE, GH_RM_VM_DEALLOCATE, GH_RM_VM_START, GH_RM_VM_STOP,
	GH_RM_VM_RESET, GH_RM_VM_CONFIG_IMAGE, GH_RM_VM_AUTH_IMAGE, GH_RM_VM_INIT,
	GH_RM_VM_GET_STATE, GH_RM_VM_GET_HYP_RESOURCES, GH_RM_VM_GET_VMID,
	GH_RM_VM_SET_FIRMWARE_MEM, GH_RM_VM_CONSOLE_OPEN, GH_RM_VM_CONSOLE_CLOSE,
	GH_RM_VM_CONSOLE_WRITE, GH_RM_VM_CONSOLE_FLUSH, GH_RM_NOTIF_VM_CONSOLE_CHARS,
};

static bool emu_ctl_u64(const char *s, u64 max, u64 *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*ret = v;
	return true;
}

static bool emu_ctl_msg_id(const char *s, u32 *ret)
{
	size_t i;
	u64 v;

	for (i = 0; i < ARRAY_SIZE(emu_ctl_msg_ids); i++) {
		if (!strcasecmp(s, gh_rm_msg_name(emu_ctl_msg_ids[i]))) {
			*ret = emu_ctl_msg_ids[i];
			return true;
		}
	}
	if (!emu_ctl_u64(s, 0xFFFFFFFFULL, &v) || !v)
		return false;
	*ret = (u32)v;
	return true;
}

static bool emu_ctl_error(const char *s, u32 *ret)
{
	u64 v;
	u32 c;

	if (!strcasecmp(s, gh_rm_error_name(GH_RM_ERROR_UNIMPLEMENTED))) {
		*ret = GH_RM_ERROR_UNIMPLEMENTED;
		return true;
	}
	for (c = 0; c <= GH_RM_ERROR_VM_STATE; c++) {
		if (!strcasecmp(s, gh_rm_error_name(c))) {
			*ret = c;
			return true;
		}
	}
	if (!emu_ctl_u64(s, 0xFFFFFFFFULL, &v))
		return false;
	*ret = (u32)v;
	return true;
}

static bool emu_ctl_exit_type(const char *s, u16 *ret)
{
	u64 v;
	u32 t;

	for (t = GH_RM_EXIT_TYPE_VM_EXIT; t <= GH_RM_EXIT_TYPE_VM_STOP_FORCED; t++) {
		if (!strcasecmp(s, gh_rm_exit_type_name(t))) {
			*ret = (u16)t;
			return true;
		}
	}
	if (!emu_ctl_u64(s, 0xFFFF, &v))
		return false;
	*ret = (u16)v;
	return true;
}

/* ---------------------------------------------------------------------------
 * Commands. Each returns 0 (OK) or fills @err and returns -EINVAL.
 */
struct emu_ctl_cmd {
	struct emu *emu;
	char **w;		/* words, w[0] is the command */
	int n;
	struct emu_str *out;
	char err[160];
};

static int __printf(2, 3) emu_ctl_fail(struct emu_ctl_cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int emu_ctl_ping(struct emu_ctl_cmd *c)
{
	if (c->n != 1)
		return emu_ctl_fail(c, "usage: ping");
	return 0;
}

static int emu_ctl_log(struct emu_ctl_cmd *c)
{
	struct emu *emu = c->emu;
	u32 i;

	if (c->n == 2 && !strcmp(c->w[1], "clear")) {
		emu_log_clear(emu);
		return 0;
	}
	if (c->n != 1)
		return emu_ctl_fail(c, "usage: log [clear]");
	for (i = 0; i < emu->log_len; i++)
		emu_format_log_entry(&emu->log[(emu->log_head + i) % emu->log_cap], c->out);
	return 0;
}

static int emu_ctl_vms(struct emu_ctl_cmd *c)
{
	const struct emu_vm *vm;
	char name[EMU_DT_NAME_MAX], dtb[96];
	u32 i;

	if (c->n != 1)
		return emu_ctl_fail(c, "usage: vms");
	for (i = 0; i < EMU_NR_VMIDS; i++) {
		vm = c->emu->vms[i];
		if (!vm)
			continue;
		snprintf(name, sizeof(name), "%s", vm->cfg ? vm->cfg->image_name : "-");
		for (char *s = name; *s; s++)
			if (*s == ' ')
				*s = '-';
		snprintf(dtb, sizeof(dtb), "%s", vm->dtb);
		for (char *s = dtb; *s; s++)
			if (*s == ' ')
				*s = '-';
		emu_str_printf(c->out,
			       "vmid=0x%x state=%s owner=0x%x image-name=%s vcpus=%u dtb=%s",
			       vm->vmid, gh_rm_vm_state_name(vm->state), vm->owner,
			       name[0] ? name : "-", vm->cfg ? vm->cfg->n_vcpus : 0, dtb);
		if (vm->cfg)
			emu_str_printf(c->out, " base=0x%llx",
				       (unsigned long long)vm->cfg->mem_base);
		if (vm->configured)
			emu_str_printf(c->out, " image-handle=%u", vm->image_handle);
		if (vm->state == GH_RM_VM_STATE_EXITED)
			emu_str_printf(c->out, " exit-type=%s",
				       gh_rm_exit_type_name(vm->exit_type));
		emu_str_printf(c->out, "\n");
	}
	return 0;
}

static int emu_ctl_parcels(struct emu_ctl_cmd *c)
{
	static const char *const types[] = { "DONATE", "LEND", "SHARE" };
	const struct emu_parcel *p;
	char acl[512];
	u32 i;
	bool acc;

	if (c->n != 1)
		return emu_ctl_fail(c, "usage: parcels");
	for (p = c->emu->parcels; p; p = p->next) {
		emu_format_acl(p, acl, sizeof(acl));
		for (i = 0, acc = false; i < p->n_acl; i++)
			acc = acc || p->acl[i].accepted;
		emu_str_printf(c->out,
			       "handle=%u label=%u type=%s mem_type=%u owner=0x%x acl=%s size=%llu entries=%zu state=%s complete=%s messages=%u packets=%u\n",
			       p->handle, p->label, types[p->trans], p->mem_type, p->owner, acl,
			       (unsigned long long)p->size, p->n_mem, acc ? "accepted" : "shared",
			       p->complete ? "yes" : "no", p->messages, p->packets);
	}
	return 0;
}

static int emu_ctl_stats(struct emu_ctl_cmd *c)
{
	const struct emu_stats *s = &c->emu->stats;

	if (c->n != 1)
		return emu_ctl_fail(c, "usage: stats");
	emu_str_printf(c->out,
		       "requests=%u concurrent=%u dropped=%u malformed=%u notifications=%u delayed=%u faulted=%u rx_packets=%u rx_dropped=%u tx_packets=%u pending=%u held=%u waiting=%u rm_exits=%u\n",
		       s->requests, s->concurrent, s->dropped, s->malformed, s->notifications,
		       s->delayed, s->faulted, s->rx_packets, s->rx_dropped, s->tx_packets,
		       c->emu->pending_replies, s->held, c->emu->n_held, s->rm_exits);
	return 0;
}

static int emu_ctl_fault_list(struct emu_ctl_cmd *c)
{
	static const char *const kinds[] = { "error", "drop", "delay" };
	const struct emu_fault *f;

	for (f = c->emu->faults; f; f = f->next) {
		emu_str_printf(c->out, "%s %s", f->any ? "*" : gh_rm_msg_name(f->msg_id),
			       kinds[f->kind]);
		if (f->kind == EMU_FAULT_ERROR)
			emu_str_printf(c->out, " %s", gh_rm_error_name(f->error));
		if (f->kind == EMU_FAULT_DELAY)
			emu_str_printf(c->out, " %u", f->delay_ms);
		if (f->count > 0)
			emu_str_printf(c->out, " count %ld", f->count);
		emu_str_printf(c->out, "\n");
	}
	return 0;
}

static int emu_ctl_fault(struct emu_ctl_cmd *c)
{
	struct emu_fault f = { .count = -1 }, *nf, **pp;
	int i = 3;
	u64 v;

	if (c->n == 2 && !strcmp(c->w[1], "clear")) {
		while (c->emu->faults) {
			nf = c->emu->faults;
			c->emu->faults = nf->next;
			free(nf);
		}
		return 0;
	}
	if (c->n == 2 && !strcmp(c->w[1], "list"))
		return emu_ctl_fault_list(c);
	if (c->n < 3)
		return emu_ctl_fail(c, "usage: fault <MSG_NAME|*> error <ERROR>|drop|delay <ms> [count <n>]");
	if (!strcmp(c->w[1], "*"))
		f.any = true;
	else if (!emu_ctl_msg_id(c->w[1], &f.msg_id))
		return emu_ctl_fail(c, "unknown message '%s'", c->w[1]);

	/* a notification is only ever dropped (the RM's full queue drops the oldest) */
	if (f.msg_id == GH_RM_NOTIF_VM_CONSOLE_CHARS && strcmp(c->w[2], "drop"))
		return emu_ctl_fail(c, "a notification fault is drop only");

	if (!strcmp(c->w[2], "error")) {
		f.kind = EMU_FAULT_ERROR;
		if (c->n < 4 || !emu_ctl_error(c->w[3], &f.error))
			return emu_ctl_fail(c, "fault error needs an RM error name or 0xCODE");
		if (f.error == GH_RM_ERROR_OK)
			return emu_ctl_fail(c, "fault error OK is not an error");
		i = 4;
	} else if (!strcmp(c->w[2], "drop")) {
		f.kind = EMU_FAULT_DROP;
	} else if (!strcmp(c->w[2], "delay")) {
		f.kind = EMU_FAULT_DELAY;
		if (c->n < 4 || !emu_ctl_u64(c->w[3], 24ULL * 3600 * 1000, &v))
			return emu_ctl_fail(c, "fault delay needs milliseconds");
		f.delay_ms = (u32)v;
		i = 4;
	} else {
		return emu_ctl_fail(c, "unknown fault kind '%s'", c->w[2]);
	}
	if (i < c->n) {
		if (strcmp(c->w[i], "count") || i + 2 != c->n ||
		    !emu_ctl_u64(c->w[i + 1], 1000000000ULL, &v) || !v)
			return emu_ctl_fail(c, "expected 'count <n>' with n >= 1");
		f.count = (long)v;
	}

	nf = malloc(sizeof(*nf));
	if (!nf)
		return emu_ctl_fail(c, "out of memory");
	*nf = f;
	nf->next = NULL;
	for (pp = &c->emu->faults; *pp; pp = &(*pp)->next)
		;
	*pp = nf;
	return 0;
}

static int emu_ctl_malformed(struct emu_ctl_cmd *c)
{
	struct emu *emu = c->emu;
	u8 pkt[GH_RM_PACKET_MAX + 8];
	const char *kind;
	size_t len;

	if (c->n != 2)
		return emu_ctl_fail(c, "usage: malformed <short|long|bad-api|bad-fragments|orphan-continuation|bad-continuation|truncated-reply>");
	kind = c->w[1];
	memset(pkt, 0, sizeof(pkt));
	if (!strcmp(kind, "short")) {
		/* 4 bytes: not even a header */
		gh_rm_hdr_encode(pkt, GH_RM_TYPE_NOTIFICATION, 0, emu->notif_seq++,
				 GH_RM_NOTIF_VM_STATUS);
		len = 4;
	} else if (!strcmp(kind, "long")) {
		/* 241 bytes: one more than a message queue carries */
		gh_rm_hdr_encode(pkt, GH_RM_TYPE_NOTIFICATION, 0, emu->notif_seq++,
				 GH_RM_NOTIF_VM_STATUS);
		len = GH_RM_PACKET_MAX + 1;
	} else if (!strcmp(kind, "bad-api")) {
		gh_rm_hdr_encode(pkt, GH_RM_TYPE_NOTIFICATION, 0, emu->notif_seq++,
				 GH_RM_NOTIF_VM_STATUS);
		pkt[0] = 0x22;	/* API version 2 */
		len = GH_RM_HDR_SIZE + GH_RM_VM_STATUS_SIZE;
	} else if (!strcmp(kind, "bad-fragments")) {
		/* 63 continuations announced: one more than allowed */
		gh_rm_hdr_encode(pkt, GH_RM_TYPE_NOTIFICATION, 63, emu->notif_seq++,
				 GH_RM_NOTIF_VM_STATUS);
		len = GH_RM_HDR_SIZE + GH_RM_VM_STATUS_SIZE;
	} else if (!strcmp(kind, "orphan-continuation")) {
		gh_rm_hdr_encode(pkt, GH_RM_TYPE_CONTINUATION, 1, emu->notif_seq++,
				 GH_RM_NOTIF_VM_STATUS);
		len = GH_RM_HDR_SIZE + GH_RM_VM_STATUS_SIZE;
	} else if (!strcmp(kind, "bad-continuation")) {
		/* a notification announcing one continuation, then one of another message */
		u16 seq = emu->notif_seq++;

		gh_rm_hdr_encode(pkt, GH_RM_TYPE_NOTIFICATION, 1, seq, GH_RM_NOTIF_VM_EXITED);
		emu_send_packet(emu, pkt, GH_RM_PACKET_MAX);
		gh_rm_hdr_encode(pkt, GH_RM_TYPE_CONTINUATION, 1, seq, GH_RM_NOTIF_VM_STATUS);
		len = GH_RM_HDR_SIZE + 8;
	} else if (!strcmp(kind, "truncated-reply")) {
		/* a reply to the pending (or last) request without its 4-byte err_code */
		u16 seq = emu->last_seq;
		u32 id = emu->last_msg_id ? emu->last_msg_id : GH_RM_VM_GET_VMID;
		const struct emu_event *ev;

		for (ev = emu->events; ev; ev = ev->next) {
			if (ev->kind == EMU_EV_REPLY && ev->reply) {
				seq = ev->reply->seq;
				id = ev->reply->msg_id;
				break;
			}
		}
		gh_rm_hdr_encode(pkt, GH_RM_TYPE_REPLY, 0, seq, id);
		len = GH_RM_HDR_SIZE + 2;
	} else {
		return emu_ctl_fail(c, "unknown malformed kind '%s'", kind);
	}
	emu_trace(emu, "malformed %s: sending", kind);
	emu_send_packet(emu, pkt, len);
	emu->stats.malformed++;
	return 0;
}

static int emu_ctl_storm(struct emu_ctl_cmd *c)
{
	struct emu *emu = c->emu;
	struct emu_vm fake = { 0 }, *vm;
	u64 n, v;
	u32 i, k = 0;

	if (c->n < 2 || c->n > 3 || !emu_ctl_u64(c->w[1], EMU_MAX_STORM, &n) || !n)
		return emu_ctl_fail(c, "usage: storm <n (1..%u)> [vmid]", EMU_MAX_STORM);
	if (c->n == 3) {
		if (!emu_ctl_u64(c->w[2], 0xFFFF, &v))
			return emu_ctl_fail(c, "bad vmid '%s'", c->w[2]);
		fake.vmid = (u16)v;
	}
	for (i = 0; i < n; i++) {
		vm = NULL;
		if (c->n == 3) {
			vm = emu_vm_lookup(emu, fake.vmid);
		} else {
			/* round robin over the allocated VMs */
			for (u32 j = 0; j < EMU_NR_VMIDS && !vm; j++, k++)
				vm = emu->vms[k % EMU_NR_VMIDS];
		}
		emu_send_vm_status(emu, vm ? vm : &fake);
	}
	return 0;
}

static int emu_ctl_exit(struct emu_ctl_cmd *c)
{
	struct emu_vm *vm;
	u64 vmid, code = 0;
	u16 type;

	if (c->n < 3 || c->n > 4)
		return emu_ctl_fail(c, "usage: exit <vmid> <exit-type> [exit-code]");
	if (!emu_ctl_u64(c->w[1], 0xFFFF, &vmid))
		return emu_ctl_fail(c, "bad vmid '%s'", c->w[1]);
	if (!emu_ctl_exit_type(c->w[2], &type))
		return emu_ctl_fail(c, "unknown exit type '%s'", c->w[2]);
	if (c->n == 4 && !emu_ctl_u64(c->w[3], 0xFFFF, &code))
		return emu_ctl_fail(c, "bad exit code '%s'", c->w[3]);
	vm = emu_vm_lookup(c->emu, (u32)vmid);
	if (!vm)
		return emu_ctl_fail(c, "no VM 0x%llx", (unsigned long long)vmid);
	if (emu_vm_exit(c->emu, vm, type, (u32)code) < 0)
		return emu_ctl_fail(c, "VM 0x%x is %s, not running", vm->vmid,
				    gh_rm_vm_state_name(vm->state));
	return 0;
}

/*
 * Drop a VM record whatever its state, for test hygiene: a VM_ALLOCATE whose
 * reply was dropped or came too late leaves a VMID the client never learnt.
 * Its parcels stay (their owner reclaims them).
 */
static int emu_ctl_forget(struct emu_ctl_cmd *c)
{
	struct emu_vm *vm;
	u64 vmid;

	if (c->n != 2 || !emu_ctl_u64(c->w[1], 0xFFFF, &vmid))
		return emu_ctl_fail(c, "usage: forget <vmid>");
	vm = emu_vm_lookup(c->emu, (u32)vmid);
	if (!vm)
		return emu_ctl_fail(c, "no VM 0x%llx", (unsigned long long)vmid);
	c->emu->vms[vm->vmid] = NULL;
	emu_trace(c->emu, "vm 0x%x: forgotten (%s)", vm->vmid, gh_rm_vm_state_name(vm->state));
	emu_vm_free(c->emu, vm);
	return 0;
}

static int emu_ctl_guest(struct emu_ctl_cmd *c)
{
	u64 v;

	if (c->n == 3 && !strcmp(c->w[1], "on-shutdown")) {
		if (!strcmp(c->w[2], "poweroff"))
			c->emu->guest_shutdown = EMU_GUEST_POWEROFF;
		else if (!strcmp(c->w[2], "ignore"))
			c->emu->guest_shutdown = EMU_GUEST_IGNORE;
		else
			return emu_ctl_fail(c, "on-shutdown is poweroff or ignore");
		return 0;
	}
	if (c->n == 3 && !strcmp(c->w[1], "shutdown-delay")) {
		if (!emu_ctl_u64(c->w[2], 24ULL * 3600 * 1000, &v))
			return emu_ctl_fail(c, "shutdown-delay needs milliseconds");
		c->emu->shutdown_delay_ms = (u32)v;
		return 0;
	}
	return emu_ctl_fail(c,
			    "usage: guest on-shutdown <poweroff|ignore> | guest shutdown-delay <ms>");
}

static int emu_ctl_reclaim(struct emu_ctl_cmd *c)
{
	if (c->n == 2 && !strcmp(c->w[1], "allow"))
		c->emu->reclaim_refuse = false;
	else if (c->n == 2 && !strcmp(c->w[1], "refuse"))
		c->emu->reclaim_refuse = true;
	else
		return emu_ctl_fail(c, "usage: reclaim <allow|refuse>");
	return 0;
}

static int emu_ctl_set(struct emu_ctl_cmd *c)
{
	struct emu *emu = c->emu;
	const char *key, *val;
	u64 v;

	if (c->n != 3)
		return emu_ctl_fail(c, "usage: set <reset-delay|shutdown-delay|release-delay|release-per-mib|notify-order|max-cores|skip-dtb> <value>");
	key = c->w[1];
	val = c->w[2];
	if (!strcmp(key, "reset-delay") || !strcmp(key, "shutdown-delay")) {
		if (!emu_ctl_u64(val, 24ULL * 3600 * 1000, &v))
			return emu_ctl_fail(c, "%s needs milliseconds", key);
		if (key[0] == 'r')
			emu->reset_delay_ms = (u32)v;
		else
			emu->shutdown_delay_ms = (u32)v;
	} else if (!strcmp(key, "release-delay") || !strcmp(key, "release-per-mib")) {
		if (!emu_ctl_u64(val, 24ULL * 3600 * 1000, &v))
			return emu_ctl_fail(c, "%s needs milliseconds", key);
		if (!strcmp(key, "release-delay"))
			emu->release_delay_ms = (u32)v;
		else
			emu->release_ms_per_mib = (u32)v;
	} else if (!strcmp(key, "notify-order")) {
		if (!strcmp(val, "before-reply"))
			emu->notify_after_reply = false;
		else if (!strcmp(val, "after-reply"))
			emu->notify_after_reply = true;
		else
			return emu_ctl_fail(c, "notify-order is before-reply or after-reply");
	} else if (!strcmp(key, "max-cores")) {
		if (!emu_ctl_u64(val, EMU_DT_MAX_VCPUS, &v) || !v)
			return emu_ctl_fail(c, "max-cores is 1..%u", EMU_DT_MAX_VCPUS);
		emu->max_cores = (u32)v;
	} else if (!strcmp(key, "skip-dtb")) {
		if (!strcmp(val, "yes") || !strcmp(val, "1"))
			emu->skip_dtb = true;
		else if (!strcmp(val, "no") || !strcmp(val, "0"))
			emu->skip_dtb = false;
		else
			return emu_ctl_fail(c, "skip-dtb is yes or no");
	} else {
		return emu_ctl_fail(c, "unknown setting '%s'", key);
	}
	return 0;
}

static bool emu_ctl_bool(const char *s, bool *ret)
{
	if (!strcmp(s, "yes") || !strcmp(s, "1"))
		*ret = true;
	else if (!strcmp(s, "no") || !strcmp(s, "0"))
		*ret = false;
	else
		return false;
	return true;
}

static int emu_ctl_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The one-letter escapes of console print text (\xHH aside) */
static const struct {
	char letter;
	u8 byte;
} emu_ctl_escapes[] = {
	{ 'n', '\n' }, { 'r', '\r' }, { 't', '\t' }, { 's', ' ' }, { '\\', '\\' },
};

/* One escape after a backslash at *s; advances *s past it. -EINVAL when unknown */
static int emu_ctl_escape(const char **s)
{
	const char *p = *s;
	size_t i;
	int hi, lo;

	if (*p == 'x') {
		if ((hi = emu_ctl_hex(p[1])) < 0 || (lo = emu_ctl_hex(p[2])) < 0)
			return -EINVAL;
		*s = p + 2;
		return hi << 4 | lo;
	}
	for (i = 0; i < ARRAY_SIZE(emu_ctl_escapes); i++)
		if (*p && *p == emu_ctl_escapes[i].letter)
			return emu_ctl_escapes[i].byte;
	return -EINVAL;
}

/*
 * The words from @first joined by single spaces, with the escapes of
 * emu_ctl_escapes and \xHH (any byte, UTF-8 or not). Returns the length, or
 * -EINVAL for a bad escape or more than @cap bytes.
 */
static int emu_ctl_unescape(struct emu_ctl_cmd *c, int first, u8 *buf, size_t cap)
{
	const char *s;
	size_t n = 0;
	int i, ch;

	for (i = first; i < c->n; i++) {
		if (i > first && n < cap)
			buf[n++] = ' ';
		for (s = c->w[i]; *s; s++) {
			ch = (u8)*s;
			if (*s == '\\') {
				s++;
				ch = emu_ctl_escape(&s);
				if (ch < 0)
					return -EINVAL;
			}
			if (n == cap)
				return -EINVAL;
			buf[n++] = (u8)ch;
		}
	}
	return (int)n;
}

/* console <vmid> print <text...> | console <vmid> flood <bytes> */
static int emu_ctl_console_vm(struct emu_ctl_cmd *c)
{
	static u8 text[EMU_CTL_MAX_LINE];
	u64 vmid, n;
	int len, r;

	if (c->n < 4 || !emu_ctl_u64(c->w[1], 0xFFFF, &vmid))
		return emu_ctl_fail(c, "usage: console <vmid> print <text> | console <vmid> flood <bytes>");
	if (!strcmp(c->w[2], "print")) {
		len = emu_ctl_unescape(c, 3, text, sizeof(text));
		if (len < 0)
			return emu_ctl_fail(c, "bad escape (\\n \\r \\t \\s \\\\ \\xHH)");
		r = emu_console_print(c->emu, (u16)vmid, text, (size_t)len);
	} else if (!strcmp(c->w[2], "flood") && c->n == 4 &&
		   emu_ctl_u64(c->w[3], 1ULL << 32, &n) && n) {
		r = emu_console_flood(c->emu, (u16)vmid, n);
	} else {
		return emu_ctl_fail(c, "usage: console <vmid> print <text> | console <vmid> flood <bytes (1..4 GiB)>");
	}
	if (r == -ENOENT)
		return emu_ctl_fail(c, "VM 0x%llx has no console", (unsigned long long)vmid);
	if (r == -EAGAIN)
		return emu_ctl_fail(c, "the guest of VM 0x%llx does not run", (unsigned long long)vmid);
	if (r < 0)
		return emu_ctl_fail(c, "guest output full (16 MiB waiting) or out of memory");
	return 0;
}

static int emu_ctl_console(struct emu_ctl_cmd *c)
{
	struct emu *emu = c->emu;
	bool b;
	u64 v;

	if (c->n == 3 && !strcmp(c->w[1], "rate")) {
		if (!emu_ctl_u64(c->w[2], 1U << 30, &v))
			return emu_ctl_fail(c, "console rate needs bytes per second (0 = unlimited)");
		emu->console_rate = (u32)v;
		return 0;
	}
	if (c->n == 3 && (!strcmp(c->w[1], "echo") || !strcmp(c->w[1], "banner"))) {
		if (!emu_ctl_bool(c->w[2], &b))
			return emu_ctl_fail(c, "console %s is yes or no", c->w[1]);
		if (c->w[1][0] == 'e')
			emu->console_echo = b;
		else
			emu->console_banner = b;
		return 0;
	}
	return emu_ctl_console_vm(c);
}

static int emu_ctl_consoles(struct emu_ctl_cmd *c)
{
	if (c->n != 1)
		return emu_ctl_fail(c, "usage: consoles");
	emu_console_format(c->emu, c->out);
	return 0;
}

static int emu_ctl_help(struct emu_ctl_cmd *c)
{
	emu_str_printf(c->out,
		       "ping\nlog [clear]\nvms\nparcels\nstats\n"
		       "fault <MSG_NAME|*> error <ERROR_NAME|0xCODE> [count <n>]\n"
		       "fault <MSG_NAME|*> drop [count <n>]\n"
		       "fault <MSG_NAME|*> delay <ms> [count <n>]\n"
		       "fault clear\nfault list\n"
		       "malformed <short|long|bad-api|bad-fragments|orphan-continuation|bad-continuation|truncated-reply>\n"
		       "storm <n> [vmid]\nexit <vmid> <exit-type> [exit-code]\nforget <vmid>\n"
		       "guest on-shutdown <poweroff|ignore>\nguest shutdown-delay <ms>\n"
		       "reclaim <allow|refuse>\n"
		       "set <reset-delay|shutdown-delay|release-delay|release-per-mib> <ms>\n"
		       "set notify-order <before-reply|after-reply>\n"
		       "set max-cores <n>\nset skip-dtb <yes|no>\n"
		       "consoles\nconsole rate <bytes-per-s>\nconsole echo <yes|no>\n"
		       "console banner <yes|no>\nconsole <vmid> print <text>\n"
		       "console <vmid> flood <bytes>\nhelp\n");
	return 0;
}

struct emu_ctl_entry {
	const char *name;
	int (*fn)(struct emu_ctl_cmd *c);
};

static const struct emu_ctl_entry emu_ctl_cmds[] = {
	{ "ping", emu_ctl_ping },
	{ "log", emu_ctl_log },
	{ "vms", emu_ctl_vms },
	{ "parcels", emu_ctl_parcels },
	{ "stats", emu_ctl_stats },
	{ "fault", emu_ctl_fault },
	{ "malformed", emu_ctl_malformed },
	{ "storm", emu_ctl_storm },
	{ "exit", emu_ctl_exit },
	{ "forget", emu_ctl_forget },
	{ "guest", emu_ctl_guest },
	{ "reclaim", emu_ctl_reclaim },
	{ "set", emu_ctl_set },
	{ "consoles", emu_ctl_consoles },
	{ "console", emu_ctl_console },
	{ "help", emu_ctl_help },
};

int emu_ctl(struct emu *emu, const char *line, char **ret_reply, size_t *ret_len)
{
	struct emu_str out = { 0 };
	char *copy, *words[EMU_CTL_MAX_WORDS], *save = NULL, *tok;
	struct emu_ctl_cmd c = { .emu = emu, .w = words, .out = &out };
	size_t i;
	int r = -EINVAL;

	copy = strndup(line, EMU_CTL_MAX_LINE + 1);
	if (!copy)
		return -ENOMEM;
	if (strlen(copy) > EMU_CTL_MAX_LINE) {
		emu_ctl_fail(&c, "line too long");
		goto done;
	}
	for (tok = strtok_r(copy, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (c.n == EMU_CTL_MAX_WORDS) {
			emu_ctl_fail(&c, "too many words");
			goto done;
		}
		words[c.n++] = tok;
	}
	if (!c.n) {
		emu_ctl_fail(&c, "empty command");
		goto done;
	}
	for (i = 0; i < ARRAY_SIZE(emu_ctl_cmds); i++) {
		if (!strcmp(words[0], emu_ctl_cmds[i].name)) {
			r = emu_ctl_cmds[i].fn(&c);
			break;
		}
	}
	if (i == ARRAY_SIZE(emu_ctl_cmds))
		emu_ctl_fail(&c, "unknown command '%.40s'", words[0]);

done:
	free(copy);
	if (r < 0) {
		/* no partial output before an error */
		out.len = 0;
		emu_str_printf(&out, "ERR %s\n", c.err);
	} else {
		emu_str_printf(&out, "OK\n");
	}
	if (out.oom || !out.buf) {
		free(out.buf);
		return -ENOMEM;
	}
	emu_trace(emu, "ctl: %.200s -> %s", line, r < 0 ? c.err : "OK");
	*ret_reply = out.buf;
	*ret_len = out.len;
	return r < 0 ? 1 : 0;
}
