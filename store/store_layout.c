/*
 * store_layout.c - the data store's side of a platform: where the files of
 * a table or partition live (Hive layout, DATASTORE/db/table/key=value/...),
 * and what a data file holds (records, bytes, checksum).  Every layer that
 * writes or reads data files uses these, so the layout is defined once.
 */
#include "store.h"
#include "store_csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

int store_data_path(store_txn *txn, const char *data_dir, const store_table *t,
		    uint64_t container_id, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s/%s", data_dir, t->db, t->name);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	size_t len = (size_t)n;
	if (container_id != t->id) {
		char values[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
		uint32_t nv = 0;
		int rc = store_pnode_values(txn, container_id, values, STORE_MAX_PARTKEYS, &nv);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < nv && i < t->npartkeys; i++) {
			char esc[3 * STORE_NAME_MAX + 1];
			rc = store_hive_escape(values[i], esc, sizeof esc);
			if (rc)
				return rc;
			n = snprintf(out + len, cap - len, "/%s=%s", t->columns[t->ncolumns + i].name, esc);
			if (n < 0 || (size_t)n >= cap - len)
				return -ENAMETOOLONG;
			len += (size_t)n;
		}
	}
	if (name) {
		n = snprintf(out + len, cap - len, "/%s", name);
		if (n < 0 || (size_t)n >= cap - len)
			return -ENAMETOOLONG;
	}
	return 0;
}

/* Records of a data file's bytes (csv: what store_csv_next() splits, a
 * malformed record counting as one; jsonl: non-blank lines). */
static uint64_t store_file_records(const char *d, size_t n, store_format format)
{
	uint64_t records = 0;

	if (format == STORE_FORMAT_CSV) {
		store_csv c;
		uint32_t nf;
		uint64_t line;
		store_csv_init(&c, d, n, NULL, 0);
		while (store_csv_next(&c, &nf, &line) != 1)
			records++;
		return records;
	}
	bool line_has_data = false;
	for (size_t i = 0; i < n; i++) {
		char ch = d[i];
		if (ch == '\n') {
			if (line_has_data)
				records++;
			line_has_data = false;
		} else if (ch != ' ' && ch != '\t' && ch != '\r') {
			line_has_data = true;
		}
	}
	return records + (line_has_data ? 1 : 0);
}

int store_file_scan(int fd, store_format format, bool header, uint64_t *rows, uint64_t *bytes,
		    uint8_t checksum[16])
{
	struct stat st;
	const char *d = NULL;
	size_t n;

	if (fstat(fd, &st))
		return -errno;
	n = (size_t)st.st_size;
	if (n) {
		void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			return -errno;
		madvise(m, n, MADV_SEQUENTIAL);
		d = m;
	}
	uint64_t records = store_file_records(d, n, format);
	if (format == STORE_FORMAT_CSV && header && records > 0)
		records--;
	XXH128_hash_t h = XXH3_128bits(d ? d : "", n);
	XXH128_canonical_t canon;
	XXH128_canonicalFromHash(&canon, h);
	memcpy(checksum, canon.digest, 16);
	*rows = records;
	*bytes = n;
	if (d)
		munmap((void *)d, n);
	return 0;
}
