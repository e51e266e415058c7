// SPDX-License-Identifier: GPL-2.0-only
/*
 * Gunyah message-queue RM transport (transport=hvc; arm64 under Gunyah).
 *
 * The hypervisor describes the host's two message queues to the RM in the
 * devicetree node compatible with "gunyah-resource-manager": reg holds the
 * TX and RX capability ids (u64 each), interrupts the TX "not full" and RX
 * "not empty" interrupts, in that order. Before touching them the driver
 * makes sure it runs under Gunyah: the SMCCC vendor-hypervisor UID must be
 * one of Gunyah's, and hypervisor_identify must report API version 1 with
 * message queues.
 *
 * Sending is msgqueue_send, PUSH on the last fragment of a message; a full
 * queue waits for the TX interrupt. Receiving is msgqueue_receive, which the
 * RM client's worker calls on the RX interrupt until the queue is empty.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": hvc: " fmt

#include <linux/arm-smccc.h>
#include <linux/bits.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uuid.h>

#include <asm/unaligned.h>

#include "core.h"
#include "msgq.h"

/* SMCCC form of Gunyah hypercall @fn: fast, SMC64, vendor hypervisor service */
#define GH_HYPERCALL(fn)	ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_64, \
						   ARM_SMCCC_OWNER_VENDOR_HYP, 0x8000 | (fn))
#define GH_HYPERCALL_HYP_IDENTIFY	GH_HYPERCALL(0x0000)
#define GH_HYPERCALL_MSGQ_SEND		GH_HYPERCALL(0x001b)
#define GH_HYPERCALL_MSGQ_RECV		GH_HYPERCALL(0x001c)

#define GH_API_INFO_VERSION	GENMASK_ULL(13, 0)
#define GH_API_VERSION		1
#define GH_FLAGS0_MSGQUEUE	BIT_ULL(2)

#define GH_ERROR_OK			0
#define GH_ERROR_NOMEM			10
#define GH_ERROR_ARG_SIZE		2
#define GH_ERROR_ADDR_INVAL		22
#define GH_ERROR_DENIED			30
#define GH_ERROR_MSGQUEUE_EMPTY		60
#define GH_ERROR_MSGQUEUE_FULL		61

#define GH_MSGQ_TX_PUSH		BIT(0)

/* SMCCC vendor-hypervisor UIDs of Gunyah builds */
static const uuid_t gh_hvc_uuids[] = {
	/* Qualcomm's build */
	UUID_INIT(0x19bd54bd, 0x0b37, 0x571b, 0x94, 0x6f, 0x60, 0x9b, 0x54, 0x53, 0x9d, 0xe6),
	/* open-source build */
	UUID_INIT(0xc1d58fcd, 0xa453, 0x5fdb, 0x92, 0x65, 0xce, 0x36, 0x67, 0x3d, 0x5f, 0x14),
};

/**
 * struct gh_msgq_hvc - The hvc transport
 * @q: the transport interface
 * @tx_capid: capability of the TX (host to RM) message queue
 * @rx_capid: capability of the RX (RM to host) message queue
 * @tx_irq: TX "not full" interrupt
 * @rx_irq: RX "not empty" interrupt
 * @tx_ready: completed by the TX interrupt
 * @core: RM client and VM manager on this transport
 */
struct gh_msgq_hvc {
	struct gh_msgq q;
	u64 tx_capid;
	u64 rx_capid;
	int tx_irq;
	int rx_irq;
	struct completion tx_ready;
	struct gh_core *core;
};

static struct gh_msgq_hvc *to_hvc(struct gh_msgq *q)
{
	return container_of(q, struct gh_msgq_hvc, q);
}

static int gh_hvc_errno(unsigned long gh_error)
{
	switch (gh_error) {
	case GH_ERROR_OK:
		return 0;
	case GH_ERROR_NOMEM:
		return -ENOMEM;
	case GH_ERROR_DENIED:
		return -EACCES;
	case GH_ERROR_ARG_SIZE:
	case GH_ERROR_ADDR_INVAL:
		return -EINVAL;
	case GH_ERROR_MSGQUEUE_EMPTY:
	case GH_ERROR_MSGQUEUE_FULL:
		return -EIO;
	default:
		return -EINVAL;
	}
}

