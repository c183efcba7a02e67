/*
 * mgr_config.c - the home directory: metafs.ini, opening platforms.
 */
#include "manager.h"
#include "mgr_int.h"
#include "mgr_access.h"     /* mgr_audit_classes_parse */
#include "mgr_job_int.h"   /* mgr_engine_find */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAP_SIZE ((size_t)64 << 30)
#define DEFAULT_ENTRY_TIMEOUT 3600.0
#define DEFAULT_HIDDEN_GRACE 3600.0
#define DEFAULT_AUDIT_MAX_BYTES ((size_t)64 << 20)
#define DEFAULT_FUSE_THREADS 16

static const char *const reserved_platform_names[] = {"jobs", "sync", "pipelines"};

struct config_parse {
	mgr_config *cfg;
	char *err;
	size_t errlen;
	const char *file;
	int current;        /* platform index of the section, -1 for [metafs] */
	char section[STORE_NAME_MAX + 16];   /* the section seen last */
	bool failed;
	char reason[512];
};

static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	unsigned shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v == 0 || v > (SIZE_MAX >> shift))
		return -EINVAL;
	*out = (size_t)v << shift;
	return 0;
}

/* Make PATH absolute relative to HOME. */
static int resolve_path(const char *home, const char *path, char *out, size_t cap)
{
	size_t hl = path[0] == '/' ? 0 : strlen(home), pl = strlen(path);

	if (hl + (hl ? 1 : 0) + pl >= cap)
		return -ENAMETOOLONG;
	/* memmove: OUT and HOME may be fields of one configuration */
	memmove(out + (hl ? hl + 1 : 0), path, pl + 1);
	if (hl) {
		memmove(out, home, hl);
		out[hl] = '/';
	}
	return 0;
}

/* Record the first reason; inih reports the line of the first handler error. */
static int config_fail(struct config_parse *cp, const char *fmt, const char *what)
{
	if (!cp->failed)
		snprintf(cp->reason, sizeof cp->reason, fmt, what);
	cp->failed = true;
	return 0;
}

bool mgr_platform_name_valid(const char *name, const char **why)
{
	if (!store_name_valid(name, why))
		return false;
	if (name[0] == '.') {
		if (why)
			*why = "platform names may not start with '.'";
		return false;
	}
	for (size_t i = 0; i < sizeof reserved_platform_names / sizeof *reserved_platform_names; i++)
		if (strcmp(name, reserved_platform_names[i]) == 0) {
			if (why)
				*why = "the name is reserved for the mount's own directories";
			return false;
		}
	return true;
}

/* inih calls this once per key; a section starts when its name changes. */
static int config_section(struct config_parse *cp, const char *section)
{
	mgr_config *cfg = cp->cfg;
	snprintf(cp->section, sizeof cp->section, "%s", section);
		if (strcmp(section, "metafs") == 0 || strcmp(section, "jobs") == 0 ||
		    strcmp(section, "access") == 0 || strcmp(section, "hms") == 0) {
			cp->current = -1;
			return 1;
		}
		if (strncmp(section, "platform ", 9) != 0)
			return config_fail(cp, "unknown section [%s]", section);
		const char *name = section + 9;
		while (*name == ' ')
			name++;
		const char *why = NULL;
		if (!mgr_platform_name_valid(name, &why)) {
			char msg[300];
			snprintf(msg, sizeof msg, "bad platform name \"%s\": %s", name, why);
			return config_fail(cp, "%s", msg);
		}
		for (unsigned i = 0; i < cfg->nplatforms; i++)
			if (strcmp(cfg->platforms[i].name, name) == 0)
				return config_fail(cp, "platform \"%s\" defined twice", name);
		if (cfg->nplatforms == MGR_MAX_PLATFORMS)
			return config_fail(cp, "%s", "too many platforms (at most 15)");
		cp->current = (int)cfg->nplatforms++;
		snprintf(cfg->platforms[cp->current].name, sizeof cfg->platforms[0].name, "%s", name);
		char rel[PATH_MAX];
		snprintf(rel, sizeof rel, "data/%s", name);
		resolve_path(cfg->home, rel, cfg->platforms[cp->current].data_dir, PATH_MAX);
		snprintf(rel, sizeof rel, "meta/%s", name);
		resolve_path(cfg->home, rel, cfg->platforms[cp->current].meta_dir, PATH_MAX);
		snprintf(cfg->platforms[cp->current].engine, sizeof cfg->platforms[0].engine, "embedded");
		return 1;
}

