/*
 * sync_apply.c - applying a rule: the source's change log, or a full
 * compare, into the target metastore.
 *
 * The cursor.  A rule's cursor is the sequence number of the last source
 * event whose effect is committed on the target.  It lives in the target's
 * "cursors" sub-database and is written by store_cursor_put in the very
 * transaction that writes the records of its batch, so the two can only
 * commit together: after a crash the next apply starts right after the last
 * committed batch, neither losing a change nor applying one twice.  Nothing
 * else makes apply correct under crashes; the rest is about being idempotent
 * and quick.
 *
 * Snapshot content.  Events say what changed, not to what: the content is
 * read from one source snapshot taken when the apply starts, and the events
 * up to that snapshot's head are applied in order.  An object changed twice
 * is written once with its latest content and found unchanged the second
 * time; an object gone from the snapshot is skipped, because its drop event
 * is further on in the same log.  At the end the target reflects the source
 * at the head, and so does every committed prefix up to later events, which
 * is all the cursor promises.
 *
 * Identity.  A mirrored table records its source table's id.  A source
 * table dropped and re-created under the same name has a new id: its drop
 * event removes only the mirror of the old id, and a mirror whose source id
 * is not the source table's is rebuilt rather than altered, so no partition
 * of the old table survives into the new one.
 *
 * Gaps.  When the log no longer reaches back to the cursor (events before
 * store_event_first were trimmed), the events in between are unknown: apply
 * compares every matching source table (and, when partitions are mirrored,
 * every partition and file) with the target by etag and checksum, writes
 * the differences, drops mirrors whose source is gone, and moves the cursor
 * to the head.  Its target transactions are bounded as well; only the last
 * one moves the cursor, so a crash in the middle leaves the gap in place and
 * the next apply compares again, finding the work done so far unchanged.
 *
 * Redefinitions.  What a rule mirrors depends on its definition as much as
 * on the source: a new source glob, a column newly dropped, partitions no
 * longer mirrored change the target although no source event says so.  The
 * target therefore records, next to the cursor and in the same
 * transactions, the etag of the definition its mirrors were made with (the
 * rule's canonical text, without the interval, which changes nothing that
 * is mirrored).  A run that finds another etag recorded is a redefinition:
 * a full compare that does not trust the source etags the mirrors record,
 * that removes what the rule owns and no longer mirrors (partitions of a
 * rule that no longer mirrors them, mirrors of tables the source globs no
 * longer match, in any target database), and whose last transaction writes
 * the new etag with the cursor.  A crash in the middle leaves the old etag
 * in place, so the next run (or a dry run) sees the difference and compares
 * again, finding the work already done unchanged: the change of definition
 * converges as one operation however often it is cut short.  A target
 * holding a cursor but no etag (one written before etags were recorded) is
 * treated as a redefinition once.
 *
 * Databases.  A target database the rule creates is recorded as the
 * rule's, in the transaction that creates it: a key of the cursors
 * sub-database made of the hashes of the rule's and the database's names
 * (db_mark_key), holding the database's id, so a database dropped and
 * re-created by someone else is not taken for the rule's.  A full compare
 * ends with the target databases the rule no longer mirrors into (their
 * source database is gone or no longer matches the rule): one of the rule's
 * that is empty then is dropped; one that holds tables the rule did not
 * make is left in place, reported (sync_result.kept) and no longer the
 * rule's.  A database the rule did not create is never dropped, nor one
 * created before databases were recorded.  The drop event of a source
 * database does the same for that database in an incremental run.
 *
 * Retirement.  A rule whose target changed leaves its work on the old
 * target: mirrors, databases, its cursor and recorded definition.  The
 * cursor or definition still there says so (sync_rule_stale), and
 * sync_rule_retire removes the rest: every table that names the rule in
 * metafs.mirror.rule, in any database, then the databases as above, in
 * bounded transactions, the last of which clears the cursor and the
 * definition.  Cut short, it is seen and done again, like a redefinition.
 *
 * Dry runs take the same decisions in one target write transaction that is
 * aborted at the end: every decision sees the effect of the ones before it
 * (a partition under a table the same run creates) and nothing is written.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sync_int.h"

#include "base_array.h"
#include "base_msg.h"
#include "base_path.h"

/* ---- source pnode id -> target pnode id ------------------------------------------ */

/* The target pnodes this apply has resolved, so that a partition's files and
 * children find their target parent in one probe.  Target ids stay valid
 * across this apply's commits; a target pnode drop clears the map. */
struct idmap {
	uint64_t *keys, *vals;
	size_t cap, n;
};

static size_t idmap_slot(const struct idmap *m, uint64_t key)
{
	uint64_t h = key * UINT64_C(0x9E3779B97F4A7C15);

	return (size_t)(h >> 20) & (m->cap - 1);
}

static bool idmap_get(const struct idmap *m, uint64_t key, uint64_t *val)
{
	if (m->cap == 0)
		return false;
	for (size_t i = idmap_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == 0)
			return false;
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return true;
		}
	}
}

