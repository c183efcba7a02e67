/*
 * test_base.c - the shared helpers of base/: array growth, directory trees,
 * durable writes, sibling programs and calendar dates.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "testdir.h"

/* ---- arrays -------------------------------------------------------------------------- */

static void test_array_reserve_grows_from_zero(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0;

	assert_int_equal(base_array_reserve((void **)&v, &cap, 1, sizeof *v), 0);
	assert_non_null(v);
	assert_int_equal(cap, BASE_ARRAY_MIN);
	for (size_t i = 0; i < cap; i++)
		v[i] = (int)i;
	assert_int_equal(BASE_ARRAY_RESERVE(v, cap, BASE_ARRAY_MIN + 1), 0);
	assert_int_equal(cap, 2 * BASE_ARRAY_MIN);
	for (size_t i = 0; i < BASE_ARRAY_MIN; i++)
		assert_int_equal(v[i], (int)i);
	free(v);
}

static void test_array_reserve_keeps_enough_capacity(void **state)
{
	(void)state;
	char *v = NULL;
	size_t cap = 0;

	assert_int_equal(BASE_ARRAY_RESERVE(v, cap, 1000), 0);
	assert_true(cap >= 1000);
	char *before = v;
	size_t cap_before = cap;
	assert_int_equal(BASE_ARRAY_RESERVE(v, cap, 10), 0);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, cap_before);
	free(v);
}

static void test_array_reserve_refuses_overflow(void **state)
{
	(void)state;
	uint64_t *v = NULL;
	size_t cap = 0;

	assert_int_equal(base_array_reserve((void **)&v, &cap, SIZE_MAX / 4, sizeof *v), -ENOMEM);
	assert_null(v);
	assert_int_equal(cap, 0);
	assert_int_equal(BASE_ARRAY_RESERVE(v, cap, 4), 0);
	uint64_t *kept = v;
	assert_int_equal(base_array_reserve((void **)&v, &cap, SIZE_MAX, 2), -ENOMEM);
	assert_ptr_equal(v, kept);
	assert_int_equal(cap, BASE_ARRAY_MIN);
	free(v);
}

static void test_array_reserve_u32_refuses_capacity_past_32_bits(void **state)
{
	(void)state;
	char *v = NULL;
	uint32_t cap = 0;

	assert_int_equal(BASE_ARRAY_RESERVE(v, cap, (size_t)UINT32_MAX + 1), -ENOMEM);
	assert_null(v);
	assert_int_equal(BASE_ARRAY_RESERVE(v, cap, 100), 0);
	assert_int_equal(cap, 128);
	free(v);
}

/* ---- file system ----------------------------------------------------------------------- */

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_fs_mkdirs_creates_parents(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];

	assert_int_equal(testdir_make(dir), 0);
	snprintf(path, sizeof path, "%s/a/b/c", dir);
	assert_int_equal(base_fs_mkdirs(path, 0755), 0);
	assert_true(is_dir(path));
	testdir_remove(dir);
}

static void test_fs_mkdirs_of_existing_path_succeeds(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];

	assert_int_equal(testdir_make(dir), 0);
	assert_int_equal(base_fs_mkdirs(dir, 0755), 0);
	snprintf(path, sizeof path, "%s/x/y", dir);
	assert_int_equal(base_fs_mkdirs(path, 0755), 0);
	assert_int_equal(base_fs_mkdirs(path, 0755), 0);
	assert_true(is_dir(path));
	testdir_remove(dir);
}

static void test_fs_mkdirs_refuses_a_file_in_the_way(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];

	assert_int_equal(testdir_make(dir), 0);
	snprintf(path, sizeof path, "%s/f", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof path, "%s/f/g", dir);
	assert_int_equal(base_fs_mkdirs(path, 0755), -ENOTDIR);
	testdir_remove(dir);
}

