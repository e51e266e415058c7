/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

#define VM_PREFIX	"VM '"
#define VM_NAME_MAX	64

static int max_level = LOG_INFO;
static bool to_journal;

void log_setup(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* systemd's own test: stderr is the stream the journal handed us. */
	to_journal = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
		     fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void log_set_max_level(int prio)
{
	max_level = prio;
}

int log_get_max_level(void)
{
	return max_level;
}

int log_level_from_string(const char *s)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};

	for (int i = 0; i < (int) (sizeof(names) / sizeof(names[0])); i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "error") == 0)
		return LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARNING;
	return -EINVAL;
}

/* "VM 'NAME': ..." -> NAME in buf (the convention of every message about a VM). */
static bool vm_name_of(const char *msg, char buf[static VM_NAME_MAX + 1])
{
	const char *end;
	size_t n;

	if (strncmp(msg, VM_PREFIX, strlen(VM_PREFIX)) != 0)
		return false;
	msg += strlen(VM_PREFIX);
	end = strchr(msg, '\'');
	n = end ? (size_t) (end - msg) : 0;
	if (n == 0 || n > VM_NAME_MAX)
		return false;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	return true;
}

/* The message with its priority and, when it is about a VM, VM_NAME=. */
static int log_journal(int prio, const char *msg)
{
	char name[VM_NAME_MAX + 1];

	if (vm_name_of(msg, name))
		return sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", prio, "VM_NAME=%s", name,
				       NULL);
	return sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", prio, NULL);
}

static __attribute__((format(printf, 3, 0))) void log_emit(int prio, int r, const char *fmt,
							     va_list ap)
{
	char buf[2048];
	int saved = errno;

	/* %m means the error we were handed, not whatever errno is now. */
	errno = r < 0 ? -r : r;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (!to_journal || log_journal(prio, buf) < 0)
		fprintf(stderr, "<%d>%s\n", prio, buf);
	errno = saved;
}

int log_errno(int prio, int r, const char *fmt, ...)
{
	va_list ap;

	if (prio > max_level)
		return r;
	va_start(ap, fmt);
	log_emit(prio, r, fmt, ap);
	va_end(ap);
	return r;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > max_level)
		return;
	va_start(ap, fmt);
	log_emit(prio, 0, fmt, ap);
	va_end(ap);
}
