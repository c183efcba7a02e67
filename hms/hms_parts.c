/*
 * hms_parts.c - the partition reads of ThriftHiveMetastore (field ids:
 * hive_metastore.thrift, section "partitions").
 *
 * A Hive partition is a leaf pnode of a table: its values are the raw
 * (unescaped) values of the pnodes from the table down to it, its name is
 * "k1=v1/k2=v2" with each value escaped, and its location is the
 * partition's directory in the mount.
 *
 * Names.  Hive escapes a value with FileUtils.escapePathName: the bytes
 * 0x01-0x1F and 0x7F and the characters " # % ' * / : = ? \ { [ ] ^ become
 * %XX with upper-case hex digits; nothing else does (a space stays a space;
 * bytes of UTF-8 stay as they are).  store_hive_escape, which names the
 * mount's partition directories, escapes exactly that set the same way, so
 * a Hive partition name is the mount's directory names joined with '/'.
 * They differ in two places only: Hive on Windows also escapes space, < >
 * and |, which metafs never does, and Hive names an empty or NULL value
 * __HIVE_DEFAULT_PARTITION__, where metafs has no empty values (that name
 * is an ordinary value here).  Names a client sends (get_partition_by_name,
 * get_partitions_by_names) are unescaped with store_hive_unescape, which
 * takes either case of hex digit, as Hive's unescapePathName does.  Key
 * names are written as the table has them: Hive lower-cases and escapes
 * them too, so a key with an upper-case letter or a character Hive escapes
 * names its partitions differently in Hive (keys sent back are matched
 * without regard to case).
 *
 * Order.  Hive returns partitions ordered by name.  metafs walks the pnodes
 * depth first, each level in its store order, the byte order of the raw
 * values: so the order is by the values, the first key first.  That is
 * Hive's name order except where escaping or a value's end changes the
 * byte order of the names: a character Hive escapes compares as '%' there
 * ("a:" is "a%3A", before "a+" in Hive, after it here), and where one value
 * is a prefix of another, the '/' that follows it in a name compares with
 * the longer value's next byte ("a b" lists before "a" in Hive's names of
 * a table with two keys, after it here).  Every listing call (names, partitions, filters, _ps) returns the
 * same order, so get_partition_names and get_partitions agree entry by
 * entry, and max_parts takes the first partitions of that order.
 * get_partitions_by_names answers in the order the names were asked, each
 * partition once.
 *
 * Scale.  A listing is one read transaction streaming the pnodes with
 * store_iter_pnodes, a level at a time (a _ps value fixes its level with
 * one store_pnode_get instead); each partition is written to the reply as
 * it is met, and the list's count is filled in at the end.  Nothing is
 * read per partition beyond its pnode.
 *
 * Access.  The mount lists a table's partitions to whoever holds SELECT on
 * the table (fs_access.c), so each call needs SELECT on the table and is
 * audited once, as the mount's "list" of the table's directory (listings)
 * or "read" of it (a single partition), with the call's name as detail.
 * A table the user cannot see answers NoSuchObjectException exactly as a
 * missing one (as hms_table_lookup does); a table the user sees without
 * SELECT answers MetaException.  user_name and group_names of the _with_auth
 * calls are ignored: the set_ugi user decides.
 *
 * Exceptions go in the fields of the current Hive IDL's throws clauses.
 * Hive 2.x declared get_partition_names as throws (1: MetaException o2): a
 * 2.x client reads the NoSuchObjectException of a missing table there as a
 * MetaException with the same message, and a refusal (field 2) as a
 * missing result; either way the call fails.
 *
 * Not served: the request forms of Hive 4 (get_partitions_req,
 * get_partitions_by_names_req, get_partitions_ps_with_auth_req,
 * get_partition_names_req, get_partitions_by_filter_req ...), which Hive
 * 2.3 and 3.1 clients (Spark 3's built-in one) and Trino do not call, and
 * get_partitions_by_expr, whose filter is a serialized Hive expression.
 */
