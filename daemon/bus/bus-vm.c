/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.gunyah.VM1: vtable and thin handlers; the logic lives in vm.c.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>

#include "bus-audit.h"
#include "bus-caller.h"
#include "gunyah/dbus-names.h"
#include "bus-vm.h"
#include "guest.h"
#include "manager.h"
#include "util/bus-property.h"
#include "util/log.h"
#include "vm.h"
#include "vm-console.h"
#include "vmdef.h"

int bus_require_manager(struct manager *m, sd_bus_message *msg, sd_bus_error *error)
{
	struct bus_caller caller;
	struct group *grp;
	int r;

	r = bus_caller_get(msg, &caller);
	if (r < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
					 "Cannot determine the caller's credentials: %s",
					 strerror(-r));
	if (caller.uid == 0)
		return 0;
	grp = getgrnam(m->config.access_group);
	if (grp && bus_caller_in_group(&caller, grp->gr_gid))
		return 0;
	return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
				 "Changing VMs requires root or membership of group '%s'",
				 m->config.access_group);
}

static int bus_vm_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		       void **found, sd_bus_error *error)
{
	struct manager *m = userdata;
	_cleanup_free_ char *name = NULL;
	struct vm *vm;
	int r;

	(void) bus;
	(void) interface;
	(void) error;
	r = sd_bus_path_decode(path, GH_DBUS_VM_PATH_PREFIX, &name);
	if (r <= 0)
		return 0;
	vm = manager_find_vm(m, name);
	if (!vm || !vm->registered)
		return 0;
	*found = vm;
	return 1;
}

static int bus_vm_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes,
			    sd_bus_error *error)
{
	struct manager *m = userdata;
	_cleanup_free_ struct vm **vms = NULL;
	char **l;
	size_t n;
	int r;

	(void) bus;
	(void) path;
	(void) error;
	r = manager_list_vms(m, &vms, &n);
	if (r < 0)
		return r;
	l = calloc(n + 1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	for (size_t i = 0, k = 0; i < n; i++) {
		if (!vms[i]->registered)
			continue;
		r = bus_vm_path(vms[i], &l[k]);
		if (r < 0) {
			for (size_t j = 0; j < k; j++)
				free(l[j]);
			free(l);
			return r;
		}
		k++;
	}
	*nodes = l;
	return 0;
}

/*
 * A request refused before any work began: audited, and kept as the VM's
 * LastError unless the caller lacked the right or the VM was not in a
 * state for it (neither says anything about the VM).
 */
int bus_vm_refusal(sd_bus_message *msg, struct vm *vm, int r, const sd_bus_error *error)
{
	if (r >= 0)
		return r;
	bus_audit(msg, vm->name, r, error);
	if (!sd_bus_error_has_names(error, SD_BUS_ERROR_ACCESS_DENIED, GH_ERROR_INVALID_STATE))
		vm_note_error(vm, r, error);
	return r;
}

/* Replies to a held call once the request completed; with_path: reply its VM's path. */
static void bus_vm_reply(struct vm *vm, int r, const sd_bus_error *error,
			 sd_bus_message *msg, bool with_path)
{
	_cleanup_free_ char *path = NULL;
	int k;

	bus_audit(msg, vm->name, r, error);
	if (r < 0)
		k = sd_bus_reply_method_error(msg, error);
	else if (with_path && (k = bus_vm_path(vm, &path)) < 0)
		k = sd_bus_reply_method_errno(msg, k, NULL);
	else if (with_path)
		k = sd_bus_reply_method_return(msg, "o", path);
	else
		k = sd_bus_reply_method_return(msg, NULL);
	if (k < 0)
		log_errno(LOG_WARNING, k, "VM '%s': cannot reply to %s, ignoring: %m", vm->name,
			  sd_bus_message_get_member(msg));
	sd_bus_message_unref(msg);
}

void bus_vm_reply_done(struct vm *vm, int r, const sd_bus_error *error, void *userdata)
{
	bus_vm_reply(vm, r, error, userdata, false);
}

void bus_vm_reply_path_done(struct vm *vm, int r, const sd_bus_error *error, void *userdata)
{
	bus_vm_reply(vm, r, error, userdata, true);
}

/*
 * Calls a request with this message held for the reply, which the
 * request's completion sends.
 */
int bus_vm_hold(sd_bus_message *msg, int r)
{
	if (r < 0) {
		sd_bus_message_unref(msg);
		return r;
	}
	return 1;
}

static int method_create(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct vm *vm = userdata;
	int r;

	r = bus_require_manager(vm->manager, msg, error);
	if (r >= 0)
		r = bus_vm_hold(msg, vm_create(vm, bus_vm_reply_done, sd_bus_message_ref(msg), error));
	return bus_vm_refusal(msg, vm, r, error);
}

/* Start replies when the VM runs, or with the reason it could not start. */
int bus_vm_method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct vm *vm = userdata;
	int r;

	r = bus_require_manager(vm->manager, msg, error);
	if (r >= 0)
		r = bus_vm_hold(msg, vm_start(vm, bus_vm_reply_done, sd_bus_message_ref(msg), error));
	return bus_vm_refusal(msg, vm, r, error);
}

