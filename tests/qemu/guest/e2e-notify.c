// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * e2e-notify PATH TIMEOUT_MS: the NOTIFY_SOCKET end of systemd, for the
 * daemon scenario in the QEMU guest (tests/qemu/e2e.sh), which has no
 * service manager. Binds a datagram socket at PATH, prints every
 * notification it receives (one line per assignment, prefixed "notify: "),
 * and exits 0 as soon as one carried READY=1, or 1 when TIMEOUT_MS passed
 * without it. Plain C, linked statically like the other guest programs.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline;
	char buf[4096];
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: e2e-notify PATH TIMEOUT_MS\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	deadline = now_ms() + atoll(argv[2]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("e2e-notify: socket");
		return 2;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		bool ready = false;
		ssize_t n;
		char *line, *save = NULL;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			printf("notify: no READY=1 within %s ms\n", argv[2]);
			return 1;
		}
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			continue;
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			printf("notify: %s\n", line);
			if (!strcmp(line, "READY=1"))
				ready = true;
		}
		fflush(stdout);
		if (ready)
			return 0;
	}
}
