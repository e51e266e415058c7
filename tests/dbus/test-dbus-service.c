/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahd as a service: ValidateDefinition, transient VMs with passed
 * fds, reload (method and SIGHUP), autostart, the watchdog, and callers
 * without the right to change VMs.
 */
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gunyah/dbus-names.h"
#include "test-daemon.h"


struct fixture {
	struct test_daemon d;
};

static void setup(struct fixture *f, gconstpointer data)
{
	(void) data;
	test_daemon_init(&f->d);
}

static void teardown(struct fixture *f, gconstpointer data)
{
	(void) data;
	/* A clean shutdown is part of every test (and of the valgrind run). */
	test_daemon_finish(&f->d);
}

static uint32_t vm_count(struct fixture *f)
{
	g_autoptr(GVariant) v = test_get_property(&f->d, GH_DBUS_MANAGER_PATH,
						  GH_DBUS_MANAGER_INTERFACE, "VMCount");

	return g_variant_get_uint32(v);
}

static bool vm_exists(struct fixture *f, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = test_manager_call(&f->d, "GetVM", g_variant_new("(s)", name),
						     &error);

	return reply != NULL;
}

/* ---- ValidateDefinition ---- */

static GVariant *validate(struct fixture *f, const char *yaml)
{
	g_autoptr(GError) error = NULL;
	GVariant *reply = test_manager_call(&f->d, "ValidateDefinition", g_variant_new("(s)", yaml),
					    &error);

	g_assert_no_error(error);
	return reply;
}

static void test_validate(struct fixture *f, gconstpointer data)
{
	static const char good[] = "version: 1\nname: ok\nmemory: { size: 16M }\n"
				   "kernel: fd:kernel\nramdisk: /vm/initrd\n";
	static const char bad[] = "version: 1\nname: -bad\nmemory:\n  size: 16M\n  colour: red\n"
				  "kernel: relative/Image\n";
	g_autoptr(GVariant) ok = NULL, problems = NULL, clash = NULL;
	g_autoptr(GVariantIter) iter = NULL;
	uint32_t line, column;
	const char *msg;
	int n = 0;

	(void) data;
	test_daemon_start(&f->d, NULL);
	ok = validate(f, good);
	g_assert_cmpstr(g_variant_get_type_string(ok), ==, "(a(uus))");
	g_assert_cmpuint(g_variant_n_children(g_variant_get_child_value(ok, 0)), ==, 0);

	problems = validate(f, bad);
	g_variant_get(problems, "(a(uus))", &iter);
	while (g_variant_iter_loop(iter, "(uu&s)", &line, &column, &msg)) {
		static const struct {
			unsigned line, column;
			const char *prefix;
		} want[] = {
			{ 2, 7, "name: " }, { 5, 3, "memory.colour: " }, { 6, 9, "kernel: " },
		};

		g_assert_cmpint(n, <, (int) G_N_ELEMENTS(want));
		g_assert_cmpuint(line, ==, want[n].line);
		g_assert_cmpuint(column, ==, want[n].column);
		g_assert_true(g_str_has_prefix(msg, want[n].prefix));
		n++;
	}
	g_assert_cmpint(n, ==, 3);

	/* A layout problem is a problem too. */
	clash = validate(f, "version: 1\nname: c\nmemory: { size: 16M }\nkernel: /k\n"
			    "regions:\n  - { label: 1, base: 0x80000000, size: 4K }\n");
	g_assert_cmpuint(g_variant_n_children(g_variant_get_child_value(clash, 0)), ==, 1);
	/* No side effects. */
	g_assert_cmpuint(vm_count(f), ==, 0);
	g_assert_cmpuint(f->d.state_signals->len, ==, 0);
}

/* ValidateDefinitionFor(yaml, use): its problems as "line:column message", one per line. */
static char *validate_for(struct fixture *f, const char *yaml, const char *use)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = test_manager_call(&f->d, "ValidateDefinitionFor",
						      g_variant_new("(ss)", yaml, use), &error);
	g_autoptr(GVariantIter) iter = NULL;
	GString *out = g_string_new(NULL);
	uint32_t line, column;
	const char *msg;

	g_assert_no_error(error);
	g_assert_cmpstr(g_variant_get_type_string(reply), ==, "(a(uus))");
	g_variant_get(reply, "(a(uus))", &iter);
	while (g_variant_iter_loop(iter, "(uu&s)", &line, &column, &msg))
		g_string_append_printf(out, "%u:%u %s\n", line, column, msg);
	return g_string_free(out, FALSE);
}

/* A line of text that starts with prefix and contains needle. */
static void assert_line(const char *text, const char *prefix, const char *needle)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (size_t i = 0; lines[i]; i++)
		if (g_str_has_prefix(lines[i], prefix) && strstr(lines[i], needle))
			return;
	g_error("no line '%s...%s' in:\n%s", prefix, needle, text);
}

/*
 * What Create refuses whatever the images hold is refused by validation,
 * every problem in one call, for the use the definition is meant for.
 */
