/*
 * sync_mask.c - column masks and the exchange transform (see sync_mask.h).
 *
 * The key.  32 random bytes in one file of mode 0600.  Two processes (or
 * threads) asking for a missing key at once must end up with the same one:
 * each writes its candidate into a private temporary file, fsyncs it and
 * link()s it to the final name; link fails with EEXIST for everyone but the
 * first, who then read the winner's file.  The final name never holds a
 * partly written key.
 *
 * The transform reads the whole source file (mapped) and writes the
 * transformed one.  CSV records are split by store_csv_next() (the reader's
 * and fmt_file_scan's rules): fields separated by ',', records by LF or CRLF, a field
 * starting with '"' is quoted and may hold commas, newlines and "" (one
 * quote), blank lines are not records.  An unmasked kept field is copied byte
 * for byte (its quoting included); a masked field is written by the one CSV
 * field writer (fmt_csv_field: unquoted when it can be, quoted otherwise, an
 * empty text as ""), and a NULL result is an empty unquoted field.  The
 * value a mask sees is the field's unescaped text; a field is NULL when it is
 * empty and unquoted, or empty and quoted in a column that is not a string
 * (the reader's rule).  Records are written with LF.
 *
 * JSONL: every record (fmt_jsonl.h: a non-blank line) must be a JSON
 * object; keys that are not kept
 * columns of the mirror (dropped columns, and keys the schema does not name)
 * are removed when the exchange is active, masked keys carry the masked text
 * (or null), and the object is written back compactly, one a line.  A masked
 * value that is not a JSON string is masked through its JSON text (123,
 * true).
 *
 * Parquet: the file is read with format/'s reader and written with its
 * writer (Spark's defaults: SNAPPY, row groups of up to 1M rows), one source
 * row group at a time.  Its columns must be the table's (fmt_parquet_check_
 * schema).  Kept columns keep their values and types; a dropped column is
 * not written; a masked column is a string column whose values are the
 * masks of the values' text: a string's bytes, any other type's text as
 * metafs writes it in CSV (fmt_text.h), so a value masks to the same text
 * whichever format held it; a `null` mask keeps the column's type with every
 * value NULL.
 *
 * Any malformed record fails the whole transform: the caller discards the
 * output, so no half-transformed file is ever served.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt_csv.h"
#include "fmt_jsonl.h"
#include "fmt_parquet.h"
#include "fmt_text.h"
#include "sync_mask.h"

#define FLUSH_BYTES (1u << 20)

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- the key ----------------------------------------------------------------------- */

static void key_id_of(const uint8_t key[SYNC_MASK_KEY_BYTES], char key_id[9])
{
	uint8_t d[SHA256_DIGEST_LENGTH];

	SHA256(key, SYNC_MASK_KEY_BYTES, d);
	for (int i = 0; i < 4; i++)
		snprintf(key_id + 2 * i, 3, "%02x", d[i]);
}

static int key_read(const char *path, uint8_t key[SYNC_MASK_KEY_BYTES], char *err, size_t errlen)
{
	uint8_t buf[SYNC_MASK_KEY_BYTES + 1];
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	while (got < sizeof buf) {
		n = read(fd, buf + got, sizeof buf - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != SYNC_MASK_KEY_BYTES) {
		set_err(err, errlen, "exchange key %s is not %d bytes", path, SYNC_MASK_KEY_BYTES);
		return -EINVAL;
	}
	memcpy(key, buf, SYNC_MASK_KEY_BYTES);
	return 0;
}

static int key_create(const char *path, char *err, size_t errlen)
{
	uint8_t key[SYNC_MASK_KEY_BYTES];
	char tmp[PATH_MAX];
	size_t got = 0;
	int fd, rc = 0;

	while (got < sizeof key) {
		ssize_t n = getrandom(key + got, sizeof key - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			set_err(err, errlen, "getrandom: %s", strerror(errno));
			return rc;
		}
		got += (size_t)n;
	}
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%08x", path, (long)getpid(),
		     (unsigned)key[0] << 24 | (unsigned)key[1] << 16 | (unsigned)key[2] << 8 |
			     key[3]) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return rc;
	}
	if (write(fd, key, sizeof key) != (ssize_t)sizeof key || fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	/* link() refuses to replace: the first key written wins. */
	if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST)
		rc = -errno;
	if (rc != 0)
		set_err(err, errlen, "cannot write exchange key %s: %s", path, strerror(-rc));
	unlink(tmp);
	explicit_bzero(key, sizeof key);
	return rc;
}

