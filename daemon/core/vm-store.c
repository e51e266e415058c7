/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state file: "key=value" lines (the table below), a blank line, then
 * the definition text and the devicetree blob, their sizes given by the
 * "definition" and "devicetree" keys. Written to a temporary file and
 * renamed over the old one, so a reader sees one version or the other.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "console.h"
#include "guest.h"
#include "hyp.h"
#include "loader.h"
#include "manager.h"
#include "util/fdstore.h"
#include "util/io-util.h"
#include "util/log.h"
#include "util/string-util.h"
#include "vm-instance.h"
#include "vm-store.h"
#include "vmdef.h"
#include "ydoc.h"

#define STATE_SUFFIX ".state"
#define STATE_MAX_SIZE (8u << 20)	/* definition (64 KiB at most) + devicetree */
#define STATE_VERSION 1

/* ------------------------------------------------------------------ */
/* fd names */

static void name_vm(char buf[static FDSTORE_NAME_MAX + 1], const char *vm)
{
	snprintf(buf, FDSTORE_NAME_MAX + 1, "vm-%s", vm);
}

static void name_console(char buf[static FDSTORE_NAME_MAX + 1], const char *vm)
{
	snprintf(buf, FDSTORE_NAME_MAX + 1, "con-%s", vm);
}

static void name_mem(char buf[static FDSTORE_NAME_MAX + 1], const char *vm, uint32_t label)
{
	snprintf(buf, FDSTORE_NAME_MAX + 1, "mem-%s-%" PRIu32, vm, label);
}

/* A transient VM's passed files: its images exist nowhere else. */
static const struct {
	const char *key;
	size_t offset;
} store_files[] = {
	{ "kernel", offsetof(struct loader_files, kernel_fd) },
	{ "ramdisk", offsetof(struct loader_files, ramdisk_fd) },
	{ "overlay", offsetof(struct loader_files, overlay_fd) },
};

static int *file_fd(struct loader_files *files, size_t i)
{
	return (int *) ((char *) files + store_files[i].offset);
}

static void name_file(char buf[static FDSTORE_NAME_MAX + 1], const char *vm, size_t i)
{
	snprintf(buf, FDSTORE_NAME_MAX + 1, "file-%s-%s", vm, store_files[i].key);
}

int vm_store_fds_take(struct vm_store_fds *ret)
{
	char **names = NULL;
	int n;

	*ret = (struct vm_store_fds) {};
	n = sd_listen_fds_with_names(true, &names);
	if (n <= 0) {
		free(names);
		return n;
	}
	ret->fds = calloc(n, sizeof(int));
	if (!ret->fds) {
		for (int i = 0; i < n; i++)
			close(SD_LISTEN_FDS_START + i);
		for (char **s = names; s && *s; s++)
			free(*s);
		free(names);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		ret->fds[i] = SD_LISTEN_FDS_START + i;
	ret->names = names;
	ret->n = n;
	return n;
}

/* The fd stored as name, taken out of f; -ENOENT when there is none. */
static int fds_take(struct vm_store_fds *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->fds[i] >= 0 && f->names && f->names[i] && !strcmp(f->names[i], name)) {
			int fd = f->fds[i];

			f->fds[i] = -1;
			return fd;
		}
	}
	return -ENOENT;
}

void vm_store_fds_done(struct vm_store_fds *f)
{
	bool dropped = false;

	for (size_t i = 0; i < f->n; i++) {
		const char *name = f->names && f->names[i] ? f->names[i] : "unknown";

		if (f->fds[i] < 0)
			continue;
		log_warning("Stored fd '%s' belongs to no VM gunyahd knows: closing it (the module "
			    "tears down a VM that only it held)", name);
		(void) fdstore_remove(name);
		dropped = true;
	}
	/* PID 1 lets go of its copies first: our close is the last, and waits for the teardown. */
	if (dropped)
		(void) fdstore_sync();
	for (size_t i = 0; i < f->n; i++) {
		safe_close(f->fds[i]);
		free(f->names ? f->names[i] : NULL);
	}
	free(f->names);
	free(f->fds);
	*f = (struct vm_store_fds) {};
}

