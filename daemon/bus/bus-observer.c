/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bus layer's observer of the manager: signals and PropertiesChanged
 * for what the core announces. The core never calls up into the bus, and
 * without this observer (unit tests) nothing is emitted. A VM that is not
 * published has no object yet: its changes are not announced on the bus.
 */
#include <stdbool.h>

#include "bus-manager.h"
#include "bus-observer.h"
#include "bus-vm.h"
#include "manager.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "vm.h"

/* Manager1.VMNew or VMRemoved, then PropertiesChanged(VMCount). */
static int bus_observer_emit_vm(sd_bus *bus, struct vm *vm, const char *path, const char *member)
{
	int r;

	r = sd_bus_emit_signal(bus, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE, member, "so",
			       vm->name, path);
	if (r >= 0)
		r = sd_bus_emit_properties_changed(bus, GH_DBUS_MANAGER_PATH,
						   GH_DBUS_MANAGER_INTERFACE, "VMCount", NULL);
	if (r < 0)
		log_errno(LOG_WARNING, r, "Cannot emit %s for '%s', ignoring: %m", member,
			  vm->name);
	return r;
}

/*
 * VMNew + InterfacesAdded, or VMRemoved + InterfacesRemoved. A removed VM
 * is announced while it is still found, so that InterfacesRemoved lists
 * its interfaces.
 */
static void bus_observer_announce(sd_bus *bus, struct vm *vm, bool added)
{
	const char *member = added ? "VMNew" : "VMRemoved";
	_cleanup_free_ char *path = NULL;
	int r;

	r = bus_vm_path(vm, &path);
	if (r < 0) {
		log_errno(LOG_WARNING, r, "Cannot emit %s for '%s', ignoring: %m", member, vm->name);
		return;
	}
	(void) bus_observer_emit_vm(bus, vm, path, member);
	r = added ? sd_bus_emit_object_added(bus, path) : sd_bus_emit_object_removed(bus, path);
	if (r < 0)
		log_errno(LOG_WARNING, r, "Cannot emit Interfaces%s for '%s', ignoring: %m",
			  added ? "Added" : "Removed", vm->name);
}

static void bus_observer_vm_added(struct manager *m, struct vm *vm, void *userdata)
{
	(void) m;
	bus_observer_announce(userdata, vm, true);
}

static void bus_observer_vm_removed(struct manager *m, struct vm *vm, void *userdata)
{
	(void) m;
	bus_observer_announce(userdata, vm, false);
}

/* PropertiesChanged on the VM's object for names (a NULL-terminated list of properties). */
static int bus_observer_vm_properties(sd_bus *bus, struct vm *vm, char **names)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = bus_vm_path(vm, &path);
	if (r >= 0)
		r = sd_bus_emit_properties_changed_strv(bus, path, GH_DBUS_VM_INTERFACE, names);
	if (r < 0)
		log_errno(LOG_WARNING, r, "VM '%s': cannot emit PropertiesChanged, ignoring: %m",
			  vm->name);
	return r;
}

static void bus_observer_vm_state_changed(struct manager *m, struct vm *vm, void *userdata)
{
	static char *const names[] = {
		"State", "StateReason", "ExitType", "ExitCode", "VMID", "DeviceTree", "Extents",
		"MemoryPages",
		"CreatedTimestamp", "StartedTimestamp", "RestartCount", "DefinitionPending",
		"Kernel", "Ramdisk", "Cmdline", "ConsoleBytesLost", NULL,
	};
	sd_bus *bus = userdata;
	int r;

	(void) m;
	if (!vm->registered)
		return;
	(void) bus_observer_vm_properties(bus, vm, (char **) names);
	r = sd_bus_emit_signal(bus, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
			       "VMStateChanged", "sss", vm->name, vm_state_to_string(vm->state),
			       vm->state_reason);
	if (r < 0)
		log_errno(LOG_WARNING, r, "VM '%s': cannot emit VMStateChanged, ignoring: %m",
			  vm->name);
}

static void bus_observer_vm_definition_changed(struct manager *m, struct vm *vm, void *userdata)
{
	static char *const names[] = {
		"Autostart", "MemoryBase", "MemorySize", "Vcpus", "Regions", "Kernel", "Ramdisk",
		"Cmdline", "DefinitionFile", "DefinitionPending", NULL,
	};

	(void) m;
	if (vm->registered)
		(void) bus_observer_vm_properties(userdata, vm, (char **) names);
}

static void bus_observer_vm_error_changed(struct manager *m, struct vm *vm, void *userdata)
{
	static char *const names[] = { "LastError", "LastErrorTime", NULL };

	(void) m;
	if (vm->registered)
		(void) bus_observer_vm_properties(userdata, vm, (char **) names);
}

static void bus_observer_vm_console_changed(struct manager *m, struct vm *vm, void *userdata)
{
	static char *const names[] = { "ConsoleBytesLost", NULL };

	(void) m;
	if (vm->registered)
		(void) bus_observer_vm_properties(userdata, vm, (char **) names);
}

static void bus_observer_features_changed(struct manager *m, void *userdata)
{
	int r;

	(void) m;
	r = sd_bus_emit_properties_changed(userdata, GH_DBUS_MANAGER_PATH,
					   GH_DBUS_MANAGER_INTERFACE, "Features", NULL);
	if (r < 0)
		log_errno(LOG_WARNING, r, "Cannot emit PropertiesChanged(Features), ignoring: %m");
}

static const struct manager_observer_ops bus_observer_ops = {
	.vm_added = bus_observer_vm_added,
	.vm_removed = bus_observer_vm_removed,
	.vm_state_changed = bus_observer_vm_state_changed,
	.vm_definition_changed = bus_observer_vm_definition_changed,
	.vm_error_changed = bus_observer_vm_error_changed,
	.vm_console_changed = bus_observer_vm_console_changed,
	.features_changed = bus_observer_features_changed,
};

int bus_observer_register(struct manager *m, sd_bus *bus)
{
	return manager_observer_add(m, &bus_observer_ops, bus);
}
