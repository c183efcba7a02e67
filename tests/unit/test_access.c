/*
 * test_access.c - access control and the audit log over a real home:
 * decisions (superusers, owners, grants to users, groups and roles,
 * inheritance, ADMIN), managing roles and grants, persistence, visibility,
 * the audit lines and their rotation, and the renderings.
 *
 * The principals are made-up ids that no process of the test runs as; the
 * superuser is the test's own uid (the uid that opened the manager).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mgr_access.h"
#include "mgr_fixture.h"
#include "testdir.h"

#define U_OWNER 50001u     /* creates the database sales */
#define U_OTHER 50002u
#define U_THIRD 50003u
#define G_TEAM 60001u
#define G_NONE 60002u

struct fixture {
	char home[PATH_MAX];
	mgr *m;
	mgr_platform *wh;
	mgr_principal su, owner, other, third;
};

static const mgr_object o_root = {.level = MGR_OBJ_METASTORE};
static const mgr_object o_wh = {.level = MGR_OBJ_PLATFORM, .platform = "warehouse"};
static const mgr_object o_lake = {.level = MGR_OBJ_PLATFORM, .platform = "lake"};
static const mgr_object o_sales = {.level = MGR_OBJ_DATABASE, .platform = "warehouse",
				   .db = "sales"};
static const mgr_object o_orders = {.level = MGR_OBJ_TABLE, .platform = "warehouse",
				    .db = "sales", .table = "orders"};
static const mgr_object o_hr = {.level = MGR_OBJ_DATABASE, .platform = "warehouse", .db = "hr"};
static const mgr_object o_people = {.level = MGR_OBJ_TABLE, .platform = "warehouse",
				    .db = "hr", .table = "people"};

/* Replace the line starting with KEY in HOME/metafs.ini by LINE. */
static void ini_set(const char *home, const char *key, const char *line)
{
	char path[PATH_MAX + 16], text[8192], out[8192];
	snprintf(path, sizeof path, "%s/metafs.ini", home);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	size_t n = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[n] = '\0';
	size_t o = 0;
	bool done = false;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		if (!done && strncmp(l, key, strlen(key)) == 0) {
			l = (char *)line;
			done = true;
		}
		o += (size_t)snprintf(out + o, sizeof out - o, "%s\n", l);
	}
	assert_true(done);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(out, fp);
	fclose(fp);
}

static void reopen(struct fixture *f)
{
	char err[512] = "";
	mgr_close(f->m);
	f->m = NULL;
	assert_int_equal(mgr_open(f->home, false, &f->m, err, sizeof err), 0);
	f->wh = mgr_platform_find(f->m, "warehouse");
	assert_non_null(f->wh);
}

/* Record allowed reads too ([access] audit = all). */
static void audit_all(struct fixture *f)
{
	ini_set(f->home, "audit =", "audit = all");
	reopen(f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	const char *names[] = {"warehouse", "lake"};
	assert_non_null(f);
	f->m = mgr_fx_open(f->home, 2, names, false, &f->wh);
	f->su = (mgr_principal){(uint32_t)getuid(), (uint32_t)getgid()};
	f->owner = (mgr_principal){U_OWNER, G_NONE};
	f->other = (mgr_principal){U_OTHER, G_NONE};
	f->third = (mgr_principal){U_THIRD, G_TEAM};
	/* sales (and its table orders) belong to U_OWNER; hr to the superuser. */
	assert_int_equal(mgr_database_create(f->wh, "sales", U_OWNER, G_NONE, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_table_create(f->wh, "sales", "orders", U_OWNER, G_NONE,
					  STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_database_create(f->wh, "hr", f->su.uid, f->su.gid, STORE_ORIGIN_TOOL,
					     NULL), 0);
	assert_int_equal(mgr_table_create(f->wh, "hr", "people", f->su.uid, f->su.gid,
					  STORE_ORIGIN_TOOL, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mgr_fx_close(f->m, f->home);
	free(f);
	return 0;
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static mgr_grantee user(uint32_t uid)
{
	return (mgr_grantee){.kind = MGR_GRANTEE_USER, .id = uid};
}

static mgr_grantee group(uint32_t gid)
{
	return (mgr_grantee){.kind = MGR_GRANTEE_GROUP, .id = gid};
}

static mgr_grantee role(const char *name)
{
	mgr_grantee g = {.kind = MGR_GRANTEE_ROLE};
	snprintf(g.role, sizeof g.role, "%s", name);
	return g;
}

static void grant_ok(struct fixture *f, unsigned privs, const mgr_object *o, mgr_grantee g)
{
	char err[256] = "";
	int rc = mgr_grant(f->m, &f->su, privs, o, &g, err, sizeof err);
	if (rc)
		print_error("grant: %s\n", err);
	assert_int_equal(rc, 0);
}

/* The whole audit log as text (empty if there is none). */
static void audit_read(struct fixture *f, const char *suffix, char *out, size_t cap)
{
	char path[PATH_MAX + 8];
	snprintf(path, sizeof path, "%s%s", mgr_audit_path(f->m), suffix);
	out[0] = '\0';
	FILE *fp = fopen(path, "r");
	if (!fp)
		return;
	size_t n = fread(out, 1, cap - 1, fp);
	out[n] = '\0';
	fclose(fp);
}

/* ---- decisions ------------------------------------------------------------------ */

static void test_superuser(void **state)
{
	struct fixture *f = *state;
	assert_true(mgr_access_superuser(f->m, &f->su));
	assert_false(mgr_access_superuser(f->m, &f->other));
	assert_true(mgr_access_holds(f->m, &f->su, MGR_PRIV_ALL, &o_orders));
	assert_true(mgr_access_holds(f->m, &f->su, MGR_PRIV_ADMIN, &o_root));
	assert_int_equal(mgr_authorize(f->m, &f->su, MGR_PRIV_MODIFY, &o_people, "write", NULL), 0);
}

static void test_admins_config(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	ini_set(f->home, "; admins", "admins = 50003, root");
	reopen(f);
	assert_true(mgr_access_superuser(f->m, &f->third));
	assert_true(mgr_access_superuser(f->m, &(mgr_principal){0, 0}));
	assert_false(mgr_access_superuser(f->m, &f->other));
	assert_true(mgr_access_holds(f->m, &f->third, MGR_PRIV_ADMIN, &o_root));
	assert_int_equal(mgr_get_config(f->m)->nadmins, 2);
	/* An unknown name is a configuration error, naming the line. */
	mgr_close(f->m);
	f->m = NULL;
	ini_set(f->home, "admins", "admins = no-such-user-metafs");
	assert_int_equal(mgr_open(f->home, false, &f->m, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "no user \"no-such-user-metafs\""));
	ini_set(f->home, "admins", "admins = 1");
	ini_set(f->home, "audit_max_bytes", "audit_max_bytes = lots");
	assert_int_equal(mgr_open(f->home, false, &f->m, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "audit_max_bytes"));
	ini_set(f->home, "audit_max_bytes", "audit_max_bytes = 2M");
	reopen(f);
	assert_int_equal(mgr_get_config(f->m)->audit_max_bytes, 2u << 20);
}

static void test_non_owner_denied(void **state)
{
	struct fixture *f = *state;
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_orders));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_wh));
	assert_int_equal(mgr_authorize(f->m, &f->other, MGR_PRIV_SELECT, &o_orders, "read", NULL),
			 -EACCES);
	/* A malformed object is never held. */
	mgr_object bad = {.level = MGR_OBJ_TABLE, .platform = "warehouse", .db = "sales"};
	assert_false(mgr_access_holds(f->m, &f->su, MGR_PRIV_SELECT, &bad));
}

static void test_owner(void **state)
{
	struct fixture *f = *state;
	/* The owner of a database holds everything on it and its tables ... */
	assert_true(mgr_access_holds(f->m, &f->owner, MGR_PRIV_ALL, &o_sales));
	assert_true(mgr_access_holds(f->m, &f->owner, MGR_PRIV_ALL, &o_orders));
	assert_int_equal(mgr_access_privs(f->m, &f->owner, &o_orders), MGR_PRIV_ALL);
	/* ... and nothing above or beside it. */
	assert_false(mgr_access_holds(f->m, &f->owner, MGR_PRIV_SELECT, &o_wh));
	assert_false(mgr_access_holds(f->m, &f->owner, MGR_PRIV_SELECT, &o_people));
	assert_false(mgr_access_holds(f->m, &f->owner, MGR_PRIV_CREATE, &o_root));
	/* The owner of a table alone holds everything on that table. */
	assert_int_equal(mgr_table_create(f->wh, "hr", "mine", U_OTHER, G_NONE, STORE_ORIGIN_TOOL,
					  NULL), 0);
	mgr_object mine = {.level = MGR_OBJ_TABLE, .platform = "warehouse", .db = "hr",
			   .table = "mine"};
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_ALL, &mine));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_hr));
	/* A missing table is not owned by anybody but through its database. */
	mgr_object ghost = {.level = MGR_OBJ_TABLE, .platform = "warehouse", .db = "hr",
			    .table = "ghost"};
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &ghost));
}

