/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.gunyah.Manager1 at /org/gunyah/Manager1 (names: gunyah/dbus-names.h). */
#pragma once

#include <systemd/sd-bus.h>

#include "gunyah/dbus-names.h"

struct manager;

/* The Manager1 vtable and the object manager (GetManagedObjects) on bus. */
int bus_manager_register(struct manager *m, sd_bus *bus);
