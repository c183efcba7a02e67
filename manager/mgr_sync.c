/*
 * mgr_sync.c - sync rules in the daemon (see mgr_sync.h).
 */
#include "mgr_sync.h"
#include "mgr_exchange.h"
#include "mgr_pipeline.h"
#include "mgr_int.h"
#include "mgr_registry.h"
#include "sync.h"

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
	mgr_reg_entry base;         /* first: name, state, runs and owner, kept by the registry */
	sync_rule rule;
	char reason[600];           /* why it failed */
	char last_run[512];
	textbuf history;            /* lines, newest last */
	textbuf last_result;        /* what the last run did (the `run` file) */
	bool run_requested;
	bool full_requested;        /* redefined (masks may differ): compare everything once */
	bool last_fallback;         /* the last run found a gap in the log */
	uint64_t failed_head;       /* source head when it last failed: retry only past it */
	int64_t next_full_ns;       /* next periodic full compare */
};

struct mgr_syncs {
	mgr *m;
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	mgr_registry reg;           /* the rules, under LOCK */
	pthread_t thread;
	bool running, stopping, kicked;
	bool have_key;              /* the exchange key, for rules with masks */
	uint8_t key[SYNC_MASK_KEY_BYTES];
	char key_id[9];
};

/* A rule dropped DB (or DB.TABLE) of platform ARG: its grants go first. */
static int sync_dropping(void *arg, const char *db, const char *table)
{
	mgr_platform *p = arg;
	mgr_object o = {table ? MGR_OBJ_TABLE : MGR_OBJ_DATABASE, p->name, db, table};

	return mgr_grants_drop_object(p->mgr, &o);
}

/* P as sync sees it; with SS, carrying the exchange key (for apply). */
static sync_platform as_sync(const struct mgr_syncs *ss, const mgr_platform *p)
{
	bool key = ss && ss->have_key;

	return (sync_platform){p->name, p->data_dir, p->store, key ? ss->key : NULL,
			       key ? ss->key_id : NULL, sync_dropping, (void *)p};
}

/* Rule number I + 1, deleted or not (the lock held). */
static struct rule_entry *rule_at(struct mgr_syncs *ss, uint32_t i)
{
	return (struct rule_entry *)ss->reg.entries[i];
}

/* ---- running a rule ---------------------------------------------------------------- */

/* The platforms other than RULE's target that still hold its work (its
 * targets before `target` changed): bit I for m->platforms[I]. */
static unsigned stale_targets(mgr *m, const sync_rule *rule)
{
	unsigned bits = 0;
	for (unsigned i = 0; i < m->nplatforms; i++) {
		bool stale = false;
		if (strcmp(m->platforms[i].name, rule->target_platform) != 0 &&
		    sync_rule_stale(m->platforms[i].store, rule->name, &stale) == 0 && stale)
			bits |= 1u << i;
	}
	return bits;
}

/* Retire RULE from the platforms in STALE (with DRY_RUN, what it would do
 * into DIFF); the objects dropped are added to *DROPPED.  Databases the rule
 * made that hold others' tables are logged. */
static int retire_stale(struct mgr_syncs *ss, const sync_rule *rule, unsigned stale, bool dry_run,
			textbuf *diff, uint64_t *dropped, char *why, size_t cap)
{
	mgr *m = ss->m;
	int rc = 0;
	for (unsigned i = 0; i < m->nplatforms && rc == 0; i++) {
		if (!(stale & 1u << i))
			continue;
		sync_platform old = as_sync(ss, &m->platforms[i]);
		sync_result res;
		rc = sync_rule_retire(rule, &old, dry_run, diff, &res);
		if (dropped)
			*dropped += res.dropped;
		if (rc && why)
			base_msg_format(why, cap, "removing the rule's mirrors from %s, its former "
				 "target: %s", old.name, store_strerror(rc));
		if (!dry_run && res.kept_dbs)
			mgr_log(MGR_LOG_WARN, "sync rule %s: database%s %s on %s, made by the rule, "
				"hold%s tables it did not make: left in place", rule->name,
				res.kept_dbs > 1 ? "s" : "", res.kept, old.name, res.kept_dbs > 1 ? "" : "s");
		if (rc == 0 && !dry_run)
			mgr_log(MGR_LOG_INFO, "sync rule %s: its mirrors on %s, its former target, "
				"are removed (%llu objects)", rule->name, old.name,
				(unsigned long long)res.dropped);
	}
	return rc;
}

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

