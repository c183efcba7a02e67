/*
 * fs_jobs.c - the jobs/ tree: dropping NAME.sql submits a run, NAME/ shows
 * the latest run's files, NAME/runs/N/ every run's, and reading a `wait`
 * file blocks until its run has ended.  A run's results/ directory holds
 * N.csv for each of its results, and `result` is there only while the run
 * has a result (mgr_job.h).  Job names are per submitter
 * (mgr_job.h): writing NAME.sql of another user's job is refused at open,
 * at create and again at the submission, audited and logged.
 *
 * Inode numbers follow fs_int.h's scheme with kinds of their own and the
 * job's number (stable across restarts, see mgr_job.h) in the id:
 *   JOBDIR, JOBSQL, JOBRUNS   id = job
 *   JOBRUN                    id = job << 32 | run
 *   JOBFILE                   id = job << 32 | run << 8 | file   (run 0: the latest)
 * where file is a mgr_job_file, WAIT_FILE, RESULTS_DIR (results/, the one
 * directory of the kind) or RESULT_FIRST + N - 1 for results/N.csv; so a
 * job has at most MGR_JOB_RESULTS_MAX results.
 * Everything here changes while jobs run, so nothing is cached by the kernel:
 * entries and attributes have timeout 0 and files are read with direct_io.
 * A file's size is that of its text as the open that follows a stat serves
 * it (fs_snapshot.c); `wait` is 0 until its read makes its text.
 * Loading a node decodes its id into fs_node's job, run and job_file, so the
 * rows below share most of their members.
 */
#include "fs_int.h"
#include "mgr_job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_FILE MGR_JOB_FILE_COUNT     /* the file index of `wait` */
#define NFILES (MGR_JOB_FILE_COUNT + 1)
#define RESULTS_DIR 15                   /* results/ */
#define RESULT_FIRST 16                  /* results/1.csv */

_Static_assert(NFILES <= RESULTS_DIR, "the job files and results/ share the file byte");
_Static_assert(RESULT_FIRST + MGR_JOB_RESULTS_MAX - 1 <= 0xff, "results/N.csv fit the file byte");

/* N of results/N.csv for a file index, else 0. */
static uint32_t result_of(unsigned f)
{
	return f >= RESULT_FIRST ? f - RESULT_FIRST + 1 : 0;
}

static const char *file_name(unsigned f)
{
	return f == WAIT_FILE ? "wait" : mgr_job_file_names[f];
}

static uint32_t id_job(uint64_t id) { return (uint32_t)(id >> 32); }
static uint32_t id_run(uint64_t id) { return (uint32_t)((id >> 8) & 0xffffff); }
static unsigned id_file(uint64_t id) { return (unsigned)(id & 0xff); }

static fuse_ino_t ino_file(uint32_t job, uint32_t run, unsigned file)
{
	return fs_ino_make(0, FS_KIND_JOBFILE, ((uint64_t)job << 32) | ((uint64_t)run << 8) | file);
}

/* ---- loading ------------------------------------------------------------------------- */

/* NAME/, NAME.sql and NAME/runs/: the id is the job. */
static int job_load(fs_node *n)
{
	n->job = (uint32_t)n->id;
	return mgr_job_info(fs_state.m, n->job, NULL, NULL);
}

static int run_load(fs_node *n)
{
	uint32_t runs = 0;
	n->job = id_job(n->id);
	n->run = (uint32_t)(n->id & 0xffffffff);
	int rc = mgr_job_info(fs_state.m, n->job, NULL, &runs);
	if (rc)
		return rc;
	return n->run == 0 || n->run > runs ? -ENOENT : 0;
}

/* NAME/FILE (run 0: the latest run's) and NAME/runs/N/FILE; NAME/ shows no
 * copy of the SQL (that is NAME.sql). */
