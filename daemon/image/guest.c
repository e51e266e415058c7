/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/gunyah.h>

#include "guest.h"
#include "util/log.h"
#include "vmdef.h"

static uint32_t guest_flags(uint32_t access, enum vmdef_sharing sharing)
{
	uint32_t flags = 0;

	if (access & VMDEF_ACCESS_R)
		flags |= GH_MEM_ALLOW_READ;
	if (access & VMDEF_ACCESS_W)
		flags |= GH_MEM_ALLOW_WRITE;
	if (access & VMDEF_ACCESS_X)
		flags |= GH_MEM_ALLOW_EXEC;
	if (sharing == VMDEF_SHARING_LENT)
		flags |= GH_MEM_LENT;
	return flags;
}

#define GUEST_HUGE_SIZE		(2ull << 20)
#ifndef MFD_HUGETLB
#define MFD_HUGETLB		0x0004U
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB		(21U << 26)	/* log2(2 MiB) << MFD_HUGE_SHIFT */
#endif

const char *guest_thp_shmem_path = "/sys/kernel/mm/transparent_hugepage/shmem_enabled";

static const char *const pages_table[_GUEST_PAGES_MAX] = {
	[GUEST_PAGES_4K] = "4K",
	[GUEST_PAGES_THP] = "2M-thp",
	[GUEST_PAGES_HUGETLB] = "2M-hugetlb",
};

const char *guest_pages_to_string(enum guest_pages p)
{
	return p >= 0 && p < _GUEST_PAGES_MAX ? pages_table[p] : NULL;
}

/*
 * Whether a MADV_HUGEPAGE shmem mapping gets huge folios: the selected word
 * of shmem_enabled is always, within_size, advise or force (never and deny:
 * no; no file: no THP in this kernel). Copies the word into mode.
 */
static bool guest_thp_shmem(char *mode, size_t size)
{
	char buf[160], *sel, *end;
	FILE *f;
	bool ok;

	snprintf(mode, size, "unavailable");
	f = fopen(guest_thp_shmem_path, "re");
	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	sel = ok ? strchr(buf, '[') : NULL;
	end = sel ? strchr(sel, ']') : NULL;
	if (!end)
		return false;
	*end = '\0';
	snprintf(mode, size, "%s", sel + 1);
	return !strcmp(mode, "always") || !strcmp(mode, "within_size") ||
	       !strcmp(mode, "advise") || !strcmp(mode, "force");
}

/*
 * Maps fd shared at a 2 MiB-aligned address: a huge folio is mapped by one
 * PMD only there (hugetlbfs insists on it). Reserves size + 2 MiB of address
 * space, maps fd over the aligned part and returns the rest.
 */
