/*
 * mgr_metrics.c - the manager's metric families (see mgr_metrics.h).
 */
#include "mgr_metrics.h"
#include "base_array.h"
#include "mgr_int.h"
#include "mgr_job.h"
#include "mgr_pipeline.h"
#include "mgr_sync.h"
#include "sync.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const path_names[MGR_COMMIT_PATH_COUNT] = {
	[MGR_COMMIT_MOUNT] = "mount",   [MGR_COMMIT_FILE] = "file",
	[MGR_COMMIT_DROP] = "drop",     [MGR_COMMIT_RENAME] = "rename",
	[MGR_COMMIT_JOB] = "job",       [MGR_COMMIT_SYNC] = "sync",
	[MGR_COMMIT_PIPELINE] = "pipeline", [MGR_COMMIT_REPAIR] = "repair",
	[MGR_COMMIT_RECOVERY] = "recovery",
};

/* Upper bounds (seconds) of the job duration histogram's buckets, +Inf last. */
static const double job_bounds[] = {0.01, 0.1, 1, 10, 60, 300, 1800, 3600};
#define JOB_BUCKETS (sizeof job_bounds / sizeof job_bounds[0])

/* The counters kept per rule or pipeline name, since the daemon started. */
struct named_counters {
	char name[STORE_NAME_MAX + 1];
	uint64_t runs, failures, applied, events, delivered, delivery_failures;
};

struct named_table {
	struct named_counters *v;
	size_t n, cap;
};

struct mgr_metrics {
	uint64_t commits[MGR_COMMIT_PATH_COUNT];
	uint64_t jobs_submitted, jobs_succeeded, jobs_failed;
	uint64_t job_buckets[JOB_BUCKETS];   /* not cumulative: rendered as running sums */
	uint64_t job_count, job_sum_ns;
	pthread_mutex_t lock;                /* a leaf: guards RULES and PIPES */
	struct named_table rules, pipes;
};

static _Thread_local int commit_path;

int mgr_commit_path_enter(int path)
{
	int prev = commit_path;
	commit_path = path;
	return prev;
}

void mgr_commit_path_leave(int *prev)
{
	commit_path = *prev;
}

/* M's metrics, made on first use (the commit observer may be the first,
 * on any thread). */
