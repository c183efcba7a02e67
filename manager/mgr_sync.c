/*
 * mgr_sync.c - sync rules in the daemon (see mgr_sync.h).
 */
#include "mgr_sync.h"
#include "mgr_exchange.h"
#include "mgr_pipeline.h"
#include "mgr_int.h"
#include "sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IDLE_MS 60000
#define HISTORY_LINES 100

const char *const mgr_sync_file_names[MGR_SYNC_FILE_COUNT] = {
	"status", "cursor", "lag", "last_run", "history", "diff", "run",
};

struct rule_entry {
	uint32_t id;
	bool deleted;
	sync_rule rule;
	char status[16];            /* idle | running | failed */
	char reason[600];           /* why it failed */
	char last_run[512];
	textbuf history;            /* lines, newest last */
	textbuf last_result;        /* what the last run did (the `run` file) */
	bool run_requested;
	bool full_requested;        /* redefined (masks may differ): compare everything once */
	bool last_fallback;         /* the last run found a gap in the log */
	uint64_t failed_head;       /* source head when it last failed: retry only past it */
	uint64_t runs;              /* completed runs */
	int64_t next_full_ns;       /* next periodic full compare */
	mgr_principal owner;        /* who defined it: runs check their SYNC */
};

struct mgr_syncs {
	mgr *m;
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	struct rule_entry **rules;
	uint32_t nrules, cap;
	pthread_t thread;
	bool running, stopping, kicked;
	char dir[PATH_MAX];
	bool have_key;              /* the exchange key, for rules with masks */
	uint8_t key[SYNC_MASK_KEY_BYTES];
	char key_id[9];
};

/* P as sync sees it; with SS, carrying the exchange key (for apply). */
static sync_platform as_sync(const struct mgr_syncs *ss, const mgr_platform *p)
{
	bool key = ss && ss->have_key;

	return (sync_platform){p->name, p->data_dir, p->store, key ? ss->key : NULL,
			       key ? ss->key_id : NULL};
}

static void save_state(struct mgr_syncs *ss, struct rule_entry *r)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s.state", ss->dir, r->rule.name);
	textbuf t = TEXTBUF_INIT;
	textbuf_printf(&t, "owner: %u:%u\n", r->owner.uid, r->owner.gid);
	textbuf_printf(&t, "last_run: %s\n", r->last_run);
	if (r->history.len)
		textbuf_append(&t, r->history.data, r->history.len);
	if (textbuf_error(&t) == 0)
		mgr_state_replace(path, t.data ? t.data : "", t.len);
	textbuf_free(&t);
}

/* Restore the history (and last run) a previous daemon saved. */
static void load_state(struct mgr_syncs *ss, struct rule_entry *r)
{
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s.state", ss->dir, r->rule.name);
	textbuf t = TEXTBUF_INIT;
	r->owner.uid = (uint32_t)getuid();   /* older states have no owner: the daemon's */
	r->owner.gid = (uint32_t)getgid();
	if (mgr_state_read(path, &t) == 0 && t.data) {
		const char *s = t.data;
		unsigned uid, gid;
		if (sscanf(s, "owner: %u:%u", &uid, &gid) == 2 && strchr(s, '\n')) {
			r->owner.uid = uid;
			r->owner.gid = gid;
			s = strchr(s, '\n') + 1;
		}
		const char *nl = strchr(s, '\n');
		if (nl && !strncmp(s, "last_run: ", 10)) {
			snprintf(r->last_run, sizeof r->last_run, "%.*s", (int)(nl - s - 10), s + 10);
			textbuf_puts(&r->history, nl + 1);
		}
	}
	textbuf_free(&t);
}

static struct rule_entry *find_locked(struct mgr_syncs *ss, const char *name)
{
	for (uint32_t i = 0; i < ss->nrules; i++)
		if (!ss->rules[i]->deleted && !strcmp(ss->rules[i]->rule.name, name))
			return ss->rules[i];
	return NULL;
}

static struct rule_entry *by_id_locked(struct mgr_syncs *ss, uint32_t id)
{
	return id >= 1 && id <= ss->nrules && !ss->rules[id - 1]->deleted ? ss->rules[id - 1] : NULL;
}

