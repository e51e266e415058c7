// SPDX-License-Identifier: GPL-2.0-only
/*
 * Typed Resource Manager RPCs: payloads encoded and replies decoded with the
 * wire codec (rm/wire/wire.c), so that the module sends exactly what the codec's
 * userspace tests and fuzzers check.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": rm: " fmt

#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "rsc_mgr.h"

/* The host's own VMID, asked once (VM_GET_VMID) and kept for the module's life */
static DEFINE_MUTEX(gh_rm_host_vmid_lock);
static bool gh_rm_host_vmid_valid;	/* under gh_rm_host_vmid_lock */
static u16 gh_rm_host_vmid;		/* under gh_rm_host_vmid_lock */

/* A call whose reply carries no data (a "standard reply") */
static int gh_rm_call_std(struct gh_rm *rm, u32 msg_id, const void *req, size_t req_len)
{
	size_t resp_len;
	void *resp;
	int ret;

	ret = gh_rm_call(rm, msg_id, req, req_len, &resp, &resp_len);
	if (ret)
		return ret;
	kfree(resp);
	ret = gh_rm_dec_empty(resp_len);
	if (ret)
		pr_warn_ratelimited("%s: reply carries %zu unexpected bytes\n",
				    gh_rm_msg_name(msg_id), resp_len);
	return ret;
}

static int gh_rm_vmid_call(struct gh_rm *rm, u32 msg_id, u16 vmid)
{
	u8 req[GH_RM_VMID_REQ_SIZE];
	int len;

	len = gh_rm_enc_vmid_req(req, sizeof(req), vmid);
	if (len < 0)
		return len;
	return gh_rm_call_std(rm, msg_id, req, len);
}

/**
 * gh_rm_vm_alloc_vmid() - VM_ALLOCATE a dynamic VMID
 * @rm: the RM client
 * @ret_vmid: the new VMID
 *
 * Context: Process context; sleeps.
 * Return: 0, -ENODEV when the RM has no VMID left (NORESOURCE), another
 * negative errno otherwise.
 */
int gh_rm_vm_alloc_vmid(struct gh_rm *rm, u16 *ret_vmid)
{
	u8 req[GH_RM_VMID_REQ_SIZE];
	size_t resp_len;
	void *resp;
	u16 vmid;
	int ret;

	ret = gh_rm_enc_vmid_req(req, sizeof(req), 0);
	if (ret < 0)
		return ret;
	ret = gh_rm_call(rm, GH_RM_VM_ALLOCATE, req, ret, &resp, &resp_len);
	if (ret)
		return ret;
	ret = gh_rm_dec_vm_alloc_reply(resp, resp_len, 0, &vmid);
	kfree(resp);
	if (ret)
		return ret;
	*ret_vmid = vmid;
	return 0;
}

/**
 * gh_rm_vm_dealloc_vmid() - VM_DEALLOCATE
 * @rm: the RM client
 * @vmid: the VMID, in RM state LOAD or RESET
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno.
 */
int gh_rm_vm_dealloc_vmid(struct gh_rm *rm, u16 vmid)
{
	return gh_rm_vmid_call(rm, GH_RM_VM_DEALLOCATE, vmid);
}

/**
 * gh_rm_get_host_vmid() - The host's own VMID
 * @rm: the RM client
 * @ret_vmid: the VMID
 *
 * The first call asks the RM (VM_GET_VMID, whose reply is 4 bytes); the
 * answer is kept for the module's life.
 *
 * Context: Process context; sleeps. Takes gh_rm_host_vmid_lock before
 * call_lock.
 * Return: 0 or a negative errno.
 */
int gh_rm_get_host_vmid(struct gh_rm *rm, u16 *ret_vmid)
{
	size_t resp_len;
	void *resp;
	u16 vmid;
	int ret;

	mutex_lock(&gh_rm_host_vmid_lock);
	if (gh_rm_host_vmid_valid) {
		*ret_vmid = gh_rm_host_vmid;
		mutex_unlock(&gh_rm_host_vmid_lock);
		return 0;
	}
	ret = gh_rm_call(rm, GH_RM_VM_GET_VMID, NULL, 0, &resp, &resp_len);
	if (!ret) {
		ret = gh_rm_dec_get_vmid_reply(resp, resp_len, &vmid);
		kfree(resp);
	}
	if (!ret) {
		gh_rm_host_vmid = vmid;
		gh_rm_host_vmid_valid = true;
		*ret_vmid = vmid;
	}
	mutex_unlock(&gh_rm_host_vmid_lock);
	return ret;
}

/**
 * gh_rm_mem_share() - MEM_LEND or MEM_SHARE a scatter list, with MEM_APPEND
 * @rm: the RM client
 * @msg_id: GH_RM_MEM_LEND or GH_RM_MEM_SHARE
 * @args: parcel description; any number of memory entries
 * @ret_handle: the parcel's handle, written whenever the RM created the
 *              parcel - also when a MEM_APPEND failed afterwards, in which
 *              case the caller still owns reclaiming it
 * @reterr_unknown: set when the RM got the whole MEM_LEND/MEM_SHARE but
 *                  never answered: the parcel may exist, its handle unknown
 *
 * The entries go in the fewest messages the RM's 512-entry lists allow, the
 * MEM_LEND/MEM_SHARE first (with the APPEND flag when more follow), END on
 * the last MEM_APPEND; gh_rm_mem_plan() splits them so that the messages
 * take the fewest packets. Every request is one RM round trip, so the
 * message count comes first.
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno.
 */
