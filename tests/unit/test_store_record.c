/*
 * test_store_record.c - the binary encoding of records and events.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include <cmocka.h>

#include "store.h"

#define ROUNDS 500

/* rand() is seeded per test, so a failure reproduces. */
static uint64_t rand64(void)
{
	uint64_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 16 | (uint64_t)(rand() & 0xffff);
	return v;
}

/* Lengths skewed towards the edges: 1, 255 and short ones. */
static size_t rand_len(size_t max)
{
	switch (rand() % 4) {
	case 0:
		return 1;
	case 1:
		return max;
	default:
		return 1 + (size_t)rand() % max;
	}
}

static void rand_bytes_no_nul(char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(1 + rand() % 255);
	out[n] = '\0';
}

static void rand_name(char *out)
{
	do {
		size_t n = rand_len(STORE_NAME_MAX);

		rand_bytes_no_nul(out, n);
		for (size_t i = 0; i < n; i++)
			if (out[i] == '/')
				out[i] = '_';
	} while (!store_name_valid(out, NULL));
}

static void rand_database(store_database *d)
{
	memset(d, 0, sizeof *d);
	d->id = rand64() & STORE_ID_MAX;
	rand_name(d->name);
	d->owner_uid = (uint32_t)rand64();
	d->owner_gid = (uint32_t)rand64();
	d->created_ns = (int64_t)rand64();
}

/* The arrays are malloc'd: store_table_clear() the result. */
static void rand_table(store_table *t)
{
	uint32_t n;

	memset(t, 0, sizeof *t);
	t->id = rand64();
	t->db_id = rand64();
	rand_name(t->db);
	rand_name(t->name);
	t->owner_uid = (uint32_t)rand64();
	t->owner_gid = (uint32_t)rand64();
	t->created_ns = (int64_t)rand64();
	t->modified_ns = (int64_t)rand64();
	t->has_schema = rand() % 4 != 0;
	t->format = rand() % 2 ? STORE_FORMAT_CSV : STORE_FORMAT_JSONL;
	t->header = rand() % 2;
	if (t->has_schema) {
		t->ncolumns = rand() % 20 == 0 ? STORE_MAX_COLUMNS : 1 + (uint32_t)rand() % 30;
		t->npartkeys = (uint32_t)rand() % (STORE_MAX_PARTKEYS + 1);
		n = t->ncolumns + t->npartkeys;
		t->columns = calloc(n, sizeof *t->columns);
		assert_non_null(t->columns);
		for (uint32_t i = 0; i < n; i++) {
			rand_name(t->columns[i].name);
			t->columns[i].type = (store_type)(STORE_TYPE_STRING + rand() % 7);
			if (t->columns[i].type == STORE_TYPE_DECIMAL) {
				unsigned prec = 1 + (unsigned)rand() % STORE_DECIMAL_MAX_PRECISION;
				t->columns[i].type = store_type_decimal(prec, (unsigned)rand() % (prec + 1));
			}
		}
	}
	switch (rand() % 4) {
	case 0:
		break;              /* no properties */
	case 1:
		t->properties = strdup("");
		break;
	case 2:
		n = (uint32_t)rand() % 300;
		t->properties = malloc(n + 1);
		assert_non_null(t->properties);
		rand_bytes_no_nul(t->properties, n);
		break;
	default:                    /* longer than a u16 length could say */
		t->properties = malloc(70001);
		assert_non_null(t->properties);
		rand_bytes_no_nul(t->properties, 70000);
		break;
	}
	t->npartitions = rand64();
	t->nfiles = rand64();
	t->rows = rand64();
	t->bytes = rand64();
}

static void rand_pnode(store_pnode *p)
{
	memset(p, 0, sizeof *p);
	p->id = rand64();
	p->table_id = rand64();
	p->parent_id = rand64();
	p->depth = 1 + (uint32_t)rand() % STORE_MAX_PARTKEYS;
	p->leaf = rand() % 2;
	rand_bytes_no_nul(p->value, rand_len(STORE_NAME_MAX));
	p->owner_uid = (uint32_t)rand64();
	p->owner_gid = (uint32_t)rand64();
	p->created_ns = (int64_t)rand64();
	p->modified_ns = (int64_t)rand64();
	p->nfiles = rand64();
	p->rows = rand64();
	p->bytes = rand64();
	for (int i = 0; i < 16; i++)
		p->checksum[i] = (uint8_t)rand();
}

static void rand_file(store_file *f)
{
	memset(f, 0, sizeof *f);
	f->id = rand64();
	f->pnode_id = rand64();
	rand_name(f->name);
	f->owner_uid = (uint32_t)rand64();
	f->owner_gid = (uint32_t)rand64();
	f->created_ns = (int64_t)rand64();
	f->modified_ns = (int64_t)rand64();
	f->bytes = rand64();
	f->rows = rand64();
	for (int i = 0; i < 16; i++)
		f->checksum[i] = (uint8_t)rand();
}

static void rand_event(store_event *e)
{
	memset(e, 0, sizeof *e);
	e->seq = rand64();
	e->time_ns = (int64_t)rand64();
	e->op = (store_op)(STORE_OP_CREATE + rand() % 3);
	e->kind = (store_kind)(STORE_KIND_DATABASE + rand() % 4);
	e->origin = (store_origin)(STORE_ORIGIN_FS + rand() % 5);
	e->object_id = rand64();
	e->parent_id = rand64();
	e->etag = rand64();
	rand_bytes_no_nul(e->path, rand() % 2 ? sizeof e->path - 1 : (size_t)rand() % 100);
}