/* ------------------------------------------------------------------ */
/* Storing and forgetting an instance's fds */

static int store_instance_fds(struct vm_instance *inst)
{
	char name[FDSTORE_NAME_MAX + 1];
	int fd, r;

	fd = hyp_vm_handle_fd(inst->hvm);
	if (fd < 0)
		return fd;
	name_vm(name, inst->def->name);
	r = fdstore_add(name, &fd, 1);
	if (r <= 0)
		return r < 0 ? r : -ENXIO;
	inst->stored = true;
	for (size_t i = 0; i < inst->guest->n_regions; i++) {
		const struct guest_region *reg = &inst->guest->regions[i];

		if (reg->fd < 0)
			continue;
		name_mem(name, inst->def->name, reg->label);
		r = fdstore_add(name, &reg->fd, 1);
		if (r < 0)
			return r;
	}
	return 0;
}

void vm_store_forget(struct vm_instance *inst)
{
	char name[FDSTORE_NAME_MAX + 1];
	int r;

	if (!inst->stored)
		return;
	inst->stored = false;
	name_vm(name, inst->def->name);
	r = fdstore_remove(name);
	name_console(name, inst->def->name);
	if (r >= 0)
		r = fdstore_remove(name);
	for (size_t i = 0; r >= 0 && inst->guest && i < inst->guest->n_regions; i++) {
		name_mem(name, inst->def->name, inst->guest->regions[i].label);
		r = fdstore_remove(name);
	}
	if (r >= 0)
		r = fdstore_sync();
	if (r < 0)
		log_errno(LOG_WARNING, r, "VM '%s': cannot take its fds out of the store (PID 1 "
			  "may hold the VM until gunyahd stops): %m", inst->def->name);
}

/* ------------------------------------------------------------------ */
/* The state file */

struct state {
	char *name;
	char *origin;
	bool transient;
	uint16_t vmid;
	struct vm_saved saved;
	struct guest_region *regions;
	size_t n_regions;
	struct guest_extent kernel, ramdisk, dtb;
	uint64_t dtb_reserve;
	uint64_t definition_size, devicetree_size;
	unsigned version;
};

static void state_done(struct state *s)
{
	safe_close(s->saved.console_fd);
	free(s->name);
	free(s->origin);
	free(s->saved.reason);
	free(s->regions);
	*s = (struct state) {};
}

static char *state_path(const struct manager *m, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s" STATE_SUFFIX, m->store_dir, name) < 0 ? NULL : p;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void state_print(FILE *f, const struct vm *vm, const struct vm_saved *s)
{
	const struct vm_instance *inst = &vm->inst;
	const struct guest *g = inst->guest;

	fprintf(f, "# gunyahd: a live VM, for the next gunyahd (docs/integration.md)\n"
		"version=%u\nname=%s\norigin=%s\ntransient=%s\nvmid=%u\n"
		"state=%s\nreason=%s\nexit-type=%s\nexit-code=%" PRIu32 "\n"
		"restart-count=%u\nburst-start-usec=%" PRIu64 "\nburst-count=%u\n"
		"stop-requested=%s\nrestart-pending=%s\n"
		"created-usec=%" PRIu64 "\nstarted-usec=%" PRIu64 "\n",
		STATE_VERSION, vm->name, inst->def->origin, yes_no(vm->transient), inst->vmid,
		vm_state_to_string(s->state), s->reason,
		s->exit_type >= 0 ? vmdef_exit_type_to_string(s->exit_type) : "none",
		s->exit_code, s->restart_count, s->burst_start_usec, s->burst_count,
		yes_no(s->stop_requested), yes_no(s->restart_pending), s->created_usec,
		s->started_usec);
	for (size_t i = 0; i < g->n_regions; i++) {
		const struct guest_region *r = &g->regions[i];

		fprintf(f, "region=%" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu32 " %s\n",
			r->label, r->gpa, r->size, r->flags, guest_pages_to_string(r->pages));
	}
	fprintf(f, "kernel=%" PRIu64 " %" PRIu64 "\nramdisk=%" PRIu64 " %" PRIu64 "\n"
		"dtb=%" PRIu64 " %" PRIu64 " %" PRIu64 "\n"
		"definition=%zu\ndevicetree=%zu\n\n",
		g->kernel.offset, g->kernel.size, g->ramdisk.offset, g->ramdisk.size,
		g->dtb.offset, g->dtb.size, g->dtb_reserve, inst->def->text_size,
		g->dtb_blob_size);
	fwrite(inst->def->text, 1, inst->def->text_size, f);
	fwrite(g->dtb_blob, 1, g->dtb_blob_size, f);
}

static int write_atomic(const char *path, const char *data, size_t size)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	r = loop_write(fd, data, size);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void) unlink(tmp);
	return r;
}

