/*
 * mgr_job.c - the job queue, its workers, and the runs' files (see
 * mgr_job.h).  Statements are executed by mgr_job_exec.c.
 */
#include "base_array.h"
#include "base_path.h"
#include "mgr_job.h"
#include "mgr_int.h"
#include "mgr_job_int.h"
#include "mgr_sync.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *const mgr_job_file_names[MGR_JOB_FILE_COUNT] = {
	"job.sql", "status", "plan", "resources", "progress", "log", "dag.dot", "result",
};

static const char *const state_names[] = {"queued", "running", "succeeded", "failed"};

struct queued {
	struct job *job;
	uint32_t run;
};

struct mgr_jobs {
	mgr *m;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job **jobs;          /* by id - 1 */
	uint32_t njobs, capjobs;
	struct queued *queue;       /* FIFO ring */
	uint32_t qhead, qlen, qcap;
	pthread_t *workers;
	unsigned nworkers;
	bool stopping;
	pthread_cond_t ended;       /* broadcast when any run ends */
	char dir[PATH_MAX];         /* HOME/manager/jobs */
	mgr_job_run_ref *interrupted;   /* runs found running at start-up (see load_job) */
	size_t ninterrupted, capinterrupted;
};

bool mgr_job_name_valid(const char *name, const char **why)
{
	size_t n = strlen(name);
	const char *reason = NULL;
	if (n == 0 || n > MGR_JOB_NAME_MAX)
		reason = "a job name is 1 to 200 bytes";
	else if (name[0] == '.')
		reason = "a job name may not start with '.'";
	else
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)name[i]) && !strchr("_-.", name[i])) {
				reason = "a job name holds only letters, digits, '_', '-' and '.'";
				break;
			}
	if (reason && why)
		*why = reason;
	return reason == NULL;
}

/* ---- run files -------------------------------------------------------------------- */

