/*
 * pl_features.c - from rows to a model's input: every feature column to a
 * float, the label, the id and group columns as text.
 *
 * XGBoost treats NaN as missing, so everything that is not a number becomes
 * NaN: NULL (an empty CSV field, JSON null, a missing key), text that is not
 * a decimal number (hexadecimal, "nan" and "inf" included).  Booleans are
 * 1/0, whether JSON true/false or the text true/false in any case.
 *
 * The loader reads the partitions .refresh listed, in listed order, and
 * each partition's data files in name order, so the rows (and with them the
 * seeded holdout split) come out the same for the same data.
 */
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base_array.h"
#include "base_path.h"
#include "pipeline.h"

float pl_value_to_float(const pl_value *v)
{
	char buf[64], *end;
	size_t b = 0, e;
	double d;

	switch (v->kind) {
	case PL_V_NUMBER:
		return isfinite(v->number) && fabs(v->number) <= FLT_MAX ? (float)v->number : NAN;
	case PL_V_BOOL:
		return v->boolean ? 1.0f : 0.0f;
	case PL_V_TEXT:
		break;
	default:
		return NAN;
	}
	e = v->len;
	while (b < e && (v->text[b] == ' ' || v->text[b] == '\t'))
		b++;
	while (e > b && (v->text[e - 1] == ' ' || v->text[e - 1] == '\t' || v->text[e - 1] == '\r'))
		e--;
	if (e == b || e - b >= sizeof buf)
		return NAN;
	if (e - b == 4 && strncasecmp(v->text + b, "true", 4) == 0)
		return 1.0f;
	if (e - b == 5 && strncasecmp(v->text + b, "false", 5) == 0)
		return 0.0f;
	for (size_t i = b; i < e; i++) {
		char c = v->text[i];

		if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' ||
		      c == 'E'))
			return NAN;
	}
	memcpy(buf, v->text + b, e - b);
	buf[e - b] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	if (*end != '\0' || end == buf || !isfinite(d) || fabs(d) > FLT_MAX ||
	    (errno == ERANGE && d != 0))
		return NAN;
	return (float)d;
}

char *pl_value_to_text(const pl_value *v)
{
	char buf[64];
	char *s;

	switch (v->kind) {
	case PL_V_TEXT:
		s = malloc(v->len + 1);
		if (s) {
			memcpy(s, v->text, v->len);
			s[v->len] = '\0';
		}
		return s;
	case PL_V_NUMBER:
		if (v->text) {
			s = malloc(v->len + 1);
			if (s) {
				memcpy(s, v->text, v->len);
				s[v->len] = '\0';
			}
			return s;
		}
		snprintf(buf, sizeof buf, "%.17g", v->number);
		return strdup(buf);
	case PL_V_BOOL:
		return strdup(v->boolean ? "true" : "false");
	default:
		return NULL;
	}
}

void pl_dataset_init(pl_dataset *ds, unsigned nfeatures)
{
	memset(ds, 0, sizeof *ds);
	ds->nfeatures = nfeatures;
}

void pl_dataset_free(pl_dataset *ds)
{
	for (size_t i = 0; i < ds->nrows; i++) {
		free(ds->ids[i]);
		free(ds->groups[i]);
	}
	free(ds->x);
	free(ds->y);
	free(ds->ids);
	free(ds->groups);
	free(ds->part);
	memset(ds, 0, sizeof *ds);
}

static int ds_grow(pl_dataset *ds)
{
	/* Parallel arrays: each grows from the same capacity to the same one. */
	size_t need = ds->nrows + 1, xcap = ds->cap, ycap = ds->cap, icap = ds->cap,
	       gcap = ds->cap, pcap = ds->cap;
	size_t row = (ds->nfeatures ? ds->nfeatures : 1) * sizeof *ds->x;
	int rc;

	if ((rc = base_array_reserve((void **)&ds->x, &xcap, need, row)) ||
	    (rc = BASE_ARRAY_RESERVE(ds->y, ycap, need)) ||
	    (rc = BASE_ARRAY_RESERVE(ds->ids, icap, need)) ||
	    (rc = BASE_ARRAY_RESERVE(ds->groups, gcap, need)) ||
	    (rc = BASE_ARRAY_RESERVE(ds->part, pcap, need)))
		return rc;
	ds->cap = xcap;
	return 0;
}

struct row_ctx {
	pl_dataset *ds;
	int label_i, id_i, group_i;
	unsigned part;
	bool need_label;
	int rc;
};

static int on_row(void *arg, const pl_value *vals, unsigned n)
{
	struct row_ctx *c = arg;
	pl_dataset *ds = c->ds;
	float label = NAN;
	size_t r;

	(void)n;
	if (c->label_i >= 0)
		label = pl_value_to_float(&vals[c->label_i]);
	if (c->need_label && isnan(label)) {
		ds->skipped++;
		return 0;
	}
	if (ds->nrows == ds->cap && (c->rc = ds_grow(ds)) != 0)
		return 1;
	r = ds->nrows;
	for (unsigned f = 0; f < ds->nfeatures; f++)
		ds->x[r * ds->nfeatures + f] = pl_value_to_float(&vals[f]);
	ds->y[r] = label;
	ds->ids[r] = c->id_i >= 0 ? pl_value_to_text(&vals[c->id_i]) : NULL;
	ds->groups[r] = c->group_i >= 0 ? pl_value_to_text(&vals[c->group_i]) : NULL;
	ds->part[r] = c->part;
	ds->nrows++;
	return 0;
}

