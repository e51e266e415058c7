/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.gunyah.VM1: one object per VM at /org/gunyah/Manager1/vm/<escaped name>. */
#pragma once

#include <systemd/sd-bus.h>

#include "gunyah/dbus-names.h"

struct manager;
struct vm;

/* The VM1 fallback vtable and the node enumerator under GH_DBUS_VM_PATH_PREFIX on bus. */
int bus_vm_register(struct manager *m, sd_bus *bus);
/* vm's object path (malloc'd; the bus layer alone knows it). */
int bus_vm_path(const struct vm *vm, char **ret);
/*
 * vm_done_fn completions that reply to a held call (userdata: the message,
 * ref'd): an empty reply, or the VM's object path.
 */
void bus_vm_reply_done(struct vm *vm, int r, const sd_bus_error *error, void *userdata);
void bus_vm_reply_path_done(struct vm *vm, int r, const sd_bus_error *error, void *userdata);
/* A handler's refusal (r < 0): audited and, when it says something about the VM, its LastError. */
int bus_vm_refusal(sd_bus_message *msg, struct vm *vm, int r, const sd_bus_error *error);
/* The handler's return for a request made with a held message: unrefs it when r < 0. */
int bus_vm_hold(sd_bus_message *msg, int r);
/*
 * VM1.Start/Stop/Destroy; Manager1's StartVM/StopVM/DestroyVM look the VM
 * up and hand the rest of the message (Stop's force) over to them.
 */
int bus_vm_method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_vm_method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_vm_method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* uid 0 or a member of the configured access group; else AccessDenied is set. */
int bus_require_manager(struct manager *m, sd_bus_message *msg, sd_bus_error *error);