/* Encode a random record of KIND into *BUF; REC gets the record. */
static void encode_random(store_kind kind, store_object *rec, void **buf, size_t *len)
{
	switch (kind) {
	case STORE_KIND_DATABASE:
		rand_database(&rec->database);
		break;
	case STORE_KIND_TABLE:
		rand_table(&rec->table);
		break;
	case STORE_KIND_PNODE:
		rand_pnode(&rec->pnode);
		break;
	default:
		rand_file(&rec->file);
		break;
	}
	assert_int_equal(store_record_encode(kind, rec, buf, len), 0);
	if (kind == STORE_KIND_TABLE)
		store_table_clear(&rec->table);
}

static void test_record_roundtrip_random_databases(void **state)
{
	store_database in, out;
	void *buf;
	size_t len;

	(void)state;
	srand(1);
	for (int r = 0; r < ROUNDS; r++) {
		rand_database(&in);
		assert_int_equal(store_record_encode(STORE_KIND_DATABASE, &in, &buf, &len), 0);
		memset(&out, 0xa5, sizeof out);
		assert_int_equal(store_record_decode(STORE_KIND_DATABASE, buf, len, &out), 0);
		assert_int_equal(out.id, in.id);
		assert_string_equal(out.name, in.name);
		assert_int_equal(out.owner_uid, in.owner_uid);
		assert_int_equal(out.owner_gid, in.owner_gid);
		assert_int_equal(out.created_ns, in.created_ns);
		assert_int_equal(out.etag, XXH3_64bits(buf, len));
		free(buf);
	}
}

static void test_record_roundtrip_random_tables(void **state)
{
	store_table in, out;
	void *buf;
	size_t len;

	(void)state;
	srand(2);
	for (int r = 0; r < ROUNDS; r++) {
		rand_table(&in);
		assert_int_equal(store_record_encode(STORE_KIND_TABLE, &in, &buf, &len), 0);
		memset(&out, 0xa5, sizeof out);
		assert_int_equal(store_record_decode(STORE_KIND_TABLE, buf, len, &out), 0);
		assert_int_equal(out.id, in.id);
		assert_int_equal(out.db_id, in.db_id);
		assert_string_equal(out.db, in.db);
		assert_string_equal(out.name, in.name);
		assert_int_equal(out.owner_uid, in.owner_uid);
		assert_int_equal(out.owner_gid, in.owner_gid);
		assert_int_equal(out.created_ns, in.created_ns);
		assert_int_equal(out.modified_ns, in.modified_ns);
		assert_int_equal(out.has_schema, in.has_schema);
		assert_int_equal(out.format, in.format);
		assert_int_equal(out.header, in.header);
		assert_int_equal(out.ncolumns, in.ncolumns);
		assert_int_equal(out.npartkeys, in.npartkeys);
		for (uint32_t i = 0; i < in.ncolumns + in.npartkeys; i++) {
			assert_string_equal(out.columns[i].name, in.columns[i].name);
			assert_int_equal(out.columns[i].type, in.columns[i].type);
		}
		if (in.ncolumns + in.npartkeys == 0)
			assert_null(out.columns);
		if (in.properties)
			assert_string_equal(out.properties, in.properties);
		else
			assert_null(out.properties);
		assert_int_equal(out.npartitions, in.npartitions);
		assert_int_equal(out.nfiles, in.nfiles);
		assert_int_equal(out.rows, in.rows);
		assert_int_equal(out.bytes, in.bytes);
		assert_int_equal(out.etag, XXH3_64bits(buf, len));
		free(buf);
		store_table_clear(&in);
		store_table_clear(&out);
	}
}

static void test_record_roundtrip_random_pnodes(void **state)
{
	store_pnode in, out;
	void *buf;
	size_t len;

	(void)state;
	srand(3);
	for (int r = 0; r < ROUNDS; r++) {
		rand_pnode(&in);
		assert_int_equal(store_record_encode(STORE_KIND_PNODE, &in, &buf, &len), 0);
		memset(&out, 0xa5, sizeof out);
		assert_int_equal(store_record_decode(STORE_KIND_PNODE, buf, len, &out), 0);
		assert_int_equal(out.id, in.id);
		assert_int_equal(out.table_id, in.table_id);
		assert_int_equal(out.parent_id, in.parent_id);
		assert_int_equal(out.depth, in.depth);
		assert_int_equal(out.leaf, in.leaf);
		assert_string_equal(out.value, in.value);
		assert_int_equal(out.owner_uid, in.owner_uid);
		assert_int_equal(out.owner_gid, in.owner_gid);
		assert_int_equal(out.created_ns, in.created_ns);
		assert_int_equal(out.modified_ns, in.modified_ns);
		assert_int_equal(out.nfiles, in.nfiles);
		assert_int_equal(out.rows, in.rows);
		assert_int_equal(out.bytes, in.bytes);
		assert_memory_equal(out.checksum, in.checksum, 16);
		assert_int_equal(out.etag, XXH3_64bits(buf, len));
		free(buf);
	}
}