static void test_validate_for(struct fixture *f, gconstpointer data)
{
	static const char two[] = "version: 1\nname: v\nmemory: { size: 16M }\nkernel: /vm/Image\n"
				  "regions:\n  - { label: 1, base: 0x80000000, size: 4K }\n"
				  "  - { label: 2, base: 0xc0000000, size: 8K }\n"
				  "  - { label: 3, base: 0xc0001000, size: 4K }\n";
	g_autofree char *dir_ok = NULL, *fd_dir = NULL, *fd_transient = NULL, *path_transient = NULL;
	g_autofree char *small = NULL, *offset = NULL, *every = NULL;
	g_autoptr(GVariant) every_old = NULL, fd_any = NULL, small_any = NULL;
	g_autoptr(GError) error = NULL;
	GVariant *reply;

	(void) data;
	test_daemon_start(&f->d, NULL);
	dir_ok = validate_for(f, "version: 1\nname: v\nmemory: { size: 16M }\nkernel: /vm/Image\n"
			      "ramdisk: /vm/initrd\n", "directory");
	g_assert_cmpstr(dir_ok, ==, "");

	/* Files named the wrong way for where the definition goes. */
	fd_dir = validate_for(f, "version: 1\nname: v\nmemory: { size: 16M }\nkernel: fd:kernel\n",
			      "directory");
	assert_line(fd_dir, "4:9 kernel: ", "passed file descriptor");
	fd_transient = validate_for(f, "version: 1\nname: v\nmemory: { size: 16M }\n"
				    "kernel: fd:kernel\n", "transient");
	g_assert_cmpstr(fd_transient, ==, "");
	path_transient = validate_for(f, "version: 1\nname: v\nmemory: { size: 16M }\n"
				      "kernel: /vm/Image\n", "transient");
	assert_line(path_transient, "4:9 kernel: ", "fd:KEY");

	/* 1 MiB leaves no room for the devicetree. */
	small = validate_for(f, "version: 1\nname: v\nmemory: { size: 1M }\nkernel: /vm/Image\n",
			     "directory");
	assert_line(small, "3:9 memory: ", "no room for the devicetree");

	/* devicetree.offset past memory, and a region on memory: both at once. */
	offset = validate_for(f, "version: 1\nname: v\nmemory: { size: 16M }\nkernel: /vm/Image\n"
			      "devicetree:\n  offset: 0x2000000\n"
			      "regions:\n  - { label: 1, base: 0x80000000, size: 4K }\n", "directory");
	assert_line(offset, "6:11 devicetree.offset: ", "past the end of main memory");
	assert_line(offset, "8:5 regions[0]: ", "overlaps 'memory'");

	/* Every layout conflict, not the first one only; through the old method too. */
	every = validate_for(f, two, "directory");
	assert_line(every, "6:5 regions[0]: ", "overlaps 'memory'");
	assert_line(every, "8:5 regions[2]: ", "overlaps 'regions[1]'");
	every_old = validate(f, two);
	g_assert_cmpuint(g_variant_n_children(g_variant_get_child_value(every_old, 0)), ==, 2);

	/* ValidateDefinition knows no use: both ways of naming files pass, the rest is checked. */
	fd_any = validate(f, "version: 1\nname: v\nmemory: { size: 16M }\nkernel: fd:kernel\n");
	g_assert_cmpuint(g_variant_n_children(g_variant_get_child_value(fd_any, 0)), ==, 0);
	small_any = validate(f, "version: 1\nname: v\nmemory: { size: 1M }\nkernel: /k\n");
	g_assert_cmpuint(g_variant_n_children(g_variant_get_child_value(small_any, 0)), ==, 1);

	/* An unknown use is the caller's mistake. */
	reply = test_manager_call(&f->d, "ValidateDefinitionFor",
				  g_variant_new("(ss)", "version: 1\n", "elsewhere"), &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, "org.freedesktop.DBus.Error.InvalidArgs", "'elsewhere'");

	/* No side effects. */
	g_assert_cmpuint(vm_count(f), ==, 0);
	g_assert_cmpuint(f->d.state_signals->len, ==, 0);
}

/* ---- CreateTransientVM ---- */

static GVariant *create_transient(struct fixture *f, const char *yaml, const char *const *keys,
				  const int *fds, GError **error)
{
	g_autoptr(GUnixFDList) list = g_unix_fd_list_new();
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sh}"));
	for (int i = 0; keys && keys[i]; i++) {
		int idx = g_unix_fd_list_append(list, fds[i], NULL);

		g_assert_cmpint(idx, >=, 0);
		g_variant_builder_add(&b, "{sh}", keys[i], idx);
	}
	return g_dbus_connection_call_with_unix_fd_list_sync(
		f->d.conn, GH_DBUS_SERVICE, GH_DBUS_MANAGER_PATH, GH_DBUS_MANAGER_INTERFACE,
		"CreateTransientVM",
		g_variant_new("(sa{sh})", yaml, &b), G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE,
		30000, list, NULL, NULL, error);
}

static const char transient_yaml[] = "version: 1\nname: temp\nmemory: { size: 16M }\n"
				     "kernel: fd:kernel\n";

/*
 * What validation finds without the images, Create with them finds too:
 * both go through the one definition pipeline, so the problem validation
 * names is the one Create refuses with, under Create's error name.
 */
static void test_validate_agrees_with_create(struct fixture *f, gconstpointer data)
{
	static const struct {
		const char *yaml, *line, *needle, *error;
	} cases[] = {
		{ "version: 1\nname: small\nmemory: { size: 1M }\nkernel: fd:kernel\n",
		  "3:9 memory: ", "no room for the devicetree", GH_ERROR_LAYOUT_CONFLICT },
		{ "version: 1\nname: clash\nmemory: { size: 16M }\nkernel: fd:kernel\n"
		  "regions:\n  - { label: 1, base: 0x80000000, size: 4K }\n",
		  "6:5 regions[0]: ", "overlaps 'memory'", GH_ERROR_LAYOUT_CONFLICT },
		{ "version: 1\nname: late\nmemory: { size: 16M }\nkernel: fd:kernel\n"
		  "devicetree:\n  offset: 0x2000000\n",
		  "6:11 devicetree.offset: ", "past the end of main memory",
		  GH_ERROR_LAYOUT_CONFLICT },
	};
	const char *const keys[] = { "kernel", NULL };

	(void) data;
	test_daemon_start(&f->d, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *problems = validate_for(f, cases[i].yaml, "transient");
		g_autoptr(GError) error = NULL;
		GVariant *reply;
		int fd;

		assert_line(problems, cases[i].line, cases[i].needle);
		fd = open(f->d.kernel, O_RDONLY | O_CLOEXEC);
		g_assert_cmpint(fd, >=, 0);
		reply = create_transient(f, cases[i].yaml, keys, &fd, &error);
		close(fd);
		g_assert_null(reply);
		test_assert_dbus_error(error, cases[i].error, cases[i].needle);
		g_assert_cmpuint(vm_count(f), ==, 0);
	}
}

static void test_transient_lifecycle(struct fixture *f, gconstpointer data)
{
	static const char *const keys[] = { "kernel", NULL };
	g_autofree char *path = test_vm_path("temp");
	g_autoptr(GVariant) reply = NULL, transient = NULL;
	g_autoptr(GError) error = NULL;
	int fd;

	(void) data;
	/* Next to persistent VMs, one of them live (the registry then holds all three). */
	test_daemon_define(&f->d, "nav", NULL);
	test_daemon_define(&f->d, "cluster", NULL);
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "nav"));
	fd = open(f->d.kernel, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	reply = create_transient(f, transient_yaml, keys, &fd, &error);
	/* The daemon holds its own copy: closing ours changes nothing. */
	close(fd);
	g_assert_no_error(error);
	g_assert_cmpuint(vm_count(f), ==, 3);
	test_assert_state(&f->d, "temp", "created");
	transient = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "Transient");
	g_assert_true(g_variant_get_boolean(transient));

	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "temp"));
	test_assert_state(&f->d, "temp", "running");
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "temp"));
	/* Gone with its destruction. */
	g_assert_false(vm_exists(f, "temp"));
	g_assert_cmpuint(vm_count(f), ==, 2);
	test_assert_state(&f->d, "nav", "running");
}

static void expect_transient_error(struct fixture *f, const char *yaml, const char *const *keys,
				   const int *fds, const char *name, const char *fragment)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = create_transient(f, yaml, keys, fds, &error);

	g_assert_null(reply);
	test_assert_dbus_error(error, name, fragment);
	/* Nothing left behind. */
	g_assert_false(vm_exists(f, "temp"));
}

