/*
 * store_catalog.c - databases, tables, pnodes, files, ids, events, iterators.
 *
 * Every function that changes the catalog does all of its checks first and
 * writes only after the last one passed.  A logical refusal (-EEXIST,
 * -ENOENT, -EINVAL, -ENOTEMPTY, -ENAMETOOLONG) therefore leaves the write
 * transaction untouched and usable: a caller creating many objects can
 * carry on past one that exists.  A failure inside LMDB (-ENOSPC, -EIO)
 * leaves the transaction in an undefined state; abort it.
 *
 * Each change appends its event in the same transaction, so a reader of the
 * log sees exactly the committed changes, in commit order.  Event sequence
 * numbers and ids come from counters read once per write transaction and
 * written through on every use.
 *
 * Statistics.  A leaf pnode (a partition) counts its files, rows and bytes
 * and carries the checksum of its file list; the table sums all its files
 * and counts its leaf pnodes.  Inner pnodes carry no statistics.  A table
 * without partition keys holds its files directly: their container id is
 * the table's id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "store_int.h"

#include "base_array.h"

/* ---- LMDB access -------------------------------------------------------------- */

static int require_write(const store_txn *txn)
{
	if (txn == NULL)
		return -EINVAL;
	return txn->write ? 0 : -EROFS;
}

static bool origin_ok(store_origin o)
{
	return o >= STORE_ORIGIN_FS && o <= STORE_ORIGIN_HMS;
}

/* Every catalog change starts here: a write transaction and a known origin. */
static int change_check(const store_txn *txn, store_origin origin)
{
	int rc = require_write(txn);

	if (rc == 0 && !origin_ok(origin))
		rc = -EINVAL;
	return rc;
}

static int kv_get(store_txn *txn, MDB_dbi dbi, const void *key, size_t klen, MDB_val *val)
{
	MDB_val k = { klen, (void *)key };

	return store_mdb_error(mdb_get(txn->mdb, dbi, &k, val), "mdb_get");
}

static int kv_put(store_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *data,
		  size_t dlen, unsigned flags)
{
	MDB_val k = { klen, (void *)key }, v = { dlen, (void *)data };

	return store_mdb_error(mdb_put(txn->mdb, dbi, &k, &v, flags), "mdb_put");
}

static int kv_del(store_txn *txn, MDB_dbi dbi, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };

	return store_mdb_error(mdb_del(txn->mdb, dbi, &k, NULL), "mdb_del");
}

/* 0 if KEY exists, -ENOENT if not. */
static int kv_exists(store_txn *txn, MDB_dbi dbi, const void *key, size_t klen)
{
	MDB_val v;

	return kv_get(txn, dbi, key, klen, &v);
}

/* Position C on the first key >= SEEK; 0 if it starts with the first
 * PREFIX_LEN bytes of SEEK, -ENOENT if there is none such. */
static int cursor_seek_prefix(MDB_cursor *c, const uint8_t *seek, size_t seek_len,
			      size_t prefix_len, MDB_val *k, MDB_val *v)
{
	int rc;

	k->mv_data = (void *)seek;
	k->mv_size = seek_len;
	rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
	if (rc != 0)
		return store_mdb_error(rc, "mdb_cursor_get");
	if (k->mv_size < prefix_len || memcmp(k->mv_data, seek, prefix_len) != 0)
		return -ENOENT;
	return 0;
}

static int cursor_open(store_txn *txn, MDB_dbi dbi, MDB_cursor **c)
{
	return store_mdb_error(mdb_cursor_open(txn->mdb, dbi, c), "mdb_cursor_open");
}

/* A stored record that does not decode is corruption, not bad input. */
static int record_decode_stored(store_kind kind, const MDB_val *v, void *out)
{
	int rc = store_record_decode(kind, v->mv_data, v->mv_size, out);

	if (rc == -EINVAL) {
		store_log("undecodable record of kind %d", (int)kind);
		rc = -EIO;
	}
	return rc;
}

static int record_get(store_txn *txn, MDB_dbi dbi, const void *key, size_t klen, store_kind kind,
		      void *out)
{
	MDB_val v;
	int rc;

	rc = kv_get(txn, dbi, key, klen, &v);
	if (rc != 0)
		return rc;
	return record_decode_stored(kind, &v, out);
}

/* Encode and store REC; its new etag goes to *ETAG. */
static int record_put(store_txn *txn, MDB_dbi dbi, const void *key, size_t klen, store_kind kind,
		      const void *rec, unsigned flags, uint64_t *etag)
{
	void *buf;
	size_t len;
	int rc;

	rc = store_record_encode(kind, rec, &buf, &len);
	if (rc != 0)
		return rc;
	rc = kv_put(txn, dbi, key, klen, buf, len, flags);
	if (rc == 0)
		*etag = store_record_etag(kind, buf, len);
	free(buf);
	return rc;
}

/* ---- ids and counters ------------------------------------------------------- */

static int ids_put(store_txn *txn, uint64_t id, store_kind kind, const uint8_t *key, size_t klen)
{
	uint8_t k[8], v[1 + STORE_KEY_MAX];

	store_be64_put(k, id);
	v[0] = (uint8_t)kind;
	memcpy(v + 1, key, klen);
	return kv_put(txn, txn->env->ids, k, 8, v, 1 + klen, 0);
}

/* KEY must hold STORE_KEY_MAX bytes. */
static int ids_get(store_txn *txn, uint64_t id, store_kind *kind, uint8_t *key, size_t *klen)
{
	uint8_t k[8];
	MDB_val v;
	int rc;

	if (id == 0 || id > STORE_ID_MAX)
		return -ENOENT;
	store_be64_put(k, id);
	rc = kv_get(txn, txn->env->ids, k, 8, &v);
	if (rc != 0)
		return rc;
	if (v.mv_size < 2 || v.mv_size > 1 + STORE_KEY_MAX)
		return -EIO;
	*kind = ((const uint8_t *)v.mv_data)[0];
	*klen = v.mv_size - 1;
	memcpy(key, (const uint8_t *)v.mv_data + 1, *klen);
	return 0;
}

static int ids_del(store_txn *txn, uint64_t id)
{
	uint8_t k[8];

	store_be64_put(k, id);
	return kv_del(txn, txn->env->ids, k, 8);
}

static int next_id_load(store_txn *txn)
{
	MDB_val v;
	const uint8_t *p;
	int rc;

	if (txn->have_next_id)
		return 0;
	rc = kv_get(txn, txn->env->meta, "next_id", 7, &v);
	if (rc == -ENOENT || (rc == 0 && v.mv_size != 8))
		rc = -EIO;
	if (rc != 0)
		return rc;
	p = v.mv_data;
	txn->next_id = 0;
	for (int i = 7; i >= 0; i--)
		txn->next_id = txn->next_id << 8 | p[i];
	txn->have_next_id = true;
	return 0;
}

static int id_alloc(store_txn *txn, uint64_t *out)
{
	uint8_t v[8];
	uint64_t next;
	int rc;

	rc = next_id_load(txn);
	if (rc != 0)
		return rc;
	if (txn->next_id > STORE_ID_MAX)
		return -ENOSPC;
	next = txn->next_id + 1;
	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(next >> (8 * i));
	rc = kv_put(txn, txn->env->meta, "next_id", 7, v, 8, 0);
	if (rc != 0)
		return rc;
	*out = txn->next_id;
	txn->next_id = next;
	return 0;
}

int store_id_reserve(store_txn *txn, uint64_t *out)
{
	int rc = require_write(txn);

	if (rc != 0)
		return rc;
	if (out == NULL)
		return -EINVAL;
	return id_alloc(txn, out);
}

/* ---- events ------------------------------------------------------------------- */

static int last_seq(store_txn *txn, uint64_t *seq)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	rc = cursor_open(txn, txn->env->events, &c);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == MDB_NOTFOUND) {
		*seq = 0;
		rc = 0;
	} else if (rc == 0) {
		*seq = k.mv_size == 8 ? store_be64_get(k.mv_data) : 0;
		if (k.mv_size != 8)
			rc = -EIO;
	} else {
		rc = store_mdb_error(rc, "mdb_cursor_get");
	}
	mdb_cursor_close(c);
	return rc;
}

int store_event_head(store_txn *txn, uint64_t *seq)
{
	if (txn == NULL || seq == NULL)
		return -EINVAL;
	if (txn->have_last_seq) {
		*seq = txn->last_seq;
		return 0;
	}
	return last_seq(txn, seq);
}

int store_event_first(store_txn *txn, uint64_t *seq)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	if (txn == NULL || seq == NULL)
		return -EINVAL;
	*seq = 0;
	rc = cursor_open(txn, txn->env->events, &c);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	else if (rc == 0 && k.mv_size == 8)
		*seq = store_be64_get(k.mv_data);
	else
		rc = rc == 0 ? -EIO : store_mdb_error(rc, "mdb_cursor_get");
	mdb_cursor_close(c);
	return rc;
}

