/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahd.yaml (schema version 1) -> struct config. The schema only; the
 * YAML itself is checked by ydoc.c exactly as for VM definitions.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"		/* the build's: GUNYAHD_DEFINITIONS_DIR */
#include "config-file.h"
#include "layout.h"
#include "ydoc.h"

static int strdup_to(const char *s, char **ret)
{
	char *c = strdup(s);

	if (!c)
		return -ENOMEM;
	free(*ret);
	*ret = c;
	return 0;
}

void config_done(struct config *c)
{
	if (!c)
		return;
	free(c->definitions_dir);
	free(c->access_group);
	*c = (struct config) {};
}

int config_init_defaults(struct config *c)
{
	_cleanup_(config_done) struct config d = {
		.ipa_bits = LAYOUT_DEFAULT_IPA_BITS,
		.limits = {
			.max_vms = CONFIG_MAX_VMS,
			.max_regions = VMDEF_MAX_REGIONS_DEFAULT,
			.max_guest_memory = 0,
			.max_definition_size = VMDEF_MAX_SIZE_DEFAULT,
		},
		.restart = {
			.backoff_usec = CONFIG_DEFAULT_BACKOFF_USEC,
			.backoff_max_usec = CONFIG_DEFAULT_BACKOFF_MAX_USEC,
		},
	};

	if (!c)
		return -EINVAL;
	if (strdup_to(GUNYAHD_DEFINITIONS_DIR, &d.definitions_dir) < 0 ||
	    strdup_to(CONFIG_DEFAULT_ACCESS_GROUP, &d.access_group) < 0)
		return -ENOMEM;
	*c = d;
	d = (struct config) {};
	return 0;
}

/* ^[a-z_][a-z0-9_-]{0,31}$, the shadow-utils default NAME_REGEX without the trailing $. */
static bool group_name_is_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++) {
		char c = s[n];

		if (n >= CONFIG_GROUP_NAME_MAX)
			return false;
		if ((c >= 'a' && c <= 'z') || c == '_')
			continue;
		if (n > 0 && ((c >= '0' && c <= '9') || c == '-'))
			continue;
		return false;
	}
	return n > 0;
}

/* "1s", "250ms", "2m": the largest unit that divides usec, for messages. */
static const char *format_duration(uint64_t usec, char buf[static 32])
{
	static const struct {
		const char *unit;
		uint64_t usec;
	} units[] = {
		{ "h", 3600ull * 1000000 },
		{ "m", 60ull * 1000000 },
		{ "s", 1000000ull },
		{ "ms", 1000ull },
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(units); i++)
		if (usec % units[i].usec == 0)
			break;
	if (usec == 0 || i == ELEMENTSOF(units))
		snprintf(buf, 32, "%" PRIu64 "us", usec);
	else
		snprintf(buf, 32, "%" PRIu64 "%s", usec / units[i].usec, units[i].unit);
	return buf;
}

enum {
	LIMITS_MAX_VMS,
	LIMITS_MAX_REGIONS,
	LIMITS_MAX_GUEST_MEMORY,
	LIMITS_MAX_DEFINITION_SIZE,
	_LIMITS_MAX,
};

static const char *const limits_keys[_LIMITS_MAX] = {
	[LIMITS_MAX_VMS] = "max-vms",
	[LIMITS_MAX_REGIONS] = "max-regions",
	[LIMITS_MAX_GUEST_MEMORY] = "max-guest-memory",
	[LIMITS_MAX_DEFINITION_SIZE] = "max-definition-size",
};