static int idmap_put(struct idmap *m, uint64_t key, uint64_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct idmap g = { 0 };

		g.cap = m->cap ? m->cap * 2 : 1024;
		g.keys = calloc(g.cap, sizeof *g.keys);
		g.vals = calloc(g.cap, sizeof *g.vals);
		if (g.keys == NULL || g.vals == NULL) {
			free(g.keys);
			free(g.vals);
			return -ENOMEM;
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (m->keys[j] == 0)
				continue;
			for (i = idmap_slot(&g, m->keys[j]); g.keys[i]; i = (i + 1) & (g.cap - 1))
				;
			g.keys[i] = m->keys[j];
			g.vals[i] = m->vals[j];
		}
		g.n = m->n;
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	for (i = idmap_slot(m, key); m->keys[i] && m->keys[i] != key; i = (i + 1) & (m->cap - 1))
		;
	if (m->keys[i] == 0)
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

static void idmap_clear(struct idmap *m)
{
	if (m->n) {
		memset(m->keys, 0, m->cap * sizeof *m->keys);
		m->n = 0;
	}
}

static void idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

/* ---- the state of one apply ---------------------------------------------------- */

/* What the target holds under one db/table name (the last one asked). */
struct mirror {
	bool valid;
	char db[STORE_NAME_MAX + 1], name[STORE_NAME_MAX + 1];
	bool exists;
	bool ours;                  /* metafs.mirror.rule is this rule */
	uint64_t source_id, source_etag;
	store_table t;              /* the target record when it exists */
};

struct apply {
	const sync_rule *rule;
	const sync_platform *src, *dst;
	bool dry_run;
	bool redefine;              /* the target's mirrors were made by another definition */
	const char *where;          /* appended to diff lines: "" or " on PLATFORM" (retiring) */
	uint64_t definition;        /* the etag of the rule's definition */
	textbuf *diff;
	sync_result *res;
	store_txn *s;               /* the source snapshot */
	store_txn *w;               /* the target write txn of the current batch */
	uint64_t steps;             /* objects visited in W (full compare) */
	uint64_t event;             /* the source event the writes reflect */
	uint64_t cursor;            /* the committed cursor */
	struct mirror m;
	struct idmap map;
	struct idmap copied;        /* source partitions copied whole from the snapshot */
	store_file *files;          /* a partition's files, being copied */
	size_t files_cap;
	char (*skipped)[2 * STORE_NAME_MAX + 2];  /* "db/table" left alone (on_conflict = skip) */
	size_t nskipped, skipped_cap;
};

static void note(struct apply *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct apply *a, const char *fmt, ...)
{
	va_list ap;

	if (a->diff == NULL)
		return;
	va_start(ap, fmt);
	textbuf_vprintf(a->diff, fmt, ap);
	va_end(ap);
	textbuf_append(a->diff, "\n", 1);
}

static void mirror_forget(struct apply *a)
{
	store_table_clear(&a->m.t);
	memset(&a->m, 0, sizeof a->m);
}

/* ---- the applied definition --------------------------------------------------------- */

#define DEFINITION_KEY ".definition:"

/* FNV-1a 64 of LEN bytes at P, never 0 (0 says "none recorded"). */
static uint64_t hash64(const char *p, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h ? h : 1;
}

/* The key under which the target records RULE's definition, in the
 * cursors' sub-database: no rule is named with a leading '.', so it meets
 * no cursor.  A name too long for the prefix is keyed by its hash. */
static void definition_key(const char *rule, char key[STORE_NAME_MAX + 1])
{
	size_t n = strlen(rule);

	if (n + strlen(DEFINITION_KEY) <= STORE_NAME_MAX)
		snprintf(key, STORE_NAME_MAX + 1, DEFINITION_KEY "%s", rule);
	else
		snprintf(key, STORE_NAME_MAX + 1, DEFINITION_KEY "#%016" PRIx64, hash64(rule, n));
}

/* The etag of what RULE mirrors: its canonical text less the interval. */
static int definition_etag(const sync_rule *rule, uint64_t *etag)
{
	textbuf t = TEXTBUF_INIT, kept = TEXTBUF_INIT;
	const char *p, *nl;
	int rc;

	sync_rule_format(rule, &t);
	for (p = t.data ? t.data : ""; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (strncmp(p, "interval ", 9) != 0)
			textbuf_append(&kept, p, nl ? (size_t)(nl - p + 1) : strlen(p));
	}
	rc = textbuf_error(&t);
	if (rc == 0)
		rc = textbuf_error(&kept);
	if (rc == 0)
		*etag = hash64(kept.data ? kept.data : "", kept.len);
	textbuf_free(&t);
	textbuf_free(&kept);
	return rc;
}

/* The key under which the target records that RULE created database DB:
 * both names hashed, so any pair fits a name. */
#define DB_MARK_KEY ".db:"

static void db_mark_key(const char *rule, const char *db, char key[STORE_NAME_MAX + 1])
{
	snprintf(key, STORE_NAME_MAX + 1, DB_MARK_KEY "%016" PRIx64 "%016" PRIx64,
		 hash64(rule, strlen(rule)), hash64(db, strlen(db)));
}

static int db_mark_put(store_txn *w, const char *rule, const char *db, uint64_t id)
{
	char key[STORE_NAME_MAX + 1];

	db_mark_key(rule, db, key);
	return store_cursor_put(w, key, id);
}

/* Did RULE create target database D (the one of that name now)? */
static int db_made(store_txn *txn, const char *rule, const store_database *d, bool *made)
{
	char key[STORE_NAME_MAX + 1];
	uint64_t id = 0;
	int rc;

	db_mark_key(rule, d->name, key);
	rc = store_cursor_get(txn, key, &id);
	*made = rc == 0 && id != 0 && id == d->id;
	return rc;
}

static int definition_put(store_txn *w, const char *rule, uint64_t etag)
{
	char key[STORE_NAME_MAX + 1];

	definition_key(rule, key);
	return store_cursor_put(w, key, etag);
}

/* The cursor of RULE and the etag of the definition it was applied with
 * (0: none recorded), from one snapshot of TARGET. */
static int applied_state(store_env *target, const char *rule, uint64_t *cursor, uint64_t *etag)
{
	char key[STORE_NAME_MAX + 1];
	store_txn *txn = NULL;
	int rc;

	*cursor = *etag = 0;
	rc = store_read_begin(target, &txn);
	if (rc != 0)
		return rc;
	definition_key(rule, key);
	rc = store_cursor_get(txn, rule, cursor);
	if (rc == 0)
		rc = store_cursor_get(txn, key, etag);
	store_abort(txn);
	return rc;
}

/* Were the target's mirrors made by another definition than ETAG's?  A
 * target with neither a cursor nor an etag has none of the rule's work. */
static bool definition_differs(uint64_t cursor, uint64_t recorded, uint64_t etag)
{
	return recorded != etag && (recorded != 0 || cursor != 0);
}

static int txn_need(struct apply *a)
{
	if (a->w)
		return 0;
	a->steps = 0;
	return store_write_begin(a->dst->store, &a->w);
}

/* DB (TABLE NULL) or DB.TABLE was just dropped in W: tell the target's
 * owner before W commits (sync_platform.dropping). */
static int dropping(struct apply *a, const char *db, const char *table)
{
	if (a->dry_run || a->dst->dropping == NULL)
		return 0;
	return a->dst->dropping(a->dst->dropping_arg, db, table);
}

/* End the current batch: its records, and the cursor when WITH_CURSOR, in
 * one commit.  A dry run keeps its single transaction. */
static int batch_commit(struct apply *a, bool with_cursor, uint64_t cursor)
{
	int rc;

	if (a->dry_run || a->w == NULL)
		return 0;
	rc = with_cursor ? store_cursor_put(a->w, a->rule->name, cursor) : 0;
	if (rc == 0 && with_cursor)
		rc = definition_put(a->w, a->rule->name, a->definition);
	if (rc != 0) {
		store_abort(a->w);
		a->w = NULL;
		return rc;
	}
	rc = store_commit(a->w);
	a->w = NULL;
	mirror_forget(a);
	if (rc == 0 && with_cursor)
		a->cursor = cursor;
	return rc;
}

/* Full compare: one more object visited; commit every SYNC_BATCH_EVENTS. */
static int step(struct apply *a)
{
	int rc;

	if (++a->steps < SYNC_BATCH_EVENTS)
		return 0;
	rc = batch_commit(a, false, 0);
	if (rc == 0)
		rc = txn_need(a);
	return rc;
}

static bool fnmatch_db(const sync_rule *r, const char *db)
{
	return fnmatch(r->source_db, db, 0) == 0;
}

/* ---- properties ------------------------------------------------------------------- */

bool sync_parse_u64(const char *s, size_t len, int base, uint64_t *out)
{
	uint64_t v = 0;
	unsigned d;

	if (s == NULL || len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return false;
		v = v * (unsigned)base + d;
	}
	*out = v;
	return true;
}

bool sync_property_u64(const store_table *t, const char *key, int base, uint64_t *out)
{
	size_t len;
	const char *v = sync_table_property(t, key, &len);

	return v && sync_parse_u64(v, len, base, out);
}

static bool is_ours(const struct apply *a, const store_table *t)
{
	size_t len;
	const char *v = sync_table_property(t, SYNC_PROP_PREFIX "rule", &len);

	return v && len == strlen(a->rule->name) && memcmp(v, a->rule->name, len) == 0;
}

/* What the target holds under DB/NAME, into a->m (cached). */
static int mirror_load(struct apply *a, const char *db, const char *name)
{
	int rc;

	if (a->m.valid && strcmp(a->m.db, db) == 0 && strcmp(a->m.name, name) == 0)
		return 0;
	mirror_forget(a);
	rc = store_table_get(a->w, db, name, &a->m.t);
	if (rc != 0 && rc != -ENOENT)
		return rc;
	a->m.exists = rc == 0;
	if (a->m.exists) {
		a->m.ours = is_ours(a, &a->m.t);
		if (!sync_property_u64(&a->m.t, SYNC_PROP_PREFIX "source_id", 10, &a->m.source_id))
			a->m.source_id = 0;
		if (!sync_property_u64(&a->m.t, SYNC_PROP_PREFIX "source_etag", 16,
				       &a->m.source_etag))
			a->m.source_etag = 0;
	}
	strcpy(a->m.db, db);
	strcpy(a->m.name, name);
	a->m.valid = true;
	return 0;
}

/* ---- tables -------------------------------------------------------------------- */

/* Create target database DB, the rule's (recorded as such), owned by the
 * user this process runs as; one that exists is left as it is (db_usable
 * decides whether the rule may mirror into it). */
static int ensure_db(struct apply *a, const char *db)
{
	store_database d;
	int rc;

	rc = store_database_get(a->w, db, &d);
	if (rc != -ENOENT)
		return rc;
	rc = store_database_create(a->w, db, (uint32_t)getuid(), (uint32_t)getgid(),
				   STORE_ORIGIN_SYNC, &d);
	if (rc == 0)
		rc = db_mark_put(a->w, a->rule->name, db, d.id);
	if (rc == 0) {
		a->res->applied++;
		note(a, "create database %s", db);
	}
	return rc;
}

/* May the rule mirror into target database DB?  Yes when it does not exist
 * (the rule creates it) or the rule created it; one the rule names in
 * `adopt` is recorded as the rule's now.  Any other is a conflict, whatever
 * on_conflict says: skip leaves its tables alone (*SKIP), fail and
 * overwrite stop the rule (-EEXIST, the reason in res->conflict). */
static int db_usable(struct apply *a, const char *db, bool *skip)
{
	store_database d;
	bool made;
	int rc;

	*skip = false;
	rc = store_database_get(a->w, db, &d);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0)
		rc = db_made(a->w, a->rule->name, &d, &made);
	if (rc != 0 || made)
		return rc;
	if (sync_rule_adopts(a->rule, db)) {
		rc = db_mark_put(a->w, a->rule->name, db, d.id);
		if (rc == 0)
			note(a, "adopt database %s", db);
		return rc;
	}
	if (a->rule->on_conflict == SYNC_CONFLICT_SKIP) {
		*skip = true;
		return 0;
	}
	base_msg_format(a->res->conflict, sizeof a->res->conflict,
			"database %s exists on %s and was not created by rule %s", db, a->dst->name,
			a->rule->name);
	return -EEXIST;
}

