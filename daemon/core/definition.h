/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one path a definition takes before it may become a VM, whatever
 * brought it: a file of the definitions directory, CreateTransientVM,
 * ValidateDefinition or Create. It is parsed for its use, laid out (every
 * parcel conflict), its devicetree and images placed as far as the images'
 * sizes allow (loader_check()), and its own memory held against
 * limits.max-guest-memory. Nothing else parses or checks a definition, so
 * those four can no longer disagree.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "vmdef.h"

struct layout;

/* What a definition is checked for: how its files are named. */
enum definition_use {
	DEFINITION_USE_ANY,		/* paths and fd:KEY both accepted (ValidateDefinition) */
	DEFINITION_USE_DIRECTORY,	/* absolute paths only, as in the definitions directory */
	DEFINITION_USE_TRANSIENT,	/* fd:KEY only, as CreateTransientVM wants */
	_DEFINITION_USE_MAX,
	_DEFINITION_USE_INVALID = -EINVAL,
};

/* "directory", "transient" -> enum definition_use (ValidateDefinitionFor). */
enum definition_use definition_use_from_string(const char *s);

/* The configured rules (gunyahd.yaml) a definition is checked against. */
struct definition_rules {
	size_t max_size;		/* bytes of YAML; 0: vmdef's default */
	size_t max_regions;		/* VMDEF_NO_REGIONS: none */
	unsigned ipa_bits;
	uint64_t max_guest_memory;	/* this VM's main memory and regions; 0: no limit */
};

/* Main memory and every region: what a VM of def holds. */
uint64_t definition_memory(const struct vmdef *def);

/*
 * The checks after the schema, of a parsed definition. Appends every
 * problem to *diags; returns 0, -EINVAL or -ENOMEM. With -EINVAL,
 * *ret_error (when non-NULL) is the D-Bus error of the first problem, as
 * Create would name it: LayoutConflict for parcels and placement,
 * InvalidDefinition for the devicetree, LimitExceeded for the limit.
 */
int definition_check(const struct definition_rules *rules, const struct vmdef *def,
		     const char **ret_error, struct def_diags *diags);

/*
 * What may have changed for a definition read before: the checks that
 * depend on the configuration (the layout against ipa-bits, the memory
 * limit), as definition_check() runs them. Create and GetDeviceTree use
 * this on a VM's stored definition; the loader then places the real images.
 */
int definition_recheck(const struct definition_rules *rules, const struct vmdef *def,
		       const char **ret_error, struct def_diags *diags);

/*
 * Parses text (or, when text is NULL, the file at origin) for use, then
 * definition_check()s it. Every problem goes to *diags. Returns 0 and
 * *ret; -EINVAL with *ret_error (InvalidDefinition for the schema); -ENOMEM;
 * or the errno of a file that cannot be read (with a diagnostic).
 */
int definition_read(const struct definition_rules *rules, enum definition_use use,
		    const char *origin, const char *text, struct vmdef **ret,
		    const char **ret_error, struct def_diags *diags);