static void *guest_map_aligned(int fd, uint64_t size)
{
	uint8_t *area, *p, *area_end;
	uintptr_t a;
	int e;

	area = mmap(NULL, size + GUEST_HUGE_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	area_end = area + size + GUEST_HUGE_SIZE;
	a = ((uintptr_t)area + GUEST_HUGE_SIZE - 1) & ~(uintptr_t)(GUEST_HUGE_SIZE - 1);
	p = mmap((void *)a, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		e = errno;
		munmap(area, size + GUEST_HUGE_SIZE);
		errno = e;
		return MAP_FAILED;
	}
	if (p > area)
		munmap(area, (size_t)(p - area));
	if (p + size < area_end)
		munmap(p + size, (size_t)(area_end - (p + size)));
	return p;
}

static int guest_region_open(struct guest_region *reg, const char *name, unsigned int flags)
{
	void *p;
	int fd, r;

	fd = memfd_create(name, MFD_CLOEXEC | flags);
	if (fd < 0)
		return -errno;
	/* hugetlbfs reserves the pages at mmap: a short pool fails here, not at a fault */
	if (ftruncate(fd, (off_t) reg->size) < 0 ||
	    (p = guest_map_aligned(fd, reg->size)) == MAP_FAILED) {
		r = -errno;
		close(fd);
		return r;
	}
	reg->fd = fd;
	reg->host = p;
	return 0;
}

static int guest_region_map(struct guest_region *reg, const struct vmdef *def)
{
	enum vmdef_hugepages policy = def->memory.hugepages;
	bool aligned = !(reg->gpa % GUEST_HUGE_SIZE) && !(reg->size % GUEST_HUGE_SIZE);
	char name[96], why[160] = "", thp[32];
	int r;

	snprintf(name, sizeof(name), "gunyah:%s:%u", def->name, reg->label);
	reg->pages = GUEST_PAGES_4K;
	if (policy == VMDEF_HUGEPAGES_NEVER) {
		snprintf(why, sizeof(why), "memory.hugepages is never");
	} else if (!aligned) {
		snprintf(why, sizeof(why), "base or size not 2 MiB aligned");
	} else if (policy == VMDEF_HUGEPAGES_HUGETLB || policy == VMDEF_HUGEPAGES_REQUIRED) {
		r = guest_region_open(reg, name, MFD_HUGETLB | MFD_HUGE_2MB);
		if (r == 0) {
			reg->pages = GUEST_PAGES_HUGETLB;
			goto done;
		}
		if (r != -ENOMEM && r != -EINVAL && r != -ENOSPC)
			return r;
		/* -ENOMEM: the pool is short; -EINVAL: no hugetlbfs or no 2 MiB size */
		if (policy == VMDEF_HUGEPAGES_REQUIRED && reg->label == 0) {
			log_error("VM '%s': memory.hugepages is required, but %" PRIu64
				  " MiB of hugetlbfs 2 MiB pages cannot be had: %s", def->name,
				  reg->size >> 20, strerror(-r));
			return -ENOSPC;
		}
		snprintf(why, sizeof(why), "hugetlbfs: %s, ", strerror(-r));
	}

	r = guest_region_open(reg, name, 0);
	if (r < 0)
		return r;
	if (policy == VMDEF_HUGEPAGES_NEVER || !aligned)
		goto done;
	if (!guest_thp_shmem(thp, sizeof(thp))) {
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 "no shmem THP: %s is %s", guest_thp_shmem_path, thp);
		goto done;
	}
	/* advise or not, the madvise makes the mapping eligible under every mode that allows THP */
	if (madvise(reg->host, reg->size, MADV_HUGEPAGE) < 0) {
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 "madvise(MADV_HUGEPAGE): %s", strerror(errno));
		goto done;
	}
	reg->pages = GUEST_PAGES_THP;
	why[0] = '\0';
done:
	log_info("VM '%s': parcel %u (%" PRIu64 " KiB at 0x%" PRIx64 "): %s pages%s%s%s",
		 def->name, reg->label, reg->size >> 10, reg->gpa,
		 guest_pages_to_string(reg->pages), why[0] ? " (" : "", why, why[0] ? ")" : "");
	return 0;
}

int guest_new(const struct vmdef *def, struct guest **ret)
{
	_cleanup_(guest_freep) struct guest *g = NULL;
	int r;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->regions = calloc(def->n_regions + 1, sizeof(*g->regions));
	if (!g->regions)
		return -ENOMEM;
	for (size_t i = 0; i <= def->n_regions; i++) {
		struct guest_region *reg = &g->regions[i];

		reg->fd = -1;
		if (i == 0) {
			reg->label = 0;
			reg->gpa = def->memory.base;
			reg->size = def->memory.size;
			reg->flags = guest_flags(def->memory.access, def->memory.sharing);
		} else {
			const struct vmdef_region *d = &def->regions[i - 1];

			reg->label = d->label;
			reg->gpa = d->base;
			reg->size = d->size;
			reg->flags = guest_flags(d->access, d->sharing);
		}
		g->n_regions = i + 1;
		r = guest_region_map(reg, def);
		if (r < 0)
			return r;
	}
	*ret = steal_ptr(g);
	return 0;
}

struct guest *guest_free(struct guest *g)
{
	if (!g)
		return NULL;
	for (size_t i = 0; i < g->n_regions; i++) {
		if (g->regions[i].host)
			munmap(g->regions[i].host, g->regions[i].size);
		safe_close(g->regions[i].fd);
	}
	free(g->regions);
	free(g->dtb_blob);
	free(g);
	return NULL;
}
