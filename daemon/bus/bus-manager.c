/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.gunyah.Manager1: vtable and thin handlers. Name-based methods look
 * the VM up and then behave exactly like the VM1 method of the same name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "bus-audit.h"
#include "gunyah/dbus-names.h"
#include "bus-manager.h"
#include "bus-vm.h"
#include "hyp.h"
#include "manager.h"
#include "util/bus-property.h"
#include "util/log.h"
#include "vm.h"
#include "vmdef.h"

static int bus_manager_lookup(struct manager *m, sd_bus_message *msg, struct vm **ret,
			      sd_bus_error *error)
{
	const char *name;
	struct vm *vm = NULL;
	int r;

	r = sd_bus_message_read(msg, "s", &name);
	if (r < 0)
		return r;
	vm = manager_find_vm(m, name);
	if (!vm || !vm->registered)
		return sd_bus_error_setf(error, GH_ERROR_NO_SUCH_VM, "No VM '%s' is defined", name);
	*ret = vm;
	return 0;
}

/*
 * A passed image must be a regular file opened for reading: the daemon
 * reads it with pread() and never asks more of it.
 */
static int bus_check_passed_file(int fd, const char *key, sd_bus_error *error)
{
	struct stat st;
	int flags;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return sd_bus_error_setf(error, GH_ERROR_INVALID_DEFINITION,
					 "fd:%s is not a regular file", key);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if ((flags & O_ACCMODE) == O_WRONLY)
		return sd_bus_error_setf(error, GH_ERROR_INVALID_DEFINITION,
					 "fd:%s is not open for reading", key);
	return 0;
}

static int method_list_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct manager *m = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ struct vm **vms = NULL;
	size_t n;
	int r;

	(void) error;
	r = manager_list_vms(m, &vms, &n);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(ssuo)");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (!vms[i]->registered)
			continue;
		r = bus_vm_path(vms[i], &path);
		if (r >= 0)
			r = sd_bus_message_append(reply, "(ssuo)", vms[i]->name,
						  vm_state_to_string(vms[i]->state),
						  (uint32_t) vms[i]->inst.vmid, path);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_get_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_free_ char *path = NULL;
	struct vm *vm = NULL;
	int r;

	r = bus_manager_lookup(userdata, msg, &vm, error);
	if (r < 0)
		return r;
	r = bus_vm_path(vm, &path);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(msg, "o", path);
}

static int method_create_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct vm *vm = NULL;
	int r;

	r = bus_manager_lookup(userdata, msg, &vm, error);
	if (r < 0)
		return bus_audit_refusal(msg, NULL, r, error);
	r = bus_require_manager(vm->manager, msg, error);
	if (r >= 0)
		r = bus_vm_hold(msg, vm_create(vm, bus_vm_reply_path_done,
					       sd_bus_message_ref(msg), error));
	return bus_vm_refusal(msg, vm, r, error);
}

static int method_start_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct vm *vm = NULL;
	int r;

	r = bus_manager_lookup(userdata, msg, &vm, error);
	if (r < 0)
		return bus_audit_refusal(msg, NULL, r, error);
	return bus_vm_method_start(msg, vm, error);
}

static int method_stop_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct vm *vm = NULL;
	int r;

	r = bus_manager_lookup(userdata, msg, &vm, error);
	if (r < 0)
		return bus_audit_refusal(msg, NULL, r, error);
	return bus_vm_method_stop(msg, vm, error);
}

static int method_destroy_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct vm *vm = NULL;
	int r;

	r = bus_manager_lookup(userdata, msg, &vm, error);
	if (r < 0)
		return bus_audit_refusal(msg, NULL, r, error);
	return bus_vm_method_destroy(msg, vm, error);
}

/* Replies with every problem of yaml as a(uus). */
static int bus_validate(sd_bus_message *msg, struct manager *m, const char *yaml,
			enum definition_use use)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct def_diags diags = {};
	int r;

	r = manager_validate(m, yaml, use, &diags);
	if (r >= 0)
		r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(uus)");
	for (size_t i = 0; r >= 0 && i < diags.n; i++) {
		const struct def_diag *d = &diags.items[i];
		_cleanup_free_ char *text = NULL;

		if (asprintf(&text, "%s%s%s", d->key, *d->key ? ": " : "", d->message) < 0)
			r = -ENOMEM;
		else
			r = sd_bus_message_append(reply, "(uus)", d->line, d->column, text);
	}
	def_diags_clear(&diags);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_validate_definition(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	const char *yaml;
	int r;

	(void) error;
	r = sd_bus_message_read(msg, "s", &yaml);
	if (r < 0)
		return r;
	return bus_validate(msg, userdata, yaml, DEFINITION_USE_ANY);
}

static int method_validate_definition_for(sd_bus_message *msg, void *userdata,
					  sd_bus_error *error)
{
	const char *yaml, *use_name;
	enum definition_use use;
	int r;

	r = sd_bus_message_read(msg, "ss", &yaml, &use_name);
	if (r < 0)
		return r;
	use = definition_use_from_string(use_name);
	if (use < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "use must be 'directory' or 'transient', not '%s'",
					 use_name);
	return bus_validate(msg, userdata, yaml, use);
}