/* [access] admins = alice, 1001, ...: each a user name or a decimal uid. */
static int config_admins(struct config_parse *cp, const char *value)
{
	mgr_config *cfg = cp->cfg;
	char list[1024], *save = NULL;
	if (snprintf(list, sizeof list, "%s", value) >= (int)sizeof list)
		return config_fail(cp, "%s", "admins: the list is too long");
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		char *end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*tok)
			continue;
		uint32_t uid;
		if (mgr_uid_resolve(tok, &uid))
			return config_fail(cp, "admins: no user \"%s\"", tok);
		if (cfg->nadmins == MGR_MAX_ADMINS)
			return config_fail(cp, "admins: more than %s users", "64");
		cfg->admins[cfg->nadmins++] = uid;
	}
	return 1;
}

static int config_access(struct config_parse *cp, const char *key, const char *value)
{
	if (strcmp(key, "admins") == 0)
		return config_admins(cp, value);
	if (strcmp(key, "home_group") == 0) {
		if (mgr_gid_resolve(value, &cp->cfg->home_gid))
			return config_fail(cp, "home_group: no group \"%s\"", value);
		if (snprintf(cp->cfg->home_group, sizeof cp->cfg->home_group, "%s", value) >=
		    (int)sizeof cp->cfg->home_group)
			return config_fail(cp, "%s", "home_group: the name is too long");
		cp->cfg->has_home_group = true;
		return 1;
	}
	if (strcmp(key, "audit_max_bytes") == 0) {
		if (parse_size(value, &cp->cfg->audit_max_bytes))
			return config_fail(cp, "bad audit_max_bytes \"%s\" (example: 64M)", value);
		return 1;
	}
	if (strcmp(key, "audit") == 0) {
		char why[300];
		if (mgr_audit_classes_parse(value, &cp->cfg->audit_classes, why, sizeof why))
			return config_fail(cp, "%s", why);
		return 1;
	}
	return config_fail(cp, "unknown key \"%s\" in [access]", key);
}

/* [metafs] pipeline_workers, pipeline_timeout, pipeline_debounce_ms: how
 * the daemon runs pipelines (mgr_pipeline.c). */
static int config_pipeline(struct config_parse *cp, const char *key, const char *value)
{
	mgr_config *cfg = cp->cfg;
	char *end;
	if (strcmp(key, "pipeline_workers") == 0) {
		long v = strtol(value, &end, 10);
		if (end == value || *end || v < 1 || v > 64)
			return config_fail(cp, "bad pipeline_workers \"%s\" (1 to 64)", value);
		cfg->pipeline_workers = (unsigned)v;
	} else if (strcmp(key, "pipeline_timeout") == 0) {
		double v = strtod(value, &end);
		if (end == value || (*end && strcmp(end, "s")) || !(v >= 0) || v > 1e7)
			return config_fail(cp, "bad pipeline_timeout \"%s\" (seconds, 0: none)", value);
		cfg->pipeline_timeout = v;
	} else if (strcmp(key, "pipeline_debounce_ms") == 0) {
		long v = strtol(value, &end, 10);
		if (end == value || *end || v < 0 || v > 3600000)
			return config_fail(cp, "bad pipeline_debounce_ms \"%s\" (0 to 3600000)", value);
		cfg->pipeline_debounce_ms = (unsigned)v;
	} else {
		return config_fail(cp, "unknown key \"%s\" in [metafs]", key);
	}
	return 1;
}

/* [hms] listen, allow, max_connections, location_prefix,
 * allow_daemon_user: the Hive Metastore API (hms/, metafsd(8)).  The
 * address and the CIDRs are checked again when the server starts. */