static struct mgr_metrics *metrics_of(mgr *m)
{
	struct mgr_metrics *mm = __atomic_load_n(&m->metrics, __ATOMIC_ACQUIRE);
	if (mm)
		return mm;
	struct mgr_metrics *fresh = calloc(1, sizeof *fresh);
	if (!fresh)
		return NULL;
	pthread_mutex_init(&fresh->lock, NULL);
	if (__atomic_compare_exchange_n(&m->metrics, &mm, fresh, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return fresh;
	pthread_mutex_destroy(&fresh->lock);
	free(fresh);
	return mm;
}

void mgr_metrics_free(mgr *m)
{
	struct mgr_metrics *mm = m->metrics;
	if (!mm)
		return;
	pthread_mutex_destroy(&mm->lock);
	free(mm->rules.v);
	free(mm->pipes.v);
	free(mm);
	m->metrics = NULL;
}

static void add(uint64_t *counter, uint64_t n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static uint64_t load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void mgr_metrics_commit(mgr *m)
{
	struct mgr_metrics *mm = metrics_of(m);
	int path = commit_path;
	if (mm)
		add(&mm->commits[path >= 0 && path < MGR_COMMIT_PATH_COUNT ? path : MGR_COMMIT_MOUNT], 1);
}

void mgr_metrics_job_state(mgr *m, int from, int to, int64_t started_ns)
{
	struct mgr_metrics *mm = metrics_of(m);
	if (!mm)
		return;
	if (to == MGR_JOB_QUEUED)
		add(&mm->jobs_submitted, 1);
	if (to != MGR_JOB_SUCCEEDED && to != MGR_JOB_FAILED)
		return;
	add(to == MGR_JOB_SUCCEEDED ? &mm->jobs_succeeded : &mm->jobs_failed, 1);
	/* Only runs this daemon ran have a duration (not one it found
	 * interrupted at start). */
	if (from != MGR_JOB_RUNNING || started_ns <= 0)
		return;
	int64_t ns = store_now_ns() - started_ns;
	if (ns < 0)
		ns = 0;
	size_t b = 0;
	while (b < JOB_BUCKETS && (double)ns / 1e9 > job_bounds[b])
		b++;
	if (b < JOB_BUCKETS)
		add(&mm->job_buckets[b], 1);
	add(&mm->job_sum_ns, (uint64_t)ns);
	add(&mm->job_count, 1);
}

/* The counters of NAME in T (made when missing), or NULL; MM's lock held. */
static struct named_counters *named(struct named_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	if (BASE_ARRAY_RESERVE(t->v, t->cap, t->n + 1))
		return NULL;
	struct named_counters *c = &t->v[t->n++];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	return c;
}

void mgr_metrics_sync_run(mgr *m, const char *rule, int rc, uint64_t applied, uint64_t events)
{
	struct mgr_metrics *mm = metrics_of(m);
	if (!mm)
		return;
	pthread_mutex_lock(&mm->lock);
	struct named_counters *c = named(&mm->rules, rule);
	if (c) {
		c->runs++;
		c->failures += rc != 0;
		c->applied += applied;
		c->events += events;
	}
	pthread_mutex_unlock(&mm->lock);
}

void mgr_metrics_pipeline_run(mgr *m, const char *name, bool failed, bool delivered, bool spooled)
{
	struct mgr_metrics *mm = metrics_of(m);
	if (!mm)
		return;
	pthread_mutex_lock(&mm->lock);
	struct named_counters *c = named(&mm->pipes, name);
	if (c) {
		c->runs++;
		c->failures += failed;
		c->delivered += delivered;
		c->delivery_failures += spooled;
	}
	pthread_mutex_unlock(&mm->lock);
}

/* ---- rendering --------------------------------------------------------------------------- */

static void family(textbuf *out, const char *name, const char *type, const char *help)
{
	textbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the text format wants it: \, " and newline escaped. */
static void label_value(textbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			textbuf_puts(out, "\\\\");
		else if (*s == '"')
			textbuf_puts(out, "\\\"");
		else if (*s == '\n')
			textbuf_puts(out, "\\n");
		else
			textbuf_append(out, s, 1);
	}
}

static void sample(textbuf *out, const char *metric, const char *label, const char *value,
		   const char *number)
{
	textbuf_printf(out, "%s{%s=\"", metric, label);
	label_value(out, value);
	textbuf_printf(out, "\"} %s\n", number);
}

static void sample_u64(textbuf *out, const char *metric, const char *label, const char *value,
		       uint64_t n)
{
	char num[32];
	snprintf(num, sizeof num, "%llu", (unsigned long long)n);
	sample(out, metric, label, value, num);
}

/* Seconds to the microsecond (what a double holds of a time since the
 * epoch), without trailing zeros: "0", "12.5", "1796316618.895404". */
static void sample_seconds(textbuf *out, const char *metric, const char *label,
			   const char *value, double x)
{
	char num[64];
	snprintf(num, sizeof num, "%.6f", x);
	char *end = num + strlen(num);
	while (end[-1] == '0')
		*--end = '\0';
	if (end[-1] == '.')
		*--end = '\0';
	sample(out, metric, label, value, num);
}

static void render_commits(struct mgr_metrics *mm, textbuf *out)
{
	family(out, "metafs_store_commits_by_path_total", "counter",
	       "Metastore write transactions committed, by the path that made them "
	       "(their sum is metafs_store_commits_total).");
	for (int p = 0; p < MGR_COMMIT_PATH_COUNT; p++)
		sample_u64(out, "metafs_store_commits_by_path_total", "path", path_names[p],
			   load(&mm->commits[p]));
}

static void render_jobs(mgr *m, struct mgr_metrics *mm, textbuf *out)
{
	/* The gauges from the runs the daemon holds now. */
	uint64_t queued = 0, running = 0;
	uint32_t njobs = mgr_job_count(m);
	for (uint32_t id = 1; id <= njobs; id++) {
		uint32_t runs = 0;
		if (mgr_job_info(m, id, NULL, &runs))
			continue;
		for (uint32_t r = 1; r <= runs; r++) {
			mgr_job_state st;
			if (mgr_job_run_state(m, id, r, &st) == 0) {
				queued += st == MGR_JOB_QUEUED;
				running += st == MGR_JOB_RUNNING;
			}
		}
	}
	family(out, "metafs_jobs_submitted_total", "counter", "Job runs submitted.");
	textbuf_printf(out, "metafs_jobs_submitted_total %llu\n",
		       (unsigned long long)load(&mm->jobs_submitted));
	family(out, "metafs_jobs_succeeded_total", "counter", "Job runs that succeeded.");
	textbuf_printf(out, "metafs_jobs_succeeded_total %llu\n",
		       (unsigned long long)load(&mm->jobs_succeeded));
	family(out, "metafs_jobs_failed_total", "counter",
	       "Job runs that failed (with those found interrupted at start).");
	textbuf_printf(out, "metafs_jobs_failed_total %llu\n", (unsigned long long)load(&mm->jobs_failed));
	family(out, "metafs_jobs_queued", "gauge", "Job runs waiting for a worker.");
	textbuf_printf(out, "metafs_jobs_queued %llu\n", (unsigned long long)queued);
	family(out, "metafs_jobs_running", "gauge", "Job runs running.");
	textbuf_printf(out, "metafs_jobs_running %llu\n", (unsigned long long)running);
	family(out, "metafs_job_duration_seconds", "histogram",
	       "Time from the start of a run to its end, for runs that ended.");
	uint64_t cum = 0;
	for (size_t b = 0; b < JOB_BUCKETS; b++) {
		char le[32];
		cum += load(&mm->job_buckets[b]);
		snprintf(le, sizeof le, "%g", job_bounds[b]);
		sample_u64(out, "metafs_job_duration_seconds_bucket", "le", le, cum);
	}
	uint64_t count = load(&mm->job_count);
	sample_u64(out, "metafs_job_duration_seconds_bucket", "le", "+Inf", count);
	textbuf_printf(out, "metafs_job_duration_seconds_sum %.9f\n"
			    "metafs_job_duration_seconds_count %llu\n",
		       (double)load(&mm->job_sum_ns) / 1e9, (unsigned long long)count);
}

/* "2026-12-03T16:44:39.123456789Z" (mgr_format_time) as seconds since the
 * epoch; -1 when S is not one. */
static double parse_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	long nanos = 0;
	int used = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%9ldZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &nanos, &used) != 7 || !used)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) + (double)nanos / 1e9;
}

