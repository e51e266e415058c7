/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hypervisor backend interface: the /dev/gunyah ioctls as function calls.
 *
 * Two implementations: `kernel` (hyp-kernel.c, ioctls on /dev/gunyah) and
 * `sim` (hyp-sim.c, in-process, with the module's documented semantics and
 * errnos). Every call returns 0 (or a count) or a negative errno exactly as
 * the ioctl would; the conformance suite (tests/daemon/test-hyp-conformance.c)
 * runs the same assertions against both.
 *
 * Threading: hyp_vm_start() may block for seconds (several RM calls, each
 * with a timeout), so the daemon runs it on a worker thread. While it runs
 * no other call is made on that VM; calls on other VMs may run concurrently
 * on the loop thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/gunyah.h>

#include "util/cleanup.h"

struct vmdef_sim;

enum hyp_feature {
	HYP_FEATURE_VM_STATUS = 1u << 0,	/* GH_VM_GET_STATUS + pollable VM fd */
	HYP_FEATURE_VM_STOP = 1u << 1,		/* GH_VM_STOP */
	HYP_FEATURE_ANDROID_LEND = 1u << 2,	/* GH_VM_ANDROID_LEND_USER_MEM fallback in use */
	HYP_FEATURE_CONSOLE = 1u << 3,		/* GH_VM_OPEN_CONSOLE */
	_HYP_FEATURE_ALL = (1u << 4) - 1,
};

enum hyp_kind {
	HYP_KIND_KERNEL,
	HYP_KIND_SIM,
	_HYP_KIND_MAX,
	_HYP_KIND_INVALID = -EINVAL,
};

struct hyp;
struct hyp_vm;
struct hyp_console;

struct hyp_ops {
	enum hyp_kind kind;
	int (*create_vm)(struct hyp *h, unsigned long arg, struct hyp_vm **ret);
	int (*set_user_mem_region)(struct hyp_vm *vm, const struct gh_userspace_memory_region *r);
	int (*set_dtb_config)(struct hyp_vm *vm, const struct gh_vm_dtb_config *c);
	int (*start)(struct hyp_vm *vm);
	int (*stop)(struct hyp_vm *vm, const struct gh_vm_stop *s);
	int (*get_status)(struct hyp_vm *vm, struct gh_vm_status *ret);
	int (*get_fd)(struct hyp_vm *vm);
	int (*set_sim)(struct hyp_vm *vm, const struct vmdef_sim *sim);
	int (*adopt_vm)(struct hyp *h, int fd, struct hyp_vm **ret);
	int (*handle_fd)(struct hyp_vm *vm);
	void (*destroy_vm)(struct hyp_vm *vm);
	int (*open_console)(struct hyp_vm *vm, struct hyp_console **ret);
	int (*adopt_console)(struct hyp_vm *vm, int fd, struct hyp_console **ret);
	ssize_t (*console_read)(struct hyp_console *c, void *buf, size_t size);
	ssize_t (*console_write)(struct hyp_console *c, const void *buf, size_t size);
	int (*console_get_lost)(struct hyp_console *c, uint64_t *ret);
	int (*console_get_fd)(struct hyp_console *c);
	void (*console_close)(struct hyp_console *c);
	void (*free)(struct hyp *h);
};

/* Common head of every backend instance. */
struct hyp {
	const struct hyp_ops *ops;
	unsigned features;		/* enum hyp_feature */
};

/* Common head of every backend VM. */
struct hyp_vm {
	struct hyp *hyp;
};

/* Common head of every backend console (one open console fd). */
struct hyp_console {
	struct hyp *hyp;
};

/* The simulated hypervisor. Never fails except -ENOMEM. */
int hyp_sim_new(struct hyp **ret);

/*
 * The kernel backend on `device` (normally /dev/gunyah). -ENOENT when the
 * device is missing. The extensions are probed with a throw-away VM; when
 * the probe cannot run (RM down), again on the first VM.
 */
int hyp_kernel_new(const char *device, struct hyp **ret);

struct hyp *hyp_free(struct hyp *h);
GH_DEFINE_FREEP(struct hyp, hyp_free)

const char *hyp_kind_to_string(enum hyp_kind k);
enum hyp_kind hyp_kind_from_string(const char *s);
static inline enum hyp_kind hyp_kind(const struct hyp *h)
{
	return h->ops->kind;
}

