/*
 * metafs_tpch.c - `metafs-tpch`: the TPC-H data set for metafs, seeded and
 * byte-for-byte deterministic.
 *
 *     metafs-tpch [--sf SF] [--seed S] [--money-type decimal|double] --out DIR
 *
 * writes, under DIR:
 *
 *     schema.sql                       CREATE DATABASE tpch and the 8 CREATE TABLEs
 *     region/region.csv  nation/nation.csv  supplier/supplier.csv
 *     customer/customer.csv  part/part.csv  partsupp/partsupp.csv
 *     orders/o_orderdate=YYYY-MM-DD/part-00000.csv     one partition per day
 *     lineitem/l_shipdate=YYYY-MM-DD/part-00000.csv    one partition per day
 *
 * Every CSV file starts with a header line.  The files of a partitioned table
 * hold the data columns only (the partition column is in the directory name,
 * Hive style, and comes last in the table's columns).
 *
 * The schema, the value domains and the derivations follow the TPC-H
 * specification (clause 4.2): cardinalities scaled by SF (lineitem about 6M
 * rows per SF, orders 1.5M with sparse keys, customer 150k, part 200k,
 * partsupp 4 per part, supplier 10k, nation 25, region 5); order dates
 * uniform in 1992-01-01 .. 1998-12-31 less 151 days, ship = order + 1..121,
 * commit = order + 30..90, receipt = ship + 1..30, the return flag and line
 * status against the current date 1995-06-17; the word lists of p_name,
 * p_type, p_container, brands, segments, priorities, ship modes and ship
 * instructions; the retail price formula; phone numbers whose country code is
 * the nation key + 10; a third of the customers without orders; comments cut
 * from a text made by the specification's grammar (so some hold "special ...
 * requests"), and SF * 5 suppliers (at least one) whose comment holds
 * "Customer ... Complaints", as many "Customer ... Recommends".
 *
 * Randomness comes from xoshiro256** streams seeded by (seed, table), drawn
 * in key order on one thread, and numbers are formatted by hand: the same
 * arguments always give the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base_date.h"
#include "base_fs.h"
#include "base_rng.h"

#define USAGE                                                                                  \
	"usage: metafs-tpch [--sf SF] [--seed S] [--money-type decimal|double] --out DIR\n"    \
	"  --sf SF          scale factor (default 1; 0.01 gives about 60,000 lineitems)\n"      \
	"  --seed S         random seed (default 19920101)\n"                                   \
	"  --money-type T   SQL type of the decimal columns: decimal (DECIMAL(15,2), the\n"    \
	"                   default) or double\n"                                               \
	"  --out DIR        where the CSV files and schema.sql are written\n"

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---------------------------- */

typedef struct {
	uint64_t s[4];
} rng_t;

static void rng_seed(rng_t *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed * 0x2545f4914f6cdd1dULL + stream;
	for (int i = 0; i < 4; i++)
		r->s[i] = base_splitmix64(&x);
}

static inline uint64_t rng_next(rng_t *r)
{
	return base_xoshiro_next(r->s);
}

/* uniform in [lo, hi] (integer arithmetic only, so no platform differences) */
static inline int64_t rnd(rng_t *r, int64_t lo, int64_t hi)
{
	uint64_t span = (uint64_t)(hi - lo) + 1;
	return lo + (int64_t)(rng_next(r) % span);
}

/* ---- the specification's word lists ------------------------------------------------ */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const COLORS[] = {
	"almond",    "antique",   "aquamarine", "azure",      "beige",     "bisque",    "black",
	"blanched",  "blue",      "blush",      "brown",      "burlywood", "burnished", "chartreuse",
	"chiffon",   "chocolate", "coral",      "cornflower", "cornsilk",  "cream",     "cyan",
	"dark",      "deep",      "dim",        "dodger",     "drab",      "firebrick", "floral",
	"forest",    "frosted",   "gainsboro",  "ghost",      "goldenrod", "green",     "grey",
	"honeydew",  "hot",       "indian",     "ivory",      "khaki",     "lace",      "lavender",
	"lawn",      "lemon",     "light",      "lime",       "linen",     "magenta",   "maroon",
	"medium",    "metallic",  "midnight",   "mint",       "misty",     "moccasin",  "navajo",
	"navy",      "olive",     "orange",     "orchid",     "pale",      "papaya",    "peach",
	"peru",      "pink",      "plum",       "powder",     "puff",      "purple",    "red",
	"rose",      "rosy",      "royal",      "saddle",     "salmon",    "sandy",     "seashell",
	"sienna",    "sky",       "slate",      "smoke",      "snow",      "spring",    "steel",
	"tan",       "thistle",   "tomato",     "turquoise",  "violet",    "wheat",     "white",
	"yellow",
};

