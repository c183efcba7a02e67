/*
 * store_view.c - views: named queries kept as their text (see store.h).
 *
 * Record (version 1), little-endian:
 *   u8 version, u32 owner uid, u32 owner gid, i64 created ns,
 *   u32 ncolumns, then per column u32 length + bytes,
 *   u32 text length + bytes.
 * The text is the query as written after AS; the SQL analyzer parses it
 * again at every use, so a view always reads its tables as they are.
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int view_key(const char *db, const char *name, uint8_t *key, size_t *klen)
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

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int view_encode(const store_view *v, uint8_t **out, size_t *len)
{
	size_t n = 1 + 4 + 4 + 8 + 4 + 4, off = 0, tl = strlen(v->text);
	uint64_t created = (uint64_t)v->created_ns;
	uint8_t *b;

	for (uint32_t i = 0; i < v->ncolumns; i++)
		n += 4 + strlen(v->columns[i]);
	n += tl;
	b = malloc(n);
	if (!b)
		return -ENOMEM;
	b[off++] = STORE_RECORD_VERSION;
	put_u32(b + off, v->owner_uid);
	off += 4;
	put_u32(b + off, v->owner_gid);
	off += 4;
	put_u32(b + off, (uint32_t)created);
	put_u32(b + off + 4, (uint32_t)(created >> 32));
	off += 8;
	put_u32(b + off, v->ncolumns);
	off += 4;
	for (uint32_t i = 0; i < v->ncolumns; i++) {
		size_t cl = strlen(v->columns[i]);

		put_u32(b + off, (uint32_t)cl);
		memcpy(b + off + 4, v->columns[i], cl);
		off += 4 + cl;
	}
	put_u32(b + off, (uint32_t)tl);
	memcpy(b + off + 4, v->text, tl);
	*out = b;
	*len = n;
	return 0;
}

/* A length-prefixed string at *OFF of B (LEN bytes), allocated. */
static int view_string(const uint8_t *b, size_t len, size_t *off, char **out)
{
	uint32_t n;

	if (len - *off < 4)
		return -EINVAL;
	n = get_u32(b + *off);
	*off += 4;
	if (len - *off < n)
		return -EINVAL;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, b + *off, n);
	(*out)[n] = '\0';
	*off += n;
	return 0;
}

static int view_decode(const uint8_t *b, size_t len, store_view *v)
{
	size_t off = 1;
	uint32_t n;
	int rc;

	if (len < 1 + 4 + 4 + 8 + 4 || b[0] != STORE_RECORD_VERSION)
		return -EINVAL;
	v->owner_uid = get_u32(b + off);
	v->owner_gid = get_u32(b + off + 4);
	v->created_ns = (int64_t)((uint64_t)get_u32(b + off + 8) |
				  (uint64_t)get_u32(b + off + 12) << 32);
	off += 16;
	n = get_u32(b + off);
	off += 4;
	if (n > STORE_MAX_COLUMNS)
		return -EINVAL;
	v->columns = calloc(n ? n : 1, sizeof *v->columns);
	if (!v->columns)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		rc = view_string(b, len, &off, &v->columns[i]);
		if (rc)
			return rc;
		v->ncolumns = i + 1;
	}
	rc = view_string(b, len, &off, &v->text);
	if (rc == 0 && off != len)
		rc = -EINVAL;
	return rc;
}

void store_view_clear(store_view *v)
{
	if (!v)
		return;
	for (uint32_t i = 0; i < v->ncolumns; i++)
		free(v->columns[i]);
	free(v->columns);
	free(v->text);
	v->columns = NULL;
	v->text = NULL;
	v->ncolumns = 0;
}

int store_view_exists(store_txn *txn, const char *db, const char *name)
{
	uint8_t key[STORE_KEY_MAX];
	size_t klen;
	MDB_val k, d;
	int rc;

	if (!txn->env->have_views)
		return -ENOENT;
	rc = view_key(db, name, key, &klen);
	if (rc)
		return rc;
	k = (MDB_val){ klen, key };
	return store_mdb_error(mdb_get(txn->mdb, txn->env->views, &k, &d), "mdb_get");
}

