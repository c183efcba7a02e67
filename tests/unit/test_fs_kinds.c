/*
 * test_fs_kinds.c - the table from node kind to its row of operations
 * (fs/fs_kinds.c): every kind has a row, the rows agree with the inode
 * scheme, and the mount's own directories get their family's row.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fs_int.h"

static fs_node node_of(fs_kind kind, uint64_t id)
{
	fs_node n;
	memset(&n, 0, sizeof n);
	n.kind = kind;
	n.id = id;
	n.ino = fs_ino_make(kind == FS_KIND_GLOBAL ? 0 : 1, kind, id);
	return n;
}

static void test_every_kind_has_a_named_row(void **state)
{
	(void)state;
	for (int k = 0; k < FS_KIND_COUNT; k++) {
		fs_node n = node_of((fs_kind)k, 1);
		const struct fs_kind_ops *ops = fs_node_ops(&n);
		assert_non_null(ops);
		assert_non_null(ops->name);
		assert_string_not_equal(ops->name, "none");
	}
}

static void test_an_unknown_kind_loads_as_nothing(void **state)
{
	(void)state;
	fs_node n = node_of(FS_KIND_COUNT, 1);
	const struct fs_kind_ops *ops = fs_node_ops(&n);
	assert_string_equal(ops->name, "none");
	assert_non_null(ops->load);
	assert_int_equal(ops->load(&n), -ENOENT);
}

static void test_only_global_nodes_live_outside_a_platform(void **state)
{
	(void)state;
	for (int k = 0; k < FS_KIND_COUNT; k++) {
		fs_node n = node_of((fs_kind)k, 1);
		/* jobs/ and sync/ are global inodes; their rows are their families'. */
		if (k == FS_KIND_GLOBAL)
			assert_false(fs_node_ops(&n)->in_platform);
		if (k == FS_KIND_PLATFORM || k == FS_KIND_DATABASE || k == FS_KIND_TABLE ||
		    k == FS_KIND_PNODE || k == FS_KIND_FILE || k == FS_KIND_SCHEMA ||
		    k == FS_KIND_TABLEMETA || k == FS_KIND_PARTMETA)
			assert_true(fs_node_ops(&n)->in_platform);
	}
}

static void test_catalog_directories_are_directories_and_files_are_not(void **state)
{
	(void)state;
	const fs_kind dirs[] = {FS_KIND_PLATFORM, FS_KIND_DATABASE, FS_KIND_TABLE, FS_KIND_PNODE,
				FS_KIND_JOBDIR, FS_KIND_JOBRUNS, FS_KIND_JOBRUN};
	const fs_kind files[] = {FS_KIND_FILE, FS_KIND_SCHEMA, FS_KIND_TABLEMETA, FS_KIND_PARTMETA,
				 FS_KIND_JOBSQL, FS_KIND_JOBFILE};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		fs_node n = node_of(dirs[i], 1);
		assert_true(fs_node_is_dir(&n));
	}
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		fs_node n = node_of(files[i], 1);
		assert_false(fs_node_is_dir(&n));
	}
}

/* A run's results/ is the one directory of the run file kind (file byte
 * 15, see fs_jobs.c); its N.csv files and the other run files are files. */
static void test_a_runs_results_directory_is_the_one_directory_of_run_files(void **state)
{
	(void)state;
	const uint64_t run = (UINT64_C(3) << 32) | (UINT64_C(2) << 8);
	fs_node dir = node_of(FS_KIND_JOBFILE, run | 15);
	assert_true(fs_node_is_dir(&dir));
	assert_non_null(fs_node_ops(&dir)->readdir);
	const uint64_t files[] = {0, 1, 7, 8, 16, 17, 255};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		fs_node n = node_of(FS_KIND_JOBFILE, run | files[i]);
		assert_false(fs_node_is_dir(&n));
	}
}

static void test_metadata_files_are_rendered(void **state)
{
	(void)state;
	const fs_kind meta[] = {FS_KIND_SCHEMA, FS_KIND_TABLEMETA, FS_KIND_PARTMETA};
	for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
		fs_node n = node_of(meta[i], 1);
		assert_true(fs_node_flags(&n) & FS_NODE_RENDERED);
		assert_non_null(fs_node_ops(&n)->render);
	}
}

