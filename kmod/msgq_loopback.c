// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loopback RM transport (transport=loopback; tests only).
 *
 * /dev/gunyah-rm stands in for the pair of message queues between the host
 * and the Resource Manager, and a userspace RM (gh-rm-emu) serves it, as
 * include/uapi/linux/gunyah_rm_loopback.h documents: read() yields the
 * packets the module sent, write() injects one packet into the module's
 * receive path. Both queues are 8 packets deep, like the hypervisor's: a
 * sender facing a full queue waits for room (the module as for the TX "not
 * full" interrupt, bounded by its call's timeout; userspace interruptibly or
 * -EAGAIN). Waiters are woken on the edges the hypervisor's interrupts mark:
 * a queue that stops being empty, or stops being full. While nobody has the
 * device open, the module's packets are lost and its calls time out, as with
 * a dead RM. The push flag needs no emulation: every queued packet is
 * readable at once.
 *
 * The test-only GH_RM_LOOPBACK_READ_PARCEL lets the userspace RM read the
 * devicetree the way the real RM maps the parcel; it is refused unless the
 * module parameter parcel_read is set, and the VM manager allows only pages
 * pinned for a live VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": loopback: " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <linux/gunyah_rm_loopback.h>

#include "msgq.h"

static bool parcel_read;
module_param(parcel_read, bool, 0644);
MODULE_PARM_DESC(parcel_read, "Test only: let /dev/gunyah-rm read pages pinned for live VMs");

#define GH_LB_DEPTH		8	/* packets per queue, like the RM's message queues */
#define GH_LB_PACKET_MIN	8	/* bytes: an RPC header */

/**
 * struct gh_lb_queue - One direction, a ring of packets
 * @pkt: packet buffers
 * @len: length of each packet
 * @head: index of the oldest packet
 * @count: packets queued
 */
struct gh_lb_queue {
	u8 pkt[GH_LB_DEPTH][GH_MSGQ_PACKET_MAX];
	u8 len[GH_LB_DEPTH];
	unsigned int head;
	unsigned int count;
};

/**
 * struct gh_msgq_loopback - The loopback transport
 * @q: the transport interface
 * @misc: /dev/gunyah-rm
 * @registered: @misc is registered
 * @lock: protects @tx, @rx and @open; nothing sleeps under it
 * @tx: packets from the module to the RM
 * @rx: packets from the RM to the module
 * @open: a userspace RM has the device open
 * @wq: woken on every change of the queues or of @open
 */
struct gh_msgq_loopback {
	struct gh_msgq q;
	struct miscdevice misc;
	bool registered;
	spinlock_t lock;		/* queues and open state; leaf */
	struct gh_lb_queue tx;
	struct gh_lb_queue rx;
	bool open;
	wait_queue_head_t wq;
};

static struct gh_msgq_loopback *to_lb(struct gh_msgq *q)
{
	return container_of(q, struct gh_msgq_loopback, q);
}

/* Context: lb->lock held */
static void gh_lb_push(struct gh_lb_queue *queue, const void *pkt, size_t len)
{
	unsigned int tail = (queue->head + queue->count) % GH_LB_DEPTH;

	memcpy(queue->pkt[tail], pkt, len);
	queue->len[tail] = len;
	queue->count++;
}

/* Context: lb->lock held; the queue is not empty */
static size_t gh_lb_pop(struct gh_lb_queue *queue, void *buf)
{
	size_t len = queue->len[queue->head];

	memcpy(buf, queue->pkt[queue->head], len);
	queue->head = (queue->head + 1) % GH_LB_DEPTH;
	queue->count--;
	return len;
}

static void gh_lb_reset(struct gh_lb_queue *queue)
{
	queue->head = 0;
	queue->count = 0;
}

static bool gh_lb_tx_has_room(struct gh_msgq_loopback *lb)
{
	bool ret;

	spin_lock(&lb->lock);
	ret = !lb->open || lb->tx.count < GH_LB_DEPTH;
	spin_unlock(&lb->lock);
	return ret;
}

static bool gh_lb_tx_has_data(struct gh_msgq_loopback *lb)
{
	bool ret;

	spin_lock(&lb->lock);
	ret = lb->tx.count > 0;
	spin_unlock(&lb->lock);
	return ret;
}

