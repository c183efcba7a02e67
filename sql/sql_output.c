/*
 * sql_output.c - the output of an INSERT or CREATE TABLE AS: rows into
 * staged data files, partitioned by the target's partition keys, then one
 * commit that makes them visible.
 *
 * Staging.  Rows are written to DATASTORE/.metafs-staging/<run_tag>/, in the
 * same Hive layout as the table (k=v/k2=v2/), one file per target partition:
 * part-<run_tag>-00000.csv (or .jsonl, .parquet).  Each partition buffers up
 * to 64 KiB and appends it to its file, so any number of partitions costs no
 * open file descriptors between flushes.  A Parquet table's partition
 * gathers rows column by column and hands them to its own writer
 * (format/fmt_parquet.h), 4096 at a time (fewer for a small
 * parquet.block.size), which keeps its staged file open and cuts row groups
 * at the table's parquet.block.size.  At most OUT_PARQUET_MAX_OPEN writers
 * are open (each holds a file descriptor and its row group's values): past
 * that the one used least recently writes its footer, and its partition's
 * next rows go to its next file, part-<run_tag>-00001.parquet and so on.
 * The commit writes the open files' footers, and records for each file the
 * rows its writer counted.
 *
 * The commit protocol.  Readers (the engine, the mount, .refresh) see only
 * the files the metastore lists; a file in a partition directory that the
 * metastore does not list is invisible.  The visible switch is therefore one
 * LMDB write transaction, and everything before it only prepares files no
 * reader looks at:
 *   1. write out every staged file's buffered rows;
 *   2. create each partition directory that is missing, and put each staged
 *      file in its partition directory under its run-unique name with
 *      store_data_place (fsync the file, rename: same file system, atomic,
 *      no copy; fsync the partition directory and its new parents), then
 *      scan each file for its rows, bytes and checksum;
 *   3. ONE write transaction: create the missing pnodes (level by level),
 *      put the new file records, and with OVERWRITE drop the records of the
 *      files the replaced partitions held before, with a removal intent for
 *      each (store_intent); commit;
 *   4. delete the replaced files' bytes, clear their intents, then the
 *      staging directory.
 * A crash (or failure) before 3 commits leaves readers on the old contents;
 * after it, on the new.  What a crash can leave behind:
 *   - during 1-2: the staging directory (removed when the daemon starts) and
 *     renamed new files in partition directories that no record lists (they
 *     are named part-<run_tag>-*, so they are recognisable: the daemon
 *     removes them when it starts, and repair does not register them while
 *     their run is not recorded as succeeded; see manager.h), and empty new
 *     directories;
 *   - between 3 and 4: the replaced files' bytes, no longer listed, and
 *     their removal intents: the daemon removes them when it starts, and
 *     repair does not register them (manager.h).
 * A failure before the commit removes the files it renamed, best effort.
 * The run tag must be unique per run: a file is renamed over any file of the
 * same name, listed or not.
 */
#include "fmt.h"
#include "fmt_parquet.h"
#include "fmt_scan.h"
#include "fmt_csv.h"
#include "fmt_jsonl.h"
#include "sql_int.h"

#include "base_array.h"
#include "base_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT_FLUSH_BYTES (64 * 1024)
#define OUT_PARQUET_BATCH 4096
/* Parquet writers open at once: past it, the one used least recently
 * finishes its file, and its partition's next rows start another. */
#define OUT_PARQUET_MAX_OPEN 32
#define OUT_DEFAULT_PARTITION "__HIVE_DEFAULT_PARTITION__"

typedef struct out_part {
	char **values;            /* npartkeys raw values */
	char *rel;                /* "k=v/k2=v2" escaped, "" when unpartitioned */
	char *stage_path;         /* the staged file */
	textbuf buf;              /* rows not yet appended to it */
	uint64_t rows;
	bool has_file;            /* the staged file exists */
	/* Parquet: rows gathered column by column (ncolumns vectors), appended
	 * to the partition's writer every OUT_PARQUET_BATCH rows; the writer
	 * keeps its staged file open until the commit finishes it. */
	fmt_vector *cols;
	fmt_parquet_writer *pw;
	int pw_fd;
	uint32_t nfiles;          /* staged files part-<tag>-00000 .. nfiles - 1 */
	uint64_t last_use;        /* when rows last went to the writer */
} out_part;