/* What the metastores say of rule ID now: events behind the source's head
 * (as its lag file), seconds since the oldest of them was logged, and the
 * time of its last successful run (its history, kept in its state file);
 * -1 for what cannot be known. */
struct rule_state {
	char name[STORE_NAME_MAX + 1];
	bool has_lag;
	uint64_t lag_events;
	double lag_seconds, last_success;
};

static int rule_state(mgr *m, uint32_t id, struct rule_state *rs)
{
	rs->has_lag = false;
	rs->lag_seconds = rs->last_success = -1;
	if (mgr_sync_info(m, id, rs->name))
		return -ENOENT;
	textbuf t = TEXTBUF_INIT;
	if (mgr_sync_read(m, id, MGR_SYNC_LAG, &t) == 0 && t.data) {
		rs->lag_events = strtoull(t.data, NULL, 10);
		rs->has_lag = true;
	}
	textbuf_reset(&t);
	sync_rule *rule = calloc(1, sizeof *rule);
	char err[256];
	if (rule && mgr_sync_read_rule(m, id, &t) == 0 && t.data &&
	    sync_rule_parse(rs->name, t.data, t.len, rule, err, sizeof err) == 0) {
		mgr_platform *src = mgr_platform_find(m, rule->source_platform);
		mgr_platform *tgt = mgr_platform_find(m, rule->target_platform);
		uint64_t cursor = 0;
		store_txn *txn = NULL;
		if (src && tgt && sync_cursor_get(tgt->store, rule->name, &cursor) == 0 &&
		    store_read_begin(src->store, &txn) == 0) {
			store_iter *it = NULL;
			store_event ev;
			rs->lag_seconds = 0;
			if (store_iter_events(txn, cursor, &it) == 0 && store_iter_next(it, &ev) == 0) {
				int64_t ns = store_now_ns() - ev.time_ns;
				rs->lag_seconds = ns > 0 ? (double)ns / 1e9 : 0;
			}
			store_iter_close(it);
			store_abort(txn);
		}
	}
	free(rule);
	textbuf_reset(&t);
	/* History lines: "TIME ok|failed ...", newest last. */
	if (mgr_sync_read(m, id, MGR_SYNC_HISTORY, &t) == 0 && t.data) {
		for (char *line = t.data; line && *line;) {
			char *nl = strchr(line, '\n');
			char *sp = strchr(line, ' ');
			if (sp && (!nl || sp < nl) && strncmp(sp, " ok ", 4) == 0) {
				double when = parse_time(line);
				if (when >= 0)
					rs->last_success = when;
			}
			line = nl ? nl + 1 : NULL;
		}
	}
	textbuf_free(&t);
	return 0;
}

