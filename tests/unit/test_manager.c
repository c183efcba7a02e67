/*
 * test_manager.c - the manager's catalog operations over a real home: the
 * config file, .schema parsing, partition names, the file commit protocol,
 * scanning, repair and the renderings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "mgr_fixture.h"
#include "base_path.h"
#include "fmt_parquet.h"
#include "fmt_scan.h"
#include "manager.h"
#include "mgr_pipeline.h"
#include "mgr_registry.h"
#include "mgr_sync.h"

struct fixture {
	char home[PATH_MAX];
	mgr *m;
	mgr_platform *wh;
};

static int run(const char *cmd)
{
	return system(cmd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	const char *names[] = {"warehouse", "lake"};
	f->m = mgr_fx_open(f->home, 2, names, true, &f->wh);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mgr_fx_close(f->m, f->home);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void make_table(struct fixture *f, const char *schema, store_table *out)
{
	char err[256] = "";
	store_database db;
	int rc = mgr_database_create(f->wh, "sales", 0, 0, STORE_ORIGIN_TOOL, &db);
	assert_true(rc == 0 || rc == -EEXIST);
	assert_int_equal(mgr_table_create(f->wh, "sales", "orders", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_table_define(f->wh, "sales", "orders", schema, strlen(schema),
					  STORE_ORIGIN_TOOL, err, sizeof err), 0);
	store_txn *txn;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "orders", out), 0);
	store_abort(txn);
}

static void test_init_refuses_existing_home(void **state)
{
	struct fixture *f = *state;
	char err[512];
	const char *names[] = {"a"};
	assert_int_equal(mgr_home_init(f->home, 1, names, NULL, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, "already holds a metafs home"));
}

static void test_init_rejects_reserved_platform_names(void **state)
{
	(void)state;
	char dir[] = "/tmp/metafs-unit-XXXXXX", err[512];
	assert_non_null(mkdtemp(dir));
	const char *names[] = {"jobs"};
	assert_int_equal(mgr_home_init(dir, 1, names, NULL, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "reserved"));
	rmdir(dir);
}

static void test_config_unknown_key_names_file_and_line(void **state)
{
	(void)state;
	char dir[] = "/tmp/metafs-unit-XXXXXX", path[128], err[1024];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/metafs.ini", dir);
	write_file(path, "[metafs]\nmapsize = 1G\n\n[platform a]\ndata = d\ncolour = blue\n");
	mgr_config cfg;
	assert_int_equal(mgr_config_load(dir, &cfg, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "metafs.ini line 6"));
	assert_non_null(strstr(err, "unknown key \"colour\""));
	unlink(path);
	rmdir(dir);
}

static void test_config_reads_platforms_in_order_with_sizes(void **state)
{
	(void)state;
	char dir[] = "/tmp/metafs-unit-XXXXXX", path[128], err[1024];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/metafs.ini", dir);
	write_file(path, "[metafs]\nmapsize = 2G\nentry_timeout = 5\n[platform zeta]\ndata = /srv/z\n"
			 "[platform alpha]\nmeta = m/a\n");
	mgr_config cfg;
	assert_int_equal(mgr_config_load(dir, &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.nplatforms, 2);
	assert_string_equal(cfg.platforms[0].name, "zeta");
	assert_string_equal(cfg.platforms[0].data_dir, "/srv/z");
	assert_string_equal(cfg.platforms[1].name, "alpha");
	assert_non_null(strstr(cfg.platforms[1].meta_dir, "/m/a"));
	assert_true(cfg.map_size == (size_t)2 << 30);
	assert_true(cfg.entry_timeout == 5.0);
	unlink(path);
	rmdir(dir);
}

static void test_config_shares_memory_per_job_and_keeps_old_memory_per_operator(void **state)
{
	(void)state;
	char dir[] = "/tmp/metafs-unit-XXXXXX", path[128], err[1024], want[PATH_MAX + 32];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/metafs.ini", dir);
	/* A home written before spilling: its memory_per_operator still loads. */
	write_file(path, "[jobs]\nmemory_per_operator = 256M\nmemory_per_job = 1M\n[platform a]\ndata = d\n");
	mgr_config cfg;
	assert_int_equal(mgr_config_load(dir, &cfg, err, sizeof err), 0);
	assert_true(cfg.memory_per_operator == (size_t)256 << 20);
	assert_true(cfg.memory_per_job == (size_t)1 << 20);
	snprintf(want, sizeof want, "%s/manager/spill", cfg.home);
	assert_string_equal(cfg.spill_dir, want);
	write_file(path, "[jobs]\nspill_dir = scratch\n[platform a]\ndata = d\n");
	assert_int_equal(mgr_config_load(dir, &cfg, err, sizeof err), 0);
	assert_true(cfg.memory_per_operator == 0);
	snprintf(want, sizeof want, "%s/scratch", cfg.home);
	assert_string_equal(cfg.spill_dir, want);
	unlink(path);
	rmdir(dir);
}

static void test_schema_roundtrips_through_render(void **state)
{
	struct fixture *f = *state;
	const char *schema = "# orders\nformat csv\nheader true\ncolumn id BIGINT\n\ncolumn region string\n"
			     "partition dt date\npartition hour INT\nproperty team = sales eng\n";
	store_table t = {0};
	make_table(f, schema, &t);
	textbuf out = TEXTBUF_INIT;
	assert_int_equal(mgr_render_schema(&t, &out), 0);
	assert_string_equal(out.data, "format csv\nheader true\ncolumn id bigint\ncolumn region string\n"
				      "partition dt date\npartition hour bigint\nproperty team = sales eng\n");
	assert_int_equal(t.ncolumns, 2);
	assert_int_equal(t.npartkeys, 2);
	textbuf_free(&out);
	store_table_clear(&t);
}

/* A and B are the same table: format, header, columns and properties. */
static void assert_same_table(const store_table *a, const store_table *b)
{
	assert_int_equal(a->format, b->format);
	assert_int_equal(a->header, b->header);
	assert_int_equal(a->ncolumns, b->ncolumns);
	assert_int_equal(a->npartkeys, b->npartkeys);
	for (uint32_t i = 0; i < a->ncolumns + a->npartkeys; i++) {
		assert_string_equal(a->columns[i].name, b->columns[i].name);
		assert_int_equal(a->columns[i].type, b->columns[i].type);
	}
	assert_string_equal(a->properties ? a->properties : "", b->properties ? b->properties : "");
}

/* Render T, parse the text back, render again: the same table and text. */
static void assert_roundtrip(const store_table *t)
{
	textbuf one = TEXTBUF_INIT, two = TEXTBUF_INIT;
	store_table back = {0};
	char err[256] = "";
	assert_int_equal(mgr_render_schema(t, &one), 0);
	if (mgr_schema_parse(one.data, one.len, &back, err, sizeof err))
		fail_msg("the rendered schema does not parse: %s\n%s", err, one.data);
	assert_same_table(t, &back);
	assert_int_equal(mgr_render_schema(&back, &two), 0);
	assert_int_equal(one.len, two.len);
	assert_memory_equal(one.data, two.data, one.len);
	store_table_clear(&back);
	textbuf_free(&one);
	textbuf_free(&two);
}

static void test_schema_with_awkward_names_roundtrips(void **state)
{
	struct fixture *f = *state;
	static const char *const props[][3] = {
		/* key, value as written, the stored key=value */
		{"team", "sales eng", "team=sales eng"},
		{" spaced key ", "  a  b  ", "spaced key=a  b"},
		{"eq", "x = y == z", "eq=x = y == z"},
		{"quotes'\"", "it's \"quoted\" `x`", "quotes'\"=it's \"quoted\" `x`"},
		{"h#sh", "a#b c#d", "h#sh=a#b c#d"},
		{"\xc3\xa9t\xc3\xa9", "\xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0nbsp", NULL},
		{"empty", "", "empty="},
		{"format", "jsonl", "format=jsonl"},
		{"column", "x bigint", "column=x bigint"},
		{"k", "property k = v", "k=property k = v"},
	};
	textbuf text = TEXTBUF_INIT, want = TEXTBUF_INIT;
	textbuf_puts(&text, "format csv\nheader true\ncolumn id bigint\ncolumn \xc3\xa9l\xc3\xa9ment string\n"
			    "column #c string\ncolumn it's string\ncolumn a#b double\npartition \"dt\" date\n");
	for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
		textbuf_printf(&text, "property %s = %s\n", props[i][0], props[i][1]);
		if (props[i][2])
			textbuf_printf(&want, "%s\n", props[i][2]);
		else
			textbuf_printf(&want, "%s=%s\n", props[i][0], props[i][1]);
	}
	assert_int_equal(textbuf_error(&text), 0);
	store_table t = {0};
	make_table(f, text.data, &t);
	assert_string_equal(t.properties, want.data);
	assert_int_equal(t.ncolumns, 5);
	assert_int_equal(t.npartkeys, 1);
	assert_string_equal(t.columns[2].name, "#c");
	assert_string_equal(t.columns[5].name, "\"dt\"");
	assert_roundtrip(&t);
	/* What the mount serves defines the same table elsewhere. */
	textbuf out = TEXTBUF_INIT;
	char err[256] = "";
	assert_int_equal(mgr_render_schema(&t, &out), 0);
	assert_int_equal(mgr_table_create(f->wh, "sales", "copy", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_table_define(f->wh, "sales", "copy", out.data, out.len, STORE_ORIGIN_TOOL,
					  err, sizeof err), 0);
	store_txn *txn;
	store_table copy = {0};
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "copy", &copy), 0);
	store_abort(txn);
	assert_same_table(&t, &copy);
	store_table_clear(&copy);
	store_table_clear(&t);
	textbuf_free(&out);
	textbuf_free(&text);
	textbuf_free(&want);
}

