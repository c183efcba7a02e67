/*
 * mgr_pipeline.c - pipeline definitions and their activation (see
 * mgr_pipeline.h).
 *
 * Activation.  After a sync run that changed its platform, the daemon
 * computes each of the platform's pipelines' input fingerprint: XXH3-64 of
 * its source table's partition listing (what .refresh gives, less the
 * trailer, whose number moves with every event of the source platform)
 * seeded with the table record's etag.  Only a pipeline whose fingerprint
 * moved is activated, so a commit to another table or platform runs
 * nothing.  An activation is due `pipeline_debounce_ms` after the last
 * change seen (at most five times that after the first), so a burst of
 * commits gives one run; a run asked for by a read of run is due at once.
 *
 * `pipeline_workers` worker threads run the due activations: a pipeline is
 * a separate process that reads through the mount, which this daemon
 * serves from its own FUSE threads, so a worker only waits for it, and
 * kills its process group when its time limit is over.  Runs of the same
 * pipeline never overlap; an activation that arrives while it runs makes
 * it run once more afterwards, not once per activation.
 */
#include "mgr_pipeline.h"
#include "mgr_int.h"
#include "mgr_registry.h"
#include "mgr_sync.h"
#include "base_prog.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define LOG_KEEP (64 * 1024)   /* bytes of output kept per pipeline */
#define MAX_WORKERS 64
/* What metafs-pipeline prints when a train run found its input unchanged. */
#define SKIPPED_LINE "skipped: input unchanged"

const char *const mgr_pipeline_file_names[MGR_PIPELINE_FILE_COUNT] = {
	"status", "log", "delivered", "run",
};

/* What the daemon keeps of a definition. */
struct pipe_def {
	char platform[STORE_NAME_MAX + 1];   /* of its source table */
	char db[STORE_NAME_MAX + 1], table[STORE_NAME_MAX + 1];
	bool webhook;
	double timeout_s;                    /* [pipeline] timeout; < 0: metafs.ini's; 0: none */
};

struct pipeline {
	mgr_reg_entry base;                  /* first: name, state, runs and owner (the process runs as it) */
	struct pipe_def def;
	int exit_code;                       /* of the last run; -1: none yet */
	char last_run[64];
	uint64_t delivered;
	bool pending;                        /* activation waiting for a worker */
	bool busy;                           /* a worker runs it */
	int64_t pending_since, due;          /* CLOCK_REALTIME ns: first activation, when it runs */
	bool has_input;                      /* INPUT is known */
	uint64_t input;                      /* the fingerprint of the last activation */
	bool skipped;                        /* the last run found its input unchanged */
	bool timed_out;                      /* the last run was killed at its time limit */
	textbuf log;
	char reason[256];                    /* why the last activation could not run */
};

