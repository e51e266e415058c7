/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VM's console over its life (vm-console.h).
 */
#include <errno.h>
#include <string.h>

#include "console.h"
#include "gunyah/dbus-names.h"
#include "hyp.h"
#include "manager.h"
#include "util/bus-error.h"
#include "util/log.h"
#include "vm.h"
#include "vm-console.h"

#define VM_CONSOLE_LAST_LINES	5	/* in the message reporting a crash */
#define VM_CONSOLE_LAST_BYTES	512

static void vm_console_lost_changed(void *userdata)
{
	struct vm *vm = userdata;

	manager_vm_console_changed(vm->manager, vm);
}

void vm_console_open(struct vm *vm)
{
	const struct config *cfg = &vm->manager->config;
	struct console_settings s = {
		.name = vm->name,
		.ring_size = cfg->console.ring_size,
		.log_dir = cfg->console.log_dir,
		.log_max_size = cfg->console.log_max_size,
		.lost_changed = vm_console_lost_changed,
		.userdata = vm,
	};
	struct hyp_console *hc = NULL;
	int adopted = vm->adopted_console_fd, r;

	vm->adopted_console_fd = -EBADF;
	if (vm->console || !vm->inst.hvm) {
		safe_close(adopted);
		return;
	}
	if (adopted >= 0)
		r = hyp_vm_adopt_console(vm->inst.hvm, adopted, &hc);
	else
		r = hyp_vm_open_console(vm->inst.hvm, &hc);
	if (r == -ENOTTY)
		return;		/* a backend without consoles: Features says so */
	if (r >= 0)
		r = console_new(vm->manager->base, hc, &s, &vm->console);
	if (r < 0)
		log_errno(LOG_WARNING, r, "VM '%s': cannot open its console, running without: %m",
			  vm->name);
}

/* ConsoleBytesLost goes back to 0 with the state change that comes with this. */
void vm_console_close(struct vm *vm)
{
	vm->console = console_free(vm->console);
}

static int vm_console_check(struct vm *vm, sd_bus_error *error)
{
	if (!(hyp_features(vm->manager->hyp) & HYP_FEATURE_CONSOLE))
		return bus_error_setf(error, -EOPNOTSUPP, GH_ERROR_NOT_SUPPORTED,
				      "The hypervisor has no VM console (GH_VM_OPEN_CONSOLE)");
	if (!vm_is_live(vm))
		return bus_error_setf(error, -ENXIO, GH_ERROR_INVALID_STATE,
				      "VM '%s' is %s: it has no console until it is created",
				      vm->name, vm_state_to_string(vm->state));
	if (!vm->console)
		return bus_error_setf(error, -ENXIO, GH_ERROR_HYPERVISOR,
				      "VM '%s': its console could not be opened", vm->name);
	return 0;
}

int vm_console_attach(struct vm *vm, int *ret_fd, sd_bus_error *error)
{
	int r;

	r = vm_console_check(vm, error);
	if (r < 0)
		return r;
	r = console_attach(vm->console, ret_fd);
	if (r == -EMFILE)
		return bus_error_setf(error, r, GH_ERROR_LIMIT_EXCEEDED,
				      "VM '%s' has %d console clients already", vm->name,
				      CONSOLE_CLIENTS_MAX);
	if (r < 0)
		return bus_error_setf(error, r, SD_BUS_ERROR_FAILED,
				      "VM '%s': cannot attach to its console: %s", vm->name,
				      strerror(-r));
	return 0;
}

int vm_console_output(struct vm *vm, uint64_t max, void **ret, size_t *ret_size,
		      sd_bus_error *error)
{
	int r;

	r = vm_console_check(vm, error);
	if (r < 0)
		return r;
	console_drain(vm->console);
	r = console_tail(vm->console, max, ret, ret_size);
	if (r < 0)
		return bus_error_oom(error);
	return 0;
}

uint64_t vm_console_bytes_lost(const struct vm *vm)
{
	return vm->console ? console_bytes_lost(vm->console) : 0;
}

char *vm_console_last_lines(struct vm *vm)
{
	if (!vm->console)
		return NULL;
	console_drain(vm->console);
	return console_tail_text(vm->console, VM_CONSOLE_LAST_LINES, VM_CONSOLE_LAST_BYTES);
}
