/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/time-util.h"

#include "ctl-bus.h"

static const struct {
	const char *name;
	enum ctl_exit status;
} ctl_bus_error_map[] = {
	{ GH_ERROR_NO_SUCH_VM, CTL_EXIT_NO_VM },
	/* The VM went away between GetVM and a call on its object. */
	{ SD_BUS_ERROR_UNKNOWN_OBJECT, CTL_EXIT_NO_VM },
	{ GH_ERROR_INVALID_DEFINITION, CTL_EXIT_INVALID },
	{ SD_BUS_ERROR_SERVICE_UNKNOWN, CTL_EXIT_UNREACHABLE },
	{ SD_BUS_ERROR_NAME_HAS_NO_OWNER, CTL_EXIT_UNREACHABLE },
	{ SD_BUS_ERROR_NO_SERVER, CTL_EXIT_UNREACHABLE },
	{ SD_BUS_ERROR_DISCONNECTED, CTL_EXIT_UNREACHABLE },
	{ SD_BUS_ERROR_NO_REPLY, CTL_EXIT_TIMEOUT },
	{ SD_BUS_ERROR_TIMEOUT, CTL_EXIT_TIMEOUT },
	{ "org.freedesktop.DBus.Error.TimedOut", CTL_EXIT_TIMEOUT },	/* no sd-bus name */
};

#define SPAWN_ERROR_PREFIX "org.freedesktop.DBus.Error.Spawn."
#define LOCAL_ERROR_PREFIX "System.Error."

static int ctl_bus_open_address(const char *address, sd_bus **ret)
{
	_cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
	int r;

	r = sd_bus_new(&bus);
	if (r < 0)
		return r;
	r = sd_bus_set_address(bus, address);
	if (r < 0)
		return r;
	r = sd_bus_set_bus_client(bus, 1);
	if (r < 0)
		return r;
	r = sd_bus_start(bus);
	if (r < 0)
		return r;
	*ret = steal_ptr(bus);
	return 0;
}

int ctl_bus_connect(struct ctl *ctl)
{
	const char *what;
	int r;

	if (ctl->address) {
		what = ctl->address;
		r = ctl_bus_open_address(ctl->address, &ctl->bus);
	} else if (ctl->user_bus) {
		what = "the session bus";
		r = sd_bus_open_user(&ctl->bus);
	} else {
		what = "the system bus";
		r = sd_bus_open_system(&ctl->bus);
	}
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_UNREACHABLE, r, "cannot connect to %s: %s", what,
				strerror(-r));
	return 0;
}

static bool ctl_bus_errno_unreachable(int r)
{
	switch (-r) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ENOTCONN:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EPIPE:
	case ENOMEDIUM:
		return true;
	default:
		return false;
	}
}

static bool ctl_bus_error_is_local(const char *name)
{
	return strncmp(name, LOCAL_ERROR_PREFIX, strlen(LOCAL_ERROR_PREFIX)) == 0;
}

enum ctl_exit ctl_bus_exit_status(const char *name, int r)
{
	if (name) {
		for (size_t i = 0; i < ELEMENTSOF(ctl_bus_error_map); i++)
			if (strcmp(name, ctl_bus_error_map[i].name) == 0)
				return ctl_bus_error_map[i].status;
		if (strncmp(name, SPAWN_ERROR_PREFIX, strlen(SPAWN_ERROR_PREFIX)) == 0)
			return CTL_EXIT_UNREACHABLE;
		if (!ctl_bus_error_is_local(name))
			return CTL_EXIT_FAILED;
	}
	if (r == -ETIMEDOUT)
		return CTL_EXIT_TIMEOUT;
	if (ctl_bus_errno_unreachable(r))
		return CTL_EXIT_UNREACHABLE;
	return CTL_EXIT_FAILED;
}

int ctl_bus_fail(struct ctl *ctl, const sd_bus_error *error, int r)
{
	const char *name = sd_bus_error_is_set(error) ? error->name : NULL;
	const char *text = name && error->message ? error->message : strerror(-r);
	enum ctl_exit status = ctl_bus_exit_status(name, r);

	if (name && (strcmp(name, SD_BUS_ERROR_SERVICE_UNKNOWN) == 0 ||
		     strcmp(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) == 0))
		return ctl_fail(ctl, status, r,
				"gunyahd is not running (nobody owns %s on the bus)", CTL_SERVICE);
	/* Names sd-bus makes up from an errno say nothing the text does not. */
	if (name && !ctl_bus_error_is_local(name)) {
		/* Several problems come one per line: one error line each. */
		for (const char *nl; (nl = strchr(text, '\n')); text = nl + 1)
			(void) ctl_fail(ctl, status, r, "%s: %.*s", name, (int) (nl - text), text);
		return ctl_fail(ctl, status, r, "%s: %s", name, text);
	}
	if (status == CTL_EXIT_UNREACHABLE)
		return ctl_fail(ctl, status, r, "lost the connection to the bus: %s", text);
	if (name)
		return ctl_fail(ctl, status, r, "%s", text);
	return ctl_fail(ctl, status, r, "D-Bus call failed: %s", text);
}