/* ---- fuzz: property keys and values from a hostile alphabet ---- */

static uint64_t fuzz_next(uint64_t *s)
{
	/* xorshift64*: the same sequence on every run */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Append 0..MAX pieces: mostly harmless, some control characters, some
 * text that would be other .schema lines. */
static void fuzz_text(uint64_t *seed, unsigned max, textbuf *out)
{
	static const char *const safe[] = {
		"a", "B", "z9", " ", "  ", "=", "#", "'", "\"", "\\", "`", ".", "-", "\xc3\xa9",
		"\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\xa0", "format jsonl", "column x bigint",
		"partition p int", "header true", "property k = v", "metafs_ok",
	};
	static const struct { const char *s; size_t n; } bad[] = {
		{"\n", 1}, {"\r", 1}, {"\r\n", 2}, {"\0", 1}, {"\t", 1}, {"\x01", 1}, {"\x1b", 1},
		{"\x7f", 1}, {"\v", 1}, {"\f", 1}, {"\xc2\x85", 2}, {"\xc2\x9f", 2},
		{"\nformat jsonl\n", 14}, {"\ncolumn evil string", 19}, {"\npartition p int", 16},
	};
	unsigned n = (unsigned)(fuzz_next(seed) % (max + 1));
	for (unsigned i = 0; i < n; i++) {
		uint64_t r = fuzz_next(seed);
		if (r % 8 == 0) {
			unsigned j = (unsigned)((r >> 8) % (sizeof bad / sizeof bad[0]));
			textbuf_append(out, bad[j].s, bad[j].n);
		} else {
			textbuf_puts(out, safe[(r >> 8) % (sizeof safe / sizeof safe[0])]);
		}
	}
}

/* The N bytes at S without surrounding spaces, into OUT. */
static void fuzz_trimmed(const char *s, size_t n, textbuf *out)
{
	while (n && *s == ' ') {
		s++;
		n--;
	}
	while (n && s[n - 1] == ' ')
		n--;
	textbuf_append(out, s, n);
}

static void test_schema_fuzz_properties_refused_or_roundtrip(void **state)
{
	(void)state;
	uint64_t seed = 0x6d657461667321ULL;
	unsigned accepted_checked = 0, refused_checked = 0, accepted_raw = 0;
	for (unsigned iter = 0; iter < 20000; iter++) {
		textbuf key = TEXTBUF_INIT, value = TEXTBUF_INIT;
		textbuf_puts(&key, "");
		textbuf_puts(&value, "");
		fuzz_text(&seed, 4, &key);
		fuzz_text(&seed, 6, &value);
		assert_int_equal(textbuf_error(&key), 0);
		assert_int_equal(textbuf_error(&value), 0);
		char err[256] = "";
		store_table t = {0};

		/* As a job writes it: checked, then one line "property K = V". */
		if (store_property_check(key.data, key.len, value.data, value.len, err, sizeof err)) {
			if (strncmp(err, "property '", 10))
				fail_msg("refusal without the property's name: %s", err);
			refused_checked++;
		} else {
			textbuf text = TEXTBUF_INIT, want = TEXTBUF_INIT;
			textbuf_puts(&text, "column id bigint\nproperty ");
			textbuf_append(&text, key.data, key.len);
			textbuf_puts(&text, " = ");
			textbuf_append(&text, value.data, value.len);
			textbuf_puts(&text, "\n");
			fuzz_trimmed(key.data, key.len, &want);
			textbuf_puts(&want, "=");
			fuzz_trimmed(value.data, value.len, &want);
			textbuf_puts(&want, "\n");
			if (mgr_schema_parse(text.data, text.len, &t, err, sizeof err))
				fail_msg("iteration %u: checked property refused by .schema: %s", iter, err);
			assert_int_equal(t.ncolumns, 1);
			assert_int_equal(t.npartkeys, 0);
			assert_int_equal(t.format, STORE_FORMAT_CSV);
			assert_false(t.header);
			assert_non_null(t.properties);
			assert_string_equal(t.properties, want.data);
			assert_roundtrip(&t);
			store_table_clear(&t);
			textbuf_free(&text);
			textbuf_free(&want);
			accepted_checked++;
		}

		/* As a .schema written through the mount: the raw bytes. */
		textbuf text = TEXTBUF_INIT;
		textbuf_puts(&text, "column id bigint\nproperty ");
		textbuf_append(&text, key.data, key.len);
		textbuf_puts(&text, " = ");
		textbuf_append(&text, value.data, value.len);
		textbuf_puts(&text, "\n");
		memset(&t, 0, sizeof t);
		if (mgr_schema_parse(text.data, text.len, &t, err, sizeof err) == 0) {
			/* Without a line break it is one property line, nothing else. */
			if (!memchr(key.data, '\n', key.len) && !memchr(value.data, '\n', value.len)) {
				assert_int_equal(t.ncolumns, 1);
				assert_int_equal(t.npartkeys, 0);
				assert_int_equal(t.format, STORE_FORMAT_CSV);
				assert_false(t.header);
				assert_true(!t.properties || !strchr(t.properties, '\n') ||
					    !strchr(strchr(t.properties, '\n') + 1, '\n'));
			}
			assert_roundtrip(&t);
			accepted_raw++;
		}
		store_table_clear(&t);
		textbuf_free(&text);
		textbuf_free(&key);
		textbuf_free(&value);
	}
	/* The alphabet exercises both ways. */
	assert_true(accepted_checked > 1000);
	assert_true(refused_checked > 1000);
	assert_true(accepted_raw > 1000);
}

static void expect_schema_error(struct fixture *f, const char *schema, const char *message)
{
	char err[256] = "";
	int rc = mgr_table_define(f->wh, "sales", "bad", schema, strlen(schema), STORE_ORIGIN_TOOL, err,
				  sizeof err);
	assert_int_equal(rc, -EINVAL);
	if (!strstr(err, message))
		fail_msg("expected \"%s\" in \"%s\"", message, err);
}

static void test_schema_errors_name_the_line(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mgr_database_create(f->wh, "sales", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_table_create(f->wh, "sales", "bad", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	expect_schema_error(f, "column id bigint\ncolumn name strin\n", "line 2: unknown type \"strin\"");
	expect_schema_error(f, "column id bigint\ncolumn ID int\n", "line 2: duplicate column");
	expect_schema_error(f, "partition dt date\n", "no columns");
	expect_schema_error(f, "column a int\npartition dt date\ncolumn b int\n",
			    "line 3: columns come before partition keys");
	expect_schema_error(f, "colum a int\n", "line 1: unknown keyword");
	expect_schema_error(f, "column a/b int\n", "line 1: bad column name");
	expect_schema_error(f, "format orc\ncolumn a int\n", "line 1: unknown format \"orc\" (csv, jsonl or parquet)");
	/* The table is left without a schema after every failure. */
	store_txn *txn;
	store_table t = {0};
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "bad", &t), 0);
	store_abort(txn);
	assert_false(t.has_schema);
	store_table_clear(&t);
}

static void test_schema_cannot_be_defined_twice(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\n", &t);
	char err[256];
	assert_int_equal(mgr_table_define(f->wh, "sales", "orders", "column b int\n", 13,
					  STORE_ORIGIN_TOOL, err, sizeof err), -EEXIST);
	store_table_clear(&t);
}

static bool has_pnode(struct fixture *f, const store_table *t, const char *v1, const char *v2)
{
	store_txn *txn;
	store_pnode pn;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	int rc = store_pnode_get(txn, t->id, 0, v1, &pn);
	if (rc == 0 && v2)
		rc = store_pnode_get(txn, t->id, pn.id, v2, &pn);
	store_abort(txn);
	return rc == 0;
}

static void test_partitions_create_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a bigint\npartition dt date\npartition hour bigint\n", &t);
	char err[256];
	bool made[2];
	const char *two[] = {"2024-05-01", "1", "2024-05-01", "2"};
	assert_int_equal(mgr_partitions_create(f->wh, &t, 2, two, false, 0, 0, STORE_ORIGIN_HMS, made,
					       err, sizeof err), 0);
	assert_true(made[0] && made[1]);
	assert_true(has_pnode(f, &t, "2024-05-01", "1") && has_pnode(f, &t, "2024-05-01", "2"));
	char path[PATH_MAX + 64];
	struct stat st;
	snprintf(path, sizeof path, "%s/sales/orders/dt=2024-05-01/hour=2", f->wh->data_dir);
	assert_int_equal(stat(path, &st), 0);
	/* One existing partition: nothing of the call is made. */
	const char *dup[] = {"2024-05-02", "1", "2024-05-01", "1"};
	assert_int_equal(mgr_partitions_create(f->wh, &t, 2, dup, false, 0, 0, STORE_ORIGIN_HMS, made,
					       err, sizeof err), -EEXIST);
	assert_false(has_pnode(f, &t, "2024-05-02", NULL));
	/* The same one twice in a call is a duplicate too. */
	const char *twice[] = {"2024-05-03", "1", "2024-05-03", "1"};
	assert_int_equal(mgr_partitions_create(f->wh, &t, 2, twice, false, 0, 0, STORE_ORIGIN_HMS, made,
					       err, sizeof err), -EEXIST);
	assert_false(has_pnode(f, &t, "2024-05-03", NULL));
	snprintf(path, sizeof path, "%s/sales/orders/dt=2024-05-03", f->wh->data_dir);
	assert_int_equal(stat(path, &st), -1);   /* its directory went again */
	/* IF NOT EXISTS skips it and says which were made. */
	assert_int_equal(mgr_partitions_create(f->wh, &t, 2, dup, true, 0, 0, STORE_ORIGIN_HMS, made,
					       err, sizeof err), 0);
	assert_true(made[0]);
	assert_false(made[1]);
	assert_true(has_pnode(f, &t, "2024-05-02", "1"));
	/* A value that does not read back as its key's type: nothing made. */
	const char *bad[] = {"2024-05-04", "1", "notadate", "1"};
	assert_int_equal(mgr_partitions_create(f->wh, &t, 2, bad, false, 0, 0, STORE_ORIGIN_HMS, made,
					       err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "is not a date"));
	assert_false(has_pnode(f, &t, "2024-05-04", NULL));
	store_table_clear(&t);
}

