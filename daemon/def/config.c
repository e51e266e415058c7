/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahd.yaml (schema version 1) -> struct config. The schema only; the
 * YAML itself is checked by ydoc.c exactly as for VM definitions.
 */
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"		/* the build's: GUNYAHD_DEFINITIONS_DIR */
#include "config-file.h"
#include "rm-limits.h"
#include "util/string-util.h"
#include "ydoc.h"

void config_done(struct config *c)
{
	if (!c)
		return;
	free(c->definitions_dir);
	free(c->access_group);
	free(c->console.log_dir);
	*c = (struct config) {};
}

/*
 * Where console logs go by default: the unit's LogsDirectory= as systemd
 * passes it ($LOGS_DIRECTORY, the first of a colon-separated list), so
 * that a drop-in moving it, or a user unit, needs no gunyahd.yaml change.
 */
static int default_log_dir(char **ret)
{
	const char *env = getenv("LOGS_DIRECTORY");
	size_t n = env ? strcspn(env, ":") : 0;
	char *dir;

	if (n == 0 || env[0] != '/')
		return free_and_strdup(ret, CONFIG_DEFAULT_CONSOLE_LOG_DIR);
	dir = strndup(env, n);
	if (!dir)
		return -ENOMEM;
	free(*ret);
	*ret = dir;
	return 0;
}