/*
 * Whether we run under Gunyah with message queues: 0 or -ENODEV, the reason
 * logged. The vendor-hypervisor UID call goes through the SMCCC conduit the
 * firmware description chose (PSCI's method): Gunyah answers it on HVC and
 * on SMC alike, and QEMU's virt machine says "smc". Only once the UID is
 * Gunyah's do we issue Gunyah's own calls, which are always HVC.
 */
static int gh_hvc_identify(struct device *dev, u16 *api)
{
	struct arm_smccc_res res;
	uuid_t uuid;
	size_t i;

	if (arm_smccc_1_1_get_conduit() == SMCCC_CONDUIT_NONE) {
		dev_info(dev, "no SMCCC 1.1 conduit (PSCI method): cannot ask for the hypervisor's UID\n");
		return -ENODEV;
	}
	arm_smccc_1_1_invoke(ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID, &res);
	if ((long)res.a0 == SMCCC_RET_NOT_SUPPORTED) {
		dev_info(dev, "no vendor hypervisor answers the SMCCC UID call\n");
		return -ENODEV;
	}
	/* The UID comes as four little-endian words in w0..w3 */
	put_unaligned_le32(lower_32_bits(res.a0), &uuid.b[0]);
	put_unaligned_le32(lower_32_bits(res.a1), &uuid.b[4]);
	put_unaligned_le32(lower_32_bits(res.a2), &uuid.b[8]);
	put_unaligned_le32(lower_32_bits(res.a3), &uuid.b[12]);
	for (i = 0; i < ARRAY_SIZE(gh_hvc_uuids); i++)
		if (uuid_equal(&uuid, &gh_hvc_uuids[i]))
			break;
	if (i == ARRAY_SIZE(gh_hvc_uuids)) {
		dev_info(dev, "not running under Gunyah (hypervisor UID %pUb)\n", &uuid);
		return -ENODEV;
	}

	arm_smccc_1_1_hvc(GH_HYPERCALL_HYP_IDENTIFY, &res);
	*api = res.a0 & GH_API_INFO_VERSION;
	if (*api != GH_API_VERSION) {
		dev_err(dev, "unsupported Gunyah API version %u (need %u)\n", *api,
			GH_API_VERSION);
		return -ENODEV;
	}
	if (!(res.a1 & GH_FLAGS0_MSGQUEUE)) {
		dev_err(dev, "Gunyah without message queues\n");
		return -ENODEV;
	}
	return 0;
}

static int gh_hvc_send(struct gh_msgq *q, const void *pkt, size_t len, bool push,
		       unsigned long timeout)
{
	struct gh_msgq_hvc *h = to_hvc(q);
	unsigned long deadline = jiffies + timeout, left;
	struct arm_smccc_res res;

	for (;;) {
		/* Re-armed before the call, so that no interrupt goes unseen */
		reinit_completion(&h->tx_ready);
		arm_smccc_1_1_hvc(GH_HYPERCALL_MSGQ_SEND, h->tx_capid, len, (uintptr_t)pkt,
				  push ? GH_MSGQ_TX_PUSH : 0, 0, &res);
		/* On success res.a1 says whether the queue still has room: the next send learns */
		if (res.a0 != GH_ERROR_MSGQUEUE_FULL)
			return gh_hvc_errno(res.a0);

		left = time_after_eq(jiffies, deadline) ? 0 : deadline - jiffies;
		if (!left || !wait_for_completion_timeout(&h->tx_ready, left))
			return -ETIMEDOUT;
	}
}

static int gh_hvc_recv(struct gh_msgq *q, void *buf, size_t cap)
{
	struct gh_msgq_hvc *h = to_hvc(q);
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(GH_HYPERCALL_MSGQ_RECV, h->rx_capid, (uintptr_t)buf, cap, 0, &res);
	if (res.a0 == GH_ERROR_MSGQUEUE_EMPTY)
		return -EAGAIN;
	if (res.a0 != GH_ERROR_OK)
		return gh_hvc_errno(res.a0);
	if (res.a1 > cap)
		return -EIO;
	return res.a1;
}

static irqreturn_t gh_hvc_tx_irq(int irq, void *data)
{
	struct gh_msgq_hvc *h = data;

	complete(&h->tx_ready);
	return IRQ_HANDLED;
}

