/*
 * store_layout.c - the data store's side of a platform: where the files of
 * a table or partition live (Hive layout, DATASTORE/db/table/key=value/...).
 * Every layer that writes or reads data files uses this, so the layout is
 * defined once.  What a data file holds is format/'s (fmt_scan.h).
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>

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
