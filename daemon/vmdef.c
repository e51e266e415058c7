/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM definitions: YAML (schema version 1) -> struct vmdef.
 *
 * This file holds the schema only: the document is read into a checked
 * node tree by ydoc.c (anchors, aliases, tags, depth, size, one document),
 * then walked here key by key with ydoc.c's typed getters. Every problem
 * becomes a diagnostic; nothing here logs.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmdef.h"
#include "ydoc.h"

#define FD_KEY_MAX		64
#define IMAGE_NAME_MAX		79	/* the RM wants < 80 */
#define OS_TYPE_MAX		79
#define CMDLINE_MAX		2047	/* arm64 COMMAND_LINE_SIZE is 2048 with the NUL */
#define DTB_RESERVE_MIN		4096ull
#define GIC_ALIGN		(64ull * 1024)
#define SCHED_PRIORITY_MIN	(-32)
#define SCHED_PRIORITY_MAX	(-1)
#define SCHED_TIMESLICE_MIN	100
#define SCHED_TIMESLICE_MAX	100000
#define RESTART_BURST_MAX	1000
#define EXIT_CODE_MAX		255

/* ------------------------------------------------------------------ */
/* String tables */

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

#define DEFINE_STRING_TABLE(name, type, table)					\
	const char *name##_to_string(type v)					\
	{									\
		if ((int) v < 0 || (size_t) v >= ELEMENTSOF(table))		\
			return NULL;						\
		return table[v];						\
	}									\
	type name##_from_string(const char *s)					\
	{									\
		if (!s)								\
			return (type) -EINVAL;					\
		for (size_t i = 0; i < ELEMENTSOF(table); i++)			\
			if (table[i] && streq(table[i], s))			\
				return (type) i;				\
		return (type) -EINVAL;						\
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

int vmdef_sim_errno_from_string(const char *s)
{
	for (size_t k = 0; s && k < ELEMENTSOF(sim_errno_table); k++)
		if (streq(sim_errno_table[k].name, s))
			return sim_errno_table[k].value;
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Scalars shared with other YAML files and the CLI */

int vmdef_parse_size(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} suffixes[] = {
		{ "", 0 },
		{ "K", 10 }, { "M", 20 }, { "G", 30 }, { "T", 40 },
		{ "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 },
	};
	const char *end;
	uint64_t v = 0;
	bool hex;
	int r;

	if (!s)
		return -EINVAL;
	r = ydoc_parse_number(s, true, &v, &end, &hex);
	if (r == -EINVAL)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		if (!streq(end, suffixes[i].suffix))
			continue;
		/* "0x10M" reads too much like a typo; hex stands alone. */
		if (hex && suffixes[i].shift > 0)
			return -EINVAL;
		if (r < 0)
			return r;
		if (v > (UINT64_MAX >> suffixes[i].shift))
			return -ERANGE;
		*ret = v << suffixes[i].shift;
		return 0;
	}
	return -EINVAL;
}

int vmdef_parse_duration(const char *s, uint64_t *ret_usec)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} suffixes[] = {
		{ "", 1000000ull },		/* a bare number is seconds */
		{ "us", 1ull },
		{ "ms", 1000ull },
		{ "s", 1000000ull },
		{ "m", 60ull * 1000000 },
		{ "h", 3600ull * 1000000 },
	};
	const char *end;
	uint64_t v = 0;
	int r;

	if (!s)
		return -EINVAL;
	r = ydoc_parse_number(s, false, &v, &end, NULL);
	if (r == -EINVAL)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		if (!streq(end, suffixes[i].suffix))
			continue;
		if (r < 0)
			return r;
		if (v > UINT64_MAX / suffixes[i].usec)
			return -ERANGE;
		*ret_usec = v * suffixes[i].usec;
		return 0;
	}
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
/* Diagnostics */

__attribute__((format(printf, 5, 0)))
static int diags_addv(struct vmdef_diags *d, unsigned line, unsigned column, const char *key,
		      const char *fmt, va_list ap)
{
	_cleanup_free_ char *k = NULL, *msg = NULL;
	struct vmdef_diag *items;

	if (d->n >= SIZE_MAX / sizeof(*items) - 1)
		return -ENOMEM;
	k = strdup(key ? key : "");
	if (!k)
		return -ENOMEM;
	if (vasprintf(&msg, fmt, ap) < 0) {
		msg = NULL;
		return -ENOMEM;
	}
	items = realloc(d->items, (d->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	d->items = items;
	d->items[d->n++] = (struct vmdef_diag) {
		.line = line,
		.column = column,
		.key = steal_ptr(k),
		.message = steal_ptr(msg),
	};
	return 0;
}

int vmdef_diags_add(struct vmdef_diags *d, unsigned line, unsigned column, const char *key,
		    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = diags_addv(d, line, column, key, fmt, ap);
	va_end(ap);
	return r;
}

void vmdef_diags_clear(struct vmdef_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].key);
		free(d->items[i].message);
	}
	free(d->items);
	d->items = NULL;
	d->n = 0;
}