int gh_rm_mem_share(struct gh_rm *rm, u32 msg_id, const struct gh_rm_mem_share_args *args,
		    u32 *ret_handle, bool *reterr_unknown)
{
	struct gh_rm_mem_share_args first = *args;
	size_t nchunks = gh_rm_mem_nchunks(args->n_mem);
	size_t cap, resp_len, chunk, done;
	bool delivered = false;
	void *buf, *resp;
	u16 *counts;
	u32 handle;
	int len, ret;

	counts = kmalloc_array(nchunks, sizeof(*counts), GFP_KERNEL);
	if (!counts)
		return -ENOMEM;
	gh_rm_mem_plan(args->n_acl, args->n_mem, counts);
	cap = max(gh_rm_mem_share_req_len(args->n_acl, GH_RM_MAX_MEM_ENTRIES),
		  gh_rm_mem_append_req_len(GH_RM_MAX_MEM_ENTRIES));
	buf = kmalloc(cap, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_free_counts;
	}

	first.n_mem = counts[0];
	if (nchunks > 1)
		first.flags |= GH_RM_MEM_SHARE_FLAG_APPEND;
	len = gh_rm_enc_mem_share_req(buf, cap, &first);
	if (len < 0) {
		ret = len;
		goto out_free_buf;
	}
	ret = gh_rm_call_ex(rm, msg_id, buf, len, &resp, &resp_len, &delivered);
	if (ret) {
		*reterr_unknown = ret == -ETIMEDOUT && delivered;
		goto out_free_buf;
	}
	ret = gh_rm_dec_mem_handle_reply(resp, resp_len, &handle);
	kfree(resp);
	if (ret)
		goto out_free_buf;
	*ret_handle = handle;

	for (chunk = 1, done = counts[0]; chunk < nchunks; done += counts[chunk++]) {
		len = gh_rm_enc_mem_append_slice(buf, cap, handle,
						 chunk == nchunks - 1 ? GH_RM_MEM_APPEND_FLAG_END : 0,
						 args->mem + done, counts[chunk]);
		if (len < 0) {
			ret = len;
			break;
		}
		ret = gh_rm_call_std(rm, GH_RM_MEM_APPEND, buf, len);
		if (ret)
			break;
	}

out_free_buf:
	kfree(buf);
out_free_counts:
	kfree(counts);
	return ret;
}

/**
 * gh_rm_mem_reclaim() - MEM_RECLAIM a parcel
 * @rm: the RM client
 * @mem_handle: the parcel
 *
 * Context: Process context; sleeps.
 * Return: 0 once the parcel is the host's again, or a negative errno.
 */
int gh_rm_mem_reclaim(struct gh_rm *rm, u32 mem_handle)
{
	struct gh_rm_mem_reclaim_req req = { .mem_handle = mem_handle };
	u8 buf[GH_RM_MEM_RECLAIM_REQ_SIZE];
	int len;

	len = gh_rm_enc_mem_reclaim_req(buf, sizeof(buf), &req);
	if (len < 0)
		return len;
	return gh_rm_call_std(rm, GH_RM_MEM_RECLAIM, buf, len);
}

/**
 * gh_rm_vm_config_image() - VM_CONFIG_IMAGE
 * @rm: the RM client
 * @req: vmid, auth, parcel, image and devicetree location
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno.
 */
int gh_rm_vm_config_image(struct gh_rm *rm, const struct gh_rm_vm_config_image_req *req)
{
	u8 buf[GH_RM_VM_CONFIG_IMAGE_REQ_SIZE];
	int len;

	len = gh_rm_enc_vm_config_image_req(buf, sizeof(buf), req);
	if (len < 0)
		return len;
	return gh_rm_call_std(rm, GH_RM_VM_CONFIG_IMAGE, buf, len);
}

/**
 * gh_rm_vm_init() - VM_INIT
 * @rm: the RM client
 * @vmid: the VM
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno (-EINVAL for a devicetree the RM refuses).
 */
int gh_rm_vm_init(struct gh_rm *rm, u16 vmid)
{
	return gh_rm_vmid_call(rm, GH_RM_VM_INIT, vmid);
}

/**
 * gh_rm_vm_get_hyp_resources() - VM_GET_HYP_RESOURCES
 * @rm: the RM client
 * @vmid: the VM
 * @ret_n: number of resources the RM reported
 *
 * The module runs no vCPU or doorbell functions, so the entries are only
 * validated (length 4 + 44 * n) and counted.
 *
 * Context: Process context; sleeps.
 * Return: 0, -EBADMSG for a malformed reply, or a negative errno.
 */
