/*
 * mgr_part_filter.c - the Hive Metastore's partition filter for hms/,
 * which sees manager/ and store/ only: a thin wrapper over sql/'s
 * sql_hive_filter, so a filter passes exactly the partitions a job's
 * partition pruning would read for the same condition.
 */
#include "manager.h"
#include "sql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mgr_part_filter {
	sql_hive_filter *f;
	uint32_t nkeys;
};

int mgr_part_filter_parse(const store_table *t, const char *text, mgr_part_filter **out, char *err,
			  size_t errlen)
{
	mgr_part_filter *pf;
	sql_error e = { 0 };
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	pf = calloc(1, sizeof *pf);
	if (pf == NULL)
		return -ENOMEM;
	rc = sql_hive_filter_parse(t, text ? text : "", text ? strlen(text) : 0, &pf->f, &e);
	if (rc) {
		if (errlen)
			sql_error_format(&e, err, errlen);
		free(pf);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	pf->nkeys = t->npartkeys;
	*out = pf;
	return 0;
}

int mgr_part_filter_match(mgr_part_filter *f, char values[][STORE_NAME_MAX + 1])
{
	const char *v[STORE_MAX_PARTKEYS];

	if (f->nkeys > STORE_MAX_PARTKEYS)
		return -EINVAL;
	for (uint32_t i = 0; i < f->nkeys; i++)
		v[i] = values[i];
	return sql_hive_filter_match(f->f, v);
}

void mgr_part_filter_free(mgr_part_filter *f)
{
	if (f == NULL)
		return;
	sql_hive_filter_free(f->f);
	free(f);
}
