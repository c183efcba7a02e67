/*
 * pl_main.c - metafs-pipeline: one run of one pipeline definition.
 *
 * The order matters for what survives a failure.  The outbox is replayed
 * first, so older messages reach the channel before newer ones (and a new
 * message is spooled behind them, not sent past them, while the channel is
 * down).  The snapshot id is recorded last, after the message is delivered
 * or safely spooled: a run that fails before that point is redone from the
 * same snapshot by the next activation, and the idempotency key (the same
 * for the same name, snapshot and title) lets the receiver drop a repeat.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <xxhash.h>

#include "base_fs.h"
#include "base_path.h"
#include "fmt_csv.h"
#include "textbuf.h"
#include "pipeline.h"

#define PROG "metafs-pipeline"
#define MAX_GROUP_LINES 50

struct run {
	pl_def def;
	char mount[PATH_MAX];
	char state[PATH_MAX];
	char model[PATH_MAX];
	char outbox[PATH_MAX];
	bool dry_run, verbose;
	pl_table_info info;
	pl_refresh refresh;
	pl_dataset ds;
	pl_message msg;
	uint64_t last;                /* the recorded snapshot (0: none) */
	bool force;                   /* --force: train even when the input is unchanged */
	bool has_since;               /* --since given */
	uint64_t since;               /* --since N (0: all) */
	uint64_t input;               /* train: the input snapshot's hash (see input_hash) */
	char err[PL_ERR_MAX];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--mount DIR] [--state DIR] [--since N|all] [--force] [--dry-run]\n"
		"       [--verbose] DEFINITION.ini\n"
		"       " PROG " --help | --version\n"
		"Run the pipeline DEFINITION.ini once over a table of a metafs mount:\n"
		"train or predict with XGBoost, post the result to a webhook.\n"
		"  --mount DIR   the metafs mount (default: $METAFS_MOUNT, else the 'mount' key)\n"
		"  --state DIR   the state directory (default: the 'state' key,\n"
		"                else $METAFS_STATE_DIR/NAME, else ~/.local/state/" PROG "/NAME)\n"
		"  --since N     predict: score the partitions added or changed after\n"
		"                snapshot N ('all' or 0: every partition), whatever the\n"
		"                state records (default: the recorded snapshot, else the\n"
		"                'since' key, else all)\n"
		"  --force       train even when the input is unchanged since the last run\n"
		"  --dry-run     read and compute, print the message; write and send nothing\n"
		"  --verbose     say what it does on stderr\n"
		"Exit status: 0 success, 1 the run failed, 2 usage or definition error,\n"
		"3 delivery failed and the message was spooled to the outbox.\n");
}

static void say(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->verbose)
		return;
	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int resolve_paths(struct run *r, const char *opt_mount, const char *opt_state)
{
	const char *env;
	size_t n;
	int w;

	if (opt_mount)
		w = snprintf(r->mount, sizeof r->mount, "%s", opt_mount);
	else if ((env = getenv("METAFS_MOUNT")) && env[0])
		w = snprintf(r->mount, sizeof r->mount, "%s", env);
	else
		w = snprintf(r->mount, sizeof r->mount, "%s", r->def.mount);
	if (w < 0 || (size_t)w >= sizeof r->mount || r->mount[0] == '\0') {
		fprintf(stderr, PROG ": no mount: give --mount DIR, set METAFS_MOUNT or the 'mount' key\n");
		return PL_EXIT_USAGE;
	}
	n = strlen(r->mount);
	while (n > 1 && r->mount[n - 1] == '/')
		r->mount[--n] = '\0';

	if (opt_state)
		w = snprintf(r->state, sizeof r->state, "%s", opt_state);
	else if (r->def.state[0])
		w = snprintf(r->state, sizeof r->state, "%s", r->def.state);
	else if ((env = getenv("METAFS_STATE_DIR")) && env[0])
		w = snprintf(r->state, sizeof r->state, "%s/%s", env, r->def.name);
	else if ((env = getenv("HOME")) && env[0])
		w = snprintf(r->state, sizeof r->state, "%s/.local/state/" PROG "/%s", env,
			     r->def.name);
	else {
		fprintf(stderr, PROG ": no state directory: give --state DIR or set HOME\n");
		return PL_EXIT_USAGE;
	}
	if (w < 0 || (size_t)w >= sizeof r->state ||
	    pl_path_resolve(r->state, r->def.model, r->model) != 0 ||
	    pl_path_resolve(r->state, r->def.outbox, r->outbox) != 0) {
		fprintf(stderr, PROG ": state path too long\n");
		return PL_EXIT_USAGE;
	}
	return PL_EXIT_OK;
}

