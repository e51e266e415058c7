/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checked YAML documents, for every schema gunyahd reads (VM definitions
 * in vmdef.c, its own gunyahd.yaml in config.c).
 *
 * The text is read with libyaml's event API into a small tree of nodes
 * that carry their line and column; a schema then walks the tree with a
 * table per mapping (ydoc_parse_map()) whose rows call the typed getters.
 * Every problem becomes a diagnostic (struct def_diags, file:line:column:
 * key: message); nothing here logs and nothing here knows a schema.
 *
 * The names are ydoc_ and ynode_ because libyaml owns yaml_.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"
#include "diag.h"

#define YDOC_MAX_DEPTH	16	/* nesting levels; the top-level mapping is level 1 */
/*
 * Diagnostics per document, then one saying how many more there were: a
 * 64 KiB file of aliases would otherwise make a reply of megabytes.
 */
#define YDOC_DIAGS_MAX	100
#define YDOC_KEYS_MAX	16	/* rows of the largest table ydoc_parse_map() walks */
#define YDOC_PATH_LEN	128	/* bytes of a dotted path of a known key, with the NUL */
#define YDOC_SHOW_LEN	64	/* bytes of a user string quoted in a message */
#define YDOC_SHOW_BUF	(YDOC_SHOW_LEN * 4 + 8)

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
	YNODE_REJECTED,		/* alias or too deep: already reported, skipped silently */
};

struct ynode {
	enum ynode_type type;
	unsigned line;		/* 1-based */
	unsigned column;	/* 1-based, in characters */
	char *value;		/* scalars: NUL-terminated copy, may hold NULs inside */
	size_t length;		/* bytes of value */
	bool plain;		/* a plain (unquoted, non-block) scalar */
	struct ynode **items;	/* sequences: items; mappings: key, value, key, value... */
	size_t n_items;
	size_t n_alloc;
};

/*
 * One document being checked. Set up with ydoc_init(), loaded with
 * ydoc_load(), walked by the schema, closed with ydoc_finish() and freed
 * with ydoc_done(). Not to be copied or moved after ydoc_init().
 */
struct ydoc {
	const char *kind;		/* "a definition": what "holds exactly one document" */
	struct def_diags *diags;	/* the caller's, or local */
	struct def_diags local;	/* when the caller wants no diagnostics */
	size_t first;			/* index of this document's first diagnostic */
	size_t n_dropped;		/* diagnostics over YDOC_DIAGS_MAX */
	unsigned drop_line;		/* where the first dropped one was */
	unsigned drop_column;
	struct ynode *root;		/* after ydoc_load() */
	void *userdata;			/* the schema's, for its handlers; not read here */
};

/* reterr may be NULL: the diagnostics are then only counted. */
void ydoc_init(struct ydoc *d, const char *kind, struct def_diags *reterr);
/* Frees the tree and the local diagnostics; for _cleanup_(ydoc_done). */
void ydoc_done(struct ydoc *d);

/*
 * Builds the tree of text (len bytes, no NUL needed). Refuses a document
 * over max_size bytes before parsing, anchors, aliases (never expanded),
 * tags, nesting deeper than YDOC_MAX_DEPTH, a second document, an empty
 * document and a top level that is not a mapping; reports a syntax error
 * at libyaml's mark with libyaml's text. Returns 1 with *ret_root set to
 * the top-level mapping (the schema should check it even when diagnostics
 * were added), 0 when there is nothing to check (diagnostics added),
 * -EINVAL for text == NULL with len > 0, or -ENOMEM.
 */
int ydoc_load(struct ydoc *d, const char *text, size_t len, size_t max_size,
	      const struct ynode **ret_root);

/*
 * Sorts this document's diagnostics into document order (stable) and adds
 * one for those dropped over the cap. Returns -EINVAL when the document
 * had any problem, 0 when it had none, or -ENOMEM.
 */
int ydoc_finish(struct ydoc *d);

enum ydoc_read_flags {
	YDOC_READ_ENOENT_QUIET = 1u << 0,	/* a missing file: -ENOENT, no diagnostic */
};

/*
 * Reads a regular file of at most max_size bytes into *ret_text (not
 * NUL-terminated; the caller frees it) and *ret_len. Errors, each with a
 * diagnostic at 1:1 appended to reterr (may be NULL): the open()/fstat()/
 * read() errno, -EISDIR, -EBADFD for anything else that is not a regular
 * file (a FIFO is refused without waiting for a writer), -EFBIG over the
 * limit; -ENOMEM without one.
 */
int ydoc_read_file(const char *path, size_t max_size, unsigned flags, char **ret_text,
		   size_t *ret_len, struct def_diags *reterr);