static irqreturn_t gh_hvc_rx_irq(int irq, void *data)
{
	struct gh_msgq_hvc *h = data;

	gh_msgq_rx_ready(&h->q);
	return IRQ_HANDLED;
}

static int gh_hvc_start(struct gh_msgq *q)
{
	struct gh_msgq_hvc *h = to_hvc(q);
	int ret;

	ret = request_irq(h->tx_irq, gh_hvc_tx_irq, 0, "gh_rm_tx", h);
	if (ret)
		return ret;
	ret = request_irq(h->rx_irq, gh_hvc_rx_irq, 0, "gh_rm_rx", h);
	if (ret) {
		free_irq(h->tx_irq, h);
		return ret;
	}
	/* Packets may have been waiting since before the interrupt was ours */
	gh_msgq_rx_ready(q);
	return 0;
}

static void gh_hvc_stop(struct gh_msgq *q)
{
	struct gh_msgq_hvc *h = to_hvc(q);

	free_irq(h->rx_irq, h);
	free_irq(h->tx_irq, h);
}

static void gh_hvc_destroy(struct gh_msgq *q)
{
	kfree(to_hvc(q));
}

static const struct gh_msgq_ops gh_hvc_ops = {
	.start = gh_hvc_start,
	.stop = gh_hvc_stop,
	.send = gh_hvc_send,
	.recv = gh_hvc_recv,
	.destroy = gh_hvc_destroy,
};

static int gh_hvc_probe(struct platform_device *pdev)
{
	struct device_node *np = pdev->dev.of_node;
	struct gh_msgq_hvc *h;
	struct gh_core *core;
	u16 api;
	int ret;

	ret = gh_hvc_identify(&pdev->dev, &api);
	if (ret)
		return ret;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->q.ops = &gh_hvc_ops;
	h->q.dev = &pdev->dev;
	init_completion(&h->tx_ready);

	ret = of_property_read_u64_index(np, "reg", 0, &h->tx_capid);
	if (!ret)
		ret = of_property_read_u64_index(np, "reg", 1, &h->rx_capid);
	if (ret) {
		dev_err(&pdev->dev, "no TX/RX message queue capability ids in reg\n");
		goto out_free;
	}
	h->tx_irq = platform_get_irq(pdev, 0);
	if (h->tx_irq < 0) {
		ret = h->tx_irq;
		goto out_free;
	}
	h->rx_irq = platform_get_irq(pdev, 1);
	if (h->rx_irq < 0) {
		ret = h->rx_irq;
		goto out_free;
	}

	core = gh_core_up(&h->q);
	if (IS_ERR(core)) {
		ret = PTR_ERR(core);
		goto out_free;
	}
	h->core = core;
	platform_set_drvdata(pdev, h);
	dev_info(&pdev->dev, "Gunyah API v%u; RM queues: tx cap %#llx irq %d, rx cap %#llx irq %d\n",
		 api, h->tx_capid, h->tx_irq, h->rx_capid, h->rx_irq);
	return 0;

out_free:
	kfree(h);
	return ret;
}

static int gh_hvc_remove(struct platform_device *pdev)
{
	struct gh_msgq_hvc *h = platform_get_drvdata(pdev);

	gh_core_down(h->core);
	h->q.ops->destroy(&h->q);
	return 0;
}

static const struct of_device_id gh_hvc_of_match[] = {
	{ .compatible = "gunyah-resource-manager" },
	{}
};
MODULE_DEVICE_TABLE(of, gh_hvc_of_match);

static struct platform_driver gh_hvc_driver = {
	.probe = gh_hvc_probe,
	.remove = gh_hvc_remove,
	.driver = {
		.name = "gh_rsc_mgr",
		.of_match_table = gh_hvc_of_match,
	},
};

/**
 * gh_msgq_hvc_register() - Register the Gunyah RM platform driver
 *
 * Context: Process context (module init).
 * Return: 0 or a negative errno.
 */
int gh_msgq_hvc_register(void)
{
	return platform_driver_register(&gh_hvc_driver);
}

/**
 * gh_msgq_hvc_unregister() - Unregister the driver, removing its devices
 *
 * Context: Process context (module exit).
 */
void gh_msgq_hvc_unregister(void)
{
	platform_driver_unregister(&gh_hvc_driver);
}