static int config_hms(struct config_parse *cp, const char *key, const char *value)
{
	mgr_config *cfg = cp->cfg;
	char *end;
	if (strcmp(key, "listen") == 0) {
		if (!strchr(value, ':') ||
		    snprintf(cfg->hms_listen, sizeof cfg->hms_listen, "%s", value) >=
			    (int)sizeof cfg->hms_listen)
			return config_fail(cp, "bad listen \"%s\" (ADDRESS:PORT)", value);
	} else if (strcmp(key, "allow") == 0) {
		if (snprintf(cfg->hms_allow, sizeof cfg->hms_allow, "%s", value) >=
		    (int)sizeof cfg->hms_allow)
			return config_fail(cp, "%s", "allow: the list is too long");
	} else if (strcmp(key, "max_connections") == 0) {
		long v = strtol(value, &end, 10);
		if (end == value || *end || v < 1 || v > 4096)
			return config_fail(cp, "bad max_connections \"%s\" (1 to 4096)", value);
		cfg->hms_max_connections = (unsigned)v;
	} else if (strcmp(key, "location_prefix") == 0) {
		if (snprintf(cfg->hms_location_prefix, sizeof cfg->hms_location_prefix, "%s", value) >=
		    (int)sizeof cfg->hms_location_prefix)
			return config_fail(cp, "%s", "location_prefix: too long");
	} else if (strcmp(key, "allow_daemon_user") == 0) {
		if (strcmp(value, "true") && strcmp(value, "false"))
			return config_fail(cp, "allow_daemon_user is true or false, not \"%s\"", value);
		cfg->hms_allow_daemon_user = strcmp(value, "true") == 0;
	} else {
		return config_fail(cp, "unknown key \"%s\" in [hms]", key);
	}
	return 1;
}

static int config_handler(void *user, const char *section, const char *key, const char *value)
{
	struct config_parse *cp = user;
	mgr_config *cfg = cp->cfg;
	if (cp->failed)
		return 0;
	if (strcmp(section, cp->section) != 0 && !config_section(cp, section))
		return 0;
	if (strcmp(section, "jobs") == 0) {
		char *end;
		if (strcmp(key, "workers") == 0 || strcmp(key, "threads") == 0) {
			long v = strtol(value, &end, 10);
			if (end == value || *end || v < 1 || v > 256)
				return config_fail(cp, "bad number \"%s\" (1 to 256)", value);
			*(key[0] == 'w' ? &cfg->job_workers : &cfg->job_threads) = (unsigned)v;
		} else if (strcmp(key, "memory_per_operator") == 0) {
			if (parse_size(value, &cfg->memory_per_operator))
				return config_fail(cp, "bad size \"%s\" (example: 256M)", value);
		} else if (strcmp(key, "memory_per_job") == 0) {
			if (parse_size(value, &cfg->memory_per_job))
				return config_fail(cp, "bad size \"%s\" (example: 1G)", value);
		} else if (strcmp(key, "spill_dir") == 0) {
			if (!*value || resolve_path(cfg->home, value, cfg->spill_dir, sizeof cfg->spill_dir))
				return config_fail(cp, "bad spill_dir \"%s\"", value);
		} else if (strcmp(key, "bad_rows") == 0) {
			if (strcmp(value, "fail") && strcmp(value, "skip"))
				return config_fail(cp, "bad_rows is fail or skip, not \"%s\"", value);
			cfg->bad_rows_skip = strcmp(value, "skip") == 0;
		} else {
			return config_fail(cp, "unknown key \"%s\" in [jobs]", key);
		}
		return 1;
	}
	if (strcmp(section, "access") == 0)
		return config_access(cp, key, value);
	if (strcmp(section, "hms") == 0)
		return config_hms(cp, key, value);
	if (strcmp(section, "metafs") == 0 && strncmp(key, "pipeline_", 9) == 0)
		return config_pipeline(cp, key, value);
	if (strcmp(section, "metafs") == 0) {
		if (strcmp(key, "mapsize") == 0) {
			if (parse_size(value, &cfg->map_size))
				return config_fail(cp, "bad mapsize \"%s\" (example: 64G)", value);
		} else if (strcmp(key, "entry_timeout") == 0) {
			char *end;
			cfg->entry_timeout = strtod(value, &end);
			if (end == value || *end || cfg->entry_timeout < 0)
				return config_fail(cp, "bad entry_timeout \"%s\" (seconds)", value);
		} else if (strcmp(key, "fuse_threads") == 0) {
			char *end;
			long v = strtol(value, &end, 10);
			if (end == value || *end || v < 1 || v > 1024)
				return config_fail(cp, "bad fuse_threads \"%s\" (1 to 1024)", value);
			cfg->fuse_threads = (unsigned)v;
		} else if (strcmp(key, "hidden_grace") == 0) {
			char *end;
			cfg->hidden_grace = strtod(value, &end);
			if (end == value || *end || !(cfg->hidden_grace >= 0))
				return config_fail(cp, "bad hidden_grace \"%s\" (seconds)", value);
		} else {
			return config_fail(cp, "unknown key \"%s\" in [metafs]", key);
		}
		return 1;
	}
	if (cp->current < 0)
		return config_fail(cp, "key \"%s\" outside a section", key);
	if (strcmp(key, "engine") == 0) {
		/* The engine that runs the platform's statements (mgr_job_exec.c). */
		if (!mgr_engine_find(value))
			return config_fail(cp, "unknown engine \"%s\" (known: embedded)", value);
		snprintf(cfg->platforms[cp->current].engine, sizeof cfg->platforms[0].engine, "%s", value);
		return 1;
	}
	char *dst;
	if (strcmp(key, "data") == 0)
		dst = cfg->platforms[cp->current].data_dir;
	else if (strcmp(key, "meta") == 0)
		dst = cfg->platforms[cp->current].meta_dir;
	else
		return config_fail(cp, "unknown key \"%s\" in a platform section", key);
	if (!*value || resolve_path(cfg->home, value, dst, PATH_MAX))
		return config_fail(cp, "bad path \"%s\"", value);
	return 1;
}