#include "hms_int.h"
#include "hms_value.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One call's table, looked up and checked. */
typedef struct part_table {
	mgr_platform *p;
	store_txn *txn;        /* the one read transaction of the call */
	store_table t;
	char db[STORE_NAME_MAX + 1];
} part_table;

/* How a call answers: the field ids of its throws clause. */
typedef struct part_call {
	int16_t meta, nosuch;
} part_call;

/* The exception ids of NAME (Hive's throws clauses differ in order). */
static part_call call_ids(const char *name)
{
	if (strcmp(name, "get_partitions") == 0 || strcmp(name, "get_partitions_with_auth") == 0 ||
	    strcmp(name, "get_partition_names") == 0 ||
	    strcmp(name, "get_partitions_ps_with_auth") == 0)
		return (part_call){2, 1};
	return (part_call){1, 2};
}

/* Look up CAT/DB.TBL in a read transaction kept open in *PT and check that
 * C's user may list it (ACTION "list") or read a partition ("read"); audited
 * once.  0; else an exception reply has been written and PT is released. */
static int table_open(hms_conn *c, hms_writer *w, const char *name, int32_t seqid,
		      const char *action, const char *cat, const char *db, const char *tbl,
		      part_table *pt)
{
	part_call ids = call_ids(name);
	memset(pt, 0, sizeof *pt);
	mgr_platform *p = hms_catalog_platform(c, cat);
	int rc = -ENOENT;
	char path[3 * STORE_NAME_MAX + 8];
	snprintf(path, sizeof path, "/%s/%.255s/%.255s", p ? p->name : (cat ? cat : ""), db,
		 tbl ? tbl : "");
	if (p && tbl && store_name_valid(db, NULL) && store_name_valid(tbl, NULL)) {
		if ((rc = store_read_begin(p->store, &pt->txn)) == 0 &&
		    (rc = store_table_get(pt->txn, db, tbl, &pt->t)) != 0) {
			store_commit(pt->txn);
			pt->txn = NULL;
		}
	}
	bool seen = false, allowed = false;
	if (rc == 0) {
		mgr_object o = {.level = MGR_OBJ_TABLE, .platform = p->name, .db = db, .table = tbl};
		seen = mgr_access_visible(c->m, &c->who, &o);
		allowed = seen && mgr_access_holds(c->m, &c->who, MGR_PRIV_SELECT, &o);
	}
	int denied = mgr_audit_decision(c->m, &c->who, action, path, allowed, MGR_PRIV_SELECT, name);
	if (rc == 0 && !denied) {
		pt->p = p;
		snprintf(pt->db, sizeof pt->db, "%s", db);
		return 0;
	}
	char msg[700];
	if (rc == 0 && seen && allowed) {
		snprintf(msg, sizeof msg, "%.255s.%.255s: the audit log cannot be written", db, tbl);
		hms_reply_exception(c, w, name, seqid, ids.meta, msg);
	} else if (rc == 0 && seen) {
		snprintf(msg, sizeof msg, "%.255s.%.255s: SELECT on the table is needed to read its partitions",
			 db, tbl);
		hms_reply_exception(c, w, name, seqid, ids.meta, msg);
	} else if (rc == 0 || rc == -ENOENT) {
		snprintf(msg, sizeof msg, "%.255s.%.255s table not found", db, tbl ? tbl : "");
		hms_reply_exception(c, w, name, seqid, ids.nosuch, msg);
	} else {
		hms_reply_exception(c, w, name, seqid, ids.meta, strerror(-rc));
	}
	if (pt->txn)
		store_commit(pt->txn);
	store_table_clear(&pt->t);
	memset(pt, 0, sizeof *pt);
	return -1;
}

static void table_close(part_table *pt)
{
	if (pt->txn)
		store_commit(pt->txn);
	store_table_clear(&pt->t);
	memset(pt, 0, sizeof *pt);
}

/* The partition keys of T (none when it has no schema yet). */
static uint32_t nkeys(const store_table *t)
{
	return t->has_schema ? t->npartkeys : 0;
}

