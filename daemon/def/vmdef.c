/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM definitions: YAML (schema version 1) -> struct vmdef.
 *
 * This file holds the schema only: the document is read into a checked
 * node tree by ydoc.c (anchors, aliases, tags, depth, size, one document),
 * then walked here with one table of keys per mapping (ydoc_parse_map()):
 * stock handlers for plain values, a short one here for each key with a
 * rule of its own, and the checks across keys after each walk. Every
 * problem becomes a diagnostic; nothing here logs.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm-limits.h"
#include "util/string-table.h"
#include "util/string-util.h"
#include "vmdef.h"
#include "ydoc.h"

#define FD_KEY_MAX		64
#define CMDLINE_MAX		2047	/* arm64 COMMAND_LINE_SIZE is 2048 with the NUL */
#define DTB_RESERVE_MIN		4096ull
#define GIC_ALIGN		(64ull * 1024)
#define RESTART_BURST_MAX	1000
#define EXIT_CODE_MAX		255

/* ------------------------------------------------------------------ */
/* String tables */

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static const char *const sharing_table[_VMDEF_SHARING_MAX] = {
	[VMDEF_SHARING_LENT] = "lent",
	[VMDEF_SHARING_SHARED] = "shared",
};
DEFINE_STRING_TABLE(vmdef_sharing, enum vmdef_sharing, sharing_table)

static const char *const hugepages_table[_VMDEF_HUGEPAGES_MAX] = {
	[VMDEF_HUGEPAGES_AUTO] = "auto",
	[VMDEF_HUGEPAGES_NEVER] = "never",
	[VMDEF_HUGEPAGES_HUGETLB] = "hugetlb",
	[VMDEF_HUGEPAGES_REQUIRED] = "required",
};
DEFINE_STRING_TABLE(vmdef_hugepages, enum vmdef_hugepages, hugepages_table)

static const char *const affinity_table[_VMDEF_AFFINITY_MAX] = {
	[VMDEF_AFFINITY_STATIC] = "static",
	[VMDEF_AFFINITY_STICKY] = "sticky",
	[VMDEF_AFFINITY_PINNED] = "pinned",
};
DEFINE_STRING_TABLE(vmdef_affinity, enum vmdef_affinity, affinity_table)

static const char *const restart_table[_VMDEF_RESTART_MAX] = {
	[VMDEF_RESTART_NO] = "no",
	[VMDEF_RESTART_ON_FAILURE] = "on-failure",
	[VMDEF_RESTART_ALWAYS] = "always",
};
DEFINE_STRING_TABLE(vmdef_restart, enum vmdef_restart, restart_table)

static const char *const exit_type_table[_VMDEF_EXIT_MAX] = {
	[VMDEF_EXIT_VM_EXIT] = "vm-exit",
	[VMDEF_EXIT_PLATFORM_OFF] = "platform-off",
	[VMDEF_EXIT_PLATFORM_RESET] = "platform-reset",
	[VMDEF_EXIT_SYSTEM_RESET2] = "system-reset2",
	[VMDEF_EXIT_WATCHDOG_BITE] = "watchdog-bite",
	[VMDEF_EXIT_SOFTWARE_ERROR] = "software-error",
	[VMDEF_EXIT_ASYNC_HW_ERROR] = "async-hw-error",
	[VMDEF_EXIT_FORCED_STOP] = "forced-stop",
};
DEFINE_STRING_TABLE(vmdef_exit_type, enum vmdef_exit_type, exit_type_table)

static const char *const sim_on_stop_table[_VMDEF_SIM_ON_STOP_MAX] = {
	[VMDEF_SIM_ON_STOP_POWEROFF] = "poweroff",
	[VMDEF_SIM_ON_STOP_IGNORE] = "ignore",
};
DEFINE_STRING_TABLE(vmdef_sim_on_stop, enum vmdef_sim_on_stop, sim_on_stop_table)

/* Indexed by the access bits: letters always in the order r, w, x. */
static const char *const access_table[VMDEF_ACCESS_RWX + 1] = {
	[VMDEF_ACCESS_R] = "r",
	[VMDEF_ACCESS_W] = "w",
	[VMDEF_ACCESS_R | VMDEF_ACCESS_W] = "rw",
	[VMDEF_ACCESS_X] = "x",
	[VMDEF_ACCESS_R | VMDEF_ACCESS_X] = "rx",
	[VMDEF_ACCESS_W | VMDEF_ACCESS_X] = "wx",
	[VMDEF_ACCESS_RWX] = "rwx",
};

const char *vmdef_access_to_string(uint32_t access)
{
	if (access >= ELEMENTSOF(access_table))
		return NULL;
	return access_table[access];
}