int sync_mask_key_load(const char *path, uint8_t key[SYNC_MASK_KEY_BYTES], char key_id[9],
		       char *err, size_t errlen)
{
	int rc;

	if (path == NULL || key == NULL)
		return -EINVAL;
	rc = key_read(path, key, err, errlen);
	if (rc == -ENOENT) {
		rc = key_create(path, err, errlen);
		if (rc == 0)
			rc = key_read(path, key, err, errlen);
	} else if (rc < 0 && rc != -EINVAL) {
		set_err(err, errlen, "cannot read exchange key %s: %s", path, strerror(-rc));
	}
	if (rc == 0 && key_id)
		key_id_of(key, key_id);
	return rc;
}

/* ---- policies ------------------------------------------------------------------------ */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int parse_item(char *item, sync_mask_policy *policy, char *err, size_t errlen)
{
	char *colon = strchr(item, ':'), *col, *kind;
	sync_mask m;

	memset(&m, 0, sizeof m);
	if (colon == NULL) {
		set_err(err, errlen, "mask '%s' is not column:kind", item);
		return -EINVAL;
	}
	*colon = '\0';
	col = trim(item);
	kind = trim(colon + 1);
	if (!store_name_valid(col, NULL) || strpbrk(col, "=:(),") != NULL) {
		set_err(err, errlen, "mask: '%s' is not a column name", col);
		return -EINVAL;
	}
	if (strcmp(kind, "hash") == 0) {
		m.kind = SYNC_MASK_HASH;
	} else if (strcmp(kind, "redact") == 0) {
		m.kind = SYNC_MASK_REDACT;
	} else if (strcmp(kind, "null") == 0) {
		m.kind = SYNC_MASK_NULL;
	} else if (strncmp(kind, "truncate", 8) == 0) {
		char *p = trim(kind + 8), *end;
		unsigned long n;

		if (*p != '(') {
			set_err(err, errlen, "mask %s: truncate needs a length, e.g. truncate(3)", col);
			return -EINVAL;
		}
		p = trim(p + 1);
		if (*p < '0' || *p > '9') {
			set_err(err, errlen, "mask %s: truncate needs a length, e.g. truncate(3)", col);
			return -EINVAL;
		}
		errno = 0;
		n = strtoul(p, &end, 10);
		end = trim(end);
		if (errno || n > UINT32_MAX || *end != ')' || end[1] != '\0') {
			set_err(err, errlen, "mask %s: '%s' is not truncate(N)", col, kind);
			return -EINVAL;
		}
		m.kind = SYNC_MASK_TRUNCATE;
		m.keep = (uint32_t)n;
	} else {
		set_err(err, errlen,
			"mask %s: unknown kind '%s' (expected hash, redact, truncate(N) or null)", col,
			kind);
		return -EINVAL;
	}
	if (sync_mask_find(policy, col)) {
		set_err(err, errlen, "mask: column '%s' is masked twice", col);
		return -EINVAL;
	}
	if (policy->n >= SYNC_MAX_MASKS) {
		set_err(err, errlen, "mask: more than %d columns", SYNC_MAX_MASKS);
		return -EINVAL;
	}
	strcpy(m.column, col);
	policy->masks[policy->n++] = m;
	return 0;
}

