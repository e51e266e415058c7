// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gh-rm-emu end to end, without the kernel module: the test plays the
 * module's side of /dev/gunyah-rm through a SOCK_SEQPACKET socket (packet
 * boundaries kept, as the device keeps them) that --device names, serves
 * guest "physical" memory from a file (--phys-file), and drives the
 * control socket with `gh-rm-emu ctl`. The program's path comes from
 * $GH_RM_EMU.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libfdt.h>

#include "test-guest.h"
#include "test-rm-emu-client.h"

#define GUEST_SIZE	(4u << 20)
#define GUEST_BASE	0x80000000ULL
#define PHYS_BASE	0x40000000ULL
#define CHUNK		(256u << 10)
#define SHM_SIZE	(8u << 10)

struct prog {
	char *dir, *dev, *ctl, *ready, *log, *phys;
	int lfd;		/* listening "device" socket */
	int fd;			/* the emulator's connection */
	GPid pid;
	struct rmc *c;
};

static const char *emu_path(void)
{
	const char *p = g_getenv("GH_RM_EMU");

	g_assert_nonnull(p);
	return p;
}

static int listen_seqpacket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	g_assert_cmpint(listen(fd, 1), ==, 0);
	return fd;
}

static void wait_file(const char *path, bool present)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (g_file_test(path, G_FILE_TEST_EXISTS) == present)
			return;
		g_usleep(10000);
	}
	g_error("%s did not %s", path, present ? "appear" : "go away");
}

static struct prog *prog_new(void)
{
	struct prog *p = g_new0(struct prog, 1);

	p->dir = g_dir_make_tmp("rm-emu-prog-XXXXXX", NULL);
	g_assert_nonnull(p->dir);
	p->dev = g_build_filename(p->dir, "dev.sock", NULL);
	p->ctl = g_build_filename(p->dir, "ctl.sock", NULL);
	p->ready = g_build_filename(p->dir, "ready", NULL);
	p->log = g_build_filename(p->dir, "log", NULL);
	p->phys = g_build_filename(p->dir, "phys", NULL);
	p->lfd = listen_seqpacket(p->dev);
	p->fd = -1;
	/* an empty guest memory file until a test writes one */
	g_assert_true(g_file_set_contents(p->phys, "", 0, NULL));
	return p;
}

/* Start gh-rm-emu (in the foreground unless @daemon) and take its connection */
static void prog_spawn(struct prog *p, bool daemon)
{
	g_autofree char *phys = g_strdup_printf("%s@0x%llx", p->phys,
						(unsigned long long)PHYS_BASE);
	const char *argv[] = {
		emu_path(), "--device", p->dev, "--control", p->ctl, "--ready-file", p->ready,
		"--log", p->log, "--phys-file", phys, daemon ? NULL : "--foreground", NULL,
	};
	g_autoptr(GError) err = NULL;
	struct pollfd pfd = { .fd = p->lfd, .events = POLLIN };
	int status;

	if (daemon) {
		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, NULL, NULL,
					   &status, &err));
		g_assert_no_error(err);
		/* the parent returns once the child serves: the ready file is there already */
		g_assert_true(g_spawn_check_wait_status(status, NULL));
		g_assert_true(g_file_test(p->ready, G_FILE_TEST_EXISTS));
	} else {
		g_assert_true(g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
					    NULL, NULL, &p->pid, &err));
		g_assert_no_error(err);
	}
	g_assert_cmpint(poll(&pfd, 1, 10000), ==, 1);
	p->fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
	g_assert_cmpint(p->fd, >=, 0);
	wait_file(p->ready, true);
	p->c = rmc_new_fd(p->fd);
}

/* Run `gh-rm-emu ctl --control CTL ARGS...`; returns the exit status, *out its stdout */
static int ctl_run(struct prog *p, const char *control, char **out, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) err = NULL;
	g_autofree char *stdout_buf = NULL, *stderr_buf = NULL;
	const char *a;
	va_list ap;
	int status;

	g_ptr_array_add(argv, (char *)emu_path());
	g_ptr_array_add(argv, "ctl");
	g_ptr_array_add(argv, "--control");
	g_ptr_array_add(argv, (char *)(control ? control : p->ctl));
	va_start(ap, out);
	while ((a = va_arg(ap, const char *)))
		g_ptr_array_add(argv, (char *)a);
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, 0, NULL, NULL, &stdout_buf,
				   &stderr_buf, &status, &err));
	g_assert_no_error(err);
	if (stderr_buf && *stderr_buf)
		g_test_message("ctl stderr: %s", stderr_buf);
	g_assert_true(WIFEXITED(status));
	if (out)
		*out = g_steal_pointer(&stdout_buf);
	return WEXITSTATUS(status);
}