int vmdef_access_from_string(const char *s, uint32_t *ret)
{
	if (!s)
		return -EINVAL;
	for (uint32_t i = 1; i < ELEMENTSOF(access_table); i++)
		if (streq(access_table[i], s)) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

/* The errnos a simulated start may fail with (simulate.start-errno). */
static const struct {
	const char *name;
	int value;
} sim_errno_table[] = {
	{ "EIO", EIO },
	{ "ETIMEDOUT", ETIMEDOUT },
	{ "ENODEV", ENODEV },
	{ "EINVAL", EINVAL },
	{ "ENOMEM", ENOMEM },
	{ "EPERM", EPERM },
	{ "EBUSY", EBUSY },
	{ "EOPNOTSUPP", EOPNOTSUPP },
};

void vmdef_sim_init(struct vmdef_sim *s)
{
	*s = (struct vmdef_sim) {
		.start_errno = EIO,
		.exit_type = VMDEF_EXIT_VM_EXIT,
		.on_stop = VMDEF_SIM_ON_STOP_POWEROFF,
		.console_echo = true,
	};
}

int vmdef_sim_errno_from_string(const char *s)
{
	for (size_t k = 0; s && k < ELEMENTSOF(sim_errno_table); k++)
		if (streq(sim_errno_table[k].name, s))
			return sim_errno_table[k].value;
	return -EINVAL;
}

static bool is_name_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '.' || c == '-');
}

bool vmdef_name_is_valid(const char *name)
{
	size_t n;

	if (!name)
		return false;
	for (n = 0; name[n]; n++) {
		if (n >= VMDEF_NAME_MAX || !is_name_char(name[n], n == 0))
			return false;
	}
	return n > 0;
}

static bool fd_key_is_valid(const char *key)
{
	size_t n;

	for (n = 0; key[n]; n++) {
		if (n >= FD_KEY_MAX || !is_name_char(key[n], false))
			return false;
	}
	return n > 0;
}

/* ------------------------------------------------------------------ */
/* struct vmdef */

struct vmdef *vmdef_free(struct vmdef *def)
{
	if (!def)
		return NULL;
	free(def->origin);
	free(def->text);
	free(def->name);
	free(def->kernel);
	free(def->ramdisk);
	free(def->cmdline);
	free(def->devicetree.image_name);
	free(def->devicetree.os_type);
	free(def->devicetree.overlay);
	free(def->regions);
	free(def);
	return NULL;
}