static void kept_add(sync_result *res, const char *name)
{
	size_t n = strlen(res->kept), len = strlen(name), cap = sizeof res->kept;

	res->kept_dbs++;
	if (n + 2 + len + 4 < cap)
		snprintf(res->kept + n, cap - n, "%s%s", n ? ", " : "", name);
	else if (n + 5 <= cap && (n < 3 || strcmp(res->kept + n - 3, "...") != 0))
		snprintf(res->kept + n, cap - n, ", ...");
}

/* Target database DB, which the rule no longer mirrors into: dropped if the
 * rule created it and it is empty; if the rule created it and it holds
 * tables (none of them the rule's by now), left in place, reported, and no
 * longer the rule's. */
static int db_release(struct apply *a, const char *db)
{
	store_iter *it = NULL;
	store_database d;
	store_table t;
	bool made;
	int rc;

	rc = store_database_get(a->w, db, &d);
	if (rc == 0)
		rc = db_made(a->w, a->rule->name, &d, &made);
	if (rc != 0 || !made)
		return rc == -ENOENT ? 0 : rc;
	rc = store_iter_tables(a->w, db, NULL, &it);
	if (rc == 0)
		rc = store_iter_next(it, &t);
	store_iter_close(it);
	if (rc == 0) {
		store_table_clear(&t);
		kept_add(a->res, db);
		note(a, "keep database %s%s (holds tables not created by rule %s)", db, a->where,
		     a->rule->name);
		return db_mark_put(a->w, a->rule->name, db, 0);
	}
	if (rc != -ENOENT)
		return rc;
	rc = store_database_drop(a->w, db, STORE_ORIGIN_SYNC);
	if (rc == 0)
		rc = dropping(a, db, NULL);
	if (rc == 0)
		rc = db_mark_put(a->w, a->rule->name, db, 0);
	if (rc == 0) {
		a->res->dropped++;
		note(a, "drop database %s%s", db, a->where);
	}
	return rc;
}

static bool dropped_column(const sync_rule *r, const char *name)
{
	for (unsigned i = 0; i < r->ndrop; i++)
		if (strcasecmp(r->drop_columns[i], name) == 0)
			return true;
	return false;
}

/* ---- masks ------------------------------------------------------------------------ */

#define MASK_PROP_PREFIX "metafs.mask."

/* Does the rule's mask policy fit SRC?  Masks name data columns of the
 * source; partition keys cannot be masked (their values are in the paths). */
static int mask_check(struct apply *a, const store_table *src)
{
	const sync_mask_policy *pol = &a->rule->masks;

	for (unsigned i = 0; i < pol->n; i++) {
		const char *c = pol->masks[i].column;
		bool found = false;

		for (uint32_t k = 0; k < src->npartkeys; k++) {
			if (strcasecmp(src->columns[src->ncolumns + k].name, c) == 0) {
				base_msg_format(a->res->conflict, sizeof a->res->conflict,
					 "table %s.%s: mask on partition key '%s' (its values are in the "
					 "paths; a partition key cannot be masked)",
					 src->db, src->name, c);
				return -EINVAL;
			}
		}
		for (uint32_t k = 0; k < src->ncolumns && !found; k++)
			found = strcasecmp(src->columns[k].name, c) == 0;
		if (!found) {
			base_msg_format(a->res->conflict, sizeof a->res->conflict,
				 "table %s.%s: mask on column '%s', which the table does not have",
				 src->db, src->name, c);
			return -EINVAL;
		}
	}
	if (pol->n && (a->dst->mask_key == NULL || a->dst->mask_key_id == NULL)) {
		base_msg_format(a->res->conflict, sizeof a->res->conflict,
			 "rule %s has masks but platform %s has no exchange key", a->rule->name,
			 a->dst->name);
		return -EINVAL;
	}
	return 0;
}

/* The policy, its version and the key id the mirror T records (version 0
 * and "" when it records none). */
static void mask_recorded(const store_table *t, textbuf *policy, uint64_t *version,
			  textbuf *key_id)
{
	size_t len = 0;
	const char *v;

	*version = 0;
	if (t == NULL)
		return;
	v = sync_table_property(t, SYNC_PROP_MASK_POLICY, &len);
	if (v)
		textbuf_append(policy, v, len);
	if (!sync_property_u64(t, SYNC_PROP_MASK_VERSION, 10, version))
		*version = 0;
	v = sync_table_property(t, SYNC_PROP_MASK_KEY, &len);
	if (v && key_id)
		textbuf_append(key_id, v, len);
}

/* Are the masks the mirror T records those of the rule (and key) now? */
static bool mask_current(const struct apply *a, const store_table *t)
{
	textbuf want = TEXTBUF_INIT, have = TEXTBUF_INIT, key = TEXTBUF_INIT;
	uint64_t version;
	bool same;

	sync_mask_format(&a->rule->masks, &want);
	mask_recorded(t, &have, &version, &key);
	if (version == 0)
		same = a->rule->masks.n == 0;
	else
		same = have.len == want.len && (want.len == 0 || !memcmp(have.data, want.data, want.len)) &&
		       (a->rule->masks.n == 0 || (a->dst->mask_key_id &&
						   key.len == strlen(a->dst->mask_key_id) &&
						   !memcmp(key.data, a->dst->mask_key_id, key.len)));
	textbuf_free(&want);
	textbuf_free(&have);
	textbuf_free(&key);
	return same;
}

/* The metafs.mask.* lines of the mirror being built: the rule's policy, its
 * version (1 for the first, +1 whenever the text differs from what the
 * target records) and the key's id.  A rule without masks writes them only
 * over a mirror that recorded a policy (so removing the masks is a new
 * version too). */
static void mask_properties(struct apply *a, textbuf *props)
{
	textbuf want = TEXTBUF_INIT, have = TEXTBUF_INIT;
	const store_table *old = a->m.exists && a->m.ours ? &a->m.t : NULL;
	uint64_t version = 0;

	sync_mask_format(&a->rule->masks, &want);
	mask_recorded(old, &have, &version, NULL);
	if (a->rule->masks.n || version) {
		if (version == 0 || have.len != want.len ||
		    (want.len && memcmp(have.data, want.data, want.len) != 0))
			version++;
		textbuf_printf(props, SYNC_PROP_MASK_POLICY "=%s\n" SYNC_PROP_MASK_VERSION "=%" PRIu64 "\n",
			       want.data ? want.data : "", version);
		if (a->rule->masks.n && a->dst->mask_key_id)
			textbuf_printf(props, SYNC_PROP_MASK_KEY "=%s\n", a->dst->mask_key_id);
	}
	if (textbuf_error(&want))
		props->failed = true;
	textbuf_free(&want);
	textbuf_free(&have);
}

/* The mirror of SRC: M borrows COLS (STORE_MAX_COLUMNS + STORE_MAX_PARTKEYS
 * entries) and PROPS's bytes. */
