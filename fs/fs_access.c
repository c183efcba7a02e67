/*
 * fs_access.c - access control at the mount.
 *
 * The mount is mounted without `default_permissions`: the kernel checks no
 * mode bits, and every decision is the access control list's
 * (mgr_access.h).  The principal is the calling process's uid and primary
 * gid as FUSE reports them.  What each node needs:
 *
 *   platform, database, table   seen (lookup, getattr, listed) only by who
 *                               holds some privilege on it, above it or
 *                               below it (mgr_access_visible); a lookup of
 *                               one the caller cannot see is EACCES and
 *                               audited ("lookup", deny)
 *   listing a table or a        SELECT on the table ("list")
 *   partition directory
 *   reading a data file,        SELECT on the table ("read")
 *   .schema, .table, .partition
 *   a mirror's .refresh and     SELECT on the mirrored table, in the
 *   its source's partitions     platform that shows them
 *   writing a data file         MODIFY on the table ("write"; create,
 *                               truncate, rename and unlink too)
 *   the first .schema           CREATE on the database ("create")
 *   jobs/NAME.sql (writing)     SUBMIT on at least one platform ("submit"),
 *                               and job NAME is the caller's (fs_jobs.c)
 *   jobs/NAME/ (reading)        the run's submitter, or ADMIN on the metastore
 *   pipelines/NAME.ini and      the pipeline's owner, or ADMIN on the
 *   pipelines/NAME/log (reading) metastore (fs_sync.c)
 *   .metafs/audit, .metafs/log  ADMIN on the metastore
 *   .metafs/events, grants      everyone, each seeing only the lines about
 *                               what they may see (rendered per caller)
 *   everything else of the      everyone
 *   mount's own (the other .metafs files, listing jobs/, sync/ and pipelines/)
 * An allowed check whose audit entry cannot be written is a denial, except
 * for superusers (mgr_authorize, mgr_audit_decision).
 * This file holds the checks common to every kind; what a kind needs beyond
 * them is its row's (fs_int.h: check_list, check_open, check_access, and
 * the directory operations, which authorize themselves).  Sync rules and
 * pipelines are checked in the manager (again at every run).
 *
 * The kernel's caches are shared by every user of a mount.  With
 * allow_other several users share them, so then nothing whose visibility
 * depends on the caller is cached: entries and attributes of catalog nodes
 * have timeout 0 (fs_node.c) and listings are not kept (fs_ops.c).  Opens are always
 * sent to the daemon, so data is never served to a user who was not
 * checked.
 */
#include "fs_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

mgr_principal fs_principal(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	mgr_principal who = {ctx->uid, ctx->gid};
	return who;
}

bool fs_node_object(const fs_node *n, mgr_object *o)
{
	memset(o, 0, sizeof *o);
	if (!n->p)
		return false;
	o->platform = n->p->name;
	const struct fs_kind_ops *ops = fs_node_ops(n);
	if (ops->object)
		return ops->object(n, o);
	if (!n->have_table)
		return false;   /* a file being created: its table was checked at create */
	o->level = MGR_OBJ_TABLE;
	o->db = n->table.db;
	o->table = n->table.name;
	if (n->view_target) {
		/* The source's partition or file seen from the mirror: the
		 * mirrored table of the platform that shows it decides. */
		mgr_platform *target = mgr_platform_at(fs_state.m, n->view_target - 1);
		if (target)
			o->platform = target->name;
	}
	return true;
}

bool fs_node_visible(const mgr_principal *who, const fs_node *n)
{
	mgr_object o;
	if (!fs_node_object(n, &o))
		return true;
	return mgr_access_visible(fs_state.m, who, &o);
}

int fs_node_authorize(const mgr_principal *who, const fs_node *n, unsigned privs,
		      const char *action)
{
	mgr_object o;
	if (!fs_node_object(n, &o))
		return 0;
	return mgr_authorize(fs_state.m, who, privs, &o, action, NULL);
}

bool fs_node_holds(const mgr_principal *who, const fs_node *n, unsigned privs)
{
	mgr_object o;
	return !fs_node_object(n, &o) || mgr_access_holds(fs_state.m, who, privs, &o);
}