int store_events_trim(store_txn *txn, uint64_t before_seq)
{
	MDB_cursor *c = NULL;
	uint64_t head, seq;
	MDB_val k, v;
	int rc;

	rc = require_write(txn);
	if (rc == 0)
		rc = store_event_head(txn, &head);
	if (rc != 0)
		return rc;
	/* The newest event stays: the next sequence number is derived from it. */
	if (before_seq > head)
		before_seq = head;
	rc = cursor_open(txn, txn->env->events, &c);
	if (rc != 0)
		return rc;
	for (;;) {
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = store_mdb_error(rc, "mdb_cursor_get");
			break;
		}
		if (k.mv_size != 8) {
			rc = -EIO;
			break;
		}
		seq = store_be64_get(k.mv_data);
		if (seq >= before_seq)
			break;
		rc = store_mdb_error(mdb_cursor_del(c, 0), "mdb_cursor_del");
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc;
}

/* ---- sync cursors --------------------------------------------------------------- */

int store_cursor_get(store_txn *txn, const char *rule, uint64_t *seq)
{
	const uint8_t *p;
	MDB_val v;
	int rc;

	if (txn == NULL || seq == NULL || !store_name_valid(rule, NULL))
		return -EINVAL;
	*seq = 0;
	if (!txn->env->have_cursors)
		return 0;
	rc = kv_get(txn, txn->env->cursors, rule, strlen(rule), &v);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	p = v.mv_data;
	if (v.mv_size != 9 || p[0] != STORE_RECORD_VERSION)
		return -EIO;
	for (int i = 8; i >= 1; i--)
		*seq = *seq << 8 | p[i];
	return 0;
}

int store_cursor_put(store_txn *txn, const char *rule, uint64_t seq)
{
	uint8_t v[9];
	int rc;

	rc = require_write(txn);
	if (rc != 0)
		return rc;
	if (!store_name_valid(rule, NULL))
		return -EINVAL;
	v[0] = STORE_RECORD_VERSION;
	for (int i = 0; i < 8; i++)
		v[1 + i] = (uint8_t)(seq >> (8 * i));
	return kv_put(txn, txn->env->cursors, rule, strlen(rule), v, sizeof v, 0);
}

/* ---- intents ------------------------------------------------------------------ */

/* Encoding: version, file id, table id, container id, bytes, rows (u64 LE
 * each), checksum (16), uid, gid (u32 LE), name (its bytes, no NUL); a
 * removal intent has a NUL and 'r' after the name. */
#define INTENT_FIXED (1 + 5 * 8 + 16 + 2 * 4)

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void intent_key(uint64_t id, uint8_t k[8])
{
	for (int i = 0; i < 8; i++)
		k[i] = (uint8_t)(id >> (56 - 8 * i));
}

int store_intent_put(store_txn *txn, const store_intent *in)
{
	uint8_t v[INTENT_FIXED + STORE_NAME_MAX + 2], k[8], *p = v;
	int rc = require_write(txn);
	if (rc != 0)
		return rc;
	size_t nlen = strnlen(in->name, STORE_NAME_MAX + 1);
	if (in->file_id == 0 || nlen == 0 || nlen > STORE_NAME_MAX)
		return -EINVAL;
	if (!txn->env->have_intents)
		return -EROFS;
	*p++ = STORE_RECORD_VERSION;
	put_u64(p, in->file_id), p += 8;
	put_u64(p, in->table_id), p += 8;
	put_u64(p, in->container_id), p += 8;
	put_u64(p, in->bytes), p += 8;
	put_u64(p, in->rows), p += 8;
	memcpy(p, in->checksum, 16), p += 16;
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(in->uid >> (8 * i));
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(in->gid >> (8 * i));
	memcpy(p, in->name, nlen);
	size_t len = INTENT_FIXED + nlen;
	if (in->remove) {
		v[len++] = '\0';
		v[len++] = 'r';
	}
	intent_key(in->file_id, k);
	return kv_put(txn, txn->env->intents, k, sizeof k, v, len, 0);
}

int store_intent_clear(store_txn *txn, uint64_t file_id)
{
	uint8_t k[8];
	int rc = require_write(txn);
	if (rc != 0 || !txn->env->have_intents)
		return rc;
	intent_key(file_id, k);
	rc = kv_del(txn, txn->env->intents, k, sizeof k);
	return rc == -ENOENT ? 0 : rc;
}

static int intent_decode(const MDB_val *v, store_intent *out)
{
	const uint8_t *p = v->mv_data;
	if (v->mv_size < INTENT_FIXED + 1 || v->mv_size > INTENT_FIXED + STORE_NAME_MAX + 2 ||
	    p[0] != STORE_RECORD_VERSION)
		return -EIO;
	size_t nlen = v->mv_size - INTENT_FIXED;
	const uint8_t *nul = memchr(p + INTENT_FIXED, '\0', nlen);
	bool remove = false;
	if (nul) {
		if (nul == p + INTENT_FIXED || v->mv_size - (size_t)(nul - p) != 2 || nul[1] != 'r')
			return -EIO;
		nlen = (size_t)(nul - (p + INTENT_FIXED));
		remove = true;
	}
	if (nlen > STORE_NAME_MAX)
		return -EIO;
	memset(out, 0, sizeof *out);
	p++;
	out->file_id = get_u64(p), p += 8;
	out->table_id = get_u64(p), p += 8;
	out->container_id = get_u64(p), p += 8;
	out->bytes = get_u64(p), p += 8;
	out->rows = get_u64(p), p += 8;
	memcpy(out->checksum, p, 16), p += 16;
	out->uid = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	p += 4;
	out->gid = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	p += 4;
	memcpy(out->name, p, nlen);
	out->remove = remove;
	return 0;
}

int store_intent_list(store_txn *txn, store_intent **out, size_t *n)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (txn == NULL)
		return -EINVAL;
	if (!txn->env->have_intents)
		return 0;
	rc = mdb_cursor_open(txn->mdb, txn->env->intents, &c);
	if (rc != 0)
		return store_mdb_error(rc, "mdb_cursor_open");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		int e = BASE_ARRAY_RESERVE(*out, cap, *n + 1);
		if (e == 0)
			e = intent_decode(&v, &(*out)[*n]);
		if (e != 0) {
			mdb_cursor_close(c);
			free(*out);
			*out = NULL;
			*n = 0;
			return e;
		}
		(*n)++;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : store_mdb_error(rc, "mdb_cursor_get");
}

static int event_append(store_txn *txn, store_op op, store_kind kind, store_origin origin,
			uint64_t object_id, uint64_t parent_id, uint64_t etag, const char *path)
{
	store_event ev = { 0 };
	uint8_t k[8];
	void *buf = NULL;
	size_t len;
	int rc;

	if (!txn->have_last_seq) {
		rc = last_seq(txn, &txn->last_seq);
		if (rc != 0)
			return rc;
		txn->have_last_seq = true;
	}
	ev.seq = txn->last_seq + 1;
	ev.time_ns = store_now_ns();
	ev.op = op;
	ev.kind = kind;
	ev.origin = origin;
	ev.object_id = object_id;
	ev.parent_id = parent_id;
	ev.etag = etag;
	/* Callers built PATH within STORE_EVENT_PATH_MAX. */
	memcpy(ev.path, path, strlen(path) + 1);
	rc = store_event_encode(&ev, &buf, &len);
	if (rc != 0)
		return rc;
	store_be64_put(k, ev.seq);
	rc = kv_put(txn, txn->env->events, k, 8, buf, len, MDB_APPEND);
	free(buf);
	if (rc == 0)
		txn->last_seq = ev.seq;
	return rc;
}

/* ---- keys and paths ------------------------------------------------------------ */

/* KEY must hold STORE_KEY_MAX bytes; db and name are at most 255 each. */
static int table_key(const char *db, const char *name, uint8_t *key, size_t *klen)
{
	size_t a, b;

	if (!store_name_valid(db, NULL) || !store_name_valid(name, NULL))
		return -EINVAL;
	a = strlen(db);
	b = strlen(name);
	memcpy(key, db, a);
	key[a] = '\0';
	memcpy(key + a + 1, name, b);
	*klen = a + 1 + b;
	return 0;
}

struct path {
	char *buf;
	size_t len, cap;
	int rc;
};

static void path_add(struct path *p, const char *s)
{
	size_t n = strlen(s);

	if (p->rc != 0)
		return;
	if (p->len + n >= p->cap) {
		p->rc = -ENAMETOOLONG;
		return;
	}
	memcpy(p->buf + p->len, s, n + 1);
	p->len += n;
}

/* The event path of table T, then of the pnode whose key is KEY, if any:
 * "db/table/k1=v1/k2=v2" with keys and values Hive-escaped.  Each level must
 * fit in one path component, and the whole in an event's path. */
static int object_path(const store_table *t, const uint8_t *key, size_t klen, char *out)
{
	char ekey[3 * STORE_NAME_MAX + 1], evalue[3 * STORE_NAME_MAX + 1];
	struct path p = { out, 0, STORE_EVENT_PATH_MAX + 1, 0 };
	const uint8_t *v, *end = key ? key + klen : NULL, *nul;
	uint32_t depth = 0;
	int rc;

	out[0] = '\0';
	path_add(&p, t->db);
	path_add(&p, "/");
	path_add(&p, t->name);
	for (v = key ? key + 8 : NULL; v && v < end; v = nul + 1) {
		nul = memchr(v, '\0', (size_t)(end - v));
		if (nul == NULL || depth >= t->npartkeys || t->columns == NULL)
			return -EIO;
		rc = store_hive_escape(t->columns[t->ncolumns + depth].name, ekey, sizeof ekey);
		if (rc == 0)
			rc = store_hive_escape((const char *)v, evalue, sizeof evalue);
		if (rc == 0 && strlen(ekey) + 1 + strlen(evalue) > STORE_NAME_MAX)
			rc = -ENAMETOOLONG;
		if (rc != 0)
			return rc;
		path_add(&p, "/");
		path_add(&p, ekey);
		path_add(&p, "=");
		path_add(&p, evalue);
		depth++;
	}
	return p.rc;
}

