/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyah-e2e-peek PID VM [OFFSET]: prints the counter of a test payload
 * running in gunyahd's VM named VM (tests/qemu/gunyah-e2e.sh, in the QEMU
 * guest under the real hypervisor), or with OFFSET the u64 at that offset
 * of the payload's image (the marker is at image offset 0x1000; the payload
 * leaves its RM console results at 0x1020..0x1050, tests/qemu/payload).
 *
 * gunyahd backs each parcel with a memfd named "gunyah:<vm>:<label>"
 * (daemon/image/guest.c); main memory is label 0. The payload (tests/qemu/payload)
 * keeps the marker "GHCOUNT!" followed by a little-endian u64 counter in its
 * image, which sits at the start of main memory. The definitions share main
 * memory rather than lend it, so the host still maps those pages and can
 * read them through /proc/PID/fd/N. Reading lent memory would fault.
 *
 * Exit status: 0 and the value in decimal (signed with OFFSET: the payload
 * writes -1 for "not reached") on stdout; 1 with a message.
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
#define MARKER_OFFSET 0x1000	/* in the payload's image */
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

/* The u64 at image offset `at`, the marker being at file offset `marker`. */
static int print_at(int fd, off_t marker, unsigned long long at)
{
	unsigned char b[8];
	int64_t v = 0;

	if (pread(fd, b, sizeof(b), marker - MARKER_OFFSET + (off_t) at) != (ssize_t) sizeof(b)) {
		fprintf(stderr, "gunyah-e2e-peek: cannot read image offset %#llx\n", at);
		return 1;
	}
	for (int i = 7; i >= 0; i--)
		v = (int64_t) ((uint64_t) v << 8 | b[i]);
	printf("%" PRId64 "\n", v);
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[CHUNK + 16];
	unsigned long long at = 0;
	off_t off = 0;
	char *end;
	int fd;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: gunyah-e2e-peek PID VM [OFFSET]\n");
		return 1;
	}
	if (argc == 4) {
		errno = 0;
		at = strtoull(argv[3], &end, 0);
		if (errno || end == argv[3] || *end || at < MARKER_OFFSET + 16 || at % 8) {
			fprintf(stderr, "gunyah-e2e-peek: bad OFFSET '%s' (8-byte aligned, "
				"past the counter at %#x)\n", argv[3], MARKER_OFFSET + 8);
			return 1;
		}
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
			if (argc == 4)
				return print_at(fd, off + i, at);
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
