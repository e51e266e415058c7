/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the in-guest tests of gunyah.ko: TAP output, ioctls, guest
 * memory and devicetrees, module parameters and the RM emulator's control
 * socket. Plain C and libfdt only, so that the tests link statically for
 * x86_64 and arm64 initramfs images.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/gunyah.h>

#define GT_PAGE		4096ul
#define GT_DTB_SLOT	(64u * 1024)	/* bytes reserved for the blob + RM overlay */
#define GT_MEM_BASE	0x80000000ull
#define GT_SHM_BASE	0xc0000000ull

/* ---- TAP ---- */
bool gt_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool gt_is(long long got, long long want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void gt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gt_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void gt_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan; returns the exit status (0 when every test passed) */
int gt_done(void);
/* Milliseconds, monotonic */
long long gt_now_ms(void);

/* ---- ioctls ---- */
int gt_ioctl(int fd, unsigned long req, const void *arg);	/* result or -errno */
int gt_open_gunyah(void);		/* bails out on failure */
int gt_create_vm(int dev);		/* fd or -errno */
int gt_status(int vm, struct gh_vm_status *st);
bool gt_readable(int fd, int timeout_ms);
/* Waits until exit_status != NONE; 0 or -ETIMEDOUT */
int gt_wait_exit(int vm, struct gh_vm_status *st, int timeout_ms);
int gt_region(int vm, uint32_t label, uint32_t flags, uint64_t gpa, uint64_t size, void *mem);

/* ---- guest memory ---- */
void *gt_map(size_t size);		/* zeroed shared memory (memfd), bails out */
/*
 * Writes a devicetree the RM's VM_INIT accepts (one vCPU, memory at base)
 * into the last GT_DTB_SLOT bytes of mem and returns its offset in mem;
 * shm_label != 0 adds an shm vdevice for that label at GT_SHM_BASE. It has
 * an rm-rpc vdevice (the guest's RM link, which a graceful GH_VM_STOP
 * needs) unless gt_dtb_rm_rpc is false, with console-dev (the RM gives the
 * VM a console) unless gt_dtb_console is false.
 */
extern bool gt_dtb_rm_rpc;
extern bool gt_dtb_console;
uint64_t gt_write_dtb(void *mem, size_t size, uint64_t base, uint32_t shm_label);

/*
 * A bootable VM: a lent RWX main region (label 0) of mem_size bytes at
 * GT_MEM_BASE holding the devicetree, an optional shared RW region (label 1)
 * of 2 pages at GT_SHM_BASE, and the DTB config.
 */
struct gt_vm {
	int fd;
	uint16_t vmid;
	void *mem;
	size_t mem_size;
	void *shm;
	size_t shm_size;
	uint64_t dtb_offset;
};

/* 0 or -errno of the failing step (the fd is closed then) */
int gt_vm_new(struct gt_vm *vm, int dev, size_t mem_size, bool with_shm);
void gt_vm_close(struct gt_vm *vm);

/* ---- module parameters (/sys/module/gunyah/parameters) ---- */
long long gt_param(const char *name);		/* -1 when unreadable */
int gt_param_str(const char *name, char *buf, size_t size);	/* 0 or -errno */
int gt_param_set(const char *name, const char *value);
long long gt_module_refcnt(void);		/* /sys/module/gunyah/refcnt, -1 if absent */

/* ---- RM emulator control socket ($GH_EMU_CONTROL, default /run/gh-rm-emu.sock) ---- */
/*
 * Sends one command; *ret_out (if not NULL) receives the reply lines
 * without the status line (malloc'd, NUL-terminated). Returns 0 for OK,
 * 1 for ERR (the message goes to a diagnostic), -errno when the emulator
 * cannot be reached.
 */
int gt_emu(char **ret_out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* gt_emu() that must answer OK; bails out otherwise */
void gt_emu_must(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Value of key=<number> in `stats`; -1 when absent */
long long gt_emu_stat(const char *key);
/* Value of "key=" in one line, copied into buf; false when absent */
bool gt_field(const char *line, const char *key, char *buf, size_t size);
/* Numeric value of "key=" in a line (base auto-detected); -1 when absent */
long long gt_field_num(const char *line, const char *key);
/* Number of lines of text; line i (0-based) copied into buf */
size_t gt_lines(const char *text);
bool gt_line(const char *text, size_t i, char *buf, size_t size);
