/*
 * metafsd.c - the daemon: parse the command line, open the home, mount,
 * serve requests until unmounted, close the metastores.
 *
 * Daemonizing is done here rather than with fuse_daemonize(): LMDB forbids
 * using an environment in a process forked after it was opened, so the
 * child opens the home itself and reports back through a pipe.  The parent
 * exits only when the mount is ready (status 0) or has failed (status 1,
 * with the child's message on stderr), so `metafsd ... && ls MOUNT` works.
 *
 * Besides `metafsd --home DIR MOUNTPOINT`, the daemon takes the form that
 * mount.fuse3(8) runs for `mount -t fuse.metafsd DIR MOUNTPOINT -o OPTS` and
 * for an /etc/fstab line: `metafsd DIR MOUNTPOINT -o OPTS`, where OPTS may
 * hold fstab bookkeeping (defaults, noauto, _netdev, x-systemd.*, ...) that
 * is dropped, and FUSE and generic mount options, which are checked against
 * the list libfuse takes before anything starts.
 */
#include "fs_int.h"
#include "hms.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *to)
{
	fprintf(to,
		"usage: metafsd --home DIR [-f] [-d] [-o OPTIONS] MOUNTPOINT\n"
		"       metafsd DIR MOUNTPOINT [-f] [-d] [-o OPTIONS]\n"
		"\n"
		"Mount the metastores of a metafs home as a file system.\n"
		"\n"
		"  --home DIR     the home created by 'metafs init DIR'\n"
		"  -f             stay in the foreground; log to stderr\n"
		"  -d             debug: foreground, FUSE request tracing\n"
		"  -o OPTIONS     mount options (e.g. allow_other,ro; see metafsd(8))\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n"
		"\n"
		"As a file system type: mount -t fuse.metafsd DIR MOUNTPOINT, or in /etc/fstab\n"
		"  DIR  MOUNTPOINT  fuse.metafsd  defaults,allow_other,_netdev  0 0\n"
		"Unmount with 'umount MOUNTPOINT' or 'fusermount3 -u MOUNTPOINT'.\n"
		"See metafsd(8) and metafs(5).\n");
}

struct options {
	const char *home;
	const char *mountpoint;
	bool foreground, debug;
	char fuse_opts[4096];
};

/* Options of mount(8) and /etc/fstab that concern only mount(8), systemd
 * or mount.fuse3: accepted and dropped.  An entry ending in '=' or '-'
 * is a prefix. */
static const char *const ignored_options[] = {
	"defaults", "auto", "noauto", "user", "nouser", "users", "owner", "group",
	"nofail", "_netdev", "x-", "comment=", NULL,
};

/* Options libfuse 3 takes for a mount (fuse(8)): FUSE's own and the
 * generic mount flags it passes to the kernel.  (relatime, lazytime and
 * the like are not among them: libfuse refuses them.) */
static const char *const fuse_options[] = {
	"allow_other", "allow_root", "auto_unmount", "default_permissions",
	"ro", "rw", "dev", "nodev", "suid", "nosuid", "exec", "noexec",
	"sync", "async", "dirsync", "atime", "noatime", NULL,
};

static bool option_in(const char *opt, size_t len, const char *const *list)
{
	for (const char *const *e = list; *e; e++) {
		size_t n = strlen(*e);
		bool prefix = (*e)[n - 1] == '=' || (*e)[n - 1] == '-';
		if (prefix ? len >= n && !strncmp(opt, *e, n) : len == n && !strncmp(opt, *e, n))
			return true;
	}
	return false;
}

/* Append the comma-separated OPTS to o->fuse_opts, dropping what only
 * mount(8) uses; an option metafsd does not know is an error naming it. */