static void test_record_roundtrip_random_files(void **state)
{
	store_file in, out;
	void *buf;
	size_t len;

	(void)state;
	srand(4);
	for (int r = 0; r < ROUNDS; r++) {
		rand_file(&in);
		assert_int_equal(store_record_encode(STORE_KIND_FILE, &in, &buf, &len), 0);
		memset(&out, 0xa5, sizeof out);
		assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len, &out), 0);
		assert_int_equal(out.id, in.id);
		assert_int_equal(out.pnode_id, in.pnode_id);
		assert_string_equal(out.name, in.name);
		assert_int_equal(out.owner_uid, in.owner_uid);
		assert_int_equal(out.owner_gid, in.owner_gid);
		assert_int_equal(out.created_ns, in.created_ns);
		assert_int_equal(out.modified_ns, in.modified_ns);
		assert_int_equal(out.bytes, in.bytes);
		assert_int_equal(out.rows, in.rows);
		assert_memory_equal(out.checksum, in.checksum, 16);
		assert_int_equal(out.etag, XXH3_64bits(buf, len));
		free(buf);
	}
}

static void test_event_roundtrip_random_events(void **state)
{
	store_event in, out;
	void *buf;
	size_t len;

	(void)state;
	srand(5);
	for (int r = 0; r < ROUNDS; r++) {
		rand_event(&in);
		assert_int_equal(store_event_encode(&in, &buf, &len), 0);
		memset(&out, 0xa5, sizeof out);
		assert_int_equal(store_event_decode(buf, len, &out), 0);
		assert_int_equal(out.seq, in.seq);
		assert_int_equal(out.time_ns, in.time_ns);
		assert_int_equal(out.op, in.op);
		assert_int_equal(out.kind, in.kind);
		assert_int_equal(out.origin, in.origin);
		assert_int_equal(out.object_id, in.object_id);
		assert_int_equal(out.parent_id, in.parent_id);
		assert_int_equal(out.etag, in.etag);
		assert_string_equal(out.path, in.path);
		free(buf);
	}
}

/* The documented layout, byte for byte: version, then fixed-width
 * little-endian integers and u16-length-prefixed strings. */
static void test_database_encoding_is_versioned_fixed_width_little_endian(void **state)
{
	static const uint8_t expect[] = {
		1,                                              /* version */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* id */
		2, 0, 'a', 'b',                                 /* name */
		0x44, 0x33, 0x22, 0x11,                         /* uid */
		5, 0, 0, 0,                                     /* gid */
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* created_ns = -2 */
	};
	store_database d = { .id = 0x0102030405060708, .name = "ab", .owner_uid = 0x11223344,
			     .owner_gid = 5, .created_ns = -2 };
	void *buf;
	size_t len;

	(void)state;
	assert_int_equal(store_record_encode(STORE_KIND_DATABASE, &d, &buf, &len), 0);
	assert_int_equal(len, sizeof expect);
	assert_memory_equal(buf, expect, sizeof expect);
	free(buf);
}

static void test_decode_rejects_truncated_buffers(void **state)
{
	store_kind kinds[] = { STORE_KIND_DATABASE, STORE_KIND_TABLE, STORE_KIND_PNODE, STORE_KIND_FILE };
	store_object rec, out;
	store_event ev, evout;
	void *buf;
	size_t len;

	(void)state;
	srand(6);
	for (int r = 0; r < 20; r++) {
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			encode_random(kinds[k], &rec, &buf, &len);
			/* A copy of exactly CUT bytes, so ASan sees any read past it. */
			for (size_t cut = 0; cut < len; cut += 1 + (len > 2000 ? 97 : 0)) {
				void *part = malloc(cut ? cut : 1);

				memcpy(part, buf, cut);
				assert_int_equal(store_record_decode(kinds[k], part, cut, &out), -EINVAL);
				if (kinds[k] == STORE_KIND_TABLE) {
					assert_null(out.table.columns);
					assert_null(out.table.properties);
				}
				free(part);
			}
			free(buf);
		}
		rand_event(&ev);
		assert_int_equal(store_event_encode(&ev, &buf, &len), 0);
		for (size_t cut = 0; cut < len; cut++) {
			void *part = malloc(cut ? cut : 1);

			memcpy(part, buf, cut);
			assert_int_equal(store_event_decode(part, cut, &evout), -EINVAL);
			free(part);
		}
		free(buf);
	}
}

static void test_decode_rejects_trailing_bytes_and_unknown_versions(void **state)
{
	store_kind kinds[] = { STORE_KIND_DATABASE, STORE_KIND_TABLE, STORE_KIND_PNODE, STORE_KIND_FILE };
	store_object rec, out;
	uint8_t *buf, *longer;
	size_t len;

	(void)state;
	srand(7);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		encode_random(kinds[k], &rec, (void **)&buf, &len);
		longer = malloc(len + 1);
		memcpy(longer, buf, len);
		longer[len] = 0;
		assert_int_equal(store_record_decode(kinds[k], longer, len + 1, &out), -EINVAL);
		buf[0] = 2;
		assert_int_equal(store_record_decode(kinds[k], buf, len, &out), -EINVAL);
		buf[0] = 0;
		assert_int_equal(store_record_decode(kinds[k], buf, len, &out), -EINVAL);
		buf[0] = 1;
		assert_int_equal(store_record_decode(kinds[k], buf, len, &out), 0);
		if (kinds[k] == STORE_KIND_TABLE)
			store_table_clear(&out.table);
		/* Decoding as another kind must fail, not misread. */
		assert_int_equal(store_record_decode(STORE_KIND_NONE, buf, len, &out), -EINVAL);
		free(longer);
		free(buf);
	}
}