/* "k1=v1/k2=v2" of the N raw VALS into OUT (CAP bytes). */
static int part_name(const store_table *t, char vals[][STORE_NAME_MAX + 1], uint32_t n, char *out,
		     size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < n; i++) {
		char esc[3 * STORE_NAME_MAX + 1];
		int rc = store_hive_escape(vals[i], esc, sizeof esc);
		if (rc)
			return rc;
		int k = snprintf(out + o, cap - o, "%s%s=%s", i ? "/" : "",
				 t->columns[t->ncolumns + i].name, esc);
		if (k < 0 || (size_t)k >= cap - o)
			return -ENAMETOOLONG;
		o += (size_t)k;
	}
	return 0;
}

int hms_part_name_parse(const store_table *t, const char *name, char vals[][STORE_NAME_MAX + 1])
{
	uint32_t n = nkeys(t);
	const char *s = name;
	for (uint32_t i = 0; i < n; i++) {
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		const char *key = t->columns[t->ncolumns + i].name;
		if (!eq || (size_t)(eq - s) != strlen(key) || strncasecmp(s, key, strlen(key)) != 0)
			return -EINVAL;
		char esc[3 * STORE_NAME_MAX + 1];
		size_t vlen = len - (size_t)(eq - s) - 1;
		if (vlen == 0 || vlen >= sizeof esc)
			return -EINVAL;
		memcpy(esc, eq + 1, vlen);
		esc[vlen] = '\0';
		if (store_hive_unescape(esc, vals[i], STORE_NAME_MAX + 1))
			return -EINVAL;
		if ((i + 1 < n) != (end != NULL))
			return -EINVAL;
		s = end ? end + 1 : s + len;
	}
	return n ? 0 : -EINVAL;
}

/* The leaf pnode of the N raw VALS (N must be T's key count): 0, -ENOENT. */
static int find_leaf(part_table *pt, char vals[][STORE_NAME_MAX + 1], uint32_t n,
		     store_pnode *out)
{
	uint32_t keys = nkeys(&pt->t);
	if (keys == 0 || n != keys)
		return -ENOENT;
	uint64_t parent = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!vals[i][0])
			return -ENOENT;
		int rc = store_pnode_get(pt->txn, pt->t.id, parent, vals[i], out);
		if (rc)
			return rc;
		parent = out->id;
	}
	return out->leaf ? 0 : -ENOENT;
}

int hms_write_partition(hms_conn *c, hms_writer *w, const mgr_platform *p, const store_table *t,
			char vals[][STORE_NAME_MAX + 1], const store_pnode *pn)
{
	uint32_t n = nkeys(t);
	char name[STORE_MAX_PARTKEYS * (4 * STORE_NAME_MAX + 2) + 1];
	int rc = part_name(t, vals, n, name, sizeof name);
	if (rc)
		return rc;
	char *loc = malloc(strlen(c->location_prefix) + 3 * STORE_NAME_MAX + strlen(name) + 8);
	if (!loc)
		return -ENOMEM;
	sprintf(loc, "%s/%s/%s/%s/%s", c->location_prefix, p->name, t->db, t->name, name);

	hms_write_field_begin(w, HMS_T_LIST, 1);
	hms_write_list_begin(w, HMS_T_STRING, n);
	for (uint32_t i = 0; i < n; i++)
		hms_write_string(w, vals[i]);
	hms_write_string_field(w, 2, t->db);
	hms_write_string_field(w, 3, t->name);
	hms_write_field_begin(w, HMS_T_I32, 4);
	hms_write_i32(w, (int32_t)(pn->created_ns / 1000000000));
	hms_write_field_begin(w, HMS_T_I32, 5);
	hms_write_i32(w, 0);
	hms_write_field_begin(w, HMS_T_STRUCT, 6);
	hms_write_sd(w, t, loc);
	free(loc);
	char rows[24], bytes[24], files[24], ddl[24];
	snprintf(rows, sizeof rows, "%llu", (unsigned long long)pn->rows);
	snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)pn->bytes);
	snprintf(files, sizeof files, "%llu", (unsigned long long)pn->nfiles);
	snprintf(ddl, sizeof ddl, "%lld", (long long)(pn->modified_ns / 1000000000));
	char *k[] = {"numFiles", "numRows", "totalSize", "transient_lastDdlTime"};
	char *v[] = {files, rows, bytes, ddl};
	hms_write_field_begin(w, HMS_T_MAP, 7);
	hms_write_map(w, k, v, 4);
	hms_write_string_field(w, 9, hms_catalog_name(p));
	hms_write_field_stop(w);
	return w->err;
}