/* ---- state ----------------------------------------------------------------------------- */

static uint64_t state_snapshot(const struct run *r)
{
	char path[PATH_MAX], *text, *end;
	unsigned long long v;
	size_t len;

	if (base_path_format(path, sizeof path, "%s/snapshot", r->state) ||
	    pl_read_file(path, &text, &len) != 0)
		return 0;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || (*end != '\n' && *end != '\0')) {
		fprintf(stderr, PROG ": ignoring a bad %s; reading the full partition list\n", path);
		v = 0;
	}
	free(text);
	return v;
}

static int state_record(struct run *r, uint64_t snapshot)
{
	char path[PATH_MAX], text[32];
	int rc;

	snprintf(text, sizeof text, "%llu\n", (unsigned long long)snapshot);
	rc = base_path_format(path, sizeof path, "%s/snapshot", r->state);
	if (rc == 0)
		rc = base_fs_file_replace(path, text, strlen(text), BASE_MODE_FILE);
	if (rc != 0)
		fprintf(stderr, PROG ": cannot write %s: %s\n", path, strerror(-rc));
	return rc;
}

/* The input snapshot of the last train run that delivered or spooled its
 * message: STATE/input, 16 hex digits; false when there is none. */
static bool state_input(const struct run *r, uint64_t *input)
{
	char path[PATH_MAX], *text, *end;
	size_t len;
	bool ok;

	if (base_path_format(path, sizeof path, "%s/input", r->state) ||
	    pl_read_file(path, &text, &len) != 0)
		return false;
	errno = 0;
	*input = strtoull(text, &end, 16);
	ok = errno == 0 && end != text && (*end == '\n' || *end == '\0');
	free(text);
	return ok;
}

static int state_record_input(struct run *r)
{
	char path[PATH_MAX], text[32];
	int rc;

	snprintf(text, sizeof text, "%016llx\n", (unsigned long long)r->input);
	rc = base_path_format(path, sizeof path, "%s/input", r->state);
	if (rc == 0)
		rc = base_fs_file_replace(path, text, strlen(text), BASE_MODE_FILE);
	if (rc != 0)
		fprintf(stderr, PROG ": cannot write %s: %s\n", path, strerror(-rc));
	return rc;
}

/* What a train run reads, as one number: XXH3-64 of the definition's text
 * and of the .refresh listing less its trailer (every partition with its
 * rows, bytes and etag, which changes with any file of it).  The trailer's
 * snapshot number moves with every event of the source platform, so it is
 * left out. */
static uint64_t input_hash(const struct run *r, const char *listing, size_t len)
{
	XXH3_state_t *st = XXH3_createState();
	char *def = NULL;
	size_t deflen = 0;
	uint64_t h;

	if (st == NULL)
		return 0;
	if (len && listing[len - 1] == '\n')
		len--;
	while (len && listing[len - 1] != '\n')
		len--;
	XXH3_64bits_reset(st);
	if (pl_read_file(r->def.file, &def, &deflen) == 0)
		XXH3_64bits_update(st, def, deflen);
	free(def);
	XXH3_64bits_update(st, "\0", 1);
	XXH3_64bits_update(st, listing, len);
	h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return h;
}

/* ---- reading ------------------------------------------------------------------------------ */

static int read_mount_file(struct run *r, const char *rel, char **text, size_t *len)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof path, "%s/%s", r->mount, rel) >= (int)sizeof path)
		return -ENAMETOOLONG;
	return pl_read_file(path, text, len);
}