static const char *const TYPE_S1[] = {"STANDARD", "SMALL", "MEDIUM", "LARGE", "ECONOMY", "PROMO"};
static const char *const TYPE_S2[] = {"ANODIZED", "BURNISHED", "PLATED", "POLISHED", "BRUSHED"};
static const char *const TYPE_S3[] = {"TIN", "NICKEL", "BRASS", "STEEL", "COPPER"};
static const char *const CONT_S1[] = {"SM", "LG", "MED", "JUMBO", "WRAP"};
static const char *const CONT_S2[] = {"CASE", "BOX", "BAG", "JAR", "PKG", "PACK", "CAN", "DRUM"};
static const char *const SEGMENTS[] = {"AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY",
				       "HOUSEHOLD"};
static const char *const PRIORITIES[] = {"1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED",
					 "5-LOW"};
static const char *const INSTRUCTIONS[] = {"DELIVER IN PERSON", "COLLECT COD", "NONE",
					   "TAKE BACK RETURN"};
static const char *const MODES[] = {"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"};

static const struct {
	const char *name;
	int region;
} NATIONS[] = {
	{"ALGERIA", 0},    {"ARGENTINA", 1}, {"BRAZIL", 1},       {"CANADA", 1},
	{"EGYPT", 4},      {"ETHIOPIA", 0},  {"FRANCE", 3},       {"GERMANY", 3},
	{"INDIA", 2},      {"INDONESIA", 2}, {"IRAN", 4},         {"IRAQ", 4},
	{"JAPAN", 2},      {"JORDAN", 4},    {"KENYA", 0},        {"MOROCCO", 0},
	{"MOZAMBIQUE", 0}, {"PERU", 1},      {"CHINA", 2},        {"ROMANIA", 3},
	{"SAUDI ARABIA", 4}, {"VIETNAM", 2}, {"RUSSIA", 3},       {"UNITED KINGDOM", 3},
	{"UNITED STATES", 1},
};
static const char *const REGIONS[] = {"AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"};

/* the text grammar's parts of speech (clause 4.2.2.13) */
static const char *const NOUNS[] = {
	"foxes",       "ideas",        "theodolites", "pinto beans", "instructions", "dependencies",
	"excuses",     "platelets",    "asymptotes",  "courts",      "dolphins",     "multipliers",
	"sauternes",   "warthogs",     "frets",       "dinos",       "attainments",  "somas",
	"Tiresias",    "patterns",     "forges",      "braids",      "hockey players", "frays",
	"warhorses",   "dugouts",      "notornis",    "epitaphs",    "pearls",       "tithes",
	"waters",      "orbits",       "gifts",       "sheaves",     "depths",       "sentiments",
	"decoys",      "realms",       "pains",       "grouches",    "escapades",    "packages",
	"requests",    "accounts",     "deposits",
};
static const char *const VERBS[] = {
	"sleep",  "wake",    "are",    "cajole", "haggle", "nag",    "use",    "boost",
	"affix",  "detect",  "integrate", "maintain", "nod", "was",  "lose",   "sublate",
	"solve",  "thrash",  "promise", "engage", "hinder", "print", "x-ray",  "breach",
	"eat",    "grow",    "impress", "mold",  "poach",  "serve",  "run",    "dazzle",
	"snooze", "doze",    "unwind", "kindle", "play",   "hang",   "believe", "doubt",
};
static const char *const ADJECTIVES[] = {
	"special", "pending", "unusual", "express", "furious", "sly",    "careful", "blithe",
	"quick",   "fluffy",  "slow",    "quiet",   "ruthless", "thin",  "close",   "dogged",
	"daring",  "brave",   "stealthy", "permanent", "enticing", "idle", "busy",   "regular",
	"final",   "ironic",  "even",    "bold",    "silent",
};
static const char *const ADVERBS[] = {
	"sometimes", "always",   "never",     "furiously", "slyly",      "carefully", "blithely",
	"quickly",   "fluffily", "slowly",    "quietly",   "ruthlessly", "thinly",    "closely",
	"doggedly",  "daringly", "bravely",   "stealthily", "permanently", "enticingly", "idly",
	"busily",    "regularly", "finally",  "ironically", "evenly",    "boldly",    "silently",
};
static const char *const PREPOSITIONS[] = {
	"about",   "above",   "according to", "across",  "after",      "against", "along",
	"alongside of", "among", "around",    "at",      "atop",       "before",  "behind",
	"beneath", "beside",  "besides",      "between", "beyond",     "by",      "despite",
	"during",  "except",  "for",          "from",    "in place of", "inside", "instead of",
	"into",    "near",    "of",           "on",      "outside",    "over",    "past",
	"since",   "through", "throughout",   "to",      "toward",     "under",   "until",
	"up",      "upon",    "without",      "with",    "within",
};
static const char *const AUXILIARIES[] = {
	"do",           "may",           "might",          "shall",         "will",
	"would",        "can",           "could",          "should",        "ought to",
	"must",         "will have to",  "shall have to",  "could have to", "should have to",
	"must have to", "need to",       "try to",
};
static const char *const TERMINATORS[] = {".", ";", ":", "?", "!", "--"};

/* ---- growable byte buffers ------------------------------------------------------------- */

typedef struct {
	char *p;
	size_t len, cap;
} buf_t;

static void buf_reserve(buf_t *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		fprintf(stderr, "metafs-tpch: out of memory\n");
		exit(1);
	}
	b->p = p;
	b->cap = cap;
}