static void test_fs_tree_remove_removes_nested_dirs(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 32];

	assert_int_equal(testdir_make(dir), 0);
	snprintf(path, sizeof path, "%s/t/a/b/c", dir);
	assert_int_equal(base_fs_mkdirs(path, 0755), 0);
	snprintf(path, sizeof path, "%s/t/a/b/file", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/t/a/empty", dir);
	assert_int_equal(base_fs_mkdirs(path, 0755), 0);
	snprintf(path, sizeof path, "%s/t", dir);
	assert_int_equal(base_fs_tree_remove(path), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_true(is_dir(dir));
	testdir_remove(dir);
}

static void test_fs_tree_remove_leaves_a_link_target(void **state)
{
	(void)state;
	char dir[PATH_MAX], target[PATH_MAX + 16], tree[PATH_MAX + 16], link[PATH_MAX + 32];

	assert_int_equal(testdir_make(dir), 0);
	snprintf(target, sizeof target, "%s/keep/inner", dir);
	assert_int_equal(base_fs_mkdirs(target, 0755), 0);
	snprintf(tree, sizeof tree, "%s/tree", dir);
	assert_int_equal(base_fs_mkdirs(tree, 0755), 0);
	snprintf(link, sizeof link, "%s/tree/link", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(base_fs_tree_remove(tree), 0);
	assert_int_equal(access(tree, F_OK), -1);
	assert_true(is_dir(target));
	testdir_remove(dir);
}

static void test_fs_tree_remove_of_missing_path_succeeds(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];

	assert_int_equal(testdir_make(dir), 0);
	snprintf(path, sizeof path, "%s/none", dir);
	assert_int_equal(base_fs_tree_remove(path), 0);
	testdir_remove(dir);
}

static void test_fs_sync_of_file_and_dir(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 16];

	assert_int_equal(testdir_make(dir), 0);
	snprintf(path, sizeof path, "%s/f", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(base_fs_file_sync(path), 0);
	assert_int_equal(base_fs_dir_sync(dir), 0);
	assert_int_equal(base_fs_dir_sync(path), -ENOTDIR);
	snprintf(path, sizeof path, "%s/none", dir);
	assert_int_equal(base_fs_file_sync(path), -ENOENT);
	testdir_remove(dir);
}

/* ---- programs ------------------------------------------------------------------------- */

static void test_path_format_fits_exactly(void **state)
{
	(void)state;
	char buf[8];
	assert_int_equal(base_path_format(buf, sizeof buf, "%s/%s", "abc", "def"), 0);
	assert_string_equal(buf, "abc/def");
}

static void test_path_format_refuses_a_cut_path(void **state)
{
	(void)state;
	char buf[8];
	assert_int_equal(base_path_format(buf, sizeof buf, "%s/%s", "abc", "defg"), -ENAMETOOLONG);
	char big[PATH_MAX];
	char name[PATH_MAX + 1];
	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	assert_int_equal(base_path_format(big, sizeof big, "/%s", name), -ENAMETOOLONG);
}

static void test_name_hidden_is_a_leading_dot_or_underscore(void **state)
{
	(void)state;
	static const char *const hidden[] = {".f.AbC123", ".x.swp", ".hidden.csv", "_tmp.csv",
					     "_SUCCESS", "_temporary", ".", "_"};
	static const char *const data[] = {"part-0.csv", "x.csv", "4913", "a.b", "a_b", "x~",
					   "SUCCESS", "-x", " .x"};
	for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
		assert_true(base_name_hidden(hidden[i]));
	for (size_t i = 0; i < sizeof data / sizeof data[0]; i++)
		assert_false(base_name_hidden(data[i]));
	assert_false(base_name_hidden(""));
	assert_false(base_name_hidden(NULL));
}

static void test_msg_format_that_fits_is_whole(void **state)
{
	(void)state;
	char buf[16];
	assert_int_equal(base_msg_format(buf, sizeof buf, "rule %s", "abc"), 8);
	assert_string_equal(buf, "rule abc");
}

static void test_msg_format_marks_a_cut(void **state)
{
	(void)state;
	char buf[12];
	assert_int_equal(base_msg_format(buf, sizeof buf, "table %s.%s", "sales", "orders"), 11);
	assert_string_equal(buf, "table sa...");
}

static void test_fs_file_replace_swaps_whole_and_leaves_no_temporary(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX + 8], got[16] = "";
	assert_int_equal(testdir_make(dir), 0);
	assert_int_equal(base_path_format(path, sizeof path, "%s/f", dir), 0);
	assert_int_equal(base_fs_file_replace(path, "old", 3, 0600), 0);
	assert_int_equal(base_fs_file_replace(path, "newer", 5, 0600), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof got - 1, f), 5);
	fclose(f);
	assert_string_equal(got, "newer");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Only the file itself is left in the directory. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_fs_file_replace_into_missing_dir_fails_cleanly(void **state)
{
	(void)state;
	assert_int_equal(base_fs_file_replace("/nonexistent-metafs-dir/f", "x", 1, 0644), -ENOENT);
}

/* In a child (the point ends the process): METAFS_CRASH_AT=2 passes the
 * first point, logs both and exits at the second. */