int mgr_job_run_dir(const struct job *job, uint32_t run, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s/%u", job->jobs->dir, job->name, run);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Replace FILE of a run with TEXT. */
int mgr_job_write_file(const struct job *job, uint32_t run, mgr_job_file file, const char *text,
		       size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int rc = mgr_job_run_dir(job, run, dir, sizeof dir);
	if (rc)
		return rc;
	snprintf(path, sizeof path, "%s/%s", dir, mgr_job_file_names[file]);
	return mgr_state_replace(path, text, len);
}

/* ---- the job table ---------------------------------------------------------------- */

static struct job *job_new(struct mgr_jobs *js, const char *name, uint32_t id)
{
	uint32_t old = js->capjobs;
	if (BASE_ARRAY_RESERVE(js->jobs, js->capjobs, id))
		return NULL;
	/* A job sits at index id - 1 and ids may skip: new slots start empty. */
	memset(js->jobs + old, 0, (js->capjobs - old) * sizeof *js->jobs);
	struct job *job = calloc(1, sizeof *job);
	if (!job)
		return NULL;
	snprintf(job->name, sizeof job->name, "%s", name);
	job->id = id;
	job->jobs = js;
	js->jobs[id - 1] = job;
	if (id > js->njobs)
		js->njobs = id;
	return job;
}

static int job_add_run(struct job *job, mgr_job_state state)
{
	int rc = BASE_ARRAY_RESERVE(job->runs, job->capruns, (size_t)job->nruns + 1);

	if (rc)
		return rc;
	memset(&job->runs[job->nruns], 0, sizeof job->runs[0]);
	job->runs[job->nruns].state = state;
	job->nruns++;
	return 0;
}

static struct job *job_by_name(struct mgr_jobs *js, const char *name)
{
	for (uint32_t i = 0; i < js->njobs; i++)
		if (js->jobs[i] && strcmp(js->jobs[i]->name, name) == 0)
			return js->jobs[i];
	return NULL;
}

static int enqueue(struct mgr_jobs *js, struct job *job, uint32_t run)
{
	if (js->qlen == js->qcap) {
		uint32_t cap = js->qcap ? js->qcap * 2 : 64;
		struct queued *q = malloc(cap * sizeof *q);
		if (!q)
			return -ENOMEM;
		for (uint32_t i = 0; i < js->qlen; i++)
			q[i] = js->queue[(js->qhead + i) % js->qcap];
		free(js->queue);
		js->queue = q;
		js->qhead = 0;
		js->qcap = cap;
	}
	js->queue[(js->qhead + js->qlen) % js->qcap] = (struct queued){job, run};
	js->qlen++;
	pthread_cond_signal(&js->cond);
	return 0;
}

/* ---- state changes ----------------------------------------------------------------------- */

void mgr_job_set_state(struct job *job, uint32_t run, mgr_job_state state, const char *details)
{
	struct mgr_jobs *js = job->jobs;
	textbuf text = TEXTBUF_INIT;
	char when[40];
	mgr_format_time(store_now_ns(), when);
	textbuf_printf(&text, "%s\n%s: %s\n", state_names[state],
		       state == MGR_JOB_QUEUED ? "submitted" : state == MGR_JOB_RUNNING ? "started" : "finished",
		       when);
	if (details && *details)
		textbuf_puts(&text, details);
	if (textbuf_error(&text) == 0)
		mgr_job_write_file(job, run, MGR_JOB_FILE_STATUS, text.data, text.len);
	textbuf_free(&text);

	pthread_mutex_lock(&js->lock);
	mgr_metrics_job_state(js->m, job->runs[run - 1].state, state, job->runs[run - 1].started_ns);
	job->runs[run - 1].state = state;
	if (state == MGR_JOB_SUCCEEDED || state == MGR_JOB_FAILED)
		pthread_cond_broadcast(&js->ended);
	pthread_mutex_unlock(&js->lock);
}

/* ---- workers --------------------------------------------------------------------------- */

static void *worker_main(void *arg)
{
	struct mgr_jobs *js = arg;
	mgr_commit_path_enter(MGR_COMMIT_JOB);
	pthread_mutex_lock(&js->lock);
	for (;;) {
		while (!js->stopping && js->qlen == 0)
			pthread_cond_wait(&js->cond, &js->lock);
		if (js->stopping)
			break;
		struct queued q = js->queue[js->qhead];
		js->qhead = (js->qhead + 1) % js->qcap;
		js->qlen--;
		pthread_mutex_unlock(&js->lock);
		mgr_job_execute(js->m, q.job, q.run);
		pthread_mutex_lock(&js->lock);
	}
	pthread_mutex_unlock(&js->lock);
	return NULL;
}

/* ---- loading at start -------------------------------------------------------------------------- */

static int first_line_state(const char *path, mgr_job_state *state)
{
	textbuf t = TEXTBUF_INIT;
	int rc = mgr_state_read(path, &t);
	if (rc == 0) {
		rc = -EINVAL;
		for (int s = 0; s < 4; s++) {
			size_t n = strlen(state_names[s]);
			if (t.len >= n && !strncmp(t.data, state_names[s], n) &&
			    (t.data[n] == '\n' || t.data[n] == '\0')) {
				*state = (mgr_job_state)s;
				rc = 0;
			}
		}
	}
	textbuf_free(&t);
	return rc;
}

static int load_job(struct mgr_jobs *js, const char *name)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s/id", js->dir, name);
	textbuf t = TEXTBUF_INIT;
	int rc = mgr_state_read(path, &t);
	unsigned long id = rc == 0 ? strtoul(t.data ? t.data : "0", NULL, 10) : 0;
	textbuf_free(&t);
	if (rc || id == 0 || id > (1u << 24)) {
		mgr_log(MGR_LOG_WARN, "ignoring job directory %s/%s: no valid id file", js->dir, name);
		return 0;
	}
	if (id <= js->capjobs && js->jobs[id - 1]) {
		mgr_log(MGR_LOG_WARN, "ignoring job directory %s/%s: id %lu is taken", js->dir, name, id);
		return 0;
	}
	struct job *job = job_new(js, name, (uint32_t)id);
	if (!job)
		return -ENOMEM;
	for (uint32_t run = 1;; run++) {
		char dir[PATH_MAX], status[PATH_MAX + 16];
		mgr_job_run_dir(job, run, dir, sizeof dir);
		snprintf(status, sizeof status, "%s/status", dir);
		if (access(dir, F_OK))
			break;
		mgr_job_state state = MGR_JOB_FAILED;
		if (first_line_state(status, &state))
			state = MGR_JOB_FAILED;
		if ((rc = job_add_run(job, state)))
			return rc;
		/* The submitter.  A run recorded without one is the superuser's to
		 * read, and is not run: it would run with nobody's privileges. */
		char opath[PATH_MAX + 16];
		textbuf o = TEXTBUF_INIT;
		unsigned ouid, ogid;
		snprintf(opath, sizeof opath, "%s/owner", dir);
		bool owned = mgr_state_read(opath, &o) == 0 && o.data &&
			     sscanf(o.data, "%u:%u", &ouid, &ogid) == 2;
		textbuf_free(&o);
		job->runs[run - 1].uid = owned ? ouid : js->m->superuser_uid;
		job->runs[run - 1].gid = owned ? ogid : (uint32_t)getgid();
		if (state == MGR_JOB_QUEUED && !owned) {
			mgr_job_set_state(job, run, MGR_JOB_FAILED,
					  "error: no submitter recorded for this run; submit it again\n");
		} else if (state == MGR_JOB_RUNNING) {
			mgr_job_set_state(job, run, MGR_JOB_FAILED,
					  "error: the daemon stopped while the job ran; nothing it had not "
					  "committed is visible\n");
			mgr_job_drop_results(job, run);
			/* It may have renamed output into partition directories
			 * before its commit: mgr_jobs_start removes that. */
			if ((rc = BASE_ARRAY_RESERVE(js->interrupted, js->capinterrupted,
						     js->ninterrupted + 1)))
				return rc;
			js->interrupted[js->ninterrupted++] = (mgr_job_run_ref){job->id, run};
		} else if (state == MGR_JOB_QUEUED) {
			if ((rc = enqueue(js, job, run)))
				return rc;
		}
	}
	/* The name's owner; a job from before owners were recorded is its
	 * first run's submitter's. */
	snprintf(path, sizeof path, "%s/%s/owner", js->dir, name);
	textbuf o = TEXTBUF_INIT;
	unsigned ouid;
	if (mgr_state_read(path, &o) == 0 && o.data && sscanf(o.data, "%u", &ouid) == 1) {
		job->owned = true;
		job->owner_uid = ouid;
	} else if (job->nruns) {
		job->owned = true;
		job->owner_uid = job->runs[0].uid;
	}
	textbuf_free(&o);
	return 0;
}

