/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include <linux/gunyah.h>

#include "exit-type.h"
#include "util/cleanup.h"

static const struct exit_type_info exit_types[_VMDEF_EXIT_MAX] = {
	[VMDEF_EXIT_VM_EXIT] = {
		GH_RM_VM_EXIT_TYPE_VM_EXIT, "poweroff", EXIT_CLASS_OFF, "vm-exit-error",
	},
	[VMDEF_EXIT_PLATFORM_OFF] = {
		GH_RM_VM_EXIT_TYPE_PLATFORM_OFF, "poweroff", EXIT_CLASS_OFF, NULL,
	},
	[VMDEF_EXIT_PLATFORM_RESET] = {
		GH_RM_VM_EXIT_TYPE_PLATFORM_RESET, "reboot", EXIT_CLASS_REBOOT, NULL,
	},
	[VMDEF_EXIT_SYSTEM_RESET2] = {
		GH_RM_VM_EXIT_TYPE_SYSTEM_RESET2, "reboot", EXIT_CLASS_REBOOT, NULL,
	},
	[VMDEF_EXIT_WATCHDOG_BITE] = {
		GH_RM_VM_EXIT_TYPE_WATCHDOG_BITE, "watchdog-bite", EXIT_CLASS_CRASH, NULL,
	},
	[VMDEF_EXIT_SOFTWARE_ERROR] = {
		GH_RM_VM_EXIT_TYPE_SOFTWARE_ERROR, "software-error", EXIT_CLASS_CRASH, NULL,
	},
	[VMDEF_EXIT_ASYNC_HW_ERROR] = {
		GH_RM_VM_EXIT_TYPE_ASYNC_HW_ERROR, "async-hw-error", EXIT_CLASS_CRASH, NULL,
	},
	[VMDEF_EXIT_FORCED_STOP] = {
		GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED, "stopped", EXIT_CLASS_OFF, NULL,
	},
};

const struct exit_type_info *exit_type_info(enum vmdef_exit_type t)
{
	return t >= 0 && t < _VMDEF_EXIT_MAX ? &exit_types[t] : NULL;
}

enum vmdef_exit_type exit_type_from_rm(uint16_t rm)
{
	for (size_t t = 0; t < ELEMENTSOF(exit_types); t++)
		if (exit_types[t].rm == rm)
			return (enum vmdef_exit_type) t;
	return _VMDEF_EXIT_INVALID;
}
