/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What manager.c (the registry) shares with manager-dir.c (the definitions
 * directory), manager-transient.c and manager-limits.c; nothing outside
 * core/manager*.c includes this.
 */
#pragma once

#include "definition.h"
#include "manager.h"

/* The registry holds names taken, published or not (a transient VM being created). */
int registry_insert(struct manager *m, struct vm *vm);
void registry_delete(struct manager *m, struct vm *vm);
/* A VM in the registry becomes visible: counted, and the observers are told. */
void manager_publish_vm(struct manager *m, struct vm *vm);

/* Logs each diagnostic as origin:line:column: key: message. */
void manager_log_diags(const char *origin, const struct def_diags *diags);
/* Sets error to name with the diagnostics, one per line (or r's text); returns its errno. */
int manager_diags_error(const char *origin, const struct def_diags *diags, int r,
			const char *name, sd_bus_error *error);
