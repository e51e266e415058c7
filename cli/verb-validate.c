/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * validate: the file is read here, with the caller's rights, and its text
 * sent to Manager1.ValidateDefinitionFor as a definition for the
 * definitions directory (or, --transient, for CreateTransientVM); each
 * problem is printed as FILE:LINE:COLUMN:
 * MESSAGE, or with --json as JSON (ctl-problems.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

#include "ctl-bus.h"
#include "ctl-problems.h"
#include "verbs.h"

/* Far above the daemon's limit (64 KiB by default), which it reports itself. */
#define VALIDATE_MAX_SIZE (1024 * 1024)

struct validate_text {
	char *data;			/* NUL-terminated */
	size_t len;
};

static int validate_read_fd(int fd, struct validate_text *t)
{
	size_t alloc = 4096;
	ssize_t n;
	char *grown;

	t->data = malloc(alloc);
	if (!t->data)
		return -ENOMEM;
	for (;;) {
		if (t->len + 1 >= alloc) {
			if (alloc > VALIDATE_MAX_SIZE)
				return -EFBIG;
			grown = realloc(t->data, alloc * 2);
			if (!grown)
				return -ENOMEM;
			t->data = grown;
			alloc *= 2;
		}
		n = read(fd, t->data + t->len, alloc - t->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		t->len += (size_t) n;
	}
	t->data[t->len] = '\0';
	return 0;
}

static int validate_read(const char *file, struct validate_text *t)
{
	_cleanup_close_ int fd = -1;

	if (strcmp(file, "-") == 0)
		return validate_read_fd(STDIN_FILENO, t);
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return validate_read_fd(fd, t);
}

/* Length of the UTF-8 character at p as sd-bus accepts it in a string, or 0. */
static size_t validate_utf8_char(const unsigned char *p, size_t n)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len;
	uint32_t c;

	if (p[0] < 0x80)
		return p[0] ? 1 : 0;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	c = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Overlong, beyond Unicode, UTF-16 surrogates, non-characters. */
	if (c < min[len] || c > 0x10ffff || (c & 0xfffff800) == 0xd800 ||
	    (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
		return 0;
	return len;
}

/*
 * D-Bus strings are UTF-8 without NUL: find where the text is not, and
 * report it as the daemon would report a problem (line and column from 1,
 * columns in characters). Returns true when the text is fine.
 */
static bool validate_check_text(struct ctl_problems *out, const char *label,
				const struct validate_text *t)
{
	const unsigned char *p = (const unsigned char *) t->data;
	unsigned int line = 1, column = 1;
	size_t len;

	for (size_t i = 0; i < t->len; i += len, column++) {
		len = validate_utf8_char(p + i, t->len - i);
		if (len == 0) {
			ctl_problems_add(out, label, line, column,
					 p[i] ? "not valid UTF-8" : "a NUL character is not allowed");
			return false;
		}
		if (p[i] == '\n') {
			line++;
			column = 0;
		}
	}
	return true;
}

/* Adds every problem of the reply; 0 or a negative errno. */
static int validate_read_reply(struct ctl_problems *out, const char *label,
			       sd_bus_message *reply)
{
	const char *message;
	uint32_t line, column;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "(uus)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(uus)", &line, &column, &message)) > 0)
		ctl_problems_add(out, label, line, column, message);
	return r;
}

static int validate_send(struct ctl *ctl, struct ctl_problems *out, const char *label,
			 const struct validate_text *t)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	/* For the definitions directory (paths), or with --transient for CreateTransientVM (fd:KEY). */
	r = ctl_bus_call_manager(ctl, "ValidateDefinitionFor", 0, &reply, "ss", t->data,
				 ctl->transient ? "transient" : "directory");
	if (r < 0)
		return r;
	r = validate_read_reply(out, label, reply);
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "bad ValidateDefinitionFor reply: %s",
				strerror(-r));
	return 0;
}

int verb_validate(struct ctl *ctl, char **args)
{
	const char *file = args[0];
	const char *label = strcmp(file, "-") == 0 ? "<stdin>" : file;
	struct validate_text t = {};
	struct ctl_problems out;
	int r;

	r = validate_read(file, &t);
	if (r < 0 && r != -EFBIG) {
		free(t.data);
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "cannot read '%s': %s", file,
				strerror(-r));
	}
	ctl_problems_begin(&out, ctl->json);
	if (r == -EFBIG) {
		char message[64];

		snprintf(message, sizeof(message), "larger than %d bytes", VALIDATE_MAX_SIZE);
		ctl_problems_add(&out, label, 1, 1, message);
		r = 0;
	} else if (validate_check_text(&out, label, &t))
		r = validate_send(ctl, &out, label, &t);
	free(t.data);
	/* A failed call prints nothing on standard output (no half-written JSON). */
	if (r < 0)
		return r;
	if (ctl_problems_end(&out) > 0)
		return ctl_set_exit(ctl, CTL_EXIT_INVALID, -EINVAL);
	return 0;
}
