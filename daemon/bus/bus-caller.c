/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "bus-caller.h"
#include "util/cleanup.h"

/* Callers by unique name, oldest replaced first: a peer that calls again soon is the rule. */
#define BUS_CALLER_CACHE	32
#define UNIQUE_NAME_MAX		64

static struct {
	char name[UNIQUE_NAME_MAX];
	struct bus_caller caller;
} cache[BUS_CALLER_CACHE];
static unsigned cache_next;

static int read_groups(sd_bus_message *reply, struct bus_caller *c)
{
	const uint32_t *gids;
	size_t size;
	int r;

	r = sd_bus_message_enter_container(reply, 'v', "au");
	if (r < 0)
		return r;
	r = sd_bus_message_read_array(reply, 'u', (const void **) &gids, &size);
	if (r < 0)
		return r;
	size /= sizeof(*gids);
	if (size > BUS_CALLER_GROUPS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < size; i++)
		c->groups[i] = gids[i];
	c->n_groups = (unsigned) size;
	c->groups_known = true;
	return sd_bus_message_exit_container(reply);
}

static int read_u32(sd_bus_message *reply, uint32_t *ret)
{
	return sd_bus_message_read(reply, "v", "u", ret);
}

/* One entry of GetConnectionCredentials' a{sv}; unknown keys are skipped. */
static int read_entry(sd_bus_message *reply, struct bus_caller *c, bool *has_uid)
{
	const char *key;
	uint32_t v;
	int r;

	r = sd_bus_message_read(reply, "s", &key);
	if (r < 0)
		return r;
	if (strcmp(key, "UnixUserID") == 0) {
		r = read_u32(reply, &v);
		c->uid = v;
		*has_uid = r >= 0;
	} else if (strcmp(key, "ProcessID") == 0) {
		r = read_u32(reply, &v);
		c->pid = (pid_t) v;
	} else if (strcmp(key, "UnixGroupIDs") == 0) {
		r = read_groups(reply, c);
	} else {
		r = sd_bus_message_skip(reply, "v");
	}
	return r;
}

static int query(sd_bus_message *msg, const char *sender, struct bus_caller *ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct bus_caller c = {};
	bool has_uid = false;
	int r;

	r = sd_bus_call_method(sd_bus_message_get_bus(msg), "org.freedesktop.DBus",
			       "/org/freedesktop/DBus", "org.freedesktop.DBus",
			       "GetConnectionCredentials", NULL, &reply, "s", sender);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		r = read_entry(reply, &c, &has_uid);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (!has_uid)
		return -ENODATA;
	*ret = c;
	return 0;
}

/* A direct (peer-to-peer) connection has no driver: its socket's peer. */
static int query_peer(sd_bus_message *msg, struct bus_caller *ret)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	int r;

	*ret = (struct bus_caller) {};
	r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID, &creds);
	if (r < 0)
		return r;
	r = sd_bus_creds_get_euid(creds, &ret->uid);
	if (r < 0)
		return r;
	(void) sd_bus_creds_get_pid(creds, &ret->pid);
	return 0;
}

int bus_caller_get(sd_bus_message *msg, struct bus_caller *ret)
{
	const char *sender = sd_bus_message_get_sender(msg);
	unsigned slot;
	int r;

	if (!sender || strlen(sender) >= UNIQUE_NAME_MAX)
		return query_peer(msg, ret);
	for (unsigned i = 0; i < BUS_CALLER_CACHE; i++)
		if (strcmp(cache[i].name, sender) == 0) {
			*ret = cache[i].caller;
			return 0;
		}
	r = query(msg, sender, ret);
	if (r < 0)
		return r;
	slot = cache_next++ % BUS_CALLER_CACHE;
	strcpy(cache[slot].name, sender);
	cache[slot].caller = *ret;
	return 0;
}

bool bus_caller_in_group(const struct bus_caller *c, gid_t gid)
{
	for (unsigned i = 0; i < c->n_groups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}