/* What a rule's owner must hold, on what: SYNC on both ends; to adopt a
 * target database, ADMIN on it, then SELECT on the source (the mirrors in
 * it are open to the database's owner and admins); for on_conflict =
 * overwrite, which takes tables of others, ADMIN on the target platform.
 * OUT has room for 3 + SYNC_MAX_ADOPT; returns how many. */
static unsigned rule_needs(const sync_rule *rule, unsigned *privs, mgr_object *out,
			   const char **what)
{
	unsigned n = 2;
	rule_objects(rule, &out[0], &out[1]);
	privs[0] = privs[1] = MGR_PRIV_SYNC;
	what[0] = what[1] = "";
	for (unsigned i = 0; i < rule->nadopt; i++) {
		privs[n] = MGR_PRIV_ADMIN;
		what[n] = " to adopt it";
		out[n++] = (mgr_object){MGR_OBJ_DATABASE, rule->target_platform, rule->adopt[i], NULL};
	}
	if (rule->nadopt) {
		privs[n] = MGR_PRIV_SELECT;
		what[n] = " to adopt a target database";
		out[n++] = out[0];
	}
	if (rule->on_conflict == SYNC_CONFLICT_OVERWRITE) {
		privs[n] = MGR_PRIV_ADMIN;
		what[n] = " for on_conflict = overwrite";
		out[n++] = out[1];
	}
	return n;
}

#define RULE_NEEDS_MAX (3 + SYNC_MAX_ADOPT)

/* Does the rule's owner still hold what the rule needs (rule_needs)?
 * -EACCES with the reason in WHY otherwise (audited). */
static int owner_check(mgr *m, const mgr_principal *owner, const sync_rule *rule, char *why,
		       size_t cap)
{
	mgr_object need[RULE_NEEDS_MAX];
	unsigned privs[RULE_NEEDS_MAX];
	const char *what[RULE_NEEDS_MAX];
	unsigned n = rule_needs(rule, privs, need, what);
	for (unsigned i = 0; i < n; i++) {
		if (mgr_access_holds(m, owner, privs[i], &need[i]))
			continue;
		char path[3 * (STORE_NAME_MAX + 1) + 2];
		mgr_object_path(&need[i], path, sizeof path);
		base_msg_format(why, cap, "permission denied: the rule's owner (uid %u) lacks %s on %s%s",
			 owner->uid, mgr_priv_name(privs[i]), path, what[i]);
		mgr_audit(m, owner->uid, "sync", path, false, privs[i], why);
		return -EACCES;
	}
	return 0;
}

