/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * D-Bus error names: one per failure class (docs/api.md lists which
 * method returns which).
 */
#pragma once

#define GH_ERROR_NO_SUCH_VM		"org.gunyah.Error.NoSuchVM"
#define GH_ERROR_VM_EXISTS		"org.gunyah.Error.VMExists"
#define GH_ERROR_INVALID_DEFINITION	"org.gunyah.Error.InvalidDefinition"
#define GH_ERROR_INVALID_STATE		"org.gunyah.Error.InvalidState"
#define GH_ERROR_LAYOUT_CONFLICT	"org.gunyah.Error.LayoutConflict"
#define GH_ERROR_LIMIT_EXCEEDED		"org.gunyah.Error.LimitExceeded"
#define GH_ERROR_HYPERVISOR		"org.gunyah.Error.Hypervisor"
#define GH_ERROR_NOT_SUPPORTED		"org.gunyah.Error.NotSupported"