static bool gh_lb_rx_has_room(struct gh_msgq_loopback *lb)
{
	bool ret;

	spin_lock(&lb->lock);
	ret = lb->rx.count < GH_LB_DEPTH;
	spin_unlock(&lb->lock);
	return ret;
}

/* ---------------------------------------------------------------------------
 * Module side
 */

static int gh_lb_send(struct gh_msgq *q, const void *pkt, size_t len, bool push,
		      unsigned long timeout)
{
	struct gh_msgq_loopback *lb = to_lb(q);
	unsigned long deadline = jiffies + timeout;
	bool was_empty;
	long left;

	if (len < GH_LB_PACKET_MIN || len > GH_MSGQ_PACKET_MAX)
		return -EINVAL;

	for (;;) {
		spin_lock(&lb->lock);
		if (!lb->open) {
			/* No RM: the packet is lost, the call will time out */
			spin_unlock(&lb->lock);
			return 0;
		}
		if (lb->tx.count < GH_LB_DEPTH) {
			was_empty = !lb->tx.count;
			gh_lb_push(&lb->tx, pkt, len);
			spin_unlock(&lb->lock);
			if (was_empty)
				wake_up_all(&lb->wq);
			return 0;
		}
		spin_unlock(&lb->lock);

		/* Full: wait for room, as for the TX "not full" interrupt */
		left = time_after_eq(jiffies, deadline) ? 0 : deadline - jiffies;
		if (!left || !wait_event_timeout(lb->wq, gh_lb_tx_has_room(lb), left))
			return -ETIMEDOUT;
	}
}

static int gh_lb_recv(struct gh_msgq *q, void *buf, size_t cap)
{
	struct gh_msgq_loopback *lb = to_lb(q);
	bool was_full;
	size_t len;

	if (cap < GH_MSGQ_PACKET_MAX)
		return -EINVAL;

	spin_lock(&lb->lock);
	if (!lb->rx.count) {
		spin_unlock(&lb->lock);
		return -EAGAIN;
	}
	was_full = lb->rx.count == GH_LB_DEPTH;
	len = gh_lb_pop(&lb->rx, buf);
	spin_unlock(&lb->lock);
	if (was_full)
		wake_up_all(&lb->wq);
	return len;
}

/* ---------------------------------------------------------------------------
 * /dev/gunyah-rm, the userspace RM's side
 */

static struct gh_msgq_loopback *gh_lb_from_file(struct file *file)
{
	struct miscdevice *misc = file->private_data;

	return container_of(misc, struct gh_msgq_loopback, misc);
}

static int gh_lb_open(struct inode *inode, struct file *file)
{
	struct gh_msgq_loopback *lb = gh_lb_from_file(file);
	int ret = 0;

	spin_lock(&lb->lock);
	if (lb->open) {
		ret = -EBUSY;
	} else {
		lb->open = true;
		gh_lb_reset(&lb->tx);
		gh_lb_reset(&lb->rx);
	}
	spin_unlock(&lb->lock);
	return ret;
}

static int gh_lb_release(struct inode *inode, struct file *file)
{
	struct gh_msgq_loopback *lb = gh_lb_from_file(file);

	spin_lock(&lb->lock);
	lb->open = false;
	gh_lb_reset(&lb->tx);
	gh_lb_reset(&lb->rx);
	spin_unlock(&lb->lock);
	wake_up_all(&lb->wq);
	return 0;
}

static ssize_t gh_lb_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	struct gh_msgq_loopback *lb = gh_lb_from_file(file);
	u8 pkt[GH_MSGQ_PACKET_MAX];
	bool was_full;
	size_t len;

	if (count < GH_MSGQ_PACKET_MAX)
		return -EINVAL;

	for (;;) {
		spin_lock(&lb->lock);
		if (lb->tx.count) {
			was_full = lb->tx.count == GH_LB_DEPTH;
			len = gh_lb_pop(&lb->tx, pkt);
			spin_unlock(&lb->lock);
			if (was_full)
				wake_up_all(&lb->wq);
			if (copy_to_user(buf, pkt, len))
				return -EFAULT;
			return len;
		}
		spin_unlock(&lb->lock);

		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(lb->wq, gh_lb_tx_has_data(lb)))
			return -ERESTARTSYS;
	}
}

