/*
 * metafsd.c - the daemon: parse the command line, open the home, mount,
 * serve requests until unmounted, close the metastores.
 *
 * Daemonizing is done here rather than with fuse_daemonize(): LMDB forbids
 * using an environment in a process forked after it was opened, so the
 * child opens the home itself and reports back through a pipe.  The parent
 * exits only when the mount is ready (status 0) or has failed (status 1,
 * with the child's message on stderr), so `metafsd ... && ls MOUNT` works.
 */
#include "fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *to)
{
	fprintf(to,
		"usage: metafsd --home DIR [-f] [-d] [-o OPTIONS] MOUNTPOINT\n"
		"\n"
		"Mount the metastores of a metafs home as a file system.\n"
		"\n"
		"  --home DIR     the home created by 'metafs init DIR'\n"
		"  -f             stay in the foreground; log to stderr\n"
		"  -d             debug: foreground, FUSE request tracing\n"
		"  -o OPTIONS     FUSE mount options (e.g. allow_other)\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n"
		"\n"
		"Unmount with 'fusermount3 -u MOUNTPOINT'.  See metafsd(8) and metafs(5).\n");
}

struct options {
	const char *home;
	const char *mountpoint;
	bool foreground, debug;
	char fuse_opts[4096];
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"home", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+fdo:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->home = optarg; break;
		case 'f': o->foreground = true; break;
		case 'd': o->debug = o->foreground = true; break;
		case 'o': {
			size_t len = strlen(o->fuse_opts);
			snprintf(o->fuse_opts + len, sizeof o->fuse_opts - len, "%s%s", len ? "," : "", optarg);
			break;
		}
		case 'h': usage(stdout); exit(0);
		case 'V': printf("metafsd %s (store format %d)\n", METAFS_VERSION, STORE_FORMAT_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1 || !o->home) {
		fprintf(stderr, "metafsd: %s\n", !o->home ? "missing --home DIR" : "expected one MOUNTPOINT");
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
	struct stat st;

	if (stat(o->mountpoint, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, sizeof err, "bad mount point '%s': %s", o->mountpoint,
			 errno ? strerror(errno) : "not a directory");
		report(status_fd, 1, err);
		return 1;
	}
	mgr_log_setup(o->foreground, MGR_LOG_INFO);
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

	char opts[4200];
	/* No default_permissions: the kernel checks no mode bits and every
	 * decision is the access control list's (fs_access.c). */
	snprintf(opts, sizeof opts, "fsname=metafs,subtype=metafs%s%s", o->fuse_opts[0] ? "," : "",
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
	/* Readers of jobs/.../wait hold a thread each until their job ends. */
	fuse_loop_cfg_set_max_threads(loop, 64);
	fuse_loop_cfg_set_idle_threads(loop, 4);
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
	int pipefd[2];
	if (pipe(pipefd)) {
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
