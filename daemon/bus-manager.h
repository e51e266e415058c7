/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.gunyah.Manager1 at /org/gunyah/Manager1. */
#pragma once

struct manager;
struct vm;

#define BUS_MANAGER_NAME "org.gunyah.Manager1"
#define BUS_MANAGER_PATH "/org/gunyah/Manager1"
#define BUS_MANAGER_INTERFACE "org.gunyah.Manager1"
#define BUS_VM_INTERFACE "org.gunyah.VM1"

int bus_manager_register(struct manager *m);
void bus_manager_emit_vm_new(struct manager *m, struct vm *vm);
void bus_manager_emit_features(struct manager *m);
void bus_manager_emit_vm_removed(struct manager *m, struct vm *vm);
