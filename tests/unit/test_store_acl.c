/*
 * test_store_acl.c - roles, memberships and grants in an environment: the
 * records round-trip, keys sort by object then grantee, a role's drop takes
 * its memberships and grants along, refusals leave the transaction usable,
 * and an environment from before these sub-databases gains them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <lmdb.h>
#include <string.h>

#include "store_fixture.h"

static store_txn *wbegin(store_env *env)
{
	store_txn *txn = NULL;

	assert_int_equal(store_write_begin(env, &txn), 0);
	return txn;
}

static store_txn *rbegin(store_env *env)
{
	store_txn *txn = NULL;

	assert_int_equal(store_read_begin(env, &txn), 0);
	return txn;
}

static void role_add(store_txn *txn, const char *name)
{
	store_role r = { .creator_uid = 7, .created_ns = 1234 };

	snprintf(r.name, sizeof r.name, "%s", name);
	assert_int_equal(store_role_put(txn, &r), 0);
}

static store_grant grant_make(uint32_t level, const char *p, const char *db, const char *t,
			      store_grantee_kind kind, uint32_t id, const char *role, uint32_t privs)
{
	store_grant g;

	memset(&g, 0, sizeof g);
	g.level = level;
	snprintf(g.names[0], sizeof g.names[0], "%s", p ? p : "");
	snprintf(g.names[1], sizeof g.names[1], "%s", db ? db : "");
	snprintf(g.names[2], sizeof g.names[2], "%s", t ? t : "");
	g.kind = kind;
	g.id = id;
	snprintf(g.role, sizeof g.role, "%s", role ? role : "");
	g.privs = privs;
	g.grantor_uid = 3;
	g.created_ns = 99;
	return g;
}

/* Collect what an iterator gives into a text, one entry per line. */
struct collect {
	char text[4096];
	size_t len;
	int stop_after;     /* > 0: stop with 42 after that many */
	int seen;
};

static void collect_add(struct collect *c, const char *line)
{
	c->len += (size_t)snprintf(c->text + c->len, sizeof c->text - c->len, "%s\n", line);
}

static int collect_role(const store_role *r, void *arg)
{
	struct collect *c = arg;
	char line[300];

	snprintf(line, sizeof line, "%s %u", r->name, (unsigned)r->creator_uid);
	collect_add(c, line);
	return ++c->seen == c->stop_after ? 42 : 0;
}

static int collect_member(const store_member *m, void *arg)
{
	struct collect *c = arg;
	char line[300];

	snprintf(line, sizeof line, "%s %d %u", m->role, (int)m->kind, (unsigned)m->id);
	collect_add(c, line);
	return 0;
}

static int collect_grant(const store_grant *g, void *arg)
{
	struct collect *c = arg;
	char line[1200];
	int n = snprintf(line, sizeof line, "%u", (unsigned)g->level);

	for (uint32_t i = 0; i < g->level; i++)
		n += snprintf(line + n, sizeof line - (size_t)n, "/%s", g->names[i]);
	if (g->kind == STORE_GRANTEE_ROLE)
		snprintf(line + n, sizeof line - (size_t)n, " role:%s %u", g->role,
			 (unsigned)g->privs);
	else
		snprintf(line + n, sizeof line - (size_t)n, " %d:%u %u", (int)g->kind,
			 (unsigned)g->id, (unsigned)g->privs);
	collect_add(c, line);
	return 0;
}

