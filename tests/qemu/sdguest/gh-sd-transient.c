/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gh-sd-transient YAML-FILE [KEY=PATH...]: Manager1.CreateTransientVM on
 * the system bus with each PATH passed as an fd under KEY (busctl 252
 * cannot send fds). Prints the new VM's object path; exit status 1 with
 * the error on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

static int fail(const char *what, int r)
{
	fprintf(stderr, "gh-sd-transient: %s: %s\n", what, strerror(-r));
	return 1;
}

int main(int argc, char **argv)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus *bus = NULL;
	char yaml[65536];
	const char *path;
	size_t n;
	FILE *f;
	int r;

	if (argc < 2 || !(f = fopen(argv[1], "re")))
		return fail("usage: YAML-FILE [KEY=PATH...]", -EINVAL);
	n = fread(yaml, 1, sizeof(yaml) - 1, f);
	fclose(f);
	yaml[n] = 0;
	r = sd_bus_open_system(&bus);
	if (r < 0)
		return fail("system bus", r);
	r = sd_bus_message_new_method_call(bus, &m, "org.gunyah.Manager1", "/org/gunyah/Manager1",
					   "org.gunyah.Manager1", "CreateTransientVM");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", yaml);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sh}");
	for (int i = 2; r >= 0 && i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		int fd;

		if (!eq)
			return fail(argv[i], -EINVAL);
		*eq = 0;
		fd = open(eq + 1, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail(eq + 1, -errno);
		r = sd_bus_message_append(m, "{sh}", argv[i], fd);
		close(fd);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0)
		return fail("message", r);
	r = sd_bus_call(bus, m, 0, &error, &reply);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", error.name, error.message);
		return 1;
	}
	if (sd_bus_message_read(reply, "o", &path) < 0)
		return fail("reply", -EBADMSG);
	printf("%s\n", path);
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
	sd_bus_flush_close_unref(bus);
	return 0;
}