static void test_inheritance(void **state)
{
	struct fixture *f = *state;
	grant_ok(f, MGR_PRIV_SELECT, &o_wh, user(U_OTHER));
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_wh));
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_hr));
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_people));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT | MGR_PRIV_MODIFY,
				      &o_people));
	/* Not upwards, not sideways. */
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_root));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_lake));
	/* A grant on a table holds there only; grants add up. */
	grant_ok(f, MGR_PRIV_MODIFY, &o_people, user(U_OTHER));
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT | MGR_PRIV_MODIFY,
				     &o_people));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_MODIFY, &o_hr));
	/* The metastore covers every platform. */
	grant_ok(f, MGR_PRIV_SUBMIT, &o_root, user(U_THIRD));
	assert_true(mgr_access_holds(f->m, &f->third, MGR_PRIV_SUBMIT, &o_lake));
	assert_true(mgr_access_holds(f->m, &f->third, MGR_PRIV_SUBMIT, &o_orders));
}

static void test_roles_and_groups(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	mgr_grantee g;
	/* A grant to a group holds for its members (by primary gid). */
	grant_ok(f, MGR_PRIV_SELECT, &o_hr, group(G_TEAM));
	assert_true(mgr_access_holds(f->m, &f->third, MGR_PRIV_SELECT, &o_people));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_people));
	/* A grant to a role holds for a user the role is granted to ... */
	assert_int_equal(mgr_role_create(f->m, &f->su, "analysts", false, err, sizeof err), 0);
	grant_ok(f, MGR_PRIV_SYNC, &o_people, role("analysts"));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SYNC, &o_people));
	g = user(U_OTHER);
	assert_int_equal(mgr_role_grant(f->m, &f->su, "analysts", &g, err, sizeof err), 0);
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SYNC, &o_people));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SYNC, &o_hr));
	/* ... and for the members of a group it is granted to. */
	assert_false(mgr_access_holds(f->m, &f->third, MGR_PRIV_SYNC, &o_people));
	g = group(G_TEAM);
	assert_int_equal(mgr_role_grant(f->m, &f->su, "analysts", &g, err, sizeof err), 0);
	assert_true(mgr_access_holds(f->m, &f->third, MGR_PRIV_SYNC, &o_people));
	/* Revoking the membership takes it away again. */
	g = user(U_OTHER);
	assert_int_equal(mgr_role_revoke(f->m, &f->su, "analysts", &g, err, sizeof err), 0);
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SYNC, &o_people));
	assert_true(mgr_access_holds(f->m, &f->third, MGR_PRIV_SYNC, &o_people));
	/* Revoking a membership that is not there is not an error; an unknown
	 * role is; a role is not granted to a role. */
	assert_int_equal(mgr_role_revoke(f->m, &f->su, "analysts", &g, err, sizeof err), 0);
	assert_int_equal(mgr_role_grant(f->m, &f->su, "nobody", &g, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "no role"));
	g = role("analysts");
	assert_int_equal(mgr_role_grant(f->m, &f->su, "analysts", &g, err, sizeof err), -EINVAL);
	/* Creating twice; IF NOT EXISTS; bad names. */
	assert_int_equal(mgr_role_create(f->m, &f->su, "analysts", false, err, sizeof err), -EEXIST);
	assert_int_equal(mgr_role_create(f->m, &f->su, "analysts", true, err, sizeof err), 0);
	assert_int_equal(mgr_role_create(f->m, &f->su, "a/b", false, err, sizeof err), -EINVAL);
	assert_int_equal(mgr_role_create(f->m, &f->su, "a\tb", false, err, sizeof err), -EINVAL);
	/* A grant to an unknown role. */
	g = role("ghosts");
	assert_int_equal(mgr_grant(f->m, &f->su, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err),
			 -ENOENT);
}

