/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd's file descriptor store (FileDescriptorStoreMax=): fds the
 * service manager keeps for the service across its restarts and hands back
 * in $LISTEN_FDS/$LISTEN_FDNAMES. Without $NOTIFY_SOCKET every call is a
 * no-op returning 0. Thread-safe (each call is one datagram to PID 1).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define FDSTORE_NAME_MAX 255

/* Whether fds may be stored: gunyahd runs under a service manager. */
bool fdstore_available(void);
/* Stores copies of fds under name (FDSTORE=1, FDNAME=). 1 when sent, 0 without a store. */
int fdstore_add(const char *name, const int *fds, size_t n);
/* Drops every stored fd named name (FDSTOREREMOVE=1). */
int fdstore_remove(const char *name);
/*
 * Returns once PID 1 has processed everything sent before (BARRIER=1):
 * after it, a removed fd is closed there, so our close is the last.
 */
int fdstore_sync(void);
