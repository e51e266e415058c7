/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM definitions: YAML (schema version 1) -> struct vmdef.
 *
 * The document is read with libyaml's event API into a small node tree,
 * then the tree is checked against the schema. Events rather than
 * yaml_parser_load(): the document API resolves aliases silently and drops
 * anchors, while we reject both where they appear (an alias bomb is never
 * expanded), bound the nesting depth while parsing and stop at a second
 * document. Every problem becomes a diagnostic; nothing here logs.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "vmdef.h"

/*
 * At most this many diagnostics per document, plus one saying that more
 * were dropped: a 64 KiB file of aliases would otherwise make a reply of
 * megabytes.
 */
#define DIAGS_MAX		100
#define KEYS_MAX		16	/* keys of the largest mapping (the top level) */
#define PATH_LEN		128	/* dotted key paths of known keys */
#define SHOW_LEN		64	/* bytes of a user string quoted in a message */
#define SHOW_BUF		(SHOW_LEN * 4 + 8)
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
};

/* ------------------------------------------------------------------ */
/* Scalars shared with other YAML files and the CLI */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -EINVAL;
}

/*
 * The unsigned number at the start of s: "0", decimal without leading
 * zeros (YAML 1.1 reads 010 as octal, so it is refused rather than
 * guessed), or, when allow_hex, "0x" and hex digits. *ret_end points past
 * it even on -ERANGE, so that the caller can check the rest of the syntax
 * first: "99999999999999999999x" is a syntax error, not an overflow.
 */
static int parse_number(const char *s, bool allow_hex, uint64_t *ret, const char **ret_end,
			bool *ret_hex)
{
	const char *c = s;
	uint64_t v = 0;
	bool overflow = false, hex = false;

	if (allow_hex && c[0] == '0' && c[1] == 'x') {
		c += 2;
		if (hex_value(*c) < 0)
			return -EINVAL;
		for (; hex_value(*c) >= 0; c++) {
			if (v > (UINT64_MAX >> 4))
				overflow = true;
			else
				v = (v << 4) | (uint64_t) hex_value(*c);
		}
		hex = true;
	} else {
		if (!is_digit(*c))
			return -EINVAL;
		if (c[0] == '0' && is_digit(c[1]))
			return -EINVAL;
		for (; is_digit(*c); c++) {
			unsigned d = (unsigned) (*c - '0');

			if (v > (UINT64_MAX - d) / 10)
				overflow = true;
			else
				v = v * 10 + d;
		}
	}

	*ret_end = c;
	if (ret_hex)
		*ret_hex = hex;
	if (overflow)
		return -ERANGE;
	*ret = v;
	return 0;
}

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
	r = parse_number(s, true, &v, &end, &hex);
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
	r = parse_number(s, false, &v, &end, NULL);
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
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c))
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
/* Node tree */

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
	YNODE_REJECTED,		/* alias or too deep: already reported, skipped silently */
};

struct ynode {
	enum ynode_type type;
	unsigned line;		/* 1-based */
	unsigned column;	/* 1-based */
	char *value;		/* scalars: NUL-terminated copy, may hold NULs inside */
	size_t length;
	bool plain;		/* a plain (unquoted, non-block) scalar */
	struct ynode **items;	/* mappings: key, value, key, value... */
	size_t n_items;
	size_t n_alloc;
};

static struct ynode *ynode_free(struct ynode *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n_items; i++)
		ynode_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
	return NULL;
}
GH_DEFINE_FREEP(struct ynode, ynode_free)

static struct ynode *ynode_new(enum ynode_type type, yaml_mark_t mark)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->line = (unsigned) mark.line + 1;
	n->column = (unsigned) mark.column + 1;
	return n;
}

static int ynode_append(struct ynode *parent, struct ynode *child)
{
	if (parent->n_items == parent->n_alloc) {
		size_t n = parent->n_alloc ? parent->n_alloc * 2 : 8;
		struct ynode **items;

		if (n > SIZE_MAX / sizeof(*items))
			return -ENOMEM;
		items = realloc(parent->items, n * sizeof(*items));
		if (!items)
			return -ENOMEM;
		parent->items = items;
		parent->n_alloc = n;
	}
	parent->items[parent->n_items++] = child;
	return 0;
}

static bool ynode_is_null(const struct ynode *n)
{
	if (n->type != YNODE_SCALAR || !n->plain)
		return false;
	return n->length == 0 || streq(n->value, "~") || streq(n->value, "null") ||
	       streq(n->value, "Null") || streq(n->value, "NULL");
}

/*
 * A user string fit for a message: at most SHOW_LEN bytes (cut on a UTF-8
 * boundary, "..." appended), control characters escaped, so that a
 * diagnostic cannot smuggle terminal escapes into a log.
 */