/* Add or replace rule R (its name) in the table. */
static int install_locked(struct mgr_syncs *ss, const sync_rule *rule)
{
	struct rule_entry *r = find_locked(ss, rule->name);
	if (r) {
		r->rule = *rule;
		r->next_full_ns = 0;
		/* The mirrors' schemas and mask properties may have to change
		 * although the source did not. */
		r->full_requested = true;
		return 0;
	}
	if (ss->nrules == ss->cap) {
		uint32_t cap = ss->cap ? ss->cap * 2 : 16;
		struct rule_entry **p = realloc(ss->rules, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		ss->rules = p;
		ss->cap = cap;
	}
	r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->id = ss->nrules + 1;
	r->rule = *rule;
	r->full_requested = rule->masks.n > 0;   /* the key or policy may differ from the mirrors' */
	snprintf(r->status, sizeof r->status, "idle");
	snprintf(r->last_run, sizeof r->last_run, "never");
	ss->rules[ss->nrules++] = r;
	load_state(ss, r);
	return 0;
}

/* ---- running a rule ---------------------------------------------------------------- */

static void history_add(struct rule_entry *r, const char *line)
{
	textbuf_puts(&r->history, line);
	textbuf_puts(&r->history, "\n");
	/* Keep the newest HISTORY_LINES lines. */
	unsigned lines = 0;
	for (size_t i = 0; i < r->history.len; i++)
		lines += r->history.data[i] == '\n';
	while (lines > HISTORY_LINES) {
		char *nl = memchr(r->history.data, '\n', r->history.len);
		size_t cut = (size_t)(nl - r->history.data) + 1;
		memmove(r->history.data, r->history.data + cut, r->history.len - cut + 1);
		r->history.len -= cut;
		lines--;
	}
}

/* The objects a rule needs SYNC on: its source (the database, or the
 * platform when the database part is a glob) and its target platform. */
static void rule_objects(const sync_rule *rule, mgr_object *source, mgr_object *target)
{
	bool glob = strpbrk(rule->source_db, "*?[") != NULL;
	*source = (mgr_object){glob ? MGR_OBJ_PLATFORM : MGR_OBJ_DATABASE, rule->source_platform,
			       glob ? NULL : rule->source_db, NULL};
	*target = (mgr_object){MGR_OBJ_PLATFORM, rule->target_platform, NULL, NULL};
}

/* Does the rule's owner still hold SYNC on both ends?  -EACCES with the
 * reason in WHY otherwise (audited). */
static int owner_check(mgr *m, const mgr_principal *owner, const sync_rule *rule, char *why,
		       size_t cap)
{
	mgr_object ends[2];
	rule_objects(rule, &ends[0], &ends[1]);
	for (int i = 0; i < 2; i++) {
		if (mgr_access_holds(m, owner, MGR_PRIV_SYNC, &ends[i]))
			continue;
		char path[3 * (STORE_NAME_MAX + 1) + 2];
		mgr_object_path(&ends[i], path, sizeof path);
		snprintf(why, cap, "permission denied: the rule's owner (uid %u) lacks SYNC on %s",
			 owner->uid, path);
		mgr_audit(m, owner->uid, "sync", path, false, MGR_PRIV_SYNC, why);
		return -EACCES;
	}
	return 0;
}

static void run_rule(struct mgr_syncs *ss, struct rule_entry *r, bool full)
{
	mgr *m = ss->m;
	sync_rule rule = r->rule;
	mgr_principal owner = r->owner;
	snprintf(r->status, sizeof r->status, "running");
	pthread_mutex_unlock(&ss->lock);

	mgr_platform *src = mgr_platform_find(m, rule.source_platform);
	mgr_platform *tgt = mgr_platform_find(m, rule.target_platform);
	sync_result res;
	memset(&res, 0, sizeof res);
	int rc;
	int64_t t0 = store_now_ns();
	if (!src || !tgt) {
		rc = -ENOENT;
	} else if ((rc = owner_check(m, &owner, &rule, res.conflict, sizeof res.conflict))) {
		/* nothing is applied for an owner who lost SYNC */
	} else {
		sync_platform s = as_sync(ss, src), t = as_sync(ss, tgt);
		rc = sync_rule_apply(&rule, &s, &t, full, false, NULL, &res);
	}
	double ms = (double)(store_now_ns() - t0) / 1e6;
	char when[40];
	mgr_format_time(t0, when);
	char line[1024];
	snprintf(line, sizeof line, "%s %s %s applied=%llu dropped=%llu unchanged=%llu skipped=%llu "
		 "events=%llu cursor=%llu duration_ms=%.3f%s%s", when, rc ? "failed" : "ok",
		 res.full_compare ? "full" : "incremental", (unsigned long long)res.applied,
		 (unsigned long long)res.dropped, (unsigned long long)res.unchanged,
		 (unsigned long long)res.conflicts_skipped, (unsigned long long)res.events_read,
		 (unsigned long long)res.cursor, ms, rc ? " error=" : "",
		 rc ? (res.conflict[0] ? res.conflict : !src || !tgt ? "unknown platform" : store_strerror(rc)) : "");

	pthread_mutex_lock(&ss->lock);
	if (rc) {
		r->failed_head = res.source_head;
		snprintf(r->status, sizeof r->status, "failed");
		snprintf(r->reason, sizeof r->reason, "%s",
			 res.conflict[0] ? res.conflict
			 : !src || !tgt ? "the source or target platform is not configured"
					: store_strerror(rc));
		mgr_log(MGR_LOG_WARN, "sync rule %s failed: %s", rule.name, r->reason);
	} else {
		snprintf(r->status, sizeof r->status, "idle");
		r->reason[0] = '\0';
		r->failed_head = 0;
	}
	snprintf(r->last_run, sizeof r->last_run, "%s", line);
	history_add(r, line);
	textbuf_reset(&r->last_result);
	textbuf_printf(&r->last_result, "%s\n", line);
	if (res.full_compare && !full)
		textbuf_puts(&r->last_result, "note: the source log no longer reached the cursor: fell back "
					      "to a full compare by etag\n");
	/* The note stays until a run that had work to do read the log without a gap. */
	if (rc == 0 && (res.events_read || res.full_compare))
		r->last_fallback = res.full_compare && !full;
	r->runs++;
	save_state(ss, r);
	pthread_cond_broadcast(&ss->done);
	if (rc == 0 && (res.applied || res.dropped || res.events_read)) {
		/* Activation, without the sync lock: the pipelines' lock is never
		 * taken under it (see the lock order in manager.h). */
		pthread_mutex_unlock(&ss->lock);
		mgr_pipelines_notify(m, rule.target_platform);
		pthread_mutex_lock(&ss->lock);
	}
}

/* Does R have work: its source log moved past its cursor (and, after a
 * failure, past where it was then: a failed rule is not retried in a loop)? */
static bool has_news(mgr *m, const sync_rule *rule, uint64_t failed_head)
{
	mgr_platform *src = mgr_platform_find(m, rule->source_platform);
	mgr_platform *tgt = mgr_platform_find(m, rule->target_platform);
	if (!src || !tgt)
		return false;
	uint64_t head = 0, cursor = 0;
	store_txn *txn = NULL;
	if (store_read_begin(src->store, &txn) == 0) {
		store_event_head(txn, &head);
		store_abort(txn);
	}
	if (sync_cursor_get(tgt->store, rule->name, &cursor))
		return false;
	return head > cursor && head > failed_head;
}

/* Milliseconds until the next periodic full compare is due (at most
 * IDLE_MS, a safety net: nothing is expected to need it). */
static long next_full_ms(struct mgr_syncs *ss)
{
	int64_t now = store_now_ns(), wait = (int64_t)IDLE_MS * 1000000;
	for (uint32_t i = 0; i < ss->nrules; i++) {
		struct rule_entry *r = ss->rules[i];
		if (!r->deleted && r->rule.interval_ms && r->next_full_ns - now < wait)
			wait = r->next_full_ns - now;
	}
	return wait <= 0 ? 1 : (long)((wait + 999999) / 1000000);
}

static void *scheduler_main(void *arg)
{
	struct mgr_syncs *ss = arg;
	pthread_mutex_lock(&ss->lock);
	while (!ss->stopping) {
		int64_t now = store_now_ns();
		for (uint32_t i = 0; i < ss->nrules && !ss->stopping; i++) {
			struct rule_entry *r = ss->rules[i];
			if (r->deleted)
				continue;
			bool full = (r->rule.interval_ms && now >= r->next_full_ns) || r->full_requested;
			bool asked = r->run_requested;
			sync_rule rule = r->rule;
			uint64_t failed_head = r->failed_head;
			pthread_mutex_unlock(&ss->lock);
			bool news = !full && !asked && has_news(ss->m, &rule, failed_head);
			pthread_mutex_lock(&ss->lock);
			if (!(full || asked || news) || r->deleted)
				continue;
			/* A failed rule is retried when there is something new, not in a loop. */
			r->run_requested = false;
			r->full_requested = false;
			if (full)
				r->next_full_ns = now + (int64_t)r->rule.interval_ms * 1000000;
			run_rule(ss, r, full);
		}
		if (ss->stopping)
			break;
		if (!ss->kicked) {
			/* Woken when a log moves (the change-log follower, mgr_daemon.c), a
			 * rule is defined or a run is asked for; otherwise only a periodic
			 * full compare can be due. */
			struct timespec until;
			mgr_deadline(&until, next_full_ms(ss));
			pthread_cond_timedwait(&ss->wake, &ss->lock, &until);
		}
		ss->kicked = false;
	}
	pthread_mutex_unlock(&ss->lock);
	return NULL;
}

/* ---- the interface ------------------------------------------------------------------ */

int mgr_sync_start(mgr *m)
{
	struct mgr_syncs *ss = calloc(1, sizeof *ss);
	if (!ss)
		return -ENOMEM;
	ss->m = m;
	pthread_mutex_init(&ss->lock, NULL);
	pthread_cond_init(&ss->wake, NULL);
	pthread_cond_init(&ss->done, NULL);
	snprintf(ss->dir, sizeof ss->dir, "%s/manager/sync", m->cfg.home);
	m->syncs = ss;
	int rc = mgr_mkdirs(ss->dir, 0755);
	if (rc)
		return rc;
	char keypath[PATH_MAX + 32], kerr[512] = "";
	snprintf(keypath, sizeof keypath, "%s/" MGR_EXCHANGE_KEY, m->cfg.home);
	mgr_exchange_clean(m);
	if (sync_mask_key_load(keypath, ss->key, ss->key_id, kerr, sizeof kerr) == 0)
		ss->have_key = true;
	else
		mgr_log(MGR_LOG_WARN, "no exchange key: rules with masks will fail: %s", kerr);
	DIR *d = opendir(ss->dir);
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 5 || strcmp(de->d_name + n - 5, ".rule") || de->d_name[0] == '.')
			continue;
		char name[STORE_NAME_MAX + 1], path[PATH_MAX + 300], err[512];
		snprintf(name, sizeof name, "%.*s", (int)(n - 5), de->d_name);
		snprintf(path, sizeof path, "%s/%s", ss->dir, de->d_name);
		textbuf t = TEXTBUF_INIT;
		sync_rule rule;
		if (mgr_state_read(path, &t) == 0 &&
		    sync_rule_parse(name, t.data ? t.data : "", t.len, &rule, err, sizeof err) == 0)
			install_locked(ss, &rule);
		else
			mgr_log(MGR_LOG_WARN, "ignoring sync rule %s: %s", path, err);
		textbuf_free(&t);
	}
	closedir(d);
	if (pthread_create(&ss->thread, NULL, scheduler_main, ss))
		return -EAGAIN;
	ss->running = true;
	return 0;
}

