/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bus observes the core: what the manager announces becomes Manager1
 * and VM1 signals and PropertiesChanged.
 */
#pragma once

#include <systemd/sd-bus.h>

struct manager;

/*
 * Registers the bus's observer on m, emitting on bus (not ref'd: m is
 * freed first). Returns the observer's id or a negative errno.
 */
int bus_observer_register(struct manager *m, sd_bus *bus);