void vm_store_save(struct vm *vm)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	struct vm_saved s;
	size_t size = 0;
	FILE *f;
	int r;

	if (!vm->manager->store_dir)
		return;
	path = state_path(vm->manager, vm->name);
	if (!path) {
		log_error("VM '%s': cannot save its state: out of memory", vm->name);
		return;
	}
	if (!vm->inst.stored) {
		if (unlink(path) < 0 && errno != ENOENT)
			log_errno(LOG_WARNING, -errno, "VM '%s': cannot remove %s: %m", vm->name, path);
		return;
	}
	f = open_memstream(&buf, &size);
	if (!f) {
		log_error("VM '%s': cannot save its state: out of memory", vm->name);
		return;
	}
	vm_save(vm, &s);
	state_print(f, vm, &s);
	r = fclose(f) < 0 ? -ENOMEM : write_atomic(path, buf, size);
	if (r < 0)
		log_errno(LOG_ERR, r, "VM '%s': cannot write %s, it will not survive a restart of "
			  "gunyahd: %m", vm->name, path);
}

/* A transient VM's files, once: they stay as long as the VM. */
static void store_files_of(struct vm *vm)
{
	char name[FDSTORE_NAME_MAX + 1];
	int r;

	if (!vm->transient || vm->files_stored)
		return;
	for (size_t i = 0; i < ELEMENTSOF(store_files); i++) {
		int fd = *file_fd(&vm->files, i);

		if (fd < 0)
			continue;
		name_file(name, vm->name, i);
		r = fdstore_add(name, &fd, 1);
		if (r < 0)
			log_errno(LOG_WARNING, r, "VM '%s': cannot keep its %s in systemd's fd store: "
				  "%m", vm->name, store_files[i].key);
	}
	vm->files_stored = true;
}

void vm_store_forget_files(struct vm *vm)
{
	char name[FDSTORE_NAME_MAX + 1];

	if (!vm->files_stored)
		return;
	vm->files_stored = false;
	for (size_t i = 0; i < ELEMENTSOF(store_files); i++) {
		name_file(name, vm->name, i);
		(void) fdstore_remove(name);
	}
}

void vm_store_attach(struct vm *vm)
{
	char name[FDSTORE_NAME_MAX + 1];
	int fd, r;

	/* An adopted instance is in the store already; its state comes with its status. */
	if (!vm->manager->store_dir || vm->inst.stored)
		return;
	store_files_of(vm);
	r = store_instance_fds(&vm->inst);
	if (r < 0) {
		log_errno(LOG_WARNING, r, "VM '%s': cannot keep its fds in systemd's fd store, it "
			  "will not survive a restart of gunyahd: %m", vm->name);
		vm_store_forget(&vm->inst);
	} else if ((fd = console_backend_fd(vm->console)) >= 0) {
		/* Its position too: the next gunyahd reads on from there. */
		name_console(name, vm->name);
		r = fdstore_add(name, &fd, 1);
		if (r < 0)
			log_errno(LOG_WARNING, r, "VM '%s': cannot keep its console in systemd's fd "
				  "store: %m", vm->name);
	}
	vm_store_save(vm);
}

/* ------------------------------------------------------------------ */
/* Reading a state file: a parser table */