/* ---- lookups by id ------------------------------------------------------------ */

/* KEY (STORE_KEY_MAX bytes) receives the table's key.  T is zeroed on failure. */
static int table_by_id(store_txn *txn, uint64_t id, store_table *t, uint8_t *key, size_t *klen)
{
	store_kind kind;
	int rc;

	memset(t, 0, sizeof *t);
	rc = ids_get(txn, id, &kind, key, klen);
	if (rc == 0 && kind != STORE_KIND_TABLE)
		rc = -ENOENT;
	if (rc == 0)
		rc = record_get(txn, txn->env->tables, key, *klen, STORE_KIND_TABLE, t);
	return rc;
}

static int pnode_by_id(store_txn *txn, uint64_t id, store_pnode *p, uint8_t *key, size_t *klen)
{
	store_kind kind;
	int rc;

	rc = ids_get(txn, id, &kind, key, klen);
	if (rc == 0 && (kind != STORE_KIND_PNODE || *klen <= 8))
		rc = -ENOENT;
	if (rc == 0)
		rc = record_get(txn, txn->env->pnodes, key, *klen, STORE_KIND_PNODE, p);
	return rc;
}

/* The key prefix of the pnodes directly under PARENT_ID of table TABLE_ID.
 * PREFIX holds STORE_KEY_MAX bytes.  *PARENT (may be NULL) gets the parent. */
static int level_prefix(store_txn *txn, uint64_t table_id, uint64_t parent_id, uint8_t *prefix,
			size_t *len, store_pnode *parent)
{
	store_pnode p;
	int rc;

	if (parent_id == 0) {
		store_be64_put(prefix, table_id);
		*len = 8;
		return 0;
	}
	rc = pnode_by_id(txn, parent_id, &p, prefix, len);
	if (rc == 0 && p.table_id != table_id)
		rc = -ENOENT;
	if (rc == 0 && parent)
		*parent = p;
	return rc;
}

/* ---- databases ---------------------------------------------------------------- */

int store_database_create(store_txn *txn, const char *name, uint32_t uid, uint32_t gid,
			  store_origin origin, store_database *out)
{
	store_database d = { 0 };
	size_t len;
	int rc;

	rc = require_write(txn);
	if (rc != 0)
		return rc;
	if (!origin_ok(origin) || !store_name_valid(name, NULL))
		return -EINVAL;
	len = strlen(name);
	rc = kv_exists(txn, txn->env->databases, name, len);
	if (rc != -ENOENT)
		return rc == 0 ? -EEXIST : rc;
	rc = id_alloc(txn, &d.id);
	if (rc != 0)
		return rc;
	memcpy(d.name, name, len + 1);
	d.owner_uid = uid;
	d.owner_gid = gid;
	d.created_ns = store_now_ns();
	rc = record_put(txn, txn->env->databases, name, len, STORE_KIND_DATABASE, &d,
			MDB_NOOVERWRITE, &d.etag);
	if (rc == 0)
		rc = ids_put(txn, d.id, STORE_KIND_DATABASE, (const uint8_t *)name, len);
	if (rc == 0)
		rc = event_append(txn, STORE_OP_CREATE, STORE_KIND_DATABASE, origin, d.id, 0, d.etag, name);
	if (rc == 0 && out)
		*out = d;
	return rc;
}

int store_database_get(store_txn *txn, const char *name, store_database *out)
{
	if (txn == NULL || out == NULL || !store_name_valid(name, NULL))
		return -EINVAL;
	return record_get(txn, txn->env->databases, name, strlen(name), STORE_KIND_DATABASE, out);
}

int store_database_drop(store_txn *txn, const char *name, store_origin origin)
{
	uint8_t prefix[STORE_NAME_MAX + 1];
	store_database d;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	size_t len;
	int rc;

	rc = change_check(txn, origin);
	if (rc != 0)
		return rc;
	rc = store_database_get(txn, name, &d);
	if (rc != 0)
		return rc;
	len = strlen(name);
	memcpy(prefix, name, len);
	prefix[len] = '\0';
	rc = cursor_open(txn, txn->env->tables, &c);
	if (rc != 0)
		goto out;
	rc = cursor_seek_prefix(c, prefix, len + 1, len + 1, &k, &v);
	if (rc != -ENOENT) {
		rc = rc == 0 ? -ENOTEMPTY : rc;
		goto out;
	}
	/* Views go with their database (they hold no data). */
	rc = store_views_drop_database(txn, name);
	if (rc == 0)
		rc = kv_del(txn, txn->env->databases, name, len);
	if (rc == 0)
		rc = ids_del(txn, d.id);
	if (rc == 0)
		rc = event_append(txn, STORE_OP_DROP, STORE_KIND_DATABASE, origin, d.id, 0, 0, name);
out:
	if (c)
		mdb_cursor_close(c);
	return rc;
}

/* ---- tables ------------------------------------------------------------------- */

int store_table_create(store_txn *txn, const char *db, const char *name, uint32_t uid,
		       uint32_t gid, store_origin origin, store_table *out)
{
	uint8_t key[STORE_KEY_MAX];
	char path[STORE_EVENT_PATH_MAX + 1];
	store_database d;
	store_table t = { 0 };
	size_t klen = 0;
	int rc;

	rc = change_check(txn, origin);
	if (rc != 0)
		return rc;
	rc = table_key(db, name, key, &klen);
	if (rc != 0)
		return rc;
	rc = store_database_get(txn, db, &d);
	if (rc != 0)
		return rc;
	rc = kv_exists(txn, txn->env->tables, key, klen);
	if (rc != -ENOENT)
		return rc == 0 ? -EEXIST : rc;
	/* Tables and views share the names of a database. */
	rc = store_view_exists(txn, db, name);
	if (rc != -ENOENT)
		return rc == 0 ? -EEXIST : rc;
	rc = id_alloc(txn, &t.id);
	if (rc != 0)
		return rc;
	t.db_id = d.id;
	strcpy(t.db, db);
	strcpy(t.name, name);
	t.owner_uid = uid;
	t.owner_gid = gid;
	t.created_ns = t.modified_ns = store_now_ns();
	t.format = STORE_FORMAT_CSV;    /* a placeholder until the schema says */
	rc = object_path(&t, NULL, 0, path);
	if (rc == 0)
		rc = record_put(txn, txn->env->tables, key, klen, STORE_KIND_TABLE, &t,
				MDB_NOOVERWRITE, &t.etag);
	if (rc == 0)
		rc = ids_put(txn, t.id, STORE_KIND_TABLE, key, klen);
	if (rc == 0)
		rc = event_append(txn, STORE_OP_CREATE, STORE_KIND_TABLE, origin, t.id, d.id, t.etag, path);
	if (rc == 0 && out)
		*out = t;
	return rc;
}

int store_table_get(store_txn *txn, const char *db, const char *name, store_table *out)
{
	uint8_t key[STORE_KEY_MAX];
	size_t klen = 0;
	int rc;

	if (txn == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof *out);
	rc = table_key(db, name, key, &klen);
	if (rc == 0)
		rc = record_get(txn, txn->env->tables, key, klen, STORE_KIND_TABLE, out);
	return rc;
}

/* Column and partition key names are names (store_name_valid) without '=':
 * a partition key starts the directory name "key=value". */
static bool column_name_ok(const char *s)
{
	return store_name_valid(s, NULL) && strchr(s, '=') == NULL;
}

static bool schema_ok(const store_table *t)
{
	uint32_t n = t->ncolumns + t->npartkeys;

	if (!store_format_valid(t->format) ||
	    t->ncolumns < 1 || t->ncolumns > STORE_MAX_COLUMNS ||
	    t->npartkeys > STORE_MAX_PARTKEYS || t->columns == NULL)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (!column_name_ok(t->columns[i].name) || !store_type_valid(t->columns[i].type))
			return false;
		/* SQL names are case-insensitive: "Region" and "region" clash. */
		for (uint32_t j = 0; j < i; j++)
			if (strcasecmp(t->columns[i].name, t->columns[j].name) == 0)
				return false;
	}
	return true;
}

/* Write table CUR with the schema and properties of T (its identity and
 * statistics kept) and log the change: what setting a schema and altering
 * one have in common. */
static int table_put_schema(store_txn *txn, const store_table *cur, const store_table *t,
			    store_origin origin)
{
	uint8_t key[STORE_KEY_MAX];
	char path[STORE_EVENT_PATH_MAX + 1];
	size_t klen = 0;
	/* REC borrows T's arrays; CUR keeps its own for store_table_clear. */
	store_table rec = *cur;
	int rc;

	table_key(t->db, t->name, key, &klen);
	rec.has_schema = true;
	rec.format = t->format;
	rec.header = t->header;
	rec.ncolumns = t->ncolumns;
	rec.npartkeys = t->npartkeys;
	rec.columns = t->columns;
	rec.properties = t->properties;
	rec.modified_ns = store_now_ns();
	rc = object_path(&rec, NULL, 0, path);
	if (rc == 0)
		rc = record_put(txn, txn->env->tables, key, klen, STORE_KIND_TABLE, &rec, 0, &rec.etag);
	if (rc == 0)
		rc = event_append(txn, STORE_OP_ALTER, STORE_KIND_TABLE, origin, rec.id, rec.db_id,
				  rec.etag, path);
	return rc;
}

