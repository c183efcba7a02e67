/*
 * metafs_gen.c - `metafs gen`: a seeded, realistic UCaaS call-quality data
 * set, partitioned by day in the Hive layout:
 *
 *     DIR/dt=YYYY-MM-DD/part-00000.csv ... part-0000K.csv
 *
 * (or .jsonl, or .parquet: --format names a format of fmt.h; Parquet files
 * are written with format/'s writer, Spark's defaults, one per partition
 * and --files-per-day).
 *
 * One row is one participant's leg of a meeting (so a meeting_id repeats):
 *
 *     meeting_id string, region string, client_type string, participants bigint,
 *     duration_s bigint, jitter_ms double, packet_loss_pct double,
 *     latency_ms double, mos double, dropped boolean, started_at timestamp
 *
 * The model behind the numbers:
 *   - regions differ in base latency, jitter and loss (us-east best, ap-south
 *     and sa-east worst); clients add their own (mobile worst, room best);
 *   - congestion peaks in each region's local afternoon; one seeded
 *     (day, region) has a network incident that multiplies loss and jitter;
 *   - latency has a long tail, loss is heavy-tailed (most legs near 0);
 *   - mos follows a simplified ITU-T G.107 E-model of the effective latency
 *     (latency + 2 jitter) and the loss, with noise, clamped to 1..4.5;
 *   - dropped is drawn with a logistic probability that rises with loss,
 *     jitter, latency, call length and mobile clients: a signal a model can
 *     learn (the AUC of the true probability is about 0.88), not a rule;
 *   - a few telemetry gaps: jitter, loss, latency and mos are NULL (an empty
 *     CSV field, JSON null, a Parquet NULL) in a fraction of a percent of the
 *     rows.  A Parquet file holds the values the CSV text reads as (12.30 is
 *     the double 12.3): the same arguments give the same rows in every format.
 *
 * Every file has its own random stream derived from (seed, day, file), so
 * the files are generated in parallel and the same arguments always give the
 * same bytes.  Numbers are formatted by hand: printf is the bottleneck
 * otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base_date.h"
#include "base_fs.h"
#include "base_path.h"
#include "base_rng.h"
#include "fmt.h"
#include "fmt_parquet.h"

int cmd_gen(int argc, char **argv);
extern const struct option cmd_gen_options[];

#define GEN_USAGE                                                                              \
	"usage: metafs gen [--rows N] [--days D] [--start YYYY-MM-DD] [--seed S]\n"            \
	"                  [--format csv|jsonl|parquet] [--files-per-day K] DIR\n"            \
	"       metafs gen --print-schema [--format csv|jsonl|parquet]\n"

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---------------------------- */

typedef struct {
	uint64_t s[4];
	bool has_spare;
	double spare;
} rng_t;

