// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gh-rm-emu: command lines parsed from tables of options (gh-rm-emu.h),
 * through getopt_long().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "gh-rm-emu.h"

#define APP_MAX_OPTIONS		16

int app_parse_string(char *arg, void *field)
{
	*(const char **)field = arg;
	return 1;
}

int app_parse_flag(char *arg, void *field)
{
	(void)arg;
	*(bool *)field = true;
	return 1;
}

int app_parse_help(char *arg, void *field)
{
	(void)arg;
	(void)field;
	app_usage(stdout);
	return 0;
}

static const struct app_option *app_option_find(const struct app_option *opts, size_t n, int c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (opts[i].short_name == c)
			return &opts[i];
	return NULL;
}

int app_parse_argv(const struct app_option *opts, size_t n, bool in_order, void *settings,
		   int argc, char **argv)
{
	struct option longopts[APP_MAX_OPTIONS + 1] = { 0 };
	char optstring[2 * APP_MAX_OPTIONS + 2], *s = optstring;
	const struct app_option *o;
	size_t i;
	int c, r;

	if (n > APP_MAX_OPTIONS)
		return -E2BIG;
	if (in_order)
		*s++ = '+';
	for (i = 0; i < n; i++) {
		longopts[i] = (struct option){ opts[i].name,
					       opts[i].has_arg ? required_argument : no_argument,
					       NULL, opts[i].short_name };
		*s++ = opts[i].short_name;
		if (opts[i].has_arg)
			*s++ = ':';
	}
	*s = '\0';
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		o = app_option_find(opts, n, c);
		if (!o) {
			app_usage(stderr);
			return -EINVAL;
		}
		r = o->parse(optarg, (char *)settings + o->offset);
		if (r <= 0)
			return r;
	}
	return 1;
}
