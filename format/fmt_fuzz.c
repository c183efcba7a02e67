/*
 * fmt_fuzz.c - the fuzz target of the Parquet reader: the footer parser, the
 * page header parser, the page decoders and the codecs, on arbitrary bytes.
 *
 * Built only with meson's fuzz option.  With clang it is a libFuzzer target
 * (-fsanitize=fuzzer,address,undefined over format/'s sources):
 *     CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false
 *     ninja -C build-fuzz format/fmt_parquet_fuzz
 *     mkdir -p corpus && cp tests/unit/parquet/duckdb_*.parquet corpus/
 *     build-fuzz/format/fmt_parquet_fuzz -max_len=65536 corpus
 * With another compiler (or to replay a crash) it is a small main that runs
 * the same function on each file named on its command line:
 *     fmt_parquet_fuzz crash-1234...
 * Every input must end in 0 (an error is a fine outcome); a crash, a
 * sanitizer report, a leak or a timeout is a bug.
 */
#include "fmt_parquet_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fmt_parquet *p;
	fmt_error err;
	/* the page header parser alone, from the first byte */
	pq_page_header h;
	size_t used;
	char msg[256];
	(void)pq_page_header_decode(data, size, &h, &used, msg, sizeof msg);
	if (fmt_parquet_open_mem(data, size, "fuzz.parquet", &p, &err) != 0)
		return 0;
	for (size_t g = 0; g < fmt_parquet_nrowgroups(p); g++) {
		const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(p, g);
		for (size_t c = 0; c < fmt_parquet_ncolumns(p); c++) {
			const fmt_parquet_column *col = fmt_parquet_column_at(p, c);
			if (col->type == 0)
				continue;
			fmt_vector v;
			fmt_vector_init(&v, col->type);
			const fmt_parquet_stats *st = &rg->chunks[c].stats;
			if (st->has_min)
				(void)fmt_parquet_stat_decode(col, st->min, st->min_len, &v);
			if (st->has_max)
				(void)fmt_parquet_stat_decode(col, st->max, st->max_len, &v);
			/* a page at a time, as the engine reads (read_column is the same loop) */
			fmt_parquet_pages *pg;
			if (fmt_parquet_pages_open(p, g, c, &pg, &err) == 0) {
				size_t n;
				do
					fmt_vector_clear(&v);
				while (fmt_parquet_pages_next(pg, &v, &n, &err) == 0 && n > 0);
				fmt_parquet_pages_close(pg);
			}
			fmt_vector_free(&v);
		}
	}
	fmt_parquet_close(p);
	return 0;
}

#ifndef FMT_FUZZ_LIBFUZZER
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0;
		for (;;) {
			if (len == cap) {
				cap = cap ? cap * 2 : 65536;
				uint8_t *nb = realloc(buf, cap);
				if (!nb) {
					fclose(f);
					free(buf);
					return 1;
				}
				buf = nb;
			}
			size_t n = fread(buf + len, 1, cap - len, f);
			if (n == 0)
				break;
			len += n;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		printf("%s: done\n", argv[i]);
	}
	return 0;
}
#endif
