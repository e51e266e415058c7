/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahctl: command line client of gunyahd (org.gunyah.Manager1).
 * Options, the command table, failure reporting and exit statuses.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "shared/cleanup.h"

#include "ctl-format.h"
#include "ctl-terminal.h"
#include "verbs.h"

/* Command options, and which commands take them. */
enum {
	OPT_FORCE = 1u << 0,
	OPT_NO_WAIT = 1u << 1,
	OPT_TIMEOUT = 1u << 2,
};

struct verb {
	const char *name;
	const char *args;		/* for messages: "NAME", "FILE" or "" */
	int n_args;
	unsigned int options;		/* OPT_* it accepts */
	int (*run)(struct ctl *ctl, char **args);
};

static const struct verb verbs[] = {
	{ "list", "", 0, 0, verb_list },
	{ "status", "NAME", 1, 0, verb_status },
	{ "create", "NAME", 1, 0, verb_create },
	{ "start", "NAME", 1, OPT_TIMEOUT, verb_start },
	{ "stop", "NAME", 1, OPT_FORCE | OPT_NO_WAIT | OPT_TIMEOUT, verb_stop },
	{ "destroy", "NAME", 1, 0, verb_destroy },
	{ "reload", "", 0, 0, verb_reload },
	{ "validate", "FILE", 1, 0, verb_validate },
	{ "dtb", "NAME", 1, 0, verb_dtb },
	{ "monitor", "", 0, 0, verb_monitor },
};

static const char *const option_names[] = { "--force", "--no-wait", "--timeout" };

int ctl_set_exit(struct ctl *ctl, enum ctl_exit status, int r)
{
	if (ctl->exit_status == CTL_EXIT_OK)
		ctl->exit_status = status;
	return r;
}

int ctl_fail(struct ctl *ctl, enum ctl_exit status, int r, const char *fmt, ...)
{
	va_list ap;

	fputs("gunyahctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return ctl_set_exit(ctl, status, r);
}

static void help(void)
{
	printf("gunyahctl [OPTIONS...] COMMAND [ARGS...]\n\n"
	       "Control gunyahd, the VM manager for the Gunyah hypervisor, through D-Bus.\n\n"
	       "Commands:\n"
	       "  list                   List VMs: name, state, VMID, vCPUs, memory, autostart\n"
	       "  status NAME            Show every property of a VM\n"
	       "  create NAME            Create a VM from its definition (defined -> created)\n"
	       "  start NAME             Start a VM; returns once it runs\n"
	       "  stop NAME              Stop a VM and wait until it has stopped\n"
	       "  destroy NAME           Release a VM's resources (back to defined)\n"
	       "  reload                 Make gunyahd reread its configuration and definitions\n"
	       "  validate FILE          Check a VM definition file ('-': standard input)\n"
	       "  dtb NAME               Write a VM's devicetree blob to standard output\n"
	       "  monitor                Print VM events as they happen, until interrupted\n\n"
	       "Options:\n"
	       "  -h --help              Show this help\n"
	       "     --version           Show the version\n"
	       "     --user              Talk to gunyahd on the session bus\n"
	       "     --address ADDR      Talk to gunyahd on the bus at this D-Bus address\n"
	       "     --force             stop: stop the VM at once instead of asking the guest\n"
	       "     --no-wait           stop: return once the stop is accepted\n"
	       "     --timeout SECONDS   start, stop: give up waiting after SECONDS\n"
	       "                         (default: no limit)\n\n"
	       "Exit status:\n"
	       "  0  success\n"
	       "  1  gunyahd refused the request or the operation failed\n"
	       "  2  usage error\n"
	       "  3  cannot reach gunyahd (no bus, or org.gunyah.Manager1 not owned)\n"
	       "  4  no such VM\n"
	       "  5  the definition is invalid\n"
	       "  6  timed out\n\n"
	       "See gunyahctl(1).\n");
}

__attribute__((format(printf, 2, 3)))
static int usage_error(struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	fputs("gunyahctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; see 'gunyahctl --help'\n", stderr);
	return ctl_set_exit(ctl, CTL_EXIT_USAGE, -EINVAL);
}

static int parse_timeout(struct ctl *ctl, const char *arg)
{
	if (ctl_parse_seconds(arg, &ctl->timeout_usec) < 0)
		return usage_error(ctl, "invalid --timeout '%s': expected seconds, e.g. 30 or 2.5",
				   arg);
	ctl->timeout_set = true;
	return 0;
}

/* Returns 1 to go on, 0 when done (--help, --version), or -EINVAL. */
static int parse_argv(int argc, char **argv, struct ctl *ctl, unsigned int *ret_used)
{
	enum {
		ARG_VERSION = 0x100,
		ARG_USER,
		ARG_ADDRESS,
		ARG_FORCE,
		ARG_NO_WAIT,
		ARG_TIMEOUT,
	};
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "user", no_argument, NULL, ARG_USER },
		{ "address", required_argument, NULL, ARG_ADDRESS },
		{ "force", no_argument, NULL, ARG_FORCE },
		{ "no-wait", no_argument, NULL, ARG_NO_WAIT },
		{ "timeout", required_argument, NULL, ARG_TIMEOUT },
		{}
	};
	unsigned int used = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("gunyahctl %s\n", GUNYAHD_VERSION);
			return 0;
		case ARG_USER:
			ctl->user_bus = true;
			break;
		case ARG_ADDRESS:
			ctl->address = optarg;
			break;
		case ARG_FORCE:
			ctl->force = true;
			used |= OPT_FORCE;
			break;
		case ARG_NO_WAIT:
			ctl->no_wait = true;
			used |= OPT_NO_WAIT;
			break;
		case ARG_TIMEOUT:
			if (parse_timeout(ctl, optarg) < 0)
				return -EINVAL;
			used |= OPT_TIMEOUT;
			break;
		case ':':
			return usage_error(ctl, "option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error(ctl, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (ctl->user_bus && ctl->address)
		return usage_error(ctl, "--user and --address exclude each other");
	if ((used & OPT_NO_WAIT) && (used & OPT_TIMEOUT))
		return usage_error(ctl, "--timeout means nothing with --no-wait");
	*ret_used = used;
	return 1;
}