static void test_revoke(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	mgr_grantee g = user(U_OTHER);
	grant_ok(f, MGR_PRIV_SELECT | MGR_PRIV_MODIFY, &o_hr, g);
	assert_int_equal(mgr_revoke(f->m, &f->su, MGR_PRIV_MODIFY, &o_hr, &g, err, sizeof err), 0);
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_people));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_MODIFY, &o_people));
	assert_int_equal(mgr_revoke(f->m, &f->su, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err), 0);
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_people));
	/* Revoking what was not granted is not an error. */
	assert_int_equal(mgr_revoke(f->m, &f->su, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err), 0);
	/* The record went with the last privilege. */
	textbuf t = TEXTBUF_INIT;
	assert_int_equal(mgr_grants_render(f->m, NULL, NULL, &t), 0);
	assert_int_equal(t.len, 0);
	textbuf_free(&t);
	/* GRANT needs an existing object, and some privilege. */
	mgr_object ghost = {.level = MGR_OBJ_DATABASE, .platform = "warehouse", .db = "ghost"};
	assert_int_equal(mgr_grant(f->m, &f->su, MGR_PRIV_SELECT, &ghost, &g, err, sizeof err),
			 -ENOENT);
	assert_non_null(strstr(err, "/warehouse/ghost"));
	mgr_object noplat = {.level = MGR_OBJ_PLATFORM, .platform = "nowhere"};
	assert_int_equal(mgr_grant(f->m, &f->su, MGR_PRIV_SELECT, &noplat, &g, err, sizeof err),
			 -ENOENT);
	assert_int_equal(mgr_grant(f->m, &f->su, 0, &o_hr, &g, err, sizeof err), -EINVAL);
}

static void test_drop_role(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	mgr_grantee g = user(U_OTHER);
	assert_int_equal(mgr_role_create(f->m, &f->su, "readers", false, err, sizeof err), 0);
	assert_int_equal(mgr_role_grant(f->m, &f->su, "readers", &g, err, sizeof err), 0);
	grant_ok(f, MGR_PRIV_SELECT, &o_wh, role("readers"));
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_people));
	assert_int_equal(mgr_role_drop(f->m, &f->su, "readers", false, err, sizeof err), 0);
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_people));
	/* Its grants and memberships are gone with it: a new role of the same
	 * name starts empty. */
	assert_int_equal(mgr_role_create(f->m, &f->su, "readers", false, err, sizeof err), 0);
	textbuf t = TEXTBUF_INIT;
	assert_int_equal(mgr_grants_render(f->m, NULL, NULL, &t), 0);
	assert_int_equal(t.len, 0);
	assert_int_equal(mgr_roles_render(f->m, &t), 0);
	assert_string_equal(t.data, "readers\t-\n");
	textbuf_free(&t);
	assert_int_equal(mgr_role_drop(f->m, &f->su, "nobody", false, err, sizeof err), -ENOENT);
	assert_int_equal(mgr_role_drop(f->m, &f->su, "nobody", true, err, sizeof err), 0);
}

/* Grants go with their object: a new object of the same name starts
 * without them. */
static void test_drop_object(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", audit[16384];
	mgr_object sq = {.level = MGR_OBJ_DATABASE, .platform = "warehouse", .db = "sq"};
	mgr_object sq_t = {.level = MGR_OBJ_TABLE, .platform = "warehouse", .db = "sq",
			   .table = "t"};
	mgr_object sq2 = {.level = MGR_OBJ_DATABASE, .platform = "warehouse", .db = "sq2"};
	mgr_grantee me = user(U_OTHER);
	/* The squatter makes sq and sq.t and grants himself on both (owners
	 * hold ADMIN); others' grants are there too. */
	assert_int_equal(mgr_database_create(f->wh, "sq", U_OTHER, G_NONE, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_table_create(f->wh, "sq", "t", U_OTHER, G_NONE, STORE_ORIGIN_TOOL,
					  NULL), 0);
	assert_int_equal(mgr_database_create(f->wh, "sq2", f->su.uid, f->su.gid, STORE_ORIGIN_TOOL,
					     NULL), 0);
	assert_int_equal(mgr_grant(f->m, &f->other, MGR_PRIV_SELECT, &sq, &me, err, sizeof err), 0);
	assert_int_equal(mgr_grant(f->m, &f->other, MGR_PRIV_SELECT, &sq_t, &me, err, sizeof err), 0);
	assert_int_equal(mgr_role_create(f->m, &f->su, "readers", false, err, sizeof err), 0);
	grant_ok(f, MGR_PRIV_MODIFY, &sq_t, role("readers"));
	grant_ok(f, MGR_PRIV_SELECT, &sq_t, group(G_TEAM));
	grant_ok(f, MGR_PRIV_SELECT, &sq2, me);
	grant_ok(f, MGR_PRIV_SELECT, &o_people, me);
	/* A drop that fails (the database holds a table) keeps them all. */
	assert_int_equal(mgr_database_drop(f->wh, "sq", STORE_ORIGIN_FS), -ENOTEMPTY);
	textbuf t = TEXTBUF_INIT;
	assert_int_equal(mgr_grants_render(f->m, NULL, NULL, &t), 0);
	assert_non_null(strstr(t.data, "/warehouse/sq\tuser\t"));
	assert_non_null(strstr(t.data, "/warehouse/sq/t\trole\treaders\t"));
	textbuf_free(&t);
	/* The table's go with the table; the database's stay. */
	assert_int_equal(mgr_table_drop(f->wh, "sq", "t", STORE_ORIGIN_FS), 0);
	assert_int_equal(mgr_grants_render(f->m, &sq_t, NULL, &t), 0);
	assert_null(strstr(t.data, "/warehouse/sq/t"));
	assert_non_null(strstr(t.data, "/warehouse/sq\tuser\t"));
	textbuf_free(&t);
	assert_int_equal(mgr_database_drop(f->wh, "sq", STORE_ORIGIN_FS), 0);
	/* The superuser makes sq and sq.t again: the squatter holds nothing. */
	assert_int_equal(mgr_database_create(f->wh, "sq", f->su.uid, f->su.gid, STORE_ORIGIN_TOOL,
					     NULL), 0);
	assert_int_equal(mgr_table_create(f->wh, "sq", "t", f->su.uid, f->su.gid,
					  STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_access_privs(f->m, &f->other, &sq), 0);
	assert_int_equal(mgr_access_privs(f->m, &f->other, &sq_t), 0);
	assert_int_equal(mgr_access_privs(f->m, &f->third, &sq_t), 0);
	assert_false(mgr_access_visible(f->m, &f->other, &sq));
	/* What is not below the dropped objects stays, "sq2" included. */
	assert_int_equal(mgr_grants_render(f->m, NULL, NULL, &t), 0);
	assert_null(strstr(t.data, "/warehouse/sq\t"));
	assert_null(strstr(t.data, "/warehouse/sq/"));
	assert_non_null(strstr(t.data, "/warehouse/hr/people\tuser\t"));
	assert_non_null(strstr(t.data, "/warehouse/sq2\tuser\t"));
	textbuf_free(&t);
	/* A purged table (SQL DROP TABLE) loses its grants too. */
	mgr_grantee third = user(U_THIRD);
	assert_int_equal(mgr_grant(f->m, &f->su, MGR_PRIV_SELECT, &sq_t, &third, err, sizeof err), 0);
	assert_int_equal(mgr_table_purge(f->wh, "sq", "t", STORE_ORIGIN_JOB), 0);
	assert_int_equal(mgr_grants_render(f->m, NULL, NULL, &t), 0);
	assert_null(strstr(t.data, "/warehouse/sq/t"));
	textbuf_free(&t);
	/* Each removal is a revoke by the daemon's uid, audited. */
	audit_read(f, "", audit, sizeof audit);
	char line[256];
	const char *want[] = {"/warehouse/sq/t\tallow\t-\tSELECT from user 50002 dropped",
			      "/warehouse/sq/t\tallow\t-\tMODIFY from role readers dropped",
			      "/warehouse/sq/t\tallow\t-\tSELECT from group 60001 dropped",
			      "/warehouse/sq\tallow\t-\tSELECT from user 50002 dropped",
			      "/warehouse/sq/t\tallow\t-\tSELECT from user 50003 dropped"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		snprintf(line, sizeof line, "\t%u\trevoke\t%s with its object\n",
			 (unsigned)f->su.uid, want[i]);
		if (!strstr(audit, line))
			print_error("no audit line \"%s\" in:\n%s", line, audit);
		assert_non_null(strstr(audit, line));
	}
	/* Not a database or a table: refused. */
	assert_int_equal(mgr_grants_drop_object(f->m, &o_wh), -EINVAL);
	assert_int_equal(mgr_grants_drop_object(f->m, &o_root), -EINVAL);
}

static void test_admin_implies(void **state)
{
	struct fixture *f = *state;
	grant_ok(f, MGR_PRIV_ADMIN, &o_hr, user(U_OTHER));
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_people));
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_ALL, &o_people));
	assert_int_equal(mgr_access_privs(f->m, &f->other, &o_hr), MGR_PRIV_ALL);
	assert_int_equal(mgr_access_privs(f->m, &f->other, &o_wh), 0);
}