static void test_table_alter_changes_columns_only_while_empty(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a bigint\npartition dt date\nproperty x = 1\n", &t);
	char err[256];
	const char *props = "column a bigint\npartition dt date\nproperty x = 2\nproperty y = 3\n";
	assert_int_equal(mgr_table_alter(f->wh, "sales", "orders", props, strlen(props),
					 STORE_ORIGIN_HMS, err, sizeof err), 0);
	const char *cols = "column a bigint\ncolumn b string\npartition dt date\nproperty x = 2\n";
	assert_int_equal(mgr_table_alter(f->wh, "sales", "orders", cols, strlen(cols),
					 STORE_ORIGIN_HMS, err, sizeof err), 0);
	store_table now = {0};
	store_txn *txn;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "orders", &now), 0);
	store_abort(txn);
	assert_int_equal(now.ncolumns, 2);
	assert_string_equal(now.properties, "x=2\n");
	const char *v[] = {"2024-05-01"};
	assert_int_equal(mgr_partitions_create(f->wh, &now, 1, v, false, 0, 0, STORE_ORIGIN_HMS, NULL,
					       err, sizeof err), 0);
	/* Now it holds a partition: the columns stay, properties still change. */
	const char *back = "column a bigint\npartition dt date\nproperty x = 2\n";
	assert_int_equal(mgr_table_alter(f->wh, "sales", "orders", back, strlen(back),
					 STORE_ORIGIN_HMS, err, sizeof err), -ENOTEMPTY);
	assert_non_null(strstr(err, "cannot change"));
	const char *p4 = "column a bigint\ncolumn b string\npartition dt date\nproperty x = 4\n";
	assert_int_equal(mgr_table_alter(f->wh, "sales", "orders", p4, strlen(p4),
					 STORE_ORIGIN_HMS, err, sizeof err), 0);
	const char *reserved = "column a bigint\ncolumn b string\npartition dt date\nproperty metafs.x = 1\n";
	assert_int_equal(mgr_table_alter(f->wh, "sales", "orders", reserved, strlen(reserved),
					 STORE_ORIGIN_HMS, err, sizeof err), -EPERM);
	store_table_clear(&now);
	store_table_clear(&t);
}

static void test_partition_name_checks_key_and_unescapes(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\npartition dt string\npartition hour int\n", &t);
	char value[STORE_NAME_MAX + 1];
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "dt=10%3A00", value), 0);
	assert_string_equal(value, "10:00");
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "dt=10:00", value), 0);
	assert_string_equal(value, "10:00");
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "hour=1", value), -EINVAL);
	assert_int_equal(mgr_pnode_parse_name(&t, 2, "hour=1", value), 0);
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "dt=", value), -EINVAL);
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "dt=%G1", value), -EINVAL);
	assert_int_equal(mgr_pnode_parse_name(&t, 3, "x=1", value), -EINVAL);
	store_pnode pn = {.depth = 1};
	snprintf(pn.value, sizeof pn.value, "a/b");
	char name[64];
	assert_int_equal(mgr_pnode_name(&t, &pn, name, sizeof name), 0);
	assert_string_equal(name, "dt=a%2Fb");
	store_table_clear(&t);
}

/* fmt_file_scan of FD as a file of a table of FORMAT (HEADER), no columns:
 * its rows, bytes and checksum. */
static int scan_fd(int fd, store_format format, bool header, uint64_t *rows, uint64_t *bytes,
		   uint8_t sum[16])
{
	store_table t = {.format = format, .header = header, .db = "sales", .name = "orders"};
	fmt_file_stats s;
	int rc = fmt_file_scan(fd, "file", &t, &s, NULL);
	if (rc == 0) {
		*rows = s.rows;
		*bytes = s.bytes;
		memcpy(sum, s.checksum, 16);
		fmt_file_stats_clear(&s);
	}
	return rc;
}

static void scan_text(const char *text, store_format format, bool header, uint64_t *rows)
{
	char path[] = "/tmp/metafs-scan-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	uint64_t bytes;
	uint8_t sum[16];
	assert_int_equal(scan_fd(fd, format, header, rows, &bytes, sum), 0);
	assert_int_equal(bytes, strlen(text));
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(text, strlen(text)));
	assert_memory_equal(sum, c.digest, 16);
	close(fd);
	unlink(path);
}

static void test_scan_counts_csv_records_not_lines(void **state)
{
	(void)state;
	uint64_t rows;
	scan_text("a,b\n1,\"two\nlines\"\n3,x\n", STORE_FORMAT_CSV, true, &rows);
	assert_int_equal(rows, 2);
	scan_text("1,x\n2,y", STORE_FORMAT_CSV, false, &rows);
	assert_int_equal(rows, 2);
	scan_text("1,x\r\n2,y\r\n", STORE_FORMAT_CSV, false, &rows);
	assert_int_equal(rows, 2);
	scan_text("", STORE_FORMAT_CSV, true, &rows);
	assert_int_equal(rows, 0);
}

static void test_scan_counts_nonblank_jsonl_lines(void **state)
{
	(void)state;
	uint64_t rows;
	scan_text("{\"a\":1}\n\n  \n{\"a\":2}\n{\"a\":3}", STORE_FORMAT_JSONL, false, &rows);
	assert_int_equal(rows, 3);
}

static void test_writer_commit_records_file_and_stats(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "header true\ncolumn a int\npartition dt date\n", &t);
	store_pnode pn;
	assert_int_equal(mgr_pnode_create(f->wh, &t, 0, "dt=2024-05-01", 0, 0, STORE_ORIGIN_TOOL, &pn), 0);
	mgr_writer *w;
	assert_int_equal(mgr_writer_open(f->wh, t.id, pn.id, "part-0.csv", 0, false, 1, 2, &w), 0);
	const char *text = "a\n1\n2\n3\n";
	assert_int_equal(write(mgr_writer_fd(w), text, strlen(text)), (ssize_t)strlen(text));
	mgr_writer_touch(w);
	/* Nothing is visible before the commit. */
	char path[PATH_MAX];
	assert_int_equal(base_path_format(path, sizeof path, "%s/sales/orders/dt=2024-05-01/part-0.csv",
					  f->wh->data_dir), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(mgr_writer_commit(w, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(access(path, F_OK), 0);
	uint64_t id = mgr_writer_id(w);
	mgr_writer_close(w);

	store_txn *txn;
	store_file file;
	store_table after = {0};
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, pn.id, "part-0.csv", &file), 0);
	assert_int_equal(file.id, id);
	assert_int_equal(file.rows, 3);
	assert_int_equal(file.bytes, strlen(text));
	assert_int_equal(store_table_get(txn, "sales", "orders", &after), 0);
	assert_int_equal(after.rows, 3);
	assert_int_equal(after.nfiles, 1);
	assert_int_equal(after.npartitions, 1);
	textbuf out = TEXTBUF_INIT;
	store_pnode now;
	assert_int_equal(store_pnode_get(txn, t.id, 0, "2024-05-01", &now), 0);
	assert_int_equal(mgr_render_partition(f->wh, txn, &after, &now, &out), 0);
	store_abort(txn);
	assert_non_null(strstr(out.data, "spec: dt=2024-05-01\n"));
	assert_non_null(strstr(out.data, "rows: 3\n"));
	assert_non_null(strstr(out.data, "file: part-0.csv bytes=8 rows=3 xxh128="));
	textbuf_free(&out);
	store_table_clear(&after);
	store_table_clear(&t);
}

/* The commit check: bytes not of the table's format are refused with
 * EINVAL, nothing is recorded, the staged bytes go; a Parquet file of a
 * Parquet table records its footer's rows and column statistics. */
static void test_writer_commit_refuses_bytes_not_of_the_tables_format(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\n", &t);
	mgr_writer *w;
	assert_int_equal(mgr_writer_open(f->wh, t.id, t.id, "x.parquet", 0, false, 0, 0, &w), 0);
	/* Parquet's magic, a page header's first bytes, the magic again */
	assert_int_equal(write(mgr_writer_fd(w), "PAR1\x15\x00\x15\x00PAR1", 12), 12);
	mgr_writer_touch(w);
	assert_int_equal(mgr_writer_commit(w, STORE_ORIGIN_TOOL), -EINVAL);
	/* and stays refused: the last close commits nothing either */
	assert_int_equal(mgr_writer_commit(w, STORE_ORIGIN_TOOL), -EINVAL);
	mgr_writer_close(w);
	char path[PATH_MAX], cmd[PATH_MAX * 2];
	assert_int_equal(base_path_format(path, sizeof path, "%s/sales/orders/x.parquet",
					  f->wh->data_dir), 0);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s/.metafs-staging')\"", f->wh->data_dir);
	assert_int_equal(run(cmd), 0);
	store_txn *txn;
	store_file file;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, t.id, "x.parquet", &file), -ENOENT);
	store_abort(txn);
	/* The same bytes placed directly: repair skips them. */
	write_file(path, "PAR1\x15\x01 cut short");
	mgr_repair_stats st;
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.files_refused, 1);
	assert_int_equal(st.files_added, 0);
	store_table_clear(&t);
}