/* Reads the a{sh} of CreateTransientVM, duplicating each fd (the message owns its own). */
static int bus_read_files(sd_bus_message *msg, struct transient_file *files, size_t *ret_n,
			  sd_bus_error *error)
{
	const char *key;
	size_t n = 0;
	int fd, r;

	r = sd_bus_message_enter_container(msg, 'a', "{sh}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(msg, "{sh}", &key, &fd)) > 0) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(files[i].key, key) == 0)
				return sd_bus_error_setf(error, GH_ERROR_INVALID_DEFINITION,
							 "file key '%s' is passed twice", key);
		if (n == TRANSIENT_FILES_MAX)
			return sd_bus_error_setf(error, GH_ERROR_INVALID_DEFINITION,
						 "more than %d files passed", TRANSIENT_FILES_MAX);
		files[n].key = key;
		files[n].fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (files[n].fd < 0)
			return -errno;
		*ret_n = ++n;
		r = bus_check_passed_file(files[n - 1].fd, key, error);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(msg);
}

static int method_create_transient_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct manager *m = userdata;
	struct transient_file files[TRANSIENT_FILES_MAX];
	size_t n = 0;
	const char *yaml;
	int r;

	r = sd_bus_message_read(msg, "s", &yaml);
	if (r < 0)
		return r;
	r = bus_require_manager(m, msg, error);
	if (r >= 0)
		r = bus_read_files(msg, files, &n, error);
	if (r >= 0)
		r = bus_vm_hold(msg, manager_create_transient(m, yaml, files, n,
							      bus_vm_reply_path_done,
							      sd_bus_message_ref(msg), error));
	for (size_t i = 0; i < n; i++)
		safe_close(files[i].fd);
	return bus_audit_refusal(msg, NULL, r, error);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct manager *m = userdata;
	struct manager_problems problems = {};
	int r;

	r = bus_require_manager(m, msg, error);
	if (r >= 0)
		r = manager_reload_report(m, &problems, error);
	bus_audit(msg, NULL, r, error);
	if (r >= 0)
		r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(suus)");
	for (size_t i = 0; r >= 0 && i < problems.n; i++) {
		const struct manager_problem *p = &problems.items[i];

		r = sd_bus_message_append(reply, "(suus)", p->file, p->line, p->column,
					  p->message);
	}
	manager_problems_clear(&problems);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

BUS_DEFINE_PROPERTY_GET(property_get_version, "s", void, GUNYAHD_VERSION)

BUS_DEFINE_PROPERTY_GET(property_get_backend, "s", struct manager,
			hyp_kind_to_string(hyp_kind(o->hyp)))

BUS_DEFINE_PROPERTY_GET(property_get_vm_count, "u", struct manager, (uint32_t) o->n_vms)

BUS_PROPERTY_GETTER(property_get_features)
{
	struct manager *m = userdata;
	unsigned features = hyp_features(m->hyp);
	int r;

	r = sd_bus_message_open_container(reply, 'a', "s");
	for (unsigned f = 1; r >= 0 && f & _HYP_FEATURE_ALL; f <<= 1)
		if (features & f)
			r = sd_bus_message_append(reply, "s", hyp_feature_to_string(f));
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

static const sd_bus_vtable bus_manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Backend", "s", property_get_backend, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("VMCount", "u", property_get_vm_count, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Features", "as", property_get_features, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_ARGS("ListVMs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssuo)", vms),
				method_list_vms, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetVM", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", path),
				method_get_vm, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("CreateVM", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", path),
				method_create_vm, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("StartVM", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
				method_start_vm, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("StopVM", SD_BUS_ARGS("s", name, "b", force), SD_BUS_NO_RESULT,
				method_stop_vm, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("DestroyVM", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT,
				method_destroy_vm, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("CreateTransientVM", SD_BUS_ARGS("s", yaml, "a{sh}", files),
				SD_BUS_RESULT("o", path), method_create_transient_vm,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ValidateDefinition", SD_BUS_ARGS("s", yaml),
				SD_BUS_RESULT("a(uus)", problems), method_validate_definition,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ValidateDefinitionFor", SD_BUS_ARGS("s", yaml, "s", use),
				SD_BUS_RESULT("a(uus)", problems), method_validate_definition_for,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(suus)", problems),
				method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_ARGS("VMNew", SD_BUS_ARGS("s", name, "o", path), 0),
	SD_BUS_SIGNAL_WITH_ARGS("VMRemoved", SD_BUS_ARGS("s", name, "o", path), 0),
	SD_BUS_SIGNAL_WITH_ARGS("VMStateChanged", SD_BUS_ARGS("s", name, "s", state, "s", reason),
				0),
	SD_BUS_VTABLE_END,
};

int bus_manager_register(struct manager *m, sd_bus *bus)
{
	int r;

	r = sd_bus_add_object_vtable(bus, NULL, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
				     bus_manager_vtable, m);
	if (r < 0)
		return r;
	/* GetManagedObjects: every VM and its properties in one call. */
	return sd_bus_add_object_manager(bus, NULL, GH_DBUS_MANAGER_PATH);
}