void mgr_sync_stop(mgr *m)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return;
	pthread_mutex_lock(&ss->lock);
	ss->stopping = true;
	pthread_cond_broadcast(&ss->wake);
	pthread_cond_broadcast(&ss->done);
	pthread_mutex_unlock(&ss->lock);
	if (ss->running)
		pthread_join(ss->thread, NULL);
	for (uint32_t i = 0; i < ss->nrules; i++) {
		textbuf_free(&ss->rules[i]->history);
		textbuf_free(&ss->rules[i]->last_result);
		free(ss->rules[i]);
	}
	free(ss->rules);
	pthread_mutex_destroy(&ss->lock);
	pthread_cond_destroy(&ss->wake);
	pthread_cond_destroy(&ss->done);
	free(ss);
	m->syncs = NULL;
}

void mgr_sync_kick(mgr *m)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return;
	pthread_mutex_lock(&ss->lock);
	ss->kicked = true;
	pthread_cond_signal(&ss->wake);
	pthread_mutex_unlock(&ss->lock);
}

/* May WHO define RULE (replacing what NAME is now)?  Audited. */
static int define_check(struct mgr_syncs *ss, const mgr_principal *who, const sync_rule *rule,
			char *err, size_t errlen)
{
	mgr *m = ss->m;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "/sync/%s.rule", rule->name);
	pthread_mutex_lock(&ss->lock);
	struct rule_entry *old = find_locked(ss, rule->name);
	bool other = old && old->owner.uid != who->uid;
	pthread_mutex_unlock(&ss->lock);
	mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	if (other && mgr_authorize(m, who, MGR_PRIV_ADMIN, &all, "sync", path)) {
		snprintf(err, errlen, "permission denied: the rule belongs to another user");
		return -EACCES;
	}
	mgr_object ends[2];
	rule_objects(rule, &ends[0], &ends[1]);
	for (int i = 0; i < 2; i++)
		if (mgr_authorize(m, who, MGR_PRIV_SYNC, &ends[i], "sync", NULL)) {
			char obj[3 * (STORE_NAME_MAX + 1) + 2];
			mgr_object_path(&ends[i], obj, sizeof obj);
			snprintf(err, errlen, "permission denied: SYNC is needed on %s", obj);
			return -EACCES;
		}
	return 0;
}