static void run_rule(struct mgr_syncs *ss, struct rule_entry *r, bool full)
{
	mgr *m = ss->m;
	sync_rule rule = r->rule;
	mgr_principal owner = r->base.owner;
	uint32_t log_was = mgr_log_set_uid(owner.uid);   /* the run's lines are its owner's */
	r->base.state = MGR_REG_RUNNING;
	pthread_mutex_unlock(&ss->lock);

	mgr_platform *src = mgr_platform_find(m, rule.source_platform);
	mgr_platform *tgt = mgr_platform_find(m, rule.target_platform);
	sync_result res;
	memset(&res, 0, sizeof res);
	int rc;
	int64_t t0 = store_now_ns();
	unsigned stale = 0;
	uint64_t retired = 0;
	if (!src || !tgt) {
		rc = -ENOENT;
	} else if ((rc = owner_check(m, &owner, &rule, res.conflict, sizeof res.conflict))) {
		/* nothing is applied for an owner who lost SYNC */
	} else {
		sync_platform s = as_sync(ss, src), t = as_sync(ss, tgt);
		rc = sync_rule_apply(&rule, &s, &t, full, false, NULL, &res);
		if (res.kept_dbs)
			mgr_log(MGR_LOG_WARN, "sync rule %s: database%s %s on %s, made by the rule, "
				"hold%s tables it did not make: left in place", rule.name,
				res.kept_dbs > 1 ? "s" : "", res.kept, tgt->name,
				res.kept_dbs > 1 ? "" : "s");
		/* A former target is emptied once the target holds the mirrors. */
		if (rc == 0 && (stale = stale_targets(m, &rule)))
			rc = retire_stale(ss, &rule, stale, false, NULL, &retired, res.conflict,
					  sizeof res.conflict);
		res.dropped += retired;
	}
	double ms = (double)(store_now_ns() - t0) / 1e6;
	mgr_metrics_sync_run(m, rule.name, rc, res.applied, res.events_read);
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
		r->base.state = MGR_REG_FAILED;
		snprintf(r->reason, sizeof r->reason, "%s",
			 res.conflict[0] ? res.conflict
			 : !src || !tgt ? "the source or target platform is not configured"
					: store_strerror(rc));
		mgr_log(MGR_LOG_WARN, "sync rule %s failed: %s", rule.name, r->reason);
	} else {
		r->base.state = MGR_REG_IDLE;
		r->reason[0] = '\0';
		r->failed_head = 0;
	}
	base_msg_format(r->last_run, sizeof r->last_run, "%s", line);
	history_add(r, line);
	textbuf_reset(&r->last_result);
	textbuf_printf(&r->last_result, "%s\n", line);
	bool fell_back = res.full_compare && !full && !res.redefined;
	if (fell_back)
		textbuf_puts(&r->last_result, "note: the source log no longer reached the cursor: fell back "
					      "to a full compare by etag\n");
	if (res.redefined)
		textbuf_puts(&r->last_result, "note: the rule's definition changed: a full compare applied "
					      "it\n");
	if (stale && rc == 0)
		textbuf_puts(&r->last_result, "note: the rule's target changed: its mirrors on the former "
					      "target were removed\n");
	/* The note stays until a run that had work to do read the log without a gap. */
	if (rc == 0 && (res.events_read || res.full_compare))
		r->last_fallback = fell_back;
	r->base.runs++;
	mgr_registry_save_locked(&ss->reg, &r->base);
	pthread_cond_broadcast(&ss->done);
	if (rc == 0 && (res.applied || res.dropped || res.events_read)) {
		/* Activation, without the sync lock: the pipelines' lock is never
		 * taken under it (see the lock order in manager.h). */
		pthread_mutex_unlock(&ss->lock);
		mgr_pipelines_notify(m, rule.target_platform);
		pthread_mutex_lock(&ss->lock);
	}
	mgr_log_set_uid(log_was);
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
	if (head > cursor && head > failed_head)
		return true;
	/* A changed definition not yet applied (one cut short by a crash, say),
	 * or mirrors left on a former target, is work although the source did
	 * not move. */
	bool pending = false;
	if (failed_head != 0)
		return false;
	if (sync_rule_pending(rule, tgt->store, &pending) == 0 && pending)
		return true;
	return stale_targets(m, rule) != 0;
}

/* Milliseconds until the next periodic full compare is due (at most
 * IDLE_MS, a safety net: nothing is expected to need it). */
static long next_full_ms(struct mgr_syncs *ss)
{
	int64_t now = store_now_ns(), wait = (int64_t)IDLE_MS * 1000000;
	for (uint32_t i = 0; i < ss->reg.n; i++) {
		struct rule_entry *r = rule_at(ss, i);
		if (!r->base.deleted && r->rule.interval_ms && r->next_full_ns - now < wait)
			wait = r->next_full_ns - now;
	}
	return wait <= 0 ? 1 : (long)((wait + 999999) / 1000000);
}

