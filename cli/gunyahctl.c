/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahctl: command line client of gunyahd (org.gunyah.Manager1).
 * Options, the command table, failure reporting and exit statuses.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "util/cleanup.h"

#include "ctl-format.h"
#include "ctl-terminal.h"
#include "verbs.h"

/* Command options, and which commands take them. */
enum {
	OPT_FORCE = 1u << 0,
	OPT_NO_WAIT = 1u << 1,
	OPT_TIMEOUT = 1u << 2,
	OPT_JSON = 1u << 3,
	OPT_NO_LEGEND = 1u << 4,
	OPT_TRANSIENT = 1u << 5,
	OPT_FOLLOW = 1u << 6,
	OPT_LINES = 1u << 7,
};

#define ANY_ARGS (-1)
#define VERB_NAME_MAX 32		/* longer words are no typo of a command */

struct verb {
	const char *name;
	const char *args;		/* for messages: "NAME", "FILE" or "" */
	int n_args;			/* or ANY_ARGS */
	unsigned int options;		/* OPT_* it accepts */
	int (*run)(struct ctl *ctl, char **args);
};

static const struct verb verbs[] = {
	{ "list", "", 0, OPT_JSON | OPT_NO_LEGEND, verb_list },
	{ "status", "NAME", 1, OPT_JSON, verb_status },
	{ "create", "NAME", 1, 0, verb_create },
	{ "start", "NAME", 1, OPT_TIMEOUT, verb_start },
	{ "stop", "NAME", 1, OPT_FORCE | OPT_NO_WAIT | OPT_TIMEOUT, verb_stop },
	{ "reboot", "NAME", 1, OPT_FORCE | OPT_TIMEOUT, verb_reboot },
	{ "destroy", "NAME", 1, 0, verb_destroy },
	{ "wait", "NAME STATE", 2, OPT_TIMEOUT, verb_wait },
	{ "reload", "", 0, OPT_JSON, verb_reload },
	{ "validate", "FILE", 1, OPT_JSON | OPT_TRANSIENT, verb_validate },
	{ "dtb", "NAME", 1, 0, verb_dtb },
	{ "monitor", "[NAME...]", ANY_ARGS, OPT_JSON, verb_monitor },
	{ "console", "NAME", 1, OPT_TIMEOUT | OPT_LINES, verb_console },
	{ "logs", "NAME", 1, OPT_FOLLOW | OPT_LINES, verb_logs },
};

/* Indexed by the bit of OPT_*. */
static const char *const option_names[] = {
	"--force", "--no-wait", "--timeout", "--json", "--no-legend", "--transient", "--follow",
	"--lines",
};

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
	       "  reboot NAME            Stop a VM, wait until it has stopped, start it again\n"
	       "  destroy NAME           Release a VM's resources (back to defined)\n"
	       "  wait NAME STATE        Wait until a VM is in STATE (e.g. running, exited)\n"
	       "  reload                 Make gunyahd reread its configuration and definitions\n"
	       "  validate FILE          Check a VM definition file ('-': standard input)\n"
	       "  dtb NAME               Write a VM's devicetree blob to standard output\n"
	       "  monitor [NAME...]      Print VM events (of these VMs) as they happen,\n"
	       "                         until interrupted\n"
	       "  console NAME           Attach to a VM's console (Ctrl-] detaches); with\n"
	       "                         standard input not a terminal, send it to the guest\n"
	       "                         and print the output until the console ends\n"
	       "  logs NAME              Print the console output gunyahd keeps for a VM\n\n"
	       "Options:\n"
	       "  -h --help              Show this help\n"
	       "     --version           Show the version\n"
	       "     --user              Talk to gunyahd on the session bus\n"
	       "     --address ADDR      Talk to gunyahd on the bus at this D-Bus address\n"
	       "     --force             stop, reboot: stop the VM at once instead of asking\n"
	       "                         the guest\n"
	       "     --no-wait           stop: return once the stop is accepted\n"
	       "     --timeout SECONDS   start, stop, reboot, wait: give up waiting after\n"
	       "                         SECONDS (default: no limit); console: detach\n"
	       "                         after SECONDS\n"
	       "     --json              list, status, monitor, validate, reload: print JSON\n"
	       "     --no-legend         list: print no header and no footer\n"
	       "     --transient         validate: check the file as a transient VM's\n"
	       "                         definition (files as fd:KEY)\n"
	       "  -f --follow            logs: keep printing the output as it comes, until\n"
	       "                         the console ends or gunyahctl is interrupted\n"
	       "  -n --lines LINES       logs: print only the last LINES lines; console:\n"
	       "                         print them before attaching\n\n"
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