int mgr_jobs_start(mgr *m, unsigned workers)
{
	struct mgr_jobs *js = calloc(1, sizeof *js);
	if (!js)
		return -ENOMEM;
	js->m = m;
	pthread_mutex_init(&js->lock, NULL);
	pthread_cond_init(&js->cond, NULL);
	pthread_cond_init(&js->ended, NULL);
	int rc = base_path_format(js->dir, sizeof js->dir, "%s/manager/jobs", m->cfg.home);
	if (rc == 0)
		rc = base_fs_mkdirs(js->dir, BASE_MODE_DIR);
	m->jobs = js;
	if (rc)
		return rc;
	DIR *d = opendir(js->dir);
	if (!d)
		return -errno;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.' && mgr_job_name_valid(de->d_name, NULL))
			rc = load_job(js, de->d_name);
	closedir(d);
	/* Before any run starts: what spilling runs of a killed daemon left. */
	if (rc == 0)
		mgr_job_spill_prepare(m);
	/* Before any run starts: an interrupted run's uncommitted output goes. */
	if (rc == 0 && js->ninterrupted)
		mgr_output_sweep(m, js->interrupted, js->ninterrupted);
	free(js->interrupted);
	js->interrupted = NULL;
	js->ninterrupted = js->capinterrupted = 0;
	if (rc)
		return rc;
	js->workers = calloc(workers ? workers : 1, sizeof *js->workers);
	if (!js->workers)
		return -ENOMEM;
	for (unsigned i = 0; i < (workers ? workers : 1); i++) {
		if (pthread_create(&js->workers[i], NULL, worker_main, js))
			return -EAGAIN;
		js->nworkers++;
	}
	return 0;
}

