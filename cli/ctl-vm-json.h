/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VM as the JSON object of `list --json` and `status --json`; the fields
 * are documented in gunyahctl(1) and are kept stable: new ones may be added,
 * none renamed or removed.
 */
#pragma once

#include "ctl-json.h"
#include "ctl-vm.h"

void ctl_vm_json(struct ctl_json *j, const struct ctl_vm *vm);
