/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahd: options, the libevent loop, signals, sd_notify.
 */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"

#include "bus-loop.h"
#include "bus-manager.h"
#include "bus-observer.h"
#include "bus-systemd.h"
#include "bus-vm.h"
#include "config-file.h"
#include "hyp.h"
#include "manager.h"
#include "util/fdstore.h"
#include "util/log.h"
#include "util/string-table.h"
#include "util/time-util.h"
#include "vm-store.h"

#define DEFAULT_DEVICE "/dev/gunyah"

enum backend_choice {
	BACKEND_AUTO,
	BACKEND_KERNEL,
	BACKEND_SIM,
	_BACKEND_MAX,
	_BACKEND_INVALID = -EINVAL,
};

static const char *const backend_choice_table[_BACKEND_MAX] = {
	[BACKEND_AUTO] = "auto",
	[BACKEND_KERNEL] = "kernel",
	[BACKEND_SIM] = "sim",
};

static DEFINE_STRING_TABLE_FROM_STRING(backend_choice, enum backend_choice, backend_choice_table)

struct options {
	const char *config;
	const char *definitions;
	enum backend_choice backend;
	const char *device;
	bool user_bus;
	const char *bus_address;
};

struct daemon {
	struct event_base *base;
	sd_bus *bus;
	struct bus_loop *bus_loop;
	struct manager *manager;
	struct event *signals[3];	/* SIGTERM, SIGINT: quit; SIGHUP: reload */
	struct event *watchdog;
	struct vm_store_fds stored;	/* what the fd store handed back, until adopted */
	bool quit;
};

static void help(void)
{
	printf("gunyahd [OPTIONS...]\n\n"
	       "VM manager for the Gunyah hypervisor: VMs defined in YAML, served on D-Bus\n"
	       "as org.gunyah.Manager1.\n\n"
	       "  -h --help                 Show this help\n"
	       "     --version              Show the version\n"
	       "  -c --config FILE          Daemon configuration (default %s)\n"
	       "  -d --definitions DIR      VM definitions directory (default: the\n"
	       "                            configuration's, else %s)\n"
	       "     --backend BACKEND      auto, kernel or sim (default auto: kernel when\n"
	       "                            the device exists, else sim with a warning)\n"
	       "     --device PATH          Gunyah device for the kernel backend (default %s)\n"
	       "     --user                 Serve on the session bus instead of the system bus\n"
	       "     --bus-address ADDR     Serve on the bus at this D-Bus address\n"
	       "     --log-level LEVEL      emerg..debug (default info)\n",
	       GUNYAHD_CONFIG_FILE, GUNYAHD_DEFINITIONS_DIR, DEFAULT_DEVICE);
}