static bool column_known(const pl_table_info *info, const char *name)
{
	for (unsigned i = 0; i < info->ncolumns; i++)
		if (strcmp(info->columns[i].name, name) == 0)
			return true;
	for (unsigned i = 0; i < info->nkeys; i++)
		if (strcmp(info->keys[i].name, name) == 0)
			return true;
	return false;
}

static int read_table(struct run *r)
{
	char rel[PATH_MAX + 16], *table = NULL, *schema = NULL;
	const char *bad = NULL;
	size_t len;
	int rc;

	snprintf(rel, sizeof rel, "%s/.table", r->def.source);
	rc = read_mount_file(r, rel, &table, &len);
	if (rc == 0) {
		snprintf(rel, sizeof rel, "%s/.schema", r->def.source);
		rc = read_mount_file(r, rel, &schema, &len);
	}
	if (rc != 0) {
		fprintf(stderr, PROG ": cannot read %s/%s: %s\n", r->mount, rel, strerror(-rc));
		free(table);
		return PL_EXIT_FAILED;
	}
	rc = pl_table_info_parse(table, schema, &r->info, r->err, sizeof r->err);
	free(table);
	free(schema);
	if (rc != 0) {
		fprintf(stderr, PROG ": %s: %s\n", r->def.source, r->err);
		return PL_EXIT_FAILED;
	}
	for (unsigned f = 0; f < r->def.nfeatures && !bad; f++)
		if (!column_known(&r->info, r->def.features[f]))
			bad = r->def.features[f];
	if (!bad && r->def.op == PL_OP_TRAIN && !column_known(&r->info, r->def.label))
		bad = r->def.label;
	if (!bad && r->def.id_column[0] && !column_known(&r->info, r->def.id_column))
		bad = r->def.id_column;
	if (!bad && r->def.group_by[0] && !column_known(&r->info, r->def.group_by))
		bad = r->def.group_by;
	if (bad) {
		fprintf(stderr, PROG ": %s: '%s' is not a column of %s\n", r->def.file, bad,
			r->def.source);
		return PL_EXIT_USAGE;
	}
	return PL_EXIT_OK;
}

static int read_refresh(struct run *r)
{
	char rel[PATH_MAX + 32], *text;
	bool incremental = false;
	size_t len;
	int rc = -ENOENT;

	if (r->def.op == PL_OP_PREDICT) {
		/* --since, else the recorded snapshot, else the `since` key. */
		r->last = r->has_since ? r->since : state_snapshot(r);
		if (!r->has_since && r->last == 0 && r->def.has_since)
			r->last = r->def.since;
	}
	if (r->def.op == PL_OP_PREDICT && r->last != 0) {
		snprintf(rel, sizeof rel, "%s/.refresh@%llu", r->def.source,
			 (unsigned long long)r->last);
		rc = read_mount_file(r, rel, &text, &len);
		if (rc == 0)
			incremental = true;
		else if (rc == -ESTALE)
			say(r, "%s: the log no longer reaches back to snapshot %llu: reading the full list",
			    r->def.source, (unsigned long long)r->last);
		else {
			fprintf(stderr, PROG ": cannot read %s/%s: %s\n", r->mount, rel, strerror(-rc));
			return PL_EXIT_FAILED;
		}
	}
	if (!incremental) {
		snprintf(rel, sizeof rel, "%s/.refresh", r->def.source);
		rc = read_mount_file(r, rel, &text, &len);
		if (rc != 0) {
			fprintf(stderr, PROG ": cannot read %s/%s: %s\n", r->mount, rel, strerror(-rc));
			return PL_EXIT_FAILED;
		}
	}
	say(r, "read %s", rel);
	if (r->def.op == PL_OP_TRAIN)
		r->input = input_hash(r, text, len);
	rc = pl_refresh_parse(r->def.source, text, len, incremental, &r->refresh, r->err,
			      sizeof r->err);
	free(text);
	if (rc != 0) {
		fprintf(stderr, PROG ": %s\n", r->err);
		return PL_EXIT_FAILED;
	}
	return PL_EXIT_OK;
}

