/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VM definitions: YAML (schema version 1) -> struct vmdef.
 *
 * The parser knows every key of the schema (docs/yaml.md), even where the
 * feature that uses one lands later. It never logs: every problem becomes a
 * diagnostic with line, column (1-based) and key, and the caller decides
 * where it goes (log, D-Bus ValidateDefinition reply, CLI).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "util/cleanup.h"

#define VMDEF_SCHEMA_VERSION		1
#define VMDEF_NAME_MAX			64	/* characters */
#define VMDEF_MAX_SIZE_DEFAULT		(64u * 1024)	/* bytes of YAML */
#define VMDEF_MAX_DEPTH			16	/* YAML nesting levels */
#define VMDEF_MAX_REGIONS_DEFAULT	32
#define VMDEF_MAX_VCPUS			64
#define VMDEF_MAX_CPU_INDEX		255	/* affinity-map entries; the hypervisor knows the real count */
#define VMDEF_HUGE_PAGE_SIZE		(2ull << 20)	/* memory.hugepages: 2 MiB pages */
#define VMDEF_DEFAULT_MEMORY_BASE	0x80000000ull
#define VMDEF_DEFAULT_DTB_RESERVE	(64u * 1024)	/* room for the RM's overlay */
#define VMDEF_DEFAULT_STOP_TIMEOUT_USEC	(30ull * 1000000)
#define VMDEF_DEFAULT_GICD		0x3fff0000ull
#define VMDEF_DEFAULT_GICR		0x3ffd0000ull
#define VMDEF_DEFAULT_SCHED_PRIORITY	(-1)
#define VMDEF_DEFAULT_SCHED_TIMESLICE	2000u	/* µs */
#define VMDEF_DEFAULT_RESTART_BURST	3u
#define VMDEF_DEFAULT_RESTART_INTERVAL_USEC (60ull * 1000000)
#define VMDEF_FD_PREFIX			"fd:"
#define VMDEF_NO_REGIONS		SIZE_MAX	/* vmdef_parse_opts.max_regions: none allowed */

/* Access bits, identical to GH_MEM_ALLOW_* so they pass straight through. */
#define VMDEF_ACCESS_R	(1u << 0)
#define VMDEF_ACCESS_W	(1u << 1)
#define VMDEF_ACCESS_X	(1u << 2)
#define VMDEF_ACCESS_RWX (VMDEF_ACCESS_R | VMDEF_ACCESS_W | VMDEF_ACCESS_X)

enum vmdef_sharing {
	VMDEF_SHARING_LENT,
	VMDEF_SHARING_SHARED,
	_VMDEF_SHARING_MAX,
	_VMDEF_SHARING_INVALID = -EINVAL,
};

/* memory.hugepages: the page size of guest memory (docs/yaml.md) */
enum vmdef_hugepages {
	VMDEF_HUGEPAGES_AUTO,		/* "auto": shmem THP where enabled, else 4 KiB */
	VMDEF_HUGEPAGES_NEVER,		/* "never": 4 KiB */
	VMDEF_HUGEPAGES_HUGETLB,	/* "hugetlb": hugetlbfs 2 MiB when reserved, else as auto */
	VMDEF_HUGEPAGES_REQUIRED,	/* "required": main memory in hugetlbfs 2 MiB or no VM */
	_VMDEF_HUGEPAGES_MAX,
	_VMDEF_HUGEPAGES_INVALID = -EINVAL,
};

enum vmdef_affinity {
	VMDEF_AFFINITY_STATIC,
	VMDEF_AFFINITY_STICKY,
	VMDEF_AFFINITY_PINNED,
	_VMDEF_AFFINITY_MAX,
	_VMDEF_AFFINITY_INVALID = -EINVAL,
};

enum vmdef_restart {
	VMDEF_RESTART_NO,
	VMDEF_RESTART_ON_FAILURE,
	VMDEF_RESTART_ALWAYS,
	_VMDEF_RESTART_MAX,
	_VMDEF_RESTART_INVALID = -EINVAL,
};

/* How a VM exits, as the RM reports it (VM_EXITED exit_type), plus forced stop. */
enum vmdef_exit_type {
	VMDEF_EXIT_VM_EXIT,		/* "vm-exit" */
	VMDEF_EXIT_PLATFORM_OFF,	/* "platform-off" */
	VMDEF_EXIT_PLATFORM_RESET,	/* "platform-reset" */
	VMDEF_EXIT_SYSTEM_RESET2,	/* "system-reset2" */
	VMDEF_EXIT_WATCHDOG_BITE,	/* "watchdog-bite" */
	VMDEF_EXIT_SOFTWARE_ERROR,	/* "software-error" */
	VMDEF_EXIT_ASYNC_HW_ERROR,	/* "async-hw-error" */
	VMDEF_EXIT_FORCED_STOP,		/* "forced-stop" */
	_VMDEF_EXIT_MAX,
	_VMDEF_EXIT_INVALID = -EINVAL,
};

