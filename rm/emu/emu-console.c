// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RM emulator: the VM console service, as the RM's vm_console_simple.c has
 * it (docs/rm-emulator.md, "Console"), and a scripted guest on the other side
 * of every console.
 *
 * The RM's rules: a VM has a console once VM_INIT parsed an rm-rpc vdevice
 * with console-dev, until its reset destroys the vdevices. The owner opens,
 * writes to, flushes and closes it; the guest opens its own side. Bytes one
 * side writes while the other side has not opened are dropped and the write
 * still succeeds. Guest output reaches the owner as NOTIFY_VM_CONSOLE_CHARS
 * {from = the VM; num_bytes; bytes}, one notification per guest write.
 *
 * The scripted guest opens its side when the VM starts, prints a boot banner
 * naming itself, echoes what it is sent, and prints or floods on command.
 * Its output leaves in writes of at most 228 bytes (one packet each), at the
 * configured rate or as fast as the transport drains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-internal.h"

#define EMU_CONSOLE_BURST	(64U * 1024)	/* bytes per tick when the rate is unlimited */
#define EMU_CONSOLE_BACKLOG	256		/* packets waiting in the program: pause */
#define EMU_CONSOLE_OUT_MAX	(16U << 20)	/* pending printed/echoed bytes per guest */

struct emu_console {
	bool open;		/* the owner opened it (VM_CONSOLE_OPEN) */
	bool guest_open;	/* the guest opened its side (it runs) */
	bool scheduled;		/* an EMU_EV_CONSOLE is pending */
	u64 sent;		/* guest bytes delivered in CHARS */
	u64 dropped;		/* guest bytes whose CHARS a drop fault withheld */
	u64 unopened;		/* guest bytes dropped: the owner had not opened */
	u64 received;		/* owner bytes that reached the guest */
	u64 discarded;		/* owner bytes dropped: the guest's side was not open */
	u64 writes;		/* CHARS notifications sent */
	u8 *out;		/* guest output not written yet */
	size_t out_len, out_cap;
	u64 flood_left;		/* flood bytes not written yet */
	u64 flood_pos;		/* flood bytes written so far, the pattern's index */
};

/* Flood byte @i: 0..250 repeating, so that any lost stretch shows; most are not UTF-8 */
u8 emu_console_flood_byte(u64 i)
{
	return (u8)(i % 251);
}

void emu_console_create(struct emu *emu, struct emu_vm *vm)
{
	if (vm->console)
		return;
	vm->console = calloc(1, sizeof(*vm->console));
	if (!vm->console)
		emu_trace(emu, "out of memory: vm 0x%x has no console", vm->vmid);
}

void emu_console_destroy(struct emu_vm *vm)
{
	if (!vm->console)
		return;
	free(vm->console->out);
	free(vm->console);
	vm->console = NULL;
}

static void emu_console_schedule(struct emu *emu, struct emu_vm *vm, u64 deadline)
{
	struct emu_console *con = vm->console;

	if (con->scheduled)
		return;
	if (emu_event_console(emu, vm->vmid, deadline) < 0) {
		emu_trace(emu, "out of memory: vm 0x%x console output stalls", vm->vmid);
		return;
	}
	con->scheduled = true;
}

/* The guest writes @n bytes to its console: what the RM does with them */
static void emu_console_guest_write(struct emu *emu, struct emu_vm *vm, const u8 *bytes, size_t n)
{
	struct emu_console *con = vm->console;
	u8 buf[GH_RM_CONSOLE_HDR_SIZE + GH_RM_CONSOLE_PACKET_BYTES];
	struct emu_fault f;
	int len;

	if (!con->open) {
		/* vm_console_simple.c: "FIXME: drop message for now" */
		con->unopened += n;
		return;
	}
	if (emu_fault_take_notification(emu, GH_RM_NOTIF_VM_CONSOLE_CHARS, &f)) {
		con->dropped += n;
		emu_trace(emu, "vm 0x%x: CHARS of %zu bytes dropped (fault)", vm->vmid, n);
		return;
	}
	len = gh_rm_enc_console_chars(buf, sizeof(buf), vm->vmid, bytes, n);
	if (len < 0)
		return;
	emu_notify(emu, GH_RM_NOTIF_VM_CONSOLE_CHARS, buf, (size_t)len);
	con->sent += n;
	con->writes++;
}