static int file_load(fs_node *n)
{
	uint32_t runs = 0;
	n->job = id_job(n->id);
	n->run = id_run(n->id);
	n->job_file = id_file(n->id);
	int rc = mgr_job_info(fs_state.m, n->job, NULL, &runs);
	if (rc)
		return rc;
	if ((n->job_file >= NFILES && n->job_file < RESULTS_DIR) || n->run > runs || runs == 0)
		return -ENOENT;
	if (n->job_file == MGR_JOB_FILE_SQL && n->run == 0)
		return -ENOENT;
	/* A result is a file only while the run has it. */
	uint32_t result = result_of(n->job_file);
	if ((result || n->job_file == MGR_JOB_FILE_RESULT) &&
	    !mgr_job_result_exists(fs_state.m, n->job, n->run, result))
		return -ENOENT;
	return 0;
}

static unsigned file_flags(const fs_node *n)
{
	return FS_NODE_UNCACHED | (id_file(n->id) == RESULTS_DIR ? FS_NODE_DIR : 0);
}

/* ---- attributes ---------------------------------------------------------------------- */

/* The text of a job file (fs_snapshot.c): its size is the text's.  `wait`
 * has none until its run ends, when its read makes it: size 0. */
static int sql_snapshot(fs_node *n, const mgr_principal *who, textbuf *out, uint64_t *len)
{
	(void)who;
	/* A job declared by a create has no text until its close submits it. */
	int rc = mgr_job_read(fs_state.m, n->job, 0, MGR_JOB_FILE_SQL, out);
	*len = out->len;
	return rc ? -ENODATA : 0;
}

static int file_snapshot(fs_node *n, const mgr_principal *who, textbuf *out, uint64_t *len)
{
	(void)who;
	if (n->job_file == WAIT_FILE || n->job_file == RESULTS_DIR)
		return -ENODATA;
	int rc;
	uint32_t result = result_of(n->job_file);
	if (result || n->job_file == MGR_JOB_FILE_RESULT)
		rc = mgr_job_read_result(fs_state.m, n->job, n->run, result, out);
	else
		rc = mgr_job_read(fs_state.m, n->job, n->run, (mgr_job_file)n->job_file, out);
	*len = out->len;
	return rc ? -ENODATA : 0;   /* the open reports why it cannot be read */
}

/* jobs/: anyone may drop a job (like /tmp). */
static void root_attr(const fs_node *n, struct stat *st)
{
	(void)n;
	st->st_mode = S_IFDIR | S_ISVTX | 0777;
	st->st_nlink = 2;
}

static void dir_attr(const fs_node *n, struct stat *st)
{
	(void)n;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
}

static void sql_attr(const fs_node *n, struct stat *st)
{
	st->st_mode = S_IFREG | 0644;
	st->st_size = (off_t)n->size;
}

static void file_attr(const fs_node *n, struct stat *st)
{
	if (n->job_file == RESULTS_DIR) {
		dir_attr(n, st);
		return;
	}
	st->st_mode = S_IFREG | 0444;
	st->st_size = (off_t)n->size;
}

/* ---- lookup and listing -------------------------------------------------------------- */

/* NAME.sql -> NAME; false if NAME is not a job name. */
static bool split_sql(const char *name, char *base, size_t cap)
{
	size_t n = strlen(name);
	if (n <= 4 || strcmp(name + n - 4, ".sql") || n - 4 >= cap)
		return false;
	memcpy(base, name, n - 4);
	base[n - 4] = '\0';
	return mgr_job_name_valid(base, NULL);
}

static int root_lookup(fs_node *parent, const char *name, fs_node *child)
{
	(void)parent;
	uint32_t job, runs = 0;
	char base[MGR_JOB_NAME_MAX + 1];
	if (split_sql(name, base, sizeof base)) {
		if (mgr_job_find(fs_state.m, base, &job, &runs))
			return -ENOENT;
		return fs_node_load(fs_ino_make(0, FS_KIND_JOBSQL, job), child);
	}
	if (mgr_job_find(fs_state.m, name, &job, &runs))
		return -ENOENT;
	return fs_node_load(fs_ino_make(0, FS_KIND_JOBDIR, job), child);
}