int sync_mask_parse(const char *value, sync_mask_policy *policy, char *err, size_t errlen)
{
	char *copy, *p, *comma;
	int rc = 0;

	if (value == NULL || policy == NULL)
		return -EINVAL;
	copy = strdup(value);
	if (copy == NULL)
		return -ENOMEM;
	for (p = copy;; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		char *item = trim(p);
		if (item[0] == '\0') {
			set_err(err, errlen, "empty item in mask");
			rc = -EINVAL;
			break;
		}
		if ((rc = parse_item(item, policy, err, errlen)) != 0)
			break;
		if (comma == NULL)
			break;
	}
	free(copy);
	return rc;
}

void sync_mask_format(const sync_mask_policy *policy, textbuf *out)
{
	static const char *const names[] = { "", "hash", "redact", "truncate", "null" };

	for (unsigned i = 0; policy && i < policy->n; i++) {
		const sync_mask *m = &policy->masks[i];

		textbuf_printf(out, "%s%s:%s", i ? "," : "", m->column,
			       (unsigned)m->kind < 5 ? names[m->kind] : "?");
		if (m->kind == SYNC_MASK_TRUNCATE)
			textbuf_printf(out, "(%u)", m->keep);
	}
}

const sync_mask *sync_mask_find(const sync_mask_policy *policy, const char *column)
{
	for (unsigned i = 0; policy && column && i < policy->n; i++)
		if (strcasecmp(policy->masks[i].column, column) == 0)
			return &policy->masks[i];
	return NULL;
}

/* ---- one value ------------------------------------------------------------------------ */

/* HMAC-SHA256 of many short values under one key: the SHA-256 states after
 * the key's inner and outer pad blocks are computed once per thread and key,
 * and each value copies them (two compressions a value instead of four, and
 * no allocation).  The states live in thread-specific data, freed when the
 * thread ends. */
struct hmac_state {
	uint8_t key[SYNC_MASK_KEY_BYTES];
	bool ready;
	EVP_MD_CTX *inner, *outer, *work;
};

static pthread_key_t hmac_key;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_state_free(void *p)
{
	struct hmac_state *h = p;
	if (!h)
		return;
	EVP_MD_CTX_free(h->inner);
	EVP_MD_CTX_free(h->outer);
	EVP_MD_CTX_free(h->work);
	free(h);
}

static void hmac_key_make(void)
{
	(void)pthread_key_create(&hmac_key, hmac_state_free);
}

static struct hmac_state *hmac_state_for(const uint8_t key[SYNC_MASK_KEY_BYTES])
{
	(void)pthread_once(&hmac_once, hmac_key_make);
	struct hmac_state *h = pthread_getspecific(hmac_key);
	if (!h) {
		h = calloc(1, sizeof *h);
		if (!h)
			return NULL;
		h->inner = EVP_MD_CTX_new();
		h->outer = EVP_MD_CTX_new();
		h->work = EVP_MD_CTX_new();
		if (!h->inner || !h->outer || !h->work || pthread_setspecific(hmac_key, h)) {
			hmac_state_free(h);
			return NULL;
		}
	}
	if (h->ready && memcmp(h->key, key, SYNC_MASK_KEY_BYTES) == 0)
		return h;
	/* RFC 2104: the key (shorter than SHA-256's 64-byte block) padded with
	 * zeros, xored with 0x36 (inner) and 0x5c (outer). */
	uint8_t ipad[64] = {0}, opad[64] = {0};
	for (unsigned i = 0; i < 64; i++) {
		uint8_t k = i < SYNC_MASK_KEY_BYTES ? key[i] : 0;
		ipad[i] = k ^ 0x36;
		opad[i] = k ^ 0x5c;
	}
	h->ready = EVP_DigestInit_ex(h->inner, EVP_sha256(), NULL) == 1 &&
		   EVP_DigestUpdate(h->inner, ipad, sizeof ipad) == 1 &&
		   EVP_DigestInit_ex(h->outer, EVP_sha256(), NULL) == 1 &&
		   EVP_DigestUpdate(h->outer, opad, sizeof opad) == 1;
	memcpy(h->key, key, SYNC_MASK_KEY_BYTES);
	return h->ready ? h : NULL;
}