static void *scheduler_main(void *arg)
{
	struct mgr_syncs *ss = arg;
	mgr_commit_path_enter(MGR_COMMIT_SYNC);
	pthread_mutex_lock(&ss->lock);
	while (!ss->stopping) {
		int64_t now = store_now_ns();
		for (uint32_t i = 0; i < ss->reg.n && !ss->stopping; i++) {
			struct rule_entry *r = rule_at(ss, i);
			if (r->base.deleted)
				continue;
			bool full = (r->rule.interval_ms && now >= r->next_full_ns) || r->full_requested;
			bool asked = r->run_requested;
			sync_rule rule = r->rule;
			uint64_t failed_head = r->failed_head;
			pthread_mutex_unlock(&ss->lock);
			bool news = !full && !asked && has_news(ss->m, &rule, failed_head);
			pthread_mutex_lock(&ss->lock);
			if (!(full || asked || news) || r->base.deleted)
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

/* ---- rules as a kind of the registry ------------------------------------------------------ */

static int rule_parse(mgr_registry *reg, const char *name, const char *text, size_t len, void *def,
		      char *err, size_t errlen)
{
	(void)reg;
	return sync_rule_parse(name, text, len, def, err, errlen);
}

static int rule_validate(mgr_registry *reg, const void *def, char *err, size_t errlen)
{
	const sync_rule *rule = def;
	if (!mgr_platform_find(reg->m, rule->source_platform)) {
		snprintf(err, errlen, "unknown source platform \"%s\"", rule->source_platform);
		return -EINVAL;
	}
	if (!mgr_platform_find(reg->m, rule->target_platform)) {
		snprintf(err, errlen, "unknown target platform \"%s\"", rule->target_platform);
		return -EINVAL;
	}
	return 0;
}

/* WHO needs what the rule needs (rule_needs).  Audited. */
static int rule_authorize(mgr_registry *reg, const mgr_principal *who, const void *def, char *err,
			  size_t errlen)
{
	mgr_object need[RULE_NEEDS_MAX];
	unsigned privs[RULE_NEEDS_MAX];
	const char *what[RULE_NEEDS_MAX];
	unsigned n = rule_needs(def, privs, need, what);
	for (unsigned i = 0; i < n; i++)
		if (mgr_authorize(reg->m, who, privs[i], &need[i], "sync", NULL)) {
			char obj[3 * (STORE_NAME_MAX + 1) + 2];
			mgr_object_path(&need[i], obj, sizeof obj);
			snprintf(err, errlen, "permission denied: %s is needed on %s%s",
				 mgr_priv_name(privs[i]), obj, what[i]);
			return -EACCES;
		}
	return 0;
}

static void rule_init(mgr_reg_entry *e)
{
	struct rule_entry *r = (struct rule_entry *)e;
	snprintf(r->last_run, sizeof r->last_run, "never");
}

static void rule_assign(mgr_reg_entry *e, const void *def, bool fresh)
{
	struct rule_entry *r = (struct rule_entry *)e;
	r->rule = *(const sync_rule *)def;
	if (fresh) {
		/* The key or policy may differ from what the mirrors were made with. */
		r->full_requested = r->rule.masks.n > 0;
		return;
	}
	r->next_full_ns = 0;
	/* The mirrors' schemas and mask properties may have to change although
	 * the source did not. */
	r->full_requested = true;
}

/* NAME.state: the owner, the last run, then the history. */
static void rule_state_format(const mgr_reg_entry *e, textbuf *out)
{
	const struct rule_entry *r = (const struct rule_entry *)e;
	textbuf_printf(out, "owner: %u:%u\n", e->owner.uid, e->owner.gid);
	textbuf_printf(out, "last_run: %s\n", r->last_run);
	if (r->history.len)
		textbuf_append(out, r->history.data, r->history.len);
}

static void rule_state_parse(mgr_reg_entry *e, const char *s)
{
	struct rule_entry *r = (struct rule_entry *)e;
	unsigned uid, gid;
	if (sscanf(s, "owner: %u:%u", &uid, &gid) == 2 && strchr(s, '\n')) {
		e->owner.uid = uid;
		e->owner.gid = gid;
		s = strchr(s, '\n') + 1;
	}
	const char *nl = strchr(s, '\n');
	if (nl && !strncmp(s, "last_run: ", 10)) {
		snprintf(r->last_run, sizeof r->last_run, "%.*s", (int)(nl - s - 10), s + 10);
		textbuf_puts(&r->history, nl + 1);
	}
}

/* The canonical form, not the text as written. */
static int rule_format(const mgr_reg_entry *e, textbuf *out)
{
	sync_rule_format(&((const struct rule_entry *)e)->rule, out);
	return textbuf_error(out);
}

static void rule_defined_locked(mgr_registry *reg, mgr_reg_entry *e)
{
	struct mgr_syncs *ss = reg->owner;
	(void)e;
	ss->kicked = true;
	pthread_cond_signal(&ss->wake);
}

static void rule_request_locked(mgr_registry *reg, mgr_reg_entry *e)
{
	((struct rule_entry *)e)->run_requested = true;
	rule_defined_locked(reg, e);
}

static void rule_result_locked(const mgr_reg_entry *e, textbuf *out)
{
	const struct rule_entry *r = (const struct rule_entry *)e;
	textbuf_printf(out, "%s\n", mgr_reg_state_name(e->state));
	if (r->reason[0])
		textbuf_printf(out, "reason: %s\n", r->reason);
	if (r->last_result.len)
		textbuf_append(out, r->last_result.data, r->last_result.len);
}

static void rule_fini(mgr_reg_entry *e)
{
	struct rule_entry *r = (struct rule_entry *)e;
	textbuf_free(&r->history);
	textbuf_free(&r->last_result);
}

static const mgr_reg_type rule_type = {
	.dir = "sync",
	.suffix = ".rule",
	.noun = "sync rule",
	.short_noun = "rule",
	.action = "sync",
	.entry_size = sizeof(struct rule_entry),
	.def_size = sizeof(sync_rule),
	.parse = rule_parse,
	.validate = rule_validate,
	.authorize = rule_authorize,
	.init = rule_init,
	.assign = rule_assign,
	.state_format = rule_state_format,
	.state_parse = rule_state_parse,
	.format = rule_format,
	.defined_locked = rule_defined_locked,
	.request_locked = rule_request_locked,
	.result_locked = rule_result_locked,
	.fini = rule_fini,
};

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
	m->syncs = ss;
	int rc = mgr_registry_init(&ss->reg, &rule_type, m, ss, &ss->lock, &ss->done, &ss->stopping);
	if (rc)
		return rc;
	char keypath[PATH_MAX + 32], kerr[512] = "";
	snprintf(keypath, sizeof keypath, "%s/" MGR_EXCHANGE_KEY, m->cfg.home);
	mgr_exchange_clean(m);
	if (sync_mask_key_load(keypath, ss->key, ss->key_id, kerr, sizeof kerr) == 0)
		ss->have_key = true;
	else
		mgr_log(MGR_LOG_WARN, "no exchange key: rules with masks will fail: %s", kerr);
	if ((rc = mgr_registry_load(&ss->reg)))
		return rc;
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
	mgr_registry_fini(&ss->reg);
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

int mgr_sync_define_as(mgr *m, const mgr_principal *who, const char *name, const char *text,
		       size_t len, char *err, size_t errlen)
{
	struct mgr_syncs *ss = m->syncs;
	sync_rule rule;
	if (!ss)
		return -ENOTSUP;
	int rc = mgr_registry_define(&ss->reg, who, name, text, len, &rule, err, errlen);
	if (rc == 0)
		mgr_log(MGR_LOG_INFO, "sync rule %s defined", name);
	return rc;
}

int mgr_sync_delete(mgr *m, const char *name)
{
	return m->syncs ? mgr_registry_delete(&m->syncs->reg, name) : -ENOENT;
}

uint32_t mgr_sync_count(mgr *m)
{
	return m->syncs ? mgr_registry_count(&m->syncs->reg) : 0;
}

int mgr_sync_info(mgr *m, uint32_t id, char name[STORE_NAME_MAX + 1])
{
	return m->syncs ? mgr_registry_lookup(&m->syncs->reg, id, name, NULL) : -ENOENT;
}

int mgr_sync_owner(mgr *m, uint32_t id, mgr_principal *owner)
{
	return m->syncs ? mgr_registry_lookup(&m->syncs->reg, id, NULL, owner) : -ENOENT;
}

int mgr_sync_find(mgr *m, const char *name, uint32_t *id)
{
	return m->syncs ? mgr_registry_find(&m->syncs->reg, name, id) : -ENOENT;
}

int mgr_sync_read_rule(mgr *m, uint32_t id, textbuf *out)
{
	return m->syncs ? mgr_registry_read_def(&m->syncs->reg, id, out) : -ENOENT;
}

int mgr_sync_read(mgr *m, uint32_t id, mgr_sync_file file, textbuf *out)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return -ENOENT;
	pthread_mutex_lock(&ss->lock);
	struct rule_entry *r = (struct rule_entry *)mgr_registry_get_locked(&ss->reg, id);
	sync_rule rule;
	if (r) {
		rule = r->rule;
		switch (file) {
		case MGR_SYNC_STATUS:
			textbuf_printf(out, "%s\n", mgr_reg_state_name(r->base.state));
			if (r->reason[0])
				textbuf_printf(out, "reason: %s\n", r->reason);
			if (r->last_fallback)
				textbuf_puts(out, "note: the source log no longer reached the cursor; the last run "
						  "fell back to a full compare by etag\n");
			textbuf_printf(out, "source: %s.%s.%s\ntarget: %s\nlast_run: %s\nowner: %u\n",
				       rule.source_platform, rule.source_db, rule.source_table,
				       rule.target_platform, r->last_run, r->base.owner.uid);
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
		/* A changed definition not yet applied is work left: the lag is
		 * not 0 until the run that applies it commits. */
		bool pending = false;
		if (rc == 0 && file == MGR_SYNC_LAG)
			rc = sync_rule_pending(&rule, tgt->store, &pending);
		if (rc)
			return rc;
		/* So are mirrors left on a former target. */
		if (file == MGR_SYNC_LAG && stale_targets(m, &rule))
			pending = true;
		uint64_t lag = head > cursor ? head - cursor : 0;
		if (pending && lag == 0)
			lag = 1;
		textbuf_printf(out, "%llu\n", (unsigned long long)(file == MGR_SYNC_CURSOR ? cursor : lag));
	} else if (file == MGR_SYNC_DIFF) {
		sync_platform s = as_sync(ss, src), t = as_sync(ss, tgt);
		sync_result res;
		unsigned stale = stale_targets(m, &rule);
		/* What a run would remove from a former target is listed first. */
		if (stale) {
			int rc = retire_stale(ss, &rule, stale, true, out, NULL, NULL, 0);
			if (rc)
				return rc;
		}
		int rc = sync_rule_apply(&rule, &s, &t, false, true, out, &res);
		if (rc && res.conflict[0])
			textbuf_printf(out, "conflict: %s\n", res.conflict);
		else if (rc)
			return rc;
	}
	return textbuf_error(out);
}

int mgr_sync_may_run(mgr *m, const mgr_principal *who, uint32_t id)
{
	struct mgr_syncs *ss = m->syncs;
	if (!ss)
		return -ENOENT;
	pthread_mutex_lock(&ss->lock);
	struct rule_entry *r = (struct rule_entry *)mgr_registry_get_locked(&ss->reg, id);
	sync_rule rule;
	mgr_principal owner = {0, 0};
	if (r) {
		rule = r->rule;
		owner = r->base.owner;
	}
	pthread_mutex_unlock(&ss->lock);
	if (!r)
		return -ENOENT;
	char path[STORE_NAME_MAX + 16];
	snprintf(path, sizeof path, "/sync/%s/run", rule.name);
	mgr_object ends[2], all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	rule_objects(&rule, &ends[0], &ends[1]);
	const char *how = NULL;
	if (owner.uid == who->uid)
		how = "the rule's owner";
	else if (mgr_access_holds(m, who, MGR_PRIV_SYNC, &ends[0]) &&
		 mgr_access_holds(m, who, MGR_PRIV_SYNC, &ends[1]))
		how = "SYNC on the rule's source and target";
	else if (mgr_access_holds(m, who, MGR_PRIV_ADMIN, &all))
		how = "ADMIN on the metastore";
	char detail[200];
	snprintf(detail, sizeof detail, "%s", how ? how : "runs by its owner, SYNC on its source and "
				 "target, or ADMIN on the metastore");
	return mgr_audit_decision(m, who, "sync", path, how != NULL, MGR_PRIV_SYNC, detail);
}

int mgr_sync_run_now(mgr *m, uint32_t id, bool (*stop)(void *ctx), void *ctx, textbuf *out)
{
	return m->syncs ? mgr_registry_run_now(&m->syncs->reg, id, stop, ctx, out) : -ENOENT;
}

/* The rule T's metafs.mirror.rule names, copied into *RULE: -ENOENT when
 * there is none (or it is deleted). */
static int mirror_rule(mgr *m, const store_table *t, sync_rule *rule)
{
	struct mgr_syncs *ss = m->syncs;
	char name[STORE_NAME_MAX + 1];
	size_t len = 0;
	const char *v = sync_table_property(t, SYNC_PROP_PREFIX "rule", &len);
	int rc = -ENOENT;

	if (!ss || !v || len == 0 || len > STORE_NAME_MAX)
		return -ENOENT;
	snprintf(name, sizeof name, "%.*s", (int)len, v);
	pthread_mutex_lock(&ss->lock);
	mgr_reg_entry *e = mgr_registry_find_locked(&ss->reg, name);
	if (e) {
		*rule = ((struct rule_entry *)e)->rule;
		rc = 0;
	}
	pthread_mutex_unlock(&ss->lock);
	return rc;
}

bool mgr_is_mirror(mgr *m, const mgr_platform *p, const store_table *t)
{
	sync_rule *rule;
	bool ok, held = false;

	/* Cheap first: a table without the property is no mirror. */
	if (!m || !p || !sync_table_property(t, SYNC_PROP_PREFIX "rule", NULL))
		return false;
	rule = malloc(sizeof *rule);
	if (!rule)
		return false;
	/* A rule of the registry that agrees with T, and whose work the target
	 * holds (its cursor or recorded definition, written by apply only). */
	ok = mirror_rule(m, t, rule) == 0 && sync_mirror_valid(rule, p->name, t) &&
	     sync_rule_stale(p->store, rule->name, &held) == 0 && held;
	free(rule);
	return ok;
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

int mgr_mirror_source(mgr *m, const mgr_platform *tp, const store_table *t,
		      mgr_platform **source, store_table *st)
{
	size_t len = 0;
	const char *src = sync_table_property(t, SYNC_PROP_PREFIX "source", &len);
	const char *sid = sync_table_property(t, SYNC_PROP_PREFIX "source_id", NULL);
	if (!mgr_is_mirror(m, tp, t) || !src || !sid || len >= 3 * (STORE_NAME_MAX + 1))
		return -ENOENT;
	char spec[3 * (STORE_NAME_MAX + 1)];
	snprintf(spec, sizeof spec, "%.*s", (int)len, src);
	/* sync_mirror_valid checked it is the rule's platform, T's db and name. */
	char *dot = strchr(spec, '.');
	if (!dot)
		return -ENOENT;
	*dot = '\0';
	mgr_platform *p = mgr_platform_find(m, spec);
	if (!p || p == tp)
		return -ENOENT;
	store_txn *txn = NULL;
	int rc = store_read_begin(p->store, &txn);
	if (rc == 0)
		rc = store_table_get(txn, t->db, t->name, st);
	store_abort(txn);
	if (rc == 0 && strtoull(sid, NULL, 10) != st->id) {
		store_table_clear(st);
		rc = -ENOENT;   /* dropped and re-created: not what this mirror reflects */
	}
	if (rc == 0)
		*source = p;
	return rc;
}

int mgr_refresh(mgr *m, mgr_platform *p, const store_table *t, uint64_t since, textbuf *out)
{
	mgr_platform *sp = NULL;
	store_table st = {0};
	int rc = mgr_mirror_source(m, p, t, &sp, &st);
	if (rc)
		return rc;
	store_table_clear(&st);
	sync_platform src = as_sync(NULL, sp);
	return sync_refresh(t, p->name, &src, since, out);
}

int mgr_sync_exchange_rule(mgr *m, const char *source, const char *target, const char *db,
			   const char *table, char name[STORE_NAME_MAX + 1])
{
	struct mgr_syncs *ss = m->syncs;
	int rc = -ENOENT;
	if (!ss)
		return rc;
	pthread_mutex_lock(&ss->lock);
	for (uint32_t i = 0; i < ss->reg.n && rc; i++) {
		const sync_rule *r = &rule_at(ss, i)->rule;
		if (rule_at(ss, i)->base.deleted || (!r->masks.n && !r->ndrop) ||
		    strcmp(r->source_platform, source) || strcmp(r->target_platform, target) ||
		    !sync_rule_matches(r, db, table))
			continue;
		memcpy(name, r->name, STORE_NAME_MAX + 1);
		rc = 0;
	}
	pthread_mutex_unlock(&ss->lock);
	return rc;
}