/* Take the next guest write (at most 228 bytes): printed bytes first, then the flood */
static size_t emu_console_take(struct emu_console *con, u8 *buf)
{
	size_t n, i;

	if (con->out_len) {
		n = con->out_len < GH_RM_CONSOLE_PACKET_BYTES ? con->out_len :
								GH_RM_CONSOLE_PACKET_BYTES;
		memcpy(buf, con->out, n);
		memmove(con->out, con->out + n, con->out_len - n);
		con->out_len -= n;
		return n;
	}
	n = con->flood_left < GH_RM_CONSOLE_PACKET_BYTES ? (size_t)con->flood_left :
							   GH_RM_CONSOLE_PACKET_BYTES;
	for (i = 0; i < n; i++)
		buf[i] = emu_console_flood_byte(con->flood_pos + i);
	con->flood_pos += n;
	con->flood_left -= n;
	return n;
}

static bool emu_console_pending(const struct emu_console *con)
{
	return con->out_len || con->flood_left;
}

/* EMU_EV_CONSOLE: the guest writes what it has, as fast as the rate allows */
void emu_console_run(struct emu *emu, u16 vmid)
{
	struct emu_vm *vm = emu_vm_lookup(emu, vmid);
	struct emu_console *con = vm ? vm->console : NULL;
	u8 buf[GH_RM_CONSOLE_PACKET_BYTES];
	size_t n, budget = EMU_CONSOLE_BURST;
	u64 next = 1;

	if (!con)
		return;
	con->scheduled = false;
	if (!con->guest_open || !emu_vm_running(vm))
		return;
	if (emu->tx_backlog > EMU_CONSOLE_BACKLOG)
		budget = 0;	/* the transport is behind: the guest's writes block */
	while (budget && emu_console_pending(con)) {
		n = emu_console_take(con, buf);
		emu_console_guest_write(emu, vm, buf, n);
		budget = n < budget ? budget - n : 0;
		if (emu->console_rate) {
			/* one write per event, spaced by its duration at the rate */
			next = (n * 1000 + emu->console_rate - 1) / emu->console_rate;
			break;
		}
	}
	if (emu_console_pending(con))
		emu_console_schedule(emu, vm, emu->now + (next ? next : 1));
}

/* Queue guest output; it leaves from the next tick on. -ENOMEM, -ENOSPC */
static int emu_console_queue(struct emu *emu, struct emu_vm *vm, const void *bytes, size_t n)
{
	struct emu_console *con = vm->console;
	size_t cap;
	u8 *p;

	if (con->out_len + n > EMU_CONSOLE_OUT_MAX)
		return -ENOSPC;
	if (con->out_len + n > con->out_cap) {
		cap = con->out_cap ? con->out_cap : 1024;
		while (cap < con->out_len + n)
			cap *= 2;
		p = realloc(con->out, cap);
		if (!p)
			return -ENOMEM;
		con->out = p;
		con->out_cap = cap;
	}
	memcpy(con->out + con->out_len, bytes, n);
	con->out_len += n;
	emu_console_schedule(emu, vm, emu->now + 1);
	return 0;
}

/* The VM starts: the guest opens its side and, unless told not to, prints its banner */
void emu_console_guest_start(struct emu *emu, struct emu_vm *vm)
{
	char banner[256];
	const char *name;
	int n;

	if (!vm->console)
		return;
	vm->console->guest_open = true;
	if (!emu->console_banner)
		return;
	name = vm->cfg && vm->cfg->image_name[0] ? vm->cfg->image_name : "-";
	n = snprintf(banner, sizeof(banner),
		     "gh-rm-emu guest: booting VM 0x%x (%s)\r\n"
		     "gh-rm-emu guest: console on the RM, %u vCPUs\r\n"
		     "gh-rm-emu guest: VM 0x%x (%s) up; echoing input\r\n",
		     vm->vmid, name, vm->cfg ? vm->cfg->n_vcpus : 1, vm->vmid, name);
	if (n > 0)
		(void)emu_console_queue(emu, vm, banner, (size_t)n < sizeof(banner) ?
						       (size_t)n : sizeof(banner) - 1);
}

/* The VM stops running: its guest writes nothing more */
void emu_console_guest_stop(struct emu *emu, struct emu_vm *vm)
{
	struct emu_console *con = vm->console;

	(void)emu;
	if (!con)
		return;
	con->out_len = 0;
	con->flood_left = 0;
}

int emu_console_print(struct emu *emu, u16 vmid, const void *bytes, size_t n)
{
	struct emu_vm *vm = emu_vm_lookup(emu, vmid);

	if (!vm || !vm->console)
		return -ENOENT;
	if (!vm->console->guest_open || !emu_vm_running(vm))
		return -EAGAIN;
	return emu_console_queue(emu, vm, bytes, n);
}