int mgr_sync_define_as(mgr *m, const mgr_principal *who, const char *name, const char *text,
		       size_t len, char *err, size_t errlen)
{
	struct mgr_syncs *ss = m->syncs;
	sync_rule rule;
	if (!ss)
		return -ENOTSUP;
	int rc = sync_rule_parse(name, text, len, &rule, err, errlen);
	if (rc == 0 && !mgr_platform_find(m, rule.source_platform)) {
		snprintf(err, errlen, "unknown source platform \"%s\"", rule.source_platform);
		rc = -EINVAL;
	}
	if (rc == 0 && !mgr_platform_find(m, rule.target_platform)) {
		snprintf(err, errlen, "unknown target platform \"%s\"", rule.target_platform);
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = define_check(ss, who, &rule, err, errlen);
	if (rc) {
		mgr_log(MGR_LOG_WARN, "refused sync rule %s: %s", name, err);
		return rc;
	}
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s.rule", ss->dir, name);
	if ((rc = mgr_state_replace(path, text, len)))
		return rc;
	pthread_mutex_lock(&ss->lock);
	rc = install_locked(ss, &rule);
	struct rule_entry *r = rc == 0 ? find_locked(ss, name) : NULL;
	if (r) {
		r->owner = *who;
		save_state(ss, r);
	}
	ss->kicked = true;
	pthread_cond_signal(&ss->wake);
	pthread_mutex_unlock(&ss->lock);
	mgr_log(MGR_LOG_INFO, "sync rule %s defined", name);
	return rc;
}

int mgr_sync_delete(mgr *m, const char *name)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return -ENOENT;
	pthread_mutex_lock(&ss->lock);
	struct rule_entry *r = find_locked(ss, name);
	if (r)
		r->deleted = true;
	pthread_mutex_unlock(&ss->lock);
	if (!r)
		return -ENOENT;
	char path[PATH_MAX + 300];
	snprintf(path, sizeof path, "%s/%s.rule", ss->dir, name);
	unlink(path);
	snprintf(path, sizeof path, "%s/%s.state", ss->dir, name);
	unlink(path);
	return 0;
}