void mgr_jobs_stop(mgr *m)
{
	struct mgr_jobs *js = m->jobs;
	if (!js)
		return;
	pthread_mutex_lock(&js->lock);
	js->stopping = true;
	for (uint32_t i = 0; i < js->njobs; i++) {
		struct job *job = js->jobs[i];
		for (uint32_t r = 0; job && r < job->nruns; r++)
			if (job->runs[r].progress)
				job->runs[r].progress->cancel = 1;
	}
	pthread_cond_broadcast(&js->cond);
	pthread_mutex_unlock(&js->lock);
	for (unsigned i = 0; i < js->nworkers; i++)
		pthread_join(js->workers[i], NULL);
	free(js->workers);
	for (uint32_t i = 0; i < js->njobs; i++)
		if (js->jobs[i]) {
			free(js->jobs[i]->runs);
			free(js->jobs[i]);
		}
	free(js->jobs);
	free(js->queue);
	pthread_mutex_destroy(&js->lock);
	pthread_cond_destroy(&js->cond);
	pthread_cond_destroy(&js->ended);
	free(js);
	m->jobs = NULL;
}

/* ---- submission and queries --------------------------------------------------------------------- */

/* With the jobs lock held: record UID as the owner of JOB. */
static int job_claim(struct mgr_jobs *js, struct job *job, uint32_t uid)
{
	char path[PATH_MAX + 300], text[16];
	int n = snprintf(text, sizeof text, "%u\n", uid);
	snprintf(path, sizeof path, "%s/%s/owner", js->dir, job->name);
	int rc = mgr_state_replace(path, text, (size_t)n);
	if (rc == 0) {
		job->owned = true;
		job->owner_uid = uid;
	}
	return rc;
}

int mgr_job_declare(mgr *m, const char *name, uint32_t uid, uint32_t *job_id, uint32_t *owner)
{
	struct mgr_jobs *js = m->jobs;
	const char *why = NULL;
	if (!js)
		return -ENOTSUP;
	if (!mgr_job_name_valid(name, &why)) {
		mgr_log(MGR_LOG_WARN, "refused job \"%.80s\": %s", name, why);
		return -EINVAL;
	}
	int rc = 0;
	pthread_mutex_lock(&js->lock);
	struct job *job = job_by_name(js, name);
	if (!job) {
		job = job_new(js, name, js->njobs + 1);
		if (!job)
			rc = -ENOMEM;
		char dir[PATH_MAX + 300], idtext[16];
		snprintf(dir, sizeof dir, "%s/%s", js->dir, name);
		if (rc == 0)
			rc = base_fs_mkdirs(dir, BASE_MODE_DIR);
		if (rc == 0) {
			/* The number goes into a file first so a crash cannot give
			 * the same job another number (and other inodes) later. */
			int n = snprintf(idtext, sizeof idtext, "%u\n", job->id);
			snprintf(dir, sizeof dir, "%s/%s/id", js->dir, name);
			rc = mgr_state_replace(dir, idtext, (size_t)n);
		}
	}
	if (rc == 0 && job->owned && job->owner_uid != uid) {
		rc = -EACCES;
		if (owner)
			*owner = job->owner_uid;
	} else if (rc == 0 && !job->owned) {
		rc = job_claim(js, job, uid);
	}
	if (rc == 0)
		*job_id = job->id;
	pthread_mutex_unlock(&js->lock);
	return rc;
}