/* ---- train ---------------------------------------------------------------------------------- */

static int do_train(struct run *r)
{
	pl_train_result res;
	int rc;

	rc = pl_model_train(&r->def, &r->ds, r->dry_run ? NULL : r->model, &res, r->err,
			    sizeof r->err);
	if (rc != 0) {
		fprintf(stderr, PROG ": %s: %s\n", r->def.name, r->err);
		return PL_EXIT_FAILED;
	}
	pl_message_title(&r->msg, "metafs: model %s trained", r->def.name);
	pl_message_line(&r->msg, "source: %s, snapshot %llu, %zu partitions", r->def.source,
			(unsigned long long)r->refresh.snapshot, r->refresh.nparts);
	pl_message_line(&r->msg, "rows used: %zu (%zu for training, %zu held out)", r->ds.nrows,
			res.train_rows, res.holdout_rows);
	pl_message_line(&r->msg, "rows skipped: %zu (no label)", r->ds.skipped);
	if (isnan(res.metric))
		pl_message_line(&r->msg, "%s: n/a (%s)", res.metric_name,
				res.holdout_rows ? "one class only in the holdout" : "no rows");
	else
		pl_message_line(&r->msg, "%s: %.4f on %s", res.metric_name, res.metric,
				res.on_training_rows ? "the training rows (no holdout)" : "the holdout");
	pl_message_line(&r->msg, "model: %s", r->dry_run ? "(not written: dry run)" : r->model);
	return PL_EXIT_OK;
}

/* ---- predict ---------------------------------------------------------------------------------- */

struct scored {
	const pl_dataset *ds;
	const float *scores;
};

static const struct scored *g_sort;   /* qsort has no context argument */

static int cmp_group_then_score(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const char *gi = g_sort->ds->groups[i], *gj = g_sort->ds->groups[j];
	float si = g_sort->scores[i], sj = g_sort->scores[j];
	int c;

	if (gi == NULL || gj == NULL)
		c = (gi == NULL) - (gj == NULL);
	else
		c = strcmp(gi, gj);
	if (c)
		return c;
	if (si != sj)
		return si < sj ? 1 : -1;
	return (i > j) - (i < j);
}

static int cmp_score(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	float si = g_sort->scores[i], sj = g_sort->scores[j];

	if (si != sj)
		return si < sj ? 1 : -1;
	return (i > j) - (i < j);
}

static void item_name(const pl_dataset *ds, size_t i, char *buf, size_t size)
{
	if (ds->ids[i])
		snprintf(buf, size, "%s", ds->ids[i]);
	else
		snprintf(buf, size, "row %zu", i + 1);
}

