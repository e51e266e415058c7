/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drives an sd-bus connection from a libevent loop.
 *
 * libevent 2.1 has no "prepare" hook, so the loop must call
 * bus_loop_prepare() before every wait (see main.c): it re-arms the bus fd
 * for the events sd-bus wants now and the bus timeout, so that a message
 * queued by any callback (a signal emitted from a timer, a reply from the
 * worker's completion) is flushed without waiting for unrelated traffic.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "util/cleanup.h"

struct event_base;
struct bus_loop;

int bus_loop_new(sd_bus *bus, struct event_base *base, struct bus_loop **ret);
struct bus_loop *bus_loop_free(struct bus_loop *bl);
GH_DEFINE_FREEP(struct bus_loop, bus_loop_free)

int bus_loop_prepare(struct bus_loop *bl);
/* Set once the connection is gone; the daemon then exits. */
bool bus_loop_disconnected(const struct bus_loop *bl);