static const char *show_bytes(const char *s, size_t len, char buf[static SHOW_BUF])
{
	size_t o = 0, n = len;

	if (n > SHOW_LEN) {
		n = SHOW_LEN;
		while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t) snprintf(buf + o, SHOW_BUF - o, "\\x%02x", c);
		else
			buf[o++] = (char) c;
	}
	if (n < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *show(const struct ynode *n, char buf[static SHOW_BUF])
{
	return show_bytes(n->value, n->length, buf);
}

/* "a mapping", "null", "'text'"... for "expected X, got Y". */
static const char *describe(const struct ynode *n, char buf[static SHOW_BUF + 2])
{
	char s[SHOW_BUF];

	switch (n->type) {
	case YNODE_MAPPING:
		return "a mapping";
	case YNODE_SEQUENCE:
		return "a sequence";
	case YNODE_REJECTED:
		return "an invalid node";
	case YNODE_SCALAR:
		break;
	}
	if (ynode_is_null(n))
		return "null";
	snprintf(buf, SHOW_BUF + 2, "'%s'", show(n, s));
	return buf;
}

/* ------------------------------------------------------------------ */
/* Parser state */

struct parser {
	struct vmdef_diags *diags;
	size_t first;		/* index of this parse's first diagnostic */
	size_t n_dropped;	/* diagnostics over DIAGS_MAX */
	unsigned drop_line;
	unsigned drop_column;
	bool transient;
	bool any_files;
	size_t max_regions;
};

__attribute__((format(printf, 5, 6)))
static int diag_at(struct parser *p, unsigned line, unsigned column, const char *key,
		   const char *fmt, ...)
{
	va_list ap;
	int r;

	if (p->diags->n - p->first >= DIAGS_MAX) {
		if (p->n_dropped++ == 0) {
			p->drop_line = line;
			p->drop_column = column;
		}
		return 0;
	}
	va_start(ap, fmt);
	r = diags_addv(p->diags, line, column, key, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * Reports a problem at a node. Returns 0 or -ENOMEM, so that validators
 * can "return diag(...)" to mean "invalid" (0) and use 1 for "valid".
 */
#define diag(p, node, key, ...) diag_at((p), (node)->line, (node)->column, (key), __VA_ARGS__)

static void path_child(char path[static PATH_LEN], const char *parent, const char *key)
{
	int k = snprintf(path, PATH_LEN, "%s%s%s", parent, parent[0] ? "." : "", key);

	/* Only schema keys come here, and they all fit; mark a cut if one ever did not. */
	if (k >= PATH_LEN)
		memcpy(path + PATH_LEN - 4, "...", 4);
}

/* Stable, so that two problems at one position keep the order found. */
static void diags_sort(struct vmdef_diags *d, size_t first)
{
	for (size_t i = first + 1; i < d->n; i++) {
		struct vmdef_diag x = d->items[i];
		size_t j = i;

		while (j > first && (d->items[j - 1].line > x.line ||
				     (d->items[j - 1].line == x.line &&
				      d->items[j - 1].column > x.column))) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = x;
	}
}

/* ------------------------------------------------------------------ */
/* Events -> tree */

struct frame {
	struct ynode *node;
	char *path;		/* dotted key path of node */
};

struct builder {
	struct parser *p;
	struct ynode *root;
	struct frame stack[VMDEF_MAX_DEPTH];
	size_t depth;		/* open collections */
	unsigned skip;		/* >0: inside a collection nested too deep */
	unsigned n_docs;
	bool syntax_error;
};

static void builder_done(struct builder *b)
{
	for (size_t i = 0; i < b->depth; i++)
		free(b->stack[i].path);
	b->depth = 0;
	b->root = ynode_free(b->root);
}

/*
 * The key path of the node n about to be appended to the open collection.
 * A scalar key names itself; a value is named by its key.
 */
static char *builder_next_path(const struct builder *b, const struct ynode *n)
{
	const struct frame *f;
	const struct ynode *key;
	char buf[SHOW_BUF];
	char *s;
	int r;

	if (b->depth == 0)
		return strdup("");
	f = &b->stack[b->depth - 1];
	if (f->node->type == YNODE_SEQUENCE) {
		r = asprintf(&s, "%s[%zu]", f->path, f->node->n_items);
		return r < 0 ? NULL : s;
	}
	key = f->node->n_items % 2 == 1 ? f->node->items[f->node->n_items - 1] : n;
	if (!key || key->type != YNODE_SCALAR)
		return strdup(f->path);
	r = asprintf(&s, "%s%s%s", f->path, f->path[0] ? "." : "", show(key, buf));
	return r < 0 ? NULL : s;
}

static int builder_attach(struct builder *b, struct ynode *n)
{
	if (b->depth == 0) {
		/* Only the first document is kept; later ones are refused before this. */
		ynode_free(b->root);
		b->root = n;
		return 0;
	}
	return ynode_append(b->stack[b->depth - 1].node, n);
}

static int builder_check_props(struct builder *b, const yaml_mark_t *mark, const char *path,
			       const yaml_char_t *anchor, const yaml_char_t *tag)
{
	char buf[SHOW_BUF];
	int r;

	if (anchor) {
		r = diag_at(b->p, (unsigned) mark->line + 1, (unsigned) mark->column + 1, path,
			    "anchors (&%s) are not allowed",
			    show_bytes((const char *) anchor, strlen((const char *) anchor), buf));
		if (r < 0)
			return r;
	}
	if (tag) {
		r = diag_at(b->p, (unsigned) mark->line + 1, (unsigned) mark->column + 1, path,
			    "tags (%s) are not allowed",
			    show_bytes((const char *) tag, strlen((const char *) tag), buf));
		if (r < 0)
			return r;
	}
	return 0;
}

static int builder_event(struct builder *b, yaml_event_t *ev, bool *ret_stop)
{
	_cleanup_(ynode_freep) struct ynode *n = NULL;
	_cleanup_free_ char *path = NULL;
	const yaml_char_t *anchor, *tag;
	char buf[SHOW_BUF];
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->n_docs > 1) {
			*ret_stop = true;
			return diag_at(b->p, (unsigned) ev->start_mark.line + 1,
				       (unsigned) ev->start_mark.column + 1, "",
				       "a definition holds exactly one YAML document; found a second one");
		}
		return 0;

	case YAML_STREAM_END_EVENT:
		*ret_stop = true;
		return 0;

	case YAML_SCALAR_EVENT:
		if (b->skip > 0)
			return 0;
		n = ynode_new(YNODE_SCALAR, ev->start_mark);
		if (!n)
			return -ENOMEM;
		n->value = malloc(ev->data.scalar.length + 1);
		if (!n->value)
			return -ENOMEM;
		memcpy(n->value, ev->data.scalar.value, ev->data.scalar.length);
		n->value[ev->data.scalar.length] = '\0';
		n->length = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		path = builder_next_path(b, n);
		if (!path)
			return -ENOMEM;
		r = builder_check_props(b, &ev->start_mark, path, ev->data.scalar.anchor,
					ev->data.scalar.tag);
		if (r < 0)
			return r;
		r = builder_attach(b, n);
		if (r < 0)
			return r;
		n = NULL;
		return 0;

	case YAML_ALIAS_EVENT:
		if (b->skip > 0)
			return 0;
		path = builder_next_path(b, NULL);
		n = ynode_new(YNODE_REJECTED, ev->start_mark);
		if (!path || !n)
			return -ENOMEM;
		r = diag(b->p, n, path, "aliases (*%s) are not allowed",
			 show_bytes((const char *) ev->data.alias.anchor,
				    strlen((const char *) ev->data.alias.anchor), buf));
		if (r < 0)
			return r;
		r = builder_attach(b, n);
		if (r < 0)
			return r;
		n = NULL;
		return 0;

	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->skip > 0) {
			b->skip++;
			return 0;
		}
		path = builder_next_path(b, NULL);
		if (!path)
			return -ENOMEM;
		if (b->depth >= VMDEF_MAX_DEPTH) {
			n = ynode_new(YNODE_REJECTED, ev->start_mark);
			if (!n)
				return -ENOMEM;
			r = diag(b->p, n, path, "nested deeper than %d levels", VMDEF_MAX_DEPTH);
			if (r < 0)
				return r;
			r = builder_attach(b, n);
			if (r < 0)
				return r;
			n = NULL;
			b->skip = 1;
			return 0;
		}
		if (ev->type == YAML_SEQUENCE_START_EVENT) {
			n = ynode_new(YNODE_SEQUENCE, ev->start_mark);
			anchor = ev->data.sequence_start.anchor;
			tag = ev->data.sequence_start.tag;
		} else {
			n = ynode_new(YNODE_MAPPING, ev->start_mark);
			anchor = ev->data.mapping_start.anchor;
			tag = ev->data.mapping_start.tag;
		}
		if (!n)
			return -ENOMEM;
		r = builder_check_props(b, &ev->start_mark, path, anchor, tag);
		if (r < 0)
			return r;
		r = builder_attach(b, n);
		if (r < 0)
			return r;
		b->stack[b->depth++] = (struct frame) {
			.node = steal_ptr(n),
			.path = steal_ptr(path),
		};
		return 0;

	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->skip > 0) {
			b->skip--;
			return 0;
		}
		if (b->depth > 0) {
			b->depth--;
			free(b->stack[b->depth].path);
		}
		return 0;

	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return 0;
	}
	return 0;
}