static void test_writer_commit_records_parquet_statistics(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "format parquet\ncolumn a bigint\ncolumn s string\n", &t);
	mgr_writer *w;
	assert_int_equal(mgr_writer_open(f->wh, t.id, t.id, "p.parquet", 0, false, 0, 0, &w), 0);
	fmt_parquet_writer *pw = NULL;
	fmt_error err;
	assert_int_equal(fmt_parquet_writer_open(mgr_writer_fd(w), "p.parquet", t.columns, 2, NULL,
						 &pw, &err), 0);
	fmt_vector v[2];
	fmt_vector_init(&v[0], STORE_TYPE_BIGINT);
	fmt_vector_init(&v[1], STORE_TYPE_STRING);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(fmt_vector_push_i64(&v[0], 100 - i), 0);
		if (i % 4 == 0)
			assert_int_equal(fmt_vector_push_null(&v[1]), 0);
		else
			assert_int_equal(fmt_vector_push_str(&v[1], i % 2 ? "odd" : "even", i % 2 ? 3 : 4),
					 0);
	}
	assert_int_equal(fmt_parquet_writer_append(pw, v, &err), 0);
	assert_int_equal(fmt_parquet_writer_close(pw, NULL, NULL, &err), 0);
	fmt_vector_free(&v[0]);
	fmt_vector_free(&v[1]);
	mgr_writer_touch(w);
	assert_int_equal(mgr_writer_commit(w, STORE_ORIGIN_TOOL), 0);
	mgr_writer_close(w);

	store_txn *txn;
	store_file file;
	store_colstat *st = NULL;
	uint32_t n = 0;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, t.id, "p.parquet", &file), 0);
	assert_int_equal(file.rows, 10);
	assert_int_equal(file.nstats, 2);
	assert_int_equal(store_file_stats(txn, t.id, "p.parquet", &st, &n), 0);
	store_abort(txn);
	assert_int_equal(n, 2);
	assert_int_equal(st[0].flags, STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS);
	assert_int_equal(st[0].min[0], 91);
	assert_int_equal(st[0].max[0], 100);
	assert_int_equal(st[1].nulls, 3);
	assert_int_equal(st[1].min_len, 4);
	assert_memory_equal(st[1].min, "even", 4);
	assert_memory_equal(st[1].max, "odd", 3);
	free(st);
	/* The getter for planners: the same over the table's files. */
	store_colstat cs[2];
	uint64_t nfiles = 0;
	assert_int_equal(mgr_column_stats(f->wh, &t, 0, cs, &nfiles), 0);
	assert_int_equal(nfiles, 1);
	assert_int_equal(cs[0].min[0], 91);
	assert_int_equal(cs[1].nulls, 3);
	/* .table shows them. */
	textbuf out = TEXTBUF_INIT;
	store_table after = {0};
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "orders", &after), 0);
	store_abort(txn);
	assert_int_equal(mgr_render_table(f->wh, &after, true, &out), 0);
	assert_non_null(strstr(out.data, "stats: a min=91 max=100 nulls=0\n"));
	assert_non_null(strstr(out.data, "stats: s min=\"even\" max=\"odd\" nulls=3\n"));
	textbuf_free(&out);
	store_table_clear(&after);
	store_table_clear(&t);
}

static store_colstat le_stat(uint32_t c, store_type t, uint64_t lo_min, uint64_t hi_min,
			     uint64_t lo_max, uint64_t hi_max)
{
	store_colstat s = {.column = c, .type = t,
			   .flags = STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS};
	size_t w = store_stat_value_width(t);
	s.min_len = s.max_len = (uint8_t)w;
	for (size_t i = 0; i < 8 && i < w; i++) {
		s.min[i] = (uint8_t)(lo_min >> (8 * i));
		s.max[i] = (uint8_t)(lo_max >> (8 * i));
	}
	for (size_t i = 8; i < w; i++) {
		s.min[i] = (uint8_t)(hi_min >> (8 * (i - 8)));
		s.max[i] = (uint8_t)(hi_max >> (8 * (i - 8)));
	}
	return s;
}

/* The stats: lines of .partition, value by value (metafs(5)). */
static void test_partition_renders_column_statistics(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "format parquet\ncolumn d decimal(10,2)\ncolumn ts timestamp\n"
		      "column x double\ncolumn s string\ncolumn b boolean\ncolumn dt date\n"
		      "column n bigint\npartition p int\n", &t);
	store_pnode pn;
	assert_int_equal(mgr_pnode_create(f->wh, &t, 0, "p=1", 0, 0, STORE_ORIGIN_TOOL, &pn), 0);
	double lo = -0.25, hi = 1e300;
	uint64_t lob, hib;
	memcpy(&lob, &lo, 8);
	memcpy(&hib, &hi, 8);
	store_colstat st[7] = {
		/* -1.05 .. 123.40 */
		le_stat(0, t.columns[0].type, (uint64_t)-105, UINT64_MAX, 12340, 0),
		/* 1969-12-31T23:59:59.999999Z .. 1970-01-01T00:00:00.000001Z */
		le_stat(1, STORE_TYPE_TIMESTAMP, (uint64_t)-1, 0, 1, 0),
		le_stat(2, STORE_TYPE_DOUBLE, lob, 0, hib, 0),
		{.column = 3, .type = STORE_TYPE_STRING,
		 .flags = STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_MAX_TRUNCATED | STORE_STAT_NULLS,
		 .min_len = 5, .max_len = 3, .nulls = 2},
		le_stat(4, STORE_TYPE_BOOLEAN, 0, 0, 1, 0),
		/* 1969-12-31 .. 2024-02-29 */
		le_stat(5, STORE_TYPE_DATE, (uint64_t)-1, 0, 19782, 0),
		{.column = 6, .type = STORE_TYPE_BIGINT, .flags = STORE_STAT_NULLS, .nulls = 9},
	};
	memcpy(st[3].min, "a\"b\\\n", 5);
	memcpy(st[3].max, "zz\x01", 3);
	store_txn *txn;
	assert_int_equal(store_write_begin(f->wh->store, &txn), 0);
	store_file file = {.pnode_id = pn.id, .rows = 9, .bytes = 100, .stats = st, .nstats = 7};
	snprintf(file.name, sizeof file.name, "a.parquet");
	assert_int_equal(store_file_put(txn, &file, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_commit(txn), 0);

	textbuf out = TEXTBUF_INIT;
	store_table after = {0};
	store_pnode now;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "orders", &after), 0);
	assert_int_equal(store_pnode_get(txn, t.id, 0, "1", &now), 0);
	assert_int_equal(mgr_render_partition(f->wh, txn, &after, &now, &out), 0);
	store_abort(txn);
	const char *want =
		"stats: d min=-1.05 max=123.40 nulls=0\n"
		"stats: ts min=1969-12-31T23:59:59.999999Z max=1970-01-01T00:00:00.000001Z nulls=0\n"
		"stats: x min=-0.25 max=1.0E300 nulls=0\n"
		"stats: s min=\"a\\\"b\\\\\\x0a\" max_prefix=\"zz\\x01\" nulls=2\n"
		"stats: b min=false max=true nulls=0\n"
		"stats: dt min=1969-12-31 max=2024-02-29 nulls=0\n"
		"stats: n nulls=9\n";
	const char *at = strstr(out.data, "stats: ");
	assert_non_null(at);
	assert_string_equal(at, want);
	textbuf_free(&out);
	store_table_clear(&after);
	store_table_clear(&t);
}

static void test_writer_closed_without_commit_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\n", &t);
	mgr_writer *w;
	assert_int_equal(mgr_writer_open(f->wh, t.id, t.id, "x.csv", 0, false, 0, 0, &w), 0);
	assert_int_equal(write(mgr_writer_fd(w), "1\n", 2), 2);
	mgr_writer_close(w);
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s/.metafs-staging')\"", f->wh->data_dir);
	assert_int_equal(run(cmd), 0);
	store_txn *txn;
	store_file file;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, t.id, "x.csv", &file), -ENOENT);
	store_abort(txn);
	store_table_clear(&t);
}

/* A hidden name (base_name_hidden): the commit puts the bytes in the
 * partition's directory under that name and records nothing; the rename to
 * a data name records the file once, with the hidden file's bytes; a drop
 * of a hidden file removes its bytes. */
