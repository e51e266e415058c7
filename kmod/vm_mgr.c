// SPDX-License-Identifier: GPL-2.0-only
/*
 * Gunyah VM manager: /dev/gunyah and the VM fds.
 *
 * A VM gets its VMID from the RM at GH_CREATE_VM. Regions are pinned when
 * they are set and lent or shared only at GH_VM_START, which runs the golden
 * sequence: MEM_LEND / MEM_SHARE per region (label order), VM_CONFIG_IMAGE,
 * VM_INIT, VM_GET_HYP_RESOURCES, VM_START. The VM's status follows the RM:
 * the module's own successful calls and the RM's VM_STATUS and VM_EXITED
 * notifications. Closing the VM fd tears the VM down as its RM state
 * demands (see gh_vm_teardown()); a VM the RM does not let go becomes a
 * zombie that keeps its pages pinned, until late news from the RM lets the
 * teardown finish (gh_vm_reap()).
 *
 * Locking, outermost first: vm->lock (ioctls, regions, start), then either
 * the RM client's call lock or mgr->lock, then vm->status_lock (a leaf).
 * RM notifications take only mgr->lock and vm->status_lock, so they are
 * never stuck behind an ioctl that waits for the RM. GH_VM_GET_STATUS and
 * poll take only vm->status_lock and answer while a START is in progress.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"
#include "rsc_mgr.h"
#include "vm_mgr.h"

static atomic_long_t gh_vm_zombies = ATOMIC_LONG_INIT(0);
module_param_cb(zombies, &gh_param_ops_counter, &gh_vm_zombies, 0444);
MODULE_PARM_DESC(zombies, "VMs whose teardown the RM has not completed (their pages stay pinned)");

/*
 * The RM sends RESET only once it released every parcel of the VM, which
 * took up to 21 s for 32 MiB under TCG on a loaded host: the wait scales.
 */
static unsigned int rm_release_ms_per_mib = 1000;
module_param(rm_release_ms_per_mib, uint, 0644);
MODULE_PARM_DESC(rm_release_ms_per_mib,
		 "Wait for the RM's release of a VM's memory: rm_timeout_ms + this per MiB the RM holds");

#define GH_VM_DTB_MAX	SZ_2M	/* the RM reads at most this much devicetree */

/*
 * Test only: pretend to be an older or a different kernel, so that the
 * daemon's degraded paths run against the real module (docs/kmod.md).
 * Read at GH_CREATE_VM and at each ioctl; set them at load time.
 */
static bool extensions = true;
module_param(extensions, bool, 0444);
MODULE_PARM_DESC(extensions,
		 "Test only: N hides GH_VM_GET_STATUS, GH_VM_STOP (-ENOTTY) and VM fd poll, as the seed's kernel");

static bool android_lend;
module_param(android_lend, bool, 0444);
MODULE_PARM_DESC(android_lend,
		 "Test only: Y refuses GH_MEM_LENT and lends through GH_VM_ANDROID_LEND_USER_MEM, as Android's kernel");

static struct device *gh_vm_dev(const struct gh_vm *vm)
{
	return vm->mgr->misc.this_device;
}

/* ---------------------------------------------------------------------------
 * Status
 */

static u8 gh_vm_rm_status(const struct gh_vm *vm)
{
	return READ_ONCE(vm->status.rm_status);
}

/* Context: vm->status_lock held */
static void gh_vm_status_changed(struct gh_vm *vm)
{
	vm->status_seq++;
	wake_up_all(&vm->status_wq);
}

/* Context: vm->status_lock held */
static void gh_vm_set_rm_status(struct gh_vm *vm, u8 rm_status)
{
	if (vm->status.rm_status == rm_status)
		return;
	WRITE_ONCE(vm->status.rm_status, rm_status);
	gh_vm_status_changed(vm);
}

/*
 * The effect of one of the module's own successful calls: the status moves
 * to @to only from one of the states in @from, so that a notification the
 * receive worker already applied (the guest exited right after VM_START,
 * say) is never overwritten by the older news of the call's reply.
 */
static void gh_vm_advance(struct gh_vm *vm, unsigned long from, u8 to)
{
	u8 rm_status;

	mutex_lock(&vm->status_lock);
	rm_status = vm->status.rm_status;
	/* a notification may have brought any value */
	if (rm_status < BITS_PER_LONG && (BIT(rm_status) & from))
		gh_vm_set_rm_status(vm, to);
	mutex_unlock(&vm->status_lock);
}

static void gh_vm_start_failed(struct gh_vm *vm)
{
	mutex_lock(&vm->status_lock);
	vm->status.exit_status = GH_VM_EXIT_STATUS_LOAD_FAILED;
	gh_vm_status_changed(vm);
	mutex_unlock(&vm->status_lock);
}

/*
 * The VM a notification is about: an open one first (a VMID the RM freed
 * may belong to a new VM already), else one being torn down or a zombie.
 * Context: mgr->lock held
 */
static struct gh_vm *gh_vm_mgr_find(struct gh_vm_mgr *mgr, u16 vmid)
{
	struct gh_vm *vm;

	list_for_each_entry(vm, &mgr->vms, node)
		if (vm->vmid == vmid)
			return vm;
	list_for_each_entry(vm, &mgr->dying, node)
		if (vm->vmid == vmid)
			return vm;
	return NULL;
}