int mgr_config_load(const char *home, mgr_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	if (!realpath(home, cfg->home)) {
		snprintf(err, errlen, "cannot open home '%s': %s", home, strerror(errno));
		return -errno;
	}
	char file[PATH_MAX + 16];
	snprintf(file, sizeof file, "%s/metafs.ini", cfg->home);
	cfg->map_size = DEFAULT_MAP_SIZE;
	cfg->entry_timeout = DEFAULT_ENTRY_TIMEOUT;
	cfg->hidden_grace = DEFAULT_HIDDEN_GRACE;
	cfg->job_workers = 2;
	cfg->pipeline_workers = 2;
	cfg->pipeline_timeout = 3600;
	cfg->pipeline_debounce_ms = 1000;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->job_threads = ncpu > 0 ? (unsigned)ncpu : 1;
	/* A job's memory is shared among its operators; memory_per_operator
	 * (older homes set it) only caps one operator's share. */
	cfg->memory_per_operator = 0;
	cfg->memory_per_job = (size_t)1 << 30;
	cfg->audit_max_bytes = DEFAULT_AUDIT_MAX_BYTES;
	cfg->audit_classes = MGR_AUDIT_DEFAULT;
	cfg->fuse_threads = DEFAULT_FUSE_THREADS;
	cfg->hms_max_connections = 64;
	struct config_parse cp = {.cfg = cfg, .current = -1};
	FILE *f = fopen(file, "r");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "cannot read '%s': %s%s", file, strerror(e),
			 e == ENOENT ? " (create a home with 'metafs init DIR')" : "");
		return -e;
	}
	int rc = ini_parse_file(f, config_handler, &cp);
	fclose(f);
	if (cp.failed) {
		snprintf(err, errlen, "%s line %d: %s", file, rc, cp.reason);
		return -EINVAL;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s line %d: syntax error", file, rc);
		return -EINVAL;
	}
	if (cfg->nplatforms == 0) {
		snprintf(err, errlen, "%s: no [platform NAME] section", file);
		return -EINVAL;
	}
	if (!cfg->spill_dir[0] &&
	    base_path_format(cfg->spill_dir, sizeof cfg->spill_dir, "%s/manager/spill", cfg->home)) {
		snprintf(err, errlen, "%s: the home's path is too long", file);
		return -ENAMETOOLONG;
	}
	return 0;
}