/* Features may be learnt on a worker thread (the first VM's probe): atomic. */
static inline unsigned hyp_features(const struct hyp *h)
{
	return __atomic_load_n(&h->features, __ATOMIC_ACQUIRE);
}

static inline void hyp_add_features(struct hyp *h, unsigned features)
{
	__atomic_fetch_or(&h->features, features, __ATOMIC_RELEASE);
}

/* Feature names for Manager1.Features: "vm-status", "vm-stop", "android-lend", "console". */
const char *hyp_feature_to_string(enum hyp_feature f);

/* GH_CREATE_VM: arg must be 0 (-EINVAL); -ENODEV past 63 VMs (the RM's VMIDs 0x80..0xBE). */
int hyp_create_vm(struct hyp *h, unsigned long arg, struct hyp_vm **ret);
/* GH_VM_SET_USER_MEM_REGION: memory_size == 0 deletes by label. */
int hyp_vm_set_user_mem_region(struct hyp_vm *vm, const struct gh_userspace_memory_region *r);
int hyp_vm_set_dtb_config(struct hyp_vm *vm, const struct gh_vm_dtb_config *c);
/* GH_VM_START; may block (see above). */
int hyp_vm_start(struct hyp_vm *vm);
/* GH_VM_STOP; -ENOTTY when the backend lacks the extension. */
int hyp_vm_stop(struct hyp_vm *vm, const struct gh_vm_stop *s);
/* GH_VM_GET_STATUS; -ENOTTY without the extension. Re-arms the poll fd. */
int hyp_vm_get_status(struct hyp_vm *vm, struct gh_vm_status *ret);
/* The fd to poll for status changes (EPOLLIN), or -EOPNOTSUPP. Owned by vm. */
int hyp_vm_get_fd(struct hyp_vm *vm);
/* Simulated behaviour; -EOPNOTSUPP on the kernel backend. */
int hyp_vm_set_sim(struct hyp_vm *vm, const struct vmdef_sim *sim);
/*
 * A VM that outlived the process that created it: fd is a VM fd a previous
 * gunyahd left in systemd's fd store. Takes ownership of fd (also on
 * failure). -EOPNOTSUPP when VMs are not fds (sim); -ENOTTY when fd is not
 * a VM fd of this module with GH_VM_GET_STATUS.
 */
int hyp_vm_adopt(struct hyp *h, int fd, struct hyp_vm **ret);
/*
 * The fd that holds the VM: the backend tears the VM down when its last
 * copy is closed. Owned by vm. -EOPNOTSUPP when VMs are not fds (sim).
 */
int hyp_vm_handle_fd(struct hyp_vm *vm);
/* close(vm fd): the backend tears the VM down. NULL-safe; returns NULL. */
struct hyp_vm *hyp_vm_destroy(struct hyp_vm *vm);
GH_DEFINE_FREEP(struct hyp_vm, hyp_vm_destroy)

/*
 * GH_VM_OPEN_CONSOLE: a new reader and writer of the VM's console, with
 * its own position (output from the first byte the backend still holds).
 * -ENOTTY when the backend has no console (HYP_FEATURE_CONSOLE absent).
 * Never blocks: reads and writes answer -EAGAIN instead.
 */
int hyp_vm_open_console(struct hyp_vm *vm, struct hyp_console **ret);
/*
 * A console fd of vm that a previous gunyahd left in the fd store, with
 * its position: taken over (closed on failure too). -EOPNOTSUPP on the sim.
 */
int hyp_vm_adopt_console(struct hyp_vm *vm, int fd, struct hyp_console **ret);
/* Output: bytes read, 0 once the VM exited and all was read, -EAGAIN for now. */
ssize_t hyp_console_read(struct hyp_console *c, void *buf, size_t size);
/* Input to the guest: bytes taken, -EAGAIN (queue full), -EPIPE once the VM exited. */
ssize_t hyp_console_write(struct hyp_console *c, const void *buf, size_t size);
/* GH_CONSOLE_GET_LOST: output this console skipped because the backend's ring overtook it. */
int hyp_console_get_lost(struct hyp_console *c, uint64_t *ret);
/* The fd to poll: readable with output or at its end, writable when input is taken. */
int hyp_console_get_fd(struct hyp_console *c);
/* NULL-safe; returns NULL. May outlive its VM (it then reads its end). */
struct hyp_console *hyp_console_close(struct hyp_console *c);
GH_DEFINE_FREEP(struct hyp_console, hyp_console_close)
