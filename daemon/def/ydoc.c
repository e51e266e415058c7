/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checked YAML documents: text -> node tree -> typed values, with every
 * problem as a diagnostic. Schema-independent (vmdef.c and config.c hold
 * the schemas).
 *
 * The document is read with libyaml's event API rather than
 * yaml_parser_load(): the document API resolves aliases silently and
 * drops anchors, while we reject both where they appear (an alias bomb is
 * never expanded), bound the nesting depth while parsing and stop at a
 * second document. Nothing here logs.
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

#include "util/string-util.h"
#include "ydoc.h"

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* ------------------------------------------------------------------ */
/* Numbers */

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

/* "99999999999999999999x" is a syntax error, not an overflow: see ydoc.h. */
int ydoc_parse_number(const char *s, bool allow_hex, uint64_t *ret, const char **ret_end,
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
			unsigned digit = (unsigned) (*c - '0');

			if (v > (UINT64_MAX - digit) / 10)
				overflow = true;
			else
				v = v * 10 + digit;
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

/* ------------------------------------------------------------------ */
/* Diagnostics */

void ydoc_init(struct ydoc *d, const char *kind, struct def_diags *reterr)
{
	*d = (struct ydoc) {
		.kind = kind ? kind : "a document",
	};
	d->diags = reterr ? reterr : &d->local;
	d->first = d->diags->n;
}

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

void ydoc_done(struct ydoc *d)
{
	if (!d)
		return;
	d->root = ynode_free(d->root);
	def_diags_clear(&d->local);
}

int ydoc_diag_at(struct ydoc *d, unsigned line, unsigned column, const char *key,
		 const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	if (d->diags->n - d->first >= YDOC_DIAGS_MAX) {
		if (d->n_dropped++ == 0) {
			d->drop_line = line;
			d->drop_column = column;
		}
		return 0;
	}
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		msg = NULL;
		return -ENOMEM;
	}
	return def_diags_add(d->diags, line, column, key, "%s", msg);
}

void ydoc_path_child(char path[static YDOC_PATH_LEN], const char *parent, const char *key)
{
	int k = snprintf(path, YDOC_PATH_LEN, "%s%s%s", parent, parent[0] ? "." : "", key);

	/* Only schema keys come here, and they all fit; mark a cut if one ever did not. */
	if (k >= YDOC_PATH_LEN)
		memcpy(path + YDOC_PATH_LEN - 4, "...", 4);
}