int gh_rm_vm_get_hyp_resources(struct gh_rm *rm, u16 vmid, u32 *ret_n)
{
	u8 req[GH_RM_VMID_REQ_SIZE];
	size_t resp_len;
	void *resp;
	u32 n;
	int ret;

	ret = gh_rm_enc_vmid_req(req, sizeof(req), vmid);
	if (ret < 0)
		return ret;
	ret = gh_rm_call(rm, GH_RM_VM_GET_HYP_RESOURCES, req, ret, &resp, &resp_len);
	if (ret)
		return ret;
	ret = gh_rm_dec_hyp_resources(resp, resp_len, &n);
	kfree(resp);
	if (ret)
		return ret;
	*ret_n = n;
	return 0;
}

/**
 * gh_rm_vm_start() - VM_START
 * @rm: the RM client
 * @vmid: the VM, in RM state READY
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno.
 */
int gh_rm_vm_start(struct gh_rm *rm, u16 vmid)
{
	return gh_rm_vmid_call(rm, GH_RM_VM_START, vmid);
}

/**
 * gh_rm_vm_stop() - VM_STOP
 * @rm: the RM client
 * @vmid: the VM
 * @flags: 0 (the RM asks the guest to shut down) or GH_RM_VM_STOP_FLAG_FORCE
 * @reason: stop reason
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno.
 */
int gh_rm_vm_stop(struct gh_rm *rm, u16 vmid, u8 flags, u32 reason)
{
	struct gh_rm_vm_stop_req req = { .vmid = vmid, .flags = flags, .reason = reason };
	u8 buf[GH_RM_VM_STOP_REQ_SIZE];
	int len;

	len = gh_rm_enc_vm_stop_req(buf, sizeof(buf), &req);
	if (len < 0)
		return len;
	return gh_rm_call_std(rm, GH_RM_VM_STOP, buf, len);
}

/**
 * gh_rm_vm_reset() - VM_RESET; the RM reports RESET with a VM_STATUS later
 * @rm: the RM client
 * @vmid: the VM, in RM state EXITED, READY or INIT_FAILED
 *
 * Context: Process context; sleeps.
 * Return: 0 or a negative errno.
 */
int gh_rm_vm_reset(struct gh_rm *rm, u16 vmid)
{
	return gh_rm_vmid_call(rm, GH_RM_VM_RESET, vmid);
}

static int gh_rm_console_call(struct gh_rm *rm, u32 msg_id, u16 vmid)
{
	u8 req[GH_RM_CONSOLE_REQ_SIZE];
	int len;

	len = gh_rm_enc_console_req(req, sizeof(req), vmid);
	if (len < 0)
		return len;
	return gh_rm_call_std(rm, msg_id, req, len);
}

/**
 * gh_rm_console_open() - VM_CONSOLE_OPEN of a VM's console, as its owner
 * @rm: the RM client
 * @vmid: the VM
 *
 * Context: Process context; sleeps.
 * Return: 0; -EINVAL (ARGUMENT_INVALID) when the VM has no console (not
 * initialised, no console-dev); -EPERM (DENIED) for a VM the host does not
 * own; another negative errno.
 */
int gh_rm_console_open(struct gh_rm *rm, u16 vmid)
{
	return gh_rm_console_call(rm, GH_RM_VM_CONSOLE_OPEN, vmid);
}

/* VM_CONSOLE_CLOSE; 0 or a negative errno. Context: process; sleeps. */
int gh_rm_console_close(struct gh_rm *rm, u16 vmid)
{
	return gh_rm_console_call(rm, GH_RM_VM_CONSOLE_CLOSE, vmid);
}

/* VM_CONSOLE_FLUSH; -EPERM when not open. Context: process; sleeps. */
int gh_rm_console_flush(struct gh_rm *rm, u16 vmid)
{
	return gh_rm_console_call(rm, GH_RM_VM_CONSOLE_FLUSH, vmid);
}

/**
 * gh_rm_console_write() - VM_CONSOLE_WRITE to a VM's console
 * @rm: the RM client
 * @vmid: the VM
 * @bytes: input for the guest
 * @n: at most GH_RM_CONSOLE_MAX_BYTES
 *
 * The RM drops the bytes (and answers OK) while the guest has not opened
 * its side.
 *
 * Context: Process context; sleeps.
 * Return: 0; -EPERM (DENIED) when the console is not open; -E2BIG; another
 * negative errno.
 */
int gh_rm_console_write(struct gh_rm *rm, u16 vmid, const void *bytes, size_t n)
{
	u8 req[GH_RM_CONSOLE_HDR_SIZE + GH_RM_CONSOLE_PACKET_BYTES];
	u8 *buf = req;
	int len, ret;

	if (n > GH_RM_CONSOLE_PACKET_BYTES) {
		buf = kmalloc(GH_RM_CONSOLE_HDR_SIZE + n, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	len = gh_rm_enc_console_chars(buf, GH_RM_CONSOLE_HDR_SIZE + n, vmid, bytes, n);
	ret = len < 0 ? len : gh_rm_call_std(rm, GH_RM_VM_CONSOLE_WRITE, buf, len);
	if (buf != req)
		kfree(buf);
	return ret;
}
