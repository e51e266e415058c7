// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resource Manager RPC client.
 *
 * Calls: one request is in flight at a time, because the RM keeps one
 * pending reply per client. A call takes the next sequence number, is cut
 * into packets by the wire codec (rm/wire/wire.c) and sent; the caller then waits
 * for the reply, the whole call bounded by rm_timeout_ms. A silent RM gives
 * -ETIMEDOUT, never a hung ioctl.
 *
 * Receive: a worker drains the transport, reassembles packets with the wire
 * codec and hands a completed reply to the pending call only when both its
 * seq and its msg_id match. Anything else - a reply that arrives after its
 * call timed out, a reply to nobody, a malformed packet - is dropped and
 * counted (module parameter rm_dropped). Notifications go to a notifier
 * chain from the same worker.
 *
 * The RM is single-threaded: while it releases a VM's memory after VM_RESET
 * (which can take many seconds under load) it answers nobody. The VM
 * manager announces such a release (gh_rm_release_begin()/_end()); a call
 * whose time runs out while one is outstanding, or shortly after, keeps
 * waiting until rm_timeout_ms after the release's own limit (or its end),
 * so that a request queued behind the release is not given up and its
 * reply not lost.
 *
 * Locking: call_lock serialises calls and is held while a caller waits;
 * reply_lock protects the pending call and is never held while waiting.
 * Order: vm->lock -> call_lock -> reply_lock. The receive worker takes only
 * reply_lock and what the notifier callbacks take, so it never waits behind
 * a caller that waits for it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": rm: " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "core.h"
#include "rsc_mgr.h"

static unsigned int rm_timeout_ms = 5000;
module_param(rm_timeout_ms, uint, 0644);
MODULE_PARM_DESC(rm_timeout_ms, "Timeout of every RM call and of waits for RM notifications, in ms");

static atomic_long_t gh_rm_dropped = ATOMIC_LONG_INIT(0);
module_param_cb(rm_dropped, &gh_param_ops_counter, &gh_rm_dropped, 0444);
MODULE_PARM_DESC(rm_dropped, "RM packets and messages dropped (malformed, unmatched, late)");

/**
 * struct gh_rm_call - A call waiting for its reply
 * @seq: sequence number of the request
 * @msg_id: message id of the request
 * @done: a matching reply arrived
 * @ret: 0, or an internal error (-ENOMEM) of the receive path
 * @rm_error: the RM's err_code
 * @resp: reply data after the err_code (kmalloc'd), NULL when empty
 * @resp_len: bytes at @resp
 * @completion: completed by the receive worker
 */
struct gh_rm_call {
	u16 seq;
	u32 msg_id;
	bool done;
	int ret;
	u32 rm_error;
	void *resp;
	size_t resp_len;
	struct completion completion;
};

/**
 * struct gh_rm - The RM RPC client
 * @q: the transport
 * @call_lock: one call in flight; held while its caller waits
 * @next_seq: next sequence number, under @call_lock
 * @tx_pkt: packet being sent, under @call_lock (not on the stack: the hvc
 *          transport hands its address to the hypervisor)
 * @reply_lock: protects @pending; never held while waiting
 * @pending: the call waiting for a reply, or NULL
 * @rx_wq: ordered workqueue of the receive worker
 * @rx_work: the receive worker
 * @reasm: reassembly state, receive worker only
 * @rx_msg: reassembly buffer (GH_RM_MSG_MAX_RECV bytes), receive worker only
 * @rx_pkt: packet being received, receive worker only
 * @rx_aborted: reassembly aborts already counted in gh_rm_dropped
 * @notifiers: chain called for every notification
 * @busy_lock: protects @releases and @busy_until
 * @releases: VM releases the RM is working on (announced by the VM manager)
 * @busy_until: while @releases, the latest limit of one; otherwise when the
 *              last one ended (jiffies); 0 before the first
 */
struct gh_rm {
	struct gh_msgq *q;

	struct mutex call_lock;		/* after vm->lock, before reply_lock */
	u16 next_seq;
	u8 tx_pkt[GH_RM_PACKET_MAX];

	struct mutex reply_lock;	/* leaf; never held while waiting */
	struct gh_rm_call *pending;