static void test_roles(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = wbegin(f->env);
	store_role r, bad = { .name = "a/b" };
	struct collect c = { .len = 0 };

	role_add(txn, "writers");
	role_add(txn, "analysts");
	/* A refusal leaves the transaction usable. */
	r = (store_role){ .name = "analysts" };
	assert_int_equal(store_role_put(txn, &r), -EEXIST);
	assert_int_equal(store_role_put(txn, &bad), -EINVAL);
	role_add(txn, "auditors");
	assert_int_equal(store_commit(txn), 0);

	txn = rbegin(f->env);
	assert_int_equal(store_role_get(txn, "analysts", &r), 0);
	assert_string_equal(r.name, "analysts");
	assert_int_equal(r.creator_uid, 7);
	assert_int_equal(r.created_ns, 1234);
	assert_int_equal(store_role_get(txn, "nobody", &r), -ENOENT);
	assert_int_equal(store_role_iter(txn, collect_role, &c), 0);
	assert_string_equal(c.text, "analysts 7\nauditors 7\nwriters 7\n");
	/* A callback's non-zero return stops the walk and is returned. */
	c = (struct collect){ .stop_after = 2 };
	assert_int_equal(store_role_iter(txn, collect_role, &c), 42);
	assert_int_equal(c.seen, 2);
	/* Writes need a write transaction. */
	assert_int_equal(store_role_put(txn, &r), -EROFS);
	store_abort(txn);
}

static void test_members(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = wbegin(f->env);
	store_member m = { .role = "analysts", .kind = STORE_GRANTEE_USER, .id = 1001 };
	struct collect c = { .len = 0 };

	/* The role must exist. */
	assert_int_equal(store_member_put(txn, &m), -ENOENT);
	role_add(txn, "analysts");
	role_add(txn, "b");
	assert_int_equal(store_member_put(txn, &m), 0);
	m.id = 7;
	assert_int_equal(store_member_put(txn, &m), 0);
	m.kind = STORE_GRANTEE_GROUP;
	m.id = 50;
	assert_int_equal(store_member_put(txn, &m), 0);
	m.kind = STORE_GRANTEE_ROLE;   /* a role is not granted to a role */
	assert_int_equal(store_member_put(txn, &m), -EINVAL);
	m = (store_member){ .role = "b", .kind = STORE_GRANTEE_USER, .id = 1 };
	assert_int_equal(store_member_put(txn, &m), 0);
	assert_int_equal(store_commit(txn), 0);

	txn = rbegin(f->env);
	assert_int_equal(store_member_iter(txn, NULL, collect_member, &c), 0);
	/* By role, then kind (user 1, group 2), then id in numeric order. */
	assert_string_equal(c.text, "analysts 1 7\nanalysts 1 1001\nanalysts 2 50\nb 1 1\n");
	c = (struct collect){ .len = 0 };
	assert_int_equal(store_member_iter(txn, "b", collect_member, &c), 0);
	assert_string_equal(c.text, "b 1 1\n");
	store_abort(txn);

	txn = wbegin(f->env);
	assert_int_equal(store_member_drop(txn, "analysts", STORE_GRANTEE_USER, 1001), 0);
	assert_int_equal(store_member_drop(txn, "analysts", STORE_GRANTEE_USER, 1001), -ENOENT);
	assert_int_equal(store_commit(txn), 0);
	txn = rbegin(f->env);
	c = (struct collect){ .len = 0 };
	assert_int_equal(store_member_iter(txn, "analysts", collect_member, &c), 0);
	assert_string_equal(c.text, "analysts 1 7\nanalysts 2 50\n");
	store_abort(txn);
}

static int collect_grant_stop(const store_grant *g, void *arg)
{
	struct collect *c = arg;

	collect_grant(g, c);
	return ++c->seen == c->stop_after ? 42 : 0;
}

