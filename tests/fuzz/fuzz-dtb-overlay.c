/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for user devicetree overlays (daemon/image/dtb-overlay.c over libfdt's
 * fdt_overlay_apply()): a CreateTransientVM caller passes the .dtbo as an
 * fd, so every byte is untrusted.
 *
 * Input: the whole input is the overlay blob, given to dtb_build() as
 * dtb_inputs.overlay for a fixed valid definition (fuzz_yaml below: two
 * vCPUs, one shared region), once without and once with a ramdisk. It
 * checks, besides memory errors, leaks and UB, that the overlay's bytes
 * are never written to, that an error always comes with a D-Bus error and
 * a success with a blob that passes fdt_check_full() and keeps what the
 * RM relies on, that the same overlay gives the same result twice, and
 * that the "a gunyahd bug" -EIO never comes out.
 *
 * The seeds in tests/fuzz/corpus/dtb-overlay/ were made with
 *   dtc -q -@ -I dts -O dtb -o NAME.dtbo NAME.dts
 * from these sources; each starts with the line "/dts-v1/;" and, but for
 * plain-dtb, "/plugin/;" (an overlay cannot delete, so the refused ones
 * change or add what the RM relies on instead):
 *   chosen-prop       &chosen { stdout-path = "hvc0"; bootargs = "console=hvc0 quiet"; };
 *   cpu-idle-label    &cpu_idle { status = "okay"; entry-latency-us = <20>; };
 *   add-node          &{/} { test-device { compatible = "test,device";
 *                       interrupts = <0 40 4>; interrupt-parent = <&gic>; }; };
 *   local-fixups      &{/} { a: node-a { ref = <&b>; };
 *                       b: node-b { ref = <&a &cpu0 &psci>; }; };
 *   vdevice-doorbell  &{/gunyah-vm-config/vdevices} { bell { vdevice-type = "doorbell";
 *                       generate = "/hypervisor/bell"; peer-default; label = <9>; }; };
 *   vdevice-shm       &{/gunyah-vm-config/vdevices} { extra { vdevice-type = "shm";
 *                       generate = "/hypervisor/extra"; peer-default;
 *                       memory { label = <9>; allocate-base; }; }; };
 *   shm-reserved      &shm_1 { extra = <1>; };
 *                     &{/} { reserved-memory { #address-cells = <2>; #size-cells = <2>;
 *                       ranges; buf@c0000000 { reg = <0 0xc0000000 0 0x200000>; }; }; };
 *   change-initrd     &chosen { linux,initrd-start = /bits/ 64 <0x80000000>; };
 *                     &cpu1 { status = "disabled"; };                  (refused)
 *   change-gic        &gic { #interrupt-cells = <2>; };                (refused)
 *   add-hypervisor    &{/} { hypervisor { compatible = "x"; }; };      (refused)
 *   unresolved        &nosuch { x = <1>; };              (refused: cannot be applied)
 *   plain-dtb         / { chosen { x = <1>; }; };        (refused: no fragment)
 * and these, refused before fdt_overlay_apply() runs (each crashed the
 * daemon before dtb.c checked for it; the first three with an
 * out-of-bounds access in libfdt, the last with a stack overflow once it
 * nests some 70000 levels):
 *   crash-local-fixup-offset     a mutation of local-fixups.dtbo: the
 *                                __local_fixups__ offset of node-a's ref is 0x160000
 *   crash-fixup-wrapped-offset   / { fragment@0 { target-path = "/";
 *                                  __overlay__ { t { p = <0>; }; }; };
 *                                  __fixups__ { gic = "/fragment@0/__overlay__/t:p:4294967294"; }; };
 *   crash-fixup-negative-offset  the same with "...t:p:-2" (these two have no
 *                                /plugin/: their __fixups__ is written out)
 *   deep-nesting                 fragment@0 (target-path "/") / __overlay__ / 40
 *                                nested nodes "a", written with libfdt's fdt_begin_node()
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <systemd/sd-bus.h>

#include "dtb.h"
#include "fuzz-dtb.h"
#include "vmdef.h"


static const char fuzz_yaml[] =
	"version: 1\n"
	"name: fuzz\n"
	"vcpus: 2\n"
	"memory:\n"
	"  base: 0x80000000\n"
	"  size: 256M\n"
	"kernel: /k\n"
	"ramdisk: /r\n"
	"cmdline: \"console=hvc0\"\n"
	"regions:\n"
	"  - label: 1\n"
	"    base: 0xc0000000\n"
	"    size: 2M\n"
	"    access: rw\n"
	"    sharing: shared\n";

static struct vmdef *fuzz_def;	/* parsed on the first call, kept for good */

static const struct vmdef *get_def(void)
{
	struct def_diags diags = {};

	if (fuzz_def)
		return fuzz_def;
	CHECK(vmdef_parse_string("<fuzz>", fuzz_yaml, strlen(fuzz_yaml), NULL, &fuzz_def,
				 &diags) == 0);
	CHECK(diags.n == 0);
	return fuzz_def;
}

static void check_result(const void *blob, size_t size, const struct dtb_inputs *in)
{
	const char *s;
	int node, len;

	CHECK(blob && size >= sizeof(struct fdt_header) && size <= DTB_BLOB_MAX);
	CHECK(fdt_totalsize(blob) == size);
	CHECK(fdt_check_full(blob, size) == 0);
	CHECK(fdt_path_offset(blob, "/hypervisor") < 0);
	CHECK(fdt_path_offset(blob, "/chosen") >= 0);
	node = fdt_path_offset(blob, "/gunyah-vm-config");
	CHECK(node >= 0);
	s = fdt_getprop(blob, node, "image-name", &len);
	CHECK(s && len == sizeof("fuzz") && memcmp(s, "fuzz", sizeof("fuzz")) == 0);
	node = fdt_path_offset(blob, "/chosen");
	CHECK((fdt_getprop(blob, node, "linux,initrd-start", NULL) != NULL) == in->has_ramdisk);
}

static void fuzz_one(const struct vmdef *def, const uint8_t *data, size_t size, bool ramdisk)
{
	struct dtb_inputs in = {
		.has_ramdisk = ramdisk,
		.initrd_start = 0x8ee00000,
		.initrd_end = 0x8fe00000,
		.overlay = data,
		.overlay_size = size,
		.overlay_name = "fd:overlay",
	};
	sd_bus_error error = SD_BUS_ERROR_NULL;
	void *blob = NULL;
	size_t bsize = 0;
	int r;

	r = dtb_build(def, &in, &blob, &bsize, &error);
	CHECK(r != -EIO);	/* the self-check found a generator bug */
	if (r == 0) {
		CHECK(!sd_bus_error_is_set(&error));
		check_result(blob, bsize, &in);
	} else {
		CHECK(r == -EINVAL || r == -E2BIG || r == -ENOMEM);
		CHECK(!blob);
		CHECK(sd_bus_error_is_set(&error) && error.message);
	}

	fuzz_dtb_check_again(def, &in, r, blob, bsize, &error);
	free(blob);
	sd_bus_error_free(&error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vmdef *def = get_def();
	uint8_t *before;

	/* The overlay is only read: compare with a copy afterwards. */
	before = malloc(size ? size : 1);
	CHECK(before);
	memcpy(before, data, size);

	fuzz_one(def, data, size, false);
	fuzz_one(def, data, size, true);

	CHECK(memcmp(before, data, size) == 0);
	free(before);
	return 0;
}
