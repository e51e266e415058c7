/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dtb: a VM's devicetree blob (VM1.GetDeviceTree) to standard output.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/io-util.h"

#include "ctl-bus.h"
#include "verbs.h"

static int dtb_fetch(struct ctl *ctl, const char *path, sd_bus_message **ret_reply)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(ctl->bus, CTL_SERVICE, path, CTL_VM_IFACE, "GetDeviceTree",
			       &error, ret_reply, "");
	if (r < 0)
		return ctl_bus_fail(ctl, &error, r);
	return 0;
}

int verb_dtb(struct ctl *ctl, char **args)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *path = NULL;
	const void *blob;
	size_t size;
	int r;

	if (isatty(STDOUT_FILENO))
		return ctl_fail(ctl, CTL_EXIT_USAGE, -EINVAL,
				"refusing to write a binary devicetree to a terminal; "
				"redirect the output: gunyahctl dtb %s > %s.dtb", args[0], args[0]);
	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = ctl_bus_vm_path(ctl, args[0], &path);
	if (r < 0)
		return r;
	r = dtb_fetch(ctl, path, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_read_array(reply, 'y', &blob, &size);
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "bad GetDeviceTree reply: %s",
				strerror(-r));
	r = loop_write(STDOUT_FILENO, blob, size);
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "cannot write the devicetree: %s",
				strerror(-r));
	return 0;
}
