/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-layout: time to lay out 1k, 10k and 100k page-sized parcels,
 * inserted in a shuffled (fixed-seed) order, and how the time scales.
 * With O(log n) inserts, 10x the parcels is about 12.5x the comparisons;
 * the target for the measured ratio is 15x, leaving room for cache misses
 * (100k parcels no longer fit in L2).
 *
 * Prints DESIGN §10 lines ("name value unit"). Timing never fails the
 * run; a layout error does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layout.h"

#define REPEATS 15

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* Parcels i = 0..n-1 at [i * page, (i + 1) * page), label i, in shuffled order. */
static struct layout_parcel *parcels_shuffled(size_t n, uint64_t seed)
{
	struct layout_parcel *p;

	p = calloc(n, sizeof(*p));
	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p[i] = (struct layout_parcel) {
			.label = (uint32_t) i,
			.base = i * RM_PAGE_SIZE,
			.size = RM_PAGE_SIZE,
			.name = "parcel",
		};
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = splitmix64(&seed) % (i + 1);
		struct layout_parcel t = p[i];

		p[i] = p[j];
		p[j] = t;
	}
	return p;
}

/* Best of REPEATS, in ns, of building one layout from the parcels. */
static int measure(const struct layout_parcel *p, size_t n, double *ret_ns)
{
	double best = 0;

	for (unsigned rep = 0; rep < REPEATS; rep++) {
		_cleanup_(layout_freep) struct layout *l = NULL;
		double t0, t;
		int r;

		t0 = now_ns();
		r = layout_new(RM_IPA_BITS_DEFAULT, &l);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			const struct layout_parcel *conflict = NULL;

			r = layout_add(l, &p[i], &conflict);
			if (r < 0) {
				_cleanup_free_ char *msg = layout_strerror(l, r, &p[i], conflict);

				fprintf(stderr, "bench-layout: %s\n", msg ?: strerror(-r));
				return r;
			}
		}
		t = now_ns() - t0;

		if (layout_count(l) != n) {
			fprintf(stderr, "bench-layout: %zu parcels laid out, expected %zu\n",
				layout_count(l), n);
			return -EIO;
		}
		if (rep == 0 || t < best)
			best = t;
	}
	*ret_ns = best;
	return 0;
}

int main(void)
{
	static const struct {
		const char *name;
		size_t n;
	} sizes[] = {
		{ "layout-1k", 1000 },
		{ "layout-10k", 10000 },
		{ "layout-100k", 100000 },
	};
	double ns[ELEMENTSOF(sizes)];

	for (size_t k = 0; k < ELEMENTSOF(sizes); k++) {
		_cleanup_free_ struct layout_parcel *p = NULL;
		int r;

		p = parcels_shuffled(sizes[k].n, UINT64_C(0x6c61796f7574) + k);
		if (!p) {
			fprintf(stderr, "bench-layout: out of memory\n");
			return EXIT_FAILURE;
		}
		r = measure(p, sizes[k].n, &ns[k]);
		if (r < 0) {
			fprintf(stderr, "bench-layout: %s: %s\n", sizes[k].name, strerror(-r));
			return EXIT_FAILURE;
		}
		printf("%s %.2f ms\n", sizes[k].name, ns[k] / 1e6);
		fflush(stdout);
	}

	printf("layout-ratio-100k/10k %.1f x (target ≤ 15)\n", ns[2] / ns[1]);
	return EXIT_SUCCESS;
}