static int add_options(struct options *o, const char *opts)
{
	for (const char *s = opts;;) {
		size_t len = strcspn(s, ",");
		if (len && !option_in(s, len, ignored_options)) {
			if (!option_in(s, len, fuse_options)) {
				fprintf(stderr, "metafsd: unknown mount option '%.*s' (see metafsd(8))\n",
					(int)len, s);
				return -1;
			}
			size_t used = strlen(o->fuse_opts);
			if (used + len + 2 > sizeof o->fuse_opts) {
				fprintf(stderr, "metafsd: mount options too long\n");
				return -1;
			}
			snprintf(o->fuse_opts + used, sizeof o->fuse_opts - used, "%s%.*s",
				 used ? "," : "", (int)len, s);
		}
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"home", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	/* Options may follow the operands: mount.fuse3 puts -o last. */
	while ((c = getopt_long(argc, argv, "fdo:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->home = optarg; break;
		case 'f': o->foreground = true; break;
		case 'd': o->debug = o->foreground = true; break;
		case 'o':
			if (add_options(o, optarg))
				return -1;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("metafsd %s (store format %d)\n", METAFS_VERSION, STORE_FORMAT_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	int operands = argc - optind;
	if (!o->home && operands == 2) {
		o->home = argv[optind++];
		operands--;
	}
	if (operands != 1 || !o->home) {
		fprintf(stderr, "metafsd: %s\n",
			!o->home && operands < 2 ? "missing --home DIR (or DIR MOUNTPOINT)"
						 : "expected one MOUNTPOINT");
		usage(stderr);
		return -1;
	}
	o->mountpoint = argv[optind];
	return 0;
}

/* Is NAME one of the comma-separated OPTS? */
static bool mount_option(const char *opts, const char *name)
{
	size_t n = strlen(name);
	for (const char *s = opts; *s;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if (len == n && !strncmp(s, name, n))
			return true;
		s += len + (comma ? 1 : 0);
	}
	return false;
}

/* Is HOME the source of a metafs mount in this namespace?  The daemon
 * mounts with fsname=HOME, which /proc/self/mountinfo shows with spaces,
 * tabs, newlines and backslashes as \ooo. */
static bool home_mounted(const char *home)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return true;
	char line[3 * PATH_MAX];
	bool found = false;
	while (!found && fgets(line, sizeof line, f)) {
		const char *sep = strstr(line, " - ");
		char type[64], src[2 * PATH_MAX];
		if (!sep || sscanf(sep + 3, "%63s %8191s", type, src) != 2 ||
		    (strcmp(type, "fuse.metafsd") && strcmp(type, "fuse.metafs")))
			continue;
		char *w = src;
		for (const char *r = src; *r; r++) {
			if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3]) {
				*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
				r += 3;
			} else {
				*w++ = *r;
			}
		}
		*w = '\0';
		found = !strcmp(src, home);
	}
	fclose(f);
	return found;
}

/* `umount MOUNTPOINT` returns as soon as the kernel lets go; the daemon
 * that served it then still closes its metastores, holding the home's
 * lock.  So that `umount M && mount M` works, wait (bounded) while the
 * lock is held and no mount of HOME is left: the holder is on its way out.
 * A live holder with a mount is left to mgr_open() to report. */
static void wait_for_unmounted_holder(const char *home)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/.metafsd.lock", home);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (int tries = 0; tries < 600; tries++) {   /* 30 s */
		if (!flock(fd, LOCK_SH | LOCK_NB)) {
			flock(fd, LOCK_UN);
			break;
		}
		if (errno != EWOULDBLOCK || home_mounted(home))
			break;
		usleep(50000);
	}
	close(fd);
}

/* Tell the waiting parent how the start went: one status byte, then a message. */
static void report(int fd, int status, const char *msg)
{
	if (fd < 0) {
		if (msg && *msg)
			fprintf(stderr, "metafsd: %s\n", msg);
		return;
	}
	char b = (char)status;
	if (write(fd, &b, 1) == 1 && msg && *msg) {
		ssize_t ignored = write(fd, msg, strlen(msg));
		(void)ignored;
	}
	close(fd);
}

