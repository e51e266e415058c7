/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging to stderr with sd-daemon priority prefixes ("<3>"), so that
 * journald stores each line at its level; or to a sink: once
 * log_setup_journal() (log-journal.c) found stderr connected to the
 * journal (JOURNAL_STREAM), through sd-journal, with a VM_NAME= field on
 * every message about a VM ("VM 'NAME': ...").
 */
#pragma once

#include <stdarg.h>
#include <syslog.h>

/* Takes a formatted message; < 0: it goes to stderr instead. */
typedef int (*log_sink_fn)(int prio, const char *msg);
/* Call once, before any thread. */
void log_set_sink(log_sink_fn fn);
/* The journal as the sink when stderr is its stream (log-journal.c). */
void log_setup_journal(void);
void log_set_max_level(int prio);
int log_get_max_level(void);
int log_level_from_string(const char *s);

/* Logs "<prio>msg"; %m in fmt expands to strerror(-r). Returns r. */
int log_errno(int prio, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_DEBUG, __VA_ARGS__)