static void test_transient_refusals(struct fixture *f, gconstpointer data)
{
	static const char *const kernel[] = { "kernel", NULL };
	static const char *const two[] = { "kernel", "extra", NULL };
	static const char *const with_overlay[] = { "kernel", "overlay", NULL };
	g_autofree char *path_yaml = NULL, *bad_overlay = NULL;
	int fds[2], dirfd, wronly, overlay_fds[2];

	(void) data;
	test_daemon_define(&f->d, "taken", NULL);
	test_daemon_start(&f->d, NULL);
	fds[0] = open(f->d.kernel, O_RDONLY | O_CLOEXEC);
	fds[1] = open(f->d.kernel, O_RDONLY | O_CLOEXEC);
	dirfd = open(f->d.tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	wronly = open(f->d.kernel, O_WRONLY | O_CLOEXEC);

	path_yaml = g_strdup_printf("version: 1\nname: temp\nmemory: { size: 16M }\nkernel: %s\n",
				    f->d.kernel);
	expect_transient_error(f, path_yaml, kernel, fds, GH_ERROR_INVALID_DEFINITION,
			       "<transient>:4:9: kernel: transient definitions name files as fd:KEY");
	expect_transient_error(f, transient_yaml, NULL, NULL, GH_ERROR_INVALID_DEFINITION,
			       "'fd:kernel' names no passed file descriptor");
	expect_transient_error(f, transient_yaml, two, fds, GH_ERROR_INVALID_DEFINITION,
			       "'extra' is not used");
	expect_transient_error(f, transient_yaml, kernel, &dirfd,
			       GH_ERROR_INVALID_DEFINITION, "not a regular file");
	expect_transient_error(f, transient_yaml, kernel, &wronly,
			       GH_ERROR_INVALID_DEFINITION, "not open for reading");
	expect_transient_error(f, "version: 1\nname: temp\nmemory: { size: 16M }\n"
			       "kernel: fd:kernel\nregions:\n  - { label: 1, base: 0x80001000, size: 4K }\n",
			       kernel, fds, GH_ERROR_LAYOUT_CONFLICT, "overlaps 'memory'");
	/* An overlay that crashed libfdt (a fixup offset that wraps): refused, daemon unharmed. */
	bad_overlay = g_build_filename(TEST_SRC_ROOT, "tests", "fuzz", "corpus", "dtb-overlay",
				       "crash-fixup-wrapped-offset.dtbo", NULL);
	overlay_fds[0] = fds[0];
	overlay_fds[1] = open(bad_overlay, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(overlay_fds[1], >=, 0);
	expect_transient_error(f, "version: 1\nname: temp\nmemory: { size: 16M }\n"
			       "kernel: fd:kernel\ndevicetree:\n  overlay: fd:overlay\n",
			       with_overlay, overlay_fds, GH_ERROR_INVALID_DEFINITION,
			       "does not point into a property");
	close(overlay_fds[1]);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GVariant) reply = create_transient(
			f, "version: 1\nname: taken\nmemory: { size: 16M }\nkernel: fd:kernel\n",
			kernel, fds, &error);

		g_assert_null(reply);
		test_assert_dbus_error(error, GH_ERROR_VM_EXISTS, "taken");
		test_assert_state(&f->d, "taken", "defined");
	}
	g_assert_cmpuint(vm_count(f), ==, 1);
	g_assert_cmpuint(f->d.state_signals->len, ==, 0);
	close(fds[0]);
	close(fds[1]);
	close(dirfd);
	close(wronly);
}

/* ---- Reload ---- */

static void remove_definition(struct fixture *f, const char *name)
{
	g_autofree char *file = g_strdup_printf("%s/%s.yaml", f->d.defs, name);

	g_assert_cmpint(g_unlink(file), ==, 0);
}

/* Reload's reply as "FILE:LINE:COLUMN: message" lines. */
static char *reload(struct fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = test_manager_call(&f->d, "Reload", NULL, &error);
	g_autoptr(GVariantIter) iter = NULL;
	GString *out = g_string_new(NULL);
	uint32_t line, column;
	const char *file, *msg;

	g_assert_no_error(error);
	g_assert_cmpstr(g_variant_get_type_string(reply), ==, "(a(suus))");
	g_variant_get(reply, "(a(suus))", &iter);
	while (g_variant_iter_loop(iter, "(&suu&s)", &file, &line, &column, &msg))
		g_string_append_printf(out, "%s:%u:%u: %s\n", file, line, column, msg);
	return g_string_free(out, FALSE);
}

static char *write_definition(struct fixture *f, const char *file, const char *yaml)
{
	char *path = g_strdup_printf("%s/%s", f->d.defs, file);

	g_assert_true(g_file_set_contents(path, yaml, -1, NULL));
	return path;
}

/* Reload names every file it did not apply, with every problem and where it is. */
static void test_reload_problems(struct fixture *f, gconstpointer data)
{
	g_autofree char *good = g_strdup_printf("%s/good.yaml", f->d.defs);
	g_autofree char *unknown = NULL, *small = NULL, *fd = NULL, *dup = NULL, *offset = NULL;
	g_autofree char *syntax = NULL, *out = NULL, *again = NULL, *fixed = NULL, *want = NULL;
	g_autofree char *small_yaml = NULL, *unknown_yaml = NULL, *dup_yaml = NULL;
	g_autofree char *offset_yaml = NULL, *fixed_yaml = NULL;
	g_auto(GStrv) lines = NULL;

	(void) data;
	test_daemon_define(&f->d, "good", NULL);
	test_daemon_start(&f->d, NULL);
	out = reload(f);
	g_assert_cmpstr(out, ==, "");
	g_clear_pointer(&out, g_free);

	syntax = write_definition(f, "a-syntax.yaml", "version: 1\nname: syntax\nmemory: [\n");
	unknown_yaml = g_strdup_printf("version: 1\nname: unknown\nmemory: { size: 16M }\n"
				       "kernel: %s\ncolour: blue\n", f->d.kernel);
	unknown = write_definition(f, "b-unknown.yaml", unknown_yaml);
	small_yaml = g_strdup_printf("version: 1\nname: small\nmemory: { size: 1M }\nkernel: %s\n",
				     f->d.kernel);
	small = write_definition(f, "c-small.yaml", small_yaml);
	fd = write_definition(f, "d-fd.yaml",
			      "version: 1\nname: fd\nmemory: { size: 16M }\nkernel: fd:kernel\n");
	dup_yaml = g_strdup_printf("version: 1\nname: good\nmemory: { size: 16M }\nkernel: %s\n",
				   f->d.kernel);
	dup = write_definition(f, "e-dup.yaml", dup_yaml);
	offset_yaml = g_strdup_printf("version: 1\nname: offset\nmemory: { size: 16M }\n"
				      "kernel: %s\ndevicetree:\n  offset: 0x1000000\n", f->d.kernel);
	offset = write_definition(f, "f-offset.yaml", offset_yaml);

	out = reload(f);
	g_test_message("Reload: %s", out);
	lines = g_strsplit(out, "\n", -1);
	/* By file name; each problem of a file, at its place. */
	g_assert_cmpuint(g_strv_length(lines), ==, 7);		/* 6 and the empty tail */
	g_assert_true(g_str_has_prefix(lines[0], syntax));
	want = g_strdup_printf("%s:5:1: colour: unknown key", unknown);
	g_assert_true(g_str_has_prefix(lines[1], want));
	g_clear_pointer(&want, g_free);
	want = g_strdup_printf("%s:3:9: memory: no room for the devicetree", small);
	g_assert_true(g_str_has_prefix(lines[2], want));
	g_clear_pointer(&want, g_free);
	want = g_strdup_printf("%s:4:9: kernel: ", fd);
	g_assert_true(g_str_has_prefix(lines[3], want));
	g_assert_nonnull(strstr(lines[3], "passed file descriptor"));
	g_clear_pointer(&want, g_free);
	want = g_strdup_printf("%s:1:1: VM 'good' is already defined by %s", dup, good);
	g_assert_cmpstr(lines[4], ==, want);
	g_clear_pointer(&want, g_free);
	want = g_strdup_printf("%s:6:11: devicetree.offset: 'devicetree' at offset 0x1000000",
			       offset);
	g_assert_true(g_str_has_prefix(lines[5], want));
	/* None of them applied; the good one untouched. */
	g_assert_cmpuint(vm_count(f), ==, 1);
	g_assert_true(vm_exists(f, "good"));
	g_assert_false(vm_exists(f, "small"));

	/* The same answer every time, until the files are fixed. */
	again = reload(f);
	g_assert_cmpstr(again, ==, out);
	fixed_yaml = g_strdup_printf("version: 1\nname: small\nmemory: { size: 16M }\nkernel: %s\n",
				     f->d.kernel);
	g_assert_true(g_file_set_contents(small, fixed_yaml, -1, NULL));
	for (const char *const *p = (const char *const[]) { syntax, unknown, fd, dup, offset, NULL };
	     *p; p++)
		g_assert_cmpint(g_unlink(*p), ==, 0);
	fixed = reload(f);
	g_assert_cmpstr(fixed, ==, "");
	g_assert_true(vm_exists(f, "small"));
}