static void put_mem(buf_t *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void put_str(buf_t *b, const char *s)
{
	put_mem(b, s, strlen(s));
}

static void put_ch(buf_t *b, char c)
{
	buf_reserve(b, 1);
	b->p[b->len++] = c;
}

static void put_uint(buf_t *b, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_reserve(b, (size_t)n);
	while (n)
		b->p[b->len++] = tmp[--n];
}

static void put_int(buf_t *b, int64_t v)
{
	if (v < 0) {
		put_ch(b, '-');
		put_uint(b, (uint64_t)0 - (uint64_t)v);
	} else {
		put_uint(b, (uint64_t)v);
	}
}

/* a field, quoted (RFC 4180) when it holds a comma, a quote or a line break */
static void put_field(buf_t *b, const char *s, size_t n)
{
	if (!memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n)) {
		put_mem(b, s, n);
		return;
	}
	put_ch(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			put_ch(b, '"');
		put_ch(b, s[i]);
	}
	put_ch(b, '"');
}

/* cents as a decimal with two places: -12.05, 0.50 */
static void put_money(buf_t *b, int64_t cents)
{
	if (cents < 0) {
		put_ch(b, '-');
		cents = -cents;
	}
	put_uint(b, (uint64_t)(cents / 100));
	char frac[3] = {'.', (char)('0' + cents % 100 / 10), (char)('0' + cents % 10)};
	put_mem(b, frac, 3);
}

static void put_date(buf_t *b, int64_t days)
{
	int64_t y;
	unsigned m, d;
	base_date_from_days(days, &y, &m, &d);
	char s[16];
	int n = snprintf(s, sizeof s, "%04" PRId64 "-%02u-%02u", y, m, d);
	put_mem(b, s, (size_t)n);
}

/* ---- output files ----------------------------------------------------------------------- */

static char *g_out;

static void die_errno(const char *what, const char *path)
{
	fprintf(stderr, "metafs-tpch: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void write_all(int fd, const char *p, size_t n, const char *path)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die_errno("cannot write", path);
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Append B to PATH (created, or truncated when FIRST), and empty B. */
static void flush_to(const char *path, buf_t *b, bool first)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (first ? O_TRUNC : O_APPEND), 0644);
	if (fd < 0)
		die_errno("cannot open", path);
	write_all(fd, b->p, b->len, path);
	if (close(fd) != 0)
		die_errno("cannot close", path);
	b->len = 0;
}

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	if (!p) {
		fprintf(stderr, "metafs-tpch: out of memory\n");
		exit(1);
	}
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* A table's directory, emptied first (an earlier run may have left other days). */
static char *table_dir(const char *name)
{
	char *dir = path_join(g_out, name);
	struct stat st;
	if (lstat(dir, &st) == 0 && base_fs_tree_remove(dir) != 0)
		die_errno("cannot remove", dir);
	if (base_fs_mkdirs(dir, 0755) != 0)
		die_errno("cannot create", dir);
	return dir;
}

/* one file of an unpartitioned table */
typedef struct {
	char *path;
	buf_t b;
	bool started;
} file_t;

static void file_open(file_t *f, const char *table, const char *header)
{
	char *dir = table_dir(table);
	char name[64];
	snprintf(name, sizeof name, "%s.csv", table);
	f->path = path_join(dir, name);
	free(dir);
	memset(&f->b, 0, sizeof f->b);
	f->started = false;
	put_str(&f->b, header);
	put_ch(&f->b, '\n');
}

static void file_maybe_flush(file_t *f)
{
	if (f->b.len >= (1u << 20)) {
		flush_to(f->path, &f->b, !f->started);
		f->started = true;
	}
}

static void file_close(file_t *f)
{
	flush_to(f->path, &f->b, !f->started);
	free(f->b.p);
	free(f->path);
}

/* a table partitioned by a date: one buffer and one file per day */
typedef struct {
	char *dir;
	const char *key;
	const char *header;
	int64_t first_day;
	int64_t ndays;
	buf_t *bufs;
	bool *started;
} daily_t;

static void daily_open(daily_t *t, const char *table, const char *key, const char *header,
		       int64_t first_day, int64_t last_day)
{
	t->dir = table_dir(table);
	t->key = key;
	t->header = header;
	t->first_day = first_day;
	t->ndays = last_day - first_day + 1;
	t->bufs = calloc((size_t)t->ndays, sizeof *t->bufs);
	t->started = calloc((size_t)t->ndays, sizeof *t->started);
	if (!t->bufs || !t->started) {
		fprintf(stderr, "metafs-tpch: out of memory\n");
		exit(1);
	}
}

static void daily_flush(daily_t *t, int64_t i)
{
	buf_t part = {0};
	put_str(&part, t->key);
	put_ch(&part, '=');
	put_date(&part, t->first_day + i);
	put_ch(&part, '\0');
	char *pdir = path_join(t->dir, part.p);
	free(part.p);
	if (!t->started[i] && mkdir(pdir, 0755) != 0 && errno != EEXIST)
		die_errno("cannot create", pdir);
	char *path = path_join(pdir, "part-00000.csv");
	flush_to(path, &t->bufs[i], !t->started[i]);
	t->started[i] = true;
	free(path);
	free(pdir);
}