static bool gh_vm_rm_running(u8 rm_status)
{
	return rm_status == GH_RM_VM_STATUS_RUNNING || rm_status == GH_RM_VM_STATUS_PAUSED;
}

/* Whether the news a zombie waits for came. Context: mgr->lock held */
static bool gh_vm_zombie_unstuck(struct gh_vm *vm)
{
	u8 rm_status = gh_vm_rm_status(vm);

	switch (vm->stuck) {
	case GH_VM_STUCK_EXIT:
		return !gh_vm_rm_running(rm_status);
	case GH_VM_STUCK_RESETTING:
		/* the unanswered VM_RESET was taken: wait for its RESET again */
		return rm_status == GH_RM_VM_STATUS_RESETTING ||
		       rm_status == GH_RM_VM_STATUS_RESET;
	case GH_VM_STUCK_RESET:
		return rm_status == GH_RM_VM_STATUS_RESET;
	default:
		return false;
	}
}

/* A notification reached @vm: resume a zombie's teardown. Context: mgr->lock held */
static void gh_vm_zombie_kick(struct gh_vm_mgr *mgr, struct gh_vm *vm)
{
	if (vm->zombie && gh_vm_zombie_unstuck(vm))
		queue_work(mgr->reap_wq, &vm->reap_work);
}

static void gh_vm_mgr_vm_status(struct gh_vm_mgr *mgr, const struct gh_rm_notification *n)
{
	struct gh_rm_vm_status st;
	struct gh_vm *vm;

	if (gh_rm_dec_vm_status(n->payload, n->len, &st)) {
		pr_warn_ratelimited("malformed VM_STATUS notification (%zu bytes)\n", n->len);
		return;
	}

	mutex_lock(&mgr->lock);
	vm = gh_vm_mgr_find(mgr, st.vmid);
	if (vm) {
		mutex_lock(&vm->status_lock);
		if (vm->status.os_status != st.os_status) {
			vm->status.os_status = st.os_status;
			gh_vm_status_changed(vm);
		}
		gh_vm_set_rm_status(vm, st.vm_status);
		mutex_unlock(&vm->status_lock);
		gh_vm_zombie_kick(mgr, vm);
	}
	mutex_unlock(&mgr->lock);
}

static void gh_vm_mgr_vm_exited(struct gh_vm_mgr *mgr, const struct gh_rm_notification *n)
{
	struct gh_rm_vm_exited ex;
	struct gh_vm *vm;
	u32 size;

	if (gh_rm_dec_vm_exited(n->payload, n->len, &ex)) {
		pr_warn_ratelimited("malformed VM_EXITED notification (%zu bytes)\n", n->len);
		return;
	}
	size = min_t(u32, ex.exit_reason_size, GH_VM_MAX_EXIT_REASON_SIZE);

	mutex_lock(&mgr->lock);
	vm = gh_vm_mgr_find(mgr, ex.vmid);
	if (vm) {
		mutex_lock(&vm->status_lock);
		WRITE_ONCE(vm->status.rm_status, GH_RM_VM_STATUS_EXITED);
		vm->status.exit_status = GH_VM_EXIT_STATUS_EXITED;
		vm->status.exit_type = ex.exit_type;
		vm->status.exit_reason_size = size;
		memset(vm->status.exit_reason, 0, sizeof(vm->status.exit_reason));
		memcpy(vm->status.exit_reason, ex.exit_reason, size);
		gh_vm_status_changed(vm);
		mutex_unlock(&vm->status_lock);
		if (vm->console)
			gh_vm_console_exited(vm->console);
		gh_vm_zombie_kick(mgr, vm);
	}
	mutex_unlock(&mgr->lock);
}

static void gh_vm_mgr_console_chars(struct gh_vm_mgr *mgr, const struct gh_rm_notification *n)
{
	struct gh_rm_console_chars c;
	struct gh_vm *vm;

	if (gh_rm_dec_console_chars(n->payload, n->len, &c)) {
		pr_warn_ratelimited("malformed VM_CONSOLE_CHARS notification (%zu bytes)\n", n->len);
		return;
	}
	mutex_lock(&mgr->lock);
	vm = gh_vm_mgr_find(mgr, c.vmid);
	if (vm && vm->console)
		gh_vm_console_chars(vm->console, c.bytes, c.num_bytes);
	mutex_unlock(&mgr->lock);
}

/* RM notifications, from the RM client's receive worker */
static int gh_vm_mgr_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct gh_vm_mgr *mgr = container_of(nb, struct gh_vm_mgr, nb);

	switch (action) {
	case GH_RM_NOTIF_VM_STATUS:
		gh_vm_mgr_vm_status(mgr, data);
		break;
	case GH_RM_NOTIF_VM_EXITED:
		gh_vm_mgr_vm_exited(mgr, data);
		break;
	case GH_RM_NOTIF_VM_CONSOLE_CHARS:
		gh_vm_mgr_console_chars(mgr, data);
		break;
	default:
		break;
	}
	return NOTIFY_OK;
}

/* ---------------------------------------------------------------------------
 * Regions and devicetree
 */

/* Argument checks of a region to add: -EINVAL, -EOVERFLOW or 0 */
static int gh_vm_region_check(const struct gh_userspace_memory_region *r)
{
	if (!PAGE_ALIGNED(r->memory_size) || !PAGE_ALIGNED(r->userspace_addr) ||
	    !PAGE_ALIGNED(r->guest_phys_addr))
		return -EINVAL;
	/* gpa + size may be exactly 2^64: only a last byte beyond that overflows */
	if (r->memory_size - 1 > U64_MAX - r->guest_phys_addr)
		return -EOVERFLOW;
	return 0;
}

