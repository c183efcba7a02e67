/*
 * mgr_pipeline.c - pipeline definitions and their activation (see
 * mgr_pipeline.h).
 *
 * One worker thread runs activations one after the other: a pipeline is a
 * separate process that reads through the mount, which this daemon serves
 * from its own FUSE threads, so the worker only waits for it.  Runs of the
 * same pipeline never overlap; an activation that arrives while it runs
 * makes it run once more afterwards, not once per activation.
 */
#include "mgr_pipeline.h"
#include "mgr_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_KEEP (64 * 1024)   /* bytes of output kept per pipeline */

const char *const mgr_pipeline_file_names[MGR_PIPELINE_FILE_COUNT] = {
	"status", "log", "delivered", "run",
};

struct pipeline {
	uint32_t id;
	bool deleted;
	char name[STORE_NAME_MAX + 1];
	char platform[STORE_NAME_MAX + 1];   /* of its source table */
	bool webhook;
	char status[16];
	int exit_code;                       /* of the last run; -1: none yet */
	char last_run[64];
	uint64_t runs, delivered;
	bool pending;                        /* activation waiting for the worker */
	textbuf log;
	mgr_principal owner;                 /* the process runs as this user */
	char reason[256];                    /* why the last activation could not run */
	char db[STORE_NAME_MAX + 1], table[STORE_NAME_MAX + 1];   /* the source */
};

struct mgr_pipes {
	mgr *m;
	char mount[PATH_MAX];
	char dir[PATH_MAX];                  /* HOME/manager/pipelines */
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	struct pipeline **p;
	uint32_t n, cap;
	pthread_t worker;
	bool running, stopping;
};

/* ---- definitions ------------------------------------------------------------------ */

struct def_scan {
	char source[PATH_MAX];
	bool webhook;
};

static int def_handler(void *user, const char *section, const char *key, const char *value)
{
	struct def_scan *d = user;
	if (!strcmp(section, "pipeline") && !strcmp(key, "source"))
		snprintf(d->source, sizeof d->source, "%s", value);
	if (!strcmp(section, "output") && !strcmp(key, "webhook_url") && value[0])
		d->webhook = true;
	return 1;
}

/* The daemon needs only the source (to know the platform and to check the
 * table exists); metafs-pipeline reads the rest and reports its own errors. */
static int def_check(mgr *m, const char *text, size_t len, char *platform, char *dbo, char *tableo,
		     bool *webhook, char *err, size_t errlen)
{
	struct def_scan d = {{0}, false};
	char *copy = strndup(text, len);
	if (!copy)
		return -ENOMEM;
	int line = ini_parse_string(copy, def_handler, &d);
	free(copy);
	if (line) {
		snprintf(err, errlen, "line %d: not an ini line", line);
		return -EINVAL;
	}
	char p[STORE_NAME_MAX + 1], db[STORE_NAME_MAX + 1], table[STORE_NAME_MAX + 1];
	if (!d.source[0] || sscanf(d.source, "%255[^/]/%255[^/]/%255[^/]", p, db, table) != 3) {
		snprintf(err, errlen, "[pipeline] source must be PLATFORM/db/table inside the mount");
		return -EINVAL;
	}
	mgr_platform *pl = mgr_platform_find(m, p);
	if (!pl) {
		snprintf(err, errlen, "source %s: no platform \"%s\"", d.source, p);
		return -EINVAL;
	}
	store_txn *txn = NULL;
	store_table t = {0};
	int rc = store_read_begin(pl->store, &txn);
	if (rc == 0)
		rc = store_table_get(txn, db, table, &t);
	store_abort(txn);
	store_table_clear(&t);
	if (rc) {
		snprintf(err, errlen, "source %s: no such table", d.source);
		return -EINVAL;
	}
	snprintf(platform, STORE_NAME_MAX + 1, "%s", p);
	snprintf(dbo, STORE_NAME_MAX + 1, "%s", db);
	snprintf(tableo, STORE_NAME_MAX + 1, "%s", table);
	*webhook = d.webhook;
	return 0;
}

static void load_state(struct mgr_pipes *ps, struct pipeline *p);