/* the buffer of DAY's file, with the header written when it is new */
static buf_t *daily_buf(daily_t *t, int64_t day)
{
	int64_t i = day - t->first_day;
	if (i < 0 || i >= t->ndays) {
		fprintf(stderr, "metafs-tpch: internal error: day %" PRId64 " out of range\n", day);
		exit(1);
	}
	buf_t *b = &t->bufs[i];
	if (!t->started[i] && b->len == 0) {
		put_str(b, t->header);
		put_ch(b, '\n');
	}
	return b;
}

static void daily_row_done(daily_t *t, int64_t day)
{
	int64_t i = day - t->first_day;
	if (t->bufs[i].len >= 32768)
		daily_flush(t, i);
}

static void daily_close(daily_t *t)
{
	for (int64_t i = 0; i < t->ndays; i++) {
		if (t->bufs[i].len)
			daily_flush(t, i);
		free(t->bufs[i].p);
	}
	free(t->bufs);
	free(t->started);
	free(t->dir);
}

/* ---- text (clause 4.2.2.13): a pool made by the grammar, comments cut from it ---------- */

static buf_t g_pool;

static void pool_word(rng_t *r, const char *const *list, size_t n)
{
	put_str(&g_pool, list[rnd(r, 0, (int64_t)n - 1)]);
}

#define WORD(list) pool_word(r, list, N_OF(list))

static void pool_noun_phrase(rng_t *r)
{
	switch (rnd(r, 0, 3)) {
	case 0:
		WORD(NOUNS);
		break;
	case 1:
		WORD(ADJECTIVES);
		put_ch(&g_pool, ' ');
		WORD(NOUNS);
		break;
	case 2:
		WORD(ADJECTIVES);
		put_str(&g_pool, ", ");
		WORD(ADJECTIVES);
		put_ch(&g_pool, ' ');
		WORD(NOUNS);
		break;
	default:
		WORD(ADVERBS);
		put_ch(&g_pool, ' ');
		WORD(ADJECTIVES);
		put_ch(&g_pool, ' ');
		WORD(NOUNS);
		break;
	}
}

static void pool_verb_phrase(rng_t *r)
{
	switch (rnd(r, 0, 3)) {
	case 0:
		WORD(VERBS);
		break;
	case 1:
		WORD(AUXILIARIES);
		put_ch(&g_pool, ' ');
		WORD(VERBS);
		break;
	case 2:
		WORD(VERBS);
		put_ch(&g_pool, ' ');
		WORD(ADVERBS);
		break;
	default:
		WORD(AUXILIARIES);
		put_ch(&g_pool, ' ');
		WORD(VERBS);
		put_ch(&g_pool, ' ');
		WORD(ADVERBS);
		break;
	}
}

static void pool_prep_phrase(rng_t *r)
{
	WORD(PREPOSITIONS);
	put_str(&g_pool, " the ");
	pool_noun_phrase(r);
}

static void pool_make(uint64_t seed, size_t size)
{
	rng_t rs, *r = &rs;
	rng_seed(r, seed, 100);
	while (g_pool.len < size) {
		switch (rnd(r, 0, 4)) {
		case 0:
			pool_noun_phrase(r);
			put_ch(&g_pool, ' ');
			pool_verb_phrase(r);
			break;
		case 1:
			pool_noun_phrase(r);
			put_ch(&g_pool, ' ');
			pool_verb_phrase(r);
			put_ch(&g_pool, ' ');
			pool_prep_phrase(r);
			break;
		case 2:
			pool_noun_phrase(r);
			put_ch(&g_pool, ' ');
			pool_verb_phrase(r);
			put_ch(&g_pool, ' ');
			pool_noun_phrase(r);
			break;
		case 3:
			pool_noun_phrase(r);
			put_ch(&g_pool, ' ');
			pool_prep_phrase(r);
			put_ch(&g_pool, ' ');
			pool_verb_phrase(r);
			put_ch(&g_pool, ' ');
			pool_noun_phrase(r);
			break;
		default:
			pool_noun_phrase(r);
			put_ch(&g_pool, ' ');
			pool_prep_phrase(r);
			put_ch(&g_pool, ' ');
			pool_verb_phrase(r);
			put_ch(&g_pool, ' ');
			pool_prep_phrase(r);
			break;
		}
		WORD(TERMINATORS);
		put_ch(&g_pool, ' ');
	}
}

/* A comment of LO..HI bytes cut from the pool, without white space at its ends
 * (so every CSV reader reads it back the same): its start in *S, length in *N. */
static void text_span(rng_t *r, int64_t lo, int64_t hi, const char **sp, size_t *np)
{
	int64_t n = rnd(r, lo, hi);
	int64_t start = rnd(r, 0, (int64_t)g_pool.len - n - 1);
	const char *s = g_pool.p + start;
	while (n > 1 && *s == ' ') {
		s++;
		n--;
	}
	while (n > 1 && s[n - 1] == ' ')
		n--;
	if (*s == ' ')
		s = "x", n = 1;
	*sp = s;
	*np = (size_t)n;
}