static void test_decode_rejects_out_of_range_fields(void **state)
{
	store_event ev = { .seq = 1, .op = STORE_OP_CREATE, .kind = STORE_KIND_TABLE,
			   .origin = STORE_ORIGIN_FS, .path = "db/t" };
	store_column cols[2] = { { "a", STORE_TYPE_STRING }, { "b", STORE_TYPE_BIGINT } };
	store_table t = { .name = "t", .db = "db", .has_schema = true, .format = STORE_FORMAT_CSV,
			  .ncolumns = 2, .columns = cols };
	store_pnode p = { .depth = 1, .value = "v" };
	store_database d = { .name = "ab" };
	store_object out;
	store_event evout;
	uint8_t *buf;
	size_t len;

	(void)state;
	/* event: op, kind and origin bytes follow version, seq and time. */
	assert_int_equal(store_event_encode(&ev, (void **)&buf, &len), 0);
	buf[17] = 4;
	assert_int_equal(store_event_decode(buf, len, &evout), -EINVAL);
	buf[17] = STORE_OP_CREATE;
	buf[18] = 0;
	assert_int_equal(store_event_decode(buf, len, &evout), -EINVAL);
	buf[18] = STORE_KIND_TABLE;
	buf[19] = STORE_ORIGIN_HMS + 1;
	assert_int_equal(store_event_decode(buf, len, &evout), -EINVAL);
	buf[19] = STORE_ORIGIN_FS;
	assert_int_equal(store_event_decode(buf, len, &evout), 0);
	free(buf);

	/* database: a name of "." or one holding a '/' or NUL. */
	assert_int_equal(store_record_encode(STORE_KIND_DATABASE, &d, (void **)&buf, &len), 0);
	buf[11] = '.';
	buf[12] = '.';
	assert_int_equal(store_record_decode(STORE_KIND_DATABASE, buf, len, &out), -EINVAL);
	buf[12] = '/';
	assert_int_equal(store_record_decode(STORE_KIND_DATABASE, buf, len, &out), -EINVAL);
	buf[12] = '\0';
	assert_int_equal(store_record_decode(STORE_KIND_DATABASE, buf, len, &out), -EINVAL);
	free(buf);

	/* table: the format byte, then the last column's type byte. */
	assert_int_equal(store_record_encode(STORE_KIND_TABLE, &t, (void **)&buf, &len), 0);
	{
		size_t fmt = 1 + 8 + 8 + 4 + 3 + 4 + 4 + 8 + 8 + 1;
		size_t type_b = fmt + 1 + 4 + 4 + 4 + 3;

		assert_int_equal(buf[fmt], STORE_FORMAT_CSV);
		buf[fmt] = 9;
		assert_int_equal(store_record_decode(STORE_KIND_TABLE, buf, len, &out), -EINVAL);
		buf[fmt] = STORE_FORMAT_CSV;
		assert_int_equal(buf[type_b], STORE_TYPE_BIGINT);
		buf[type_b] = 8;
		assert_int_equal(store_record_decode(STORE_KIND_TABLE, buf, len, &out), -EINVAL);
		buf[type_b] = 0;
		assert_int_equal(store_record_decode(STORE_KIND_TABLE, buf, len, &out), -EINVAL);
		buf[type_b] = STORE_TYPE_BIGINT;
		buf[fmt - 1] = 0x80;    /* unknown flag */
		assert_int_equal(store_record_decode(STORE_KIND_TABLE, buf, len, &out), -EINVAL);
	}
	free(buf);

	/* pnode: leaf is a bool. */
	assert_int_equal(store_record_encode(STORE_KIND_PNODE, &p, (void **)&buf, &len), 0);
	buf[1 + 8 + 8 + 8 + 4] = 2;
	assert_int_equal(store_record_decode(STORE_KIND_PNODE, buf, len, &out), -EINVAL);
	free(buf);
}

/* A decimal column's type byte is followed by its precision and scale;
 * the other columns encode as they always did. */
static void test_decimal_columns_persist_precision_and_scale(void **state)
{
	store_column cols[3] = { { "a", STORE_TYPE_STRING }, { "b", store_type_decimal(15, 2) },
				 { "c", STORE_TYPE_BIGINT } };
	store_table t = { .name = "t", .db = "db", .has_schema = true, .format = STORE_FORMAT_CSV,
			  .ncolumns = 3, .columns = cols };
	store_object out;
	uint8_t *buf;
	size_t len;
	size_t type_a = 1 + 8 + 8 + 4 + 3 + 4 + 4 + 8 + 8 + 1 + 1 + 4 + 4 + 3;
	size_t type_b = type_a + 1 + 3;

	(void)state;
	assert_int_equal(store_record_encode(STORE_KIND_TABLE, &t, (void **)&buf, &len), 0);
	assert_int_equal(buf[type_a], STORE_TYPE_STRING);
	assert_int_equal(buf[type_b], STORE_TYPE_DECIMAL);
	assert_int_equal(buf[type_b + 1], 15);
	assert_int_equal(buf[type_b + 2], 2);
	assert_int_equal(buf[type_b + 3 + 3], STORE_TYPE_BIGINT);
	assert_int_equal(store_record_decode(STORE_KIND_TABLE, buf, len, &out), 0);
	assert_int_equal(out.table.columns[1].type, store_type_decimal(15, 2));
	assert_int_equal(out.table.columns[2].type, STORE_TYPE_BIGINT);
	store_table_clear(&out.table);
	/* A precision of 0 or above 38, or a scale above the precision, is refused. */
	buf[type_b + 1] = 0;
	assert_int_equal(store_record_decode(STORE_KIND_TABLE, buf, len, &out), -EINVAL);
	buf[type_b + 1] = 39;
	assert_int_equal(store_record_decode(STORE_KIND_TABLE, buf, len, &out), -EINVAL);
	buf[type_b + 1] = 1;
	assert_int_equal(store_record_decode(STORE_KIND_TABLE, buf, len, &out), -EINVAL);
	free(buf);
	cols[1].type = store_type_decimal(3, 4);
	assert_int_equal(store_record_encode(STORE_KIND_TABLE, &t, (void **)&buf, &len), -EINVAL);
}

