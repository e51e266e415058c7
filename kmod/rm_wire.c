// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RM RPC wire codec, rm/wire/wire.c, built into gunyah.ko as it is: the
 * module runs exactly the code that userspace unit-tests and fuzzes.
 */
#include "../rm/wire/wire.c"
