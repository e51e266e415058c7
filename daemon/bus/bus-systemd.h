/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What systemd says of gunyahd's own unit, asked over the system bus
 * (org.freedesktop.systemd1, readable by any user): the job under way
 * when gunyahd is told to stop, and the size of its fd store.
 */
#pragma once

#include <stdint.h>

/*
 * The type of the job systemd runs on gunyahd's unit ("restart", "stop",
 * ...) in *ret (malloc'd), or NULL when there is none.
 */
int systemd_unit_job_type(char **ret);
/* The unit's FileDescriptorStoreMax=. */
int systemd_unit_fd_store_max(uint32_t *ret);