static int parse_argv(int argc, char **argv, struct options *o)
{
	enum {
		ARG_VERSION = 0x100,
		ARG_BACKEND,
		ARG_DEVICE,
		ARG_USER,
		ARG_BUS_ADDRESS,
		ARG_LOG_LEVEL,
	};
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "config", required_argument, NULL, 'c' },
		{ "definitions", required_argument, NULL, 'd' },
		{ "backend", required_argument, NULL, ARG_BACKEND },
		{ "device", required_argument, NULL, ARG_DEVICE },
		{ "user", no_argument, NULL, ARG_USER },
		{ "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
		{ "log-level", required_argument, NULL, ARG_LOG_LEVEL },
		{}
	};
	int c, level;

	while ((c = getopt_long(argc, argv, "hc:d:", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("gunyahd %s\n", GUNYAHD_VERSION);
			return 0;
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->definitions = optarg;
			break;
		case ARG_BACKEND:
			o->backend = backend_choice_from_string(optarg);
			if (o->backend < 0) {
				log_error("Unknown backend '%s': expected auto, kernel or sim", optarg);
				return -EINVAL;
			}
			break;
		case ARG_DEVICE:
			o->device = optarg;
			break;
		case ARG_USER:
			o->user_bus = true;
			break;
		case ARG_BUS_ADDRESS:
			o->bus_address = optarg;
			break;
		case ARG_LOG_LEVEL:
			level = log_level_from_string(optarg);
			if (level < 0) {
				log_error("Unknown log level '%s'", optarg);
				return -EINVAL;
			}
			log_set_max_level(level);
			break;
		case '?':
			return -EINVAL;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (o->user_bus && o->bus_address) {
		log_error("--user and --bus-address exclude each other");
		return -EINVAL;
	}
	return 1;
}

/*
 * The configuration file: the built-in defaults when the default file is
 * absent; an explicit --config must exist. A file with problems stops
 * the daemon, every problem logged.
 */
static int load_config(const struct options *o, struct config *ret)
{
	const char *path = o->config ? o->config : GUNYAHD_CONFIG_FILE;
	struct def_diags diags = {};
	int r;

	r = config_load(path, o->config != NULL, ret, &diags);
	if (r < 0) {
		for (size_t i = 0; i < diags.n; i++) {
			_cleanup_free_ char *line = def_diag_format(path, &diags.items[i]);

			log_error("%s", line ? line : "out of memory");
		}
		def_diags_clear(&diags);
		return log_errno(LOG_ERR, r, "Cannot use the configuration '%s': %m", path);
	}
	return 0;
}

static int open_backend(const struct options *o, struct hyp **ret)
{
	const char *device = o->device ? o->device : DEFAULT_DEVICE;
	int r;

	if (o->backend == BACKEND_SIM)
		return hyp_sim_new(ret);

	r = hyp_kernel_new(device, ret);
	if (r >= 0) {
		log_info("Using the kernel backend on %s", device);
		return r;
	}
	if (o->backend == BACKEND_KERNEL || r != -ENOENT)
		return log_errno(LOG_ERR, r, "Cannot open %s: %m", device);

	log_warning("*** %s does not exist: using the SIMULATED hypervisor. ***", device);
	log_warning("*** VMs will not run; use --backend=kernel on Gunyah hardware. ***");
	return hyp_sim_new(ret);
}

static int open_bus(const struct options *o, sd_bus **ret)
{
	_cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
	int r;

	if (o->user_bus)
		return sd_bus_open_user(ret);
	if (!o->bus_address)
		return sd_bus_open_system(ret);

	r = sd_bus_new(&bus);
	if (r < 0)
		return r;
	r = sd_bus_set_address(bus, o->bus_address);
	if (r < 0)
		return r;
	r = sd_bus_set_bus_client(bus, 1);
	if (r < 0)
		return r;
	r = sd_bus_start(bus);
	if (r < 0)
		return r;
	*ret = steal_ptr(bus);
	return 0;
}

static void on_quit_signal(evutil_socket_t sig, short what, void *userdata)
{
	struct daemon *d = userdata;

	(void) what;
	log_info("Received %s, shutting down", strsignal((int) sig));
	d->quit = true;
	event_base_loopbreak(d->base);
}

static void on_reload_signal(evutil_socket_t sig, short what, void *userdata)
{
	struct daemon *d = userdata;

	(void) sig;
	(void) what;
	/* Type=notify-reload wants the time of the reload with RELOADING=1 */
	sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64
		   "\nSTATUS=Reloading the configuration and definitions", now_usec(CLOCK_MONOTONIC));
	(void) manager_reload(d->manager, NULL);
	sd_notifyf(false, "READY=1\nSTATUS=Serving %zu VM definition(s)", d->manager->n_vms);
}

/* Pings from the loop itself: a loop that stalls stops pinging. */
static void on_watchdog(evutil_socket_t fd, short what, void *userdata)
{
	(void) fd;
	(void) what;
	(void) userdata;
	sd_notify(false, "WATCHDOG=1");
}

static int arm_watchdog(struct daemon *d)
{
	struct timeval tv;
	uint64_t usec;

	if (sd_watchdog_enabled(false, &usec) <= 0)
		return 0;
	usec /= 2;
	tv = timeval_from_usec(usec);
	d->watchdog = event_new(d->base, -1, EV_PERSIST, on_watchdog, d);
	if (!d->watchdog || event_add(d->watchdog, &tv) < 0)
		return -ENOMEM;
	log_debug("Watchdog: pinging every %.3f s", sec_from_usec(usec));
	return 0;
}

static int serve(struct daemon *d)
{
	int r;

	while (!d->quit && !bus_loop_disconnected(d->bus_loop)) {
		r = bus_loop_prepare(d->bus_loop);
		if (r < 0)
			return log_errno(LOG_ERR, r, "Cannot arm the D-Bus connection: %m");
		if (event_base_loop(d->base, EVLOOP_ONCE) < 0)
			return log_errno(LOG_ERR, -EIO, "Event loop failed");
	}
	return bus_loop_disconnected(d->bus_loop) ? -ECONNRESET : 0;
}

/*
 * --user outside a user unit: console logs go where a user unit's
 * LogsDirectory=gunyah would put them, $XDG_STATE_HOME/log/gunyah, made
 * here as systemd would (the default console.log-dir is $LOGS_DIRECTORY).
 */
static int setup_user_logs(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	_cleanup_free_ char *dir = NULL;
	char *p;
	int r;

	if (getenv("LOGS_DIRECTORY"))
		return 0;
	if (state && state[0] == '/')
		r = asprintf(&dir, "%s/log/gunyah", state);
	else if (home && home[0] == '/')
		r = asprintf(&dir, "%s/.local/state/log/gunyah", home);
	else
		return 0;	/* nowhere: the built-in default, said at the first create */
	if (r < 0)
		return log_errno(LOG_ERR, -ENOMEM, "Cannot set up console logs: %m");
	for (p = strchr(dir + 1, '/'); ; p = strchr(p + 1, '/')) {
		if (p)
			*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return log_errno(LOG_ERR, -errno, "Cannot create '%s' for console logs: %m",
					 dir);
		if (!p)
			break;
		*p = '/';
	}
	if (setenv("LOGS_DIRECTORY", dir, 1) < 0)
		return log_errno(LOG_ERR, -errno, "Cannot set up console logs: %m");
	return 0;
}

/* The backend and the manager on it, with the configuration. */
static int setup_manager(struct daemon *d, const struct options *o, struct config *config)
{
	struct hyp *hyp = NULL;
	int r;

	if (o->user_bus) {
		r = setup_user_logs();
		if (r < 0)
			return r;
	}
	r = load_config(o, config);
	if (r < 0)
		return r;
	r = open_backend(o, &hyp);
	if (r < 0)
		return r;
	r = manager_new(d->base, hyp, &d->manager);
	if (r < 0) {
		hyp_free(hyp);
		return log_errno(LOG_ERR, r, "Cannot create the manager: %m");
	}
	manager_set_config(d->manager, config);
	r = manager_set_config_source(d->manager, o->config ? o->config : GUNYAHD_CONFIG_FILE,
				      o->config != NULL, o->definitions != NULL);
	if (r < 0)
		return log_errno(LOG_ERR, r, "Cannot set up: %m");
	return 0;
}

/* The connection and the objects on it; the name comes once VMs are loaded. */
static int setup_bus(struct daemon *d, const struct options *o)
{
	int r;

	r = open_bus(o, &d->bus);
	if (r < 0)
		return log_errno(LOG_ERR, r, "Cannot connect to the D-Bus bus: %m");
	r = bus_manager_register(d->manager, d->bus);
	if (r >= 0)
		r = bus_vm_register(d->manager, d->bus);
	if (r >= 0)
		r = bus_observer_register(d->manager, d->bus);
	if (r < 0)
		return log_errno(LOG_ERR, r, "Cannot register D-Bus objects: %m");
	return 0;
}

/*
 * VMs survive gunyahd when systemd keeps their fds (vm-store.h): under a
 * service manager with a fd store and a runtime directory, on the kernel
 * backend (the sim's VMs live in this process).
 */
static int setup_survival(struct daemon *d)
{
	const struct config *c = &d->manager->config;
	/* per VM: VM, console, main memory, a transient VM's 3 files, each extra region */
	uint32_t max, need = c->limits.max_vms * (c->limits.max_regions + 5);
	const char *dirs = getenv("RUNTIME_DIRECTORY");
	_cleanup_free_ char *dir = NULL;
	int r;

	if (!fdstore_available() || !dirs || !*dirs)
		return 0;
	if (hyp_kind(d->manager->hyp) != HYP_KIND_KERNEL) {
		log_notice("VMs of the simulated hypervisor live in gunyahd: they end with it");
		return 0;
	}
	r = systemd_unit_fd_store_max(&max);
	if (r >= 0 && max == 0) {
		log_notice("FileDescriptorStoreMax=0: VMs end with gunyahd");
		return 0;
	}
	if (r >= 0 && max < need)
		log_warning("FileDescriptorStoreMax=%" PRIu32 " is below the %" PRIu32 " fds that "
			    "limits.max-vms VMs may need: the last VMs may not survive a restart",
			    max, need);
	/* The first of RuntimeDirectory='s directories. */
	dir = strndup(dirs, strcspn(dirs, ":"));
	if (!dir)
		return log_errno(LOG_ERR, -ENOMEM, "Cannot set up: %m");
	r = manager_enable_store(d->manager, dir);
	if (r < 0)
		return log_errno(LOG_ERR, r, "Cannot keep VM state in %s: %m", dir);
	log_info("VMs outlive gunyahd: fds in systemd's fd store, state in %s", dir);
	return 0;
}

static int load_definitions(struct daemon *d, const char *dir)
{
	struct stat st;
	int r;

	if (stat(dir, &st) == 0) {
		/* Unreadable: logged; the daemon serves all the same and a reload retries. */
		r = manager_load_definitions(d->manager, dir);
		return r == -ENOMEM ? log_errno(LOG_ERR, r, "Cannot set up: %m") : 0;
	}
	log_warning("Definitions directory '%s' does not exist, no VMs defined", dir);
	/* Remembered all the same: a reload finds it once it exists. */
	r = manager_set_definitions_dir(d->manager, dir);
	if (r < 0)
		return log_errno(LOG_ERR, r, "Cannot set up: %m");
	return 0;
}

/* The bus name, then the loop's watches: requests are served from here on. */
static int start_serving(struct daemon *d)
{
	static const struct {
		int sig;
		event_callback_fn fn;
	} signals[] = {
		{ SIGTERM, on_quit_signal },
		{ SIGINT, on_quit_signal },
		{ SIGHUP, on_reload_signal },
	};
	int r;

	r = sd_bus_request_name(d->bus, GH_DBUS_SERVICE, 0);
	if (r < 0)
		return log_errno(LOG_ERR, r, "Cannot own the bus name %s: %m", GH_DBUS_SERVICE);
	r = bus_loop_new(d->bus, d->base, &d->bus_loop);
	if (r < 0)
		return log_errno(LOG_ERR, r, "Cannot attach D-Bus to the event loop: %m");
	for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
		d->signals[i] = evsignal_new(d->base, signals[i].sig, signals[i].fn, d);
		if (!d->signals[i] || evsignal_add(d->signals[i], NULL) < 0)
			return log_errno(LOG_ERR, -ENOMEM, "Cannot watch signals");
	}
	r = arm_watchdog(d);
	if (r < 0)
		return log_errno(LOG_ERR, r, "Cannot arm the watchdog: %m");
	return 0;
}