struct sql_output {
	const sql_platform *pf;
	store_table t;
	bool overwrite;
	char **static_values;     /* npartkeys: the PARTITION (k=v) values, or NULL (dynamic) */
	char *run_tag;
	char staging[PATH_MAX];
	char table_dir[PATH_MAX];
	const char *ext;
	out_part *parts;
	uint32_t nparts, parts_cap;
	uint32_t *index;          /* open addressing on rel: part + 1 */
	uint32_t index_cap;
	uint64_t rows;
	textbuf tmp;
	fmt_parquet_write_options pq;   /* Parquet: from the table's properties */
	/* Rows handed to a writer at once: the writer cuts a row group only
	 * between appends, so a small parquet.block.size gets small ones. */
	size_t pq_batch;
	uint32_t pq_open;         /* writers open */
	uint64_t pq_tick;
};

static uint64_t out_hash(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* Let go of P's Parquet writer and vectors (the staged bytes stay). */
static void out_parquet_drop(sql_output *o, out_part *p)
{
	if (p->pw) {
		fmt_parquet_writer_abort(p->pw);
		p->pw = NULL;
	}
	if (p->pw_fd >= 0) {
		close(p->pw_fd);
		p->pw_fd = -1;
	}
	for (uint32_t i = 0; p->cols && i < o->t.ncolumns; i++)
		fmt_vector_free(&p->cols[i]);
	free(p->cols);
	p->cols = NULL;
}

static void out_free(sql_output *o)
{
	if (!o)
		return;
	for (uint32_t i = 0; i < o->nparts; i++) {
		out_part *p = &o->parts[i];
		for (uint32_t k = 0; p->values && k < o->t.npartkeys; k++)
			free(p->values[k]);
		free(p->values);
		free(p->rel);
		free(p->stage_path);
		textbuf_free(&p->buf);
		out_parquet_drop(o, p);
	}
	free(o->parts);
	free(o->index);
	for (uint32_t k = 0; o->static_values && k < o->t.npartkeys; k++)
		free(o->static_values[k]);
	free(o->static_values);
	free(o->run_tag);
	textbuf_free(&o->tmp);
	store_table_clear(&o->t);
	free(o);
}

/* Append V to B as a CSV field (fmt_csv_field): NULL is an empty field,
 * other values their text, strings quoted as needed. */
static void out_csv_field(textbuf *b, const sql_value *v)
{
	if (v->null || v->type == SQL_TYPE_NULL)
		return;
	if (v->type != SQL_TYPE_STRING) {
		sql_value_print(v, b);
		return;
	}
	fmt_csv_field(b, v->u.s.ptr ? v->u.s.ptr : "", v->u.s.len);
}

static void out_csv_text(textbuf *b, const char *s)
{
	sql_value v = {.type = SQL_TYPE_STRING, .u.s = {s, (uint32_t)strlen(s)}};

	out_csv_field(b, &v);
}

/* One JSON object: the data columns, NULLs left out (as Spark writes them);
 * dates and timestamps as strings, doubles as Java prints them. */
static int out_json_row(sql_output *o, textbuf *b, const sql_value *v)
{
	bool first = true;
	int rc;

	textbuf_append(b, "{", 1);
	for (uint32_t i = 0; i < o->t.ncolumns; i++) {
		if (v[i].null || v[i].type == SQL_TYPE_NULL)
			continue;
		if (!first)
			textbuf_append(b, ",", 1);
		first = false;
		if ((rc = fmt_json_string_write(b, o->t.columns[i].name, strlen(o->t.columns[i].name))))
			return rc;
		textbuf_append(b, ":", 1);
		switch (v[i].type) {
		case SQL_TYPE_STRING:
			rc = fmt_json_string_write(b, v[i].u.s.ptr, v[i].u.s.len);
			break;
		case SQL_TYPE_DATE:
		case SQL_TYPE_TIMESTAMP:
			textbuf_append(b, "\"", 1);
			sql_value_print(&v[i], b);
			textbuf_append(b, "\"", 1);
			break;
		case SQL_TYPE_DOUBLE:
			/* NaN and the infinities are not JSON numbers; the reader takes them as strings. */
			if (v[i].u.d != v[i].u.d || v[i].u.d - v[i].u.d != 0) {
				textbuf_append(b, "\"", 1);
				sql_value_print(&v[i], b);
				textbuf_append(b, "\"", 1);
			} else {
				sql_value_print(&v[i], b);
			}
			break;
		default:
			sql_value_print(&v[i], b);
			break;
		}
		if (rc)
			return rc;
	}
	textbuf_append(b, "}\n", 2);
	return 0;
}

static int out_flush(sql_output *o, out_part *p)
{
	int rc = 0;

	if (!p->buf.len)
		return 0;
	if ((rc = textbuf_error(&p->buf)))
		return rc;
	int fd = store_data_open_path(o->pf->data_dir, p->stage_path, O_WRONLY | O_CREAT | O_APPEND, BASE_MODE_FILE);
	if (fd < 0)
		return fd;
	for (size_t off = 0; off < p->buf.len;) {
		ssize_t w = write(fd, p->buf.data + off, p->buf.len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) && !rc)
		rc = -errno;
	p->has_file = true;
	textbuf_reset(&p->buf);
	return rc;
}

/* The value of table property KEY (exact), copied into VAL; false if unset. */
static bool out_property(const sql_output *o, const char *key, char *val, size_t cap)
{
	size_t klen = strlen(key);

	for (const char *l = o->t.properties; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		if (n > klen && !memcmp(l, key, klen) && l[klen] == '=') {
			size_t vn = n - klen - 1;
			if (vn >= cap)
				vn = cap - 1;
			memcpy(val, l + klen + 1, vn);
			val[vn] = '\0';
			return true;
		}
		l = nl ? nl + 1 : l + n;
	}
	return false;
}

/* The writer's options from the table's properties: parquet.compression
 * (or compression) snappy | zstd | gzip | uncompressed (also none),
 * parquet.block.size the bytes of a row group. */
static int out_parquet_options(sql_output *o, sql_error *err)
{
	static const struct {
		const char *name;
		fmt_pq_codec codec;
	} codecs[] = {{"snappy", FMT_PQ_SNAPPY}, {"zstd", FMT_PQ_ZSTD}, {"gzip", FMT_PQ_GZIP},
		      {"uncompressed", FMT_PQ_UNCOMPRESSED}, {"none", FMT_PQ_UNCOMPRESSED}};
	fmt_parquet_write_options def = FMT_PARQUET_WRITE_OPTIONS_INIT;
	char val[128];

	o->pq = def;
	const char *key = "parquet.compression";
	if (out_property(o, key, val, sizeof val) ||
	    out_property(o, key = "compression", val, sizeof val)) {
		size_t i = 0;
		while (i < sizeof codecs / sizeof codecs[0] && strcasecmp(val, codecs[i].name))
			i++;
		if (i == sizeof codecs / sizeof codecs[0]) {
			sql_error_set(err, 0, 0,
				      "table %s.%s.%s: property %s is '%s', not one of snappy, zstd, gzip, uncompressed",
				      o->pf->name, o->t.db, o->t.name, key, val);
			return -EINVAL;
		}
		o->pq.codec = codecs[i].codec;
	}
	if (out_property(o, "parquet.block.size", val, sizeof val)) {
		char *end;
		errno = 0;
		unsigned long long b = strtoull(val, &end, 10);
		if (errno || end == val || *end || b == 0 || val[0] == '-') {
			sql_error_set(err, 0, 0,
				      "table %s.%s.%s: property parquet.block.size is '%s', not a number of bytes",
				      o->pf->name, o->t.db, o->t.name, val);
			return -EINVAL;
		}
		o->pq.row_group_bytes = b;
	}
	o->pq_batch = (size_t)(o->pq.row_group_bytes / 256);
	if (o->pq_batch < 16)
		o->pq_batch = 16;
	if (o->pq_batch > OUT_PARQUET_BATCH)
		o->pq_batch = OUT_PARQUET_BATCH;
	return 0;
}

/* V (a value of table column C) onto the end of vector OUT. */
static int out_parquet_push(const store_column *c, const sql_value *v, fmt_vector *out)
{
	sql_type t = sql_type_from_store(c->type);
	sql_value cv;

	if (v->null || v->type == SQL_TYPE_NULL)
		return fmt_vector_push_null(out);
	if (v->type != t) {
		if (sql_type_is_decimal(t) && sql_type_is_decimal(v->type)) {
			cv = (sql_value){.type = t};
			if (!sql_decimal_rescale(v->u.dec, sql_type_scale(v->type), t, &cv.u.dec))
				return -ERANGE;
		} else if (sql_value_cast(NULL, v, t, &cv)) {
			return -EINVAL;
		}
		if (cv.null)
			return fmt_vector_push_null(out);
		v = &cv;
	}
	switch (t) {
	case SQL_TYPE_STRING:
		return fmt_vector_push_str(out, v->u.s.ptr, v->u.s.len);
	case SQL_TYPE_BOOLEAN:
		return fmt_vector_push_bool(out, v->u.b);
	case SQL_TYPE_DOUBLE:
		return fmt_vector_push_f64(out, v->u.d);
	case SQL_TYPE_BIGINT:
	case SQL_TYPE_DATE:
	case SQL_TYPE_TIMESTAMP:
		return fmt_vector_push_i64(out, v->u.i);
	default:
		if (sql_type_is_decimal(t))
			return fmt_vector_push_dec(out, v->u.dec);
		return -EINVAL;
	}
}

/* The staged path of P's file K: its first file's name with K for 00000. */
static int out_stage_file(const sql_output *o, const out_part *p, uint32_t k, char *out, size_t cap)
{
	const char *slash = strrchr(p->stage_path, '/');
	int dn = (int)(slash - p->stage_path);

	if (snprintf(out, cap, "%.*s/part-%s-%05u.%s", dn, p->stage_path, o->run_tag, k, o->ext) >=
	    (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

static int out_parquet_finish(sql_output *o, out_part *p, sql_error *err);

/* Hand P's gathered rows to its writer, which is opened on a new staged
 * file when P has none (finishing the least recently used one when
 * OUT_PARQUET_MAX_OPEN are open). */
static int out_parquet_flush(sql_output *o, out_part *p, sql_error *err)
{
	fmt_error ferr = {{0}};
	char path[PATH_MAX];
	int rc;

	if (!p->cols || p->cols[0].n == 0)
		return 0;
	if (!p->pw) {
		if (o->pq_open >= OUT_PARQUET_MAX_OPEN) {
			out_part *lru = NULL;
			for (uint32_t i = 0; i < o->nparts; i++)
				if (o->parts[i].pw && (!lru || o->parts[i].last_use < lru->last_use))
					lru = &o->parts[i];
			if (lru && (rc = out_parquet_finish(o, lru, err)))
				return rc;
		}
		if ((rc = out_stage_file(o, p, p->nfiles, path, sizeof path)))
			return rc;
		int fd = store_data_open_path(o->pf->data_dir, path, O_WRONLY | O_CREAT | O_TRUNC,
					      BASE_MODE_FILE);
		if (fd < 0)
			return fd;
		rc = fmt_parquet_writer_open(fd, path, o->t.columns, o->t.ncolumns, &o->pq, &p->pw,
					     &ferr);
		if (rc) {
			close(fd);
			if (err)
				sql_error_set(err, 0, 0, "cannot write %s", ferr.msg);
			return rc;
		}
		p->nfiles++;
		p->pw_fd = fd;
		p->has_file = true;
		o->pq_open++;
	}
	p->last_use = ++o->pq_tick;
	rc = fmt_parquet_writer_append(p->pw, p->cols, &ferr);
	if (rc && err)
		sql_error_set(err, 0, 0, "cannot write %s", ferr.msg);
	for (uint32_t i = 0; i < o->t.ncolumns; i++)
		fmt_vector_clear(&p->cols[i]);
	return rc;
}

/* Write P's last rows and its open file's footer. */
static int out_parquet_finish(sql_output *o, out_part *p, sql_error *err)
{
	fmt_error ferr = {{0}};
	int rc = out_parquet_flush(o, p, err);

	if (rc || !p->pw)
		return rc;
	rc = fmt_parquet_writer_close(p->pw, NULL, NULL, &ferr);
	p->pw = NULL;
	o->pq_open--;
	if (rc && err)
		sql_error_set(err, 0, 0, "cannot write %s", ferr.msg);
	if (close(p->pw_fd) && !rc)
		rc = -errno;
	p->pw_fd = -1;
	return rc;
}

static int out_index_add(sql_output *o, uint32_t part)
{
	if ((uint64_t)(o->nparts + 1) * 2 > o->index_cap) {
		uint32_t cap = o->index_cap ? o->index_cap * 2 : 64;
		uint32_t *ix = calloc(cap, sizeof *ix);
		if (!ix)
			return -ENOMEM;
		for (uint32_t i = 0; i < o->index_cap; i++) {
			if (!o->index[i])
				continue;
			uint32_t s = (uint32_t)out_hash(o->parts[o->index[i] - 1].rel) & (cap - 1);
			while (ix[s])
				s = (s + 1) & (cap - 1);
			ix[s] = o->index[i];
		}
		free(o->index);
		o->index = ix;
		o->index_cap = cap;
	}
	uint32_t s = (uint32_t)out_hash(o->parts[part].rel) & (o->index_cap - 1);
	while (o->index[s])
		s = (s + 1) & (o->index_cap - 1);
	o->index[s] = part + 1;
	return 0;
}

/* The part for partition VALUES (raw), created on first use. */
static int out_part_get(sql_output *o, char **values, out_part **out)
{
	char esc[3 * STORE_NAME_MAX + 1];
	int rc;

	textbuf_reset(&o->tmp);
	for (uint32_t k = 0; k < o->t.npartkeys; k++) {
		if ((rc = store_hive_escape(values[k], esc, sizeof esc)))
			return rc;
		textbuf_printf(&o->tmp, "%s%s=%s", k ? "/" : "", o->t.columns[o->t.ncolumns + k].name, esc);
	}
	const char *rel = o->tmp.data ? o->tmp.data : "";
	if ((rc = textbuf_error(&o->tmp)))
		return rc;
	if (o->index_cap) {
		for (uint32_t s = (uint32_t)out_hash(rel) & (o->index_cap - 1); o->index[s];
		     s = (s + 1) & (o->index_cap - 1)) {
			if (!strcmp(o->parts[o->index[s] - 1].rel, rel)) {
				*out = &o->parts[o->index[s] - 1];
				return 0;
			}
		}
	}
	if ((rc = BASE_ARRAY_RESERVE(o->parts, o->parts_cap, (size_t)o->nparts + 1)))
		return rc;
	out_part *p = &o->parts[o->nparts];
	memset(p, 0, sizeof *p);
	p->pw_fd = -1;
	p->rel = strdup(rel);
	p->values = calloc(o->t.npartkeys ? o->t.npartkeys : 1, sizeof *p->values);
	rc = -ENOMEM;
	if (!p->rel || !p->values)
		goto fail;
	for (uint32_t k = 0; k < o->t.npartkeys; k++)
		if (!(p->values[k] = strdup(values[k])))
			goto fail;
	/* Until nparts counts it, the partition is not the output's to free: every
	 * failure from here on (a value too long for a directory name, above all)
	 * frees it below. */
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s%s%s", o->staging, rel[0] ? "/" : "", rel) >= (int)sizeof dir) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	if ((rc = base_fs_mkdirs(dir, BASE_MODE_DIR)))
		goto fail;
	if (o->t.format == STORE_FORMAT_PARQUET) {
		p->cols = calloc(o->t.ncolumns ? o->t.ncolumns : 1, sizeof *p->cols);
		if (!p->cols) {
			rc = -ENOMEM;
			goto fail;
		}
		for (uint32_t i = 0; i < o->t.ncolumns; i++)
			fmt_vector_init(&p->cols[i], o->t.columns[i].type);
	}
	if (asprintf(&p->stage_path, "%s/part-%s-00000.%s", dir, o->run_tag, o->ext) < 0) {
		p->stage_path = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	o->nparts++;
	if ((rc = out_index_add(o, o->nparts - 1)))
		return rc;
	*out = p;
	return 0;
fail:
	free(p->cols);
	for (uint32_t k = 0; p->values && k < o->t.npartkeys; k++)
		free(p->values[k]);
	free(p->values);
	free(p->rel);
	memset(p, 0, sizeof *p);
	return rc;
}

int sql_output_open(const sql_catalog *cat, unsigned platform, const char *db, const char *table,
		    bool overwrite, const char *const *static_values, const char *run_tag,
		    sql_output **out, sql_error *err)
{
	sql_output *o = calloc(1, sizeof *o);
	store_txn *txn = NULL;
	int rc;

	if (!o)
		return -ENOMEM;
	if (platform >= cat->nplatforms || !run_tag || !run_tag[0] || strchr(run_tag, '/')) {
		sql_error_set(err, 0, 0, "bad output target or run tag");
		rc = -EINVAL;
		goto out;
	}
	o->pf = &cat->platforms[platform];
	o->overwrite = overwrite;
	if ((rc = store_read_begin(o->pf->store, &txn)))
		goto out;
	rc = store_table_get(txn, db, table, &o->t);
	if (rc) {
		sql_error_set(err, 0, 0, "cannot open table %s.%s.%s for writing: %s", o->pf->name, db,
			      table, store_strerror(rc));
		goto out;
	}
	if (!o->t.has_schema) {
		sql_error_set(err, 0, 0, "table %s.%s.%s has no schema", o->pf->name, db, table);
		rc = -EINVAL;
		goto out;
	}
	if (o->t.format == STORE_FORMAT_PARQUET && (rc = out_parquet_options(o, err)))
		goto out;
	if ((rc = store_data_path(txn, o->pf->data_dir, &o->t, o->t.id, NULL, o->table_dir,
				  sizeof o->table_dir)))
		goto out;
	o->ext = fmt_extension(o->t.format);
	o->run_tag = strdup(run_tag);
	o->static_values = calloc(o->t.npartkeys ? o->t.npartkeys : 1, sizeof *o->static_values);
	if (!o->run_tag || !o->static_values) {
		rc = -ENOMEM;
		goto out;
	}
	bool all_static = true;
	for (uint32_t k = 0; k < o->t.npartkeys; k++) {
		const char *v = static_values ? static_values[k] : NULL;
		all_static &= v != NULL;
		if (v && !(o->static_values[k] = strdup(v[0] ? v : OUT_DEFAULT_PARTITION))) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (snprintf(o->staging, sizeof o->staging, "%s/.metafs-staging/%s", o->pf->data_dir, run_tag) >=
	    (int)sizeof o->staging) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	if ((rc = base_fs_mkdirs(o->staging, BASE_MODE_DIR))) {
		sql_error_set(err, 0, 0, "cannot create the staging directory %s: %s", o->staging,
			      strerror(-rc));
		goto out;
	}
	/* The partition a fully static INSERT names is written even when no row
	 * arrives (an empty result still replaces it under OVERWRITE), and so is
	 * an unpartitioned table. */
	if (all_static) {
		out_part *p;
		if ((rc = out_part_get(o, o->static_values, &p)))
			goto out;
	}
out:
	store_abort(txn);
	if (rc) {
		if (!err->message[0])
			sql_error_set(err, 0, 0, "cannot start the output: %s", strerror(-rc));
		if (o->staging[0] && o->run_tag)
			base_fs_tree_remove(o->staging);
		out_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

int sql_output_row(sql_output *o, const sql_value *values, uint32_t n)
{
	uint32_t nk = o->t.npartkeys;
	char *pv[STORE_MAX_PARTKEYS];
	char bufs[STORE_MAX_PARTKEYS][64];
	textbuf text[STORE_MAX_PARTKEYS];
	out_part *p;
	int rc = 0;

	/* A row holds the data columns and then either every partition key or,
	 * as INSERT ... PARTITION (k='v', d) produces, only the dynamic ones. */
	uint32_t ndynamic = 0;
	for (uint32_t k = 0; k < nk; k++)
		ndynamic += o->static_values[k] == NULL;
	bool full = n == o->t.ncolumns + nk;
	if (!full && n != o->t.ncolumns + ndynamic)
		return -EINVAL;
	uint32_t next_dynamic = o->t.ncolumns;
	for (uint32_t k = 0; k < nk; k++) {
		text[k] = (textbuf)TEXTBUF_INIT;
		const sql_value *v = full ? &values[o->t.ncolumns + k]
				   : o->static_values[k] ? NULL : &values[next_dynamic++];
		if (o->static_values[k]) {
			pv[k] = o->static_values[k];
		} else if (v->null || v->type == SQL_TYPE_NULL ||
			   (v->type == SQL_TYPE_STRING && v->u.s.len == 0)) {
			pv[k] = strcpy(bufs[k], OUT_DEFAULT_PARTITION);
		} else {
			sql_value_print(v, &text[k]);
			if ((rc = textbuf_error(&text[k])))
				goto out;
			pv[k] = text[k].data;
		}
	}
	if ((rc = out_part_get(o, pv, &p)))
		goto out;
	if (!p->has_file && p->buf.len == 0 && o->t.format == STORE_FORMAT_CSV && o->t.header) {
		for (uint32_t i = 0; i < o->t.ncolumns; i++) {
			if (i)
				textbuf_append(&p->buf, ",", 1);
			out_csv_text(&p->buf, o->t.columns[i].name);
		}
		textbuf_append(&p->buf, "\n", 1);
	}
	if (o->t.format == STORE_FORMAT_PARQUET) {
		for (uint32_t i = 0; i < o->t.ncolumns && !rc; i++)
			rc = out_parquet_push(&o->t.columns[i], &values[i], &p->cols[i]);
		if (rc)
			goto out;   /* fails the query: the output is aborted */
	} else if (o->t.format == STORE_FORMAT_JSONL) {
		if ((rc = out_json_row(o, &p->buf, values)))
			goto out;
	} else {
		for (uint32_t i = 0; i < o->t.ncolumns; i++) {
			if (i)
				textbuf_append(&p->buf, ",", 1);
			out_csv_field(&p->buf, &values[i]);
		}
		textbuf_append(&p->buf, "\n", 1);
	}
	p->rows++;
	o->rows++;
	if (p->cols && p->cols[0].n >= o->pq_batch)
		rc = out_parquet_flush(o, p, NULL);
	else if (p->buf.len >= OUT_FLUSH_BYTES)
		rc = out_flush(o, p);
out:
	for (uint32_t k = 0; k < nk; k++)
		if (!o->static_values[k])
			textbuf_free(&text[k]);
	return rc;
}

static int out_sink_row(void *ctx, const sql_value *values, uint32_t n)
{
	return sql_output_row(ctx, values, n);
}

sql_sink sql_output_sink(sql_output *o)
{
	return (sql_sink){.ctx = o, .row = out_sink_row};
}

void sql_output_abort(sql_output *o)
{
	if (!o)
		return;
	base_fs_tree_remove(o->staging);
	out_free(o);
}

/* A file put in place by this commit, or an old one to delete after it. */
typedef struct out_file {
	char path[PATH_MAX];
	uint32_t part;
	store_file rec;
	fmt_file_stats scan;      /* rows, bytes, checksum and column statistics */
} out_file;

/* Resolve (creating when missing) the pnodes of VALUES; *ID is the leaf. */
static int out_pnodes(sql_output *o, store_txn *txn, char **values, uint64_t *id, uint64_t *created)
{
	uint64_t parent = 0;

	for (uint32_t k = 0; k < o->t.npartkeys; k++) {
		store_pnode p;
		bool made;
		int rc = store_pnode_ensure(txn, o->t.id, parent, values[k], o->t.owner_uid,
					    o->t.owner_gid, STORE_ORIGIN_JOB, &p, &made);
		if (rc)
			return rc;
		*created += made;
		parent = p.id;
	}
	*id = o->t.npartkeys ? parent : o->t.id;
	return 0;
}


/* In the transaction that drops the record of REC, a replaced file of T in
 * LEAF: its bytes are removed after the commit, and a crash before that
 * leaves them to the daemon's start (see store_intent). */
static int out_removal_intent(store_txn *txn, const store_table *t, uint64_t leaf,
			      const store_file *rec)
{
	store_intent in = {.file_id = rec->id, .table_id = t->id, .container_id = leaf,
			   .bytes = rec->bytes, .rows = rec->rows, .uid = rec->owner_uid,
			   .gid = rec->owner_gid, .remove = true};
	memcpy(in.checksum, rec->checksum, sizeof in.checksum);
	snprintf(in.name, sizeof in.name, "%s", rec->name);
	return store_intent_put(txn, &in);
}

int sql_output_commit(sql_output *o, store_origin origin, sql_output_stats *stats, sql_error *err)
{
	out_file *placed = NULL, *old = NULL;
	uint32_t nplaced = 0, nold = 0, old_cap = 0;
	store_txn *txn = NULL;
	store_table now = {0};
	sql_output_stats st = {0};
	const char *step = "stage";
	int rc = 0;

	/* 1. Everything staged is written (store_data_place syncs each file). */
	for (uint32_t i = 0; i < o->nparts && !rc; i++)
		rc = o->parts[i].cols ? out_parquet_finish(o, &o->parts[i], err)
				      : out_flush(o, &o->parts[i]);
	if (rc)
		goto out;
	/* 2. Into the partition directories, under names no record uses yet. */
	step = "place";
	size_t nfiles = 0;
	for (uint32_t i = 0; i < o->nparts; i++)
		nfiles += o->parts[i].cols ? o->parts[i].nfiles : 1;
	placed = calloc(nfiles ? nfiles : 1, sizeof *placed);
	if (!placed) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < o->nparts; i++) {
		out_part *p = &o->parts[i];
		char dir[PATH_MAX];
		if (!p->has_file)
			continue;
		if (snprintf(dir, sizeof dir, "%s%s%s", o->table_dir, p->rel[0] ? "/" : "", p->rel) >=
		    (int)sizeof dir) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		if ((rc = base_fs_mkdirs(dir, BASE_MODE_DIR)))
			goto out;
		/* A csv or jsonl partition has one file, a Parquet one nfiles. */
		uint32_t nk = p->cols ? p->nfiles : 1;
		for (uint32_t k = 0; k < nk; k++) {
			out_file *f = &placed[nplaced];
			char stage[PATH_MAX];
			f->part = i;
			snprintf(f->rec.name, sizeof f->rec.name, "part-%s-%05u.%s", o->run_tag, k, o->ext);
			if (snprintf(f->path, sizeof f->path, "%s/%s", dir, f->rec.name) >=
			    (int)sizeof f->path) {
				rc = -ENAMETOOLONG;
				goto out;
			}
			if ((rc = out_stage_file(o, p, k, stage, sizeof stage)))
				goto out;
			/* Into the directory as opened without following symlinks
			 * (a link planted in the data store never receives the
			 * output), durably: new directories need their parents
			 * synced too, up to the table's directory.
			 * store_data_place syncs the file first. */
			if ((rc = store_data_place(o->pf->data_dir, stage, -1, f->path, o->table_dir)))
				goto out;
			nplaced++;
			int fd = store_data_open_path(o->pf->data_dir, f->path, O_RDONLY, 0);
			if (fd < 0) {
				rc = fd;
				goto out;
			}
			fmt_error ferr = {""};
			rc = fmt_file_scan(fd, f->path, &o->t, &f->scan, &ferr);
			close(fd);
			if (rc) {
				sql_error_set(err, 0, 0, "%s", ferr.msg);
				goto out;
			}
			/* rows (a Parquet file's from its footer), bytes, checksum and
			 * the column statistics of a Parquet footer */
			fmt_file_stats_to_record(&f->scan, &f->rec);
		}
		p->has_file = false;
	}
	/* 3. One transaction switches readers over. */
	step = "commit";
	if ((rc = store_write_begin(o->pf->store, &txn)))
		goto out;
	rc = store_table_get(txn, o->t.db, o->t.name, &now);
	if (rc || now.id != o->t.id) {
		rc = rc ? rc : -ESTALE;
		sql_error_set(err, 0, 0, "table %s.%s changed while the job ran", o->t.db, o->t.name);
		goto out;
	}
	int64_t now_ns = store_now_ns();
	for (uint32_t i = 0; i < o->nparts; i++) {
		out_part *p = &o->parts[i];
		uint64_t leaf;
		if ((rc = out_pnodes(o, txn, p->values, &leaf, &st.partitions_created)))
			goto out;
		st.partitions_written++;
		/* This partition's new files: placed[first_mine .. end_mine). */
		uint32_t first_mine = nplaced, end_mine = nplaced;
		for (uint32_t k = 0; k < nplaced; k++) {
			if (placed[k].part != i)
				continue;
			if (first_mine == nplaced)
				first_mine = k;
			end_mine = k + 1;
		}
		if (o->overwrite) {
			store_iter *it = NULL;
			store_file f;
			if ((rc = store_iter_files(txn, leaf, NULL, &it)))
				goto out;
			while ((rc = store_iter_next(it, &f)) == 0) {
				bool new_file = false;
				for (uint32_t k = first_mine; k < end_mine && !new_file; k++)
					new_file = !strcmp(f.name, placed[k].rec.name);
				if (new_file)
					continue;
				if ((rc = BASE_ARRAY_RESERVE(old, old_cap, (size_t)nold + 1)))
					break;
				memset(&old[nold], 0, sizeof old[nold]);
				old[nold].rec = f;
				old[nold].part = i;
				rc = store_data_path(txn, o->pf->data_dir, &o->t, leaf, f.name,
						     old[nold].path, sizeof old[nold].path);
				if (rc)
					break;
				nold++;
			}
			store_iter_close(it);
			if (rc != -ENOENT)
				goto out;
			rc = 0;
			for (uint32_t k = 0; k < nold; k++) {
				if (old[k].part != i)
					continue;
				if ((rc = store_file_drop(txn, leaf, old[k].rec.name, origin)) ||
				    (rc = out_removal_intent(txn, &o->t, leaf, &old[k].rec)))
					goto out;
				st.files_replaced++;
			}
		}
		for (uint32_t k = first_mine; k < end_mine; k++) {
			const out_file *mine = &placed[k];
			store_file f = {0};
			store_file existing;
			/* A rerun with the same tag rewrites the record it left. */
			if (store_file_get(txn, leaf, mine->rec.name, &existing) == 0)
				f.id = existing.id;
			f.pnode_id = leaf;
			snprintf(f.name, sizeof f.name, "%s", mine->rec.name);
			f.owner_uid = o->t.owner_uid;
			f.owner_gid = o->t.owner_gid;
			f.created_ns = f.modified_ns = now_ns;
			f.rows = mine->rec.rows;
			f.bytes = mine->rec.bytes;
			memcpy(f.checksum, mine->rec.checksum, sizeof f.checksum);
			f.stats = mine->rec.stats;
			f.nstats = mine->rec.nstats;
			if ((rc = store_file_put(txn, &f, origin)))
				goto out;
			st.files++;
			st.bytes += f.bytes;
			st.rows += f.rows;
		}
	}
	rc = store_commit(txn);
	txn = NULL;
	if (rc)
		goto out;
	/* 4. The replaced bytes, now unlisted, then their removal intents (a
	 * crash before that leaves them to the daemon's start). */
	step = "clean";
	for (uint32_t k = 0; k < nold; k++)
		unlink(old[k].path);
	if (nold && store_write_begin(o->pf->store, &txn) == 0) {
		int e = 0;
		for (uint32_t k = 0; e == 0 && k < nold; k++)
			e = store_intent_clear(txn, old[k].rec.id);
		if (e == 0)
			store_commit(txn);
		else
			store_abort(txn);
		txn = NULL;
	}
	base_fs_tree_remove(o->staging);
	if (stats)
		*stats = st;
out:
	if (rc) {
		store_abort(txn);
		/* Nothing was committed: take back the files put in place. */
		for (uint32_t k = 0; k < nplaced; k++)
			unlink(placed[k].path);
		if (!err->message[0])
			sql_error_set(err, 0, 0, "cannot commit the output to %s.%s (%s step): %s", o->t.db,
				      o->t.name, step, store_strerror(rc));
		base_fs_tree_remove(o->staging);
	}
	store_table_clear(&now);
	for (uint32_t k = 0; placed && k < nplaced; k++)
		fmt_file_stats_clear(&placed[k].scan);
	free(placed);
	free(old);
	out_free(o);
	return rc;
}