static void text(rng_t *r, int64_t lo, int64_t hi, buf_t *out)
{
	const char *s;
	size_t n;
	text_span(r, lo, hi, &s, &n);
	put_field(out, s, n);
}

/* a random string of LO..HI letters, digits and commas (addresses) */
static void vstring(rng_t *r, int64_t lo, int64_t hi, buf_t *out)
{
	static const char ALPHA[] =
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,";
	char s[64];
	int64_t n = rnd(r, lo, hi);
	for (int64_t i = 0; i < n; i++)
		s[i] = ALPHA[rnd(r, 0, (int64_t)sizeof ALPHA - 2)];
	put_field(out, s, (size_t)n);
}

static void phone(rng_t *r, int64_t nation, buf_t *out)
{
	char s[32];
	int n = snprintf(s, sizeof s, "%02d-%03d-%03d-%04d", (int)nation + 10, (int)rnd(r, 100, 999),
			 (int)rnd(r, 100, 999), (int)rnd(r, 1000, 9999));
	put_mem(out, s, (size_t)n);
}

/* ---- the tables ------------------------------------------------------------------------- */

static int64_t n_supplier, n_part, n_customer, n_orders, n_clerks;

static int64_t scaled(double sf, int64_t base)
{
	int64_t n = (int64_t)llround(sf * (double)base);
	return n < 1 ? 1 : n;
}

/* clause 4.2.3: retail price in cents */
static int64_t retail_cents(int64_t partkey)
{
	return 90000 + (partkey / 10) % 20001 + 100 * (partkey % 1000);
}

/* clause 4.2.3: the I-th (0..3) supplier of a part */
static int64_t part_supplier(int64_t partkey, int64_t i)
{
	int64_t s = n_supplier;
	return (partkey + i * (s / 4 + (partkey - 1) / s)) % s + 1;
}

/* clause 4.2.3: order keys are sparse, 8 used out of every 32 */
static int64_t order_key(int64_t i)
{
	return (i - 1) / 8 * 32 + (i - 1) % 8 + 1;
}

static void gen_region(uint64_t seed)
{
	rng_t r;
	rng_seed(&r, seed, 1);
	file_t f;
	file_open(&f, "region", "r_regionkey,r_name,r_comment");
	for (int64_t k = 0; k < (int64_t)N_OF(REGIONS); k++) {
		put_int(&f.b, k);
		put_ch(&f.b, ',');
		put_str(&f.b, REGIONS[k]);
		put_ch(&f.b, ',');
		text(&r, 31, 115, &f.b);
		put_ch(&f.b, '\n');
	}
	file_close(&f);
}

static void gen_nation(uint64_t seed)
{
	rng_t r;
	rng_seed(&r, seed, 2);
	file_t f;
	file_open(&f, "nation", "n_nationkey,n_name,n_regionkey,n_comment");
	for (int64_t k = 0; k < (int64_t)N_OF(NATIONS); k++) {
		put_int(&f.b, k);
		put_ch(&f.b, ',');
		put_str(&f.b, NATIONS[k].name);
		put_ch(&f.b, ',');
		put_int(&f.b, NATIONS[k].region);
		put_ch(&f.b, ',');
		text(&r, 31, 114, &f.b);
		put_ch(&f.b, '\n');
	}
	file_close(&f);
}

static void gen_supplier(uint64_t seed)
{
	rng_t r;
	rng_seed(&r, seed, 3);
	/* which suppliers get "Customer ... Complaints" (1) or "... Recommends" (2) */
	int64_t nspecial = (n_supplier * 5 + 9999) / 10000;
	char *mark = calloc((size_t)n_supplier + 1, 1);
	if (!mark) {
		fprintf(stderr, "metafs-tpch: out of memory\n");
		exit(1);
	}
	for (int kind = 1; kind <= 2; kind++)
		for (int64_t done = 0; done < nspecial && done * 2 < n_supplier;) {
			int64_t k = rnd(&r, 1, n_supplier);
			if (!mark[k]) {
				mark[k] = (char)kind;
				done++;
			}
		}
	file_t f;
	file_open(&f, "supplier",
		  "s_suppkey,s_name,s_address,s_nationkey,s_phone,s_acctbal,s_comment");
	buf_t c = {0};
	for (int64_t k = 1; k <= n_supplier; k++) {
		int64_t nation = rnd(&r, 0, 24);
		put_int(&f.b, k);
		put_ch(&f.b, ',');
		char name[32];
		snprintf(name, sizeof name, "Supplier#%09" PRId64, k);
		put_str(&f.b, name);
		put_ch(&f.b, ',');
		vstring(&r, 10, 40, &f.b);
		put_ch(&f.b, ',');
		put_int(&f.b, nation);
		put_ch(&f.b, ',');
		phone(&r, nation, &f.b);
		put_ch(&f.b, ',');
		put_money(&f.b, rnd(&r, -99999, 999999));
		put_ch(&f.b, ',');
		if (mark[k]) {
			/* clause 4.2.3: "Customer" + text + "Complaints"/"Recommends" inside the comment */
			const char *t;
			size_t tn;
			c.len = 0;
			text_span(&r, 10, 25, &t, &tn);
			put_mem(&c, t, tn);
			put_str(&c, " Customer ");
			text_span(&r, 5, 15, &t, &tn);
			put_mem(&c, t, tn);
			put_str(&c, mark[k] == 1 ? " Complaints " : " Recommends ");
			text_span(&r, 10, 25, &t, &tn);
			put_mem(&c, t, tn);
			put_field(&f.b, c.p, c.len);
		} else {
			text(&r, 25, 100, &f.b);
		}
		put_ch(&f.b, '\n');
		file_maybe_flush(&f);
	}
	free(c.p);
	free(mark);
	file_close(&f);
}