static void test_grants(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = wbegin(f->env);
	store_grant g, out;
	struct collect c = { .len = 0 };

	g = grant_make(3, "warehouse", "sales", "orders", STORE_GRANTEE_ROLE, 0, "analysts", 1);
	assert_int_equal(store_grant_put(txn, &g), -ENOENT);   /* no such role */
	role_add(txn, "analysts");
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(1, "warehouse", NULL, NULL, STORE_GRANTEE_USER, 1001, NULL, 3);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(0, NULL, NULL, NULL, STORE_GRANTEE_GROUP, 50, NULL, 32);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(2, "warehouse", "sales", NULL, STORE_GRANTEE_USER, 1001, NULL, 4);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(2, "warehouse", "sales", NULL, STORE_GRANTEE_USER, 7, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	/* No privileges, a bad level or a bad name: refused. */
	g.privs = 0;
	assert_int_equal(store_grant_put(txn, &g), -EINVAL);
	g = grant_make(4, "a", "b", "c", STORE_GRANTEE_USER, 1, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), -EINVAL);
	g = grant_make(2, "warehouse", "a/b", NULL, STORE_GRANTEE_USER, 1, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), -EINVAL);
	/* Names too long to fit in one key. */
	g = grant_make(3, "p", "d", "t", STORE_GRANTEE_USER, 1, NULL, 1);
	memset(g.names[0], 'p', 255);
	memset(g.names[1], 'd', 255);
	g.names[0][255] = g.names[1][255] = '\0';
	assert_int_equal(store_grant_put(txn, &g), -ENAMETOOLONG);
	assert_int_equal(store_commit(txn), 0);

	txn = rbegin(f->env);
	assert_int_equal(store_grant_iter(txn, collect_grant, &c), 0);
	/* By level, then names, then grantee (uids in numeric order). */
	assert_string_equal(c.text, "0 2:50 32\n"
				    "1/warehouse 1:1001 3\n"
				    "2/warehouse/sales 1:7 1\n"
				    "2/warehouse/sales 1:1001 4\n"
				    "3/warehouse/sales/orders role:analysts 1\n");
	g = grant_make(1, "warehouse", NULL, NULL, STORE_GRANTEE_USER, 1001, NULL, 0);
	assert_int_equal(store_grant_get(txn, &g, &out), 0);
	assert_int_equal(out.privs, 3);
	assert_int_equal(out.grantor_uid, 3);
	assert_int_equal(out.created_ns, 99);
	assert_int_equal(out.level, 1);
	assert_string_equal(out.names[0], "warehouse");
	g.id = 1002;
	assert_int_equal(store_grant_get(txn, &g, &out), -ENOENT);
	store_abort(txn);

	/* Replace, then drop. */
	txn = wbegin(f->env);
	g = grant_make(1, "warehouse", NULL, NULL, STORE_GRANTEE_USER, 1001, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	assert_int_equal(store_grant_get(txn, &g, &out), 0);
	assert_int_equal(out.privs, 1);
	assert_int_equal(store_grant_drop(txn, &g), 0);
	assert_int_equal(store_grant_drop(txn, &g), -ENOENT);
	assert_int_equal(store_grant_get(txn, &g, &out), -ENOENT);
	assert_int_equal(store_commit(txn), 0);
}

