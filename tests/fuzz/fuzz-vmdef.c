/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the YAML front end (daemon/def/ydoc.c, vmdef.c, config.c)
 * and what D-Bus ValidateDefinition runs on a caller's YAML after it
 * (layout.c, dtb.c): any local user can send that text.
 *
 * Input: byte 0 selects what the rest (the YAML text, not NUL-terminated)
 * is read as:
 *   bits 1:0  0  a VM definition as ValidateDefinition reads it
 *                (manager_validate(): any_files, the default limits), then
 *                layout_from_vmdef() and dtb_build();
 *             1  a transient definition (CreateTransientVM: fd:KEY files),
 *                then the same;
 *             2  a persistent definition (absolute paths), then the same;
 *             3  gunyahd.yaml (config_parse_string()).
 *   bit 2     dtb_build() gets a ramdisk at the start of main memory
 *             instead of no inputs (modes 0-2);
 *   bit 3     ipa-bits 48 instead of RM_IPA_BITS_DEFAULT (modes 0-2);
 *   bit 6     max-regions 0 (VMDEF_NO_REGIONS) (modes 0-2);
 *   bit 7     max-definition-size 1K (modes 0-2).
 * Bits 5:4 are ignored, so that the seeds can start with an ASCII '0'..'3'.
 *
 * Besides memory errors, leaks and UB, it checks the API's promises and
 * aborts on any broken one: a result or diagnostics, never both; a
 * definition that obeys the schema's limits; diagnostics that format and
 * carry no control characters (they go to logs and D-Bus replies); a
 * layout with one parcel per region; a devicetree that passes
 * fdt_check_full(), is the same bytes when built twice, and never the
 * "a gunyahd bug" -EIO.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <systemd/sd-bus.h>

#include "config-file.h"
#include "dtb.h"
#include "fuzz-dtb.h"
#include "layout.h"
#include "vmdef.h"


#define MODE_VALIDATE	0
#define MODE_TRANSIENT	1
#define MODE_PERSISTENT	2
#define MODE_CONFIG	3

#define OPT_RAMDISK	(1u << 2)
#define OPT_IPA_48	(1u << 3)
#define OPT_NO_REGIONS	(1u << 6)
#define OPT_SMALL	(1u << 7)

static const char fuzz_origin[] = "<fuzz>";

/* Every diagnostic from index first on: well-formed, formats, no control bytes. */
static void check_diags(const struct def_diags *d, size_t first)
{
	for (size_t i = first; i < d->n; i++) {
		const struct def_diag *diag = &d->items[i];
		char *s;

		CHECK(diag->key && diag->message);
		s = def_diag_format(fuzz_origin, diag);
		CHECK(s);
		for (const char *c = s; *c; c++)
			CHECK((unsigned char) *c >= 0x20 && *c != 0x7f);
		free(s);
	}
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A file key (kernel, ramdisk, devicetree.overlay) as the opts allow it. */
static void check_file(const char *s, unsigned mode)
{
	if (!s)
		return;
	if (mode == MODE_TRANSIENT)
		CHECK(has_prefix(s, VMDEF_FD_PREFIX));
	else if (mode == MODE_PERSISTENT)
		CHECK(s[0] == '/');
	else
		CHECK(s[0] == '/' || has_prefix(s, VMDEF_FD_PREFIX));
}

static void check_def(const struct vmdef *def, unsigned mode, size_t max_regions)
{
	CHECK(def->name && vmdef_name_is_valid(def->name));
	CHECK(def->vcpus >= 1 && def->vcpus <= VMDEF_MAX_VCPUS);
	CHECK(def->memory.size > 0 && def->memory.size % RM_PAGE_SIZE == 0);
	CHECK(def->memory.base % RM_MEMORY_BASE_ALIGN == 0);
	CHECK(def->memory.size - 1 <= UINT64_MAX - def->memory.base);
	CHECK(def->kernel);
	CHECK(def->transient == (mode == MODE_TRANSIENT));
	check_file(def->kernel, mode);
	check_file(def->ramdisk, mode);
	check_file(def->devicetree.overlay, mode);
	CHECK(def->n_regions <= max_regions);
	CHECK(def->n_regions == 0 || def->regions);
	for (size_t i = 0; i < def->n_regions; i++) {
		const struct vmdef_region *reg = &def->regions[i];

		CHECK(reg->label != 0);
		CHECK(reg->size > 0 && reg->size % RM_PAGE_SIZE == 0);
		CHECK(reg->base % RM_PAGE_SIZE == 0);
		CHECK(reg->access != 0 && reg->access <= VMDEF_ACCESS_RWX);
		for (size_t k = 0; k < i; k++)
			CHECK(def->regions[k].label != reg->label);
	}
	CHECK(vmdef_affinity_to_string(def->devicetree.affinity));
	CHECK(vmdef_restart_to_string(def->restart.policy));
	CHECK(vmdef_sharing_to_string(def->memory.sharing));
	CHECK(vmdef_access_to_string(def->memory.access));
	if (def->has_sim) {
		CHECK(vmdef_exit_type_to_string(def->sim.exit_type));
		CHECK(vmdef_sim_on_stop_to_string(def->sim.on_stop));
	}
}

/* dtb_build() as ValidateDefinition calls it, twice: the same bytes or the same error. */
static void fuzz_dtb(const struct vmdef *def, unsigned opt, struct def_diags *diags)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	struct dtb_inputs in = {};
	void *blob = NULL;
	size_t size = 0;
	int r;

	if (opt & OPT_RAMDISK) {
		in.has_ramdisk = true;
		in.initrd_start = def->memory.base;
		in.initrd_end = def->memory.base +
				(def->memory.size < 4096 ? def->memory.size : 4096);
	}
	r = dtb_build(def, (opt & OPT_RAMDISK) ? &in : NULL, &blob, &size, &error);
	CHECK(r != -EIO);	/* the self-check found a generator bug */
	if (r == 0) {
		CHECK(blob && size >= sizeof(struct fdt_header) && size <= DTB_BLOB_MAX);
		CHECK(fdt_totalsize(blob) == size);
		CHECK(fdt_check_full(blob, size) == 0);
		CHECK(!sd_bus_error_is_set(&error));
	} else {
		CHECK(r == -EINVAL || r == -EEXIST || r == -E2BIG || r == -ENOMEM);
		CHECK(!blob);
		CHECK(sd_bus_error_is_set(&error) && error.message);
		/* manager_validate() turns it into a diagnostic at devicetree. */
		if (r != -ENOMEM)
			CHECK(def_diags_add(diags, def->devicetree.mark.line,
					      def->devicetree.mark.column, "devicetree", "%s",
					      error.message) == 0);
	}

	fuzz_dtb_check_again(def, (opt & OPT_RAMDISK) ? &in : NULL, r, blob, size, &error);
	free(blob);
	sd_bus_error_free(&error);
}

