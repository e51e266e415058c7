// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest memory: pinning the pages of a region, the host-physical scatter
 * list the RM receives for it, and the loopback transport's test-only read
 * of pinned pages.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"
#include "vm_mgr.h"

static atomic_long_t gh_vm_pinned_pages = ATOMIC_LONG_INIT(0);
module_param_cb(pinned_pages, &gh_param_ops_counter, &gh_vm_pinned_pages, 0444);
MODULE_PARM_DESC(pinned_pages, "Guest pages pinned by the module, zombie VMs' included");

#define GH_VM_READ_PARCEL_MAX	SZ_1M	/* bytes per GH_RM_LOOPBACK_READ_PARCEL */

static bool gh_vm_pages_contiguous(struct page *prev, struct page *next)
{
	return page_to_phys(prev) + PAGE_SIZE == page_to_phys(next);
}

/* Host-physical ranges of the pinned pages, physically contiguous pages merged */
static int gh_vm_region_build_sgl(struct gh_vm_region *reg)
{
	unsigned long i;
	size_t n = 1;

	for (i = 1; i < reg->npages; i++)
		if (!gh_vm_pages_contiguous(reg->pages[i - 1], reg->pages[i]))
			n++;

	reg->sgl = kvmalloc_array(n, sizeof(*reg->sgl), GFP_KERNEL_ACCOUNT);
	if (!reg->sgl)
		return -ENOMEM;

	reg->sgl[0].ipa_base = page_to_phys(reg->pages[0]);
	reg->sgl[0].size = PAGE_SIZE;
	reg->n_sgl = 1;
	for (i = 1; i < reg->npages; i++) {
		if (gh_vm_pages_contiguous(reg->pages[i - 1], reg->pages[i])) {
			reg->sgl[reg->n_sgl - 1].size += PAGE_SIZE;
			continue;
		}
		reg->sgl[reg->n_sgl].ipa_base = page_to_phys(reg->pages[i]);
		reg->sgl[reg->n_sgl].size = PAGE_SIZE;
		reg->n_sgl++;
	}
	return 0;
}

/**
 * gh_vm_region_pin() - Pin the memory of a region
 * @r: the region, already checked: flags, alignment, no overflow, size > 0
 *
 * Pins the pages writable and long-term, accounts them to the caller's
 * RLIMIT_MEMLOCK and builds the scatter list. The region is not lent or
 * shared yet (handle GH_RM_MEM_HANDLE_INVALID).
 *
 * Context: Process context; sleeps. Called with vm->lock held.
 * Return: the region, or ERR_PTR(): -EFAULT when some page cannot be pinned
 * (nothing stays pinned), -ENOMEM (also over RLIMIT_MEMLOCK).
 */
struct gh_vm_region *gh_vm_region_pin(const struct gh_userspace_memory_region *r)
{
	unsigned long npages = r->memory_size >> PAGE_SHIFT;
	struct gh_vm_region *reg;
	int pinned, ret;

	if (npages > totalram_pages() || npages > INT_MAX)
		return ERR_PTR(-ENOMEM);

	reg = kzalloc(sizeof(*reg), GFP_KERNEL_ACCOUNT);
	if (!reg)
		return ERR_PTR(-ENOMEM);
	reg->label = r->label;
	reg->flags = r->flags;
	reg->gpa = r->guest_phys_addr;
	reg->size = r->memory_size;
	reg->npages = npages;
	reg->handle = GH_RM_MEM_HANDLE_INVALID;

	reg->pages = kvcalloc(npages, sizeof(*reg->pages), GFP_KERNEL_ACCOUNT);
	if (!reg->pages) {
		ret = -ENOMEM;
		goto out_free_reg;
	}

	reg->mm = current->mm;
	mmgrab(reg->mm);
	ret = account_locked_vm(reg->mm, npages, true);
	if (ret)
		goto out_drop_mm;

	pinned = pin_user_pages_fast(r->userspace_addr, (int)npages, FOLL_WRITE | FOLL_LONGTERM,
				     reg->pages);
	if (pinned < 0) {
		ret = pinned;
		goto out_unaccount;
	}
	if (pinned != npages) {
		unpin_user_pages(reg->pages, pinned);
		ret = -EFAULT;
		goto out_unaccount;
	}

	ret = gh_vm_region_build_sgl(reg);
	if (ret)
		goto out_unpin;

	atomic_long_add(npages, &gh_vm_pinned_pages);
	return reg;

out_unpin:
	unpin_user_pages(reg->pages, npages);
out_unaccount:
	account_locked_vm(reg->mm, npages, false);
out_drop_mm:
	mmdrop(reg->mm);
	kvfree(reg->pages);
out_free_reg:
	kfree(reg);
	return ERR_PTR(ret);
}