static void test_decode_survives_random_garbage(void **state)
{
	store_kind kinds[] = { STORE_KIND_DATABASE, STORE_KIND_TABLE, STORE_KIND_PNODE, STORE_KIND_FILE };
	store_object rec, out;
	store_event ev;
	uint8_t *buf;
	size_t len;

	(void)state;
	srand(8);
	/* Pure noise with a valid version byte. */
	for (int r = 0; r < 20000; r++) {
		len = (size_t)rand() % 200;
		buf = malloc(len ? len : 1);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		if (len)
			buf[0] = 1;
		for (size_t k = 0; k < 4; k++)
			if (store_record_decode(kinds[k], buf, len, &out) == 0 &&
			    kinds[k] == STORE_KIND_TABLE)
				store_table_clear(&out.table);
		store_event_decode(buf, len, &ev);
		free(buf);
	}
	/* Valid encodings with a few bytes flipped: length fields lie. */
	for (int r = 0; r < 3000; r++) {
		size_t k = (size_t)rand() % 4;

		encode_random(kinds[k], &rec, (void **)&buf, &len);
		for (int f = 0; f < 1 + rand() % 3; f++)
			buf[(size_t)rand() % len] ^= (uint8_t)(1 + rand() % 255);
		if (store_record_decode(kinds[k], buf, len, &out) == 0 && kinds[k] == STORE_KIND_TABLE)
			store_table_clear(&out.table);
		free(buf);
	}
}

static void test_encode_rejects_invalid_records(void **state)
{
	store_column cols[2] = { { "a", STORE_TYPE_STRING }, { "b", (store_type)0 } };
	store_table t = { .name = "t", .db = "db", .has_schema = true, .format = STORE_FORMAT_CSV,
			  .ncolumns = 2, .columns = cols };
	store_database d = { .name = "a/b" };
	store_pnode p = { .depth = 1, .value = "" };
	store_event ev = { .op = STORE_OP_CREATE, .kind = STORE_KIND_FILE, .origin = STORE_ORIGIN_JOB };
	void *buf = (void *)1;
	size_t len = 1;

	(void)state;
	assert_int_equal(store_record_encode(STORE_KIND_DATABASE, &d, &buf, &len), -EINVAL);
	assert_null(buf);
	memset(d.name, 'x', sizeof d.name);    /* unterminated */
	assert_int_equal(store_record_encode(STORE_KIND_DATABASE, &d, &buf, &len), -EINVAL);
	assert_int_equal(store_record_encode(STORE_KIND_TABLE, &t, &buf, &len), -EINVAL);
	cols[1].type = STORE_TYPE_DATE;
	assert_int_equal(store_record_encode(STORE_KIND_TABLE, &t, &buf, &len), 0);
	free(buf);
	t.ncolumns = STORE_MAX_COLUMNS + 1;
	assert_int_equal(store_record_encode(STORE_KIND_TABLE, &t, &buf, &len), -EINVAL);
	t.ncolumns = 2;
	t.format = (store_format)0;
	assert_int_equal(store_record_encode(STORE_KIND_TABLE, &t, &buf, &len), -EINVAL);
	t.format = STORE_FORMAT_JSONL;
	t.has_schema = false;      /* columns without a schema */
	assert_int_equal(store_record_encode(STORE_KIND_TABLE, &t, &buf, &len), -EINVAL);
	assert_int_equal(store_record_encode(STORE_KIND_PNODE, &p, &buf, &len), -EINVAL);
	p.value[0] = 'v';
	p.depth = STORE_MAX_PARTKEYS + 1;
	assert_int_equal(store_record_encode(STORE_KIND_PNODE, &p, &buf, &len), -EINVAL);
	memset(ev.path, 'p', sizeof ev.path);  /* unterminated */
	assert_int_equal(store_event_encode(&ev, &buf, &len), -EINVAL);
	ev.path[10] = '\0';
	ev.origin = (store_origin)9;
	assert_int_equal(store_event_encode(&ev, &buf, &len), -EINVAL);
	assert_int_equal(store_record_encode((store_kind)9, &p, &buf, &len), -EINVAL);
}

static void test_etag_changes_when_any_field_changes(void **state)
{
	store_file f, g;
	void *buf;
	size_t len;
	uint64_t base, tag;

	(void)state;
	srand(9);
	rand_file(&f);
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, &buf, &len), 0);
	assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len, &g), 0);
	base = g.etag;
	free(buf);
	/* Same content, same etag: the etag ignores the etag field itself. */
	f.etag = ~f.etag;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, &buf, &len), 0);
	assert_int_equal(XXH3_64bits(buf, len), base);
	free(buf);
	f.rows++;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, &buf, &len), 0);
	tag = XXH3_64bits(buf, len);
	assert_true(tag != base);
	free(buf);
	f.rows--;
	f.checksum[15] ^= 1;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, &buf, &len), 0);
	assert_true(XXH3_64bits(buf, len) != base);
	assert_true(XXH3_64bits(buf, len) != tag);
	free(buf);
}

/* A file record as version 1 wrote it (before mtimes were kept), byte for
 * byte: name "f", id 0x0102..08, pnode 9, uid 10, gid 11, created 12,
 * modified 13, 14 bytes, 15 rows, checksum 0..15. */