static int mirror_build(struct apply *a, const store_table *src, store_table *m,
			store_column *cols, textbuf *props)
{
	char location[PATH_MAX];
	const char *p, *nl;
	uint32_t n = 0;
	int rc;

	memset(m, 0, sizeof *m);
	strcpy(m->db, src->db);
	strcpy(m->name, src->name);
	m->has_schema = true;
	m->format = src->format;
	m->header = src->header;
	rc = mask_check(a, src);
	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < src->ncolumns; i++) {
		const sync_mask *mk = sync_mask_find(&a->rule->masks, src->columns[i].name);

		if (dropped_column(a->rule, src->columns[i].name))
			continue;
		cols[n] = src->columns[i];
		/* A masked value is text now; a null mask keeps the type. */
		if (mk && mk->kind != SYNC_MASK_NULL)
			cols[n].type = STORE_TYPE_STRING;
		n++;
	}
	if (n == 0) {
		base_msg_format(a->res->conflict, sizeof a->res->conflict,
			 "table %s.%s: drop_columns leaves no column to mirror", src->db, src->name);
		return -EINVAL;
	}
	m->ncolumns = n;
	m->npartkeys = src->npartkeys;
	memcpy(cols + n, src->columns + src->ncolumns, src->npartkeys * sizeof *cols);
	m->columns = cols;

	/* The source's own mirror keys (it may be a mirror itself) are not
	 * copied: these say where this mirror comes from. */
	if ((a->rule->mirror & SYNC_MIRROR_PROPERTIES) && src->properties) {
		for (p = src->properties; *p; p = nl ? nl + 1 : p + strlen(p)) {
			nl = strchr(p, '\n');
			if (strncmp(p, SYNC_PROP_PREFIX, strlen(SYNC_PROP_PREFIX)) == 0 ||
			    strncmp(p, MASK_PROP_PREFIX, strlen(MASK_PROP_PREFIX)) == 0)
				continue;
			textbuf_append(props, p, nl ? (size_t)(nl - p) : strlen(p));
			textbuf_append(props, "\n", 1);
		}
	}
	rc = store_data_path(a->s, a->src->data_dir, src, src->id, NULL, location, sizeof location);
	if (rc != 0)
		return rc;
	textbuf_printf(props,
		       SYNC_PROP_PREFIX "rule=%s\n" SYNC_PROP_PREFIX "source=%s.%s.%s\n"
		       SYNC_PROP_PREFIX "source_id=%" PRIu64 "\n"
		       SYNC_PROP_PREFIX "source_etag=%016" PRIx64 "\n"
		       SYNC_PROP_PREFIX "location=%s\n" SYNC_PROP_PREFIX "event=%" PRIu64 "\n",
		       a->rule->name, a->src->name, src->db, src->name, src->id, src->etag, location,
		       a->event);
	mask_properties(a, props);
	rc = textbuf_error(props);
	if (rc == 0)
		m->properties = props->data;
	return rc;
}

/* The next property line at *P that is not one of the lines naming the
 * source state a mirror reflects (its etag and event), or NULL. */
static const char *next_content_line(const char **p, size_t *len)
{
	static const char *const skip[] = { SYNC_PROP_PREFIX "source_etag=",
					    SYNC_PROP_PREFIX "event=" };
	const char *line, *nl;
	bool skipped;

	while (**p) {
		line = *p;
		nl = strchr(line, '\n');
		*len = nl ? (size_t)(nl - line) : strlen(line);
		*p = nl ? nl + 1 : line + *len;
		skipped = false;
		for (size_t i = 0; i < 2; i++)
			skipped |= strncmp(line, skip[i], strlen(skip[i])) == 0;
		if (!skipped)
			return line;
	}
	return NULL;
}

/* Would writing mirror M change target record T in anything but the
 * source etag and event it records?  (A source whose statistics moved has a
 * new etag and nothing to mirror.) */
static bool mirror_same(const store_table *t, const store_table *m)
{
	const char *tp = t->properties ? t->properties : "", *mp = m->properties;
	const char *a, *b;
	size_t alen = 0, blen = 0;

	if (!t->has_schema || t->format != m->format || t->header != m->header ||
	    t->ncolumns != m->ncolumns || t->npartkeys != m->npartkeys)
		return false;
	for (uint32_t i = 0; i < m->ncolumns + m->npartkeys; i++)
		if (strcmp(t->columns[i].name, m->columns[i].name) != 0 ||
		    t->columns[i].type != m->columns[i].type)
			return false;
	for (;;) {
		a = next_content_line(&tp, &alen);
		b = next_content_line(&mp, &blen);
		if (a == NULL || b == NULL)
			return a == b;
		if (alen != blen || memcmp(a, b, alen) != 0)
			return false;
	}
}

static int table_create(struct apply *a, const store_table *src, store_table *m)
{
	int rc;

	rc = ensure_db(a, src->db);
	if (rc == 0)
		rc = store_table_create(a->w, m->db, m->name, (uint32_t)getuid(), (uint32_t)getgid(),
					STORE_ORIGIN_SYNC, NULL);
	if (rc == 0)
		rc = store_table_set_schema(a->w, m, STORE_ORIGIN_SYNC);
	return rc;
}

/* Drop DB.NAME in W; with GRANTS, its grants go too (not when the same
 * mirror of the same source is only made again). */
static int table_drop_as(struct apply *a, const char *db, const char *name, bool grants)
{
	int rc = store_table_drop(a->w, db, name, STORE_ORIGIN_SYNC);

	if (rc == 0 && grants)
		rc = dropping(a, db, name);

	/* Its pnodes are gone: forget every target pnode id. */
	idmap_clear(&a->map);
	idmap_clear(&a->copied);
	mirror_forget(a);
	return rc;
}

static int table_drop(struct apply *a, const char *db, const char *name)
{
	return table_drop_as(a, db, name, true);
}

/* Count and report a skipped conflict once per table, however many events
 * touch it. */
static int conflict_skip(struct apply *a, const char *db, const char *name, const char *why)
{
	char key[2 * STORE_NAME_MAX + 2];
	int rc;

	snprintf(key, sizeof key, "%s/%s", db, name);
	for (size_t i = 0; i < a->nskipped; i++)
		if (strcmp(a->skipped[i], key) == 0)
			return 0;
	if ((rc = BASE_ARRAY_RESERVE(a->skipped, a->skipped_cap, a->nskipped + 1)))
		return rc;
	strcpy(a->skipped[a->nskipped++], key);
	a->res->conflicts_skipped++;
	note(a, "skip table %s.%s (%s not created by this rule)", db, name,
	     why ? why : "table");
	return 0;
}

/* Outcome of mirroring one table. */
struct mirrored {
	bool ours;          /* the target table is this rule's mirror now */
	bool fresh;         /* ... created just now, empty */
};

static int mirror_table(struct apply *a, const store_table *src, struct mirrored *out)
{
	store_column *cols = NULL;
	textbuf props = TEXTBUF_INIT;
	store_table m;
	int rc;

	memset(out, 0, sizeof *out);
	/* A table made by mkdir has nothing to mirror until its schema. */
	if (!src->has_schema)
		return 0;
	rc = mirror_load(a, src->db, src->name);
	if (rc != 0)
		return rc;
	/* Under a new definition the recorded etag says nothing about what
	 * the mirror should be: build it and compare. */
	if (!a->redefine && a->m.exists && a->m.ours && a->m.source_id == src->id &&
	    a->m.source_etag == src->etag && mask_current(a, &a->m.t)) {
		a->res->unchanged++;
		out->ours = true;
		return 0;
	}
	/* Whatever the table: the database it is in must be the rule's. */
	{
		bool skip;

		rc = db_usable(a, src->db, &skip);
		if (rc != 0)
			return rc;
		if (skip)
			return conflict_skip(a, src->db, src->name, "database");
	}
	if (a->m.exists && !a->m.ours) {
		if (a->rule->on_conflict == SYNC_CONFLICT_FAIL) {
			base_msg_format(a->res->conflict, sizeof a->res->conflict,
				 "table %s.%s exists on %s and was not created by rule %s", src->db,
				 src->name, a->dst->name, a->rule->name);
			return -EEXIST;
		}
		if (a->rule->on_conflict == SYNC_CONFLICT_SKIP)
			return conflict_skip(a, src->db, src->name, NULL);
	}
	cols = malloc((STORE_MAX_COLUMNS + STORE_MAX_PARTKEYS) * sizeof *cols);
	if (cols == NULL)
		return -ENOMEM;
	rc = mirror_build(a, src, &m, cols, &props);
	if (rc != 0)
		goto out;
	if (!a->m.exists) {
		rc = table_create(a, src, &m);
		out->fresh = true;
		note(a, "create table %s.%s", m.db, m.name);
	} else if (!a->m.ours) {
		/* on_conflict = overwrite: the table is made again, the rule's
		 * and the process user's; nothing of it (its owner, partitions
		 * and files) is kept. */
		rc = table_drop(a, m.db, m.name);
		if (rc == 0)
			rc = table_create(a, src, &m);
		out->fresh = true;
		note(a, "overwrite table %s.%s", m.db, m.name);
	} else if (a->m.source_id != src->id) {
		/* The source was dropped and re-created: a different table. */
		rc = table_drop(a, m.db, m.name);
		if (rc == 0)
			rc = table_create(a, src, &m);
		out->fresh = true;
		a->res->dropped++;
		note(a, "drop table %s.%s (source re-created)", m.db, m.name);
		note(a, "create table %s.%s", m.db, m.name);
	} else if (mirror_same(&a->m.t, &m)) {
		/* Only the source's statistics moved: nothing to write. */
		a->res->unchanged++;
		out->ours = true;
		goto out;
	} else {
		rc = store_table_alter(a->w, &m, STORE_ORIGIN_SYNC);
		if (rc == -ENOTEMPTY) {
			/* New partition keys: the old pnodes mean nothing.  The
			 * same mirror of the same source: its grants stay. */
			rc = table_drop_as(a, m.db, m.name, false);
			if (rc == 0)
				rc = table_create(a, src, &m);
			out->fresh = true;
		}
		note(a, "alter table %s.%s", m.db, m.name);
	}
	if (rc == 0) {
		a->res->applied++;
		out->ours = true;
	}
	mirror_forget(a);
out:
	textbuf_free(&props);
	free(cols);
	return rc;
}