static const struct verb *verb_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static int verb_check(struct ctl *ctl, const struct verb *v, int n_args, unsigned int used)
{
	for (size_t i = 0; i < ELEMENTSOF(option_names); i++)
		if ((used & (1u << i)) && !(v->options & (1u << i)))
			return usage_error(ctl, "%s does not take %s", v->name, option_names[i]);
	if (n_args == v->n_args)
		return 0;
	if (v->n_args == 0)
		return usage_error(ctl, "%s takes no arguments", v->name);
	return usage_error(ctl, "%s needs exactly one argument, %s", v->name, v->args);
}

static int dispatch(struct ctl *ctl, int argc, char **argv, unsigned int used)
{
	const struct verb *v;
	int r;

	if (optind >= argc)
		return usage_error(ctl, "missing command");
	v = verb_find(argv[optind]);
	if (!v)
		return usage_error(ctl, "unknown command '%s'", argv[optind]);
	r = verb_check(ctl, v, argc - optind - 1, used);
	if (r < 0)
		return r;
	return v->run(ctl, argv + optind + 1);
}

int main(int argc, char **argv)
{
	struct ctl ctl = {};
	unsigned int used = 0;
	int r;

	r = ctl_terminal_guard();
	if (r < 0) {
		fprintf(stderr, "gunyahctl: cannot set up terminal output: %s\n", strerror(-r));
		return CTL_EXIT_FAILED;
	}
	r = parse_argv(argc, argv, &ctl, &used);
	if (r > 0)
		r = dispatch(&ctl, argc, argv, used);
	sd_bus_flush_close_unref(ctl.bus);
	if ((fflush(stdout) != 0 || ctl_terminal_release() < 0) && r >= 0)
		r = ctl_fail(&ctl, CTL_EXIT_FAILED, -EIO, "cannot write to standard output");
	if (r < 0)
		return ctl.exit_status != CTL_EXIT_OK ? ctl.exit_status : CTL_EXIT_FAILED;
	return CTL_EXIT_OK;
}