/* Line and column (1-based) of a byte offset, for reader errors that carry no mark. */
static void offset_to_mark(const char *text, size_t len, size_t offset, unsigned *ret_line,
			   unsigned *ret_column)
{
	unsigned line = 1, column = 1;

	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			line++;
			column = 1;
		} else if (((unsigned char) text[i] & 0xc0) != 0x80) {
			column++;
		}
	}
	*ret_line = line;
	*ret_column = column;
}

static int builder_syntax_error(struct builder *b, const yaml_parser_t *yp, const char *text,
				size_t len)
{
	unsigned line, column;

	if (yp->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	b->syntax_error = true;
	if (yp->error == YAML_READER_ERROR) {
		offset_to_mark(text, len, yp->problem_offset, &line, &column);
		return diag_at(b->p, line, column, "", "syntax error: %s (byte 0x%02x)",
			       yp->problem ? yp->problem : "cannot read the input",
			       (unsigned) yp->problem_value & 0xff);
	}
	line = (unsigned) yp->problem_mark.line + 1;
	column = (unsigned) yp->problem_mark.column + 1;
	if (yp->context)
		return diag_at(b->p, line, column, "",
			       "syntax error: %s (%s at line %zu, column %zu)",
			       yp->problem ? yp->problem : "invalid YAML", yp->context,
			       yp->context_mark.line + 1, yp->context_mark.column + 1);
	return diag_at(b->p, line, column, "", "syntax error: %s",
		       yp->problem ? yp->problem : "invalid YAML");
}

static int build_tree(struct builder *b, const char *text, size_t len)
{
	yaml_parser_t yp;
	bool stop = false;
	int r = 0;

	if (!yaml_parser_initialize(&yp))
		return -ENOMEM;
	yaml_parser_set_input_string(&yp, (const unsigned char *) (text ? text : ""), len);
	while (!stop) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&yp, &ev)) {
			r = builder_syntax_error(b, &yp, text, len);
			break;
		}
		r = builder_event(b, &ev, &stop);
		yaml_event_delete(&ev);
		if (r < 0)
			break;
	}
	yaml_parser_delete(&yp);
	for (size_t i = 0; i < b->depth; i++)
		free(b->stack[i].path);
	b->depth = 0;
	return r;
}

/* ------------------------------------------------------------------ */
/* Typed values. Validators return 1 if valid, 0 if not (diagnostic added), or -ENOMEM. */

static int want_scalar(struct parser *p, const struct ynode *n, const char *path, const char *what)
{
	char buf[SHOW_BUF + 2];

	if (n->type == YNODE_REJECTED)
		return 0;
	if (n->type != YNODE_SCALAR)
		return diag(p, n, path, "expected %s, got %s", what, describe(n, buf));
	if (ynode_is_null(n))
		return diag(p, n, path, "expected %s, got null (a value is required)", what);
	if (strlen(n->value) != n->length)
		return diag(p, n, path, "must not contain NUL characters");
	return 1;
}

static int want_collection(struct parser *p, const struct ynode *n, const char *path,
			   enum ynode_type type)
{
	const char *what = type == YNODE_MAPPING ? "a mapping" : "a sequence";
	char buf[SHOW_BUF + 2];

	if (n->type == YNODE_REJECTED)
		return 0;
	if (ynode_is_null(n))
		return diag(p, n, path, "expected %s, got null (a value is required)", what);
	if (n->type != type)
		return diag(p, n, path, "expected %s, got %s", what, describe(n, buf));
	return 1;
}

static int get_int(struct parser *p, const struct ynode *n, const char *path, int64_t min,
		   int64_t max, int64_t *ret)
{
	char buf[SHOW_BUF];
	const char *s, *end;
	uint64_t u = 0;
	int64_t v = 0;
	bool neg;
	int r;

	r = want_scalar(p, n, path, "an integer");
	if (r <= 0)
		return r;
	if (!n->plain)
		return diag(p, n, path, "expected an integer, got the quoted string '%s'",
			    show(n, buf));
	s = n->value;
	neg = s[0] == '-';
	r = parse_number(s + neg, true, &u, &end, NULL);
	if (r == -EINVAL || *end)
		return diag(p, n, path, "expected an integer, got '%s'", show(n, buf));
	/* -ERANGE: more than 64 bits, out of range whatever min and max are. */
	if (r == 0 && !neg && u <= (uint64_t) INT64_MAX)
		v = (int64_t) u;
	else if (r == 0 && neg && u <= (uint64_t) INT64_MAX + 1)
		v = u == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) u;
	else
		r = -ERANGE;
	if (r < 0 || v < min || v > max)
		return diag(p, n, path, "must be between %" PRId64 " and %" PRId64 ", got %s",
			    min, max, show(n, buf));
	*ret = v;
	return 1;
}

static int get_u32(struct parser *p, const struct ynode *n, const char *path, uint32_t min,
		   uint32_t max, uint32_t *ret)
{
	int64_t v;
	int r;

	r = get_int(p, n, path, min, max, &v);
	if (r > 0)
		*ret = (uint32_t) v;
	return r;
}

