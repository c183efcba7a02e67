/*
 * fs_jobs.c - the jobs/ tree: dropping NAME.sql submits a run, NAME/ shows
 * the latest run's files, NAME/runs/N/ every run's, and reading a `wait`
 * file blocks until its run has ended.
 *
 * Inode numbers follow fs_int.h's scheme with kinds of their own and the
 * job's number (stable across restarts, see mgr_job.h) in the id:
 *   JOBDIR, JOBSQL, JOBRUNS   id = job
 *   JOBRUN                    id = job << 32 | run
 *   JOBFILE                   id = job << 32 | run << 8 | file   (run 0: the latest)
 * Everything here changes while jobs run, so nothing is cached by the kernel:
 * entries and attributes have timeout 0 and files are read with direct_io.
 */
#include "fs_int.h"
#include "mgr_job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WAIT_FILE MGR_JOB_FILE_COUNT     /* the file index of `wait` */
#define NFILES (MGR_JOB_FILE_COUNT + 1)

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

bool fs_jobs_kind(fs_kind kind)
{
	return kind >= FS_KIND_JOBDIR && kind <= FS_KIND_JOBRUN;
}

bool fs_jobs_is_dir(const fs_node *n)
{
	return n->kind == FS_KIND_JOBDIR || n->kind == FS_KIND_JOBRUNS || n->kind == FS_KIND_JOBRUN ||
	       (n->kind == FS_KIND_GLOBAL && n->id == FS_GLOBAL_JOBS);
}

int fs_jobs_load(fs_node *n)
{
	uint32_t job = n->kind == FS_KIND_JOBRUN || n->kind == FS_KIND_JOBFILE ? id_job(n->id)
										 : (uint32_t)n->id;
	uint32_t runs = 0;
	int rc = mgr_job_info(fs_state.m, job, NULL, &runs);
	if (rc)
		return rc;
	if (n->kind == FS_KIND_JOBRUN && ((n->id & 0xffffffff) == 0 || (n->id & 0xffffffff) > runs))
		return -ENOENT;
	if (n->kind == FS_KIND_JOBFILE) {
		uint32_t run = id_run(n->id);
		if (id_file(n->id) >= NFILES || run > runs || runs == 0)
			return -ENOENT;
		if (id_file(n->id) == MGR_JOB_FILE_SQL && run == 0)
			return -ENOENT;
	}
	return 0;
}

int fs_jobs_owner(const fs_node *n, mgr_principal *owner)
{
	uint32_t job, run = 0;
	switch (n->kind) {
	case FS_KIND_JOBDIR:
	case FS_KIND_JOBSQL:
	case FS_KIND_JOBRUNS:
		job = (uint32_t)n->id;
		break;
	case FS_KIND_JOBRUN:
		job = id_job(n->id);
		run = (uint32_t)(n->id & 0xffffffff);
		break;
	case FS_KIND_JOBFILE:
		job = id_job(n->id);
		run = id_run(n->id);
		break;
	default:
		return -ENOENT;
	}
	return mgr_job_run_owner(fs_state.m, job, run, &owner->uid, &owner->gid);
}

/* Size of a job file: its current text (0 for `wait`, which has none until
 * its run ends). */
static uint64_t file_size(uint32_t job, uint32_t run, unsigned file)
{
	if (file == WAIT_FILE)
		return 0;
	textbuf t = TEXTBUF_INIT;
	uint64_t size = mgr_job_read(fs_state.m, job, run, (mgr_job_file)file, &t) == 0 ? t.len : 0;
	textbuf_free(&t);
	return size;
}

void fs_jobs_attr(const fs_node *n, struct stat *st)
{
	switch (n->kind) {
	case FS_KIND_JOBSQL:
		st->st_mode = S_IFREG | 0644;
		st->st_size = (off_t)file_size((uint32_t)n->id, 0, MGR_JOB_FILE_SQL);
		break;
	case FS_KIND_JOBFILE:
		st->st_mode = S_IFREG | 0444;
		st->st_size = (off_t)file_size(id_job(n->id), id_run(n->id), id_file(n->id));
		break;
	default:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		if (n->kind == FS_KIND_GLOBAL)   /* jobs/: anyone may drop a job (like /tmp) */
			st->st_mode = S_IFDIR | S_ISVTX | 0777;
	}
}

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

int fs_jobs_lookup(fs_node *parent, const char *name, fs_node *child)
{
	uint32_t job, runs = 0;
	fuse_ino_t ino = 0;
	char base[MGR_JOB_NAME_MAX + 1];
	switch (parent->kind) {
	case FS_KIND_GLOBAL:    /* jobs/ */
		if (split_sql(name, base, sizeof base)) {
			if (mgr_job_find(fs_state.m, base, &job, &runs))
				return -ENOENT;
			ino = fs_ino_make(0, FS_KIND_JOBSQL, job);
		} else {
			if (mgr_job_find(fs_state.m, name, &job, &runs))
				return -ENOENT;
			ino = fs_ino_make(0, FS_KIND_JOBDIR, job);
		}
		break;
	case FS_KIND_JOBDIR:
	case FS_KIND_JOBRUN: {
		job = parent->kind == FS_KIND_JOBDIR ? (uint32_t)parent->id : id_job(parent->id);
		uint32_t run = parent->kind == FS_KIND_JOBDIR ? 0 : (uint32_t)(parent->id & 0xffffffff);
		if (parent->kind == FS_KIND_JOBDIR && !strcmp(name, "runs")) {
			ino = fs_ino_make(0, FS_KIND_JOBRUNS, job);
			break;
		}
		for (unsigned f = run ? 0 : 1; f < NFILES; f++)
			if (!strcmp(name, file_name(f)))
				ino = ino_file(job, run, f);
		if (!ino)
			return -ENOENT;
		break;
	}
	case FS_KIND_JOBRUNS: {
		char *end;
		unsigned long run = strtoul(name, &end, 10);
		if (*end || run == 0 || name[0] == '0' || mgr_job_info(fs_state.m, (uint32_t)parent->id, NULL, &runs) ||
		    run > runs)
			return -ENOENT;
		ino = fs_ino_make(0, FS_KIND_JOBRUN, (parent->id << 32) | run);
		break;
	}
	default:
		return -ENOTDIR;
	}
	return fs_node_load(ino, child);
}

