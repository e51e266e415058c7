/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahd's D-Bus names, for the daemon, gunyahctl, the tests and the
 * benchmarks alike (docs/api.md describes them; the XML in dbus/ and
 * dbus/org.gunyah.Manager1.conf name them too).
 */
#pragma once

/* The well-known name gunyahd owns. */
#define GH_DBUS_SERVICE			"org.gunyah.Manager1"
#define GH_DBUS_MANAGER_PATH		"/org/gunyah/Manager1"
#define GH_DBUS_MANAGER_INTERFACE	"org.gunyah.Manager1"
#define GH_DBUS_VM_INTERFACE		"org.gunyah.VM1"
/* A VM's object: this prefix, '/', the name escaped as sd_bus_path_encode() does. */
#define GH_DBUS_VM_PATH_PREFIX		GH_DBUS_MANAGER_PATH "/vm"

/* Error names: one per failure class (docs/api.md lists which method returns which). */
#define GH_ERROR_NO_SUCH_VM		"org.gunyah.Error.NoSuchVM"
#define GH_ERROR_VM_EXISTS		"org.gunyah.Error.VMExists"
#define GH_ERROR_INVALID_DEFINITION	"org.gunyah.Error.InvalidDefinition"
#define GH_ERROR_INVALID_STATE		"org.gunyah.Error.InvalidState"
#define GH_ERROR_LAYOUT_CONFLICT	"org.gunyah.Error.LayoutConflict"
#define GH_ERROR_LIMIT_EXCEEDED		"org.gunyah.Error.LimitExceeded"
#define GH_ERROR_HYPERVISOR		"org.gunyah.Error.Hypervisor"
#define GH_ERROR_NOT_SUPPORTED		"org.gunyah.Error.NotSupported"