int mgr_home_init(const char *home, unsigned n, const char *const *names,
		  const char *const *data, char *err, size_t errlen)
{
	return mgr_home_init_group(home, n, names, data, NULL, err, errlen);
}

int mgr_home_init_group(const char *home, unsigned n, const char *const *names,
			const char *const *data, const char *group, char *err, size_t errlen)
{
	char file[PATH_MAX];
	mgr_config modes = {.has_home_group = group != NULL};
	if (group && mgr_gid_resolve(group, &modes.home_gid)) {
		snprintf(err, errlen, "no group '%s'", group);
		return -EINVAL;
	}
	if (group && (strlen(group) >= sizeof modes.home_group || strpbrk(group, ";#\n"))) {
		snprintf(err, errlen, "bad group name '%s'", group);
		return -EINVAL;
	}
	/* Its parents as mkdir -p makes them; the home itself private. */
	int rc = base_fs_mkdirs(home, 0755);
	if (rc) {
		snprintf(err, errlen, "cannot create '%s': %s", home, strerror(-rc));
		return rc;
	}
	snprintf(file, sizeof file, "%s/metafs.ini", home);
	if (access(file, F_OK) == 0) {
		snprintf(err, errlen, "%s already holds a metafs home", home);
		return -EEXIST;
	}
	mgr_home_umask(&modes);
	if ((group && chown(home, (uid_t)-1, (gid_t)modes.home_gid)) ||
	    chmod(home, group ? (S_ISGID | (BASE_MODE_DIR & ~(mode_t)BASE_UMASK_GROUP))
			      : (BASE_MODE_DIR & ~(mode_t)BASE_UMASK_PRIVATE))) {
		rc = -errno;
		snprintf(err, errlen, "cannot make '%s' private: %s", home, strerror(-rc));
		return rc;
	}
	if (n == 0 || n > MGR_MAX_PLATFORMS) {
		snprintf(err, errlen, "a home needs 1 to %d platforms", MGR_MAX_PLATFORMS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		const char *why;
		if (!mgr_platform_name_valid(names[i], &why)) {
			snprintf(err, errlen, "bad platform name '%s': %s", names[i], why);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0) {
				snprintf(err, errlen, "platform '%s' given twice", names[i]);
				return -EINVAL;
			}
	}
	textbuf ini = TEXTBUF_INIT;
	textbuf_puts(&ini, "; metafs home: see metafsd(8) for every key\n"
			   "[metafs]\n"
			   "mapsize = 64G          ; LMDB map size of each metastore\n"
			   "entry_timeout = 3600   ; seconds the kernel caches entries and attributes\n"
			   "fuse_threads = 16      ; threads serving the mount at most (1 to 1024)\n"
			   "\n[jobs]\n"
			   "workers = 2                  ; jobs that run at once\n"
			   "memory_per_job = 1G          ; what a job's operators may hold; past it they spill\n"
			   "; memory_per_operator = 256M ; a cap on one operator's share of memory_per_job\n"
			   "; spill_dir = /var/tmp       ; where spill files go (default: manager/spill)\n"
			   "bad_rows = fail              ; malformed rows: fail the job, or skip and count them\n"
			   "\n[access]\n"
			   "; admins = alice, 1001       ; superusers besides the user the daemon runs as\n"
			   "audit_max_bytes = 64M        ; the audit log rotates to audit.log.1 past this\n"
			   "audit = denials, changes, grants, admin  ; add reads (or: all) to record allowed reads\n");
	if (group)
		textbuf_printf(&ini, "home_group = %s    ; may read the home; others may not\n", group);
	else
		textbuf_puts(&ini, "; home_group = metafs        ; may read the home; others may not\n");
	textbuf_puts(&ini, "\n; The Hive Metastore API for Spark and Trino (metafsd(8)): uncomment to serve it.\n"
			   "; [hms]\n"
			   "; listen = 127.0.0.1:9083     ; ADDRESS:PORT\n"
			   "; allow = 127.0.0.0/8, ::1    ; peers that may connect (CIDRs)\n");
	for (unsigned i = 0; i < n; i++) {
		textbuf_printf(&ini, "\n[platform %s]\n", names[i]);
		if (data && data[i])
			textbuf_printf(&ini, "data = %s\n", data[i]);
		else
			textbuf_printf(&ini, "data = data/%s\n", names[i]);
		textbuf_printf(&ini, "meta = meta/%s\n", names[i]);
	}
	rc = textbuf_error(&ini);
	if (rc == 0) {
		rc = base_fs_file_replace(file, ini.data, ini.len, BASE_MODE_FILE);
		if (rc)
			base_msg_format(err, errlen, "cannot write '%s': %s", file, strerror(-rc));
	}
	textbuf_free(&ini);
	if (rc)
		return rc;
	/* Create the directories and the empty metastores now, so a bad path is
	 * reported by init rather than by the first mount. */
	mgr *m = NULL;
	rc = mgr_open(home, false, &m, err, errlen);
	mgr_close(m);
	return rc;
}

static int open_platform(mgr *m, unsigned i, char *err, size_t errlen)
{
	const mgr_config *cfg = &m->cfg;
	mgr_platform *p = &m->platforms[i];
	p->index = i;
	memcpy(p->name, cfg->platforms[i].name, sizeof p->name);
	memcpy(p->data_dir, cfg->platforms[i].data_dir, sizeof p->data_dir);
	memcpy(p->meta_dir, cfg->platforms[i].meta_dir, sizeof p->meta_dir);
	p->mgr = m;
	int rc = mgr_home_mkdir(cfg, p->data_dir);
	if (rc) {
		snprintf(err, errlen, "cannot create data store '%s' of '%s': %s", p->data_dir,
			 p->name, strerror(-rc));
		return rc;
	}
	rc = mgr_home_mkdir(cfg, p->meta_dir);
	if (rc) {
		snprintf(err, errlen, "cannot create metastore directory '%s': %s", p->meta_dir,
			 strerror(-rc));
		return rc;
	}
	store_options so = {.map_size = cfg->map_size};
	rc = store_open(p->meta_dir, &so, &p->store);
	if (rc) {
		snprintf(err, errlen, "cannot open metastore '%s': %s", p->name, store_strerror(rc));
		return rc;
	}
	return 0;
}

/* Is process PID gone, or a zombie whose other threads are still exiting? */
static bool lock_holder_exiting(const char *pid)
{
	char path[64], stat[512];
	if (!pid[0])
		return false;
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, stat, sizeof stat - 1);
	close(fd);
	if (n <= 0)
		return true;
	stat[n] = '\0';
	const char *state = strrchr(stat, ')');   /* after "pid (comm)" */
	return state && (state[2] == 'Z' || state[2] == 'X');
}