static ssize_t gh_lb_write(struct file *file, const char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct gh_msgq_loopback *lb = gh_lb_from_file(file);
	u8 pkt[GH_MSGQ_PACKET_MAX];

	if (count < GH_LB_PACKET_MIN || count > GH_MSGQ_PACKET_MAX)
		return -EINVAL;
	if (copy_from_user(pkt, buf, count))
		return -EFAULT;

	for (;;) {
		spin_lock(&lb->lock);
		if (lb->rx.count < GH_LB_DEPTH) {
			gh_lb_push(&lb->rx, pkt, count);
			spin_unlock(&lb->lock);
			/* The RX "not empty" interrupt */
			gh_msgq_rx_ready(&lb->q);
			return count;
		}
		spin_unlock(&lb->lock);

		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(lb->wq, gh_lb_rx_has_room(lb)))
			return -ERESTARTSYS;
	}
}

static __poll_t gh_lb_poll(struct file *file, poll_table *wait)
{
	struct gh_msgq_loopback *lb = gh_lb_from_file(file);
	__poll_t mask = 0;

	poll_wait(file, &lb->wq, wait);
	spin_lock(&lb->lock);
	if (lb->tx.count)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (lb->rx.count < GH_LB_DEPTH)
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&lb->lock);
	return mask;
}

static long gh_lb_ioctl_read_parcel(struct gh_msgq_loopback *lb, void __user *argp)
{
	struct gh_rm_loopback_read req;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!req.size || req.size > SZ_1M)
		return -EINVAL;
	if (!READ_ONCE(parcel_read))
		return -EPERM;
	if (!lb->q.read_parcel)
		return -ENODEV;
	return lb->q.read_parcel(lb->q.read_parcel_ctx, req.phys_addr, req.size,
				 u64_to_user_ptr(req.buf));
}

static long gh_lb_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct gh_msgq_loopback *lb = gh_lb_from_file(file);

	switch (cmd) {
	case GH_RM_LOOPBACK_READ_PARCEL:
		return gh_lb_ioctl_read_parcel(lb, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations gh_lb_fops = {
	.owner = THIS_MODULE,
	.open = gh_lb_open,
	.release = gh_lb_release,
	.read = gh_lb_read,
	.write = gh_lb_write,
	.poll = gh_lb_poll,
	.unlocked_ioctl = gh_lb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

/* ---------------------------------------------------------------------------
 * Transport operations
 */

static int gh_lb_start(struct gh_msgq *q)
{
	struct gh_msgq_loopback *lb = to_lb(q);
	int ret;

	ret = misc_register(&lb->misc);
	if (ret)
		return ret;
	lb->registered = true;
	q->dev = lb->misc.this_device;
	return 0;
}

static void gh_lb_stop(struct gh_msgq *q)
{
	struct gh_msgq_loopback *lb = to_lb(q);

	if (!lb->registered)
		return;
	misc_deregister(&lb->misc);
	lb->registered = false;
	q->dev = NULL;
}

static void gh_lb_destroy(struct gh_msgq *q)
{
	kfree(to_lb(q));
}

static const struct gh_msgq_ops gh_lb_ops = {
	.start = gh_lb_start,
	.stop = gh_lb_stop,
	.send = gh_lb_send,
	.recv = gh_lb_recv,
	.destroy = gh_lb_destroy,
};

/**
 * gh_msgq_loopback_create() - Create the loopback transport
 *
 * /dev/gunyah-rm appears when the transport is started.
 *
 * Context: Process context.
 * Return: the transport or an ERR_PTR().
 */
struct gh_msgq *gh_msgq_loopback_create(void)
{
	struct gh_msgq_loopback *lb;

	lb = kzalloc(sizeof(*lb), GFP_KERNEL);
	if (!lb)
		return ERR_PTR(-ENOMEM);
	lb->q.ops = &gh_lb_ops;
	spin_lock_init(&lb->lock);
	init_waitqueue_head(&lb->wq);
	lb->misc.minor = MISC_DYNAMIC_MINOR;
	lb->misc.name = "gunyah-rm";
	lb->misc.fops = &gh_lb_fops;
	lb->misc.mode = 0600;
	return &lb->q;
}
