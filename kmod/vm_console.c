// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RM console of a VM (docs/kmod.md, "Console").
 *
 * The RM gives a VM a console once VM_INIT parsed an rm-rpc vdevice with
 * console-dev, and drops what the guest writes while the owner has not
 * opened it. So the module opens it between VM_INIT and VM_START, and keeps
 * the guest's output (NOTIFY_VM_CONSOLE_CHARS) in a ring of
 * console_ring_size bytes per VM. Each console fd (GH_VM_OPEN_CONSOLE) reads
 * the ring from its own position; one the ring overtook skips to the oldest
 * byte kept and counts what it skipped (GH_CONSOLE_GET_LOST). Writes go to
 * the guest as VM_CONSOLE_WRITEs of one packet each, one at a time per VM.
 * At teardown the module flushes and closes the RM console.
 *
 * The console outlives the VM while a console fd holds it (a kref): after
 * the teardown such an fd reads what is left, then end of file, and writes
 * fail with -EPIPE.
 *
 * Locking: con->tx_lock (a mutex, held across an RM call; taken under
 * vm->lock by the teardown) protects @rm_open and @dead against writers;
 * con->lock (a spinlock, leaf) the ring, @head and @ended.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "rsc_mgr.h"
#include "vm_mgr.h"

#define GH_CONSOLE_RING_MIN	SZ_4K
#define GH_CONSOLE_RING_MAX	SZ_16M

static unsigned int console_ring_size = SZ_64K;
module_param(console_ring_size, uint, 0644);
MODULE_PARM_DESC(console_ring_size,
		 "Bytes of console output kept per VM (4 KiB..16 MiB), read when a VM is created");

/**
 * struct gh_vm_console - The RM console of one VM
 * @ref: the VM's reference and one per console fd
 * @rm: the RM client; used only while !@dead, under @tx_lock
 * @vmid: the VM
 * @tx_lock: one VM_CONSOLE_WRITE at a time; protects @rm_open and @dead
 * @rm_open: the RM accepted VM_CONSOLE_OPEN and no CLOSE followed
 * @dead: the VM is torn down (or the RM refused the open): no more writes
 * @lock: protects @ring, @head and @ended; a leaf
 * @ring: the last @size bytes of output
 * @size: bytes in @ring
 * @head: bytes of output ever received; the next one goes at @head % @size
 * @ended: no more output will come (the VM exited, the open was refused,
 *         or the VM is torn down)
 * @wq: readers, writers and pollers
 */
struct gh_vm_console {
	struct kref ref;
	struct gh_rm *rm;
	u16 vmid;

	struct mutex tx_lock;
	bool rm_open;
	bool dead;

	spinlock_t lock;
	u8 *ring;
	size_t size;
	u64 head;
	bool ended;

	wait_queue_head_t wq;
};

/**
 * struct gh_console_file - One console fd
 * @con: the console it holds a reference to
 * @lock: serialises reads of this fd (@pos, @lost)
 * @pos: the next byte this fd reads
 * @lost: bytes it skipped because the ring overtook it
 */
struct gh_console_file {
	struct gh_vm_console *con;
	struct mutex lock;
	u64 pos;
	u64 lost;
};

/**
 * gh_vm_console_create() - A console for a new VM, not open yet
 * @rm: the RM client
 * @vmid: the VM
 *
 * Context: Process context.
 * Return: the console, or NULL without memory.
 */
struct gh_vm_console *gh_vm_console_create(struct gh_rm *rm, u16 vmid)
{
	size_t size = clamp_t(size_t, READ_ONCE(console_ring_size), GH_CONSOLE_RING_MIN,
			      GH_CONSOLE_RING_MAX);
	struct gh_vm_console *con;

	con = kzalloc(sizeof(*con), GFP_KERNEL_ACCOUNT);
	if (!con)
		return NULL;
	con->ring = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!con->ring) {
		kfree(con);
		return NULL;
	}
	kref_init(&con->ref);
	con->rm = rm;
	con->vmid = vmid;
	con->size = size;
	mutex_init(&con->tx_lock);
	spin_lock_init(&con->lock);
	init_waitqueue_head(&con->wq);
	return con;
}

