// SPDX-License-Identifier: GPL-2.0-only
/*
 * ghpin.ko: /dev/ghpin, the pin floor of bench/big-guest (ghpin.h). Test
 * code for the QEMU guest only: never shipped, never loaded on a host.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ghpin.h"

struct ghpin {
	struct mutex lock;	/* protects the fields below */
	struct page **pages;
	unsigned long npages;
};

static void ghpin_unpin(struct ghpin *p)
{
	if (!p->pages)
		return;
	unpin_user_pages_dirty_lock(p->pages, p->npages, true);
	kvfree(p->pages);
	p->pages = NULL;
	p->npages = 0;
}

static long ghpin_pin(struct ghpin *p, const struct ghpin_range *r)
{
	unsigned long npages = r->size >> PAGE_SHIFT;
	int pinned;

	if (!r->size || !PAGE_ALIGNED(r->addr) || !PAGE_ALIGNED(r->size) ||
	    npages > totalram_pages() || npages > INT_MAX)
		return -EINVAL;
	if (p->pages)
		return -EBUSY;
	p->pages = kvcalloc(npages, sizeof(*p->pages), GFP_KERNEL_ACCOUNT);
	if (!p->pages)
		return -ENOMEM;
	pinned = pin_user_pages_fast(r->addr, (int)npages, FOLL_WRITE | FOLL_LONGTERM, p->pages);
	if (pinned != npages) {
		if (pinned > 0)
			unpin_user_pages(p->pages, pinned);
		kvfree(p->pages);
		p->pages = NULL;
		return pinned < 0 ? pinned : -EFAULT;
	}
	p->npages = npages;
	return 0;
}

static long ghpin_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ghpin *p = file->private_data;
	struct ghpin_range r;
	long ret;

	switch (cmd) {
	case GHPIN_PIN:
		if (copy_from_user(&r, (void __user *)arg, sizeof(r)))
			return -EFAULT;
		mutex_lock(&p->lock);
		ret = ghpin_pin(p, &r);
		mutex_unlock(&p->lock);
		return ret;
	case GHPIN_UNPIN:
		mutex_lock(&p->lock);
		ghpin_unpin(p);
		mutex_unlock(&p->lock);
		return 0;
	default:
		return -ENOTTY;
	}
}

static int ghpin_open(struct inode *inode, struct file *file)
{
	struct ghpin *p = kzalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	mutex_init(&p->lock);
	file->private_data = p;
	return 0;
}

static int ghpin_release(struct inode *inode, struct file *file)
{
	struct ghpin *p = file->private_data;

	ghpin_unpin(p);
	mutex_destroy(&p->lock);
	kfree(p);
	return 0;
}

static const struct file_operations ghpin_fops = {
	.owner = THIS_MODULE,
	.open = ghpin_open,
	.release = ghpin_release,
	.unlocked_ioctl = ghpin_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice ghpin_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ghpin",
	.fops = &ghpin_fops,
};

module_misc_device(ghpin_dev);
MODULE_DESCRIPTION("Pin floor of gunyahd's big-guest benchmark (test only)");
MODULE_LICENSE("GPL");