/* What a graceful stop does to a simulated guest. */
enum vmdef_sim_on_stop {
	VMDEF_SIM_ON_STOP_POWEROFF,	/* "poweroff": exits (platform-off) after stop-delay */
	VMDEF_SIM_ON_STOP_IGNORE,	/* "ignore": keeps running; the daemon must force */
	_VMDEF_SIM_ON_STOP_MAX,
	_VMDEF_SIM_ON_STOP_INVALID = -EINVAL,
};

/* Where a key sits in its document: 1-based, 0 when not from a document. */
struct vmdef_mark {
	unsigned line;
	unsigned column;
};

struct vmdef_region {
	uint32_t label;			/* non-zero, unique; 0 is main memory */
	uint64_t base;			/* guest physical, page aligned */
	uint64_t size;			/* bytes, page aligned, non-zero */
	uint32_t access;		/* VMDEF_ACCESS_* */
	enum vmdef_sharing sharing;
	struct vmdef_mark mark;		/* the list item */
};

/*
 * Simulated-hypervisor behaviour for this VM (key `simulate`). Ignored by
 * the kernel backend. Durations are µs; 0 means "never" for exit_after.
 */
#define VMDEF_SIM_BANNER_MAX	255	/* bytes of simulate.console-banner */
#define VMDEF_SIM_FLOOD_MAX	(1ull << 40)	/* bytes of simulate.console-flood */

struct vmdef_sim {
	bool fail_start;		/* start: fail */
	int start_errno;		/* start-errno: errno name, default EIO */
	uint64_t start_delay_usec;	/* start-delay */
	uint64_t exit_after_usec;	/* exit-after: guest exits by itself */
	enum vmdef_exit_type exit_type;	/* exit-type, default vm-exit */
	uint32_t exit_code;		/* exit-code, for vm-exit (0 = NORMAL) */
	enum vmdef_sim_on_stop on_stop;	/* on-stop, default poweroff */
	uint64_t stop_delay_usec;	/* stop-delay, default 0 */
	bool console_echo;		/* console-echo, default true: input comes back as output */
	bool has_console_banner;	/* console-banner given; else one naming the VM */
	char console_banner[VMDEF_SIM_BANNER_MAX + 1];	/* "" = no banner */
	uint64_t console_flood;		/* console-flood: bytes of output after the banner */
};

/* The defaults of a simulate block (and of a sim VM without one). */
void vmdef_sim_init(struct vmdef_sim *s);

struct vmdef {
	char *origin;			/* file path, or a label such as "<transient>" */
	bool transient;			/* parsed with vmdef_parse_opts.transient */
	uint64_t digest;		/* of the source text: equal for an unchanged file */
	char *text;			/* the source text, NUL-terminated (the state file keeps it) */
	size_t text_size;		/* bytes, without the NUL */

	char *name;
	bool autostart;
	uint32_t vcpus;			/* 1..VMDEF_MAX_VCPUS, default 1 */

	struct vmdef_memory {
		uint64_t base;		/* 2 MiB aligned, default VMDEF_DEFAULT_MEMORY_BASE */
		uint64_t size;		/* page aligned, required */
		enum vmdef_sharing sharing;	/* default lent */
		uint32_t access;	/* default rwx */
		enum vmdef_hugepages hugepages;	/* default auto; every parcel */
		struct vmdef_mark mark;
	} memory;

	char *kernel;			/* path, or "fd:KEY" in transient definitions */
	struct vmdef_mark kernel_mark;
	char *ramdisk;			/* optional, same rules */
	struct vmdef_mark ramdisk_mark;
	bool has_ramdisk_offset;
	uint64_t ramdisk_offset;	/* ramdisk-offset: bytes into main memory */
	struct vmdef_mark ramdisk_offset_mark;
	char *cmdline;			/* optional; NULL when absent */