/* A bijection of 64-bit values (splitmix64's finalizer): unique ids that look random. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ mix64(stream + 0x5851f42d4c957f2dULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = base_splitmix64(&x);
	r->has_spare = false;
	r->spare = 0;
}

static inline uint64_t rng_next(rng_t *r)
{
	return base_xoshiro_next(r->s);
}

/* uniform in [0, 1) */
static inline double unif(rng_t *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* uniform in (0, 1] (for logarithms) */
static inline double unif_pos(rng_t *r)
{
	return ((double)(rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
}

static inline double gauss(rng_t *r)
{
	if (r->has_spare) {
		r->has_spare = false;
		return r->spare;
	}
	double u = unif_pos(r), v = unif(r);
	double m = sqrt(-2.0 * log(u));
	r->spare = m * sin(2.0 * M_PI * v);
	r->has_spare = true;
	return m * cos(2.0 * M_PI * v);
}

static inline unsigned pick(rng_t *r, const double *cum, unsigned n)
{
	double x = unif(r) * cum[n - 1];
	for (unsigned i = 0; i < n - 1; i++)
		if (x < cum[i])
			return i;
	return n - 1;
}

/* ---- the model ----------------------------------------------------------------------- */

typedef struct {
	const char *name;
	double weight;  /* share of the traffic */
	double latency; /* ms, base round trip */
	double jitter;  /* ms */
	double loss;    /* %, scale of the heavy tail */
	double tz;      /* hours from UTC: business hours are local */
} region_t;

static const region_t REGIONS[] = {
	{"us-east", 26, 32, 5.5, 0.22, -5},
	{"us-west", 16, 41, 6.5, 0.28, -8},
	{"eu-central", 14, 36, 6.0, 0.30, 1},
	{"eu-west", 16, 34, 6.0, 0.26, 0},
	{"ap-south", 10, 128, 15.0, 1.10, 5.5},
	{"ap-northeast", 10, 78, 8.5, 0.45, 9},
	{"sa-east", 8, 112, 13.0, 0.90, -3},
};
#define NREGIONS (sizeof REGIONS / sizeof REGIONS[0])

typedef struct {
	const char *name;
	double weight;
	double latency; /* ms added */
	double jitter;  /* factor */
	double loss;    /* factor */
	double drop;    /* logit added to the drop probability */
} client_t;

static const client_t CLIENTS[] = {
	{"desktop", 45, 0, 1.00, 1.00, 0.00},
	{"mobile", 25, 24, 1.65, 1.90, 0.35},
	{"web", 20, 7, 1.20, 1.25, 0.10},
	{"room", 10, -3, 0.80, 0.70, -0.25},
};
#define NCLIENTS (sizeof CLIENTS / sizeof CLIENTS[0])

static const char *const COLUMNS[][2] = {
	{"meeting_id", "string"},   {"region", "string"},          {"client_type", "string"},
	{"participants", "bigint"}, {"duration_s", "bigint"},      {"jitter_ms", "double"},
	{"packet_loss_pct", "double"}, {"latency_ms", "double"},    {"mos", "double"},
	{"dropped", "boolean"},     {"started_at", "timestamp"},
};
#define NCOLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])

/* ---- dates ---------------------------------------------------------------------------- */

static bool parse_date(const char *s, int64_t *days)
{
	int y;
	unsigned m, d;
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3 || s[4] != '-' ||
	    s[7] != '-')
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	if (d > base_date_month_days(y, m))
		return false;
	*days = base_date_to_days(y, m, d);
	return true;
}

static void format_date(int64_t days, char out[11])
{
	int64_t y;
	unsigned m, d;
	base_date_from_days(days, &y, &m, &d);
	snprintf(out, 11, "%04" PRId64 "-%02u-%02u", y, m, d);
}

/* ---- output buffer and number formatting ------------------------------------------------ */

typedef struct {
	int fd;
	char *buf;
	size_t len, cap;
	uint64_t bytes;
	int err; /* errno of the first failed write */
} out_t;

static void out_flush(out_t *o)
{
	size_t off = 0;
	while (off < o->len && !o->err) {
		ssize_t w = write(o->fd, o->buf + off, o->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			break;
		}
		off += (size_t)w;
	}
	o->bytes += o->len;
	o->len = 0;
}

/* room for one row: every row is far below this */
#define ROW_MAX 512

static inline char *out_reserve(out_t *o)
{
	if (o->cap - o->len < ROW_MAX)
		out_flush(o);
	return o->buf + o->len;
}

static inline char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static inline char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* v >= 0 with exactly `dec` decimals (1..3) */
static inline char *put_fixed(char *p, double v, int dec)
{
	static const uint64_t pow10[] = {1, 10, 100, 1000};
	uint64_t q = (uint64_t)llround(v * (double)pow10[dec]);
	p = put_u64(p, q / pow10[dec]);
	*p++ = '.';
	uint64_t f = q % pow10[dec];
	for (int i = dec - 1; i >= 0; i--) {
		p[i] = (char)('0' + f % 10);
		f /= 10;
	}
	return p + dec;
}

static inline char *put_2d(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static inline char *put_hex64(char *p, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--) {
		p[i] = hex[v & 15];
		v >>= 4;
	}
	return p + 16;
}

/* ---- one file --------------------------------------------------------------------------- */

typedef struct {
	/* in */
	uint64_t seed;
	unsigned day_index, file_index;
	int64_t day; /* days since the epoch */
	uint64_t rows;
	store_format format;
	int incident_region; /* -1: none that day */
	char path[PATH_MAX];
	/* out */
	uint64_t bytes;
	int err;
	const char *what;
} job_t;

static double REGION_CUM[NREGIONS], CLIENT_CUM[NCLIENTS];

static void init_tables(void)
{
	double c = 0;
	for (unsigned i = 0; i < NREGIONS; i++)
		REGION_CUM[i] = c += REGIONS[i].weight;
	c = 0;
	for (unsigned i = 0; i < NCLIENTS; i++)
		CLIENT_CUM[i] = c += CLIENTS[i].weight;
}

/* the E-model's R factor to a MOS (ITU-T G.107) */
static double mos_of(double latency, double jitter, double loss)
{
	double d = latency + 2.0 * jitter + 10.0; /* effective one-way latency with the jitter buffer */
	double id = d < 160.0 ? d / 40.0 : (d - 120.0) / 10.0;
	double ie = 95.0 * loss / (loss + 9.0); /* packet-loss impairment of a robust codec */
	double r = 93.2 - id - ie;
	if (r < 0)
		r = 0;
	if (r > 100)
		r = 100;
	return 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r);
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

typedef struct {
	uint64_t id;
	unsigned region;
	unsigned participants;
	unsigned legs_left;
	int64_t start;    /* seconds since the epoch */
	unsigned duration;
} meeting_t;

static void new_meeting(rng_t *r, const job_t *j, uint64_t serial, meeting_t *m)
{
	/* (day < 2^17, file < 2^17, serial < 2^30) packed, then a bijection: unique ids */
	m->id = mix64((((uint64_t)j->day_index << 47) | ((uint64_t)j->file_index << 30) |
		       (serial & ((UINT64_C(1) << 30) - 1))) ^
		      (j->seed * 0x9e3779b97f4a7c15ULL));
	m->region = pick(r, REGION_CUM, NREGIONS);
	/* meeting size: mostly 2..6, a long tail of town halls */
	double u = unif_pos(r);
	unsigned p = 2 + (unsigned)(3.0 * (pow(u, -0.55) - 1.0));
	if (unif(r) < 0.08)
		p = 1; /* someone alone in a room waiting */
	m->participants = p > 300 ? 300 : p;
	/* legs recorded: everyone, but very large meetings sample their legs */
	m->legs_left = m->participants > 25 ? 25 : m->participants;
	/* start: local business hours mostly, converted to UTC, kept inside the day */
	double local = unif(r) < 0.86 ? 12.0 + 2.6 * gauss(r) : 24.0 * unif(r);
	double utc = fmod(local - REGIONS[m->region].tz + 48.0, 24.0);
	int64_t sec = (int64_t)(utc * 3600.0);
	if (sec > 86399)
		sec = 86399;
	m->start = j->day * 86400 + sec;
	/* duration: log-normal around 30 minutes, 1 minute to 4 hours */
	double dur = exp(log(1800.0) + 0.75 * gauss(r));
	m->duration = (unsigned)clamp(dur, 60.0, 14400.0);
}

/* ---- Parquet: the rows as column vectors, appended in batches -------------------------- */

#define PQ_BATCH 65536

typedef struct {
	store_column cols[NCOLUMNS];
	fmt_vector v[NCOLUMNS];
	fmt_parquet_writer *w;
	fmt_error fe;
	int rc;
} pq_out;

static store_type type_of(const char *name)
{
	if (!strcmp(name, "bigint"))
		return STORE_TYPE_BIGINT;
	if (!strcmp(name, "double"))
		return STORE_TYPE_DOUBLE;
	if (!strcmp(name, "boolean"))
		return STORE_TYPE_BOOLEAN;
	if (!strcmp(name, "timestamp"))
		return STORE_TYPE_TIMESTAMP;
	return STORE_TYPE_STRING;
}

static int pq_open(pq_out *q, int fd, const char *path)
{
	for (unsigned c = 0; c < NCOLUMNS; c++) {
		snprintf(q->cols[c].name, sizeof q->cols[c].name, "%s", COLUMNS[c][0]);
		q->cols[c].type = type_of(COLUMNS[c][1]);
		fmt_vector_init(&q->v[c], q->cols[c].type);
	}
	q->rc = fmt_parquet_writer_open(fd, path, q->cols, NCOLUMNS, NULL, &q->w, &q->fe);
	return q->rc;
}

static void pq_flush(pq_out *q)
{
	if (q->rc == 0 && q->v[0].n)
		q->rc = fmt_parquet_writer_append(q->w, q->v, &q->fe);
	for (unsigned c = 0; c < NCOLUMNS; c++)
		fmt_vector_clear(&q->v[c]);
}

/* The double that put_fixed's text reads as. */
static double fixed(double v, int dec)
{
	static const double pow10[] = {1, 10, 100, 1000};
	return (double)llround(v * pow10[dec]) / pow10[dec];
}

static void pq_f64(pq_out *q, unsigned c, bool null, double v, int dec)
{
	int rc = null ? fmt_vector_push_null(&q->v[c]) : fmt_vector_push_f64(&q->v[c], fixed(v, dec));
	if (rc && !q->rc)
		q->rc = rc;
}

static void pq_row(pq_out *q, uint64_t meeting, const char *region, const char *client,
		   unsigned participants, unsigned duration, bool no_jitter, double jitter,
		   bool no_loss, double loss, bool no_latency, double latency, bool no_mos, double mos,
		   bool dropped, int64_t started)
{
	char id[21] = "mtg-";
	*put_hex64(id + 4, meeting) = '\0';
	int rc = fmt_vector_push_str(&q->v[0], id, 20);
	if (!rc)
		rc = fmt_vector_push_str(&q->v[1], region, strlen(region));
	if (!rc)
		rc = fmt_vector_push_str(&q->v[2], client, strlen(client));
	if (!rc)
		rc = fmt_vector_push_i64(&q->v[3], participants);
	if (!rc)
		rc = fmt_vector_push_i64(&q->v[4], duration);
	if (rc && !q->rc)
		q->rc = rc;
	pq_f64(q, 5, no_jitter, jitter, 2);
	pq_f64(q, 6, no_loss, loss, 3);
	pq_f64(q, 7, no_latency, latency, 1);
	pq_f64(q, 8, no_mos, mos, 2);
	rc = fmt_vector_push_bool(&q->v[9], dropped);
	if (!rc)
		rc = fmt_vector_push_i64(&q->v[10], started * 1000000);
	if (rc && !q->rc)
		q->rc = rc;
	if (q->v[0].n >= PQ_BATCH)
		pq_flush(q);
}

/* Finish the file; its size into *BYTES. */
static int pq_close(pq_out *q, uint64_t *bytes)
{
	pq_flush(q);
	if (q->rc == 0) {
		q->rc = fmt_parquet_writer_close(q->w, NULL, bytes, &q->fe);
	} else if (q->w) {
		fmt_parquet_writer_abort(q->w);
	}
	q->w = NULL;
	for (unsigned c = 0; c < NCOLUMNS; c++)
		fmt_vector_free(&q->v[c]);
	return q->rc;
}

static void *run_job(void *arg)
{
	job_t *j = arg;
	bool jsonl = j->format == STORE_FORMAT_JSONL, parquet = j->format == STORE_FORMAT_PARQUET;
	pq_out *q = NULL;
	rng_t r;
	rng_seed(&r, j->seed, ((uint64_t)j->day_index << 20) | j->file_index);
	out_t o = {.fd = -1};
	o.cap = 1 << 20;
	o.buf = malloc(o.cap);
	if (!o.buf) {
		j->err = ENOMEM;
		j->what = "allocate";
		return NULL;
	}
	o.fd = open(j->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, BASE_MODE_FILE);
	if (o.fd < 0) {
		j->err = errno;
		j->what = "create";
		free(o.buf);
		return NULL;
	}
	if (parquet) {
		q = calloc(1, sizeof *q);
		if (!q || pq_open(q, o.fd, j->path) != 0) {
			j->err = q ? -q->rc : ENOMEM;
			j->what = "write";
			if (q)
				fprintf(stderr, "metafs gen: %s\n", q->fe.msg);
			free(q);
			close(o.fd);
			free(o.buf);
			return NULL;
		}
	} else if (!jsonl) {
		char *p = out_reserve(&o);
		for (unsigned c = 0; c < NCOLUMNS; c++) {
			if (c)
				*p++ = ',';
			p = put_str(p, COLUMNS[c][0]);
		}
		*p++ = '\n';
		o.len = (size_t)(p - o.buf);
	}

	char date[11];
	format_date(j->day, date);
	meeting_t m = {0};
	uint64_t serial = 0;
	for (uint64_t n = 0; n < j->rows && !o.err; n++) {
		if (m.legs_left == 0)
			new_meeting(&r, j, serial++, &m);
		m.legs_left--;

		/* this leg: most join from the meeting's region */
		unsigned reg = unif(&r) < 0.75 ? m.region : pick(&r, REGION_CUM, NREGIONS);
		const region_t *rg = &REGIONS[reg];
		unsigned cl = pick(&r, CLIENT_CUM, NCLIENTS);
		const client_t *ct = &CLIENTS[cl];
		int64_t started = m.start + (int64_t)(unif(&r) * unif(&r) * 240.0);
		if (started >= (j->day + 1) * 86400)
			started = (j->day + 1) * 86400 - 1;
		double stay = unif(&r) < 0.85 ? 1.0 : unif(&r);
		unsigned duration = (unsigned)fmax(5.0, m.duration * stay - (double)(started - m.start));

		/* congestion: peaks in the region's local afternoon */
		double hour_local = fmod((double)(started % 86400) / 3600.0 + rg->tz + 48.0, 24.0);
		double cong = 1.0 + 0.7 * exp(-(hour_local - 15.0) * (hour_local - 15.0) / 8.0);
		double incident = (int)reg == j->incident_region ? 3.0 : 1.0;

		double latency = rg->latency + ct->latency + 0.25 * rg->latency * fabs(gauss(&r)) -
				 8.0 * log(unif_pos(&r)) + (cong - 1.0) * 12.0;
		latency = clamp(latency, 5.0, 2000.0);
		double jitter = rg->jitter * ct->jitter * cong * (incident > 1 ? 1.8 : 1.0) *
				exp(0.45 * gauss(&r));
		jitter = clamp(jitter, 0.2, 400.0);
		double e = -log(unif_pos(&r));
		double loss = rg->loss * ct->loss * cong * incident * e * e * 0.6;
		loss = clamp(loss, 0.0, 35.0);
		double mos = clamp(mos_of(latency, jitter, loss) + 0.12 * gauss(&r), 1.0, 4.5);

		/* the drop: a logistic signal, not a rule */
		double z = -5.6 + 0.55 * loss + 0.05 * jitter + 0.011 * latency +
			   0.4 * log(duration / 1800.0 + 0.05) + ct->drop + 0.02 * (m.participants > 50);
		bool dropped = unif(&r) < 1.0 / (1.0 + exp(-z));

		/* telemetry gaps */
		double gap = unif(&r);
		bool no_jitter = gap < 0.002, no_loss = gap >= 0.002 && gap < 0.004;
		bool no_latency = gap >= 0.004 && gap < 0.006, no_mos = gap >= 0.006 && gap < 0.011;

		/* timestamp */
		if (parquet) {
			pq_row(q, m.id, rg->name, ct->name, m.participants, duration, no_jitter, jitter,
			       no_loss, loss, no_latency, latency, no_mos, mos, dropped, started);
			if (q->rc)
				break;
			continue;
		}
		int64_t sod = started % 86400;
		unsigned hh = (unsigned)(sod / 3600), mi = (unsigned)(sod / 60 % 60), ss = (unsigned)(sod % 60);
		char *p = out_reserve(&o);
		char *start = p;
		if (!jsonl) {
			p = put_str(p, "mtg-");
			p = put_hex64(p, m.id);
			*p++ = ',';
			p = put_str(p, rg->name);
			*p++ = ',';
			p = put_str(p, ct->name);
			*p++ = ',';
			p = put_u64(p, m.participants);
			*p++ = ',';
			p = put_u64(p, duration);
			*p++ = ',';
			if (!no_jitter)
				p = put_fixed(p, jitter, 2);
			*p++ = ',';
			if (!no_loss)
				p = put_fixed(p, loss, 3);
			*p++ = ',';
			if (!no_latency)
				p = put_fixed(p, latency, 1);
			*p++ = ',';
			if (!no_mos)
				p = put_fixed(p, mos, 2);
			*p++ = ',';
			p = put_str(p, dropped ? "true" : "false");
			*p++ = ',';
		} else {
			p = put_str(p, "{\"meeting_id\":\"mtg-");
			p = put_hex64(p, m.id);
			p = put_str(p, "\",\"region\":\"");
			p = put_str(p, rg->name);
			p = put_str(p, "\",\"client_type\":\"");
			p = put_str(p, ct->name);
			p = put_str(p, "\",\"participants\":");
			p = put_u64(p, m.participants);
			p = put_str(p, ",\"duration_s\":");
			p = put_u64(p, duration);
			p = put_str(p, ",\"jitter_ms\":");
			p = no_jitter ? put_str(p, "null") : put_fixed(p, jitter, 2);
			p = put_str(p, ",\"packet_loss_pct\":");
			p = no_loss ? put_str(p, "null") : put_fixed(p, loss, 3);
			p = put_str(p, ",\"latency_ms\":");
			p = no_latency ? put_str(p, "null") : put_fixed(p, latency, 1);
			p = put_str(p, ",\"mos\":");
			p = no_mos ? put_str(p, "null") : put_fixed(p, mos, 2);
			p = put_str(p, ",\"dropped\":");
			p = put_str(p, dropped ? "true" : "false");
			p = put_str(p, ",\"started_at\":\"");
		}
		p = put_str(p, date);
		*p++ = ' ';
		p = put_2d(p, hh);
		*p++ = ':';
		p = put_2d(p, mi);
		*p++ = ':';
		p = put_2d(p, ss);
		if (jsonl)
			p = put_str(p, "\"}");
		*p++ = '\n';
		o.len += (size_t)(p - start);
	}
	out_flush(&o);
	uint64_t pq_bytes = 0;
	if (q && pq_close(q, &pq_bytes) != 0) {
		fprintf(stderr, "metafs gen: %s\n", q->fe.msg);
		o.err = q->rc == -ENOMEM ? ENOMEM : EIO;
	}
	if (q)
		o.bytes = pq_bytes;
	free(q);
	int closed = close(o.fd);
	if (o.err) {
		j->err = o.err;
		j->what = "write";
	} else if (closed != 0) {
		j->err = errno;
		j->what = "close";
	}
	j->bytes = o.bytes;
	free(o.buf);
	return NULL;
}

/* ---- the command ---------------------------------------------------------------------------- */

static void print_schema(store_format format)
{
	printf("format %s\n", fmt_name(format));
	if (format == STORE_FORMAT_CSV)
		printf("header true\n");
	for (unsigned c = 0; c < NCOLUMNS; c++)
		printf("column %s %s\n", COLUMNS[c][0], COLUMNS[c][1]);
	printf("partition dt date\n");
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Also what the shell completion offers (metafs --commands). */
const struct option cmd_gen_options[] = {
	{"rows", required_argument, NULL, 'n'},
	{"days", required_argument, NULL, 'd'},
	{"start", required_argument, NULL, 's'},
	{"seed", required_argument, NULL, 'S'},
	{"format", required_argument, NULL, 'f'},
	{"files-per-day", required_argument, NULL, 'k'},
	{"print-schema", no_argument, NULL, 'P'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int cmd_gen(int argc, char **argv)
{
	uint64_t rows = 100000, days = 7, seed = 1, files = 1;
	const char *start_text = "2024-05-01";
	store_format format = STORE_FORMAT_CSV;
	bool schema_only = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", cmd_gen_options, NULL)) != -1) {
		const char *bad = NULL;
		switch (c) {
		case 'n':
			if (!parse_u64(optarg, 0, UINT64_C(1) << 40, &rows))
				bad = "--rows";
			break;
		case 'd':
			if (!parse_u64(optarg, 1, 100000, &days))
				bad = "--days";
			break;
		case 's':
			start_text = optarg;
			break;
		case 'S':
			if (!parse_u64(optarg, 0, UINT64_MAX, &seed))
				bad = "--seed";
			break;
		case 'f':
			if (!fmt_from_name(optarg, strlen(optarg), &format))
				bad = "--format";
			break;
		case 'k':
			if (!parse_u64(optarg, 1, 99999, &files))
				bad = "--files-per-day";
			break;
		case 'P':
			schema_only = true;
			break;
		case 'h':
			printf(GEN_USAGE "\n"
			       "Write a seeded, realistic UCaaS call-quality data set into DIR as Hive\n"
			       "partitions DIR/dt=YYYY-MM-DD/part-NNNNN.csv (.jsonl, .parquet), one row per\n"
			       "participant leg of a meeting:\n"
			       "  meeting_id, region, client_type, participants, duration_s, jitter_ms,\n"
			       "  packet_loss_pct, latency_ms, mos, dropped, started_at\n"
			       "The probability of 'dropped' rises with loss, jitter and latency.\n"
			       "The same arguments always write the same bytes.\n\n"
			       "  --rows N            rows in all (default 100000)\n"
			       "  --days D            days, one partition each (default 7)\n"
			       "  --start YYYY-MM-DD  the first day (default 2024-05-01)\n"
			       "  --seed S            random seed (default 1)\n"
			       "  --format F          csv with a header line (default), jsonl (JSON Lines)\n"
			       "                      or parquet (SNAPPY, as Spark writes it)\n"
			       "  --files-per-day K   data files per partition (default 1)\n"
			       "  --print-schema      print the table's .schema and exit\n");
			return 0;
		default:
			fprintf(stderr, GEN_USAGE);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "metafs gen: bad value for %s: '%s'\n", bad, optarg);
			return 2;
		}
	}
	if (schema_only) {
		if (optind < argc - 1) {
			fprintf(stderr, "metafs gen: unexpected argument '%s'\n" GEN_USAGE, argv[optind + 1]);
			return 2;
		}
		print_schema(format);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (optind != argc - 1) {
		if (optind == argc)
			fprintf(stderr, "metafs gen: missing DIR\n" GEN_USAGE);
		else
			fprintf(stderr, "metafs gen: unexpected argument '%s'\n" GEN_USAGE, argv[optind + 1]);
		return 2;
	}
	int64_t start;
	if (!parse_date(start_text, &start)) {
		fprintf(stderr, "metafs gen: bad date for --start: '%s' (expected YYYY-MM-DD)\n",
			start_text);
		return 2;
	}
	if (start + (int64_t)days > base_date_to_days(9999, 12, 31) + 1) {
		fprintf(stderr, "metafs gen: the last day is after 9999-12-31\n");
		return 2;
	}
	const char *dir = argv[optind];
	init_tables();

	/* rows per day: weekdays busier than weekends, a little noise; the day of an incident */
	rng_t plan;
	rng_seed(&plan, seed, UINT64_C(0xfeedface));
	double *weight = calloc(days, sizeof *weight);
	job_t *jobs = calloc(days * files, sizeof *jobs);
	if (!weight || !jobs) {
		fprintf(stderr, "metafs gen: out of memory\n");
		free(weight);
		free(jobs);
		return 1;
	}
	double total = 0;
	for (uint64_t d = 0; d < days; d++) {
		int64_t wd = ((start + (int64_t)d) % 7 + 10) % 7; /* 0 = Monday (1970-01-01 was a Thursday) */
		weight[d] = wd >= 5 ? 0.42 + 0.08 * unif(&plan) : 1.0 + 0.15 * unif(&plan);
		total += weight[d];
	}
	unsigned incident_day = (unsigned)(unif(&plan) * (double)days);
	int incident_region = (int)pick(&plan, REGION_CUM, NREGIONS);
	uint64_t given = 0;
	int rc = 0;
	for (uint64_t d = 0; d < days; d++) {
		uint64_t day_rows = d == days - 1 ? rows - given
						  : (uint64_t)((double)rows * weight[d] / total);
		if (given + day_rows > rows)
			day_rows = rows - given;
		given += day_rows;
		char date[11], pdir[PATH_MAX];
		format_date(start + (int64_t)d, date);
		if (base_path_format(pdir, sizeof pdir, "%s/dt=%s", dir, date)) {
			fprintf(stderr, "metafs gen: %s: path too long\n", dir);
			rc = 1;
			goto out;
		}
		int e = base_fs_mkdirs(pdir, BASE_MODE_DIR);
		if (e) {
			fprintf(stderr, "metafs gen: cannot create %s: %s\n", pdir, strerror(-e));
			rc = 1;
			goto out;
		}
		for (uint64_t k = 0; k < files; k++) {
			job_t *j = &jobs[d * files + k];
			j->seed = seed;
			j->day_index = (unsigned)d;
			j->file_index = (unsigned)k;
			j->day = start + (int64_t)d;
			j->rows = day_rows / files + (k < day_rows % files);
			j->format = format;
			j->incident_region = d == incident_day ? incident_region : -1;
			if (base_path_format(j->path, sizeof j->path, "%s/part-%05u.%s", pdir,
					     (unsigned)k, fmt_extension(format))) {
				fprintf(stderr, "metafs gen: %s: path too long\n", pdir);
				rc = 1;
				goto out;
			}
		}
	}

	/* run the files on as many threads as there are processors */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t njobs = days * files, nthreads = ncpu > 0 ? (size_t)ncpu : 1;
	if (nthreads > njobs)
		nthreads = njobs;
	if (nthreads > 64)
		nthreads = 64;
	for (size_t first = 0; first < njobs; first += nthreads) {
		pthread_t th[64];
		bool started[64] = {false};
		size_t n = njobs - first < nthreads ? njobs - first : nthreads;
		for (size_t i = 0; i < n; i++)
			started[i] = pthread_create(&th[i], NULL, run_job, &jobs[first + i]) == 0;
		for (size_t i = 0; i < n; i++) {
			if (started[i])
				pthread_join(th[i], NULL);
			else
				run_job(&jobs[first + i]);
		}
	}

	uint64_t bytes = 0;
	for (size_t i = 0; i < njobs; i++) {
		job_t *j = &jobs[i];
		if (j->err) {
			fprintf(stderr, "metafs gen: cannot %s %s: %s\n", j->what, j->path, strerror(j->err));
			rc = 1;
			continue;
		}
		printf("%s: %" PRIu64 " rows, %" PRIu64 " bytes\n", j->path, j->rows, j->bytes);
		bytes += j->bytes;
	}
	if (rc == 0) {
		char first[11], last[11], inc[11];
		format_date(start, first);
		format_date(start + (int64_t)days - 1, last);
		format_date(start + incident_day, inc);
		printf("wrote %" PRIu64 " rows, %" PRIu64 " bytes in %zu files, %" PRIu64
		       " partitions dt=%s..%s, to %s (seed %" PRIu64 ", %s; a network incident in %s "
		       "on %s)\n",
		       rows, bytes, njobs, days, first, last, dir, seed, fmt_name(format),
		       REGIONS[incident_region].name, inc);
		if (format == STORE_FORMAT_CSV)
			printf("schema: metafs gen --print-schema\n");
		else
			printf("schema: metafs gen --print-schema --format %s\n", fmt_name(format));
	}
	if (fflush(stdout) != 0)
		rc = 1;
out:
	free(weight);
	free(jobs);
	return rc;
}
