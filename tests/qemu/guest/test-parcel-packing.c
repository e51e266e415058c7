// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * How many memory entries and RM packets gunyah.ko sends for a parcel, seen
 * from gh-rm-emu (`parcels`: entries=, messages=, packets=), for three
 * layouts: scattered 4 KiB pages (MEM_APPEND needed), hugetlbfs 2 MiB pages
 * and shmem transparent huge pages. The expected counts come from the
 * layout itself: /proc/self/pagemap gives each page's frame, so the number
 * of physically contiguous runs is exactly the number of entries the module
 * must send, and gh_rm_mem_plan() (the codec the module uses) the fewest
 * packets for them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gunyah/rm-wire.h>

#include "ghtest.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB	(21U << 26)
#endif

#define SZ_2M		(2ul << 20)
#define HUGE_WANT	64		/* 2 MiB pages asked of the guest kernel: 128 MiB */
#define SHMEM_THP	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"

static int dev;

/* Physically contiguous runs of [mem, mem + size): the entries the module must send */
static long long phys_runs(const void *mem, size_t size)
{
	uint64_t prev = 0, pfn, e;
	long long runs = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (size_t off = 0; off < size; off += GT_PAGE) {
		if (pread(fd, &e, sizeof(e), (off_t)(((uintptr_t)mem + off) / GT_PAGE * 8)) !=
		    (ssize_t)sizeof(e) || !(e & (1ull << 63))) {
			runs = -1;
			break;
		}
		pfn = e & ((1ull << 55) - 1);
		if (!pfn) {		/* frames hidden: not root */
			runs = -1;
			break;
		}
		if (!off || pfn != prev + 1)
			runs++;
		prev = pfn;
	}
	close(fd);
	return runs;
}

static bool emu_parcel_of_label0(char *line, size_t size)
{
	char *out = NULL;
	bool found = false;

	if (gt_emu(&out, "parcels"))
		return false;
	for (size_t i = 0; !found && gt_line(out, i, line, size); i++)
		found = gt_field_num(line, "label") == 0 && strstr(line, "type=LEND");
	free(out);
	return found;
}

/*
 * Lends [mem, mem + size) as a started VM's main memory and checks what the
 * RM received against the layout. Returns the entries, or -1.
 */
static long long lend_and_count(const char *what, void *mem, size_t size)
{
	struct gh_vm_dtb_config c;
	long long runs, entries = -1;
	size_t nchunks;
	u16 *counts;
	size_t packets;
	char pl[512];
	int vm;

	/* fault every page in: the frames are final before pagemap is read */
	for (size_t off = 0; off < size; off += GT_PAGE)
		((volatile char *)mem)[off] = 1;
	c.gpa = GT_MEM_BASE + gt_write_dtb(mem, size, GT_MEM_BASE, 0);
	c.size = GT_DTB_SLOT;
	runs = phys_runs(mem, size);
	if (!gt_ok(runs > 0, "%s: physical layout read from pagemap (%lld runs)", what, runs))
		return -1;
	vm = gt_create_vm(dev);
	if (!gt_ok(vm >= 0, "%s: VM", what))
		return -1;
	gt_is(gt_region(vm, 0, GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC |
			GH_MEM_LENT, GT_MEM_BASE, size, mem), 0, "%s: lent region of %zu MiB",
	      what, size >> 20);
	gt_ioctl(vm, GH_VM_SET_DTB_CONFIG, &c);
	gt_is(gt_ioctl(vm, GH_VM_START, NULL), 0, "%s: START", what);

	if (gt_ok(emu_parcel_of_label0(pl, sizeof(pl)), "%s: the RM holds the parcel: %s", what,
		  pl)) {
		entries = gt_field_num(pl, "entries");
		gt_is(gt_field_num(pl, "size"), (long long)size, "%s: parcel size", what);
		gt_is(entries, runs, "%s: one entry per physically contiguous run", what);
		nchunks = gh_rm_mem_nchunks((size_t)runs);
		counts = calloc(nchunks, sizeof(*counts));
		if (!counts)
			gt_bail("calloc");
		packets = gh_rm_mem_plan(1, (size_t)runs, counts);
		free(counts);
		gt_is(gt_field_num(pl, "messages"), (long long)nchunks,
		      "%s: %zu message(s): MEM_APPEND only past 512 entries", what, nchunks);
		gt_is(gt_field_num(pl, "packets"), (long long)packets,
		      "%s: %zu packets, the fewest for %lld entries", what, packets, runs);
	}
	close(vm);
	gt_ok(!emu_parcel_of_label0(pl, sizeof(pl)), "%s: reclaimed", what);
	return entries;
}