static void test_hidden_file_is_kept_unrecorded_until_renamed_to_a_data_name(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\npartition dt date\n", &t);
	store_pnode pn;
	assert_int_equal(mgr_pnode_create(f->wh, &t, 0, "dt=2024-05-01", 0, 0, STORE_ORIGIN_TOOL, &pn), 0);
	mgr_writer *w;
	assert_int_equal(mgr_writer_open(f->wh, t.id, pn.id, ".f.AbC123", 0, false, 0, 0, &w), 0);
	assert_int_equal(write(mgr_writer_fd(w), "1\n2\n", 4), 4);
	mgr_writer_touch(w);
	assert_int_equal(mgr_writer_commit(w, STORE_ORIGIN_TOOL), 0);
	uint64_t hidden_id = mgr_writer_id(w);
	mgr_writer_close(w);
	char dir[PATH_MAX], path[PATH_MAX + 32];
	assert_int_equal(base_path_format(dir, sizeof dir, "%s/sales/orders/dt=2024-05-01",
					  f->wh->data_dir), 0);
	snprintf(path, sizeof path, "%s/.f.AbC123", dir);
	assert_int_equal(access(path, F_OK), 0);

	store_txn *txn;
	store_file file;
	store_table after = {0};
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, pn.id, ".f.AbC123", &file), -ENOENT);
	assert_int_equal(store_table_get(txn, "sales", "orders", &after), 0);
	store_abort(txn);
	assert_int_equal(after.nfiles, 0);
	assert_int_equal(after.rows, 0);
	store_table_clear(&after);
	uint64_t id = 0;
	assert_int_equal(mgr_hidden_lookup(f->wh, &t, pn.id, ".f.AbC123", &id), 0);
	assert_int_equal(id, hidden_id);
	assert_int_equal(mgr_hidden_get(f->wh, id, &file), 0);
	assert_int_equal(file.bytes, 4);
	assert_int_equal(mgr_hidden_lookup(f->wh, &t, pn.id, "f.csv", &id), -ENOENT);

	assert_int_equal(mgr_file_rename(f->wh, &t, pn.id, ".f.AbC123", pn.id, "f.csv",
					 STORE_ORIGIN_TOOL), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, pn.id, "f.csv", &file), 0);
	assert_int_equal(store_table_get(txn, "sales", "orders", &after), 0);
	store_abort(txn);
	assert_int_equal(file.id, hidden_id);
	assert_int_equal(file.rows, 2);
	assert_int_equal(after.nfiles, 1);
	assert_int_equal(after.rows, 2);
	store_table_clear(&after);

	/* _SUCCESS written and dropped: bytes in place, then gone. */
	assert_int_equal(mgr_writer_open(f->wh, t.id, pn.id, "_SUCCESS", 0, false, 0, 0, &w), 0);
	assert_int_equal(mgr_writer_commit(w, STORE_ORIGIN_TOOL), 0);
	mgr_writer_close(w);
	snprintf(path, sizeof path, "%s/_SUCCESS", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(mgr_file_drop(f->wh, &t, pn.id, "_SUCCESS", STORE_ORIGIN_TOOL), 0);
	assert_int_equal(access(path, F_OK), -1);
	mgr_repair_stats st;
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.files_added + st.files_removed + st.files_updated, 0);
	store_table_clear(&t);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_home_is_private_and_a_readable_one_is_refused_then_fixed(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 64], file[PATH_MAX + 128], err[PATH_MAX + 256];
	assert_int_equal(mode_of(f->home), 0700);
	snprintf(path, sizeof path, "%s/metafs.ini", f->home);
	assert_int_equal(mode_of(path), 0600);
	snprintf(path, sizeof path, "%s/manager/data.mdb", f->home);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(f->wh->data_dir), 0700);
	/* what the manager creates is private too (mgr_open set the umask) */
	store_database d;
	assert_int_equal(mgr_database_create(f->wh, "db", 0, 0, STORE_ORIGIN_TOOL, &d), 0);
	snprintf(path, sizeof path, "%s/db", f->wh->data_dir);
	assert_int_equal(mode_of(path), 0700);
	snprintf(file, sizeof file, "%s/x.csv", path);
	write_file(file, "a\n");
	assert_int_equal(chmod(file, 0644), 0);
	char data_dir[PATH_MAX];
	snprintf(data_dir, sizeof data_dir, "%s", f->wh->data_dir);
	mgr_close(f->m);
	f->m = NULL;
	f->wh = NULL;
	static mgr_config cfg;
	assert_int_equal(mgr_config_load(f->home, &cfg, err, sizeof err), 0);
	assert_int_equal(mgr_home_check(&cfg, err, sizeof err), 0);
	assert_int_equal(chmod(data_dir, 0755), 0);
	assert_int_equal(mgr_open(f->home, true, &f->m, err, sizeof err), -EACCES);
	assert_null(f->m);
	assert_non_null(strstr(err, "/data/warehouse is readable by other users (mode 0755); run "
				    "`metafs repair --fix-permissions --home "));
	uint64_t changed = 0;
	assert_int_equal(mgr_home_fix_permissions(f->home, &changed, err, sizeof err), 0);
	assert_int_equal(changed, 2);   /* the data store and x.csv */
	assert_int_equal(mode_of(file), 0600);
	assert_int_equal(mgr_home_fix_permissions(f->home, &changed, err, sizeof err), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(mgr_open(f->home, true, &f->m, err, sizeof err), 0);
	f->wh = mgr_platform_find(f->m, "warehouse");
}

static void test_open_cleans_staging_left_by_a_crash(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 64], err[512];
	snprintf(path, sizeof path, "%s/.metafs-staging/41.1.1", f->wh->data_dir);
	write_file(path, "half written");
	mgr_close(f->m);
	assert_int_equal(mgr_open(f->home, true, &f->m, err, sizeof err), 0);
	f->wh = mgr_platform_find(f->m, "warehouse");
	assert_int_equal(access(path, F_OK), -1);
}

static void test_repair_registers_and_forgets_files(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\npartition dt date\n", &t);
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof cmd,
		 "cd '%s/sales/orders' && mkdir -p dt=2024-01-01 dt=2024-01-02 && "
		 "printf '1\\n2\\n' > dt=2024-01-01/a.csv && printf '3\\n' > dt=2024-01-02/b.csv && "
		 "touch dt=2024-01-02/_SUCCESS",
		 f->wh->data_dir);
	assert_int_equal(run(cmd), 0);
	mgr_repair_stats st;
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.partitions_added, 2);
	assert_int_equal(st.files_added, 2);
	assert_int_equal(st.hidden_kept, 1);   /* _SUCCESS: younger than hidden_grace */
	/* Repair twice is repair once. */
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.partitions_added + st.files_added + st.files_removed + st.files_updated, 0);
	snprintf(cmd, sizeof cmd, "rm '%s/sales/orders/dt=2024-01-01/a.csv'", f->wh->data_dir);
	assert_int_equal(run(cmd), 0);
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.files_removed, 1);
	store_txn *txn;
	store_table after = {0};
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "orders", &after), 0);
	store_abort(txn);
	assert_int_equal(after.rows, 1);
	assert_int_equal(after.nfiles, 1);
	store_table_clear(&after);
	store_table_clear(&t);
}

/* A file renamed into place whose intent is pending: repair leaves it to
 * its commit (a daemon's in progress), an overwrite too; resolving the
 * intents finishes the commit, and a second repair changes nothing. */
/* A Parquet file whose commit a crash cut short after its rename: the
 * start's resolution of its intent records it with its statistics. */
static void test_intent_resolution_records_parquet_statistics(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "format parquet\ncolumn a bigint\n", &t);
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/sales/orders/r.parquet", f->wh->data_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	fmt_parquet_writer *pw = NULL;
	fmt_error err;
	assert_int_equal(fmt_parquet_writer_open(fd, "r.parquet", t.columns, 1, NULL, &pw, &err), 0);
	fmt_vector v;
	fmt_vector_init(&v, STORE_TYPE_BIGINT);
	for (int i = 0; i < 5; i++)
		assert_int_equal(fmt_vector_push_i64(&v, i * 10), 0);
	assert_int_equal(fmt_parquet_writer_append(pw, &v, &err), 0);
	assert_int_equal(fmt_parquet_writer_close(pw, NULL, NULL, &err), 0);
	fmt_vector_free(&v);
	store_intent in = {.table_id = t.id, .container_id = t.id};
	assert_int_equal(scan_fd(fd, t.format, t.header, &in.rows, &in.bytes, in.checksum), 0);
	close(fd);
	assert_int_equal(in.rows, 5);
	snprintf(in.name, sizeof in.name, "r.parquet");
	store_txn *txn;
	assert_int_equal(store_write_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_id_reserve(txn, &in.file_id), 0);
	assert_int_equal(store_intent_put(txn, &in), 0);
	assert_int_equal(store_commit(txn), 0);

	mgr_intent_stats is;
	assert_int_equal(mgr_intents_resolve(f->wh, &is), 0);
	assert_int_equal(is.finished, 1);
	store_colstat *st = NULL;
	uint32_t n = 0;
	store_file rec;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, t.id, "r.parquet", &rec), 0);
	assert_int_equal(store_file_stats(txn, t.id, "r.parquet", &st, &n), 0);
	store_abort(txn);
	assert_int_equal(rec.rows, 5);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].min[0], 0);
	assert_int_equal(st[0].max[0], 40);
	free(st);
	store_table_clear(&t);
}