static void test_who_may_grant(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	mgr_grantee g = user(U_THIRD);
	/* Holding a privilege does not let one grant it. */
	grant_ok(f, MGR_PRIV_SELECT | MGR_PRIV_MODIFY, &o_hr, user(U_OTHER));
	assert_int_equal(mgr_grant(f->m, &f->other, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err),
			 -EACCES);
	assert_non_null(strstr(err, "ADMIN"));
	assert_false(mgr_access_holds(f->m, &f->third, MGR_PRIV_SELECT, &o_hr));
	/* The owner may, on what it owns, and not elsewhere. */
	assert_int_equal(mgr_grant(f->m, &f->owner, MGR_PRIV_SELECT, &o_orders, &g, err, sizeof err),
			 0);
	assert_true(mgr_access_holds(f->m, &f->third, MGR_PRIV_SELECT, &o_orders));
	assert_int_equal(mgr_grant(f->m, &f->owner, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err),
			 -EACCES);
	assert_int_equal(mgr_revoke(f->m, &f->owner, MGR_PRIV_SELECT, &o_orders, &g, err, sizeof err),
			 0);
	assert_false(mgr_access_holds(f->m, &f->third, MGR_PRIV_SELECT, &o_orders));
	/* ADMIN granted on an object lets one grant on it and below. */
	grant_ok(f, MGR_PRIV_ADMIN, &o_hr, user(U_OTHER));
	assert_int_equal(mgr_grant(f->m, &f->other, MGR_PRIV_SELECT, &o_people, &g, err, sizeof err),
			 0);
	assert_int_equal(mgr_grant(f->m, &f->other, MGR_PRIV_SELECT, &o_wh, &g, err, sizeof err),
			 -EACCES);
}

static void test_role_management_needs_admin(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	mgr_grantee g = user(U_OTHER);
	/* ADMIN on a platform or ownership of a database is not enough. */
	grant_ok(f, MGR_PRIV_ADMIN, &o_wh, user(U_OTHER));
	assert_int_equal(mgr_role_create(f->m, &f->other, "r", false, err, sizeof err), -EACCES);
	assert_int_equal(mgr_role_create(f->m, &f->owner, "r", false, err, sizeof err), -EACCES);
	assert_int_equal(mgr_role_create(f->m, &f->su, "r", false, err, sizeof err), 0);
	assert_int_equal(mgr_role_grant(f->m, &f->other, "r", &g, err, sizeof err), -EACCES);
	assert_int_equal(mgr_role_revoke(f->m, &f->other, "r", &g, err, sizeof err), -EACCES);
	assert_int_equal(mgr_role_drop(f->m, &f->other, "r", false, err, sizeof err), -EACCES);
	/* ADMIN on the metastore is. */
	grant_ok(f, MGR_PRIV_ADMIN, &o_root, user(U_OTHER));
	assert_int_equal(mgr_role_grant(f->m, &f->other, "r", &g, err, sizeof err), 0);
	assert_int_equal(mgr_role_drop(f->m, &f->other, "r", false, err, sizeof err), 0);
}

static void test_persistence(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	mgr_grantee g = group(G_TEAM);
	assert_int_equal(mgr_role_create(f->m, &f->su, "keepers", false, err, sizeof err), 0);
	assert_int_equal(mgr_role_grant(f->m, &f->su, "keepers", &g, err, sizeof err), 0);
	grant_ok(f, MGR_PRIV_MODIFY, &o_people, role("keepers"));
	grant_ok(f, MGR_PRIV_SELECT, &o_lake, user(U_OTHER));
	reopen(f);
	assert_true(mgr_access_holds(f->m, &f->third, MGR_PRIV_MODIFY, &o_people));
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_lake));
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_wh));
}

/* A change committed by another process of the home (the metafs tool) is
 * seen by the next check. */
