/*
 * metafs.c - the metafs command line: create a home, mount it, repair a
 * table from its data store, submit and wait for jobs, run sync rules,
 * trim a change log.  The commands are listed once, in the table `commands`
 * at the end: their help, their usage errors, `metafs --help` and the words
 * of the bash completion (`metafs --commands`) all come from it.
 */
#include "base_path.h"
#include "base_prog.h"
#include "manager.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef METAFSD_PATH
#define METAFSD_PATH "metafsd"
#endif

/* One command of the command line.  This table (at the end of the file) is
 * the one list of the commands: `metafs --help` prints it, `metafs
 * --commands` gives it to the shell completion (tools/metafs.bash-completion),
 * and each command's --help and usage errors come from its entry. */
typedef struct command {
	const char *name;             /* "init", "sync now" */
	const char *synopsis;         /* after "metafs NAME": one form a line */
	const char *summary;          /* one line for `metafs --help` */
	const char *help;             /* the rest of `metafs NAME --help`; NULL: RUN prints it */
	const struct option *options; /* NULL: no options (but --help) */
	const char *operands;         /* for completion: dir file job rule platform table */
	int (*run)(const struct command *cmd, int argc, char **argv);
} command;

/* The usage of CMD: all its forms, or only form ONLY (from 0). */
static void print_synopsis(FILE *to, const command *cmd, int only)
{
	const char *form = cmd->synopsis;
	bool first = true;
	for (int i = 0; first || *form; i++) {
		const char *nl = strchr(form, '\n');
		int n = nl ? (int)(nl - form) : (int)strlen(form);
		if (only < 0 || i == only) {
			fprintf(to, "%s metafs %s %.*s\n", first ? "usage:" : "      ", cmd->name, n, form);
			first = false;
		}
		form += n + (nl ? 1 : 0);
	}
}

