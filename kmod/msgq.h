/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Message-queue transports between gunyah.ko and the Resource Manager.
 *
 * A transport moves RM RPC packets (8..240 bytes) one at a time, like a pair
 * of Gunyah message queues: send() queues one packet towards the RM, waiting
 * while the TX queue is full; recv() takes one packet from the RX queue. The
 * transport calls gh_msgq_rx_ready() whenever packets may be waiting (the RX
 * "not empty" interrupt); the consumer then drains the queue with recv()
 * until it reports -EAGAIN, from process context.
 */
#ifndef GH_MSGQ_H
#define GH_MSGQ_H

#include <linux/device.h>
#include <linux/types.h>

struct gh_msgq;

/**
 * struct gh_msgq_ops - What a transport implements
 * @start: make the transport live (interrupts, device nodes). Process context.
 * @stop: undo @start; afterwards no gh_msgq_rx_ready() call is in progress
 *        or will be made. Process context.
 * @send: send one packet; @push asks the receiver to be alerted at once
 *        (the last fragment of a message). Waits at most @timeout jiffies
 *        for room. Return: 0, -ETIMEDOUT, or another negative errno.
 *        Process context, may sleep; callers serialise sends.
 * @recv: take one packet into @buf (at least 240 bytes). Return: its
 *        length, -EAGAIN when the queue is empty, or another negative errno.
 *        Process context; called by one consumer at a time.
 * @destroy: free the transport; called after @stop (or instead of @start).
 */
struct gh_msgq_ops {
	int (*start)(struct gh_msgq *q);
	void (*stop)(struct gh_msgq *q);
	int (*send)(struct gh_msgq *q, const void *pkt, size_t len, bool push,
		    unsigned long timeout);
	int (*recv)(struct gh_msgq *q, void *buf, size_t cap);
	void (*destroy)(struct gh_msgq *q);
};

/* Test-only hook of the loopback transport: read pinned guest memory */
typedef int (*gh_msgq_read_parcel_fn)(void *ctx, u64 phys_addr, u64 size, void __user *buf);

/**
 * struct gh_msgq - A transport instance
 * @ops: the transport's operations
 * @dev: device for log messages
 * @rx_ready: set by the consumer (rsc_mgr) before @ops->start
 * @rx_ctx: argument of @rx_ready
 * @read_parcel: set by the core for the loopback transport's test-only
 *               parcel read; NULL when there is no VM manager
 * @read_parcel_ctx: argument of @read_parcel
 */
struct gh_msgq {
	const struct gh_msgq_ops *ops;
	struct device *dev;
	void (*rx_ready)(void *ctx);
	void *rx_ctx;
	gh_msgq_read_parcel_fn read_parcel;
	void *read_parcel_ctx;
};

/* Context: any, including hard interrupt context */
static inline void gh_msgq_rx_ready(struct gh_msgq *q)
{
	if (q->rx_ready)
		q->rx_ready(q->rx_ctx);
}

#define GH_MSGQ_PACKET_MAX	240	/* bytes, header included */

struct gh_msgq *gh_msgq_loopback_create(void);

#ifdef CONFIG_ARM64
int gh_msgq_hvc_register(void);
void gh_msgq_hvc_unregister(void);
#endif

#endif /* GH_MSGQ_H */