/* NAME/ (run 0) and NAME/runs/N/: the run's files; NAME/ also runs/. */
static int dir_lookup(fs_node *parent, const char *name, fs_node *child)
{
	fuse_ino_t ino = 0;
	if (parent->run == 0 && !strcmp(name, "runs"))
		return fs_node_load(fs_ino_make(0, FS_KIND_JOBRUNS, parent->job), child);
	if (!strcmp(name, "results"))
		return fs_node_load(ino_file(parent->job, parent->run, RESULTS_DIR), child);
	for (unsigned f = parent->run ? 0 : 1; f < NFILES; f++)
		if (!strcmp(name, file_name(f)))
			ino = ino_file(parent->job, parent->run, f);
	return ino ? fs_node_load(ino, child) : -ENOENT;
}

/* results/N.csv */
static int results_lookup(fs_node *parent, const char *name, fs_node *child)
{
	char *end;
	unsigned long n = strtoul(name, &end, 10);
	if (name[0] < '1' || name[0] > '9' || strcmp(end, ".csv") || n > MGR_JOB_RESULTS_MAX)
		return -ENOENT;
	return fs_node_load(ino_file(parent->job, parent->run, RESULT_FIRST + (unsigned)n - 1), child);
}

static int runs_lookup(fs_node *parent, const char *name, fs_node *child)
{
	char *end;
	uint32_t runs = 0;
	unsigned long run = strtoul(name, &end, 10);
	if (*end || run == 0 || name[0] == '0' || mgr_job_info(fs_state.m, parent->job, NULL, &runs) ||
	    run > runs)
		return -ENOENT;
	return fs_node_load(fs_ino_make(0, FS_KIND_JOBRUN, ((uint64_t)parent->job << 32) | run), child);
}

/* Two entries a job: NAME.sql and NAME/. */
static int root_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	(void)dir;
	uint32_t n = mgr_job_count(fs_state.m);
	for (uint64_t i = off < 3 ? 0 : (uint64_t)(off - 2); i < 2 * (uint64_t)n; i++) {
		uint32_t job = (uint32_t)(i / 2) + 1;
		char name[MGR_JOB_NAME_MAX + 8];
		uint32_t runs;
		if (mgr_job_info(fs_state.m, job, name, &runs))
			continue;
		bool sql = i % 2 == 0;
		if (sql)
			strcat(name, ".sql");
		if (sql && runs == 0)
			continue;   /* being written: shown once submitted */
		if (!fs_dir_add_ino(df, name, fs_ino_make(0, sql ? FS_KIND_JOBSQL : FS_KIND_JOBDIR, job),
				    (off_t)i + 3))
			break;
	}
	return 0;
}

static int runs_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	uint32_t runs = 0;
	mgr_job_info(fs_state.m, dir->job, NULL, &runs);
	for (uint32_t run = off < 3 ? 1 : (uint32_t)(off - 1); run <= runs; run++) {
		char name[16];
		snprintf(name, sizeof name, "%u", run);
		if (!fs_dir_add_ino(df, name, fs_ino_make(0, FS_KIND_JOBRUN, ((uint64_t)dir->job << 32) | run),
				    (off_t)run + 2))
			break;
	}
	return 0;
}

/* The files, results/, and runs/ in NAME/; `result` only while there is one. */
static int dir_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	unsigned first = dir->run ? 0 : 1;
	unsigned total = NFILES - first + 1 + (dir->run ? 0 : 1);
	for (unsigned i = off < 3 ? 0 : (unsigned)(off - 2); i < total; i++) {
		unsigned f = first + i;
		bool more;
		if (f == MGR_JOB_FILE_RESULT && !mgr_job_result_exists(fs_state.m, dir->job, dir->run, 0))
			continue;
		if (f < NFILES)
			more = fs_dir_add_ino(df, file_name(f), ino_file(dir->job, dir->run, f), (off_t)i + 3);
		else if (f == NFILES)
			more = fs_dir_add_ino(df, "results", ino_file(dir->job, dir->run, RESULTS_DIR),
					      (off_t)i + 3);
		else
			more = fs_dir_add_ino(df, "runs", fs_ino_make(0, FS_KIND_JOBRUNS, dir->job),
					      (off_t)i + 3);
		if (!more)
			break;
	}
	return 0;
}

