/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who sent a message: uid, pid and groups as the bus driver saw them when
 * the caller connected (GetConnectionCredentials; UnixGroupIDs come from
 * SO_PEERGROUPS, not racy like /proc by PID). One query per connection: a
 * unique name is never reused on a bus and a connection's credentials
 * never change, so what is cached by unique name is never stale, and the
 * access check and the audit line of a call share it.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#define BUS_CALLER_GROUPS_MAX	64

struct bus_caller {
	uid_t uid;
	pid_t pid;			/* 0: unknown */
	gid_t groups[BUS_CALLER_GROUPS_MAX];
	unsigned n_groups;
	bool groups_known;		/* the driver reported them */
};

/* The sender of msg; a negative errno when the bus driver cannot tell. */
int bus_caller_get(sd_bus_message *msg, struct bus_caller *ret);
bool bus_caller_in_group(const struct bus_caller *c, gid_t gid);