int store_table_set_schema(store_txn *txn, const store_table *t, store_origin origin)
{
	store_table cur;
	int rc;

	rc = require_write(txn);
	if (rc != 0)
		return rc;
	if (t == NULL || !origin_ok(origin))
		return -EINVAL;
	rc = store_table_get(txn, t->db, t->name, &cur);
	if (rc != 0)
		goto out;
	if (cur.has_schema) {
		rc = -EEXIST;
		goto out;
	}
	if (!schema_ok(t)) {
		rc = -EINVAL;
		goto out;
	}
	rc = table_put_schema(txn, &cur, t, origin);
out:
	store_table_clear(&cur);
	return rc;
}

static bool same_partkeys(const store_table *a, const store_table *b)
{
	if (a->npartkeys != b->npartkeys)
		return false;
	for (uint32_t i = 0; i < a->npartkeys; i++)
		if (strcmp(a->columns[a->ncolumns + i].name, b->columns[b->ncolumns + i].name) != 0)
			return false;
	return true;
}

int store_table_alter(store_txn *txn, const store_table *t, store_origin origin)
{
	uint8_t prefix[8];
	MDB_cursor *c = NULL;
	store_table cur;
	MDB_val k, v;
	int rc;

	rc = change_check(txn, origin);
	if (rc != 0)
		return rc;
	if (t == NULL)
		return -EINVAL;
	rc = store_table_get(txn, t->db, t->name, &cur);
	if (rc != 0)
		goto out;
	if (!schema_ok(t)) {
		rc = -EINVAL;
		goto out;
	}
	/* Pnodes are keyed by the partition values: other keys would leave
	 * them meaning something else, and files held directly by an
	 * unpartitioned table would have no partition. */
	if (cur.has_schema && !same_partkeys(&cur, t)) {
		store_be64_put(prefix, cur.id);
		rc = cursor_open(txn, txn->env->pnodes, &c);
		if (rc == 0)
			rc = cursor_seek_prefix(c, prefix, 8, 8, &k, &v);
		if (rc == -ENOENT) {
			mdb_cursor_close(c);
			c = NULL;
			rc = cursor_open(txn, txn->env->files, &c);
			if (rc == 0)
				rc = cursor_seek_prefix(c, prefix, 8, 8, &k, &v);
		}
		if (rc != -ENOENT) {
			rc = rc == 0 ? -ENOTEMPTY : rc;
			goto out;
		}
	}
	rc = table_put_schema(txn, &cur, t, origin);
out:
	if (c)
		mdb_cursor_close(c);
	store_table_clear(&cur);
	return rc;
}

/* Delete every file record under container ID, with its ids entry. */
static int files_drop_all(store_txn *txn, MDB_cursor *fc, uint64_t id)
{
	uint8_t prefix[8];
	store_file f;
	MDB_val k, v;
	int rc;

	store_be64_put(prefix, id);
	for (;;) {
		rc = cursor_seek_prefix(fc, prefix, 8, 8, &k, &v);
		if (rc != 0)
			return rc == -ENOENT ? 0 : rc;
		rc = record_decode_stored(STORE_KIND_FILE, &v, &f);
		if (rc == 0)
			rc = store_mdb_error(mdb_cursor_del(fc, 0), "mdb_cursor_del");
		if (rc == 0)
			rc = ids_del(txn, f.id);
		if (rc != 0)
			return rc;
	}
}

int store_table_drop(store_txn *txn, const char *db, const char *name, store_origin origin)
{
	uint8_t key[STORE_KEY_MAX], prefix[8];
	char path[STORE_EVENT_PATH_MAX + 1];
	MDB_cursor *pc = NULL, *fc = NULL;
	store_table t = { 0 };
	store_pnode p;
	MDB_val k, v;
	size_t klen = 0;
	int rc;

	rc = change_check(txn, origin);
	if (rc != 0)
		return rc;
	rc = store_table_get(txn, db, name, &t);
	if (rc != 0)
		goto out;
	table_key(db, name, key, &klen);
	rc = object_path(&t, NULL, 0, path);
	if (rc == 0)
		rc = cursor_open(txn, txn->env->pnodes, &pc);
	if (rc == 0)
		rc = cursor_open(txn, txn->env->files, &fc);
	if (rc != 0)
		goto out;
	/* Re-seek after each delete rather than trusting a cursor's position
	 * across mdb_cursor_del; the seek is one descent of the tree. */
	store_be64_put(prefix, t.id);
	for (;;) {
		rc = cursor_seek_prefix(pc, prefix, 8, 8, &k, &v);
		if (rc == -ENOENT)
			break;
		if (rc == 0)
			rc = record_decode_stored(STORE_KIND_PNODE, &v, &p);
		if (rc == 0)
			rc = files_drop_all(txn, fc, p.id);
		if (rc == 0)
			rc = store_mdb_error(mdb_cursor_del(pc, 0), "mdb_cursor_del");
		if (rc == 0)
			rc = ids_del(txn, p.id);
		if (rc != 0)
			goto out;
	}
	rc = files_drop_all(txn, fc, t.id);
	if (rc == 0)
		rc = kv_del(txn, txn->env->tables, key, klen);
	if (rc == 0)
		rc = ids_del(txn, t.id);
	if (rc == 0)
		rc = event_append(txn, STORE_OP_DROP, STORE_KIND_TABLE, origin, t.id, t.db_id, 0, path);
out:
	if (fc)
		mdb_cursor_close(fc);
	if (pc)
		mdb_cursor_close(pc);
	store_table_clear(&t);
	return rc;
}

/* ---- pnodes ------------------------------------------------------------------- */

/* XXH3-128 over (name, NUL, checksum) of the files in container ID, in name
 * order; stored in canonical (big-endian) byte order. */
static int files_checksum(store_txn *txn, uint64_t id, uint8_t out[16])
{
	XXH3_state_t *st = NULL;
	XXH128_canonical_t canon;
	MDB_cursor *c = NULL;
	uint8_t prefix[8];
	store_file f;
	MDB_val k, v;
	int rc;

	st = XXH3_createState();
	if (st == NULL)
		return -ENOMEM;
	XXH3_128bits_reset(st);
	rc = cursor_open(txn, txn->env->files, &c);
	if (rc != 0)
		goto out;
	store_be64_put(prefix, id);
	for (rc = cursor_seek_prefix(c, prefix, 8, 8, &k, &v); rc == 0;) {
		rc = record_decode_stored(STORE_KIND_FILE, &v, &f);
		if (rc != 0)
			goto out;
		XXH3_128bits_update(st, f.name, strlen(f.name) + 1);
		XXH3_128bits_update(st, f.checksum, sizeof f.checksum);
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		if (rc == 0 && (k.mv_size < 8 || memcmp(k.mv_data, prefix, 8) != 0))
			rc = MDB_NOTFOUND;
		rc = store_mdb_error(rc, "mdb_cursor_get");
	}
	if (rc != -ENOENT)
		goto out;
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(st));
	memcpy(out, canon.digest, 16);
	rc = 0;
out:
	if (c)
		mdb_cursor_close(c);
	XXH3_freeState(st);
	return rc;
}

int store_pnode_create(store_txn *txn, uint64_t table_id, uint64_t parent_id, const char *value,
		       uint32_t uid, uint32_t gid, store_origin origin, store_pnode *out)
{
	uint8_t key[STORE_KEY_MAX], tkey[STORE_KEY_MAX];
	char path[STORE_EVENT_PATH_MAX + 1];
	store_pnode parent = { 0 }, p = { 0 };
	XXH128_canonical_t canon;
	store_table t = { 0 };
	size_t klen, tklen, vlen;
	int rc;

	rc = require_write(txn);
	if (rc != 0)
		return rc;
	if (!origin_ok(origin) || value == NULL)
		return -EINVAL;
	vlen = strnlen(value, STORE_NAME_MAX + 1);
	if (vlen == 0)
		return -EINVAL;
	if (vlen > STORE_NAME_MAX)
		return -ENAMETOOLONG;
	rc = table_by_id(txn, table_id, &t, tkey, &tklen);
	if (rc != 0)
		goto out;
	rc = level_prefix(txn, table_id, parent_id, key, &klen, &parent);
	if (rc != 0)
		goto out;
	p.depth = parent_id ? parent.depth + 1 : 1;
	if (!t.has_schema || p.depth > t.npartkeys) {
		rc = -EINVAL;
		goto out;
	}
	if (klen + vlen + 1 > STORE_PNODE_KEY_MAX) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	memcpy(key + klen, value, vlen + 1);    /* the value and its NUL */
	klen += vlen + 1;
	rc = object_path(&t, key, klen, path);
	if (rc != 0)
		goto out;
	rc = kv_exists(txn, txn->env->pnodes, key, klen);
	if (rc != -ENOENT) {
		rc = rc == 0 ? -EEXIST : rc;
		goto out;
	}

	rc = id_alloc(txn, &p.id);
	if (rc != 0)
		goto out;
	p.table_id = table_id;
	p.parent_id = parent_id;
	p.leaf = p.depth == t.npartkeys;
	memcpy(p.value, value, vlen + 1);
	p.owner_uid = uid;
	p.owner_gid = gid;
	p.created_ns = p.modified_ns = store_now_ns();
	/* A new pnode has no files: the checksum of the empty list. */
	XXH128_canonicalFromHash(&canon, XXH3_128bits("", 0));
	memcpy(p.checksum, canon.digest, sizeof p.checksum);
	rc = record_put(txn, txn->env->pnodes, key, klen, STORE_KIND_PNODE, &p,
				MDB_NOOVERWRITE, &p.etag);
	if (rc == 0)
		rc = ids_put(txn, p.id, STORE_KIND_PNODE, key, klen);
	if (rc == 0 && p.leaf) {
		t.npartitions++;
		t.modified_ns = p.created_ns;
		rc = record_put(txn, txn->env->tables, tkey, tklen, STORE_KIND_TABLE, &t, 0, &t.etag);
	}
	if (rc == 0)
		rc = event_append(txn, STORE_OP_CREATE, STORE_KIND_PNODE, origin, p.id,
				  parent_id ? parent_id : table_id, p.etag, path);
	if (rc == 0 && out)
		*out = p;
out:
	store_table_clear(&t);
	return rc;
}