static struct pipeline *find_locked(struct mgr_pipes *ps, const char *name)
{
	for (uint32_t i = 0; i < ps->n; i++)
		if (!ps->p[i]->deleted && !strcmp(ps->p[i]->name, name))
			return ps->p[i];
	return NULL;
}

static struct pipeline *by_id_locked(struct mgr_pipes *ps, uint32_t id)
{
	return id >= 1 && id <= ps->n && !ps->p[id - 1]->deleted ? ps->p[id - 1] : NULL;
}

static int install_locked(struct mgr_pipes *ps, const char *name, const char *platform,
			  const char *db, const char *table, bool webhook)
{
	struct pipeline *p = find_locked(ps, name);
	if (!p) {
		if (ps->n == ps->cap) {
			uint32_t cap = ps->cap ? ps->cap * 2 : 16;
			struct pipeline **np = realloc(ps->p, cap * sizeof *np);
			if (!np)
				return -ENOMEM;
			ps->p = np;
			ps->cap = cap;
		}
		if (!(p = calloc(1, sizeof *p)))
			return -ENOMEM;
		p->id = ps->n + 1;
		p->exit_code = -1;
		p->owner.uid = (uint32_t)getuid();   /* until load_state or a definition says */
		p->owner.gid = (uint32_t)getgid();
		snprintf(p->name, sizeof p->name, "%s", name);
		snprintf(p->status, sizeof p->status, "idle");
		snprintf(p->last_run, sizeof p->last_run, "never");
		ps->p[ps->n++] = p;
		load_state(ps, p);
	}
	snprintf(p->platform, sizeof p->platform, "%s", platform);
	snprintf(p->db, sizeof p->db, "%s", db);
	snprintf(p->table, sizeof p->table, "%s", table);
	p->webhook = webhook;
	return 0;
}

/* ---- state kept across restarts ----------------------------------------------------------- */

/* HOME/manager/pipelines/NAME.state: counters and last run, then the log. */
static void save_state(struct mgr_pipes *ps, const struct pipeline *p)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s.state", ps->dir, p->name);
	textbuf t = TEXTBUF_INIT;
	textbuf_printf(&t, "runs %llu delivered %llu exit_code %d last_run %s owner %u:%u\n",
		       (unsigned long long)p->runs, (unsigned long long)p->delivered, p->exit_code,
		       p->last_run, p->owner.uid, p->owner.gid);
	if (p->log.len)
		textbuf_append(&t, p->log.data, p->log.len);
	if (textbuf_error(&t) == 0)
		mgr_state_replace(path, t.data, t.len);
	textbuf_free(&t);
}

static void load_state(struct mgr_pipes *ps, struct pipeline *p)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s.state", ps->dir, p->name);
	textbuf t = TEXTBUF_INIT;
	unsigned long long runs, delivered;
	int code;
	char last[64];
	if (mgr_state_read(path, &t) == 0 && t.data &&
	    sscanf(t.data, "runs %llu delivered %llu exit_code %d last_run %63s", &runs, &delivered, &code,
		   last) == 4) {
		p->runs = runs;
		p->delivered = delivered;
		p->exit_code = code;
		snprintf(p->last_run, sizeof p->last_run, "%s", last);
		snprintf(p->status, sizeof p->status, code == 0 || code < 0 ? "idle" : "failed");
		const char *nl = strchr(t.data, '\n');
		const char *own = strstr(t.data, " owner ");
		unsigned uid, gid;
		if (own && (!nl || own < nl) && sscanf(own, " owner %u:%u", &uid, &gid) == 2) {
			p->owner.uid = uid;
			p->owner.gid = gid;
		}
		if (nl)
			textbuf_puts(&p->log, nl + 1);
	}
	textbuf_free(&t);
}

/* ---- running ------------------------------------------------------------------------- */

/* The metafs-pipeline to run: $METAFS_PIPELINE, beside this program (an
 * installed tree or the build tree), or on PATH. */
static void pipeline_program(char *out, size_t cap)
{
	const char *env = getenv("METAFS_PIPELINE");
	if (env && *env) {   /* made absolute by metafsd at start */
		snprintf(out, cap, "%s", env);
		return;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			const char *const cand[] = {"%s/metafs-pipeline", "%s/../pipeline/metafs-pipeline",
						    "%s/../bin/metafs-pipeline"};
			for (size_t i = 0; i < 3; i++) {
				snprintf(out, cap, cand[i], self);
				if (access(out, X_OK) == 0)
					return;
			}
		}
	}
	snprintf(out, cap, "metafs-pipeline");
}