/* Every file whose bytes are generated reports their length: its kind
 * renders them for a stat (fs_snapshot.c), a metadata file through its
 * rendering; a data file's size member makes a masked file's transform's. */
static void test_generated_files_have_a_size(void **state)
{
	(void)state;
	const fs_kind generated[] = {FS_KIND_TABLEMETA, FS_KIND_JOBSQL, FS_KIND_JOBFILE, FS_KIND_SYNC,
				     FS_KIND_VIEW, FS_KIND_GLOBAL};
	for (size_t i = 0; i < sizeof generated / sizeof generated[0]; i++) {
		fs_node n = node_of(generated[i], 1);
		assert_non_null(fs_node_ops(&n)->snapshot);
	}
	const fs_kind rendered[] = {FS_KIND_SCHEMA, FS_KIND_PARTMETA};
	for (size_t i = 0; i < sizeof rendered / sizeof rendered[0]; i++) {
		fs_node n = node_of(rendered[i], 1);
		assert_true(fs_node_ops(&n)->snapshot || (fs_node_flags(&n) & FS_NODE_RENDERED));
	}
	fs_node f = node_of(FS_KIND_FILE, 1);
	assert_non_null(fs_node_ops(&f)->size);
	assert_null(fs_node_ops(&f)->snapshot);
}

/* A node that is not generated has no rendering: its size is its own. */
static void test_a_node_not_generated_has_no_snapshot(void **state)
{
	(void)state;
	const fs_kind plain[] = {FS_KIND_PLATFORM, FS_KIND_DATABASE, FS_KIND_TABLE, FS_KIND_PNODE,
				 FS_KIND_FILE, FS_KIND_JOBDIR, FS_KIND_JOBRUNS, FS_KIND_JOBRUN};
	mgr_principal who = {1000, 1000};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		fs_node n = node_of(plain[i], 1);
		uint64_t len = 7;
		assert_int_equal(fs_snapshot_take(&n, &who, NULL, &len), -ENODATA);
	}
}

static void test_mount_directories_get_their_family_row(void **state)
{
	(void)state;
	fs_node jobs = node_of(FS_KIND_GLOBAL, FS_GLOBAL_JOBS);
	fs_node sync = node_of(FS_KIND_GLOBAL, FS_GLOBAL_SYNC);
	fs_node pipes = node_of(FS_KIND_GLOBAL, FS_GLOBAL_PIPELINES);
	fs_node meta = node_of(FS_KIND_GLOBAL, FS_GLOBAL_METADIR);
	assert_ptr_equal(fs_node_ops(&jobs), &fs_jobs_root_ops);
	assert_ptr_equal(fs_node_ops(&sync), &fs_tree_root_ops);
	assert_ptr_equal(fs_node_ops(&pipes), &fs_tree_root_ops);
	assert_ptr_equal(fs_node_ops(&meta), &fs_global_ops);
	/* A directory of the family can create entries (job files, rules). */
	assert_non_null(fs_jobs_root_ops.create);
	assert_non_null(fs_tree_root_ops.create);
}

static void test_inode_numbers_round_trip_kind_platform_and_id(void **state)
{
	(void)state;
	for (int k = 0; k < FS_KIND_COUNT; k++) {
		fuse_ino_t ino = fs_ino_make(3, (fs_kind)k, STORE_ID_MAX);
		assert_int_equal(fs_ino_kind(ino), k);
		assert_int_equal(fs_ino_plat(ino), 3);
		assert_true(fs_ino_id(ino) == STORE_ID_MAX);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_has_a_named_row),
		cmocka_unit_test(test_an_unknown_kind_loads_as_nothing),
		cmocka_unit_test(test_only_global_nodes_live_outside_a_platform),
		cmocka_unit_test(test_catalog_directories_are_directories_and_files_are_not),
		cmocka_unit_test(test_metadata_files_are_rendered),
		cmocka_unit_test(test_generated_files_have_a_size),
		cmocka_unit_test(test_a_runs_results_directory_is_the_one_directory_of_run_files),
		cmocka_unit_test(test_a_node_not_generated_has_no_snapshot),
		cmocka_unit_test(test_mount_directories_get_their_family_row),
		cmocka_unit_test(test_inode_numbers_round_trip_kind_platform_and_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