static void summarise(struct run *r, const float *scores)
{
	const pl_dataset *ds = &r->ds;
	struct scored sc = {ds, scores};
	size_t *idx, above = 0, groups = 0;
	char item[3][300];

	idx = malloc(ds->nrows * sizeof *idx);
	if (idx == NULL)
		return;
	for (size_t i = 0; i < ds->nrows; i++) {
		idx[i] = i;
		if (scores[i] >= r->def.threshold)
			above++;
	}
	pl_message_title(&r->msg, "metafs: %s — %zu rows scored, %zu above %g", r->def.name,
			 ds->nrows, above, r->def.threshold);
	g_sort = &sc;
	if (r->def.group_by[0]) {
		qsort(idx, ds->nrows, sizeof *idx, cmp_group_then_score);
		for (size_t i = 0; i < ds->nrows;) {
			const char *g = ds->groups[idx[i]];
			size_t j = i, n_above = 0;

			while (j < ds->nrows && (ds->groups[idx[j]] == g ||
						 (g && ds->groups[idx[j]] && strcmp(ds->groups[idx[j]], g) == 0)))
				n_above += scores[idx[j++]] >= r->def.threshold;
			if (++groups <= MAX_GROUP_LINES) {
				char top[1024] = "";
				size_t off = 0;

				for (size_t k = i; k < j && k < i + 3; k++) {
					item_name(ds, idx[k], item[0], sizeof item[0]);
					off += (size_t)snprintf(top + off, off < sizeof top ? sizeof top - off : 0,
								"%s%s (%.3f)", k > i ? ", " : "",
								item[0], (double)scores[idx[k]]);
					if (off >= sizeof top)
						break;
				}
				pl_message_line(&r->msg, "%s: %zu rows, %.1f%% >= %g; riskiest: %s",
						g ? g : "(null)", j - i, 100.0 * (double)n_above / (double)(j - i),
						r->def.threshold, top);
			}
			i = j;
		}
		if (groups > MAX_GROUP_LINES)
			pl_message_line(&r->msg, "... and %zu more groups", groups - MAX_GROUP_LINES);
	}
	qsort(idx, ds->nrows, sizeof *idx, cmp_score);
	{
		char top[1024] = "";
		size_t off = 0;

		for (size_t k = 0; k < ds->nrows && k < 3; k++) {
			const char *g = ds->groups[idx[k]];

			item_name(ds, idx[k], item[k], sizeof item[k]);
			if (r->def.group_by[0])
				off += (size_t)snprintf(top + off, off < sizeof top ? sizeof top - off : 0,
							"%s%s (%.3f, %s)", k ? ", " : "", item[k],
							(double)scores[idx[k]], g ? g : "(null)");
			else
				off += (size_t)snprintf(top + off, off < sizeof top ? sizeof top - off : 0,
							"%s%s (%.3f)", k ? ", " : "", item[k],
							(double)scores[idx[k]]);
			if (off >= sizeof top)
				break;
		}
		pl_message_line(&r->msg, "riskiest overall: %s", top);
	}
	g_sort = NULL;
	free(idx);
}

/* S as a CSV field at the end of B (fmt_csv_field; NULL is an empty field). */
static void csv_field(textbuf *b, const char *s)
{
	fmt_csv_field(b, s, s ? strlen(s) : 0);
}

/* The output table: created (mkdir + .schema) when missing, with the
 * columns id, grp, score, source_partition and the source's partition keys. */
static int ensure_output_table(struct run *r)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], *text = NULL;
	size_t len;
	int rc;
	FILE *f;

	rc = base_path_format(dir, sizeof dir, "%s/%s", r->mount, r->def.table);
	if (rc == 0)
		rc = base_fs_mkdirs(dir, BASE_MODE_DIR);
	if (rc != 0) {
		fprintf(stderr, PROG ": cannot create table %s: %s\n", r->def.table, strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof path, "%s/.schema", dir);
	rc = pl_read_file(path, &text, &len);
	free(text);
	if (rc == 0 && len > 0)
		return 0;
	f = fopen(path, "w");
	if (f == NULL) {
		rc = -errno;
		fprintf(stderr, PROG ": cannot write %s/.schema: %s\n", r->def.table, strerror(-rc));
		return rc;
	}
	fprintf(f, "format csv\nheader true\ncolumn id string\ncolumn grp string\n"
		   "column score double\ncolumn source_partition string\n");
	for (unsigned k = 0; k < r->info.nkeys; k++)
		fprintf(f, "partition %s %s\n", r->info.keys[k].name, r->info.keys[k].type);
	if (ferror(f) | (fclose(f) != 0)) {
		rc = -errno;
		fprintf(stderr, PROG ": cannot write %s/.schema: %s\n", r->def.table,
			strerror(rc ? -rc : EIO));
		return rc ? rc : -EIO;
	}
	return 0;
}

/* Remove the part-N.csv files of DIR other than KEEP (an earlier scoring of
 * the same partition). */
static void remove_older_parts(const char *dir, const char *keep)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)) != NULL) {
		char path[PATH_MAX + 256];
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, "part-", 5) != 0 || n < 10 ||
		    strcmp(de->d_name + n - 4, ".csv") != 0 || strcmp(de->d_name, keep) == 0 ||
		    strspn(de->d_name + 5, "0123456789") != n - 9)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