static void test_reload(struct fixture *f, gconstpointer data)
{
	g_autofree char *bpath = test_vm_path("changed");
	g_autofree char *broken = NULL;
	g_autoptr(GVariant) size = NULL;

	(void) data;
	test_daemon_define(&f->d, "stays", NULL);
	test_daemon_define(&f->d, "goes", NULL);
	test_daemon_define(&f->d, "running", NULL);
	test_daemon_define(&f->d, "changed", NULL);
	test_daemon_define(&f->d, "breaks", NULL);
	test_daemon_start(&f->d, NULL);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "running"));
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "changed"));

	test_daemon_define(&f->d, "new", NULL);
	remove_definition(f, "goes");
	remove_definition(f, "running");
	{
		g_autofree char *file = g_strdup_printf("%s/changed.yaml", f->d.defs);
		g_autofree char *yaml = g_strdup_printf("version: 1\nname: changed\nvcpus: 2\n"
							"memory: { size: 16M }\nkernel: %s\n",
							f->d.kernel);

		g_assert_true(g_file_set_contents(file, yaml, -1, NULL));
	}
	broken = g_strdup_printf("%s/breaks.yaml", f->d.defs);
	g_assert_true(g_file_set_contents(broken, "version: 1\nname: breaks\nmemory: [\n", -1, NULL));
	test_manager_call_ok(&f->d, "Reload", NULL);

	g_assert_true(vm_exists(f, "new"));
	g_assert_false(vm_exists(f, "goes"));
	g_assert_true(vm_exists(f, "breaks"));		/* a broken file disturbs nothing */
	g_assert_true(vm_exists(f, "stays"));
	test_assert_state(&f->d, "running", "running");		/* live: stays until destroyed */
	test_assert_state(&f->d, "changed", "running");
	size = test_get_property(&f->d, bpath, GH_DBUS_VM_INTERFACE, "Vcpus");
	g_assert_cmpuint(g_variant_get_uint32(size), ==, 1);	/* applies at the next create */

	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "running"));
	g_assert_false(vm_exists(f, "running"));
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "changed"));
	g_clear_pointer(&size, g_variant_unref);
	size = test_get_property(&f->d, bpath, GH_DBUS_VM_INTERFACE, "Vcpus");
	g_assert_cmpuint(g_variant_get_uint32(size), ==, 2);
	g_assert_cmpuint(vm_count(f), ==, 4);
}

/*
 * The audit trail: a failed request is logged once at warning with the VM,
 * the call, the caller and the cause; a successful one at info with its caller.
 */
static void test_audit_log(struct fixture *f, gconstpointer data)
{
	g_autofree char *file = g_strdup_printf("%s/nokernel.yaml", f->d.defs);
	g_autofree char *caller = g_strdup_printf("by uid %u pid %d (", (unsigned) geteuid(),
						  (int) getpid());
	g_autofree char *failed = NULL, *done = NULL, *log = NULL, *refused = NULL;
	g_autoptr(GError) error = NULL, error2 = NULL;
	GVariant *reply;

	(void) data;
	g_assert_true(g_file_set_contents(file, "version: 1\nname: nokernel\nvcpus: 1\n"
					  "memory: { size: 16M }\nkernel: /nonexistent/Image\n",
					  -1, NULL));
	test_daemon_define(&f->d, "fine", NULL);
	test_daemon_start(&f->d, NULL);
	reply = test_manager_call(&f->d, "CreateVM", g_variant_new("(s)", "nokernel"), &error);
	g_assert_null(reply);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "fine"));
	reply = test_manager_call(&f->d, "StartVM", g_variant_new("(s)", "fine"), &error2);
	g_assert_null(reply);

	failed = g_strdup_printf("<4>VM 'nokernel': CreateVM %s", caller);
	done = g_strdup_printf("<6>VM 'fine': StartVM %s", caller);
	refused = g_strdup_printf("<4>VM 'fine': StartVM %s", caller);
	log = test_daemon_log(&f->d);
	g_assert_nonnull(strstr(log, failed));
	g_assert_nonnull(strstr(strstr(log, failed), "/nonexistent/Image"));
	g_assert_null(strstr(strstr(log, failed) + 1, failed));		/* once */
	g_assert_nonnull(strstr(strstr(log, done), "): done"));
	g_assert_nonnull(strstr(strstr(log, refused), "failed: org.gunyah.Error.InvalidState"));
}

/* Vcpus of a VM that is not live: its current definition's. */
static guint32 vm_vcpus(struct fixture *f, const char *name)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GVariant) v = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "Vcpus");

	return g_variant_get_uint32(v);
}

/*
 * A second file naming a VM never takes it over: not a copy sorted first,
 * not a symlink, on every load; a VM whose own file is gone may move.
 */