/* Drop the mirror DB.NAME if it is this rule's and (SOURCE_ID != 0) reflects
 * that source table. */
static int drop_mirror(struct apply *a, const char *db, const char *name, uint64_t source_id)
{
	int rc;

	rc = mirror_load(a, db, name);
	if (rc != 0 || !a->m.exists || !a->m.ours)
		return rc;
	if (source_id && a->m.source_id != source_id)
		return 0;
	rc = table_drop(a, db, name);
	if (rc == 0) {
		a->res->dropped++;
		note(a, "drop table %s.%s", db, name);
	}
	return rc;
}

/* ---- partitions -------------------------------------------------------------------- */

/* "db.table/k=v/..." of target pnode ID of table T, for the diff. */
static void pnode_note(struct apply *a, const char *verb, const store_table *t, uint64_t id,
		       const char *file)
{
	char values[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1], esc[3 * STORE_NAME_MAX + 1];
	uint32_t n = 0;

	if (a->diff == NULL)
		return;
	textbuf_printf(a->diff, "%s %s %s.%s", verb, file ? "file" : "partition", t->db, t->name);
	if (id != t->id && store_pnode_values(a->w, id, values, STORE_MAX_PARTKEYS, &n) == 0) {
		for (uint32_t i = 0; i < n && i < t->npartkeys; i++) {
			if (store_hive_escape(values[i], esc, sizeof esc) != 0)
				break;
			textbuf_printf(a->diff, "/%s=%s", t->columns[t->ncolumns + i].name, esc);
		}
	}
	if (file)
		textbuf_printf(a->diff, "/%s", file);
	textbuf_append(a->diff, "\n", 1);
}

/* Drop target pnode ID of table T with everything under it. */
static int target_pnode_drop(struct apply *a, const store_table *t, uint64_t id)
{
	store_iter *it = NULL;
	uint64_t *kids = NULL;
	size_t nkids = 0, cap = 0;
	store_file f;
	store_pnode p;
	int rc;

	pnode_note(a, "drop", t, id, NULL);
	/* Files first (collected, then dropped: no cursor across a delete). */
	for (;;) {
		rc = store_iter_files(a->w, id, NULL, &it);
		if (rc == 0)
			rc = store_iter_next(it, &f);
		store_iter_close(it);
		it = NULL;
		if (rc == -ENOENT)
			break;
		if (rc == 0)
			rc = store_file_drop(a->w, id, f.name, STORE_ORIGIN_SYNC);
		if (rc != 0)
			return rc;
		a->res->dropped++;
	}
	rc = store_iter_pnodes(a->w, t->id, id, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &p)) == 0) {
		if ((rc = BASE_ARRAY_RESERVE(kids, cap, nkids + 1)))
			break;
		kids[nkids++] = p.id;
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < nkids; i++)
		rc = target_pnode_drop(a, t, kids[i]);
	free(kids);
	if (rc == 0)
		rc = store_pnode_drop(a->w, id, STORE_ORIGIN_SYNC);
	if (rc == 0) {
		a->res->dropped++;
		idmap_clear(&a->map);
		idmap_clear(&a->copied);
	}
	return rc;
}

/* Create in target table T, under DPARENT, the copy of source partition SP
 * with all its files, in one store call (the bulk of a large sync). */
static int leaf_create(struct apply *a, const store_table *t, uint64_t dparent,
		       const store_pnode *sp, store_pnode *dp)
{
	store_iter *it = NULL;
	uint32_t n = 0;
	int rc;

	rc = store_iter_files(a->s, sp->id, NULL, &it);
	while (rc == 0) {
		if ((rc = BASE_ARRAY_RESERVE(a->files, a->files_cap, n + 1)))
			break;
		rc = store_iter_next(it, &a->files[n]);
		/* A hidden name an older daemon recorded is not data: not mirrored. */
		if (rc == 0 && !base_name_hidden(a->files[n].name))
			n++;
	}
	store_iter_close(it);
	if (rc != -ENOENT)
		return rc;
	rc = store_partition_create(a->w, t->id, dparent, sp->value, sp->owner_uid, sp->owner_gid,
				    a->files, n, STORE_ORIGIN_SYNC, dp);
	if (rc == 0)
		rc = idmap_put(&a->copied, sp->id, dp->id);
	if (rc != 0)
		return rc;
	a->res->applied += 1 + n;
	if (a->diff) {
		pnode_note(a, "create", t, dp->id, NULL);
		for (uint32_t i = 0; i < n; i++)
			pnode_note(a, "put", t, dp->id, a->files[i].name);
	}
	return 0;
}

/* The target pnode mirroring source pnode SP (of the table mirrored by
 * a->m), created with its missing ancestors; its id into *OUT. */
static int target_chain(struct apply *a, const store_pnode *sp, uint64_t *out)
{
	store_object parent;
	store_kind kind;
	store_pnode dp;
	uint64_t dparent = 0;
	int rc;

	if (idmap_get(&a->map, sp->id, out))
		return 0;
	if (sp->parent_id) {
		rc = store_object_by_id(a->s, sp->parent_id, &kind, &parent);
		if (rc == 0 && kind != STORE_KIND_PNODE)
			rc = -EIO;
		if (rc == 0)
			rc = target_chain(a, &parent.pnode, &dparent);
		if (rc != 0)
			return rc;
	}
	bool created = false;
	/* A missing leaf is copied whole with its files (leaf_create). */
	rc = sp->leaf ? store_pnode_get(a->w, a->m.t.id, dparent, sp->value, &dp)
		      : store_pnode_ensure(a->w, a->m.t.id, dparent, sp->value, sp->owner_uid,
					   sp->owner_gid, STORE_ORIGIN_SYNC, &dp, &created);
	if (rc == -ENOENT && sp->leaf) {
		rc = leaf_create(a, &a->m.t, dparent, sp, &dp);
	} else if (rc == 0 && created) {
		a->res->applied++;
		pnode_note(a, "create", &a->m.t, dp.id, NULL);
	} else if (rc == 0) {
		a->res->unchanged++;
	}
	if (rc == 0)
		rc = idmap_put(&a->map, sp->id, dp.id);
	if (rc == 0)
		*out = dp.id;
	return rc;
}

static bool file_same(const store_file *a, const store_file *b)
{
	return a->rows == b->rows && a->bytes == b->bytes &&
	       memcmp(a->checksum, b->checksum, sizeof a->checksum) == 0;
}

/* Write source file SF into target container DST (of table T) unless the
 * target holds the same.  KNOWN_ABSENT skips the lookup. */
static int file_mirror(struct apply *a, const store_table *t, uint64_t dst, const store_file *sf,
		       bool known_absent)
{
	store_file cur, f = { 0 };
	int rc = known_absent ? -ENOENT : store_file_get(a->w, dst, sf->name, &cur);

	if (rc == 0 && file_same(&cur, sf)) {
		a->res->unchanged++;
		return 0;
	}
	if (rc != 0 && rc != -ENOENT)
		return rc;
	f.id = rc == 0 ? cur.id : 0;
	f.pnode_id = dst;
	strcpy(f.name, sf->name);
	f.owner_uid = sf->owner_uid;
	f.owner_gid = sf->owner_gid;
	f.created_ns = sf->created_ns;
	f.modified_ns = sf->modified_ns;
	f.mtime_ns = sf->mtime_ns;   /* the source's time as of its last data change */
	f.rows = sf->rows;
	f.bytes = sf->bytes;
	memcpy(f.checksum, sf->checksum, sizeof f.checksum);
	rc = store_file_put(a->w, &f, STORE_ORIGIN_SYNC);
	if (rc == 0) {
		a->res->applied++;
		pnode_note(a, "put", t, dst, f.name);
	}
	return rc;
}