/* metafs CMD --help: the usage and the help text on stdout, exit 0. */
static int command_help(const command *cmd)
{
	print_synopsis(stdout, cmd, -1);
	if (cmd->help)
		printf("\n%s", cmd->help);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int command_vmisuse(const command *cmd, int form, const char *fmt, va_list ap)
{
	if (fmt) {
		fprintf(stderr, "metafs %s: ", cmd->name);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	print_synopsis(stderr, cmd, form);
	fprintf(stderr, "Try 'metafs %s --help'.\n", cmd->name);
	return 2;
}

/* A usage error: the problem in one line (FMT; NULL when getopt has said
 * it), then the usage, on stderr; exit status 2. */
__attribute__((format(printf, 2, 3)))
static int command_misuse(const command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = command_vmisuse(cmd, -1, fmt, ap);
	va_end(ap);
	return rc;
}

/* The same about the command's form FORM (from 0) only. */
__attribute__((format(printf, 3, 4)))
static int command_misuse_form(const command *cmd, int form, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = command_vmisuse(cmd, form, fmt, ap);
	va_end(ap);
	return rc;
}

/* The operands left after the options must be N, named WHAT (for the
 * error).  0, or the exit status of the usage error. */
static int command_operands(const command *cmd, int argc, char **argv, int n, const char *what)
{
	if (argc - optind < n)
		return command_misuse(cmd, "missing %s", what);
	if (argc - optind > n)
		return command_misuse(cmd, "unexpected argument '%s'", argv[optind + n]);
	return 0;
}

static const struct option init_options[] = {
	{"platform", required_argument, NULL, 'p'},
	{"group", required_argument, NULL, 'g'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int cmd_init(const command *cmd, int argc, char **argv)
{
	const char *names[MGR_MAX_PLATFORMS], *data[MGR_MAX_PLATFORMS];
	char *owned[MGR_MAX_PLATFORMS];
	const char *group = NULL;
	unsigned n = 0;
	int c, rc = 1;
	while ((c = getopt_long(argc, argv, "h", cmd->options, NULL)) != -1) {
		if (c == 'h') {
			rc = command_help(cmd);
			goto out;
		}
		if (c == 'g') {
			group = optarg;
			continue;
		}
		if (c != 'p') {
			rc = command_misuse(cmd, NULL);
			goto out;
		}
		if (n == MGR_MAX_PLATFORMS) {
			fprintf(stderr, "metafs: at most %d platforms\n", MGR_MAX_PLATFORMS);
			goto out;
		}
		owned[n] = strdup(optarg);
		if (!owned[n])
			goto out;
		char *eq = strchr(owned[n], '=');
		if (eq)
			*eq++ = '\0';
		names[n] = owned[n];
		data[n] = eq;
		n++;
	}
	if ((c = command_operands(cmd, argc, argv, 1, "DIR"))) {
		rc = c;
		goto out;
	}
	if (n == 0) {
		static const char *const defaults[] = {"warehouse", "lake"};
		for (; n < 2; n++) {
			owned[n] = strdup(defaults[n]);
			names[n] = owned[n];
			data[n] = NULL;
		}
	}
	char err[PATH_MAX + 256];
	const char *home = argv[optind];
	if (mgr_home_init_group(home, n, names, data, group, err, sizeof err)) {
		fprintf(stderr, "metafs: %s\n", err);
		goto out;
	}
	printf("created metafs home %s with platforms:", home);
	for (unsigned i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\nmount it with: metafsd --home %s MOUNTPOINT\n", home);
	rc = 0;
out:
	for (unsigned i = 0; i < n; i++)
		free(owned[i]);
	return rc;
}

/* What `metafs --commands` offers after DIR MOUNTPOINT: cmd_mount reads
 * only --help itself and passes the rest to metafsd. */
static const struct option mount_options[] = {
	{"f", no_argument, NULL, 'f'},
	{"o", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* The options after DIR MOUNTPOINT are metafsd's (metafsd(8)), passed on
 * as they are. */
static int cmd_mount(const command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return command_help(cmd);
	for (int i = 1; i < argc && i < 3; i++)
		if (argv[i][0] == '-')
			return command_misuse(cmd, "unrecognized option '%s' (metafsd's options come "
					      "after DIR MOUNTPOINT)", argv[i]);
	if (argc < 3)
		return command_misuse(cmd, "missing %s", argc < 2 ? "DIR and MOUNTPOINT" : "MOUNTPOINT");
	char **args = calloc((size_t)argc + 4, sizeof *args);
	if (!args)
		return 1;
	int n = 0;
	args[n++] = "metafsd";
	args[n++] = "--home";
	args[n++] = argv[1];
	for (int i = 3; i < argc; i++)
		args[n++] = argv[i];
	args[n++] = argv[2];
	args[n] = NULL;
	/* Prefer the metafsd installed or built beside this program. */
	static const char *const siblings[] = {"metafsd", "../fs/metafsd", "../sbin/metafsd"};
	char sibling[PATH_MAX + 32];
	if (base_prog_sibling_find(siblings, 3, sibling, sizeof sibling) == 0)
		execv(sibling, args);
	execvp(METAFSD_PATH, args);
	fprintf(stderr, "metafs: cannot run metafsd: %s\n", strerror(errno));
	free(args);
	return 1;
}

/* Repair's report of one hidden file of the table (never data). */
static void repair_report_hidden(void *arg, const char *path, double age_s, bool removed)
{
	(void)arg;
	printf("%s hidden file %s (unchanged for %.0f s)\n", removed ? "removed" : "kept", path,
	       age_s);
}

/* Repair's report of one file it did not register: not of the table's format. */
static void repair_report_refused(void *arg, const char *path, const char *why)
{
	(void)arg;
	(void)path;   /* WHY names the file as the mount shows it */
	printf("skipped %s (not registered)\n", why);
}

/* metafs repair --fix-permissions --home DIR: make an older home private. */
static int repair_permissions(const char *home)
{
	char err[PATH_MAX + 256] = "";
	uint64_t changed = 0;
	int rc = mgr_home_fix_permissions(home, &changed, err, sizeof err);
	printf("fixed the permissions of %s: %llu paths changed\n", home, (unsigned long long)changed);
	if (rc) {
		fprintf(stderr, "metafs: %s\n", err);
		return 1;
	}
	return 0;
}

static const struct option repair_options[] = {
	{"home", required_argument, NULL, 'H'},
	{"fix-permissions", no_argument, NULL, 'P'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int cmd_repair(const command *cmd, int argc, char **argv)
{
	const char *home = NULL;
	bool fix_permissions = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", cmd->options, NULL)) != -1) {
		if (c == 'H')
			home = optarg;
		else if (c == 'P')
			fix_permissions = true;
		else if (c == 'h')
			return command_help(cmd);
		else
			return command_misuse(cmd, NULL);
	}
	if (fix_permissions) {
		if (!home)
			return command_misuse_form(cmd, 1, "missing --home DIR");
		if (optind < argc)
			return command_misuse_form(cmd, 1, "unexpected argument '%s'", argv[optind]);
		return repair_permissions(home);
	}
	if (!home)
		return command_misuse_form(cmd, 0, "missing --home DIR");
	if ((c = command_operands(cmd, argc, argv, 1, "PLATFORM.DB.TABLE")))
		return c;
	char spec[3 * (STORE_NAME_MAX + 1)];
	snprintf(spec, sizeof spec, "%s", argv[optind]);
	char *db = strchr(spec, '.');
	char *table = db ? strchr(db + 1, '.') : NULL;
	if (!db || !table || strchr(table + 1, '.'))
		return command_misuse(cmd, "expected PLATFORM.DB.TABLE, got '%s'", argv[optind]);
	*db++ = '\0';
	*table++ = '\0';
	char err[PATH_MAX + 256];
	mgr *m = NULL;
	if (mgr_open(home, false, &m, err, sizeof err)) {
		fprintf(stderr, "metafs: %s\n", err);
		return 1;
	}
	int rc = 1;
	mgr_platform *p = mgr_platform_find(m, spec);
	mgr_repair_stats stats;
	mgr_intent_stats istats = {0};
	int r = 0;
	/* With the home's lock (held until mgr_close) no daemon runs: every
	 * pending intent is a commit a crash cut short.  Without it they are
	 * the daemon's commits in progress, and repair leaves them alone. */
	if (p && mgr_home_lock(m, err, sizeof err) == 0)
		r = mgr_intents_resolve(p, &istats);
	if (!p) {
		fprintf(stderr, "metafs: no platform '%s' in %s\n", spec, home);
	} else if (r) {
		fprintf(stderr, "metafs: cannot finish the commits a crash cut short on '%s': %s\n",
			spec, store_strerror(r));
	} else {
		if (istats.finished || istats.dropped || istats.removed)
			printf("resolved the pending commits of %s a crash cut short: %llu finished, "
			       "%llu dropped, %llu replaced files removed\n", spec,
			       (unsigned long long)istats.finished, (unsigned long long)istats.dropped,
			       (unsigned long long)istats.removed);
		r = mgr_table_repair_report(p, db, table, STORE_ORIGIN_TOOL, &stats,
					    repair_report_hidden, repair_report_refused, NULL);
		if (r == -EINVAL)
			fprintf(stderr, "metafs: cannot repair %s.%s.%s: the table has no schema\n", spec, db, table);
		else if (r)
			fprintf(stderr, "metafs: cannot repair %s.%s.%s: %s\n", spec, db, table,
				store_strerror(r));
		else {
			printf("repaired %s.%s.%s: %llu partitions added, %llu files added, %llu files "
			       "removed, %llu files updated\n", spec, db, table,
			       (unsigned long long)stats.partitions_added,
			       (unsigned long long)stats.files_added,
			       (unsigned long long)stats.files_removed,
			       (unsigned long long)stats.files_updated);
			if (stats.files_skipped)
				printf("skipped %llu files named as output of job runs that did not "
				       "commit them (left in place)\n",
				       (unsigned long long)stats.files_skipped);
			if (stats.hidden_kept)
				printf("kept %llu hidden files younger than hidden_grace (%.0f s); a later "
				       "repair removes them\n", (unsigned long long)stats.hidden_kept,
				       mgr_get_config(m)->hidden_grace);
			if (stats.files_refused)
				printf("skipped %llu files that are not of the table's format (not "
				       "registered, left in place)\n",
				       (unsigned long long)stats.files_refused);
			if (stats.files_in_commit)
				printf("left %llu files whose commit is in progress to the daemon\n",
				       (unsigned long long)stats.files_in_commit);
			rc = 0;
		}
	}
	mgr_close(m);
	return rc;
}

/* ---- jobs ---------------------------------------------------------------------- */

/* The mount point: --mount, $METAFS_MOUNT, or the only metafs mount there is. */
static int find_mount(const char *given, char *out, size_t cap)
{
	if (!given)
		given = getenv("METAFS_MOUNT");
	if (given) {
		snprintf(out, cap, "%s", given);
		return 0;
	}
	FILE *f = fopen("/proc/self/mounts", "r");
	if (!f)
		return -errno;
	char line[PATH_MAX + 256];
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		/* the source (the home, any length) is skipped */
		char dir[PATH_MAX], type[64];
		if (sscanf(line, "%*s %4095s %63s", dir, type) != 2 ||
		    (strcmp(type, "fuse.metafsd") && strcmp(type, "fuse.metafs")))
			continue;
		/* /proc/mounts escapes spaces and the like as \ooo */
		char *w = dir;
		for (char *r = dir; *r; r++) {
			if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3]) {
				*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
				r += 3;
			} else {
				*w++ = *r;
			}
		}
		*w = '\0';
		if (found++ == 0)
			snprintf(out, cap, "%s", dir);
	}
	fclose(f);
	if (found == 1)
		return 0;
	fprintf(stderr, "metafs: %s; say which with --mount DIR or METAFS_MOUNT\n",
		found ? "several metafs mounts" : "no metafs mount found");
	return -ENOENT;
}

static int read_text(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static unsigned long field(const char *text, const char *key, unsigned long *of)
{
	const char *p = strstr(text, key);
	if (!p)
		return 0;
	p += strlen(key);
	unsigned long v = strtoul(p, (char **)&p, 10);
	if (of) {
		*of = 0;
		if (!strncmp(p, " of ", 4))
			*of = strtoul(p + 4, NULL, 10);
	}
	return v;
}

/* Wait for the run whose directory is DIR (a job or run directory).  On a
 * terminal, draw its progress; otherwise block in a read of DIR/wait. */
static int wait_dir(const char *dir, bool bar)
{
	char path[PATH_MAX + 16], text[8192];
	if (bar) {
		for (;;) {
			snprintf(path, sizeof path, "%s/status", dir);
			if (read_text(path, text, sizeof text) == 0 &&
			    (!strncmp(text, "succeeded", 9) || !strncmp(text, "failed", 6)))
				break;
			snprintf(path, sizeof path, "%s/progress", dir);
			if (read_text(path, text, sizeof text) == 0) {
				unsigned long total = 0, done = field(text, "partitions: ", &total);
				unsigned long rows = field(text, "rows_read: ", NULL);
				int pct = total ? (int)(done * 100 / total) : 0;
				char barbuf[31];
				for (int i = 0; i < 30; i++)
					barbuf[i] = i < pct * 30 / 100 ? '#' : ' ';
				barbuf[30] = '\0';
				fprintf(stderr, "\r[%s] %3d%%  partitions %lu/%lu  rows %lu ", barbuf, pct, done,
					total, rows);
			}
			usleep(250000);   /* redraw four times a second: display only */
		}
		fprintf(stderr, "\r%*s\r", 79, "");
	}
	snprintf(path, sizeof path, "%s/wait", dir);
	if (read_text(path, text, sizeof text)) {
		fprintf(stderr, "metafs: cannot read %s: %s\n", path, strerror(errno));
		return 1;
	}
	fputs(text, stdout);
	return strncmp(text, "succeeded", 9) == 0 ? 0 : 1;
}

/* --mount DIR: the options of the commands that work through a mount. */
static const struct option mount_dir_options[] = {
	{"mount", required_argument, NULL, 'm'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int cmd_wait(const command *cmd, int argc, char **argv)
{
	const char *mount = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", cmd->options, NULL)) != -1) {
		if (c == 'm')
			mount = optarg;
		else if (c == 'h')
			return command_help(cmd);
		else
			return command_misuse(cmd, NULL);
	}
	if ((c = command_operands(cmd, argc, argv, 1, "JOB")))
		return c;
	char dir[PATH_MAX], mnt[PATH_MAX];
	const char *job = argv[optind];
	struct stat st;
	if (stat(job, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (base_path_format(dir, sizeof dir, "%s", job)) {
			fprintf(stderr, "metafs: job path too long: '%s'\n", job);
			return 1;
		}
	} else {
		if (find_mount(mount, mnt, sizeof mnt))
			return 1;
		if (base_path_format(dir, sizeof dir, "%s/jobs/%s", mnt, job) || stat(dir, &st)) {
			fprintf(stderr, "metafs: no job '%s' in %s/jobs\n", job, mnt);
			return 1;
		}
	}
	return wait_dir(dir, false);
}

static const struct option submit_options[] = {
	{"mount", required_argument, NULL, 'm'},
	{"name", required_argument, NULL, 'n'},
	{"wait", no_argument, NULL, 'w'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int cmd_submit(const command *cmd, int argc, char **argv)
{
	const char *mount = NULL, *name = NULL;
	bool wait = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", cmd->options, NULL)) != -1) {
		switch (c) {
		case 'm': mount = optarg; break;
		case 'n': name = optarg; break;
		case 'w': wait = true; break;
		case 'h': return command_help(cmd);
		default: return command_misuse(cmd, NULL);
		}
	}
	if ((c = command_operands(cmd, argc, argv, 1, "FILE.sql")))
		return c;
	const char *file = argv[optind];
	char base[PATH_MAX], mnt[PATH_MAX];
	const char *slash = strrchr(file, '/');
	snprintf(base, sizeof base, "%s", name ? name : slash ? slash + 1 : file);
	size_t bl = strlen(base);
	if (!name && bl > 4 && !strcmp(base + bl - 4, ".sql"))
		base[bl - 4] = '\0';
	if (find_mount(mount, mnt, sizeof mnt))
		return 1;
	FILE *in = fopen(file, "r");
	if (!in) {
		fprintf(stderr, "metafs: cannot read %s: %s\n", file, strerror(errno));
		return 1;
	}
	char dst[PATH_MAX * 2];
	snprintf(dst, sizeof dst, "%s/jobs/%s.sql", mnt, base);
	FILE *out = fopen(dst, "w");
	if (!out) {
		fprintf(stderr, "metafs: cannot submit to %s: %s\n", dst, strerror(errno));
		fclose(in);
		return 1;
	}
	char buf[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	fclose(in);
	if (fclose(out) || rc) {
		/* The job is submitted when the file is closed: this is its answer. */
		fprintf(stderr, "metafs: submitting %s failed: %s (see %s/.metafs/log)\n", dst,
			strerror(errno), mnt);
		return 1;
	}
	/* The run just submitted is the newest in runs/. */
	char runs[PATH_MAX * 2 + 16];
	snprintf(runs, sizeof runs, "%s/jobs/%s/runs", mnt, base);
	unsigned long last = 0;
	DIR *d = opendir(runs);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strtoul(de->d_name, NULL, 10) > last)
			last = strtoul(de->d_name, NULL, 10);
	if (d)
		closedir(d);
	printf("submitted %s as job %s, run %lu\n", file, base, last);
	if (!wait)
		return 0;
	fflush(stdout);
	char rundir[PATH_MAX * 2 + 64];
	snprintf(rundir, sizeof rundir, "%s/%lu", runs, last);
	return wait_dir(rundir, isatty(STDERR_FILENO));
}

/* metafs trim-log: change-log retention.  Sync rules whose cursor falls
 * before what is kept fall back to a full compare by etag. */
static const struct option trim_log_options[] = {
	{"home", required_argument, NULL, 'H'},
	{"keep", required_argument, NULL, 'k'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int cmd_trim_log(const command *cmd, int argc, char **argv)
{
	const char *home = NULL;
	unsigned long long keep = 100000;
	int c;
	while ((c = getopt_long(argc, argv, "h", cmd->options, NULL)) != -1) {
		if (c == 'H')
			home = optarg;
		else if (c == 'k') {
			char *end;
			keep = strtoull(optarg, &end, 10);
			if (*end || optarg[0] == '-' || !optarg[0])
				return command_misuse(cmd, "--keep takes a number of events, not '%s'", optarg);
		} else if (c == 'h')
			return command_help(cmd);
		else
			return command_misuse(cmd, NULL);
	}
	if (!home)
		return command_misuse(cmd, "missing --home DIR");
	if ((c = command_operands(cmd, argc, argv, 1, "PLATFORM")))
		return c;
	char err[PATH_MAX + 256];
	mgr *m = NULL;
	if (mgr_open(home, false, &m, err, sizeof err)) {
		fprintf(stderr, "metafs: %s\n", err);
		return 1;
	}
	mgr_platform *p = mgr_platform_find(m, argv[optind]);
	int rc = 1;
	uint64_t head = 0, first = 0;
	store_txn *txn = NULL;
	if (!p) {
		fprintf(stderr, "metafs: no platform '%s' in %s\n", argv[optind], home);
	} else if (store_write_begin(p->store, &txn) == 0 && store_event_head(txn, &head) == 0 &&
		   store_events_trim(txn, head > keep ? head - keep + 1 : 0) == 0 &&
		   store_event_first(txn, &first) == 0 && store_commit(txn) == 0) {
		txn = NULL;
		printf("trimmed the change log of %s: events %llu to %llu kept\n", p->name,
		       (unsigned long long)first, (unsigned long long)head);
		rc = 0;
	} else {
		fprintf(stderr, "metafs: cannot trim the change log of %s\n", p->name);
	}
	store_abort(txn);
	mgr_close(m);
	return rc;
}

/* metafs sync now|diff RULE: read MOUNT/sync/RULE/run or .../diff. */
static int cmd_sync(const command *cmd, int argc, char **argv)
{
	const char *mount = NULL;
	const char *what = strchr(cmd->name, ' ') + 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", cmd->options, NULL)) != -1) {
		if (c == 'm')
			mount = optarg;
		else if (c == 'h')
			return command_help(cmd);
		else
			return command_misuse(cmd, NULL);
	}
	if ((c = command_operands(cmd, argc, argv, 1, "RULE")))
		return c;
	char mnt[PATH_MAX], path[PATH_MAX * 2];
	if (find_mount(mount, mnt, sizeof mnt))
		return 1;
	snprintf(path, sizeof path, "%s/sync/%s/%s", mnt, argv[optind], strcmp(what, "now") ? "diff" : "run");
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "metafs: no sync rule '%s' in %s/sync (%s)\n", argv[optind], mnt, strerror(errno));
		return 1;
	}
	char buf[65536];
	size_t n;
	bool first = true, failed = false;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (first && n >= 6 && !strncmp(buf, "failed", 6))
			failed = true;
		first = false;
		fwrite(buf, 1, n, stdout);
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		fprintf(stderr, "metafs: reading %s failed\n", path);
		return 1;
	}
	return failed ? 1 : 0;
}

int cmd_gen(int argc, char **argv); /* metafs_gen.c */
extern const struct option cmd_gen_options[];

static int run_gen(const command *cmd, int argc, char **argv)
{
	(void)cmd;
	return cmd_gen(argc, argv);
}

static const command commands[] = {
	{"init", "[--platform NAME[=DATADIR]]... [--group GROUP] DIR",
	 "create a home (default platforms: warehouse, lake)",
	 "Create a metafs home in DIR: metafs.ini, one metastore per platform\n"
	 "under DIR/meta/, and data stores under DIR/data/ (or DATADIR).\n"
	 "Without --platform the home has 'warehouse' and 'lake'.  The home is\n"
	 "private to you (mode 0700); with --group, GROUP may read it too\n"
	 "([access] home_group).\n",
	 init_options, "dir", cmd_init},
	{"mount", "DIR MOUNTPOINT [-f] [-o OPTIONS]", "mount a home (runs metafsd)",
	 "Mount the home DIR at MOUNTPOINT; the same as\n"
	 "'metafsd --home DIR [-f] [-o OPTIONS] MOUNTPOINT'.\n",
	 mount_options, "dir dir", cmd_mount},
	{"repair", "--home DIR PLATFORM.DB.TABLE\n--fix-permissions --home DIR",
	 "register partitions and files found in the data store; make an older home private",
	 "Register partition directories and data files found in the table's\n"
	 "data-store directory that the metastore lacks, and drop records of\n"
	 "files that are gone (like MSCK REPAIR TABLE).  Safe while mounted.\n"
	 "Files named as a job run's output (part-JOB-RUN-STMT-NNNNN.EXT) are\n"
	 "registered only if that run succeeded; others are left and reported.\n"
	 "Hidden files (names starting with '.' or '_') are never data: each is\n"
	 "listed, and removed once unchanged for longer than hidden_grace\n"
	 "([metafs] in metafs.ini, seconds; default 3600).\n"
	 "\n"
	 "When no daemon has the home mounted, repair first finishes or undoes\n"
	 "the platform's file commits that a crash cut short (pending intents),\n"
	 "as the daemon does when it starts, holding the home's lock meanwhile.\n"
	 "When a daemon runs, its pending intents are commits in progress: they\n"
	 "are left to it, and no file one of them names is registered.\n"
	 "\n"
	 "With --fix-permissions, make every file of the home private instead\n"
	 "(the daemon's user, and the home's group for reading).\n",
	 repair_options, "table", cmd_repair},
	{"submit", "[--mount DIR] [--name NAME] [--wait] FILE.sql",
	 "submit a SQL job (copies FILE into MOUNT/jobs/NAME.sql)",
	 "Submit FILE as job NAME (default: FILE's name without .sql) by copying it\n"
	 "to MOUNT/jobs/NAME.sql.  With --wait, wait for the run (a progress bar on\n"
	 "a terminal) and exit 0 if it succeeded, 1 if it failed.\n",
	 submit_options, "file", cmd_submit},
	{"wait", "[--mount DIR] JOB", "wait for a job's latest run; exit 0 if it succeeded",
	 "Wait until the latest run of JOB has ended and print its status; exit 0\n"
	 "if it succeeded, 1 if it failed.  JOB is a job directory (MOUNT/jobs/NAME,\n"
	 "or jobs/NAME from the mount's root), a run directory (.../runs/N), or a\n"
	 "job name.\n",
	 mount_dir_options, "job", cmd_wait},
	{"trim-log", "--home DIR [--keep N] PLATFORM",
	 "drop all but the newest N events of a platform's change log",
	 "Delete all but the newest N events (default 100000) of PLATFORM's change\n"
	 "log.  Safe while mounted.  A sync rule whose cursor is older than what is\n"
	 "kept falls back to a full compare by etag on its next run.\n",
	 trim_log_options, "platform", cmd_trim_log},
	{"sync now", "[--mount DIR] RULE", "run a sync rule now and wait for it",
	 "Run the sync rule RULE (MOUNT/sync/RULE) at once, wait for it and print\n"
	 "the result; exit 0 if the rule is idle (not failed) afterwards.\n",
	 mount_dir_options, "rule", cmd_sync},
	{"sync diff", "[--mount DIR] RULE", "print what running the rule would change (dry run)",
	 "Print what a run of the sync rule RULE would change now, changing\n"
	 "nothing.\n",
	 mount_dir_options, "rule", cmd_sync},
	{"gen",
	 "[--rows N] [--days D] [--start YYYY-MM-DD] [--seed S] [--format csv|jsonl|parquet] "
	 "[--files-per-day K] DIR\n--print-schema [--format csv|jsonl|parquet]",
	 "write a seeded UCaaS call-quality data set (--print-schema: its .schema)", NULL,
	 cmd_gen_options, "dir", run_gen},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Is WORD the first word of a command of two ("sync" of "sync now")? */
static bool command_group(const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strncmp(commands[i].name, word, n) && commands[i].name[n] == ' ')
			return true;
	return false;
}

/* `metafs --help`, or the commands of GROUP ("sync"; NULL: all). */
static void usage(FILE *to, const char *group)
{
	size_t n = group ? strlen(group) : 0;
	if (group)
		fprintf(to, "usage: metafs %s SUBCOMMAND [ARGS]\n\ncommands:\n", group);
	else
		fprintf(to, "usage: metafs COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const command *c = &commands[i];
		if (group && (strncmp(c->name, group, n) || c->name[n] != ' '))
			continue;
		const char *form = c->synopsis;
		while (*form) {
			const char *nl = strchr(form, '\n');
			int len = nl ? (int)(nl - form) : (int)strlen(form);
			fprintf(to, "  %s %.*s\n", c->name, len, form);
			form += len + (nl ? 1 : 0);
		}
		fprintf(to, "                  %s\n", c->summary);
	}
	fprintf(to, "\n"
		    "  metafs COMMAND --help   help on one command\n"
		    "  metafs --version        show the version\n"
		    "\n"
		    "See metafs(1), metafsd(8) and metafs(5).\n");
}

/* `metafs --commands`, for the shell completion: one command a line,
 * tab-separated: its name, its options (short ones as -X, long ones as
 * --NAME; '=' after one that takes a value), the kinds of its operands. */
static int list_commands(void)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const command *c = &commands[i];
		printf("%s\t", c->name);
		for (const struct option *o = c->options; o && o->name; o++)
			printf("%s%s%s%s", o == c->options ? "" : " ", strlen(o->name) == 1 ? "-" : "--",
			       o->name, o->has_arg == required_argument ? "=" : "");
		printf("\t%s\n", c->operands);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int main(int argc, char **argv)
{
	mgr_log_setup(true, MGR_LOG_WARN);
	if (argc < 2) {
		fprintf(stderr, "metafs: missing command\n");
		usage(stderr, NULL);
		return 2;
	}
	const char *word = argv[1];
	if (is_help(word) || !strcmp(word, "help")) {
		usage(stdout, NULL);
		return 0;
	}
	if (!strcmp(word, "--commands"))
		return list_commands();
	if (!strcmp(word, "--version") || !strcmp(word, "-V") || !strcmp(word, "version")) {
		printf("metafs %s (store format %d)\n", METAFS_VERSION, STORE_FORMAT_VERSION);
		return 0;
	}
	int skip = 1;   /* the words of the command's name */
	char name[64];
	size_t wlen = strnlen(word, sizeof name - 1);
	memcpy(name, word, wlen);
	name[wlen] = '\0';
	if (command_group(word)) {
		if (argc < 3 || argv[2][0] == '-') {
			bool help = argc >= 3 && is_help(argv[2]);
			if (!help)
				fprintf(stderr, argc < 3 ? "metafs %s: missing subcommand\n"
							 : "metafs %s: expected a subcommand before '%s'\n",
					word, argc < 3 ? "" : argv[2]);
			usage(help ? stdout : stderr, word);
			return help ? 0 : 2;
		}
		snprintf(name, sizeof name, "%s %s", word, argv[2]);
		skip = 2;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, name))
			continue;
		/* getopt names the command in its messages by argv[0]. */
		char prog[80];
		snprintf(prog, sizeof prog, "metafs %s", name);
		argv[skip] = prog;
		return commands[i].run(&commands[i], argc - skip, argv + skip);
	}
	fprintf(stderr, "metafs: unknown command '%s'\n", name);
	usage(stderr, skip == 2 ? word : NULL);
	return 2;
}