/* ---- the walk over a table's partitions ----------------------------------------- */

typedef struct part_walk part_walk;
/* Called for each leaf met: <0 an error (stops), 0 skipped, 1 taken. */
typedef int part_leaf_fn(part_walk *wk, const store_pnode *pn);

struct part_walk {
	hms_conn *c;
	hms_writer *w;
	part_table *pt;
	const hms_value *ps;        /* _ps: a prefix of the values ("" any), or NULL */
	int64_t max;                /* < 0: all */
	int64_t count;              /* leaves taken */
	part_leaf_fn *leaf;
	mgr_part_filter *filter;    /* or NULL */
	char vals[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
};

static bool walk_full(const part_walk *wk)
{
	return wk->max >= 0 && wk->count >= wk->max;
}

static int walk_level(part_walk *wk, uint64_t parent, uint32_t depth);

static int walk_visit(part_walk *wk, const store_pnode *pn, uint32_t depth)
{
	snprintf(wk->vals[depth - 1], sizeof wk->vals[0], "%s", pn->value);
	if (depth < nkeys(&wk->pt->t))
		return pn->leaf ? 0 : walk_level(wk, pn->id, depth + 1);
	if (!pn->leaf)
		return 0;
	if (wk->filter) {
		int m = mgr_part_filter_match(wk->filter, wk->vals);
		if (m <= 0)
			return m;
	}
	int rc = wk->leaf(wk, pn);
	if (rc > 0) {
		wk->count++;
		rc = 0;
	}
	return rc;
}

/* The pnodes under PARENT at DEPTH (1-based), depth first. */
static int walk_level(part_walk *wk, uint64_t parent, uint32_t depth)
{
	if (walk_full(wk))
		return 0;
	const char *want = NULL;
	if (wk->ps && depth <= wk->ps->n && wk->ps->v[depth - 1].s && wk->ps->v[depth - 1].s[0])
		want = wk->ps->v[depth - 1].s;
	store_pnode pn;
	int rc;
	if (want) {
		rc = store_pnode_get(wk->pt->txn, wk->pt->t.id, parent, want, &pn);
		if (rc == -ENOENT || rc == -EINVAL || rc == -ENAMETOOLONG)
			return 0;   /* no such value, or one no pnode can have */
		return rc ? rc : walk_visit(wk, &pn, depth);
	}
	store_iter *it = NULL;
	if ((rc = store_iter_pnodes(wk->pt->txn, wk->pt->t.id, parent, NULL, &it)))
		return rc == -ENOENT ? 0 : rc;
	while (!walk_full(wk) && (rc = store_iter_next(it, &pn)) == 0)
		if ((rc = walk_visit(wk, &pn, depth)))
			break;
	store_iter_close(it);
	return rc == -ENOENT ? 0 : rc;
}

static int walk(part_walk *wk)
{
	if (nkeys(&wk->pt->t) == 0 || wk->max == 0)
		return 0;
	return walk_level(wk, 0, 1);
}

static int leaf_name(part_walk *wk, const store_pnode *pn)
{
	(void)pn;
	char name[STORE_MAX_PARTKEYS * (4 * STORE_NAME_MAX + 2) + 1];
	int rc = part_name(&wk->pt->t, wk->vals, nkeys(&wk->pt->t), name, sizeof name);
	if (rc)
		return rc;
	hms_write_string(wk->w, name);
	return wk->w->err ? wk->w->err : 1;
}

static int leaf_partition(part_walk *wk, const store_pnode *pn)
{
	int rc = hms_write_partition(wk->c, wk->w, wk->pt->p, &wk->pt->t, wk->vals, pn);
	return rc ? rc : 1;
}

static int leaf_count(part_walk *wk, const store_pnode *pn)
{
	(void)wk;
	(void)pn;
	return 1;
}

/* Begin a list of ELEM_TYPE whose count is not known yet: its offset in W,
 * for list_end. */
static size_t list_begin(hms_writer *w, int elem_type)
{
	hms_write_list_begin(w, elem_type, 0);
	return w->len;
}

/* Fill in the count N of the list begun at AT. */
static void list_end(hms_writer *w, size_t at, int64_t n)
{
	if (w->err || at < 4 || at > w->len)
		return;
	uint32_t u = (uint32_t)n;
	w->data[at - 4] = (uint8_t)(u >> 24);
	w->data[at - 3] = (uint8_t)(u >> 16);
	w->data[at - 2] = (uint8_t)(u >> 8);
	w->data[at - 1] = (uint8_t)u;
}

/* ---- the calls ---------------------------------------------------------------------- */

/* Answer an error RC met while writing a reply: MetaException. */
static void reply_failure(hms_conn *c, hms_writer *w, const char *name, int32_t seqid, int rc)
{
	hms_writer_reset(w);
	hms_reply_exception(c, w, name, seqid, call_ids(name).meta, strerror(rc < 0 ? -rc : EIO));
}

/* The listing calls:
 *   get_partitions(1: db_name, 2: tbl_name, 3: i16 max_parts)
 *   get_partitions_with_auth(1, 2, 3: i16 max_parts, 4: user_name, 5: group_names)
 *   get_partition_names(1, 2, 3: i16 max_parts)
 *   get_partitions_ps(1, 2, 3: list<string> part_vals, 4: i16 max_parts)
 *   get_partitions_ps_with_auth(1, 2, 3: part_vals, 4: max_parts, 5: user_name, 6: group_names)
 *   get_partition_names_ps(1, 2, 3: part_vals, 4: max_parts)
 *   get_partitions_by_filter(1, 2, 3: string filter, 4: i16 max_parts)
 *   get_num_partitions_by_filter(1, 2, 3: string filter) -> i32
 * A _ps list longer than the keys, or a filter that does not parse,
 * answers MetaException. */
static void call_list(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
		      int32_t seqid)
{
	bool names = strncmp(name, "get_partition_names", 19) == 0;
	bool ps = strstr(name, "_ps") != NULL;
	bool by_filter = strstr(name, "_by_filter") != NULL;
	bool count_only = strcmp(name, "get_num_partitions_by_filter") == 0;
	part_call ids = call_ids(name);
	const char *cat, *db;
	hms_split_catalog(hms_field_string(a, 1), &cat, &db);
	part_table pt;
	if (table_open(c, w, name, seqid, "list", cat, db, hms_field_string(a, 2), &pt))
		return;
	part_walk wk = {.c = c, .w = w, .pt = &pt, .max = -1};
	wk.leaf = count_only ? leaf_count : names ? leaf_name : leaf_partition;
	int16_t max_id = (ps || by_filter) ? 4 : 3;
	if (!count_only)
		wk.max = hms_field_int(a, max_id, -1);
	char msg[600];
	if (ps) {
		static const hms_value none = {.type = HMS_T_LIST, .elem_type = HMS_T_STRING};
		wk.ps = hms_field_list(a, 3, HMS_T_STRING);
		if (!wk.ps)
			wk.ps = &none;
		if (wk.ps->n > nkeys(&pt.t)) {
			snprintf(msg, sizeof msg, "%.255s.%.255s has %u partition keys, %u values were given",
				 pt.db, pt.t.name, nkeys(&pt.t), wk.ps->n);
			hms_reply_exception(c, w, name, seqid, ids.meta, msg);
			goto out;
		}
	}
	if (by_filter) {
		const char *text = hms_field_string(a, 3);
		char err[400] = "";
		int rc = mgr_part_filter_parse(&pt.t, text ? text : "", &wk.filter, err, sizeof err);
		if (rc) {
			snprintf(msg, sizeof msg, "filter \"%.200s\": %s", text ? text : "",
				 err[0] ? err : strerror(-rc));
			hms_reply_exception(c, w, name, seqid, ids.meta, msg);
			goto out;
		}
	}
	hms_reply_begin(c, w, name, seqid);
	if (count_only) {
		int rc = walk(&wk);
		if (rc) {
			reply_failure(c, w, name, seqid, rc);
			goto out;
		}
		hms_write_field_begin(w, HMS_T_I32, 0);
		hms_write_i32(w, wk.count > INT32_MAX ? INT32_MAX : (int32_t)wk.count);
	} else {
		hms_write_field_begin(w, HMS_T_LIST, 0);
		size_t at = list_begin(w, names ? HMS_T_STRING : HMS_T_STRUCT);
		int rc = walk(&wk);
		if (rc) {
			reply_failure(c, w, name, seqid, rc);
			goto out;
		}
		list_end(w, at, wk.count);
	}
	hms_write_field_stop(w);
out:
	mgr_part_filter_free(wk.filter);
	table_close(&pt);
}

/* get_partition(1: db_name, 2: tbl_name, 3: list<string> part_vals),
 * get_partition_with_auth(1, 2, 3: part_vals, 4: user_name, 5: group_names)
 * and get_partition_by_name(1, 2, 3: string part_name) -> Partition.  A
 * missing partition (or values that are not all of the keys) answers
 * NoSuchObjectException; a name that does not parse, MetaException. */
static void call_get(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
		     int32_t seqid)
{
	bool by_name = strcmp(name, "get_partition_by_name") == 0;
	part_call ids = call_ids(name);
	const char *cat, *db;
	hms_split_catalog(hms_field_string(a, 1), &cat, &db);
	part_table pt;
	if (table_open(c, w, name, seqid, "read", cat, db, hms_field_string(a, 2), &pt))
		return;
	char vals[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
	uint32_t n = 0;
	char msg[1200];
	int rc = -ENOENT;
	if (by_name) {
		const char *pname = hms_field_string(a, 3);
		if (!pname || hms_part_name_parse(&pt.t, pname, vals)) {
			snprintf(msg, sizeof msg, "\"%.300s\" is not a partition name of %.255s",
				 pname ? pname : "", pt.t.name);
			hms_reply_exception(c, w, name, seqid, ids.meta, msg);
			goto out;
		}
		n = nkeys(&pt.t);
	} else {
		const hms_value *l = hms_field_list(a, 3, HMS_T_STRING);
		/* A value too long for a pnode names none (never a truncated one). */
		bool too_long = false;
		for (uint32_t i = 0; l && i < l->n && i < STORE_MAX_PARTKEYS; i++) {
			const char *v = l->v[i].s ? l->v[i].s : "";
			too_long |= strlen(v) > STORE_NAME_MAX;
			snprintf(vals[n++], sizeof vals[0], "%s", v);
		}
		if (too_long || (l && l->n > STORE_MAX_PARTKEYS))
			n = 0;
	}
	store_pnode pn;
	rc = find_leaf(&pt, vals, n, &pn);
	if (rc == -ENOENT || rc == -EINVAL) {
		char pname[STORE_MAX_PARTKEYS * (4 * STORE_NAME_MAX + 2) + 1] = "";
		if (n == nkeys(&pt.t))
			part_name(&pt.t, vals, n, pname, sizeof pname);
		snprintf(msg, sizeof msg, "partition %.300s of %.255s.%.255s not found",
			 pname[0] ? pname : "(values that are not the table's keys)", pt.db, pt.t.name);
		hms_reply_exception(c, w, name, seqid, ids.nosuch, msg);
		goto out;
	}
	if (rc) {
		hms_reply_exception(c, w, name, seqid, ids.meta, strerror(-rc));
		goto out;
	}
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_STRUCT, 0);
	if ((rc = hms_write_partition(c, w, pt.p, &pt.t, vals, &pn))) {
		reply_failure(c, w, name, seqid, rc);
		goto out;
	}
	hms_write_field_stop(w);
out:
	table_close(&pt);
}

/* A set of pnode ids (open addressing; ids are never 0). */
typedef struct id_set {
	uint64_t *v;
	size_t cap;       /* a power of two, at least twice the ids held */
} id_set;

/* Add ID: 1 when it was new, 0 when held already. */
static int id_set_add(id_set *s, uint64_t id)
{
	size_t i = (size_t)(id * UINT64_C(0x9E3779B97F4A7C15) >> 17) & (s->cap - 1);
	while (s->v[i]) {
		if (s->v[i] == id)
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->v[i] = id;
	return 1;
}

/* get_partitions_by_names(1: db_name, 2: tbl_name, 3: list<string> names)
 * -> list<Partition>: those of the names that exist, in the order asked,
 * each once; a name that is not a partition name of the table (or names
 * none) is left out, as Hive leaves out the names it does not find. */
static void call_by_names(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			  int32_t seqid)
{
	const char *cat, *db;
	hms_split_catalog(hms_field_string(a, 1), &cat, &db);
	part_table pt;
	if (table_open(c, w, name, seqid, "list", cat, db, hms_field_string(a, 2), &pt))
		return;
	const hms_value *l = hms_field_list(a, 3, HMS_T_STRING);
	uint32_t n = l ? l->n : 0;
	/* The ids answered: a name repeated is answered once. */
	id_set seen = {NULL, 16};
	while (seen.cap < 2 * (size_t)n)
		seen.cap *= 2;
	seen.v = calloc(seen.cap, sizeof *seen.v);
	int rc = seen.v ? 0 : -ENOMEM;
	if (rc)
		goto fail;
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_LIST, 0);
	size_t at = list_begin(w, HMS_T_STRUCT);
	int64_t count = 0;
	for (uint32_t i = 0; i < n; i++) {
		char vals[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
		store_pnode pn;
		if (!l->v[i].s || hms_part_name_parse(&pt.t, l->v[i].s, vals) ||
		    find_leaf(&pt, vals, nkeys(&pt.t), &pn))
			continue;
		if (!id_set_add(&seen, pn.id))
			continue;
		if ((rc = hms_write_partition(c, w, pt.p, &pt.t, vals, &pn)))
			goto fail;
		count++;
	}
	list_end(w, at, count);
	hms_write_field_stop(w);
	free(seen.v);
	table_close(&pt);
	return;
fail:
	free(seen.v);
	reply_failure(c, w, name, seqid, rc);
	table_close(&pt);
}

const hms_call_def hms_partition_calls[] = {
	/* sorted by name (strcmp): bsearch; the last member is the
	 * MetaException's field of the call's throws clause */
	{"get_num_partitions_by_filter", NULL, call_list, 1},
	{"get_partition", NULL, call_get, 1},
	{"get_partition_by_name", NULL, call_get, 1},
	{"get_partition_names", NULL, call_list, 2},
	{"get_partition_names_ps", NULL, call_list, 1},
	{"get_partition_with_auth", NULL, call_get, 1},
	{"get_partitions", NULL, call_list, 2},
	{"get_partitions_by_filter", NULL, call_list, 1},
	{"get_partitions_by_names", NULL, call_by_names, 1},
	{"get_partitions_ps", NULL, call_list, 1},
	{"get_partitions_ps_with_auth", NULL, call_list, 2},
	{"get_partitions_with_auth", NULL, call_list, 2},
	{NULL, NULL, NULL, 0},
};
