/*
 * store_layout.c - the data store's side of a platform: where the files of
 * a table or partition live (Hive layout, DATASTORE/db/table/key=value/...),
 * and what a data file holds (records, bytes, checksum).  Every layer that
 * writes or reads data files uses these, so the layout is defined once.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int store_file_scan(int fd, store_format format, bool header, uint64_t *rows, uint64_t *bytes,
		    uint8_t checksum[16])
{
	enum { CHUNK = 1 << 20 };
	char *buf = malloc(CHUNK);
	XXH3_state_t *st = XXH3_createState();
	int rc = 0;
	if (!buf || !st) {
		rc = -ENOMEM;
		goto out;
	}
	XXH3_128bits_reset(st);
	uint64_t records = 0, total = 0;
	bool in_quotes = false, line_has_data = false;
	for (off_t off = 0;;) {
		ssize_t n = pread(fd, buf, CHUNK, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		XXH3_128bits_update(st, buf, (size_t)n);
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];
			if (format == STORE_FORMAT_CSV) {
				if (c == '"')
					in_quotes = !in_quotes;
				if (c == '\n' && !in_quotes) {
					if (line_has_data)
						records++;
					line_has_data = false;
				} else if (c != '\r') {
					line_has_data = true;
				}
			} else {
				if (c == '\n') {
					if (line_has_data)
						records++;
					line_has_data = false;
				} else if (c != ' ' && c != '\t' && c != '\r') {
					line_has_data = true;
				}
			}
		}
		off += n;
		total += (uint64_t)n;
	}
	if (line_has_data)
		records++;
	if (format == STORE_FORMAT_CSV && header && records > 0)
		records--;
	XXH128_hash_t h = XXH3_128bits_digest(st);
	XXH128_canonical_t canon;
	XXH128_canonicalFromHash(&canon, h);
	memcpy(checksum, canon.digest, 16);
	*rows = records;
	*bytes = total;
out:
	free(buf);
	XXH3_freeState(st);
	return rc;
}