char *vmdef_diag_format(const char *origin, const struct vmdef_diag *diag)
{
	char *s;
	int r;

	if (!diag)
		return NULL;
	if (!origin)
		origin = "<input>";
	if (diag->key && diag->key[0])
		r = asprintf(&s, "%s:%u:%u: %s: %s", origin, diag->line, diag->column, diag->key,
			     diag->message ? diag->message : "");
	else
		r = asprintf(&s, "%s:%u:%u: %s", origin, diag->line, diag->column,
			     diag->message ? diag->message : "");
	return r < 0 ? NULL : s;
}

/* ------------------------------------------------------------------ */
/* struct vmdef */

struct vmdef *vmdef_free(struct vmdef *def)
{
	if (!def)
		return NULL;
	free(def->origin);
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
	d->origin = d->name = d->kernel = d->ramdisk = d->cmdline = NULL;
	d->devicetree.image_name = d->devicetree.os_type = d->devicetree.overlay = NULL;
	d->regions = NULL;

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
	def->sim.start_errno = EIO;
	def->sim.exit_type = VMDEF_EXIT_VM_EXIT;
	def->sim.on_stop = VMDEF_SIM_ON_STOP_POWEROFF;
	*ret = steal_ptr(def);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Schema */

struct parser {
	struct ydoc *doc;
	bool transient;
	bool any_files;
	size_t max_regions;
};

/* kernel, ramdisk, devicetree.overlay: a path, or fd:KEY in transient definitions. */
static int get_file(struct parser *p, const struct ynode *n, const char *path, char **ret)
{
	_cleanup_free_ char *s = NULL;
	char buf[YDOC_SHOW_BUF];
	int r;

	r = ydoc_get_string(p->doc, n, path, 1, PATH_MAX - 1, true, &s);
	if (r <= 0)
		return r;
	if (strncmp(s, VMDEF_FD_PREFIX, strlen(VMDEF_FD_PREFIX)) == 0) {
		const char *key = s + strlen(VMDEF_FD_PREFIX);

		if (!p->transient && !p->any_files)
			return ydoc_diag(p->doc, n, path,
					 "'%s' names a passed file descriptor, which only transient definitions (CreateTransientVM) have; use an absolute path",
					 ynode_show(n, buf));
		if (!fd_key_is_valid(key))
			return ydoc_diag(p->doc, n, path,
					 "invalid file key '%s': 1 to %d characters from A-Z a-z 0-9 _ . -",
					 ydoc_show_bytes(key, strlen(key), buf), FD_KEY_MAX);
	} else if (p->transient && !p->any_files) {
		return ydoc_diag(p->doc, n, path,
				 "transient definitions name files as fd:KEY (a key of the passed file descriptors), not '%s': the daemon does not open paths for a caller, so that no caller can make it read a file the caller could not read",
				 ynode_show(n, buf));
	} else if (s[0] != '/') {
		return ydoc_diag(p->doc, n, path, "'%s' is not an absolute path",
				 ynode_show(n, buf));
	}
	free(*ret);
	*ret = steal_ptr(s);
	return 1;
}

enum {
	MEM_BASE,
	MEM_SIZE,
	MEM_SHARING,
	MEM_ACCESS,
	MEM_HUGEPAGES,
	_MEM_MAX,
};

static const char *const memory_keys[_MEM_MAX] = {
	[MEM_BASE] = "base",
	[MEM_SIZE] = "size",
	[MEM_SHARING] = "sharing",
	[MEM_ACCESS] = "access",
	[MEM_HUGEPAGES] = "hugepages",
};

static int parse_memory(struct parser *p, const struct ynode *map, struct vmdef *def)
{
	const char *path = "memory";
	const struct ynode *v[_MEM_MAX], *n;
	bool base_ok = true, size_ok = false;
	char kp[YDOC_PATH_LEN];
	int r, e;

	r = ydoc_map_lookup(p->doc, map, path, memory_keys, _MEM_MAX, v);
	if (r < 0)
		return r;

	if (ydoc_field(v, MEM_BASE, path, memory_keys, kp, &n)) {
		base_ok = false;
		r = ydoc_get_size(p->doc, n, kp, &def->memory.base);
		if (r > 0) {
			/* The RM would round a base up to 2 MiB without a word: refuse it here. */
			r = ydoc_check_aligned(p->doc, n, kp, def->memory.base,
					       VMDEF_MEMORY_BASE_ALIGN,
					       "2 MiB (the RM would move the memory up silently)");
			base_ok = r > 0;
		}
		if (r < 0)
			return r;
	}
	r = ydoc_require(p->doc, map, path, memory_keys, v, MEM_SIZE);
	if (r < 0)
		return r;
	if (ydoc_field(v, MEM_SIZE, path, memory_keys, kp, &n)) {
		r = ydoc_get_size(p->doc, n, kp, &def->memory.size);
		if (r > 0 && def->memory.size == 0)
			r = ydoc_diag(p->doc, n, kp, "must not be zero");
		if (r > 0)
			r = ydoc_check_aligned(p->doc, n, kp, def->memory.size, VMDEF_PAGE_SIZE,
					       "the page size (4096)");
		if (r < 0)
			return r;
		size_ok = r > 0;
		if (size_ok && base_ok && def->memory.size - 1 > UINT64_MAX - def->memory.base) {
			r = ydoc_diag(p->doc, n, kp, "base 0x%" PRIx64 " + size 0x%" PRIx64
				      " goes past the end of the 64-bit address space",
				      def->memory.base, def->memory.size);
			if (r < 0)
				return r;
		}
	}
	if (ydoc_field(v, MEM_SHARING, path, memory_keys, kp, &n)) {
		r = ydoc_get_enum(p->doc, n, kp, sharing_table, _VMDEF_SHARING_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->memory.sharing = e;
	}
	if (ydoc_field(v, MEM_ACCESS, path, memory_keys, kp, &n)) {
		r = ydoc_get_access(p->doc, n, kp, &def->memory.access);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, MEM_HUGEPAGES, path, memory_keys, kp, &n)) {
		r = ydoc_get_enum(p->doc, n, kp, hugepages_table, _VMDEF_HUGEPAGES_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->memory.hugepages = e;
		/* hugetlbfs has no 4 KiB tail: a demand it can never meet is a definition error */
		if (r > 0 && e == VMDEF_HUGEPAGES_REQUIRED && size_ok &&
		    def->memory.size % VMDEF_HUGE_PAGE_SIZE) {
			r = ydoc_diag(p->doc, n, kp, "required needs memory.size in whole 2 MiB "
				      "pages (size 0x%" PRIx64 ")", def->memory.size);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

enum {
	GIC_DIST,
	GIC_REDIST,
	_GIC_MAX,
};

static const char *const gic_keys[_GIC_MAX] = {
	[GIC_DIST] = "dist",
	[GIC_REDIST] = "redist",
};

static int parse_gic(struct parser *p, const struct ynode *map, struct vmdef *def)
{
	const char *path = "devicetree.gic";
	const struct ynode *v[_GIC_MAX], *n;
	uint64_t *dst[_GIC_MAX] = { &def->devicetree.gic_dist, &def->devicetree.gic_redist };
	char kp[YDOC_PATH_LEN];
	int r;

	r = ydoc_map_lookup(p->doc, map, path, gic_keys, _GIC_MAX, v);
	if (r < 0)
		return r;
	for (size_t k = 0; k < _GIC_MAX; k++) {
		if (!ydoc_field(v, k, path, gic_keys, kp, &n))
			continue;
		r = ydoc_get_size(p->doc, n, kp, dst[k]);
		if (r > 0)
			r = ydoc_check_aligned(p->doc, n, kp, *dst[k], GIC_ALIGN, "64 KiB");
		if (r < 0)
			return r;
	}
	return 0;
}

enum {
	DT_IMAGE_NAME,
	DT_OS_TYPE,
	DT_AFFINITY,
	DT_SCHED_PRIORITY,
	DT_SCHED_TIMESLICE,
	DT_GIC,
	DT_OVERLAY,
	DT_OFFSET,
	DT_RESERVE,
	_DT_MAX,
};

static const char *const devicetree_keys[_DT_MAX] = {
	[DT_IMAGE_NAME] = "image-name",
	[DT_OS_TYPE] = "os-type",
	[DT_AFFINITY] = "vcpu-affinity",
	[DT_SCHED_PRIORITY] = "sched-priority",
	[DT_SCHED_TIMESLICE] = "sched-timeslice",
	[DT_GIC] = "gic",
	[DT_OVERLAY] = "overlay",
	[DT_OFFSET] = "offset",
	[DT_RESERVE] = "reserve",
};

static int parse_devicetree(struct parser *p, const struct ynode *map, struct vmdef *def)
{
	const char *path = "devicetree";
	const struct ynode *v[_DT_MAX], *n;
	char kp[YDOC_PATH_LEN];
	int64_t i;
	int r, e;

	r = ydoc_map_lookup(p->doc, map, path, devicetree_keys, _DT_MAX, v);
	if (r < 0)
		return r;

	if (ydoc_field(v, DT_IMAGE_NAME, path, devicetree_keys, kp, &n)) {
		r = ydoc_get_string(p->doc, n, kp, 1, IMAGE_NAME_MAX, true,
				    &def->devicetree.image_name);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, DT_OS_TYPE, path, devicetree_keys, kp, &n)) {
		r = ydoc_get_string(p->doc, n, kp, 1, OS_TYPE_MAX, true, &def->devicetree.os_type);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, DT_AFFINITY, path, devicetree_keys, kp, &n)) {
		r = ydoc_want_scalar(p->doc, n, kp, "a string");
		if (r > 0 && streq(n->value, "proxy"))
			r = ydoc_diag(p->doc, n, kp,
				      "'proxy' scheduling needs vCPU functions, which gunyahd does not support; use static, sticky or pinned");
		else if (r > 0)
			r = ydoc_get_enum(p->doc, n, kp, affinity_table, _VMDEF_AFFINITY_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->devicetree.affinity = e;
	}
	if (ydoc_field(v, DT_SCHED_PRIORITY, path, devicetree_keys, kp, &n)) {
		r = ydoc_get_int(p->doc, n, kp, INT32_MIN, INT32_MAX, &i);
		if (r > 0 && i >= 0)
			r = ydoc_diag(p->doc, n, kp,
				      "must be negative (%d to %d): the RM denies priority %" PRId64,
				      SCHED_PRIORITY_MIN, SCHED_PRIORITY_MAX, i);
		else if (r > 0 && i < SCHED_PRIORITY_MIN)
			r = ydoc_diag(p->doc, n, kp, "must be between %d and %d, got %" PRId64,
				      SCHED_PRIORITY_MIN, SCHED_PRIORITY_MAX, i);
		if (r < 0)
			return r;
		if (r > 0)
			def->devicetree.sched_priority = (int32_t) i;
	}
	if (ydoc_field(v, DT_SCHED_TIMESLICE, path, devicetree_keys, kp, &n)) {
		r = ydoc_get_u32(p->doc, n, kp, SCHED_TIMESLICE_MIN, SCHED_TIMESLICE_MAX,
				 &def->devicetree.sched_timeslice);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, DT_GIC, path, devicetree_keys, kp, &n)) {
		r = ydoc_want_collection(p->doc, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_gic(p, n, def);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, DT_OVERLAY, path, devicetree_keys, kp, &n)) {
		r = get_file(p, n, kp, &def->devicetree.overlay);
		if (r < 0)
			return r;
		def->devicetree.overlay_mark = (struct vmdef_mark) { n->line, n->column };
	}
	if (ydoc_field(v, DT_OFFSET, path, devicetree_keys, kp, &n)) {
		r = ydoc_get_size(p->doc, n, kp, &def->devicetree.offset);
		if (r > 0)
			r = ydoc_check_aligned(p->doc, n, kp, def->devicetree.offset, 8, "8");
		if (r < 0)
			return r;
		def->devicetree.has_offset = true;
		def->devicetree.offset_mark = (struct vmdef_mark) { n->line, n->column };
	}
	if (ydoc_field(v, DT_RESERVE, path, devicetree_keys, kp, &n)) {
		r = ydoc_get_size(p->doc, n, kp, &def->devicetree.reserve);
		if (r > 0 && def->devicetree.reserve < DTB_RESERVE_MIN)
			r = ydoc_diag(p->doc, n, kp,
				      "must be at least 4K (0x%" PRIx64 " is too small)",
				      def->devicetree.reserve);
		if (r > 0)
			r = ydoc_check_aligned(p->doc, n, kp, def->devicetree.reserve,
					       VMDEF_PAGE_SIZE, "the page size (4096)");
		if (r < 0)
			return r;
	}
	return 0;
}

enum {
	REG_LABEL,
	REG_BASE,
	REG_SIZE,
	REG_ACCESS,
	REG_SHARING,
	_REG_MAX,
};

static const char *const region_keys[_REG_MAX] = {
	[REG_LABEL] = "label",
	[REG_BASE] = "base",
	[REG_SIZE] = "size",
	[REG_ACCESS] = "access",
	[REG_SHARING] = "sharing",
};

static int parse_region(struct parser *p, const struct ynode *map, const char *path,
			struct vmdef_region *reg, const struct ynode **ret_label)
{
	const struct ynode *v[_REG_MAX], *n;
	bool base_ok = false, size_ok = false;
	char kp[YDOC_PATH_LEN];
	int r, e;

	*ret_label = NULL;
	r = ydoc_map_lookup(p->doc, map, path, region_keys, _REG_MAX, v);
	if (r < 0)
		return r;
	for (size_t k = REG_LABEL; k <= REG_SIZE; k++) {
		r = ydoc_require(p->doc, map, path, region_keys, v, k);
		if (r < 0)
			return r;
	}

	if (ydoc_field(v, REG_LABEL, path, region_keys, kp, &n)) {
		/* Label 0 is main memory's. */
		r = ydoc_get_u32(p->doc, n, kp, 1, UINT32_MAX, &reg->label);
		if (r < 0)
			return r;
		if (r > 0)
			*ret_label = n;
	}
	if (ydoc_field(v, REG_BASE, path, region_keys, kp, &n)) {
		r = ydoc_get_size(p->doc, n, kp, &reg->base);
		if (r > 0)
			r = ydoc_check_aligned(p->doc, n, kp, reg->base, VMDEF_PAGE_SIZE,
					       "the page size (4096)");
		if (r < 0)
			return r;
		base_ok = r > 0;
	}
	if (ydoc_field(v, REG_SIZE, path, region_keys, kp, &n)) {
		r = ydoc_get_size(p->doc, n, kp, &reg->size);
		if (r > 0 && reg->size == 0)
			r = ydoc_diag(p->doc, n, kp, "must not be zero");
		if (r > 0)
			r = ydoc_check_aligned(p->doc, n, kp, reg->size, VMDEF_PAGE_SIZE,
					       "the page size (4096)");
		if (r < 0)
			return r;
		size_ok = r > 0;
		if (base_ok && size_ok && reg->size - 1 > UINT64_MAX - reg->base) {
			r = ydoc_diag(p->doc, n, kp, "base 0x%" PRIx64 " + size 0x%" PRIx64
				      " goes past the end of the 64-bit address space",
				      reg->base, reg->size);
			if (r < 0)
				return r;
		}
	}
	if (ydoc_field(v, REG_ACCESS, path, region_keys, kp, &n)) {
		r = ydoc_get_access(p->doc, n, kp, &reg->access);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, REG_SHARING, path, region_keys, kp, &n)) {
		r = ydoc_get_enum(p->doc, n, kp, sharing_table, _VMDEF_SHARING_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			reg->sharing = e;
	}
	return 0;
}

static int parse_regions(struct parser *p, const struct ynode *seq, struct vmdef *def)
{
	_cleanup_free_ const struct ynode **labels = NULL;
	_cleanup_free_ struct vmdef_region *regions = NULL;
	size_t n = seq->n_items;
	int r;

	if (n == 0)
		return 0;
	regions = calloc(n, sizeof(*regions));
	labels = calloc(n, sizeof(*labels));
	if (!regions || !labels)
		return -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		const struct ynode *item = seq->items[i];
		char path[YDOC_PATH_LEN];

		snprintf(path, sizeof(path), "regions[%zu]", i);
		regions[i] = (struct vmdef_region) {
			.access = VMDEF_ACCESS_R | VMDEF_ACCESS_W,
			.sharing = VMDEF_SHARING_SHARED,
			.mark = { item->line, item->column },
		};
		if (i == p->max_regions) {
			r = ydoc_diag(p->doc, item, path,
				      "too many regions: at most %zu are allowed", p->max_regions);
			if (r < 0)
				return r;
		}
		r = ydoc_want_collection(p->doc, item, path, YNODE_MAPPING);
		if (r > 0)
			r = parse_region(p, item, path, &regions[i], &labels[i]);
		if (r < 0)
			return r;

		/* Labels name parcels to the RM; two regions cannot share one. */
		for (size_t j = 0; labels[i] && j < i; j++) {
			char kp[YDOC_PATH_LEN];

			if (!labels[j] || regions[j].label != regions[i].label)
				continue;
			ydoc_path_child(kp, path, "label");
			r = ydoc_diag(p->doc, labels[i], kp,
				      "label %" PRIu32 " is already used by regions[%zu] (line %u)",
				      regions[i].label, j, labels[j]->line);
			if (r < 0)
				return r;
			break;
		}
	}
	def->regions = steal_ptr(regions);
	def->n_regions = n;
	return 0;
}

enum {
	RESTART_POLICY,
	RESTART_BURST,
	RESTART_INTERVAL,
	_RESTART_MAX,
};

static const char *const restart_keys[_RESTART_MAX] = {
	[RESTART_POLICY] = "policy",
	[RESTART_BURST] = "burst",
	[RESTART_INTERVAL] = "interval",
};

static int parse_restart(struct parser *p, const struct ynode *map, struct vmdef *def)
{
	const char *path = "restart";
	const struct ynode *v[_RESTART_MAX], *n;
	char kp[YDOC_PATH_LEN];
	int r, e;

	r = ydoc_map_lookup(p->doc, map, path, restart_keys, _RESTART_MAX, v);
	if (r < 0)
		return r;
	if (ydoc_field(v, RESTART_POLICY, path, restart_keys, kp, &n)) {
		/* A plain "no" is the string "no" here, not YAML 1.1's false. */
		r = ydoc_get_enum(p->doc, n, kp, restart_table, _VMDEF_RESTART_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->restart.policy = e;
	}
	if (ydoc_field(v, RESTART_BURST, path, restart_keys, kp, &n)) {
		r = ydoc_get_u32(p->doc, n, kp, 1, RESTART_BURST_MAX, &def->restart.burst);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, RESTART_INTERVAL, path, restart_keys, kp, &n)) {
		r = ydoc_get_duration(p->doc, n, kp, true, &def->restart.interval_usec);
		if (r < 0)
			return r;
	}
	return 0;
}

enum {
	SIM_START,
	SIM_START_ERRNO,
	SIM_START_DELAY,
	SIM_EXIT_AFTER,
	SIM_EXIT_TYPE,
	SIM_EXIT_CODE,
	SIM_ON_STOP,
	SIM_STOP_DELAY,
	_SIM_MAX,
};

static const char *const simulate_keys[_SIM_MAX] = {
	[SIM_START] = "start",
	[SIM_START_ERRNO] = "start-errno",
	[SIM_START_DELAY] = "start-delay",
	[SIM_EXIT_AFTER] = "exit-after",
	[SIM_EXIT_TYPE] = "exit-type",
	[SIM_EXIT_CODE] = "exit-code",
	[SIM_ON_STOP] = "on-stop",
	[SIM_STOP_DELAY] = "stop-delay",
};

static int parse_simulate(struct parser *p, const struct ynode *map, struct vmdef *def)
{
	static const char *const start_table[] = { "ok", "fail" };
	const char *path = "simulate";
	const struct ynode *v[_SIM_MAX], *n;
	char kp[YDOC_PATH_LEN], buf[YDOC_SHOW_BUF];
	int r, e;

	def->has_sim = true;
	r = ydoc_map_lookup(p->doc, map, path, simulate_keys, _SIM_MAX, v);
	if (r < 0)
		return r;
	if (ydoc_field(v, SIM_START, path, simulate_keys, kp, &n)) {
		r = ydoc_get_enum(p->doc, n, kp, start_table, ELEMENTSOF(start_table), &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->sim.fail_start = e == 1;
	}
	if (ydoc_field(v, SIM_START_ERRNO, path, simulate_keys, kp, &n)) {
		int errno_value;

		r = ydoc_want_scalar(p->doc, n, kp, "an errno name");
		if (r < 0)
			return r;
		errno_value = r > 0 ? vmdef_sim_errno_from_string(n->value) : 0;
		if (errno_value > 0)
			def->sim.start_errno = errno_value;
		else if (r > 0) {
			r = ydoc_diag(p->doc, n, kp,
				      "invalid errno '%s': expected EIO, ETIMEDOUT, ENODEV, EINVAL, ENOMEM, EPERM, EBUSY or EOPNOTSUPP",
				      ynode_show(n, buf));
			if (r < 0)
				return r;
		}
	}
	if (ydoc_field(v, SIM_START_DELAY, path, simulate_keys, kp, &n)) {
		r = ydoc_get_duration(p->doc, n, kp, false, &def->sim.start_delay_usec);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, SIM_EXIT_AFTER, path, simulate_keys, kp, &n)) {
		r = ydoc_get_duration(p->doc, n, kp, false, &def->sim.exit_after_usec);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, SIM_EXIT_TYPE, path, simulate_keys, kp, &n)) {
		r = ydoc_want_scalar(p->doc, n, kp, "a string");
		if (r > 0 && streq(n->value, "forced-stop"))
			r = ydoc_diag(p->doc, n, kp,
				      "'forced-stop' is how the daemon stops a guest, not a way for a guest to exit");
		else if (r > 0)
			/* forced-stop is last and not offered. */
			r = ydoc_get_enum(p->doc, n, kp, exit_type_table, VMDEF_EXIT_FORCED_STOP,
					  &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->sim.exit_type = e;
	}
	if (ydoc_field(v, SIM_EXIT_CODE, path, simulate_keys, kp, &n)) {
		r = ydoc_get_u32(p->doc, n, kp, 0, EXIT_CODE_MAX, &def->sim.exit_code);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, SIM_ON_STOP, path, simulate_keys, kp, &n)) {
		r = ydoc_get_enum(p->doc, n, kp, sim_on_stop_table, _VMDEF_SIM_ON_STOP_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->sim.on_stop = e;
	}
	if (ydoc_field(v, SIM_STOP_DELAY, path, simulate_keys, kp, &n)) {
		r = ydoc_get_duration(p->doc, n, kp, false, &def->sim.stop_delay_usec);
		if (r < 0)
			return r;
	}
	return 0;
}

enum {
	ROOT_VERSION,
	ROOT_NAME,
	ROOT_AUTOSTART,
	ROOT_VCPUS,
	ROOT_MEMORY,
	ROOT_KERNEL,
	ROOT_RAMDISK,
	ROOT_RAMDISK_OFFSET,
	ROOT_CMDLINE,
	ROOT_DEVICETREE,
	ROOT_REGIONS,
	ROOT_RESTART,
	ROOT_STOP_TIMEOUT,
	ROOT_SIMULATE,
	_ROOT_MAX,
};

static const char *const root_keys[_ROOT_MAX] = {
	[ROOT_VERSION] = "version",
	[ROOT_NAME] = "name",
	[ROOT_AUTOSTART] = "autostart",
	[ROOT_VCPUS] = "vcpus",
	[ROOT_MEMORY] = "memory",
	[ROOT_KERNEL] = "kernel",
	[ROOT_RAMDISK] = "ramdisk",
	[ROOT_RAMDISK_OFFSET] = "ramdisk-offset",
	[ROOT_CMDLINE] = "cmdline",
	[ROOT_DEVICETREE] = "devicetree",
	[ROOT_REGIONS] = "regions",
	[ROOT_RESTART] = "restart",
	[ROOT_STOP_TIMEOUT] = "stop-timeout",
	[ROOT_SIMULATE] = "simulate",
};

static int parse_root(struct parser *p, const struct ynode *root, struct vmdef *def)
{
	const struct ynode *v[_ROOT_MAX], *n;
	char kp[YDOC_PATH_LEN], buf[YDOC_SHOW_BUF];
	int64_t i;
	int r;

	_Static_assert(_ROOT_MAX <= YDOC_KEYS_MAX, "YDOC_KEYS_MAX too small");
	r = ydoc_map_lookup(p->doc, root, "", root_keys, _ROOT_MAX, v);
	if (r < 0)
		return r;
	for (size_t k = 0; k < _ROOT_MAX; k++) {
		if (k != ROOT_VERSION && k != ROOT_NAME && k != ROOT_MEMORY && k != ROOT_KERNEL)
			continue;
		r = ydoc_require(p->doc, root, "", root_keys, v, k);
		if (r < 0)
			return r;
	}

	if (ydoc_field(v, ROOT_VERSION, "", root_keys, kp, &n)) {
		r = ydoc_get_int(p->doc, n, kp, INT64_MIN, INT64_MAX, &i);
		if (r > 0 && i != VMDEF_SCHEMA_VERSION)
			r = ydoc_diag(p->doc, n, kp,
				      "unsupported schema version %" PRId64 ": this gunyahd reads version %d",
				      i, VMDEF_SCHEMA_VERSION);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_NAME, "", root_keys, kp, &n)) {
		r = ydoc_want_scalar(p->doc, n, kp, "a name");
		if (r > 0 && !vmdef_name_is_valid(n->value))
			r = ydoc_diag(p->doc, n, kp,
				      "invalid name '%s': 1 to %d characters from A-Z a-z 0-9 _ . -, starting with a letter or digit",
				      ynode_show(n, buf), VMDEF_NAME_MAX);
		if (r > 0) {
			def->name = strdup(n->value);
			if (!def->name)
				return -ENOMEM;
		}
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_AUTOSTART, "", root_keys, kp, &n)) {
		r = ydoc_get_bool(p->doc, n, kp, &def->autostart);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_VCPUS, "", root_keys, kp, &n)) {
		r = ydoc_get_u32(p->doc, n, kp, 1, VMDEF_MAX_VCPUS, &def->vcpus);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_MEMORY, "", root_keys, kp, &n)) {
		def->memory.mark = (struct vmdef_mark) { n->line, n->column };
		r = ydoc_want_collection(p->doc, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_memory(p, n, def);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_KERNEL, "", root_keys, kp, &n)) {
		def->kernel_mark = (struct vmdef_mark) { n->line, n->column };
		r = get_file(p, n, kp, &def->kernel);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_RAMDISK, "", root_keys, kp, &n)) {
		def->ramdisk_mark = (struct vmdef_mark) { n->line, n->column };
		r = get_file(p, n, kp, &def->ramdisk);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_RAMDISK_OFFSET, "", root_keys, kp, &n)) {
		def->has_ramdisk_offset = true;
		def->ramdisk_offset_mark = (struct vmdef_mark) { n->line, n->column };
		r = ydoc_get_size(p->doc, n, kp, &def->ramdisk_offset);
		if (r > 0)
			r = ydoc_check_aligned(p->doc, n, kp, def->ramdisk_offset, VMDEF_PAGE_SIZE,
					       "the page size (4096)");
		if (r > 0 && !v[ROOT_RAMDISK])
			r = ydoc_diag(p->doc, n, kp, "is set but there is no ramdisk");
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_CMDLINE, "", root_keys, kp, &n)) {
		r = ydoc_get_string(p->doc, n, kp, 0, CMDLINE_MAX, true, &def->cmdline);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_DEVICETREE, "", root_keys, kp, &n)) {
		def->devicetree.mark = (struct vmdef_mark) { n->line, n->column };
		r = ydoc_want_collection(p->doc, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_devicetree(p, n, def);
		if (r < 0)
			return r;
	} else {
		/* Something for the layout's messages to point at. */
		def->devicetree.mark = (struct vmdef_mark) { root->line, root->column };
	}
	if (ydoc_field(v, ROOT_REGIONS, "", root_keys, kp, &n)) {
		r = ydoc_want_collection(p->doc, n, kp, YNODE_SEQUENCE);
		if (r > 0)
			r = parse_regions(p, n, def);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_RESTART, "", root_keys, kp, &n)) {
		r = ydoc_want_collection(p->doc, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_restart(p, n, def);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_STOP_TIMEOUT, "", root_keys, kp, &n)) {
		r = ydoc_get_duration(p->doc, n, kp, false, &def->stop_timeout_usec);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_SIMULATE, "", root_keys, kp, &n)) {
		r = ydoc_want_collection(p->doc, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_simulate(p, n, def);
		if (r < 0)
			return r;
	}

	if (!def->devicetree.image_name && def->name) {
		def->devicetree.image_name = strdup(def->name);
		if (!def->devicetree.image_name)
			return -ENOMEM;
	}
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
		       struct vmdef_diags *reterr)
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
		.doc = &doc,
		.transient = opts->transient,
		.any_files = opts->any_files,
		.max_regions = opts->max_regions == VMDEF_NO_REGIONS ? 0 :
			       opts->max_regions ? opts->max_regions : VMDEF_MAX_REGIONS_DEFAULT,
	};

	r = ydoc_load(&doc, text, len, opts->max_size ? opts->max_size : VMDEF_MAX_SIZE_DEFAULT,
		      &root);
	if (r < 0)
		return r;
	if (r > 0) {
		r = vmdef_new(origin, opts->transient, &def);
		if (r < 0)
			return r;
		def->digest = vmdef_digest(text, len);
		r = parse_root(&p, root, def);
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
		     struct vmdef **ret_def, struct vmdef_diags *reterr)
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
