/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel backend: /dev/gunyah ioctls.
 *
 * Extensions (GH_VM_GET_STATUS, GH_VM_STOP, pollable VM fd) are detected:
 * a kernel without them answers -ENOTTY, and the daemon degrades (exits
 * are not observed; Stop becomes Destroy). Kernels that reject GH_MEM_LENT
 * (Android's) get GH_VM_ANDROID_LEND_USER_MEM instead. A kernel without
 * GH_VM_OPEN_CONSOLE answers -ENOTTY: the VMs have no console.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hyp.h"
#include "util/log.h"

struct kernel {
	struct hyp head;
	int dev_fd;
	bool probed;
	bool use_android_lend;
};

struct kernel_vm {
	struct hyp_vm head;
	int fd;
};

struct kernel_console {
	struct hyp_console head;
	int fd;				/* O_NONBLOCK: the daemon never waits on a guest */
};

static struct kernel_console *to_kernel_console(struct hyp_console *c)
{
	return (struct kernel_console *) c;
}

static struct kernel_vm *to_kernel_vm(struct hyp_vm *vm)
{
	return (struct kernel_vm *) vm;
}

static int xioctl(int fd, unsigned long req, const void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* Learns which extensions this module has, on a VM that exists anyway. */
static void kernel_probe(struct kernel *k, int vm_fd)
{
	struct gh_vm_status status = {};
	struct gh_vm_stop stop = { .flags = ~0u };
	int r;

	r = xioctl(vm_fd, GH_VM_GET_STATUS, &status);
	if (r == 0)
		hyp_add_features(&k->head, HYP_FEATURE_VM_STATUS);
	/* Reserved flag bits: -EINVAL with the extension, -ENOTTY without. */
	r = xioctl(vm_fd, GH_VM_STOP, &stop);
	if (r == -EINVAL)
		hyp_add_features(&k->head, HYP_FEATURE_VM_STOP);
	r = xioctl(vm_fd, GH_VM_OPEN_CONSOLE, NULL);
	if (r >= 0) {
		close(r);
		hyp_add_features(&k->head, HYP_FEATURE_CONSOLE);
	}
	__atomic_store_n(&k->probed, true, __ATOMIC_RELEASE);
	if (!(hyp_features(&k->head) & HYP_FEATURE_VM_STATUS))
		log_notice("The kernel lacks GH_VM_GET_STATUS: VM exits will not be observed");
	if (!(hyp_features(&k->head) & HYP_FEATURE_VM_STOP))
		log_notice("The kernel lacks GH_VM_STOP: stopping a VM destroys it");
	if (!(hyp_features(&k->head) & HYP_FEATURE_CONSOLE))
		log_notice("The kernel lacks GH_VM_OPEN_CONSOLE: VMs have no console");
}

/* Wraps a VM fd (taken over, also on failure). */
static int kernel_vm_new(struct kernel *k, int fd, struct hyp_vm **ret)
{
	struct kernel_vm *vm = calloc(1, sizeof(*vm));

	if (!vm) {
		close(fd);
		return -ENOMEM;
	}
	if (!__atomic_load_n(&k->probed, __ATOMIC_ACQUIRE))
		kernel_probe(k, fd);
	vm->head.hyp = &k->head;
	vm->fd = fd;
	*ret = &vm->head;
	return 0;
}

static int kernel_create_vm(struct hyp *h, unsigned long arg, struct hyp_vm **ret)
{
	int fd = ioctl(((struct kernel *) h)->dev_fd, GH_CREATE_VM, arg);

	if (fd < 0)
		return -errno;
	return kernel_vm_new((struct kernel *) h, fd, ret);
}

static int kernel_adopt_vm(struct hyp *h, int fd, struct hyp_vm **ret)
{
	struct gh_vm_status status;
	int r;

	/* The store hands fds back without O_CLOEXEC. */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	/* Only a VM fd of this module answers GH_VM_GET_STATUS. */
	r = xioctl(fd, GH_VM_GET_STATUS, &status);
	if (r < 0) {
		close(fd);
		return r == -EINVAL || r == -EFAULT ? -ENOTTY : r;
	}
	return kernel_vm_new((struct kernel *) h, fd, ret);
}

static int kernel_handle_fd(struct hyp_vm *hvm)
{
	return to_kernel_vm(hvm)->fd;
}

static int kernel_set_user_mem_region(struct hyp_vm *hvm, const struct gh_userspace_memory_region *r)
{
	struct kernel *k = (struct kernel *) hvm->hyp;
	struct kernel_vm *vm = to_kernel_vm(hvm);
	struct gh_userspace_memory_region android;
	int ret;

	if (!__atomic_load_n(&k->use_android_lend, __ATOMIC_ACQUIRE) || !(r->flags & GH_MEM_LENT))
		ret = xioctl(vm->fd, GH_VM_SET_USER_MEM_REGION, r);
	else
		ret = -EINVAL;
	if (ret != -EINVAL || !(r->flags & GH_MEM_LENT) || (r->flags & ~GH_MEM_VALID_FLAGS))
		return ret;

	/* An Android kernel refuses GH_MEM_LENT: lend through its own ioctl. */
	android = *r;
	android.flags &= ~GH_MEM_LENT;
	ret = xioctl(vm->fd, GH_VM_ANDROID_LEND_USER_MEM, &android);
	if (ret == 0 && !__atomic_exchange_n(&k->use_android_lend, true, __ATOMIC_ACQ_REL)) {
		hyp_add_features(&k->head, HYP_FEATURE_ANDROID_LEND);
		log_notice("The kernel rejects GH_MEM_LENT; lending with GH_VM_ANDROID_LEND_USER_MEM");
	}
	return ret == -ENOTTY ? -EINVAL : ret;
}

static int kernel_set_dtb_config(struct hyp_vm *hvm, const struct gh_vm_dtb_config *c)
{
	return xioctl(to_kernel_vm(hvm)->fd, GH_VM_SET_DTB_CONFIG, c);
}

static int kernel_start(struct hyp_vm *hvm)
{
	return xioctl(to_kernel_vm(hvm)->fd, GH_VM_START, NULL);
}

static int kernel_stop(struct hyp_vm *hvm, const struct gh_vm_stop *s)
{
	return xioctl(to_kernel_vm(hvm)->fd, GH_VM_STOP, s);
}

static int kernel_get_status(struct hyp_vm *hvm, struct gh_vm_status *ret)
{
	return xioctl(to_kernel_vm(hvm)->fd, GH_VM_GET_STATUS, ret);
}

static int kernel_get_fd(struct hyp_vm *hvm)
{
	if (!(hyp_features(hvm->hyp) & HYP_FEATURE_VM_STATUS))
		return -EOPNOTSUPP;
	return to_kernel_vm(hvm)->fd;
}

static void kernel_destroy_vm(struct hyp_vm *hvm)
{
	struct kernel_vm *vm = to_kernel_vm(hvm);

	/* The module tears the VM down on the last close. */
	safe_close(vm->fd);
	free(vm);
}

/* Wraps a console fd (taken over, also on failure): non-blocking, not inherited. */
static int kernel_console_new(struct hyp_vm *hvm, int fd, struct hyp_console **ret)
{
	struct kernel_console *c;
	int flags, r;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->head.hyp = hvm->hyp;
	c->fd = fd;
	*ret = &c->head;
	return 0;
}

static int kernel_open_console(struct hyp_vm *hvm, struct hyp_console **ret)
{
	int fd = xioctl(to_kernel_vm(hvm)->fd, GH_VM_OPEN_CONSOLE, NULL);

	if (fd < 0)
		return fd;
	return kernel_console_new(hvm, fd, ret);
}

static int kernel_adopt_console(struct hyp_vm *hvm, int fd, struct hyp_console **ret)
{
	__u64 lost = 0;	/* the ioctl fills it; gcc -Os (arm64 cross) warns maybe-uninitialized without */

	/* Only a console fd answers GH_CONSOLE_GET_LOST. */
	if (xioctl(fd, GH_CONSOLE_GET_LOST, &lost) < 0) {
		close(fd);
		return -ENOTTY;
	}
	return kernel_console_new(hvm, fd, ret);
}

static ssize_t kernel_console_read(struct hyp_console *c, void *buf, size_t size)
{
	ssize_t n;

	do {
		n = read(to_kernel_console(c)->fd, buf, size);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t kernel_console_write(struct hyp_console *c, const void *buf, size_t size)
{
	ssize_t n;

	do {
		n = write(to_kernel_console(c)->fd, buf, size);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int kernel_console_get_lost(struct hyp_console *c, uint64_t *ret)
{
	__u64 lost = 0;
	int r;

	r = xioctl(to_kernel_console(c)->fd, GH_CONSOLE_GET_LOST, &lost);
	if (r < 0)
		return r;
	*ret = lost;
	return 0;
}

static int kernel_console_get_fd(struct hyp_console *c)
{
	return to_kernel_console(c)->fd;
}

static void kernel_console_close(struct hyp_console *hc)
{
	struct kernel_console *c = to_kernel_console(hc);

	safe_close(c->fd);
	free(c);
}

static void kernel_free(struct hyp *h)
{
	struct kernel *k = (struct kernel *) h;

	safe_close(k->dev_fd);
	free(k);
}

static const struct hyp_ops kernel_ops = {
	.kind = HYP_KIND_KERNEL,
	.create_vm = kernel_create_vm,
	.set_user_mem_region = kernel_set_user_mem_region,
	.set_dtb_config = kernel_set_dtb_config,
	.start = kernel_start,
	.stop = kernel_stop,
	.get_status = kernel_get_status,
	.get_fd = kernel_get_fd,
	.adopt_vm = kernel_adopt_vm,
	.handle_fd = kernel_handle_fd,
	.destroy_vm = kernel_destroy_vm,
	.open_console = kernel_open_console,
	.adopt_console = kernel_adopt_console,
	.console_read = kernel_console_read,
	.console_write = kernel_console_write,
	.console_get_lost = kernel_console_get_lost,
	.console_get_fd = kernel_console_get_fd,
	.console_close = kernel_console_close,
	.free = kernel_free,
};

int hyp_kernel_new(const char *device, struct hyp **ret)
{
	struct kernel *k = calloc(1, sizeof(*k));
	int fd;

	if (!k)
		return -ENOMEM;
	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		free(k);
		return -errno;
	}
	k->head.ops = &kernel_ops;
	k->dev_fd = fd;

	/* Probe with a throw-away VM so that Features is right from the start. */
	fd = ioctl(k->dev_fd, GH_CREATE_VM, 0);
	if (fd >= 0) {
		kernel_probe(k, fd);
		close(fd);
	}
	*ret = &k->head;
	return 0;
}