int fs_jobs_readdir(fs_node *dir, off_t off, bool (*add)(void *ctx, const char *name, fuse_ino_t ino,
							 off_t off), void *ctx)
{
	if (dir->kind == FS_KIND_GLOBAL) {
		/* Two entries a job: NAME.sql and NAME/. */
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
			if (!add(ctx, name, fs_ino_make(0, sql ? FS_KIND_JOBSQL : FS_KIND_JOBDIR, job), (off_t)i + 3))
				break;
		}
		return 0;
	}
	if (dir->kind == FS_KIND_JOBRUNS) {
		uint32_t runs = 0;
		mgr_job_info(fs_state.m, (uint32_t)dir->id, NULL, &runs);
		for (uint32_t run = off < 3 ? 1 : (uint32_t)(off - 1); run <= runs; run++) {
			char name[16];
			snprintf(name, sizeof name, "%u", run);
			if (!add(ctx, name, fs_ino_make(0, FS_KIND_JOBRUN, (dir->id << 32) | run), (off_t)run + 2))
				break;
		}
		return 0;
	}
	uint32_t job = dir->kind == FS_KIND_JOBDIR ? (uint32_t)dir->id : id_job(dir->id);
	uint32_t run = dir->kind == FS_KIND_JOBDIR ? 0 : (uint32_t)(dir->id & 0xffffffff);
	unsigned first = run ? 0 : 1;
	unsigned total = NFILES - first + (run ? 0 : 1);    /* + runs/ in NAME/ */
	for (unsigned i = off < 3 ? 0 : (unsigned)(off - 2); i < total; i++) {
		unsigned f = first + i;
		bool more = f < NFILES ? add(ctx, file_name(f), ino_file(job, run, f), (off_t)i + 3)
				       : add(ctx, "runs", fs_ino_make(0, FS_KIND_JOBRUNS, job), (off_t)i + 3);
		if (!more)
			break;
	}
	return 0;
}

/* ---- files -------------------------------------------------------------------- */

int fs_jobs_create(fs_node *dir, const char *name, fuse_ino_t *ino)
{
	char base[MGR_JOB_NAME_MAX + 1];
	if (dir->kind != FS_KIND_GLOBAL || dir->id != FS_GLOBAL_JOBS)
		return -EACCES;
	if (!split_sql(name, base, sizeof base)) {
		mgr_log(MGR_LOG_WARN, "refused job file \"%.80s\": a job file is NAME.sql, NAME of letters, "
				      "digits, '_', '-' and '.'", name);
		return -EINVAL;
	}
	uint32_t job;
	int rc = mgr_job_declare(fs_state.m, base, &job);
	if (rc == 0)
		*ino = fs_ino_make(0, FS_KIND_JOBSQL, job);
	return rc;
}

/* Open a job node's file; a writable JOBSQL collects a submission. */
int fs_jobs_open(fs_node *n, bool writing, fs_handle *h)
{
	if (n->kind == FS_KIND_JOBSQL) {
		if (writing) {
			h->type = FS_HANDLE_JOB_SUBMIT;
			h->job = (uint32_t)n->id;
			return 0;
		}
		h->type = FS_HANDLE_TEXT;
		return mgr_job_read(fs_state.m, (uint32_t)n->id, 0, MGR_JOB_FILE_SQL, &h->text);
	}
	if (n->kind != FS_KIND_JOBFILE)
		return -EISDIR;
	if (writing)
		return -EACCES;
	h->job = id_job(n->id);
	h->run = id_run(n->id);
	if (id_file(n->id) == WAIT_FILE) {
		/* Pin the run now: a later submission must not change what this
		 * reader waits for. */
		uint32_t runs = 0;
		mgr_job_info(fs_state.m, h->job, NULL, &runs);
		if (h->run == 0)
			h->run = runs;
		h->type = FS_HANDLE_JOB_WAIT;
		return 0;
	}
	h->type = FS_HANDLE_TEXT;
	return mgr_job_read(fs_state.m, h->job, h->run, (mgr_job_file)id_file(n->id), &h->text);
}

static bool req_interrupted(void *req)
{
	return fuse_req_interrupted(req);
}

/* The first read of `wait` blocks until the run ends, then serves its status. */
int fs_jobs_wait(fuse_req_t req, fs_handle *h)
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

int fs_jobs_submit(fs_handle *h, const struct fuse_ctx *ctx)
{
	/* As who opened the file (checked for SUBMIT then), whoever closes it:
	 * a close at release has no caller at all. */
	(void)ctx;
	if (!h->text_dirty)
		return 0;
	char name[MGR_JOB_NAME_MAX + 1];
	uint32_t job, run;
	int rc = mgr_job_info(fs_state.m, h->job, name, NULL);
	if (rc == 0)
		rc = mgr_job_submit(fs_state.m, name, h->text.data ? h->text.data : "", h->text.len,
				    h->who.uid, h->who.gid, &job, &run);
	h->text_dirty = false;   /* one submission per close */
	textbuf_reset(&h->text);
	return rc;
}