static int get_bool(struct parser *p, const struct ynode *n, const char *path, bool *ret)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO" };
	char buf[SHOW_BUF];
	int r;

	r = want_scalar(p, n, path, "a boolean");
	if (r <= 0)
		return r;
	if (!n->plain)
		return diag(p, n, path,
			    "expected a boolean (true or false), got the quoted string '%s'",
			    show(n, buf));
	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (streq(n->value, yes[i])) {
			*ret = true;
			return 1;
		}
		if (streq(n->value, no[i])) {
			*ret = false;
			return 1;
		}
	}
	return diag(p, n, path, "expected a boolean (true, false, yes or no), got '%s'",
		    show(n, buf));
}

static int get_string(struct parser *p, const struct ynode *n, const char *path, size_t min_len,
		      size_t max_len, bool printable, char **ret)
{
	char *s;
	int r;

	r = want_scalar(p, n, path, "a string");
	if (r <= 0)
		return r;
	if (n->length < min_len)
		return diag(p, n, path, "must not be empty");
	if (n->length > max_len)
		return diag(p, n, path, "is too long (%zu bytes, at most %zu)", n->length, max_len);
	if (printable)
		for (size_t i = 0; i < n->length; i++)
			if ((unsigned char) n->value[i] < 0x20 || n->value[i] == 0x7f)
				return diag(p, n, path, "must not contain control characters");
	s = strdup(n->value);
	if (!s)
		return -ENOMEM;
	free(*ret);
	*ret = s;
	return 1;
}

static int get_size(struct parser *p, const struct ynode *n, const char *path, uint64_t *ret)
{
	char buf[SHOW_BUF];
	int r;

	r = want_scalar(p, n, path, "a size");
	if (r <= 0)
		return r;
	r = vmdef_parse_size(n->value, ret);
	if (r == -ERANGE)
		return diag(p, n, path, "size '%s' does not fit in 64 bits", show(n, buf));
	if (r < 0)
		return diag(p, n, path,
			    "invalid size '%s': expected bytes as 4096, 0x1000, 64K, 256M, 2G or 1T",
			    show(n, buf));
	return 1;
}

static int get_duration(struct parser *p, const struct ynode *n, const char *path, bool nonzero,
			uint64_t *ret)
{
	char buf[SHOW_BUF];
	uint64_t v = 0;
	int r;

	r = want_scalar(p, n, path, "a duration");
	if (r <= 0)
		return r;
	r = vmdef_parse_duration(n->value, &v);
	if (r == -ERANGE)
		return diag(p, n, path, "duration '%s' is too long", show(n, buf));
	if (r < 0)
		return diag(p, n, path,
			    "invalid duration '%s': expected 1500us, 250ms, 30s, 2m, 1h or seconds",
			    show(n, buf));
	if (nonzero && v == 0)
		return diag(p, n, path, "must be longer than 0");
	*ret = v;
	return 1;
}

/* An enum from a string table; the message lists what is allowed. */
static int get_enum(struct parser *p, const struct ynode *n, const char *path,
		    const char *const *table, size_t n_table, int *ret)
{
	char buf[SHOW_BUF], allowed[256] = "";
	size_t o = 0;
	int r;

	r = want_scalar(p, n, path, "a string");
	if (r <= 0)
		return r;
	for (size_t i = 0; i < n_table; i++)
		if (table[i] && streq(table[i], n->value)) {
			*ret = (int) i;
			return 1;
		}
	for (size_t i = 0; i < n_table && o < sizeof(allowed); i++)
		o += (size_t) snprintf(allowed + o, sizeof(allowed) - o, "%s%s",
				       i == 0 ? "" : i + 1 == n_table ? " or " : ", ", table[i]);
	return diag(p, n, path, "invalid value '%s': expected %s", show(n, buf), allowed);
}

static int get_access(struct parser *p, const struct ynode *n, const char *path, uint32_t *ret)
{
	char buf[SHOW_BUF];
	int r;

	r = want_scalar(p, n, path, "an access string");
	if (r <= 0)
		return r;
	if (vmdef_access_from_string(n->value, ret) < 0)
		return diag(p, n, path,
			    "invalid access '%s': expected letters r, w, x in that order (r, w, x, rw, rx, wx or rwx)",
			    show(n, buf));
	return 1;
}

static int check_aligned(struct parser *p, const struct ynode *n, const char *path, uint64_t v,
			 uint64_t align, const char *align_name)
{
	if (v % align == 0)
		return 1;
	return diag(p, n, path, "0x%" PRIx64 " is not a multiple of %s", v, align_name);
}

/* kernel, ramdisk, devicetree.overlay: a path, or fd:KEY in transient definitions. */
static int get_file(struct parser *p, const struct ynode *n, const char *path, char **ret)
{
	_cleanup_free_ char *s = NULL;
	char buf[SHOW_BUF];
	int r;

	r = get_string(p, n, path, 1, PATH_MAX - 1, true, &s);
	if (r <= 0)
		return r;
	if (strncmp(s, VMDEF_FD_PREFIX, strlen(VMDEF_FD_PREFIX)) == 0) {
		const char *key = s + strlen(VMDEF_FD_PREFIX);

		if (!p->transient && !p->any_files)
			return diag(p, n, path,
				    "'%s' names a passed file descriptor, which only transient definitions (CreateTransientVM) have; use an absolute path",
				    show(n, buf));
		if (!fd_key_is_valid(key))
			return diag(p, n, path,
				    "invalid file key '%s': 1 to %d characters from A-Z a-z 0-9 _ . -",
				    show_bytes(key, strlen(key), buf), FD_KEY_MAX);
	} else if (p->transient && !p->any_files) {
		return diag(p, n, path,
			    "transient definitions name files as fd:KEY (a key of the passed file descriptors), not '%s': the daemon does not open paths for a caller, so that no caller can make it read a file the caller could not read",
			    show(n, buf));
	} else if (s[0] != '/') {
		return diag(p, n, path, "'%s' is not an absolute path", show(n, buf));
	}
	free(*ret);
	*ret = steal_ptr(s);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Mappings */

static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[SHOW_LEN + 1];

	if (la > SHOW_LEN || lb > SHOW_LEN)
		return UINT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned) j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diagonal = row[0];

		row[0] = (unsigned) i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diagonal + (a[i - 1] != b[j - 1]);

			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diagonal = up;
		}
	}
	return row[lb];
}

