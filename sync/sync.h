/*
 * sync.h - sync rules: mirroring a subset of one platform's metastore into
 * another's, and the refresh component that lists a mirrored table's
 * partitions from its source.
 *
 * A rule names a source (platform.database.table, with * and ? globs in the
 * database and table parts), a target platform, the subset to mirror
 * (schema and properties by default; partitions optionally; columns to drop),
 * a schedule and a conflict policy.  Applying a rule reads the source's
 * change log after the rule's cursor and writes the mirrored records into
 * the target; the cursor (the last source event applied) is written in the
 * SAME target transaction as the records it covers, so a crash between two
 * transactions loses nothing and doubles nothing: the next apply starts
 * exactly after the last committed batch.  Applying is idempotent: a record
 * whose source etag equals the one recorded on the target is not written.
 *
 * Transactions are bounded (SYNC_BATCH_EVENTS source events each) so a large
 * sync never holds the target's writer lock for long, and LMDB readers are
 * never blocked by it.
 *
 * If the source log no longer reaches back to the cursor (events were
 * trimmed), the rule falls back to a full compare: every matching source
 * table against its mirror, by etag, then continues from the log's head.
 *
 * A mirrored table carries, in its properties, where it comes from (these
 * keys are reserved; .table shows them):
 *   metafs.mirror.rule          the rule's name
 *   metafs.mirror.source        platform.db.table of the source
 *   metafs.mirror.source_id     the source table's id (a drop and re-create
 *                               under the same name is a different table)
 *   metafs.mirror.source_etag   etag of the source table record applied
 *   metafs.mirror.event         the source event id it reflects
 *   metafs.mirror.location      the source table's data directory (partitions
 *                               are served from there, read-only)
 * A target object without metafs.mirror.rule = this rule was not created by
 * it: on_conflict decides (fail: the rule fails and says which object;
 * skip: the object is left alone and counted; overwrite: the rule takes it).
 *
 * A target database the rule creates is recorded as the rule's in the
 * target's cursors sub-database (a ".db:" key of the rule and the database
 * name, holding the database's id), in the transaction that creates it.
 * The databases and tables a rule creates belong to the user the process
 * runs as (the daemon), never to the source's or the rule's owner.  A
 * target database that exists and is not recorded as the rule's is a
 * conflict under every on_conflict (fail and overwrite: the rule fails and
 * says which database; skip: its tables are skipped and counted), unless
 * the rule names it in `adopt`: then it is recorded as the rule's in the
 * transaction that first mirrors into it, and is the rule's from then on
 * (who may adopt is the caller's to check).  A
 * full compare drops such a database once it no longer holds anything the
 * rule mirrors and is empty; one that holds tables the rule did not make is
 * left in place, reported in sync_result.kept and no longer the rule's.
 *
 * Nothing here knows about FUSE; sync/ uses store/ only.
 */
#ifndef METAFS_SYNC_H
#define METAFS_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "sync_mask.h"
#include "textbuf.h"

#define SYNC_BATCH_EVENTS 5000
#define SYNC_MAX_DROP_COLUMNS 64
#define SYNC_MAX_ADOPT 64
/* The shortest `interval` a rule may have (0, none, aside). */
#define SYNC_MIN_INTERVAL_MS 1000
#define SYNC_PROP_PREFIX "metafs.mirror."
/* Every property whose name starts with this, in any case, is the daemon's:
 * only sync apply writes one (sync_property_reserved). */
#define SYNC_PROP_RESERVED "metafs."

typedef enum sync_conflict {
	SYNC_CONFLICT_FAIL = 0,
	SYNC_CONFLICT_SKIP = 1,
	SYNC_CONFLICT_OVERWRITE = 2,
} sync_conflict;

/* What a rule mirrors (bits). */
enum {
	SYNC_MIRROR_SCHEMA = 1,
	SYNC_MIRROR_PROPERTIES = 2,
	SYNC_MIRROR_PARTITIONS = 4,
};