/* Run pipeline NAME once as OWNER; its output into OUT; returns its exit
 * code or -errno (-EPERM with the reason in WHY when it cannot run as
 * OWNER). */
static int run_process(struct mgr_pipes *ps, const char *name, const mgr_principal *owner,
		       textbuf *out, char *why, size_t whycap)
{
	char prog[PATH_MAX], def[PATH_MAX + 300], state[PATH_MAX + 32], mountenv[PATH_MAX + 16],
		stateenv[PATH_MAX + 48];
	bool as_other = owner->uid != (uint32_t)getuid();
	if (as_other && getuid() != 0) {
		snprintf(why, whycap, "cannot run as its owner (uid %u): the daemon runs as uid %u, "
				      "not as root", owner->uid, (unsigned)getuid());
		return -EPERM;
	}
	pipeline_program(prog, sizeof prog);
	snprintf(def, sizeof def, "%s/pipelines/%s.ini", ps->mount, name);
	/* The owner's own state directory, HOME/pipeline-state/UID (0700, the
	 * owner's): a pipeline never sees another user's models.  It is not
	 * under HOME/manager, which is the daemon's alone (0700) and which
	 * the owner could not traverse; HOME/pipeline-state is 0711. */
	if (as_other) {
		snprintf(state, sizeof state, "%s/pipeline-state", ps->m->cfg.home);
		if (mgr_mkdirs(state, 0711) || chmod(state, 0711)) {
			snprintf(why, whycap, "cannot create %s: %s", state, strerror(errno));
			return -EPERM;
		}
		snprintf(state, sizeof state, "%s/pipeline-state/%u", ps->m->cfg.home, owner->uid);
	} else {
		snprintf(state, sizeof state, "%s/state", ps->dir);
	}
	snprintf(mountenv, sizeof mountenv, "METAFS_MOUNT=%s", ps->mount);
	snprintf(stateenv, sizeof stateenv, "METAFS_STATE_DIR=%s", state);
	mgr_mkdirs(state, as_other ? 0700 : 0755);
	if (as_other && (chown(state, owner->uid, owner->gid) || chmod(state, 0700))) {
		snprintf(why, whycap, "cannot give its state directory %s to uid %u: %s", state,
			 owner->uid, strerror(errno));
		return -EPERM;
	}
	char homeenv[PATH_MAX + 8];
	const char *home = getenv("HOME");
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];
	if (as_other && getpwuid_r(owner->uid, &pw, pwbuf, sizeof pwbuf, &pwp) == 0 && pwp)
		home = pw.pw_dir;
	else if (as_other)
		home = "/";
	snprintf(homeenv, sizeof homeenv, "HOME=%s", home ? home : "/");
	int fds[2];
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		/* Only the mount, a state directory, and the usual PATH/HOME. */
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		/* As the owner, with no supplementary groups: what the mount
		 * lets the owner read is all the pipeline can read. */
		if (as_other && (setgroups(0, NULL) || setgid(owner->gid) || setuid(owner->uid))) {
			fprintf(stderr, "metafsd: cannot switch to uid %u: %s\n", owner->uid, strerror(errno));
			_exit(126);
		}
		if (chdir(ps->mount)) {
			fprintf(stderr, "metafsd: cannot enter the mount %s as uid %u: %s (is it mounted "
					"with allow_other?)\n", ps->mount, owner->uid, strerror(errno));
			_exit(126);
		}
		char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", homeenv, mountenv, stateenv, NULL};
		char *argv[] = {prog, "--mount", ps->mount, def, NULL};
		execve(prog, argv, envp);
		if (!strchr(prog, '/'))
			execvpe(prog, argv, envp);
		fprintf(stderr, "metafsd: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	char buf[4096];
	ssize_t n;
	while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			textbuf_append(out, buf, (size_t)n);
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void run_one(struct mgr_pipes *ps, struct pipeline *p)
{
	char name[STORE_NAME_MAX + 1];
	snprintf(name, sizeof name, "%s", p->name);
	snprintf(p->status, sizeof p->status, "running");
	p->pending = false;
	pthread_mutex_unlock(&ps->lock);

	textbuf out = TEXTBUF_INIT;
	int64_t t0 = store_now_ns();
	mgr_principal owner = p->owner;
	char why[256] = "";
	int code = run_process(ps, name, &owner, &out, why, sizeof why);
	if (why[0]) {
		mgr_log(MGR_LOG_WARN, "pipeline %s: %s", name, why);
		textbuf_printf(&out, "metafsd: %s\n", why);
	}
	char when[40];
	mgr_format_time(t0, when);
	mgr_log(code == 0 ? MGR_LOG_INFO : MGR_LOG_WARN, "pipeline %s exited with %d", name, code);

	pthread_mutex_lock(&ps->lock);
	snprintf(p->reason, sizeof p->reason, "%s", why);
	p->exit_code = code;
	p->runs++;
	if (code == 0 && p->webhook)
		p->delivered++;
	snprintf(p->status, sizeof p->status, code == 0 ? "idle" : "failed");
	snprintf(p->last_run, sizeof p->last_run, "%s", when);
	textbuf_printf(&p->log, "== %s exit %d (%.3f s)\n", when, code, (double)(store_now_ns() - t0) / 1e9);
	if (out.len)
		textbuf_append(&p->log, out.data, out.len);
	if (p->log.len > LOG_KEEP) {   /* keep the newest output */
		size_t cut = p->log.len - LOG_KEEP;
		memmove(p->log.data, p->log.data + cut, LOG_KEEP + 1);
		p->log.len = LOG_KEEP;
	}
	textbuf_free(&out);
	save_state(ps, p);
	pthread_cond_broadcast(&ps->done);
}

static void *worker_main(void *arg)
{
	struct mgr_pipes *ps = arg;
	pthread_mutex_lock(&ps->lock);
	while (!ps->stopping) {
		struct pipeline *next = NULL;
		for (uint32_t i = 0; i < ps->n && !next; i++)
			if (!ps->p[i]->deleted && ps->p[i]->pending)
				next = ps->p[i];
		if (next)
			run_one(ps, next);
		else
			pthread_cond_wait(&ps->wake, &ps->lock);
	}
	pthread_mutex_unlock(&ps->lock);
	return NULL;
}

/* ---- the interface ------------------------------------------------------------------ */

int mgr_pipelines_start(mgr *m, const char *mountpoint)
{
	struct mgr_pipes *ps = calloc(1, sizeof *ps);
	if (!ps)
		return -ENOMEM;
	ps->m = m;
	snprintf(ps->mount, sizeof ps->mount, "%s", mountpoint);
	snprintf(ps->dir, sizeof ps->dir, "%s/manager/pipelines", m->cfg.home);
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->wake, NULL);
	pthread_cond_init(&ps->done, NULL);
	m->pipes = ps;
	int rc = mgr_mkdirs(ps->dir, 0755);
	if (rc)
		return rc;
	DIR *d = opendir(ps->dir);
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 4 || strcmp(de->d_name + n - 4, ".ini") || de->d_name[0] == '.')
			continue;
		char name[STORE_NAME_MAX + 1], path[PATH_MAX + 300], err[512] = "cannot read it",
			platform[STORE_NAME_MAX + 1], db[STORE_NAME_MAX + 1], table[STORE_NAME_MAX + 1];
		bool webhook = false;
		snprintf(name, sizeof name, "%.*s", (int)(n - 4), de->d_name);
		snprintf(path, sizeof path, "%s/%s", ps->dir, de->d_name);
		textbuf t = TEXTBUF_INIT;
		if (mgr_state_read(path, &t) == 0 &&
		    def_check(m, t.data ? t.data : "", t.len, platform, db, table, &webhook, err,
			      sizeof err) == 0)
			install_locked(ps, name, platform, db, table, webhook);
		else
			mgr_log(MGR_LOG_WARN, "ignoring pipeline %s: %s", path, err);
		textbuf_free(&t);
	}
	closedir(d);
	if (pthread_create(&ps->worker, NULL, worker_main, ps))
		return -EAGAIN;
	ps->running = true;
	return 0;
}