static int file_key(uint64_t container, const char *name, uint8_t *key, size_t *klen);

static int file_ptr_cmp(const void *a, const void *b)
{
	const store_file *x = *(const store_file *const *)a, *y = *(const store_file *const *)b;

	return strcmp(x->name, y->name);
}

int store_partition_create(store_txn *txn, uint64_t table_id, uint64_t parent_id,
			   const char *value, uint32_t uid, uint32_t gid, store_file *files,
			   uint32_t n, store_origin origin, store_pnode *out)
{
	uint8_t key[STORE_KEY_MAX], tkey[STORE_KEY_MAX], fkey[8 + STORE_NAME_MAX];
	char path[STORE_EVENT_PATH_MAX + 1], fpath[STORE_EVENT_PATH_MAX + 1];
	store_pnode parent = { 0 }, p = { 0 };
	XXH128_canonical_t canon;
	XXH3_state_t *st = NULL;
	store_file **sorted = NULL;
	store_table t = { 0 };
	size_t klen = 0, tklen = 0, vlen = 0, fklen = 0;
	int rc;

	rc = change_check(txn, origin);
	if (rc != 0)
		return rc;
	if (value == NULL || (files == NULL && n > 0))
		return -EINVAL;
	vlen = strnlen(value, STORE_NAME_MAX + 1);
	if (vlen == 0)
		return -EINVAL;
	if (vlen > STORE_NAME_MAX)
		return -ENAMETOOLONG;
	/* The checksum and the events go in name order. */
	sorted = malloc((n ? n : 1) * sizeof *sorted);
	st = XXH3_createState();
	if (sorted == NULL || st == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!store_name_valid(files[i].name, NULL)) {
			rc = -EINVAL;
			goto out;
		}
		sorted[i] = &files[i];
	}
	qsort(sorted, n, sizeof *sorted, file_ptr_cmp);
	for (uint32_t i = 1; i < n; i++) {
		if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
			rc = -EINVAL;
			goto out;
		}
	}
	rc = table_by_id(txn, table_id, &t, tkey, &tklen);
	if (rc == 0)
		rc = level_prefix(txn, table_id, parent_id, key, &klen, &parent);
	if (rc != 0)
		goto out;
	p.depth = parent_id ? parent.depth + 1 : 1;
	if (!t.has_schema || p.depth != t.npartkeys) {
		rc = -EINVAL;
		goto out;
	}
	if (klen + vlen + 1 > STORE_PNODE_KEY_MAX) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	memcpy(key + klen, value, vlen + 1);
	klen += vlen + 1;
	rc = object_path(&t, key, klen, path);
	if (rc != 0)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		if (strlen(path) + 1 + strlen(sorted[i]->name) > STORE_EVENT_PATH_MAX) {
			rc = -ENAMETOOLONG;
			goto out;
		}
	}
	rc = kv_exists(txn, txn->env->pnodes, key, klen);
	if (rc != -ENOENT) {
		rc = rc == 0 ? -EEXIST : rc;
		goto out;
	}

	rc = id_alloc(txn, &p.id);
	if (rc != 0)
		goto out;
	p.table_id = table_id;
	p.parent_id = parent_id;
	p.leaf = true;
	memcpy(p.value, value, vlen + 1);
	p.owner_uid = uid;
	p.owner_gid = gid;
	p.created_ns = p.modified_ns = store_now_ns();
	XXH3_128bits_reset(st);
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		store_file *f = sorted[i];

		f->pnode_id = p.id;
		rc = id_alloc(txn, &f->id);
		if (rc != 0)
			break;
		if (f->created_ns == 0)
			f->created_ns = p.created_ns;
		if (f->modified_ns == 0)
			f->modified_ns = p.created_ns;
		file_key(p.id, f->name, fkey, &fklen);
		rc = record_put(txn, txn->env->files, fkey, fklen, STORE_KIND_FILE, f, MDB_NOOVERWRITE,
				&f->etag);
		if (rc == 0)
			rc = ids_put(txn, f->id, STORE_KIND_FILE, fkey, fklen);
		p.nfiles++;
		p.rows += f->rows;
		p.bytes += f->bytes;
		XXH3_128bits_update(st, f->name, strlen(f->name) + 1);
		XXH3_128bits_update(st, f->checksum, sizeof f->checksum);
	}
	if (rc != 0)
		goto out;
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(st));
	memcpy(p.checksum, canon.digest, sizeof p.checksum);
	rc = record_put(txn, txn->env->pnodes, key, klen, STORE_KIND_PNODE, &p, MDB_NOOVERWRITE,
			&p.etag);
	if (rc == 0)
		rc = ids_put(txn, p.id, STORE_KIND_PNODE, key, klen);
	if (rc == 0) {
		t.npartitions++;
		t.nfiles += p.nfiles;
		t.rows += p.rows;
		t.bytes += p.bytes;
		t.modified_ns = p.created_ns;
		rc = record_put(txn, txn->env->tables, tkey, tklen, STORE_KIND_TABLE, &t, 0, &t.etag);
	}
	if (rc == 0)
		rc = event_append(txn, STORE_OP_CREATE, STORE_KIND_PNODE, origin, p.id,
				  parent_id ? parent_id : table_id, p.etag, path);
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		snprintf(fpath, sizeof fpath, "%s/%s", path, sorted[i]->name);
		rc = event_append(txn, STORE_OP_CREATE, STORE_KIND_FILE, origin, sorted[i]->id, p.id,
				  sorted[i]->etag, fpath);
	}
	if (rc == 0 && out)
		*out = p;
out:
	XXH3_freeState(st);
	free(sorted);
	store_table_clear(&t);
	return rc;
}

int store_pnode_ensure(store_txn *txn, uint64_t table_id, uint64_t parent_id, const char *value,
		       uint32_t uid, uint32_t gid, store_origin origin, store_pnode *out,
		       bool *created)
{
	int rc = store_pnode_get(txn, table_id, parent_id, value, out);

	if (created)
		*created = false;
	if (rc != -ENOENT)
		return rc;
	rc = store_pnode_create(txn, table_id, parent_id, value, uid, gid, origin, out);
	if (rc == 0 && created)
		*created = true;
	return rc;
}

int store_pnode_get(store_txn *txn, uint64_t table_id, uint64_t parent_id, const char *value,
		    store_pnode *out)
{
	uint8_t key[STORE_KEY_MAX];
	size_t klen, vlen;
	int rc;

	if (txn == NULL || out == NULL || value == NULL || value[0] == '\0')
		return -EINVAL;
	rc = level_prefix(txn, table_id, parent_id, key, &klen, NULL);
	if (rc != 0)
		return rc;
	vlen = strnlen(value, STORE_NAME_MAX + 1);
	/* A value that cannot be stored names nothing. */
	if (vlen > STORE_NAME_MAX || klen + vlen + 1 > STORE_PNODE_KEY_MAX)
		return -ENOENT;
	memcpy(key + klen, value, vlen + 1);
	return record_get(txn, txn->env->pnodes, key, klen + vlen + 1, STORE_KIND_PNODE, out);
}

int store_pnode_drop(store_txn *txn, uint64_t pnode_id, store_origin origin)
{
	uint8_t key[STORE_KEY_MAX + 1], tkey[STORE_KEY_MAX], fprefix[8];
	char path[STORE_EVENT_PATH_MAX + 1];
	MDB_cursor *pc = NULL, *fc = NULL;
	store_table t = { 0 };
	store_pnode p;
	size_t klen = 0, tklen = 0;
	MDB_val k, v;
	int rc;

	rc = change_check(txn, origin);
	if (rc != 0)
		return rc;
	rc = pnode_by_id(txn, pnode_id, &p, key, &klen);
	if (rc == 0)
		rc = table_by_id(txn, p.table_id, &t, tkey, &tklen);
	if (rc == 0)
		rc = object_path(&t, key, klen, path);
	if (rc == 0)
		rc = cursor_open(txn, txn->env->pnodes, &pc);
	if (rc == 0)
		rc = cursor_open(txn, txn->env->files, &fc);
	if (rc != 0)
		goto out;
	/* Children are KEY + value + NUL with a value of at least one byte
	 * above NUL: the first key >= KEY "\1" that still starts with KEY. */
	key[klen] = '\1';
	rc = cursor_seek_prefix(pc, key, klen + 1, klen, &k, &v);
	if (rc == -ENOENT) {
		store_be64_put(fprefix, pnode_id);
		rc = cursor_seek_prefix(fc, fprefix, 8, 8, &k, &v);
	}
	if (rc != -ENOENT) {
		rc = rc == 0 ? -ENOTEMPTY : rc;
		goto out;
	}
	rc = kv_del(txn, txn->env->pnodes, key, klen);
	if (rc == 0)
		rc = ids_del(txn, pnode_id);
	if (rc == 0 && p.leaf) {
		t.npartitions--;
		t.modified_ns = store_now_ns();
		rc = record_put(txn, txn->env->tables, tkey, tklen, STORE_KIND_TABLE, &t, 0, &t.etag);
	}
	if (rc == 0)
		rc = event_append(txn, STORE_OP_DROP, STORE_KIND_PNODE, origin, pnode_id,
				  p.parent_id ? p.parent_id : p.table_id, 0, path);
out:
	if (fc)
		mdb_cursor_close(fc);
	if (pc)
		mdb_cursor_close(pc);
	store_table_clear(&t);
	return rc;
}