int emu_console_flood(struct emu *emu, u16 vmid, u64 n)
{
	struct emu_vm *vm = emu_vm_lookup(emu, vmid);

	if (!vm || !vm->console)
		return -ENOENT;
	if (!vm->console->guest_open || !emu_vm_running(vm))
		return -EAGAIN;
	vm->console->flood_left += n;
	emu_console_schedule(emu, vm, emu->now + 1);
	return 0;
}

void emu_console_format(const struct emu *emu, struct emu_str *out)
{
	const struct emu_console *con;
	u32 i;

	for (i = 0; i < EMU_NR_VMIDS; i++) {
		if (!emu->vms[i] || !(con = emu->vms[i]->console))
			continue;
		emu_str_printf(out, "vmid=0x%x open=%s guest=%s sent=%llu writes=%llu dropped=%llu unopened=%llu received=%llu discarded=%llu pending=%llu flood-pos=%llu\n",
			       i, con->open ? "yes" : "no", con->guest_open ? "yes" : "no",
			       (unsigned long long)con->sent, (unsigned long long)con->writes,
			       (unsigned long long)con->dropped,
			       (unsigned long long)con->unopened,
			       (unsigned long long)con->received,
			       (unsigned long long)con->discarded,
			       (unsigned long long)(con->out_len + con->flood_left),
			       (unsigned long long)con->flood_pos);
	}
}

/* ---------------------------------------------------------------------------
 * Requests (vm_console_msg_handler)
 */

/*
 * get_console() and the owner check: target 0 is the caller's own console,
 * which the HLOS does not have; an unknown VM or one without a console is
 * ARGUMENT_INVALID (not VMID_INVALID); a VM the caller does not own, DENIED.
 */
static struct emu_console *emu_console_req(struct emu *emu, struct emu_req *r, u16 target)
{
	struct emu_vm *vm = target ? emu_vm_lookup(emu, target) : NULL;

	r->vmid = target;
	if (!vm || !vm->console) {
		r->err = GH_RM_ERROR_ARGUMENT_INVALID;
		return NULL;
	}
	if (vm->owner != GH_RM_VMID_HLOS) {
		r->err = GH_RM_ERROR_DENIED;
		return NULL;
	}
	return vm->console;
}

static struct emu_console *emu_console_simple_req(struct emu *emu, struct emu_req *r)
{
	u16 target;

	if (gh_rm_dec_console_req(r->p, r->len, &target) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return NULL;
	}
	return emu_console_req(emu, r, target);
}

static void emu_h_console_open(struct emu *emu, struct emu_req *r)
{
	struct emu_console *con = emu_console_simple_req(emu, r);

	if (con)
		con->open = true;
}

static void emu_h_console_close(struct emu *emu, struct emu_req *r)
{
	struct emu_console *con = emu_console_simple_req(emu, r);

	/* closing a console that is not open is no error */
	if (con)
		con->open = false;
}

static void emu_h_console_flush(struct emu *emu, struct emu_req *r)
{
	struct emu_console *con = emu_console_simple_req(emu, r);

	/* "Chars are sent immediately on write, there is nothing to flush." */
	if (con && !con->open)
		r->err = GH_RM_ERROR_DENIED;
}

static void emu_h_console_write(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_console_chars c;
	struct emu_console *con;
	struct emu_vm *vm;

	if (gh_rm_dec_console_chars(r->p, r->len, &c) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	con = emu_console_req(emu, r, c.vmid);
	if (!con)
		return;
	emu_req_extra(r, "bytes=%u", c.num_bytes);
	if (!con->open) {
		r->err = GH_RM_ERROR_DENIED;
		return;
	}
	vm = emu_vm_lookup(emu, c.vmid);
	if (!con->guest_open || !emu_vm_running(vm)) {
		/* the guest's side is closed: dropped, and still OK */
		con->discarded += c.num_bytes;
		return;
	}
	con->received += c.num_bytes;
	if (emu->console_echo && c.num_bytes &&
	    emu_console_queue(emu, vm, c.bytes, c.num_bytes) < 0)
		emu_trace(emu, "vm 0x%x: echo of %u bytes lost", vm->vmid, c.num_bytes);
}

const struct emu_handler emu_console_handlers[] = {
	{ GH_RM_VM_CONSOLE_OPEN,	emu_h_console_open },
	{ GH_RM_VM_CONSOLE_CLOSE,	emu_h_console_close },
	{ GH_RM_VM_CONSOLE_WRITE,	emu_h_console_write },
	{ GH_RM_VM_CONSOLE_FLUSH,	emu_h_console_flush },
	{ 0, NULL }
};