static void test_crash_point_exits_at_the_nth_point_and_logs_them(void **state)
{
	(void)state;
	char dir[PATH_MAX], log[PATH_MAX + 8], text[128] = "";
	assert_int_equal(testdir_make(dir), 0);
	assert_int_equal(base_path_format(log, sizeof log, "%s/log", dir), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("METAFS_CRASH_AT", "2", 1);
		setenv("METAFS_CRASH_LOG", log, 1);
		base_crash_point("first");
		base_crash_point("second");
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), BASE_CRASH_EXIT);
	FILE *f = fopen(log, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_string_equal(text, "1 first\n2 second\n");
	assert_int_equal(base_fs_tree_remove(dir), 0);
}

static void test_prog_sibling_find_finds_this_program(void **state)
{
	(void)state;
	char out[PATH_MAX + 64];
	const char *const rel[] = {"no-such-program", "test_base"};

	assert_int_equal(base_prog_sibling_find(rel, 2, out, sizeof out), 0);
	assert_non_null(strstr(out, "/test_base"));
	assert_int_equal(base_prog_sibling_find(rel, 1, out, sizeof out), -ENOENT);
}

/* ---- dates ---------------------------------------------------------------------------- */

static void test_date_known_days(void **state)
{
	(void)state;
	assert_int_equal(base_date_to_days(1970, 1, 1), 0);
	assert_int_equal(base_date_to_days(1969, 12, 31), -1);
	assert_int_equal(base_date_to_days(2000, 3, 1), 11017);
	assert_int_equal(base_date_to_days(1, 1, 1), -719162);
	assert_true(base_date_leap_year(2000));
	assert_false(base_date_leap_year(1900));
	assert_int_equal(base_date_month_days(2024, 2), 29);
	assert_int_equal(base_date_month_days(2023, 2), 28);
}

/* Every day from 1600-01-01 to 2400-12-31 (leap centuries 1600, 2000, 2400;
 * common ones 1700, 1800, 1900, 2100...) converts to the next day number and
 * back to the date it came from. */
static void test_date_round_trip_over_range(void **state)
{
	(void)state;
	int64_t expect = base_date_to_days(1600, 1, 1);

	assert_true(expect < 0);
	for (int64_t y = 1600; y <= 2400; y++)
		for (unsigned m = 1; m <= 12; m++)
			for (unsigned d = 1; d <= base_date_month_days(y, m); d++) {
				int64_t days = base_date_to_days(y, m, d);
				assert_int_equal(days, expect);
				int64_t yy;
				unsigned mm, dd;
				base_date_from_days(days, &yy, &mm, &dd);
				assert_int_equal(yy, y);
				assert_int_equal(mm, m);
				assert_int_equal(dd, d);
				expect++;
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array_reserve_grows_from_zero),
		cmocka_unit_test(test_array_reserve_keeps_enough_capacity),
		cmocka_unit_test(test_array_reserve_refuses_overflow),
		cmocka_unit_test(test_array_reserve_u32_refuses_capacity_past_32_bits),
		cmocka_unit_test(test_fs_mkdirs_creates_parents),
		cmocka_unit_test(test_fs_mkdirs_of_existing_path_succeeds),
		cmocka_unit_test(test_fs_mkdirs_refuses_a_file_in_the_way),
		cmocka_unit_test(test_fs_tree_remove_removes_nested_dirs),
		cmocka_unit_test(test_fs_tree_remove_leaves_a_link_target),
		cmocka_unit_test(test_fs_tree_remove_of_missing_path_succeeds),
		cmocka_unit_test(test_fs_sync_of_file_and_dir),
		cmocka_unit_test(test_path_format_fits_exactly),
		cmocka_unit_test(test_path_format_refuses_a_cut_path),
		cmocka_unit_test(test_name_hidden_is_a_leading_dot_or_underscore),
		cmocka_unit_test(test_msg_format_that_fits_is_whole),
		cmocka_unit_test(test_msg_format_marks_a_cut),
		cmocka_unit_test(test_fs_file_replace_swaps_whole_and_leaves_no_temporary),
		cmocka_unit_test(test_fs_file_replace_into_missing_dir_fails_cleanly),
		cmocka_unit_test(test_crash_point_exits_at_the_nth_point_and_logs_them),
		cmocka_unit_test(test_prog_sibling_find_finds_this_program),
		cmocka_unit_test(test_date_known_days),
		cmocka_unit_test(test_date_round_trip_over_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