static int write_output_table(struct run *r, const float *scores)
{
	size_t srclen = strlen(r->def.source);
	char name[64];
	int rc;

	rc = ensure_output_table(r);
	if (rc != 0)
		return rc;
	snprintf(name, sizeof name, "part-%llu.csv", (unsigned long long)r->refresh.snapshot);
	for (size_t p = 0; p < r->refresh.nparts; p++) {
		const pl_part *part = &r->refresh.parts[p];
		const char *rel = part->path + srclen;
		char dir[PATH_MAX], path[PATH_MAX + 64], buf[32];
		size_t rows = 0;
		FILE *f;

		for (size_t i = 0; i < r->ds.nrows; i++)
			rows += r->ds.part[i] == p;
		if (rows == 0)
			continue;
		if (snprintf(dir, sizeof dir, "%s/%s%s", r->mount, r->def.table, rel) >= (int)sizeof dir)
			return -ENAMETOOLONG;
		rc = base_fs_mkdirs(dir, BASE_MODE_DIR);
		if (rc != 0) {
			fprintf(stderr, PROG ": cannot create %s%s: %s\n", r->def.table, rel, strerror(-rc));
			return rc;
		}
		snprintf(path, sizeof path, "%s/%s", dir, name);
		f = fopen(path, "w");
		if (f == NULL) {
			rc = -errno;
			fprintf(stderr, PROG ": cannot write %s%s/%s: %s\n", r->def.table, rel, name,
				strerror(-rc));
			return rc;
		}
		textbuf line = TEXTBUF_INIT;
		fputs("id,grp,score,source_partition\n", f);
		for (size_t i = 0; i < r->ds.nrows; i++) {
			if (r->ds.part[i] != p)
				continue;
			textbuf_reset(&line);
			csv_field(&line, r->ds.ids[i]);
			textbuf_append(&line, ",", 1);
			csv_field(&line, r->ds.groups[i]);
			snprintf(buf, sizeof buf, "%.6g", (double)scores[i]);
			textbuf_printf(&line, ",%s,", buf);
			csv_field(&line, part->spec);
			textbuf_append(&line, "\n", 1);
			if (textbuf_error(&line) || fwrite(line.data, 1, line.len, f) != line.len)
				break;
		}
		bool oom = textbuf_error(&line) != 0;
		textbuf_free(&line);
		/* The daemon commits the file when it is closed: close reports it. */
		if (oom | ferror(f) | (fclose(f) != 0)) {
			rc = oom ? -ENOMEM : errno ? -errno : -EIO;
			fprintf(stderr, PROG ": cannot write %s%s/%s: %s\n", r->def.table, rel, name,
				strerror(-rc));
			return rc;
		}
		remove_older_parts(dir, name);
	}
	return 0;
}

static int do_predict(struct run *r)
{
	float *scores = NULL;
	int rc;

	rc = pl_model_predict(r->model, &r->ds, &scores, r->err, sizeof r->err);
	if (rc != 0) {
		fprintf(stderr, PROG ": %s: %s\n", r->def.name, r->err);
		return PL_EXIT_FAILED;
	}
	summarise(r, scores);
	if (r->def.table[0] && !r->dry_run && write_output_table(r, scores) != 0) {
		free(scores);
		return PL_EXIT_FAILED;
	}
	if (r->def.table[0] && !r->dry_run)
		pl_message_line(&r->msg, "scores: %s (part-%llu.csv)", r->def.table,
				(unsigned long long)r->refresh.snapshot);
	free(scores);
	return PL_EXIT_OK;
}

/* ---- delivery ------------------------------------------------------------------------------- */