/* results/: 1.csv .. K.csv. */
static int results_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	uint32_t count = 0;
	int rc = mgr_job_results(fs_state.m, dir->job, dir->run, &count);
	if (rc)
		return rc;
	if (count > MGR_JOB_RESULTS_MAX)
		count = MGR_JOB_RESULTS_MAX;
	for (uint32_t n = off < 3 ? 1 : (uint32_t)(off - 1); n <= count; n++) {
		char name[24];
		snprintf(name, sizeof name, "%u.csv", n);
		if (!fs_dir_add_ino(df, name, ino_file(dir->job, dir->run, RESULT_FIRST + n - 1),
				    (off_t)n + 2))
			break;
	}
	return 0;
}

/* Only results/ of the JOBFILE kind is a directory. */
static int file_lookup(fs_node *dir, const char *name, fs_node *child)
{
	return dir->job_file == RESULTS_DIR ? results_lookup(dir, name, child) : -ENOTDIR;
}

static int file_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	return dir->job_file == RESULTS_DIR ? results_readdir(dir, off, df) : -ENOTDIR;
}

/* ---- files --------------------------------------------------------------------------- */

/* WHO may not submit to job NAME, which OWNER holds (see mgr_job.h):
 * audited as a denied submit of jobs/NAME.sql, logged naming the owner. */
static int refuse_foreign(const mgr_principal *who, const char *name, uint32_t owner)
{
	char path[MGR_JOB_NAME_MAX + 16], detail[MGR_JOB_NAME_MAX + 64];
	snprintf(path, sizeof path, "/jobs/%s.sql", name);
	snprintf(detail, sizeof detail, "job %s belongs to uid %u", name, (unsigned)owner);
	mgr_audit(fs_state.m, who->uid, "submit", path, false, MGR_PRIV_SUBMIT, detail);
	mgr_log(MGR_LOG_WARN, "refused job file \"%s.sql\" from uid %u: job %s belongs to uid %u",
		name, (unsigned)who->uid, name, (unsigned)owner);
	return -EACCES;
}

/* May WHO submit runs of job JOB?  0, or the refusal. */
static int check_job_owner(const mgr_principal *who, uint32_t job)
{
	char name[MGR_JOB_NAME_MAX + 1];
	uint32_t owner;
	if (mgr_job_owner(fs_state.m, job, &owner) || owner == who->uid ||
	    mgr_job_info(fs_state.m, job, name, NULL))
		return 0;
	return refuse_foreign(who, name, owner);
}

/* One submission per close, as who opened the file (checked for SUBMIT
 * then), whoever closes it: a close at release has no caller at all. */
static int submit_commit(fs_handle *h)
{
	if (!h->text_dirty)
		return 0;
	char name[MGR_JOB_NAME_MAX + 1];
	uint32_t job, run, owner = 0;
	int rc = mgr_job_info(fs_state.m, h->job, name, NULL);
	if (rc == 0)
		rc = mgr_job_submit(fs_state.m, name, h->text.data ? h->text.data : "", h->text.len,
				    h->who.uid, h->who.gid, &job, &run, &owner);
	if (rc == -EACCES)
		refuse_foreign(&h->who, name, owner);
	h->text_dirty = false;
	textbuf_reset(&h->text);
	return rc;
}

/* A writable NAME.sql collects a submission. */
static int sql_open(fs_node *n, bool writing, fs_handle *h, struct fuse_file_info *fi)
{
	(void)fi;
	if (writing) {
		h->type = FS_HANDLE_JOB_SUBMIT;
		h->text_max = MGR_JOB_TEXT_MAX;
		h->job = n->job;
		h->commit = submit_commit;
		return 0;
	}
	h->type = FS_HANDLE_TEXT;
	return mgr_job_read(fs_state.m, n->job, 0, MGR_JOB_FILE_SQL, &h->text);
}