/* 1200 pages from two files, alternately and backwards: past 512 entries */
static void test_scattered(void)
{
	const size_t pages = 1200, size = pages * GT_PAGE;
	void *mem = gt_map(size), *other = gt_map(size);
	long long entries;

	for (size_t i = 0; i < pages; i++) {
		((volatile char *)other)[i * GT_PAGE] = 1;
		((volatile char *)mem)[(pages - 1 - i) * GT_PAGE] = 1;
	}
	entries = lend_and_count("4K scattered", mem, size);
	if (entries >= 0 && entries <= 512)
		gt_diag("the scattered pages came out contiguous (%lld entries)", entries);
	munmap(mem, size);
	munmap(other, size);
}

static long long read_num(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "re");
	long long v = -1;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = strtoll(buf, NULL, 10);
		fclose(f);
	}
	return v;
}

static bool write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");
	bool ok;

	if (!f)
		return false;
	ok = fputs(s, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* hugetlbfs 2 MiB pages reserved through nr_hugepages: at most one entry per page */
static void test_hugetlb(void)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	long long old = read_num(nr), got;
	char buf[32];
	size_t size;
	void *mem;
	int fd;

	snprintf(buf, sizeof(buf), "%d", HUGE_WANT);
	if (old < 0 || !write_str(nr, buf)) {
		gt_skip("hugetlb: %s is not writable", nr);
		return;
	}
	got = read_num(nr);
	if (got < 2) {
		gt_skip("hugetlb: the kernel reserved %lld 2 MiB pages", got);
		goto out_restore;
	}
	size = (size_t)got * SZ_2M;
	fd = memfd_create("gt-hugetlb", MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
	if (!gt_ok(fd >= 0, "hugetlb: memfd_create(MFD_HUGETLB | MFD_HUGE_2MB): %s",
		   fd < 0 ? strerror(errno) : "ok"))
		goto out_restore;
	if (!gt_ok(ftruncate(fd, (off_t)size) == 0, "hugetlb: %lld pages, %zu MiB", got,
		   size >> 20)) {
		close(fd);
		goto out_restore;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (!gt_ok(mem != MAP_FAILED, "hugetlb: mmap"))
		goto out_restore;
	got = lend_and_count("hugetlb 2M", mem, size);
	gt_ok(got > 0 && got <= (long long)(size / SZ_2M),
	      "hugetlb: %lld entries for %zu 2 MiB pages (at most one each)", got, size / SZ_2M);
	munmap(mem, size);
out_restore:
	snprintf(buf, sizeof(buf), "%lld", old);
	write_str(nr, buf);
}

/* shmem THP through madvise(MADV_HUGEPAGE), as gunyahd asks for them */
static void test_thp(void)
{
	const size_t size = 32ul << 20;
	char old[128] = "", *sel, *end;
	long long runs, entries;
	FILE *f;
	void *mem;
	int fd;

	f = fopen(SHMEM_THP, "re");
	if (!f || !fgets(old, sizeof(old), f)) {
		if (f)
			fclose(f);
		gt_skip("THP: %s is unreadable (no CONFIG_TRANSPARENT_HUGEPAGE)", SHMEM_THP);
		return;
	}
	fclose(f);
	sel = strchr(old, '[');
	end = sel ? strchr(sel, ']') : NULL;
	if (!sel || !end || !write_str(SHMEM_THP, "advise")) {
		gt_skip("THP: cannot set %s to advise", SHMEM_THP);
		return;
	}
	*end = '\0';
	sel++;

	fd = memfd_create("gt-thp", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		gt_bail("memfd: %s", strerror(errno));
	/* 2 MiB-aligned address: the PMD mapping needs it, the folios do not */
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		gt_bail("mmap: %s", strerror(errno));
	gt_is(madvise(mem, size, MADV_HUGEPAGE), 0, "THP: madvise(MADV_HUGEPAGE)");
	for (size_t off = 0; off < size; off += GT_PAGE)
		((volatile char *)mem)[off] = 1;
	runs = phys_runs(mem, size);
	if (runs > (long long)(size / SZ_2M)) {
		/* fragmented guest memory: the kernel fell back to small pages */
		gt_skip("THP: the kernel gave %lld runs for %zu MiB (no huge folios)", runs,
			size >> 20);
	} else {
		entries = lend_and_count("THP 2M", mem, size);
		gt_ok(entries > 0 && entries <= (long long)(size / SZ_2M),
		      "THP: %lld entries for %zu MiB (at most one per 2 MiB)", entries,
		      size >> 20);
	}
	munmap(mem, size);
	write_str(SHMEM_THP, sel);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = gt_open_gunyah();
	gt_emu_must("fault clear");

	test_scattered();
	test_hugetlb();
	test_thp();

	gt_is(gt_param("zombies"), 0, "no zombie");
	close(dev);
	return gt_done();
}