	struct workqueue_struct *rx_wq;
	struct work_struct rx_work;
	struct gh_rm_reasm reasm;
	u8 *rx_msg;
	u8 rx_pkt[GH_RM_PACKET_MAX];
	u32 rx_aborted;

	struct blocking_notifier_head notifiers;

	spinlock_t busy_lock;		/* leaf */
	unsigned int releases;
	unsigned long busy_until;
};

/**
 * gh_rm_timeout() - Timeout of one RM call or notification wait
 *
 * Return: rm_timeout_ms in jiffies, at least 1.
 */
unsigned long gh_rm_timeout(void)
{
	return max(msecs_to_jiffies(READ_ONCE(rm_timeout_ms)), 1UL);
}

static unsigned long gh_rm_remaining(unsigned long deadline)
{
	return time_after_eq(jiffies, deadline) ? 0 : deadline - jiffies;
}

/**
 * gh_rm_release_begin() - The RM starts releasing a VM's memory
 * @rm: the RM client
 * @limit: how long the caller waits for the release at most, in jiffies
 *
 * Until gh_rm_release_end(), a call that runs out of time keeps waiting for
 * its reply up to rm_timeout_ms past the end of @limit: the RM serves
 * requests only after the release.
 *
 * Context: Any context.
 */
void gh_rm_release_begin(struct gh_rm *rm, unsigned long limit)
{
	unsigned long until = jiffies + limit;

	spin_lock(&rm->busy_lock);
	if (!rm->releases++ || time_after(until, rm->busy_until))
		rm->busy_until = until;
	spin_unlock(&rm->busy_lock);
}

/**
 * gh_rm_release_end() - The release announced by gh_rm_release_begin() is
 *                       over (its notification came, or the caller gave up)
 * @rm: the RM client
 *
 * When it was the last, requests queued behind it are served now: they get
 * rm_timeout_ms from here.
 *
 * Context: Any context.
 */
void gh_rm_release_end(struct gh_rm *rm)
{
	spin_lock(&rm->busy_lock);
	if (!WARN_ON(!rm->releases) && !--rm->releases)
		rm->busy_until = jiffies;
	spin_unlock(&rm->busy_lock);
}

/* Deadline of a call whose time ran out at @deadline, extended for releases */
static unsigned long gh_rm_busy_deadline(struct gh_rm *rm, unsigned long deadline)
{
	unsigned long ext;

	spin_lock(&rm->busy_lock);
	ext = rm->busy_until + gh_rm_timeout();
	if (!rm->releases && !rm->busy_until)
		ext = deadline;
	spin_unlock(&rm->busy_lock);
	return time_after(ext, deadline) ? ext : deadline;
}

static void gh_rm_handle_reply(struct gh_rm *rm, const struct gh_rm_msg *msg)
{
	struct gh_rm_call *call;

	mutex_lock(&rm->reply_lock);
	call = rm->pending;
	if (!call || call->done || call->seq != msg->seq || call->msg_id != msg->msg_id) {
		mutex_unlock(&rm->reply_lock);
		atomic_long_inc(&gh_rm_dropped);
		pr_warn_ratelimited("dropped a reply nobody waits for: %s seq %u\n",
				    gh_rm_msg_name(msg->msg_id), msg->seq);
		return;
	}

	call->rm_error = msg->err_code;
	if (!msg->err_code && msg->len) {
		call->resp = kmemdup(msg->payload, msg->len, GFP_KERNEL);
		if (call->resp)
			call->resp_len = msg->len;
		else
			call->ret = -ENOMEM;
	}
	call->done = true;
	complete(&call->completion);
	mutex_unlock(&rm->reply_lock);
}

static void gh_rm_handle_notification(struct gh_rm *rm, const struct gh_rm_msg *msg)
{
	struct gh_rm_notification notif = {
		.payload = msg->payload,
		.len = msg->len,
	};

	blocking_notifier_call_chain(&rm->notifiers, msg->msg_id, &notif);
}

static void gh_rm_count_aborts(struct gh_rm *rm)
{
	u32 aborted = rm->reasm.stats.aborted;

	if (aborted != rm->rx_aborted) {
		atomic_long_add(aborted - rm->rx_aborted, &gh_rm_dropped);
		rm->rx_aborted = aborted;
	}
}