int store_pnode_values(store_txn *txn, uint64_t pnode_id, char values[][STORE_NAME_MAX + 1],
		       uint32_t max, uint32_t *n)
{
	uint8_t key[STORE_KEY_MAX];
	const uint8_t *v, *nul, *end;
	store_kind kind;
	uint32_t count = 0;
	size_t klen = 0;
	int rc;

	if (txn == NULL || n == NULL || (values == NULL && max > 0))
		return -EINVAL;
	*n = 0;
	rc = ids_get(txn, pnode_id, &kind, key, &klen);
	if (rc != 0)
		return rc;
	if (kind != STORE_KIND_PNODE || klen <= 8)
		return -ENOENT;
	end = key + klen;
	for (v = key + 8; v < end; v = nul + 1) {
		nul = memchr(v, '\0', (size_t)(end - v));
		if (nul == NULL || nul - v > STORE_NAME_MAX)
			return -EIO;
		if (count < max)
			memcpy(values[count], v, (size_t)(nul - v) + 1);
		count++;
	}
	*n = count;
	return count > max ? -ERANGE : 0;
}

/* ---- files -------------------------------------------------------------------- */

/* Where files live: a leaf pnode, or a table without partition keys. */
struct container {
	store_table table;
	uint8_t table_key[STORE_KEY_MAX];
	size_t table_klen;
	bool is_pnode;
	store_pnode pnode;
	uint8_t pnode_key[STORE_KEY_MAX];
	size_t pnode_klen;
	char path[STORE_EVENT_PATH_MAX + 1];
};

/* C->table is zeroed first, so store_table_clear(&c->table) is always safe. */
static int container_load(store_txn *txn, uint64_t id, struct container *c)
{
	store_kind kind;
	uint8_t key[STORE_KEY_MAX];
	size_t klen = 0;
	int rc;

	memset(&c->table, 0, sizeof c->table);
	rc = ids_get(txn, id, &kind, key, &klen);
	if (rc != 0)
		return rc;
	c->is_pnode = kind == STORE_KIND_PNODE;
	if (kind == STORE_KIND_PNODE) {
		memcpy(c->pnode_key, key, klen);
		c->pnode_klen = klen;
		rc = record_get(txn, txn->env->pnodes, key, klen, STORE_KIND_PNODE, &c->pnode);
		if (rc == 0)
			rc = table_by_id(txn, c->pnode.table_id, &c->table, c->table_key,
					 &c->table_klen);
		if (rc == 0 && !c->pnode.leaf)
			rc = -EINVAL;
		if (rc == 0)
			rc = object_path(&c->table, c->pnode_key, c->pnode_klen, c->path);
	} else if (kind == STORE_KIND_TABLE) {
		memcpy(c->table_key, key, klen);
		c->table_klen = klen;
		rc = record_get(txn, txn->env->tables, key, klen, STORE_KIND_TABLE, &c->table);
		if (rc == 0 && (!c->table.has_schema || c->table.npartkeys > 0))
			rc = -EINVAL;
		if (rc == 0)
			rc = object_path(&c->table, NULL, 0, c->path);
	} else {
		rc = -EINVAL;
	}
	return rc;
}

/* Record C's statistics after a file changed from OLD (NULL: none) to NEW
 * (NULL: none), and the container's checksum. */
static int container_account(store_txn *txn, struct container *c, const store_file *old,
			     const store_file *new, int64_t now)
{
	uint64_t dfiles = (new ? 1 : 0) - (uint64_t)(old ? 1 : 0);
	uint64_t drows = (new ? new->rows : 0) - (old ? old->rows : 0);
	uint64_t dbytes = (new ? new->bytes : 0) - (old ? old->bytes : 0);
	int rc;

	/* Unsigned wrap-around makes a negative delta come out right. */
	if (c->is_pnode) {
		c->pnode.nfiles += dfiles;
		c->pnode.rows += drows;
		c->pnode.bytes += dbytes;
		c->pnode.modified_ns = now;
		rc = files_checksum(txn, c->pnode.id, c->pnode.checksum);
		if (rc == 0)
			rc = record_put(txn, txn->env->pnodes, c->pnode_key, c->pnode_klen,
					STORE_KIND_PNODE, &c->pnode, 0, &c->pnode.etag);
		if (rc != 0)
			return rc;
	}
	c->table.nfiles += dfiles;
	c->table.rows += drows;
	c->table.bytes += dbytes;
	c->table.modified_ns = now;
	return record_put(txn, txn->env->tables, c->table_key, c->table_klen, STORE_KIND_TABLE,
			  &c->table, 0, &c->table.etag);
}

static int file_key(uint64_t container, const char *name, uint8_t *key, size_t *klen)
{
	size_t n;

	if (!store_name_valid(name, NULL))
		return -EINVAL;
	n = strlen(name);
	store_be64_put(key, container);
	memcpy(key + 8, name, n);
	*klen = 8 + n;
	return 0;
}

static int file_path(const struct container *c, const char *name, char *out)
{
	struct path p = { out, 0, STORE_EVENT_PATH_MAX + 1, 0 };

	out[0] = '\0';
	path_add(&p, c->path);
	path_add(&p, "/");
	path_add(&p, name);
	return p.rc;
}

int store_file_put(store_txn *txn, store_file *f, store_origin origin)
{
	uint8_t key[8 + STORE_NAME_MAX], idkey[STORE_KEY_MAX];
	char path[STORE_EVENT_PATH_MAX + 1];
	struct container c;
	store_file old, rec;
	bool had_old, same_id;
	store_kind kind;
	size_t klen, idklen;
	int64_t now;
	int rc;

	rc = require_write(txn);
	if (rc != 0)
		return rc;
	if (f == NULL || !origin_ok(origin))
		return -EINVAL;
	rc = file_key(f->pnode_id, f->name, key, &klen);
	if (rc != 0)
		return rc;
	rc = container_load(txn, f->pnode_id, &c);
	if (rc == 0)
		rc = file_path(&c, f->name, path);
	if (rc != 0)
		goto out;
	rc = record_get(txn, txn->env->files, key, klen, STORE_KIND_FILE, &old);
	had_old = rc == 0;
	if (rc == -ENOENT)
		rc = 0;
	if (rc != 0)
		goto out;
	same_id = had_old && f->id == old.id;
	/* A caller-chosen id must be one store_id_reserve handed out and
	 * nothing else uses. */
	if (f->id != 0 && !same_id) {
		rc = next_id_load(txn);
		if (rc == 0 && f->id >= txn->next_id)
			rc = -EINVAL;
		if (rc == 0) {
			rc = ids_get(txn, f->id, &kind, idkey, &idklen);
			rc = rc == 0 ? -EEXIST : rc == -ENOENT ? 0 : rc;
		}
		if (rc != 0)
			goto out;
	}

	now = store_now_ns();
	rec = *f;
	if (rec.id == 0) {
		rc = id_alloc(txn, &rec.id);
		if (rc != 0)
			goto out;
	}
	if (rec.created_ns == 0)
		rec.created_ns = same_id ? old.created_ns : now;
	if (rec.modified_ns == 0)
		rec.modified_ns = now;
	rc = record_put(txn, txn->env->files, key, klen, STORE_KIND_FILE, &rec, 0, &rec.etag);
	if (rc == 0 && had_old && !same_id)
		rc = ids_del(txn, old.id);
	if (rc == 0 && !same_id)
		rc = ids_put(txn, rec.id, STORE_KIND_FILE, key, klen);
	if (rc == 0)
		rc = container_account(txn, &c, had_old ? &old : NULL, &rec, now);
	/* A different file replacing this name is a drop and a create, so that
	 * whoever caches by id forgets the old one. */
	if (rc == 0 && had_old && !same_id)
		rc = event_append(txn, STORE_OP_DROP, STORE_KIND_FILE, origin, old.id, f->pnode_id, 0,
				  path);
	if (rc == 0)
		rc = event_append(txn, same_id ? STORE_OP_ALTER : STORE_OP_CREATE, STORE_KIND_FILE,
				  origin, rec.id, f->pnode_id, rec.etag, path);
	if (rc == 0)
		*f = rec;
out:
	store_table_clear(&c.table);
	return rc;
}