int mgr_job_owner(mgr *m, uint32_t job_id, uint32_t *uid)
{
	struct mgr_jobs *js = m->jobs;
	if (!js)
		return -ENOENT;
	pthread_mutex_lock(&js->lock);
	struct job *job = job_id >= 1 && job_id <= js->njobs ? js->jobs[job_id - 1] : NULL;
	bool owned = job && job->owned;
	if (owned)
		*uid = job->owner_uid;
	pthread_mutex_unlock(&js->lock);
	return owned ? 0 : -ENOENT;
}

int mgr_job_submit(mgr *m, const char *name, const char *text, size_t len, uint32_t uid,
		   uint32_t gid, uint32_t *job_id, uint32_t *run, uint32_t *holder)
{
	struct mgr_jobs *js = m->jobs;
	if (len > MGR_JOB_TEXT_MAX)
		return -EFBIG;
	uint32_t id;
	int rc = mgr_job_declare(m, name, uid, &id, holder);
	if (rc)
		return rc;
	pthread_mutex_lock(&js->lock);
	struct job *job = js->jobs[id - 1];
	uint32_t r = 0;
	if (rc == 0) {
		rc = job_add_run(job, MGR_JOB_QUEUED);
		r = job->nruns;
	}
	if (rc == 0) {
		job->runs[r - 1].uid = uid;
		job->runs[r - 1].gid = gid;
	}
	pthread_mutex_unlock(&js->lock);
	if (rc)
		return rc;
	/* The run's directory and files, before it can be picked up. */
	char dir[PATH_MAX];
	if ((rc = mgr_job_run_dir(job, r, dir, sizeof dir)) == 0)
		rc = base_fs_mkdirs(dir, BASE_MODE_DIR);
	if (rc == 0)
		rc = mgr_job_write_file(job, r, MGR_JOB_FILE_SQL, text, len);
	for (int f = MGR_JOB_FILE_PLAN; rc == 0 && f < MGR_JOB_FILE_COUNT; f++)
		if (f != MGR_JOB_FILE_RESULT)   /* made by the first result (mgr_job_result.c) */
			rc = mgr_job_write_file(job, r, (mgr_job_file)f, "", 0);
	char owner[64], opath[PATH_MAX + 16];
	if (rc == 0) {
		/* Who submitted the run, kept beside it: the run executes as that
		 * user, also when it is picked up again after a restart. */
		int n = snprintf(owner, sizeof owner, "%u:%u\n", uid, gid);
		snprintf(opath, sizeof opath, "%s/owner", dir);
		rc = mgr_state_replace(opath, owner, (size_t)n);
	}
	if (rc == 0) {
		snprintf(owner, sizeof owner, "owner: %u:%u\n", uid, gid);
		mgr_job_set_state(job, r, MGR_JOB_QUEUED, owner);
		mgr_log(MGR_LOG_INFO, "job %s run %u queued", name, r);
	}
	pthread_mutex_lock(&js->lock);
	if (rc == 0)
		rc = enqueue(js, job, r);
	else
		job->runs[r - 1].state = MGR_JOB_FAILED;
	pthread_mutex_unlock(&js->lock);
	if (rc == 0) {
		*job_id = job->id;
		*run = r;
	}
	return rc;
}

uint32_t mgr_job_count(mgr *m)
{
	if (!m->jobs)
		return 0;
	pthread_mutex_lock(&m->jobs->lock);
	uint32_t n = m->jobs->njobs;
	pthread_mutex_unlock(&m->jobs->lock);
	return n;
}

/* Job JOB_ID, or NULL. */
static struct job *job_by_id_locked(struct mgr_jobs *js, uint32_t job_id)
{
	return job_id >= 1 && job_id <= js->njobs ? js->jobs[job_id - 1] : NULL;
}