static void gen_customer(uint64_t seed)
{
	rng_t r;
	rng_seed(&r, seed, 4);
	file_t f;
	file_open(&f, "customer",
		  "c_custkey,c_name,c_address,c_nationkey,c_phone,c_acctbal,c_mktsegment,c_comment");
	for (int64_t k = 1; k <= n_customer; k++) {
		int64_t nation = rnd(&r, 0, 24);
		put_int(&f.b, k);
		put_ch(&f.b, ',');
		char name[32];
		snprintf(name, sizeof name, "Customer#%09" PRId64, k);
		put_str(&f.b, name);
		put_ch(&f.b, ',');
		vstring(&r, 10, 40, &f.b);
		put_ch(&f.b, ',');
		put_int(&f.b, nation);
		put_ch(&f.b, ',');
		phone(&r, nation, &f.b);
		put_ch(&f.b, ',');
		put_money(&f.b, rnd(&r, -99999, 999999));
		put_ch(&f.b, ',');
		put_str(&f.b, SEGMENTS[rnd(&r, 0, (int64_t)N_OF(SEGMENTS) - 1)]);
		put_ch(&f.b, ',');
		text(&r, 29, 116, &f.b);
		put_ch(&f.b, '\n');
		file_maybe_flush(&f);
	}
	file_close(&f);
}

static void gen_part(uint64_t seed)
{
	rng_t r;
	rng_seed(&r, seed, 5);
	file_t f;
	file_open(&f, "part",
		  "p_partkey,p_name,p_mfgr,p_brand,p_type,p_size,p_container,p_retailprice,p_comment");
	for (int64_t k = 1; k <= n_part; k++) {
		put_int(&f.b, k);
		put_ch(&f.b, ',');
		/* five distinct colours */
		int64_t pick[5];
		for (int i = 0; i < 5; i++) {
			bool dup;
			do {
				pick[i] = rnd(&r, 0, (int64_t)N_OF(COLORS) - 1);
				dup = false;
				for (int j = 0; j < i; j++)
					dup = dup || pick[j] == pick[i];
			} while (dup);
			if (i)
				put_ch(&f.b, ' ');
			put_str(&f.b, COLORS[pick[i]]);
		}
		int64_t m = rnd(&r, 1, 5);
		char s[64];
		snprintf(s, sizeof s, ",Manufacturer#%d,Brand#%d%d,", (int)m, (int)m,
			 (int)rnd(&r, 1, 5));
		put_str(&f.b, s);
		put_str(&f.b, TYPE_S1[rnd(&r, 0, (int64_t)N_OF(TYPE_S1) - 1)]);
		put_ch(&f.b, ' ');
		put_str(&f.b, TYPE_S2[rnd(&r, 0, (int64_t)N_OF(TYPE_S2) - 1)]);
		put_ch(&f.b, ' ');
		put_str(&f.b, TYPE_S3[rnd(&r, 0, (int64_t)N_OF(TYPE_S3) - 1)]);
		put_ch(&f.b, ',');
		put_int(&f.b, rnd(&r, 1, 50));
		put_ch(&f.b, ',');
		put_str(&f.b, CONT_S1[rnd(&r, 0, (int64_t)N_OF(CONT_S1) - 1)]);
		put_ch(&f.b, ' ');
		put_str(&f.b, CONT_S2[rnd(&r, 0, (int64_t)N_OF(CONT_S2) - 1)]);
		put_ch(&f.b, ',');
		put_money(&f.b, retail_cents(k));
		put_ch(&f.b, ',');
		text(&r, 5, 22, &f.b);
		put_ch(&f.b, '\n');
		file_maybe_flush(&f);
	}
	file_close(&f);
}

static void gen_partsupp(uint64_t seed)
{
	rng_t r;
	rng_seed(&r, seed, 6);
	file_t f;
	file_open(&f, "partsupp", "ps_partkey,ps_suppkey,ps_availqty,ps_supplycost,ps_comment");
	for (int64_t k = 1; k <= n_part; k++)
		for (int64_t i = 0; i < 4; i++) {
			put_int(&f.b, k);
			put_ch(&f.b, ',');
			put_int(&f.b, part_supplier(k, i));
			put_ch(&f.b, ',');
			put_int(&f.b, rnd(&r, 1, 9999));
			put_ch(&f.b, ',');
			put_money(&f.b, rnd(&r, 100, 100000));
			put_ch(&f.b, ',');
			text(&r, 49, 198, &f.b);
			put_ch(&f.b, '\n');
			file_maybe_flush(&f);
		}
	file_close(&f);
}