/* Is source container ID (a pnode, or the table itself) part of the table
 * the cached mirror reflects?  Its target container into *DST. */
static int container_resolve(struct apply *a, uint64_t id, bool *ok, uint64_t *dst)
{
	store_object o;
	store_kind kind;
	int rc;

	*ok = false;
	if (id == a->m.source_id) {
		*ok = true;
		*dst = a->m.t.id;
		return 0;
	}
	rc = store_object_by_id(a->s, id, &kind, &o);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (kind == STORE_KIND_TABLE)
		store_table_clear(&o.table);
	if (kind != STORE_KIND_PNODE || o.pnode.table_id != a->m.source_id)
		return 0;
	*ok = true;
	return target_chain(a, &o.pnode, dst);
}

/* Walk the target pnodes named by the escaped components of REST
 * ("k=v/k=v", N of them) under target table T; -ENOENT if one is missing. */
static int target_walk(struct apply *a, uint64_t table_id, const char *rest, unsigned n,
		       uint64_t *out)
{
	char comp[3 * STORE_NAME_MAX + 1], raw[STORE_NAME_MAX + 1];
	const char *p = rest, *slash, *eq;
	uint64_t parent = 0;
	store_pnode dp;
	size_t len;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len >= sizeof comp)
			return -EIO;
		memcpy(comp, p, len);
		comp[len] = '\0';
		eq = strchr(comp, '=');
		if (eq == NULL)
			return -EIO;
		rc = store_hive_unescape(eq + 1, raw, sizeof raw);
		if (rc == 0)
			rc = store_pnode_get(a->w, table_id, parent, raw, &dp);
		if (rc != 0)
			return rc;
		parent = dp.id;
		p = slash ? slash + 1 : p + len;
	}
	*out = parent ? parent : table_id;
	return 0;
}

static unsigned count_components(const char *s)
{
	unsigned n = s[0] ? 1 : 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

/* ---- events ------------------------------------------------------------------------ */

/* Split an event path into its database, table (may be empty) and the rest
 * after "db/table/" (empty if none). */
static bool path_split(const char *path, char *db, char *table, const char **rest)
{
	const char *s1 = strchr(path, '/'), *s2;
	size_t n;

	n = s1 ? (size_t)(s1 - path) : strlen(path);
	if (n == 0 || n > STORE_NAME_MAX)
		return false;
	memcpy(db, path, n);
	db[n] = '\0';
	table[0] = '\0';
	*rest = "";
	if (s1 == NULL)
		return true;
	s2 = strchr(s1 + 1, '/');
	n = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
	if (n == 0 || n > STORE_NAME_MAX)
		return false;
	memcpy(table, s1 + 1, n);
	table[n] = '\0';
	*rest = s2 ? s2 + 1 : "";
	return true;
}

static int apply_table_event(struct apply *a, const store_event *ev)
{
	struct mirrored mr;
	store_object o;
	store_kind kind;
	int rc;

	rc = store_object_by_id(a->s, ev->object_id, &kind, &o);
	/* Gone by the snapshot: its drop event comes later in this log. */
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (kind == STORE_KIND_TABLE)
		rc = mirror_table(a, &o.table, &mr);
	if (kind == STORE_KIND_TABLE)
		store_table_clear(&o.table);
	return rc;
}

static int apply_partition_event(struct apply *a, const store_event *ev, const char *db,
				 const char *table, const char *rest)
{
	char name[STORE_NAME_MAX + 1];
	const char *slash;
	store_object o;
	store_kind kind;
	uint64_t dst;
	unsigned n;
	bool ok;
	int rc;

	rc = mirror_load(a, db, table);
	if (rc != 0 || !a->m.exists || !a->m.ours || !a->m.t.has_schema)
		return rc;
	if (ev->op == STORE_OP_DROP) {
		/* The object is gone from the source; its target twin is found
		 * by name.  In log order the mirror is the one this event's
		 * table had (an older table's drop came before its re-create). */
		n = count_components(rest);
		if (ev->kind == STORE_KIND_FILE) {
			slash = strrchr(rest, '/');
			snprintf(name, sizeof name, "%s", slash ? slash + 1 : rest);
			n--;
		}
		rc = target_walk(a, a->m.t.id, rest, n, &dst);
		if (rc == -ENOENT)
			return 0;
		if (rc != 0)
			return rc;
		if (ev->kind == STORE_KIND_PNODE) {
			if (dst == a->m.t.id)
				return -EIO;
			return target_pnode_drop(a, &a->m.t, dst);
		}
		rc = store_file_drop(a->w, dst, name, STORE_ORIGIN_SYNC);
		if (rc == -ENOENT)
			return 0;
		if (rc == 0) {
			a->res->dropped++;
			pnode_note(a, "drop", &a->m.t, dst, name);
		}
		return rc;
	}
	/* A file of a partition this apply copied whole is already there as
	 * the snapshot has it. */
	if (ev->kind == STORE_KIND_FILE && idmap_get(&a->copied, ev->parent_id, &dst)) {
		a->res->unchanged++;
		return 0;
	}
	rc = store_object_by_id(a->s, ev->object_id, &kind, &o);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (kind == STORE_KIND_TABLE) {
		store_table_clear(&o.table);
		return -EIO;
	}
	if (kind == STORE_KIND_PNODE && ev->kind == STORE_KIND_PNODE) {
		if (o.pnode.table_id != a->m.source_id)
			return 0;
		return target_chain(a, &o.pnode, &dst);
	}
	if (kind != STORE_KIND_FILE || ev->kind != STORE_KIND_FILE)
		return -EIO;
	rc = container_resolve(a, o.file.pnode_id, &ok, &dst);
	if (rc != 0 || !ok)
		return rc;
	return file_mirror(a, &a->m.t, dst, &o.file, false);
}

static int apply_event(struct apply *a, const store_event *ev)
{
	char db[STORE_NAME_MAX + 1], table[STORE_NAME_MAX + 1];
	const char *rest;
	store_database d;
	int rc;

	if (!path_split(ev->path, db, table, &rest))
		return 0;
	a->event = ev->seq;
	switch (ev->kind) {
	case STORE_KIND_DATABASE:
		if (!fnmatch_db(a->rule, db))
			return 0;
		rc = store_database_get(a->s, db, &d);
		if (ev->op == STORE_OP_DROP) {
			/* Its tables' drops came first.  Re-created since: kept. */
			if (rc != -ENOENT)
				return rc;
			return db_release(a, db);
		}
		if (ev->op != STORE_OP_CREATE)
			return 0;
		if (rc == -ENOENT || (rc == 0 && d.id != ev->object_id))
			return 0;
		return rc == 0 ? ensure_db(a, db) : rc;
	case STORE_KIND_TABLE:
		if (!sync_rule_matches(a->rule, db, table))
			return 0;
		if (ev->op == STORE_OP_DROP)
			return drop_mirror(a, db, table, ev->object_id);
		return apply_table_event(a, ev);
	case STORE_KIND_PNODE:
	case STORE_KIND_FILE:
		if (!(a->rule->mirror & SYNC_MIRROR_PARTITIONS) ||
		    !sync_rule_matches(a->rule, db, table))
			return 0;
		return apply_partition_event(a, ev, db, table, rest);
	default:
		return 0;
	}
}

static int run_incremental(struct apply *a, uint64_t head)
{
	store_iter *it = NULL;
	store_event ev;
	uint64_t last = a->cursor, n = 0;
	int rc;

	rc = store_iter_events(a->s, a->cursor, &it);
	while (rc == 0) {
		rc = store_iter_next(it, &ev);
		if (rc != 0)
			break;
		if (ev.seq > head)
			break;
		a->res->events_read++;
		rc = txn_need(a);
		if (rc == 0)
			rc = apply_event(a, &ev);
		if (rc != 0)
			break;
		last = ev.seq;
		if (++n == SYNC_BATCH_EVENTS) {
			rc = batch_commit(a, true, last);
			n = 0;
		}
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0 && n)
		rc = batch_commit(a, true, last);
	return rc;
}

/* ---- full compare ---------------------------------------------------------------- */

/* Append NAME to a growing array of names (collected while an iterator is
 * open, acted on after it is closed). */
static int names_push(char (**names)[STORE_NAME_MAX + 1], size_t *n, size_t *cap, const char *name)
{
	int rc = BASE_ARRAY_RESERVE(*names, *cap, *n + 1);

	if (rc)
		return rc;
	snprintf((*names)[(*n)++], STORE_NAME_MAX + 1, "%s", name);
	return 0;
}

/* Files of source container SRC against target container DST (of table T). */
static int compare_files(struct apply *a, const store_table *t, uint64_t src, uint64_t dst,
			 bool fresh)
{
	char (*gone)[STORE_NAME_MAX + 1] = NULL;
	size_t ngone = 0, cap = 0;
	store_iter *it = NULL;
	store_file f, sf;
	int rc;

	rc = store_iter_files(a->s, src, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &f)) == 0) {
		if (base_name_hidden(f.name))
			continue;   /* not data (see leaf_create) */
		rc = step(a);
		if (rc == 0)
			rc = file_mirror(a, t, dst, &f, fresh);
	}
	store_iter_close(it);
	it = NULL;
	if (rc != -ENOENT || fresh)
		return rc == -ENOENT ? 0 : rc;
	/* Target files the source no longer has: collect, then drop. */
	rc = store_iter_files(a->w, dst, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &f)) == 0) {
		rc = store_file_get(a->s, src, f.name, &sf);
		if (rc == 0 && !base_name_hidden(f.name))
			continue;
		if (rc != 0 && rc != -ENOENT)
			break;
		rc = 0;
		if ((rc = names_push(&gone, &ngone, &cap, f.name)))
			break;
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < ngone; i++) {
		rc = store_file_drop(a->w, dst, gone[i], STORE_ORIGIN_SYNC);
		if (rc == 0) {
			a->res->dropped++;
			pnode_note(a, "drop", t, dst, gone[i]);
		}
	}
	free(gone);
	return rc;
}