static int parse_u64(const char *v, uint64_t *ret)
{
	char *end;

	errno = 0;
	*ret = strtoull(v, &end, 10);
	return errno || end == v || *end || *v == '-' ? -EINVAL : 0;
}

static int parse_uint(const char *v, void *p)
{
	uint64_t u;

	if (parse_u64(v, &u) < 0 || u > UINT32_MAX)
		return -EINVAL;
	*(unsigned *) p = (unsigned) u;
	return 0;
}

static int parse_u64_field(const char *v, void *p)
{
	return parse_u64(v, p);
}

static int parse_vmid(const char *v, void *p)
{
	unsigned u;

	if (parse_uint(v, &u) < 0 || u > UINT16_MAX)
		return -EINVAL;
	*(uint16_t *) p = (uint16_t) u;
	return 0;
}

static int parse_bool(const char *v, void *p)
{
	if (strcmp(v, "yes") && strcmp(v, "no"))
		return -EINVAL;
	*(bool *) p = !strcmp(v, "yes");
	return 0;
}

static int parse_string(const char *v, void *p)
{
	return free_and_strdup(p, v);
}

static int parse_state(const char *v, void *p)
{
	enum vm_state s = vm_state_from_string(v);

	if (s < 0)
		return -EINVAL;
	*(enum vm_state *) p = s;
	return 0;
}

static int parse_exit_type(const char *v, void *p)
{
	int t = strcmp(v, "none") ? (int) vmdef_exit_type_from_string(v) : -1;

	if (t < -1)
		return -EINVAL;
	*(int *) p = t;
	return 0;
}

static int parse_extent(const char *v, void *p)
{
	struct guest_extent *e = p;

	return sscanf(v, "%" SCNu64 " %" SCNu64, &e->offset, &e->size) == 2 ? 0 : -EINVAL;
}

static int parse_dtb(const char *v, void *p)
{
	struct state *s = p;

	return sscanf(v, "%" SCNu64 " %" SCNu64 " %" SCNu64, &s->dtb.offset, &s->dtb.size,
		      &s->dtb_reserve) == 3 ? 0 : -EINVAL;
}

static int parse_region(const char *v, void *p)
{
	struct state *s = p;
	struct guest_region r = { .fd = -EBADF };
	char pages[16];
	void *n;

	if (sscanf(v, "%" SCNu32 " %" SCNu64 " %" SCNu64 " %" SCNu32 " %15s", &r.label, &r.gpa,
		   &r.size, &r.flags, pages) != 5)
		return -EINVAL;
	for (r.pages = 0; r.pages < _GUEST_PAGES_MAX; r.pages++)
		if (!strcmp(guest_pages_to_string(r.pages), pages))
			break;
	if (r.pages == _GUEST_PAGES_MAX)
		return -EINVAL;
	n = reallocarray(s->regions, s->n_regions + 1, sizeof(r));
	if (!n)
		return -ENOMEM;
	s->regions = n;
	s->regions[s->n_regions++] = r;
	return 0;
}

#define F(key, fn, member) { key, fn, offsetof(struct state, member) }
static const struct state_field {
	const char *key;
	int (*parse)(const char *value, void *p);
	size_t offset;
} state_fields[] = {
	F("version", parse_uint, version),
	F("name", parse_string, name),
	F("origin", parse_string, origin),
	F("transient", parse_bool, transient),
	F("vmid", parse_vmid, vmid),
	F("state", parse_state, saved.state),
	F("reason", parse_string, saved.reason),
	F("exit-type", parse_exit_type, saved.exit_type),
	F("exit-code", parse_uint, saved.exit_code),
	F("restart-count", parse_uint, saved.restart_count),
	F("burst-start-usec", parse_u64_field, saved.burst_start_usec),
	F("burst-count", parse_uint, saved.burst_count),
	F("stop-requested", parse_bool, saved.stop_requested),
	F("restart-pending", parse_bool, saved.restart_pending),
	F("created-usec", parse_u64_field, saved.created_usec),
	F("started-usec", parse_u64_field, saved.started_usec),
	{ "region", parse_region, 0 },
	F("kernel", parse_extent, kernel),
	F("ramdisk", parse_extent, ramdisk),
	{ "dtb", parse_dtb, 0 },
	F("definition", parse_u64_field, definition_size),
	F("devicetree", parse_u64_field, devicetree_size),
};
#undef F

