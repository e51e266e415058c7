/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * list and status: what gunyahd knows about its VMs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#include "ctl-bus.h"
#include "ctl-format.h"
#include "ctl-terminal.h"
#include "ctl-vm-json.h"
#include "ctl-vm.h"
#include "verbs.h"

struct list_row {
	const char *name;
	const char *state;
	uint32_t vmid;
	char vcpus[16];
	char memory[CTL_FORMAT_SIZE_MAX];
	const char *autostart;
	struct ctl_vm vm;		/* owns the strings of its row */
};

struct list_rows {
	sd_bus_message *reply;		/* ListVMs: owns name and state */
	struct list_row *rows;
	size_t n;
};

static void list_rows_done(struct list_rows *l)
{
	for (size_t i = 0; i < l->n; i++)
		ctl_vm_done(&l->rows[i].vm);
	free(l->rows);
	sd_bus_message_unref(l->reply);
}

/* Fills the columns ListVMs does not carry; a VM removed meanwhile shows "-". */
static int list_row_fill(struct ctl *ctl, struct list_row *row, const char *path)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = ctl_vm_fetch(ctl->bus, path, &row->vm, &error);
	if (r < 0 && ctl_bus_exit_status(error.name, r) == CTL_EXIT_NO_VM) {
		snprintf(row->vcpus, sizeof(row->vcpus), "-");
		snprintf(row->memory, sizeof(row->memory), "-");
		row->autostart = "-";
		return 0;
	}
	if (r < 0)
		return ctl_bus_fail(ctl, &error, r);
	snprintf(row->vcpus, sizeof(row->vcpus), "%" PRIu32, row->vm.vcpus);
	ctl_format_size(row->vm.memory_size, row->memory, sizeof(row->memory));
	row->autostart = row->vm.autostart ? "yes" : "no";
	return 0;
}