int fs_check_lookup(const mgr_principal *who, const fs_node *n)
{
	mgr_object o;
	if (!fs_node_object(n, &o) || mgr_access_visible(fs_state.m, who, &o))
		return 0;
	char path[3 * (STORE_NAME_MAX + 1) + 2];
	mgr_object_path(&o, path, sizeof path);
	mgr_audit(fs_state.m, who->uid, "lookup", path, false, 0, "not visible to the caller");
	return -EACCES;
}

bool fs_metastore_admin(const mgr_principal *who)
{
	mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	return mgr_access_holds(fs_state.m, who, MGR_PRIV_ADMIN, &all);
}

int fs_check_list(const mgr_principal *who, const fs_node *n)
{
	mgr_object o;
	if (!fs_node_object(n, &o))
		return 0;
	if (o.level == MGR_OBJ_TABLE)
		return mgr_authorize(fs_state.m, who, MGR_PRIV_SELECT, &o, "list", NULL);
	/* A platform or a database: listed as far as the caller sees it. */
	bool ok = mgr_access_visible(fs_state.m, who, &o);
	if (ok && !mgr_audit_wanted(fs_state.m, "list", true))
		return 0;   /* allowed, and reads are not audited */
	char path[3 * (STORE_NAME_MAX + 1) + 2];
	mgr_object_path(&o, path, sizeof path);
	return mgr_audit_decision(fs_state.m, who, "list", path, ok, 0,
				  ok ? NULL : "not visible to the caller");
}

bool fs_submit_holds(const mgr_principal *who)
{
	for (unsigned i = 0; i < mgr_platform_count(fs_state.m); i++) {
		mgr_object o = {MGR_OBJ_PLATFORM, mgr_platform_at(fs_state.m, i)->name, NULL, NULL};
		if (mgr_access_holds(fs_state.m, who, MGR_PRIV_SUBMIT, &o))
			return true;
	}
	return false;
}

int fs_check_submit(const mgr_principal *who)
{
	if (fs_submit_holds(who))
		return mgr_audit_decision(fs_state.m, who, "submit", "/jobs", true, MGR_PRIV_SUBMIT,
					  NULL);
	mgr_audit(fs_state.m, who->uid, "submit", "/jobs", false, MGR_PRIV_SUBMIT,
		  "SUBMIT is held on no platform");
	mgr_log(MGR_LOG_WARN, "refused a job from uid %u: SUBMIT is held on no platform", who->uid);
	return -EACCES;
}

int fs_create_refused(fs_node *dir, const char *name, const mgr_principal *who, fs_handle *h,
		      struct fuse_entry_param *e)
{
	(void)dir;
	(void)name;
	(void)h;
	(void)e;
	int rc = fs_check_submit(who);
	return rc ? rc : -EACCES;
}

int fs_mkdir_refused(fs_node *dir, const char *name, const mgr_principal *who, fuse_ino_t *ino)
{
	(void)dir;
	(void)name;
	(void)who;
	(void)ino;
	return -EACCES;
}

int fs_rmdir_refused(fs_node *dir, fs_node *child, const mgr_principal *who)
{
	(void)dir;
	(void)child;
	(void)who;
	return -EACCES;
}

int fs_access_anyone(const mgr_principal *who, const fs_node *n, int mask)
{
	(void)who;
	(void)n;
	(void)mask;
	return 0;
}

int fs_check_open(const mgr_principal *who, const fs_node *n, bool writing)
{
	if (!writing)
		return fs_node_authorize(who, n, MGR_PRIV_SELECT, "read");
	return fs_node_authorize(who, n, MGR_PRIV_MODIFY, "write");
}

int fs_check_access_file(const mgr_principal *who, const fs_node *n, int mask, bool writable)
{
	if (!fs_node_visible(who, n) || (mask & X_OK))
		return -EACCES;
	if ((mask & R_OK) && !fs_node_holds(who, n, MGR_PRIV_SELECT))
		return -EACCES;
	if ((mask & W_OK) && (!writable || n->view_target || !fs_node_holds(who, n, MGR_PRIV_MODIFY)))
		return -EACCES;
	return 0;
}
