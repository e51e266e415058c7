/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * D-Bus error names (GH_ERROR_*): their one home is the header the
 * daemon shares with gunyahctl, the tests and the benchmarks.
 */
#pragma once

#include "gunyah/dbus-names.h"