struct mgr_pipes {
	mgr *m;
	char mount[PATH_MAX];
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	mgr_registry reg;                    /* the pipelines, under LOCK; its dir: HOME/manager/pipelines */
	pthread_t workers[MAX_WORKERS];
	unsigned nworkers;
	bool stopping;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- definitions ------------------------------------------------------------------ */

struct def_scan {
	char source[PATH_MAX];
	bool webhook;
	char timeout[64];
};

static int def_handler(void *user, const char *section, const char *key, const char *value)
{
	struct def_scan *d = user;
	if (!strcmp(section, "pipeline") && !strcmp(key, "source"))
		snprintf(d->source, sizeof d->source, "%s", value);
	if (!strcmp(section, "output") && !strcmp(key, "webhook_url") && value[0])
		d->webhook = true;
	if (!strcmp(section, "pipeline") && !strcmp(key, "timeout"))
		snprintf(d->timeout, sizeof d->timeout, "%s", value);
	return 1;
}

/* The daemon needs only the source (to know the platform and to check the
 * table exists); metafs-pipeline reads the rest and reports its own errors. */
static int def_check(mgr *m, const char *text, size_t len, struct pipe_def *def, char *err,
		     size_t errlen)
{
	struct def_scan d = {{0}, false, {0}};
	char *copy = strndup(text, len);
	if (!copy)
		return -ENOMEM;
	int line = ini_parse_string(copy, def_handler, &d);
	free(copy);
	if (line) {
		snprintf(err, errlen, "line %d: not an ini line", line);
		return -EINVAL;
	}
	double timeout = -1;
	if (d.timeout[0]) {
		char *end;
		timeout = strtod(d.timeout, &end);
		if (end == d.timeout || (*end && strcmp(end, "s")) || !(timeout >= 0) ||
		    timeout > 1e7) {
			snprintf(err, errlen, "[pipeline] timeout must be a number of seconds (0: none), "
					      "not \"%s\"", d.timeout);
			return -EINVAL;
		}
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
	snprintf(def->platform, sizeof def->platform, "%s", p);
	snprintf(def->db, sizeof def->db, "%s", db);
	snprintf(def->table, sizeof def->table, "%s", table);
	def->webhook = d.webhook;
	def->timeout_s = timeout;
	return 0;
}

/* Pipeline number I + 1, deleted or not (the lock held). */
static struct pipeline *pipe_at(struct mgr_pipes *ps, uint32_t i)
{
	return (struct pipeline *)ps->reg.entries[i];
}

/* ---- pipelines as a kind of the registry ---------------------------------------------------- */

static int pipe_parse(mgr_registry *reg, const char *name, const char *text, size_t len, void *def,
		      char *err, size_t errlen)
{
	(void)name;
	return def_check(reg->m, text, len, def, err, errlen);
}

/* WHO needs SELECT on the source table.  Audited. */
static int pipe_authorize(mgr_registry *reg, const mgr_principal *who, const void *def, char *err,
			  size_t errlen)
{
	const struct pipe_def *d = def;
	mgr_object src = {MGR_OBJ_TABLE, d->platform, d->db, d->table};
	if (mgr_authorize(reg->m, who, MGR_PRIV_SELECT, &src, "pipeline", NULL) == 0)
		return 0;
	snprintf(err, errlen, "permission denied: SELECT is needed on %s/%s/%s", d->platform, d->db,
		 d->table);
	return -EACCES;
}

static void pipe_init(mgr_reg_entry *e)
{
	struct pipeline *p = (struct pipeline *)e;
	p->exit_code = -1;
	snprintf(p->last_run, sizeof p->last_run, "never");
}

static void pipe_assign(mgr_reg_entry *e, const void *def, bool fresh)
{
	(void)fresh;
	((struct pipeline *)e)->def = *(const struct pipe_def *)def;
}

/* NAME.state: counters, last run and owner on one line, then the log. */
static void pipe_state_format(const mgr_reg_entry *e, textbuf *out)
{
	const struct pipeline *p = (const struct pipeline *)e;
	textbuf_printf(out, "runs %llu delivered %llu exit_code %d last_run %s owner %u:%u",
		       (unsigned long long)e->runs, (unsigned long long)p->delivered, p->exit_code,
		       p->last_run, e->owner.uid, e->owner.gid);
	if (p->has_input)
		textbuf_printf(out, " input %016llx", (unsigned long long)p->input);
	if (p->skipped)
		textbuf_puts(out, " skipped 1");
	if (p->timed_out)
		textbuf_puts(out, " timed_out 1");
	if (p->pending)
		textbuf_puts(out, " pending 1");
	textbuf_puts(out, "\n");
	if (p->log.len)
		textbuf_append(out, p->log.data, p->log.len);
}

static void pipe_state_parse(mgr_reg_entry *e, const char *text)
{
	struct pipeline *p = (struct pipeline *)e;
	unsigned long long runs, delivered;
	int code;
	char last[64];
	if (sscanf(text, "runs %llu delivered %llu exit_code %d last_run %63s", &runs, &delivered, &code,
		   last) != 4)
		return;
	e->runs = runs;
	p->delivered = delivered;
	p->exit_code = code;
	snprintf(p->last_run, sizeof p->last_run, "%s", last);
	e->state = code == 0 || code < 0 ? MGR_REG_IDLE : MGR_REG_FAILED;
	const char *nl = strchr(text, '\n');
	const char *own = strstr(text, " owner ");
	unsigned uid, gid;
	if (own && (!nl || own < nl) && sscanf(own, " owner %u:%u", &uid, &gid) == 2) {
		e->owner.uid = uid;
		e->owner.gid = gid;
	}
	const char *in = strstr(text, " input ");
	unsigned long long fp;
	if (in && (!nl || in < nl) && sscanf(in, " input %llx", &fp) == 1) {
		p->input = fp;
		p->has_input = true;
	}
	const char *sk = strstr(text, " skipped 1");
	p->skipped = sk && (!nl || sk < nl);
	const char *to = strstr(text, " timed_out 1");
	p->timed_out = to && (!nl || to < nl);
	/* An activation the previous daemon had not run (or not finished). */
	const char *pe = strstr(text, " pending 1");
	if (pe && (!nl || pe < nl)) {
		p->pending = true;
		p->pending_since = p->due = now_ns();
	}
	if (nl)
		textbuf_puts(&p->log, nl + 1);
}

static void pipe_request_locked(mgr_registry *reg, mgr_reg_entry *e)
{
	struct mgr_pipes *ps = reg->owner;
	struct pipeline *p = (struct pipeline *)e;
	int64_t now = now_ns();
	if (!p->pending)
		p->pending_since = now;
	p->pending = true;
	p->due = now;   /* asked for: no debounce */
	pthread_cond_broadcast(&ps->wake);
}

static void render_status(const struct pipeline *p, textbuf *out)
{
	textbuf_printf(out, "%s\n", mgr_reg_state_name(p->base.state));
	if (p->reason[0])
		textbuf_printf(out, "reason: %s\n", p->reason);
	textbuf_printf(out, "platform: %s\nlast_run: %s\nowner: %u\n", p->def.platform, p->last_run,
		       p->base.owner.uid);
	if (p->exit_code >= 0)
		textbuf_printf(out, "exit_code: %d\n", p->exit_code);
	if (p->skipped)
		textbuf_puts(out, "result: " SKIPPED_LINE "\n");
	textbuf_printf(out, "runs: %llu\n", (unsigned long long)p->base.runs);
}

/* The status, then the last run's output: what follows the last "== " header. */
static void pipe_result_locked(const mgr_reg_entry *e, textbuf *out)
{
	const struct pipeline *p = (const struct pipeline *)e;
	render_status(p, out);
	const char *last = NULL;
	for (const char *s = p->log.data; s && (s = strstr(s, "== ")); s += 3)
		if (s == p->log.data || s[-1] == '\n')
			last = s;
	if (last)
		textbuf_puts(out, last);
}

static void pipe_fini(mgr_reg_entry *e)
{
	textbuf_free(&((struct pipeline *)e)->log);
}

/* The definition is served as written: metafs-pipeline reads all of it. */
static const mgr_reg_type pipe_type = {
	.dir = "pipelines",
	.suffix = ".ini",
	.noun = "pipeline",
	.short_noun = "pipeline",
	.action = "pipeline",
	.entry_size = sizeof(struct pipeline),
	.def_size = sizeof(struct pipe_def),
	.parse = pipe_parse,
	.authorize = pipe_authorize,
	.init = pipe_init,
	.assign = pipe_assign,
	.state_format = pipe_state_format,
	.state_parse = pipe_state_parse,
	.request_locked = pipe_request_locked,
	.result_locked = pipe_result_locked,
	.fini = pipe_fini,
};

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
	static const char *const beside[] = {"metafs-pipeline", "../pipeline/metafs-pipeline",
					     "../bin/metafs-pipeline"};
	if (base_prog_sibling_find(beside, sizeof beside / sizeof beside[0], out, cap))
		snprintf(out, cap, "metafs-pipeline");
}

/* Run pipeline NAME once as OWNER; its output into OUT; returns its exit
 * code or -errno (-EPERM with the reason in WHY when it cannot run as
 * OWNER).  With TIMEOUT_S > 0 the process group is killed (SIGKILL) once
 * that many seconds have passed, and *TIMED_OUT says so. */
static int run_process(struct mgr_pipes *ps, const char *name, const mgr_principal *owner,
		       double timeout_s, bool *timed_out, textbuf *out, char *why, size_t whycap)
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
	 * owner's): a pipeline never sees another user's models.  The home
	 * is private, so the owner could not reach it by its path: the
	 * process starts in it (entered before it becomes the owner) and
	 * METAFS_STATE_DIR is ".". */
	int rc = 0;
	if (as_other) {
		rc = base_path_format(state, sizeof state, "%s/pipeline-state/%u", ps->m->cfg.home,
				      owner->uid);
	} else {
		rc = base_path_format(state, sizeof state, "%s/state", ps->reg.dir);
	}
	if (rc == 0)
		rc = base_path_format(mountenv, sizeof mountenv, "METAFS_MOUNT=%s", ps->mount);
	if (rc == 0)
		rc = base_path_format(stateenv, sizeof stateenv, "METAFS_STATE_DIR=%s",
				      as_other ? "." : state);
	if (rc)
		return rc;
	rc = base_fs_mkdirs(state, BASE_MODE_DIR);
	if (rc) {
		base_msg_format(why, whycap, "cannot create %s: %s", state, strerror(-rc));
		return -EPERM;
	}
	if (as_other && (chown(state, owner->uid, owner->gid) || chmod(state, 0700))) {
		base_msg_format(why, whycap, "cannot give its state directory %s to uid %u: %s", state,
				owner->uid, strerror(errno));
		return -EPERM;
	}
	int statefd = -1;
	if (as_other && (statefd = open(state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		base_msg_format(why, whycap, "cannot open its state directory %s: %s", state,
				strerror(errno));
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
	if (pipe2(fds, O_CLOEXEC)) {
		int e = errno;
		if (statefd >= 0)
			close(statefd);
		return -e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		if (statefd >= 0)
			close(statefd);
		return -e;
	}
	if (pid == 0) {
		/* Only the mount, a state directory, and the usual PATH/HOME;
		 * a process group of its own, which a timeout kills whole. */
		setpgid(0, 0);
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
		if (statefd >= 0 && fchdir(statefd)) {
			fprintf(stderr, "metafsd: cannot enter the state directory %s as uid %u: %s\n",
				state, owner->uid, strerror(errno));
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
	setpgid(pid, pid);   /* also here: whichever of the two runs first */
	close(fds[1]);
	if (statefd >= 0)
		close(statefd);
	char buf[4096];
	int64_t deadline = timeout_s > 0 ? now_ns() + (int64_t)(timeout_s * 1e9) : 0;
	for (;;) {
		int wait_ms = -1;
		if (deadline) {
			int64_t left = deadline - now_ns();
			if (left <= 0) {
				/* Over its time limit: the whole group goes, so no
				 * child of it keeps the pipe open. */
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				*timed_out = true;
				break;
			}
			wait_ms = left / 1000000 > 1000 ? 1000 : (int)(left / 1000000) + 1;
		}
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		int r = poll(&pfd, 1, wait_ms);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		ssize_t n = read(fds[0], buf, sizeof buf);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		textbuf_append(out, buf, (size_t)n);
	}
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
	snprintf(name, sizeof name, "%s", p->base.name);
	p->base.state = MGR_REG_RUNNING;
	p->pending = false;
	p->busy = true;
	double timeout = p->def.timeout_s >= 0 ? p->def.timeout_s : ps->m->cfg.pipeline_timeout;
	pthread_mutex_unlock(&ps->lock);

	textbuf out = TEXTBUF_INIT;
	int64_t t0 = store_now_ns();
	mgr_principal owner = p->base.owner;
	uint32_t log_was = mgr_log_set_uid(owner.uid);   /* the run's lines are its owner's */
	char why[256] = "";
	bool timed_out = false;
	int code = run_process(ps, name, &owner, timeout, &timed_out, &out, why, sizeof why);
	if (timed_out)
		snprintf(why, sizeof why, "killed after its time limit of %g s", timeout);
	if (why[0]) {
		mgr_log(MGR_LOG_WARN, "pipeline %s: %s", name, why);
		textbuf_printf(&out, "metafsd: %s\n", why);
	}
	char when[40];
	mgr_format_time(t0, when);
	mgr_log(code == 0 ? MGR_LOG_INFO : MGR_LOG_WARN, "pipeline %s exited with %d", name, code);
	mgr_log_set_uid(log_was);

	pthread_mutex_lock(&ps->lock);
	snprintf(p->reason, sizeof p->reason, "%s", why);
	p->exit_code = code;
	p->base.runs++;
	p->busy = false;
	p->timed_out = timed_out;
	/* A train run that found its input unchanged says so on a line of
	 * its own, "NAME: skipped: input unchanged ...", and sends nothing. */
	p->skipped = false;
	for (const char *s = out.data; code == 0 && s && (s = strstr(s, ": " SKIPPED_LINE)); s++) {
		const char *eol = s + 2 + strlen(SKIPPED_LINE);
		if (*eol == '\n' || *eol == ' ' || *eol == '\0')
			p->skipped = true;
	}
	if (code == 0 && p->def.webhook && !p->skipped)
		p->delivered++;
	p->base.state = code == 0 && !timed_out ? MGR_REG_IDLE : MGR_REG_FAILED;
	mgr_metrics_pipeline_run(ps->m, name, code != 0 || timed_out,
				 code == 0 && p->def.webhook && !p->skipped,
				 code == MGR_PIPELINE_EXIT_SPOOLED);
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
	mgr_registry_save_locked(&ps->reg, &p->base);
	pthread_cond_broadcast(&ps->done);
	pthread_cond_broadcast(&ps->wake);   /* an activation that waited for this run */
}

static void *worker_main(void *arg)
{
	struct mgr_pipes *ps = arg;
	mgr_commit_path_enter(MGR_COMMIT_PIPELINE);
	pthread_mutex_lock(&ps->lock);
	while (!ps->stopping) {
		struct pipeline *next = NULL;
		int64_t now = now_ns(), wake = INT64_MAX;
		for (uint32_t i = 0; i < ps->reg.n && !next; i++) {
			struct pipeline *p = pipe_at(ps, i);
			if (p->base.deleted || !p->pending || p->busy)
				continue;
			if (p->due <= now)
				next = p;
			else if (p->due < wake)
				wake = p->due;
		}
		if (next) {
			run_one(ps, next);
		} else if (wake == INT64_MAX) {
			pthread_cond_wait(&ps->wake, &ps->lock);
		} else {
			struct timespec ts = {(time_t)(wake / 1000000000LL), (long)(wake % 1000000000LL)};
			pthread_cond_timedwait(&ps->wake, &ps->lock, &ts);
		}
	}
	pthread_mutex_unlock(&ps->lock);
	return NULL;
}

/* The input fingerprint of a pipeline on DB.TABLE of PLATFORM (see the top
 * of this file); -errno when the table cannot be read.  Takes no lock of
 * this file. */
static int input_fingerprint(mgr *m, const char *platform, const char *db, const char *table,
			     uint64_t *fp)
{
	mgr_platform *pl = mgr_platform_find(m, platform);
	if (!pl)
		return -ENOENT;
	store_txn *txn = NULL;
	store_table t = {0};
	int rc = store_read_begin(pl->store, &txn);
	if (rc == 0)
		rc = store_table_get(txn, db, table, &t);
	store_abort(txn);
	if (rc) {
		store_table_clear(&t);
		return rc;
	}
	textbuf list = TEXTBUF_INIT;
	size_t len = 0;
	if (mgr_refresh(m, pl, &t, 0, &list) == 0 && list.data) {
		/* Less the trailer, "snapshot N": the last line. */
		len = list.len;
		if (len && list.data[len - 1] == '\n')
			len--;
		while (len && list.data[len - 1] != '\n')
			len--;
	}
	*fp = XXH3_64bits_withSeed(list.data ? list.data : "", len, t.etag);
	textbuf_free(&list);
	store_table_clear(&t);
	return 0;
}

/* ---- the interface ------------------------------------------------------------------ */

/* ---- the interface ------------------------------------------------------------------ */

int mgr_pipelines_start(mgr *m, const char *mountpoint)
{
	struct mgr_pipes *ps = calloc(1, sizeof *ps);
	if (!ps)
		return -ENOMEM;
	ps->m = m;
	snprintf(ps->mount, sizeof ps->mount, "%s", mountpoint);
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->wake, NULL);
	pthread_cond_init(&ps->done, NULL);
	m->pipes = ps;
	int rc = mgr_registry_init(&ps->reg, &pipe_type, m, ps, &ps->lock, &ps->done, &ps->stopping);
	if (rc == 0)
		rc = mgr_registry_load(&ps->reg);
	if (rc)
		return rc;
	unsigned want = m->cfg.pipeline_workers ? m->cfg.pipeline_workers : 2;
	if (want > MAX_WORKERS)
		want = MAX_WORKERS;
	pthread_mutex_lock(&ps->lock);
	for (unsigned i = 0; i < want; i++) {
		if (pthread_create(&ps->workers[i], NULL, worker_main, ps)) {
			rc = -EAGAIN;
			break;
		}
		ps->nworkers++;
	}
	pthread_mutex_unlock(&ps->lock);
	return rc;
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
	for (unsigned i = 0; i < ps->nworkers; i++)
		pthread_join(ps->workers[i], NULL);
	mgr_registry_fini(&ps->reg);
	pthread_mutex_destroy(&ps->lock);
	pthread_cond_destroy(&ps->wake);
	pthread_cond_destroy(&ps->done);
	free(ps);
	m->pipes = NULL;
}

struct watched {
	uint32_t id;
	char db[STORE_NAME_MAX + 1], table[STORE_NAME_MAX + 1];
	uint64_t fp;
	bool ok;
};

void mgr_pipelines_notify(mgr *m, const char *platform)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return;
	/* The platform's pipelines, then their fingerprints without the lock
	 * (they read the stores), then the activations under it. */
	pthread_mutex_lock(&ps->lock);
	uint32_t n = 0;
	struct watched *w = calloc(ps->reg.n ? ps->reg.n : 1, sizeof *w);
	for (uint32_t i = 0; w && i < ps->reg.n; i++) {
		struct pipeline *p = pipe_at(ps, i);
		if (p->base.deleted || strcmp(p->def.platform, platform))
			continue;
		w[n].id = p->base.id;
		snprintf(w[n].db, sizeof w[n].db, "%s", p->def.db);
		snprintf(w[n].table, sizeof w[n].table, "%s", p->def.table);
		n++;
	}
	pthread_mutex_unlock(&ps->lock);
	if (!w)
		return;
	for (uint32_t i = 0; i < n; i++)
		w[i].ok = input_fingerprint(m, platform, w[i].db, w[i].table, &w[i].fp) == 0;
	pthread_mutex_lock(&ps->lock);
	bool any = false;
	int64_t now = now_ns(), debounce = (int64_t)m->cfg.pipeline_debounce_ms * 1000000LL;
	for (uint32_t i = 0; i < n; i++) {
		struct pipeline *p = (struct pipeline *)mgr_registry_get_locked(&ps->reg, w[i].id);
		if (!p || strcmp(p->def.db, w[i].db) || strcmp(p->def.table, w[i].table))
			continue;
		/* A table that cannot be read activates: the run says why. */
		if (w[i].ok && p->has_input && p->input == w[i].fp)
			continue;
		if (w[i].ok) {
			p->input = w[i].fp;
			p->has_input = true;
		}
		if (!p->pending) {
			p->pending = true;
			p->pending_since = now;
			p->due = now + debounce;
		} else if (p->due > now) {
			/* Still gathering: wait for the burst to end, but not
			 * more than five debounce periods after its first
			 * change. */
			int64_t due = now + debounce, cap = p->pending_since + 5 * debounce;
			p->due = due < cap ? due : cap;
		}
		mgr_registry_save_locked(&ps->reg, &p->base);   /* the fingerprint, and pending */
		mgr_log(MGR_LOG_INFO, "pipeline %s activated: its source %s/%s/%s changed", p->base.name,
			platform, p->def.db, p->def.table);
		any = true;
	}
	if (any)
		pthread_cond_broadcast(&ps->wake);
	pthread_mutex_unlock(&ps->lock);
	free(w);
}

int mgr_pipeline_define_as(mgr *m, const mgr_principal *who, const char *name, const char *text,
			   size_t len, char *err, size_t errlen)
{
	struct mgr_pipes *ps = m->pipes;
	struct pipe_def def;
	if (!ps)
		return -ENOTSUP;
	int rc = mgr_registry_define(&ps->reg, who, name, text, len, &def, err, errlen);
	if (rc)
		return rc;
	mgr_log(MGR_LOG_INFO, "pipeline %s defined on %s", name, def.platform);
	/* What it reads now is its baseline: only a later change activates it. */
	uint64_t fp;
	if (input_fingerprint(m, def.platform, def.db, def.table, &fp) == 0) {
		pthread_mutex_lock(&ps->lock);
		struct pipeline *p = (struct pipeline *)mgr_registry_find_locked(&ps->reg, name);
		if (p && !strcmp(p->def.db, def.db) && !strcmp(p->def.table, def.table) &&
		    !strcmp(p->def.platform, def.platform)) {
			p->input = fp;
			p->has_input = true;
			mgr_registry_save_locked(&ps->reg, &p->base);
		}
		pthread_mutex_unlock(&ps->lock);
	}
	return 0;
}

int mgr_pipeline_delete(mgr *m, const char *name)
{
	return m->pipes ? mgr_registry_delete(&m->pipes->reg, name) : -ENOENT;
}

uint32_t mgr_pipeline_count(mgr *m)
{
	return m->pipes ? mgr_registry_count(&m->pipes->reg) : 0;
}

int mgr_pipeline_info(mgr *m, uint32_t id, char name[STORE_NAME_MAX + 1])
{
	return m->pipes ? mgr_registry_lookup(&m->pipes->reg, id, name, NULL) : -ENOENT;
}

int mgr_pipeline_owner(mgr *m, uint32_t id, mgr_principal *owner)
{
	return m->pipes ? mgr_registry_lookup(&m->pipes->reg, id, NULL, owner) : -ENOENT;
}

int mgr_pipeline_find(mgr *m, const char *name, uint32_t *id)
{
	return m->pipes ? mgr_registry_find(&m->pipes->reg, name, id) : -ENOENT;
}

int mgr_pipeline_read_def(mgr *m, uint32_t id, textbuf *out)
{
	return m->pipes ? mgr_registry_read_def(&m->pipes->reg, id, out) : -ENOENT;
}

int mgr_pipeline_read(mgr *m, uint32_t id, mgr_pipeline_file file, textbuf *out)
{
	struct mgr_pipes *ps = m->pipes;
	if (!ps)
		return -ENOENT;
	pthread_mutex_lock(&ps->lock);
	struct pipeline *p = (struct pipeline *)mgr_registry_get_locked(&ps->reg, id);
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

int mgr_pipeline_may_run(mgr *m, const mgr_principal *who, uint32_t id)
{
	char name[STORE_NAME_MAX + 1], path[STORE_NAME_MAX + 24];
	mgr_principal owner;
	mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	int rc = m->pipes ? mgr_registry_lookup(&m->pipes->reg, id, name, &owner) : -ENOENT;
	if (rc)
		return rc;
	snprintf(path, sizeof path, "/pipelines/%s/run", name);
	bool own = owner.uid == who->uid;
	bool admin = !own && mgr_access_holds(m, who, MGR_PRIV_ADMIN, &all);
	return mgr_audit_decision(m, who, "pipeline", path, own || admin, own ? 0 : MGR_PRIV_ADMIN,
				  own ? "the pipeline's owner" : admin ? "ADMIN on the metastore"
				      : "runs by its owner or ADMIN on the metastore");
}

int mgr_pipeline_run_now(mgr *m, uint32_t id, bool (*stop)(void *ctx), void *ctx, textbuf *out)
{
	return m->pipes ? mgr_registry_run_now(&m->pipes->reg, id, stop, ctx, out) : -ENOENT;
}