static int list_read(struct ctl *ctl, struct list_rows *l)
{
	const char *path;
	struct list_row row = {}, *grown;
	int r;

	r = ctl_bus_call_manager(ctl, "ListVMs", 0, &l->reply, "");
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(l->reply, 'a', "(ssuo)");
	while (r >= 0 && (r = sd_bus_message_read(l->reply, "(ssuo)", &row.name, &row.state,
						  &row.vmid, &path)) > 0) {
		grown = realloc(l->rows, (l->n + 1) * sizeof(*grown));
		if (!grown)
			return ctl_fail(ctl, CTL_EXIT_FAILED, -ENOMEM, "out of memory");
		l->rows = grown;
		l->rows[l->n] = row;
		r = list_row_fill(ctl, &l->rows[l->n++], path);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return ctl_fail(ctl, CTL_EXIT_FAILED, r, "bad ListVMs reply: %s", strerror(-r));
	return 0;
}

static int max_width(int w, const char *s)
{
	int n = (int) strlen(s);

	return n > w ? n : w;
}

#define LIST_NAME_MIN 8		/* the NAME column shrinks to no less */
#define LIST_ELLIPSIS "..."

/*
 * The width of the NAME column: the longest name, unless the line would be
 * wider than the terminal; then as much as fits, names cut with "...".
 */
static int list_name_width(int wname, int rest)
{
	unsigned int columns = ctl_terminal_columns();
	int room;

	if (columns == 0 || (unsigned int) (wname + rest) <= columns)
		return wname;
	room = (int) columns - rest;
	return room > LIST_NAME_MIN ? room : LIST_NAME_MIN;
}

static void list_print_name(const char *name, int width)
{
	int n = (int) strlen(name), keep = width - (int) strlen(LIST_ELLIPSIS);

	if (n <= width)
		printf("%-*s", width, name);
	else
		printf("%.*s%s", keep, name, LIST_ELLIPSIS);
}

static void list_print(const struct ctl *ctl, const struct list_rows *l)
{
	int wname = 4, wstate = 5, wmem = 6;
	char vmid[16];

	for (size_t i = 0; i < l->n; i++) {
		wname = max_width(wname, l->rows[i].name);
		wstate = max_width(wstate, l->rows[i].state);
		wmem = max_width(wmem, l->rows[i].memory);
	}
	/* Everything after NAME: "  STATE  VMID  VCPUS  MEMORY  AUTOSTART". */
	wname = list_name_width(wname, 2 + wstate + 2 + 4 + 2 + 5 + 2 + wmem + 2 + 9);
	if (!ctl->no_legend)
		printf("%-*s  %-*s  %-4s  %5s  %*s  %s\n", wname, "NAME", wstate, "STATE",
		       "VMID", "VCPUS", wmem, "MEMORY", "AUTOSTART");
	for (size_t i = 0; i < l->n; i++) {
		const struct list_row *row = &l->rows[i];

		if (row->vmid)
			snprintf(vmid, sizeof(vmid), "%#" PRIx32, row->vmid);
		else
			snprintf(vmid, sizeof(vmid), "-");
		list_print_name(row->name, wname);
		printf("  %-*s  %-4s  %5s  %*s  %s\n", wstate, row->state, vmid, row->vcpus,
		       wmem, row->memory, row->autostart);
	}
	if (!ctl->no_legend)
		printf("\n%zu VM%s listed.\n", l->n, l->n == 1 ? "" : "s");
}

/* A JSON array, one VM object per line; a VM removed meanwhile is left out. */
static void list_print_json(const struct list_rows *l)
{
	struct ctl_json j;
	bool first = true;

	fputc('[', stdout);
	for (size_t i = 0; i < l->n; i++) {
		if (!l->rows[i].vm.reply)
			continue;
		fputs(first ? "\n" : ",\n", stdout);
		first = false;
		/* A writer per object: the separators between them are written here. */
		ctl_json_init(&j, stdout);
		ctl_vm_json(&j, &l->rows[i].vm);
	}
	fputs(first ? "]\n" : "\n]\n", stdout);
}

int verb_list(struct ctl *ctl, char **args)
{
	struct list_rows l = {};
	int r;

	(void) args;
	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = list_read(ctl, &l);
	if (r >= 0 && ctl->json)
		list_print_json(&l);
	else if (r >= 0)
		list_print(ctl, &l);
	list_rows_done(&l);
	return r;
}

#define STATUS_LABEL "%14s: "
#define STATUS_INDENT "                "	/* as wide as a label */

static void status_print_exit(const struct ctl_vm *vm)
{
	printf(STATUS_LABEL, "Exit");
	if (*vm->exit_type)
		printf("%s, code %" PRIu32 "\n", vm->exit_type, vm->exit_code);
	else
		printf("none\n");
}

static void status_print_memory(const struct ctl_vm *vm)
{
	char size[CTL_FORMAT_SIZE_MAX];

	printf(STATUS_LABEL "%s (%" PRIu64 " bytes) at %#" PRIx64 "\n", "Memory",
	       ctl_format_size(vm->memory_size, size, sizeof(size)), vm->memory_size,
	       vm->memory_base);
	printf(STATUS_LABEL, "Devicetree");
	if (vm->dt_size)
		printf("%s at %#" PRIx64 "\n", ctl_format_size(vm->dt_size, size, sizeof(size)),
		       vm->dt_base);
	else
		printf("none\n");
}

static int hex_width(int w, uint64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%#" PRIx64, v);

	return n > w ? n : w;
}

/* One table under the label column: LABEL BASE SIZE ACCESS SHARING. */
static void status_print_regions(const struct ctl_vm *vm)
{
	char size[CTL_FORMAT_SIZE_MAX];
	int wlabel = 5, wbase = 4, wsize = 4;

	for (size_t i = 0; i < vm->n_regions; i++) {
		char label[16];

		snprintf(label, sizeof(label), "%" PRIu32, vm->regions[i].label);
		wlabel = max_width(wlabel, label);
		wbase = hex_width(wbase, vm->regions[i].base);
		wsize = max_width(wsize, ctl_format_size(vm->regions[i].size, size,
							 sizeof(size)));
	}
	printf(STATUS_LABEL "%*s  %*s  %*s  %-6s  %s\n", "Regions", wlabel, "LABEL", wbase,
	       "BASE", wsize, "SIZE", "ACCESS", "SHARING");
	for (size_t i = 0; i < vm->n_regions; i++) {
		const struct ctl_region *reg = &vm->regions[i];

		printf(STATUS_INDENT "%*" PRIu32 "  %#*" PRIx64 "  %*s  %-6s  %s\n", wlabel,
		       reg->label, wbase, reg->base, wsize,
		       ctl_format_size(reg->size, size, sizeof(size)), reg->access, reg->sharing);
	}
}

static void status_print_extents(const struct ctl_vm *vm)
{
	char size[CTL_FORMAT_SIZE_MAX];
	int wbase = 0;

	if (vm->n_extents == 0) {
		printf(STATUS_LABEL "none\n", "Extents");
		return;
	}
	for (size_t i = 0; i < vm->n_extents; i++)
		wbase = hex_width(wbase, vm->extents[i].base);
	for (size_t i = 0; i < vm->n_extents; i++) {
		const struct ctl_extent *ext = &vm->extents[i];

		if (i == 0)
			printf(STATUS_LABEL, "Extents");
		else
			fputs(STATUS_INDENT, stdout);
		printf("%-10s  %#*" PRIx64 "  %s\n", ext->kind, wbase, ext->base,
		       ctl_format_size(ext->size, size, sizeof(size)));
	}
}

static void status_print(const struct ctl_vm *vm)
{
	char when[CTL_FORMAT_TIME_MAX];

	printf(STATUS_LABEL "%s\n", "Name", vm->name);
	if (*vm->reason)
		printf(STATUS_LABEL "%s (%s)\n", "State", vm->state, vm->reason);
	else
		printf(STATUS_LABEL "%s\n", "State", vm->state);
	status_print_exit(vm);
	if (vm->vmid)
		printf(STATUS_LABEL "%#" PRIx32 "\n", "VMID", vm->vmid);
	else
		printf(STATUS_LABEL "none\n", "VMID");
	printf(STATUS_LABEL "%s\n", "Transient", vm->transient ? "yes" : "no");
	if (*vm->definition_file)
		printf(STATUS_LABEL "%s%s\n", "Definition", vm->definition_file,
		       vm->definition_pending ? " (changed; applies at the next create)" : "");
	printf(STATUS_LABEL "%s\n", "Autostart", vm->autostart ? "yes" : "no");
	printf(STATUS_LABEL "%s\n", "Kernel", vm->kernel);
	printf(STATUS_LABEL "%s\n", "Ramdisk", *vm->ramdisk ? vm->ramdisk : "none");
	printf(STATUS_LABEL "%s\n", "Cmdline", *vm->cmdline ? vm->cmdline : "none");
	printf(STATUS_LABEL "%" PRIu32 "\n", "vCPUs", vm->vcpus);
	status_print_memory(vm);
	status_print_regions(vm);
	status_print_extents(vm);
	printf(STATUS_LABEL "%s\n", "Created",
	       ctl_format_timestamp(vm->created, when, sizeof(when)));
	printf(STATUS_LABEL "%s\n", "Started",
	       ctl_format_timestamp(vm->started, when, sizeof(when)));
	printf(STATUS_LABEL "%" PRIu32 "\n", "Restarts", vm->restart_count);
	if (*vm->last_error)
		printf(STATUS_LABEL "%s (%s)\n", "Last error", vm->last_error,
		       ctl_format_timestamp(vm->last_error_time, when, sizeof(when)));
	else
		printf(STATUS_LABEL "none\n", "Last error");
}

int verb_status(struct ctl *ctl, char **args)
{
	_cleanup_free_ char *path = NULL;
	struct ctl_vm vm = {};
	int r;

	r = ctl_bus_connect(ctl);
	if (r < 0)
		return r;
	r = ctl_bus_vm_path(ctl, args[0], &path);
	if (r < 0)
		return r;
	r = ctl_vm_get(ctl, path, &vm);
	if (r < 0)
		return r;
	if (ctl->json) {
		struct ctl_json j;

		ctl_json_init(&j, stdout);
		ctl_vm_json(&j, &vm);
		fputc('\n', stdout);
	} else {
		status_print(&vm);
	}
	ctl_vm_done(&vm);
	return 0;
}
