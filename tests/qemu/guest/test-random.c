// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Random ioctl sequences on gunyah.ko (seeded, so a failure replays): up to
 * three VMs at once get regions added and deleted (good, misaligned,
 * overlapping, unmapped), DTB configs, STARTs, graceful and forced STOPs,
 * status reads and closes in any order, while the emulator delays or
 * refuses some RM calls and makes running guests exit.
 *
 * No model of each call: every result must be 0 or an errno docs/kmod.md
 * lists for that ioctl, and afterwards nothing is left anywhere (no VM or
 * parcel in the RM, no pinned page, no zombie). The suite fails the run on
 * any kernel warning.
 *
 * $GH_RANDOM_SEEDS runs (default 4, seeds 1..N) of $GH_RANDOM_OPS operations
 * (default 400), each checked on its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ghtest.h"
#include "xorshift.h"

#define SLOTS		3
#define POOL_SIZE	(2ul << 20)	/* user memory the regions come from */
#define MEM_SIZE	(256ul << 10)	/* a bootable main region */

struct slot {
	int fd;			/* -1: free */
	struct gt_vm vm;	/* when it was built bootable */
	bool bootable;
};

static struct slot slots[SLOTS];
static unsigned char *pool;
static uint64_t rng_state;
static int dev, bad;

static unsigned pick(unsigned n)
{
	return (unsigned)(xorshift64s(&rng_state) % n);
}

/* A result outside the documented set is a finding; say which. */
static void expect(const char *what, int r, const int *allowed, size_t n)
{
	if (r >= 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (r == -allowed[i])
			return;
	if (!bad++)
		gt_diag("%s: undocumented %s", what, strerror(-r));
}

#define EXPECT(what, r, ...) do {					\
	static const int allowed_[] = { __VA_ARGS__ };			\
	expect(what, r, allowed_, sizeof(allowed_) / sizeof(allowed_[0]));	\
} while (0)

/* The errnos an RM call can come back with (gh_rm_error_to_errno, timeouts). */
#define RM_ERRNOS EINVAL, ENODEV, ENOMEM, EPERM, EBUSY, EOPNOTSUPP, EBADMSG, ETIMEDOUT

static void slot_close(struct slot *s)
{
	if (s->fd < 0)
		return;
	if (s->bootable)
		gt_vm_close(&s->vm);	/* closes the fd and unmaps */
	else
		close(s->fd);
	s->fd = -1;
	s->bootable = false;
}

static void op_create(struct slot *s)
{
	if (s->fd >= 0)
		slot_close(s);
	memset(&s->vm, 0, sizeof(s->vm));
	if (pick(2)) {
		int r = gt_vm_new(&s->vm, dev, MEM_SIZE, pick(2));

		EXPECT("bootable VM", r, RM_ERRNOS);
		if (r == 0) {
			s->fd = s->vm.fd;
			s->bootable = true;
		}
		return;
	}
	s->fd = gt_create_vm(dev);
	EXPECT("GH_CREATE_VM", s->fd, RM_ERRNOS);
	if (s->fd < 0)
		s->fd = -1;
}

static void op_region(struct slot *s)
{
	static const uint32_t flag_sets[] = {
		GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE | GH_MEM_ALLOW_EXEC | GH_MEM_LENT,
		GH_MEM_ALLOW_READ | GH_MEM_ALLOW_WRITE,
		GH_MEM_ALLOW_READ,
		0x100,		/* reserved bit */
	};
	uint64_t size = (uint64_t)pick(8) * GT_PAGE;
	uint64_t gpa = GT_MEM_BASE + (uint64_t)pick(64) * GT_PAGE;
	unsigned char *addr = pool + (uint64_t)pick(POOL_SIZE / GT_PAGE - 8) * GT_PAGE;
	int r;

	switch (pick(6)) {
	case 0:
		gpa += 1;		/* misaligned */
		break;
	case 1:
		addr += 8;		/* misaligned */
		break;
	case 2:
		gpa = UINT64_MAX & ~(GT_PAGE - 1);	/* wraps */
		break;
	case 3:
		addr = (unsigned char *)0x1000;	/* not mapped: nothing may stay pinned */
		break;
	default:
		break;
	}
	r = gt_region(s->fd, 1 + pick(4), flag_sets[pick(4)], gpa, size, addr);
	EXPECT("GH_VM_SET_USER_MEM_REGION", r, EINVAL, EBUSY, ENODEV, EOVERFLOW, EEXIST, EFAULT);
}

static void op_dtb(struct slot *s)
{
	struct gh_vm_dtb_config cfg = {
		.gpa = pick(4) ? GT_MEM_BASE + s->vm.dtb_offset : UINT64_MAX - pick(3),
		.size = pick(4) ? GT_DTB_SLOT : 1 + pick(100000),
	};

	EXPECT("GH_VM_SET_DTB_CONFIG", gt_ioctl(s->fd, GH_VM_SET_DTB_CONFIG, &cfg), EFAULT,
	       EOVERFLOW, EBUSY);
}

static void op_start(struct slot *s)
{
	EXPECT("GH_VM_START", gt_ioctl(s->fd, GH_VM_START, NULL), RM_ERRNOS);
}

