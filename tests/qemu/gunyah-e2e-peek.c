/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyah-e2e-peek PID VM: prints the counter of a test payload running in
 * gunyahd's VM named VM (tests/qemu/gunyah-e2e.sh, in the QEMU guest under
 * the real hypervisor).
 *
 * gunyahd backs each parcel with a memfd named "gunyah:<vm>:<label>"
 * (daemon/image/guest.c); main memory is label 0. The payload (tests/qemu/payload)
 * keeps the marker "GHCOUNT!" followed by a little-endian u64 counter in its
 * image, which sits at the start of main memory. The definitions share main
 * memory rather than lend it, so the host still maps those pages and can
 * read them through /proc/PID/fd/N. Reading lent memory would fault.
 *
 * Exit status: 0 and the counter in decimal on stdout; 1 with a message.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARKER "GHCOUNT!"
#define CHUNK (64 * 1024)

static int open_main_memory(const char *pid, const char *vm)
{
	char dir[64], path[320], link[320], want[320];
	struct dirent *de;
	DIR *d;
	int fd = -1;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	snprintf(want, sizeof(want), "/memfd:gunyah:%s:0 (deleted)", vm);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "gunyah-e2e-peek: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, want) == 0) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				fprintf(stderr, "gunyah-e2e-peek: %s: %s\n", path, strerror(errno));
			break;
		}
	}
	closedir(d);
	if (fd < 0 && !de)
		fprintf(stderr, "gunyah-e2e-peek: no fd of process %s is %s\n", pid, want);
	return fd;
}

int main(int argc, char **argv)
{
	static unsigned char buf[CHUNK + 16];
	off_t off = 0;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: gunyah-e2e-peek PID VM\n");
		return 1;
	}
	fd = open_main_memory(argv[1], argv[2]);
	if (fd < 0)
		return 1;
	/* The marker is 8-byte aligned; read 16 bytes past each chunk for the value. */
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n < 0) {
			fprintf(stderr, "gunyah-e2e-peek: read: %s\n", strerror(errno));
			return 1;
		}
		for (ssize_t i = 0; i + 16 <= n && i < CHUNK; i += 8) {
			uint64_t v = 0;

			if (memcmp(buf + i, MARKER, 8) != 0)
				continue;
			for (int b = 7; b >= 0; b--)
				v = v << 8 | buf[i + 8 + b];
			printf("%" PRIu64 "\n", v);
			return 0;
		}
		if (n < (ssize_t) sizeof(buf))
			break;
		off += CHUNK;
	}
	fprintf(stderr, "gunyah-e2e-peek: no %s marker in VM %s's main memory\n", MARKER,
		argv[2]);
	return 1;
}