uint32_t mgr_sync_count(mgr *m)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return 0;
	pthread_mutex_lock(&ss->lock);
	uint32_t n = ss->nrules;
	pthread_mutex_unlock(&ss->lock);
	return n;
}

/* The name and the owner (each when not NULL) of rule ID. */
static int lookup_by_id(mgr *m, uint32_t id, char name[STORE_NAME_MAX + 1], mgr_principal *owner)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return -ENOENT;
	pthread_mutex_lock(&ss->lock);
	struct rule_entry *r = by_id_locked(ss, id);
	if (r && name)
		memcpy(name, r->rule.name, STORE_NAME_MAX + 1);
	if (r && owner)
		*owner = r->owner;
	pthread_mutex_unlock(&ss->lock);
	return r ? 0 : -ENOENT;
}

int mgr_sync_info(mgr *m, uint32_t id, char name[STORE_NAME_MAX + 1])
{
	return lookup_by_id(m, id, name, NULL);
}

int mgr_sync_owner(mgr *m, uint32_t id, mgr_principal *owner)
{
	return lookup_by_id(m, id, NULL, owner);
}

int mgr_sync_find(mgr *m, const char *name, uint32_t *id)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return -ENOENT;
	pthread_mutex_lock(&ss->lock);
	struct rule_entry *r = find_locked(ss, name);
	if (r)
		*id = r->id;
	pthread_mutex_unlock(&ss->lock);
	return r ? 0 : -ENOENT;
}

