/*
 * store_acl.c - roles, role memberships and grants: the records behind
 * access control, kept in the manager's environment.
 *
 * Keys (all sort the way they are listed):
 *   roles     role name
 *   members   role name, NUL, u8 kind (1 user, 2 group), u32 BE id
 *   grants    u8 level, the level's names each followed by NUL, u8 kind,
 *             then u32 BE id (user, group) or the role's name (role)
 * Values are versioned like every record (u8 version 1, then
 * little-endian fields):
 *   role      u8 ver, u32 creator uid, i64 created_ns
 *   member    u8 ver, u32 grantor uid, i64 created_ns
 *   grant     u8 ver, u32 privileges, u32 grantor uid, i64 created_ns
 * The object and the grantee are in the key only, so a grant's value is
 * fixed size.  Dropping a role removes its memberships (one range) and the
 * grants to it (a scan of all grants: there are few, and roles are dropped
 * rarely).  Dropping a database or a table removes the grants on it and
 * below it: one key range a level.
 *
 * Like the catalog functions, every check comes before the first write, so
 * a refusal leaves the transaction usable.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define ROLE_VALUE_LEN 13
#define MEMBER_VALUE_LEN 13
#define GRANT_VALUE_LEN 17
#define MEMBER_KEY_MAX (STORE_NAME_MAX + 1 + 1 + 4)

/* ---- little helpers ------------------------------------------------------------- */

static void le_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t le_get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void be32_put(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The common preamble: a transaction, of the right kind, in an environment
 * that has the sub-databases.  -ENOENT (reads) when it has none. */
static int acl_txn_check(const store_txn *txn, bool write)
{
	if (txn == NULL)
		return -EINVAL;
	if (write && !txn->write)
		return -EROFS;
	if (!txn->env->have_acl)
		return write ? -EROFS : -ENOENT;
	return 0;
}

static int acl_get(store_txn *txn, MDB_dbi dbi, const void *key, size_t klen, MDB_val *v)
{
	MDB_val k = { klen, (void *)key };

	return store_mdb_error(mdb_get(txn->mdb, dbi, &k, v), "mdb_get");
}

static int acl_put(store_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *val,
		   size_t vlen, unsigned flags)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };

	return store_mdb_error(mdb_put(txn->mdb, dbi, &k, &v, flags), "mdb_put");
}

static int acl_del(store_txn *txn, MDB_dbi dbi, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };

	return store_mdb_error(mdb_del(txn->mdb, dbi, &k, NULL), "mdb_del");
}

/* Walk the keys of DBI that start with PREFIX (PLEN 0: all of them),
 * calling STEP on each.  STEP returns 0 to go on, 1 to go on after
 * deleting the current entry (write txn only), or anything else to stop. */
typedef int (*acl_step_fn)(const MDB_val *k, const MDB_val *v, void *arg);