int store_file_get(store_txn *txn, uint64_t pnode_id, const char *name, store_file *out)
{
	uint8_t key[8 + STORE_NAME_MAX];
	size_t klen = 0;
	int rc;

	if (txn == NULL || out == NULL)
		return -EINVAL;
	rc = file_key(pnode_id, name, key, &klen);
	if (rc != 0)
		return rc;
	return record_get(txn, txn->env->files, key, klen, STORE_KIND_FILE, out);
}

int store_file_set_mtime(store_txn *txn, uint64_t pnode_id, const char *name, uint64_t id,
			 int64_t mtime_ns)
{
	uint8_t key[8 + STORE_NAME_MAX];
	store_file f;
	size_t klen = 0;
	int rc;

	rc = require_write(txn);
	if (rc != 0)
		return rc;
	rc = file_key(pnode_id, name, key, &klen);
	if (rc == 0)
		rc = record_get(txn, txn->env->files, key, klen, STORE_KIND_FILE, &f);
	if (rc == 0 && f.id != id)
		rc = -ENOENT;
	if (rc != 0 || f.mtime_ns == mtime_ns)
		return rc;
	f.mtime_ns = mtime_ns;
	/* The statistics stay with the record. */
	store_colstat *stats = NULL;
	uint32_t nstats = 0;
	if (f.nstats)
		rc = store_file_stats(txn, pnode_id, name, &stats, &nstats);
	f.stats = stats;
	f.nstats = nstats;
	if (rc == 0)
		rc = record_put(txn, txn->env->files, key, klen, STORE_KIND_FILE, &f, 0, &f.etag);
	free(stats);
	return rc;
}

int store_file_stats(store_txn *txn, uint64_t pnode_id, const char *name, store_colstat **out,
		     uint32_t *n)
{
	uint8_t key[8 + STORE_NAME_MAX];
	size_t klen = 0;
	MDB_val v;
	int rc;

	if (txn == NULL || out == NULL || n == NULL)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	rc = file_key(pnode_id, name, key, &klen);
	if (rc == 0)
		rc = kv_get(txn, txn->env->files, key, klen, &v);
	if (rc == 0)
		rc = store_record_file_stats(v.mv_data, v.mv_size, out, n);
	return rc;
}

/* What store_column_stats gathers per column: the bounds so far (OUT[c],
 * once a file with values had them), whether a file with values was met,
 * and the null count while every file had one. */
struct colacc {
	bool bounds_seen;
	bool nulls_unknown;
	uint64_t nulls;
};

/* Fold the statistics of the files of CONTAINER into OUT and ACC. */
static int column_stats_container(store_txn *txn, const store_table *t, uint64_t container,
				  store_colstat *out, struct colacc *acc, uint64_t *nfiles)
{
	store_iter *it = NULL;
	store_file f;
	int rc = store_iter_files(txn, container, NULL, &it);

	while (rc == 0 && (rc = store_iter_next(it, &f)) == 0) {
		store_colstat *st = NULL;
		uint32_t n = 0;
		if (f.name[0] == '.' || f.name[0] == '_')
			continue;   /* hidden names are not data */
		++*nfiles;
		if (f.rows == 0)
			continue;   /* no values: bounds nothing */
		if (f.nstats && (rc = store_file_stats(txn, container, f.name, &st, &n)))
			break;
		for (uint32_t c = 0; c < t->ncolumns; c++) {
			store_colstat none = {.column = c, .type = t->columns[c].type};
			const store_colstat *x = &none;
			for (uint32_t k = 0; k < n; k++)
				if (st[k].column == c && st[k].type == t->columns[c].type)
					x = &st[k];
			if (x->flags & STORE_STAT_NULLS)
				acc[c].nulls += x->nulls;
			else
				acc[c].nulls_unknown = true;
			if ((x->flags & STORE_STAT_NULLS) && x->nulls >= f.rows)
				continue;   /* all NULL: no bounds to miss */
			store_colstat b = *x;
			b.flags &= (uint8_t)~STORE_STAT_NULLS;
			if (!acc[c].bounds_seen)
				out[c] = b;
			else
				store_colstat_merge(&out[c], &b);
			acc[c].bounds_seen = true;
		}
		free(st);
	}
	store_iter_close(it);
	return rc == -ENOENT ? 0 : rc;
}

static int column_stats_level(store_txn *txn, const store_table *t, uint64_t parent,
			      store_colstat *out, struct colacc *acc, uint64_t *nfiles)
{
	store_iter *it = NULL;
	store_pnode p;
	int rc = store_iter_pnodes(txn, t->id, parent, NULL, &it);

	while (rc == 0 && (rc = store_iter_next(it, &p)) == 0)
		rc = p.leaf ? column_stats_container(txn, t, p.id, out, acc, nfiles)
			    : column_stats_level(txn, t, p.id, out, acc, nfiles);
	store_iter_close(it);
	return rc == -ENOENT ? 0 : rc;
}

int store_column_stats(store_txn *txn, const store_table *t, uint64_t container_id,
		       store_colstat *out, uint64_t *nfiles)
{
	uint64_t counted = 0;
	struct colacc *acc;
	int rc;

	if (txn == NULL || t == NULL || out == NULL)
		return -EINVAL;
	acc = calloc(t->ncolumns ? t->ncolumns : 1, sizeof *acc);
	if (acc == NULL)
		return -ENOMEM;
	if (container_id != 0 || t->npartkeys == 0)
		rc = column_stats_container(txn, t, container_id ? container_id : t->id, out, acc,
					    &counted);
	else
		rc = column_stats_level(txn, t, 0, out, acc, &counted);
	for (uint32_t c = 0; c < t->ncolumns; c++) {
		if (!acc[c].bounds_seen)
			out[c] = (store_colstat){0};
		out[c].column = c;
		out[c].type = t->columns[c].type;
		out[c].nulls = acc[c].nulls_unknown ? 0 : acc[c].nulls;
		if (!acc[c].nulls_unknown)
			out[c].flags |= STORE_STAT_NULLS;
	}
	free(acc);
	if (nfiles)
		*nfiles = counted;
	return rc;
}

int store_file_drop(store_txn *txn, uint64_t pnode_id, const char *name, store_origin origin)
{
	uint8_t key[8 + STORE_NAME_MAX];
	char path[STORE_EVENT_PATH_MAX + 1];
	struct container c;
	store_file old;
	size_t klen = 0;
	int rc;

	rc = change_check(txn, origin);
	if (rc != 0)
		return rc;
	rc = file_key(pnode_id, name, key, &klen);
	if (rc != 0)
		return rc;
	rc = container_load(txn, pnode_id, &c);
	if (rc == 0)
		rc = file_path(&c, name, path);
	if (rc == 0)
		rc = record_get(txn, txn->env->files, key, klen, STORE_KIND_FILE, &old);
	if (rc == 0)
		rc = kv_del(txn, txn->env->files, key, klen);
	if (rc == 0)
		rc = ids_del(txn, old.id);
	if (rc == 0)
		rc = container_account(txn, &c, &old, NULL, store_now_ns());
	if (rc == 0)
		rc = event_append(txn, STORE_OP_DROP, STORE_KIND_FILE, origin, old.id, pnode_id, 0, path);
	store_table_clear(&c.table);
	return rc;
}

/* ---- ids ---------------------------------------------------------------------- */

int store_object_by_id(store_txn *txn, uint64_t id, store_kind *kind, store_object *out)
{
	uint8_t key[STORE_KEY_MAX];
	store_kind k;
	size_t klen = 0;
	MDB_dbi dbi;
	int rc;

	if (txn == NULL || kind == NULL || out == NULL)
		return -EINVAL;
	*kind = STORE_KIND_NONE;
	memset(out, 0, sizeof *out);    /* a table's arrays are NULL on failure */
	rc = ids_get(txn, id, &k, key, &klen);
	if (rc != 0)
		return rc;
	switch (k) {
	case STORE_KIND_DATABASE:
		dbi = txn->env->databases;
		break;
	case STORE_KIND_TABLE:
		dbi = txn->env->tables;
		break;
	case STORE_KIND_PNODE:
		dbi = txn->env->pnodes;
		break;
	case STORE_KIND_FILE:
		dbi = txn->env->files;
		break;
	default:
		return -EIO;
	}
	rc = record_get(txn, dbi, key, klen, k, out);
	/* The ids entry and its record are written together: one without the
	 * other is damage. */
	if (rc == -ENOENT)
		rc = -EIO;
	if (rc == 0)
		*kind = k;
	return rc;
}

/* ---- iterators ------------------------------------------------------------------ */

enum iter_kind {
	ITER_DATABASES = 1,
	ITER_TABLES,
	ITER_PNODES,
	ITER_FILES,
	ITER_EVENTS,
};

struct store_iter {
	store_txn *txn;             /* NULL once the transaction ended */
	MDB_cursor *cur;
	enum iter_kind kind;
	store_iter *prev, *next;    /* in txn->iters */
	uint8_t prefix[STORE_KEY_MAX];
	size_t prefix_len;          /* every key of the listing starts with PREFIX */
	uint8_t seek[STORE_KEY_MAX];
	size_t seek_len;            /* 0: the first key of the sub-database */
	bool seek_pending;          /* the next step seeks to SEEK instead of MDB_NEXT */
	bool skip_equal;            /* ... and skips a key equal to SEEK (resume after) */
	bool done;
	uint64_t reads;
};