static bool req_interrupted(void *req)
{
	return fuse_req_interrupted(req);
}

/* The first read of `wait` blocks until the run ends, then serves its status. */
static int wait_prepare_read(fuse_req_t req, fs_handle *h)
{
	if (h->waited)
		return 0;
	mgr_job_state state;
	int rc = mgr_job_wait_end(fs_state.m, h->job, h->run, req_interrupted, req, &state);
	if (rc == 0)
		rc = mgr_job_read(fs_state.m, h->job, h->run, MGR_JOB_FILE_STATUS, &h->text);
	if (rc == 0)
		h->waited = true;
	return rc;
}

static int file_open(fs_node *n, bool writing, fs_handle *h, struct fuse_file_info *fi)
{
	(void)fi;
	if (writing)
		return -EACCES;
	h->job = n->job;
	h->run = n->run;
	if (n->job_file == WAIT_FILE) {
		/* Pin the run now: a later submission must not change what this
		 * reader waits for. */
		uint32_t runs = 0;
		mgr_job_info(fs_state.m, h->job, NULL, &runs);
		if (h->run == 0)
			h->run = runs;
		h->type = FS_HANDLE_JOB_WAIT;
		h->prepare_read = wait_prepare_read;
		return 0;
	}
	h->type = FS_HANDLE_TEXT;
	uint32_t result = result_of(n->job_file);
	if (result || n->job_file == MGR_JOB_FILE_RESULT)
		return mgr_job_read_result(fs_state.m, h->job, h->run, result, &h->text);
	return mgr_job_read(fs_state.m, h->job, h->run, (mgr_job_file)n->job_file, &h->text);
}

static int sql_truncate(fs_node *n, off_t size, fs_handle *h, const mgr_principal *who)
{
	(void)who;
	return fs_node_truncate_definition(n, size, h, FS_HANDLE_JOB_SUBMIT);
}

/* jobs/NAME.sql: a handle that submits what is written when it is closed. */
static int root_create(fs_node *dir, const char *name, const mgr_principal *who, fs_handle *h,
		       struct fuse_entry_param *e)
{
	(void)dir;
	char base[MGR_JOB_NAME_MAX + 1];
	uint32_t job, owner = 0;
	fs_node child;
	memset(&child, 0, sizeof child);
	int rc = fs_check_submit(who);
	if (rc)
		return rc;
	if (!split_sql(name, base, sizeof base)) {
		mgr_log(MGR_LOG_WARN, "refused job file \"%.80s\": a job file is NAME.sql, NAME of letters, "
				      "digits, '_', '-' and '.'", name);
		return -EINVAL;
	}
	rc = mgr_job_declare(fs_state.m, base, who->uid, &job, &owner);
	if (rc == -EACCES)
		return refuse_foreign(who, base, owner);
	if (rc == 0)
		rc = fs_node_load(fs_ino_make(0, FS_KIND_JOBSQL, job), &child);
	if (rc == 0)
		rc = sql_open(&child, true, h, NULL);
	if (rc == 0)
		rc = fs_node_entry(&child, who, e);
	if (rc == 0)
		h->ino = child.ino;
	fs_node_clear(&child);
	return rc;
}

/* ---- access -------------------------------------------------------------------------- */

/* A job's files: the run's submitter, or ADMIN on the metastore.  A job
 * without a run yet is anyone's. */
static int check_job(const mgr_principal *who, const fs_node *n, bool audit, const char *action)
{
	mgr_principal owner;
	if (mgr_job_run_owner(fs_state.m, n->job, n->run, &owner.uid, &owner.gid) ||
	    owner.uid == who->uid || mgr_access_superuser(fs_state.m, who))
		return 0;
	if (!audit)
		return fs_metastore_admin(who) ? 0 : -EACCES;
	mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	return mgr_authorize(fs_state.m, who, MGR_PRIV_ADMIN, &all, action, "/jobs");
}