static int acl_walk(store_txn *txn, MDB_dbi dbi, const uint8_t *prefix, size_t plen,
		    acl_step_fn step, void *arg)
{
	MDB_cursor *c = NULL;
	MDB_val k = { plen, (void *)prefix }, v;
	int rc, mrc;

	rc = store_mdb_error(mdb_cursor_open(txn->mdb, dbi, &c), "mdb_cursor_open");
	if (rc != 0)
		return rc;
	mrc = mdb_cursor_get(c, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	while (mrc == 0) {
		if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
			break;
		rc = step(&k, &v, arg);
		if (rc == 1) {
			/* Delete, then seek to where the key was: the next one. */
			uint8_t at[STORE_KEY_MAX];
			size_t atlen = k.mv_size;

			memcpy(at, k.mv_data, atlen);
			rc = store_mdb_error(mdb_cursor_del(c, 0), "mdb_cursor_del");
			if (rc != 0)
				break;
			k = (MDB_val){ atlen, at };
			mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
			continue;
		}
		if (rc != 0)
			break;
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_mdb_error(mrc, "mdb_cursor_get");
	mdb_cursor_close(c);
	return rc;
}

/* A name read back from a key: valid, and it fits. */
static int key_name(const uint8_t *p, size_t n, char *out)
{
	if (n == 0 || n > STORE_NAME_MAX)
		return -EIO;
	memcpy(out, p, n);
	out[n] = '\0';
	if (strlen(out) != n || !store_name_valid(out, NULL))
		return -EIO;
	return 0;
}

static bool kind_ok(store_grantee_kind k, bool role_allowed)
{
	return k == STORE_GRANTEE_USER || k == STORE_GRANTEE_GROUP ||
	       (role_allowed && k == STORE_GRANTEE_ROLE);
}

/* ---- roles ---------------------------------------------------------------------- */

static int role_decode(const MDB_val *k, const MDB_val *v, store_role *out)
{
	const uint8_t *p = v->mv_data;

	memset(out, 0, sizeof *out);
	if (key_name(k->mv_data, k->mv_size, out->name) != 0 || v->mv_size != ROLE_VALUE_LEN ||
	    p[0] != STORE_RECORD_VERSION) {
		store_log("undecodable role record");
		return -EIO;
	}
	out->creator_uid = (uint32_t)le_get(p + 1, 4);
	out->created_ns = (int64_t)le_get(p + 5, 8);
	return 0;
}

int store_role_put(store_txn *txn, const store_role *r)
{
	uint8_t v[ROLE_VALUE_LEN];
	int rc;

	rc = acl_txn_check(txn, true);
	if (rc != 0)
		return rc;
	if (r == NULL || !store_name_valid(r->name, NULL))
		return -EINVAL;
	v[0] = STORE_RECORD_VERSION;
	le_put(v + 1, r->creator_uid, 4);
	le_put(v + 5, (uint64_t)r->created_ns, 8);
	return acl_put(txn, txn->env->roles, r->name, strlen(r->name), v, sizeof v,
		       MDB_NOOVERWRITE);
}

int store_role_get(store_txn *txn, const char *name, store_role *out)
{
	MDB_val k, v;
	int rc;

	rc = acl_txn_check(txn, false);
	if (rc != 0)
		return rc;
	if (name == NULL || out == NULL || !store_name_valid(name, NULL))
		return -EINVAL;
	k = (MDB_val){ strlen(name), (void *)name };
	rc = acl_get(txn, txn->env->roles, name, k.mv_size, &v);
	if (rc != 0)
		return rc;
	return role_decode(&k, &v, out);
}

/* 0 when role NAME exists, -ENOENT when not. */
static int role_present(store_txn *txn, const char *name)
{
	MDB_val v;

	return acl_get(txn, txn->env->roles, name, strlen(name), &v);
}

struct role_iter {
	store_role_fn fn;
	void *arg;
};

static int role_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct role_iter *ri = arg;
	store_role r;
	int rc = role_decode(k, v, &r);

	return rc != 0 ? rc : ri->fn(&r, ri->arg);
}

int store_role_iter(store_txn *txn, store_role_fn fn, void *arg)
{
	struct role_iter ri = { fn, arg };
	int rc = acl_txn_check(txn, false);

	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (fn == NULL)
		return -EINVAL;
	return acl_walk(txn, txn->env->roles, NULL, 0, role_step, &ri);
}

/* ---- members -------------------------------------------------------------------- */

static size_t member_key(uint8_t *key, const char *role, store_grantee_kind kind, uint32_t id)
{
	size_t n = strlen(role);

	memcpy(key, role, n);
	key[n] = 0;
	key[n + 1] = (uint8_t)kind;
	be32_put(key + n + 2, id);
	return n + 6;
}

static int member_decode(const MDB_val *k, const MDB_val *v, store_member *out)
{
	const uint8_t *kp = k->mv_data, *p = v->mv_data;
	size_t n;

	memset(out, 0, sizeof *out);
	if (k->mv_size < 7)
		goto bad;
	n = k->mv_size - 6;
	if (kp[n] != 0 || key_name(kp, n, out->role) != 0)
		goto bad;
	out->kind = (store_grantee_kind)kp[n + 1];
	if (!kind_ok(out->kind, false))
		goto bad;
	out->id = be32_get(kp + n + 2);
	if (v->mv_size != MEMBER_VALUE_LEN || p[0] != STORE_RECORD_VERSION)
		goto bad;
	out->grantor_uid = (uint32_t)le_get(p + 1, 4);
	out->created_ns = (int64_t)le_get(p + 5, 8);
	return 0;
bad:
	store_log("undecodable role membership record");
	return -EIO;
}

int store_member_put(store_txn *txn, const store_member *m)
{
	uint8_t key[MEMBER_KEY_MAX], v[MEMBER_VALUE_LEN];
	size_t klen;
	int rc;

	rc = acl_txn_check(txn, true);
	if (rc != 0)
		return rc;
	if (m == NULL || !store_name_valid(m->role, NULL) || !kind_ok(m->kind, false))
		return -EINVAL;
	rc = role_present(txn, m->role);
	if (rc != 0)
		return rc;
	klen = member_key(key, m->role, m->kind, m->id);
	v[0] = STORE_RECORD_VERSION;
	le_put(v + 1, m->grantor_uid, 4);
	le_put(v + 5, (uint64_t)m->created_ns, 8);
	return acl_put(txn, txn->env->members, key, klen, v, sizeof v, 0);
}

int store_member_drop(store_txn *txn, const char *role, store_grantee_kind kind, uint32_t id)
{
	uint8_t key[MEMBER_KEY_MAX];
	int rc;

	rc = acl_txn_check(txn, true);
	if (rc != 0)
		return rc;
	if (role == NULL || !store_name_valid(role, NULL) || !kind_ok(kind, false))
		return -EINVAL;
	return acl_del(txn, txn->env->members, key, member_key(key, role, kind, id));
}

struct member_iter {
	store_member_fn fn;
	void *arg;
	bool drop;              /* delete every entry walked */
};

static int member_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct member_iter *mi = arg;
	store_member m;
	int rc;

	if (mi->drop)
		return 1;
	rc = member_decode(k, v, &m);
	return rc != 0 ? rc : mi->fn(&m, mi->arg);
}