static void test_other_process_change(void **state)
{
	struct fixture *f = *state;
	assert_false(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_hr));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256] = "";
		mgr *tool = NULL;
		mgr_grantee g = user(U_OTHER);
		int rc = mgr_open(f->home, false, &tool, err, sizeof err);
		if (rc == 0)
			rc = mgr_grant(tool, &f->su, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err);
		mgr_close(tool);
		_exit(rc == 0 ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_hr));
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_people));
}

static void test_visible(void **state)
{
	struct fixture *f = *state;
	/* Nothing held: nothing visible. */
	assert_false(mgr_access_visible(f->m, &f->other, &o_root));
	assert_false(mgr_access_visible(f->m, &f->other, &o_wh));
	assert_true(mgr_access_visible(f->m, &f->su, &o_people));
	/* A grant on a table shows it, its ancestors, and nothing beside. */
	grant_ok(f, MGR_PRIV_SELECT, &o_people, user(U_OTHER));
	assert_true(mgr_access_visible(f->m, &f->other, &o_people));
	assert_true(mgr_access_visible(f->m, &f->other, &o_hr));
	assert_true(mgr_access_visible(f->m, &f->other, &o_wh));
	assert_true(mgr_access_visible(f->m, &f->other, &o_root));
	assert_false(mgr_access_visible(f->m, &f->other, &o_sales));
	assert_false(mgr_access_visible(f->m, &f->other, &o_lake));
	/* A grant on a platform shows everything below it. */
	grant_ok(f, MGR_PRIV_SUBMIT, &o_lake, user(U_THIRD));
	mgr_object lake_db = {.level = MGR_OBJ_DATABASE, .platform = "lake", .db = "x"};
	assert_true(mgr_access_visible(f->m, &f->third, &lake_db));
	assert_false(mgr_access_visible(f->m, &f->third, &o_wh));
	/* What one owns shows its ancestors. */
	assert_true(mgr_access_visible(f->m, &f->owner, &o_orders));
	assert_true(mgr_access_visible(f->m, &f->owner, &o_wh));
	assert_true(mgr_access_visible(f->m, &f->owner, &o_root));
	assert_false(mgr_access_visible(f->m, &f->owner, &o_hr));
	assert_false(mgr_access_visible(f->m, &f->owner, &o_lake));
	mgr_principal tabowner = {U_OTHER + 100, G_NONE};
	assert_int_equal(mgr_table_create(f->wh, "hr", "t2", tabowner.uid, G_NONE,
					  STORE_ORIGIN_TOOL, NULL), 0);
	assert_true(mgr_access_visible(f->m, &tabowner, &o_hr));
	assert_true(mgr_access_visible(f->m, &tabowner, &o_wh));
	assert_false(mgr_access_visible(f->m, &tabowner, &o_people));
	/* The answer follows the catalog: once the table is gone, so is what
	 * it showed. */
	assert_int_equal(mgr_table_drop(f->wh, "hr", "t2", STORE_ORIGIN_TOOL), 0);
	assert_false(mgr_access_visible(f->m, &tabowner, &o_hr));
	assert_false(mgr_access_visible(f->m, &tabowner, &o_wh));
}

/* ---- the audit log ---------------------------------------------------------------- */

/* Every line of TEXT has exactly 7 tab-separated fields; count lines. */
static unsigned audit_lines_check(const char *text)
{
	unsigned lines = 0;
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		assert_non_null(nl);
		unsigned tabs = 0;
		for (const char *c = l; c < nl; c++)
			tabs += *c == '\t';
		assert_int_equal(tabs, 6);
		lines++;
		l = nl + 1;
	}
	return lines;
}