static void test_role_drop_cascades(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = wbegin(f->env);
	store_member m = { .role = "analysts", .kind = STORE_GRANTEE_USER, .id = 1 };
	store_grant g;
	struct collect c = { .len = 0 };

	role_add(txn, "analysts");
	role_add(txn, "analysts2");   /* a name the dropped one is a prefix of */
	assert_int_equal(store_member_put(txn, &m), 0);
	m.id = 2;
	assert_int_equal(store_member_put(txn, &m), 0);
	snprintf(m.role, sizeof m.role, "analysts2");
	assert_int_equal(store_member_put(txn, &m), 0);
	g = grant_make(1, "warehouse", NULL, NULL, STORE_GRANTEE_ROLE, 0, "analysts", 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(2, "warehouse", "x", NULL, STORE_GRANTEE_ROLE, 0, "analysts", 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(1, "warehouse", NULL, NULL, STORE_GRANTEE_ROLE, 0, "analysts2", 2);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(1, "warehouse", NULL, NULL, STORE_GRANTEE_USER, 1, NULL, 4);
	assert_int_equal(store_grant_put(txn, &g), 0);
	assert_int_equal(store_commit(txn), 0);

	txn = wbegin(f->env);
	assert_int_equal(store_role_drop(txn, "analysts"), 0);
	assert_int_equal(store_role_drop(txn, "analysts"), -ENOENT);
	assert_int_equal(store_commit(txn), 0);

	txn = rbegin(f->env);
	assert_int_equal(store_role_iter(txn, collect_role, &c), 0);
	assert_string_equal(c.text, "analysts2 7\n");
	c = (struct collect){ .len = 0 };
	assert_int_equal(store_member_iter(txn, NULL, collect_member, &c), 0);
	assert_string_equal(c.text, "analysts2 1 2\n");
	c = (struct collect){ .len = 0 };
	assert_int_equal(store_grant_iter(txn, collect_grant, &c), 0);
	assert_string_equal(c.text, "1/warehouse 1:1 4\n1/warehouse role:analysts2 2\n");
	store_abort(txn);
}

static void test_object_drop_cascades(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = wbegin(f->env);
	store_grant g;
	struct collect c = { .len = 0 }, gone = { .len = 0 };

	role_add(txn, "analysts");
	g = grant_make(0, NULL, NULL, NULL, STORE_GRANTEE_USER, 1, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(1, "lake", NULL, NULL, STORE_GRANTEE_USER, 1, NULL, 4);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(2, "lake", "sec", NULL, STORE_GRANTEE_USER, 1001, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(2, "lake", "sec", NULL, STORE_GRANTEE_ROLE, 0, "analysts", 3);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(3, "lake", "sec", "secret", STORE_GRANTEE_GROUP, 50, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(3, "lake", "sec", "other", STORE_GRANTEE_USER, 1001, NULL, 2);
	assert_int_equal(store_grant_put(txn, &g), 0);
	/* Names the dropped ones are a prefix of, and the same names elsewhere. */
	g = grant_make(2, "lake", "sec2", NULL, STORE_GRANTEE_USER, 1001, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(3, "lake", "sec2", "secret", STORE_GRANTEE_USER, 1001, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(2, "warehouse", "sec", NULL, STORE_GRANTEE_USER, 1001, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	g = grant_make(3, "lakehouse", "sec", "secret", STORE_GRANTEE_USER, 1001, NULL, 1);
	assert_int_equal(store_grant_put(txn, &g), 0);
	assert_int_equal(store_commit(txn), 0);

	/* A table: its grants only. */
	txn = wbegin(f->env);
	g = grant_make(3, "lake", "sec", "other", 0, 0, NULL, 0);
	assert_int_equal(store_grant_drop_object(txn, &g, collect_grant, &gone), 0);
	assert_string_equal(gone.text, "3/lake/sec/other 1:1001 2\n");
	/* A database: its grants and those of its tables, each shown first. */
	gone = (struct collect){ .len = 0 };
	g = grant_make(2, "lake", "sec", NULL, 0, 0, NULL, 0);
	assert_int_equal(store_grant_drop_object(txn, &g, collect_grant, &gone), 0);
	assert_string_equal(gone.text, "2/lake/sec 1:1001 1\n"
				       "2/lake/sec role:analysts 3\n"
				       "3/lake/sec/secret 2:50 1\n");
	/* Nothing left: not an error; no callback. */
	assert_int_equal(store_grant_drop_object(txn, &g, NULL, NULL), 0);
	/* The metastore, a bad level or a bad name: refused. */
	g = grant_make(0, NULL, NULL, NULL, 0, 0, NULL, 0);
	assert_int_equal(store_grant_drop_object(txn, &g, NULL, NULL), -EINVAL);
	g = grant_make(4, "a", "b", "c", 0, 0, NULL, 0);
	assert_int_equal(store_grant_drop_object(txn, &g, NULL, NULL), -EINVAL);
	g = grant_make(2, "lake", "a/b", NULL, 0, 0, NULL, 0);
	assert_int_equal(store_grant_drop_object(txn, &g, NULL, NULL), -EINVAL);
	assert_int_equal(store_commit(txn), 0);

	txn = rbegin(f->env);
	assert_int_equal(store_grant_iter(txn, collect_grant, &c), 0);
	assert_string_equal(c.text, "0 1:1 1\n"
				    "1/lake 1:1 4\n"
				    "2/lake/sec2 1:1001 1\n"
				    "2/warehouse/sec 1:1001 1\n"
				    "3/lake/sec2/secret 1:1001 1\n"
				    "3/lakehouse/sec/secret 1:1001 1\n");
	/* Read-only: refused. */
	g = grant_make(1, "lake", NULL, NULL, 0, 0, NULL, 0);
	assert_int_equal(store_grant_drop_object(txn, &g, NULL, NULL), -EROFS);
	store_abort(txn);

	/* A callback's error stops the walk and is returned. */
	txn = wbegin(f->env);
	gone = (struct collect){ .len = 0, .stop_after = 1 };
	assert_int_equal(store_grant_drop_object(txn, &g, collect_grant_stop, &gone), 42);
	store_abort(txn);
}

static void test_persist_and_stamp(void **state)
{
	struct fixture *f = *state;
	uint64_t s0 = store_stamp(f->env);
	store_txn *txn = wbegin(f->env);
	store_role r;

	role_add(txn, "keep");
	assert_int_equal(store_stamp(f->env), s0);   /* not before the commit */
	assert_int_equal(store_commit(txn), 0);
	assert_true(store_stamp(f->env) != s0);
	store_close(f->env);
	f->env = NULL;
	assert_int_equal(store_open(f->dir, NULL, &f->env), 0);
	txn = rbegin(f->env);
	assert_int_equal(store_role_get(txn, "keep", &r), 0);
	store_abort(txn);
}

/* An environment from before the access-control sub-databases: read-only
 * it holds no roles; the next read-write open adds them. */
static void test_older_environment(void **state)
{
	struct fixture *f = *state;
	store_options ro = { .read_only = true };
	store_env *env = NULL;
	store_txn *txn;
	store_role r;
	struct collect c = { .len = 0 };
	MDB_env *mdb;
	MDB_txn *mt;
	MDB_dbi dbi;

	store_close(f->env);
	f->env = NULL;
	/* Remove the three sub-databases with LMDB itself. */
	assert_int_equal(mdb_env_create(&mdb), 0);
	assert_int_equal(mdb_env_set_maxdbs(mdb, 16), 0);
	assert_int_equal(mdb_env_open(mdb, f->dir, 0, 0644), 0);
	assert_int_equal(mdb_txn_begin(mdb, NULL, 0, &mt), 0);
	const char *names[] = { "roles", "members", "grants" };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mdb_dbi_open(mt, names[i], 0, &dbi), 0);
		assert_int_equal(mdb_drop(mt, dbi, 1), 0);
	}
	assert_int_equal(mdb_txn_commit(mt), 0);
	mdb_env_close(mdb);

	assert_int_equal(store_open(f->dir, &ro, &env), 0);
	txn = rbegin(env);
	assert_int_equal(store_role_get(txn, "x", &r), -ENOENT);
	assert_int_equal(store_role_iter(txn, collect_role, &c), 0);
	assert_int_equal(store_grant_iter(txn, collect_grant, &c), 0);
	assert_int_equal(store_member_iter(txn, NULL, collect_member, &c), 0);
	assert_int_equal(c.len, 0);
	store_abort(txn);
	store_close(env);

	assert_int_equal(store_open(f->dir, NULL, &f->env), 0);
	txn = wbegin(f->env);
	role_add(txn, "x");
	assert_int_equal(store_commit(txn), 0);
	txn = rbegin(f->env);
	assert_int_equal(store_role_get(txn, "x", &r), 0);
	store_abort(txn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_roles),
		TEST(test_members),
		TEST(test_grants),
		TEST(test_role_drop_cascades),
		TEST(test_object_drop_cascades),
		TEST(test_persist_and_stamp),
		TEST(test_older_environment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