static void gen_orders(uint64_t seed, int64_t start, int64_t end, int64_t current)
{
	rng_t r;
	rng_seed(&r, seed, 7);
	daily_t orders, lines;
	daily_open(&orders, "orders", "o_orderdate",
		   "o_orderkey,o_custkey,o_orderstatus,o_totalprice,o_orderpriority,o_clerk,"
		   "o_shippriority,o_comment",
		   start, end - 151);
	daily_open(&lines, "lineitem", "l_shipdate",
		   "l_orderkey,l_partkey,l_suppkey,l_linenumber,l_quantity,l_extendedprice,"
		   "l_discount,l_tax,l_returnflag,l_linestatus,l_commitdate,l_receiptdate,"
		   "l_shipinstruct,l_shipmode,l_comment",
		   start, end);
	for (int64_t i = 1; i <= n_orders; i++) {
		int64_t okey = order_key(i);
		int64_t cust;
		do /* clause 4.2.3: no orders for a third of the customers */
			cust = rnd(&r, 1, n_customer);
		while (cust % 3 == 0 && n_customer >= 3);
		int64_t odate = rnd(&r, start, end - 151);
		int64_t nlines = rnd(&r, 1, 7);
		int64_t total = 0, nf = 0;
		for (int64_t ln = 1; ln <= nlines; ln++) {
			int64_t pkey = rnd(&r, 1, n_part);
			int64_t skey = part_supplier(pkey, rnd(&r, 0, 3));
			int64_t qty = rnd(&r, 1, 50);
			int64_t price = qty * retail_cents(pkey);
			int64_t disc = rnd(&r, 0, 10), tax = rnd(&r, 0, 8);
			int64_t ship = odate + rnd(&r, 1, 121);
			int64_t commit = odate + rnd(&r, 30, 90);
			int64_t receipt = ship + rnd(&r, 1, 30);
			char flag = receipt <= current ? (rnd(&r, 0, 1) ? 'R' : 'A') : 'N';
			char status = ship > current ? 'O' : 'F';
			nf += status == 'F';
			total += price * (100 - disc) / 100 * (100 + tax) / 100;
			buf_t *b = daily_buf(&lines, ship);
			put_int(b, okey);
			put_ch(b, ',');
			put_int(b, pkey);
			put_ch(b, ',');
			put_int(b, skey);
			put_ch(b, ',');
			put_int(b, ln);
			put_ch(b, ',');
			put_money(b, qty * 100);
			put_ch(b, ',');
			put_money(b, price);
			put_ch(b, ',');
			put_money(b, disc);
			put_ch(b, ',');
			put_money(b, tax);
			put_ch(b, ',');
			put_ch(b, flag);
			put_ch(b, ',');
			put_ch(b, status);
			put_ch(b, ',');
			put_date(b, commit);
			put_ch(b, ',');
			put_date(b, receipt);
			put_ch(b, ',');
			put_str(b, INSTRUCTIONS[rnd(&r, 0, (int64_t)N_OF(INSTRUCTIONS) - 1)]);
			put_ch(b, ',');
			put_str(b, MODES[rnd(&r, 0, (int64_t)N_OF(MODES) - 1)]);
			put_ch(b, ',');
			text(&r, 10, 43, b);
			put_ch(b, '\n');
			daily_row_done(&lines, ship);
		}
		buf_t *b = daily_buf(&orders, odate);
		put_int(b, okey);
		put_ch(b, ',');
		put_int(b, cust);
		put_ch(b, ',');
		put_ch(b, nf == nlines ? 'F' : nf == 0 ? 'O' : 'P');
		put_ch(b, ',');
		put_money(b, total);
		put_ch(b, ',');
		put_str(b, PRIORITIES[rnd(&r, 0, (int64_t)N_OF(PRIORITIES) - 1)]);
		put_ch(b, ',');
		char clerk[32];
		snprintf(clerk, sizeof clerk, "Clerk#%09" PRId64, rnd(&r, 1, n_clerks));
		put_str(b, clerk);
		put_str(b, ",0,");
		text(&r, 19, 78, b);
		put_ch(b, '\n');
		daily_row_done(&orders, odate);
	}
	daily_close(&orders);
	daily_close(&lines);
}