/* HMAC-SHA256(KEY, VALUE) into MD (32 bytes). */
static void hmac_sha256(const uint8_t key[SYNC_MASK_KEY_BYTES], const char *value, size_t len,
			uint8_t md[32])
{
	struct hmac_state *h = hmac_state_for(key);
	uint8_t inner[32];
	unsigned n = 0;
	if (h && EVP_MD_CTX_copy_ex(h->work, h->inner) == 1 &&
	    EVP_DigestUpdate(h->work, value, len) == 1 &&
	    EVP_DigestFinal_ex(h->work, inner, &n) == 1 &&
	    EVP_MD_CTX_copy_ex(h->work, h->outer) == 1 &&
	    EVP_DigestUpdate(h->work, inner, sizeof inner) == 1 &&
	    EVP_DigestFinal_ex(h->work, md, &n) == 1)
		return;
	/* Out of memory for the cached states: the one-shot form. */
	HMAC(EVP_sha256(), key, SYNC_MASK_KEY_BYTES, (const unsigned char *)value, len, md, &n);
}

void sync_mask_value(const sync_mask *mask, const uint8_t key[SYNC_MASK_KEY_BYTES],
		     const char *value, size_t len, bool is_null, textbuf *out, bool *out_null)
{
	textbuf_reset(out);
	*out_null = false;
	if (is_null || mask->kind == SYNC_MASK_NULL) {
		*out_null = true;
		return;
	}
	switch (mask->kind) {
	case SYNC_MASK_HASH: {
		static const char digits[] = "0123456789abcdef";
		uint8_t md[32];
		char hex[SYNC_MASK_HASH_HEX];

		hmac_sha256(key, value, len, md);
		for (unsigned i = 0; i < SYNC_MASK_HASH_HEX / 2; i++) {
			hex[2 * i] = digits[md[i] >> 4];
			hex[2 * i + 1] = digits[md[i] & 15];
		}
		textbuf_append(out, hex, SYNC_MASK_HASH_HEX);
		break;
	}
	case SYNC_MASK_REDACT:
		textbuf_puts(out, "REDACTED");
		break;
	case SYNC_MASK_TRUNCATE: {
		size_t i = 0;
		uint32_t cps = 0;

		/* Count code points by their lead bytes: continuation bytes
		 * (10xxxxxx) belong to the one before. */
		while (i < len) {
			if (((unsigned char)value[i] & 0xC0) != 0x80) {
				if (cps == mask->keep)
					break;
				cps++;
			}
			i++;
		}
		textbuf_append(out, value, i);
		break;
	}
	default:
		*out_null = true;
		break;
	}
}

/* ---- the exchange ---------------------------------------------------------------------- */

enum { ACT_KEEP = 0, ACT_DROP = -1 };

struct sync_exchange {
	store_format format;
	bool header;
	bool active;
	uint32_t ncolumns;          /* the source's data columns */
	store_column *columns;      /* copies */
	int *action;                /* per column: ACT_DROP, ACT_KEEP, or mask index + 1 */
	sync_mask_policy policy;
	uint8_t key[SYNC_MASK_KEY_BYTES];
	textbuf field;              /* one unescaped field */
	textbuf masked;
};

static bool dropped(const char *const *drop, unsigned ndrop, const char *name)
{
	for (unsigned i = 0; i < ndrop; i++)
		if (drop[i] && strcasecmp(drop[i], name) == 0)
			return true;
	return false;
}

