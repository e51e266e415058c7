// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RM emulator: memparcels and their requests, MEM_LEND, MEM_SHARE,
 * MEM_DONATE, MEM_APPEND, MEM_RECLAIM and MEM_RELEASE, as the RM's
 * memparcel code handles them (docs/rm-emulator.md). A parcel's physical
 * ranges are indexed so that an overlap with a live parcel is MEM_INUSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu-internal.h"

#define EMU_PAGE		0x1000ULL

/* ---------------------------------------------------------------------------
 * Parcels
 */
/* Bytes of the parcels lent or shared to @vmid: what its reset releases */
u64 emu_vm_parcel_bytes(const struct emu *emu, u16 vmid)
{
	const struct emu_parcel *p;
	u64 bytes = 0;

	for (p = emu->parcels; p; p = p->next)
		if (emu_parcel_targets(p, vmid))
			bytes += p->size;
	return bytes;
}

struct emu_parcel *emu_parcel_lookup(const struct emu *emu, u32 handle)
{
	struct emu_parcel *p;

	for (p = emu->parcels; p; p = p->next)
		if (p->handle == handle)
			return p;
	return NULL;
}

struct emu_acl *emu_parcel_acl(const struct emu_parcel *p, u16 vmid)
{
	u32 i;

	for (i = 0; i < p->n_acl; i++)
		if (p->acl[i].vmid == vmid)
			return &p->acl[i];
	return NULL;
}

/* Lent or shared to @vmid (as a borrower, not the owner) */
bool emu_parcel_targets(const struct emu_parcel *p, u16 vmid)
{
	return vmid != p->owner && emu_parcel_acl(p, vmid);
}

bool emu_parcel_accepted(const struct emu_parcel *p)
{
	u32 i;

	for (i = 0; i < p->n_acl; i++)
		if (p->acl[i].accepted)
			return true;
	return false;
}

/* First borrower, for logs */
static u16 emu_parcel_target(const struct emu_parcel *p)
{
	u32 i;

	for (i = 0; i < p->n_acl; i++)
		if (p->acl[i].vmid != p->owner)
			return p->acl[i].vmid;
	return 0;
}

void emu_parcel_free(struct emu_parcel *p)
{
	if (!p)
		return;
	free(p->acl);
	free(p->attr);
	free(p->mem);
	free(p);
}

static int emu_range_cmp(const void *a, const void *b)
{
	const struct emu_range *x = a, *y = b;

	return x->base < y->base ? -1 : x->base > y->base;
}