/*
 * Reports a problem. Returns 0 or -ENOMEM, so that a getter can "return
 * ydoc_diag(...)" to mean "invalid" (0); getters return 1 for "valid".
 * Past YDOC_DIAGS_MAX the problem is only counted.
 */
int ydoc_diag_at(struct ydoc *d, unsigned line, unsigned column, const char *key,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define ydoc_diag(d, node, key, ...) \
	ydoc_diag_at((d), (node)->line, (node)->column, (key), __VA_ARGS__)

/* "parent.key", or "key" at the top level (parent ""). */
void ydoc_path_child(char path[static YDOC_PATH_LEN], const char *parent, const char *key);

bool ynode_is_null(const struct ynode *n);

/*
 * A user string fit for a message: at most YDOC_SHOW_LEN bytes (cut on a
 * UTF-8 boundary, "..." appended), control characters and backslashes as
 * \xNN, so that a diagnostic cannot smuggle terminal escapes into a log.
 */
const char *ydoc_show_bytes(const char *s, size_t len, char buf[static YDOC_SHOW_BUF]);
const char *ynode_show(const struct ynode *n, char buf[static YDOC_SHOW_BUF]);
/* "a mapping", "a sequence", "null", "'text'"... for "expected X, got Y". */
const char *ynode_describe(const struct ynode *n, char buf[static YDOC_SHOW_BUF + 2]);

/*
 * The unsigned number at the start of s: "0", decimal without leading
 * zeros (YAML 1.1 reads 010 as octal), or, when allow_hex, "0x" and hex
 * digits. *ret_end points past it even on -ERANGE (more than 64 bits), so
 * that the caller can check the rest of the syntax first. -EINVAL when s
 * does not start with a number.
 */
int ydoc_parse_number(const char *s, bool allow_hex, uint64_t *ret, const char **ret_end,
		      bool *ret_hex);

/*
 * Typed values. Each returns 1 when the node is valid (and writes *ret),
 * 0 when it is not (a diagnostic at the node, key path), or -ENOMEM.
 * A YNODE_REJECTED node is invalid without a new diagnostic; null is
 * always invalid ("a value is required").
 */
int ydoc_want_scalar(struct ydoc *d, const struct ynode *n, const char *path, const char *what);
int ydoc_want_collection(struct ydoc *d, const struct ynode *n, const char *path,
			 enum ynode_type type);
/* Plain decimal or 0x hex, optionally negative, min..max. */
int ydoc_get_int(struct ydoc *d, const struct ynode *n, const char *path, int64_t min,
		 int64_t max, int64_t *ret);
int ydoc_get_u32(struct ydoc *d, const struct ynode *n, const char *path, uint32_t min,
		 uint32_t max, uint32_t *ret);
/* Plain true/false/yes/no (also Title and UPPER case). */
int ydoc_get_bool(struct ydoc *d, const struct ynode *n, const char *path, bool *ret);
/* min_len..max_len bytes, no NULs; printable: no control characters. *ret is replaced. */
int ydoc_get_string(struct ydoc *d, const struct ynode *n, const char *path, size_t min_len,
		    size_t max_len, bool printable, char **ret);
/* ydoc_parse_size() syntax. */
int ydoc_get_size(struct ydoc *d, const struct ynode *n, const char *path, uint64_t *ret);
/* ydoc_parse_duration() syntax, in µs; nonzero: 0 is refused. */
int ydoc_get_duration(struct ydoc *d, const struct ynode *n, const char *path, bool nonzero,
		      uint64_t *ret_usec);
/* The index of the value in table (NULL entries skipped); the message lists them all. */
int ydoc_get_enum(struct ydoc *d, const struct ynode *n, const char *path,
		  const char *const *table, size_t n_table, int *ret);
/* v (read from n) is a multiple of align; align_name says so in the message. */
int ydoc_check_aligned(struct ydoc *d, const struct ynode *n, const char *path, uint64_t v,
		       uint64_t align, const char *align_name);

/*
 * Schemas as tables, the way systemd's conf-parser reads a section: one
 * row per key of a mapping, {key, required, handler, offset, arg}. The
 * handler reads the key's value node into target + offset (arg: the row's
 * limits, or NULL) and returns like a getter: 1 valid, 0 invalid (with a
 * diagnostic), or -ENOMEM. A handler that needs the whole target (a key
 * that sets two fields, a nested mapping with its own checks) uses offset
 * 0; one that needs the schema's own state finds it in d->userdata.
 */
typedef int (*ydoc_handler)(struct ydoc *d, const struct ynode *n, const char *path,
			    void *data, const void *arg);

struct ydoc_field_spec {
	const char *key;
	bool required;		/* absent: "missing required key" at the mapping */
	ydoc_handler parse;
	size_t offset;		/* of the field in the target */
	const void *arg;	/* handler-specific, below */
};

/* What ydoc_parse_map() found, for the checks across keys after the walk. */
struct ydoc_map_seen {
	const struct ynode *values[YDOC_KEYS_MAX];	/* by table row; NULL: absent */
	bool valid[YDOC_KEYS_MAX];			/* the handler returned 1 */
};

/*
 * Walks a mapping with a table of at most YDOC_KEYS_MAX rows. First the
 * keys, in document order: unknown ones (with a suggestion when one is
 * close), duplicates (at the second, naming the first) and keys that are
 * not strings are reported, and their values not looked at. Then every
 * required key that is absent, in table order. Then each handler, in table
 * order, with the key's path ("parent.key"). ret_seen may be NULL.
 * Returns 0 (problems are diagnostics), -ENOMEM, or -EINVAL for a table
 * over YDOC_KEYS_MAX rows.
 */
int ydoc_parse_map(struct ydoc *d, const struct ynode *map, const char *path,
		   const struct ydoc_field_spec *table, size_t n_table, void *target,
		   struct ydoc_map_seen *ret_seen);

/* The value of row k when its handler accepted it, else NULL. */
static inline const struct ynode *ydoc_seen_valid(const struct ydoc_map_seen *s, size_t k)
{
	return s->valid[k] ? s->values[k] : NULL;
}

/* Row k absent, or accepted: a check across keys may use its field. */
static inline bool ydoc_seen_usable(const struct ydoc_map_seen *s, size_t k)
{
	return !s->values[k] || s->valid[k];
}

/* Arguments of the stock handlers. */
struct ydoc_range {		/* ydoc_field_int, ydoc_field_u32: min..max */
	int64_t min, max;
};
struct ydoc_string_spec {	/* ydoc_field_string */
	size_t min_len, max_len;
	bool printable;
};
struct ydoc_size_spec {		/* ydoc_field_size; NULL arg: any size */
	bool nonzero;		/* "must not be zero" */
	uint64_t min, max;	/* "must be between 4K and 16M"; max 0: no upper bound */
	uint64_t align;		/* 0: any; else ydoc_check_aligned() with align_name */
	const char *align_name;
};
struct ydoc_name_spec {		/* ydoc_field_name: a name checked by a predicate */
	const char *what;		/* "a group name": what a non-scalar should have been */
	const char *noun;		/* "group name": in "invalid group name 'x'" */
	bool (*valid)(const char *s);
	int max_len;			/* for the message: "1 to MAX characters from CHARS" */
	const char *chars;
};
struct ydoc_enum_spec {		/* ydoc_field_enum: the names, indexed by value */
	const char *const *names;
	size_t n_names;
};
#define YDOC_RANGE(lo, hi) (&(const struct ydoc_range) { (lo), (hi) })
#define YDOC_SIZE_RANGE(lo, hi) (&(const struct ydoc_size_spec) { .min = (lo), .max = (hi) })
#define YDOC_ENUM(t) (&(const struct ydoc_enum_spec) { (t), ELEMENTSOF(t) })

/*
 * Stock handlers: the typed getters above as table rows. Field types:
 * int64_t (int), uint32_t (u32), bool, char * (string, replaced), uint64_t
 * (size; durations in µs), int (enum: the index in the names).
 */
int ydoc_field_int(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		   const void *arg);
int ydoc_field_u32(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		   const void *arg);
int ydoc_field_bool(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		    const void *arg);
int ydoc_field_string(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		      const void *arg);
int ydoc_field_size(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		    const void *arg);
int ydoc_field_duration(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			const void *arg);
/* As ydoc_field_duration, refusing 0. */
int ydoc_field_duration_nonzero(struct ydoc *d, const struct ynode *n, const char *path,
				void *data, const void *arg);
int ydoc_field_enum(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		    const void *arg);
/* A name (char *, replaced) that spec->valid accepts; the message states the rule. */
int ydoc_field_name(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		    const void *arg);
/* version: arg points to the int64_t schema version this gunyahd reads. No field. */
int ydoc_field_version(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		       const void *arg);

/* A nested mapping walked with its own table; offsets relative to data. */
struct ydoc_table {
	const struct ydoc_field_spec *fields;
	size_t n_fields;
};
#define YDOC_TABLE(t) (&(const struct ydoc_table) { (t), ELEMENTSOF(t) })
int ydoc_field_map(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		   const void *arg);

/*
 * Scalars shared with gunyahd.yaml and the CLI.
 * Sizes: "4096", "0x1000", "64K", "256M", "2G", "1T", "64KiB"...; powers of
 * 1024; -ERANGE on overflow, -EINVAL on syntax.
 * Durations: "250ms", "30s", "2m", "1h", or a bare number of seconds.
 */
int ydoc_parse_size(const char *s, uint64_t *ret);
int ydoc_parse_duration(const char *s, uint64_t *ret_usec);
