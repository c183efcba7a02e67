/*
 * fmt_parquet_sample.c - write, with metafs's Parquet writer, the table that
 * tests/unit/parquet/duckdb_fixtures.js has DuckDB compute, so that DuckDB
 * can check it reads what metafs wrote:
 *     fmt_parquet_sample FILE [uncompressed|snappy|gzip|zstd] [v2]
 * Row groups of 50 rows, small pages, NULLs in several columns, dictionary
 * and plain string columns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base_date.h"
#include "fmt_parquet.h"

#define NROWS 120

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fmt_parquet_sample FILE [uncompressed|snappy|gzip|zstd] [v2]\n");
		return 2;
	}
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.row_group_rows = 50;
	o.page_bytes = 256;
	if (argc > 2) {
		static const char *names[] = {"uncompressed", "snappy", "gzip", NULL, NULL, NULL, "zstd"};
		int k = -1;
		for (int i = 0; i < 7; i++)
			if (names[i] && strcmp(argv[2], names[i]) == 0)
				k = i;
		if (k < 0) {
			fprintf(stderr, "fmt_parquet_sample: unknown codec %s\n", argv[2]);
			return 2;
		}
		o.codec = (fmt_pq_codec)k;
	}
	o.data_page_v2 = argc > 3 && strcmp(argv[3], "v2") == 0;
	const store_column cols[] = {
		{"id", STORE_TYPE_BIGINT},
		{"d", STORE_TYPE_DOUBLE},
		{"s", STORE_TYPE_STRING},
		{"b", STORE_TYPE_BOOLEAN},
		{"dt", STORE_TYPE_DATE},
		{"ts", STORE_TYPE_TIMESTAMP},
		{"dec9", store_type_decimal(9, 2)},
		{"dec18", store_type_decimal(18, 3)},
		{"dec38", store_type_decimal(38, 4)},
		{"i32", STORE_TYPE_BIGINT},
		{"u", STORE_TYPE_STRING},
	};
	enum { N = sizeof cols / sizeof *cols };
	fmt_vector v[N];
	for (int c = 0; c < N; c++)
		fmt_vector_init(&v[c], cols[c].type);
	int64_t day0 = base_date_to_days(2024, 1, 1);
	int rc = 0;
	for (int64_t i = 0; i < NROWS; i++) {
		char buf[32];
		rc |= fmt_vector_push_i64(&v[0], i);
		rc |= i % 5 == 0 ? fmt_vector_push_null(&v[1]) : fmt_vector_push_f64(&v[1], (double)i * 1.5);
		snprintf(buf, sizeof buf, "name%lld", (long long)(i % 13));
		rc |= i % 7 == 0 ? fmt_vector_push_null(&v[2]) : fmt_vector_push_str(&v[2], buf, strlen(buf));
		rc |= fmt_vector_push_bool(&v[3], i % 2 == 0);
		rc |= fmt_vector_push_i64(&v[4], day0 + i);
		rc |= i % 11 == 0 ? fmt_vector_push_null(&v[5])
				  : fmt_vector_push_i64(&v[5], day0 * INT64_C(86400000000) + i * 1000000);
		rc |= fmt_vector_push_dec(&v[6], (fmt_int128)i * 325);
		rc |= fmt_vector_push_dec(&v[7], (fmt_int128)i * 1000125);
		rc |= i % 3 == 0 ? fmt_vector_push_null(&v[8]) : fmt_vector_push_dec(&v[8], (fmt_int128)i * 123456789015000);
		rc |= fmt_vector_push_i64(&v[9], i - 500);
		snprintf(buf, sizeof buf, "user-%lld", (long long)(i * 7919));
		rc |= fmt_vector_push_str(&v[10], buf, strlen(buf));
	}
	if (rc) {
		fprintf(stderr, "fmt_parquet_sample: out of memory\n");
		return 1;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(stderr, "fmt_parquet_sample: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fmt_parquet_writer *w;
	fmt_error err;
	if (fmt_parquet_writer_open(fd, argv[1], cols, N, &o, &w, &err) ||
	    fmt_parquet_writer_append(w, v, &err) || fmt_parquet_writer_close(w, NULL, NULL, &err)) {
		fprintf(stderr, "fmt_parquet_sample: %s\n", err.msg);
		return 1;
	}
	for (int c = 0; c < N; c++)
		fmt_vector_free(&v[c]);
	return close(fd) == 0 ? 0 : 1;
}