static int take_lock(mgr *m, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/.metafsd.lock", m->cfg.home);
	m->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, BASE_MODE_FILE);
	if (m->lock_fd < 0) {
		snprintf(err, errlen, "cannot open lock file '%s': %s", path, strerror(errno));
		return -errno;
	}
	/* A holder that is exiting (killed, its threads still being torn down)
	 * releases the lock in a moment: wait for that, but not for a live one. */
	for (int tries = 0; flock(m->lock_fd, LOCK_EX | LOCK_NB); tries++) {
		char pid[32] = "";
		ssize_t n = pread(m->lock_fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (tries < 100 && lock_holder_exiting(pid)) {
			usleep(50000);
			continue;
		}
		snprintf(err, errlen, "home '%s' is already mounted by metafsd (pid %s)", m->cfg.home,
			 pid[0] ? pid : "unknown");
		return -EBUSY;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	if (ftruncate(m->lock_fd, 0) || pwrite(m->lock_fd, pid, (size_t)n, 0) != n)
		mgr_log(MGR_LOG_WARN, "cannot record the daemon's pid in '%s'", path);
	return 0;
}

int mgr_home_lock(mgr *m, char *err, size_t errlen)
{
	if (m->lock_fd >= 0)
		return 0;
	int rc = take_lock(m, err, errlen);
	if (rc && m->lock_fd >= 0) {
		close(m->lock_fd);
		m->lock_fd = -1;
	}
	return rc;
}

static int open_manager_store(mgr *m, char *err, size_t errlen)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/manager", m->cfg.home);
	int rc = mgr_home_mkdir(&m->cfg, path);
	if (rc) {
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(-rc));
		return rc;
	}
	store_options so = {.map_size = m->cfg.map_size};
	rc = store_open(path, &so, &m->manager_store);
	if (rc) {
		snprintf(err, errlen, "cannot open the manager's store '%s': %s", path, store_strerror(rc));
		return rc;
	}
	rc = mgr_audit_init(m);
	if (rc == 0)
		rc = mgr_access_init(m);
	if (rc)
		snprintf(err, errlen, "cannot load the grants of '%s': %s", path, store_strerror(rc));
	return rc;
}

