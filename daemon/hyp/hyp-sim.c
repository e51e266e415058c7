/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated hypervisor: the gunyah.ko ioctl semantics, in process.
 *
 * Same checks in the same order and the same errnos as the module
 * (docs/architecture.md "The /dev/gunyah ABI"), the same 63-VM limit (the RM's VMIDs 0x80..0xBE) and
 * the same extensions. A simulated VM "runs" between START and its exit;
 * exits come from the VM's `simulate` settings (or $GUNYAHD_SIM) through a
 * timerfd, and status changes are signalled on an eventfd, both behind one
 * epoll fd that is the VM's pollable fd, so the daemon's event loop treats
 * sim and kernel VMs alike.
 *
 * After START, lent regions are made PROT_NONE, so that a daemon bug that
 * touches lent guest memory faults in tests as it would on hardware.
 *
 * The console (GH_VM_OPEN_CONSOLE) is the module's: the VM's output in a
 * ring of SIM_CONSOLE_RING bytes from which each console reads at its own
 * position, an eventfd per console to poll. The simulated guest prints a
 * banner when it starts, echoes its input and, with simulate.console-flood,
 * then writes that many bytes: two rings' worth each time a reader has
 * caught up, so a reader that keeps up still loses output (as with a guest
 * that writes faster than the host reads) and no thread is needed.
 */
#include <errno.h>
#include <pthread.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "exit-type.h"
#include "hyp.h"
#include "hyp-sim.h"
#include "layout.h"
#include "util/log.h"
#include "util/time-util.h"
#include "vmdef.h"
#include "ydoc.h"

#define SIM_MAX_VMS	63	/* GH_RM_VMID_DYNAMIC_COUNT */
#define SIM_CONSOLE_RING	(64u * 1024)	/* bytes, the module's default console_ring_size */
#define SIM_FLOOD_CHUNK		(2ull * SIM_CONSOLE_RING)
#define SIM_VMID_FIRST	0x80

enum sim_start {
	SIM_START_NOT_YET,
	SIM_START_DONE,
	SIM_START_FAILED,
};

enum sim_pending {
	SIM_PENDING_NONE,
	SIM_PENDING_EXIT,	/* the guest exits by itself (simulate.exit-after) */
	SIM_PENDING_POWEROFF,	/* the guest honours a graceful stop */
};

struct sim_console {
	struct hyp_console head;
	struct sim_vm *vm;		/* NULL once the VM is gone: reads its end */
	struct sim_console *next;	/* in vm->consoles */
	uint64_t pos;			/* next byte of the VM's output to read */
	uint64_t lost;			/* skipped because the ring overtook this reader */
	int event_fd;			/* readable: output, or its end */
};

struct sim_region {
	struct gh_userspace_memory_region r;
	bool protected;		/* PROT_NONE while lent to the running guest */
};

struct sim_vm {
	struct hyp_vm head;
	struct sim *sim;
	uint16_t vmid;
	struct layout *layout;		/* guest ranges and labels of the regions */
	struct sim_region *regions;
	size_t n_regions;
	bool has_dtb;
	struct gh_vm_dtb_config dtb;
	bool has_rm_rpc;		/* the config has an rm-rpc vdevice: graceful stop possible */
	enum sim_start start;
	struct gh_vm_status status;
	struct vmdef_sim cfg;
	enum sim_pending pending;
	int event_fd;			/* status changed since the last GET_STATUS */
	int timer_fd;			/* next simulated guest event */
	int poll_fd;			/* epoll over both: what the daemon polls */
	char image_name[80];		/* from the devicetree: the banner names the VM */
	char *out;			/* console output ring, SIM_CONSOLE_RING bytes */
	uint64_t out_written;		/* bytes of output ever */
	bool out_ended;			/* the guest exited: no more output, input refused */
	uint64_t flood_left;		/* simulate.console-flood still to write */
	struct sim_console *consoles;
};

struct sim {
	struct hyp head;
	/*
	 * The daemon calls from its loop and its worker threads (like the
	 * ioctls, which the module serialises per VM): one lock for all.
	 */
	pthread_mutex_t lock;
	struct sim_vm *vms[SIM_MAX_VMS];	/* by vmid - SIM_VMID_FIRST */
	bool has_default_cfg;
	struct vmdef_sim default_cfg;		/* from $GUNYAHD_SIM */
};

static const struct hyp_ops sim_ops;

static size_t host_page_size(void)
{
	static size_t size;

	if (!size)
		size = (size_t) sysconf(_SC_PAGESIZE);
	return size;
}

static struct sim_vm *to_sim_vm(struct hyp_vm *vm)
{
	return (struct sim_vm *) vm;
}

static void sim_notify(struct sim_vm *vm)
{
	uint64_t one = 1;

	/* An eventfd write can only fail on counter overflow: not reachable. */
	(void) !write(vm->event_fd, &one, sizeof(one));
}

static void sim_arm_timer(struct sim_vm *vm, enum sim_pending what, uint64_t usec)
{
	struct itimerspec its = {};

	/* Zero would disarm; the guest reacts "at once" = on the next loop turn. */
	if (usec == 0)
		usec = 1;
	its.it_value = timespec_from_usec(usec);
	vm->pending = what;
	(void) timerfd_settime(vm->timer_fd, 0, &its, NULL);
}

static void sim_disarm_timer(struct sim_vm *vm)
{
	struct itimerspec its = {};

	vm->pending = SIM_PENDING_NONE;
	(void) timerfd_settime(vm->timer_fd, 0, &its, NULL);
}

static uint16_t sim_rm_exit_type(enum vmdef_exit_type t)
{
	const struct exit_type_info *info = exit_type_info(t);

	return info ? info->rm : GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED;
}

/* Every console polls readable (new output or its end) until it read it. */
static void sim_console_wake(struct sim_vm *vm)
{
	uint64_t one = 1;

	for (struct sim_console *c = vm->consoles; c; c = c->next)
		(void) !write(c->event_fd, &one, sizeof(one));
}

/* The guest writes n bytes; the ring keeps the last SIM_CONSOLE_RING. */
static void sim_console_put(struct sim_vm *vm, const void *buf, size_t n)
{
	const char *p = buf;

	if (!vm->out)
		return;
	if (n > SIM_CONSOLE_RING) {
		vm->out_written += n - SIM_CONSOLE_RING;
		p += n - SIM_CONSOLE_RING;
		n = SIM_CONSOLE_RING;
	}
	while (n > 0) {
		size_t at = vm->out_written % SIM_CONSOLE_RING;
		size_t k = SIM_CONSOLE_RING - at < n ? SIM_CONSOLE_RING - at : n;

		memcpy(vm->out + at, p, k);
		vm->out_written += k;
		p += k;
		n -= k;
	}
}

/* The next piece of simulate.console-flood: numbered lines of 64 bytes. */
static void sim_console_flood(struct sim_vm *vm)
{
	uint64_t n = vm->flood_left < SIM_FLOOD_CHUNK ? vm->flood_left : SIM_FLOOD_CHUNK;
	char line[64], head[32];

	vm->flood_left -= n;
	memset(line, '.', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	while (n > 0) {
		size_t k = n < sizeof(line) ? n : sizeof(line);
		int h = snprintf(head, sizeof(head), "flood %020llu ",
				 (unsigned long long) vm->out_written);

		memcpy(line, head, (size_t) h);
		sim_console_put(vm, line, k);
		n -= k;
	}
	sim_console_wake(vm);
}

static void sim_console_boot(struct sim_vm *vm)
{
	char banner[VMDEF_SIM_BANNER_MAX + 128];

	if (vm->cfg.has_console_banner)
		snprintf(banner, sizeof(banner), "%s", vm->cfg.console_banner);
	else
		snprintf(banner, sizeof(banner), "gunyah-sim: '%s' booted (VMID 0x%x)\r\n",
			 vm->image_name, vm->vmid);
	sim_console_put(vm, banner, strlen(banner));
	vm->flood_left = vm->cfg.console_flood;
	if (vm->flood_left)
		sim_console_flood(vm);
	sim_console_wake(vm);
}

static void sim_console_end(struct sim_vm *vm)
{
	vm->out_ended = true;
	vm->flood_left = 0;
	sim_console_wake(vm);
}

/* What the RM reports in VM_EXITED: word 0 = exit flags | exit code << 16. */
static void sim_exit(struct sim_vm *vm, uint16_t exit_type, uint32_t exit_code)
{
	uint32_t word = exit_code << 16;

	sim_disarm_timer(vm);
	vm->status.rm_status = GH_RM_VM_STATUS_EXITED;
	vm->status.exit_status = GH_VM_EXIT_STATUS_EXITED;
	vm->status.exit_type = exit_type;
	vm->status.exit_reason_size = 4;
	memset(vm->status.exit_reason, 0, sizeof(vm->status.exit_reason));
	for (int i = 0; i < 4; i++)
		vm->status.exit_reason[i] = (uint8_t) (word >> (8 * i));
	sim_console_end(vm);
	sim_notify(vm);
}

/* Applies a simulated guest event whose time has come. */
static void sim_process_timer(struct sim_vm *vm)
{
	uint64_t expirations;

	if (read(vm->timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	switch (vm->pending) {
	case SIM_PENDING_EXIT:
		sim_exit(vm, sim_rm_exit_type(vm->cfg.exit_type), vm->cfg.exit_code);
		break;
	case SIM_PENDING_POWEROFF:
		sim_exit(vm, GH_RM_VM_EXIT_TYPE_PLATFORM_OFF, 0);
		break;
	case SIM_PENDING_NONE:
		break;
	}
}

static void sim_unprotect(struct sim_vm *vm)
{
	for (size_t i = 0; i < vm->n_regions; i++) {
		struct sim_region *reg = &vm->regions[i];

		if (!reg->protected)
			continue;
		(void) mprotect((void *) (uintptr_t) reg->r.userspace_addr, reg->r.memory_size,
				PROT_READ | PROT_WRITE);
		reg->protected = false;
	}
}

static void sim_vm_free(struct sim_vm *vm)
{
	if (!vm)
		return;
	sim_unprotect(vm);
	for (struct sim_console *c = vm->consoles; c; c = c->next)
		c->vm = NULL;
	sim_console_wake(vm);
	free(vm->out);
	if (vm->sim && vm->vmid)
		vm->sim->vms[vm->vmid - SIM_VMID_FIRST] = NULL;
	layout_free(vm->layout);
	free(vm->regions);
	safe_close(vm->poll_fd);
	safe_close(vm->timer_fd);
	safe_close(vm->event_fd);
	free(vm);
}

static int sim_create_vm_locked(struct hyp *h, unsigned long arg, struct hyp_vm **ret)
{
	struct sim *sim = (struct sim *) h;
	struct sim_vm *vm;
	int slot = -1, r;

	if (arg != 0)
		return -EINVAL;
	for (int i = 0; i < SIM_MAX_VMS && slot < 0; i++)
		if (!sim->vms[i])
			slot = i;
	if (slot < 0)
		return -ENODEV;		/* the RM's NORESOURCE: no free VMID */

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->head.hyp = h;
	vm->event_fd = vm->timer_fd = vm->poll_fd = -1;

	r = layout_new(64, &vm->layout);
	if (r < 0)
		goto fail;
	vm->out = malloc(SIM_CONSOLE_RING);
	if (!vm->out) {
		r = -ENOMEM;
		goto fail;
	}
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	vm->poll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (vm->event_fd < 0 || vm->timer_fd < 0 || vm->poll_fd < 0) {
		r = -errno;
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		int fd = i ? vm->timer_fd : vm->event_fd;
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

		if (epoll_ctl(vm->poll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			r = -errno;
			goto fail;
		}
	}

	vm->sim = sim;
	vm->vmid = (uint16_t) (SIM_VMID_FIRST + slot);
	sim->vms[slot] = vm;
	vm->status.vmid = vm->vmid;
	vm->status.rm_status = GH_RM_VM_STATUS_LOAD;
	if (sim->has_default_cfg)
		vm->cfg = sim->default_cfg;
	else
		vmdef_sim_init(&vm->cfg);
	*ret = &vm->head;
	return 0;
fail:
	sim_vm_free(vm);
	return r;
}

static struct sim_region *sim_find_label(struct sim_vm *vm, uint32_t label, size_t *ret_index)
{
	for (size_t i = 0; i < vm->n_regions; i++)
		if (vm->regions[i].r.label == label) {
			if (ret_index)
				*ret_index = i;
			return &vm->regions[i];
		}
	return NULL;
}

static int sim_delete_region(struct sim_vm *vm, uint32_t label)
{
	size_t i;

	if (!sim_find_label(vm, label, &i))
		return -ENODEV;
	(void) layout_remove_label(vm->layout, label);
	vm->regions[i] = vm->regions[--vm->n_regions];
	return 0;
}

static int sim_set_user_mem_region_locked(struct hyp_vm *hvm, const struct gh_userspace_memory_region *r)
{
	struct sim_vm *vm = to_sim_vm(hvm);
	struct layout_parcel p = {
		.label = r->label, .base = r->guest_phys_addr, .size = r->memory_size,
	};
	struct sim_region *regions;
	int ret;

	if (r->flags & ~GH_MEM_VALID_FLAGS)
		return -EINVAL;
	if (vm->start != SIM_START_NOT_YET)
		return -EBUSY;		/* regions are fixed once START was issued */
	if (r->memory_size == 0)
		return sim_delete_region(vm, r->label);
	if ((r->memory_size | r->userspace_addr) & (host_page_size() - 1))
		return -EINVAL;

	ret = layout_add(vm->layout, &p, NULL);
	if (ret == -ERANGE)
		return -EOVERFLOW;
	if (ret < 0)
		return ret;

	/* The module pins the pages: memory that is not mapped cannot be pinned. */
	if (madvise((void *) (uintptr_t) r->userspace_addr, r->memory_size, MADV_NORMAL) < 0) {
		(void) layout_remove_label(vm->layout, r->label);
		return -EFAULT;
	}

	regions = reallocarray(vm->regions, vm->n_regions + 1, sizeof(*regions));
	if (!regions) {
		(void) layout_remove_label(vm->layout, r->label);
		return -ENOMEM;
	}
	vm->regions = regions;
	vm->regions[vm->n_regions++] = (struct sim_region) { .r = *r };
	return 0;
}

static int sim_set_dtb_config_locked(struct hyp_vm *hvm, const struct gh_vm_dtb_config *c)
{
	struct sim_vm *vm = to_sim_vm(hvm);
	uint64_t size = (c->size + RM_PAGE_SIZE - 1) & ~(RM_PAGE_SIZE - 1);

	if (size < c->size || c->gpa + size < c->gpa)
		return -EOVERFLOW;
	if (vm->start != SIM_START_NOT_YET)
		return -EBUSY;
	vm->dtb = (struct gh_vm_dtb_config) { .gpa = c->gpa, .size = size };
	vm->has_dtb = true;
	return 0;
}

/*
 * Whether the config gives the guest an RM-RPC link, as gunyah.ko decides
 * it (kmod/vm_dtb.c): a vdevice with vdevice-type "rm-rpc" under
 * /gunyah-vm-config/vdevices or /qcom,vm-config/vdevices.
 */
static bool sim_dtb_has_rm_rpc(const void *blob)
{
	static const char *const parents[] = { "/gunyah-vm-config/vdevices",
					       "/qcom,vm-config/vdevices" };

	for (size_t i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		int parent = fdt_path_offset(blob, parents[i]), node;

		if (parent < 0)
			continue;
		fdt_for_each_subnode(node, blob, parent) {
			const char *type = fdt_getprop(blob, node, "vdevice-type", NULL);

			if (type && strcmp(type, "rm-rpc") == 0)
				return true;
		}
	}
	return false;
}

/* The guest knows its name from its devicetree: gunyah-vm-config's image-name. */
static void sim_dtb_image_name(struct sim_vm *vm, const void *blob)
{
	int node = fdt_path_offset(blob, "/gunyah-vm-config");
	const char *name = node >= 0 ? fdt_getprop(blob, node, "image-name", NULL) : NULL;

	snprintf(vm->image_name, sizeof(vm->image_name), "%s", name ? name : "?");
}

/*
 * What the RM would refuse before the guest runs: VM_CONFIG_IMAGE needs the
 * DTB inside one parcel; VM_INIT needs a blob that parses and fits.
 */
static int sim_check_dtb(struct sim_vm *vm)
{
	const struct sim_region *reg = NULL;
	const void *blob;
	uint64_t offset;

	if (!vm->has_dtb)
		return -EINVAL;
	for (size_t i = 0; i < vm->n_regions && !reg; i++) {
		const struct gh_userspace_memory_region *r = &vm->regions[i].r;

		if (vm->dtb.gpa >= r->guest_phys_addr &&
		    vm->dtb.gpa + vm->dtb.size <= r->guest_phys_addr + r->memory_size)
			reg = &vm->regions[i];
	}
	if (!reg)
		return -EINVAL;
	offset = vm->dtb.gpa - reg->r.guest_phys_addr;
	blob = (const void *) (uintptr_t) (reg->r.userspace_addr + offset);
	if (vm->dtb.size < FDT_V17_SIZE || fdt_totalsize(blob) > vm->dtb.size ||
	    fdt_check_full(blob, vm->dtb.size) != 0)
		return -EINVAL;
	vm->has_rm_rpc = sim_dtb_has_rm_rpc(blob);
	sim_dtb_image_name(vm, blob);
	return 0;
}

static void sim_fail_start(struct sim_vm *vm)
{
	vm->start = SIM_START_FAILED;
	sim_console_end(vm);
	vm->status.rm_status = GH_RM_VM_STATUS_INIT_FAILED;
	vm->status.exit_status = GH_VM_EXIT_STATUS_LOAD_FAILED;
	sim_notify(vm);
}

static int sim_start_locked(struct sim_vm *vm)
{
	int r;

	if (vm->start == SIM_START_DONE)
		return 0;
	if (vm->start == SIM_START_FAILED)
		return -EINVAL;

	r = sim_check_dtb(vm);
	if (r == 0 && vm->cfg.fail_start)
		r = -(vm->cfg.start_errno ? vm->cfg.start_errno : EIO);
	if (r < 0) {
		sim_fail_start(vm);
		return r;
	}

	for (size_t i = 0; i < vm->n_regions; i++) {
		struct sim_region *reg = &vm->regions[i];

		if (!(reg->r.flags & GH_MEM_LENT))
			continue;
		if (mprotect((void *) (uintptr_t) reg->r.userspace_addr, reg->r.memory_size,
			     PROT_NONE) == 0)
			reg->protected = true;
	}
	vm->start = SIM_START_DONE;
	vm->status.rm_status = GH_RM_VM_STATUS_RUNNING;
	sim_console_boot(vm);
	if (vm->cfg.exit_after_usec)
		sim_arm_timer(vm, SIM_PENDING_EXIT, vm->cfg.exit_after_usec);
	sim_notify(vm);
	return 0;
}

static int sim_start(struct hyp_vm *hvm)
{
	struct sim_vm *vm = to_sim_vm(hvm);
	struct sim *sim = (struct sim *) hvm->hyp;
	uint64_t delay;
	int r;

	pthread_mutex_lock(&sim->lock);
	delay = vm->start == SIM_START_NOT_YET ? vm->cfg.start_delay_usec : 0;
	pthread_mutex_unlock(&sim->lock);
	if (delay) {
		struct timespec ts = timespec_from_usec(delay);

		/* A slow RM, on the caller's (worker) thread, without the lock. */
		while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
			;
	}
	pthread_mutex_lock(&sim->lock);
	r = sim_start_locked(vm);
	pthread_mutex_unlock(&sim->lock);
	return r;
}

static int sim_stop_locked(struct hyp_vm *hvm, const struct gh_vm_stop *s)
{
	struct sim_vm *vm = to_sim_vm(hvm);

	if (s->flags & ~GH_VM_STOP_FORCE)
		return -EINVAL;
	sim_process_timer(vm);
	if (vm->status.rm_status != GH_RM_VM_STATUS_RUNNING)
		return -EINVAL;
	if (s->flags & GH_VM_STOP_FORCE) {
		sim_exit(vm, GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED, 0);
		return 0;
	}
	/* Graceful: the RM only asks the guest, over its RM-RPC link; the guest decides. */
	if (!vm->has_rm_rpc)
		return -ENOLINK;
	if (vm->cfg.on_stop == VMDEF_SIM_ON_STOP_POWEROFF &&
	    vm->pending != SIM_PENDING_POWEROFF)
		sim_arm_timer(vm, SIM_PENDING_POWEROFF, vm->cfg.stop_delay_usec);
	return 0;
}

static int sim_get_status_locked(struct hyp_vm *hvm, struct gh_vm_status *ret)
{
	struct sim_vm *vm = to_sim_vm(hvm);
	uint64_t count;

	sim_process_timer(vm);
	/* Reading re-arms: the fd polls readable again only on the next change. */
	(void) !read(vm->event_fd, &count, sizeof(count));
	*ret = vm->status;
	return 0;
}

static int sim_get_fd(struct hyp_vm *hvm)
{
	return to_sim_vm(hvm)->poll_fd;
}

static struct sim_console *to_sim_console(struct hyp_console *c)
{
	return (struct sim_console *) c;
}

static int sim_open_console_locked(struct hyp_vm *hvm, struct hyp_console **ret)
{
	struct sim_vm *vm = to_sim_vm(hvm);
	struct sim_console *c;
	uint64_t one = 1;

	/* Playing a kernel without the extension ($GUNYAHD_SIM_WITHOUT=console). */
	if (!(hyp_features(hvm->hyp) & HYP_FEATURE_CONSOLE))
		return -ENOTTY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->event_fd < 0) {
		int r = -errno;

		free(c);
		return r;
	}
	c->head.hyp = hvm->hyp;
	c->vm = vm;
	c->next = vm->consoles;
	vm->consoles = c;
	/* From the first byte the ring still holds, as the module does. */
	if (vm->out_written > 0 || vm->out_ended)
		(void) !write(c->event_fd, &one, sizeof(one));
	*ret = &c->head;
	return 0;
}

static ssize_t sim_console_read_locked(struct hyp_console *hc, void *buf, size_t size)
{
	struct sim_console *c = to_sim_console(hc);
	struct sim_vm *vm = c->vm;
	uint64_t oldest, avail, count;
	size_t n = 0;

	if (!vm)
		return 0;
	oldest = vm->out_written > SIM_CONSOLE_RING ? vm->out_written - SIM_CONSOLE_RING : 0;
	if (c->pos < oldest) {
		c->lost += oldest - c->pos;
		c->pos = oldest;
	}
	avail = vm->out_written - c->pos;
	while (n < size && n < avail) {
		size_t at = (c->pos + n) % SIM_CONSOLE_RING;
		size_t k = SIM_CONSOLE_RING - at;

		if (k > size - n)
			k = size - n;
		if (k > avail - n)
			k = avail - n;
		memcpy((char *) buf + n, vm->out + at, k);
		n += k;
	}
	c->pos += n;
	if (c->pos < vm->out_written || n > 0)
		return (ssize_t) n;
	if (vm->out_ended)
		return 0;
	/* Caught up: quiet until the guest writes again, or it floods on. */
	(void) !read(c->event_fd, &count, sizeof(count));
	if (vm->flood_left)
		sim_console_flood(vm);
	return -EAGAIN;
}

static ssize_t sim_console_write_locked(struct hyp_console *hc, const void *buf, size_t size)
{
	struct sim_vm *vm = to_sim_console(hc)->vm;

	if (!vm || vm->out_ended)
		return -EPIPE;
	/* Before START no guest reads it; a running guest echoes it. */
	if (vm->start == SIM_START_DONE && vm->cfg.console_echo && size > 0) {
		sim_console_put(vm, buf, size);
		sim_console_wake(vm);
	}
	return (ssize_t) size;
}

static int sim_console_get_lost_locked(struct hyp_console *hc, uint64_t *ret)
{
	struct sim_console *c = to_sim_console(hc);
	struct sim_vm *vm = c->vm;
	uint64_t lost = c->lost;

	/* What the ring overtook counts at once, as in the module, not at the next read. */
	if (vm && vm->out_written > SIM_CONSOLE_RING && c->pos < vm->out_written - SIM_CONSOLE_RING)
		lost += vm->out_written - SIM_CONSOLE_RING - c->pos;
	*ret = lost;
	return 0;
}

static int sim_console_get_fd(struct hyp_console *hc)
{
	return to_sim_console(hc)->event_fd;
}

static void sim_console_close_locked(struct hyp_console *hc)
{
	struct sim_console *c = to_sim_console(hc);

	if (c->vm)
		for (struct sim_console **p = &c->vm->consoles; *p; p = &(*p)->next)
			if (*p == c) {
				*p = c->next;
				break;
			}
	safe_close(c->event_fd);
	free(c);
}

static int sim_set_sim_locked(struct hyp_vm *hvm, const struct vmdef_sim *cfg)
{
	struct sim_vm *vm = to_sim_vm(hvm);

	if (vm->start != SIM_START_NOT_YET)
		return -EBUSY;
	vm->cfg = *cfg;
	return 0;
}

static void sim_destroy_vm_locked(struct hyp_vm *hvm)
{
	sim_vm_free(to_sim_vm(hvm));
}

static void sim_free(struct hyp *h)
{
	struct sim *sim = (struct sim *) h;

	for (int i = 0; i < SIM_MAX_VMS; i++)
		if (sim->vms[i]) {
			sim->vms[i]->sim = NULL;	/* detach; its owner still frees it */
			sim->vms[i] = NULL;
		}
	pthread_mutex_destroy(&sim->lock);
	free(sim);
}

static struct sim *to_sim(struct hyp *h)
{
	return (struct sim *) h;
}

#define SIM_LOCKED(h, expr)					\
	({							\
		struct sim *_s = to_sim(h);			\
		pthread_mutex_lock(&_s->lock);			\
		__typeof__(expr) _r = (expr);			\
		pthread_mutex_unlock(&_s->lock);		\
		_r;						\
	})

static int sim_create_vm(struct hyp *h, unsigned long arg, struct hyp_vm **ret)
{
	return SIM_LOCKED(h, sim_create_vm_locked(h, arg, ret));
}

static int sim_set_user_mem_region(struct hyp_vm *vm, const struct gh_userspace_memory_region *r)
{
	return SIM_LOCKED(vm->hyp, sim_set_user_mem_region_locked(vm, r));
}

static int sim_set_dtb_config(struct hyp_vm *vm, const struct gh_vm_dtb_config *c)
{
	return SIM_LOCKED(vm->hyp, sim_set_dtb_config_locked(vm, c));
}

static int sim_stop(struct hyp_vm *vm, const struct gh_vm_stop *st)
{
	return SIM_LOCKED(vm->hyp, sim_stop_locked(vm, st));
}

static int sim_get_status(struct hyp_vm *vm, struct gh_vm_status *ret)
{
	return SIM_LOCKED(vm->hyp, sim_get_status_locked(vm, ret));
}

static int sim_set_sim(struct hyp_vm *vm, const struct vmdef_sim *cfg)
{
	return SIM_LOCKED(vm->hyp, sim_set_sim_locked(vm, cfg));
}

static void sim_destroy_vm(struct hyp_vm *vm)
{
	struct sim *sim = to_sim(vm->hyp);

	pthread_mutex_lock(&sim->lock);
	sim_destroy_vm_locked(vm);
	pthread_mutex_unlock(&sim->lock);
}

static int sim_open_console(struct hyp_vm *vm, struct hyp_console **ret)
{
	return SIM_LOCKED(vm->hyp, sim_open_console_locked(vm, ret));
}

static ssize_t sim_console_read(struct hyp_console *c, void *buf, size_t size)
{
	return SIM_LOCKED(c->hyp, sim_console_read_locked(c, buf, size));
}

static ssize_t sim_console_write(struct hyp_console *c, const void *buf, size_t size)
{
	return SIM_LOCKED(c->hyp, sim_console_write_locked(c, buf, size));
}

static int sim_console_get_lost(struct hyp_console *c, uint64_t *ret)
{
	return SIM_LOCKED(c->hyp, sim_console_get_lost_locked(c, ret));
}

static void sim_console_close(struct hyp_console *c)
{
	struct sim *sim = to_sim(c->hyp);

	pthread_mutex_lock(&sim->lock);
	sim_console_close_locked(c);
	pthread_mutex_unlock(&sim->lock);
}

static const struct hyp_ops sim_ops = {
	.kind = HYP_KIND_SIM,
	.create_vm = sim_create_vm,
	.set_user_mem_region = sim_set_user_mem_region,
	.set_dtb_config = sim_set_dtb_config,
	.start = sim_start,
	.stop = sim_stop,
	.get_status = sim_get_status,
	.get_fd = sim_get_fd,
	.set_sim = sim_set_sim,
	.destroy_vm = sim_destroy_vm,
	.open_console = sim_open_console,
	.console_read = sim_console_read,
	.console_write = sim_console_write,
	.console_get_lost = sim_console_get_lost,
	.console_get_fd = sim_console_get_fd,
	.console_close = sim_console_close,
	.free = sim_free,
};

static int sim_spec_apply(struct vmdef_sim *cfg, const char *key, const char *value)
{
	uint64_t u;
	int r;

	if (strcmp(key, "start") == 0) {
		if (strcmp(value, "ok") && strcmp(value, "fail"))
			return -EINVAL;
		cfg->fail_start = strcmp(value, "fail") == 0;
		return 0;
	}
	if (strcmp(key, "start-errno") == 0) {
		r = vmdef_sim_errno_from_string(value);
		if (r < 0)
			return r;
		cfg->start_errno = r;
		return 0;
	}
	if (strcmp(key, "exit-type") == 0) {
		r = vmdef_exit_type_from_string(value);
		if (r < 0 || r == VMDEF_EXIT_FORCED_STOP)
			return -EINVAL;
		cfg->exit_type = r;
		return 0;
	}
	if (strcmp(key, "on-stop") == 0) {
		r = vmdef_sim_on_stop_from_string(value);
		if (r < 0)
			return r;
		cfg->on_stop = r;
		return 0;
	}
	if (strcmp(key, "console-echo") == 0) {
		if (strcmp(value, "true") && strcmp(value, "false"))
			return -EINVAL;
		cfg->console_echo = strcmp(value, "true") == 0;
		return 0;
	}
	if (strcmp(key, "console-banner") == 0) {
		if (strlen(value) > VMDEF_SIM_BANNER_MAX)
			return -EINVAL;
		strcpy(cfg->console_banner, value);
		cfg->has_console_banner = true;
		return 0;
	}
	if (strcmp(key, "console-flood") == 0) {
		r = ydoc_parse_size(value, &u);
		if (r < 0 || u > VMDEF_SIM_FLOOD_MAX)
			return -EINVAL;
		cfg->console_flood = u;
		return 0;
	}
	if (strcmp(key, "exit-code") == 0) {
		char *end;

		errno = 0;
		u = strtoull(value, &end, 0);
		if (errno || *end || end == value || u > 255)
			return -EINVAL;
		cfg->exit_code = (uint32_t) u;
		return 0;
	}
	r = ydoc_parse_duration(value, &u);
	if (r < 0)
		return r;
	if (strcmp(key, "start-delay") == 0)
		cfg->start_delay_usec = u;
	else if (strcmp(key, "exit-after") == 0)
		cfg->exit_after_usec = u;
	else if (strcmp(key, "stop-delay") == 0)
		cfg->stop_delay_usec = u;
	else
		return -EINVAL;
	return 0;
}

int hyp_sim_parse_spec(const char *spec, struct vmdef_sim *ret)
{
	struct vmdef_sim cfg;
	_cleanup_free_ char *copy = strdup(spec);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	vmdef_sim_init(&cfg);
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		int r;

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		r = sim_spec_apply(&cfg, item, eq + 1);
		if (r < 0)
			return r;
	}
	*ret = cfg;
	return 0;
}

int hyp_sim_new(struct hyp **ret)
{
	struct sim *sim = calloc(1, sizeof(*sim));
	const char *spec = getenv("GUNYAHD_SIM");
	const char *without = getenv("GUNYAHD_SIM_WITHOUT");

	if (!sim)
		return -ENOMEM;
	sim->head.ops = &sim_ops;
	pthread_mutex_init(&sim->lock, NULL);
	sim->head.features = HYP_FEATURE_VM_STATUS | HYP_FEATURE_VM_STOP | HYP_FEATURE_CONSOLE;
	/* Only the console can go: the others change what every test relies on. */
	if (without && *without) {
		if (strcmp(without, "console") != 0) {
			free(sim);
			return log_errno(LOG_ERR, -EINVAL, "Invalid GUNYAHD_SIM_WITHOUT='%s': "
					 "expected 'console': %m", without);
		}
		sim->head.features &= ~HYP_FEATURE_CONSOLE;
	}
	if (spec && *spec) {
		int r = hyp_sim_parse_spec(spec, &sim->default_cfg);

		if (r < 0) {
			free(sim);
			return log_errno(LOG_ERR, r, "Invalid GUNYAHD_SIM='%s': expected KEY=VALUE items "
					 "separated by commas, as a definition's simulate block "
					 "takes them (docs/yaml.md): %m", spec);
		}
		sim->has_default_cfg = true;
	}
	*ret = &sim->head;
	return 0;
}