/*
 * Checks the keys of a mapping against the schema's keys and hands out the
 * value of each known one (NULL when absent). Unknown, duplicate and
 * non-string keys are reported; their values are not looked at.
 */
static int map_lookup(struct parser *p, const struct ynode *map, const char *path,
		      const char *const *keys, size_t n_keys, const struct ynode **values)
{
	const struct ynode *key_nodes[KEYS_MAX] = {};
	char buf[SHOW_BUF + 2];
	int r;

	for (size_t k = 0; k < n_keys; k++)
		values[k] = NULL;

	for (size_t i = 0; i + 1 < map->n_items; i += 2) {
		const struct ynode *key = map->items[i];
		const char *best = NULL;
		unsigned best_d = UINT_MAX;
		size_t k;

		if (key->type == YNODE_REJECTED)
			continue;
		if (key->type != YNODE_SCALAR || ynode_is_null(key) ||
		    strlen(key->value) != key->length) {
			r = diag(p, key, path, "keys must be strings, got %s", describe(key, buf));
			if (r < 0)
				return r;
			continue;
		}
		for (k = 0; k < n_keys; k++)
			if (streq(keys[k], key->value))
				break;
		if (k < n_keys && key_nodes[k]) {
			char kp[PATH_LEN];

			path_child(kp, path, keys[k]);
			r = diag(p, key, kp, "duplicate key '%s' (first at line %u, column %u)",
				 keys[k], key_nodes[k]->line, key_nodes[k]->column);
			if (r < 0)
				return r;
			continue;
		}
		if (k < n_keys) {
			key_nodes[k] = key;
			values[k] = map->items[i + 1];
			continue;
		}

		for (k = 0; k < n_keys; k++) {
			unsigned d = edit_distance(key->value, keys[k]);

			if (d < best_d) {
				best_d = d;
				best = keys[k];
			}
		}
		{
			_cleanup_free_ char *kp = NULL;

			show(key, buf);
			if (asprintf(&kp, "%s%s%s", path, path[0] ? "." : "", buf) < 0)
				return -ENOMEM;
			if (best && best_d <= 2 && best_d < key->length)
				r = diag(p, key, kp, "unknown key '%s'; did you mean '%s'?", buf,
					 best);
			else
				r = diag(p, key, kp, "unknown key '%s'", buf);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int require(struct parser *p, const struct ynode *map, const char *path,
		   const char *const *keys, const struct ynode **values, size_t k)
{
	char kp[PATH_LEN];

	if (values[k])
		return 1;
	path_child(kp, path, keys[k]);
	return diag(p, map, kp, "missing required key '%s'", keys[k]);
}

/* The value at values[k] with its path in kp; false when the key is absent. */
static bool field(const struct ynode **values, size_t k, const char *parent,
		  const char *const *keys, char kp[static PATH_LEN], const struct ynode **ret)
{
	if (!values[k])
		return false;
	path_child(kp, parent, keys[k]);
	*ret = values[k];
	return true;
}

enum {
	MEM_BASE,
	MEM_SIZE,
	MEM_SHARING,
	MEM_ACCESS,
	_MEM_MAX,
};

static const char *const memory_keys[_MEM_MAX] = {
	[MEM_BASE] = "base",
	[MEM_SIZE] = "size",
	[MEM_SHARING] = "sharing",
	[MEM_ACCESS] = "access",
};

static int parse_memory(struct parser *p, const struct ynode *map, struct vmdef *def)
{
	const char *path = "memory";
	const struct ynode *v[_MEM_MAX], *n;
	bool base_ok = true, size_ok = false;
	char kp[PATH_LEN];
	int r, e;

	r = map_lookup(p, map, path, memory_keys, _MEM_MAX, v);
	if (r < 0)
		return r;

	if (field(v, MEM_BASE, path, memory_keys, kp, &n)) {
		base_ok = false;
		r = get_size(p, n, kp, &def->memory.base);
		if (r > 0) {
			/* The RM would round a base up to 2 MiB without a word: refuse it here. */
			r = check_aligned(p, n, kp, def->memory.base, VMDEF_MEMORY_BASE_ALIGN,
					  "2 MiB (the RM would move the memory up silently)");
			base_ok = r > 0;
		}
		if (r < 0)
			return r;
	}
	r = require(p, map, path, memory_keys, v, MEM_SIZE);
	if (r < 0)
		return r;
	if (field(v, MEM_SIZE, path, memory_keys, kp, &n)) {
		r = get_size(p, n, kp, &def->memory.size);
		if (r > 0 && def->memory.size == 0)
			r = diag(p, n, kp, "must not be zero");
		if (r > 0)
			r = check_aligned(p, n, kp, def->memory.size, VMDEF_PAGE_SIZE,
					  "the page size (4096)");
		if (r < 0)
			return r;
		size_ok = r > 0;
		if (size_ok && base_ok && def->memory.size - 1 > UINT64_MAX - def->memory.base) {
			r = diag(p, n, kp, "base 0x%" PRIx64 " + size 0x%" PRIx64
				 " goes past the end of the 64-bit address space",
				 def->memory.base, def->memory.size);
			if (r < 0)
				return r;
		}
	}
	if (field(v, MEM_SHARING, path, memory_keys, kp, &n)) {
		r = get_enum(p, n, kp, sharing_table, _VMDEF_SHARING_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->memory.sharing = e;
	}
	if (field(v, MEM_ACCESS, path, memory_keys, kp, &n)) {
		r = get_access(p, n, kp, &def->memory.access);
		if (r < 0)
			return r;
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
	char kp[PATH_LEN];
	int r;

	r = map_lookup(p, map, path, gic_keys, _GIC_MAX, v);
	if (r < 0)
		return r;
	for (size_t k = 0; k < _GIC_MAX; k++) {
		if (!field(v, k, path, gic_keys, kp, &n))
			continue;
		r = get_size(p, n, kp, dst[k]);
		if (r > 0)
			r = check_aligned(p, n, kp, *dst[k], GIC_ALIGN, "64 KiB");
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
	char kp[PATH_LEN];
	int64_t i;
	int r, e;

	r = map_lookup(p, map, path, devicetree_keys, _DT_MAX, v);
	if (r < 0)
		return r;

	if (field(v, DT_IMAGE_NAME, path, devicetree_keys, kp, &n)) {
		r = get_string(p, n, kp, 1, IMAGE_NAME_MAX, true, &def->devicetree.image_name);
		if (r < 0)
			return r;
	}
	if (field(v, DT_OS_TYPE, path, devicetree_keys, kp, &n)) {
		r = get_string(p, n, kp, 1, OS_TYPE_MAX, true, &def->devicetree.os_type);
		if (r < 0)
			return r;
	}
	if (field(v, DT_AFFINITY, path, devicetree_keys, kp, &n)) {
		r = want_scalar(p, n, kp, "a string");
		if (r > 0 && streq(n->value, "proxy"))
			r = diag(p, n, kp,
				 "'proxy' scheduling needs vCPU functions, which gunyahd does not support; use static, sticky or pinned");
		else if (r > 0)
			r = get_enum(p, n, kp, affinity_table, _VMDEF_AFFINITY_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->devicetree.affinity = e;
	}
	if (field(v, DT_SCHED_PRIORITY, path, devicetree_keys, kp, &n)) {
		r = get_int(p, n, kp, INT32_MIN, INT32_MAX, &i);
		if (r > 0 && i >= 0)
			r = diag(p, n, kp,
				 "must be negative (%d to %d): the RM denies priority %" PRId64,
				 SCHED_PRIORITY_MIN, SCHED_PRIORITY_MAX, i);
		else if (r > 0 && i < SCHED_PRIORITY_MIN)
			r = diag(p, n, kp, "must be between %d and %d, got %" PRId64,
				 SCHED_PRIORITY_MIN, SCHED_PRIORITY_MAX, i);
		if (r < 0)
			return r;
		if (r > 0)
			def->devicetree.sched_priority = (int32_t) i;
	}
	if (field(v, DT_SCHED_TIMESLICE, path, devicetree_keys, kp, &n)) {
		r = get_u32(p, n, kp, SCHED_TIMESLICE_MIN, SCHED_TIMESLICE_MAX,
			    &def->devicetree.sched_timeslice);
		if (r < 0)
			return r;
	}
	if (field(v, DT_GIC, path, devicetree_keys, kp, &n)) {
		r = want_collection(p, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_gic(p, n, def);
		if (r < 0)
			return r;
	}
	if (field(v, DT_OVERLAY, path, devicetree_keys, kp, &n)) {
		r = get_file(p, n, kp, &def->devicetree.overlay);
		if (r < 0)
			return r;
		def->devicetree.overlay_mark = (struct vmdef_mark) { n->line, n->column };
	}
	if (field(v, DT_OFFSET, path, devicetree_keys, kp, &n)) {
		r = get_size(p, n, kp, &def->devicetree.offset);
		if (r > 0)
			r = check_aligned(p, n, kp, def->devicetree.offset, 8, "8");
		if (r < 0)
			return r;
		def->devicetree.has_offset = true;
		def->devicetree.offset_mark = (struct vmdef_mark) { n->line, n->column };
	}
	if (field(v, DT_RESERVE, path, devicetree_keys, kp, &n)) {
		r = get_size(p, n, kp, &def->devicetree.reserve);
		if (r > 0 && def->devicetree.reserve < DTB_RESERVE_MIN)
			r = diag(p, n, kp, "must be at least 4K (0x%" PRIx64 " is too small)",
				 def->devicetree.reserve);
		if (r > 0)
			r = check_aligned(p, n, kp, def->devicetree.reserve, VMDEF_PAGE_SIZE,
					  "the page size (4096)");
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
	char kp[PATH_LEN];
	int r, e;

	*ret_label = NULL;
	r = map_lookup(p, map, path, region_keys, _REG_MAX, v);
	if (r < 0)
		return r;
	for (size_t k = REG_LABEL; k <= REG_SIZE; k++) {
		r = require(p, map, path, region_keys, v, k);
		if (r < 0)
			return r;
	}

	if (field(v, REG_LABEL, path, region_keys, kp, &n)) {
		r = get_u32(p, n, kp, 0, UINT32_MAX, &reg->label);
		if (r > 0 && reg->label == 0)
			r = diag(p, n, kp, "label 0 is main memory; regions need a non-zero label");
		if (r < 0)
			return r;
		if (r > 0)
			*ret_label = n;
	}
	if (field(v, REG_BASE, path, region_keys, kp, &n)) {
		r = get_size(p, n, kp, &reg->base);
		if (r > 0)
			r = check_aligned(p, n, kp, reg->base, VMDEF_PAGE_SIZE,
					  "the page size (4096)");
		if (r < 0)
			return r;
		base_ok = r > 0;
	}
	if (field(v, REG_SIZE, path, region_keys, kp, &n)) {
		r = get_size(p, n, kp, &reg->size);
		if (r > 0 && reg->size == 0)
			r = diag(p, n, kp, "must not be zero");
		if (r > 0)
			r = check_aligned(p, n, kp, reg->size, VMDEF_PAGE_SIZE,
					  "the page size (4096)");
		if (r < 0)
			return r;
		size_ok = r > 0;
		if (base_ok && size_ok && reg->size - 1 > UINT64_MAX - reg->base) {
			r = diag(p, n, kp, "base 0x%" PRIx64 " + size 0x%" PRIx64
				 " goes past the end of the 64-bit address space",
				 reg->base, reg->size);
			if (r < 0)
				return r;
		}
	}
	if (field(v, REG_ACCESS, path, region_keys, kp, &n)) {
		r = get_access(p, n, kp, &reg->access);
		if (r < 0)
			return r;
	}
	if (field(v, REG_SHARING, path, region_keys, kp, &n)) {
		r = get_enum(p, n, kp, sharing_table, _VMDEF_SHARING_MAX, &e);
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
		char path[PATH_LEN];

		snprintf(path, sizeof(path), "regions[%zu]", i);
		regions[i] = (struct vmdef_region) {
			.access = VMDEF_ACCESS_R | VMDEF_ACCESS_W,
			.sharing = VMDEF_SHARING_SHARED,
			.mark = { item->line, item->column },
		};
		if (i == p->max_regions) {
			r = diag(p, item, path, "too many regions: at most %zu are allowed",
				 p->max_regions);
			if (r < 0)
				return r;
		}
		r = want_collection(p, item, path, YNODE_MAPPING);
		if (r > 0)
			r = parse_region(p, item, path, &regions[i], &labels[i]);
		if (r < 0)
			return r;

		/* Labels name parcels to the RM; two regions cannot share one. */
		for (size_t j = 0; labels[i] && j < i; j++) {
			char kp[PATH_LEN];

			if (!labels[j] || regions[j].label != regions[i].label)
				continue;
			path_child(kp, path, "label");
			r = diag(p, labels[i], kp,
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
	char kp[PATH_LEN];
	int r, e;

	r = map_lookup(p, map, path, restart_keys, _RESTART_MAX, v);
	if (r < 0)
		return r;
	if (field(v, RESTART_POLICY, path, restart_keys, kp, &n)) {
		/* A plain "no" is the string "no" here, not YAML 1.1's false. */
		r = get_enum(p, n, kp, restart_table, _VMDEF_RESTART_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->restart.policy = e;
	}
	if (field(v, RESTART_BURST, path, restart_keys, kp, &n)) {
		r = get_u32(p, n, kp, 1, RESTART_BURST_MAX, &def->restart.burst);
		if (r < 0)
			return r;
	}
	if (field(v, RESTART_INTERVAL, path, restart_keys, kp, &n)) {
		r = get_duration(p, n, kp, true, &def->restart.interval_usec);
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
	char kp[PATH_LEN], buf[SHOW_BUF];
	int r, e;

	def->has_sim = true;
	r = map_lookup(p, map, path, simulate_keys, _SIM_MAX, v);
	if (r < 0)
		return r;
	if (field(v, SIM_START, path, simulate_keys, kp, &n)) {
		r = get_enum(p, n, kp, start_table, ELEMENTSOF(start_table), &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->sim.fail_start = e == 1;
	}
	if (field(v, SIM_START_ERRNO, path, simulate_keys, kp, &n)) {
		size_t k;

		r = want_scalar(p, n, kp, "an errno name");
		if (r < 0)
			return r;
		for (k = 0; r > 0 && k < ELEMENTSOF(sim_errno_table); k++)
			if (streq(sim_errno_table[k].name, n->value)) {
				def->sim.start_errno = sim_errno_table[k].value;
				break;
			}
		if (r > 0 && k == ELEMENTSOF(sim_errno_table)) {
			r = diag(p, n, kp,
				 "invalid errno '%s': expected EIO, ETIMEDOUT, ENODEV, EINVAL, ENOMEM, EPERM or EBUSY",
				 show(n, buf));
			if (r < 0)
				return r;
		}
	}
	if (field(v, SIM_START_DELAY, path, simulate_keys, kp, &n)) {
		r = get_duration(p, n, kp, false, &def->sim.start_delay_usec);
		if (r < 0)
			return r;
	}
	if (field(v, SIM_EXIT_AFTER, path, simulate_keys, kp, &n)) {
		r = get_duration(p, n, kp, false, &def->sim.exit_after_usec);
		if (r < 0)
			return r;
	}
	if (field(v, SIM_EXIT_TYPE, path, simulate_keys, kp, &n)) {
		r = want_scalar(p, n, kp, "a string");
		if (r > 0 && streq(n->value, "forced-stop"))
			r = diag(p, n, kp,
				 "'forced-stop' is how the daemon stops a guest, not a way for a guest to exit");
		else if (r > 0)
			/* forced-stop is last and not offered. */
			r = get_enum(p, n, kp, exit_type_table, VMDEF_EXIT_FORCED_STOP, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->sim.exit_type = e;
	}
	if (field(v, SIM_EXIT_CODE, path, simulate_keys, kp, &n)) {
		r = get_u32(p, n, kp, 0, EXIT_CODE_MAX, &def->sim.exit_code);
		if (r < 0)
			return r;
	}
	if (field(v, SIM_ON_STOP, path, simulate_keys, kp, &n)) {
		r = get_enum(p, n, kp, sim_on_stop_table, _VMDEF_SIM_ON_STOP_MAX, &e);
		if (r < 0)
			return r;
		if (r > 0)
			def->sim.on_stop = e;
	}
	if (field(v, SIM_STOP_DELAY, path, simulate_keys, kp, &n)) {
		r = get_duration(p, n, kp, false, &def->sim.stop_delay_usec);
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
	char kp[PATH_LEN], buf[SHOW_BUF];
	int64_t i;
	int r;

	_Static_assert(_ROOT_MAX <= KEYS_MAX, "KEYS_MAX too small");
	r = map_lookup(p, root, "", root_keys, _ROOT_MAX, v);
	if (r < 0)
		return r;
	for (size_t k = 0; k < _ROOT_MAX; k++) {
		if (k != ROOT_VERSION && k != ROOT_NAME && k != ROOT_MEMORY && k != ROOT_KERNEL)
			continue;
		r = require(p, root, "", root_keys, v, k);
		if (r < 0)
			return r;
	}

	if (field(v, ROOT_VERSION, "", root_keys, kp, &n)) {
		r = get_int(p, n, kp, INT64_MIN, INT64_MAX, &i);
		if (r > 0 && i != VMDEF_SCHEMA_VERSION)
			r = diag(p, n, kp,
				 "unsupported schema version %" PRId64 ": this gunyahd reads version %d",
				 i, VMDEF_SCHEMA_VERSION);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_NAME, "", root_keys, kp, &n)) {
		r = want_scalar(p, n, kp, "a name");
		if (r > 0 && !vmdef_name_is_valid(n->value))
			r = diag(p, n, kp,
				 "invalid name '%s': 1 to %d characters from A-Z a-z 0-9 _ . -, starting with a letter or digit",
				 show(n, buf), VMDEF_NAME_MAX);
		if (r > 0) {
			def->name = strdup(n->value);
			if (!def->name)
				return -ENOMEM;
		}
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_AUTOSTART, "", root_keys, kp, &n)) {
		r = get_bool(p, n, kp, &def->autostart);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_VCPUS, "", root_keys, kp, &n)) {
		r = get_u32(p, n, kp, 1, VMDEF_MAX_VCPUS, &def->vcpus);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_MEMORY, "", root_keys, kp, &n)) {
		def->memory.mark = (struct vmdef_mark) { n->line, n->column };
		r = want_collection(p, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_memory(p, n, def);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_KERNEL, "", root_keys, kp, &n)) {
		def->kernel_mark = (struct vmdef_mark) { n->line, n->column };
		r = get_file(p, n, kp, &def->kernel);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_RAMDISK, "", root_keys, kp, &n)) {
		def->ramdisk_mark = (struct vmdef_mark) { n->line, n->column };
		r = get_file(p, n, kp, &def->ramdisk);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_RAMDISK_OFFSET, "", root_keys, kp, &n)) {
		def->has_ramdisk_offset = true;
		def->ramdisk_offset_mark = (struct vmdef_mark) { n->line, n->column };
		r = get_size(p, n, kp, &def->ramdisk_offset);
		if (r > 0)
			r = check_aligned(p, n, kp, def->ramdisk_offset, VMDEF_PAGE_SIZE,
					  "the page size (4096)");
		if (r > 0 && !v[ROOT_RAMDISK])
			r = diag(p, n, kp, "is set but there is no ramdisk");
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_CMDLINE, "", root_keys, kp, &n)) {
		r = get_string(p, n, kp, 0, CMDLINE_MAX, false, &def->cmdline);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_DEVICETREE, "", root_keys, kp, &n)) {
		def->devicetree.mark = (struct vmdef_mark) { n->line, n->column };
		r = want_collection(p, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_devicetree(p, n, def);
		if (r < 0)
			return r;
	} else {
		/* Something for the layout's messages to point at. */
		def->devicetree.mark = (struct vmdef_mark) { root->line, root->column };
	}
	if (field(v, ROOT_REGIONS, "", root_keys, kp, &n)) {
		r = want_collection(p, n, kp, YNODE_SEQUENCE);
		if (r > 0)
			r = parse_regions(p, n, def);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_RESTART, "", root_keys, kp, &n)) {
		r = want_collection(p, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_restart(p, n, def);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_STOP_TIMEOUT, "", root_keys, kp, &n)) {
		r = get_duration(p, n, kp, false, &def->stop_timeout_usec);
		if (r < 0)
			return r;
	}
	if (field(v, ROOT_SIMULATE, "", root_keys, kp, &n)) {
		r = want_collection(p, n, kp, YNODE_MAPPING);
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

static int parse_document(struct parser *p, const char *text, size_t len, struct vmdef *def)
{
	struct builder b = { .p = p };
	char buf[SHOW_BUF + 2];
	int r;

	r = build_tree(&b, text, len);
	if (r < 0 || b.syntax_error)
		goto out;
	if (b.n_docs == 0 || !b.root || ynode_is_null(b.root)) {
		r = diag_at(p, b.root ? b.root->line : 1, b.root ? b.root->column : 1, "",
			    "the document is empty");
		goto out;
	}
	if (b.root->type == YNODE_REJECTED)
		goto out;
	if (b.root->type != YNODE_MAPPING) {
		r = diag(p, b.root, "", "expected a mapping of keys at the top level, got %s",
			 describe(b.root, buf));
		goto out;
	}
	r = parse_root(p, b.root, def);
out:
	builder_done(&b);
	return r;
}

int vmdef_parse_string(const char *origin, const char *text, size_t len,
		       const struct vmdef_parse_opts *opts, struct vmdef **ret_def,
		       struct vmdef_diags *reterr)
{
	static const struct vmdef_parse_opts default_opts = {};
	_cleanup_(vmdef_diags_clear) struct vmdef_diags local = {};
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	struct parser p = {};
	size_t max_size;
	int r;

	if (!opts)
		opts = &default_opts;
	if (!text && len > 0)
		return -EINVAL;
	max_size = opts->max_size ? opts->max_size : VMDEF_MAX_SIZE_DEFAULT;
	p = (struct parser) {
		.diags = reterr ? reterr : &local,
		.first = reterr ? reterr->n : 0,
		.transient = opts->transient,
		.any_files = opts->any_files,
		.max_regions = opts->max_regions ? opts->max_regions : VMDEF_MAX_REGIONS_DEFAULT,
	};

	if (len > max_size) {
		r = diag_at(&p, 1, 1, "", "the document is %zu bytes, over the limit of %zu",
			    len, max_size);
		return r < 0 ? r : -EINVAL;
	}

	r = vmdef_new(origin, opts->transient, &def);
	if (r < 0)
		return r;
	r = parse_document(&p, text, len, def);
	if (r < 0)
		return r;

	diags_sort(p.diags, p.first);
	if (p.n_dropped > 0) {
		r = vmdef_diags_add(p.diags, p.drop_line, p.drop_column, "",
				    "too many problems; %zu more not shown", p.n_dropped);
		if (r < 0)
			return r;
	}
	if (p.diags->n > p.first)
		return -EINVAL;
	if (ret_def)
		*ret_def = steal_ptr(def);
	return 0;
}

int vmdef_parse_file(const char *path, const struct vmdef_parse_opts *opts,
		     struct vmdef **ret_def, struct vmdef_diags *reterr)
{
	_cleanup_(vmdef_diags_clear) struct vmdef_diags local = {};
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	struct vmdef_diags *d = reterr ? reterr : &local;
	size_t max_size, len = 0;
	struct stat st;
	int r;

	if (!path)
		return -EINVAL;
	max_size = opts && opts->max_size ? opts->max_size : VMDEF_MAX_SIZE_DEFAULT;

	/* O_NONBLOCK: opening a FIFO must not hang the daemon; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		return vmdef_diags_add(d, 1, 1, "", "cannot open: %s", strerror(-r)) ?: r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		return vmdef_diags_add(d, 1, 1, "", "cannot stat: %s", strerror(-r)) ?: r;
	}
	if (S_ISDIR(st.st_mode))
		return vmdef_diags_add(d, 1, 1, "", "is a directory, not a regular file") ?:
		       -EISDIR;
	if (!S_ISREG(st.st_mode))
		return vmdef_diags_add(d, 1, 1, "", "is not a regular file") ?: -EBADFD;
	if ((uint64_t) st.st_size > max_size)
		return vmdef_diags_add(d, 1, 1, "", "the file is %jd bytes, over the limit of %zu",
				       (intmax_t) st.st_size, max_size) ?: -EFBIG;

	/* Read up to one byte past the limit: the file may have grown since fstat(). */
	text = malloc(max_size + 1);
	if (!text)
		return -ENOMEM;
	for (;;) {
		ssize_t k = read(fd, text + len, max_size + 1 - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			return vmdef_diags_add(d, 1, 1, "", "cannot read: %s", strerror(-r)) ?: r;
		}
		if (k == 0)
			break;
		len += (size_t) k;
		if (len > max_size)
			return vmdef_diags_add(d, 1, 1, "", "the file is over the limit of %zu bytes",
					       max_size) ?: -EFBIG;
	}
	fd = safe_close(fd);

	return vmdef_parse_string(path, text, len, opts, ret_def, reterr);
}