static int deliver(struct run *r, bool replay_blocked)
{
	pl_sender s;
	char *body;
	bool written;
	int rc, status = PL_EXIT_OK;

	pl_message_key(&r->msg, r->def.name, r->refresh.snapshot);
	body = pl_message_payload(&r->msg, r->def.format);
	if (body == NULL) {
		fprintf(stderr, PROG ": cannot build the message\n");
		return PL_EXIT_FAILED;
	}
	printf("%s\n", r->msg.title);
	for (size_t i = 0; i < r->msg.nlines; i++)
		printf("  %s\n", r->msg.lines[i]);
	if (r->dry_run) {
		printf("dry run: would send %s\n", body);
		free(body);
		return PL_EXIT_OK;
	}
	if (r->def.webhook_url[0]) {
		pl_sender_init(&s, &r->def);
		s.verbose = r->verbose;
		if (!replay_blocked) {
			pl_send_result sr = pl_send(&s, body, r->msg.key);

			if (sr == PL_SENT) {
				printf("delivered to the webhook (key %s)\n", r->msg.key);
				free(body);
				return PL_EXIT_OK;
			}
			fprintf(stderr, PROG ": delivery to %s failed: %s\n", r->def.webhook_url,
				s.last_error);
		} else {
			fprintf(stderr, PROG ": the webhook is down (the outbox could not be replayed)\n");
		}
		status = PL_EXIT_SPOOLED;
	}
	rc = pl_outbox_spool(r->outbox, r->msg.key, body, &written);
	free(body);
	if (rc != 0) {
		fprintf(stderr, PROG ": cannot spool to %s: %s\n", r->outbox, strerror(-rc));
		return PL_EXIT_FAILED;
	}
	printf("%s %s/%s.json\n", written ? "spooled to" : "already in the outbox:", r->outbox,
	       r->msg.key);
	return status;
}

/* ---- main ------------------------------------------------------------------------------------- */