/* Job JOB_ID when it has run *RUN (0: its last run, set in *RUN), or NULL. */
static struct job *job_run_locked(struct mgr_jobs *js, uint32_t job_id, uint32_t *run)
{
	struct job *job = job_by_id_locked(js, job_id);
	if (!job)
		return NULL;
	if (*run == 0)
		*run = job->nruns;
	return *run >= 1 && *run <= job->nruns ? job : NULL;
}

int mgr_job_run_path(mgr *m, uint32_t job_id, uint32_t run, char *out, size_t cap)
{
	struct mgr_jobs *js = m->jobs;
	if (!js)
		return -ENOENT;
	pthread_mutex_lock(&js->lock);
	struct job *job = job_run_locked(js, job_id, &run);
	int rc = job ? mgr_job_run_dir(job, run, out, cap) : -ENOENT;
	pthread_mutex_unlock(&js->lock);
	return rc;
}

int mgr_job_info(mgr *m, uint32_t job_id, char name[MGR_JOB_NAME_MAX + 1], uint32_t *runs)
{
	struct mgr_jobs *js = m->jobs;
	if (!js)
		return -ENOENT;
	pthread_mutex_lock(&js->lock);
	struct job *job = job_by_id_locked(js, job_id);
	if (job && name)
		memcpy(name, job->name, MGR_JOB_NAME_MAX + 1);
	if (job && runs)
		*runs = job->nruns;
	pthread_mutex_unlock(&js->lock);
	return job ? 0 : -ENOENT;
}

int mgr_job_run_owner(mgr *m, uint32_t job_id, uint32_t run, uint32_t *uid, uint32_t *gid)
{
	struct mgr_jobs *js = m->jobs;
	if (!js)
		return -ENOENT;
	pthread_mutex_lock(&js->lock);
	struct job *job = job_run_locked(js, job_id, &run);
	if (job) {
		*uid = job->runs[run - 1].uid;
		*gid = job->runs[run - 1].gid;
	}
	pthread_mutex_unlock(&js->lock);
	return job ? 0 : -ENOENT;
}

int mgr_job_find(mgr *m, const char *name, uint32_t *job_id, uint32_t *runs)
{
	struct mgr_jobs *js = m->jobs;
	if (!js)
		return -ENOENT;
	pthread_mutex_lock(&js->lock);
	struct job *job = job_by_name(js, name);
	if (job) {
		*job_id = job->id;
		if (runs)
			*runs = job->nruns;
	}
	pthread_mutex_unlock(&js->lock);
	return job ? 0 : -ENOENT;
}

int mgr_job_run_state(mgr *m, uint32_t job_id, uint32_t run, mgr_job_state *state)
{
	struct mgr_jobs *js = m->jobs;
	if (!js)
		return -ENOENT;
	pthread_mutex_lock(&js->lock);
	struct job *job = job_run_locked(js, job_id, &run);
	if (job)
		*state = job->runs[run - 1].state;
	pthread_mutex_unlock(&js->lock);
	return job ? 0 : -ENOENT;
}

/* Without the daemon's threads (metafs repair) the run's status file is
 * the record: find the job whose id file says JOB_ID. */
static int run_state_stored(mgr *m, uint32_t job_id, uint32_t run, mgr_job_state *state)
{
	char dir[PATH_MAX], path[PATH_MAX + 2 * (MGR_JOB_NAME_MAX + 16)];
	int rc = base_path_format(dir, sizeof dir, "%s/manager/jobs", m->cfg.home);
	if (rc)
		return rc;
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	rc = -ENOENT;
	struct dirent *de;
	while (rc == -ENOENT && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !mgr_job_name_valid(de->d_name, NULL))
			continue;
		snprintf(path, sizeof path, "%s/%s/id", dir, de->d_name);
		textbuf t = TEXTBUF_INIT;
		unsigned long id = mgr_state_read(path, &t) == 0 && t.data ?
					   strtoul(t.data, NULL, 10) : 0;
		textbuf_free(&t);
		if (id != job_id)
			continue;
		snprintf(path, sizeof path, "%s/%s/%u/status", dir, de->d_name, run);
		rc = first_line_state(path, state);
		if (rc && rc != -ENOENT)
			rc = -ENOENT;
	}
	closedir(d);
	return rc;
}