/* The pnodes under source pnode SRC_PARENT (0: the table's first level) of
 * source table ST against those under target DST_PARENT of target table T.
 * FRESH: the target side is known to be empty. */
static int compare_level(struct apply *a, const store_table *st, uint64_t src_parent,
			 const store_table *t, uint64_t dst_parent, bool fresh)
{
	char (*gone)[STORE_NAME_MAX + 1] = NULL;
	size_t ngone = 0, cap = 0;
	store_iter *it = NULL;
	store_pnode sp, dp, tmp;
	bool created;
	int rc;

	rc = store_iter_pnodes(a->s, st->id, src_parent, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &sp)) == 0) {
		rc = step(a);
		if (rc != 0)
			break;
		created = false;
		if (sp.leaf) {
			rc = fresh ? -ENOENT : store_pnode_get(a->w, t->id, dst_parent, sp.value, &dp);
			if (rc == -ENOENT) {
				/* A whole partition: nothing left to compare. */
				rc = leaf_create(a, t, dst_parent, &sp, &dp);
				continue;
			}
		} else {
			rc = store_pnode_ensure(a->w, t->id, dst_parent, sp.value, sp.owner_uid,
						sp.owner_gid, STORE_ORIGIN_SYNC, &dp, &created);
			if (rc == 0 && created) {
				a->res->applied++;
				pnode_note(a, "create", t, dp.id, NULL);
			}
		}
		if (rc != 0)
			break;
		if (!sp.leaf) {
			rc = compare_level(a, st, sp.id, t, dp.id, created);
		} else if (!created && dp.nfiles == sp.nfiles && dp.rows == sp.rows &&
			   dp.bytes == sp.bytes && memcmp(dp.checksum, sp.checksum, 16) == 0) {
			a->res->unchanged++;
		} else {
			rc = compare_files(a, t, sp.id, dp.id, created);
		}
	}
	store_iter_close(it);
	it = NULL;
	if (rc != -ENOENT || fresh)
		return rc == -ENOENT ? 0 : rc;
	rc = store_iter_pnodes(a->w, t->id, dst_parent, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &dp)) == 0) {
		rc = store_pnode_get(a->s, st->id, src_parent, dp.value, &tmp);
		if (rc == 0)
			continue;
		if (rc != -ENOENT)
			break;
		rc = 0;
		if ((rc = names_push(&gone, &ngone, &cap, dp.value)))
			break;
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < ngone; i++) {
		rc = store_pnode_get(a->w, t->id, dst_parent, gone[i], &dp);
		if (rc == 0)
			rc = target_pnode_drop(a, t, dp.id);
	}
	free(gone);
	return rc;
}

/* The mirror T of a rule that does not mirror partitions holds none: a
 * rule that did (before a redefinition) leaves them behind otherwise.  One
 * top-level pnode at a time, each a step, so the drop of a large table is
 * bounded like any other batch. */
static int unmirror_partitions(struct apply *a, const store_table *t)
{
	store_iter *it = NULL;
	store_pnode p;
	store_file f;
	int rc;

	for (;;) {
		rc = store_iter_pnodes(a->w, t->id, 0, NULL, &it);
		if (rc == 0)
			rc = store_iter_next(it, &p);
		store_iter_close(it);
		it = NULL;
		if (rc == 0)
			rc = target_pnode_drop(a, t, p.id);
		if (rc == 0)
			rc = step(a);
		if (rc != 0)
			break;
	}
	/* Files of a table without partition keys sit on the table itself. */
	while (rc == -ENOENT) {
		rc = store_iter_files(a->w, t->id, NULL, &it);
		if (rc == 0)
			rc = store_iter_next(it, &f);
		store_iter_close(it);
		it = NULL;
		if (rc == 0)
			rc = store_file_drop(a->w, t->id, f.name, STORE_ORIGIN_SYNC);
		if (rc == 0) {
			a->res->dropped++;
			pnode_note(a, "drop", t, t->id, f.name);
			rc = step(a);
			if (rc == 0)
				rc = -ENOENT;
		} else if (rc == -ENOENT) {
			return 0;
		}
	}
	return rc;
}

static int compare_table(struct apply *a, const store_table *st)
{
	struct mirrored mr;
	store_table t = { 0 };
	int rc;

	rc = step(a);
	if (rc == 0)
		rc = mirror_table(a, st, &mr);
	if (rc != 0 || !mr.ours)
		return rc;
	rc = store_table_get(a->w, st->db, st->name, &t);
	if (rc == 0 && !(a->rule->mirror & SYNC_MIRROR_PARTITIONS))
		rc = t.npartitions || t.nfiles ? unmirror_partitions(a, &t) : 0;
	else if (rc == 0 && st->npartkeys)
		rc = compare_level(a, st, 0, &t, 0, mr.fresh);
	else if (rc == 0)
		rc = compare_files(a, &t, st->id, t.id, mr.fresh);
	store_table_clear(&t);
	return rc;
}

/* Does mirror T name, as its source, a table of the rule's source platform
 * under its own name?  (A redefinition may name another platform.) */
static bool source_is(const struct apply *a, const store_table *t)
{
	char want[3 * (STORE_NAME_MAX + 1)];
	size_t len;
	const char *v = sync_table_property(t, SYNC_PROP_PREFIX "source", &len);

	snprintf(want, sizeof want, "%s.%s.%s", a->src->name, t->db, t->name);
	return v && len == strlen(want) && memcmp(v, want, len) == 0;
}

/* Mirrors of this rule in target database DB whose source is gone or no
 * longer matches the rule. */
static int drop_orphans(struct apply *a, const char *db)
{
	char (*gone)[STORE_NAME_MAX + 1] = NULL;
	size_t ngone = 0, cap = 0;
	store_iter *it = NULL;
	store_object o;
	store_kind kind;
	store_table t;
	uint64_t sid;
	bool keep;
	int rc;

	rc = store_iter_tables(a->w, db, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &t)) == 0) {
		keep = true;
		if (is_ours(a, &t)) {
			keep = false;
			if (source_is(a, &t) &&
			    sync_property_u64(&t, SYNC_PROP_PREFIX "source_id", 10, &sid) &&
			    store_object_by_id(a->s, sid, &kind, &o) == 0 && kind == STORE_KIND_TABLE) {
				keep = strcmp(o.table.db, t.db) == 0 &&
				       strcmp(o.table.name, t.name) == 0 &&
				       sync_rule_matches(a->rule, t.db, t.name);
				store_table_clear(&o.table);
			}
		}
		if (!keep)
			rc = BASE_ARRAY_RESERVE(gone, cap, ngone + 1);
		if (!keep && rc == 0)
			strcpy(gone[ngone++], t.name);
		store_table_clear(&t);
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < ngone; i++) {
		rc = drop_mirror(a, db, gone[i], 0);
		if (rc == 0)
			rc = step(a);
	}
	free(gone);
	return rc;
}

