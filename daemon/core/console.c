/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A live VM's console (console.h): ring, log file and attached clients.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console.h"
#include "console-log.h"
#include "hyp.h"
#include "util/log.h"

#define CONSOLE_LOST_DELAY_USEC	100000	/* coalesces lost-count notifications */

struct console_client {
	struct console *console;
	struct console_client *next;
	int fd;				/* the daemon's end, O_NONBLOCK */
	struct event *read_event;	/* input; off while the input queue is full */
	struct event *write_event;	/* on while output is queued */
	char *out;			/* CONSOLE_CLIENT_QUEUE bytes */
	size_t out_len;
	uint64_t dropped;		/* output this client was too slow to take */
	bool input_ended;		/* the client shut its writing side */
};

struct console {
	char *name;
	struct event_base *base;
	struct hyp_console *hc;
	struct event *read_event;	/* backend output */
	struct event *write_event;	/* backend takes input again */
	struct event *lost_timer;
	void (*lost_changed)(void *userdata);
	void *userdata;

	char *ring;			/* the last ring_size bytes of output */
	size_t ring_size;
	uint64_t written;		/* bytes of output ever */
	struct console_log *log;	/* NULL: none */
	uint64_t lost;
	bool ended;			/* read() gave 0: the VM exited and all was read */

	char input[CONSOLE_INPUT_QUEUE];
	size_t input_len;
	struct console_client *clients;
	unsigned n_clients;
};

static void console_ring_put(struct console *c, const char *p, size_t n)
{
	if (n > c->ring_size) {
		c->written += n - c->ring_size;
		p += n - c->ring_size;
		n = c->ring_size;
	}
	while (n > 0) {
		size_t at = c->written % c->ring_size;
		size_t k = c->ring_size - at < n ? c->ring_size - at : n;

		memcpy(c->ring + at, p, k);
		c->written += k;
		p += k;
		n -= k;
	}
}

static size_t console_ring_used(const struct console *c)
{
	return c->written < c->ring_size ? (size_t) c->written : c->ring_size;
}

/* The last n bytes (n <= used) into out. */
static void console_ring_copy_tail(const struct console *c, size_t n, char *out)
{
	uint64_t from = c->written - n;

	for (size_t done = 0; done < n;) {
		size_t at = (from + done) % c->ring_size;
		size_t k = c->ring_size - at < n - done ? c->ring_size - at : n - done;

		memcpy(out + done, c->ring + at, k);
		done += k;
	}
}

static void console_client_free(struct console_client *cl)
{
	struct console *c = cl->console;

	for (struct console_client **p = &c->clients; *p; p = &(*p)->next)
		if (*p == cl) {
			*p = cl->next;
			c->n_clients--;
			break;
		}
	/* Said once, when it leaves: the client itself cannot know. */
	if (cl->dropped)
		log_notice("VM '%s': a console client was too slow: %llu bytes of output never "
			   "reached it", c->name, (unsigned long long) cl->dropped);
	if (cl->read_event)
		event_free(cl->read_event);
	if (cl->write_event)
		event_free(cl->write_event);
	safe_close(cl->fd);
	free(cl->out);
	free(cl);
}

/* Queued output is flushed; at the console's end the client then reads EOF. */
static void console_client_flush(struct console_client *cl)
{
	struct console *c = cl->console;

	while (cl->out_len > 0) {
		ssize_t n = send(cl->fd, cl->out, cl->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			(void) event_add(cl->write_event, NULL);
			return;
		}
		if (n <= 0) {
			console_client_free(cl);	/* gone */
			return;
		}
		memmove(cl->out, cl->out + n, cl->out_len - (size_t) n);
		cl->out_len -= (size_t) n;
	}
	(void) event_del(cl->write_event);
	if (c->ended)
		(void) shutdown(cl->fd, SHUT_WR);
}

static void console_client_on_write(evutil_socket_t fd, short what, void *userdata)
{
	(void) fd;
	(void) what;
	console_client_flush(userdata);
}

static void console_client_queue(struct console_client *cl, const char *p, size_t n)
{
	size_t room = CONSOLE_CLIENT_QUEUE - cl->out_len;
	size_t k = n < room ? n : room;

	memcpy(cl->out + cl->out_len, p, k);
	cl->out_len += k;
	cl->dropped += n - k;
}

static void console_input_flush(struct console *c);

/* Stops or resumes reading the clients' input as the queue to the guest fills and empties. */
static void console_clients_input(struct console *c, bool on)
{
	for (struct console_client *cl = c->clients; cl; cl = cl->next) {
		if (cl->input_ended)
			continue;
		if (on)
			(void) event_add(cl->read_event, NULL);
		else
			(void) event_del(cl->read_event);
	}
}