static int state_parse_line(struct state *s, char *line)
{
	char *eq = strchr(line, '=');

	if (line[0] == '#')
		return 0;
	if (!eq)
		return -EINVAL;
	*eq = 0;
	for (size_t i = 0; i < ELEMENTSOF(state_fields); i++)
		if (!strcmp(state_fields[i].key, line))
			return state_fields[i].parse(eq + 1, (char *) s + state_fields[i].offset);
	return 0;	/* a newer gunyahd's key: ignored */
}

/*
 * Parses the head of buf into s; *ret_body is where the definition text
 * starts. Every key up to the blank line.
 */
static int state_parse(char *buf, size_t size, struct state *s, const char **ret_body)
{
	char *p = buf, *end = buf + size;
	int r;

	s->saved.exit_type = -1;
	s->saved.console_fd = -EBADF;
	while (p < end) {
		char *nl = memchr(p, '\n', end - p);

		if (!nl)
			return -EINVAL;
		*nl = 0;
		if (p == nl) {
			*ret_body = nl + 1;
			break;
		}
		r = state_parse_line(s, p);
		if (r < 0)
			return r;
		p = nl + 1;
	}
	if (p >= end || s->version != STATE_VERSION || !s->name || !s->origin || !s->saved.reason ||
	    s->n_regions == 0 ||
	    s->definition_size + s->devicetree_size != (uint64_t) (end - *ret_body))
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Adoption */

/* The instance a state describes, from the fds handed over. */
static int adopt_instance(struct manager *m, struct state *s, const char *body,
			  struct vm_store_fds *f, struct vm_instance *ret)
{
	_cleanup_(vm_instance_release) struct vm_instance inst = {};
	const struct vmdef_parse_opts opts = { .transient = s->transient, .any_files = true };
	char name[FDSTORE_NAME_MAX + 1];
	struct def_diags diags = {};
	int fd, r;

	name_vm(name, s->name);
	fd = fds_take(f, name);
	if (fd < 0)
		return -ENOENT;
	r = vmdef_parse_string(s->origin, body, s->definition_size, &opts, &inst.def, &diags);
	def_diags_clear(&diags);
	if (r < 0) {
		close(fd);
		return r;
	}
	r = hyp_vm_adopt(m->hyp, fd, &inst.hvm);
	if (r < 0)
		return r;
	/* From here on, a failure takes the fds out of the store before closing them. */
	inst.stored = true;
	inst.vmid = s->vmid;
	inst.guest = calloc(1, sizeof(*inst.guest));
	if (!inst.guest)
		return -ENOMEM;
	inst.guest->regions = steal_ptr(s->regions);
	inst.guest->n_regions = s->n_regions;
	s->n_regions = 0;
	for (size_t i = 0; i < inst.guest->n_regions; i++) {
		struct guest_region *reg = &inst.guest->regions[i];

		name_mem(name, s->name, reg->label);
		reg->fd = fds_take(f, name);
		if (reg->fd < 0)
			log_warning("VM '%s': memory region %" PRIu32 " came back without its fd; the "
				    "VM keeps it all the same", s->name, reg->label);
	}
	inst.guest->kernel = s->kernel;
	inst.guest->ramdisk = s->ramdisk;
	inst.guest->dtb = s->dtb;
	inst.guest->dtb_reserve = s->dtb_reserve;
	inst.guest->dtb_blob = memdup_nul(body + s->definition_size, s->devicetree_size);
	if (!inst.guest->dtb_blob)
		return -ENOMEM;
	inst.guest->dtb_blob_size = s->devicetree_size;
	name_console(name, s->name);
	fd = fds_take(f, name);
	if (fd >= 0)
		s->saved.console_fd = fd;
	*ret = inst;
	inst = (struct vm_instance) {};
	return 0;
}

/* The VM a state belongs to: the definition's, or one made for it. */
static int adopt_find_vm(struct manager *m, const struct state *s, const struct vmdef *def,
			 struct vm_store_fds *f, struct vm **ret)
{
	struct vmdef *copy;
	int r;

	*ret = manager_find_vm(m, s->name);
	if (*ret)
		return 0;
	r = vmdef_dup(def, &copy);
	if (r < 0)
		return r;
	r = manager_add_vm(m, copy, s->transient, ret);
	if (r < 0)
		return r;
	/* Its file went away meanwhile: it goes when destroyed, as after a reload. */
	(*ret)->removed = !s->transient;
	if (s->transient) {
		for (size_t i = 0; i < ELEMENTSOF(store_files); i++) {
			char name[FDSTORE_NAME_MAX + 1];

			name_file(name, s->name, i);
			*file_fd(&(*ret)->files, i) = fds_take(f, name);
		}
		(*ret)->files_stored = true;
	}
	return 0;
}

static int adopt_one(struct manager *m, const char *path, struct vm_store_fds *f)
{
	_cleanup_(state_done) struct state s = { .saved.console_fd = -EBADF };
	_cleanup_(vm_instance_release) struct vm_instance inst = {};
	_cleanup_free_ char *buf = NULL;
	const char *body = NULL;
	struct vm *vm;
	size_t size;
	int r;

	r = ydoc_read_file(path, STATE_MAX_SIZE, 0, &buf, &size, NULL);
	if (r < 0)
		return log_errno(LOG_ERR, r, "Cannot read %s: %m", path);
	r = state_parse(buf, size, &s, &body);
	if (r < 0)
		return log_errno(LOG_ERR, r, "%s: not a state file gunyahd can read", path);
	r = adopt_instance(m, &s, body, f, &inst);
	if (r == -ENOENT) {
		log_warning("VM '%s': lost while gunyahd was away: its VM fd did not come back "
			    "from systemd's fd store (the service was stopped, or the store is "
			    "too small)", s.name);
		return r;
	}
	if (r < 0)
		return log_errno(LOG_ERR, r, "VM '%s': cannot adopt it: %m", s.name);
	r = adopt_find_vm(m, &s, inst.def, f, &vm);
	if (r < 0)
		return log_errno(LOG_ERR, r, "VM '%s': cannot adopt it: %m", s.name);
	if (vm_is_live(vm) || vm->transient != s.transient) {
		log_error("VM '%s': cannot adopt it: a VM of that name is already here", s.name);
		return -EEXIST;
	}
	r = vm_adopt(vm, &inst, &s.saved);
	s.saved.console_fd = -EBADF;	/* vm_adopt() took it */
	return r;
}

static int state_file_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > strlen(STATE_SUFFIX) &&
	       !strcmp(d->d_name + n - strlen(STATE_SUFFIX), STATE_SUFFIX);
}

