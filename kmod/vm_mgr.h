/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VM manager: /dev/gunyah, VM fds, guest memory (vm_mgr_mem.c).
 */
#ifndef GH_VM_MGR_H
#define GH_VM_MGR_H

#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/gunyah.h>
#include <gunyah/rm-wire.h>

struct gh_rm;
struct gh_vm_console;

/**
 * struct gh_vm_mgr - The VM manager of one RM
 * @rm: the RM client
 * @misc: /dev/gunyah
 * @registered: @misc is registered
 * @nb: RM notifications (VM_STATUS, VM_EXITED)
 * @lock: protects @vms, @dying, the region list of every VM on @vms and the
 *        zombie fields of every VM on @dying. Never held across an RM call;
 *        taken after vm->lock, before vm->status_lock.
 * @vms: VMs whose fd is open, the ones the test-only parcel read can reach
 * @dying: VMs whose fd is closed and whose teardown is not finished: being
 *         torn down, or zombies. RM notifications reach them (after @vms,
 *         which wins for a VMID in both).
 * @reap_wq: resumes the teardown of zombies when the RM's news comes late
 */
struct gh_vm_mgr {
	struct gh_rm *rm;
	struct miscdevice misc;
	bool registered;
	struct notifier_block nb;
	struct mutex lock;		/* see above; after vm->lock, before vm->status_lock */
	struct list_head vms;
	struct list_head dying;
	struct workqueue_struct *reap_wq;
};

/* What a failed teardown waits for: the news that lets it go on */
enum gh_vm_stuck {
	GH_VM_STUCK_NOT,	/* nothing the RM could still say helps */
	GH_VM_STUCK_EXIT,	/* the VM to leave RUNNING */
	GH_VM_STUCK_RESETTING,	/* VM_RESET unanswered: RESETTING or RESET */
	GH_VM_STUCK_RESET,	/* the RESET notification */
};

enum gh_vm_start_state {
	GH_VM_NOT_STARTED,
	GH_VM_STARTED,
	GH_VM_START_FAILED,
};

/**
 * struct gh_vm_region - A region of guest memory, pinned
 * @node: in gh_vm.regions, sorted by label
 * @mm: address space the pages were pinned from (grabbed); they are
 *      accounted to it (RLIMIT_MEMLOCK)
 * @label: the region's (and the parcel's) label
 * @flags: GH_MEM_* flags
 * @gpa: guest physical address
 * @size: bytes
 * @pages: the pinned pages, @npages of them
 * @npages: number of pages
 * @sgl: host physical ranges of @pages, contiguous pages merged
 * @n_sgl: entries in @sgl
 * @handle: the RM parcel; GH_RM_MEM_HANDLE_INVALID while the host owns the
 *          pages (never lent or shared, or reclaimed)
 * @handle_unknown: a MEM_LEND/MEM_SHARE reached the RM and got no reply: the
 *                  parcel may exist, so the pages may no longer be the host's
 */
struct gh_vm_region {
	struct list_head node;
	struct mm_struct *mm;
	u32 label;
	u32 flags;
	u64 gpa;
	u64 size;
	struct page **pages;
	unsigned long npages;
	struct gh_rm_mem_entry *sgl;
	size_t n_sgl;
	u32 handle;
	bool handle_unknown;
};

/**
 * struct gh_vm - A VM, behind one VM fd
 * @mgr: its manager
 * @rm: the RM client
 * @vmid: the RM's VMID, allocated at create
 * @lock: serialises the VM's ioctls and protects @regions (written under
 *        mgr->lock too), @has_dtb, @dtb and @start. Order:
 *        vm->lock -> rm call_lock, vm->lock -> mgr->lock.
 * @regions: guest memory regions, sorted by label
 * @has_dtb: GH_VM_SET_DTB_CONFIG was called
 * @dtb: devicetree location, size page aligned
 * @has_rm_rpc: the devicetree, read at START, gives the guest an RM-RPC link
 *              (a vdevice of type "rm-rpc"): a graceful stop can reach it
 * @start: whether START was issued and how it went
 * @status_lock: protects @status, @status_seq and @read_seq; a leaf lock
 * @status: what GH_VM_GET_STATUS reports; status.rm_status is also read
 *          without the lock (READ_ONCE) by waiters
 * @status_seq: bumped on every change of @status
 * @read_seq: @status_seq at the last GH_VM_GET_STATUS; the fd polls
 *            readable while they differ
 * @status_wq: pollers and teardown waiters
 * @node: in mgr->vms while the fd is open, then in mgr->dying
 * @zombie: the teardown failed once (counted in the zombies parameter);
 *          under mgr->lock
 * @stuck: what the zombie waits for; under mgr->lock
 * @holds_module: the zombie keeps pages pinned and with them a module
 *                reference
 * @reap_work: a new teardown attempt, queued by the RM news @stuck names
 * @release_work: the teardown when init closed the fd (gh_vm_release())
 * @console: its RM console (vm_console.c); NULL with extensions=N
 */
struct gh_vm {
	struct gh_vm_mgr *mgr;
	struct gh_rm *rm;
	u16 vmid;

	struct mutex lock;		/* before rm call_lock and mgr->lock */
	struct list_head regions;
	bool has_dtb;
	struct gh_vm_dtb_config dtb;
	bool has_rm_rpc;
	enum gh_vm_start_state start;

	struct mutex status_lock;	/* leaf */
	struct gh_vm_status status;
	u64 status_seq;
	u64 read_seq;
	wait_queue_head_t status_wq;

	struct list_head node;
	bool zombie;
	enum gh_vm_stuck stuck;
	bool holds_module;
	struct work_struct reap_work;
	struct work_struct release_work;

	struct gh_vm_console *console;
};

struct gh_vm_mgr *gh_vm_mgr_create(struct gh_rm *rm);
int gh_vm_mgr_register(struct gh_vm_mgr *mgr);
void gh_vm_mgr_unregister(struct gh_vm_mgr *mgr);
void gh_vm_mgr_destroy(struct gh_vm_mgr *mgr);

/* vm_mgr_mem.c */
struct gh_vm_region *gh_vm_region_pin(const struct gh_userspace_memory_region *r);
void gh_vm_region_unpin(struct gh_vm_region *reg);
int gh_vm_mgr_read_parcel(void *ctx, u64 phys_addr, u64 size, void __user *buf);
int gh_vm_region_read(const struct gh_vm_region *reg, u64 offset, void *buf, size_t len);

/* vm_console.c */
struct gh_vm_console *gh_vm_console_create(struct gh_rm *rm, u16 vmid);
void gh_vm_console_put(struct gh_vm_console *con);
int gh_vm_console_open(struct gh_vm_console *con);
void gh_vm_console_abandon(struct gh_vm_console *con);
void gh_vm_console_exited(struct gh_vm_console *con);
void gh_vm_console_teardown(struct gh_vm_console *con);
void gh_vm_console_chars(struct gh_vm_console *con, const u8 *bytes, size_t n);
int gh_vm_console_open_fd(struct gh_vm_console *con);

/* vm_dtb.c */
bool gh_vm_dtb_has_rm_rpc(const void *blob, size_t len);

#endif /* GH_VM_MGR_H */
