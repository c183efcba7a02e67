/*
 * fs_kinds.c - the table from node kind to its row of operations.
 *
 * The rows are defined by their families (see fs_int.h); this file only
 * says which row serves which kind.  The mount's own directories jobs/,
 * sync/ and pipelines/ are nodes of FS_KIND_GLOBAL (their inode numbers are
 * fixed), but their contents belong to a family: they have the family's
 * root row.
 */
#include "fs_int.h"

#include <errno.h>

static const struct fs_kind_ops *const kind_rows[FS_KIND_COUNT] = {
	[FS_KIND_GLOBAL] = &fs_global_ops,
	[FS_KIND_PLATFORM] = &fs_platform_ops,
	[FS_KIND_DATABASE] = &fs_database_ops,
	[FS_KIND_TABLE] = &fs_table_ops,
	[FS_KIND_PNODE] = &fs_pnode_ops,
	[FS_KIND_FILE] = &fs_file_ops,
	[FS_KIND_SCHEMA] = &fs_schema_ops,
	[FS_KIND_TABLEMETA] = &fs_tablemeta_ops,
	[FS_KIND_PARTMETA] = &fs_partmeta_ops,
	[FS_KIND_JOBDIR] = &fs_jobdir_ops,
	[FS_KIND_JOBSQL] = &fs_jobsql_ops,
	[FS_KIND_JOBFILE] = &fs_jobfile_ops,
	[FS_KIND_JOBRUNS] = &fs_jobruns_ops,
	[FS_KIND_JOBRUN] = &fs_jobrun_ops,
	[FS_KIND_SYNC] = &fs_sync_ops,
	[FS_KIND_VIEW] = &fs_view_ops,
};

static const struct fs_kind_ops *const global_rows[FS_GLOBAL_COUNT] = {
	[FS_GLOBAL_JOBS] = &fs_jobs_root_ops,
	[FS_GLOBAL_SYNC] = &fs_tree_root_ops,
	[FS_GLOBAL_PIPELINES] = &fs_tree_root_ops,
};

/* A kind with no row (an inode number no node of this mount has) loads as
 * nothing. */
static int no_row_load(fs_node *n)
{
	(void)n;
	return -ENOENT;
}

static const struct fs_kind_ops no_row = {.name = "none", .load = no_row_load};

const struct fs_kind_ops *fs_node_ops(const fs_node *n)
{
	if (n->kind == FS_KIND_GLOBAL && n->id < FS_GLOBAL_COUNT && global_rows[n->id])
		return global_rows[n->id];
	const struct fs_kind_ops *ops = (unsigned)n->kind < FS_KIND_COUNT ? kind_rows[n->kind] : NULL;
	return ops ? ops : &no_row;
}