static void gen_schema(const char *money)
{
	buf_t b = {0};
	const char *m = money;
	char s[4096];
	put_str(&b, "-- TPC-H for metafs: the tables metafs-tpch writes (CSV with a header line)\n"
		    "CREATE DATABASE IF NOT EXISTS tpch;\n");
	snprintf(s, sizeof s,
		 "CREATE TABLE tpch.region (r_regionkey BIGINT, r_name STRING, r_comment STRING)"
		 " STORED AS CSV TBLPROPERTIES ('header'='true');\n"
		 "CREATE TABLE tpch.nation (n_nationkey BIGINT, n_name STRING, n_regionkey BIGINT,"
		 " n_comment STRING) STORED AS CSV TBLPROPERTIES ('header'='true');\n"
		 "CREATE TABLE tpch.supplier (s_suppkey BIGINT, s_name STRING, s_address STRING,"
		 " s_nationkey BIGINT, s_phone STRING, s_acctbal %s, s_comment STRING)"
		 " STORED AS CSV TBLPROPERTIES ('header'='true');\n"
		 "CREATE TABLE tpch.customer (c_custkey BIGINT, c_name STRING, c_address STRING,"
		 " c_nationkey BIGINT, c_phone STRING, c_acctbal %s, c_mktsegment STRING,"
		 " c_comment STRING) STORED AS CSV TBLPROPERTIES ('header'='true');\n"
		 "CREATE TABLE tpch.part (p_partkey BIGINT, p_name STRING, p_mfgr STRING,"
		 " p_brand STRING, p_type STRING, p_size BIGINT, p_container STRING,"
		 " p_retailprice %s, p_comment STRING) STORED AS CSV TBLPROPERTIES ('header'='true');\n"
		 "CREATE TABLE tpch.partsupp (ps_partkey BIGINT, ps_suppkey BIGINT,"
		 " ps_availqty BIGINT, ps_supplycost %s, ps_comment STRING)"
		 " STORED AS CSV TBLPROPERTIES ('header'='true');\n"
		 "CREATE TABLE tpch.orders (o_orderkey BIGINT, o_custkey BIGINT,"
		 " o_orderstatus STRING, o_totalprice %s, o_orderpriority STRING, o_clerk STRING,"
		 " o_shippriority BIGINT, o_comment STRING) PARTITIONED BY (o_orderdate DATE)"
		 " STORED AS CSV TBLPROPERTIES ('header'='true');\n"
		 "CREATE TABLE tpch.lineitem (l_orderkey BIGINT, l_partkey BIGINT, l_suppkey BIGINT,"
		 " l_linenumber BIGINT, l_quantity %s, l_extendedprice %s, l_discount %s, l_tax %s,"
		 " l_returnflag STRING, l_linestatus STRING, l_commitdate DATE, l_receiptdate DATE,"
		 " l_shipinstruct STRING, l_shipmode STRING, l_comment STRING)"
		 " PARTITIONED BY (l_shipdate DATE) STORED AS CSV TBLPROPERTIES ('header'='true');\n",
		 m, m, m, m, m, m, m, m, m);
	put_str(&b, s);
	char *path = path_join(g_out, "schema.sql");
	flush_to(path, &b, true);
	free(path);
	free(b.p);
}

int main(int argc, char **argv)
{
	double sf = 1;
	uint64_t seed = 19920101;
	const char *money = "DECIMAL(15,2)";
	const char *out = NULL;
	static const struct option opts[] = {
		{"sf", required_argument, NULL, 's'},
		{"seed", required_argument, NULL, 'S'},
		{"money-type", required_argument, NULL, 'm'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			errno = 0;
			sf = strtod(optarg, &end);
			if (errno || *end || !(sf > 0) || sf > 1000) {
				fprintf(stderr, "metafs-tpch: --sf needs a number above 0, at most 1000\n");
				return 2;
			}
			break;
		case 'S':
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg) {
				fprintf(stderr, "metafs-tpch: --seed needs an unsigned integer\n");
				return 2;
			}
			break;
		case 'm':
			if (strcmp(optarg, "decimal") == 0) {
				money = "DECIMAL(15,2)";
			} else if (strcmp(optarg, "double") == 0) {
				money = "DOUBLE";
			} else {
				fprintf(stderr, "metafs-tpch: --money-type is decimal or double\n");
				return 2;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			fputs(USAGE, stderr);
			return 2;
		}
	}
	if (optind != argc || !out) {
		fputs(USAGE, stderr);
		return 2;
	}
	g_out = strdup(out);
	if (!g_out || base_fs_mkdirs(g_out, 0755) != 0)
		die_errno("cannot create", out);

	n_supplier = scaled(sf, 10000);
	n_part = scaled(sf, 200000);
	n_customer = scaled(sf, 150000);
	n_orders = scaled(sf, 1500000);
	n_clerks = scaled(sf, 1000);
	if (n_supplier < 4) {
		fprintf(stderr, "metafs-tpch: --sf too small (fewer than 4 suppliers)\n");
		return 2;
	}
	int64_t start = base_date_to_days(1992, 1, 1);
	int64_t endd = base_date_to_days(1998, 12, 31);
	int64_t current = base_date_to_days(1995, 6, 17);

	pool_make(seed, 4u << 20);
	gen_schema(money);
	gen_region(seed);
	gen_nation(seed);
	gen_supplier(seed);
	gen_customer(seed);
	gen_part(seed);
	gen_partsupp(seed);
	gen_orders(seed, start, endd, current);
	free(g_pool.p);
	free(g_out);
	return 0;
}