static int strdup_or_null(const char *s, char **ret)
{
	if (!s) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int vmdef_dup(const struct vmdef *def, struct vmdef **ret)
{
	_cleanup_(vmdef_freep) struct vmdef *d = NULL;

	if (!def || !ret)
		return -EINVAL;
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	*d = *def;
	/* Nothing below may be freed twice if a copy fails half-way. */
	d->origin = d->text = d->name = d->kernel = d->ramdisk = d->cmdline = NULL;
	d->devicetree.image_name = d->devicetree.os_type = d->devicetree.overlay = NULL;
	d->regions = NULL;

	if (def->text && !(d->text = memdup_nul(def->text, def->text_size)))
		return -ENOMEM;
	if (strdup_or_null(def->origin, &d->origin) < 0 ||
	    strdup_or_null(def->name, &d->name) < 0 ||
	    strdup_or_null(def->kernel, &d->kernel) < 0 ||
	    strdup_or_null(def->ramdisk, &d->ramdisk) < 0 ||
	    strdup_or_null(def->cmdline, &d->cmdline) < 0 ||
	    strdup_or_null(def->devicetree.image_name, &d->devicetree.image_name) < 0 ||
	    strdup_or_null(def->devicetree.os_type, &d->devicetree.os_type) < 0 ||
	    strdup_or_null(def->devicetree.overlay, &d->devicetree.overlay) < 0)
		return -ENOMEM;
	if (def->n_regions > 0) {
		d->regions = calloc(def->n_regions, sizeof(*d->regions));
		if (!d->regions)
			return -ENOMEM;
		memcpy(d->regions, def->regions, def->n_regions * sizeof(*d->regions));
	}
	*ret = steal_ptr(d);
	return 0;
}

static int vmdef_new(const char *origin, bool transient, struct vmdef **ret)
{
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;

	def = calloc(1, sizeof(*def));
	if (!def)
		return -ENOMEM;
	def->origin = strdup(origin ? origin : "<input>");
	def->devicetree.os_type = strdup("linux");
	if (!def->origin || !def->devicetree.os_type)
		return -ENOMEM;
	def->transient = transient;
	def->vcpus = 1;
	def->memory.base = VMDEF_DEFAULT_MEMORY_BASE;
	def->memory.sharing = VMDEF_SHARING_LENT;
	def->memory.access = VMDEF_ACCESS_RWX;
	def->memory.hugepages = VMDEF_HUGEPAGES_AUTO;
	def->devicetree.affinity = VMDEF_AFFINITY_STATIC;
	def->devicetree.sched_priority = VMDEF_DEFAULT_SCHED_PRIORITY;
	def->devicetree.sched_timeslice = VMDEF_DEFAULT_SCHED_TIMESLICE;
	def->devicetree.gic_dist = VMDEF_DEFAULT_GICD;
	def->devicetree.gic_redist = VMDEF_DEFAULT_GICR;
	def->devicetree.reserve = VMDEF_DEFAULT_DTB_RESERVE;
	def->restart.policy = VMDEF_RESTART_NO;
	def->restart.burst = VMDEF_DEFAULT_RESTART_BURST;
	def->restart.interval_usec = VMDEF_DEFAULT_RESTART_INTERVAL_USEC;
	def->stop_timeout_usec = VMDEF_DEFAULT_STOP_TIMEOUT_USEC;
	vmdef_sim_init(&def->sim);
	*ret = steal_ptr(def);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Schema: one table per mapping, a handler per key that is not stock */

/* What the handlers need besides the node: ydoc.userdata. */
struct parser {
	bool transient;
	bool any_files;
	size_t max_regions;
};

#define OF_DEF(m)	offsetof(struct vmdef, m)
#define OF_MEM(m)	offsetof(struct vmdef_memory, m)
#define OF_DT(m)	offsetof(struct vmdef_devicetree, m)
#define OF_REG(m)	offsetof(struct vmdef_region, m)
#define OF_RESTART(m)	offsetof(struct vmdef_restart_policy, m)
#define OF_SIM(m)	offsetof(struct vmdef_sim, m)

/* ydoc_field_enum writes an int. */
_Static_assert(sizeof(enum vmdef_sharing) == sizeof(int) &&
	       sizeof(enum vmdef_hugepages) == sizeof(int) &&
	       sizeof(enum vmdef_restart) == sizeof(int) &&
	       sizeof(enum vmdef_affinity) == sizeof(int) &&
	       sizeof(enum vmdef_exit_type) == sizeof(int) &&
	       sizeof(enum vmdef_sim_on_stop) == sizeof(int), "enum fields are not ints");

static const struct ydoc_size_spec page_aligned = {
	.align = RM_PAGE_SIZE, .align_name = "the page size (4096)",
};
static const struct ydoc_size_spec page_aligned_nonzero = {
	.nonzero = true, .align = RM_PAGE_SIZE, .align_name = "the page size (4096)",
};
/* The RM would round a base up to 2 MiB without a word: refuse it here. */
static const struct ydoc_size_spec memory_base_aligned = {
	.align = RM_MEMORY_BASE_ALIGN,
	.align_name = "2 MiB (the RM would move the memory up silently)",
};
static const struct ydoc_size_spec gic_aligned = { .align = GIC_ALIGN, .align_name = "64 KiB" };
static const struct ydoc_size_spec dtb_offset_aligned = { .align = 8, .align_name = "8" };

static struct vmdef_mark mark_of(const struct ynode *n)
{
	return (struct vmdef_mark) { n->line, n->column };
}

/* An access string (vmdef_access_from_string()) into a uint32_t. */
static int parse_access(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			const void *arg)
{
	char buf[YDOC_SHOW_BUF];
	int r;

	(void) arg;
	r = ydoc_want_scalar(d, n, path, "an access string");
	if (r <= 0)
		return r;
	if (vmdef_access_from_string(n->value, data) < 0)
		return ydoc_diag(d, n, path,
				 "invalid access '%s': expected letters r, w, x in that order (r, w, x, rw, rx, wx or rwx)",
				 ynode_show(n, buf));
	return 1;
}

/* A printable string whose length the RM limits (rm-limits.h); arg: the limit's id. */
static int parse_rm_string(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			   const void *arg)
{
	const struct rm_limit *l = rm_limit(*(const enum rm_limit_id *) arg);

	return ydoc_get_string(d, n, path, (size_t) l->min, (size_t) l->max, true, data);
}

/* kernel, ramdisk, devicetree.overlay: a path, or fd:KEY in transient definitions. */
static int get_file(struct ydoc *d, const struct ynode *n, const char *path, char **ret)
{
	const struct parser *p = d->userdata;
	_cleanup_free_ char *s = NULL;
	char buf[YDOC_SHOW_BUF];
	int r;

	r = ydoc_get_string(d, n, path, 1, PATH_MAX - 1, true, &s);
	if (r <= 0)
		return r;
	if (strncmp(s, VMDEF_FD_PREFIX, strlen(VMDEF_FD_PREFIX)) == 0) {
		const char *key = s + strlen(VMDEF_FD_PREFIX);

		if (!p->transient && !p->any_files)
			return ydoc_diag(d, n, path,
					 "'%s' names a passed file descriptor, which only transient definitions (CreateTransientVM) have; use an absolute path",
					 ynode_show(n, buf));
		if (!fd_key_is_valid(key))
			return ydoc_diag(d, n, path,
					 "invalid file key '%s': 1 to %d characters from A-Z a-z 0-9 _ . -",
					 ydoc_show_bytes(key, strlen(key), buf), FD_KEY_MAX);
	} else if (p->transient && !p->any_files) {
		return ydoc_diag(d, n, path,
				 "transient definitions name files as fd:KEY (a key of the passed file descriptors), not '%s': the daemon does not open paths for a caller, so that no caller can make it read a file the caller could not read",
				 ynode_show(n, buf));
	} else if (s[0] != '/') {
		return ydoc_diag(d, n, path, "'%s' is not an absolute path", ynode_show(n, buf));
	}
	free(*ret);
	*ret = steal_ptr(s);
	return 1;
}

/*
 * A string that must not be one value (reject, with its own message) and
 * otherwise is one of names[0..n_names).
 */
static int get_enum_except(struct ydoc *d, const struct ynode *n, const char *path,
			   const char *reject, const char *reject_message,
			   const char *const *names, size_t n_names, int *ret)
{
	int r;

	r = ydoc_want_scalar(d, n, path, "a string");
	if (r > 0 && streq(n->value, reject))
		return ydoc_diag(d, n, path, "%s", reject_message);
	if (r > 0)
		r = ydoc_get_enum(d, n, path, names, n_names, ret);
	return r;
}

/* memory */

enum {
	MEM_BASE,
	MEM_SIZE,
	MEM_SHARING,
	MEM_ACCESS,
	MEM_HUGEPAGES,
	_MEM_MAX,
};

static const struct ydoc_field_spec memory_table[_MEM_MAX] = {
	[MEM_BASE] = { "base", false, ydoc_field_size, OF_MEM(base), &memory_base_aligned },
	[MEM_SIZE] = { "size", true, ydoc_field_size, OF_MEM(size), &page_aligned_nonzero },
	[MEM_SHARING] = { "sharing", false, ydoc_field_enum, OF_MEM(sharing),
			  YDOC_ENUM(sharing_table) },
	[MEM_ACCESS] = { "access", false, parse_access, OF_MEM(access), NULL },
	[MEM_HUGEPAGES] = { "hugepages", false, ydoc_field_enum, OF_MEM(hugepages),
			    YDOC_ENUM(hugepages_table) },
};

/* base + size - 1 fits in 64 bits; the message goes to the size. */
static int check_range(struct ydoc *d, const struct ynode *size_node, const char *path,
		       uint64_t base, uint64_t size)
{
	if (size - 1 <= UINT64_MAX - base)
		return 1;
	return ydoc_diag(d, size_node, path, "base 0x%" PRIx64 " + size 0x%" PRIx64
			 " goes past the end of the 64-bit address space", base, size);
}

static int check_memory(struct ydoc *d, const struct ydoc_map_seen *seen,
			const struct vmdef_memory *mem)
{
	const struct ynode *size = ydoc_seen_valid(seen, MEM_SIZE);
	const struct ynode *huge = ydoc_seen_valid(seen, MEM_HUGEPAGES);
	int r;

	if (size && ydoc_seen_usable(seen, MEM_BASE)) {
		r = check_range(d, size, "memory.size", mem->base, mem->size);
		if (r < 0)
			return r;
	}
	/* hugetlbfs has no 4 KiB tail: a demand it can never meet is a definition error */
	if (huge && size && mem->hugepages == VMDEF_HUGEPAGES_REQUIRED &&
	    mem->size % VMDEF_HUGE_PAGE_SIZE)
		return ydoc_diag(d, huge, "memory.hugepages", "required needs memory.size in whole "
				 "2 MiB pages (size 0x%" PRIx64 ")", mem->size);
	return 0;
}

static int parse_memory(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			const void *arg)
{
	struct vmdef *def = data;
	struct ydoc_map_seen seen;
	int r;

	(void) arg;
	def->memory.mark = mark_of(n);
	r = ydoc_want_collection(d, n, path, YNODE_MAPPING);
	if (r <= 0)
		return r;
	r = ydoc_parse_map(d, n, path, memory_table, _MEM_MAX, &def->memory, &seen);
	if (r >= 0)
		r = check_memory(d, &seen, &def->memory);
	return r < 0 ? r : 1;
}

/* devicetree */

static int parse_affinity(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			  const void *arg)
{
	(void) arg;
	return get_enum_except(d, n, path, "proxy",
			       "'proxy' scheduling needs vCPU functions, which gunyahd does not support; use static, sticky or pinned",
			       affinity_table, _VMDEF_AFFINITY_MAX, data);
}

static int parse_sched_priority(struct ydoc *d, const struct ynode *n, const char *path,
				void *data, const void *arg)
{
	const struct rm_limit *l = rm_limit(RM_LIMIT_SCHED_PRIORITY);
	int64_t i;
	int r;

	(void) arg;
	r = ydoc_get_int(d, n, path, INT32_MIN, INT32_MAX, &i);
	if (r > 0 && i > l->max)
		return ydoc_diag(d, n, path,
				 "must be negative (%" PRId64 " to %" PRId64 "): the RM denies priority %" PRId64,
				 l->min, l->max, i);
	if (r > 0 && i < l->min)
		return ydoc_diag(d, n, path, "must be between %" PRId64 " and %" PRId64 ", got %" PRId64,
				 l->min, l->max, i);
	if (r > 0)
		*(int32_t *) data = (int32_t) i;
	return r;
}

static int parse_sched_timeslice(struct ydoc *d, const struct ynode *n, const char *path,
				 void *data, const void *arg)
{
	const struct rm_limit *l = rm_limit(RM_LIMIT_SCHED_TIMESLICE);

	(void) arg;
	return ydoc_get_u32(d, n, path, (uint32_t) l->min, (uint32_t) l->max, data);
}

static int parse_overlay(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			 const void *arg)
{
	struct vmdef_devicetree *dt = data;

	(void) arg;
	dt->overlay_mark = mark_of(n);
	return get_file(d, n, path, &dt->overlay);
}

static int parse_dtb_offset(struct ydoc *d, const struct ynode *n, const char *path,
			    void *data, const void *arg)
{
	struct vmdef_devicetree *dt = data;

	(void) arg;
	dt->has_offset = true;
	dt->offset_mark = mark_of(n);
	return ydoc_field_size(d, n, path, &dt->offset, &dtb_offset_aligned);
}

static int parse_dtb_reserve(struct ydoc *d, const struct ynode *n, const char *path,
			     void *data, const void *arg)
{
	uint64_t *reserve = data;
	int r;

	(void) arg;
	r = ydoc_get_size(d, n, path, reserve);
	if (r > 0 && *reserve < DTB_RESERVE_MIN)
		return ydoc_diag(d, n, path, "must be at least 4K (0x%" PRIx64 " is too small)",
				 *reserve);
	if (r > 0)
		r = ydoc_check_aligned(d, n, path, *reserve, RM_PAGE_SIZE, "the page size (4096)");
	return r;
}

/* One physical CPU per vCPU; that there is one per vCPU is checked once vcpus is known. */
static int parse_affinity_map(struct ydoc *d, const struct ynode *seq, const char *path,
			      void *data, const void *arg)
{
	struct vmdef_devicetree *dt = data;
	char item[YDOC_PATH_LEN];
	int r;

	(void) arg;
	r = ydoc_want_collection(d, seq, path, YNODE_SEQUENCE);
	if (r <= 0)
		return r;
	if (seq->n_items == 0 || seq->n_items > VMDEF_MAX_VCPUS)
		return ydoc_diag(d, seq, path, "needs one CPU per vCPU (1 to %d entries), got %zu",
				 VMDEF_MAX_VCPUS, seq->n_items);
	for (size_t i = 0; i < seq->n_items; i++) {
		snprintf(item, sizeof(item), "%s[%zu]", path, i);
		r = ydoc_get_u32(d, seq->items[i], item, 0, VMDEF_MAX_CPU_INDEX,
				 &dt->affinity_map[i]);
		if (r <= 0)
			return r;
	}
	dt->n_affinity_map = (uint32_t) seq->n_items;
	dt->affinity_map_mark = mark_of(seq);
	return 1;
}

static const struct ydoc_field_spec gic_table[] = {
	{ "dist", false, ydoc_field_size, OF_DT(gic_dist), &gic_aligned },
	{ "redist", false, ydoc_field_size, OF_DT(gic_redist), &gic_aligned },
};

static const enum rm_limit_id image_name_limit = RM_LIMIT_IMAGE_NAME_LEN;
static const enum rm_limit_id os_type_limit = RM_LIMIT_OS_TYPE_LEN;

static const struct ydoc_field_spec devicetree_table[] = {
	{ "image-name", false, parse_rm_string, OF_DT(image_name), &image_name_limit },
	{ "os-type", false, parse_rm_string, OF_DT(os_type), &os_type_limit },
	{ "vcpu-affinity", false, parse_affinity, OF_DT(affinity), NULL },
	{ "affinity-map", false, parse_affinity_map, 0, NULL },
	{ "sched-priority", false, parse_sched_priority, OF_DT(sched_priority), NULL },
	{ "sched-timeslice", false, parse_sched_timeslice, OF_DT(sched_timeslice), NULL },
	{ "gic", false, ydoc_field_map, 0, YDOC_TABLE(gic_table) },
	{ "overlay", false, parse_overlay, 0, NULL },
	{ "offset", false, parse_dtb_offset, 0, NULL },
	{ "reserve", false, parse_dtb_reserve, OF_DT(reserve), NULL },
};

static int parse_devicetree(struct ydoc *d, const struct ynode *n, const char *path,
			    void *data, const void *arg)
{
	struct vmdef_devicetree *dt = data;

	(void) arg;
	dt->mark = mark_of(n);
	return ydoc_field_map(d, n, path, dt, YDOC_TABLE(devicetree_table));
}

/* regions */

enum {
	REG_LABEL,
	REG_BASE,
	REG_SIZE,
	REG_ACCESS,
	REG_SHARING,
	_REG_MAX,
};

/* Label 0 is main memory's. */
static const struct ydoc_field_spec region_table[_REG_MAX] = {
	[REG_LABEL] = { "label", true, ydoc_field_u32, OF_REG(label),
			YDOC_RANGE(1, UINT32_MAX) },
	[REG_BASE] = { "base", true, ydoc_field_size, OF_REG(base), &page_aligned },
	[REG_SIZE] = { "size", true, ydoc_field_size, OF_REG(size), &page_aligned_nonzero },
	[REG_ACCESS] = { "access", false, parse_access, OF_REG(access), NULL },
	[REG_SHARING] = { "sharing", false, ydoc_field_enum, OF_REG(sharing),
			  YDOC_ENUM(sharing_table) },
};

/* *ret_label: the label's node when it is valid, for the check across regions. */
static int parse_region(struct ydoc *d, const struct ynode *map, const char *path,
			struct vmdef_region *reg, const struct ynode **ret_label)
{
	const struct ynode *size;
	struct ydoc_map_seen seen;
	char kp[YDOC_PATH_LEN];
	int r;

	*ret_label = NULL;
	r = ydoc_parse_map(d, map, path, region_table, _REG_MAX, reg, &seen);
	if (r < 0)
		return r;
	*ret_label = ydoc_seen_valid(&seen, REG_LABEL);
	size = ydoc_seen_valid(&seen, REG_SIZE);
	if (!size || !ydoc_seen_valid(&seen, REG_BASE))
		return 0;
	ydoc_path_child(kp, path, "size");
	r = check_range(d, size, kp, reg->base, reg->size);
	return r < 0 ? r : 0;
}

/* Labels name parcels to the RM; two regions cannot share one. */
static int check_region_label(struct ydoc *d, const struct vmdef_region *regions,
			      const struct ynode **labels, size_t i, const char *path)
{
	char kp[YDOC_PATH_LEN];

	for (size_t j = 0; labels[i] && j < i; j++) {
		if (!labels[j] || regions[j].label != regions[i].label)
			continue;
		ydoc_path_child(kp, path, "label");
		return ydoc_diag(d, labels[i], kp,
				 "label %" PRIu32 " is already used by regions[%zu] (line %u)",
				 regions[i].label, j, labels[j]->line);
	}
	return 0;
}

static int parse_region_item(struct ydoc *d, const struct ynode *item, size_t i,
			     struct vmdef_region *regions, const struct ynode **labels)
{
	const struct parser *p = d->userdata;
	char path[YDOC_PATH_LEN];
	int r;

	snprintf(path, sizeof(path), "regions[%zu]", i);
	regions[i] = (struct vmdef_region) {
		.access = VMDEF_ACCESS_R | VMDEF_ACCESS_W,
		.sharing = VMDEF_SHARING_SHARED,
		.mark = mark_of(item),
	};
	if (i == p->max_regions) {
		r = ydoc_diag(d, item, path, "too many regions: at most %zu are allowed",
			      p->max_regions);
		if (r < 0)
			return r;
	}
	r = ydoc_want_collection(d, item, path, YNODE_MAPPING);
	if (r > 0)
		r = parse_region(d, item, path, &regions[i], &labels[i]);
	if (r < 0)
		return r;
	return check_region_label(d, regions, labels, i, path);
}

static int parse_regions(struct ydoc *d, const struct ynode *seq, const char *path,
			 void *data, const void *arg)
{
	_cleanup_free_ const struct ynode **labels = NULL;
	_cleanup_free_ struct vmdef_region *regions = NULL;
	struct vmdef *def = data;
	size_t n = seq->n_items;
	int r;

	(void) arg;
	r = ydoc_want_collection(d, seq, path, YNODE_SEQUENCE);
	if (r <= 0 || n == 0)
		return r;
	regions = calloc(n, sizeof(*regions));
	labels = calloc(n, sizeof(*labels));
	if (!regions || !labels)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = parse_region_item(d, seq->items[i], i, regions, labels);
		if (r < 0)
			return r;
	}
	def->regions = steal_ptr(regions);
	def->n_regions = n;
	return 1;
}

/* restart */

/* A plain "no" is the string "no" here, not YAML 1.1's false. */
static const struct ydoc_field_spec restart_policy_table[] = {
	{ "policy", false, ydoc_field_enum, OF_RESTART(policy), YDOC_ENUM(restart_table) },
	{ "burst", false, ydoc_field_u32, OF_RESTART(burst), YDOC_RANGE(1, RESTART_BURST_MAX) },
	{ "interval", false, ydoc_field_duration_nonzero, OF_RESTART(interval_usec), NULL },
};

/* simulate */

static int parse_sim_start(struct ydoc *d, const struct ynode *n, const char *path,
			   void *data, const void *arg)
{
	static const char *const start_table[] = { "ok", "fail" };
	int e, r;

	(void) arg;
	r = ydoc_get_enum(d, n, path, start_table, ELEMENTSOF(start_table), &e);
	if (r > 0)
		*(bool *) data = e == 1;
	return r;
}

static int parse_sim_errno(struct ydoc *d, const struct ynode *n, const char *path,
			   void *data, const void *arg)
{
	char buf[YDOC_SHOW_BUF];
	int r, e;

	(void) arg;
	r = ydoc_want_scalar(d, n, path, "an errno name");
	if (r <= 0)
		return r;
	e = vmdef_sim_errno_from_string(n->value);
	if (e < 0)
		return ydoc_diag(d, n, path,
				 "invalid errno '%s': expected EIO, ETIMEDOUT, ENODEV, EINVAL, ENOMEM, EPERM, EBUSY or EOPNOTSUPP",
				 ynode_show(n, buf));
	*(int *) data = e;
	return 1;
}

/* forced-stop is last and not offered. */
static int parse_sim_exit_type(struct ydoc *d, const struct ynode *n, const char *path,
			       void *data, const void *arg)
{
	(void) arg;
	return get_enum_except(d, n, path, "forced-stop",
			       "'forced-stop' is how the daemon stops a guest, not a way for a guest to exit",
			       exit_type_table, VMDEF_EXIT_FORCED_STOP, data);
}

static int parse_sim_banner(struct ydoc *d, const struct ynode *n, const char *path,
			    void *data, const void *arg)
{
	struct vmdef_sim *sim = data;
	_cleanup_free_ char *s = NULL;
	int r;

	(void) arg;
	/* Not "printable": a banner may hold newlines, as a guest's output does. */
	r = ydoc_get_string(d, n, path, 0, VMDEF_SIM_BANNER_MAX, false, &s);
	if (r > 0) {
		strcpy(sim->console_banner, s);
		sim->has_console_banner = true;
	}
	return r;
}

static int parse_sim_flood(struct ydoc *d, const struct ynode *n, const char *path,
			   void *data, const void *arg)
{
	uint64_t size;
	int r;

	(void) arg;
	r = ydoc_get_size(d, n, path, &size);
	if (r > 0 && size > VMDEF_SIM_FLOOD_MAX)
		return ydoc_diag(d, n, path, "must be at most 1T");
	if (r > 0)
		*(uint64_t *) data = size;
	return r;
}

static const struct ydoc_field_spec simulate_table[] = {
	{ "start", false, parse_sim_start, OF_SIM(fail_start), NULL },
	{ "start-errno", false, parse_sim_errno, OF_SIM(start_errno), NULL },
	{ "start-delay", false, ydoc_field_duration, OF_SIM(start_delay_usec), NULL },
	{ "exit-after", false, ydoc_field_duration, OF_SIM(exit_after_usec), NULL },
	{ "exit-type", false, parse_sim_exit_type, OF_SIM(exit_type), NULL },
	{ "exit-code", false, ydoc_field_u32, OF_SIM(exit_code), YDOC_RANGE(0, EXIT_CODE_MAX) },
	{ "on-stop", false, ydoc_field_enum, OF_SIM(on_stop), YDOC_ENUM(sim_on_stop_table) },
	{ "stop-delay", false, ydoc_field_duration, OF_SIM(stop_delay_usec), NULL },
	{ "console-banner", false, parse_sim_banner, 0, NULL },
	{ "console-echo", false, ydoc_field_bool, OF_SIM(console_echo), NULL },
	{ "console-flood", false, parse_sim_flood, OF_SIM(console_flood), NULL },
};

static int parse_simulate(struct ydoc *d, const struct ynode *n, const char *path,
			  void *data, const void *arg)
{
	struct vmdef *def = data;
	int r;

	(void) arg;
	r = ydoc_want_collection(d, n, path, YNODE_MAPPING);
	if (r <= 0)
		return r;
	def->has_sim = true;
	return ydoc_field_map(d, n, path, &def->sim, YDOC_TABLE(simulate_table));
}

/* the top level */

static int parse_kernel(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			const void *arg)
{
	struct vmdef *def = data;

	(void) arg;
	def->kernel_mark = mark_of(n);
	return get_file(d, n, path, &def->kernel);
}

static int parse_ramdisk(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			 const void *arg)
{
	struct vmdef *def = data;

	(void) arg;
	def->ramdisk_mark = mark_of(n);
	return get_file(d, n, path, &def->ramdisk);
}

/* After ramdisk in the table: its mark says whether the key was there. */
static int parse_ramdisk_offset(struct ydoc *d, const struct ynode *n, const char *path,
				void *data, const void *arg)
{
	struct vmdef *def = data;
	int r;

	(void) arg;
	def->has_ramdisk_offset = true;
	def->ramdisk_offset_mark = mark_of(n);
	r = ydoc_field_size(d, n, path, &def->ramdisk_offset, &page_aligned);
	if (r > 0 && def->ramdisk_mark.line == 0)
		return ydoc_diag(d, n, path, "is set but there is no ramdisk");
	return r;
}

static const int64_t schema_version = VMDEF_SCHEMA_VERSION;

static const struct ydoc_name_spec vm_name = {
	"a name", "name", vmdef_name_is_valid, VMDEF_NAME_MAX,
	"A-Z a-z 0-9 _ . -, starting with a letter or digit",
};

static const struct ydoc_field_spec root_table[] = {
	{ "version", true, ydoc_field_version, 0, &schema_version },
	{ "name", true, ydoc_field_name, OF_DEF(name), &vm_name },
	{ "autostart", false, ydoc_field_bool, OF_DEF(autostart), NULL },
	{ "vcpus", false, ydoc_field_u32, OF_DEF(vcpus), YDOC_RANGE(1, VMDEF_MAX_VCPUS) },
	{ "memory", true, parse_memory, 0, NULL },
	{ "kernel", true, parse_kernel, 0, NULL },
	{ "ramdisk", false, parse_ramdisk, 0, NULL },
	{ "ramdisk-offset", false, parse_ramdisk_offset, 0, NULL },
	{ "cmdline", false, ydoc_field_string, OF_DEF(cmdline),
	  &(const struct ydoc_string_spec) { 0, CMDLINE_MAX, true } },
	{ "devicetree", false, parse_devicetree, OF_DEF(devicetree), NULL },
	{ "regions", false, parse_regions, 0, NULL },
	{ "restart", false, ydoc_field_map, OF_DEF(restart), YDOC_TABLE(restart_policy_table) },
	{ "stop-timeout", false, ydoc_field_duration, OF_DEF(stop_timeout_usec), NULL },
	{ "simulate", false, parse_simulate, 0, NULL },
};

static int parse_root(struct ydoc *d, const struct ynode *root, struct vmdef *def)
{
	int r;

	_Static_assert(ELEMENTSOF(root_table) <= YDOC_KEYS_MAX, "YDOC_KEYS_MAX too small");
	/* Something for the layout's messages to point at when there is no devicetree key. */
	def->devicetree.mark = mark_of(root);
	r = ydoc_parse_map(d, root, "", root_table, ELEMENTSOF(root_table), def, NULL);
	if (r < 0)
		return r;
	if (def->devicetree.n_affinity_map && def->devicetree.n_affinity_map != def->vcpus) {
		r = ydoc_diag_at(d, def->devicetree.affinity_map_mark.line,
				 def->devicetree.affinity_map_mark.column, "devicetree.affinity-map",
				 "has %" PRIu32 " entries for %" PRIu32 " vCPUs: one per vCPU",
				 def->devicetree.n_affinity_map, def->vcpus);
		if (r < 0)
			return r;
	}
	if (!def->devicetree.image_name && def->name)
		return free_and_strdup(&def->devicetree.image_name, def->name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Entry points */

/* FNV-1a: tells an edited file from an unchanged one, nothing more. */
static uint64_t vmdef_digest(const char *text, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t) text[i]) * UINT64_C(0x100000001b3);
	return h;
}

int vmdef_parse_string(const char *origin, const char *text, size_t len,
		       const struct vmdef_parse_opts *opts, struct vmdef **ret_def,
		       struct def_diags *reterr)
{
	static const struct vmdef_parse_opts default_opts = {};
	_cleanup_(ydoc_done) struct ydoc doc = {};
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	const struct ynode *root = NULL;
	struct parser p;
	int r;

	_Static_assert(VMDEF_MAX_DEPTH == YDOC_MAX_DEPTH, "vmdef.h and ydoc.h disagree");
	if (!opts)
		opts = &default_opts;
	if (!text && len > 0)
		return -EINVAL;
	ydoc_init(&doc, "a definition", reterr);
	p = (struct parser) {
		.transient = opts->transient,
		.any_files = opts->any_files,
		.max_regions = opts->max_regions == VMDEF_NO_REGIONS ? 0 :
			       opts->max_regions ? opts->max_regions : VMDEF_MAX_REGIONS_DEFAULT,
	};
	doc.userdata = &p;

	r = ydoc_load(&doc, text, len, opts->max_size ? opts->max_size : VMDEF_MAX_SIZE_DEFAULT,
		      &root);
	if (r < 0)
		return r;
	if (r > 0) {
		r = vmdef_new(origin, opts->transient, &def);
		if (r < 0)
			return r;
		def->digest = vmdef_digest(text, len);
		def->text = memdup_nul(text, len);
		if (!def->text)
			return -ENOMEM;
		def->text_size = len;
		r = parse_root(&doc, root, def);
		if (r < 0)
			return r;
	}
	r = ydoc_finish(&doc);
	if (r < 0)
		return r;
	if (ret_def)
		*ret_def = steal_ptr(def);
	return 0;
}

int vmdef_parse_file(const char *path, const struct vmdef_parse_opts *opts,
		     struct vmdef **ret_def, struct def_diags *reterr)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return -EINVAL;
	r = ydoc_read_file(path, opts && opts->max_size ? opts->max_size : VMDEF_MAX_SIZE_DEFAULT,
			   0, &text, &len, reterr);
	if (r < 0)
		return r;
	return vmdef_parse_string(path, text, len, opts, ret_def, reterr);
}