static void render_sync(mgr *m, struct mgr_metrics *mm, textbuf *out)
{
	uint32_t n = mgr_sync_count(m);
	struct rule_state *rs = calloc(n ? n : 1, sizeof *rs);
	if (!rs) {
		out->failed = true;
		return;
	}
	for (uint32_t id = 1; id <= n; id++)
		if (rule_state(m, id, &rs[id - 1]))
			rs[id - 1].name[0] = '\0';
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{"metafs_sync_runs_total", "Runs of a sync rule.", offsetof(struct named_counters, runs)},
		{"metafs_sync_failures_total", "Runs of a sync rule that failed.",
		 offsetof(struct named_counters, failures)},
		{"metafs_sync_applied_total", "Objects a sync rule wrote to its target.",
		 offsetof(struct named_counters, applied)},
		{"metafs_sync_events_total", "Source log events a sync rule read.",
		 offsetof(struct named_counters, events)},
	};
	for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
		family(out, counters[k].name, "counter", counters[k].help);
		pthread_mutex_lock(&mm->lock);
		for (uint32_t i = 0; i < n; i++) {
			if (!rs[i].name[0])
				continue;
			uint64_t v = 0;
			for (size_t j = 0; j < mm->rules.n; j++)
				if (strcmp(mm->rules.v[j].name, rs[i].name) == 0)
					memcpy(&v, (const char *)&mm->rules.v[j] + counters[k].off, sizeof v);
			sample_u64(out, counters[k].name, "rule", rs[i].name, v);
		}
		pthread_mutex_unlock(&mm->lock);
	}
	family(out, "metafs_sync_lag_events", "gauge",
	       "Source log events a sync rule has not applied (its lag file).");
	for (uint32_t i = 0; i < n; i++)
		if (rs[i].name[0] && rs[i].has_lag)
			sample_u64(out, "metafs_sync_lag_events", "rule", rs[i].name, rs[i].lag_events);
	family(out, "metafs_sync_lag_seconds", "gauge",
	       "Age of the oldest source log event a sync rule has not applied (0: none).");
	for (uint32_t i = 0; i < n; i++)
		if (rs[i].name[0] && rs[i].lag_seconds >= 0)
			sample_seconds(out, "metafs_sync_lag_seconds", "rule", rs[i].name,
				       rs[i].lag_seconds);
	family(out, "metafs_sync_last_success_timestamp_seconds", "gauge",
	       "When a sync rule's last successful run started (seconds since the epoch).");
	for (uint32_t i = 0; i < n; i++)
		if (rs[i].name[0] && rs[i].last_success >= 0)
			sample_seconds(out, "metafs_sync_last_success_timestamp_seconds", "rule",
				       rs[i].name, rs[i].last_success);
	free(rs);
}

/* The keys of a pipeline definition that place its outbox. */
struct outbox_keys {
	char name[STORE_NAME_MAX + 1], state[PATH_MAX], outbox[PATH_MAX];
};

static int outbox_key(void *user, const char *section, const char *key, const char *value)
{
	struct outbox_keys *k = user;
	if (!strcmp(section, "pipeline") && !strcmp(key, "name"))
		snprintf(k->name, sizeof k->name, "%s", value);
	if (!strcmp(section, "pipeline") && !strcmp(key, "state"))
		snprintf(k->state, sizeof k->state, "%s", value);
	if (!strcmp(section, "output") && !strcmp(key, "outbox"))
		snprintf(k->outbox, sizeof k->outbox, "%s", value);
	return 1;
}

/* Messages waiting in pipeline ID's outbox: the .json files of the
 * directory metafs-pipeline spools to when the daemon runs it (its state
 * directory, see run_process in mgr_pipeline.c); -1 when unknown (a
 * relative state key, which names a place under the mount). */