/* Context: vm->lock held */
static struct gh_vm_region *gh_vm_region_find(struct gh_vm *vm, u32 label)
{
	struct gh_vm_region *reg;

	list_for_each_entry(reg, &vm->regions, node)
		if (reg->label == label)
			return reg;
	return NULL;
}

/* -EEXIST when the label is taken or [gpa, gpa + size) overlaps a region. Context: vm->lock held */
static int gh_vm_region_conflict(struct gh_vm *vm, const struct gh_userspace_memory_region *r)
{
	u64 first = r->guest_phys_addr, last = first + r->memory_size - 1;
	struct gh_vm_region *reg;

	list_for_each_entry(reg, &vm->regions, node) {
		if (reg->label == r->label)
			return -EEXIST;
		if (!(last < reg->gpa || first > reg->gpa + reg->size - 1))
			return -EEXIST;
	}
	return 0;
}

/* Context: vm->lock held; takes mgr->lock, the parcel read walks the list */
static void gh_vm_region_insert(struct gh_vm *vm, struct gh_vm_region *new)
{
	struct list_head *pos = &vm->regions;
	struct gh_vm_region *reg;

	list_for_each_entry(reg, &vm->regions, node) {
		if (reg->label > new->label) {
			pos = &reg->node;
			break;
		}
	}
	mutex_lock(&vm->mgr->lock);
	list_add_tail(&new->node, pos);
	mutex_unlock(&vm->mgr->lock);
}

/* Context: vm->lock held; takes mgr->lock */
static void gh_vm_region_remove(struct gh_vm *vm, struct gh_vm_region *reg)
{
	mutex_lock(&vm->mgr->lock);
	list_del(&reg->node);
	mutex_unlock(&vm->mgr->lock);
}

/* Delete a region that was never lent or shared. Context: vm->lock held */
static int gh_vm_region_delete(struct gh_vm *vm, u32 label)
{
	struct gh_vm_region *reg = gh_vm_region_find(vm, label);

	if (!reg)
		return -ENODEV;
	gh_vm_region_remove(vm, reg);
	gh_vm_region_unpin(reg);
	return 0;
}

/*
 * @android: the region came through GH_VM_ANDROID_LEND_USER_MEM (only with
 * the android_lend parameter): lent, and GH_MEM_LENT itself is a reserved
 * bit there, as it is for GH_VM_SET_USER_MEM_REGION on Android's kernel.
 */