static void test_repair_leaves_files_of_pending_intents(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\npartition dt date\n", &t);
	store_pnode pn;
	assert_int_equal(mgr_pnode_create(f->wh, &t, 0, "dt=2024-01-01", 0, 0, STORE_ORIGIN_TOOL, &pn), 0);
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/sales/orders/dt=2024-01-01/a.csv", f->wh->data_dir);
	write_file(path, "1\n2\n3\n");
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	store_intent in = {.table_id = t.id, .container_id = pn.id, .uid = 0, .gid = 0};
	assert_int_equal(scan_fd(fd, t.format, t.header, &in.rows, &in.bytes, in.checksum), 0);
	close(fd);
	snprintf(in.name, sizeof in.name, "a.csv");
	store_txn *txn;
	assert_int_equal(store_write_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_id_reserve(txn, &in.file_id), 0);
	assert_int_equal(store_intent_put(txn, &in), 0);
	assert_int_equal(store_commit(txn), 0);

	mgr_repair_stats st;
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.files_added, 0);
	assert_int_equal(st.files_in_commit, 1);
	store_file rec;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, pn.id, "a.csv", &rec), -ENOENT);
	store_abort(txn);

	mgr_intent_stats is;
	assert_int_equal(mgr_intents_resolve(f->wh, &is), 0);
	assert_int_equal(is.finished, 1);
	assert_int_equal(is.dropped, 0);
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, pn.id, "a.csv", &rec), 0);
	store_abort(txn);
	assert_int_equal(rec.id, in.file_id);
	assert_int_equal(rec.rows, 3);
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.partitions_added + st.files_added + st.files_removed + st.files_updated +
			 st.files_in_commit, 0);

	/* An overwrite in progress: the new bytes are in place, the record
	 * still has the old ones.  Repair does not update it. */
	write_file(path, "4\n");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(scan_fd(fd, t.format, t.header, &in.rows, &in.bytes, in.checksum), 0);
	close(fd);
	assert_int_equal(store_write_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_intent_put(txn, &in), 0);
	assert_int_equal(store_commit(txn), 0);
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.files_updated, 0);
	assert_int_equal(st.files_in_commit, 1);

	/* An intent whose bytes never reached their place is dropped. */
	write_file(path, "5\n6\n");
	assert_int_equal(mgr_intents_resolve(f->wh, &is), 0);
	assert_int_equal(is.finished, 0);
	assert_int_equal(is.dropped, 1);
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.files_updated, 1);
	assert_int_equal(st.files_in_commit, 0);

	/* A removal intent (an INSERT OVERWRITE dropped the record of b.csv and
	 * died before removing its bytes): repair leaves b.csv unregistered,
	 * resolving removes it.  a.csv, recorded, is never removed. */
	char bpath[PATH_MAX + 64];
	snprintf(bpath, sizeof bpath, "%s/sales/orders/dt=2024-01-01/b.csv", f->wh->data_dir);
	write_file(bpath, "7\n");
	fd = open(bpath, O_RDONLY);
	assert_true(fd >= 0);
	store_intent rm = {.table_id = t.id, .container_id = pn.id, .remove = true};
	assert_int_equal(scan_fd(fd, t.format, t.header, &rm.rows, &rm.bytes, rm.checksum), 0);
	close(fd);
	snprintf(rm.name, sizeof rm.name, "b.csv");
	store_intent keep = rm;
	snprintf(keep.name, sizeof keep.name, "a.csv");
	assert_int_equal(store_write_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_id_reserve(txn, &rm.file_id), 0);
	assert_int_equal(store_id_reserve(txn, &keep.file_id), 0);
	assert_int_equal(store_intent_put(txn, &rm), 0);
	assert_int_equal(store_intent_put(txn, &keep), 0);
	assert_int_equal(store_commit(txn), 0);
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.files_added, 0);
	assert_int_equal(st.files_in_commit, 1);
	assert_int_equal(mgr_intents_resolve(f->wh, &is), 0);
	assert_int_equal(is.removed, 1);
	assert_int_equal(access(bpath, F_OK), -1);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	store_intent *left = NULL;
	size_t nleft = 1;
	assert_int_equal(store_intent_list(txn, &left, &nleft), 0);
	store_abort(txn);
	assert_int_equal(nleft, 0);
	free(left);
	store_table_clear(&t);
}

/* The home's lock: a tool gets it only when no daemon holds it. */
static void test_home_lock_is_refused_while_a_daemon_holds_it(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	mgr *tool = NULL;
	assert_int_equal(mgr_open(f->home, false, &tool, err, sizeof err), 0);
	assert_int_equal(mgr_home_lock(tool, err, sizeof err), -EBUSY);
	assert_non_null(strstr(err, "already mounted"));
	mgr_close(f->m);
	f->m = NULL;
	assert_int_equal(mgr_home_lock(tool, err, sizeof err), 0);
	assert_int_equal(mgr_home_lock(tool, err, sizeof err), 0);
	assert_int_equal(mgr_open(f->home, true, &f->m, err, sizeof err), -EBUSY);
	mgr_close(tool);
	assert_int_equal(mgr_open(f->home, true, &f->m, err, sizeof err), 0);
	f->wh = mgr_platform_find(f->m, "warehouse");
}

static void test_table_drop_refuses_partitions(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\npartition dt date\n", &t);
	store_pnode pn;
	assert_int_equal(mgr_pnode_create(f->wh, &t, 0, "dt=2024-05-01", 0, 0, STORE_ORIGIN_TOOL, &pn), 0);
	assert_int_equal(mgr_table_drop(f->wh, "sales", "orders", STORE_ORIGIN_TOOL), -ENOTEMPTY);
	assert_int_equal(mgr_pnode_drop(f->wh, &t, pn.id, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(mgr_table_drop(f->wh, "sales", "orders", STORE_ORIGIN_TOOL), 0);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/sales/orders", f->wh->data_dir);
	assert_int_equal(access(path, F_OK), -1);
	store_table_clear(&t);
}

/* The platform and path of each line of /.metafs/events' text, as
 * "platform:path" lines. */
static void events_summary(const char *text, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (const char *line = text; *line;) {
		char plat[64], path[256];
		assert_int_equal(sscanf(line, "%63s %*s %*s %*s %*s %*s %255s", plat, path), 2);
		n += (size_t)snprintf(out + n, cap - n, "%s:%s\n", plat, path);
		assert_true(n < cap);
		const char *nl = strchr(line, '\n');
		assert_non_null(nl);
		line = nl + 1;
	}
}

static void test_events_are_one_stream_in_commit_order_limited_in_total(void **state)
{
	struct fixture *f = *state;
	mgr_platform *lake = mgr_platform_find(f->m, "lake");
	assert_non_null(lake);
	store_database db;
	/* Interleaved commits: each platform's log alone cannot order them. */
	assert_int_equal(mgr_database_create(f->wh, "a1", 0, 0, STORE_ORIGIN_TOOL, &db), 0);
	assert_int_equal(mgr_database_create(lake, "b1", 0, 0, STORE_ORIGIN_TOOL, &db), 0);
	assert_int_equal(mgr_database_create(lake, "b2", 0, 0, STORE_ORIGIN_TOOL, &db), 0);
	assert_int_equal(mgr_database_create(f->wh, "a2", 0, 0, STORE_ORIGIN_TOOL, &db), 0);
	assert_int_equal(mgr_database_create(lake, "b3", 0, 0, STORE_ORIGIN_TOOL, &db), 0);
	assert_int_equal(mgr_database_create(f->wh, "a3", 0, 0, STORE_ORIGIN_TOOL, &db), 0);
	char got[1024];
	textbuf out = {0};
	assert_int_equal(mgr_render_events(f->m, NULL, 100, &out), 0);
	events_summary(out.data, got, sizeof got);
	assert_string_equal(got, "warehouse:a1\nlake:b1\nlake:b2\nwarehouse:a2\nlake:b3\nwarehouse:a3\n");
	/* The newest 4 in total, not 4 of each platform. */
	textbuf_reset(&out);
	assert_int_equal(mgr_render_events(f->m, NULL, 4, &out), 0);
	events_summary(out.data, got, sizeof got);
	assert_string_equal(got, "lake:b2\nwarehouse:a2\nlake:b3\nwarehouse:a3\n");
	textbuf_reset(&out);
	assert_int_equal(mgr_render_events(f->m, NULL, 1, &out), 0);
	events_summary(out.data, got, sizeof got);
	assert_string_equal(got, "warehouse:a3\n");
	textbuf_reset(&out);
	assert_int_equal(mgr_render_events(f->m, NULL, 0, &out), 0);
	assert_int_equal(out.len, 0);
	textbuf_free(&out);
}

static void test_textbuf_grows_and_steals(void **state)
{
	(void)state;
	textbuf b = TEXTBUF_INIT;
	for (int i = 0; i < 1000; i++)
		textbuf_printf(&b, "%04d\n", i);
	assert_int_equal(b.len, 5000);
	assert_int_equal(textbuf_error(&b), 0);
	assert_memory_equal(b.data + 4995, "0999\n", 5);
	size_t len;
	char *s = textbuf_steal(&b, &len);
	assert_int_equal(len, 5000);
	assert_null(b.data);
	free(s);
}

/* ---- the registry of named definitions ---------------------------------------------------- */

/* A kind for the registry's own tests: a one-line definition, and a state
 * file holding the owner and the run count. */
struct note_def {
	char text[64];
};

struct note {
	mgr_reg_entry base;
	struct note_def def;
	int assigned_fresh;     /* how the last assign was called: 1 fresh, 0 not, -1 never */
	bool requested;
};

static int note_parse(mgr_registry *reg, const char *name, const char *text, size_t len, void *def,
		      char *err, size_t errlen)
{
	(void)reg;
	(void)name;
	if (len >= 3 && !memcmp(text, "bad", 3)) {
		snprintf(err, errlen, "line 1: bad note");
		return -EINVAL;
	}
	snprintf(((struct note_def *)def)->text, sizeof ((struct note_def *)def)->text, "%.*s", (int)len,
		 text);
	return 0;
}

static void note_init(mgr_reg_entry *e)
{
	((struct note *)e)->assigned_fresh = -1;
}

static void note_assign(mgr_reg_entry *e, const void *def, bool fresh)
{
	struct note *n = (struct note *)e;
	n->def = *(const struct note_def *)def;
	n->assigned_fresh = fresh;
}

static void note_state_format(const mgr_reg_entry *e, textbuf *out)
{
	textbuf_printf(out, "owner %u:%u runs %llu\n", e->owner.uid, e->owner.gid,
		       (unsigned long long)e->runs);
}

static void note_state_parse(mgr_reg_entry *e, const char *text)
{
	unsigned uid, gid;
	unsigned long long runs;
	if (sscanf(text, "owner %u:%u runs %llu", &uid, &gid, &runs) == 3) {
		e->owner = (mgr_principal){uid, gid};
		e->runs = runs;
	}
}

/* A worker that runs at once: the run is over when the request returns. */
static void note_request_locked(mgr_registry *reg, mgr_reg_entry *e)
{
	(void)reg;
	((struct note *)e)->requested = true;
	if (e->state != MGR_REG_RUNNING)
		e->runs++;
}

static void note_result_locked(const mgr_reg_entry *e, textbuf *out)
{
	textbuf_printf(out, "%s runs=%llu\n", mgr_reg_state_name(e->state), (unsigned long long)e->runs);
}

static const mgr_reg_type note_type = {
	.dir = "notes",
	.suffix = ".note",
	.noun = "note",
	.short_noun = "note",
	.action = "note",
	.entry_size = sizeof(struct note),
	.def_size = sizeof(struct note_def),
	.parse = note_parse,
	.init = note_init,
	.assign = note_assign,
	.state_format = note_state_format,
	.state_parse = note_state_parse,
	.request_locked = note_request_locked,
	.result_locked = note_result_locked,
};

struct notes {
	mgr_registry reg;
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool stopping;
};

static void notes_open(struct fixture *f, struct notes *n)
{
	memset(n, 0, sizeof *n);
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->done, NULL);
	assert_int_equal(mgr_registry_init(&n->reg, &note_type, f->m, n, &n->lock, &n->done, &n->stopping),
			 0);
	assert_int_equal(mgr_registry_load(&n->reg), 0);
}

static void notes_close(struct notes *n)
{
	mgr_registry_fini(&n->reg);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->done);
}