int sync_exchange_new(const store_table *source, const char *const *drop, unsigned ndrop,
		      const sync_mask_policy *policy, const uint8_t key[SYNC_MASK_KEY_BYTES],
		      sync_exchange **out, char *err, size_t errlen)
{
	sync_exchange *x;
	unsigned kept = 0;

	if (source == NULL || out == NULL || (policy && policy->n && key == NULL))
		return -EINVAL;
	*out = NULL;
	if (policy) {
		for (unsigned i = 0; i < policy->n; i++) {
			const char *c = policy->masks[i].column;
			bool found = false;

			for (uint32_t k = 0; k < source->npartkeys; k++) {
				if (strcasecmp(source->columns[source->ncolumns + k].name, c) == 0) {
					set_err(err, errlen,
						"table %s.%s: cannot mask partition key '%s' (its values are in the paths)",
						source->db, source->name, c);
					return -EINVAL;
				}
			}
			for (uint32_t k = 0; k < source->ncolumns && !found; k++)
				found = strcasecmp(source->columns[k].name, c) == 0;
			if (!found) {
				set_err(err, errlen, "table %s.%s: masked column '%s' is not a column of it",
					source->db, source->name, c);
				return -EINVAL;
			}
			if (dropped(drop, ndrop, c)) {
				set_err(err, errlen, "table %s.%s: column '%s' is both masked and dropped",
					source->db, source->name, c);
				return -EINVAL;
			}
		}
	}
	x = calloc(1, sizeof *x);
	if (x == NULL)
		return -ENOMEM;
	x->format = source->format;
	x->header = source->header;
	x->ncolumns = source->ncolumns;
	x->columns = calloc(source->ncolumns ? source->ncolumns : 1, sizeof *x->columns);
	x->action = calloc(source->ncolumns ? source->ncolumns : 1, sizeof *x->action);
	if (x->columns == NULL || x->action == NULL) {
		sync_exchange_free(x);
		return -ENOMEM;
	}
	if (policy)
		x->policy = *policy;
	if (key)
		memcpy(x->key, key, SYNC_MASK_KEY_BYTES);
	for (uint32_t i = 0; i < source->ncolumns; i++) {
		const sync_mask *m = sync_mask_find(&x->policy, source->columns[i].name);

		x->columns[i] = source->columns[i];
		if (dropped(drop, ndrop, source->columns[i].name)) {
			x->action[i] = ACT_DROP;
			x->active = true;
		} else if (m) {
			x->action[i] = (int)(m - x->policy.masks) + 1;
			x->active = true;
			kept++;
		} else {
			x->action[i] = ACT_KEEP;
			kept++;
		}
	}
	if (kept == 0) {
		set_err(err, errlen, "table %s.%s: drop_columns leaves no column", source->db,
			source->name);
		sync_exchange_free(x);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

void sync_exchange_free(sync_exchange *x)
{
	if (x == NULL)
		return;
	free(x->columns);
	free(x->action);
	textbuf_free(&x->field);
	textbuf_free(&x->masked);
	explicit_bzero(x->key, sizeof x->key);
	free(x);
}

bool sync_exchange_active(const sync_exchange *x)
{
	return x && x->active;
}

/* ---- file transform: output --------------------------------------------------------------- */

struct out {
	int fd;
	textbuf buf;
	int rc;
};

static void out_flush(struct out *o)
{
	size_t done = 0;

	if (o->rc == 0)
		o->rc = textbuf_error(&o->buf);
	while (o->rc == 0 && done < o->buf.len) {
		ssize_t n = write(o->fd, o->buf.data + done, o->buf.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->rc = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	textbuf_reset(&o->buf);
}

static void out_put(struct out *o, const char *s, size_t n)
{
	textbuf_append(&o->buf, s, n);
	if (o->buf.len >= FLUSH_BYTES)
		out_flush(o);
}

/* ---- file transform: CSV ------------------------------------------------------------------ */

/* The unescaped text of quoted field F into B (NUL-terminated). */
static void csv_unquote(const store_csv *c, const store_csv_field *f, textbuf *b)
{
	textbuf_reset(b);
	store_csv_unquote(c->data + f->off, f->len, b);
	textbuf_append(b, "", 0);
}

static void csv_put_value(struct out *o, const char *s, size_t len)
{
	fmt_csv_field(&o->buf, s, len);
	if (o->buf.len >= FLUSH_BYTES)
		out_flush(o);
}

static int csv_transform(sync_exchange *x, const char *data, size_t size, struct out *o,
			 uint64_t *rows, char *err, size_t errlen)
{
	store_csv c;
	store_csv_field *fields = calloc(x->ncolumns ? x->ncolumns : 1, sizeof *fields);
	uint64_t row = 0;
	bool first = true;
	int rc = 0;

	if (fields == NULL)
		return -ENOMEM;
	store_csv_init(&c, data, size, fields, x->ncolumns);
	for (;;) {
		uint32_t nf = 0;
		uint64_t line = c.line;
		bool header = first && x->header, sep = false;

		rc = store_csv_next(&c, &nf, &line);
		if (rc == 1) {
			rc = 0;
			break;
		}
		first = false;
		if (!header)
			row++;
		if (rc == 0 && nf != x->ncolumns) {
			set_err(err, errlen, "row %llu (line %llu): expected %u fields, found %u",
				(unsigned long long)row, (unsigned long long)line, x->ncolumns, nf);
			rc = -EINVAL;
			break;
		}
		if (rc != 0) {
			set_err(err, errlen, "row %llu (line %llu): %s", (unsigned long long)row,
				(unsigned long long)line, c.why);
			break;
		}
		for (uint32_t i = 0; i < x->ncolumns; i++) {
			const store_csv_field *f = &fields[i];
			int act = x->action[i];

			if (act == ACT_DROP)
				continue;
			if (sep)
				out_put(o, ",", 1);
			sep = true;
			if (act == ACT_KEEP || header) {
				size_t rawlen;
				const char *raw = store_csv_raw(&c, f, &rawlen);
				out_put(o, raw, rawlen);
				continue;
			}
			size_t flen = f->len;
			bool is_null = store_csv_null(f, x->columns[i].type == STORE_TYPE_STRING);
			bool out_null;
			const char *val = data + f->off;

			if (f->escaped) {
				csv_unquote(&c, f, &x->field);
				val = x->field.data;
				flen = x->field.len;
			}
			sync_mask_value(&x->policy.masks[act - 1], x->key, val, flen, is_null, &x->masked,
					&out_null);
			if (!out_null)
				csv_put_value(o, x->masked.data ? x->masked.data : "", x->masked.len);
		}
		out_put(o, "\n", 1);
		if (o->rc)
			break;
	}
	free(fields);
	if (rc == 0 && rows)
		*rows = row;
	return rc ? rc : o->rc;
}

/* ---- file transform: JSON Lines ------------------------------------------------------------- */

static bool kept_column(const sync_exchange *x, const char *name, int *act)
{
	for (uint32_t i = 0; i < x->ncolumns; i++) {
		if (strcmp(x->columns[i].name, name) == 0) {
			*act = x->action[i];
			return x->action[i] != ACT_DROP;
		}
	}
	return false;
}

static int jsonl_transform(sync_exchange *x, const char *d, size_t size, struct out *o,
			   uint64_t *rows, char *err, size_t errlen)
{
	fmt_jsonl j;
	const char *text;
	size_t len;
	uint64_t line, row = 0;
	char why[FMT_JSONL_WHY_MAX];

	fmt_jsonl_init(&j, d, size);
	while (fmt_jsonl_next(&j, &text, &len, &line) == 0) {
		fmt_jsonl_record rec;

		row++;
		if (fmt_jsonl_parse(text, len, false, &rec, why, NULL)) {
			set_err(err, errlen, "row %llu (line %llu): %s", (unsigned long long)row,
				(unsigned long long)line, why);
			return -EINVAL;
		}
		json_t *obj = rec.obj;
		if (x->active) {
			const char *k;
			json_t *v;
			void *tmp;
			int act = ACT_KEEP;

			json_object_foreach_safe(obj, tmp, k, v) {
				if (!kept_column(x, k, &act)) {
					json_object_del(obj, k);
					continue;
				}
				fmt_json_value jv;
				fmt_json_classify(v, &jv);
				if (act <= 0 || jv.kind == FMT_JSON_NULL)
					continue;
				/* A string masks its text; any other value its JSON text. */
				char *vtext = NULL;
				const char *s = jv.str;
				size_t slen = jv.len;
				bool out_null;

				if (jv.kind != FMT_JSON_STRING) {
					vtext = fmt_json_value_text(&jv);
					if (vtext == NULL) {
						json_decref(obj);
						return -ENOMEM;
					}
					s = vtext;
					slen = strlen(vtext);
				}
				sync_mask_value(&x->policy.masks[act - 1], x->key, s, slen, false,
						&x->masked, &out_null);
				free(vtext);
				if (textbuf_error(&x->masked)) {
					json_decref(obj);
					return -ENOMEM;
				}
				json_object_set_new(obj, k,
						    out_null ? json_null()
							     : json_stringn(x->masked.data ? x->masked.data : "",
									    x->masked.len));
			}
		}
		int wrc = fmt_jsonl_object_write(&o->buf, obj);
		json_decref(obj);
		if (wrc)
			return wrc;
		if (o->buf.len >= FLUSH_BYTES)
			out_flush(o);
		if (o->rc)
			return o->rc;
	}
	if (rows)
		*rows = row;
	return 0;
}

/* ---- file transform: Parquet ------------------------------------------------------------- */

/* Mask the values of IN (of the source column's type) into OUT: a STRING
 * vector, or, for a `null` mask, a vector of IN's type. */
static int parquet_mask_column(sync_exchange *x, const sync_mask *mk, const fmt_vector *in,
			       fmt_vector *out)
{
	char text[FMT_TEXT_MAX];
	int rc = 0;

	for (size_t r = 0; r < in->n && rc == 0; r++) {
		bool is_null = fmt_vector_is_null(in, r), out_null;
		const char *s;
		size_t len;

		if (mk->kind == SYNC_MASK_NULL || is_null) {
			rc = fmt_vector_push_null(out);
			continue;
		}
		if (store_type_base(in->type) == STORE_TYPE_STRING) {
			s = fmt_vector_str(in, r, &len);
		} else {
			len = fmt_value_text(in, r, text);
			s = text;
		}
		sync_mask_value(mk, x->key, s, len, false, &x->masked, &out_null);
		if (textbuf_error(&x->masked))
			return -ENOMEM;
		rc = out_null ? fmt_vector_push_null(out)
			      : fmt_vector_push_str(out, x->masked.data ? x->masked.data : "",
						    x->masked.len);
	}
	return rc;
}

static int parquet_transform(sync_exchange *x, const char *data, size_t size, int out_fd,
			     uint64_t *rows, char *err, size_t errlen)
{
	fmt_parquet *p = NULL;
	fmt_parquet_writer *w = NULL;
	fmt_error fe = { "" };
	store_column *cols = calloc(x->ncolumns ? x->ncolumns : 1, sizeof *cols);
	uint32_t *src = calloc(x->ncolumns ? x->ncolumns : 1, sizeof *src);
	fmt_vector *in = calloc(x->ncolumns ? x->ncolumns : 1, sizeof *in);
	fmt_vector *out = calloc(x->ncolumns ? x->ncolumns : 1, sizeof *out);
	uint32_t nout = 0;
	uint64_t written = 0;
	int rc;

	if (cols == NULL || src == NULL || in == NULL || out == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	rc = fmt_parquet_open_mem(data, size, "parquet file", &p, &fe);
	if (rc == 0)
		rc = fmt_parquet_check_schema(p, x->columns, x->ncolumns, &fe);
	if (rc != 0) {
		set_err(err, errlen, "%s", fe.msg);
		rc = rc == -ENOMEM ? rc : -EINVAL;
		goto done;
	}
	for (uint32_t i = 0; i < x->ncolumns; i++) {
		int act = x->action[i];

		if (act == ACT_DROP)
			continue;
		cols[nout] = x->columns[i];
		if (act > 0 && x->policy.masks[act - 1].kind != SYNC_MASK_NULL)
			cols[nout].type = STORE_TYPE_STRING;
		src[nout] = i;
		fmt_vector_init(&in[nout], fmt_parquet_column_at(p, i)->type);
		fmt_vector_init(&out[nout], cols[nout].type);
		nout++;
	}
	rc = fmt_parquet_writer_open(out_fd, "masked file", cols, nout, NULL, &w, &fe);
	if (rc != 0) {
		set_err(err, errlen, "%s", fe.msg);
		goto done;
	}
	for (size_t g = 0; g < fmt_parquet_nrowgroups(p) && rc == 0; g++) {
		for (uint32_t k = 0; k < nout && rc == 0; k++) {
			int act = x->action[src[k]];

			fmt_vector_clear(&in[k]);
			fmt_vector_clear(&out[k]);
			rc = fmt_parquet_read_column(p, g, src[k], &in[k], &fe);
			if (rc != 0) {
				/* A file the reader cannot decode is a malformed one here. */
				set_err(err, errlen, "row group %zu: %s", g, fe.msg);
				rc = rc == -ENOMEM || rc == -EIO ? rc : -EINVAL;
				break;
			}
			if (act == ACT_KEEP) {
				/* The file's type may be a narrower decimal of the same
				 * scale: the same unscaled values. */
				for (size_t r = 0; r < in[k].n && rc == 0; r++)
					rc = store_type_base(in[k].type) == STORE_TYPE_DECIMAL &&
							     in[k].type != out[k].type
						     ? (fmt_vector_is_null(&in[k], r)
								? fmt_vector_push_null(&out[k])
								: fmt_vector_push_dec(&out[k], in[k].v.dec[r]))
						     : fmt_vector_push_from(&out[k], &in[k], r);
			} else {
				rc = parquet_mask_column(x, &x->policy.masks[act - 1], &in[k], &out[k]);
			}
			if (rc == 0 && k > 0 && out[k].n != out[0].n) {
				set_err(err, errlen, "row group %zu: column '%s' has %zu values, not %zu", g,
					cols[k].name, out[k].n, out[0].n);
				rc = -EINVAL;
			}
		}
		if (rc == 0 && nout && out[0].n) {
			rc = fmt_parquet_writer_append(w, out, &fe);
			if (rc != 0)
				set_err(err, errlen, "%s", fe.msg);
			written += out[0].n;
		}
	}
	if (rc == 0) {
		rc = fmt_parquet_writer_close(w, NULL, NULL, &fe);
		w = NULL;
		if (rc != 0)
			set_err(err, errlen, "%s", fe.msg);
	}
	if (rc == 0 && rows)
		*rows = written;
done:
	if (w)
		fmt_parquet_writer_abort(w);
	for (uint32_t k = 0; k < nout; k++) {
		fmt_vector_free(&in[k]);
		fmt_vector_free(&out[k]);
	}
	fmt_parquet_close(p);
	free(cols);
	free(src);
	free(in);
	free(out);
	return rc;
}

int sync_exchange_file(const sync_exchange *cx, int in_fd, int out_fd, uint64_t *rows, char *err,
		       size_t errlen)
{
	sync_exchange *x = (sync_exchange *)cx;   /* scratch buffers only */
	struct out o = { out_fd, TEXTBUF_INIT, 0 };
	struct stat st;
	void *map = NULL;
	size_t size;
	int rc;

	if (x == NULL || in_fd < 0 || out_fd < 0)
		return -EINVAL;
	if (rows)
		*rows = 0;
	if (fstat(in_fd, &st) != 0)
		return -errno;
	size = (size_t)st.st_size;
	if (size > 0) {
		map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, in_fd, 0);
		if (map == MAP_FAILED) {
			rc = -errno;
			set_err(err, errlen, "cannot map the source file: %s", strerror(errno));
			return rc;
		}
	}
	if (x->format == STORE_FORMAT_PARQUET)
		rc = parquet_transform(x, map, size, out_fd, rows, err, errlen);
	else if (x->format == STORE_FORMAT_JSONL)
		rc = jsonl_transform(x, map, size, &o, rows, err, errlen);
	else
		rc = csv_transform(x, map, size, &o, rows, err, errlen);
	if (rc == 0)
		out_flush(&o);
	if (rc == 0)
		rc = o.rc;
	if (rc == -ENOMEM)
		set_err(err, errlen, "out of memory");
	textbuf_free(&o.buf);
	if (map)
		munmap(map, size);
	return rc;
}