/*
 * Whether live VMs stay for the next gunyahd: systemd restarts the unit
 * (systemctl restart), or will after this failure (Restart=on-failure).
 * A plain stop destroys them: the store would close them in PID 1.
 */
static bool hand_over(struct daemon *d, int r)
{
	_cleanup_free_ char *job = NULL;

	if (!d->manager->store_dir)
		return false;
	if (r < 0)
		return true;
	if (systemd_unit_job_type(&job) < 0)
		log_warning("Cannot ask systemd whether this is a restart: destroying every VM");
	return job && !strcmp(job, "restart");
}

static void daemon_done(struct daemon *d)
{
	for (size_t i = 0; i < ELEMENTSOF(d->signals); i++)
		if (d->signals[i])
			event_free(d->signals[i]);
	if (d->watchdog)
		event_free(d->watchdog);
	bus_loop_free(d->bus_loop);
	manager_free(d->manager);
	sd_bus_flush_close_unref(d->bus);
	event_base_free(d->base);
}

static int run(const struct options *o)
{
	struct daemon d = {};
	struct config config = {};
	const char *kind;
	int r;

	/* A client going away mid-write must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	/* Before anything else opens a file: the fds systemd kept for us. */
	r = vm_store_fds_take(&d.stored);
	if (r < 0)
		log_errno(LOG_ERR, r, "Cannot take the fds systemd kept: %m");

	d.base = event_base_new();
	if (!d.base)
		return log_errno(LOG_ERR, -ENOMEM, "Cannot create the event loop");
	r = setup_manager(&d, o, &config);
	if (r >= 0)
		r = setup_survival(&d);
	if (r >= 0)
		r = setup_bus(&d, o);
	if (r >= 0)
		r = load_definitions(&d, o->definitions ? o->definitions
							: d.manager->config.definitions_dir);
	if (r >= 0) {
		manager_adopt(d.manager, &d.stored);
		vm_store_fds_done(&d.stored);
		r = start_serving(&d);
	}
	if (r < 0)
		goto out;

	kind = hyp_kind_to_string(hyp_kind(d.manager->hyp));
	log_notice("gunyahd %s serving %s on the %s backend, %zu VM(s) defined", GUNYAHD_VERSION,
		   GH_DBUS_SERVICE, kind, d.manager->n_vms);
	sd_notifyf(false, "READY=1\nSTATUS=Serving %zu VM definition(s) on the %s backend",
		   d.manager->n_vms, kind);
	manager_autostart(d.manager);

	r = serve(&d);

	sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
	if (hand_over(&d, r))
		manager_handover(d.manager);
	else
		manager_shutdown(d.manager);
	if (!bus_loop_disconnected(d.bus_loop))
		(void) sd_bus_flush(d.bus);
out:
	vm_store_fds_done(&d.stored);
	daemon_done(&d);
	config_done(&config);
	return r;
}

int main(int argc, char **argv)
{
	struct options o = {};
	int r;

	log_setup_journal();
	r = parse_argv(argc, argv, &o);
	if (r <= 0)
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	r = run(&o);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
