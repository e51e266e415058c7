/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <event2/event.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

#include "bus-loop.h"
#include "util/log.h"
#include "util/time-util.h"

struct bus_loop {
	sd_bus *bus;
	struct event_base *base;
	struct event *io;
	struct event *timer;
	short io_events;	/* EV_READ/EV_WRITE currently armed */
	bool disconnected;
};

static void bus_loop_process(struct bus_loop *bl)
{
	int r;

	do {
		r = sd_bus_process(bl->bus, NULL);
	} while (r > 0);
	if (r < 0 && !bl->disconnected) {
		log_errno(LOG_ERR, r, "D-Bus connection failed: %m");
		bl->disconnected = true;
		event_base_loopbreak(bl->base);
	}
}

static void bus_loop_on_event(evutil_socket_t fd, short what, void *userdata)
{
	(void) fd;
	(void) what;
	bus_loop_process(userdata);
}

int bus_loop_new(sd_bus *bus, struct event_base *base, struct bus_loop **ret)
{
	struct bus_loop *bl = calloc(1, sizeof(*bl));
	int fd = sd_bus_get_fd(bus);

	if (!bl)
		return -ENOMEM;
	if (fd < 0) {
		free(bl);
		return fd;
	}
	bl->bus = sd_bus_ref(bus);
	bl->base = base;
	bl->io = event_new(base, fd, EV_READ | EV_PERSIST, bus_loop_on_event, bl);
	bl->timer = evtimer_new(base, bus_loop_on_event, bl);
	if (!bl->io || !bl->timer) {
		bus_loop_free(bl);
		return -ENOMEM;
	}
	*ret = bl;
	return 0;
}

struct bus_loop *bus_loop_free(struct bus_loop *bl)
{
	if (!bl)
		return NULL;
	if (bl->io)
		event_free(bl->io);
	if (bl->timer)
		event_free(bl->timer);
	sd_bus_unref(bl->bus);
	free(bl);
	return NULL;
}

bool bus_loop_disconnected(const struct bus_loop *bl)
{
	return bl->disconnected;
}

int bus_loop_prepare(struct bus_loop *bl)
{
	uint64_t timeout;
	short events = 0;
	int e, r;

	e = sd_bus_get_events(bl->bus);
	if (e < 0)
		return e;
	if (e & POLLIN)
		events |= EV_READ;
	if (e & POLLOUT)
		events |= EV_WRITE;
	if (events != bl->io_events || !event_pending(bl->io, EV_READ | EV_WRITE, NULL)) {
		event_del(bl->io);
		event_assign(bl->io, bl->base, sd_bus_get_fd(bl->bus), events | EV_PERSIST,
			     bus_loop_on_event, bl);
		if (event_add(bl->io, NULL) < 0)
			return -EIO;
		bl->io_events = events;
	}

	r = sd_bus_get_timeout(bl->bus, &timeout);
	if (r < 0)
		return r;
	event_del(bl->timer);
	if (timeout != UINT64_MAX) {
		/* sd-bus timeouts are absolute CLOCK_MONOTONIC µs. */
		uint64_t now = now_usec(CLOCK_MONOTONIC);
		struct timeval tv = timeval_from_usec(timeout > now ? timeout - now : 0);

		if (evtimer_add(bl->timer, &tv) < 0)
			return -EIO;
	}
	return 0;
}
