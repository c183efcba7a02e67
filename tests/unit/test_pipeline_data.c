/*
 * test_pipeline_data.c - from the mount's files to a model's input: the
 * .refresh listing (full and incremental), .table and .schema, CSV per
 * RFC 4180 and JSONL rows, feature extraction (NULLs, empty fields, bad
 * numbers, booleans), labels, partition values from paths.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base_path.h"
#include "fmt_parquet.h"
#include "pipeline.h"
#include "testdir.h"

static char err[PL_ERR_MAX];

/* ---- .refresh ------------------------------------------------------------------------- */

static void test_refresh_full_list_gives_spec_path_and_snapshot(void **state)
{
	const char *t = "dt=2024-05-01 lake/ucaas/calls/dt=2024-05-01 rows=2 bytes=40 etag=0123456789abcdef\n"
			"dt=2024-05-02 lake/ucaas/calls/dt=2024-05-02 rows=3 bytes=50 etag=0123456789abcdee\n"
			"snapshot 42\n";
	pl_refresh r;

	(void)state;
	assert_int_equal(pl_refresh_parse("lake/ucaas/calls", t, strlen(t), false, &r, err, sizeof err), 0);
	assert_int_equal(r.nparts, 2);
	assert_string_equal(r.parts[0].spec, "dt=2024-05-01");
	assert_string_equal(r.parts[0].path, "lake/ucaas/calls/dt=2024-05-01");
	assert_string_equal(r.parts[1].path, "lake/ucaas/calls/dt=2024-05-02");
	assert_int_equal(r.snapshot, 42);
	pl_refresh_free(&r);
}

static void test_refresh_value_with_spaces_and_several_keys(void **state)
{
	const char *t = "city=New York/hour=3 lake/a/b/city=New York/hour=3 rows=1 bytes=1 etag=0000000000000001\n"
			"snapshot 7\n";
	pl_refresh r;

	(void)state;
	assert_int_equal(pl_refresh_parse("lake/a/b", t, strlen(t), false, &r, err, sizeof err), 0);
	assert_int_equal(r.nparts, 1);
	assert_string_equal(r.parts[0].spec, "city=New York/hour=3");
	assert_string_equal(r.parts[0].path, "lake/a/b/city=New York/hour=3");
	pl_refresh_free(&r);
}

static void test_refresh_incremental_reads_added_and_changed_ignores_dropped(void **state)
{
	const char *t = "+ dt=4 lake/a/b/dt=4 rows=2 bytes=9 etag=0000000000000001\n"
			"~ dt=2 lake/a/b/dt=2 rows=1 bytes=9 etag=0000000000000002\n"
			"- dt=3 lake/a/b/dt=3\n"
			"snapshot 99\n";
	pl_refresh r;

	(void)state;
	assert_int_equal(pl_refresh_parse("lake/a/b", t, strlen(t), true, &r, err, sizeof err), 0);
	assert_int_equal(r.nparts, 2);
	assert_string_equal(r.parts[0].spec, "dt=4");
	assert_string_equal(r.parts[1].spec, "dt=2");
	assert_int_equal(r.ndropped, 1);
	assert_int_equal(r.snapshot, 99);
	pl_refresh_free(&r);
}

