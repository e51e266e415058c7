/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#include "ctl-bus.h"
#include "ctl-vm.h"

struct ctl_vm_prop {
	const char *name;
	const char *signature;
	size_t offset;			/* of the field in struct ctl_vm */
	int (*read)(sd_bus_message *m, void *field);
};

static int ctl_vm_read_string(sd_bus_message *m, void *field)
{
	return sd_bus_message_read_basic(m, 's', field);
}

static int ctl_vm_read_u32(sd_bus_message *m, void *field)
{
	return sd_bus_message_read_basic(m, 'u', field);
}

static int ctl_vm_read_u64(sd_bus_message *m, void *field)
{
	return sd_bus_message_read_basic(m, 't', field);
}

static int ctl_vm_read_bool(sd_bus_message *m, void *field)
{
	int b, r;

	r = sd_bus_message_read_basic(m, 'b', &b);
	if (r < 0)
		return r;
	*(bool *) field = b;
	return 0;
}

static int ctl_vm_read_devicetree(sd_bus_message *m, void *field)
{
	struct ctl_vm *vm = field;

	return sd_bus_message_read(m, "(tt)", &vm->dt_base, &vm->dt_size);
}

static int ctl_vm_read_regions(sd_bus_message *m, void *field)
{
	struct ctl_vm *vm = field;
	struct ctl_region reg, *grown;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "(uttss)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(m, "(uttss)", &reg.label, &reg.base, &reg.size,
					&reg.access, &reg.sharing)) > 0) {
		grown = realloc(vm->regions, (vm->n_regions + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		vm->regions = grown;
		vm->regions[vm->n_regions++] = reg;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int ctl_vm_read_extents(sd_bus_message *m, void *field)
{
	struct ctl_vm *vm = field;
	struct ctl_extent ext, *grown;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "(stt)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(m, "(stt)", &ext.kind, &ext.base, &ext.size)) > 0) {
		grown = realloc(vm->extents, (vm->n_extents + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		vm->extents = grown;
		vm->extents[vm->n_extents++] = ext;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

#define PROP(n, sig, field, fn) { n, sig, offsetof(struct ctl_vm, field), fn }

static const struct ctl_vm_prop ctl_vm_props[] = {
	PROP("Name", "s", name, ctl_vm_read_string),
	PROP("State", "s", state, ctl_vm_read_string),
	PROP("StateReason", "s", reason, ctl_vm_read_string),
	PROP("ExitType", "s", exit_type, ctl_vm_read_string),
	PROP("ExitCode", "u", exit_code, ctl_vm_read_u32),
	PROP("VMID", "u", vmid, ctl_vm_read_u32),
	PROP("Transient", "b", transient, ctl_vm_read_bool),
	PROP("Autostart", "b", autostart, ctl_vm_read_bool),
	PROP("MemoryBase", "t", memory_base, ctl_vm_read_u64),
	PROP("MemorySize", "t", memory_size, ctl_vm_read_u64),
	PROP("Vcpus", "u", vcpus, ctl_vm_read_u32),
	{ "Regions", "a(uttss)", 0, ctl_vm_read_regions },
	{ "DeviceTree", "(tt)", 0, ctl_vm_read_devicetree },
	{ "Extents", "a(stt)", 0, ctl_vm_read_extents },
	PROP("CreatedTimestamp", "t", created, ctl_vm_read_u64),
	PROP("StartedTimestamp", "t", started, ctl_vm_read_u64),
	PROP("RestartCount", "u", restart_count, ctl_vm_read_u32),
	PROP("LastError", "s", last_error, ctl_vm_read_string),
	PROP("LastErrorTime", "t", last_error_time, ctl_vm_read_u64),
	PROP("DefinitionFile", "s", definition_file, ctl_vm_read_string),
	PROP("DefinitionPending", "b", definition_pending, ctl_vm_read_bool),
	PROP("Kernel", "s", kernel, ctl_vm_read_string),
	PROP("Ramdisk", "s", ramdisk, ctl_vm_read_string),
	PROP("Cmdline", "s", cmdline, ctl_vm_read_string),
};

static const struct ctl_vm_prop *ctl_vm_prop_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(ctl_vm_props); i++)
		if (strcmp(ctl_vm_props[i].name, name) == 0)
			return &ctl_vm_props[i];
	return NULL;
}

/* One property's variant; unknown ones (a newer daemon) and odd types are skipped. */
static int ctl_vm_parse_value(sd_bus_message *m, struct ctl_vm *vm, const char *name)
{
	const struct ctl_vm_prop *p = ctl_vm_prop_find(name);
	const char *contents;
	int r;

	r = sd_bus_message_peek_type(m, NULL, &contents);
	if (r < 0)
		return r;
	if (!p || strcmp(contents, p->signature) != 0)
		return sd_bus_message_skip(m, "v");
	r = sd_bus_message_enter_container(m, 'v', contents);
	if (r < 0)
		return r;
	r = p->read(m, (char *) vm + p->offset);
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int ctl_vm_parse(sd_bus_message *m, struct ctl_vm *vm)
{
	const char *name;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		r = sd_bus_message_read_basic(m, 's', &name);
		if (r < 0)
			return r;
		r = ctl_vm_parse_value(m, vm, name);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

int ctl_vm_fetch(sd_bus *bus, const char *path, struct ctl_vm *ret, sd_bus_error *reterr)
{
	struct ctl_vm vm = { .name = "", .state = "", .reason = "", .exit_type = "",
			     .last_error = "", .definition_file = "", .kernel = "", .ramdisk = "",
			     .cmdline = "" };
	int r;

	r = sd_bus_call_method(bus, CTL_SERVICE, path, "org.freedesktop.DBus.Properties",
			       "GetAll", reterr, &vm.reply, "s", CTL_VM_IFACE);
	if (r < 0)
		return r;
	r = ctl_vm_parse(vm.reply, &vm);
	if (r < 0) {
		ctl_vm_done(&vm);
		return sd_bus_error_set_errnof(reterr, r, "cannot read the properties of %s: %s",
					       path, strerror(-r));
	}
	*ret = vm;
	return 0;
}

int ctl_vm_get(struct ctl *ctl, const char *path, struct ctl_vm *ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = ctl_vm_fetch(ctl->bus, path, ret, &error);
	if (r < 0)
		return ctl_bus_fail(ctl, &error, r);
	return 0;
}

void ctl_vm_done(struct ctl_vm *vm)
{
	free(vm->regions);
	free(vm->extents);
	sd_bus_message_unref(vm->reply);
	*vm = (struct ctl_vm) {};
}
