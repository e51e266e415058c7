/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sd-bus property getters: the full callback signature, once. A getter
 * body sees `userdata`, `reply` and `property`; the rest is unused.
 */
#pragma once

#include <systemd/sd-bus.h>

#define BUS_PROPERTY_GETTER(fn)							\
	static int fn(sd_bus *bus __attribute__((unused)),			\
		      const char *path __attribute__((unused)),			\
		      const char *interface __attribute__((unused)),		\
		      const char *property __attribute__((unused)),		\
		      sd_bus_message *reply, void *userdata,			\
		      sd_bus_error *error __attribute__((unused)))

/* A getter that appends one value: fn's object is `type *o`. */
#define BUS_DEFINE_PROPERTY_GET(fn, signature, type, value)			\
	BUS_PROPERTY_GETTER(fn)							\
	{									\
		type *o = userdata;						\
										\
		(void) o;							\
		return sd_bus_message_append(reply, signature, value);		\
	}