static void test_reload_duplicate_name(struct fixture *f, gconstpointer data)
{
	g_autofree char *own = g_strdup_printf("%s/telematics.yaml", f->d.defs);
	g_autofree char *dup = g_strdup_printf("%s/aaa-dup.yaml", f->d.defs);
	g_autofree char *link = g_strdup_printf("%s/aab-link.yaml", f->d.defs);
	g_autofree char *yaml = g_strdup_printf("version: 1\nname: telematics\nvcpus: 2\n"
						"memory: { size: 16M }\nkernel: %s\n", f->d.kernel);
	g_autofree char *want_dup = g_strdup_printf("%s: VM 'telematics' is already defined by %s",
						    dup, own);
	g_autofree char *want_link = g_strdup_printf("%s: VM 'telematics' is already defined by %s",
						     link, own);
	g_autofree char *log = NULL;

	(void) data;
	test_daemon_define(&f->d, "telematics", NULL);
	test_daemon_start(&f->d, NULL);
	g_assert_true(g_file_set_contents(dup, yaml, -1, NULL));
	g_assert_cmpint(symlink(own, link), ==, 0);
	for (int i = 0; i < 2; i++) {
		/* Refused files are problems of the reply, at the start of the file. */
		g_autofree char *problems = reload(f);
		g_autofree char *want = g_strdup_printf("%s:1:1: VM 'telematics' is already defined by %s\n"
							"%s:1:1: VM 'telematics' is already defined by %s\n",
							dup, own, link, own);

		g_assert_cmpstr(problems, ==, want);
	}
	g_assert_cmpuint(vm_vcpus(f, "telematics"), ==, 1);
	log = test_daemon_log(&f->d);
	g_assert_nonnull(strstr(log, want_dup));
	g_assert_nonnull(strstr(log, want_link));
	g_assert_nonnull(strstr(strstr(log, want_dup) + 1, want_dup));	/* on every load */

	/* Its own file gone, the VM moves to the file that names it. */
	g_assert_cmpint(g_unlink(link), ==, 0);
	g_assert_cmpint(g_unlink(own), ==, 0);
	test_manager_call_ok(&f->d, "Reload", NULL);
	g_assert_cmpuint(vm_vcpus(f, "telematics"), ==, 2);
}

static void test_sighup(struct fixture *f, gconstpointer data)
{
	(void) data;
	test_daemon_define(&f->d, "first", NULL);
	test_daemon_start(&f->d, NULL);
	test_daemon_define(&f->d, "second", NULL);
	g_string_truncate(f->d.notify, 0);
	kill(f->d.pid, SIGHUP);
	g_assert_true(test_daemon_wait_notify(&f->d, "RELOADING=1", 10000));
	/* Type=notify-reload needs the reload's time in the same message */
	g_assert_nonnull(strstr(f->d.notify->str, "RELOADING=1\nMONOTONIC_USEC="));
	g_assert_true(test_daemon_wait_notify(&f->d, "READY=1", 10000));
	g_assert_true(vm_exists(f, "second"));
	g_assert_cmpuint(vm_count(f), ==, 2);
}

/* ---- Autostart ---- */

static void test_autostart(struct fixture *f, gconstpointer data)
{
	(void) data;
	test_daemon_define(&f->d, "auto", "autostart: true\n");
	test_daemon_define(&f->d, "broken", "autostart: true\nsimulate: { start: fail }\n");
	test_daemon_define(&f->d, "manual", NULL);
	test_daemon_start(&f->d, NULL);
	/* Autostart ran before this client subscribed: read the states. */
	test_poll_state(&f->d, "auto", "running");
	test_poll_state(&f->d, "broken", "failed");
	test_assert_state(&f->d, "auto", "running");		/* one failure is isolated */
	test_assert_state(&f->d, "manual", "defined");
}

static gboolean vm_bool(struct fixture *f, const char *name, const char *property)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GVariant) v = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, property);

	return g_variant_get_boolean(v);
}

static char *vm_string(struct fixture *f, const char *name, const char *property)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GVariant) v = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, property);

	return g_variant_dup_string(v, NULL);
}

static guint64 vm_u64(struct fixture *f, const char *name, const char *property)
{
	g_autofree char *path = test_vm_path(name);
	g_autoptr(GVariant) v = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, property);

	return g_variant_get_uint64(v);
}

static void assert_vm_string(struct fixture *f, const char *name, const char *property,
			     const char *want)
{
	g_autofree char *got = vm_string(f, name, property);

	g_assert_cmpstr(got, ==, want);
}

/* Polls until the VM's LastError is set (autostart and restarts have no caller to tell). */
static char *wait_last_error(struct fixture *f, const char *name)
{
	for (int i = 0; i < 200; i++) {
		g_autofree char *e = vm_string(f, name, "LastError");

		if (*e)
			return g_steal_pointer(&e);
		g_usleep(50000);
	}
	g_error("VM '%s' never got a LastError", name);
}

/*
 * An autostart that fails is logged with its cause and kept in LastError;
 * so is a restart by the policy whose create fails.
 */
static void test_autostart_failure_visible(struct fixture *f, gconstpointer data)
{
	g_autofree char *kernel = g_strdup_printf("%s/vanishing-Image", f->d.defs);
	g_autofree char *restarts = g_strdup_printf("%s/restarts.yaml", f->d.defs);
	g_autofree char *nokernel = g_strdup_printf("%s/nokernel.yaml", f->d.defs);
	g_autofree char *yaml = g_strdup_printf("version: 1\nname: restarts\nmemory: { size: 16M }\n"
						"kernel: %s\nrestart: { policy: always }\n"
						"simulate: { exit-after: 300ms }\n", kernel);
	g_autofree char *nok = NULL, *gone = NULL, *log = NULL;

	(void) data;
	g_assert_true(g_file_set_contents(kernel, "kernel", -1, NULL));
	g_assert_true(g_file_set_contents(restarts, yaml, -1, NULL));
	g_assert_true(g_file_set_contents(nokernel, "version: 1\nname: nokernel\nautostart: true\n"
					  "memory: { size: 16M }\nkernel: /nonexistent/Image\n",
					  -1, NULL));
	test_daemon_start(&f->d, NULL);
	nok = wait_last_error(f, "nokernel");
	g_assert_nonnull(strstr(nok, "/nonexistent/Image"));
	g_assert_cmpuint(vm_u64(f, "nokernel", "LastErrorTime"), >, 0);
	assert_vm_string(f, "restarts", "LastError", "");

	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "restarts"));
	g_assert_cmpint(g_unlink(kernel), ==, 0);	/* the restart's create fails */
	gone = wait_last_error(f, "restarts");
	g_assert_nonnull(strstr(gone, "vanishing-Image"));
	test_poll_state(&f->d, "restarts", "defined");

	log = test_daemon_log(&f->d);
	g_assert_nonnull(strstr(log, "<3>VM 'nokernel': autostart failed: "));
	g_assert_nonnull(strstr(strstr(log, "<3>VM 'nokernel': autostart failed: "),
				"/nonexistent/Image"));
	g_assert_nonnull(strstr(log, "<3>VM 'restarts': restart failed: "));
}