static int key_index(const pl_table_info *info, const char *name)
{
	for (unsigned k = 0; k < info->nkeys; k++)
		if (strcmp(info->keys[k].name, name) == 0)
			return (int)k;
	return -1;
}

int pl_dataset_add_text(pl_dataset *ds, const pl_def *def, const pl_table_info *info,
			const char *file, const char *text, size_t len, char *const *keyvals,
			unsigned part, bool need_label, char *err, size_t errlen)
{
	pl_wanted wanted[PL_MAX_FEATURES + 3];
	struct row_ctx c = {.ds = ds, .label_i = -1, .id_i = -1, .group_i = -1, .part = part,
			    .need_label = need_label};
	unsigned n = 0;
	int rc;

	for (unsigned f = 0; f < def->nfeatures; f++)
		wanted[n++] = (pl_wanted){def->features[f], key_index(info, def->features[f]), -1};
	if (def->label[0] && (need_label || def->op == PL_OP_TRAIN)) {
		c.label_i = (int)n;
		wanted[n++] = (pl_wanted){def->label, key_index(info, def->label), -1};
	}
	if (def->id_column[0]) {
		c.id_i = (int)n;
		wanted[n++] = (pl_wanted){def->id_column, key_index(info, def->id_column), -1};
	}
	if (def->group_by[0]) {
		c.group_i = (int)n;
		wanted[n++] = (pl_wanted){def->group_by, key_index(info, def->group_by), -1};
	}
	rc = pl_read_rows(info, file, text, len, wanted, n, keyvals, on_row, &c, err, errlen);
	if (rc == -ECANCELED) {
		rc = c.rc;
		snprintf(err, errlen, "%s: %s", file, strerror(-rc));
	}
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The unescaped value of every partition key from the components of REL
 * (key=value/key=value); NULL for Hive's default partition (a NULL value). */
static int key_values(const pl_table_info *info, const char *rel, char **vals, char *err,
		      size_t errlen)
{
	char buf[PATH_MAX], *save = NULL, *comp;

	snprintf(buf, sizeof buf, "%s", rel);
	for (comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		char *eq = strchr(comp, '=');
		int k;

		if (eq == NULL)
			continue;
		*eq = '\0';
		k = key_index(info, comp);
		if (k < 0)
			continue;
		if (pl_hive_unescape(eq + 1) != 0) {
			snprintf(err, errlen, "partition path '%s': a bad escape", rel);
			return -EINVAL;
		}
		free(vals[k]);
		vals[k] = strcmp(eq + 1, "__HIVE_DEFAULT_PARTITION__") == 0 ? NULL : strdup(eq + 1);
	}
	return 0;
}

int pl_dataset_load(const char *mount, const pl_def *def, const pl_table_info *info,
		    const pl_refresh *r, bool need_label, pl_dataset *ds, char *err,
		    size_t errlen)
{
	int rc = 0;

	for (size_t p = 0; p < r->nparts && rc == 0; p++) {
		const pl_part *part = &r->parts[p];
		char dir[PATH_MAX], file[PATH_MAX];
		char **names = NULL, **keyvals;
		size_t nnames = 0, cap = 0;
		struct dirent *de;
		DIR *d;

		keyvals = calloc(info->nkeys ? info->nkeys : 1, sizeof *keyvals);
		if (keyvals == NULL)
			return -ENOMEM;
		rc = base_path_format(dir, sizeof dir, "%s/%s", mount, part->path);
		if (rc)
			snprintf(err, errlen, "partition path too long: '%s'", part->path);
		else
			rc = key_values(info, part->path + strlen(def->source), keyvals, err, errlen);
		d = rc == 0 ? opendir(dir) : NULL;
		if (rc == 0 && d == NULL) {
			rc = -errno;
			snprintf(err, errlen, "cannot list partition '%s': %s", part->path, strerror(-rc));
		}
		while (d && (de = readdir(d)) != NULL) {
			/* The mount lists data files only; a hidden name reached
			 * some other way (an older daemon) is still not data. */
			if (base_name_hidden(de->d_name))
				continue;
			if ((rc = BASE_ARRAY_RESERVE(names, cap, nnames + 1)))
				break;
			if ((names[nnames] = strdup(de->d_name)) == NULL) {
				rc = -ENOMEM;
				break;
			}
			nnames++;
		}
		if (d)
			closedir(d);
		if (nnames)
			qsort(names, nnames, sizeof *names, name_cmp);
		for (size_t f = 0; f < nnames && rc == 0; f++) {
			struct stat st;
			char *text;
			size_t len;

			if (base_path_format(file, sizeof file, "%s/%s", dir, names[f]) ||
			    stat(file, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			rc = pl_read_file(file, &text, &len);
			if (rc != 0) {
				snprintf(err, errlen, "cannot read '%s/%s': %s", part->path, names[f],
					 strerror(-rc));
				break;
			}
			rc = base_path_format(file, sizeof file, "%s/%s", part->path, names[f]);
			if (rc == 0)
				rc = pl_dataset_add_text(ds, def, info, file, text, len, keyvals,
							 (unsigned)p, need_label, err, errlen);
			free(text);
		}
		for (size_t f = 0; f < nnames; f++)
			free(names[f]);
		free(names);
		for (unsigned k = 0; k < info->nkeys; k++)
			free(keyvals[k]);
		free(keyvals);
	}
	return rc;
}