static void test_audit_lines(void **state)
{
	struct fixture *f = *state;
	char text[16384];
	regex_t re;
	audit_all(f);
	assert_int_equal(mgr_authorize(f->m, &f->su, MGR_PRIV_SELECT, &o_people, "read", NULL), 0);
	assert_int_equal(mgr_authorize(f->m, &f->other, MGR_PRIV_SELECT | MGR_PRIV_MODIFY, &o_orders,
				       "write", "/warehouse/sales/orders/part-0.csv"), -EACCES);
	mgr_audit(f->m, 7, "odd\taction", "/x\ny", true, 0, "tab\there\nnewline");
	audit_read(f, "", text, sizeof text);
	assert_int_equal(audit_lines_check(text), 3);
	char re_text[512];
	snprintf(re_text, sizeof re_text,
		 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z\t%u\tread\t"
		 "/warehouse/hr/people\tallow\tSELECT\t-\n"
		 "[0-9TZ:.-]+\t%u\twrite\t/warehouse/sales/orders/part-0.csv\tdeny\t"
		 "SELECT, MODIFY\t-\n"
		 "[0-9TZ:.-]+\t7\todd action\t/x y\tallow\t-\ttab here newline\n$",
		 (unsigned)f->su.uid, U_OTHER);
	assert_int_equal(regcomp(&re, re_text, REG_EXTENDED), 0);
	int rc = regexec(&re, text, 0, NULL, 0);
	if (rc)
		print_error("audit log:\n%s", text);
	assert_int_equal(rc, 0);
	regfree(&re);
	/* The file is private to the daemon's user. */
	struct stat st;
	assert_int_equal(stat(mgr_audit_path(f->m), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Management calls are audited, the refused ones too. */
	char err[256];
	mgr_grantee g = user(U_THIRD);
	assert_int_equal(mgr_grant(f->m, &f->other, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err),
			 -EACCES);
	assert_int_equal(mgr_role_create(f->m, &f->su, "auditors", false, err, sizeof err), 0);
	audit_read(f, "", text, sizeof text);
	assert_int_equal(audit_lines_check(text), 5);
	snprintf(re_text, sizeof re_text,
		 "\t%u\tgrant\t/warehouse/hr\tdeny\tADMIN\tSELECT to user %u\n"
		 "[^\t]+\t%u\tcreate-role\t/\tallow\tADMIN\trole auditors\n$",
		 U_OTHER, U_THIRD, (unsigned)f->su.uid);
	assert_int_equal(regcomp(&re, re_text, REG_EXTENDED), 0);
	rc = regexec(&re, text, 0, NULL, 0);
	if (rc)
		print_error("audit log:\n%s", text);
	assert_int_equal(rc, 0);
	regfree(&re);
}

static void test_audit_rotation(void **state)
{
	struct fixture *f = *state;
	char text[16384], old[16384];
	ini_set(f->home, "audit_max_bytes", "audit_max_bytes = 1K");
	audit_all(f);
	/* Each line is some 100 bytes: 15 lines pass 1 KiB once. */
	for (int i = 0; i < 15; i++)
		assert_int_equal(mgr_authorize(f->m, &f->su, MGR_PRIV_SELECT, &o_people, "read",
					       NULL), 0);
	audit_read(f, ".1", old, sizeof old);
	audit_read(f, "", text, sizeof text);
	unsigned nold = audit_lines_check(old), nnew = audit_lines_check(text);
	assert_true(nold > 0);
	assert_true(strlen(old) >= 1024);
	assert_true(strlen(text) < 1024);
	assert_int_equal(nold + nnew, 15);
	/* Rotating again replaces audit.log.1. */
	for (int i = 0; i < 15; i++)
		assert_int_equal(mgr_authorize(f->m, &f->other, MGR_PRIV_SELECT, &o_people, "read",
					       NULL), -EACCES);
	audit_read(f, ".1", old, sizeof old);
	assert_non_null(strstr(old, "\tdeny\t"));
}

/* [access] audit: by default denials, changes, grants and admin actions
 * are recorded and allowed reads are not (no file is even created for
 * them); reads when asked; a bad word names itself and the choices. */
static void test_audit_classes(void **state)
{
	struct fixture *f = *state;
	char text[16384], err[512] = "";
	struct stat st;
	assert_int_equal(mgr_get_config(f->m)->audit_classes, MGR_AUDIT_DEFAULT);
	assert_int_equal(mgr_audit_class("list"), MGR_AUDIT_READS);
	assert_int_equal(mgr_audit_class("read"), MGR_AUDIT_READS);
	assert_int_equal(mgr_audit_class("rename"), MGR_AUDIT_CHANGES);
	assert_int_equal(mgr_audit_class("submit"), MGR_AUDIT_CHANGES);
	assert_int_equal(mgr_audit_class("no such action"), MGR_AUDIT_CHANGES);
	assert_int_equal(mgr_audit_class("revoke-role"), MGR_AUDIT_GRANTS);
	assert_int_equal(mgr_audit_class("hms set_ugi"), MGR_AUDIT_ADMIN);

	/* Allowed reads and lists write nothing at all. */
	assert_int_equal(mgr_authorize(f->m, &f->su, MGR_PRIV_SELECT, &o_people, "read", NULL), 0);
	assert_int_equal(mgr_audit_decision(f->m, &f->other, "list", "/warehouse", true, 0, NULL), 0);
	assert_int_equal(mgr_audit(f->m, U_OTHER, "read", "/warehouse/hr/people", true, 0, NULL), 0);
	assert_int_equal(stat(mgr_audit_path(f->m), &st), -1);
	assert_false(mgr_audit_wanted(f->m, "list", true));
	assert_true(mgr_audit_wanted(f->m, "list", false));
	/* A denied read, a change, a grant-type and an admin action are written. */
	assert_int_equal(mgr_authorize(f->m, &f->other, MGR_PRIV_SELECT, &o_people, "read", NULL),
			 -EACCES);
	assert_int_equal(mgr_authorize(f->m, &f->su, MGR_PRIV_CREATE, &o_hr, "create", NULL), 0);
	assert_int_equal(mgr_role_create(f->m, &f->su, "auditors", false, err, sizeof err), 0);
	assert_int_equal(mgr_audit_decision(f->m, &f->su, "hms set_ugi", "/", true, 0, "bob"), 0);
	audit_read(f, "", text, sizeof text);
	assert_int_equal(audit_lines_check(text), 4);
	assert_non_null(strstr(text, "\tread\t/warehouse/hr/people\tdeny\t"));
	assert_non_null(strstr(text, "\tcreate\t/warehouse/hr\tallow\t"));
	assert_non_null(strstr(text, "\tcreate-role\t/\tallow\t"));
	assert_non_null(strstr(text, "\thms set_ugi\t/\tallow\t"));
	assert_null(strstr(text, "\tread\t/warehouse/hr/people\tallow"));

	/* A batch: the entries its classes record, in one piece. */
	mgr_audit_batch b = MGR_AUDIT_BATCH_INIT;
	mgr_audit_batch_add(f->m, &b, 0, "revoke", "/warehouse/hr", true, 0, "one");
	mgr_audit_batch_add(f->m, &b, 0, "list", "/warehouse/hr", true, 0, "skipped");
	mgr_audit_batch_add(f->m, &b, 0, "revoke", "/warehouse/hr/people", true, 0, "two");
	assert_int_equal(b.n, 2);
	assert_int_equal(mgr_audit_batch_write(f->m, &b), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(mgr_audit_batch_write(f->m, &b), 0);   /* empty: nothing */
	audit_read(f, "", text, sizeof text);
	assert_int_equal(audit_lines_check(text), 6);
	assert_non_null(strstr(text, "\trevoke\t/warehouse/hr\tallow\t-\tone\n"));
	assert_non_null(strstr(text, "\trevoke\t/warehouse/hr/people\tallow\t-\ttwo\n"));
	assert_null(strstr(text, "skipped"));

	/* Only reads: changes are not written, denials still are. */
	ini_set(f->home, "audit =", "audit = reads");
	reopen(f);
	assert_int_equal(mgr_get_config(f->m)->audit_classes, MGR_AUDIT_READS);
	assert_int_equal(mgr_authorize(f->m, &f->su, MGR_PRIV_SELECT, &o_people, "read", NULL), 0);
	assert_int_equal(mgr_authorize(f->m, &f->su, MGR_PRIV_CREATE, &o_hr, "create", NULL), 0);
	assert_int_equal(mgr_authorize(f->m, &f->other, MGR_PRIV_MODIFY, &o_people, "write", NULL),
			 -EACCES);
	audit_read(f, "", text, sizeof text);
	assert_int_equal(audit_lines_check(text), 8);
	assert_non_null(strstr(text, "\tread\t/warehouse/hr/people\tallow\t"));
	assert_non_null(strstr(text, "\twrite\t/warehouse/hr/people\tdeny\t"));

	ini_set(f->home, "audit =", "audit = denials,changes , grants,admin, all");
	reopen(f);
	assert_int_equal(mgr_get_config(f->m)->audit_classes, MGR_AUDIT_ALL);

	/* A bad word: the key, the word and the choices. */
	mgr_close(f->m);
	f->m = NULL;
	ini_set(f->home, "audit =", "audit = denials, writes");
	assert_int_equal(mgr_open(f->home, false, &f->m, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "audit: unknown class \"writes\""));
	assert_non_null(strstr(err, "denials, reads, changes, grants, admin, or all"));
	ini_set(f->home, "audit =", "audit = ");
	assert_int_equal(mgr_open(f->home, false, &f->m, err, sizeof err), -EINVAL);
	ini_set(f->home, "audit =", "audit = denials, changes");
	reopen(f);
	assert_int_equal(mgr_get_config(f->m)->audit_classes, MGR_AUDIT_CHANGES);
}

/* An entry that cannot be written whole: the file size limit lets a write
 * store only part of a line (as a full disk does).  No fragment may stay
 * for the next line to join, the check fails closed for everyone but a
 * superuser, and the failures are counted. */
static void test_audit_fails_closed(void **state)
{
	struct fixture *f = *state;
	char text[16384];
	struct stat st;
	struct rlimit old, small;
	audit_all(f);
	grant_ok(f, MGR_PRIV_SELECT, &o_people, user(U_OTHER));
	assert_int_equal(mgr_authorize(f->m, &f->other, MGR_PRIV_SELECT, &o_people, "read", NULL), 0);
	assert_int_equal(mgr_audit_failures(f->m), 0);
	assert_int_equal(stat(mgr_audit_path(f->m), &st), 0);
	off_t before = st.st_size;

	/* Room for 20 more bytes: a write stops inside the time field. */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = (rlim_t)before + 20;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	int denied = mgr_authorize(f->m, &f->other, MGR_PRIV_SELECT, &o_people, "read", NULL);
	int su = mgr_authorize(f->m, &f->su, MGR_PRIV_SELECT, &o_people, "read", NULL);
	int direct = mgr_audit(f->m, U_OTHER, "read", "/warehouse/hr/people", true, 0, NULL);
	int decision = mgr_audit_decision(f->m, &f->other, "list", "/warehouse", true, 0, NULL);
	int rc = stat(mgr_audit_path(f->m), &st);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(denied, -EACCES);   /* allowed, but not audited: denied */
	assert_int_equal(su, 0);             /* a superuser goes on */
	assert_true(direct < 0);
	assert_int_equal(decision, -EACCES);
	assert_int_equal(rc, 0);
	assert_int_equal(st.st_size, before);   /* no part of a line stayed */
	assert_int_equal(mgr_audit_failures(f->m), 4);

	/* With room again the same check is allowed, and every line is whole. */
	assert_int_equal(mgr_authorize(f->m, &f->other, MGR_PRIV_SELECT, &o_people, "read", NULL), 0);
	assert_int_equal(mgr_audit_decision(f->m, &f->other, "list", "/warehouse", true, 0, NULL), 0);
	assert_int_equal(mgr_audit_failures(f->m), 4);
	audit_read(f, "", text, sizeof text);
	unsigned lines = audit_lines_check(text);
	regex_t re;
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z\t"
				      "[0-9]+\t[^\t]+\t[^\t]+\t(allow|deny)\t[^\t]+\t[^\t]+$",
			     REG_EXTENDED | REG_NEWLINE), 0);
	unsigned good = 0;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		if (regexec(&re, l, 0, NULL, 0) == 0)
			good++;
		else
			print_error("malformed audit line: %s\n", l);
	}
	regfree(&re);
	assert_int_equal(good, lines);
	assert_int_equal(lines, 4);   /* the grant, a read, a read, a list */
}

