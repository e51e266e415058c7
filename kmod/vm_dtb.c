// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one fact the module needs from a VM's configuration devicetree: does
 * it give the guest an RM-RPC link? The RM forwards a graceful VM_STOP to
 * the guest over that link, and the open-source RM exits when the guest has
 * none (docs/kmod.md). The kernel's libfdt is not exported to modules, so
 * this is a small walk of the flattened tree's structure block, bounded by
 * the blob: every step moves forward, every read is checked.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/unaligned.h>

#include "vm_mgr.h"

/* Devicetree Specification 0.4, 5.2 and 5.4 */
#define GH_FDT_MAGIC		0xd00dfeed
#define GH_FDT_HEADER_SIZE	40
#define GH_FDT_BEGIN_NODE	1
#define GH_FDT_END_NODE		2
#define GH_FDT_PROP		3
#define GH_FDT_NOP		4
#define GH_FDT_END		9

/* Depths, the root node being 1: /gunyah-vm-config/vdevices/<vdevice> */
#define GH_DT_CFG_DEPTH		2
#define GH_DT_VDEVS_DEPTH	3
#define GH_DT_VDEV_DEPTH	4

static const char gh_dt_rm_rpc[] = "rm-rpc";

/* A node name equals @want, with or without a unit address (libfdt's rule) */
static bool gh_dt_name_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(name, want, n) && (name[n] == '\0' || name[n] == '@');
}

/* NUL-terminated string at blob[off..end), or NULL */
static const char *gh_dt_string(const u8 *blob, u32 off, u32 end)
{
	if (off >= end || !memchr(blob + off, '\0', end - off))
		return NULL;
	return (const char *)blob + off;
}

/**
 * gh_vm_dtb_has_rm_rpc() - Whether a VM devicetree has an rm-rpc vdevice
 * @blob: the devicetree blob as the host wrote it into guest memory
 * @len: bytes readable at @blob
 *
 * Looks for a node /gunyah-vm-config/vdevices/<any> (the RM also accepts
 * /qcom,vm-config) whose "vdevice-type" is "rm-rpc". A malformed blob has
 * none: the RM will refuse it at VM_INIT anyway.
 *
 * Context: Any context.
 * Return: true when such a vdevice exists.
 */
bool gh_vm_dtb_has_rm_rpc(const void *blob, size_t len)
{
	const u8 *b = blob;
	u32 total, off, end, str_off, str_end, tok, plen, nameoff;
	/* on_path[d]: the node at depth d lies on the path we look for */
	bool on_path[GH_DT_VDEV_DEPTH + 1] = { };
	const char *name;
	int depth = 0;

	if (len < GH_FDT_HEADER_SIZE || get_unaligned_be32(b) != GH_FDT_MAGIC)
		return false;
	total = get_unaligned_be32(b + 4);
	off = get_unaligned_be32(b + 8);
	str_off = get_unaligned_be32(b + 12);
	if (total > len || total < GH_FDT_HEADER_SIZE)
		return false;
	/* version 17 has the block sizes; earlier blobs end at totalsize */
	end = total;
	str_end = total;
	if (get_unaligned_be32(b + 20) >= 17) {
		if (get_unaligned_be32(b + 36) > total - min(off, total))
			return false;
		end = off + get_unaligned_be32(b + 36);
		if (get_unaligned_be32(b + 32) > total - min(str_off, total))
			return false;
		str_end = str_off + get_unaligned_be32(b + 32);
	}
	if (off >= end || (off & 3) || str_off > str_end)
		return false;

	while (end - off >= 4) {
		tok = get_unaligned_be32(b + off);
		off += 4;
		switch (tok) {
		case GH_FDT_BEGIN_NODE:
			name = gh_dt_string(b, off, end);
			if (!name)
				return false;
			off += ALIGN(strlen(name) + 1, 4);
			depth++;
			if (depth <= GH_DT_VDEV_DEPTH)
				on_path[depth] =
					depth == 1 ||
					(depth == GH_DT_CFG_DEPTH &&
					 (gh_dt_name_is(name, "gunyah-vm-config") ||
					  gh_dt_name_is(name, "qcom,vm-config"))) ||
					(depth == GH_DT_VDEVS_DEPTH && on_path[depth - 1] &&
					 gh_dt_name_is(name, "vdevices")) ||
					(depth == GH_DT_VDEV_DEPTH && on_path[depth - 1]);
			break;
		case GH_FDT_END_NODE:
			if (--depth < 0)
				return false;
			break;
		case GH_FDT_PROP:
			if (end - off < 8)
				return false;
			plen = get_unaligned_be32(b + off);
			nameoff = get_unaligned_be32(b + off + 4);
			off += 8;
			name = nameoff < str_end - str_off ?
			       gh_dt_string(b, str_off + nameoff, str_end) : NULL;
			if (!name || plen > end - off)
				return false;
			if (depth == GH_DT_VDEV_DEPTH && on_path[depth] &&
			    !strcmp(name, "vdevice-type") && plen >= sizeof(gh_dt_rm_rpc) &&
			    !memcmp(b + off, gh_dt_rm_rpc, sizeof(gh_dt_rm_rpc)))
				return true;
			off += ALIGN(plen, 4);
			break;
		case GH_FDT_NOP:
			break;
		default:	/* FDT_END or garbage */
			return false;
		}
		if (off > end)
			return false;
	}
	return false;
}
