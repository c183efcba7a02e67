/*
 * test_sec_mirror.c - metafs.* properties are the daemon's, and a table is
 * a mirror only when a sync rule made it.  Over a real home (warehouse and
 * lake) with one rule, r (warehouse.sec.* to lake), applied once: random
 * property names (metafs., METAFS., metafs.mirror. with blanks, case
 * variants, look-alike Unicode, ...) are refused by .schema exactly when
 * they start with "metafs." in some case, and random property sets never
 * make a table a mirror (mgr_is_mirror, mgr_mirror_source, mgr_refresh),
 * unless they are the very record rule r made where r makes it.  The seed
 * is fixed: a failure is reproduced by running the test again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "manager.h"
#include "mgr_sync.h"
#include "sync.h"
#include "mgr_fixture.h"

#define ITERATIONS 20000
#define DEFINE_ITERATIONS 600

struct fixture {
	char home[PATH_MAX];
	mgr *m;
	mgr_platform *wh, *lake;
	uint64_t secret_id;
	char location[PATH_MAX + 16];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd() % n];
}

#define PICK(v) pick(v, sizeof v / sizeof v[0])

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	const char *names[] = {"warehouse", "lake"};
	char err[512] = "";
	mgr_principal me = {(uint32_t)getuid(), (uint32_t)getgid()};
	const char *rule = "source = warehouse.sec.*\ntarget = lake\nmirror = schema, properties, partitions\n";
	const char *schema = "column id bigint\ncolumn ssn string\npartition dt string\n";
	store_database db;
	textbuf out = TEXTBUF_INIT;
	store_txn *txn = NULL;
	store_table t = {0};
	uint32_t id = 0;

	assert_non_null(f);
	f->m = mgr_fx_open(f->home, 2, names, true, &f->wh);
	f->lake = mgr_platform_find(f->m, "lake");
	assert_non_null(f->lake);
	assert_int_equal(mgr_database_create(f->wh, "sec", 0, 0, STORE_ORIGIN_TOOL, &db), 0);
	assert_int_equal(mgr_table_create(f->wh, "sec", "secret", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_table_define(f->wh, "sec", "secret", schema, strlen(schema),
					  STORE_ORIGIN_TOOL, err, sizeof err), 0);
	assert_int_equal(mgr_database_create(f->lake, "mine", 0, 0, STORE_ORIGIN_TOOL, &db), 0);
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sec", "secret", &t), 0);
	store_abort(txn);
	f->secret_id = t.id;
	snprintf(f->location, sizeof f->location, "%s/sec/secret", f->wh->data_dir);
	store_table_clear(&t);

	assert_int_equal(mgr_sync_start(f->m), 0);
	assert_int_equal(mgr_sync_define_as(f->m, &me, "r", rule, strlen(rule), err, sizeof err), 0);
	assert_int_equal(mgr_sync_find(f->m, "r", &id), 0);
	assert_int_equal(mgr_sync_run_now(f->m, id, NULL, NULL, &out), 0);
	textbuf_free(&out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mgr_sync_stop(f->m);
	mgr_fx_close(f->m, f->home);
	free(f);
	return 0;
}

/* The rule's real mirror: the positive control. */
static void test_the_rules_own_mirror_is_a_mirror(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = NULL;
	store_table t = {0}, st = {0};
	mgr_platform *sp = NULL;
	textbuf out = TEXTBUF_INIT;

	assert_int_equal(store_read_begin(f->lake->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sec", "secret", &t), 0);
	store_abort(txn);
	assert_true(mgr_is_mirror(f->m, f->lake, &t));
	assert_int_equal(mgr_mirror_source(f->m, f->lake, &t, &sp, &st), 0);
	assert_ptr_equal(sp, f->wh);
	assert_int_equal(st.id, f->secret_id);
	assert_int_equal(mgr_refresh(f->m, f->lake, &t, 0, &out), 0);
	/* The same record seen as a table of the rule's source platform is not. */
	assert_false(mgr_is_mirror(f->m, f->wh, &t));
	store_table_clear(&st);
	store_table_clear(&t);
	textbuf_free(&out);
}

/* The oracle: after blanks, "metafs." in any ASCII case. */
static bool expect_reserved(const char *key)
{
	static const char want[] = "metafs.";

	while (*key == ' ' || *key == '\t' || *key == '\r' || *key == '\n' || *key == '\v' ||
	       *key == '\f')
		key++;
	for (size_t i = 0; i < sizeof want - 1; i++)
		if (tolower((unsigned char)key[i]) != want[i])
			return false;
	return true;
}

static const char *const heads[] = {
	"metafs.", "METAFS.", "Metafs.", "mEtAfS.", "metafs.mirror.", "METAFS.MIRROR.",
	"Metafs.Mirror.", " metafs.", "  METAFS.mirror.", "\tmetafs.", "metafs .", "metafs",
	"metafs_", "metafs..", ".metafs.", "meta fs.", "x.metafs.", "metafsmirror.",
	"\xef\xbd\x8d" "etafs.",          /* fullwidth m */
	"m\xd0\xb5" "tafs.",              /* Cyrillic e */
	"metafs\xe3\x80\x82",             /* ideographic full stop */
	"metafs\xef\xbc\x8e",             /* fullwidth full stop */
	"\xe2\x80\x8bmetafs.",            /* zero-width space */
	"METAFS\xc2\xb7", "metaf.", "etafs.", "", "mirror.", "spark.", "owner.",
};

static const char *const tails[] = {
	"source_id", "location", "rule", "source", "source_etag", "event", "mask.policy",
	"mask.version", "mask.key", "SOURCE_ID", " source_id", "mirror.source_id", "",
	"x", "\xc3\xa9t\xc3\xa9", "a b", "..", "mirror.", "source_id ",
};

/* A random property name: a head, a tail, letters flipped in case, now and
 * then a random printable byte. */
static void random_key(char *out, size_t cap)
{
	size_t n;

	snprintf(out, cap, "%s%s", PICK(heads), PICK(tails));
	n = strlen(out);
	for (size_t i = 0; i < n; i++)
		if ((rnd() & 7) == 0 && isalpha((unsigned char)out[i]))
			out[i] = (char)((rnd() & 1) ? toupper((unsigned char)out[i])
						    : tolower((unsigned char)out[i]));
	if ((rnd() & 15) == 0 && n + 1 < cap) {
		out[n] = (char)(0x21 + rnd() % 0x5e);
		out[n + 1] = '\0';
	}
}

static void test_reserved_names_are_exactly_metafs_prefixed(void **state)
{
	(void)state;
	char key[128];
	unsigned reserved = 0;

	for (unsigned i = 0; i < ITERATIONS; i++) {
		random_key(key, sizeof key);
		bool want = expect_reserved(key);
		if (sync_property_reserved(key, strlen(key)) != want)
			fail_msg("iteration %u: \"%s\": reserved should be %d", i, key, want);
		reserved += want;
	}
	/* Both kinds were generated in numbers. */
	assert_true(reserved > ITERATIONS / 10);
	assert_true(reserved < ITERATIONS - ITERATIONS / 10);
}

/* .schema refuses a reserved name (-EPERM, naming it) and takes any other. */
static void test_schema_refuses_every_reserved_name(void **state)
{
	struct fixture *f = *state;
	char key[128], name[32], text[PATH_MAX + 512], err[256];

	for (unsigned i = 0; i < DEFINE_ITERATIONS; i++) {
		random_key(key, sizeof key);
		if (strchr(key, '=') || strchr(key, '#'))
			continue;   /* not a property name the .schema format can carry */
		snprintf(name, sizeof name, "t%u", i);
		assert_int_equal(mgr_table_create(f->lake, "mine", name, 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
		snprintf(text, sizeof text, "column id bigint\nproperty %s = %" PRIu64 "\n"
			 "property ok = %s\n", key, f->secret_id, f->location);
		err[0] = '\0';
		int rc = mgr_table_define(f->lake, "mine", name, text, strlen(text), STORE_ORIGIN_TOOL,
					  err, sizeof err);
		char trimmed[128];
		snprintf(trimmed, sizeof trimmed, "%s", key);
		/* .schema trims blanks around the name. */
		char *k = trimmed;
		while (isspace((unsigned char)*k))
			k++;
		for (char *e = k + strlen(k); e > k && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (*k == '\0')
			continue;   /* an empty name is refused as such */
		if (expect_reserved(k)) {
			if (rc != -EPERM || !strstr(err, "is reserved for metafs") || !strstr(err, k))
				fail_msg("iteration %u: \"%s\" taken (rc %d, \"%s\")", i, key, rc, err);
		} else if (rc != 0) {
			fail_msg("iteration %u: \"%s\" refused: %s", i, key, err);
		}
	}
}

static const char *const rule_names[] = {"r", "R", "r ", " r", "nosuch", "", "r\tx", "rr"};
static const char *const sources[] = {
	"warehouse.sec.secret", "WAREHOUSE.sec.secret", "warehouse.sec.secret ", "lake.sec.secret",
	"warehouse.mine.x", "warehouse.sec", "warehouse..sec.secret", "nowhere.sec.secret", "",
};
static const char *const policies[] = {NULL, "", "ssn:hash", "ssn:null", "id:redact"};
static const char *const keys_rule[] = {"metafs.mirror.rule", "METAFS.mirror.rule", "metafs.mirror.rule "};

/* Random property sets on random tables: a mirror only when they are rule
 * r's own record, at the place r mirrors to. */
static void test_no_property_set_makes_a_mirror(void **state)
{
	struct fixture *f = *state;
	store_column cols[3] = {{.name = "id", .type = STORE_TYPE_BIGINT},
				{.name = "ssn", .type = STORE_TYPE_STRING},
				{.name = "dt", .type = STORE_TYPE_STRING}};
	unsigned valid = 0;

	for (unsigned i = 0; i < ITERATIONS; i++) {
		textbuf props = TEXTBUF_INIT;
		char key[128];
		bool on_lake = (rnd() & 3) != 0, at_secret = (rnd() & 1) != 0;
		const char *rk = PICK(keys_rule), *rn = PICK(rule_names), *src = PICK(sources);
		const char *pol = PICK(policies);
		bool good_sid = (rnd() & 3) != 0;
		uint64_t sid = good_sid ? f->secret_id : rnd() % 5;

		/* Noise first: random names, reserved or not. */
		for (unsigned k = rnd() % 4; k > 0; k--) {
			random_key(key, sizeof key);
			textbuf_printf(&props, "%s=%" PRIu64 "\n", key, f->secret_id);
		}
		textbuf_printf(&props, "%s=%s\n", rk, rn);
		textbuf_printf(&props, "metafs.mirror.source=%s\n", src);
		textbuf_printf(&props, "metafs.mirror.source_id=%" PRIu64 "\n", sid);
		textbuf_printf(&props, "metafs.mirror.location=%s\n", f->location);
		if (pol)
			textbuf_printf(&props, "metafs.mask.policy=%s\nmetafs.mask.version=1\n", pol);
		assert_int_equal(textbuf_error(&props), 0);

		store_table t = {0};
		t.id = 1000 + i;
		snprintf(t.db, sizeof t.db, "%s", at_secret ? "sec" : "mine");
		snprintf(t.name, sizeof t.name, "%s", at_secret ? "secret" : "x");
		t.has_schema = true;
		t.format = STORE_FORMAT_CSV;
		t.ncolumns = 2;
		t.npartkeys = 1;
		t.columns = cols;
		t.properties = props.data;

		/* The noise may name metafs.mirror.rule first: the first line wins. */
		bool first_rule_is_rk = strstr(props.data, "metafs.mirror.rule=") ==
					strstr(props.data, rk) || strcmp(rk, "metafs.mirror.rule") != 0;
		bool want = on_lake && at_secret && strcmp(rk, "metafs.mirror.rule") == 0 &&
			    first_rule_is_rk && strcmp(rn, "r") == 0 &&
			    strcmp(src, "warehouse.sec.secret") == 0 &&
			    strstr(props.data, "metafs.mirror.source=") ==
				    strstr(props.data, "metafs.mirror.source=warehouse.sec.secret\n") &&
			    sid != 0 && (pol == NULL || *pol == '\0');
		mgr_platform *p = on_lake ? f->lake : f->wh;
		bool got = mgr_is_mirror(f->m, p, &t);
		if (got && !want)
			fail_msg("iteration %u: a mirror from properties alone:\n%s", i, props.data);
		if (want && !got)
			fail_msg("iteration %u: rule r's own record refused:\n%s", i, props.data);
		mgr_platform *sp = NULL;
		store_table st = {0};
		int rc = mgr_mirror_source(f->m, p, &t, &sp, &st);
		if (!want && rc != -ENOENT)
			fail_msg("iteration %u: a source for a non-mirror (rc %d)", i, rc);
		if (rc == 0)
			store_table_clear(&st);
		if (!want && (rnd() & 15) == 0) {
			textbuf out = TEXTBUF_INIT;
			assert_int_equal(mgr_refresh(f->m, p, &t, 0, &out), -ENOENT);
			assert_int_equal(out.len, 0);
			textbuf_free(&out);
		}
		valid += want;
		textbuf_free(&props);
	}
	assert_true(valid > 0);   /* the control case was generated too */
}

/* A store from before the reserved names: a plain table written with the
 * mirror's properties (the daemon's origin) is still a plain table. */
static void test_stale_properties_in_the_store_are_a_plain_table(void **state)
{
	struct fixture *f = *state;
	store_column cols[3] = {{.name = "id", .type = STORE_TYPE_BIGINT},
				{.name = "ssn", .type = STORE_TYPE_STRING},
				{.name = "dt", .type = STORE_TYPE_STRING}};
	char props[PATH_MAX + 512];
	store_txn *txn = NULL;
	store_table t = {0}, got = {0};
	textbuf out = TEXTBUF_INIT;

	snprintf(props, sizeof props,
		 "metafs.mirror.rule=r\nmetafs.mirror.source=warehouse.sec.secret\n"
		 "metafs.mirror.source_id=%" PRIu64 "\nmetafs.mirror.source_etag=0000000000000000\n"
		 "metafs.mirror.location=%s\nmetafs.mirror.event=1\n", f->secret_id, f->location);
	assert_int_equal(mgr_table_create(f->lake, "mine", "stale", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	snprintf(t.db, sizeof t.db, "mine");
	snprintf(t.name, sizeof t.name, "stale");
	t.format = STORE_FORMAT_CSV;
	t.ncolumns = 2;
	t.npartkeys = 1;
	t.columns = cols;
	t.properties = props;
	assert_int_equal(store_write_begin(f->lake->store, &txn), 0);
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_commit(txn), 0);
	assert_int_equal(store_read_begin(f->lake->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "mine", "stale", &got), 0);
	store_abort(txn);
	assert_false(mgr_is_mirror(f->m, f->lake, &got));
	assert_int_equal(mgr_refresh(f->m, f->lake, &got, 0, &out), -ENOENT);
	assert_int_equal(out.len, 0);
	textbuf_free(&out);
	store_table_clear(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_the_rules_own_mirror_is_a_mirror, setup, teardown),
		cmocka_unit_test(test_reserved_names_are_exactly_metafs_prefixed),
		cmocka_unit_test_setup_teardown(test_schema_refuses_every_reserved_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_property_set_makes_a_mirror, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_properties_in_the_store_are_a_plain_table, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