static const uint8_t file_v1[] = {
	1,                                              /* version */
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* id */
	9, 0, 0, 0, 0, 0, 0, 0,                         /* pnode_id */
	1, 0, 'f',                                      /* name */
	10, 0, 0, 0,                                    /* uid */
	11, 0, 0, 0,                                    /* gid */
	12, 0, 0, 0, 0, 0, 0, 0,                        /* created_ns */
	13, 0, 0, 0, 0, 0, 0, 0,                        /* modified_ns */
	14, 0, 0, 0, 0, 0, 0, 0,                        /* bytes */
	15, 0, 0, 0, 0, 0, 0, 0,                        /* rows */
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, /* checksum */
};

static void file_v1_record(store_file *f)
{
	memset(f, 0, sizeof *f);
	f->id = 0x0102030405060708;
	f->pnode_id = 9;
	strcpy(f->name, "f");
	f->owner_uid = 10;
	f->owner_gid = 11;
	f->created_ns = 12;
	f->modified_ns = 13;
	f->bytes = 14;
	f->rows = 15;
	for (int i = 0; i < 16; i++)
		f->checksum[i] = (uint8_t)i;
}

static void test_file_record_version_1_is_unchanged_and_readable(void **state)
{
	store_file f, out;
	void *buf;
	size_t len;

	(void)state;
	/* A file without a set mtime encodes exactly as before: same bytes,
	 * same etag. */
	file_v1_record(&f);
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, &buf, &len), 0);
	assert_int_equal(len, sizeof file_v1);
	assert_memory_equal(buf, file_v1, sizeof file_v1);
	free(buf);
	/* A stored version 1 record reads with no mtime. */
	memset(&out, 0xa5, sizeof out);
	assert_int_equal(store_record_decode(STORE_KIND_FILE, file_v1, sizeof file_v1, &out), 0);
	assert_int_equal(out.mtime_ns, 0);
	assert_int_equal(out.modified_ns, 13);
	assert_int_equal(out.rows, 15);
	assert_int_equal(out.etag, XXH3_64bits(file_v1, sizeof file_v1));
	assert_int_equal(store_record_etag(STORE_KIND_FILE, file_v1, sizeof file_v1),
			 XXH3_64bits(file_v1, sizeof file_v1));
}

static void test_file_record_version_2_appends_the_mtime(void **state)
{
	uint8_t expect[sizeof file_v1 + 8];
	store_file f, out;
	uint8_t *buf;
	size_t len;

	(void)state;
	memcpy(expect, file_v1, sizeof file_v1);
	expect[0] = 2;
	/* mtime_ns = -3 (before the epoch): two's complement, little-endian */
	memcpy(expect + sizeof file_v1,
	       (const uint8_t[]){ 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 8);
	file_v1_record(&f);
	f.mtime_ns = -3;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), 0);
	assert_int_equal(len, sizeof expect);
	assert_memory_equal(buf, expect, sizeof expect);
	memset(&out, 0xa5, sizeof out);
	assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len, &out), 0);
	assert_int_equal(out.mtime_ns, -3);
	assert_int_equal(out.modified_ns, 13);
	assert_string_equal(out.name, "f");
	assert_memory_equal(out.checksum, f.checksum, 16);
	/* The etag does not cover the mtime: it is the version 1 record's. */
	assert_int_equal(out.etag, XXH3_64bits(file_v1, sizeof file_v1));
	assert_int_equal(store_record_etag(STORE_KIND_FILE, buf, len),
			 XXH3_64bits(file_v1, sizeof file_v1));
	free(buf);
}

static void test_file_record_version_2_roundtrips_and_keeps_the_etag(void **state)
{
	store_file in, out, plain;
	void *buf, *buf1;
	size_t len, len1;

	(void)state;
	srand(11);
	for (int r = 0; r < ROUNDS; r++) {
		rand_file(&in);
		do
			in.mtime_ns = (int64_t)rand64();
		while (in.mtime_ns == 0);
		plain = in;
		plain.mtime_ns = 0;
		assert_int_equal(store_record_encode(STORE_KIND_FILE, &in, &buf, &len), 0);
		assert_int_equal(store_record_encode(STORE_KIND_FILE, &plain, &buf1, &len1), 0);
		assert_int_equal(((uint8_t *)buf)[0], 2);
		assert_int_equal(((uint8_t *)buf1)[0], 1);
		assert_int_equal(len, len1 + 8);
		assert_memory_equal((uint8_t *)buf + 1, (uint8_t *)buf1 + 1, len1 - 1);
		memset(&out, 0xa5, sizeof out);
		assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len, &out), 0);
		assert_int_equal(out.mtime_ns, in.mtime_ns);
		assert_int_equal(out.id, in.id);
		assert_int_equal(out.created_ns, in.created_ns);
		assert_int_equal(out.modified_ns, in.modified_ns);
		assert_int_equal(out.bytes, in.bytes);
		assert_int_equal(out.rows, in.rows);
		assert_memory_equal(out.checksum, in.checksum, 16);
		assert_int_equal(out.etag, XXH3_64bits(buf1, len1));
		free(buf);
		free(buf1);
	}
}