store_env *mgr_manager_store(mgr *m)
{
	return m->manager_store;
}

int mgr_open(const char *home, bool daemon, mgr **out, char *err, size_t errlen)
{
	*out = NULL;
	mgr *m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	m->lock_fd = -1;
	m->superuser_uid = (uint32_t)getuid();
	bool clean_staging = daemon;
	int rc = mgr_config_load(home, &m->cfg, err, errlen);
	if (rc == 0)
		mgr_home_umask(&m->cfg);
	/* A daemon serves the home to other users through the mount only. */
	if (rc == 0 && daemon)
		rc = mgr_home_check(&m->cfg, err, errlen);
	if (rc == 0 && daemon)
		rc = take_lock(m, err, errlen);
	if (rc == 0)
		rc = open_manager_store(m, err, errlen);
	if (rc)
		goto out;
	for (unsigned i = 0; i < m->cfg.nplatforms; i++) {
		rc = open_platform(m, i, err, errlen);
		if (rc)
			goto out;
		m->nplatforms++;
		if (clean_staging) {
			rc = mgr_staging_clean(&m->platforms[i]);
			if (rc) {
				snprintf(err, errlen, "cannot clean staging of '%s': %s",
					 m->platforms[i].name, strerror(-rc));
				goto out;
			}
			rc = mgr_intents_resolve(&m->platforms[i], NULL);
			if (rc) {
				snprintf(err, errlen, "cannot finish the commits a crash cut short on '%s': %s",
					 m->platforms[i].name, strerror(-rc));
				goto out;
			}
		}
	}
	mgr_commit_observe(m);
	*out = m;
	m = NULL;
out:
	mgr_close(m);
	return rc;
}

void mgr_close(mgr *m)
{
	if (!m)
		return;
	mgr_access_fini(m);
	mgr_audit_fini(m);
	for (unsigned i = 0; i < m->nplatforms; i++) {
		mgr_hidden_forget_platform(&m->platforms[i]);
		store_close(m->platforms[i].store);
	}
	store_close(m->manager_store);
	if (m->lock_fd >= 0)
		close(m->lock_fd);   /* releases the lock */
	mgr_metrics_free(m);
	free(m);
}

const mgr_config *mgr_get_config(const mgr *m)
{
	return &m->cfg;
}

unsigned mgr_platform_count(const mgr *m)
{
	return m->nplatforms;
}

mgr_platform *mgr_platform_at(mgr *m, unsigned index)
{
	return index < m->nplatforms ? &m->platforms[index] : NULL;
}

mgr_platform *mgr_platform_find(mgr *m, const char *name)
{
	for (unsigned i = 0; i < m->nplatforms; i++)
		if (strcmp(m->platforms[i].name, name) == 0)
			return &m->platforms[i];
	return NULL;
}

uint64_t mgr_commit_count(const mgr *m)
{
	return __atomic_load_n(&m->commits, __ATOMIC_RELAXED);
}