static void gh_rm_rx_work(struct work_struct *work)
{
	struct gh_rm *rm = container_of(work, struct gh_rm, rx_work);
	struct gh_rm_msg msg;
	int len, ret;

	for (;;) {
		len = rm->q->ops->recv(rm->q, rm->rx_pkt, sizeof(rm->rx_pkt));
		if (len == -EAGAIN)
			break;
		if (len < 0) {
			pr_warn_ratelimited("receive failed: %d\n", len);
			break;
		}

		ret = gh_rm_reasm_feed(&rm->reasm, rm->rx_pkt, len, &msg);
		gh_rm_count_aborts(rm);
		if (ret < 0) {
			atomic_long_inc(&gh_rm_dropped);
			pr_warn_ratelimited("dropped a packet: %s\n",
					    gh_rm_drop_name(rm->reasm.last_drop));
			continue;
		}
		if (ret == 0)
			continue;

		if (msg.type == GH_RM_TYPE_REPLY)
			gh_rm_handle_reply(rm, &msg);
		else
			gh_rm_handle_notification(rm, &msg);
		cond_resched();
	}
}

/* Called by the transport, from any context */
static void gh_rm_rx_ready(void *ctx)
{
	struct gh_rm *rm = ctx;

	queue_work(rm->rx_wq, &rm->rx_work);
}

/**
 * gh_rm_call_ex() - Send a request to the RM and wait for its reply
 * @rm: the RM client
 * @msg_id: request message id, non-zero
 * @req: request payload
 * @req_len: its length in bytes, at most GH_RM_MSG_MAX_SEND
 * @ret_resp: on success, the reply data after the err_code (kfree() it), or
 *            NULL when the reply carried none
 * @ret_resp_len: on success, bytes at *@ret_resp
 * @reterr_delivered: if not NULL, on failure whether every packet of the
 *                    request was handed to the transport: a request that
 *                    timed out after that may have taken effect in the RM
 *
 * Context: Process context; sleeps. Takes call_lock, so callers holding a
 * VM lock must respect the order vm->lock -> call_lock.
 * Return: 0; -ETIMEDOUT when no matching reply came within rm_timeout_ms;
 * the errno of the RM's error (gh_rm_error_to_errno()); -ENOMEM, -E2BIG or
 * -EINVAL for local failures.
 */
int gh_rm_call_ex(struct gh_rm *rm, u32 msg_id, const void *req, size_t req_len,
		  void **ret_resp, size_t *ret_resp_len, bool *reterr_delivered)
{
	bool delivered = false;
	struct gh_rm_call call = { .msg_id = msg_id };
	unsigned long deadline;
	int npackets, len, i, ret;

	if (!msg_id)
		return -EINVAL;
	npackets = gh_rm_msg_npackets(req_len);
	if (npackets < 0)
		return npackets;
	init_completion(&call.completion);

	mutex_lock(&rm->call_lock);
	call.seq = rm->next_seq++;
	mutex_lock(&rm->reply_lock);
	rm->pending = &call;
	mutex_unlock(&rm->reply_lock);

	deadline = jiffies + gh_rm_timeout();
	for (i = 0; i < npackets; i++) {
		len = gh_rm_encode_packet(rm->tx_pkt, GH_RM_TYPE_REQUEST, call.seq, msg_id,
					  req, req_len, i);
		if (len < 0) {
			ret = len;
			goto out_clear_pending;
		}
		ret = rm->q->ops->send(rm->q, rm->tx_pkt, len, i == npackets - 1,
				       gh_rm_remaining(deadline));
		if (ret)
			goto out_clear_pending;
	}
	delivered = true;
	/* Behind a slow release the RM has not even read the request yet. */
	while (!wait_for_completion_timeout(&call.completion, gh_rm_remaining(deadline))) {
		unsigned long ext = gh_rm_busy_deadline(rm, deadline);

		if (ext == deadline)
			break;
		deadline = ext;
	}
	ret = 0;

out_clear_pending:
	/* From here on a late reply finds no call and is dropped. */
	mutex_lock(&rm->reply_lock);
	rm->pending = NULL;
	mutex_unlock(&rm->reply_lock);
	mutex_unlock(&rm->call_lock);

	if (!ret && !call.done)
		ret = -ETIMEDOUT;
	if (!ret)
		ret = call.ret;
	if (!ret && call.rm_error)
		ret = gh_rm_error_to_errno(call.rm_error);
	if (ret) {
		kfree(call.resp);
		if (reterr_delivered)
			*reterr_delivered = delivered;
		if (call.done && call.rm_error)
			pr_debug("%s: RM error %s\n", gh_rm_msg_name(msg_id),
				 gh_rm_error_name(call.rm_error));
		else
			pr_warn_ratelimited("%s: %d\n", gh_rm_msg_name(msg_id), ret);
		return ret;
	}

	*ret_resp = call.resp;
	*ret_resp_len = call.resp_len;
	return 0;
}

