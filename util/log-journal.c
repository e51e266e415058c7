/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal as log_msg()'s sink, for gunyahd under systemd. Its own file
 * so that programs which link only log.c (static test builds) need no
 * libsystemd.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

#define VM_PREFIX	"VM '"
#define VM_NAME_MAX	64

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

void log_setup_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* systemd's own test: stderr is the stream the journal handed us. */
	if (e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	    st.st_dev == dev && st.st_ino == ino)
		log_set_sink(log_journal);
}