static long gh_vm_ioctl_set_user_mem_region(struct gh_vm *vm, void __user *argp, bool android)
{
	struct gh_userspace_memory_region r;
	struct gh_vm_region *reg;
	int invalid, ret;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (r.flags & ~GH_MEM_VALID_FLAGS)
		return -EINVAL;
	if (android_lend && (r.flags & GH_MEM_LENT))
		return -EINVAL;
	if (android)
		r.flags |= GH_MEM_LENT;
	/*
	 * Checked here, reported below: a started VM (-EBUSY) and a deletion
	 * (size 0) take precedence over the arguments of an addition, as in the
	 * simulated backend that defines these semantics.
	 */
	invalid = r.memory_size ? gh_vm_region_check(&r) : 0;

	mutex_lock(&vm->lock);
	if (vm->start != GH_VM_NOT_STARTED) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (!r.memory_size) {
		ret = gh_vm_region_delete(vm, r.label);
		goto out_unlock;
	}
	ret = invalid;
	if (ret)
		goto out_unlock;
	ret = gh_vm_region_conflict(vm, &r);
	if (ret)
		goto out_unlock;

	reg = gh_vm_region_pin(&r);
	if (IS_ERR(reg)) {
		ret = PTR_ERR(reg);
		goto out_unlock;
	}
	gh_vm_region_insert(vm, reg);

out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

static long gh_vm_ioctl_set_dtb_config(struct gh_vm *vm, void __user *argp)
{
	struct gh_vm_dtb_config c;
	u64 size;
	int ret = 0;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	size = (c.size + PAGE_SIZE - 1) & PAGE_MASK;
	if (size < c.size || c.gpa + size < c.gpa)
		return -EOVERFLOW;

	mutex_lock(&vm->lock);
	if (vm->start != GH_VM_NOT_STARTED) {
		ret = -EBUSY;
		goto out_unlock;
	}
	vm->dtb.gpa = c.gpa;
	vm->dtb.size = size;
	vm->has_dtb = true;

out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

/* ---------------------------------------------------------------------------
 * Start
 */

/* The region holding the whole devicetree. Context: vm->lock held */
static struct gh_vm_region *gh_vm_dtb_region(struct gh_vm *vm)
{
	u64 first = vm->dtb.gpa, last = first + vm->dtb.size - 1;
	struct gh_vm_region *reg;

	if (!vm->has_dtb || !vm->dtb.size)
		return NULL;
	list_for_each_entry(reg, &vm->regions, node)
		if (first >= reg->gpa && last <= reg->gpa + reg->size - 1)
			return reg;
	return NULL;
}

static u8 gh_vm_acl_perms(u32 flags)
{
	u8 perms = 0;

	if (flags & GH_MEM_ALLOW_READ)
		perms |= GH_RM_ACL_R;
	if (flags & GH_MEM_ALLOW_WRITE)
		perms |= GH_RM_ACL_W;
	if (flags & GH_MEM_ALLOW_EXEC)
		perms |= GH_RM_ACL_X;
	return perms;
}

/*
 * MEM_LEND a lent region (ACL: the guest) or MEM_SHARE a shared one (ACL:
 * the guest, and the host with RWX). Context: vm->lock held
 */
static int gh_vm_region_give(struct gh_vm *vm, struct gh_vm_region *reg, u16 host_vmid)
{
	bool lent = reg->flags & GH_MEM_LENT;
	struct gh_rm_acl_entry acl[2] = {
		{ .vmid = vm->vmid, .perms = gh_vm_acl_perms(reg->flags) },
		{ .vmid = host_vmid, .perms = GH_RM_ACL_RWX },
	};
	struct gh_rm_mem_share_args args = {
		.mem_type = GH_RM_MEM_TYPE_NORMAL,
		.label = reg->label,
		.acl = acl,
		.n_acl = lent ? 1 : 2,
		.mem = reg->sgl,
		.n_mem = reg->n_sgl,
	};

	return gh_rm_mem_share(vm->rm, lent ? GH_RM_MEM_LEND : GH_RM_MEM_SHARE, &args,
			       &reg->handle, &reg->handle_unknown);
}

/*
 * Whether the devicetree gives the guest an RM-RPC link. Read before any
 * region is lent: lent pages leave the host. Context: vm->lock held
 */
static bool gh_vm_dtb_rm_rpc(struct gh_vm *vm, struct gh_vm_region *dtb_reg)
{
	u64 offset = vm->dtb.gpa - dtb_reg->gpa;
	size_t len = min_t(u64, vm->dtb.size, GH_VM_DTB_MAX);
	__be32 hdr[2];	/* magic, totalsize */
	bool found;
	void *blob;

	/* The RM reads fdt_totalsize bytes: no more is needed */
	if (len < sizeof(hdr) || gh_vm_region_read(dtb_reg, offset, hdr, sizeof(hdr)))
		return false;
	len = min_t(size_t, len, be32_to_cpu(hdr[1]));
	blob = kvmalloc(len, GFP_KERNEL);
	if (!blob)
		return false;
	found = !gh_vm_region_read(dtb_reg, offset, blob, len) && gh_vm_dtb_has_rm_rpc(blob, len);
	kvfree(blob);
	return found;
}

/* After a VM_INIT or VM_START that the RM refused, the RM's VM is INIT_FAILED */
static void gh_vm_refused(struct gh_vm *vm, int ret, unsigned long from)
{
	if (ret != -ETIMEDOUT)
		gh_vm_advance(vm, from, GH_RM_VM_STATUS_INIT_FAILED);
}

/* The golden sequence. Context: vm->lock held */
static int gh_vm_start(struct gh_vm *vm)
{
	struct gh_rm_vm_config_image_req image = { .vmid = vm->vmid };
	struct gh_vm_region *dtb_reg, *reg;
	u16 host_vmid = 0;
	bool shares = false;
	u32 n_resources;
	int ret;

	/* Nothing reaches the RM for a VM that cannot start. */
	dtb_reg = gh_vm_dtb_region(vm);
	if (!dtb_reg)
		return -EINVAL;
	vm->has_rm_rpc = gh_vm_dtb_rm_rpc(vm, dtb_reg);

	list_for_each_entry(reg, &vm->regions, node)
		shares |= !(reg->flags & GH_MEM_LENT);
	if (shares) {
		ret = gh_rm_get_host_vmid(vm->rm, &host_vmid);
		if (ret)
			return ret;
	}

	list_for_each_entry(reg, &vm->regions, node) {
		ret = gh_vm_region_give(vm, reg, host_vmid);
		if (ret)
			return ret;
	}

	image.auth_mech = GH_RM_VM_AUTH_NONE;
	image.mem_handle = dtb_reg->handle;
	image.dtb_offset = vm->dtb.gpa - dtb_reg->gpa;
	image.dtb_size = vm->dtb.size;
	ret = gh_rm_vm_config_image(vm->rm, &image);
	if (ret)
		return ret;
	gh_vm_advance(vm, BIT(GH_RM_VM_STATUS_LOAD) | BIT(GH_RM_VM_STATUS_RESET),
		      GH_RM_VM_STATUS_INIT);

	ret = gh_rm_vm_init(vm->rm, vm->vmid);
	if (ret) {
		gh_vm_refused(vm, ret, BIT(GH_RM_VM_STATUS_INIT));
		return ret;
	}
	gh_vm_advance(vm, BIT(GH_RM_VM_STATUS_INIT), GH_RM_VM_STATUS_READY);

	ret = gh_rm_vm_get_hyp_resources(vm->rm, vm->vmid, &n_resources);
	if (ret)
		return ret;

	/* Before the guest runs: the RM keeps no output of an unopened console */
	if (vm->console) {
		ret = gh_vm_console_open(vm->console);
		if (ret)
			dev_dbg_ratelimited(gh_vm_dev(vm), "VM %#x: no console: %d\n", vm->vmid,
					    ret);
	}

	ret = gh_rm_vm_start(vm->rm, vm->vmid);
	if (ret) {
		gh_vm_refused(vm, ret, BIT(GH_RM_VM_STATUS_READY));
		return ret;
	}
	gh_vm_advance(vm, BIT(GH_RM_VM_STATUS_READY), GH_RM_VM_STATUS_RUNNING);
	return 0;
}

static long gh_vm_ioctl_start(struct gh_vm *vm)
{
	int ret = 0;

	mutex_lock(&vm->lock);
	switch (vm->start) {
	case GH_VM_STARTED:
		break;
	case GH_VM_START_FAILED:
		ret = -EINVAL;
		break;
	case GH_VM_NOT_STARTED:
		ret = gh_vm_start(vm);
		if (ret) {
			vm->start = GH_VM_START_FAILED;
			gh_vm_start_failed(vm);
			if (vm->console)
				gh_vm_console_abandon(vm->console);
			dev_dbg_ratelimited(gh_vm_dev(vm), "VM %#x: start failed: %d\n", vm->vmid,
					    ret);
		} else {
			vm->start = GH_VM_STARTED;
		}
		break;
	}
	mutex_unlock(&vm->lock);
	return ret;
}

/* ---------------------------------------------------------------------------
 * Stop and status
 */

static long gh_vm_ioctl_stop(struct gh_vm *vm, void __user *argp)
{
	struct gh_vm_stop stop;
	int ret;

	if (copy_from_user(&stop, argp, sizeof(stop)))
		return -EFAULT;
	if (stop.flags & ~GH_VM_STOP_FORCE)
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (gh_vm_rm_status(vm) != GH_RM_VM_STATUS_RUNNING) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (stop.flags & GH_VM_STOP_FORCE)
		ret = gh_rm_vm_stop(vm->rm, vm->vmid, GH_RM_VM_STOP_FLAG_FORCE,
				    GH_RM_VM_STOP_REASON_FORCE_STOP);
	else if (!vm->has_rm_rpc)
		/* The RM would send VM_SHUTDOWN over a link the guest lacks, and exit */
		ret = -ENOLINK;
	else
		ret = gh_rm_vm_stop(vm->rm, vm->vmid, 0, stop.reason);

out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

static long gh_vm_ioctl_get_status(struct gh_vm *vm, void __user *argp)
{
	struct gh_vm_status st;

	mutex_lock(&vm->status_lock);
	st = vm->status;
	vm->read_seq = vm->status_seq;
	mutex_unlock(&vm->status_lock);

	if (copy_to_user(argp, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static long gh_vm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct gh_vm *vm = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case GH_VM_SET_USER_MEM_REGION:
		return gh_vm_ioctl_set_user_mem_region(vm, argp, false);
	case GH_VM_ANDROID_LEND_USER_MEM:
		if (!android_lend)
			return -ENOTTY;
		return gh_vm_ioctl_set_user_mem_region(vm, argp, true);
	case GH_VM_SET_DTB_CONFIG:
		return gh_vm_ioctl_set_dtb_config(vm, argp);
	case GH_VM_START:
		return gh_vm_ioctl_start(vm);
	case GH_VM_GET_STATUS:
		if (!extensions)
			return -ENOTTY;
		return gh_vm_ioctl_get_status(vm, argp);
	case GH_VM_STOP:
		if (!extensions)
			return -ENOTTY;
		return gh_vm_ioctl_stop(vm, argp);
	case GH_VM_OPEN_CONSOLE:
		if (!vm->console)
			return -ENOTTY;
		return gh_vm_console_open_fd(vm->console);
	default:
		return -ENOTTY;
	}
}

static __poll_t gh_vm_poll(struct file *file, poll_table *wait)
{
	struct gh_vm *vm = file->private_data;
	bool changed;

	poll_wait(file, &vm->status_wq, wait);
	mutex_lock(&vm->status_lock);
	changed = vm->status_seq != vm->read_seq;
	mutex_unlock(&vm->status_lock);
	return changed ? EPOLLIN | EPOLLRDNORM : 0;
}

/* ---------------------------------------------------------------------------
 * Teardown
 */

static void gh_vm_free(struct gh_vm *vm)
{
	gh_vm_console_put(vm->console);
	mutex_destroy(&vm->status_lock);
	mutex_destroy(&vm->lock);
	kfree(vm);
}

/*
 * How long the RM may take from VM_RESET to RESET: it releases every parcel
 * it holds for the VM first. rm_timeout_ms + rm_release_ms_per_mib for each
 * MiB (rounded up) of those parcels. Context: vm->lock held
 */
static unsigned long gh_vm_release_timeout(struct gh_vm *vm)
{
	struct gh_vm_region *reg;
	u64 bytes = 0, ms;

	list_for_each_entry(reg, &vm->regions, node)
		if (reg->handle != GH_RM_MEM_HANDLE_INVALID || reg->handle_unknown)
			bytes += reg->size;
	ms = (u64)READ_ONCE(rm_release_ms_per_mib) * DIV_ROUND_UP_ULL(bytes, SZ_1M);
	return gh_rm_timeout() + msecs_to_jiffies(min_t(u64, ms, U32_MAX / 2));
}

/*
 * Bring the RM's VM to LOAD or RESET, where its parcels can be reclaimed and
 * its VMID freed. Returns NULL, or why the VM must be left alone for now
 * (*ret_stuck: the news that would let it go on): the RM did not answer,
 * or the VM never got where it should. A refused VM_RESET is no such
 * reason: the RM only protects a guest's memory better than the module
 * could, and the reclaims that follow find out.
 * Context: vm->lock held
 */
static const char *gh_vm_teardown_rm_state(struct gh_vm *vm, enum gh_vm_stuck *ret_stuck)
{
	u8 rm_status = gh_vm_rm_status(vm);
	unsigned long limit;
	long left;
	int ret;

	*ret_stuck = GH_VM_STUCK_EXIT;
	if (gh_vm_rm_running(rm_status)) {
		ret = gh_rm_vm_stop(vm->rm, vm->vmid, GH_RM_VM_STOP_FLAG_FORCE,
				    GH_RM_VM_STOP_REASON_FORCE_STOP);
		if (ret == -ETIMEDOUT)
			return "no reply to VM_STOP";
		/* Refused, the VM may just be exiting: its exit decides. */
		if (!wait_event_timeout(vm->status_wq, !gh_vm_rm_running(gh_vm_rm_status(vm)),
					gh_rm_timeout()))
			return "the VM did not exit";
		rm_status = gh_vm_rm_status(vm);
	}

	switch (rm_status) {
	case GH_RM_VM_STATUS_EXITED:
	case GH_RM_VM_STATUS_READY:
	case GH_RM_VM_STATUS_INIT_FAILED:
		*ret_stuck = GH_VM_STUCK_RESETTING;
		ret = gh_rm_vm_reset(vm->rm, vm->vmid);
		if (ret == -ETIMEDOUT)
			return "no reply to VM_RESET";
		if (ret) {
			dev_dbg_ratelimited(gh_vm_dev(vm), "VM %#x: VM_RESET refused: %d\n",
					    vm->vmid, ret);
			break;
		}
		fallthrough;
	case GH_RM_VM_STATUS_RESETTING:
		/* The RM answers nobody while it releases: calls meanwhile wait longer. */
		*ret_stuck = GH_VM_STUCK_RESET;
		limit = gh_vm_release_timeout(vm);
		gh_rm_release_begin(vm->rm, limit);
		left = wait_event_timeout(vm->status_wq,
					  gh_vm_rm_status(vm) == GH_RM_VM_STATUS_RESET, limit);
		gh_rm_release_end(vm->rm);
		if (!left)
			return "the VM did not reset";
		break;
	default:
		break;
	}
	*ret_stuck = GH_VM_STUCK_NOT;
	return NULL;
}

/*
 * One attempt at the teardown of a VM on mgr->dying. Driven by the RM
 * state, never by a fixed list: RUNNING -> VM_STOP(force), wait for EXITED;
 * EXITED, READY, INIT_FAILED -> VM_RESET, wait for RESET; then MEM_RECLAIM
 * every parcel; LOAD or RESET -> VM_DEALLOCATE. Only reclaimed (or never
 * given) pages are unpinned. Returns NULL when the VM is gone from the RM
 * and unpinned, or why not; then *ret_kept is the pages that stay pinned and
 * *ret_stuck what RM news could let a new attempt finish.
 */
static const char *gh_vm_teardown_once(struct gh_vm *vm, unsigned long *ret_kept,
				       enum gh_vm_stuck *ret_stuck)
{
	struct gh_vm_region *reg, *tmp;
	unsigned long kept = 0;
	const char *why;
	u8 rm_status;
	int ret;

	mutex_lock(&vm->lock);
	why = gh_vm_teardown_rm_state(vm, ret_stuck);

	if (!why) {
		list_for_each_entry(reg, &vm->regions, node) {
			if (reg->handle_unknown)
				why = "a MEM_LEND/MEM_SHARE got no reply";
			if (reg->handle == GH_RM_MEM_HANDLE_INVALID)
				continue;
			ret = gh_rm_mem_reclaim(vm->rm, reg->handle);
			if (ret) {
				why = "MEM_RECLAIM failed";
				continue;
			}
			reg->handle = GH_RM_MEM_HANDLE_INVALID;
		}
	}

	rm_status = gh_vm_rm_status(vm);
	if (!why && (rm_status == GH_RM_VM_STATUS_LOAD || rm_status == GH_RM_VM_STATUS_RESET)) {
		ret = gh_rm_vm_dealloc_vmid(vm->rm, vm->vmid);
		if (ret)
			why = "VM_DEALLOCATE failed";
	} else if (!why && rm_status != GH_RM_VM_STATUS_NO_STATE) {
		why = "the RM keeps the VMID";
	}

	list_for_each_entry_safe(reg, tmp, &vm->regions, node) {
		if (reg->handle != GH_RM_MEM_HANDLE_INVALID || reg->handle_unknown) {
			kept += reg->npages;
			continue;
		}
		list_del(&reg->node);
		gh_vm_region_unpin(reg);
	}
	mutex_unlock(&vm->lock);
	*ret_kept = kept;
	return why;
}

/*
 * Closing the VM fd: see gh_vm_teardown_once(). If a reclaim fails or the RM
 * stays silent, the VM becomes a zombie, logged and counted (module
 * parameter zombies): it keeps the pages the guest may still own, and with
 * them a module reference. A zombie that waits for RM news (a reply or a
 * notification that comes too late) stays listed, and the news resumes its
 * teardown (gh_vm_reap()); one that holds no page and waits for nothing is
 * freed, counted for good.
 */
static void gh_vm_teardown(struct gh_vm *vm)
{
	struct gh_vm_mgr *mgr = vm->mgr;
	enum gh_vm_stuck stuck;
	unsigned long kept;
	const char *why;

	/* Off the open list: no parcel read reaches it; notifications still do. */
	mutex_lock(&mgr->lock);
	list_move_tail(&vm->node, &mgr->dying);
	mutex_unlock(&mgr->lock);

	/* Console fds may outlive the VM: they read what is left, then EOF */
	if (vm->console)
		gh_vm_console_teardown(vm->console);

	why = gh_vm_teardown_once(vm, &kept, &stuck);
	mutex_lock(&mgr->lock);
	if (!why || (!kept && stuck == GH_VM_STUCK_NOT))
		list_del(&vm->node);
	mutex_unlock(&mgr->lock);
	if (!why) {
		gh_vm_free(vm);
		return;
	}

	dev_warn_ratelimited(gh_vm_dev(vm), "VM %#x (RM state %s) is a zombie: %s; %lu pages stay pinned\n",
			     vm->vmid, gh_rm_vm_state_name(gh_vm_rm_status(vm)), why, kept);
	atomic_long_inc(&gh_vm_zombies);
	if (!kept && stuck == GH_VM_STUCK_NOT) {
		/* Only the RM's VMID is lost: nothing of the host's to keep track of */
		gh_vm_free(vm);
		return;
	}
	if (kept) {
		/* The only record of pages the guest may own: the module must stay. */
		__module_get(THIS_MODULE);
		vm->holds_module = true;
	}
	mutex_lock(&mgr->lock);
	vm->zombie = true;
	vm->stuck = stuck;
	/* The news may have come between the give-up and now. */
	gh_vm_zombie_kick(mgr, vm);
	mutex_unlock(&mgr->lock);
}

/*
 * RM news reached a zombie (gh_vm_zombie_kick()): try the teardown again.
 * On success the zombie is uncounted, its pages unpinned and its module
 * reference dropped; reap_wq is the module's own, and destroying it at
 * unload waits for this function to return.
 */
static void gh_vm_reap(struct work_struct *work)
{
	struct gh_vm *vm = container_of(work, struct gh_vm, reap_work);
	struct gh_vm_mgr *mgr = vm->mgr;
	enum gh_vm_stuck stuck;
	unsigned long kept;
	const char *why;
	bool put;

	why = gh_vm_teardown_once(vm, &kept, &stuck);
	mutex_lock(&mgr->lock);
	if (why) {
		dev_dbg_ratelimited(gh_vm_dev(vm), "zombie VM %#x: still %s\n", vm->vmid, why);
		vm->stuck = stuck;
		gh_vm_zombie_kick(mgr, vm);
		/* The RM gave back every page: nothing to hold the module for */
		put = !kept && vm->holds_module;
		if (put)
			vm->holds_module = false;
		mutex_unlock(&mgr->lock);
		if (put)
			module_put(THIS_MODULE);
		return;
	}
	list_del(&vm->node);
	mutex_unlock(&mgr->lock);
	/* Off the list, no news can queue it again; drop a queued attempt. */
	cancel_work(&vm->reap_work);

	dev_info_ratelimited(gh_vm_dev(vm), "VM %#x: the RM completed its teardown late; no longer a zombie\n",
			     vm->vmid);
	atomic_long_dec(&gh_vm_zombies);
	put = vm->holds_module;
	gh_vm_free(vm);
	if (put)
		module_put(THIS_MODULE);
}

static void gh_vm_release_work(struct work_struct *work)
{
	struct gh_vm *vm = container_of(work, struct gh_vm, release_work);

	gh_vm_teardown(vm);
	/* Unload waits for reap_wq to drain, so returning from here is safe */
	module_put(THIS_MODULE);
}

/*
 * The last close tears the VM down, waiting for the RM (seconds, more for
 * a large release). init must not wait: systemd closes a VM fd itself when
 * it drops a service's fd store, and a blocked PID 1 stalls the whole
 * system. Its close queues the teardown on reap_wq, which holds the module
 * until done; anyone else's close returns once the VM is gone.
 */
static int gh_vm_release(struct inode *inode, struct file *file)
{
	struct gh_vm *vm = file->private_data;

	if (is_global_init(current)) {
		__module_get(THIS_MODULE);
		queue_work(vm->mgr->reap_wq, &vm->release_work);
		return 0;
	}
	gh_vm_teardown(vm);
	return 0;
}

static const struct file_operations gh_vm_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = gh_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = gh_vm_poll,
	.release = gh_vm_release,
	.llseek = noop_llseek,
};

/* extensions=N: no .poll, so poll() always reports the fd ready, as in v9 */
static const struct file_operations gh_vm_fops_noext = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = gh_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = gh_vm_release,
	.llseek = noop_llseek,
};

/* ---------------------------------------------------------------------------
 * /dev/gunyah
 */

static struct gh_vm *gh_vm_alloc(struct gh_vm_mgr *mgr)
{
	struct gh_vm *vm;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return NULL;
	vm->mgr = mgr;
	vm->rm = mgr->rm;
	mutex_init(&vm->lock);
	INIT_LIST_HEAD(&vm->regions);
	vm->start = GH_VM_NOT_STARTED;
	mutex_init(&vm->status_lock);
	init_waitqueue_head(&vm->status_wq);
	INIT_LIST_HEAD(&vm->node);
	INIT_WORK(&vm->reap_work, gh_vm_reap);
	INIT_WORK(&vm->release_work, gh_vm_release_work);
	return vm;
}

static long gh_dev_ioctl_create_vm(struct gh_vm_mgr *mgr, unsigned long arg)
{
	struct file *file;
	struct gh_vm *vm;
	int fd, ret;

	if (arg)
		return -EINVAL;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	vm = gh_vm_alloc(mgr);
	if (!vm) {
		ret = -ENOMEM;
		goto out_put_fd;
	}

	/* NORESOURCE, no VMID left, is -ENODEV */
	ret = gh_rm_vm_alloc_vmid(mgr->rm, &vm->vmid);
	if (ret)
		goto out_free_vm;
	vm->status.vmid = vm->vmid;
	vm->status.rm_status = GH_RM_VM_STATUS_LOAD;

	if (extensions) {
		vm->console = gh_vm_console_create(mgr->rm, vm->vmid);
		if (!vm->console) {
			ret = -ENOMEM;
			goto out_dealloc_vmid;
		}
	}

	file = anon_inode_getfile("gunyah-vm", extensions ? &gh_vm_fops : &gh_vm_fops_noext, vm,
				  O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_dealloc_vmid;
	}

	/* Complete: from here RM notifications reach it */
	mutex_lock(&mgr->lock);
	list_add_tail(&vm->node, &mgr->vms);
	mutex_unlock(&mgr->lock);

	fd_install(fd, file);
	return fd;

out_dealloc_vmid:
	if (gh_rm_vm_dealloc_vmid(mgr->rm, vm->vmid))
		dev_warn_ratelimited(mgr->misc.this_device, "VMID %#x could not be freed\n",
				     vm->vmid);
out_free_vm:
	gh_vm_free(vm);
out_put_fd:
	put_unused_fd(fd);
	return ret;
}

static long gh_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct miscdevice *misc = file->private_data;
	struct gh_vm_mgr *mgr = container_of(misc, struct gh_vm_mgr, misc);

	switch (cmd) {
	case GH_CREATE_VM:
		return gh_dev_ioctl_create_vm(mgr, arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations gh_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = gh_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * gh_vm_mgr_create() - Create the VM manager of an RM client
 * @rm: the RM client
 *
 * /dev/gunyah appears only with gh_vm_mgr_register().
 *
 * Context: Process context.
 * Return: the manager or an ERR_PTR().
 */
struct gh_vm_mgr *gh_vm_mgr_create(struct gh_rm *rm)
{
	struct gh_vm_mgr *mgr;
	int ret;

	mgr = kzalloc(sizeof(*mgr), GFP_KERNEL);
	if (!mgr)
		return ERR_PTR(-ENOMEM);
	mgr->rm = rm;
	mutex_init(&mgr->lock);
	INIT_LIST_HEAD(&mgr->vms);
	INIT_LIST_HEAD(&mgr->dying);
	/* Not ordered: a zombie waiting for its RESET holds up no other */
	mgr->reap_wq = alloc_workqueue("gh_vm_reap", WQ_UNBOUND, 0);
	if (!mgr->reap_wq) {
		kfree(mgr);
		return ERR_PTR(-ENOMEM);
	}
	mgr->misc.minor = MISC_DYNAMIC_MINOR;
	mgr->misc.name = "gunyah";
	mgr->misc.fops = &gh_dev_fops;
	mgr->misc.mode = 0660;

	mgr->nb.notifier_call = gh_vm_mgr_notify;
	ret = gh_rm_register_notifier(rm, &mgr->nb);
	if (ret) {
		destroy_workqueue(mgr->reap_wq);
		kfree(mgr);
		return ERR_PTR(ret);
	}
	return mgr;
}

/**
 * gh_vm_mgr_register() - Create /dev/gunyah
 * @mgr: the manager
 *
 * Context: Process context.
 * Return: 0 or a negative errno.
 */
int gh_vm_mgr_register(struct gh_vm_mgr *mgr)
{
	int ret;

	ret = misc_register(&mgr->misc);
	if (ret)
		return ret;
	mgr->registered = true;
	return 0;
}

/**
 * gh_vm_mgr_unregister() - Remove /dev/gunyah
 * @mgr: the manager
 *
 * Context: Process context.
 */
void gh_vm_mgr_unregister(struct gh_vm_mgr *mgr)
{
	if (!mgr->registered)
		return;
	misc_deregister(&mgr->misc);
	mgr->registered = false;
}

/**
 * gh_vm_mgr_destroy() - Free the manager
 * @mgr: the manager, unregistered; VM fds and zombies with pages hold module
 *       references, so only zombies without pages can be left: the RM's
 *       news will not reach them any more, they are freed
 *
 * Context: Process context.
 */
void gh_vm_mgr_destroy(struct gh_vm_mgr *mgr)
{
	struct gh_vm *vm, *tmp;

	gh_rm_unregister_notifier(mgr->rm, &mgr->nb);
	/* No more news: no attempt can be queued, and the running ones finish */
	destroy_workqueue(mgr->reap_wq);
	list_for_each_entry_safe(vm, tmp, &mgr->dying, node) {
		/* Pages the guest may own stay pinned for good (hvc unbind only) */
		if (vm->holds_module)
			continue;
		list_del(&vm->node);
		gh_vm_free(vm);
	}
	mutex_destroy(&mgr->lock);
	kfree(mgr);
}