/* Where a definition comes from, what it boots, and whether an edit waits for a create. */
static void test_definition_properties(struct fixture *f, gconstpointer data)
{
	g_autofree char *file = g_strdup_printf("%s/nav.yaml", f->d.defs);

	(void) data;
	test_daemon_define(&f->d, "nav", "cmdline: console=hvc0\n");
	test_daemon_start(&f->d, NULL);
	assert_vm_string(f, "nav", "DefinitionFile", file);
	assert_vm_string(f, "nav", "Kernel", f->d.kernel);
	assert_vm_string(f, "nav", "Ramdisk", "");
	assert_vm_string(f, "nav", "Cmdline", "console=hvc0");
	g_assert_false(vm_bool(f, "nav", "DefinitionPending"));

	test_manager_call_ok(&f->d, "CreateVM", g_variant_new("(s)", "nav"));
	test_manager_call_ok(&f->d, "Reload", NULL);		/* the same text */
	g_assert_false(vm_bool(f, "nav", "DefinitionPending"));
	test_daemon_define(&f->d, "nav", "cmdline: console=ttyAMA0\n");
	test_manager_call_ok(&f->d, "Reload", NULL);
	g_assert_true(vm_bool(f, "nav", "DefinitionPending"));
	/* The live instance's command line until it is created again. */
	assert_vm_string(f, "nav", "Cmdline", "console=hvc0");
	test_manager_call_ok(&f->d, "DestroyVM", g_variant_new("(s)", "nav"));
	g_assert_false(vm_bool(f, "nav", "DefinitionPending"));
	assert_vm_string(f, "nav", "Cmdline", "console=ttyAMA0");
	assert_vm_string(f, "nav", "LastError", "");
}

/* ---- Watchdog ---- */

static void test_watchdog(struct fixture *f, gconstpointer data)
{
	gint64 t0;
	const char *p;
	int pings = 0;

	(void) data;
	g_ptr_array_add(f->d.env, g_strdup("WATCHDOG_USEC=200000"));
	test_daemon_start(&f->d, NULL);
	t0 = g_get_monotonic_time();
	/* Half the interval: about ten pings in a second; ask for three. */
	while (g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC) {
		(void) test_daemon_wait_notify(&f->d, "\x01never", 100);
		pings = 0;
		for (p = f->d.notify->str; (p = strstr(p, "WATCHDOG=1")); p++)
			pings++;
		if (pings >= 3)
			break;
	}
	g_assert_cmpint(pings, >=, 3);
}

/* ---- Callers without the right to change VMs ---- */

/*
 * Runs this program again as uid/gid nobody with --client-as-nobody (a
 * fresh process: GDBus cannot be used across fork); returns its exit code.
 */
static int as_nobody(struct fixture *f, const char *mode)
{
	pid_t pid = fork();
	int status;

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		/* A member of a group has it among its supplementary groups. */
		gid_t groups[] = { 65534 };
		size_t n = strcmp(mode, "member") == 0 ? 1 : 0;

		if (setgroups(n, groups) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(90);
		execl("/proc/self/exe", "test-dbus-service", "--client-as-nobody",
		      f->d.bus_address, mode, NULL);
		_exit(92);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int call_status(GDBusConnection *c, const char *path, const char *iface,
		       const char *method, GVariant *params)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(c, GH_DBUS_SERVICE, path, iface,
								method,
							       params, NULL, 0, 30000, NULL,
							       &error);
	g_autofree char *remote = NULL;

	if (reply)
		return 0;
	remote = g_dbus_error_get_remote_error(error);
	if (g_strcmp0(remote, "org.freedesktop.DBus.Error.AccessDenied") == 0 &&
	    strstr(error->message, "requires root or membership of group"))
		return 1;	/* refused by gunyahd itself */
	return 2;
}

/* As a member of the access group: every state-changing call goes through. */
static int group_member_calls(GDBusConnection *c)
{
	const char *m = GH_DBUS_MANAGER_PATH, *mi = GH_DBUS_MANAGER_INTERFACE;

	if (call_status(c, m, mi, "CreateVM", g_variant_new("(s)", "nav")) != 0 ||
	    call_status(c, m, mi, "StartVM", g_variant_new("(s)", "nav")) != 0 ||
	    call_status(c, m, mi, "StopVM", g_variant_new("(sb)", "nav", TRUE)) != 0 ||
	    call_status(c, m, mi, "DestroyVM", g_variant_new("(s)", "nav")) != 0 ||
	    call_status(c, m, mi, "Reload", NULL) != 0)
		return 12;
	return 0;
}

static int unprivileged_calls(GDBusConnection *c)
{
	const char *m = GH_DBUS_MANAGER_PATH, *mi = GH_DBUS_MANAGER_INTERFACE;
	g_autofree char *vm = test_vm_path("nav");

	if (call_status(c, m, mi, "ListVMs", NULL) != 0 ||
	    call_status(c, m, "org.freedesktop.DBus.Properties", "GetAll",
			g_variant_new("(s)", mi)) != 0 ||
	    call_status(c, vm, GH_DBUS_VM_INTERFACE, "GetDeviceTree", NULL) != 0 ||
	    call_status(c, m, mi, "ValidateDefinition", g_variant_new("(s)", "version: 1")) != 0)
		return 10;
	if (call_status(c, m, mi, "CreateVM", g_variant_new("(s)", "nav")) != 1 ||
	    call_status(c, m, mi, "StartVM", g_variant_new("(s)", "nav")) != 1 ||
	    call_status(c, m, mi, "StopVM", g_variant_new("(sb)", "nav", TRUE)) != 1 ||
	    call_status(c, m, mi, "DestroyVM", g_variant_new("(s)", "nav")) != 1 ||
	    call_status(c, m, mi, "Reload", NULL) != 1 ||
	    call_status(c, vm, GH_DBUS_VM_INTERFACE, "Start", NULL) != 1 ||
	    call_status(c, vm, GH_DBUS_VM_INTERFACE, "Create", NULL) != 1)
		return 11;
	return 0;
}

static void test_other_uid_refused(struct fixture *f, gconstpointer data)
{
	(void) data;
	test_daemon_define(&f->d, "nav", NULL);
	/* The kernel image must be readable for GetDeviceTree's dry run. */
	g_assert_cmpint(chmod(f->d.tmpdir, 0755), ==, 0);
	test_daemon_start(&f->d, NULL);
	g_assert_cmpint(as_nobody(f, "refused"), ==, 0);
	test_assert_state(&f->d, "nav", "defined");
	g_assert_cmpuint(f->d.state_signals->len, ==, 0);
}

/* ---- gunyahd.yaml ---- */

static char *write_config(struct fixture *f, const char *yaml)
{
	g_autofree char *path = g_build_filename(f->d.tmpdir, "gunyahd.yaml", NULL);
	g_autofree char *text = g_strdup_printf("version: 1\n%s", yaml);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return g_strdup_printf("--config=%s", path);
}

static void test_group_member_allowed(struct fixture *f, gconstpointer data)
{
	/* nobody's own group stands in for 'gunyah': the test changes no system groups. */
	struct group *g = getgrgid(65534);
	g_autofree char *yaml = NULL, *arg = NULL, *path = test_vm_path("nav");
	g_autoptr(GVariant) created = NULL;
	const char *args[2] = {};

	(void) data;
	g_assert_nonnull(g);
	yaml = g_strdup_printf("access-group: %s\n", g->gr_name);
	arg = write_config(f, yaml);
	args[0] = arg;
	test_daemon_define(&f->d, "nav", NULL);
	g_assert_cmpint(chmod(f->d.tmpdir, 0755), ==, 0);
	test_daemon_start(&f->d, args);
	g_assert_cmpint(as_nobody(f, "member"), ==, 0);
	/* It really was created and started, then destroyed. */
	test_assert_state(&f->d, "nav", "defined");
	created = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "StartedTimestamp");
	g_assert_cmpuint(g_variant_get_uint64(created), >, 0);
}