static int run_pipeline(struct run *r)
{
	bool need_label = r->def.op == PL_OP_TRAIN, blocked = false;
	int st;

	if (!r->dry_run && r->def.webhook_url[0]) {
		pl_sender s;
		unsigned sent, kept;
		int rc;

		pl_sender_init(&s, &r->def);
		s.verbose = r->verbose;
		rc = pl_outbox_replay(r->outbox, &s, &sent, &kept, &blocked);
		if (rc != 0)
			fprintf(stderr, PROG ": replaying %s: %s\n", r->outbox, strerror(-rc));
		if (sent || kept)
			printf("outbox: %u re-sent, %u kept\n", sent, kept);
	}
	if ((st = read_table(r)) != PL_EXIT_OK)
		return st;
	if ((st = read_refresh(r)) != PL_EXIT_OK)
		return st;
	say(r, "%zu partitions to read (snapshot %llu)", r->refresh.nparts,
	    (unsigned long long)r->refresh.snapshot);
	if (r->refresh.nparts == 0) {
		if (r->refresh.incremental)
			printf("%s: nothing new since snapshot %llu\n", r->def.name,
			       (unsigned long long)r->last);
		else
			printf("%s: %s has no partitions\n", r->def.name, r->def.source);
		if (!r->dry_run && r->refresh.snapshot != r->last)
			state_record(r, r->refresh.snapshot);
		return PL_EXIT_OK;
	}
	if (r->def.op == PL_OP_TRAIN && !r->force && !r->dry_run) {
		uint64_t was;

		if (state_input(r, &was) && was == r->input) {
			/* The daemon looks for this line ("NAME: skipped: input
			 * unchanged"): nothing is trained or sent. */
			printf("%s: skipped: input unchanged (%zu partitions, as at the last run; "
			       "snapshot %llu)\n", r->def.name, r->refresh.nparts,
			       (unsigned long long)r->refresh.snapshot);
			return PL_EXIT_OK;
		}
	}
	pl_dataset_init(&r->ds, r->def.nfeatures);
	if (pl_dataset_load(r->mount, &r->def, &r->info, &r->refresh, need_label, &r->ds, r->err,
			    sizeof r->err) != 0) {
		fprintf(stderr, PROG ": %s\n", r->err);
		return PL_EXIT_FAILED;
	}
	say(r, "%zu rows read, %zu skipped", r->ds.nrows, r->ds.skipped);
	if (r->def.op == PL_OP_PREDICT && r->ds.nrows == 0) {
		printf("%s: no rows in the %zu new partitions\n", r->def.name, r->refresh.nparts);
		if (!r->dry_run)
			state_record(r, r->refresh.snapshot);
		return PL_EXIT_OK;
	}
	st = r->def.op == PL_OP_TRAIN ? do_train(r) : do_predict(r);
	if (st != PL_EXIT_OK)
		return st;
	st = deliver(r, blocked);
	if (st == PL_EXIT_FAILED || r->dry_run)
		return st;
	if (state_record(r, r->refresh.snapshot) != 0)
		return PL_EXIT_FAILED;
	if (r->def.op == PL_OP_TRAIN && state_record_input(r) != 0)
		return PL_EXIT_FAILED;
	return st;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mount", required_argument, NULL, 'm'}, {"state", required_argument, NULL, 's'},
		{"dry-run", no_argument, NULL, 'n'},     {"verbose", no_argument, NULL, 'v'},
		{"since", required_argument, NULL, 'S'}, {"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},        {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *opt_mount = NULL, *opt_state = NULL;
	struct run *r;
	char lockpath[PATH_MAX + 8];
	int c, st, lockfd = -1;

	r = calloc(1, sizeof *r);
	if (r == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return PL_EXIT_FAILED;
	}
	while ((c = getopt_long(argc, argv, "m:s:nvhVS:f", opts, NULL)) != -1) {
		switch (c) {
		case 'm': opt_mount = optarg; break;
		case 's': opt_state = optarg; break;
		case 'n': r->dry_run = true; break;
		case 'f': r->force = true; break;
		case 'S': {
			char *end;

			errno = 0;
			r->since = strcmp(optarg, "all") == 0 ? 0 : strtoull(optarg, &end, 10);
			if (strcmp(optarg, "all") != 0 &&
			    (errno || end == optarg || *end || optarg[0] == '-')) {
				fprintf(stderr, PROG ": --since: '%s' is not all or a snapshot number\n",
					optarg);
				free(r);
				return PL_EXIT_USAGE;
			}
			r->has_since = true;
			break;
		}
		case 'v': r->verbose = true; break;
		case 'h': usage(stdout); free(r); return PL_EXIT_OK;
		case 'V': printf(PROG " " METAFS_VERSION "\n"); free(r); return PL_EXIT_OK;
		default: usage(stderr); free(r); return PL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		free(r);
		return PL_EXIT_USAGE;
	}
	if (pl_def_load(argv[optind], &r->def, r->err, sizeof r->err) != 0) {
		fprintf(stderr, PROG ": %s\n", r->err);
		free(r);
		return PL_EXIT_USAGE;
	}
	if (r->has_since && r->def.op != PL_OP_PREDICT) {
		fprintf(stderr, PROG ": --since is for predict pipelines\n");
		free(r);
		return PL_EXIT_USAGE;
	}
	st = resolve_paths(r, opt_mount, opt_state);
	if (st != PL_EXIT_OK) {
		free(r);
		return st;
	}
	say(r, "pipeline %s: mount %s, state %s", r->def.name, r->mount, r->state);
	if (!r->dry_run) {
		int rc = base_fs_mkdirs(r->state, BASE_MODE_DIR);

		if (rc != 0) {
			fprintf(stderr, PROG ": cannot create state directory %s: %s\n", r->state,
				strerror(-rc));
			free(r);
			return PL_EXIT_FAILED;
		}
		/* One run of a pipeline at a time (activation and a manual run). */
		snprintf(lockpath, sizeof lockpath, "%s/lock", r->state);
		lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, BASE_MODE_FILE);
		if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0) {
			fprintf(stderr, PROG ": cannot lock %s: %s\n", lockpath, strerror(errno));
			if (lockfd >= 0)
				close(lockfd);
			free(r);
			return PL_EXIT_FAILED;
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pl_message_init(&r->msg);
	st = run_pipeline(r);
	fflush(stdout);
	pl_message_free(&r->msg);
	pl_dataset_free(&r->ds);
	pl_refresh_free(&r->refresh);
	pl_table_info_free(&r->info);
	curl_global_cleanup();
	if (lockfd >= 0)
		close(lockfd);
	free(r);
	return st;
}