static int note_define(struct notes *n, const mgr_principal *who, const char *name, const char *text)
{
	struct note_def def;
	char err[256] = "";
	return mgr_registry_define(&n->reg, who, name, text, strlen(text), &def, err, sizeof err);
}

static mgr_principal daemon_user(void)
{
	return (mgr_principal){(uint32_t)getuid(), (uint32_t)getgid()};
}

static bool exists(const char *home, const char *rel)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/manager/%s", home, rel);
	return access(path, F_OK) == 0;
}

static void test_registry_state_names_are_the_words_status_files_show(void **state)
{
	(void)state;
	assert_string_equal(mgr_reg_state_name(MGR_REG_IDLE), "idle");
	assert_string_equal(mgr_reg_state_name(MGR_REG_RUNNING), "running");
	assert_string_equal(mgr_reg_state_name(MGR_REG_FAILED), "failed");
}

static void test_registry_define_numbers_entries_from_one_in_order(void **state)
{
	struct fixture *f = *state;
	struct notes n;
	mgr_principal me = daemon_user();
	notes_open(f, &n);
	assert_int_equal(mgr_registry_count(&n.reg), 0);
	assert_int_equal(note_define(&n, &me, "a", "first"), 0);
	assert_int_equal(note_define(&n, &me, "b", "second"), 0);
	uint32_t id = 0;
	assert_int_equal(mgr_registry_find(&n.reg, "b", &id), 0);
	assert_int_equal(id, 2);
	assert_int_equal(mgr_registry_count(&n.reg), 2);
	char name[STORE_NAME_MAX + 1];
	assert_int_equal(mgr_registry_lookup(&n.reg, 1, name, NULL), 0);
	assert_string_equal(name, "a");
	assert_true(exists(f->home, "notes/a.note"));
	assert_true(exists(f->home, "notes/a.state"));
	notes_close(&n);
}

static void test_registry_redefinition_keeps_the_number_and_replaces_the_definition(void **state)
{
	struct fixture *f = *state;
	struct notes n;
	mgr_principal me = daemon_user();
	notes_open(f, &n);
	assert_int_equal(note_define(&n, &me, "a", "first"), 0);
	assert_int_equal(note_define(&n, &me, "a", "again"), 0);
	assert_int_equal(mgr_registry_count(&n.reg), 1);
	pthread_mutex_lock(&n.lock);
	struct note *e = (struct note *)mgr_registry_get_locked(&n.reg, 1);
	assert_non_null(e);
	assert_string_equal(e->def.text, "again");
	assert_int_equal(e->assigned_fresh, 0);
	pthread_mutex_unlock(&n.lock);
	textbuf t = TEXTBUF_INIT;
	assert_int_equal(mgr_registry_read_def(&n.reg, 1, &t), 0);
	assert_string_equal(t.data, "again");   /* no format callback: the file as written */
	textbuf_free(&t);
	notes_close(&n);
}

static void test_registry_refuses_a_definition_that_does_not_parse(void **state)
{
	struct fixture *f = *state;
	struct notes n;
	mgr_principal me = daemon_user();
	notes_open(f, &n);
	struct note_def def;
	char err[256] = "";
	assert_int_equal(mgr_registry_define(&n.reg, &me, "a", "bad", 3, &def, err, sizeof err), -EINVAL);
	assert_string_equal(err, "line 1: bad note");
	assert_int_equal(mgr_registry_count(&n.reg), 0);
	assert_false(exists(f->home, "notes/a.note"));
	notes_close(&n);
}

static void test_registry_delete_forgets_the_name_but_not_the_number(void **state)
{
	struct fixture *f = *state;
	struct notes n;
	mgr_principal me = daemon_user();
	notes_open(f, &n);
	assert_int_equal(note_define(&n, &me, "a", "first"), 0);
	assert_int_equal(mgr_registry_delete(&n.reg, "a"), 0);
	uint32_t id;
	assert_int_equal(mgr_registry_find(&n.reg, "a", &id), -ENOENT);
	assert_int_equal(mgr_registry_lookup(&n.reg, 1, NULL, NULL), -ENOENT);
	assert_int_equal(mgr_registry_delete(&n.reg, "a"), -ENOENT);
	assert_false(exists(f->home, "notes/a.note"));
	assert_false(exists(f->home, "notes/a.state"));
	assert_int_equal(mgr_registry_count(&n.reg), 1);
	assert_int_equal(note_define(&n, &me, "a", "anew"), 0);
	assert_int_equal(mgr_registry_find(&n.reg, "a", &id), 0);
	assert_int_equal(id, 2);
	notes_close(&n);
}

static void test_registry_definer_becomes_the_owner(void **state)
{
	struct fixture *f = *state;
	struct notes n;
	mgr_principal me = daemon_user(), owner = {0, 0};
	notes_open(f, &n);
	assert_int_equal(note_define(&n, &me, "a", "first"), 0);
	assert_int_equal(mgr_registry_lookup(&n.reg, 1, NULL, &owner), 0);
	assert_int_equal(owner.uid, me.uid);
	assert_int_equal(owner.gid, me.gid);
	notes_close(&n);
}

static void test_registry_another_users_entry_needs_admin_to_redefine(void **state)
{
	struct fixture *f = *state;
	struct notes n;
	mgr_principal me = daemon_user(), other = {me.uid + 4242, me.gid};
	notes_open(f, &n);
	assert_int_equal(note_define(&n, &me, "a", "first"), 0);
	struct note_def def;
	char err[256] = "";
	assert_int_equal(mgr_registry_define(&n.reg, &other, "a", "mine", 4, &def, err, sizeof err),
			 -EACCES);
	assert_string_equal(err, "permission denied: the note belongs to another user");
	textbuf t = TEXTBUF_INIT;
	assert_int_equal(mgr_registry_read_def(&n.reg, 1, &t), 0);
	assert_string_equal(t.data, "first");
	textbuf_free(&t);
	notes_close(&n);
}

static void test_registry_load_restores_entries_with_their_state(void **state)
{
	struct fixture *f = *state;
	struct notes n;
	mgr_principal me = daemon_user();
	notes_open(f, &n);
	assert_int_equal(note_define(&n, &me, "a", "first"), 0);
	notes_close(&n);
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/manager/notes/a.state", f->home);
	write_file(path, "owner 4242:77 runs 9\n");
	snprintf(path, sizeof path, "%s/manager/notes/b.note", f->home);
	write_file(path, "bad one");
	notes_open(f, &n);
	assert_int_equal(mgr_registry_count(&n.reg), 1);   /* b does not parse: skipped */
	mgr_principal owner;
	assert_int_equal(mgr_registry_lookup(&n.reg, 1, NULL, &owner), 0);
	assert_int_equal(owner.uid, 4242);
	assert_int_equal(owner.gid, 77);
	pthread_mutex_lock(&n.lock);
	struct note *e = (struct note *)mgr_registry_get_locked(&n.reg, 1);
	assert_int_equal(e->base.runs, 9);
	assert_int_equal(e->assigned_fresh, 1);
	assert_string_equal(e->def.text, "first");
	pthread_mutex_unlock(&n.lock);
	notes_close(&n);
}

static void test_registry_run_now_returns_the_result_of_the_requested_run(void **state)
{
	struct fixture *f = *state;
	struct notes n;
	mgr_principal me = daemon_user();
	notes_open(f, &n);
	assert_int_equal(note_define(&n, &me, "a", "first"), 0);
	textbuf t = TEXTBUF_INIT;
	assert_int_equal(mgr_registry_run_now(&n.reg, 1, NULL, NULL, &t), 0);
	assert_string_equal(t.data, "idle runs=1\n");
	textbuf_free(&t);
	assert_int_equal(mgr_registry_run_now(&n.reg, 2, NULL, NULL, &t), -ENOENT);
	notes_close(&n);
}

static bool stop_after_a_few(void *ctx)
{
	return ++*(int *)ctx > 3;
}