static void test_config_limits(struct fixture *f, gconstpointer data)
{
	g_autofree char *arg = write_config(f, "limits:\n  max-vms: 1\n  max-regions: 0\n");
	g_autofree char *log = NULL;
	const char *args[] = { arg, NULL };
	g_autoptr(GError) error = NULL;
	GVariant *reply;

	(void) data;
	test_daemon_define(&f->d, "one", NULL);
	test_daemon_define(&f->d, "two", NULL);
	test_daemon_define(&f->d, "regions", "regions:\n  - { label: 1, base: 0xc0000000, size: 4K }\n");
	test_daemon_start(&f->d, args);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "one"));
	reply = test_manager_call(&f->d, "StartVM", g_variant_new("(s)", "two"), &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, GH_ERROR_LIMIT_EXCEEDED, "limits.max-vms");
	test_assert_state(&f->d, "two", "defined");
	/* max-regions 0: the definition with a region is refused at load. */
	g_assert_false(vm_exists(f, "regions"));
	log = test_daemon_log(&f->d);
	g_assert_nonnull(strstr(log, "regions.yaml:9:5: regions[0]: too many regions"));
}

static void test_bad_config(struct fixture *f, gconstpointer data)
{
	g_autofree char *arg = write_config(f, "limits:\n  max-vm: 3\n");
	g_autofree char *out = NULL;
	const char *argv[] = { g_getenv("GUNYAHD_BINARY"), arg, "--backend=sim",
			       "--bus-address=unix:path=/nonexistent", NULL };
	int status;

	(void) data;
	g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
				   NULL, NULL, &out, &status, NULL));
	g_assert_false(g_spawn_check_wait_status(status, NULL));
	g_assert_nonnull(strstr(out, "gunyahd.yaml:3:3: limits.max-vm: unknown key"));
}

/* A simulator setting that does not parse stops gunyahd and says why on stderr. */
static void test_bad_sim_env(struct fixture *f, gconstpointer data)
{
	const char *argv[] = { g_getenv("GUNYAHD_BINARY"), "--backend=sim",
			       "--bus-address=unix:path=/nonexistent", NULL };
	g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "GUNYAHD_SIM", "start=maybe", TRUE);
	g_autofree char *out = NULL;
	int status;

	(void) f;
	(void) data;
	g_assert_true(g_spawn_sync(NULL, (char **) argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
				   NULL, NULL, &out, &status, NULL));
	g_assert_false(g_spawn_check_wait_status(status, NULL));
	g_assert_nonnull(strstr(out, "Invalid GUNYAHD_SIM='start=maybe'"));
}

/* Reload applies a changed gunyahd.yaml; a broken one is reported and changes nothing. */
static void test_config_reload(struct fixture *f, gconstpointer data)
{
	g_autofree char *arg = write_config(f, "limits:\n  max-vms: 1\n");
	const char *args[] = { arg, NULL };
	g_autoptr(GError) error = NULL, error2 = NULL;
	g_autofree char *log = NULL;
	GVariant *reply;

	(void) data;
	test_daemon_define(&f->d, "one", NULL);
	test_daemon_define(&f->d, "two", NULL);
	test_daemon_start(&f->d, args);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "one"));
	reply = test_manager_call(&f->d, "StartVM", g_variant_new("(s)", "two"), &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, GH_ERROR_LIMIT_EXCEEDED, "limits.max-vms");

	/* --definitions pins the directory: the configuration's is ignored. */
	g_free(write_config(f, "definitions: /nonexistent\nlimits:\n  max-vms: 2\n"));
	test_manager_call_ok(&f->d, "Reload", NULL);
	g_assert_cmpuint(vm_count(f), ==, 2);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "two"));
	test_assert_state(&f->d, "one", "running");	/* nothing live was disturbed */

	/* Broken: refused, with where; the definitions are reread all the same. */
	g_free(write_config(f, "limits:\n  max-vm: 3\n"));
	test_daemon_define(&f->d, "three", NULL);
	reply = test_manager_call(&f->d, "Reload", NULL, &error2);
	g_assert_null(reply);
	test_assert_dbus_error(error2, GH_ERROR_INVALID_DEFINITION,
			       "gunyahd.yaml:3:3: limits.max-vm: unknown key");
	g_assert_true(vm_exists(f, "three"));
	g_clear_error(&error);
	reply = test_manager_call(&f->d, "StartVM", g_variant_new("(s)", "three"), &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, GH_ERROR_LIMIT_EXCEEDED, "the limit is 2");
	test_assert_state(&f->d, "one", "running");
	test_assert_state(&f->d, "two", "running");
	log = test_daemon_log(&f->d);
	g_assert_nonnull(strstr(log, "keeping the one in use"));
}

/*
 * A definition loaded under one IPA width is checked again at Create,
 * through the same pipeline: after a reload narrows the width, the file
 * no longer passes (its previous definition is kept), and Create refuses
 * it with every problem, one per line, and builds nothing.
 */
static void test_create_rechecks(struct fixture *f, gconstpointer data)
{
	g_autofree char *arg = write_config(f, "ipa-bits: 36\n");
	const char *args[] = { arg, NULL };
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;
	GVariant *reply;

	(void) data;
	test_daemon_define(&f->d, "high", "regions:\n"
			   "  - { label: 1, base: 0x200000000, size: 4K }\n"
			   "  - { label: 2, base: 0x300000000, size: 4K }\n");
	test_daemon_start(&f->d, args);
	g_free(write_config(f, "ipa-bits: 32\n"));
	test_manager_call_ok(&f->d, "Reload", NULL);
	g_assert_true(vm_exists(f, "high"));
	reply = test_manager_call(&f->d, "CreateVM", g_variant_new("(s)", "high"), &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, GH_ERROR_LAYOUT_CONFLICT, "VM 'high': ");
	lines = g_strsplit(error->message, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 2);
	g_assert_nonnull(strstr(lines[0], "regions[0]"));
	g_assert_nonnull(strstr(lines[1], "regions[1]"));
	test_assert_state(&f->d, "high", "defined");
}

