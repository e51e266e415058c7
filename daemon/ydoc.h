/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checked YAML documents, for every schema gunyahd reads (VM definitions
 * in vmdef.c, its own gunyahd.yaml in config.c).
 *
 * The text is read with libyaml's event API into a small tree of nodes
 * that carry their line and column; a schema then walks the tree with the
 * typed getters below. Every problem becomes a diagnostic (struct
 * vmdef_diags, file:line:column: key: message); nothing here logs and
 * nothing here knows a schema.
 *
 * The names are ydoc_ and ynode_ because libyaml owns yaml_.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/cleanup.h"
#include "vmdef.h"		/* struct vmdef_diags */

#define YDOC_MAX_DEPTH	16	/* nesting levels; the top-level mapping is level 1 */
/*
 * Diagnostics per document, then one saying how many more there were: a
 * 64 KiB file of aliases would otherwise make a reply of megabytes.
 */
#define YDOC_DIAGS_MAX	100
#define YDOC_KEYS_MAX	16	/* keys of the largest mapping ydoc_map_lookup() checks */
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
	struct vmdef_diags *diags;	/* the caller's, or local */
	struct vmdef_diags local;	/* when the caller wants no diagnostics */
	size_t first;			/* index of this document's first diagnostic */
	size_t n_dropped;		/* diagnostics over YDOC_DIAGS_MAX */
	unsigned drop_line;		/* where the first dropped one was */
	unsigned drop_column;
	struct ynode *root;		/* after ydoc_load() */
};

/* reterr may be NULL: the diagnostics are then only counted. */
void ydoc_init(struct ydoc *d, const char *kind, struct vmdef_diags *reterr);
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
		   size_t *ret_len, struct vmdef_diags *reterr);

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
/* vmdef_parse_size() syntax. */
int ydoc_get_size(struct ydoc *d, const struct ynode *n, const char *path, uint64_t *ret);
/* vmdef_parse_duration() syntax, in µs; nonzero: 0 is refused. */
int ydoc_get_duration(struct ydoc *d, const struct ynode *n, const char *path, bool nonzero,
		      uint64_t *ret_usec);
/* The index of the value in table (NULL entries skipped); the message lists them all. */
int ydoc_get_enum(struct ydoc *d, const struct ynode *n, const char *path,
		  const char *const *table, size_t n_table, int *ret);
/* vmdef_access_from_string(). */
int ydoc_get_access(struct ydoc *d, const struct ynode *n, const char *path, uint32_t *ret);
/* v (read from n) is a multiple of align; align_name says so in the message. */
int ydoc_check_aligned(struct ydoc *d, const struct ynode *n, const char *path, uint64_t v,
		       uint64_t align, const char *align_name);

/*
 * Checks the keys of a mapping against a schema's keys (at most
 * YDOC_KEYS_MAX) and hands out the value of each known one in values[k]
 * (NULL when absent). Unknown keys (with a suggestion when one is close),
 * duplicates (at the second, naming the first) and keys that are not
 * strings are reported; their values are not looked at. Returns 0 or
 * -ENOMEM.
 */
int ydoc_map_lookup(struct ydoc *d, const struct ynode *map, const char *path,
		    const char *const *keys, size_t n_keys, const struct ynode **values);
/* 1 when values[k] is there, else 0 with "missing required key" at the mapping. */
int ydoc_require(struct ydoc *d, const struct ynode *map, const char *path,
		 const char *const *keys, const struct ynode **values, size_t k);
/* Hands out values[k] and its path in kp; false when the key is absent. */
bool ydoc_field(const struct ynode **values, size_t k, const char *parent,
		const char *const *keys, char kp[static YDOC_PATH_LEN], const struct ynode **ret);