int store_member_iter(store_txn *txn, const char *role, store_member_fn fn, void *arg)
{
	struct member_iter mi = { fn, arg, false };
	uint8_t prefix[STORE_NAME_MAX + 1];
	size_t plen = 0;
	int rc = acl_txn_check(txn, false);

	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (fn == NULL || (role && !store_name_valid(role, NULL)))
		return -EINVAL;
	if (role) {
		plen = strlen(role);
		memcpy(prefix, role, plen);
		prefix[plen++] = 0;
	}
	return acl_walk(txn, txn->env->members, prefix, plen, member_step, &mi);
}

/* ---- grants --------------------------------------------------------------------- */

/* Encode the key of G's object and grantee; -EINVAL for a bad one,
 * -ENAMETOOLONG when it does not fit. */
static int grant_key(const store_grant *g, uint8_t key[STORE_KEY_MAX], size_t *klen)
{
	size_t n = 0, len;

	if (g == NULL || g->level > STORE_ACL_LEVEL_MAX || !kind_ok(g->kind, true))
		return -EINVAL;
	key[n++] = (uint8_t)g->level;
	for (uint32_t i = 0; i < g->level; i++) {
		if (!store_name_valid(g->names[i], NULL))
			return -EINVAL;
		len = strlen(g->names[i]);
		if (n + len + 1 > STORE_KEY_MAX)
			return -ENAMETOOLONG;
		memcpy(key + n, g->names[i], len + 1);
		n += len + 1;
	}
	if (n + 1 > STORE_KEY_MAX)
		return -ENAMETOOLONG;
	key[n++] = (uint8_t)g->kind;
	if (g->kind == STORE_GRANTEE_ROLE) {
		if (!store_name_valid(g->role, NULL))
			return -EINVAL;
		len = strlen(g->role);
		if (n + len > STORE_KEY_MAX)
			return -ENAMETOOLONG;
		memcpy(key + n, g->role, len);
		n += len;
	} else {
		if (n + 4 > STORE_KEY_MAX)
			return -ENAMETOOLONG;
		be32_put(key + n, g->id);
		n += 4;
	}
	*klen = n;
	return 0;
}

static int grant_decode(const MDB_val *k, const MDB_val *v, store_grant *out)
{
	const uint8_t *p = k->mv_data, *end = p + k->mv_size, *nul;
	const uint8_t *val = v->mv_data;

	memset(out, 0, sizeof *out);
	if (k->mv_size < 2 || p[0] > STORE_ACL_LEVEL_MAX)
		goto bad;
	out->level = *p++;
	for (uint32_t i = 0; i < out->level; i++) {
		nul = memchr(p, 0, (size_t)(end - p));
		if (nul == NULL || key_name(p, (size_t)(nul - p), out->names[i]) != 0)
			goto bad;
		p = nul + 1;
	}
	if (p >= end)
		goto bad;
	out->kind = (store_grantee_kind)*p++;
	if (out->kind == STORE_GRANTEE_ROLE) {
		if (key_name(p, (size_t)(end - p), out->role) != 0)
			goto bad;
	} else if (kind_ok(out->kind, false) && end - p == 4) {
		out->id = be32_get(p);
	} else {
		goto bad;
	}
	if (v->mv_size != GRANT_VALUE_LEN || val[0] != STORE_RECORD_VERSION)
		goto bad;
	out->privs = (uint32_t)le_get(val + 1, 4);
	out->grantor_uid = (uint32_t)le_get(val + 5, 4);
	out->created_ns = (int64_t)le_get(val + 9, 8);
	if (out->privs == 0)
		goto bad;
	return 0;
bad:
	store_log("undecodable grant record");
	return -EIO;
}

int store_grant_put(store_txn *txn, const store_grant *g)
{
	uint8_t key[STORE_KEY_MAX], v[GRANT_VALUE_LEN];
	size_t klen;
	int rc;

	rc = acl_txn_check(txn, true);
	if (rc != 0)
		return rc;
	rc = grant_key(g, key, &klen);
	if (rc != 0)
		return rc;
	if (g->privs == 0)
		return -EINVAL;
	if (g->kind == STORE_GRANTEE_ROLE) {
		rc = role_present(txn, g->role);
		if (rc != 0)
			return rc;
	}
	v[0] = STORE_RECORD_VERSION;
	le_put(v + 1, g->privs, 4);
	le_put(v + 5, g->grantor_uid, 4);
	le_put(v + 9, (uint64_t)g->created_ns, 8);
	return acl_put(txn, txn->env->grants, key, klen, v, sizeof v, 0);
}

