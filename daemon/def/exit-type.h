/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a VM exits: the one table from the RM's VM_EXITED exit type to
 * gunyahd's (enum vmdef_exit_type, named in definitions' simulate block),
 * the reason VM1 shows and what it means for the VM. The state machine
 * (core/vm.c) reads it one way, the sim (hyp/hyp-sim.c) the other.
 */
#pragma once

#include <stdint.h>

#include "vmdef.h"

/* What an exit means for the VM. */
enum exit_class {
	EXIT_CLASS_OFF,		/* exited: powered off or stopped */
	EXIT_CLASS_REBOOT,	/* exited, asking to be started again */
	EXIT_CLASS_CRASH,	/* crashed */
};

struct exit_type_info {
	uint16_t rm;			/* GH_RM_VM_EXIT_TYPE_* */
	const char *reason;		/* VM1.StateReason */
	enum exit_class class;
	const char *error_reason;	/* VM_EXIT with a nonzero code: crashed, this reason */
};

/* The entry of t; NULL for a value out of range. */
const struct exit_type_info *exit_type_info(enum vmdef_exit_type t);
/* The RM's exit type -> gunyahd's; _VMDEF_EXIT_INVALID for one the RM does not define. */
enum vmdef_exit_type exit_type_from_rm(uint16_t rm);
