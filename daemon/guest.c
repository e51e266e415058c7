/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/gunyah.h>

#include "guest.h"
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

static int guest_region_map(struct guest_region *reg, const char *vm_name)
{
	char name[96];
	void *p;

	snprintf(name, sizeof(name), "gunyah:%s:%u", vm_name, reg->label);
	reg->fd = memfd_create(name, MFD_CLOEXEC);
	if (reg->fd < 0)
		return -errno;
	if (ftruncate(reg->fd, (off_t) reg->size) < 0)
		return -errno;
	p = mmap(NULL, reg->size, PROT_READ | PROT_WRITE, MAP_SHARED, reg->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	reg->host = p;
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
		r = guest_region_map(reg, def->name);
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