/* Stable, so that two problems at one position keep the order found. */
static void diags_sort(struct def_diags *d, size_t first)
{
	for (size_t i = first + 1; i < d->n; i++) {
		struct def_diag x = d->items[i];
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

int ydoc_finish(struct ydoc *d)
{
	int r;

	diags_sort(d->diags, d->first);
	if (d->n_dropped > 0) {
		r = def_diags_add(d->diags, d->drop_line, d->drop_column, "",
				    "too many problems; %zu more not shown", d->n_dropped);
		if (r < 0)
			return r;
		d->n_dropped = 0;
	}
	return d->diags->n > d->first ? -EINVAL : 0;
}

/* ------------------------------------------------------------------ */
/* Nodes */

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

bool ynode_is_null(const struct ynode *n)
{
	if (n->type != YNODE_SCALAR || !n->plain)
		return false;
	return n->length == 0 || streq(n->value, "~") || streq(n->value, "null") ||
	       streq(n->value, "Null") || streq(n->value, "NULL");
}

const char *ydoc_show_bytes(const char *s, size_t len, char buf[static YDOC_SHOW_BUF])
{
	size_t o = 0, n = len;

	if (n > YDOC_SHOW_LEN) {
		n = YDOC_SHOW_LEN;
		while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t) snprintf(buf + o, YDOC_SHOW_BUF - o, "\\x%02x", c);
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

const char *ynode_show(const struct ynode *n, char buf[static YDOC_SHOW_BUF])
{
	return ydoc_show_bytes(n->value, n->length, buf);
}

const char *ynode_describe(const struct ynode *n, char buf[static YDOC_SHOW_BUF + 2])
{
	char s[YDOC_SHOW_BUF];

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
	snprintf(buf, YDOC_SHOW_BUF + 2, "'%s'", ynode_show(n, s));
	return buf;
}

/* ------------------------------------------------------------------ */
/* Events -> tree */

struct frame {
	struct ynode *node;
	char *path;		/* dotted key path of node */
};

struct builder {
	struct ydoc *d;
	struct ynode *root;
	struct frame stack[YDOC_MAX_DEPTH];
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
	char buf[YDOC_SHOW_BUF];
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
	r = asprintf(&s, "%s%s%s", f->path, f->path[0] ? "." : "", ynode_show(key, buf));
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
	unsigned line = (unsigned) mark->line + 1, column = (unsigned) mark->column + 1;
	char buf[YDOC_SHOW_BUF];
	int r;

	if (anchor) {
		r = ydoc_diag_at(b->d, line, column, path, "anchors (&%s) are not allowed",
				 ydoc_show_bytes((const char *) anchor,
						 strlen((const char *) anchor), buf));
		if (r < 0)
			return r;
	}
	if (tag) {
		r = ydoc_diag_at(b->d, line, column, path, "tags (%s) are not allowed",
				 ydoc_show_bytes((const char *) tag, strlen((const char *) tag),
						 buf));
		if (r < 0)
			return r;
	}
	return 0;
}

static int builder_document_start(struct builder *b, const yaml_event_t *ev, bool *ret_stop)
{
	if (++b->n_docs == 1)
		return 0;
	*ret_stop = true;
	return ydoc_diag_at(b->d, (unsigned) ev->start_mark.line + 1,
			    (unsigned) ev->start_mark.column + 1, "",
			    "%s holds exactly one YAML document; found a second one", b->d->kind);
}

static int builder_scalar(struct builder *b, const yaml_event_t *ev)
{
	_cleanup_(ynode_freep) struct ynode *n = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

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
}

/*
 * A node that stands for something refused (an alias, a collection nested
 * too deep): reported at its place, then kept so that the key has a value.
 */
static int builder_reject(struct builder *b, const yaml_event_t *ev, const char *message)
{
	_cleanup_(ynode_freep) struct ynode *n = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	path = builder_next_path(b, NULL);
	n = ynode_new(YNODE_REJECTED, ev->start_mark);
	if (!path || !n)
		return -ENOMEM;
	r = ydoc_diag(b->d, n, path, "%s", message);
	if (r < 0)
		return r;
	r = builder_attach(b, n);
	if (r < 0)
		return r;
	n = NULL;
	return 0;
}

static int builder_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *anchor = (const char *) ev->data.alias.anchor;
	char buf[YDOC_SHOW_BUF], msg[YDOC_SHOW_BUF + 32];

	if (b->skip > 0)
		return 0;
	snprintf(msg, sizeof(msg), "aliases (*%s) are not allowed",
		 ydoc_show_bytes(anchor, strlen(anchor), buf));
	return builder_reject(b, ev, msg);
}

static int builder_collection_start(struct builder *b, const yaml_event_t *ev)
{
	bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
	_cleanup_(ynode_freep) struct ynode *n = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	if (b->skip > 0) {
		b->skip++;
		return 0;
	}
	if (b->depth >= YDOC_MAX_DEPTH) {
		char msg[64];

		snprintf(msg, sizeof(msg), "nested deeper than %d levels", YDOC_MAX_DEPTH);
		r = builder_reject(b, ev, msg);
		if (r < 0)
			return r;
		b->skip = 1;
		return 0;
	}
	path = builder_next_path(b, NULL);
	n = ynode_new(seq ? YNODE_SEQUENCE : YNODE_MAPPING, ev->start_mark);
	if (!path || !n)
		return -ENOMEM;
	r = builder_check_props(b, &ev->start_mark, path,
				seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor,
				seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag);
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
}

static int builder_collection_end(struct builder *b)
{
	if (b->skip > 0) {
		b->skip--;
		return 0;
	}
	if (b->depth > 0) {
		b->depth--;
		free(b->stack[b->depth].path);
	}
	return 0;
}

static int builder_event(struct builder *b, const yaml_event_t *ev, bool *ret_stop)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		return builder_document_start(b, ev, ret_stop);
	case YAML_STREAM_END_EVENT:
		*ret_stop = true;
		return 0;
	case YAML_SCALAR_EVENT:
		return builder_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return builder_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return builder_collection_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return builder_collection_end(b);
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		break;
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
		return ydoc_diag_at(b->d, line, column, "", "syntax error: %s (byte 0x%02x)",
				    yp->problem ? yp->problem : "cannot read the input",
				    (unsigned) yp->problem_value & 0xff);
	}
	line = (unsigned) yp->problem_mark.line + 1;
	column = (unsigned) yp->problem_mark.column + 1;
	if (yp->context)
		return ydoc_diag_at(b->d, line, column, "",
				    "syntax error: %s (%s at line %zu, column %zu)",
				    yp->problem ? yp->problem : "invalid YAML", yp->context,
				    yp->context_mark.line + 1, yp->context_mark.column + 1);
	return ydoc_diag_at(b->d, line, column, "", "syntax error: %s",
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

int ydoc_load(struct ydoc *d, const char *text, size_t len, size_t max_size,
	      const struct ynode **ret_root)
{
	struct builder b = { .d = d };
	char buf[YDOC_SHOW_BUF + 2];
	int r;

	if (!text && len > 0)
		return -EINVAL;
	if (len > max_size)
		return ydoc_diag_at(d, 1, 1, "", "the document is %zu bytes, over the limit of %zu",
				    len, max_size);

	r = build_tree(&b, text, len);
	if (r < 0 || b.syntax_error)
		goto out;
	if (b.n_docs == 0 || !b.root || ynode_is_null(b.root)) {
		r = ydoc_diag_at(d, b.root ? b.root->line : 1, b.root ? b.root->column : 1, "",
				 "the document is empty");
		goto out;
	}
	if (b.root->type == YNODE_REJECTED)
		goto out;
	if (b.root->type != YNODE_MAPPING) {
		r = ydoc_diag(d, b.root, "", "expected a mapping of keys at the top level, got %s",
			      ynode_describe(b.root, buf));
		goto out;
	}
	ynode_free(d->root);
	d->root = steal_ptr(b.root);
	*ret_root = d->root;
	return 1;
out:
	builder_done(&b);
	return r;
}

/* ------------------------------------------------------------------ */
/* Files */

/* Opens path for reading if it is a regular file of at most max_size bytes. */
static int open_regular(const char *path, size_t max_size, unsigned flags, struct def_diags *d,
			int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	/* O_NONBLOCK: opening a FIFO must not hang the daemon; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && (flags & YDOC_READ_ENOENT_QUIET))
			return r;
		return def_diags_add(d, 1, 1, "", "cannot open: %s", strerror(-r)) ?: r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		return def_diags_add(d, 1, 1, "", "cannot stat: %s", strerror(-r)) ?: r;
	}
	if (S_ISDIR(st.st_mode))
		return def_diags_add(d, 1, 1, "", "is a directory, not a regular file") ?:
		       -EISDIR;
	if (!S_ISREG(st.st_mode))
		return def_diags_add(d, 1, 1, "", "is not a regular file") ?: -EBADFD;
	if ((uint64_t) st.st_size > max_size)
		return def_diags_add(d, 1, 1, "", "the file is %jd bytes, over the limit of %zu",
				       (intmax_t) st.st_size, max_size) ?: -EFBIG;
	*ret_fd = steal_fd(fd);
	return 0;
}

int ydoc_read_file(const char *path, size_t max_size, unsigned flags, char **ret_text,
		   size_t *ret_len, struct def_diags *reterr)
{
	_cleanup_(def_diags_clear) struct def_diags local = {};
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	struct def_diags *d = reterr ? reterr : &local;
	size_t len = 0;
	int r;

	if (!path || !ret_text || !ret_len || max_size >= SIZE_MAX)
		return -EINVAL;
	r = open_regular(path, max_size, flags, d, &fd);
	if (r < 0)
		return r;

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
			return def_diags_add(d, 1, 1, "", "cannot read: %s", strerror(-r)) ?: r;
		}
		if (k == 0)
			break;
		len += (size_t) k;
		if (len > max_size)
			return def_diags_add(d, 1, 1, "",
					       "the file is over the limit of %zu bytes",
					       max_size) ?: -EFBIG;
	}

	*ret_text = steal_ptr(text);
	*ret_len = len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Typed values */

int ydoc_want_scalar(struct ydoc *d, const struct ynode *n, const char *path, const char *what)
{
	char buf[YDOC_SHOW_BUF + 2];

	if (n->type == YNODE_REJECTED)
		return 0;
	if (n->type != YNODE_SCALAR)
		return ydoc_diag(d, n, path, "expected %s, got %s", what, ynode_describe(n, buf));
	if (ynode_is_null(n))
		return ydoc_diag(d, n, path, "expected %s, got null (a value is required)", what);
	if (strlen(n->value) != n->length)
		return ydoc_diag(d, n, path, "must not contain NUL characters");
	return 1;
}

int ydoc_want_collection(struct ydoc *d, const struct ynode *n, const char *path,
			 enum ynode_type type)
{
	const char *what = type == YNODE_MAPPING ? "a mapping" : "a sequence";
	char buf[YDOC_SHOW_BUF + 2];

	if (n->type == YNODE_REJECTED)
		return 0;
	if (ynode_is_null(n))
		return ydoc_diag(d, n, path, "expected %s, got null (a value is required)", what);
	if (n->type != type)
		return ydoc_diag(d, n, path, "expected %s, got %s", what, ynode_describe(n, buf));
	return 1;
}

int ydoc_get_int(struct ydoc *d, const struct ynode *n, const char *path, int64_t min,
		 int64_t max, int64_t *ret)
{
	char buf[YDOC_SHOW_BUF];
	const char *s, *end;
	uint64_t u = 0;
	int64_t v = 0;
	bool neg;
	int r;

	r = ydoc_want_scalar(d, n, path, "an integer");
	if (r <= 0)
		return r;
	if (!n->plain)
		return ydoc_diag(d, n, path, "expected an integer, got the quoted string '%s'",
				 ynode_show(n, buf));
	s = n->value;
	neg = s[0] == '-';
	r = ydoc_parse_number(s + neg, true, &u, &end, NULL);
	if (r == -EINVAL || *end)
		return ydoc_diag(d, n, path, "expected an integer, got '%s'", ynode_show(n, buf));
	/* -ERANGE: more than 64 bits, out of range whatever min and max are. */
	if (r == 0 && !neg && u <= (uint64_t) INT64_MAX)
		v = (int64_t) u;
	else if (r == 0 && neg && u <= (uint64_t) INT64_MAX + 1)
		v = u == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) u;
	else
		r = -ERANGE;
	if (r < 0 || v < min || v > max)
		return ydoc_diag(d, n, path,
				 "must be between %" PRId64 " and %" PRId64 ", got %s",
				 min, max, ynode_show(n, buf));
	*ret = v;
	return 1;
}

int ydoc_get_u32(struct ydoc *d, const struct ynode *n, const char *path, uint32_t min,
		 uint32_t max, uint32_t *ret)
{
	int64_t v;
	int r;

	r = ydoc_get_int(d, n, path, min, max, &v);
	if (r > 0)
		*ret = (uint32_t) v;
	return r;
}

int ydoc_get_bool(struct ydoc *d, const struct ynode *n, const char *path, bool *ret)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO" };
	char buf[YDOC_SHOW_BUF];
	int r;

	r = ydoc_want_scalar(d, n, path, "a boolean");
	if (r <= 0)
		return r;
	if (!n->plain)
		return ydoc_diag(d, n, path,
				 "expected a boolean (true or false), got the quoted string '%s'",
				 ynode_show(n, buf));
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
	return ydoc_diag(d, n, path, "expected a boolean (true, false, yes or no), got '%s'",
			 ynode_show(n, buf));
}

int ydoc_get_string(struct ydoc *d, const struct ynode *n, const char *path, size_t min_len,
		    size_t max_len, bool printable, char **ret)
{
	int r;

	r = ydoc_want_scalar(d, n, path, "a string");
	if (r <= 0)
		return r;
	if (n->length < min_len)
		return ydoc_diag(d, n, path, "must not be empty");
	if (n->length > max_len)
		return ydoc_diag(d, n, path, "is too long (%zu bytes, at most %zu)", n->length,
				 max_len);
	if (printable)
		for (size_t i = 0; i < n->length; i++)
			if ((unsigned char) n->value[i] < 0x20 || n->value[i] == 0x7f)
				return ydoc_diag(d, n, path,
						 "must not contain control characters");
	r = free_and_strdup(ret, n->value);
	return r < 0 ? r : 1;
}

int ydoc_get_size(struct ydoc *d, const struct ynode *n, const char *path, uint64_t *ret)
{
	char buf[YDOC_SHOW_BUF];
	int r;

	r = ydoc_want_scalar(d, n, path, "a size");
	if (r <= 0)
		return r;
	r = ydoc_parse_size(n->value, ret);
	if (r == -ERANGE)
		return ydoc_diag(d, n, path, "size '%s' does not fit in 64 bits",
				 ynode_show(n, buf));
	if (r < 0)
		return ydoc_diag(d, n, path,
				 "invalid size '%s': expected bytes as 4096, 0x1000, 64K, 256M, 2G or 1T",
				 ynode_show(n, buf));
	return 1;
}

int ydoc_get_duration(struct ydoc *d, const struct ynode *n, const char *path, bool nonzero,
		      uint64_t *ret_usec)
{
	char buf[YDOC_SHOW_BUF];
	uint64_t v = 0;
	int r;

	r = ydoc_want_scalar(d, n, path, "a duration");
	if (r <= 0)
		return r;
	r = ydoc_parse_duration(n->value, &v);
	if (r == -ERANGE)
		return ydoc_diag(d, n, path, "duration '%s' is too long", ynode_show(n, buf));
	if (r < 0)
		return ydoc_diag(d, n, path,
				 "invalid duration '%s': expected 1500us, 250ms, 30s, 2m, 1h or seconds",
				 ynode_show(n, buf));
	if (nonzero && v == 0)
		return ydoc_diag(d, n, path, "must be longer than 0");
	*ret_usec = v;
	return 1;
}

int ydoc_get_enum(struct ydoc *d, const struct ynode *n, const char *path,
		  const char *const *table, size_t n_table, int *ret)
{
	char buf[YDOC_SHOW_BUF], allowed[256] = "";
	size_t o = 0;
	int r;

	r = ydoc_want_scalar(d, n, path, "a string");
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
	return ydoc_diag(d, n, path, "invalid value '%s': expected %s", ynode_show(n, buf),
			 allowed);
}

int ydoc_check_aligned(struct ydoc *d, const struct ynode *n, const char *path, uint64_t v,
		       uint64_t align, const char *align_name)
{
	if (v % align == 0)
		return 1;
	return ydoc_diag(d, n, path, "0x%" PRIx64 " is not a multiple of %s", v, align_name);
}

/* ------------------------------------------------------------------ */
/* Mappings */

static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[YDOC_SHOW_LEN + 1];

	if (la > YDOC_SHOW_LEN || lb > YDOC_SHOW_LEN)
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

/* "unknown key", with the closest of the table's keys when it is close enough. */
static int diag_unknown_key(struct ydoc *d, const struct ynode *key, const char *path,
			    const struct ydoc_field_spec *table, size_t n_table)
{
	_cleanup_free_ char *kp = NULL;
	char buf[YDOC_SHOW_BUF];
	const char *best = NULL;
	unsigned best_d = UINT_MAX;

	for (size_t k = 0; k < n_table; k++) {
		unsigned dist = edit_distance(key->value, table[k].key);

		if (dist < best_d) {
			best_d = dist;
			best = table[k].key;
		}
	}
	ynode_show(key, buf);
	if (asprintf(&kp, "%s%s%s", path, path[0] ? "." : "", buf) < 0) {
		kp = NULL;
		return -ENOMEM;
	}
	if (best && best_d <= 2 && best_d < key->length)
		return ydoc_diag(d, key, kp, "unknown key '%s'; did you mean '%s'?", buf, best);
	return ydoc_diag(d, key, kp, "unknown key '%s'", buf);
}

/* The row of the key node at map->items[i]; n_table when it is reported instead. */
static int lookup_key(struct ydoc *d, const struct ynode *key, const char *path,
		      const struct ydoc_field_spec *table, size_t n_table,
		      const struct ynode **key_nodes, size_t *ret_k)
{
	char buf[YDOC_SHOW_BUF + 2], kp[YDOC_PATH_LEN];
	size_t k;

	*ret_k = n_table;
	if (key->type == YNODE_REJECTED)
		return 0;
	if (key->type != YNODE_SCALAR || ynode_is_null(key) || strlen(key->value) != key->length)
		return ydoc_diag(d, key, path, "keys must be strings, got %s",
				 ynode_describe(key, buf));
	for (k = 0; k < n_table; k++)
		if (streq(table[k].key, key->value))
			break;
	if (k == n_table)
		return diag_unknown_key(d, key, path, table, n_table);
	if (key_nodes[k]) {
		ydoc_path_child(kp, path, table[k].key);
		return ydoc_diag(d, key, kp, "duplicate key '%s' (first at line %u, column %u)",
				 table[k].key, key_nodes[k]->line, key_nodes[k]->column);
	}
	*ret_k = k;
	return 0;
}

/* Hands out the value of each known key in values[k] (NULL when absent). */
static int map_lookup(struct ydoc *d, const struct ynode *map, const char *path,
		      const struct ydoc_field_spec *table, size_t n_table,
		      const struct ynode **values)
{
	const struct ynode *key_nodes[YDOC_KEYS_MAX] = {};
	int r;

	for (size_t i = 0; i + 1 < map->n_items; i += 2) {
		size_t k;

		r = lookup_key(d, map->items[i], path, table, n_table, key_nodes, &k);
		if (r < 0)
			return r;
		if (k < n_table) {
			key_nodes[k] = map->items[i];
			values[k] = map->items[i + 1];
		}
	}
	return 0;
}

int ydoc_parse_map(struct ydoc *d, const struct ynode *map, const char *path,
		   const struct ydoc_field_spec *table, size_t n_table, void *target,
		   struct ydoc_map_seen *ret_seen)
{
	struct ydoc_map_seen local, *seen = ret_seen ? ret_seen : &local;
	char kp[YDOC_PATH_LEN];
	int r;

	if (n_table > YDOC_KEYS_MAX)
		return -EINVAL;
	*seen = (struct ydoc_map_seen) {};
	r = map_lookup(d, map, path, table, n_table, seen->values);
	if (r < 0)
		return r;
	for (size_t k = 0; k < n_table; k++) {
		if (!table[k].required || seen->values[k])
			continue;
		ydoc_path_child(kp, path, table[k].key);
		r = ydoc_diag(d, map, kp, "missing required key '%s'", table[k].key);
		if (r < 0)
			return r;
	}
	for (size_t k = 0; k < n_table; k++) {
		if (!seen->values[k])
			continue;
		ydoc_path_child(kp, path, table[k].key);
		r = table[k].parse(d, seen->values[k], kp, (char *) target + table[k].offset,
				   table[k].arg);
		if (r < 0)
			return r;
		seen->valid[k] = r > 0;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Stock handlers */

int ydoc_field_int(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		   const void *arg)
{
	const struct ydoc_range *range = arg;

	return ydoc_get_int(d, n, path, range->min, range->max, data);
}

int ydoc_field_u32(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		   const void *arg)
{
	const struct ydoc_range *range = arg;

	return ydoc_get_u32(d, n, path, (uint32_t) range->min, (uint32_t) range->max, data);
}

int ydoc_field_bool(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		    const void *arg)
{
	(void) arg;
	return ydoc_get_bool(d, n, path, data);
}

int ydoc_field_string(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		      const void *arg)
{
	const struct ydoc_string_spec *spec = arg;

	return ydoc_get_string(d, n, path, spec->min_len, spec->max_len, spec->printable, data);
}

int ydoc_field_name(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		    const void *arg)
{
	const struct ydoc_name_spec *spec = arg;
	char buf[YDOC_SHOW_BUF];
	int r;

	r = ydoc_want_scalar(d, n, path, spec->what);
	if (r <= 0)
		return r;
	if (!spec->valid(n->value))
		return ydoc_diag(d, n, path, "invalid %s '%s': 1 to %d characters from %s",
				 spec->noun, ynode_show(n, buf), spec->max_len, spec->chars);
	r = free_and_strdup(data, n->value);
	return r < 0 ? r : 1;
}

/* A size as a definition would write it: the largest suffix that divides it ("4K", "16M"). */
static const char *size_show(uint64_t v, char buf[static 24])
{
	static const char suffixes[] = "KMGT";
	int i = -1;

	while (i < 3 && v != 0 && v % 1024 == 0) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, 24, "%" PRIu64, v);
	else
		snprintf(buf, 24, "%" PRIu64 "%c", v, suffixes[i]);
	return buf;
}

int ydoc_field_size(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		    const void *arg)
{
	const struct ydoc_size_spec *spec = arg;
	char lo[24], hi[24], buf[YDOC_SHOW_BUF];
	uint64_t *v = data;
	int r;

	r = ydoc_get_size(d, n, path, v);
	if (r <= 0 || !spec)
		return r;
	if (spec->nonzero && *v == 0)
		return ydoc_diag(d, n, path, "must not be zero");
	if (spec->max && (*v < spec->min || *v > spec->max))
		return ydoc_diag(d, n, path, "must be between %s and %s, got %s",
				 size_show(spec->min, lo), size_show(spec->max, hi), ynode_show(n, buf));
	if (*v < spec->min)
		return ydoc_diag(d, n, path, "must be at least %s, got %s", size_show(spec->min, lo),
				 ynode_show(n, buf));
	if (spec->align > 0)
		return ydoc_check_aligned(d, n, path, *v, spec->align, spec->align_name);
	return 1;
}

int ydoc_field_duration(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			const void *arg)
{
	(void) arg;
	return ydoc_get_duration(d, n, path, false, data);
}

int ydoc_field_duration_nonzero(struct ydoc *d, const struct ynode *n, const char *path,
				void *data, const void *arg)
{
	(void) arg;
	return ydoc_get_duration(d, n, path, true, data);
}

int ydoc_field_enum(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		    const void *arg)
{
	const struct ydoc_enum_spec *spec = arg;

	return ydoc_get_enum(d, n, path, spec->names, spec->n_names, data);
}

int ydoc_field_version(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		       const void *arg)
{
	const int64_t *version = arg;
	int64_t v;
	int r;

	(void) data;
	r = ydoc_get_int(d, n, path, INT64_MIN, INT64_MAX, &v);
	if (r > 0 && v != *version)
		return ydoc_diag(d, n, path,
				 "unsupported schema version %" PRId64 ": this gunyahd reads version %" PRId64,
				 v, *version);
	return r;
}

int ydoc_field_map(struct ydoc *d, const struct ynode *n, const char *path, void *data,
		   const void *arg)
{
	const struct ydoc_table *t = arg;
	int r;

	r = ydoc_want_collection(d, n, path, YNODE_MAPPING);
	if (r <= 0)
		return r;
	r = ydoc_parse_map(d, n, path, t->fields, t->n_fields, data, NULL);
	return r < 0 ? r : 1;
}

/* ------------------------------------------------------------------ */
/* Scalars shared with gunyahd.yaml and the CLI */


int ydoc_parse_size(const char *s, uint64_t *ret)
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

int ydoc_parse_duration(const char *s, uint64_t *ret_usec)
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