/* Checks from many threads while grants change, and audit lines from many
 * threads: every line whole. */
struct checker {
	struct fixture *f;
	unsigned allowed, denied;
};

static void *checker_run(void *arg)
{
	struct checker *c = arg;
	for (int i = 0; i < 200; i++) {
		if (mgr_authorize(c->f->m, &c->f->other, MGR_PRIV_SELECT, &o_people, "read", NULL) == 0)
			c->allowed++;
		else
			c->denied++;
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	enum { NTHREADS = 8 };
	pthread_t th[NTHREADS];
	struct checker c[NTHREADS];
	char err[256] = "";
	mgr_grantee g = user(U_OTHER);
	audit_all(f);
	for (int i = 0; i < NTHREADS; i++) {
		c[i] = (struct checker){.f = f};
		assert_int_equal(pthread_create(&th[i], NULL, checker_run, &c[i]), 0);
	}
	for (int i = 0; i < 20; i++) {
		assert_int_equal(mgr_grant(f->m, &f->su, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err), 0);
		assert_int_equal(mgr_revoke(f->m, &f->su, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err), 0);
	}
	assert_int_equal(mgr_grant(f->m, &f->su, MGR_PRIV_SELECT, &o_hr, &g, err, sizeof err), 0);
	unsigned total = 0;
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		total += c[i].allowed + c[i].denied;
	}
	assert_int_equal(total, NTHREADS * 200);
	assert_true(mgr_access_holds(f->m, &f->other, MGR_PRIV_SELECT, &o_people));
	/* 1600 checks and 41 management calls, each one whole line. */
	static char text[1 << 20];
	audit_read(f, "", text, sizeof text);
	assert_int_equal(audit_lines_check(text), NTHREADS * 200 + 41);
}

/* ---- names and renderings ------------------------------------------------------------- */

static void test_priv_names(void **state)
{
	(void)state;
	unsigned p = 0;
	assert_string_equal(mgr_priv_name(MGR_PRIV_SELECT), "SELECT");
	assert_string_equal(mgr_priv_name(MGR_PRIV_SELECT | MGR_PRIV_SYNC), "SELECT, SYNC");
	assert_string_equal(mgr_priv_name(MGR_PRIV_ALL),
			    "SELECT, MODIFY, CREATE, SUBMIT, SYNC, ADMIN");
	assert_int_equal(mgr_priv_parse("modify", &p), 0);
	assert_int_equal(p, MGR_PRIV_MODIFY);
	assert_int_equal(mgr_priv_parse("Admin", &p), 0);
	assert_int_equal(p, MGR_PRIV_ADMIN);
	assert_int_equal(mgr_priv_parse("ALL", &p), 0);
	assert_int_equal(p, MGR_PRIV_ALL);
	p = 0;
	assert_int_equal(mgr_priv_parse("all  privileges", &p), 0);
	assert_int_equal(p, MGR_PRIV_ALL);
	assert_int_equal(mgr_priv_parse("READ", &p), -EINVAL);
	assert_int_equal(mgr_priv_parse("ALLPRIVILEGES", &p), -EINVAL);
	char path[64];
	mgr_object_path(&o_root, path, sizeof path);
	assert_string_equal(path, "/");
	mgr_object_path(&o_wh, path, sizeof path);
	assert_string_equal(path, "/warehouse");
	mgr_object_path(&o_orders, path, sizeof path);
	assert_string_equal(path, "/warehouse/sales/orders");
}