	struct vmdef_devicetree {
		char *image_name;	/* image-name, < 80 chars, default = name */
		char *os_type;		/* os-type, default "linux" */
		enum vmdef_affinity affinity;	/* vcpu-affinity, default static */
		/* affinity-map: the physical CPU of each vCPU; none: vCPU i on CPU i */
		uint32_t n_affinity_map;	/* 0, or vcpus */
		uint32_t affinity_map[VMDEF_MAX_VCPUS];
		struct vmdef_mark affinity_map_mark;
		int32_t sched_priority;	/* -32..-1, default -1 */
		uint32_t sched_timeslice;	/* µs, 100..100000, default 2000 */
		uint64_t gic_dist;	/* gic.dist, 64 KiB aligned */
		uint64_t gic_redist;	/* gic.redist, 64 KiB aligned (see dtb_gic_layout) */
		char *overlay;		/* overlay: path or "fd:KEY" to a .dtbo, optional */
		struct vmdef_mark overlay_mark;
		bool has_offset;
		uint64_t offset;	/* offset: bytes into main memory, 8-byte aligned */
		struct vmdef_mark offset_mark;
		uint64_t reserve;	/* reserve: room for the RM's overlay after the blob */
		struct vmdef_mark mark;
	} devicetree;

	struct vmdef_region *regions;
	size_t n_regions;

	struct vmdef_restart_policy {
		enum vmdef_restart policy;	/* default no */
		uint32_t burst;		/* restarts allowed per interval, default 3 */
		uint64_t interval_usec;	/* default 60 s */
	} restart;

	uint64_t stop_timeout_usec;	/* stop-timeout, default 30 s */

	bool has_sim;
	struct vmdef_sim sim;
};

struct vmdef_parse_opts {
	bool transient;			/* files must be fd:KEY; plain paths refused */
	bool any_files;			/* accept absolute paths and fd:KEY (validation only) */
	size_t max_size;		/* bytes of YAML; 0 = VMDEF_MAX_SIZE_DEFAULT */
	size_t max_regions;		/* 0 = VMDEF_MAX_REGIONS_DEFAULT; VMDEF_NO_REGIONS: none */
};

/*
 * Parses one document. On success returns 0 and fills *ret_def. When the
 * document is invalid returns -EINVAL and appends every problem found to
 * *reterr (the parser carries on past an error where it can, so one call
 * reports them all). Other negative errnos: -ENOMEM.
 */
int vmdef_parse_string(const char *origin, const char *text, size_t len,
		       const struct vmdef_parse_opts *opts, struct vmdef **ret_def,
		       struct def_diags *reterr);

/*
 * Reads and parses a file. Besides vmdef_parse_string()'s errors: -EFBIG
 * with a diagnostic at 1:1 for a file over the size limit; the open/read
 * errno (with a diagnostic) when the file cannot be read.
 */
int vmdef_parse_file(const char *path, const struct vmdef_parse_opts *opts,
		     struct vmdef **ret_def, struct def_diags *reterr);

struct vmdef *vmdef_free(struct vmdef *def);
GH_DEFINE_FREEP(struct vmdef, vmdef_free)

/* Deep copy, for keeping a definition while its file changes. */
int vmdef_dup(const struct vmdef *def, struct vmdef **ret);

bool vmdef_name_is_valid(const char *name);

/* "lent"/"shared", "static"/"sticky"/"pinned", "no"/"on-failure"/"always", exit types. */
const char *vmdef_sharing_to_string(enum vmdef_sharing s);
enum vmdef_sharing vmdef_sharing_from_string(const char *s);
const char *vmdef_hugepages_to_string(enum vmdef_hugepages h);
enum vmdef_hugepages vmdef_hugepages_from_string(const char *s);
const char *vmdef_affinity_to_string(enum vmdef_affinity a);
enum vmdef_affinity vmdef_affinity_from_string(const char *s);
const char *vmdef_restart_to_string(enum vmdef_restart r);
enum vmdef_restart vmdef_restart_from_string(const char *s);
const char *vmdef_exit_type_to_string(enum vmdef_exit_type t);
enum vmdef_exit_type vmdef_exit_type_from_string(const char *s);
const char *vmdef_sim_on_stop_to_string(enum vmdef_sim_on_stop s);
enum vmdef_sim_on_stop vmdef_sim_on_stop_from_string(const char *s);

/* "r", "rw", "rx", "rwx" (letters in that order, non-empty) <-> VMDEF_ACCESS_*. */
int vmdef_access_from_string(const char *s, uint32_t *ret);
const char *vmdef_access_to_string(uint32_t access);

/* simulate.start-errno: "EIO", "ETIMEDOUT", ... -> EIO, ...; -EINVAL for others. */
int vmdef_sim_errno_from_string(const char *s);

