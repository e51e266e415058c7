/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Resource Manager RPC client: calls, notifications, and the typed RPCs the
 * VM manager uses (rsc_mgr_rpc.c).
 */
#ifndef GH_RSC_MGR_H
#define GH_RSC_MGR_H

#include <linux/notifier.h>
#include <linux/types.h>

#include <gunyah/rm-wire.h>

#include "msgq.h"

struct gh_rm;

/**
 * struct gh_rm_notification - Data of an RM notification
 * @payload: the message payload (valid during the notifier call only)
 * @len: its length in bytes
 *
 * Notifier chains registered with gh_rm_register_notifier() are called with
 * the message id as action and this structure as data, from the RM client's
 * receive worker (process context). Callbacks must not wait for RM replies.
 */
struct gh_rm_notification {
	const void *payload;
	size_t len;
};

struct gh_rm *gh_rm_create(struct gh_msgq *q);
void gh_rm_destroy(struct gh_rm *rm);
int gh_rm_call(struct gh_rm *rm, u32 msg_id, const void *req, size_t req_len,
	       void **ret_resp, size_t *ret_resp_len);
int gh_rm_call_ex(struct gh_rm *rm, u32 msg_id, const void *req, size_t req_len,
		  void **ret_resp, size_t *ret_resp_len, bool *reterr_delivered);
int gh_rm_register_notifier(struct gh_rm *rm, struct notifier_block *nb);
int gh_rm_unregister_notifier(struct gh_rm *rm, struct notifier_block *nb);
unsigned long gh_rm_timeout(void);
void gh_rm_release_begin(struct gh_rm *rm, unsigned long limit);
void gh_rm_release_end(struct gh_rm *rm);

/* Typed RPCs (rsc_mgr_rpc.c); each returns 0 or a negative errno */
int gh_rm_vm_alloc_vmid(struct gh_rm *rm, u16 *ret_vmid);
int gh_rm_vm_dealloc_vmid(struct gh_rm *rm, u16 vmid);
int gh_rm_get_host_vmid(struct gh_rm *rm, u16 *ret_vmid);
int gh_rm_mem_share(struct gh_rm *rm, u32 msg_id, const struct gh_rm_mem_share_args *args,
		    u32 *ret_handle, bool *reterr_unknown);
int gh_rm_mem_reclaim(struct gh_rm *rm, u32 mem_handle);
int gh_rm_vm_config_image(struct gh_rm *rm, const struct gh_rm_vm_config_image_req *req);
int gh_rm_vm_init(struct gh_rm *rm, u16 vmid);
int gh_rm_vm_get_hyp_resources(struct gh_rm *rm, u16 vmid, u32 *ret_n);
int gh_rm_vm_start(struct gh_rm *rm, u16 vmid);
int gh_rm_vm_stop(struct gh_rm *rm, u16 vmid, u8 flags, u32 reason);
int gh_rm_vm_reset(struct gh_rm *rm, u16 vmid);
int gh_rm_console_open(struct gh_rm *rm, u16 vmid);
int gh_rm_console_close(struct gh_rm *rm, u16 vmid);
int gh_rm_console_flush(struct gh_rm *rm, u16 vmid);
int gh_rm_console_write(struct gh_rm *rm, u16 vmid, const void *bytes, size_t n);

#endif /* GH_RSC_MGR_H */