static void console_client_on_read(evutil_socket_t fd, short what, void *userdata)
{
	struct console_client *cl = userdata;
	struct console *c = cl->console;
	size_t room = sizeof(c->input) - c->input_len;
	ssize_t n;

	(void) fd;
	(void) what;
	if (room == 0) {
		console_clients_input(c, false);
		return;
	}
	n = recv(cl->fd, c->input + c->input_len, room, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		struct pollfd p = { .fd = cl->fd };

		/* Gone (closed: POLLHUP), or only done sending: then it still reads output. */
		if (n < 0 || (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))) {
			console_client_free(cl);
			return;
		}
		cl->input_ended = true;
		(void) event_del(cl->read_event);
		return;
	}
	c->input_len += (size_t) n;
	console_input_flush(c);
}

/* Queued input to the guest, as much as the backend takes now. */
static void console_input_flush(struct console *c)
{
	while (c->input_len > 0) {
		ssize_t n = hyp_console_write(c->hc, c->input, c->input_len);

		if (n == -EAGAIN) {
			(void) event_add(c->write_event, NULL);
			console_clients_input(c, c->input_len < sizeof(c->input));
			return;
		}
		if (n <= 0) {
			/* EPIPE after the exit: nobody reads input any more. */
			if (n != -EPIPE)
				log_errno(LOG_DEBUG, (int) n, "VM '%s': console input dropped: %m",
					  c->name);
			c->input_len = 0;
			break;
		}
		memmove(c->input, c->input + n, c->input_len - (size_t) n);
		c->input_len -= (size_t) n;
	}
	(void) event_del(c->write_event);
	console_clients_input(c, true);
}

static void console_on_writable(evutil_socket_t fd, short what, void *userdata)
{
	(void) fd;
	(void) what;
	console_input_flush(userdata);
}

static void console_on_lost_timer(evutil_socket_t fd, short what, void *userdata)
{
	struct console *c = userdata;

	(void) fd;
	(void) what;
	if (c->lost_changed)
		c->lost_changed(c->userdata);
}

static void console_update_lost(struct console *c)
{
	uint64_t lost;
	struct timeval tv = { .tv_usec = CONSOLE_LOST_DELAY_USEC };

	if (hyp_console_get_lost(c->hc, &lost) < 0 || lost == c->lost)
		return;
	c->lost = lost;
	if (!evtimer_pending(c->lost_timer, NULL))
		(void) evtimer_add(c->lost_timer, &tv);
}

static void console_output(struct console *c, const char *buf, size_t n)
{
	struct console_client *next;

	console_ring_put(c, buf, n);
	if (c->log)
		console_log_write(c->log, buf, n);
	for (struct console_client *cl = c->clients; cl; cl = next) {
		next = cl->next;
		console_client_queue(cl, buf, n);
		console_client_flush(cl);
	}
}

static void console_end(struct console *c)
{
	struct console_client *next;

	c->ended = true;
	event_del(c->read_event);
	event_del(c->write_event);
	for (struct console_client *cl = c->clients; cl; cl = next) {
		next = cl->next;
		console_client_flush(cl);
	}
}

/* At most budget bytes of output; the loop comes back for more. */
static void console_read(struct console *c, size_t budget)
{
	char buf[8192];

	while (!c->ended && budget > 0) {
		ssize_t n = hyp_console_read(c->hc, buf,
					     budget < sizeof(buf) ? budget : sizeof(buf));

		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			log_errno(LOG_WARNING, (int) n, "VM '%s': cannot read the console, "
				  "ignoring it from now on: %m", c->name);
			console_end(c);
			break;
		}
		if (n == 0) {
			console_end(c);
			break;
		}
		console_output(c, buf, (size_t) n);
		budget -= (size_t) n;
	}
	console_update_lost(c);
}

static void console_on_readable(evutil_socket_t fd, short what, void *userdata)
{
	(void) fd;
	(void) what;
	console_read(userdata, CONSOLE_READ_BUDGET);
}

void console_drain(struct console *c)
{
	/* Bounded: a guest that floods must not hold the loop here either. */
	console_read(c, 4 * CONSOLE_READ_BUDGET);
}

int console_new(struct event_base *base, struct hyp_console *hc,
		const struct console_settings *s, struct console **ret)
{
	_cleanup_(hyp_console_closep) struct hyp_console *owned = hc;
	_cleanup_(console_freep) struct console *c = NULL;
	int fd = hyp_console_get_fd(hc), r;

	if (fd < 0)
		return fd;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base = base;
	c->ring_size = (size_t) s->ring_size;
	c->lost_changed = s->lost_changed;
	c->userdata = s->userdata;
	c->name = strdup(s->name);
	c->ring = malloc(c->ring_size);
	c->read_event = event_new(base, fd, EV_READ | EV_PERSIST, console_on_readable, c);
	c->write_event = event_new(base, fd, EV_WRITE | EV_PERSIST, console_on_writable, c);
	c->lost_timer = evtimer_new(base, console_on_lost_timer, c);
	if (!c->name || !c->ring || !c->read_event || !c->write_event || !c->lost_timer)
		return -ENOMEM;
	c->hc = steal_ptr(owned);
	if (event_add(c->read_event, NULL) < 0)
		return -EIO;
	if (s->log_dir) {
		static bool warned;

		/* A directory that is not there is said once, not at every create. */
		r = console_log_open(s->log_dir, s->name, s->log_max_size, &c->log);
		if (r < 0)
			log_errno(warned ? LOG_DEBUG : LOG_WARNING, r, "VM '%s': cannot open its "
				  "console log in '%s' (console.log-dir), running without: %m",
				  s->name, s->log_dir);
		warned = warned || r < 0;
	}
	*ret = steal_ptr(c);
	return 0;
}