static int job_check_list(const mgr_principal *who, const fs_node *n)
{
	return check_job(who, n, true, "list");
}

static int job_check_open(const mgr_principal *who, const fs_node *n, bool writing)
{
	(void)writing;
	return check_job(who, n, true, "read");
}

/* Writing NAME.sql: SUBMIT somewhere, and NAME must be the writer's. */
static int sql_check_open(const mgr_principal *who, const fs_node *n, bool writing)
{
	if (!writing)
		return check_job(who, n, true, "read");
	int rc = check_job_owner(who, n->job);
	return rc ? rc : fs_check_submit(who);
}

static int dir_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	return mask & W_OK ? -EACCES : check_job(who, n, false, NULL);
}

static int sql_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	if (mask & X_OK)
		return -EACCES;
	uint32_t owner;
	if ((mask & W_OK) && (!fs_submit_holds(who) ||
			      (mgr_job_owner(fs_state.m, n->job, &owner) == 0 && owner != who->uid)))
		return -EACCES;
	return mask & R_OK ? check_job(who, n, false, NULL) : 0;
}

static int file_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	if (n->job_file == RESULTS_DIR)
		return dir_check_access(who, n, mask);
	if (mask & (W_OK | X_OK))
		return -EACCES;
	return check_job(who, n, false, NULL);
}

/* ---- the rows ------------------------------------------------------------------------ */

const struct fs_kind_ops fs_jobs_root_ops = {
	.name = "jobs",
	.flags = FS_NODE_DIR | FS_NODE_UNCACHED,
	.attr = root_attr,
	.lookup = root_lookup,
	.readdir = root_readdir,
	.create = root_create,
	.mkdir = fs_mkdir_refused,
	.check_access = fs_access_anyone,   /* 01777 */
};

const struct fs_kind_ops fs_jobdir_ops = {
	.name = "job directory",
	.flags = FS_NODE_DIR | FS_NODE_UNCACHED,
	.load = job_load,
	.attr = dir_attr,
	.lookup = dir_lookup,
	.readdir = dir_readdir,
	.create = fs_create_refused,
	.rmdir = fs_rmdir_refused,   /* runs are history: kept */
	.check_list = job_check_list,
	.check_open = job_check_open,
	.check_access = dir_check_access,
};

const struct fs_kind_ops fs_jobsql_ops = {
	.name = "job file",
	.flags = FS_NODE_UNCACHED,
	.load = job_load,
	.attr = sql_attr,
	.snapshot = sql_snapshot,
	.open = sql_open,
	.truncate = sql_truncate,
	.create = fs_create_refused,
	.check_list = job_check_list,
	.check_open = sql_check_open,
	.check_access = sql_check_access,
};

/* A run's files and its results/ directory (RESULTS_DIR). */
const struct fs_kind_ops fs_jobfile_ops = {
	.name = "job run file",
	.node_flags = file_flags,
	.load = file_load,
	.attr = file_attr,
	.lookup = file_lookup,
	.readdir = file_readdir,
	.snapshot = file_snapshot,
	.open = file_open,
	.create = fs_create_refused,
	.check_list = job_check_list,
	.check_open = job_check_open,
	.check_access = file_check_access,
};

const struct fs_kind_ops fs_jobruns_ops = {
	.name = "job runs",
	.flags = FS_NODE_DIR | FS_NODE_UNCACHED,
	.load = job_load,
	.attr = dir_attr,
	.lookup = runs_lookup,
	.readdir = runs_readdir,
	.create = fs_create_refused,
	.check_list = job_check_list,
	.check_open = job_check_open,
	.check_access = dir_check_access,
};

const struct fs_kind_ops fs_jobrun_ops = {
	.name = "job run",
	.flags = FS_NODE_DIR | FS_NODE_UNCACHED,
	.load = run_load,
	.attr = dir_attr,
	.lookup = dir_lookup,
	.readdir = dir_readdir,
	.create = fs_create_refused,
	.check_list = job_check_list,
	.check_open = job_check_open,
	.check_access = dir_check_access,
};