int bus_vm_method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct vm *vm = userdata;
	int force, r;

	r = sd_bus_message_read(msg, "b", &force);
	if (r < 0)
		return r;
	r = bus_require_manager(vm->manager, msg, error);
	if (r >= 0)
		r = bus_vm_hold(msg, vm_stop(vm, force, bus_vm_reply_done,
					     sd_bus_message_ref(msg), error));
	return bus_vm_refusal(msg, vm, r, error);
}

int bus_vm_method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct vm *vm = userdata;
	int r;

	r = bus_require_manager(vm->manager, msg, error);
	if (r >= 0)
		r = bus_vm_hold(msg, vm_destroy(vm, bus_vm_reply_done, sd_bus_message_ref(msg),
						error));
	return bus_vm_refusal(msg, vm, r, error);
}

/* The blob the VM boots with; for a VM not created yet, the one it would get. */
static int method_get_device_tree(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct vm *vm = userdata;
	_cleanup_free_ void *planned = NULL;
	const void *blob;
	size_t size;
	int r;

	r = vm_devicetree(vm, &blob, &size, &planned, error);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_append_array(reply, 'y', blob, size);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/*
 * One end of a socketpair on the VM's console: output from now on, input
 * to the guest. Console output can hold secrets: the rights of Start.
 */
static int method_open_console(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct vm *vm = userdata;
	_cleanup_close_ int fd = -1;
	int r;

	r = bus_require_manager(vm->manager, msg, error);
	if (r < 0)
		return r;
	r = vm_console_attach(vm, &fd, error);
	if (r < 0)
		return r;
	/* sd-bus duplicates the fd into the message. */
	return sd_bus_reply_method_return(msg, "h", fd);
}

/*
 * The start of GetConsoleOutput's and FollowConsole's replies: max_bytes
 * read, the caller's rights checked, the tail kept in memory appended
 * (at most max_bytes, 0 for all).
 */
static int console_output_reply(sd_bus_message *msg, struct vm *vm, sd_bus_message **ret,
				sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ void *buf = NULL;
	uint64_t max;
	size_t size;
	int r;

	r = sd_bus_message_read(msg, "t", &max);
	if (r < 0)
		return r;
	r = bus_require_manager(vm->manager, msg, error);
	if (r < 0)
		return r;
	r = vm_console_output(vm, max, &buf, &size, error);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_append_array(reply, 'y', buf, size);
	if (r < 0)
		return r;
	*ret = steal_ptr(reply);
	return 0;
}

static int method_get_console_output(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = console_output_reply(msg, userdata, &reply, error);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/*
 * The tail and a console attached in the same turn of the loop, which is
 * what reads the guest's output: the socket goes on exactly where the
 * tail ends, nothing twice and nothing missed (gunyahctl logs -f).
 */
static int method_follow_console(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = console_output_reply(msg, userdata, &reply, error);
	if (r < 0)
		return r;
	r = vm_console_attach(userdata, &fd, error);
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "h", fd);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

BUS_DEFINE_PROPERTY_GET(property_get_console_bytes_lost, "t", struct vm,
			vm_console_bytes_lost(o))

BUS_PROPERTY_GETTER(property_get_device_tree)
{
	struct vm *vm = userdata;
	const struct guest *g = vm->inst.guest;

	if (!g)
		return sd_bus_message_append(reply, "(tt)", (uint64_t) 0, (uint64_t) 0);
	return sd_bus_message_append(reply, "(tt)", guest_main(g)->gpa + g->dtb.offset,
				     g->dtb_reserve);
}

BUS_PROPERTY_GETTER(property_get_extents)
{
	struct vm *vm = userdata;
	const struct guest *g = vm->inst.guest;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(stt)");
	if (r >= 0 && g) {
		uint64_t base = guest_main(g)->gpa;

		r = sd_bus_message_append(reply, "(stt)", "kernel", base + g->kernel.offset,
					  g->kernel.size);
		if (r >= 0 && g->ramdisk.size)
			r = sd_bus_message_append(reply, "(stt)", "ramdisk",
						  base + g->ramdisk.offset, g->ramdisk.size);
		if (r >= 0)
			r = sd_bus_message_append(reply, "(stt)", "devicetree",
						  base + g->dtb.offset, g->dtb_reserve);
	}
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

BUS_DEFINE_PROPERTY_GET(property_get_state, "s", struct vm, vm_state_to_string(o->state))

/* The page size main memory got (guest.h); "" while the VM is not created */
BUS_DEFINE_PROPERTY_GET(property_get_memory_pages, "s", struct vm,
			o->inst.guest ? guest_pages_to_string(guest_main(o->inst.guest)->pages) : "")

BUS_PROPERTY_GETTER(property_get_exit_type)
{
	struct vm *vm = userdata;
	const char *s = vm->exit_type >= 0 ? vmdef_exit_type_to_string(vm->exit_type) : NULL;

	return sd_bus_message_append(reply, "s", s ? s : "");
}

BUS_PROPERTY_GETTER(property_get_def)
{
	struct vm *vm = userdata;
	/* A live VM reports what it runs with, not an edited file. */
	const struct vmdef *def = vm->inst.def ? vm->inst.def : vm->def;

	if (strcmp(property, "MemoryBase") == 0)
		return sd_bus_message_append(reply, "t", def->memory.base);
	if (strcmp(property, "MemorySize") == 0)
		return sd_bus_message_append(reply, "t", def->memory.size);
	if (strcmp(property, "Vcpus") == 0)
		return sd_bus_message_append(reply, "u", def->vcpus);
	if (strcmp(property, "Autostart") == 0)
		return sd_bus_message_append(reply, "b", def->autostart);
	if (strcmp(property, "Kernel") == 0)
		return sd_bus_message_append(reply, "s", def->kernel);
	if (strcmp(property, "Ramdisk") == 0)
		return sd_bus_message_append(reply, "s", def->ramdisk ? def->ramdisk : "");
	if (strcmp(property, "Cmdline") == 0)
		return sd_bus_message_append(reply, "s", def->cmdline ? def->cmdline : "");
	return -EINVAL;
}

BUS_PROPERTY_GETTER(property_get_regions)
{
	struct vm *vm = userdata;
	const struct vmdef *def = vm->inst.def ? vm->inst.def : vm->def;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(uttss)");
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "(uttss)", (uint32_t) 0, def->memory.base,
				  def->memory.size, vmdef_access_to_string(def->memory.access),
				  vmdef_sharing_to_string(def->memory.sharing));
	for (size_t i = 0; r >= 0 && i < def->n_regions; i++) {
		const struct vmdef_region *reg = &def->regions[i];

		r = sd_bus_message_append(reply, "(uttss)", reg->label, reg->base, reg->size,
					  vmdef_access_to_string(reg->access),
					  vmdef_sharing_to_string(reg->sharing));
	}
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

BUS_DEFINE_PROPERTY_GET(property_get_transient, "b", struct vm, (int) o->transient)

BUS_DEFINE_PROPERTY_GET(property_get_vmid, "u", struct vm, (uint32_t) o->inst.vmid)

BUS_DEFINE_PROPERTY_GET(property_get_last_error, "s", struct vm,
			o->last_error ? o->last_error : "")

/* The file the next create reads; "" for a transient VM. */
BUS_DEFINE_PROPERTY_GET(property_get_definition_file, "s", struct vm,
			o->transient ? "" : o->def->origin)

BUS_DEFINE_PROPERTY_GET(property_get_definition_pending, "b", struct vm,
			(int) vm_definition_pending(o))

static const sd_bus_vtable bus_vm_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Name", "s", NULL, offsetof(struct vm, name), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("StateReason", "s", NULL, offsetof(struct vm, state_reason),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ExitType", "s", property_get_exit_type, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ExitCode", "u", NULL, offsetof(struct vm, exit_code),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("VMID", "u", property_get_vmid, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Transient", "b", property_get_transient, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Autostart", "b", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MemoryBase", "t", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MemorySize", "t", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Vcpus", "u", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Regions", "a(uttss)", property_get_regions, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("DeviceTree", "(tt)", property_get_device_tree, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Extents", "a(stt)", property_get_extents, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MemoryPages", "s", property_get_memory_pages, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CreatedTimestamp", "t", NULL, offsetof(struct vm, created_usec),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("StartedTimestamp", "t", NULL, offsetof(struct vm, started_usec),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("RestartCount", "u", NULL, offsetof(struct vm, restart_count),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastError", "s", property_get_last_error, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastErrorTime", "t", NULL, offsetof(struct vm, last_error_usec),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("DefinitionFile", "s", property_get_definition_file, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("DefinitionPending", "b", property_get_definition_pending, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Kernel", "s", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Ramdisk", "s", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Cmdline", "s", property_get_def, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ConsoleBytesLost", "t", property_get_console_bytes_lost, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_ARGS("Create", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_create,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_vm_method_start,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("b", force), SD_BUS_NO_RESULT, bus_vm_method_stop,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_vm_method_destroy,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetDeviceTree", SD_BUS_NO_ARGS, SD_BUS_RESULT("ay", blob),
				method_get_device_tree, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("OpenConsole", SD_BUS_NO_ARGS, SD_BUS_RESULT("h", console),
				method_open_console, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetConsoleOutput", SD_BUS_ARGS("t", max_bytes),
				SD_BUS_RESULT("ay", output), method_get_console_output,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("FollowConsole", SD_BUS_ARGS("t", max_bytes),
				SD_BUS_RESULT("ay", output, "h", console), method_follow_console,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

int bus_vm_path(const struct vm *vm, char **ret)
{
	return sd_bus_path_encode(GH_DBUS_VM_PATH_PREFIX, vm->name, ret);
}

int bus_vm_register(struct manager *m, sd_bus *bus)
{
	int r;

	r = sd_bus_add_fallback_vtable(bus, NULL, GH_DBUS_VM_PATH_PREFIX, GH_DBUS_VM_INTERFACE,
				       bus_vm_vtable, bus_vm_find, m);
	if (r < 0)
		return r;
	return sd_bus_add_node_enumerator(bus, NULL, GH_DBUS_VM_PATH_PREFIX, bus_vm_enumerate, m);
}