static long outbox_size(mgr *m, uint32_t id, const char *name)
{
	struct outbox_keys *k = calloc(1, sizeof *k);
	textbuf def = TEXTBUF_INIT;
	mgr_principal owner;
	long n = -1;
	if (!k || mgr_pipeline_read_def(m, id, &def) || !def.data || mgr_pipeline_owner(m, id, &owner))
		goto out;
	snprintf(k->name, sizeof k->name, "%s", name);
	snprintf(k->outbox, sizeof k->outbox, "outbox");
	char *copy = strndup(def.data, def.len);
	if (!copy)
		goto out;
	ini_parse_string(copy, outbox_key, k);
	free(copy);
	/* The process starts in the mount, or for another owner in that
	 * owner's directory HOME/pipeline-state/UID, given as ".". */
	char state[PATH_MAX], dir[PATH_MAX];
	bool other = owner.uid != (uint32_t)getuid();
	int w;
	if (k->state[0] == '/')
		w = snprintf(state, sizeof state, "%s", k->state);
	else if (k->state[0] && !other)
		goto out;   /* under the mount, which the manager does not know */
	else if (other)
		w = snprintf(state, sizeof state, "%s/pipeline-state/%u/%s", m->cfg.home, owner.uid,
			     k->state[0] ? k->state : k->name);
	else
		w = snprintf(state, sizeof state, "%s/manager/pipelines/state/%s", m->cfg.home, k->name);
	if (w < 0 || (size_t)w >= sizeof state)
		goto out;
	w = k->outbox[0] == '/' ? snprintf(dir, sizeof dir, "%s", k->outbox)
				: snprintf(dir, sizeof dir, "%s/%s", state, k->outbox);
	if (w < 0 || (size_t)w >= sizeof dir)
		goto out;
	DIR *d = opendir(dir);
	n = 0;
	if (!d)
		goto out;   /* nothing spooled yet */
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		n += de->d_name[0] != '.' && len > 5 && strcmp(de->d_name + len - 5, ".json") == 0;
	}
	closedir(d);
out:
	textbuf_free(&def);
	free(k);
	return n;
}

static void render_pipelines(mgr *m, struct mgr_metrics *mm, textbuf *out)
{
	uint32_t n = mgr_pipeline_count(m);
	char (*names)[STORE_NAME_MAX + 1] = calloc(n ? n : 1, sizeof *names);
	if (!names) {
		out->failed = true;
		return;
	}
	for (uint32_t id = 1; id <= n; id++)
		if (mgr_pipeline_info(m, id, names[id - 1]))
			names[id - 1][0] = '\0';
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{"metafs_pipeline_runs_total", "Runs of a pipeline.", offsetof(struct named_counters, runs)},
		{"metafs_pipeline_failures_total", "Runs of a pipeline that failed or were killed.",
		 offsetof(struct named_counters, failures)},
		{"metafs_pipeline_deliveries_total", "Messages a pipeline's runs posted to its webhook.",
		 offsetof(struct named_counters, delivered)},
		{"metafs_pipeline_delivery_failures_total",
		 "Runs of a pipeline whose message could not be posted and went to its outbox.",
		 offsetof(struct named_counters, delivery_failures)},
	};
	for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
		family(out, counters[k].name, "counter", counters[k].help);
		pthread_mutex_lock(&mm->lock);
		for (uint32_t i = 0; i < n; i++) {
			if (!names[i][0])
				continue;
			uint64_t v = 0;
			for (size_t j = 0; j < mm->pipes.n; j++)
				if (strcmp(mm->pipes.v[j].name, names[i]) == 0)
					memcpy(&v, (const char *)&mm->pipes.v[j] + counters[k].off, sizeof v);
			sample_u64(out, counters[k].name, "pipeline", names[i], v);
		}
		pthread_mutex_unlock(&mm->lock);
	}
	family(out, "metafs_pipeline_outbox_messages", "gauge",
	       "Messages waiting in a pipeline's outbox to be posted again.");
	for (uint32_t i = 0; i < n; i++) {
		long size = names[i][0] ? outbox_size(m, i + 1, names[i]) : -1;
		if (size >= 0)
			sample_u64(out, "metafs_pipeline_outbox_messages", "pipeline", names[i],
				   (uint64_t)size);
	}
	free(names);
}

int mgr_metrics_render(mgr *m, textbuf *out)
{
	struct mgr_metrics *mm = metrics_of(m);
	if (!mm)
		return -ENOMEM;
	render_commits(mm, out);
	render_jobs(m, mm, out);
	render_sync(m, mm, out);
	render_pipelines(m, mm, out);
	return textbuf_error(out);
}