static int parse_limits(struct ydoc *d, const struct ynode *map, struct config *c)
{
	const char *path = "limits";
	const struct ynode *v[_LIMITS_MAX], *n;
	char kp[YDOC_PATH_LEN], buf[YDOC_SHOW_BUF];
	uint64_t size;
	int r;

	r = ydoc_map_lookup(d, map, path, limits_keys, _LIMITS_MAX, v);
	if (r < 0)
		return r;
	if (ydoc_field(v, LIMITS_MAX_VMS, path, limits_keys, kp, &n)) {
		r = ydoc_get_u32(d, n, kp, 1, CONFIG_MAX_VMS, &c->limits.max_vms);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, LIMITS_MAX_REGIONS, path, limits_keys, kp, &n)) {
		r = ydoc_get_u32(d, n, kp, 0, CONFIG_MAX_REGIONS, &c->limits.max_regions);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, LIMITS_MAX_GUEST_MEMORY, path, limits_keys, kp, &n)) {
		r = ydoc_get_size(d, n, kp, &c->limits.max_guest_memory);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, LIMITS_MAX_DEFINITION_SIZE, path, limits_keys, kp, &n)) {
		r = ydoc_get_size(d, n, kp, &size);
		if (r > 0 &&
		    (size < CONFIG_DEFINITION_SIZE_MIN || size > CONFIG_DEFINITION_SIZE_MAX))
			r = ydoc_diag(d, n, kp, "must be between 1K and 1M, got %s",
				      ynode_show(n, buf));
		if (r < 0)
			return r;
		if (r > 0)
			c->limits.max_definition_size = size;
	}
	return 0;
}

enum {
	RESTART_BACKOFF,
	RESTART_BACKOFF_MAX,
	_RESTART_MAX,
};

static const char *const restart_keys[_RESTART_MAX] = {
	[RESTART_BACKOFF] = "backoff",
	[RESTART_BACKOFF_MAX] = "backoff-max",
};

static int parse_restart(struct ydoc *d, const struct ynode *map, struct config *c)
{
	const char *path = "restart";
	const struct ynode *v[_RESTART_MAX], *n;
	bool backoff_ok = true, max_ok = true;
	char kp[YDOC_PATH_LEN], buf[32];
	int r;

	r = ydoc_map_lookup(d, map, path, restart_keys, _RESTART_MAX, v);
	if (r < 0)
		return r;
	if (ydoc_field(v, RESTART_BACKOFF, path, restart_keys, kp, &n)) {
		r = ydoc_get_duration(d, n, kp, false, &c->restart.backoff_usec);
		if (r < 0)
			return r;
		backoff_ok = r > 0;
	}
	if (ydoc_field(v, RESTART_BACKOFF_MAX, path, restart_keys, kp, &n)) {
		r = ydoc_get_duration(d, n, kp, false, &c->restart.backoff_max_usec);
		if (r < 0)
			return r;
		max_ok = r > 0;
	}
	if (!backoff_ok || !max_ok || c->restart.backoff_max_usec >= c->restart.backoff_usec)
		return 0;

	/* Point at the key that was written; the other one holds its default. */
	if (v[RESTART_BACKOFF_MAX])
		return ydoc_diag(d, v[RESTART_BACKOFF_MAX], "restart.backoff-max",
				 "must not be shorter than restart.backoff (%s)",
				 format_duration(c->restart.backoff_usec, buf));
	return ydoc_diag(d, v[RESTART_BACKOFF], "restart.backoff",
			 "must not be longer than restart.backoff-max (%s by default)",
			 format_duration(c->restart.backoff_max_usec, buf));
}

enum {
	ROOT_VERSION,
	ROOT_DEFINITIONS,
	ROOT_ACCESS_GROUP,
	ROOT_IPA_BITS,
	ROOT_LIMITS,
	ROOT_RESTART,
	_ROOT_MAX,
};

static const char *const root_keys[_ROOT_MAX] = {
	[ROOT_VERSION] = "version",
	[ROOT_DEFINITIONS] = "definitions",
	[ROOT_ACCESS_GROUP] = "access-group",
	[ROOT_IPA_BITS] = "ipa-bits",
	[ROOT_LIMITS] = "limits",
	[ROOT_RESTART] = "restart",
};