struct console *console_free(struct console *c)
{
	if (!c)
		return NULL;
	if (c->hc && c->read_event && !c->ended)
		console_drain(c);
	while (c->clients) {
		/* A last chance for what is queued; the socket closes either way. */
		struct console_client *cl = c->clients;

		if (cl->out_len > 0)
			(void) send(cl->fd, cl->out, cl->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		console_client_free(cl);
	}
	if (c->log && console_log_dropped(c->log))
		log_warning("VM '%s': %llu bytes of console output did not reach '%s'", c->name,
			    (unsigned long long) console_log_dropped(c->log),
			    console_log_path(c->log));
	if (c->read_event)
		event_free(c->read_event);
	if (c->write_event)
		event_free(c->write_event);
	if (c->lost_timer)
		event_free(c->lost_timer);
	console_log_free(c->log);
	hyp_console_close(c->hc);
	free(c->ring);
	free(c->name);
	free(c);
	return NULL;
}

/*
 * Clients that are gone but were not told so yet: one that only sends
 * (logs -f shut its input) is found out at the next output, which a quiet
 * guest may never write.
 */
static void console_prune_clients(struct console *c)
{
	struct console_client *next;

	for (struct console_client *cl = c->clients; cl; cl = next) {
		struct pollfd p = { .fd = cl->fd };

		next = cl->next;
		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
			console_client_free(cl);
	}
}

int console_attach(struct console *c, int *ret_fd)
{
	struct console_client *cl;
	int fds[2];

	console_prune_clients(c);
	if (c->n_clients >= CONSOLE_CLIENTS_MAX)
		return -EMFILE;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	cl = calloc(1, sizeof(*cl));
	if (!cl || fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		int r = cl ? -errno : -ENOMEM;

		free(cl);
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	cl->console = c;
	cl->fd = fds[0];
	cl->out = malloc(CONSOLE_CLIENT_QUEUE);
	cl->read_event = event_new(c->base, cl->fd, EV_READ | EV_PERSIST, console_client_on_read,
				   cl);
	cl->write_event = event_new(c->base, cl->fd, EV_WRITE | EV_PERSIST,
				    console_client_on_write, cl);
	cl->next = c->clients;
	c->clients = cl;
	c->n_clients++;
	if (!cl->out || !cl->read_event || !cl->write_event) {
		console_client_free(cl);
		close(fds[1]);
		return -ENOMEM;
	}
	if (c->input_len < sizeof(c->input))
		(void) event_add(cl->read_event, NULL);
	if (c->ended)
		(void) shutdown(cl->fd, SHUT_WR);
	*ret_fd = fds[1];
	return 0;
}

int console_tail(const struct console *c, uint64_t max, void **ret, size_t *ret_size)
{
	size_t n = console_ring_used(c);
	char *buf;

	if (max && max < n)
		n = (size_t) max;
	buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	console_ring_copy_tail(c, n, buf);
	*ret = buf;
	*ret_size = n;
	return 0;
}

char *console_tail_text(const struct console *c, unsigned lines, size_t max_bytes)
{
	size_t n = console_ring_used(c), start, found = 0;
	_cleanup_free_ char *raw = NULL;
	char *out, *o;

	if (n > max_bytes)
		n = max_bytes;
	if (n == 0)
		return NULL;
	raw = malloc(n);
	if (!raw)
		return NULL;
	console_ring_copy_tail(c, n, raw);
	/* Back from the end: the start of the last `lines` lines (a trailing newline ends one). */
	start = n;
	while (start > 0) {
		if (raw[start - 1] == '\n' && start != n && ++found == lines)
			break;
		start--;
	}
	o = out = malloc(4 * (n - start) + 1);
	if (!out)
		return NULL;
	for (size_t i = start; i < n; i++) {
		unsigned char ch = (unsigned char) raw[i];

		if (ch == '\n' && i + 1 < n)
			o += sprintf(o, "\\n");
		else if (ch == '\n' || ch == '\r')
			continue;
		else if (ch < 0x20 || ch == 0x7f || ch == '\\')
			o += sprintf(o, "\\x%02x", ch);
		else
			*o++ = (char) ch;
	}
	*o = '\0';
	if (o == out) {
		free(out);
		return NULL;
	}
	return out;
}

uint64_t console_bytes_lost(const struct console *c)
{
	return c->lost;
}

int console_backend_fd(const struct console *c)
{
	return c && c->hc ? hyp_console_get_fd(c->hc) : -EBADF;
}
