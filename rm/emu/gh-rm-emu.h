/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gh-rm-emu, the program: what its files share. gh-rm-emu.c serves the
 * device, gh-rm-emu-control.c the control socket; gh-rm-emu-ctl.c is the
 * `ctl` client; gh-rm-emu-opt.c parses the command lines of both from
 * tables.
 */
#ifndef GUNYAH_RM_GH_RM_EMU_H
#define GUNYAH_RM_GH_RM_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define APP_DEFAULT_DEVICE	"/dev/gunyah-rm"
#define APP_DEFAULT_CONTROL	"/run/gh-rm-emu.sock"
#define APP_MAX_CLIENTS		32
#define APP_LINE_MAX		4096

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * One command-line option, as systemd's conf-parser tables describe a key:
 * parse() gets the argument (NULL without one) and the field at offset in
 * the caller's settings. parse() and app_parse_argv() return 1 to go on,
 * 0 when the program is done (--help, --version), or a negative errno
 * after printing why.
 */
struct app_option {
	const char *name;
	char short_name;
	bool has_arg;
	int (*parse)(char *arg, void *field);
	size_t offset;
};

/* Field parsers shared by the tables */
int app_parse_string(char *arg, void *field);	/* const char *: the argument */
int app_parse_flag(char *arg, void *field);	/* bool: true */
int app_parse_help(char *arg, void *field);	/* app_usage(stdout), done */

/*
 * getopt_long() over @opts into @settings. @in_order stops at the first
 * operand (`ctl` passes its command through). On an unknown option the
 * usage goes to stderr. optind is left at the first operand.
 */
int app_parse_argv(const struct app_option *opts, size_t n, bool in_order, void *settings,
		   int argc, char **argv);

void app_usage(FILE *f);

/* A control client: fd -1 when the slot is free */
struct app_client {
	int fd;
	char in[APP_LINE_MAX + 2];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool closing;		/* close once the output is written */
};

struct emu;

/*
 * Listen on @path (*ret_fd), replacing a stale socket file. -EADDRINUSE
 * while another gh-rm-emu answers there, another negative errno on failure.
 */
int app_control_listen(const char *path, int *ret_fd);
/* Accept every waiting client into a free slot of @clients (APP_MAX_CLIENTS) */
void app_control_accept(int listen_fd, struct app_client *clients);
/* Run the command lines received, queue and write their replies */
void app_client_read(struct emu *emu, struct app_client *cl);
void app_client_write(struct app_client *cl);
void app_client_close(struct app_client *cl);

/* gh-rm-emu ctl: exit status 0 on OK, 1 on ERR, 2 when it cannot ask */
int app_ctl_main(int argc, char **argv);

#endif /* GUNYAH_RM_GH_RM_EMU_H */