typedef struct sync_rule {
	char name[STORE_NAME_MAX + 1];
	char source_platform[STORE_NAME_MAX + 1];
	char source_db[STORE_NAME_MAX + 1];      /* glob */
	char source_table[STORE_NAME_MAX + 1];   /* glob */
	char target_platform[STORE_NAME_MAX + 1];
	unsigned mirror;                          /* SYNC_MIRROR_* bits */
	char drop_columns[SYNC_MAX_DROP_COLUMNS][STORE_NAME_MAX + 1];
	unsigned ndrop;
	char adopt[SYNC_MAX_ADOPT][STORE_NAME_MAX + 1];  /* target databases to take over */
	unsigned nadopt;
	uint64_t interval_ms;                     /* 0: on demand only */
	sync_conflict on_conflict;
	sync_mask_policy masks;                   /* `mask =` (sync_mask.h) */
} sync_rule;

/* A platform as sync sees it: a name, its data store, its metastore. */
typedef struct sync_platform {
	const char *name;
	const char *data_dir;
	store_env *store;
	/* The home's exchange key and its id (sync_mask_key_load), needed by
	 * apply when the platform is the TARGET of a rule with masks; NULL
	 * otherwise (such a rule then fails). */
	const uint8_t *mask_key;
	const char *mask_key_id;
	/* Called (when not NULL, never by a dry run) when apply has dropped
	 * database DB (TABLE NULL) or table DB.TABLE of this platform in its
	 * open write transaction, before that commits: the manager removes the
	 * grants on it (mgr_grants_drop_object).  Not called when a mirror is
	 * made again for new partition keys of the same source.  Non-zero
	 * fails the run and the drop is not committed. */
	int (*dropping)(void *arg, const char *db, const char *table);
	void *dropping_arg;
} sync_platform;

/* Parse a rule definition (the text written to sync/NAME.rule; format in
 * metafs(5)): `key = value` lines, `#` comments.  On error returns -EINVAL
 * with "line N: reason" in ERR. */
int sync_rule_parse(const char *name, const char *text, size_t len, sync_rule *rule, char *err,
		    size_t errlen);
/* The canonical text of RULE (what reading the definition shows). */
void sync_rule_format(const sync_rule *rule, textbuf *out);
/* Does RULE name target database DB in `adopt`? */
bool sync_rule_adopts(const sync_rule *rule, const char *db);
/* Does db.table match the rule's source globs? */
bool sync_rule_matches(const sync_rule *rule, const char *db, const char *table);

/* The cursor of RULE in the target metastore: the last source event applied
 * (0: none yet). */
int sync_cursor_get(store_env *target, const char *rule, uint64_t *seq);

/* Is a change of RULE's definition not yet applied to TARGET?  The target
 * records, with the cursor, the etag of the definition its mirrors were made
 * with (see sync_apply.c); *PENDING is true when that is another one, until
 * the run that finishes the full compare of the new definition commits. */
int sync_rule_pending(const sync_rule *rule, store_env *target, bool *pending);

/* What one apply did. */
typedef struct sync_result {
	uint64_t events_read;         /* source events looked at */
	uint64_t applied;             /* objects written to the target */
	uint64_t dropped;             /* objects dropped from the target */
	uint64_t unchanged;           /* skipped because the etag was the same */
	uint64_t conflicts_skipped;   /* on_conflict = skip */
	uint64_t cursor;              /* the cursor after the apply */
	uint64_t source_head;         /* the source log's head when it ran */
	bool full_compare;            /* fell back (or asked) to compare by etag */
	bool redefined;               /* applied a changed definition (a full compare) */
	uint64_t kept_dbs;            /* databases of the rule's left, holding others' tables */
	char kept[512];               /* their names, ", " between ("..." when cut short) */
	char conflict[512];           /* on failure by conflict: which object, and why */
} sync_result;