static void op_stop(struct slot *s)
{
	struct gh_vm_stop stop = { .flags = pick(8) ? (pick(2) ? GH_VM_STOP_FORCE : 0) : 0x80 };

	EXPECT("GH_VM_STOP", gt_ioctl(s->fd, GH_VM_STOP, &stop), RM_ERRNOS, ENOLINK);
}

static void op_status(struct slot *s)
{
	struct gh_vm_status st;
	int r = gt_status(s->fd, &st);

	EXPECT("GH_VM_GET_STATUS", r, EFAULT);
	/* A running guest may exit by itself. */
	if (r == 0 && st.rm_status == GH_RM_VM_STATUS_RUNNING && pick(3) == 0)
		(void)gt_emu(NULL, "exit 0x%x %s", st.vmid, pick(2) ? "PLATFORM_OFF" : "WATCHDOG_BITE");
}

/*
 * The next call of one kind delayed (any call) or refused. Only calls whose
 * refusal leaves the RM's VM where a real RM leaves it: a refused teardown
 * call makes a zombie by design (docs/kmod.md), and a real RM that refuses
 * VM_INIT of a VM in INIT sets INIT_FAILED, which the emulator's injected
 * error does not (the VM would stay in INIT, where the RM allows neither
 * VM_RESET nor VM_DEALLOCATE: a zombie the real RM never makes).
 */
static void op_fault(void)
{
	static const char *const any[] = { "VM_ALLOCATE", "MEM_LEND", "MEM_SHARE", "VM_INIT",
					   "VM_START", "VM_STOP", "MEM_RECLAIM", "VM_RESET" };
	static const char *const setup[] = { "VM_ALLOCATE", "MEM_LEND", "MEM_SHARE",
					     "VM_CONFIG_IMAGE", "VM_START" };
	static const char *const errors[] = { "ARGUMENT_INVALID", "NOMEM", "BUSY", "DENIED" };

	if (pick(2))
		gt_emu_must("fault %s delay %u count 1", any[pick(8)], 1 + pick(20));
	else
		gt_emu_must("fault %s error %s count 1", setup[pick(5)], errors[pick(4)]);
}

static long long emu_lines(const char *what)
{
	char *out = NULL;
	long long n = -1;

	if (gt_emu(&out, "%s", what) == 0)
		n = (long long)gt_lines(out);
	free(out);
	return n;
}

/* One seeded run, then everything closed and checked. */
static void run_seed(unsigned seed, int ops)
{
	long long vms0, parcels0, zombies0;

	rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 1;
	bad = 0;
	gt_emu_must("fault clear");
	/* earlier tests may have left VMIDs whose VM_ALLOCATE reply was lost */
	vms0 = emu_lines("vms");
	parcels0 = emu_lines("parcels");
	zombies0 = gt_param("zombies");
	for (int i = 0; i < SLOTS; i++)
		slots[i].fd = -1;

	for (int op = 0; op < ops; op++) {
		struct slot *sl = &slots[pick(SLOTS)];

		if (sl->fd < 0) {
			op_create(sl);
			continue;
		}
		switch (pick(10)) {
		case 0:
			op_create(sl);
			break;
		case 1:
		case 2:
			op_region(sl);
			break;
		case 3:
			op_dtb(sl);
			break;
		case 4:
		case 5:
			op_start(sl);
			break;
		case 6:
			op_stop(sl);
			break;
		case 7:
			op_status(sl);
			break;
		case 8:
			op_fault();
			break;
		default:
			slot_close(sl);
			break;
		}
	}
	for (int i = 0; i < SLOTS; i++)
		slot_close(&slots[i]);
	gt_emu_must("fault clear");

	gt_is(bad, 0, "seed %u: every ioctl returned 0 or a documented errno", seed);
	/* In case teardown finishes after close returns: give it the RM's time. */
	for (int i = 0; i < 100 && (gt_param("pinned_pages") != 0 || emu_lines("vms") != vms0); i++)
		usleep(50000);
	gt_is(gt_param("pinned_pages"), 0, "seed %u: no page left pinned", seed);
	gt_is(gt_param("zombies"), zombies0, "seed %u: no new zombie VM", seed);
	gt_is(emu_lines("vms"), vms0, "seed %u: no VM left behind in the RM", seed);
	gt_is(emu_lines("parcels"), parcels0, "seed %u: no parcel left behind in the RM", seed);
	gt_is(gt_emu_stat("concurrent"), 0, "seed %u: the RM never had two requests at once",
	      seed);
}

int main(void)
{
	const char *s;
	int ops, seeds;

	setvbuf(stdout, NULL, _IOLBF, 0);
	s = getenv("GH_RANDOM_SEEDS");
	seeds = s ? atoi(s) : 4;
	s = getenv("GH_RANDOM_OPS");
	ops = s ? atoi(s) : 400;
	gt_diag("%d seeds, %d operations each", seeds, ops);

	dev = gt_open_gunyah();
	pool = gt_map(POOL_SIZE);
	for (int seed = 1; seed <= seeds; seed++)
		run_seed((unsigned)seed, ops);
	munmap(pool, POOL_SIZE);
	close(dev);
	return gt_done();
}