int store_view_put(store_txn *txn, const store_view *v, bool replace)
{
	uint8_t key[STORE_KEY_MAX], tkey[STORE_KEY_MAX];
	store_view rec = *v;
	store_database d;
	uint8_t *buf = NULL;
	size_t klen, len;
	MDB_val k, val;
	int rc;

	if (txn == NULL || !txn->write)
		return -EINVAL;
	if (!txn->env->have_views)
		return -EROFS;
	rc = view_key(v->db, v->name, key, &klen);
	if (rc)
		return rc;
	if (v->text == NULL || v->text[0] == '\0' || v->ncolumns > STORE_MAX_COLUMNS)
		return -EINVAL;
	for (uint32_t i = 0; i < v->ncolumns; i++)
		if (!store_name_valid(v->columns[i], NULL))
			return -EINVAL;
	rc = store_database_get(txn, v->db, &d);
	if (rc)
		return rc;
	/* A table of that name: the key of the tables sub-database is the same. */
	memcpy(tkey, key, klen);
	k = (MDB_val){ klen, tkey };
	rc = mdb_get(txn->mdb, txn->env->tables, &k, &val);
	if (rc == 0)
		return -EEXIST;
	if (rc != MDB_NOTFOUND)
		return store_mdb_error(rc, "mdb_get");
	if (rec.created_ns == 0)
		rec.created_ns = store_now_ns();
	rc = view_encode(&rec, &buf, &len);
	if (rc)
		return rc;
	k = (MDB_val){ klen, key };
	val = (MDB_val){ len, buf };
	rc = store_mdb_error(mdb_put(txn->mdb, txn->env->views, &k, &val,
				     replace ? 0 : MDB_NOOVERWRITE), "mdb_put");
	free(buf);
	return rc;
}

int store_view_get(store_txn *txn, const char *db, const char *name, store_view *out)
{
	uint8_t key[STORE_KEY_MAX];
	size_t klen;
	MDB_val k, val;
	int rc;

	if (txn == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof *out);
	rc = view_key(db, name, key, &klen);
	if (rc)
		return rc;
	if (!txn->env->have_views)
		return -ENOENT;
	k = (MDB_val){ klen, key };
	rc = store_mdb_error(mdb_get(txn->mdb, txn->env->views, &k, &val), "mdb_get");
	if (rc)
		return rc;
	snprintf(out->db, sizeof out->db, "%s", db);
	snprintf(out->name, sizeof out->name, "%s", name);
	rc = view_decode(val.mv_data, val.mv_size, out);
	if (rc) {
		store_view_clear(out);
		if (rc == -EINVAL) {
			store_log("undecodable view record %s.%s", db, name);
			rc = -EIO;
		}
	}
	return rc;
}

int store_view_drop(store_txn *txn, const char *db, const char *name)
{
	uint8_t key[STORE_KEY_MAX];
	size_t klen;
	MDB_val k;
	int rc;

	if (txn == NULL || !txn->write)
		return -EINVAL;
	rc = view_key(db, name, key, &klen);
	if (rc)
		return rc;
	if (!txn->env->have_views)
		return -ENOENT;
	k = (MDB_val){ klen, key };
	return store_mdb_error(mdb_del(txn->mdb, txn->env->views, &k, NULL), "mdb_del");
}

/* Walk the views of DB: FN for each, or (FN NULL) delete each. */
static int view_walk(store_txn *txn, const char *db, int (*fn)(const store_view *v, void *arg),
		     void *arg)
{
	uint8_t prefix[STORE_NAME_MAX + 1];
	size_t plen;
	MDB_cursor *c = NULL;
	MDB_val k, val;
	int rc, op = MDB_SET_RANGE;

	if (!store_name_valid(db, NULL))
		return -EINVAL;
	if (!txn->env->have_views)
		return 0;
	plen = strlen(db);
	memcpy(prefix, db, plen);
	prefix[plen++] = '\0';
	rc = store_mdb_error(mdb_cursor_open(txn->mdb, txn->env->views, &c), "mdb_cursor_open");
	if (rc)
		return rc;
	k = (MDB_val){ plen, prefix };
	for (;;) {
		rc = mdb_cursor_get(c, &k, &val, (MDB_cursor_op)op);
		op = MDB_NEXT;
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc) {
			rc = store_mdb_error(rc, "mdb_cursor_get");
			break;
		}
		if (k.mv_size <= plen || memcmp(k.mv_data, prefix, plen) != 0 ||
		    k.mv_size - plen > STORE_NAME_MAX)
			break;
		if (fn == NULL) {
			rc = store_mdb_error(mdb_cursor_del(c, 0), "mdb_cursor_del");
			if (rc)
				break;
			/* The cursor now stands on the next entry. */
			k = (MDB_val){ plen, prefix };
			op = MDB_SET_RANGE;
			continue;
		}
		store_view v = { 0 };
		snprintf(v.db, sizeof v.db, "%s", db);
		memcpy(v.name, (const char *)k.mv_data + plen, k.mv_size - plen);
		v.name[k.mv_size - plen] = '\0';
		rc = view_decode(val.mv_data, val.mv_size, &v);
		if (rc == 0)
			rc = fn(&v, arg);
		else if (rc == -EINVAL)
			rc = -EIO;
		store_view_clear(&v);
		if (rc)
			break;
	}
	mdb_cursor_close(c);
	return rc;
}

int store_view_iter(store_txn *txn, const char *db, int (*fn)(const store_view *v, void *arg),
		    void *arg)
{
	if (txn == NULL || fn == NULL)
		return -EINVAL;
	return view_walk(txn, db, fn, arg);
}

int store_views_drop_database(store_txn *txn, const char *db)
{
	return view_walk(txn, db, NULL, NULL);
}