static int wait_for_child(int fd)
{
	char b;
	ssize_t n;
	while ((n = read(fd, &b, 1)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		fprintf(stderr, "metafsd: the daemon died while starting\n");
		return 1;
	}
	char msg[1024];
	ssize_t m = read(fd, msg, sizeof msg - 1);
	if (m > 0) {
		msg[m] = '\0';
		fprintf(stderr, "metafsd: %s\n", msg);
	}
	return b;
}

static int serve(struct options *o, int status_fd)
{
	char err[PATH_MAX + 256] = "";
	int rc = 1;
	struct fuse_session *se = NULL;
	struct fuse_loop_config *loop = NULL;
	hms_server *hms = NULL;
	struct stat st;

	if (stat(o->mountpoint, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, sizeof err, "bad mount point '%s': %s", o->mountpoint,
			 errno ? strerror(errno) : "not a directory");
		report(status_fd, 1, err);
		return 1;
	}
	mgr_log_setup(o->foreground, MGR_LOG_INFO);
	wait_for_unmounted_holder(o->home);
	if (mgr_open(o->home, true, &fs_state.m, err, sizeof err)) {
		report(status_fd, 1, err);
		return 1;
	}
	fs_state.entry_timeout = mgr_get_config(fs_state.m)->entry_timeout;
	fs_state.uid = getuid();
	fs_state.gid = getgid();
	fs_state.started_ns = store_now_ns();
	char ini[PATH_MAX + 16];
	snprintf(ini, sizeof ini, "%s/metafs.ini", mgr_get_config(fs_state.m)->home);
	if (stat(ini, &st) == 0)
		fs_state.home_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	pthread_mutex_init(&fs_state.writers_lock, NULL);
	if (mgr_start(fs_state.m, o->mountpoint, err, sizeof err)) {
		mgr_close(fs_state.m);
		report(status_fd, 1, err);
		return 1;
	}
	/* The Hive Metastore API ([hms] listen): beside the mount, on the
	 * same manager. */
	if (hms_server_start(fs_state.m, o->mountpoint, &hms, err, sizeof err)) {
		mgr_stop(fs_state.m);
		mgr_close(fs_state.m);
		report(status_fd, 1, err);
		return 1;
	}

	/* The source is the home and the type fuse.metafsd, as an fstab line
	 * names them, so `mount -a` and findmnt(8) match the mount to its line.
	 * libfuse reads a backslash as an escape: commas in the home are kept. */
	char fsname[2 * PATH_MAX];
	size_t fl = 0;
	for (const char *r = o->home; *r && fl + 2 < sizeof fsname; r++) {
		if (*r == ',' || *r == '\\')
			fsname[fl++] = '\\';
		fsname[fl++] = *r;
	}
	fsname[fl] = '\0';
	char opts[sizeof fsname + sizeof o->fuse_opts + 32];
	/* No default_permissions unless asked for: the kernel checks no mode
	 * bits and every decision is the access control list's (fs_access.c). */
	snprintf(opts, sizeof opts, "fsname=%s,subtype=metafsd%s%s", fsname, o->fuse_opts[0] ? "," : "",
		 o->fuse_opts);
	fs_state.shared = mount_option(o->fuse_opts, "allow_other") ||
			  mount_option(o->fuse_opts, "allow_root");
	char *fargv[] = {"metafsd", "-o", opts, o->debug ? "-d" : NULL, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(o->debug ? 4 : 3, fargv);
	se = fuse_session_new(&args, &fs_ops, sizeof fs_ops, NULL);
	if (!se) {
		snprintf(err, sizeof err, "cannot start a FUSE session (bad -o options?)");
		goto out;
	}
	fs_state.se = se;
	if (fuse_set_signal_handlers(se)) {
		snprintf(err, sizeof err, "cannot install signal handlers");
		goto out;
	}
	if (fuse_session_mount(se, o->mountpoint)) {
		snprintf(err, sizeof err, "cannot mount on '%s' (is /dev/fuse usable and fusermount3 installed?)",
			 o->mountpoint);
		goto out_signals;
	}
	mgr_log(MGR_LOG_INFO, "mounted %s on %s", mgr_get_config(fs_state.m)->home, o->mountpoint);
	if (status_fd >= 0) {
		report(status_fd, 0, NULL);
		status_fd = -1;
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
	}
	loop = fuse_loop_cfg_create();
	/* [metafs] fuse_threads bounds the threads serving requests.  Idle
	 * ones stay (as many as were started, so no more than the bound):
	 * with a small idle limit libfuse starts and ends a thread for each
	 * burst of a walk.  Readers of jobs/.../wait hold a thread each until
	 * their job ends (metafsd(8)). */
	unsigned nthreads = mgr_get_config(fs_state.m)->fuse_threads;
	fuse_loop_cfg_set_max_threads(loop, nthreads);
	fuse_loop_cfg_set_idle_threads(loop, nthreads);
	rc = fuse_session_loop_mt(se, loop) ? 1 : 0;
	fuse_loop_cfg_destroy(loop);
	fuse_session_unmount(se);
	mgr_log(MGR_LOG_INFO, "unmounted %s", o->mountpoint);
out_signals:
	fuse_remove_signal_handlers(se);
out:
	if (rc && err[0])
		report(status_fd, 1, err);
	if (se)
		fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	hms_server_stop(hms);
	mgr_stop(fs_state.m);
	mgr_close(fs_state.m);
	fs_state.m = NULL;
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	if (parse_options(argc, argv, &o))
		return 2;
	/* mount.fuse3's drop_privileges hands over a mounted /dev/fuse as
	 * /dev/fd/N: the daemon needs the mount point's path (pipelines are
	 * given it) and opens its home before it mounts. */
	if (!strncmp(o.mountpoint, "/dev/fd/", 8)) {
		fprintf(stderr, "metafsd: the mount option drop_privileges is not supported; "
				"use setuid=USER (see metafsd(8))\n");
		return 2;
	}
	/* Absolute paths: the child moves to /, and pipelines are given the mount. */
	char home[PATH_MAX], mnt[PATH_MAX];
	if (!realpath(o.home, home)) {
		fprintf(stderr, "metafsd: cannot open home '%s': %s\n", o.home, strerror(errno));
		return 1;
	}
	if (!realpath(o.mountpoint, mnt)) {
		fprintf(stderr, "metafsd: bad mount point '%s': %s\n", o.mountpoint, strerror(errno));
		return 1;
	}
	o.home = home;
	o.mountpoint = mnt;
	/* The program pipelines run from: resolved now, while relative paths
	 * still mean what the caller meant. */
	const char *prog = getenv("METAFS_PIPELINE");
	char progabs[PATH_MAX];
	if (prog && prog[0] != '/' && strchr(prog, '/') && realpath(prog, progabs))
		setenv("METAFS_PIPELINE", progabs, 1);
	if (o.foreground)
		return serve(&o, -1);
	/* Close-on-exec: a fusermount3 that libfuse starts (auto_unmount)
	 * must not hold the pipe, or the parent would wait for it. */
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC)) {
		perror("metafsd: pipe");
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("metafsd: fork");
		return 1;
	}
	if (pid > 0) {
		close(pipefd[1]);
		return wait_for_child(pipefd[0]);
	}
	close(pipefd[0]);
	setsid();
	if (chdir("/")) {
		report(pipefd[1], 1, "cannot chdir to /");
		return 1;
	}
	return serve(&o, pipefd[1]);
}
