// SPDX-License-Identifier: GPL-2.0-only
/*
 * gunyah.ko: the VM manager of the Gunyah hypervisor.
 *
 * The module parameter transport picks how the module reaches the Resource
 * Manager (RM): "hvc" uses the Gunyah message queues that the hypervisor
 * describes in the gunyah-resource-manager devicetree node (arm64 only);
 * "loopback" creates /dev/gunyah-rm, which a userspace RM such as gh-rm-emu
 * serves (tests). Either way one transport feeds one RM client (rsc_mgr.c),
 * which serves one VM manager (vm_mgr.c, /dev/gunyah).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "core.h"
#include "rsc_mgr.h"
#include "vm_mgr.h"

/**
 * struct gh_core - One transport, its RM client and its VM manager
 * @q: the transport (owned by whoever called gh_core_up())
 * @rm: the RM client
 * @vmm: the VM manager
 */
struct gh_core {
	struct gh_msgq *q;
	struct gh_rm *rm;
	struct gh_vm_mgr *vmm;
};

static char transport[16] = "hvc";
module_param_string(transport, transport, sizeof(transport), 0444);
MODULE_PARM_DESC(transport,
		 "RM transport: hvc (arm64 Gunyah message queues) or loopback (/dev/gunyah-rm, tests)");

static int gh_param_get_counter(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%ld\n", atomic_long_read((atomic_long_t *)kp->arg));
}

const struct kernel_param_ops gh_param_ops_counter = {
	.get = gh_param_get_counter,
};

static struct gh_msgq *gh_loopback_q;
static struct gh_core *gh_loopback_core;

/**
 * gh_core_up() - Bring up the RM client and the VM manager on a transport
 * @q: a transport that is not started yet
 *
 * The transport is started only once the RM client can take its packets,
 * and /dev/gunyah appears only once the transport is live.
 *
 * Context: Process context.
 * Return: the core, or an ERR_PTR(); @q is not started on error.
 */
struct gh_core *gh_core_up(struct gh_msgq *q)
{
	struct gh_core *core;
	int ret;

	core = kzalloc(sizeof(*core), GFP_KERNEL);
	if (!core)
		return ERR_PTR(-ENOMEM);
	core->q = q;

	core->rm = gh_rm_create(q);
	if (IS_ERR(core->rm)) {
		ret = PTR_ERR(core->rm);
		goto out_free_core;
	}

	core->vmm = gh_vm_mgr_create(core->rm);
	if (IS_ERR(core->vmm)) {
		ret = PTR_ERR(core->vmm);
		goto out_destroy_rm;
	}
	q->read_parcel = gh_vm_mgr_read_parcel;
	q->read_parcel_ctx = core->vmm;

	ret = q->ops->start(q);
	if (ret)
		goto out_destroy_vmm;

	ret = gh_vm_mgr_register(core->vmm);
	if (ret)
		goto out_stop_q;
	return core;

out_stop_q:
	q->ops->stop(q);
out_destroy_vmm:
	q->read_parcel = NULL;
	q->read_parcel_ctx = NULL;
	gh_vm_mgr_destroy(core->vmm);
out_destroy_rm:
	gh_rm_destroy(core->rm);
out_free_core:
	kfree(core);
	return ERR_PTR(ret);
}

/**
 * gh_core_down() - Undo gh_core_up()
 * @core: the core
 *
 * Every VM fd holds a reference on the module, and every zombie VM too, so
 * the VM manager has no VM left when this runs.
 *
 * Context: Process context.
 */
void gh_core_down(struct gh_core *core)
{
	struct gh_msgq *q = core->q;

	gh_vm_mgr_unregister(core->vmm);
	q->ops->stop(q);
	q->read_parcel = NULL;
	q->read_parcel_ctx = NULL;
	gh_vm_mgr_destroy(core->vmm);
	gh_rm_destroy(core->rm);
	kfree(core);
}

static int __init gh_init(void)
{
	struct gh_core *core;

	if (sysfs_streq(transport, "loopback")) {
		gh_loopback_q = gh_msgq_loopback_create();
		if (IS_ERR(gh_loopback_q))
			return PTR_ERR(gh_loopback_q);
		core = gh_core_up(gh_loopback_q);
		if (IS_ERR(core)) {
			gh_loopback_q->ops->destroy(gh_loopback_q);
			return PTR_ERR(core);
		}
		gh_loopback_core = core;
		pr_info("loopback transport: serve /dev/gunyah-rm with a userspace RM (test only)\n");
		return 0;
	}

	if (sysfs_streq(transport, "hvc")) {
#ifdef CONFIG_ARM64
		return gh_msgq_hvc_register();
#else
		pr_err("transport=hvc needs arm64 and Gunyah; use transport=loopback for tests\n");
		return -ENODEV;
#endif
	}

	pr_err("unknown transport '%s' (hvc or loopback)\n", transport);
	return -EINVAL;
}

static void __exit gh_exit(void)
{
	if (gh_loopback_core) {
		gh_core_down(gh_loopback_core);
		gh_loopback_q->ops->destroy(gh_loopback_q);
		return;
	}
#ifdef CONFIG_ARM64
	gh_msgq_hvc_unregister();
#endif
}

module_init(gh_init);
module_exit(gh_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Gunyah hypervisor VM manager and Resource Manager client");
