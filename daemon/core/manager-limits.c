/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The configured limits (gunyahd.yaml): the rules every definition is
 * checked against (definition.c), and the limits a Create is held to next
 * to every other VM.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "gunyah/dbus-names.h"
#include "manager-internal.h"
#include "util/bus-error.h"
#include "vm.h"

struct definition_rules manager_definition_rules(const struct manager *m)
{
	return (struct definition_rules) {
		.max_size = m->config.limits.max_definition_size,
		.max_regions = m->config.limits.max_regions ? m->config.limits.max_regions
							    : VMDEF_NO_REGIONS,
		.ipa_bits = m->config.ipa_bits,
		.max_guest_memory = m->config.limits.max_guest_memory,
	};
}

int manager_check_limits(struct manager *m, const struct vm *vm, const struct vmdef *def,
			 sd_bus_error *error)
{
	_cleanup_free_ struct vm **vms = NULL;
	uint64_t memory = definition_memory(def);
	size_t n = 0, live = 0;
	int r;

	r = manager_list_vms(m, &vms, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct vmdef *held = vm_resource_def(vms[i]);

		if (vms[i] == vm || !held)
			continue;
		live++;
		memory += definition_memory(held);
	}
	if (live >= m->config.limits.max_vms)
		return bus_error_setf(error, -EUSERS, GH_ERROR_LIMIT_EXCEEDED,
				      "VM '%s': %zu VMs are live, the limit is %u (limits.max-vms)",
				      def->name, live, m->config.limits.max_vms);
	if (m->config.limits.max_guest_memory && memory > m->config.limits.max_guest_memory)
		return bus_error_setf(error, -ENOSPC, GH_ERROR_LIMIT_EXCEEDED,
				      "VM '%s': guest memory would total %" PRIu64
				      " bytes, over the limit of %" PRIu64 " (limits.max-guest-memory)",
				      def->name, memory, m->config.limits.max_guest_memory);
	return 0;
}

int manager_validate(struct manager *m, const char *yaml, enum definition_use use,
		     struct def_diags *ret)
{
	const struct definition_rules rules = manager_definition_rules(m);
	_cleanup_(vmdef_freep) struct vmdef *def = NULL;
	int r;

	r = definition_read(&rules, use, "<definition>", yaml, &def, NULL, ret);
	return r == -ENOMEM ? r : 0;
}