static void test_grantee_names(void **state)
{
	(void)state;
	char err[256] = "";
	mgr_grantee g;
	assert_int_equal(mgr_grantee_user("root", &g, err, sizeof err), 0);
	assert_int_equal(g.kind, MGR_GRANTEE_USER);
	assert_int_equal(g.id, 0);
	assert_int_equal(mgr_grantee_user("1234", &g, err, sizeof err), 0);
	assert_int_equal(g.id, 1234);
	assert_int_equal(mgr_grantee_group("root", &g, err, sizeof err), 0);
	assert_int_equal(g.kind, MGR_GRANTEE_GROUP);
	assert_int_equal(g.id, 0);
	assert_int_equal(mgr_grantee_user("no-such-user-metafs", &g, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "no-such-user-metafs"));
	assert_int_equal(mgr_grantee_group("no-such-group-metafs", &g, err, sizeof err), -ENOENT);
	assert_int_equal(mgr_grantee_user("99999999999", &g, err, sizeof err), -ENOENT);
}

static void test_render(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", want[1024];
	mgr_grantee g;
	textbuf t = TEXTBUF_INIT;
	regex_t re;
	assert_int_equal(mgr_role_create(f->m, &f->su, "analysts", false, err, sizeof err), 0);
	assert_int_equal(mgr_role_create(f->m, &f->su, "empty", false, err, sizeof err), 0);
	g = user(U_OTHER);
	assert_int_equal(mgr_role_grant(f->m, &f->su, "analysts", &g, err, sizeof err), 0);
	g = group(G_TEAM);
	assert_int_equal(mgr_role_grant(f->m, &f->su, "analysts", &g, err, sizeof err), 0);
	g = user(0);
	assert_int_equal(mgr_role_grant(f->m, &f->su, "analysts", &g, err, sizeof err), 0);
	assert_int_equal(mgr_roles_render(f->m, &t), 0);
	snprintf(want, sizeof want, "analysts\tuser:root,user:%u,group:%u\nempty\t-\n", U_OTHER,
		 G_TEAM);
	assert_string_equal(t.data, want);
	textbuf_reset(&t);

	grant_ok(f, MGR_PRIV_SELECT, &o_orders, role("analysts"));
	grant_ok(f, MGR_PRIV_SELECT | MGR_PRIV_MODIFY, &o_wh, user(U_OTHER));
	grant_ok(f, MGR_PRIV_CREATE, &o_sales, group(G_TEAM));
	grant_ok(f, MGR_PRIV_SUBMIT, &o_lake, user(U_THIRD));
	grant_ok(f, MGR_PRIV_ADMIN, &o_people, user(U_THIRD));
	assert_int_equal(mgr_grants_render(f->m, NULL, NULL, &t), 0);
	/* Sorted by object path, then grantee. */
	snprintf(want, sizeof want,
		 "^/lake\tuser\t%u\tSUBMIT\t%u\t[0-9-]{10}T[0-9:.]{18}Z\n"
		 "/warehouse\tuser\t%u\tSELECT, MODIFY\t%u\t[^\t]+Z\n"
		 "/warehouse/hr/people\tuser\t%u\tADMIN\t%u\t[^\t]+Z\n"
		 "/warehouse/sales\tgroup\t%u\tCREATE\t%u\t[^\t]+Z\n"
		 "/warehouse/sales/orders\trole\tanalysts\tSELECT\t%u\t[^\t]+Z\n$",
		 U_THIRD, (unsigned)f->su.uid, U_OTHER, (unsigned)f->su.uid, U_THIRD,
		 (unsigned)f->su.uid, G_TEAM, (unsigned)f->su.uid, (unsigned)f->su.uid);
	assert_int_equal(regcomp(&re, want, REG_EXTENDED), 0);
	int rc = regexec(&re, t.data, 0, NULL, 0);
	if (rc)
		print_error("grants:\n%s", t.data);
	assert_int_equal(rc, 0);
	regfree(&re);

	/* ON: what applies to the object (on it and above). */
	textbuf_reset(&t);
	assert_int_equal(mgr_grants_render(f->m, &o_orders, NULL, &t), 0);
	assert_non_null(strstr(t.data, "/warehouse\tuser"));
	assert_non_null(strstr(t.data, "/warehouse/sales\tgroup"));
	assert_non_null(strstr(t.data, "/warehouse/sales/orders\trole"));
	assert_null(strstr(t.data, "/lake"));
	assert_null(strstr(t.data, "people"));
	/* FOR a user: its own grants and its roles'. */
	textbuf_reset(&t);
	g = user(U_OTHER);
	assert_int_equal(mgr_grants_render(f->m, NULL, &g, &t), 0);
	assert_non_null(strstr(t.data, "/warehouse\tuser"));
	assert_non_null(strstr(t.data, "/warehouse/sales/orders\trole\tanalysts"));
	assert_null(strstr(t.data, "group"));
	assert_null(strstr(t.data, "/lake"));
	/* FOR a role; both together. */
	textbuf_reset(&t);
	g = role("analysts");
	assert_int_equal(mgr_grants_render(f->m, &o_sales, &g, &t), 0);
	assert_int_equal(t.len, 0);
	assert_int_equal(mgr_grants_render(f->m, &o_orders, &g, &t), 0);
	assert_non_null(strstr(t.data, "/warehouse/sales/orders\trole\tanalysts\tSELECT\t"));
	assert_null(strchr(strchr(t.data, '\n') + 1, '\n'));
	textbuf_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_superuser),
		TEST(test_admins_config),
		TEST(test_non_owner_denied),
		TEST(test_owner),
		TEST(test_inheritance),
		TEST(test_roles_and_groups),
		TEST(test_revoke),
		TEST(test_drop_role),
		TEST(test_drop_object),
		TEST(test_admin_implies),
		TEST(test_who_may_grant),
		TEST(test_role_management_needs_admin),
		TEST(test_persistence),
		TEST(test_other_process_change),
		TEST(test_visible),
		TEST(test_audit_lines),
		TEST(test_audit_classes),
		TEST(test_audit_rotation),
		TEST(test_audit_fails_closed),
		TEST(test_concurrent),
		TEST(test_priv_names),
		TEST(test_grantee_names),
		TEST(test_render),
	};
	mgr_log_setup(false, MGR_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