void manager_adopt(struct manager *m, struct vm_store_fds *f)
{
	struct dirent **list = NULL;
	unsigned adopted = 0;
	int n;

	if (!m->store_dir)
		return;
	n = scandir(m->store_dir, &list, state_file_filter, alphasort);
	if (n < 0) {
		log_errno(LOG_ERR, -errno, "Cannot read %s, no VM adopted: %m", m->store_dir);
		return;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/%s", m->store_dir, list[i]->d_name) >= 0 &&
		    adopt_one(m, path, f) >= 0)
			adopted++;
		else if (path)
			(void) unlink(path);
		free(list[i]);
	}
	free(list);
	if (n > 0)
		log_notice("Adopted %u of %d VM(s) that outlived the previous gunyahd", adopted, n);
}

static void store_on_state_changed(struct manager *m, struct vm *vm, void *userdata)
{
	(void) m;
	(void) userdata;
	vm_store_save(vm);
}

static const struct manager_observer_ops store_observer = {
	.vm_state_changed = store_on_state_changed,
};

int manager_enable_store(struct manager *m, const char *dir)
{
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	r = free_and_strdup(&m->store_dir, dir);
	if (r < 0)
		return r;
	r = manager_observer_add(m, &store_observer, NULL);
	return r < 0 ? r : 0;
}