static int parse_root(struct ydoc *d, const struct ynode *root, struct config *c)
{
	const struct ynode *v[_ROOT_MAX], *n;
	char kp[YDOC_PATH_LEN], buf[YDOC_SHOW_BUF];
	uint32_t ipa_bits;
	int64_t i;
	int r;

	_Static_assert(_ROOT_MAX <= YDOC_KEYS_MAX, "YDOC_KEYS_MAX too small");
	r = ydoc_map_lookup(d, root, "", root_keys, _ROOT_MAX, v);
	if (r < 0)
		return r;
	r = ydoc_require(d, root, "", root_keys, v, ROOT_VERSION);
	if (r < 0)
		return r;

	if (ydoc_field(v, ROOT_VERSION, "", root_keys, kp, &n)) {
		r = ydoc_get_int(d, n, kp, INT64_MIN, INT64_MAX, &i);
		if (r > 0 && i != CONFIG_SCHEMA_VERSION)
			r = ydoc_diag(d, n, kp,
				      "unsupported schema version %" PRId64 ": this gunyahd reads version %d",
				      i, CONFIG_SCHEMA_VERSION);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_DEFINITIONS, "", root_keys, kp, &n)) {
		_cleanup_free_ char *s = NULL;

		r = ydoc_get_string(d, n, kp, 1, PATH_MAX - 1, true, &s);
		if (r > 0 && s[0] != '/')
			r = ydoc_diag(d, n, kp, "'%s' is not an absolute path", ynode_show(n, buf));
		if (r < 0)
			return r;
		if (r > 0) {
			free(c->definitions_dir);
			c->definitions_dir = steal_ptr(s);
		}
	}
	if (ydoc_field(v, ROOT_ACCESS_GROUP, "", root_keys, kp, &n)) {
		r = ydoc_want_scalar(d, n, kp, "a group name");
		if (r > 0 && !group_name_is_valid(n->value))
			r = ydoc_diag(d, n, kp,
				      "invalid group name '%s': 1 to %d characters from a-z 0-9 _ -, starting with a-z or _",
				      ynode_show(n, buf), CONFIG_GROUP_NAME_MAX);
		if (r > 0)
			r = strdup_to(n->value, &c->access_group) ?: 1;
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_IPA_BITS, "", root_keys, kp, &n)) {
		r = ydoc_get_u32(d, n, kp, CONFIG_IPA_BITS_MIN, CONFIG_IPA_BITS_MAX, &ipa_bits);
		if (r < 0)
			return r;
		if (r > 0)
			c->ipa_bits = ipa_bits;
	}
	if (ydoc_field(v, ROOT_LIMITS, "", root_keys, kp, &n)) {
		r = ydoc_want_collection(d, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_limits(d, n, c);
		if (r < 0)
			return r;
	}
	if (ydoc_field(v, ROOT_RESTART, "", root_keys, kp, &n)) {
		r = ydoc_want_collection(d, n, kp, YNODE_MAPPING);
		if (r > 0)
			r = parse_restart(d, n, c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* origin names the document only in the caller's messages (vmdef_diag_format()). */
int config_parse_string(const char *origin, const char *text, size_t len, struct config *ret,
			struct vmdef_diags *reterr)
{
	_cleanup_(ydoc_done) struct ydoc doc = {};
	_cleanup_(config_done) struct config c = {};
	const struct ynode *root = NULL;
	int r;

	(void) origin;
	if (!text && len > 0)
		return -EINVAL;
	r = config_init_defaults(&c);
	if (r < 0)
		return r;

	ydoc_init(&doc, "gunyahd.yaml", reterr);
	r = ydoc_load(&doc, text, len, CONFIG_MAX_SIZE, &root);
	if (r < 0)
		return r;
	if (r > 0) {
		r = parse_root(&doc, root, &c);
		if (r < 0)
			return r;
	}
	r = ydoc_finish(&doc);
	if (r < 0)
		return r;
	if (ret) {
		*ret = c;
		c = (struct config) {};
	}
	return 0;
}

int config_load(const char *path, bool required, struct config *ret, struct vmdef_diags *reterr)
{
	int r = config_parse_file(path, ret, reterr);

	if (r == -ENOENT && !required)
		return config_init_defaults(ret);
	return r;
}

int config_parse_file(const char *path, struct config *ret, struct vmdef_diags *reterr)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return -EINVAL;
	r = ydoc_read_file(path, CONFIG_MAX_SIZE, YDOC_READ_ENOENT_QUIET, &text, &len, reterr);
	if (r < 0)
		return r;
	return config_parse_string(path, text, len, ret, reterr);
}