int mgr_job_run_recorded_state(mgr *m, uint32_t job_id, uint32_t run, mgr_job_state *state)
{
	if (job_id == 0 || run == 0)
		return -ENOENT;
	return m->jobs ? mgr_job_run_state(m, job_id, run, state)
		       : run_state_stored(m, job_id, run, state);
}

/* Each part a decimal number without leading zeros; the whole is what
 * mgr_job_exec.c's run_insert and sql_output.c make of a run tag. */
static bool output_number(const char **s, uint32_t *out)
{
	const char *p = *s;
	unsigned long v = 0;
	if (!isdigit((unsigned char)*p) || (*p == '0' && isdigit((unsigned char)p[1])))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	*s = p;
	return true;
}

bool mgr_job_output_name(const char *name, mgr_job_run_ref *ref)
{
	uint32_t stmt;
	const char *p = name;
	if (strncmp(p, "part-", 5))
		return false;
	p += 5;
	if (!output_number(&p, &ref->job) || *p++ != '-' || !output_number(&p, &ref->run) ||
	    *p++ != '-' || !output_number(&p, &stmt) || *p++ != '-')
		return false;
	size_t digits = strspn(p, "0123456789");
	return digits == 5 && p[digits] == '.';
}

int mgr_job_read(mgr *m, uint32_t job_id, uint32_t run, mgr_job_file file, textbuf *out)
{
	struct mgr_jobs *js = m->jobs;
	if (!js || file >= MGR_JOB_FILE_COUNT)
		return -ENOENT;
	pthread_mutex_lock(&js->lock);
	struct job *job = job_run_locked(js, job_id, &run);
	bool live = false;
	if (job && file == MGR_JOB_FILE_PROGRESS && job->runs[run - 1].progress) {
		/* While it runs, progress is read from the engine's counters. */
		mgr_job_render_progress(job, run, out);
		live = true;
	}
	pthread_mutex_unlock(&js->lock);
	if (!job)
		return -ENOENT;
	if (live)
		return textbuf_error(out);
	char dir[PATH_MAX], path[PATH_MAX + 32];
	mgr_job_run_dir(job, run, dir, sizeof dir);
	snprintf(path, sizeof path, "%s/%s", dir, mgr_job_file_names[file]);
	int rc = mgr_state_read(path, out);
	return rc == -ENOENT ? 0 : rc;
}

int mgr_job_wait_end(mgr *m, uint32_t job_id, uint32_t run, bool (*stop)(void *ctx), void *ctx,
		     mgr_job_state *state)
{
	struct mgr_jobs *js = m->jobs;
	if (!js)
		return -ENOENT;
	int rc = 0;
	pthread_mutex_lock(&js->lock);
	struct job *job = job_run_locked(js, job_id, &run);
	if (!job)
		rc = -ENOENT;
	while (rc == 0) {
		mgr_job_state st = job->runs[run - 1].state;
		if (st == MGR_JOB_SUCCEEDED || st == MGR_JOB_FAILED) {
			*state = st;
			break;
		}
		if (js->stopping || (stop && stop(ctx))) {
			rc = -EINTR;
			break;
		}
		/* Woken when any run ends; the timeout only bounds how late an
		 * interrupted reader is let go. */
		struct timespec until;
		mgr_deadline(&until, 100);
		pthread_cond_timedwait(&js->ended, &js->lock, &until);
	}
	pthread_mutex_unlock(&js->lock);
	return rc;
}

void mgr_job_lock(struct job *job)
{
	pthread_mutex_lock(&job->jobs->lock);
}

void mgr_job_unlock(struct job *job)
{
	pthread_mutex_unlock(&job->jobs->lock);
}
