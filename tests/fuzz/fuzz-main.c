// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Replay driver for the fuzz targets, for compilers without libFuzzer and for
 * `meson test`: runs every corpus file through LLVMFuzzerTestOneInput(), then
 * a bounded number of deterministic mutations of them (same seed, same
 * inputs, every run), so that the smoke test is reproducible.
 *
 *	fuzz-xxx-replay [-n ITERATIONS] [-s SEED] PATH...
 *
 * PATH is a corpus directory or a single input (e.g. a crash file).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "xorshift.h"

#define FUZZ_MAX_INPUT	(64 * 1024)
#define FUZZ_MAX_SEEDS	4096

struct seed {
	uint8_t *data;
	size_t size;
};

static struct seed seeds[FUZZ_MAX_SEEDS];
static size_t n_seeds;
static uint64_t rng_state;

static uint64_t rng(void)
{
	return xorshift64s(&rng_state);
}

static size_t rng_below(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

/* Run one input from an exactly sized heap copy, so that ASan sees overreads */
static void run_one(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		abort();
	memcpy(copy, data, size);
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
}

static int load_file(const char *path)
{
	struct seed *s;
	FILE *f;

	if (n_seeds == FUZZ_MAX_SEEDS)
		return -ENOSPC;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	s = &seeds[n_seeds];
	s->data = malloc(FUZZ_MAX_INPUT);
	if (!s->data) {
		fclose(f);
		return -ENOMEM;
	}
	s->size = fread(s->data, 1, FUZZ_MAX_INPUT, f);
	fclose(f);
	n_seeds++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load a directory's regular files in name order (readdir order is not stable) */
static int load_path(const char *path)
{
	char *names[FUZZ_MAX_SEEDS];
	size_t n = 0, i;
	struct dirent *de;
	struct stat st;
	char full[4096];
	DIR *d;
	int r = 0;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return load_file(path);

	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < FUZZ_MAX_SEEDS) {
		if (de->d_name[0] == '.')
			continue;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (r == 0 && stat(full, &st) == 0 && S_ISREG(st.st_mode))
			r = load_file(full);
		free(names[i]);
	}
	return r;
}

static const uint8_t interesting[] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x21, 0x7f, 0x80, 0xe8, 0xf0, 0xf8, 0xfc, 0xff,
};

static size_t mutate(uint8_t *buf, size_t size)
{
	unsigned int n = 1 + (unsigned int)rng_below(4), k;
	const struct seed *other;
	size_t pos, len, from;

	for (k = 0; k < n; k++) {
		pos = rng_below(size + 1);
		switch (rng_below(12)) {
		case 0:		/* flip a bit */
			if (size)
				buf[rng_below(size)] ^= (uint8_t)(1u << rng_below(8));
			break;
		case 1:		/* random byte */
			if (size)
				buf[rng_below(size)] = (uint8_t)rng();
			break;
		case 2:		/* interesting byte */
			if (size)
				buf[rng_below(size)] = interesting[rng_below(sizeof(interesting))];
			break;
		case 3:		/* insert a byte */
			if (size < FUZZ_MAX_INPUT) {
				memmove(buf + pos + 1, buf + pos, size - pos);
				buf[pos] = (uint8_t)rng();
				size++;
			}
			break;
		case 4:		/* delete a run */
			if (pos < size) {
				len = 1 + rng_below(size - pos < 16 ? size - pos : 16);
				memmove(buf + pos, buf + pos + len, size - pos - len);
				size -= len;
			}
			break;
		case 5:		/* splice a run of another seed in */
			other = &seeds[rng_below(n_seeds)];
			if (!other->size)
				break;
			from = rng_below(other->size);
			len = 1 + rng_below(other->size - from);
			if (len > FUZZ_MAX_INPUT - size)
				len = FUZZ_MAX_INPUT - size;
			memmove(buf + pos + len, buf + pos, size - pos);
			memcpy(buf + pos, other->data + from, len);
			size += len;
			break;
		case 6:		/* truncate */
			size = pos;
			break;
		default:	/* flip a bit past the configuration byte */
			if (size > 1)
				buf[1 + rng_below(size - 1)] ^= (uint8_t)(1u << rng_below(8));
			break;
		}
	}
	return size;
}

int main(int argc, char **argv)
{
	unsigned long iterations = 20000, i;
	uint8_t *buf;
	size_t size;
	int r, a;

	rng_state = 0x9E3779B97F4A7C15ULL;
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-n") && a + 1 < argc) {
			iterations = strtoul(argv[++a], NULL, 0);
		} else if (!strcmp(argv[a], "-s") && a + 1 < argc) {
			rng_state = strtoull(argv[++a], NULL, 0) | 1;
		} else {
			r = load_path(argv[a]);
			if (r < 0) {
				fprintf(stderr, "%s: %s\n", argv[a], strerror(-r));
				return 1;
			}
		}
	}
	if (!n_seeds) {
		fprintf(stderr, "usage: %s [-n ITERATIONS] [-s SEED] CORPUS-DIR|FILE...\n",
			argv[0]);
		return 1;
	}

	for (i = 0; i < n_seeds; i++)
		run_one(seeds[i].data, seeds[i].size);

	buf = malloc(FUZZ_MAX_INPUT);
	if (!buf)
		return 1;
	for (i = 0; i < iterations; i++) {
		const struct seed *s = &seeds[rng_below(n_seeds)];

		memcpy(buf, s->data, s->size);
		size = mutate(buf, s->size);
		run_one(buf, size);
	}
	printf("%zu corpus inputs and %lu mutations ran clean\n", n_seeds, iterations);
	free(buf);
	for (i = 0; i < n_seeds; i++)
		free(seeds[i].data);
	return 0;
}