uint64_t ctl_bus_call_timeout(const struct ctl *ctl, uint64_t dflt)
{
	if (!ctl->timeout_set)
		return dflt;
	return ctl->timeout_usec ? ctl->timeout_usec : UINT64_MAX;
}

uint64_t ctl_bus_now(void)
{
	return now_usec(CLOCK_MONOTONIC);
}

uint64_t ctl_bus_deadline(const struct ctl *ctl)
{
	if (!ctl->timeout_set || ctl->timeout_usec == 0)
		return UINT64_MAX;
	return ctl_bus_now() + ctl->timeout_usec;
}

static int ctl_bus_call_managerv(struct ctl *ctl, const char *method, uint64_t timeout_usec,
				 sd_bus_message **ret_reply, sd_bus_error *reterr,
				 const char *types, va_list ap)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	int r;

	r = sd_bus_message_new_method_call(ctl->bus, &msg, CTL_SERVICE, CTL_MANAGER_PATH,
					   CTL_MANAGER_IFACE, method);
	if (r >= 0)
		r = sd_bus_message_appendv(msg, types, ap);
	if (r < 0)
		return sd_bus_error_set_errnof(reterr, r, "cannot build the %s call: %s", method,
					       strerror(-r));
	return sd_bus_call(ctl->bus, msg, timeout_usec, reterr, ret_reply);
}

int ctl_bus_try_manager(struct ctl *ctl, const char *method, uint64_t timeout_usec,
			sd_bus_message **ret_reply, sd_bus_error *reterr, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = ctl_bus_call_managerv(ctl, method, timeout_usec, ret_reply, reterr, types, ap);
	va_end(ap);
	return r;
}

int ctl_bus_call_manager(struct ctl *ctl, const char *method, uint64_t timeout_usec,
			 sd_bus_message **ret_reply, const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;
	int r;

	va_start(ap, types);
	r = ctl_bus_call_managerv(ctl, method, timeout_usec, ret_reply, &error, types, ap);
	va_end(ap);
	if (r < 0)
		return ctl_bus_fail(ctl, &error, r);
	return 0;
}

int ctl_bus_vm_path(struct ctl *ctl, const char *name, char **ret_path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;
	char *copy;
	int r;

	r = ctl_bus_call_manager(ctl, "GetVM", 0, &reply, "s", name);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "bad GetVM reply: %s", strerror(-r));
	copy = strdup(path);
	if (!copy)
		return ctl_fail(ctl, CTL_EXIT_FAILED, -ENOMEM, "out of memory");
	*ret_path = copy;
	return 0;
}

/* Milliseconds from now until the earlier of two CLOCK_MONOTONIC times; -1: never. */
static int ctl_bus_poll_timeout(uint64_t a, uint64_t b)
{
	uint64_t until = a < b ? a : b, now;

	if (until == UINT64_MAX)
		return -1;
	now = ctl_bus_now();
	if (until <= now)
		return 0;
	/* Round up: waking early would only loop once more. */
	if ((until - now + 999) / 1000 > INT32_MAX)
		return INT32_MAX;
	return (int) ((until - now + 999) / 1000);
}

/* Waits for the bus or a signal; returns -EINTR on SIGINT/SIGTERM. */
static int ctl_bus_wait(sd_bus *bus, int sigfd, uint64_t deadline)
{
	struct pollfd p[2] = {
		{ .fd = sd_bus_get_fd(bus) },
		{ .fd = sigfd, .events = POLLIN },
	};
	uint64_t bus_timeout = UINT64_MAX;
	int r;

	if (p[0].fd < 0)
		return p[0].fd;
	r = sd_bus_get_events(bus);
	if (r < 0)
		return r;
	p[0].events = (short) r;
	r = sd_bus_get_timeout(bus, &bus_timeout);
	if (r < 0)
		return r;
	r = poll(p, 2, ctl_bus_poll_timeout(bus_timeout, deadline));
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[1].revents & POLLIN) {
		struct signalfd_siginfo si;

		/* Consumed, so that unblocking does not deliver it again. */
		if (read(sigfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
			return -errno;
		return -EINTR;
	}
	return 0;
}

static int ctl_bus_loop(sd_bus *bus, int sigfd, const bool *done, uint64_t deadline)
{
	int r;

	for (;;) {
		if (*done)
			return 0;
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (deadline != UINT64_MAX && ctl_bus_now() >= deadline)
			return -ETIMEDOUT;
		r = ctl_bus_wait(bus, sigfd, deadline);
		if (r < 0)
			return r;
	}
}

int ctl_bus_run_until(struct ctl *ctl, const bool *done, uint64_t deadline)
{
	_cleanup_close_ int sigfd = -1;
	sigset_t mask, old;
	int r;

	/*
	 * A signalfd instead of a handler: no window between checking a flag
	 * and sleeping in poll(). The mask is restored before returning, so
	 * SIGINT during other calls keeps its default action.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
		return -errno;
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		r = -errno;
	else
		r = ctl_bus_loop(ctl->bus, sigfd, done, deadline);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