/* Apply RULE from SOURCE to TARGET: incrementally from the log, or by full
 * compare when FULL or when the log has a gap.  With DRY_RUN nothing is
 * written and DIFF (if not NULL) receives one line per change that would be
 * made ("create table sales.orders", "alter table ...", "drop table ...",
 * "create partition sales.orders/dt=...", ...).  ORIGIN is written on the
 * target's events (STORE_ORIGIN_SYNC).  -EEXIST (with result->conflict set)
 * when a conflict stops a rule with on_conflict = fail. */
int sync_rule_apply(const sync_rule *rule, const sync_platform *source,
		    const sync_platform *target, bool full, bool dry_run, textbuf *diff,
		    sync_result *result);

/* Does platform ENV hold the work of a rule named RULE: its cursor, a
 * recorded definition?  For a platform that is not the rule's target (its
 * target before `target` changed), *STALE says its mirrors there are yet to
 * be retired. */
int sync_rule_stale(store_env *env, const char *rule, bool *stale);

/* Retire RULE from OLD, a platform that is no longer its target: drop every
 * table whose metafs.mirror.rule is the rule, in any database, then the
 * databases the rule created that are left empty; a database of the rule's
 * holding other tables is left (result->kept).  Bounded transactions; the
 * last one clears the rule's cursor and recorded definition on OLD, so a
 * retirement cut short is seen (sync_rule_stale) and done again.  Objects
 * without metafs.mirror.rule = the rule are never touched.  DRY_RUN and
 * DIFF as for sync_rule_apply; diff lines name OLD ("drop table db.t on
 * lake"). */
int sync_rule_retire(const sync_rule *rule, const sync_platform *old, bool dry_run, textbuf *diff,
		     sync_result *result);

/* ---- refresh ------------------------------------------------------------------- */

/* The partition list of the source table that mirrored table T (in the target
 * platform TARGET_NAME) reflects, from a fresh snapshot of SOURCE: one line a
 * partition,
 *   SPEC PATH rows=N bytes=N etag=HEX
 * with PATH the partition's path inside the target's tree
 * (TARGET_NAME/db/table/key=value/...), then a trailer line
 *   snapshot EVENT-ID
 * With SINCE > 0, only partitions added, changed or dropped after event
 * SINCE, each line starting with "+ ", "~ " or "- " ("- " lines carry only
 * SPEC and PATH).  -ENOENT if T is not a mirrored table or its source is
 * gone (the source table is found by metafs.mirror.source_id: a source
 * re-created under the same name is gone until the rule applies it).
 * -ESTALE with SINCE > 0 when the source log no longer reaches back to
 * SINCE or the source table is newer than SINCE: read the full list. */
int sync_refresh(const store_table *t, const char *target_name, const sync_platform *source,
		 uint64_t since, textbuf *out);
/* Find the source platform of mirrored table T among PLATFORMS (by the
 * metafs.mirror.source property); NULL if T is not a mirror. */
const sync_platform *sync_source_of(const store_table *t, const sync_platform *platforms,
				    unsigned n);
/* The value of property KEY of T, or NULL; valid while T lives. */
const char *sync_table_property(const store_table *t, const char *key, size_t *len);

/* Is property name KEY (LEN bytes) reserved for metafs: does it start, after
 * any blanks, with "metafs." in any case?  Such a property is written by
 * sync apply only; .schema, TBLPROPERTIES and ALTER refuse it to everyone. */
bool sync_property_reserved(const char *key, size_t len);
/* Is T, a table of platform TARGET, the mirror RULE made?  RULE is the
 * registry's rule named by T's metafs.mirror.rule (NULL: there is none).
 * T's properties must agree with the rule: metafs.mirror.rule is its name,
 * the rule targets TARGET, metafs.mirror.source is the rule's source
 * platform and T's own db.table, which the rule's globs match,
 * metafs.mirror.source_id is a number, the recorded masks
 * (metafs.mask.policy) are the rule's, and no column of T is one the rule
 * drops.  Properties alone never make a table a mirror. */
bool sync_mirror_valid(const sync_rule *rule, const char *target, const store_table *t);

#endif