/**
 * gh_vm_region_unpin() - Unpin and free a region the host owns again
 * @reg: the region; never lent or shared, or reclaimed, and on no list
 *
 * Context: Process context; sleeps.
 */
void gh_vm_region_unpin(struct gh_vm_region *reg)
{
	/* The guest may have written to the pages. */
	unpin_user_pages_dirty_lock(reg->pages, reg->npages, true);
	account_locked_vm(reg->mm, reg->npages, false);
	mmdrop(reg->mm);
	atomic_long_sub(reg->npages, &gh_vm_pinned_pages);
	kvfree(reg->sgl);
	kvfree(reg->pages);
	kfree(reg);
}

/**
 * gh_vm_region_read() - Copy bytes of a region's pinned pages
 * @reg: the region; the host must own its pages (never lent or shared yet:
 *       lent memory is gone from the host's stage 2 under Gunyah)
 * @offset: byte offset in the region
 * @buf: kernel buffer
 * @len: bytes
 *
 * Context: Process context. Called with vm->lock held.
 * Return: 0, or -EINVAL when [@offset, @offset + @len) is not in the region.
 */
int gh_vm_region_read(const struct gh_vm_region *reg, u64 offset, void *buf, size_t len)
{
	size_t off, n;
	void *kaddr;

	if (offset > reg->size || len > reg->size - offset)
		return -EINVAL;
	for (; len; offset += n, buf += n, len -= n) {
		off = offset_in_page(offset);
		n = min_t(size_t, PAGE_SIZE - off, len);
		kaddr = kmap_local_page(reg->pages[offset >> PAGE_SHIFT]);
		memcpy(buf, kaddr + off, n);
		kunmap_local(kaddr);
	}
	return 0;
}

/* Whether the page holding @addr is pinned for a live VM. Context: mgr->lock held. */
static bool gh_vm_mgr_page_pinned(struct gh_vm_mgr *mgr, u64 addr)
{
	struct gh_vm_region *reg;
	struct gh_vm *vm;
	size_t i;

	list_for_each_entry(vm, &mgr->vms, node)
		list_for_each_entry(reg, &vm->regions, node)
			for (i = 0; i < reg->n_sgl; i++)
				if (addr >= reg->sgl[i].ipa_base &&
				    addr - reg->sgl[i].ipa_base < reg->sgl[i].size)
					return true;
	return false;
}

/**
 * gh_vm_mgr_read_parcel() - Test-only read of pinned guest memory
 * @ctx: the VM manager
 * @phys_addr: host physical address, as sent in a scatter list
 * @size: bytes, 1 .. 1 MiB
 * @buf: destination in the caller's memory
 *
 * Serves GH_RM_LOOPBACK_READ_PARCEL, which the loopback transport allows
 * only with parcel_read=1: it lets a userspace RM parse the devicetree as
 * the real RM does. Only pages pinned for a VM whose fd is open can be
 * read, and mgr->lock is held throughout, so none of them can be unpinned
 * during the copy.
 *
 * Context: Process context; sleeps; takes mgr->lock.
 * Return: 0; -EINVAL for a bad size; -EACCES when some byte is not in a
 * page pinned for a live VM; -EFAULT.
 */
int gh_vm_mgr_read_parcel(void *ctx, u64 phys_addr, u64 size, void __user *buf)
{
	struct gh_vm_mgr *mgr = ctx;
	u64 end = phys_addr + size, addr;
	size_t off, n;
	void *kaddr;
	int ret = 0;

	if (!size || size > GH_VM_READ_PARCEL_MAX)
		return -EINVAL;
	if (end < phys_addr)
		return -EACCES;

	mutex_lock(&mgr->lock);
	for (addr = phys_addr & PAGE_MASK; addr < end; addr += PAGE_SIZE) {
		if (!gh_vm_mgr_page_pinned(mgr, addr)) {
			ret = -EACCES;
			goto out_unlock;
		}
	}

	for (addr = phys_addr; addr < end; addr += n, buf += n) {
		off = offset_in_page(addr);
		n = min_t(u64, PAGE_SIZE - off, end - addr);
		kaddr = kmap_local_page(pfn_to_page(PHYS_PFN(addr)));
		if (copy_to_user(buf, kaddr + off, n))
			ret = -EFAULT;
		kunmap_local(kaddr);
		if (ret)
			break;
	}

out_unlock:
	mutex_unlock(&mgr->lock);
	return ret;
}
