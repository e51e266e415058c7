/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's own configuration, /etc/gunyah/gunyahd.yaml (docs/yaml.md,
 * "gunyahd.yaml"), checked like a VM definition: every problem is a
 * diagnostic with line, column and key. Nothing here logs.
 *
 * The functions are config_* (config.c); the header is not config.h
 * because that name belongs to the build's generated header: the sources
 * in daemon/ include it as "config.h" and would find this one first.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vmdef.h"		/* struct def_diags */

#define CONFIG_SCHEMA_VERSION		1
#define CONFIG_MAX_SIZE			(64u * 1024)	/* bytes of gunyahd.yaml */
#define CONFIG_DEFAULT_ACCESS_GROUP	"gunyah"
#define CONFIG_GROUP_NAME_MAX		32		/* characters */
#define CONFIG_IPA_BITS_MIN		32
#define CONFIG_IPA_BITS_MAX		48
#define CONFIG_MAX_VMS			63u		/* the RM's dynamic VMIDs, 0x80..0xBE */
#define CONFIG_MAX_REGIONS		512u
#define CONFIG_DEFINITION_SIZE_MIN	1024ull
#define CONFIG_DEFINITION_SIZE_MAX	(1024ull * 1024)
#define CONFIG_DEFAULT_BACKOFF_USEC	(1ull * 1000000)
#define CONFIG_DEFAULT_BACKOFF_MAX_USEC	(60ull * 1000000)
#define CONFIG_DEFAULT_CONSOLE_RING	(64ull * 1024)
#define CONFIG_CONSOLE_RING_MIN		4096ull
#define CONFIG_CONSOLE_RING_MAX		(16ull * 1024 * 1024)
#define CONFIG_DEFAULT_CONSOLE_LOG_DIR	"/var/log/gunyah"
#define CONFIG_DEFAULT_CONSOLE_LOG_MAX	(1024ull * 1024)
#define CONFIG_CONSOLE_LOG_MAX_MIN	4096ull

struct config {
	char *definitions_dir;		/* absolute path */
	char *access_group;		/* may change VMs besides root: [a-z_][a-z0-9_-]{0,31} */
	uint32_t ipa_bits;		/* guest physical address width, 32..48 */
	struct {
		uint32_t max_vms;		/* live at once, 1..63 */
		uint32_t max_regions;		/* extra regions per definition, 0..512 */
		uint64_t max_guest_memory;	/* bytes, main + regions, all live VMs; 0: none */
		uint64_t max_definition_size;	/* bytes of YAML per definition, 1K..1M */
	} limits;
	struct {
		uint64_t backoff_usec;		/* µs before the first restart, then doubled */
		uint64_t backoff_max_usec;	/* µs, the cap; >= backoff_usec */
	} restart;
	struct {
		uint64_t ring_size;		/* bytes of each live VM's output kept in memory */
		char *log_dir;			/* NAME.log per VM; NULL: no log files */
		uint64_t log_max_size;		/* bytes; NAME.log -> NAME.log.1 past it */
	} console;
};

/*
 * The built-in defaults (what an absent gunyahd.yaml means), with heap
 * strings; c is overwritten, not freed. Returns 0 or -ENOMEM (then c
 * holds nothing to free).
 */
int config_init_defaults(struct config *c);

/*
 * Parses one document; a key left out keeps its default. On success
 * returns 0 and overwrites *ret (not freed first: pass a struct that
 * holds nothing). When the document is invalid returns -EINVAL and
 * appends every problem to *reterr (may be NULL), in document order;
 * -ENOMEM. Nothing is written to *ret on failure.
 */
int config_parse_string(const char *origin, const char *text, size_t len, struct config *ret,
			struct def_diags *reterr);

/*
 * Reads and parses a file of at most CONFIG_MAX_SIZE bytes. A missing
 * file is -ENOENT without a diagnostic, so that the daemon can fall back
 * to the defaults. Otherwise as vmdef_parse_file(): the open/read errno,
 * -EISDIR, -EBADFD, -EFBIG, each with a diagnostic at 1:1, or
 * config_parse_string()'s errors.
 */
int config_parse_file(const char *path, struct config *ret, struct def_diags *reterr);

/*
 * gunyahd.yaml as the daemon reads it, at start and on reload:
 * config_parse_file(), except that a missing file that is not @required
 * (the default path, not an explicit --config) means the built-in defaults.
 */
int config_load(const char *path, bool required, struct config *ret, struct def_diags *reterr);

/* Frees the strings and zeroes c; c may be NULL, and done twice. */
void config_done(struct config *c);