static void gh_vm_console_free(struct kref *ref)
{
	struct gh_vm_console *con = container_of(ref, struct gh_vm_console, ref);

	mutex_destroy(&con->tx_lock);
	kvfree(con->ring);
	kfree(con);
}

void gh_vm_console_put(struct gh_vm_console *con)
{
	if (con)
		kref_put(&con->ref, gh_vm_console_free);
}

/* No more output: readers get what is left, then end of file */
static void gh_vm_console_end(struct gh_vm_console *con)
{
	spin_lock(&con->lock);
	con->ended = true;
	spin_unlock(&con->lock);
	wake_up_interruptible_all(&con->wq);
}

/**
 * gh_vm_console_open() - VM_CONSOLE_OPEN, between VM_INIT and VM_START
 * @con: the VM's console
 *
 * The RM keeps nothing the guest writes before the owner opened its
 * console, so this comes before the guest runs. A refusal (no console-dev
 * in the devicetree: ARGUMENT_INVALID; an injected fault) leaves the VM
 * working without a console: console fds see end of file, writes -EPIPE,
 * and GH_VM_OPEN_CONSOLE answers -ENODEV from then on.
 *
 * Context: Process context; sleeps. vm->lock held.
 * Return: 0 or the RM call's negative errno (informational).
 */
int gh_vm_console_open(struct gh_vm_console *con)
{
	int ret;

	mutex_lock(&con->tx_lock);
	ret = gh_rm_console_open(con->rm, con->vmid);
	if (ret)
		WRITE_ONCE(con->dead, true);
	else
		WRITE_ONCE(con->rm_open, true);
	mutex_unlock(&con->tx_lock);
	if (ret)
		gh_vm_console_end(con);
	else
		wake_up_interruptible_all(&con->wq);
	return ret;
}

/**
 * gh_vm_console_abandon() - The VM will have no console (its start failed)
 * @con: the VM's console
 *
 * Context: Process context; sleeps.
 */
void gh_vm_console_abandon(struct gh_vm_console *con)
{
	mutex_lock(&con->tx_lock);
	WRITE_ONCE(con->dead, true);
	mutex_unlock(&con->tx_lock);
	gh_vm_console_end(con);
}

/**
 * gh_vm_console_exited() - The VM exited: its guest writes no more
 * @con: the VM's console
 *
 * Called from the RM notification path (VM_EXITED), which precedes no
 * CHARS of that VM: the RM sends a guest's output as it is written.
 * Writes fail with -EPIPE from now on.
 *
 * Context: Process context, any locks but con's.
 */
void gh_vm_console_exited(struct gh_vm_console *con)
{
	gh_vm_console_end(con);
}

/**
 * gh_vm_console_teardown() - Flush and close the RM console; no more I/O
 * @con: the VM's console
 *
 * Context: Process context; sleeps. vm->lock held.
 */
void gh_vm_console_teardown(struct gh_vm_console *con)
{
	int ret;

	mutex_lock(&con->tx_lock);
	WRITE_ONCE(con->dead, true);
	if (con->rm_open) {
		ret = gh_rm_console_flush(con->rm, con->vmid);
		if (ret)
			pr_debug("VM %#x: VM_CONSOLE_FLUSH: %d\n", con->vmid, ret);
		ret = gh_rm_console_close(con->rm, con->vmid);
		if (ret)
			pr_debug("VM %#x: VM_CONSOLE_CLOSE: %d\n", con->vmid, ret);
		WRITE_ONCE(con->rm_open, false);
	}
	mutex_unlock(&con->tx_lock);
	gh_vm_console_end(con);
}

/**
 * gh_vm_console_chars() - Guest output arrived (NOTIFY_VM_CONSOLE_CHARS)
 * @con: the VM's console
 * @bytes: the output
 * @n: its length
 *
 * Only the last con->size bytes are kept; readers behind them skip ahead.
 *
 * Context: Process context (the RM receive worker); does not sleep.
 */