uint64_t store_iter_reads(const store_iter *it)
{
	return it->reads;
}

void store_txn_detach_iters(store_txn *txn)
{
	store_iter *it, *next;

	for (it = txn->iters; it; it = next) {
		next = it->next;
		mdb_cursor_close(it->cur);
		it->cur = NULL;
		it->txn = NULL;
		it->prev = it->next = NULL;
	}
	txn->iters = NULL;
}

static int iter_open(store_txn *txn, MDB_dbi dbi, enum iter_kind kind, store_iter **out)
{
	store_iter *it;
	int rc;

	it = calloc(1, sizeof *it);
	if (it == NULL)
		return -ENOMEM;
	rc = cursor_open(txn, dbi, &it->cur);
	if (rc != 0) {
		free(it);
		return rc;
	}
	it->txn = txn;
	it->kind = kind;
	it->seek_pending = true;
	it->next = txn->iters;
	if (it->next)
		it->next->prev = it;
	txn->iters = it;
	*out = it;
	return 0;
}

void store_iter_close(store_iter *it)
{
	if (it == NULL)
		return;
	if (it->txn) {
		if (it->prev)
			it->prev->next = it->next;
		else
			it->txn->iters = it->next;
		if (it->next)
			it->next->prev = it->prev;
		mdb_cursor_close(it->cur);
	}
	free(it);
}

/* Listings of names (databases, tables, files): PREFIX, and resume after
 * the name AFTER by seeking to PREFIX AFTER and skipping an exact match. */
static int iter_names(store_txn *txn, MDB_dbi dbi, enum iter_kind kind, const uint8_t *prefix,
		      size_t prefix_len, const char *after, store_iter **out)
{
	size_t alen = after ? strnlen(after, STORE_NAME_MAX + 1) : 0;
	store_iter *it;
	int rc;

	if (alen > STORE_NAME_MAX)
		return -EINVAL;
	rc = iter_open(txn, dbi, kind, &it);
	if (rc != 0)
		return rc;
	/* memcpy with a NULL source is undefined even for 0 bytes. */
	if (prefix_len) {
		memcpy(it->prefix, prefix, prefix_len);
		memcpy(it->seek, prefix, prefix_len);
	}
	it->prefix_len = prefix_len;
	if (alen)
		memcpy(it->seek + prefix_len, after, alen);
	it->seek_len = prefix_len + alen;
	it->skip_equal = alen > 0;
	*out = it;
	return 0;
}

int store_iter_databases(store_txn *txn, const char *after, store_iter **out)
{
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (txn == NULL)
		return -EINVAL;
	return iter_names(txn, txn->env->databases, ITER_DATABASES, NULL, 0, after, out);
}

int store_iter_tables(store_txn *txn, const char *db, const char *after, store_iter **out)
{
	uint8_t prefix[STORE_NAME_MAX + 1];
	store_database d;
	size_t len;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (txn == NULL)
		return -EINVAL;
	rc = store_database_get(txn, db, &d);
	if (rc != 0)
		return rc;
	len = strlen(db);
	memcpy(prefix, db, len);
	prefix[len] = '\0';
	return iter_names(txn, txn->env->tables, ITER_TABLES, prefix, len + 1, after, out);
}

int store_iter_pnodes(store_txn *txn, uint64_t table_id, uint64_t parent_id, const char *after,
		      store_iter **out)
{
	uint8_t prefix[STORE_KEY_MAX];
	size_t len, room, alen;
	store_kind kind;
	store_iter *it;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (txn == NULL)
		return -EINVAL;
	if (parent_id == 0) {
		rc = ids_get(txn, table_id, &kind, prefix, &len);
		if (rc == 0 && kind != STORE_KIND_TABLE)
			rc = -ENOENT;
		if (rc != 0)
			return rc;
	}
	rc = level_prefix(txn, table_id, parent_id, prefix, &len, NULL);
	if (rc != 0)
		return rc;
	rc = iter_open(txn, txn->env->pnodes, ITER_PNODES, &it);
	if (rc != 0)
		return rc;
	memcpy(it->prefix, prefix, len);
	it->prefix_len = len;
	/* Children are PREFIX value NUL with a value of at least one byte
	 * above NUL; PREFIX itself may be the parent's own key. */
	memcpy(it->seek, prefix, len);
	it->seek[len] = '\1';
	it->seek_len = len + 1;
	if (after && after[0]) {
		/* Past AFTER and all its descendants: PREFIX AFTER "\1".  No key is
		 * longer than STORE_PNODE_KEY_MAX, so cutting the seek key one byte
		 * beyond that does not change where it lands. */
		alen = strlen(after);
		room = STORE_PNODE_KEY_MAX + 1 - len;
		if (alen + 1 <= room) {
			memcpy(it->seek + len, after, alen);
			it->seek[len + alen] = '\1';
			it->seek_len = len + alen + 1;
		} else {
			memcpy(it->seek + len, after, room);
			it->seek_len = len + room;
		}
	}
	*out = it;
	return 0;
}

int store_iter_files(store_txn *txn, uint64_t pnode_id, const char *after, store_iter **out)
{
	uint8_t prefix[8], key[STORE_KEY_MAX];
	store_kind kind;
	size_t klen = 0;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (txn == NULL)
		return -EINVAL;
	rc = ids_get(txn, pnode_id, &kind, key, &klen);
	if (rc != 0)
		return rc;
	if (kind != STORE_KIND_PNODE && kind != STORE_KIND_TABLE)
		return -EINVAL;
	store_be64_put(prefix, pnode_id);
	return iter_names(txn, txn->env->files, ITER_FILES, prefix, 8, after, out);
}

int store_iter_events(store_txn *txn, uint64_t after_seq, store_iter **out)
{
	store_iter *it;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (txn == NULL)
		return -EINVAL;
	rc = iter_open(txn, txn->env->events, ITER_EVENTS, &it);
	if (rc != 0)
		return rc;
	if (after_seq == UINT64_MAX)
		it->done = true;
	store_be64_put(it->seek, after_seq + 1);
	it->seek_len = 8;
	*out = it;
	return 0;
}

/* Move to the next key of the listing's range; -ENOENT past its end. */
static int iter_step(store_iter *it, MDB_val *k, MDB_val *v)
{
	MDB_cursor_op op = MDB_NEXT;
	int rc;

	if (it->seek_pending) {
		op = it->seek_len ? MDB_SET_RANGE : MDB_FIRST;
		k->mv_data = it->seek;
		k->mv_size = it->seek_len;
	}
	rc = mdb_cursor_get(it->cur, k, v, op);
	if (rc == 0)
		it->reads++;
	if (rc == 0 && it->seek_pending && it->skip_equal && k->mv_size == it->seek_len &&
	    memcmp(k->mv_data, it->seek, it->seek_len) == 0) {
		rc = mdb_cursor_get(it->cur, k, v, MDB_NEXT);
		if (rc == 0)
			it->reads++;
	}
	it->seek_pending = false;
	it->skip_equal = false;
	if (rc != 0)
		return store_mdb_error(rc, "mdb_cursor_get");
	if (k->mv_size < it->prefix_len || memcmp(k->mv_data, it->prefix, it->prefix_len) != 0)
		return -ENOENT;
	return 0;
}

/* One level of pnodes: keys PREFIX value NUL.  After a child, the next seek
 * goes to PREFIX value "\1", past all of that child's descendants (they are
 * PREFIX value NUL ...), so deeper levels are never read. */
static int iter_next_pnode(store_iter *it, store_pnode *out)
{
	const uint8_t *rest, *nul;
	size_t rlen, seg;
	MDB_val k, v;
	int rc;

	for (;;) {
		rc = iter_step(it, &k, &v);
		if (rc != 0)
			return rc;
		rest = (const uint8_t *)k.mv_data + it->prefix_len;
		rlen = k.mv_size - it->prefix_len;
		nul = memchr(rest, '\0', rlen);
		if (nul == NULL)
			return -EIO;
		seg = (size_t)(nul - rest);
		memcpy(it->seek, k.mv_data, it->prefix_len + seg);
		it->seek[it->prefix_len + seg] = '\1';
		it->seek_len = it->prefix_len + seg + 1;
		it->seek_pending = true;
		/* A deeper key whose own level entry is missing cannot be listed. */
		if (seg + 1 == rlen)
			return record_decode_stored(STORE_KIND_PNODE, &v, out);
	}
}

int store_iter_next(store_iter *it, void *out)
{
	MDB_val k, v;
	int rc;

	if (it == NULL || out == NULL)
		return -EINVAL;
	if (it->done)
		return -ENOENT;
	if (it->txn == NULL)
		return -EINVAL;
	if (it->kind == ITER_PNODES) {
		rc = iter_next_pnode(it, out);
	} else {
		rc = iter_step(it, &k, &v);
		if (rc == 0) {
			switch (it->kind) {
			case ITER_DATABASES:
				rc = record_decode_stored(STORE_KIND_DATABASE, &v, out);
				break;
			case ITER_TABLES:
				rc = record_decode_stored(STORE_KIND_TABLE, &v, out);
				break;
			case ITER_FILES:
				rc = record_decode_stored(STORE_KIND_FILE, &v, out);
				break;
			default:
				rc = store_event_decode(v.mv_data, v.mv_size, out) ? -EIO : 0;
				break;
			}
		}
	}
	if (rc != 0)
		it->done = true;
	return rc;
}