/* A definitions directory missing at start: Reload says so, then finds it once it exists. */
static void test_reload_missing_dir(struct fixture *f, gconstpointer data)
{
	g_autofree char *later = g_build_filename(f->d.tmpdir, "later.d", NULL);
	g_autofree char *arg = g_strdup_printf("--definitions=%s", later);
	g_autofree char *file = NULL, *yaml = NULL;
	const char *args[] = { arg, NULL };
	g_autoptr(GError) error = NULL;
	GVariant *reply;

	(void) data;
	test_daemon_define(&f->d, "elsewhere", NULL);	/* in the default vms.d: not read */
	test_daemon_start(&f->d, args);
	g_assert_cmpuint(vm_count(f), ==, 0);
	reply = test_manager_call(&f->d, "Reload", NULL, &error);
	g_assert_null(reply);
	test_assert_dbus_error(error, "org.freedesktop.DBus.Error.FileNotFound", later);

	g_assert_cmpint(g_mkdir(later, 0755), ==, 0);
	file = g_build_filename(later, "late.yaml", NULL);
	yaml = g_strdup_printf("version: 1\nname: late\nmemory: { size: 16M }\nkernel: %s\n",
			       f->d.kernel);
	g_assert_true(g_file_set_contents(file, yaml, -1, NULL));
	test_manager_call_ok(&f->d, "Reload", NULL);
	g_assert_true(vm_exists(f, "late"));
	g_assert_cmpuint(vm_count(f), ==, 1);
}

/* SIGHUP rereads gunyahd.yaml too; its 'definitions' moves the directory. */
static void test_config_sighup(struct fixture *f, gconstpointer data)
{
	g_autofree char *other = g_build_filename(f->d.tmpdir, "other.d", NULL);
	g_autofree char *yaml = g_strdup_printf("definitions: %s\nlimits:\n  max-regions: 0\n",
						f->d.defs);
	g_autofree char *arg = write_config(f, yaml);
	const char *args[] = { arg, NULL };
	g_autofree char *moved = NULL, *file = NULL, *text = NULL;

	(void) data;
	f->d.no_definitions_arg = true;
	test_daemon_define(&f->d, "plain", NULL);
	test_daemon_define(&f->d, "regions", "regions:\n  - { label: 1, base: 0xc0000000, size: 4K }\n");
	test_daemon_start(&f->d, args);
	g_assert_true(vm_exists(f, "plain"));
	g_assert_false(vm_exists(f, "regions"));	/* max-regions 0 */

	g_free(yaml);
	yaml = g_strdup_printf("definitions: %s\nlimits:\n  max-regions: 1\n", f->d.defs);
	g_free(write_config(f, yaml));
	g_string_truncate(f->d.notify, 0);
	kill(f->d.pid, SIGHUP);
	g_assert_true(test_daemon_wait_notify(&f->d, "RELOADING=1", 10000));
	g_assert_true(test_daemon_wait_notify(&f->d, "READY=1", 10000));
	g_assert_true(vm_exists(f, "regions"));
	g_assert_cmpuint(vm_count(f), ==, 2);

	/* A new directory with only 'moved' in it: the old VMs go, the new one comes. */
	g_assert_cmpint(g_mkdir(other, 0755), ==, 0);
	file = g_build_filename(other, "moved.yaml", NULL);
	text = g_strdup_printf("version: 1\nname: moved\nmemory: { size: 16M }\nkernel: %s\n",
			       f->d.kernel);
	g_assert_true(g_file_set_contents(file, text, -1, NULL));
	moved = g_strdup_printf("definitions: %s\n", other);
	g_free(write_config(f, moved));
	g_string_truncate(f->d.notify, 0);
	kill(f->d.pid, SIGHUP);
	g_assert_true(test_daemon_wait_notify(&f->d, "READY=1", 10000));
	g_assert_true(vm_exists(f, "moved"));
	g_assert_false(vm_exists(f, "plain"));
	g_assert_cmpuint(vm_count(f), ==, 1);
}

static void test_restart_policy(struct fixture *f, gconstpointer data)
{
	g_autofree char *arg = write_config(f, "restart:\n  backoff: 10ms\n  backoff-max: 40ms\n");
	g_autofree char *path = test_vm_path("phoenix");
	g_autoptr(GVariant) count = NULL, reason = NULL;
	const char *args[] = { arg, NULL };

	(void) data;
	test_daemon_define(&f->d, "phoenix", "restart: { policy: on-failure, burst: 2 }\n"
			   "simulate: { exit-after: 30ms, exit-type: software-error }\n");
	test_daemon_start(&f->d, args);
	test_manager_call_ok(&f->d, "StartVM", g_variant_new("(s)", "phoenix"));
	test_wait_state(&f->d, "phoenix", "failed");
	reason = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "StateReason");
	g_assert_cmpstr(g_variant_get_string(reason, NULL), ==, "restart-limit");
	count = test_get_property(&f->d, path, GH_DBUS_VM_INTERFACE, "RestartCount");
	g_assert_cmpuint(g_variant_get_uint32(count), ==, 2);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *path;
		void (*fn)(struct fixture *, gconstpointer);
	} tests[] = {
		{ "/dbus/validate", test_validate },
		{ "/dbus/validate/for-use", test_validate_for },
		{ "/dbus/validate/agrees-with-create", test_validate_agrees_with_create },
		{ "/dbus/transient/lifecycle", test_transient_lifecycle },
		{ "/dbus/transient/refusals", test_transient_refusals },
		{ "/dbus/reload/method", test_reload },
		{ "/dbus/reload/sighup", test_sighup },
		{ "/dbus/reload/duplicate-name", test_reload_duplicate_name },
		{ "/dbus/reload/problems", test_reload_problems },
		{ "/dbus/audit/log", test_audit_log },
		{ "/dbus/autostart", test_autostart },
		{ "/dbus/autostart/failure-visible", test_autostart_failure_visible },
		{ "/dbus/properties/definition", test_definition_properties },
		{ "/dbus/watchdog", test_watchdog },
		{ "/dbus/auth/other-uid-refused", test_other_uid_refused },
		{ "/dbus/auth/group-member-allowed", test_group_member_allowed },
		{ "/dbus/config/limits", test_config_limits },
		{ "/dbus/config/invalid-stops-the-daemon", test_bad_config },
		{ "/dbus/config/invalid-sim-env-stops-the-daemon", test_bad_sim_env },
		{ "/dbus/config/reload", test_config_reload },
		{ "/dbus/config/create-rechecks", test_create_rechecks },
		{ "/dbus/config/sighup", test_config_sighup },
		{ "/dbus/reload/missing-dir", test_reload_missing_dir },
		{ "/dbus/restart/policy-and-limit", test_restart_policy },
	};

	if (argc == 4 && strcmp(argv[1], "--client-as-nobody") == 0) {
		GDBusConnection *c = g_dbus_connection_new_for_address_sync(
			argv[2], G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, NULL);

		if (!c)
			return 91;
		return strcmp(argv[3], "member") == 0 ? group_member_calls(c) : unprivileged_calls(c);
	}
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(tests); i++)
		g_test_add(tests[i].path, struct fixture, NULL, setup, tests[i].fn, teardown);
	return g_test_run();
}