static void test_file_record_version_2_rejects_bad_encodings(void **state)
{
	store_file f, out;
	uint8_t *buf;
	size_t len;
	store_object o, decoded;

	(void)state;
	file_v1_record(&f);
	f.mtime_ns = 1;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), 0);
	/* Short of the mtime, or of part of it. */
	for (size_t cut = 1; cut <= 8; cut++)
		assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len - cut, &out), -EINVAL);
	/* A version 1 record with eight bytes too many. */
	buf[0] = 1;
	assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len, &out), -EINVAL);
	/* Version 2 with a zero mtime: there is one encoding of "no mtime". */
	buf[0] = 2;
	memset(buf + len - 8, 0, 8);
	assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len, &out), -EINVAL);
	free(buf);
	/* Version 2 is a file record's only. */
	for (store_kind k = STORE_KIND_DATABASE; k <= STORE_KIND_PNODE; k++) {
		encode_random(k, &o, (void **)&buf, &len);
		buf[0] = 2;
		/* Decoded into room for any kind: a table's decode clears a whole store_table. */
		assert_int_equal(store_record_decode(k, buf, len, &decoded), -EINVAL);
		free(buf);
	}
}


/* Three column statistics: a bigint with everything, a string with a cut
 * max, a decimal with a null count only. */
static void three_stats(store_colstat st[3])
{
	memset(st, 0, 3 * sizeof *st);
	st[0] = (store_colstat){.column = 0, .type = STORE_TYPE_BIGINT,
				.flags = STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS,
				.min_len = 8, .max_len = 8, .nulls = 7};
	st[0].min[0] = 0xfb;   /* -5 */
	memset(st[0].min + 1, 0xff, 7);
	st[0].max[0] = 200;
	st[1] = (store_colstat){.column = 2, .type = STORE_TYPE_STRING,
				.flags = STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_MAX_TRUNCATED,
				.min_len = 2, .max_len = STORE_STAT_VALUE_MAX};
	memcpy(st[1].min, "ab", 2);
	memset(st[1].max, 'z', STORE_STAT_VALUE_MAX);
	st[2] = (store_colstat){.column = 5, .type = store_type_decimal(12, 3),
				.flags = STORE_STAT_NULLS, .nulls = 1};
}

static void test_file_record_version_3_holds_column_statistics(void **state)
{
	store_colstat st[3], *got = NULL;
	store_file f, out;
	uint8_t *buf, *buf2;
	size_t len, len2;
	uint32_t n = 99;

	(void)state;
	three_stats(st);
	file_v1_record(&f);
	f.stats = st;
	f.nstats = 3;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), 0);
	/* The version 1 bytes, version 3, a zero mtime, then the statistics. */
	assert_int_equal(buf[0], 3);
	assert_memory_equal(buf + 1, file_v1 + 1, sizeof file_v1 - 1);
	const uint8_t *p = buf + sizeof file_v1;
	for (int i = 0; i < 8; i++)
		assert_int_equal(p[i], 0);
	p += 8;
	assert_int_equal(p[0] | p[1] << 8, 3);
	p += 2;
	/* u16 column 0, u32 type 2, flags 7, u64 nulls 7, min (8 bytes), max (8 bytes) */
	const uint8_t first[] = {0, 0, 2, 0, 0, 0, 7, 7, 0, 0, 0, 0, 0, 0, 0,
				 8, 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				 8, 200, 0, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(p, first, sizeof first);
	assert_int_equal(len, sizeof file_v1 + 8 + 2 + sizeof first +
				      (2 + 4 + 1 + 1 + 2 + 1 + STORE_STAT_VALUE_MAX) +
				      (2 + 4 + 1 + 8));
	/* Decoded: the counts and fields; the statistics by store_record_file_stats. */
	memset(&out, 0xa5, sizeof out);
	assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len, &out), 0);
	assert_int_equal(out.nstats, 3);
	assert_null(out.stats);
	assert_int_equal(out.mtime_ns, 0);
	assert_int_equal(out.rows, 15);
	assert_int_equal(store_record_file_stats(buf, len, &got, &n), 0);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(got[i].column, st[i].column);
		assert_int_equal(got[i].type, st[i].type);
		assert_int_equal(got[i].flags, st[i].flags);
		assert_int_equal(got[i].nulls, st[i].nulls);
		assert_int_equal(got[i].min_len, st[i].min_len);
		assert_int_equal(got[i].max_len, st[i].max_len);
		assert_memory_equal(got[i].min, st[i].min, st[i].min_len);
		assert_memory_equal(got[i].max, st[i].max, st[i].max_len);
	}
	free(got);
	/* The etag covers the statistics, not the mtime. */
	assert_int_equal(out.etag, XXH3_64bits(buf, len));
	assert_true(out.etag != XXH3_64bits(file_v1, sizeof file_v1));
	f.mtime_ns = 12345;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf2, &len2), 0);
	assert_int_equal(len2, len);
	assert_int_equal(store_record_decode(STORE_KIND_FILE, buf2, len2, &out), 0);
	assert_int_equal(out.mtime_ns, 12345);
	assert_int_equal(out.etag, store_record_etag(STORE_KIND_FILE, buf, len));
	st[0].nulls = 8;
	free(buf2);
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf2, &len2), 0);
	assert_true(store_record_etag(STORE_KIND_FILE, buf2, len2) !=
		    store_record_etag(STORE_KIND_FILE, buf, len));
	free(buf2);
	free(buf);
	/* Older records have none. */
	assert_int_equal(store_record_file_stats(file_v1, sizeof file_v1, &got, &n), 0);
	assert_int_equal(n, 0);
	assert_null(got);
	assert_int_equal(store_record_decode(STORE_KIND_FILE, file_v1, sizeof file_v1, &out), 0);
	assert_int_equal(out.nstats, 0);
}