int mgr_sync_read_rule(mgr *m, uint32_t id, textbuf *out)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return -ENOENT;
	pthread_mutex_lock(&ss->lock);
	struct rule_entry *r = by_id_locked(ss, id);
	if (r)
		sync_rule_format(&r->rule, out);
	pthread_mutex_unlock(&ss->lock);
	return r ? textbuf_error(out) : -ENOENT;
}

int mgr_sync_read(mgr *m, uint32_t id, mgr_sync_file file, textbuf *out)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return -ENOENT;
	pthread_mutex_lock(&ss->lock);
	struct rule_entry *r = by_id_locked(ss, id);
	sync_rule rule;
	if (r) {
		rule = r->rule;
		switch (file) {
		case MGR_SYNC_STATUS:
			textbuf_printf(out, "%s\n", r->status);
			if (r->reason[0])
				textbuf_printf(out, "reason: %s\n", r->reason);
			if (r->last_fallback)
				textbuf_puts(out, "note: the source log no longer reached the cursor; the last run "
						  "fell back to a full compare by etag\n");
			textbuf_printf(out, "source: %s.%s.%s\ntarget: %s\nlast_run: %s\nowner: %u\n",
				       rule.source_platform, rule.source_db, rule.source_table,
				       rule.target_platform, r->last_run, r->owner.uid);
			break;
		case MGR_SYNC_LAST_RUN:
			textbuf_printf(out, "%s\n", r->last_run);
			break;
		case MGR_SYNC_HISTORY:
			if (r->history.len)
				textbuf_append(out, r->history.data, r->history.len);
			break;
		default:
			break;
		}
	}
	pthread_mutex_unlock(&ss->lock);
	if (!r)
		return -ENOENT;
	mgr_platform *src = mgr_platform_find(m, rule.source_platform);
	mgr_platform *tgt = mgr_platform_find(m, rule.target_platform);
	if ((file == MGR_SYNC_CURSOR || file == MGR_SYNC_LAG || file == MGR_SYNC_DIFF) && (!src || !tgt))
		return -ENOENT;
	uint64_t cursor = 0, head = 0;
	if (file == MGR_SYNC_CURSOR || file == MGR_SYNC_LAG) {
		int rc = sync_cursor_get(tgt->store, rule.name, &cursor);
		store_txn *txn = NULL;
		if (rc == 0 && (rc = store_read_begin(src->store, &txn)) == 0) {
			rc = store_event_head(txn, &head);
			store_abort(txn);
		}
		if (rc)
			return rc;
		textbuf_printf(out, "%llu\n", (unsigned long long)(file == MGR_SYNC_CURSOR ? cursor
							   : head > cursor ? head - cursor : 0));
	} else if (file == MGR_SYNC_DIFF) {
		sync_platform s = as_sync(ss, src), t = as_sync(ss, tgt);
		sync_result res;
		int rc = sync_rule_apply(&rule, &s, &t, false, true, out, &res);
		if (rc && res.conflict[0])
			textbuf_printf(out, "conflict: %s\n", res.conflict);
		else if (rc)
			return rc;
	}
	return textbuf_error(out);
}