static int parse_lines(struct ctl *ctl, const char *arg)
{
	char *end;

	errno = 0;
	ctl->lines = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-')
		return usage_error(ctl, "invalid --lines '%s': expected a number of lines", arg);
	ctl->lines_set = true;
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
		ARG_JSON,
		ARG_NO_LEGEND,
		ARG_TRANSIENT,
	};
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "user", no_argument, NULL, ARG_USER },
		{ "address", required_argument, NULL, ARG_ADDRESS },
		{ "force", no_argument, NULL, ARG_FORCE },
		{ "no-wait", no_argument, NULL, ARG_NO_WAIT },
		{ "timeout", required_argument, NULL, ARG_TIMEOUT },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "no-legend", no_argument, NULL, ARG_NO_LEGEND },
		{ "transient", no_argument, NULL, ARG_TRANSIENT },
		{ "follow", no_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{}
	};
	unsigned int used = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hfn:", options, NULL)) >= 0) {
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
		case ARG_JSON:
			ctl->json = true;
			used |= OPT_JSON;
			break;
		case ARG_NO_LEGEND:
			ctl->no_legend = true;
			used |= OPT_NO_LEGEND;
			break;
		case ARG_TRANSIENT:
			ctl->transient = true;
			used |= OPT_TRANSIENT;
			break;
		case 'f':
			ctl->follow = true;
			used |= OPT_FOLLOW;
			break;
		case 'n':
			if (parse_lines(ctl, optarg) < 0)
				return -EINVAL;
			used |= OPT_LINES;
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
	if (n_args == v->n_args || v->n_args == ANY_ARGS)
		return 0;
	if (v->n_args == 0)
		return usage_error(ctl, "%s takes no arguments", v->name);
	if (v->n_args == 2)
		return usage_error(ctl, "%s needs exactly two arguments, %s", v->name, v->args);
	return usage_error(ctl, "%s needs exactly one argument, %s", v->name, v->args);
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/*
 * Edits (insertion, deletion, substitution, swap of neighbours) between a
 * and b, for "did you mean"; SIZE_MAX when a word is too long to be a typo.
 */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[VERB_NAME_MAX + 1][VERB_NAME_MAX + 1];

	if (la > VERB_NAME_MAX || lb > VERB_NAME_MAX)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1,
				       d[i - 1][j - 1] + (a[i - 1] != b[j - 1]));
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	return d[la][lb];
}

/* The closest command within 2 edits (1 for short words), or NULL. */
static const char *verb_suggest(const char *name)
{
	size_t best = SIZE_MAX, d, limit = strlen(name) <= 4 ? 1 : 2;
	const char *found = NULL;

	for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
		d = edit_distance(name, verbs[i].name);
		if (d <= limit && d < best) {
			best = d;
			found = verbs[i].name;
		}
	}
	return found;
}

static int unknown_verb(struct ctl *ctl, const char *name)
{
	const char *suggestion = verb_suggest(name);

	if (suggestion)
		return ctl_fail(ctl, CTL_EXIT_USAGE, -EINVAL,
				"unknown command '%s'; did you mean '%s'?", name, suggestion);
	return usage_error(ctl, "unknown command '%s'", name);
}

static int dispatch(struct ctl *ctl, int argc, char **argv, unsigned int used)
{
	const struct verb *v;
	int r;

	if (optind >= argc)
		return usage_error(ctl, "missing command");
	v = verb_find(argv[optind]);
	if (!v)
		return unknown_verb(ctl, argv[optind]);
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