int config_init_defaults(struct config *c)
{
	_cleanup_(config_done) struct config d = {
		.ipa_bits = RM_IPA_BITS_DEFAULT,
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
		.console = {
			.ring_size = CONFIG_DEFAULT_CONSOLE_RING,
			.log_max_size = CONFIG_DEFAULT_CONSOLE_LOG_MAX,
		},
	};

	if (!c)
		return -EINVAL;
	if (free_and_strdup(&d.definitions_dir, GUNYAHD_DEFINITIONS_DIR) < 0 ||
	    free_and_strdup(&d.access_group, CONFIG_DEFAULT_ACCESS_GROUP) < 0 ||
	    default_log_dir(&d.console.log_dir) < 0)
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

#define OF_LIMITS(m)	offsetof(struct config, limits.m)
#define OF_RESTART(m)	offsetof(struct config, restart.m)

static const struct ydoc_field_spec limits_table[] = {
	{ "max-vms", false, ydoc_field_u32, OF_LIMITS(max_vms), YDOC_RANGE(1, CONFIG_MAX_VMS) },
	{ "max-regions", false, ydoc_field_u32, OF_LIMITS(max_regions),
	  YDOC_RANGE(0, CONFIG_MAX_REGIONS) },
	{ "max-guest-memory", false, ydoc_field_size, OF_LIMITS(max_guest_memory), NULL },
	{ "max-definition-size", false, ydoc_field_size, OF_LIMITS(max_definition_size),
	  YDOC_SIZE_RANGE(CONFIG_DEFINITION_SIZE_MIN, CONFIG_DEFINITION_SIZE_MAX) },
};

enum {
	RESTART_BACKOFF,
	RESTART_BACKOFF_MAX,
	_RESTART_MAX,
};

static const struct ydoc_field_spec restart_table[_RESTART_MAX] = {
	[RESTART_BACKOFF] = { "backoff", false, ydoc_field_duration, OF_RESTART(backoff_usec),
			      NULL },
	[RESTART_BACKOFF_MAX] = { "backoff-max", false, ydoc_field_duration,
				  OF_RESTART(backoff_max_usec), NULL },
};

/* backoff <= backoff-max, pointing at the key that was written; the other holds its default. */
static int check_restart(struct ydoc *d, const struct ydoc_map_seen *seen,
			 const struct config *c)
{
	char buf[32];

	if (!ydoc_seen_usable(seen, RESTART_BACKOFF) ||
	    !ydoc_seen_usable(seen, RESTART_BACKOFF_MAX) ||
	    c->restart.backoff_max_usec >= c->restart.backoff_usec)
		return 0;
	if (seen->values[RESTART_BACKOFF_MAX])
		return ydoc_diag(d, seen->values[RESTART_BACKOFF_MAX], "restart.backoff-max",
				 "must not be shorter than restart.backoff (%s)",
				 format_duration(c->restart.backoff_usec, buf));
	return ydoc_diag(d, seen->values[RESTART_BACKOFF], "restart.backoff",
			 "must not be longer than restart.backoff-max (%s by default)",
			 format_duration(c->restart.backoff_max_usec, buf));
}

/* Offset 0: the table's offsets and the check are relative to struct config. */
static int parse_restart(struct ydoc *d, const struct ynode *n, const char *path, void *data,
			 const void *arg)
{
	struct ydoc_map_seen seen;
	int r;

	(void) arg;
	r = ydoc_want_collection(d, n, path, YNODE_MAPPING);
	if (r <= 0)
		return r;
	r = ydoc_parse_map(d, n, path, restart_table, _RESTART_MAX, data, &seen);
	if (r >= 0)
		r = check_restart(d, &seen, data);
	return r < 0 ? r : 1;
}

static int parse_definitions(struct ydoc *d, const struct ynode *n, const char *path,
			     void *data, const void *arg)
{
	_cleanup_free_ char *s = NULL;
	char buf[YDOC_SHOW_BUF];
	int r;

	(void) arg;
	r = ydoc_get_string(d, n, path, 1, PATH_MAX - 1, true, &s);
	if (r > 0 && s[0] != '/')
		return ydoc_diag(d, n, path, "'%s' is not an absolute path", ynode_show(n, buf));
	if (r > 0) {
		free(*(char **) data);
		*(char **) data = steal_ptr(s);
	}
	return r;
}

/* An absolute directory, or "" for no log files at all. */
static int parse_console_log_dir(struct ydoc *d, const struct ynode *n, const char *path,
				 void *data, const void *arg)
{
	_cleanup_free_ char *s = NULL;
	char buf[YDOC_SHOW_BUF];
	int r;

	(void) arg;
	r = ydoc_get_string(d, n, path, 0, PATH_MAX - 1, true, &s);
	if (r > 0 && s[0] != '\0' && s[0] != '/')
		return ydoc_diag(d, n, path, "'%s' is not an absolute path (\"\" turns the logs off)",
				 ynode_show(n, buf));
	if (r > 0) {
		free(*(char **) data);
		*(char **) data = s[0] ? steal_ptr(s) : NULL;
	}
	return r;
}

#define OF_CONSOLE(m)	offsetof(struct config, console.m)

static const struct ydoc_field_spec console_table[] = {
	{ "ring-size", false, ydoc_field_size, OF_CONSOLE(ring_size),
	  YDOC_SIZE_RANGE(CONFIG_CONSOLE_RING_MIN, CONFIG_CONSOLE_RING_MAX) },
	{ "log-dir", false, parse_console_log_dir, OF_CONSOLE(log_dir), NULL },
	{ "log-max-size", false, ydoc_field_size, OF_CONSOLE(log_max_size),
	  YDOC_SIZE_RANGE(CONFIG_CONSOLE_LOG_MAX_MIN, 0) },
};

static const int64_t schema_version = CONFIG_SCHEMA_VERSION;

static const struct ydoc_name_spec group_name = {
	"a group name", "group name", group_name_is_valid, CONFIG_GROUP_NAME_MAX,
	"a-z 0-9 _ -, starting with a-z or _",
};

static const struct ydoc_field_spec root_table[] = {
	{ "version", true, ydoc_field_version, 0, &schema_version },
	{ "definitions", false, parse_definitions, offsetof(struct config, definitions_dir),
	  NULL },
	{ "access-group", false, ydoc_field_name, offsetof(struct config, access_group),
	  &group_name },
	{ "ipa-bits", false, ydoc_field_u32, offsetof(struct config, ipa_bits),
	  YDOC_RANGE(CONFIG_IPA_BITS_MIN, CONFIG_IPA_BITS_MAX) },
	{ "limits", false, ydoc_field_map, 0, YDOC_TABLE(limits_table) },
	{ "restart", false, parse_restart, 0, NULL },
	{ "console", false, ydoc_field_map, 0, YDOC_TABLE(console_table) },
};

/* origin names the document only in the caller's messages (def_diag_format()). */
int config_parse_string(const char *origin, const char *text, size_t len, struct config *ret,
			struct def_diags *reterr)
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
		r = ydoc_parse_map(&doc, root, "", root_table, ELEMENTSOF(root_table), &c, NULL);
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

int config_load(const char *path, bool required, struct config *ret, struct def_diags *reterr)
{
	int r = config_parse_file(path, ret, reterr);

	if (r == -ENOENT && !required)
		return config_init_defaults(ret);
	return r;
}

int config_parse_file(const char *path, struct config *ret, struct def_diags *reterr)
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