void gh_vm_console_chars(struct gh_vm_console *con, const u8 *bytes, size_t n)
{
	size_t off, first, keep;

	if (!n)
		return;
	spin_lock(&con->lock);
	keep = min(n, con->size);
	con->head += n - keep;
	bytes += n - keep;
	off = con->head % con->size;
	first = min(keep, con->size - off);
	memcpy(con->ring + off, bytes, first);
	memcpy(con->ring, bytes + first, keep - first);
	con->head += keep;
	spin_unlock(&con->lock);
	wake_up_interruptible_all(&con->wq);
}

/* ---------------------------------------------------------------------------
 * The console fd
 */

/*
 * Up to @len bytes at the fd's position into @buf. When the ring overtook
 * the fd, it skips to the oldest byte kept if @may_skip, and otherwise
 * takes nothing: one read() never spans a gap, so a reader knows where each
 * byte it got was (its position minus GH_CONSOLE_GET_LOST). Returns the
 * bytes copied; *ret_end is true at end of file.
 * Context: cf->lock held.
 */
static size_t gh_console_take(struct gh_console_file *cf, u8 *buf, size_t len, bool may_skip,
			      bool *ret_end)
{
	struct gh_vm_console *con = cf->con;
	size_t n, off, first;
	u64 oldest;

	*ret_end = false;
	spin_lock(&con->lock);
	oldest = con->head > con->size ? con->head - con->size : 0;
	if (cf->pos < oldest) {
		if (!may_skip) {
			spin_unlock(&con->lock);
			return 0;
		}
		cf->lost += oldest - cf->pos;
		cf->pos = oldest;
	}
	n = min_t(u64, len, con->head - cf->pos);
	off = cf->pos % con->size;
	first = min(n, con->size - off);
	memcpy(buf, con->ring + off, first);
	memcpy(buf + first, con->ring, n - first);
	cf->pos += n;
	*ret_end = !n && con->ended;
	spin_unlock(&con->lock);
	return n;
}

static bool gh_console_readable(struct gh_console_file *cf)
{
	struct gh_vm_console *con = cf->con;
	bool ret;

	spin_lock(&con->lock);
	ret = READ_ONCE(cf->pos) != con->head || con->ended;
	spin_unlock(&con->lock);
	return ret;
}

static ssize_t gh_console_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	struct gh_console_file *cf = file->private_data;
	size_t done = 0, n;
	bool end = false;
	u8 *buf;
	int ret;

	if (!count)
		return 0;
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (mutex_lock_interruptible(&cf->lock)) {
		kfree(buf);
		return -ERESTARTSYS;
	}
	for (;;) {
		n = gh_console_take(cf, buf, min_t(size_t, count - done, PAGE_SIZE), !done, &end);
		if (n && copy_to_user(ubuf + done, buf, n)) {
			/* give the bytes back: they were not read */
			cf->pos -= n;
			ret = -EFAULT;
			break;
		}
		done += n;
		/* full, at end of file, or nothing more without a gap */
		if (done == count || end || (done && !n)) {
			ret = 0;
			break;
		}
		if (n)
			continue;
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		mutex_unlock(&cf->lock);
		ret = wait_event_interruptible(cf->con->wq, gh_console_readable(cf));
		if (mutex_lock_interruptible(&cf->lock))
			ret = -ERESTARTSYS;
		else if (ret)
			mutex_unlock(&cf->lock);
		if (ret) {
			kfree(buf);
			return ret;
		}
	}
	mutex_unlock(&cf->lock);
	kfree(buf);
	return done ? done : ret;
}

/* Whether a write can start now: the RM console is open and no write runs */
static bool gh_console_writable(struct gh_vm_console *con)
{
	return READ_ONCE(con->rm_open) && !READ_ONCE(con->dead) && !mutex_is_locked(&con->tx_lock);
}