static char *ctl_ok(struct prog *p, const char *cmd)
{
	g_auto(GStrv) words = g_strsplit(cmd, " ", -1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) err = NULL;
	char *out = NULL;
	int status;
	size_t i;

	g_ptr_array_add(argv, (char *)emu_path());
	g_ptr_array_add(argv, "ctl");
	g_ptr_array_add(argv, "--control");
	g_ptr_array_add(argv, p->ctl);
	for (i = 0; words[i]; i++)
		g_ptr_array_add(argv, words[i]);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, 0, NULL, NULL, &out, NULL,
				   &status, &err));
	g_assert_no_error(err);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		g_error("ctl %s failed: %s", cmd, out);
	return out;
}

/* SIGTERM and reap: the program exits 0 and removes its socket and ready file */
static void prog_stop(struct prog *p)
{
	int status, i;
	pid_t r;

	g_assert_cmpint(kill(p->pid, SIGTERM), ==, 0);
	for (i = 0; i < 500; i++) {
		r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid)
			break;
		g_usleep(10000);
	}
	g_assert_cmpint(r, ==, p->pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_spawn_close_pid(p->pid);
	p->pid = 0;
	g_assert_false(g_file_test(p->ctl, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(p->ready, G_FILE_TEST_EXISTS));
}

static void prog_free(struct prog *p)
{
	rmc_free(p->c);
	if (p->fd >= 0)
		close(p->fd);
	close(p->lfd);
	g_unlink(p->dev);
	g_unlink(p->ctl);
	g_unlink(p->ready);
	g_unlink(p->log);
	g_unlink(p->phys);
	g_rmdir(p->dir);
	g_free(p->dir);
	g_free(p->dev);
	g_free(p->ctl);
	g_free(p->ready);
	g_free(p->log);
	g_free(p->phys);
	g_free(p);
}

/* ---------------------------------------------------------------------------
 * Tests
 */
static void test_smoke(void)
{
	struct prog *p = prog_new();
	g_autofree char *vms = NULL, *out = NULL, *stats = NULL, *log = NULL, *bogus = NULL;
	g_autofree char *nowhere = g_build_filename(p->dir, "nowhere.sock", NULL);
	u16 vmid;

	prog_spawn(p, false);
	vmid = rmc_alloc_vm(p->c);
	g_assert_cmphex(vmid, ==, 0x80);

	vms = ctl_ok(p, "vms");
	g_assert_true(g_str_has_prefix(vms, "vmid=0x80 state=LOAD owner=0x3 image-name=- "));
	g_assert_cmpint(ctl_run(p, NULL, &out, "ping", NULL), ==, 0);
	g_assert_cmpstr(out, ==, "");
	g_assert_cmpint(ctl_run(p, NULL, &bogus, "bogus", NULL), ==, 1);
	g_assert_cmpstr(bogus, ==, "");
	g_assert_cmpint(ctl_run(p, nowhere, NULL, "ping", NULL), ==, 2);
	stats = ctl_ok(p, "stats");
	g_assert_true(g_str_has_prefix(stats, "requests=1 concurrent=0 dropped=0 malformed=0 "));

	prog_stop(p);
	g_assert_true(g_file_get_contents(p->log, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "rpc 1 VM_ALLOCATE seq=1 vmid=0x80 result=OK"));
	g_assert_nonnull(strstr(log, "rx REQUEST VM_ALLOCATE seq=1"));
	g_assert_nonnull(strstr(log, "tx REPLY VM_ALLOCATE seq=1"));
	prog_free(p);
}

/* DESIGN §4's sequence through the program, the DTB read from the "physical" file */
static void test_start_sequence(void)
{
	struct prog *p = prog_new();
	g_autofree u8 *mem = g_malloc0(GUEST_SIZE + SHM_SIZE);
	g_autofree char *vms = NULL, *parcels = NULL;
	struct gh_rm_mem_entry main_ents[GUEST_SIZE / CHUNK], shm;
	struct gh_rm_acl_entry acl[2];
	struct rmc_msg *m;
	u32 h_main, h_shm, i, n;
	u64 dtb_off;
	u16 vmid;

	dtb_off = test_guest_write_dtb(mem, GUEST_SIZE, GUEST_BASE, 1);
	/*
	 * The scatter list in reverse physical order, and the file laid out to
	 * match: the DTB is only found by walking the list as the RM does.
	 */
	for (i = 0; i < G_N_ELEMENTS(main_ents); i++) {
		main_ents[i].ipa_base = PHYS_BASE + (u64)(G_N_ELEMENTS(main_ents) - 1 - i) * CHUNK;
		main_ents[i].size = CHUNK;
	}
	{
		g_autofree u8 *file = g_malloc0(GUEST_SIZE + SHM_SIZE);

		for (i = 0; i < G_N_ELEMENTS(main_ents); i++)
			memcpy(file + (main_ents[i].ipa_base - PHYS_BASE), mem + (size_t)i * CHUNK,
			       CHUNK);
		g_assert_true(g_file_set_contents(p->phys, (char *)file, GUEST_SIZE + SHM_SIZE,
						  NULL));
	}
	shm.ipa_base = PHYS_BASE + GUEST_SIZE;
	shm.size = SHM_SIZE;

	prog_spawn(p, false);
	vmid = rmc_alloc_vm(p->c);
	acl[0] = (struct gh_rm_acl_entry){ vmid, GH_RM_ACL_RWX };
	g_assert_cmphex(rmc_mem(p->c, GH_RM_MEM_LEND, 0, acl, 1, main_ents,
				G_N_ELEMENTS(main_ents), &h_main), ==, 0);
	g_assert_cmphex(rmc_call(p->c, GH_RM_VM_GET_VMID, NULL, 0, NULL), ==, 0);
	acl[0].perms = GH_RM_ACL_R | GH_RM_ACL_W;
	acl[1] = (struct gh_rm_acl_entry){ GH_RM_VMID_HLOS, GH_RM_ACL_RWX };
	g_assert_cmphex(rmc_mem(p->c, GH_RM_MEM_SHARE, 1, acl, 2, &shm, 1, &h_shm), ==, 0);
	g_assert_cmphex(rmc_config_image(p->c, vmid, h_main, dtb_off, TEST_GUEST_DTB_SLOT), ==, 0);
	rmc_expect_status(p->c, vmid, GH_RM_VM_STATE_INIT);
	g_assert_cmphex(rmc_vmid_call(p->c, GH_RM_VM_INIT, vmid), ==, 0);
	rmc_expect_status(p->c, vmid, GH_RM_VM_STATE_READY);
	g_assert_cmphex(rmc_call(p->c, GH_RM_VM_GET_HYP_RESOURCES, (u8[]){ (u8)vmid, 0, 0, 0 }, 4,
				 &m), ==, 0);
	g_assert_cmpint(gh_rm_dec_hyp_resources(m->data, m->len, &n), ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_free(m);
	g_assert_cmphex(rmc_vmid_call(p->c, GH_RM_VM_START, vmid), ==, 0);
	rmc_expect_status(p->c, vmid, GH_RM_VM_STATE_RUNNING);
	vms = ctl_ok(p, "vms");
	g_assert_true(g_str_has_prefix(vms, "vmid=0x80 state=RUNNING owner=0x3 "
					    "image-name=conformance "));

	g_assert_cmphex(rmc_stop(p->c, vmid, true), ==, 0);
	rmc_expect_status(p->c, vmid, GH_RM_VM_STATE_EXITED);
	rmc_pump(p->c, 500);
	m = rmc_take_notif(p->c);
	g_assert_nonnull(m);
	g_assert_cmphex(m->msg_id, ==, GH_RM_NOTIF_VM_EXITED);
	g_free(m);
	g_assert_cmphex(rmc_vmid_call(p->c, GH_RM_VM_RESET, vmid), ==, 0);
	rmc_expect_status(p->c, vmid, GH_RM_VM_STATE_RESETTING);
	rmc_expect_status(p->c, vmid, GH_RM_VM_STATE_RESET);
	g_assert_cmphex(rmc_reclaim(p->c, h_main), ==, 0);
	g_assert_cmphex(rmc_reclaim(p->c, h_shm), ==, 0);
	g_assert_cmphex(rmc_vmid_call(p->c, GH_RM_VM_DEALLOCATE, vmid), ==, 0);
	parcels = ctl_ok(p, "parcels");
	g_assert_cmpstr(parcels, ==, "");
	g_free(vms);
	vms = ctl_ok(p, "vms");
	g_assert_cmpstr(vms, ==, "");
	prog_stop(p);
	prog_free(p);
}

/* Timers (a delayed reply) and a queue deeper than the socket takes at once */
static void test_timers_and_storm(void)
{
	struct prog *p = prog_new();
	g_autofree char *out = NULL;
	struct rmc_msg *m;
	gint64 t0, dt;
	u16 seq;

	prog_spawn(p, false);
	g_free(ctl_ok(p, "fault VM_GET_VMID delay 300 count 1"));
	t0 = g_get_monotonic_time();
	seq = rmc_send(p->c, GH_RM_VM_GET_VMID, NULL, 0);
	m = rmc_take_reply(p->c, seq);
	dt = g_get_monotonic_time() - t0;
	g_assert_nonnull(m);
	g_assert_cmphex(m->err, ==, 0);
	g_free(m);
	g_test_message("delayed reply after %" G_GINT64_FORMAT " us", dt);
	/*
	 * Only a lower bound: a loaded machine makes the reply later, never
	 * earlier. gh-rm-emu's clock counts whole milliseconds (it stamps the
	 * request with the truncated time), hence the 1 ms of slack.
	 */
	g_assert_cmpint(dt, >=, 300000 - 1000);

	g_free(ctl_ok(p, "storm 2000"));
	/* Bounded generously: a loaded 2-core machine took over 10 s once. */
	for (gint64 end = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;
	     p->c->msgs.length < 2000 && g_get_monotonic_time() < end;)
		rmc_pump(p->c, 100);
	g_assert_cmpuint(p->c->msgs.length, ==, 2000);
	rmc_drain(p->c);

	g_ptr_array_set_size(p->c->raw, 0);
	g_free(ctl_ok(p, "malformed long"));
	g_free(ctl_ok(p, "malformed short"));
	rmc_pump(p->c, 500);
	rmc_pump(p->c, 100);
	g_assert_cmpuint(p->c->raw->len, ==, 2);
	g_assert_cmpuint(((GByteArray *)g_ptr_array_index(p->c->raw, 0))->len, ==, 241);
	g_assert_cmpuint(((GByteArray *)g_ptr_array_index(p->c->raw, 1))->len, ==, 4);
	out = ctl_ok(p, "stats");
	g_assert_nonnull(strstr(out, " malformed=2 "));
	g_assert_nonnull(strstr(out, " notifications=2000 "));
	g_assert_nonnull(strstr(out, " delayed=1 "));
	prog_stop(p);
	prog_free(p);
}

/* Without --foreground the program detaches once it serves; the device closing ends it */
static void test_daemon(void)
{
	struct prog *p = prog_new();
	g_autofree char *pid = NULL;

	prog_spawn(p, true);
	g_assert_true(g_file_get_contents(p->ready, &pid, NULL, NULL));
	g_assert_cmpint(atoi(pid), >, 1);
	g_assert_cmphex(rmc_alloc_vm(p->c), ==, 0x80);
	/* a second instance on the same control socket refuses to start */
	{
		const char *argv[] = { emu_path(), "--foreground", "--device", p->dev,
				       "--control", p->ctl, NULL };
		g_autofree char *err = NULL;
		struct pollfd pfd = { .fd = p->lfd, .events = POLLIN };
		int status, fd;

		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, NULL, &err,
					   &status, NULL));
		g_assert_false(g_spawn_check_wait_status(status, NULL));
		g_assert_nonnull(strstr(err, "another gh-rm-emu answers there"));
		/* it had connected to the device first: drop that connection */
		if (poll(&pfd, 1, 1000) == 1) {
			fd = accept(p->lfd, NULL, NULL);
			if (fd >= 0)
				close(fd);
		}
	}
	/* the module side goes away: the emulator exits and cleans up */
	close(p->fd);
	p->fd = -1;
	wait_file(p->ctl, false);
	wait_file(p->ready, false);
	prog_free(p);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

	g_test_add_func("/rm-emu-prog/smoke", test_smoke);
	g_test_add_func("/rm-emu-prog/start-sequence", test_start_sequence);
	g_test_add_func("/rm-emu-prog/timers-and-storm", test_timers_and_storm);
	g_test_add_func("/rm-emu-prog/daemon", test_daemon);
	return g_test_run();
}