/**
 * gh_rm_call() - gh_rm_call_ex() for callers that need not know whether a
 *                failed request reached the RM
 * @rm: the RM client
 * @msg_id: request message id, non-zero
 * @req: request payload
 * @req_len: its length in bytes
 * @ret_resp: on success, the reply data (kfree() it) or NULL
 * @ret_resp_len: on success, bytes at *@ret_resp
 *
 * Context: Process context; sleeps; see gh_rm_call_ex().
 * Return: as gh_rm_call_ex().
 */
int gh_rm_call(struct gh_rm *rm, u32 msg_id, const void *req, size_t req_len,
	       void **ret_resp, size_t *ret_resp_len)
{
	return gh_rm_call_ex(rm, msg_id, req, req_len, ret_resp, ret_resp_len, NULL);
}

/**
 * gh_rm_register_notifier() - Receive RM notifications
 * @rm: the RM client
 * @nb: called with the message id and a struct gh_rm_notification
 *
 * Context: Process context.
 * Return: 0.
 */
int gh_rm_register_notifier(struct gh_rm *rm, struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&rm->notifiers, nb);
}

/**
 * gh_rm_unregister_notifier() - Undo gh_rm_register_notifier()
 * @rm: the RM client
 * @nb: the notifier block
 *
 * Context: Process context; waits for a notifier call in progress.
 * Return: 0, or -ENOENT if @nb was not registered.
 */
int gh_rm_unregister_notifier(struct gh_rm *rm, struct notifier_block *nb)
{
	return blocking_notifier_chain_unregister(&rm->notifiers, nb);
}

/**
 * gh_rm_create() - Create the RM client of a transport
 * @q: the transport, not started yet; its receive callback is set here
 *
 * Context: Process context.
 * Return: the client or an ERR_PTR().
 */
struct gh_rm *gh_rm_create(struct gh_msgq *q)
{
	struct gh_rm *rm;
	int ret = -ENOMEM;

	rm = kzalloc(sizeof(*rm), GFP_KERNEL);
	if (!rm)
		return ERR_PTR(-ENOMEM);

	rm->rx_msg = kmalloc(GH_RM_MSG_MAX_RECV, GFP_KERNEL);
	if (!rm->rx_msg)
		goto out_free_rm;

	rm->rx_wq = alloc_ordered_workqueue("gh_rm_rx", 0);
	if (!rm->rx_wq)
		goto out_free_msg;

	rm->q = q;
	mutex_init(&rm->call_lock);
	mutex_init(&rm->reply_lock);
	spin_lock_init(&rm->busy_lock);
	INIT_WORK(&rm->rx_work, gh_rm_rx_work);
	gh_rm_reasm_init(&rm->reasm, rm->rx_msg, GH_RM_MSG_MAX_RECV, GH_RM_ACCEPT_CLIENT);
	BLOCKING_INIT_NOTIFIER_HEAD(&rm->notifiers);

	q->rx_ctx = rm;
	q->rx_ready = gh_rm_rx_ready;
	return rm;

out_free_msg:
	kfree(rm->rx_msg);
out_free_rm:
	kfree(rm);
	return ERR_PTR(ret);
}

/**
 * gh_rm_destroy() - Free the RM client
 * @rm: the client; its transport is stopped and no call is in progress
 *
 * Context: Process context.
 */
void gh_rm_destroy(struct gh_rm *rm)
{
	rm->q->rx_ready = NULL;
	rm->q->rx_ctx = NULL;
	destroy_workqueue(rm->rx_wq);
	mutex_destroy(&rm->reply_lock);
	mutex_destroy(&rm->call_lock);
	kfree(rm->rx_msg);
	kfree(rm);
}