static void fuzz_definition(const char *text, size_t len, unsigned mode, unsigned opt)
{
	struct vmdef_parse_opts opts = {
		/* manager_parse_opts() with the default gunyahd.yaml */
		.max_size = (opt & OPT_SMALL) ? 1024 : VMDEF_MAX_SIZE_DEFAULT,
		.max_regions = (opt & OPT_NO_REGIONS) ? VMDEF_NO_REGIONS
						      : VMDEF_MAX_REGIONS_DEFAULT,
	};
	unsigned ipa_bits = (opt & OPT_IPA_48) ? 48 : RM_IPA_BITS_DEFAULT;
	struct def_diags diags = {};
	struct vmdef *def = NULL, *dup = NULL;
	struct layout *layout = NULL;
	size_t before;
	int r;

	if (mode == MODE_VALIDATE)
		opts.any_files = true;
	else if (mode == MODE_TRANSIENT)
		opts.transient = true;

	r = vmdef_parse_string(fuzz_origin, text, len, &opts, &def, &diags);
	check_diags(&diags, 0);
	if (r < 0) {
		CHECK(r == -EINVAL || r == -ENOMEM);
		CHECK(!def);
		CHECK(r == -ENOMEM || diags.n > 0);
		goto out;
	}
	CHECK(r == 0 && def && diags.n == 0);
	check_def(def, mode, (opt & OPT_NO_REGIONS) ? 0 : VMDEF_MAX_REGIONS_DEFAULT);

	/* A deep copy is the same definition. */
	r = vmdef_dup(def, &dup);
	CHECK(r == 0 && dup);
	CHECK(strcmp(dup->name, def->name) == 0 && strcmp(dup->kernel, def->kernel) == 0);
	CHECK(dup->n_regions == def->n_regions);
	CHECK(def->n_regions == 0 ||
	      memcmp(dup->regions, def->regions, def->n_regions * sizeof(*def->regions)) == 0);
	dup = vmdef_free(dup);

	before = diags.n;
	r = layout_from_vmdef(def, ipa_bits, &layout, &diags);
	check_diags(&diags, before);
	if (r < 0) {
		CHECK(!layout);
		CHECK(r == -ENOMEM || diags.n > before);
		goto out;
	}
	CHECK(layout && layout_count(layout) == 1 + def->n_regions);
	CHECK(layout_find_label(layout, 0));
	CHECK(layout_find_addr(layout, def->memory.base));

	before = diags.n;
	fuzz_dtb(def, opt, &diags);
	check_diags(&diags, before);
out:
	layout_free(layout);
	vmdef_free(def);
	def_diags_clear(&diags);
}

static void fuzz_config(const char *text, size_t len)
{
	struct def_diags diags = {};
	struct config cfg = {};
	int r;

	r = config_parse_string(fuzz_origin, text, len, &cfg, &diags);
	check_diags(&diags, 0);
	if (r < 0) {
		CHECK(r == -EINVAL || r == -ENOMEM);
		CHECK(r == -ENOMEM || diags.n > 0);
		CHECK(!cfg.definitions_dir && !cfg.access_group);
	} else {
		CHECK(r == 0 && diags.n == 0);
		CHECK(cfg.definitions_dir && cfg.definitions_dir[0] == '/');
		CHECK(cfg.access_group && cfg.access_group[0]);
		CHECK(strlen(cfg.access_group) <= CONFIG_GROUP_NAME_MAX);
		CHECK(cfg.ipa_bits >= CONFIG_IPA_BITS_MIN && cfg.ipa_bits <= CONFIG_IPA_BITS_MAX);
		CHECK(cfg.limits.max_vms >= 1 && cfg.limits.max_vms <= CONFIG_MAX_VMS);
		CHECK(cfg.limits.max_regions <= CONFIG_MAX_REGIONS);
		CHECK(cfg.limits.max_definition_size >= CONFIG_DEFINITION_SIZE_MIN &&
		      cfg.limits.max_definition_size <= CONFIG_DEFINITION_SIZE_MAX);
		CHECK(cfg.restart.backoff_max_usec >= cfg.restart.backoff_usec);
	}
	config_done(&cfg);
	def_diags_clear(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text;
	unsigned sel;

	if (size < 1)
		return 0;
	sel = data[0];
	/* Straight from the input buffer: no NUL, so that ASan sees an overread. */
	text = (const char *) data + 1;
	if ((sel & 3) == MODE_CONFIG)
		fuzz_config(text, size - 1);
	else
		fuzz_definition(text, size - 1, sel & 3, sel);
	return 0;
}