/* Index of the first range whose base is >= @base */
static size_t emu_range_lower(const struct emu *emu, u64 base)
{
	size_t lo = 0, hi = emu->n_ranges, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (emu->ranges[mid].base < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Record the physical ranges of @n entries for @handle. Returns 0, -EBUSY
 * when one overlaps a live parcel or another entry (the hypervisor refuses
 * the memextent: MEM_INUSE), -ENOMEM. Sorting first keeps a scatter list
 * of n entries at O(n log n + total) rather than a quadratic insert.
 */
static int emu_ranges_add(struct emu *emu, u32 handle, const struct gh_rm_list *list)
{
	struct emu_range *tmp, *merged;
	struct gh_rm_mem_entry e;
	size_t i, j, k, idx, n = list->n;

	if (!n)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		(void)gh_rm_mem_get(list, (unsigned int)i, &e);
		tmp[i].base = e.ipa_base;
		tmp[i].end = e.ipa_base + e.size;
		tmp[i].handle = handle;
	}
	qsort(tmp, n, sizeof(*tmp), emu_range_cmp);
	for (i = 0; i < n; i++) {
		if (i && tmp[i].base < tmp[i - 1].end)
			goto busy;
		idx = emu_range_lower(emu, tmp[i].end);
		if (idx && emu->ranges[idx - 1].end > tmp[i].base)
			goto busy;
	}

	merged = malloc((emu->n_ranges + n) * sizeof(*merged));
	if (!merged) {
		free(tmp);
		return -ENOMEM;
	}
	for (i = j = k = 0; i < emu->n_ranges || j < n;) {
		if (j == n || (i < emu->n_ranges && emu->ranges[i].base < tmp[j].base))
			merged[k++] = emu->ranges[i++];
		else
			merged[k++] = tmp[j++];
	}
	free(emu->ranges);
	free(tmp);
	emu->ranges = merged;
	emu->n_ranges = k;
	emu->cap_ranges = k;
	return 0;

busy:
	free(tmp);
	return -EBUSY;
}

static void emu_ranges_remove(struct emu *emu, u32 handle)
{
	size_t i, k;

	for (i = k = 0; i < emu->n_ranges; i++)
		if (emu->ranges[i].handle != handle)
			emu->ranges[k++] = emu->ranges[i];
	emu->n_ranges = k;
}

static void emu_parcel_delete(struct emu *emu, struct emu_parcel *p)
{
	struct emu_parcel **pp;

	for (pp = &emu->parcels; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	emu_ranges_remove(emu, p->handle);
	emu_parcel_free(p);
}

/* Copy guest memory at byte @off of the parcel, through the scatter list */
int emu_parcel_read(struct emu *emu, const struct emu_parcel *p, u64 off, void *buf, size_t len)
{
	u8 *out = buf;
	size_t i, chunk;
	int r;

	if (!emu->ops.read_phys)
		return -EOPNOTSUPP;
	for (i = 0; i < p->n_mem && len; i++) {
		if (off >= p->mem[i].size) {
			off -= p->mem[i].size;
			continue;
		}
		chunk = p->mem[i].size - off < len ? (size_t)(p->mem[i].size - off) : len;
		r = emu->ops.read_phys(emu->ops.opaque, p->mem[i].ipa_base + off, out, chunk);
		if (r < 0)
			return r;
		out += chunk;
		len -= chunk;
		off = 0;
	}
	return len ? -EFAULT : 0;
}

void emu_format_acl(const struct emu_parcel *p, char *buf, size_t len)
{
	size_t n = 0;
	u32 i;

	buf[0] = '\0';
	for (i = 0; i < p->n_acl && n < len; i++) {
		u8 perms = p->acl[i].perms;

		n += (size_t)snprintf(buf + n, len - n, "%s0x%x:%s%s%s%s", i ? "," : "",
				      p->acl[i].vmid, perms & GH_RM_ACL_R ? "r" : "",
				      perms & GH_RM_ACL_W ? "w" : "",
				      perms & GH_RM_ACL_X ? "x" : "",
				      perms & GH_RM_ACL_RWX ? "" : "-");
	}
}

/* ---------------------------------------------------------------------------
 * Requests
 */
/* Checks one slice of a scatter list: page-granular, non-empty, no wrap */
static u32 emu_check_mem_list(const struct gh_rm_list *list, u64 *ret_size)
{
	struct gh_rm_mem_entry e;
	u64 size = 0;
	u32 i;

	for (i = 0; i < list->n; i++) {
		(void)gh_rm_mem_get(list, i, &e);
		if (!e.size || e.ipa_base % EMU_PAGE || e.size % EMU_PAGE ||
		    e.ipa_base + e.size < e.ipa_base)
			return GH_RM_ERROR_ARGUMENT_INVALID;
		size += e.size;
	}
	*ret_size = size;
	return GH_RM_ERROR_OK;
}

static u32 emu_parcel_add_mem(struct emu *emu, struct emu_parcel *p, const struct gh_rm_list *list)
{
	struct gh_rm_mem_entry *mem;
	size_t cap;
	u64 size;
	u32 err, i;
	int ret;

	err = emu_check_mem_list(list, &size);
	if (err)
		return err;
	if (p->n_mem + list->n > EMU_MAX_PARCEL_ENTRIES)
		return GH_RM_ERROR_NOMEM;
	if (p->n_mem + list->n > p->cap_mem) {
		cap = p->cap_mem ? p->cap_mem : 16;
		while (cap < p->n_mem + list->n)
			cap *= 2;
		mem = realloc(p->mem, cap * sizeof(*mem));
		if (!mem)
			return GH_RM_ERROR_NOMEM;
		p->mem = mem;
		p->cap_mem = cap;
	}
	ret = emu_ranges_add(emu, p->handle, list);
	if (ret == -EBUSY)
		return GH_RM_ERROR_MEM_INUSE;
	if (ret < 0)
		return GH_RM_ERROR_NOMEM;
	for (i = 0; i < list->n; i++)
		(void)gh_rm_mem_get(list, i, &p->mem[p->n_mem + i]);
	p->n_mem += list->n;
	p->size += size;
	return GH_RM_ERROR_OK;
}

/* The request as a whole; each rule below is one refusal */
struct emu_mem_rule {
	bool (*refused)(const struct gh_rm_mem_share_req *q, u8 trans);
	u32 error;
};

static bool emu_mem_io_sanitize(const struct gh_rm_mem_share_req *q, u8 trans)
{
	(void)trans;
	return (q->flags & GH_RM_MEM_SHARE_FLAG_SANITIZE) && q->mem_type == GH_RM_MEM_TYPE_IO;
}

static bool emu_mem_empty_or_unknown(const struct gh_rm_mem_share_req *q, u8 trans)
{
	(void)trans;
	return q->mem_type > GH_RM_MEM_TYPE_IO || !q->acl.n || !q->mem.n;
}

static bool emu_mem_donate_to_many(const struct gh_rm_mem_share_req *q, u8 trans)
{
	return trans == EMU_TRANS_DONATE && q->acl.n > 1;
}

static bool emu_mem_donate_not_plain(const struct gh_rm_mem_share_req *q, u8 trans)
{
	return trans == EMU_TRANS_DONATE &&
	       (q->mem.n > 1 || q->mem_type != GH_RM_MEM_TYPE_NORMAL);
}

/* a lend has exactly one borrower */
static bool emu_mem_lend_not_one(const struct gh_rm_mem_share_req *q, u8 trans)
{
	return trans == EMU_TRANS_LEND && q->acl.n != 1;
}

static const struct emu_mem_rule emu_mem_rules[] = {
	{ emu_mem_io_sanitize,		GH_RM_ERROR_ARGUMENT_INVALID },
	{ emu_mem_empty_or_unknown,	GH_RM_ERROR_ARGUMENT_INVALID },
	{ emu_mem_donate_to_many,	GH_RM_ERROR_ARGUMENT_INVALID },
	{ emu_mem_donate_not_plain,	GH_RM_ERROR_DENIED },
	{ emu_mem_lend_not_one,		GH_RM_ERROR_ARGUMENT_INVALID },
};

static bool emu_acl_perms_valid(u8 perms)
{
	return perms == GH_RM_ACL_R || perms == (GH_RM_ACL_R | GH_RM_ACL_X) ||
	       perms == (GH_RM_ACL_R | GH_RM_ACL_W) || perms == GH_RM_ACL_RWX;
}

/* ACL entry @i: a VM once, known, with a permission set the RM takes */
static u32 emu_mem_check_acl_entry(struct emu *emu, const struct gh_rm_mem_share_req *q, u8 trans,
				   u32 i)
{
	struct gh_rm_acl_entry a, b;
	u32 j;

	(void)gh_rm_acl_get(&q->acl, i, &a);
	for (j = 0; j < i; j++) {
		(void)gh_rm_acl_get(&q->acl, j, &b);
		if (a.vmid == b.vmid)
			return GH_RM_ERROR_ARGUMENT_INVALID;
	}
	if (a.vmid != GH_RM_VMID_HLOS && !emu_vm_lookup(emu, a.vmid))
		return GH_RM_ERROR_ARGUMENT_INVALID;
	if (!emu_acl_perms_valid(a.perms))
		return GH_RM_ERROR_ARGUMENT_INVALID;
	if (q->mem_type == GH_RM_MEM_TYPE_IO && (a.perms & GH_RM_ACL_X))
		return GH_RM_ERROR_ARGUMENT_INVALID;
	if (trans == EMU_TRANS_DONATE && a.perms != GH_RM_ACL_RWX)
		return GH_RM_ERROR_DENIED;
	return GH_RM_ERROR_OK;
}

static bool emu_acl_has(const struct gh_rm_list *acl, u16 vmid)
{
	struct gh_rm_acl_entry a;
	u32 i;

	for (i = 0; i < acl->n; i++) {
		(void)gh_rm_acl_get(acl, i, &a);
		if (a.vmid == vmid)
			return true;
	}
	return false;
}

/* Attribute entry @i: a VM once, of the ACL, with a known attribute */
static u32 emu_mem_check_attr_entry(const struct gh_rm_mem_share_req *q, u8 trans, u32 i)
{
	struct gh_rm_attr_entry at, at2;
	u32 j;

	(void)gh_rm_attr_get(&q->attr, i, &at);
	for (j = 0; j < i; j++) {
		(void)gh_rm_attr_get(&q->attr, j, &at2);
		if (at.vmid == at2.vmid)
			return GH_RM_ERROR_ARGUMENT_INVALID;
	}
	if (at.attr > GH_RM_MEM_ATTR_CACHED ||
	    (trans == EMU_TRANS_DONATE && at.attr != GH_RM_MEM_ATTR_NORMAL))
		return GH_RM_ERROR_ARGUMENT_INVALID;
	if (!emu_acl_has(&q->acl, at.vmid))
		return GH_RM_ERROR_VMID_INVALID;
	return GH_RM_ERROR_OK;
}

/* Every refusal of memparcel_create, in the RM's order */
static u32 emu_mem_check(struct emu *emu, const struct gh_rm_mem_share_req *q, u8 trans)
{
	size_t k;
	u32 i, err;

	for (k = 0; k < ARRAY_SIZE(emu_mem_rules); k++)
		if (emu_mem_rules[k].refused(q, trans))
			return emu_mem_rules[k].error;
	for (i = 0; i < q->acl.n; i++) {
		err = emu_mem_check_acl_entry(emu, q, trans, i);
		if (err)
			return err;
	}
	/* the owner is in the ACL of a share, and only of a share */
	if ((trans == EMU_TRANS_SHARE) != emu_acl_has(&q->acl, GH_RM_VMID_HLOS))
		return GH_RM_ERROR_ARGUMENT_INVALID;
	for (i = 0; i < q->attr.n; i++) {
		err = emu_mem_check_attr_entry(q, trans, i);
		if (err)
			return err;
	}
	return GH_RM_ERROR_OK;
}

/* A parcel of the HLOS with the request's ACL and attributes, no memory yet */
static struct emu_parcel *emu_parcel_new(u32 handle, const struct gh_rm_mem_share_req *q, u8 trans)
{
	struct gh_rm_acl_entry a;
	struct emu_parcel *p;
	u32 i;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->handle = handle;
	p->label = q->label;
	p->trans = trans;
	p->mem_type = q->mem_type;
	p->flags = q->flags;
	p->complete = !(q->flags & GH_RM_MEM_SHARE_FLAG_APPEND);
	p->owner = GH_RM_VMID_HLOS;
	p->n_acl = q->acl.n;
	p->n_attr = q->attr.n;
	p->acl = calloc(q->acl.n, sizeof(*p->acl));
	p->attr = q->attr.n ? calloc(q->attr.n, sizeof(*p->attr)) : NULL;
	if (!p->acl || (q->attr.n && !p->attr)) {
		emu_parcel_free(p);
		return NULL;
	}
	for (i = 0; i < q->acl.n; i++) {
		(void)gh_rm_acl_get(&q->acl, i, &a);
		p->acl[i].vmid = a.vmid;
		p->acl[i].perms = a.perms;
	}
	for (i = 0; i < q->attr.n; i++)
		(void)gh_rm_attr_get(&q->attr, i, &p->attr[i]);
	return p;
}

/* MEM_LEND, MEM_SHARE, MEM_DONATE (memparcel_create / memparcel_construct) */
static u32 emu_mem_create(struct emu *emu, struct emu_req *r, const struct gh_rm_mem_share_req *q,
			  u8 trans)
{
	struct emu_parcel *p, **pp;
	u32 err;

	err = emu_mem_check(emu, q, trans);
	if (err)
		return err;
	p = emu_parcel_new(emu->next_handle, q, trans);
	if (!p)
		return GH_RM_ERROR_NOMEM;
	err = emu_parcel_add_mem(emu, p, &q->mem);
	if (err) {
		emu_ranges_remove(emu, p->handle);
		emu_parcel_free(p);
		return err;
	}
	p->messages = 1;
	p->packets = r->fragments + 1u;
	emu->next_handle++;
	for (pp = &emu->parcels; *pp; pp = &(*pp)->next)
		;
	*pp = p;
	r->vmid = emu_parcel_target(p);
	emu_reply_u32(r, p->handle);
	return GH_RM_ERROR_OK;
}

static void emu_h_mem_create(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_mem_share_req q;
	struct emu_parcel *p;
	char acl[96];
	u8 trans;
	int ret;

	trans = r->msg_id == GH_RM_MEM_LEND ? EMU_TRANS_LEND :
		r->msg_id == GH_RM_MEM_SHARE ? EMU_TRANS_SHARE : EMU_TRANS_DONATE;
	ret = gh_rm_dec_mem_share_req(r->p, r->len, &q);
	if (ret == -E2BIG) {
		/* a list count above MAX_LIST_ENTRIES */
		r->err = GH_RM_ERROR_NORESOURCE;
		return;
	}
	if (ret < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	emu_req_extra(r, "label=%u", q.label);
	r->err = emu_mem_create(emu, r, &q, trans);
	if (r->err)
		return;
	p = emu_parcel_lookup(emu, gh_rm_get_le32(r->data));
	emu_format_acl(p, acl, sizeof(acl));
	emu_req_extra(r, "acl=%s entries=%zu size=%llu handle=%u%s", acl, p->n_mem,
		      (unsigned long long)p->size, p->handle, p->complete ? "" : " append=1");
}

static void emu_h_mem_append(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_mem_append_req q;
	struct emu_parcel *p;
	int ret;

	ret = gh_rm_dec_mem_append_req(r->p, r->len, &q);
	if (ret == -E2BIG) {
		r->err = GH_RM_ERROR_NORESOURCE;
		return;
	}
	if (ret < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return;
	}
	emu_req_extra(r, "handle=%u entries=%u end=%u", q.mem_handle, q.mem.n,
		      q.flags & GH_RM_MEM_APPEND_FLAG_END ? 1 : 0);
	p = emu_parcel_lookup(emu, q.mem_handle);
	if (!p) {
		r->err = GH_RM_ERROR_HANDLE_INVALID;
		return;
	}
	r->vmid = emu_parcel_target(p);
	if (p->owner != GH_RM_VMID_HLOS || p->complete) {
		r->err = GH_RM_ERROR_DENIED;
		return;
	}
	if (!q.mem.n) {
		r->err = GH_RM_ERROR_ARGUMENT_INVALID;
		return;
	}
	r->err = emu_parcel_add_mem(emu, p, &q.mem);
	if (r->err)
		return;
	p->messages++;
	p->packets += r->fragments + 1u;
	if (q.flags & GH_RM_MEM_APPEND_FLAG_END)
		p->complete = true;
}

/*
 * RECLAIM and RELEASE share a request: the parcel it names (NULL, with
 * r->err set when the request does not decode or no parcel has the handle).
 */
static struct emu_parcel *emu_mem_req_parcel(struct emu *emu, struct emu_req *r,
					     struct gh_rm_mem_reclaim_req *q)
{
	struct emu_parcel *p;

	if (gh_rm_dec_mem_reclaim_req(r->p, r->len, q) < 0) {
		r->err = GH_RM_ERROR_MSG_INVALID;
		return NULL;
	}
	emu_req_extra(r, "handle=%u", q->mem_handle);
	p = emu_parcel_lookup(emu, q->mem_handle);
	if (!p)
		r->err = GH_RM_ERROR_HANDLE_INVALID;
	return p;
}

static void emu_h_mem_reclaim(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_mem_reclaim_req q;
	struct emu_parcel *p = emu_mem_req_parcel(emu, r, &q);

	if (!p)
		return;
	r->vmid = emu_parcel_target(p);
	if (p->owner != GH_RM_VMID_HLOS) {
		r->err = GH_RM_ERROR_DENIED;
		return;
	}
	if (emu->reclaim_refuse) {
		r->err = GH_RM_ERROR_IN_USE;
		emu_req_extra(r, "fault=reclaim-refuse");
		return;
	}
	/* memparcel_do_reclaim: a parcel some borrower holds is MEM_INUSE */
	if (emu_parcel_accepted(p)) {
		r->err = GH_RM_ERROR_MEM_INUSE;
		return;
	}
	if ((q.flags & GH_RM_MEM_RECLAIM_FLAG_SANITIZE) && p->mem_type == GH_RM_MEM_TYPE_IO) {
		r->err = GH_RM_ERROR_ARGUMENT_INVALID;
		return;
	}
	emu_trace(emu, "parcel %u reclaimed", p->handle);
	emu_parcel_delete(emu, p);
}

static void emu_h_mem_release(struct emu *emu, struct emu_req *r)
{
	struct gh_rm_mem_reclaim_req q;
	struct emu_parcel *p = emu_mem_req_parcel(emu, r, &q);

	if (!p)
		return;
	/* the HLOS only ever owns parcels here: it never borrowed one to release */
	r->err = emu_parcel_acl(p, GH_RM_VMID_HLOS) ? GH_RM_ERROR_DENIED
						    : GH_RM_ERROR_HANDLE_INVALID;
}

const struct emu_handler emu_mem_handlers[] = {
	{ GH_RM_MEM_DONATE,		emu_h_mem_create },
	{ GH_RM_MEM_LEND,		emu_h_mem_create },
	{ GH_RM_MEM_SHARE,		emu_h_mem_create },
	{ GH_RM_MEM_RELEASE,		emu_h_mem_release },
	{ GH_RM_MEM_RECLAIM,		emu_h_mem_reclaim },
	{ GH_RM_MEM_APPEND,		emu_h_mem_append },
	{ 0, NULL }
};

/* ---------------------------------------------------------------------------
 * Observation
 */

int emu_parcel_get(const struct emu *emu, u32 handle, struct emu_parcel_info *ret)
{
	const struct emu_parcel *p = emu_parcel_lookup(emu, handle);
	u32 i;

	if (!p)
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	ret->handle = p->handle;
	ret->label = p->label;
	ret->trans = p->trans;
	ret->mem_type = p->mem_type;
	ret->owner = p->owner;
	ret->complete = p->complete;
	ret->accepted = emu_parcel_accepted(p);
	ret->n_acl = p->n_acl;
	for (i = 0; i < p->n_acl && i < 4; i++) {
		ret->acl[i].vmid = p->acl[i].vmid;
		ret->acl[i].perms = p->acl[i].perms;
	}
	ret->n_mem = p->n_mem;
	ret->size = p->size;
	ret->messages = p->messages;
	ret->packets = p->packets;
	return 0;
}

unsigned int emu_parcel_count(const struct emu *emu)
{
	const struct emu_parcel *p;
	unsigned int n = 0;

	for (p = emu->parcels; p; p = p->next)
		n++;
	return n;
}