static void test_file_record_version_3_rejects_bad_statistics(void **state)
{
	store_colstat st[3], *got;
	store_file f, out;
	uint8_t *buf;
	size_t len;
	uint32_t n;

	(void)state;
	file_v1_record(&f);
	f.stats = st;
	f.nstats = 3;
	three_stats(st);
	st[1].column = 0;   /* not increasing */
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), -EINVAL);
	three_stats(st);
	st[0].flags |= STORE_STAT_MIN_TRUNCATED;   /* only strings are cut */
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), -EINVAL);
	three_stats(st);
	st[0].min_len = 4;   /* a bigint is 8 bytes */
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), -EINVAL);
	three_stats(st);
	st[1].max_len = STORE_STAT_VALUE_MAX + 1;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), -EINVAL);
	three_stats(st);
	st[2].flags = 0x40;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), -EINVAL);
	three_stats(st);
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), 0);
	/* Cut anywhere in the statistics: refused by both decoders. */
	for (size_t cut = 1; cut < len - sizeof file_v1; cut++) {
		assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len - cut, &out), -EINVAL);
		assert_int_equal(store_record_file_stats(buf, len - cut, &got, &n), -EINVAL);
	}
	/* Flags of the first entry made unknown. */
	buf[sizeof file_v1 + 8 + 2 + 6] = 0x80;
	assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, len, &out), -EINVAL);
	/* No statistics at all: version 3 needs one. */
	buf[sizeof file_v1 + 8 + 2 + 6] = 7;
	buf[sizeof file_v1 + 8] = 0;
	assert_int_equal(store_record_decode(STORE_KIND_FILE, buf, sizeof file_v1 + 10, &out),
			 -EINVAL);
	free(buf);
	/* No statistics given: version 1 as before. */
	f.nstats = 0;
	assert_int_equal(store_record_encode(STORE_KIND_FILE, &f, (void **)&buf, &len), 0);
	assert_int_equal(buf[0], 1);
	free(buf);
}

static void test_stat_values_order_and_merge(void **state)
{
	(void)state;
	uint8_t a[16] = {0}, b[16] = {0};
	/* bigint: -1 < 1 */
	memset(a, 0xff, 8);
	b[0] = 1;
	assert_true(store_stat_value_cmp(STORE_TYPE_BIGINT, a, 8, b, 8) < 0);
	/* decimal: -1 < 1 over 16 bytes */
	memset(a, 0xff, 16);
	assert_true(store_stat_value_cmp(store_type_decimal(30, 2), a, 16, b, 16) < 0);
	/* double: -0.5 < 0.25 */
	double x = -0.5, y = 0.25;
	memcpy(a, &x, 8);
	memcpy(b, &y, 8);
	assert_true(store_stat_value_cmp(STORE_TYPE_DOUBLE, a, 8, b, 8) < 0);
	/* strings bytewise, a prefix first, bytes above 0x7f last */
	assert_true(store_stat_value_cmp(STORE_TYPE_STRING, (const uint8_t *)"ab", 2,
					 (const uint8_t *)"abc", 3) < 0);
	assert_true(store_stat_value_cmp(STORE_TYPE_STRING, (const uint8_t *)"\xc3", 1,
					 (const uint8_t *)"z", 1) > 0);

	store_colstat st[3], acc = {.column = UINT32_MAX};
	three_stats(st);
	store_colstat other = st[0];
	other.min[0] = 0xf0;   /* -16 */
	other.max[0] = 100;
	other.nulls = 3;
	store_colstat_merge(&acc, &st[0]);
	store_colstat_merge(&acc, &other);
	assert_int_equal(acc.flags, STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS);
	assert_int_equal(acc.min[0], 0xf0);
	assert_int_equal(acc.max[0], 200);
	assert_int_equal(acc.nulls, 10);
	/* A file without a max: the max is no longer known. */
	other.flags = STORE_STAT_MIN | STORE_STAT_NULLS;
	store_colstat_merge(&acc, &other);
	assert_int_equal(acc.flags, STORE_STAT_MIN | STORE_STAT_NULLS);
	assert_int_equal(acc.nulls, 13);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_roundtrip_random_databases),
		cmocka_unit_test(test_record_roundtrip_random_tables),
		cmocka_unit_test(test_record_roundtrip_random_pnodes),
		cmocka_unit_test(test_record_roundtrip_random_files),
		cmocka_unit_test(test_event_roundtrip_random_events),
		cmocka_unit_test(test_database_encoding_is_versioned_fixed_width_little_endian),
		cmocka_unit_test(test_decode_rejects_truncated_buffers),
		cmocka_unit_test(test_decode_rejects_trailing_bytes_and_unknown_versions),
		cmocka_unit_test(test_decode_rejects_out_of_range_fields),
		cmocka_unit_test(test_decimal_columns_persist_precision_and_scale),
		cmocka_unit_test(test_decode_survives_random_garbage),
		cmocka_unit_test(test_encode_rejects_invalid_records),
		cmocka_unit_test(test_etag_changes_when_any_field_changes),
		cmocka_unit_test(test_file_record_version_1_is_unchanged_and_readable),
		cmocka_unit_test(test_file_record_version_2_appends_the_mtime),
		cmocka_unit_test(test_file_record_version_2_roundtrips_and_keeps_the_etag),
		cmocka_unit_test(test_file_record_version_2_rejects_bad_encodings),
		cmocka_unit_test(test_file_record_version_3_holds_column_statistics),
		cmocka_unit_test(test_file_record_version_3_rejects_bad_statistics),
		cmocka_unit_test(test_stat_values_order_and_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