static void test_refresh_refuses_paths_outside_the_source(void **state)
{
	const char *t1 = "dt=1 warehouse/a/b/dt=1 rows=1 bytes=1 etag=0000000000000001\nsnapshot 1\n";
	const char *t2 = "dt=1 lake/a/b/../../../etc rows=1 bytes=1 etag=0000000000000001\nsnapshot 1\n";
	pl_refresh r;

	(void)state;
	assert_int_equal(pl_refresh_parse("lake/a/b", t1, strlen(t1), false, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(pl_refresh_parse("lake/a/b", t2, strlen(t2), false, &r, err, sizeof err), -EINVAL);
}

static void test_refresh_without_trailer_is_refused(void **state)
{
	const char *t = "dt=1 lake/a/b/dt=1 rows=1 bytes=1 etag=0000000000000001\n";
	pl_refresh r;

	(void)state;
	assert_int_equal(pl_refresh_parse("lake/a/b", t, strlen(t), false, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "trailer"));
}

static void test_refresh_empty_list_is_just_the_trailer(void **state)
{
	pl_refresh r;

	(void)state;
	assert_int_equal(pl_refresh_parse("lake/a/b", "snapshot 5\n", 11, true, &r, err, sizeof err), 0);
	assert_int_equal(r.nparts, 0);
	assert_int_equal(r.snapshot, 5);
	pl_refresh_free(&r);
}

/* ---- tables and rows ------------------------------------------------------------------------- */

static pl_def def;
static pl_table_info info;

static void setup_table(const char *format, const char *header, const char *columns)
{
	char table[256], schema[1024];

	snprintf(table, sizeof table, "platform: lake\nformat: %s\nheader: %s\n", format, header);
	snprintf(schema, sizeof schema, "format %s\n%s", format, columns);
	assert_int_equal(pl_table_info_parse(table, schema, &info, err, sizeof err), 0);
}

static void setup_def(const char *text)
{
	assert_int_equal(pl_def_parse("t.ini", text, strlen(text), &def, err, sizeof err), 0);
}

static const char calls_def[] = "[pipeline]\nsource = lake/ucaas/calls\noperation = train\n"
				"features = jitter, loss, video\nlabel = dropped\n"
				"id_column = id\ngroup_by = region\n";

static void test_table_info_reads_format_header_columns_and_keys(void **state)
{
	(void)state;
	setup_table("jsonl", "false",
		    "column id string\ncolumn jitter double\npartition dt date\npartition hour bigint\n"
		    "property metafs.mirror.rule = r\n");
	assert_int_equal(info.format, PL_DATA_JSONL);
	assert_false(info.header);
	assert_int_equal(info.ncolumns, 2);
	assert_string_equal(info.columns[1].name, "jitter");
	assert_string_equal(info.columns[1].type, "double");
	assert_int_equal(info.nkeys, 2);
	assert_string_equal(info.keys[1].name, "hour");
	pl_table_info_free(&info);
}

/* The pipeline reads the files a partition directory lists and skips hidden
 * names by the rule jobs and the mount use (base_name_hidden): .f.XXXXXX,
 * .hidden.csv, _tmp.csv and _SUCCESS never give rows. */
static void test_dataset_load_skips_hidden_files(void **state)
{
	char root[PATH_MAX], dir[PATH_MAX], file[PATH_MAX];
	static const char *const names[] = {"a.csv", "b.csv", ".f.AbC123", ".hidden.csv",
					    "_tmp.csv", "_SUCCESS"};
	pl_refresh r = {0};
	pl_part part = {.spec = "dt=2024-05-01", .path = "lake/ucaas/calls/dt=2024-05-01"};
	pl_dataset ds;
	size_t data = 0;

	(void)state;
	setup_def(calls_def);
	setup_table("csv", "false",
		    "column id string\ncolumn region string\ncolumn loss double\ncolumn jitter double\n"
		    "column video boolean\ncolumn dropped boolean\npartition dt date\n");
	assert_int_equal(testdir_make(root), 0);
	assert_int_equal(base_path_format(dir, sizeof dir, "%s/%s", root, part.path), 0);
	assert_int_equal(base_fs_mkdirs(dir, 0700), 0);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		FILE *f;

		assert_int_equal(base_path_format(file, sizeof file, "%s/%s", dir, names[i]), 0);
		assert_non_null(f = fopen(file, "w"));
		fputs("x,eu,1,2,true,1\n", f);
		fclose(f);
		data += !base_name_hidden(names[i]);
	}
	r.parts = &part;
	r.nparts = 1;
	pl_dataset_init(&ds, def.nfeatures);
	assert_int_equal(pl_dataset_load(root, &def, &info, &r, true, &ds, err, sizeof err), 0);
	assert_int_equal(data, 2);
	assert_int_equal(ds.nrows, data);
	pl_dataset_free(&ds);
	pl_table_info_free(&info);
	assert_int_equal(testdir_remove(root), 0);
}

static void test_csv_features_nulls_empty_bad_numbers_and_booleans(void **state)
{
	/* header maps names (the file's order differs from the features' order) */
	const char *csv = "id,region,loss,jitter,video,dropped\n"
			  "a,eu,1.5,20,true,1\n"
			  "b,us,,abc,FALSE,0\n"
			  "c,eu,0x10,\"\",1,false\n"
			  "d,eu,inf,1e3,maybe,true\n";
	pl_dataset ds;

	(void)state;
	setup_def(calls_def);
	setup_table("csv", "true",
		    "column id string\ncolumn region string\ncolumn loss double\ncolumn jitter double\n"
		    "column video boolean\ncolumn dropped boolean\n");
	pl_dataset_init(&ds, def.nfeatures);
	assert_int_equal(pl_dataset_add_text(&ds, &def, &info, "f.csv", csv, strlen(csv), NULL, 0, true,
					     err, sizeof err),
			 0);
	assert_int_equal(ds.nrows, 4);
	/* row a: jitter 20, loss 1.5, video true */
	assert_true(ds.x[0] == 20.0f && ds.x[1] == 1.5f && ds.x[2] == 1.0f);
	assert_true(ds.y[0] == 1.0f);
	assert_string_equal(ds.ids[0], "a");
	assert_string_equal(ds.groups[0], "eu");
	/* row b: a bad number is NaN, an empty field is NaN, FALSE is 0 */
	assert_true(isnan(ds.x[3]) && isnan(ds.x[4]) && ds.x[5] == 0.0f);
	assert_true(ds.y[1] == 0.0f);
	/* row c: hexadecimal is not a number, "" is not, 1 is 1; label false is 0 */
	assert_true(isnan(ds.x[6]) && isnan(ds.x[7]) && ds.x[8] == 1.0f);
	assert_true(ds.y[2] == 0.0f);
	/* row d: 1e3 parses, inf does not, a word is missing */
	assert_true(ds.x[9] == 1000.0f && isnan(ds.x[10]) && isnan(ds.x[11]));
	pl_dataset_free(&ds);
	pl_table_info_free(&info);
}

/* A Parquet file's rows give the dataset the same rows as CSV text give:
 * columns found by name (the file's order, case aside), a missing column is
 * NULL, NULLs are NaN, booleans 1/0, numbers' ids their CSV text, several
 * row groups. */
static void test_parquet_rows_select_columns_by_name_like_csv(void **state)
{
	const store_column cols[] = {
		{"dropped", STORE_TYPE_BOOLEAN}, {"Region", STORE_TYPE_STRING},
		{"id", STORE_TYPE_DOUBLE},       {"jitter", STORE_TYPE_BIGINT},
		{"loss", store_type_decimal(9, 2)},
	};
	/* the same rows as CSV (video is in neither file: NULL) */
	const char *csv = "dropped,Region,id,jitter,loss\n"
			  "true,eu,0.1,20,1.50\n"
			  "false,,2.0,,-0.25\n"
			  ",us,,7,\n"
			  "true,eu,1.0E7,-3,0.00\n";
	const char *def_text = "[pipeline]\nsource = lake/ucaas/calls\noperation = train\n"
			       "features = jitter, loss, video\nlabel = dropped\n"
			       "id_column = id\ngroup_by = region\n";
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	fmt_parquet_writer *w = NULL;
	fmt_vector v[5];
	fmt_error fe;
	pl_dataset pq, cs;
	char *bytes;
	size_t len;
	FILE *f = tmpfile();

	(void)state;
	for (unsigned c = 0; c < 5; c++)
		fmt_vector_init(&v[c], cols[c].type);
	assert_int_equal(fmt_vector_push_bool(&v[0], true), 0);
	assert_int_equal(fmt_vector_push_bool(&v[0], false), 0);
	assert_int_equal(fmt_vector_push_null(&v[0]), 0);
	assert_int_equal(fmt_vector_push_bool(&v[0], true), 0);
	assert_int_equal(fmt_vector_push_str(&v[1], "eu", 2), 0);
	assert_int_equal(fmt_vector_push_null(&v[1]), 0);
	assert_int_equal(fmt_vector_push_str(&v[1], "us", 2), 0);
	assert_int_equal(fmt_vector_push_str(&v[1], "eu", 2), 0);
	assert_int_equal(fmt_vector_push_f64(&v[2], 0.1), 0);
	assert_int_equal(fmt_vector_push_f64(&v[2], 2.0), 0);
	assert_int_equal(fmt_vector_push_null(&v[2]), 0);
	assert_int_equal(fmt_vector_push_f64(&v[2], 1e7), 0);
	assert_int_equal(fmt_vector_push_i64(&v[3], 20), 0);
	assert_int_equal(fmt_vector_push_null(&v[3]), 0);
	assert_int_equal(fmt_vector_push_i64(&v[3], 7), 0);
	assert_int_equal(fmt_vector_push_i64(&v[3], -3), 0);
	assert_int_equal(fmt_vector_push_dec(&v[4], 150), 0);
	assert_int_equal(fmt_vector_push_dec(&v[4], -25), 0);
	assert_int_equal(fmt_vector_push_null(&v[4]), 0);
	assert_int_equal(fmt_vector_push_dec(&v[4], 0), 0);
	o.row_group_rows = 3;
	assert_non_null(f);
	assert_int_equal(fmt_parquet_writer_open(fileno(f), "f.parquet", cols, 5, &o, &w, &fe), 0);
	assert_int_equal(fmt_parquet_writer_append(w, v, &fe), 0);
	assert_int_equal(fmt_parquet_writer_close(w, NULL, NULL, &fe), 0);
	for (unsigned c = 0; c < 5; c++)
		fmt_vector_free(&v[c]);
	len = (size_t)ftell(f);
	rewind(f);
	bytes = malloc(len);
	assert_non_null(bytes);
	assert_int_equal(fread(bytes, 1, len, f), len);
	fclose(f);

	setup_def(def_text);
	setup_table("parquet", "false",
		    "column dropped boolean\ncolumn Region string\ncolumn id double\n"
		    "column jitter bigint\ncolumn loss decimal(9,2)\n");
	assert_int_equal(info.format, PL_DATA_PARQUET);
	pl_dataset_init(&pq, def.nfeatures);
	assert_int_equal(pl_dataset_add_text(&pq, &def, &info, "f.parquet", bytes, len, NULL, 0, false,
					     err, sizeof err), 0);
	pl_table_info_free(&info);
	setup_table("csv", "true",
		    "column dropped boolean\ncolumn Region string\ncolumn id double\n"
		    "column jitter bigint\ncolumn loss decimal(9,2)\n");
	pl_dataset_init(&cs, def.nfeatures);
	assert_int_equal(pl_dataset_add_text(&cs, &def, &info, "f.csv", csv, strlen(csv), NULL, 0, false,
					     err, sizeof err), 0);
	assert_int_equal(pq.nrows, 4);
	/* row 0: jitter 20, loss 1.5, video missing; label true; id "0.1" */
	assert_true(pq.x[0] == 20.0f && pq.x[1] == 1.5f && isnan(pq.x[2]));
	assert_true(pq.y[0] == 1.0f);
	assert_string_equal(pq.ids[0], "0.1");
	assert_string_equal(pq.ids[3], "1.0E7");
	assert_null(pq.ids[2]);
	assert_true(isnan(pq.y[2]));
	assert_true(isnan(pq.x[3]) && pq.x[4] == -0.25f);
	/* Region is found for group_by = region when no exact name matches. */
	assert_string_equal(pq.groups[0], "eu");
	assert_null(pq.groups[1]);
	assert_int_equal(cs.nrows, pq.nrows);
	for (size_t r = 0; r < pq.nrows; r++) {
		for (unsigned k = 0; k < def.nfeatures; k++) {
			float a = pq.x[r * def.nfeatures + k], b = cs.x[r * def.nfeatures + k];
			assert_true((isnan(a) && isnan(b)) || a == b);
		}
		assert_true((isnan(pq.y[r]) && isnan(cs.y[r])) || pq.y[r] == cs.y[r]);
		assert_true((pq.ids[r] == NULL) == (cs.ids[r] == NULL));
		if (pq.ids[r])
			assert_string_equal(pq.ids[r], cs.ids[r]);
	}
	/* Bytes that are not Parquet are malformed data. */
	assert_int_equal(pl_dataset_add_text(&pq, &def, &info, "bad.parquet", "PAR1xxxx", 8, NULL, 0,
					     false, err, sizeof err), 0);   /* info is csv now */
	pl_table_info_free(&info);
	setup_table("parquet", "false", "column id double\n");
	assert_int_equal(pl_dataset_add_text(&pq, &def, &info, "bad.parquet", "PAR1xxxx", 8, NULL, 0,
					     false, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "bad.parquet"));
	pl_dataset_free(&pq);
	pl_dataset_free(&cs);
	pl_table_info_free(&info);
	free(bytes);
}

static void test_csv_quoted_fields_with_commas_quotes_and_newlines(void **state)
{
	const char *csv = "\"x,1\",eu,1,2,3,1\r\n"
			  "\"multi\nline \"\"id\"\"\",\"us\",4,5,6,0\n"
			  "\n"
			  "last,eu,7,8,9,1";   /* no final newline */
	pl_dataset ds;

	(void)state;
	setup_def(calls_def);
	setup_table("csv", "false",
		    "column id string\ncolumn region string\ncolumn loss double\ncolumn jitter double\n"
		    "column video double\ncolumn dropped bigint\n");
	pl_dataset_init(&ds, def.nfeatures);
	assert_int_equal(pl_dataset_add_text(&ds, &def, &info, "f.csv", csv, strlen(csv), NULL, 0, true,
					     err, sizeof err),
			 0);
	assert_int_equal(ds.nrows, 3);
	assert_string_equal(ds.ids[0], "x,1");
	assert_true(ds.y[0] == 1.0f);   /* the CR of CRLF is not part of the field */
	assert_string_equal(ds.ids[1], "multi\nline \"id\"");
	assert_string_equal(ds.groups[1], "us");
	assert_true(ds.x[3] == 5.0f && ds.x[4] == 4.0f && ds.x[5] == 6.0f);
	assert_string_equal(ds.ids[2], "last");
	assert_true(ds.y[2] == 1.0f);
	pl_dataset_free(&ds);
	pl_table_info_free(&info);
}

/* Load CSV (a file dt=1/f.csv of the calls table without header) into a
 * dataset of calls_def; its return code, ERR filled on failure. */
static int load_calls_csv(const char *csv)
{
	pl_dataset ds;
	int rc;

	setup_def(calls_def);
	setup_table("csv", "false",
		    "column id string\ncolumn region string\ncolumn loss double\ncolumn jitter double\n"
		    "column video double\ncolumn dropped bigint\n");
	pl_dataset_init(&ds, def.nfeatures);
	rc = pl_dataset_add_text(&ds, &def, &info, "dt=1/f.csv", csv, strlen(csv), NULL, 0, true, err,
				 sizeof err);
	pl_dataset_free(&ds);
	pl_table_info_free(&info);
	return rc;
}

static void test_csv_unclosed_quote_is_an_error_naming_the_file(void **state)
{
	(void)state;
	assert_int_equal(load_calls_csv("a,eu,1,2,3,1\n\"b,eu,1,2,3,1\n"), -EINVAL);
	assert_non_null(strstr(err, "dt=1/f.csv: record 2"));
}

/* A quoted empty field is text of length 0, not NULL, even when no earlier field
 * in the file had any bytes: its pointer must be a real one, so that copying it
 * (memcpy of 0 bytes) is defined. */
static int collect_texts(void *ctx, const pl_value *vals, unsigned n)
{
	char **out = ctx;

	for (unsigned i = 0; i < n; i++) {
		if (vals[i].kind != PL_V_TEXT)
			continue;
		assert_non_null(vals[i].text);
		for (unsigned k = 0; k < 4; k++)
			if (out[k] == NULL) {
				out[k] = pl_value_to_text(&vals[i]);
				break;
			}
	}
	return 0;
}

static void test_csv_empty_quoted_field_after_empty_fields_is_empty_text(void **state)
{
	const char csv[] = ",\n\"\"";
	pl_wanted wanted[] = {{.name = "id", .key = -1}, {.name = "region", .key = -1}};
	char *texts[4] = {0};

	(void)state;
	setup_table("csv", "false", "column id string\ncolumn region string\n");
	assert_int_equal(pl_read_rows(&info, "f.csv", csv, strlen(csv), wanted, 2, NULL, collect_texts,
				      texts, err, sizeof err),
			 0);
	assert_non_null(texts[0]);
	assert_string_equal(texts[0], "");
	assert_null(texts[1]);
	free(texts[0]);
	pl_table_info_free(&info);
}

/* Records are format/'s (fmt_csv.h): text after a closing quote makes a
 * malformed record, an error naming the file and the record; blank lines are
 * not records, so a header after one is still the header. */
static void test_csv_records_are_the_splitters(void **state)
{
	const char *bad = "a,eu,1,2,3,1\n\"b\"x,eu,1,2,3,1\n";
	const char *blank_first = "\r\n\nregion,id\neu,\"a\"\"b\"\n";
	pl_wanted wanted[] = {{.name = "id", .key = -1}, {.name = "region", .key = -1}};
	char *texts[4] = {0};

	(void)state;
	assert_int_equal(load_calls_csv(bad), -EINVAL);
	assert_string_equal(err, "dt=1/f.csv: record 2: unexpected text after a closing quote");

	setup_table("csv", "true", "column id string\ncolumn region string\n");
	assert_int_equal(pl_read_rows(&info, "f.csv", blank_first, strlen(blank_first), wanted, 2,
				      NULL, collect_texts, texts, err, sizeof err),
			 0);
	assert_string_equal(texts[0], "a\"b");
	assert_string_equal(texts[1], "eu");
	assert_null(texts[2]);
	free(texts[0]);
	free(texts[1]);
	pl_table_info_free(&info);
}

static void test_rows_without_a_label_are_skipped_and_counted_in_training(void **state)
{
	const char *csv = "a,eu,1,2,3,1\nb,eu,1,2,3,\nc,eu,1,2,3,unknown\nd,eu,1,2,3,0\n";
	pl_dataset ds;

	(void)state;
	setup_def(calls_def);
	setup_table("csv", "false",
		    "column id string\ncolumn region string\ncolumn loss double\ncolumn jitter double\n"
		    "column video double\ncolumn dropped bigint\n");
	pl_dataset_init(&ds, def.nfeatures);
	assert_int_equal(pl_dataset_add_text(&ds, &def, &info, "f.csv", csv, strlen(csv), NULL, 0, true,
					     err, sizeof err),
			 0);
	assert_int_equal(ds.nrows, 2);
	assert_int_equal(ds.skipped, 2);
	assert_string_equal(ds.ids[1], "d");
	pl_dataset_free(&ds);
	/* predict keeps every row, label or not */
	pl_dataset_init(&ds, def.nfeatures);
	assert_int_equal(pl_dataset_add_text(&ds, &def, &info, "f.csv", csv, strlen(csv), NULL, 0, false,
					     err, sizeof err),
			 0);
	assert_int_equal(ds.nrows, 4);
	assert_int_equal(ds.skipped, 0);
	pl_dataset_free(&ds);
	pl_table_info_free(&info);
}

static void test_jsonl_features_nulls_missing_keys_booleans_and_strings(void **state)
{
	const char *jsonl = "{\"id\": 17, \"region\": \"eu\", \"jitter\": 20.5, \"loss\": 2, \"video\": true, \"dropped\": true}\n"
			    "\n"
			    "{\"id\": \"m2\", \"region\": null, \"jitter\": null, \"video\": false, \"dropped\": 0}\n"
			    "{\"id\": \"m3\", \"jitter\": \"3.5\", \"loss\": \"n/a\", \"video\": [1], \"dropped\": false}\n";
	pl_dataset ds;

	(void)state;
	setup_def(calls_def);
	setup_table("jsonl", "false",
		    "column id string\ncolumn region string\ncolumn loss double\ncolumn jitter double\n"
		    "column video boolean\ncolumn dropped boolean\n");
	pl_dataset_init(&ds, def.nfeatures);
	assert_int_equal(pl_dataset_add_text(&ds, &def, &info, "f.jsonl", jsonl, strlen(jsonl), NULL, 0,
					     true, err, sizeof err),
			 0);
	assert_int_equal(ds.nrows, 3);
	assert_true(ds.x[0] == 20.5f && ds.x[1] == 2.0f && ds.x[2] == 1.0f);
	assert_true(ds.y[0] == 1.0f);
	assert_string_equal(ds.ids[0], "17");
	assert_string_equal(ds.groups[0], "eu");
	/* null and a missing key are missing values; false is 0 */
	assert_true(isnan(ds.x[3]) && isnan(ds.x[4]) && ds.x[5] == 0.0f);
	assert_null(ds.groups[1]);
	/* numeric text parses; other text and arrays are missing */
	assert_true(ds.x[6] == 3.5f && isnan(ds.x[7]) && isnan(ds.x[8]));
	assert_null(ds.groups[2]);
	pl_dataset_free(&ds);
	pl_table_info_free(&info);
}

static void test_jsonl_bad_line_is_an_error_naming_file_and_line(void **state)
{
	const char *jsonl = "{\"id\": 1}\n{\"id\": 2\n";
	pl_dataset ds;

	(void)state;
	setup_def(calls_def);
	setup_table("jsonl", "false",
		    "column id string\ncolumn region string\ncolumn loss double\ncolumn jitter double\n"
		    "column video boolean\ncolumn dropped boolean\n");
	pl_dataset_init(&ds, def.nfeatures);
	assert_int_equal(pl_dataset_add_text(&ds, &def, &info, "f.jsonl", jsonl, strlen(jsonl), NULL, 0,
					     true, err, sizeof err),
			 -EINVAL);
	assert_non_null(strstr(err, "f.jsonl: line 2"));
	pl_dataset_free(&ds);
	pl_table_info_free(&info);
}

static void test_partition_keys_feed_features_and_groups(void **state)
{
	const char *csv = "a,1,2,3,1\n";
	char *keyvals[1] = {"eu/west"};
	pl_dataset ds;

	(void)state;
	setup_def(calls_def);
	setup_table("csv", "false",
		    "column id string\ncolumn loss double\ncolumn jitter double\n"
		    "column video double\ncolumn dropped bigint\npartition region string\n");
	pl_dataset_init(&ds, def.nfeatures);
	assert_int_equal(pl_dataset_add_text(&ds, &def, &info, "f.csv", csv, strlen(csv), keyvals, 3,
					     true, err, sizeof err),
			 0);
	assert_int_equal(ds.nrows, 1);
	assert_string_equal(ds.groups[0], "eu/west");
	assert_int_equal(ds.part[0], 3);
	pl_dataset_free(&ds);
	pl_table_info_free(&info);
}

static void test_hive_unescape(void **state)
{
	char a[] = "10%3A00%2Fx", b[] = "a%2fb c", c[] = "bad%G1", d[] = "nul%00", e[] = "end%2";

	(void)state;
	assert_int_equal(pl_hive_unescape(a), 0);
	assert_string_equal(a, "10:00/x");
	assert_int_equal(pl_hive_unescape(b), 0);
	assert_string_equal(b, "a/b c");
	assert_int_equal(pl_hive_unescape(c), -EINVAL);
	assert_int_equal(pl_hive_unescape(d), -EINVAL);
	assert_int_equal(pl_hive_unescape(e), -EINVAL);
}

static void test_value_to_float(void **state)
{
	pl_value v = {.kind = PL_V_TEXT};

	(void)state;
	v.text = " 42 ";
	v.len = 4;
	assert_true(pl_value_to_float(&v) == 42.0f);
	v.text = "-1.5e1";
	v.len = 6;
	assert_true(pl_value_to_float(&v) == -15.0f);
	v.text = "nan";
	v.len = 3;
	assert_true(isnan(pl_value_to_float(&v)));
	v.text = "True";
	v.len = 4;
	assert_true(pl_value_to_float(&v) == 1.0f);
	v.text = "1.2.3";
	v.len = 5;
	assert_true(isnan(pl_value_to_float(&v)));
	v.kind = PL_V_NULL;
	assert_true(isnan(pl_value_to_float(&v)));
	v.kind = PL_V_NUMBER;
	v.number = 1e300;   /* not a float: missing, not inf */
	assert_true(isnan(pl_value_to_float(&v)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh_full_list_gives_spec_path_and_snapshot),
		cmocka_unit_test(test_refresh_value_with_spaces_and_several_keys),
		cmocka_unit_test(test_refresh_incremental_reads_added_and_changed_ignores_dropped),
		cmocka_unit_test(test_refresh_refuses_paths_outside_the_source),
		cmocka_unit_test(test_refresh_without_trailer_is_refused),
		cmocka_unit_test(test_refresh_empty_list_is_just_the_trailer),
		cmocka_unit_test(test_table_info_reads_format_header_columns_and_keys),
		cmocka_unit_test(test_parquet_rows_select_columns_by_name_like_csv),
		cmocka_unit_test(test_dataset_load_skips_hidden_files),
		cmocka_unit_test(test_csv_features_nulls_empty_bad_numbers_and_booleans),
		cmocka_unit_test(test_csv_quoted_fields_with_commas_quotes_and_newlines),
		cmocka_unit_test(test_csv_unclosed_quote_is_an_error_naming_the_file),
		cmocka_unit_test(test_csv_records_are_the_splitters),
		cmocka_unit_test(test_csv_empty_quoted_field_after_empty_fields_is_empty_text),
		cmocka_unit_test(test_rows_without_a_label_are_skipped_and_counted_in_training),
		cmocka_unit_test(test_jsonl_features_nulls_missing_keys_booleans_and_strings),
		cmocka_unit_test(test_jsonl_bad_line_is_an_error_naming_file_and_line),
		cmocka_unit_test(test_partition_keys_feed_features_and_groups),
		cmocka_unit_test(test_hive_unescape),
		cmocka_unit_test(test_value_to_float),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