static int run_full(struct apply *a, uint64_t head)
{
	store_iter *dit = NULL, *tit = NULL;
	store_database d;
	store_table st;
	int rc;

	a->event = head;
	rc = txn_need(a);
	if (rc == 0)
		rc = store_iter_databases(a->s, NULL, &dit);
	while (rc == 0 && (rc = store_iter_next(dit, &d)) == 0) {
		if (!fnmatch_db(a->rule, d.name))
			continue;
		rc = ensure_db(a, d.name);
		if (rc == 0)
			rc = store_iter_tables(a->s, d.name, NULL, &tit);
		while (rc == 0 && (rc = store_iter_next(tit, &st)) == 0) {
			if (sync_rule_matches(a->rule, st.db, st.name))
				rc = compare_table(a, &st);
			store_table_clear(&st);
		}
		store_iter_close(tit);
		tit = NULL;
		if (rc == -ENOENT)
			rc = 0;
	}
	store_iter_close(dit);
	dit = NULL;
	/* Every target database: a database the rule no longer matches may
	 * still hold its mirrors.  Names are collected first, as drops move
	 * the target under an open iterator. */
	char (*dbs)[STORE_NAME_MAX + 1] = NULL;
	size_t ndbs = 0, cap = 0;

	if (rc == -ENOENT)
		rc = store_iter_databases(a->w, NULL, &dit);
	while (rc == 0 && (rc = store_iter_next(dit, &d)) == 0)
		rc = names_push(&dbs, &ndbs, &cap, d.name);
	store_iter_close(dit);
	dit = NULL;
	if (rc == -ENOENT)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < ndbs; i++)
		rc = drop_orphans(a, dbs[i]);
	/* Then the databases the rule no longer mirrors into. */
	for (size_t i = 0; rc == 0 && i < ndbs; i++) {
		if (fnmatch_db(a->rule, dbs[i])) {
			rc = store_database_get(a->s, dbs[i], &d);
			if (rc == 0)
				continue;
			if (rc != -ENOENT)
				break;
		}
		rc = db_release(a, dbs[i]);
		if (rc == 0)
			rc = step(a);
	}
	free(dbs);
	/* The last transaction moves the cursor and records the definition:
	 * until it commits, a redefinition or a gap is seen again. */
	if (rc == 0)
		rc = batch_commit(a, true, head);
	return rc;
}

/* ---- the entry points ------------------------------------------------------------ */

int sync_cursor_get(store_env *target, const char *rule, uint64_t *seq)
{
	store_txn *txn = NULL;
	int rc;

	if (seq == NULL)
		return -EINVAL;
	*seq = 0;
	rc = store_read_begin(target, &txn);
	if (rc != 0)
		return rc;
	rc = store_cursor_get(txn, rule, seq);
	store_abort(txn);
	return rc;
}

int sync_rule_pending(const sync_rule *rule, store_env *target, bool *pending)
{
	uint64_t etag = 0, cursor = 0, recorded = 0;
	int rc;

	if (rule == NULL || target == NULL || pending == NULL)
		return -EINVAL;
	*pending = false;
	rc = definition_etag(rule, &etag);
	if (rc == 0)
		rc = applied_state(target, rule->name, &cursor, &recorded);
	if (rc == 0)
		*pending = definition_differs(cursor, recorded, etag);
	return rc;
}

int sync_rule_apply(const sync_rule *rule, const sync_platform *source,
		    const sync_platform *target, bool full, bool dry_run, textbuf *diff,
		    sync_result *result)
{
	struct apply a = { 0 };
	sync_result scratch;
	uint64_t head = 0, first = 0, recorded = 0;
	int rc;

	if (result == NULL)
		result = &scratch;
	memset(result, 0, sizeof *result);
	if (rule == NULL || source == NULL || target == NULL || source->store == NULL ||
	    target->store == NULL || source->name == NULL || target->name == NULL ||
	    source->data_dir == NULL || source->store == target->store)
		return -EINVAL;
	a.rule = rule;
	a.src = source;
	a.dst = target;
	a.dry_run = dry_run;
	a.diff = diff;
	a.res = result;
	a.where = "";
	rc = definition_etag(rule, &a.definition);
	if (rc == 0)
		rc = applied_state(target->store, rule->name, &a.cursor, &recorded);
	if (rc != 0)
		return rc;
	a.redefine = definition_differs(a.cursor, recorded, a.definition);
	rc = store_read_begin(source->store, &a.s);
	if (rc == 0)
		rc = store_event_head(a.s, &head);
	if (rc == 0)
		rc = store_event_first(a.s, &first);
	if (rc != 0)
		goto out;
	result->source_head = head;
	/* A cursor beyond the head belongs to another incarnation of the
	 * source: compare as after a gap. */
	if (!full && a.cursor < head && first > a.cursor + 1)
		full = true;
	if (!full && a.cursor > head)
		full = true;
	if (a.redefine)
		full = true;
	result->redefined = a.redefine;
	result->full_compare = full;
	if (full)
		rc = run_full(&a, head);
	else if (a.cursor < head)
		rc = run_incremental(&a, head);
out:
	/* A failed batch (a conflict, say) takes its records and its cursor
	 * with it; a dry run drops everything here. */
	store_abort(a.w);
	store_abort(a.s);
	mirror_forget(&a);
	idmap_free(&a.map);
	idmap_free(&a.copied);
	free(a.skipped);
	free(a.files);
	result->cursor = a.cursor;
	return rc;
}

/* ---- retirement ------------------------------------------------------------------ */

int sync_rule_stale(store_env *env, const char *rule, bool *stale)
{
	uint64_t cursor = 0, etag = 0;
	int rc;

	if (env == NULL || rule == NULL || stale == NULL)
		return -EINVAL;
	*stale = false;
	rc = applied_state(env, rule, &cursor, &etag);
	if (rc == 0)
		*stale = cursor != 0 || etag != 0;
	return rc;
}

/* The rule's tables in database DB of the old target, dropped. */
static int retire_tables(struct apply *a, const char *db)
{
	char (*ours)[STORE_NAME_MAX + 1] = NULL;
	size_t n = 0, cap = 0;
	store_iter *it = NULL;
	store_table t;
	int rc;

	rc = store_iter_tables(a->w, db, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &t)) == 0) {
		if (is_ours(a, &t))
			rc = names_push(&ours, &n, &cap, t.name);
		store_table_clear(&t);
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = table_drop(a, db, ours[i]);
		if (rc == 0) {
			a->res->dropped++;
			note(a, "drop table %s.%s%s", db, ours[i], a->where);
			rc = step(a);
		}
	}
	free(ours);
	return rc;
}

int sync_rule_retire(const sync_rule *rule, const sync_platform *old, bool dry_run, textbuf *diff,
		     sync_result *result)
{
	char (*dbs)[STORE_NAME_MAX + 1] = NULL, where[STORE_NAME_MAX + 8];
	size_t ndbs = 0, cap = 0;
	struct apply a = { 0 };
	sync_result scratch;
	store_iter *it = NULL;
	store_database d;
	int rc;

	if (result == NULL)
		result = &scratch;
	memset(result, 0, sizeof *result);
	if (rule == NULL || old == NULL || old->store == NULL || old->name == NULL)
		return -EINVAL;
	snprintf(where, sizeof where, " on %s", old->name);
	a.rule = rule;
	a.dst = old;
	a.dry_run = dry_run;
	a.diff = diff;
	a.res = result;
	a.where = where;
	/* The definition recorded by the last commit: none. */
	a.definition = 0;
	rc = txn_need(&a);
	if (rc == 0)
		rc = store_iter_databases(a.w, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &d)) == 0)
		rc = names_push(&dbs, &ndbs, &cap, d.name);
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < ndbs; i++)
		rc = retire_tables(&a, dbs[i]);
	for (size_t i = 0; rc == 0 && i < ndbs; i++) {
		rc = db_release(&a, dbs[i]);
		if (rc == 0)
			rc = step(&a);
	}
	free(dbs);
	/* The last transaction clears the cursor and the definition: until
	 * it commits, the platform still shows the rule's work. */
	if (rc == 0)
		rc = batch_commit(&a, true, 0);
	store_abort(a.w);
	mirror_forget(&a);
	idmap_free(&a.map);
	idmap_free(&a.copied);
	return rc;
}