int store_grant_get(store_txn *txn, const store_grant *key, store_grant *out)
{
	uint8_t k[STORE_KEY_MAX];
	MDB_val kv, v;
	size_t klen;
	int rc;

	rc = acl_txn_check(txn, false);
	if (rc != 0)
		return rc;
	if (out == NULL)
		return -EINVAL;
	rc = grant_key(key, k, &klen);
	if (rc != 0)
		return rc;
	rc = acl_get(txn, txn->env->grants, k, klen, &v);
	if (rc != 0)
		return rc;
	kv = (MDB_val){ klen, k };
	return grant_decode(&kv, &v, out);
}

int store_grant_drop(store_txn *txn, const store_grant *key)
{
	uint8_t k[STORE_KEY_MAX];
	size_t klen;
	int rc;

	rc = acl_txn_check(txn, true);
	if (rc != 0)
		return rc;
	rc = grant_key(key, k, &klen);
	if (rc != 0)
		return rc;
	return acl_del(txn, txn->env->grants, k, klen);
}

struct grant_iter {
	store_grant_fn fn;
	void *arg;
	const char *drop_role;  /* delete the grants to this role instead */
	bool drop;              /* delete every grant walked, after FN */
};

static int grant_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct grant_iter *gi = arg;
	store_grant g;
	int rc = grant_decode(k, v, &g);

	if (rc != 0)
		return rc;
	if (gi->drop_role)
		return g.kind == STORE_GRANTEE_ROLE && strcmp(g.role, gi->drop_role) == 0;
	rc = gi->fn ? gi->fn(&g, gi->arg) : 0;
	return rc != 0 ? rc : gi->drop;
}

int store_grant_iter(store_txn *txn, store_grant_fn fn, void *arg)
{
	struct grant_iter gi = { fn, arg, NULL, false };
	int rc = acl_txn_check(txn, false);

	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	if (fn == NULL)
		return -EINVAL;
	return acl_walk(txn, txn->env->grants, NULL, 0, grant_step, &gi);
}

/* The object's grants have keys starting with its level and names; those
 * of the objects below it, with a deeper level and the same names first:
 * one prefix a level, each name ending in its NUL so that "sec" does not
 * take in "sec2". */
int store_grant_drop_object(store_txn *txn, const store_grant *key, store_grant_fn fn, void *arg)
{
	struct grant_iter gi = { fn, arg, NULL, true };
	uint8_t prefix[STORE_KEY_MAX];
	size_t plen = 1, len;
	int rc;

	rc = acl_txn_check(txn, true);
	if (rc != 0)
		return rc;
	if (key == NULL || key->level < 1 || key->level > STORE_ACL_LEVEL_MAX)
		return -EINVAL;
	for (uint32_t i = 0; i < key->level; i++) {
		if (!store_name_valid(key->names[i], NULL))
			return -EINVAL;
		len = strlen(key->names[i]);
		if (plen + len + 1 > sizeof prefix)
			return -ENAMETOOLONG;
		memcpy(prefix + plen, key->names[i], len + 1);
		plen += len + 1;
	}
	for (uint32_t level = key->level; rc == 0 && level <= STORE_ACL_LEVEL_MAX; level++) {
		prefix[0] = (uint8_t)level;
		rc = acl_walk(txn, txn->env->grants, prefix, plen, grant_step, &gi);
	}
	return rc;
}

/* ---- dropping a role -------------------------------------------------------------- */

int store_role_drop(store_txn *txn, const char *name)
{
	struct member_iter mi = { NULL, NULL, true };
	struct grant_iter gi = { NULL, NULL, name, false };
	uint8_t prefix[STORE_NAME_MAX + 1];
	size_t plen;
	int rc;

	rc = acl_txn_check(txn, true);
	if (rc != 0)
		return rc;
	if (name == NULL || !store_name_valid(name, NULL))
		return -EINVAL;
	plen = strlen(name);
	rc = role_present(txn, name);
	if (rc != 0)
		return rc;
	memcpy(prefix, name, plen);
	prefix[plen] = 0;
	rc = acl_walk(txn, txn->env->members, prefix, plen + 1, member_step, &mi);
	if (rc == 0)
		rc = acl_walk(txn, txn->env->grants, NULL, 0, grant_step, &gi);
	if (rc == 0)
		rc = acl_del(txn, txn->env->roles, name, plen);
	return rc;
}