int mgr_sync_run_now(mgr *m, uint32_t id, bool (*stop)(void *ctx), void *ctx, textbuf *out)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return -ENOENT;
	int rc = 0;
	pthread_mutex_lock(&ss->lock);
	struct rule_entry *r = by_id_locked(ss, id);
	if (!r) {
		pthread_mutex_unlock(&ss->lock);
		return -ENOENT;
	}
	uint64_t target = r->runs + 1;
	if (!strcmp(r->status, "running"))
		target++;   /* the run under way may have started before the request */
	r->run_requested = true;
	ss->kicked = true;
	pthread_cond_signal(&ss->wake);
	while (r->runs < target) {
		if (ss->stopping || (stop && stop(ctx))) {
			rc = -EINTR;
			break;
		}
		struct timespec until;
		mgr_deadline(&until, 100);
		pthread_cond_timedwait(&ss->done, &ss->lock, &until);
	}
	if (rc == 0) {
		textbuf_printf(out, "%s\n", r->status);
		if (r->reason[0])
			textbuf_printf(out, "reason: %s\n", r->reason);
		if (r->last_result.len)
			textbuf_append(out, r->last_result.data, r->last_result.len);
	}
	pthread_mutex_unlock(&ss->lock);
	return rc ? rc : textbuf_error(out);
}

bool mgr_is_mirror(const store_table *t)
{
	return sync_table_property(t, SYNC_PROP_PREFIX "source", NULL) != NULL;
}

bool mgr_mirror_maintained(mgr *m, const store_table *t)
{
	size_t len = 0;
	const char *rule = sync_table_property(t, SYNC_PROP_PREFIX "rule", &len);
	if (!rule || len > STORE_NAME_MAX)
		return false;
	/* Only while its rule exists: once the rule is removed, the table is an
	 * ordinary one again, which its owner may change or drop. */
	char name[STORE_NAME_MAX + 1];
	uint32_t id;
	snprintf(name, sizeof name, "%.*s", (int)len, rule);
	return mgr_sync_find(m, name, &id) == 0;
}

int mgr_mirror_source(mgr *m, const store_table *t, mgr_platform **source, store_table *st)
{
	size_t len = 0;
	const char *src = sync_table_property(t, SYNC_PROP_PREFIX "source", &len);
	const char *sid = sync_table_property(t, SYNC_PROP_PREFIX "source_id", NULL);
	if (!src || len >= 3 * (STORE_NAME_MAX + 1))
		return -ENOENT;
	char spec[3 * (STORE_NAME_MAX + 1)];
	snprintf(spec, sizeof spec, "%.*s", (int)len, src);
	char *db = strchr(spec, '.');
	char *table = db ? strchr(db + 1, '.') : NULL;
	if (!db || !table)
		return -ENOENT;
	*db++ = '\0';
	*table++ = '\0';
	mgr_platform *p = mgr_platform_find(m, spec);
	if (!p)
		return -ENOENT;
	store_txn *txn = NULL;
	int rc = store_read_begin(p->store, &txn);
	if (rc == 0)
		rc = store_table_get(txn, db, table, st);
	store_abort(txn);
	if (rc == 0 && sid && strtoull(sid, NULL, 10) != st->id) {
		store_table_clear(st);
		rc = -ENOENT;   /* dropped and re-created: not what this mirror reflects */
	}
	if (rc == 0)
		*source = p;
	return rc;
}

int mgr_refresh(mgr *m, mgr_platform *p, const store_table *t, uint64_t since, textbuf *out)
{
	sync_platform all[MGR_MAX_PLATFORMS];
	for (unsigned i = 0; i < m->nplatforms; i++)
		all[i] = as_sync(NULL, &m->platforms[i]);
	const sync_platform *src = sync_source_of(t, all, m->nplatforms);
	if (!src)
		return -ENOENT;
	return sync_refresh(t, p->name, src, since, out);
}

int mgr_sync_exchange_rule(mgr *m, const char *source, const char *target, const char *db,
			   const char *table, char name[STORE_NAME_MAX + 1])
{
	struct mgr_syncs *ss = m->syncs;
	int rc = -ENOENT;
	if (!ss)
		return rc;
	pthread_mutex_lock(&ss->lock);
	for (uint32_t i = 0; i < ss->nrules && rc; i++) {
		const sync_rule *r = &ss->rules[i]->rule;
		if (ss->rules[i]->deleted || (!r->masks.n && !r->ndrop) ||
		    strcmp(r->source_platform, source) || strcmp(r->target_platform, target) ||
		    !sync_rule_matches(r, db, table))
			continue;
		memcpy(name, r->name, STORE_NAME_MAX + 1);
		rc = 0;
	}
	pthread_mutex_unlock(&ss->lock);
	return rc;
}