void mgr_pipelines_stop(mgr *m)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return;
	pthread_mutex_lock(&ps->lock);
	ps->stopping = true;
	pthread_cond_broadcast(&ps->wake);
	pthread_cond_broadcast(&ps->done);
	pthread_mutex_unlock(&ps->lock);
	if (ps->running)
		pthread_join(ps->worker, NULL);
	for (uint32_t i = 0; i < ps->n; i++) {
		textbuf_free(&ps->p[i]->log);
		free(ps->p[i]);
	}
	free(ps->p);
	pthread_mutex_destroy(&ps->lock);
	pthread_cond_destroy(&ps->wake);
	pthread_cond_destroy(&ps->done);
	free(ps);
	m->pipes = NULL;
}

void mgr_pipelines_notify(mgr *m, const char *platform)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return;
	pthread_mutex_lock(&ps->lock);
	bool any = false;
	for (uint32_t i = 0; i < ps->n; i++)
		if (!ps->p[i]->deleted && !strcmp(ps->p[i]->platform, platform)) {
			ps->p[i]->pending = true;
			any = true;
		}
	if (any)
		pthread_cond_signal(&ps->wake);
	pthread_mutex_unlock(&ps->lock);
}

int mgr_pipeline_define_as(mgr *m, const mgr_principal *who, const char *name, const char *text,
			   size_t len, char *err, size_t errlen)
{
	struct mgr_pipes *ps = m->pipes;
	char platform[STORE_NAME_MAX + 1], db[STORE_NAME_MAX + 1], table[STORE_NAME_MAX + 1];
	bool webhook = false;
	if (!ps)
		return -ENOTSUP;
	int rc = def_check(m, text, len, platform, db, table, &webhook, err, errlen);
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "/pipelines/%s.ini", name);
	if (rc == 0) {
		/* Someone else's pipeline: ADMIN on the metastore to replace it. */
		pthread_mutex_lock(&ps->lock);
		struct pipeline *old = find_locked(ps, name);
		bool other = old && old->owner.uid != who->uid;
		pthread_mutex_unlock(&ps->lock);
		mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
		if (other && mgr_authorize(m, who, MGR_PRIV_ADMIN, &all, "pipeline", path)) {
			snprintf(err, errlen, "permission denied: the pipeline belongs to another user");
			rc = -EACCES;
		}
	}
	if (rc == 0) {
		mgr_object src = {MGR_OBJ_TABLE, platform, db, table};
		if (mgr_authorize(m, who, MGR_PRIV_SELECT, &src, "pipeline", NULL)) {
			snprintf(err, errlen, "permission denied: SELECT is needed on %s/%s/%s", platform, db,
				 table);
			rc = -EACCES;
		}
	}
	if (rc) {
		mgr_log(MGR_LOG_WARN, "refused pipeline %s: %s", name, err);
		return rc;
	}
	snprintf(path, sizeof path, "%s/%s.ini", ps->dir, name);
	if ((rc = mgr_state_replace(path, text, len)))
		return rc;
	pthread_mutex_lock(&ps->lock);
	rc = install_locked(ps, name, platform, db, table, webhook);
	struct pipeline *p = rc == 0 ? find_locked(ps, name) : NULL;
	if (p) {
		p->owner = *who;
		save_state(ps, p);
	}
	pthread_mutex_unlock(&ps->lock);
	mgr_log(MGR_LOG_INFO, "pipeline %s defined on %s", name, platform);
	return rc;
}

