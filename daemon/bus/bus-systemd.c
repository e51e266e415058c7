/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bus-systemd.h"
#include "util/cleanup.h"
#include "util/log.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_CALL_TIMEOUT_USEC (5ull * 1000 * 1000)

/* A private connection to the system bus and the object path of our unit. */
static int systemd_own_unit(sd_bus **ret_bus, char **ret_path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	const char *path;
	int r;

	r = sd_bus_open_system(&bus);
	if (r < 0)
		return r;
	(void) sd_bus_set_method_call_timeout(bus, SYSTEMD_CALL_TIMEOUT_USEC);
	r = sd_bus_call_method(bus, SYSTEMD_DEST, "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "GetUnitByPID", &error, &reply,
			       "u", (uint32_t) getpid());
	if (r < 0) {
		log_debug("Cannot find gunyahd's unit: %s", error.message ? error.message : strerror(-r));
		return r;
	}
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return r;
	*ret_path = strdup(path);
	if (!*ret_path)
		return -ENOMEM;
	*ret_bus = steal_ptr(bus);
	return 0;
}

int systemd_unit_job_type(char **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_free_ char *unit = NULL;
	const char *job;
	uint32_t id;
	int r;

	*ret = NULL;
	r = systemd_own_unit(&bus, &unit);
	if (r < 0)
		return r;
	r = sd_bus_get_property(bus, SYSTEMD_DEST, unit, "org.freedesktop.systemd1.Unit", "Job",
				&error, &reply, "(uo)");
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "(uo)", &id, &job);
	if (r < 0 || id == 0)
		return r < 0 ? r : 0;
	return sd_bus_get_property_string(bus, SYSTEMD_DEST, job, "org.freedesktop.systemd1.Job",
					  "JobType", &error, ret);
}

int systemd_unit_fd_store_max(uint32_t *ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_free_ char *unit = NULL;
	int r;

	r = systemd_own_unit(&bus, &unit);
	if (r < 0)
		return r;
	return sd_bus_get_property_trivial(bus, SYSTEMD_DEST, unit,
					   "org.freedesktop.systemd1.Service",
					   "FileDescriptorStoreMax", &error, 'u', ret);
}
