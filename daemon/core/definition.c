/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "definition.h"
#include "gunyah/dbus-names.h"
#include "layout.h"
#include "loader.h"
#include "util/cleanup.h"
#include "util/string-table.h"

/* ValidateDefinitionFor's names; "any" is ValidateDefinition's own, not one of them. */
static const char *const definition_use_table[_DEFINITION_USE_MAX] = {
	[DEFINITION_USE_DIRECTORY] = "directory",
	[DEFINITION_USE_TRANSIENT] = "transient",
};

DEFINE_STRING_TABLE_FROM_STRING(definition_use, enum definition_use, definition_use_table)

uint64_t definition_memory(const struct vmdef *def)
{
	uint64_t total = def->memory.size;

	for (size_t i = 0; i < def->n_regions; i++)
		total += def->regions[i].size;
	return total;
}

/* Every parcel conflict; a layout that fails without saying why gets one line. */
static int check_layout(const struct definition_rules *rules, const struct vmdef *def,
			const char **ret_error, struct def_diags *diags)
{
	_cleanup_(layout_freep) struct layout *layout = NULL;
	size_t n = diags->n;
	int r;

	*ret_error = GH_ERROR_LAYOUT_CONFLICT;
	r = layout_from_vmdef(def, rules->ipa_bits, &layout, diags);
	if (r == -ENOMEM || r >= 0)
		return r;
	if (diags->n == n)
		return def_diags_add(diags, def->memory.mark.line, def->memory.mark.column,
				     "memory", "no layout: %s", strerror(-r));
	return 0;
}

/* The devicetree and the images' placement, as far as it does not depend on their sizes. */
static int check_placement(const struct definition_rules *rules, const struct vmdef *def,
			   const char **ret_error, struct def_diags *diags)
{
	(void) rules;
	return loader_check(def, ret_error, diags);
}

static int check_limit(const struct definition_rules *rules, const struct vmdef *def,
		       const char **ret_error, struct def_diags *diags)
{
	uint64_t memory = definition_memory(def);

	*ret_error = GH_ERROR_LIMIT_EXCEEDED;
	if (!rules->max_guest_memory || memory <= rules->max_guest_memory)
		return 0;
	return def_diags_add(diags, def->memory.mark.line, def->memory.mark.column, "memory",
			     "%" PRIu64 " bytes of guest memory (regions included), over limits.max-guest-memory (%" PRIu64 " bytes)",
			     memory, rules->max_guest_memory);
}

typedef int (*definition_check_fn)(const struct definition_rules *rules,
				   const struct vmdef *def, const char **ret_error,
				   struct def_diags *diags);

/* Runs every check, so that one call reports every problem. */
static int run_checks(const definition_check_fn *checks, size_t n_checks,
		      const struct definition_rules *rules, const struct vmdef *def,
		      const char **ret_error, struct def_diags *diags)
{
	size_t first = diags->n;

	for (size_t i = 0; i < n_checks; i++) {
		const char *error = NULL;
		size_t n = diags->n;
		int r = checks[i](rules, def, &error, diags);

		if (r == -ENOMEM)
			return r;
		if (diags->n > n && n == first && ret_error)
			*ret_error = error;
	}
	return diags->n > first ? -EINVAL : 0;
}

int definition_check(const struct definition_rules *rules, const struct vmdef *def,
		     const char **ret_error, struct def_diags *diags)
{
	static const definition_check_fn checks[] = { check_layout, check_placement, check_limit };

	return run_checks(checks, ELEMENTSOF(checks), rules, def, ret_error, diags);
}

int definition_recheck(const struct definition_rules *rules, const struct vmdef *def,
		       const char **ret_error, struct def_diags *diags)
{
	/* Placement and devicetree depend on the definition alone: checked when it was read. */
	static const definition_check_fn checks[] = { check_layout, check_limit };

	return run_checks(checks, ELEMENTSOF(checks), rules, def, ret_error, diags);
}

int definition_read(const struct definition_rules *rules, enum definition_use use,
		    const char *origin, const char *text, struct vmdef **ret,
		    const char **ret_error, struct def_diags *diags)
{
	const struct vmdef_parse_opts opts = {
		.transient = use == DEFINITION_USE_TRANSIENT,
		.any_files = use == DEFINITION_USE_ANY,
		.max_size = rules->max_size,
		.max_regions = rules->max_regions,
	};
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	int r;

	r = text ? vmdef_parse_string(origin, text, strlen(text), &opts, &def, diags)
		 : vmdef_parse_file(origin, &opts, &def, diags);
	if (r < 0) {
		if (ret_error)
			*ret_error = GH_ERROR_INVALID_DEFINITION;
		return r;
	}
	r = definition_check(rules, def, ret_error, diags);
	if (r < 0)
		return r;
	*ret = steal_ptr(def);
	return 0;
}