int mgr_pipeline_delete(mgr *m, const char *name)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return -ENOENT;
	pthread_mutex_lock(&ps->lock);
	struct pipeline *p = find_locked(ps, name);
	if (p)
		p->deleted = true;
	pthread_mutex_unlock(&ps->lock);
	if (!p)
		return -ENOENT;
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s.ini", ps->dir, name);
	unlink(path);
	snprintf(path, sizeof path, "%s/%s.state", ps->dir, name);
	unlink(path);
	return 0;
}

uint32_t mgr_pipeline_count(mgr *m)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return 0;
	pthread_mutex_lock(&ps->lock);
	uint32_t n = ps->n;
	pthread_mutex_unlock(&ps->lock);
	return n;
}

/* The name and the owner (each when not NULL) of pipeline ID. */
static int lookup_by_id(mgr *m, uint32_t id, char name[STORE_NAME_MAX + 1], mgr_principal *owner)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return -ENOENT;
	pthread_mutex_lock(&ps->lock);
	struct pipeline *p = by_id_locked(ps, id);
	if (p && name)
		memcpy(name, p->name, STORE_NAME_MAX + 1);
	if (p && owner)
		*owner = p->owner;
	pthread_mutex_unlock(&ps->lock);
	return p ? 0 : -ENOENT;
}