static void test_registry_run_now_during_a_run_waits_for_the_next_one(void **state)
{
	struct fixture *f = *state;
	struct notes n;
	mgr_principal me = daemon_user();
	notes_open(f, &n);
	assert_int_equal(note_define(&n, &me, "a", "first"), 0);
	pthread_mutex_lock(&n.lock);
	mgr_reg_entry *e = mgr_registry_get_locked(&n.reg, 1);
	e->state = MGR_REG_RUNNING;   /* a run began before the request: it does not count */
	pthread_mutex_unlock(&n.lock);
	textbuf t = TEXTBUF_INIT;
	int calls = 0;
	assert_int_equal(mgr_registry_run_now(&n.reg, 1, stop_after_a_few, &calls, &t), -EINTR);
	assert_true(((struct note *)e)->requested);
	assert_int_equal(t.len, 0);
	textbuf_free(&t);
	notes_close(&n);
}

/* The two kinds the daemon has, through their own interfaces. */

static void test_sync_rules_are_defined_found_owned_and_deleted(void **state)
{
	struct fixture *f = *state;
	mgr_principal me = daemon_user(), owner;
	assert_int_equal(mgr_sync_start(f->m), 0);
	const char *text = "source = warehouse.sales.*\ntarget = lake\n";
	char err[256] = "", name[STORE_NAME_MAX + 1];
	assert_int_equal(mgr_sync_define_as(f->m, &me, "r1", text, strlen(text), err, sizeof err), 0);
	uint32_t id = 0;
	assert_int_equal(mgr_sync_find(f->m, "r1", &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(mgr_sync_count(f->m), 1);
	assert_int_equal(mgr_sync_info(f->m, 1, name), 0);
	assert_string_equal(name, "r1");
	assert_int_equal(mgr_sync_owner(f->m, 1, &owner), 0);
	assert_int_equal(owner.uid, me.uid);
	textbuf t = TEXTBUF_INIT;
	assert_int_equal(mgr_sync_read_rule(f->m, 1, &t), 0);
	assert_non_null(strstr(t.data, "warehouse.sales.*"));
	textbuf_free(&t);
	assert_true(exists(f->home, "sync/r1.rule"));
	assert_int_equal(mgr_sync_delete(f->m, "r1"), 0);
	assert_int_equal(mgr_sync_find(f->m, "r1", &id), -ENOENT);
	assert_int_equal(mgr_sync_count(f->m), 1);
	assert_false(exists(f->home, "sync/r1.rule"));
	mgr_sync_stop(f->m);
}

static void test_sync_rule_with_an_unknown_platform_is_refused(void **state)
{
	struct fixture *f = *state;
	mgr_principal me = daemon_user();
	assert_int_equal(mgr_sync_start(f->m), 0);
	const char *text = "source = warehouse.sales.*\ntarget = nowhere\n";
	char err[256] = "";
	assert_int_equal(mgr_sync_define_as(f->m, &me, "r1", text, strlen(text), err, sizeof err),
			 -EINVAL);
	assert_string_equal(err, "unknown target platform \"nowhere\"");
	assert_int_equal(mgr_sync_count(f->m), 0);
	mgr_sync_stop(f->m);
}

static void test_sync_rule_owner_is_read_from_its_state_file(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/manager/sync", f->home);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/manager/sync/r1.rule", f->home);
	write_file(path, "source = warehouse.sales.*\ntarget = lake\n");
	snprintf(path, sizeof path, "%s/manager/sync/r1.state", f->home);
	write_file(path, "owner: 4242:77\nlast_run: never\n");
	assert_int_equal(mgr_sync_start(f->m), 0);
	mgr_principal owner;
	assert_int_equal(mgr_sync_owner(f->m, 1, &owner), 0);
	assert_int_equal(owner.uid, 4242);
	assert_int_equal(owner.gid, 77);
	mgr_sync_stop(f->m);
}

static const char pipeline_text[] = "[pipeline]\nname = p\nsource = warehouse/sales/orders\n";

static void test_pipelines_are_defined_found_owned_and_deleted(void **state)
{
	struct fixture *f = *state;
	store_table t0;
	make_table(f, "column a int\n", &t0);
	store_table_clear(&t0);
	mgr_principal me = daemon_user(), owner;
	assert_int_equal(mgr_pipelines_start(f->m, "/nonexistent"), 0);
	char err[256] = "", name[STORE_NAME_MAX + 1];
	assert_int_equal(mgr_pipeline_define_as(f->m, &me, "p1", pipeline_text, strlen(pipeline_text),
						err, sizeof err), 0);
	uint32_t id = 0;
	assert_int_equal(mgr_pipeline_find(f->m, "p1", &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(mgr_pipeline_count(f->m), 1);
	assert_int_equal(mgr_pipeline_info(f->m, 1, name), 0);
	assert_string_equal(name, "p1");
	assert_int_equal(mgr_pipeline_owner(f->m, 1, &owner), 0);
	assert_int_equal(owner.uid, me.uid);
	textbuf t = TEXTBUF_INIT;
	assert_int_equal(mgr_pipeline_read_def(f->m, 1, &t), 0);
	assert_string_equal(t.data, pipeline_text);
	textbuf_reset(&t);
	assert_int_equal(mgr_pipeline_read(f->m, 1, MGR_PIPELINE_STATUS, &t), 0);
	char status[128];
	snprintf(status, sizeof status, "idle\nplatform: warehouse\nlast_run: never\nowner: %u\nruns: 0\n",
		 me.uid);
	assert_string_equal(t.data, status);
	textbuf_free(&t);
	assert_int_equal(mgr_pipeline_delete(f->m, "p1"), 0);
	assert_int_equal(mgr_pipeline_find(f->m, "p1", &id), -ENOENT);
	assert_int_equal(mgr_pipeline_count(f->m), 1);
	assert_false(exists(f->home, "pipelines/p1.ini"));
	assert_false(exists(f->home, "pipelines/p1.state"));
	mgr_pipelines_stop(f->m);
}

static void test_pipeline_owner_and_counters_are_read_from_its_state_file(void **state)
{
	struct fixture *f = *state;
	store_table t0;
	make_table(f, "column a int\n", &t0);
	store_table_clear(&t0);
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/manager/pipelines", f->home);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/manager/pipelines/p1.ini", f->home);
	write_file(path, pipeline_text);
	snprintf(path, sizeof path, "%s/manager/pipelines/p1.state", f->home);
	write_file(path, "runs 3 delivered 1 exit_code 2 last_run 2026-01-01T00:00:00Z owner 4242:77\nout\n");
	assert_int_equal(mgr_pipelines_start(f->m, "/nonexistent"), 0);
	mgr_principal owner;
	assert_int_equal(mgr_pipeline_owner(f->m, 1, &owner), 0);
	assert_int_equal(owner.uid, 4242);
	textbuf t = TEXTBUF_INIT;
	assert_int_equal(mgr_pipeline_read(f->m, 1, MGR_PIPELINE_STATUS, &t), 0);
	assert_string_equal(t.data, "failed\nplatform: warehouse\nlast_run: 2026-01-01T00:00:00Z\n"
				    "owner: 4242\nexit_code: 2\nruns: 3\n");
	textbuf_reset(&t);
	assert_int_equal(mgr_pipeline_read(f->m, 1, MGR_PIPELINE_LOG, &t), 0);
	assert_string_equal(t.data, "out\n");
	textbuf_free(&t);
	mgr_pipelines_stop(f->m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_refuses_existing_home, setup, teardown),
		cmocka_unit_test(test_init_rejects_reserved_platform_names),
		cmocka_unit_test(test_config_unknown_key_names_file_and_line),
		cmocka_unit_test(test_config_reads_platforms_in_order_with_sizes),
		cmocka_unit_test(test_config_shares_memory_per_job_and_keeps_old_memory_per_operator),
		cmocka_unit_test_setup_teardown(test_schema_roundtrips_through_render, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_with_awkward_names_roundtrips, setup, teardown),
		cmocka_unit_test(test_schema_fuzz_properties_refused_or_roundtrip),
		cmocka_unit_test_setup_teardown(test_schema_errors_name_the_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_cannot_be_defined_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partitions_create_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_alter_changes_columns_only_while_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_name_checks_key_and_unescapes, setup, teardown),
		cmocka_unit_test(test_scan_counts_csv_records_not_lines),
		cmocka_unit_test(test_scan_counts_nonblank_jsonl_lines),
		cmocka_unit_test_setup_teardown(test_writer_commit_records_file_and_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_commit_refuses_bytes_not_of_the_tables_format,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_commit_records_parquet_statistics, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partition_renders_column_statistics, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_writer_closed_without_commit_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden_file_is_kept_unrecorded_until_renamed_to_a_data_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_cleans_staging_left_by_a_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_home_is_private_and_a_readable_one_is_refused_then_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_registers_and_forgets_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intent_resolution_records_parquet_statistics,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_leaves_files_of_pending_intents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_home_lock_is_refused_while_a_daemon_holds_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_drop_refuses_partitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_are_one_stream_in_commit_order_limited_in_total, setup, teardown),
		cmocka_unit_test(test_textbuf_grows_and_steals),
		cmocka_unit_test(test_registry_state_names_are_the_words_status_files_show),
		cmocka_unit_test_setup_teardown(test_registry_define_numbers_entries_from_one_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_redefinition_keeps_the_number_and_replaces_the_definition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_refuses_a_definition_that_does_not_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_delete_forgets_the_name_but_not_the_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_definer_becomes_the_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_another_users_entry_needs_admin_to_redefine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_load_restores_entries_with_their_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_run_now_returns_the_result_of_the_requested_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_run_now_during_a_run_waits_for_the_next_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_rules_are_defined_found_owned_and_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_rule_with_an_unknown_platform_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_rule_owner_is_read_from_its_state_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelines_are_defined_found_owned_and_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipeline_owner_and_counters_are_read_from_its_state_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
