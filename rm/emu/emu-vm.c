// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RM emulator: the VM lifecycle requests, VM_ALLOCATE to VM_DEALLOCATE, as
 * the RM's vm_mgnt and CRE handle them (docs/rm-emulator.md): the state
 * machine, VM_INIT reading the devicetree from the image parcel (its rules
 * are emu-dt.c's), the owner's hypervisor resources, VM_START's parcel and
 * overlay checks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "emu-internal.h"

#define EMU_DTB_MAX		(2U << 20)	/* bytes: arm64 boot protocol DTB limit */

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

static void emu_vm_reset_init(struct emu *emu, struct emu_vm *vm)
{
	emu_vm_free_resources(emu, vm);
	emu_console_destroy(vm);
	free(vm->cfg);
	vm->cfg = NULL;
	vm->initialised = false;
	vm->dtb_skipped = false;
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
	/* handle_rm_rpc(): an rm-rpc vdevice with console-dev gets a console */
	if (vm->dtb_skipped || cfg->has_console)
		emu_console_create(emu, vm);
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

/* VM_START's checks on one VM: the refusal goes to why */
struct emu_start {
	const struct emu *emu;
	const struct emu_vm *vm;
	const struct emu_dt_config *cfg;
	const struct emu_parcel *img;
	u64 ram_end;
	u64 fixed_base[EMU_DT_MAX_VDEVS], fixed_size[EMU_DT_MAX_VDEVS];	/* placed shm */
	u32 n_fixed;
	char *why;
	size_t whylen;
};

static int __printf(2, 3) emu_start_refuse(struct emu_start *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, s->whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool emu_image_gone(const struct emu_start *s)
{
	return !s->img || !s->img->complete || !emu_parcel_targets(s->img, s->vm->vmid);
}

/* the accept: exactly {this VM: RWX}, no attributes, LEND, normal memory */
static bool emu_image_not_exclusive(const struct emu_start *s)
{
	const struct emu_parcel *img = s->img;

	return img->trans != EMU_TRANS_LEND || img->n_acl != 1 ||
	       img->acl[0].vmid != s->vm->vmid || img->acl[0].perms != GH_RM_ACL_RWX ||
	       img->n_attr || img->mem_type;
}

/* The image parcel's refusals, in order (each assumes the previous passed) */
static const struct {
	bool (*refused)(const struct emu_start *s);
	const char *why;
} emu_image_checks[] = {
	{ emu_image_gone,		"image parcel gone" },
	{ emu_image_not_exclusive,	"image parcel not lent exclusively RWX" },
};

/* Complete parcels labelled @label lent or shared to the VM, but @skip */
static u32 emu_start_find_label(const struct emu_start *s, u32 label,
				const struct emu_parcel *skip, const struct emu_parcel **ret)
{
	const struct emu_parcel *p;
	u32 n = 0;

	for (p = s->emu->parcels; p; p = p->next) {
		if (p != skip && p->complete && p->label == label &&
		    emu_parcel_targets(p, s->vm->vmid)) {
			*ret = p;
			n++;
		}
	}
	return n;
}

/* An earlier vdevice with memory already has vdevs[@i]'s label */
static bool emu_vdev_label_reused(const struct emu_dt_config *cfg, u32 i)
{
	u32 j;

	for (j = 0; j < i; j++)
		if (cfg->vdevs[j].has_memory && cfg->vdevs[j].label == cfg->vdevs[i].label &&
		    cfg->vdevs[j].type != EMU_DT_VDEV_IOMEM)
			return true;
	return false;
}

/* A shm at a fixed base: outside RAM and every other placed shm */
static int emu_start_place(struct emu_start *s, const struct emu_dt_vdev *vd, u64 size)
{
	u32 j;

	if (vd->base < s->ram_end && s->cfg->mem_base < vd->base + size)
		return emu_start_refuse(s, "%s: base inside the RAM window", vd->path);
	for (j = 0; j < s->n_fixed; j++)
		if (vd->base < s->fixed_base[j] + s->fixed_size[j] &&
		    s->fixed_base[j] < vd->base + size)
			return emu_start_refuse(s, "%s: overlaps another shm", vd->path);
	s->fixed_base[s->n_fixed] = vd->base;
	s->fixed_size[s->n_fixed++] = size;
	return 0;
}

/* A shm or virtio-mmio vdevice has exactly one parcel of its label (CRE create_dtbo) */
static int emu_start_check_vdev(struct emu_start *s, u32 i)
{
	const struct emu_dt_vdev *vd = &s->cfg->vdevs[i];
	bool shm = vd->type == EMU_DT_VDEV_SHM || vd->type == EMU_DT_VDEV_SHM_DOORBELL;
	const struct emu_parcel *found = NULL;
	u32 n;

	if (!shm && vd->type != EMU_DT_VDEV_VIRTIO_MMIO)
		return 0;
	if (emu_vdev_label_reused(s->cfg, i))
		return emu_start_refuse(s, "%s: label %u used twice", vd->path, vd->label);
	if (vd->label == 0)
		return emu_start_refuse(s, "%s: shm label 0 (a private parcel)", vd->path);
	n = emu_start_find_label(s, vd->label, s->img, &found);
	if (n > 1)
		return emu_start_refuse(s, "%s: %u parcels with label %u", vd->path, n, vd->label);
	if (!found && shm && vd->optional)
		return 0;
	if (!found)
		return emu_start_refuse(s, "%s: no parcel with label %u", vd->path, vd->label);
	return vd->fixed_base ? emu_start_place(s, vd, found->size) : 0;
}

/* An existing /reserved-memory child matches a parcel (patch_resmem_nodes) */
static bool emu_resmem_matches(const struct emu_start *s, const struct emu_dt_resmem *rm)
{
	const struct emu_parcel *found;
	u32 j;

	if (rm->has_label)
		return emu_start_find_label(s, rm->label, NULL, &found) > 0;
	if (!rm->has_reg)
		return true;	/* size without reg: skipped */
	if (rm->multi_reg)
		return false;
	if (rm->addr == s->cfg->mem_base && rm->size == s->img->size)
		return true;
	for (j = 0; j < s->n_fixed; j++)
		if (rm->addr == s->fixed_base[j] && rm->size == s->fixed_size[j])
			return true;
	return false;
}

/* VM_START's parcel and overlay checks (CRE process_memparcels, create_dtbo) */
static int emu_start_checks(struct emu *emu, struct emu_vm *vm, char *why, size_t whylen)
{
	struct emu_start s = {
		.emu = emu, .vm = vm, .cfg = vm->cfg,
		.img = emu_parcel_lookup(emu, vm->image_handle),
		.why = why, .whylen = whylen,
	};
	struct emu_dt_error err;
	size_t k;
	u32 i;

	for (k = 0; k < ARRAY_SIZE(emu_image_checks); k++)
		if (emu_image_checks[k].refused(&s))
			return emu_start_refuse(&s, "%s", emu_image_checks[k].why);
	if (vm->dtb_skipped)
		return 0;
	s.ram_end = s.cfg->mem_base + s.img->size;
	for (i = 0; i < s.cfg->n_vdevs; i++)
		if (emu_start_check_vdev(&s, i) < 0)
			return -EINVAL;
	if (emu_dt_check_start(s.cfg, vm->dtb_size, &err) < 0)
		return emu_start_refuse(&s, "%s", err.reason);
	for (i = 0; i < s.cfg->n_resmem; i++)
		if (!emu_resmem_matches(&s, &s.cfg->resmem[i]))
			return emu_start_refuse(&s, "reserved-memory/%s matches no parcel",
						s.cfg->resmem[i].name);
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
	emu_console_guest_start(emu, vm);
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

const struct emu_handler emu_vm_handlers[] = {
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
	{ 0, NULL }
};