int mgr_pipeline_info(mgr *m, uint32_t id, char name[STORE_NAME_MAX + 1])
{
	return lookup_by_id(m, id, name, NULL);
}

int mgr_pipeline_owner(mgr *m, uint32_t id, mgr_principal *owner)
{
	return lookup_by_id(m, id, NULL, owner);
}

int mgr_pipeline_find(mgr *m, const char *name, uint32_t *id)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return -ENOENT;
	pthread_mutex_lock(&ps->lock);
	struct pipeline *p = find_locked(ps, name);
	if (p)
		*id = p->id;
	pthread_mutex_unlock(&ps->lock);
	return p ? 0 : -ENOENT;
}

int mgr_pipeline_read_def(mgr *m, uint32_t id, textbuf *out)
{
	struct mgr_pipes *ps = m->pipes;
	char name[STORE_NAME_MAX + 1], path[PATH_MAX + 300];
	if (!ps || mgr_pipeline_info(m, id, name))
		return -ENOENT;
	snprintf(path, sizeof path, "%s/%s.ini", ps->dir, name);
	return mgr_state_read(path, out);
}

static void render_status(const struct pipeline *p, textbuf *out)
{
	textbuf_printf(out, "%s\n", p->status);
	if (p->reason[0])
		textbuf_printf(out, "reason: %s\n", p->reason);
	textbuf_printf(out, "platform: %s\nlast_run: %s\nowner: %u\n", p->platform, p->last_run,
		       p->owner.uid);
	if (p->exit_code >= 0)
		textbuf_printf(out, "exit_code: %d\n", p->exit_code);
	textbuf_printf(out, "runs: %llu\n", (unsigned long long)p->runs);
}

int mgr_pipeline_read(mgr *m, uint32_t id, mgr_pipeline_file file, textbuf *out)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return -ENOENT;
	pthread_mutex_lock(&ps->lock);
	struct pipeline *p = by_id_locked(ps, id);
	if (p) {
		if (file == MGR_PIPELINE_STATUS)
			render_status(p, out);
		else if (file == MGR_PIPELINE_LOG && p->log.len)
			textbuf_append(out, p->log.data, p->log.len);
		else if (file == MGR_PIPELINE_DELIVERED)
			textbuf_printf(out, "%llu\n", (unsigned long long)p->delivered);
	}
	pthread_mutex_unlock(&ps->lock);
	return p ? textbuf_error(out) : -ENOENT;
}

int mgr_pipeline_run_now(mgr *m, uint32_t id, bool (*stop)(void *ctx), void *ctx, textbuf *out)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return -ENOENT;
	int rc = 0;
	pthread_mutex_lock(&ps->lock);
	struct pipeline *p = by_id_locked(ps, id);
	if (!p) {
		pthread_mutex_unlock(&ps->lock);
		return -ENOENT;
	}
	uint64_t target = p->runs + 1 + (!strcmp(p->status, "running") ? 1 : 0);
	p->pending = true;
	pthread_cond_signal(&ps->wake);
	while (p->runs < target) {
		if (ps->stopping || (stop && stop(ctx))) {
			rc = -EINTR;
			break;
		}
		struct timespec until;
		mgr_deadline(&until, 100);
		pthread_cond_timedwait(&ps->done, &ps->lock, &until);
	}
	if (rc == 0) {
		render_status(p, out);
		/* The last run's output: what follows the last "== " header. */
		const char *last = NULL;
		for (const char *s = p->log.data; s && (s = strstr(s, "== ")); s += 3)
			if (s == p->log.data || s[-1] == '\n')
				last = s;
		if (last)
			textbuf_puts(out, last);
	}
	pthread_mutex_unlock(&ps->lock);
	return rc ? rc : textbuf_error(out);
}