/* Before the VM started, wait for the open (or its refusal, or the end) */
static int gh_console_wait_open(struct file *file, struct gh_vm_console *con)
{
	if (READ_ONCE(con->rm_open) || READ_ONCE(con->dead) || READ_ONCE(con->ended))
		return 0;
	if (file->f_flags & O_NONBLOCK)
		return -EAGAIN;
	return wait_event_interruptible(con->wq, READ_ONCE(con->rm_open) ||
				       READ_ONCE(con->dead) || READ_ONCE(con->ended));
}

static ssize_t gh_console_write(struct file *file, const char __user *ubuf, size_t count,
				loff_t *ppos)
{
	struct gh_console_file *cf = file->private_data;
	struct gh_vm_console *con = cf->con;
	u8 buf[GH_RM_CONSOLE_PACKET_BYTES];
	size_t done = 0, n;
	int ret;

	if (!count)
		return 0;
	ret = gh_console_wait_open(file, con);
	if (ret)
		return ret;
	if (file->f_flags & O_NONBLOCK) {
		if (!mutex_trylock(&con->tx_lock))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&con->tx_lock)) {
		return -ERESTARTSYS;
	}
	while (done < count) {
		if (con->dead || !con->rm_open || READ_ONCE(con->ended)) {
			ret = -EPIPE;
			break;
		}
		n = min_t(size_t, count - done, sizeof(buf));
		if (copy_from_user(buf, ubuf + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = gh_rm_console_write(con->rm, con->vmid, buf, n);
		if (ret)
			break;
		done += n;
		if (signal_pending(current))
			break;
	}
	mutex_unlock(&con->tx_lock);
	wake_up_interruptible_all(&con->wq);
	return done ? done : ret;
}

static __poll_t gh_console_poll(struct file *file, poll_table *wait)
{
	struct gh_console_file *cf = file->private_data;
	struct gh_vm_console *con = cf->con;
	__poll_t mask = 0;
	bool data, ended;

	poll_wait(file, &con->wq, wait);
	spin_lock(&con->lock);
	data = READ_ONCE(cf->pos) != con->head;
	ended = con->ended;
	spin_unlock(&con->lock);
	if (data || ended)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ended && !data)
		mask |= EPOLLHUP;
	if (!ended && gh_console_writable(con))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static long gh_console_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct gh_console_file *cf = file->private_data;
	u64 lost;

	switch (cmd) {
	case GH_CONSOLE_GET_LOST:
		/* what this fd's reads skipped: a read that starts behind the ring */
		mutex_lock(&cf->lock);
		lost = cf->lost;
		mutex_unlock(&cf->lock);
		return put_user(lost, (u64 __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int gh_console_release(struct inode *inode, struct file *file)
{
	struct gh_console_file *cf = file->private_data;

	gh_vm_console_put(cf->con);
	mutex_destroy(&cf->lock);
	kfree(cf);
	return 0;
}

static const struct file_operations gh_console_fops = {
	.owner = THIS_MODULE,
	.read = gh_console_read,
	.write = gh_console_write,
	.poll = gh_console_poll,
	.unlocked_ioctl = gh_console_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = gh_console_release,
	.llseek = noop_llseek,
};

/**
 * gh_vm_console_open_fd() - GH_VM_OPEN_CONSOLE
 * @con: the VM's console
 *
 * The fd reads from the first byte the ring still holds.
 *
 * Context: Process context.
 * Return: the new fd (O_CLOEXEC), -ENODEV when the RM refused the VM a
 * console, or another negative errno.
 */
int gh_vm_console_open_fd(struct gh_vm_console *con)
{
	struct gh_console_file *cf;
	int fd;

	/* a console the RM refused, or a VM whose start failed */
	if (READ_ONCE(con->dead) && !READ_ONCE(con->rm_open))
		return -ENODEV;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL_ACCOUNT);
	if (!cf)
		return -ENOMEM;
	mutex_init(&cf->lock);
	cf->con = con;
	kref_get(&con->ref);
	fd = anon_inode_getfd("gunyah-console", &gh_console_fops, cf, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		gh_vm_console_put(con);
		mutex_destroy(&cf->lock);
		kfree(cf);
	}
	return fd;
}
