/*
 * metafs.c - the metafs command line: create a home, mount it, repair a
 * table from its data store.
 */
#include "manager.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef METAFSD_PATH
#define METAFSD_PATH "metafsd"
#endif

static void usage(FILE *to)
{
	fprintf(to,
		"usage: metafs COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  init [--platform NAME[=DATADIR]]... DIR\n"
		"                  create a home (default platforms: warehouse, lake)\n"
		"  mount DIR MOUNTPOINT [-f] [-o OPTIONS]\n"
		"                  mount a home (runs metafsd)\n"
		"  repair --home DIR PLATFORM.DB.TABLE\n"
		"                  register partitions and files found in the data store\n"
		"\n"
		"  metafs COMMAND --help   help on one command\n"
		"  metafs --version        show the version\n"
		"\n"
		"See metafs(1), metafsd(8) and metafs(5).\n");
}

static int cmd_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"platform", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *names[MGR_MAX_PLATFORMS], *data[MGR_MAX_PLATFORMS];
	char *owned[MGR_MAX_PLATFORMS];
	unsigned n = 0;
	int c, rc = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: metafs init [--platform NAME[=DATADIR]]... DIR\n\n"
			       "Create a metafs home in DIR: metafs.ini, one metastore per platform\n"
			       "under DIR/meta/, and data stores under DIR/data/ (or DATADIR).\n"
			       "Without --platform the home has 'warehouse' and 'lake'.\n");
			return 0;
		}
		if (c != 'p')
			return 2;
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
	if (optind != argc - 1) {
		fprintf(stderr, "usage: metafs init [--platform NAME[=DATADIR]]... DIR\n");
		rc = 2;
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
	if (mgr_home_init(home, n, names, data, err, sizeof err)) {
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

static int cmd_mount(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: metafs mount DIR MOUNTPOINT [-f] [-o OPTIONS]\n\n"
		       "Mount the home DIR at MOUNTPOINT; the same as\n"
		       "'metafsd --home DIR [-f] [-o OPTIONS] MOUNTPOINT'.\n");
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: metafs mount DIR MOUNTPOINT [-f] [-o OPTIONS]\n");
		return 2;
	}
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
	char self[PATH_MAX], sibling[PATH_MAX + 32];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len > 0) {
		self[len] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			const char *const candidates[] = {"%s/metafsd", "%s/../fs/metafsd", "%s/../sbin/metafsd"};
			for (size_t i = 0; i < 3; i++) {
				snprintf(sibling, sizeof sibling, candidates[i], self);
				if (access(sibling, X_OK) == 0)
					execv(sibling, args);
			}
		}
	}
	execvp(METAFSD_PATH, args);
	fprintf(stderr, "metafs: cannot run metafsd: %s\n", strerror(errno));
	free(args);
	return 1;
}

static int cmd_repair(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"home", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *home = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'H')
			home = optarg;
		else if (c == 'h') {
			printf("usage: metafs repair --home DIR PLATFORM.DB.TABLE\n\n"
			       "Register partition directories and data files found in the table's\n"
			       "data-store directory that the metastore lacks, and drop records of\n"
			       "files that are gone (like MSCK REPAIR TABLE).  Safe while mounted.\n");
			return 0;
		} else
			return 2;
	}
	if (!home || optind != argc - 1) {
		fprintf(stderr, "usage: metafs repair --home DIR PLATFORM.DB.TABLE\n");
		return 2;
	}
	char spec[3 * (STORE_NAME_MAX + 1)];
	snprintf(spec, sizeof spec, "%s", argv[optind]);
	char *db = strchr(spec, '.');
	char *table = db ? strchr(db + 1, '.') : NULL;
	if (!db || !table || strchr(table + 1, '.')) {
		fprintf(stderr, "metafs: expected PLATFORM.DB.TABLE, got '%s'\n", argv[optind]);
		return 2;
	}
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
	if (!p) {
		fprintf(stderr, "metafs: no platform '%s' in %s\n", spec, home);
	} else {
		int r = mgr_table_repair(p, db, table, STORE_ORIGIN_TOOL, &stats);
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
			rc = 0;
		}
	}
	mgr_close(m);
	return rc;
}

int main(int argc, char **argv)
{
	mgr_log_setup(true, MGR_LOG_WARN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
		printf("metafs %s (store format %d)\n", METAFS_VERSION, STORE_FORMAT_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "init"))
		return cmd_init(argc - 1, argv + 1);
	if (!strcmp(cmd, "mount"))
		return cmd_mount(argc - 1, argv + 1);
	if (!strcmp(cmd, "repair"))
		return cmd_repair(argc - 1, argv + 1);
	fprintf(stderr, "metafs: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
