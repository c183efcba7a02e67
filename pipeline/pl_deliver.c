/*
 * pl_deliver.c - the message, its JSON payloads, delivery to a team-chat
 * incoming webhook, and the outbox.
 *
 * Delivery follows the conventions of incoming webhooks: one POST of a JSON
 * message with "Authorization: Bearer TOKEN"; 2xx is delivered.  Connection
 * errors, 5xx and 429 are worth another try: the delay doubles from
 * backoff_ms each attempt up to 30 s, unless a 429 or 503 says how long in
 * Retry-After (seconds, honoured up to 60 s).  Any other status will not
 * change by trying again.  Every message carries an idempotency key (in the
 * Idempotency-Key header and in the JSON), a hash of the pipeline's name,
 * the snapshot and the title, so a receiver can drop a message it has seen
 * when a retry or a replay sends it twice.
 *
 * The outbox holds what could not be delivered (and, without a webhook,
 * every message) as OUTBOX/KEY.json, written atomically; a key already there
 * is not written again.  Each run first replays the outbox, oldest first.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <xxhash.h>

#include "base_array.h"
#include "base_fs.h"
#include "pipeline.h"

/* ---- the message -------------------------------------------------------------------- */

void pl_message_init(pl_message *m)
{
	memset(m, 0, sizeof *m);
}

void pl_message_free(pl_message *m)
{
	free(m->title);
	for (size_t i = 0; i < m->nlines; i++)
		free(m->lines[i]);
	free(m->lines);
	memset(m, 0, sizeof *m);
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

int pl_message_title(pl_message *m, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	if (s == NULL)
		return -ENOMEM;
	free(m->title);
	m->title = s;
	return 0;
}

int pl_message_line(pl_message *m, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	if (s == NULL)
		return -ENOMEM;
	if ((rc = BASE_ARRAY_RESERVE(m->lines, m->caplines, m->nlines + 1))) {
		free(s);
		return rc;
	}
	m->lines[m->nlines++] = s;
	return 0;
}

void pl_message_key(pl_message *m, const char *name, uint64_t snapshot)
{
	XXH3_state_t *st = XXH3_createState();
	char snap[32];
	uint64_t h;

	snprintf(snap, sizeof snap, "\n%llu\n", (unsigned long long)snapshot);
	if (st == NULL) {
		m->key[0] = '\0';
		return;
	}
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, name, strlen(name));
	XXH3_64bits_update(st, snap, strlen(snap));
	if (m->title)
		XXH3_64bits_update(st, m->title, strlen(m->title));
	h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	snprintf(m->key, sizeof m->key, "%016llx", (unsigned long long)h);
}

/* A JSON string of S; bytes that are not UTF-8 (data can hold anything)
 * become '?', since JSON text must be Unicode. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	size_t n;
	char *c;

	if (j)
		return j;
	n = strlen(s);
	c = malloc(n + 1);
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < n;) {
		unsigned char b = (unsigned char)s[i];
		size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
		json_t *t = NULL;

		if (len > 1 && i + len <= n)
			t = json_stringn(s + i, len);
		if (len == 1 || t) {
			memcpy(c + i, s + i, len);
			json_decref(t);
			i += len;
		} else {
			c[i++] = '?';
		}
	}
	c[n] = '\0';
	j = json_string(c);
	free(c);
	return j;
}

char *pl_message_payload(const pl_message *m, pl_format format)
{
	json_t *root = json_object();
	char *out = NULL;

	if (root == NULL)
		return NULL;
	if (format == PL_FORMAT_SLACK) {
		size_t len = strlen(m->title ? m->title : "") + 1;
		char *text, *p;

		for (size_t i = 0; i < m->nlines; i++)
			len += strlen(m->lines[i]) + 1;
		text = malloc(len);
		if (text == NULL)
			goto out;
		p = text + sprintf(text, "%s", m->title ? m->title : "");
		for (size_t i = 0; i < m->nlines; i++)
			p += sprintf(p, "\n%s", m->lines[i]);
		json_object_set_new(root, "text", jstr(text));
		free(text);
	} else {
		json_t *head = json_object(), *body = json_array();

		json_object_set_new(head, "text", jstr(m->title ? m->title : ""));
		for (size_t i = 0; i < m->nlines; i++) {
			json_t *item = json_object();

			json_object_set_new(item, "type", json_string("message"));
			json_object_set_new(item, "text", jstr(m->lines[i]));
			json_array_append_new(body, item);
		}
		json_object_set_new(root, "head", head);
		json_object_set_new(root, "body", body);
	}
	json_object_set_new(root, "idempotency_key", json_string(m->key));
	out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(root);
	return out;
}

/* ---- sending ---------------------------------------------------------------------------- */

void pl_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void pl_sender_init(pl_sender *s, const pl_def *def)
{
	memset(s, 0, sizeof *s);
	s->url = def->webhook_url;
	s->token = def->webhook_token;
	s->retries = def->retries;
	s->backoff_ms = def->backoff_ms;
	s->post = pl_http_post;
	s->sleep_ms = pl_sleep_ms;
	s->timeout_s = 30;
}

long pl_retry_delay_ms(long backoff_ms, unsigned attempt, long retry_after_s)
{
	long d = backoff_ms;

	if (retry_after_s >= 0)
		return retry_after_s > PL_RETRY_AFTER_CAP_MS / 1000 ? PL_RETRY_AFTER_CAP_MS
								  : retry_after_s * 1000;
	for (unsigned i = 0; i < attempt && d < PL_BACKOFF_CAP_MS; i++)
		d *= 2;
	return d > PL_BACKOFF_CAP_MS ? PL_BACKOFF_CAP_MS : d;
}

struct response {
	long retry_after_s;
};

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct response *r = arg;
	size_t len = size * n;

	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0)
		r->retry_after_s = -1;   /* a new response (after 100 Continue) */
	if (len > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
		char tmp[32];
		size_t i = 12, k = 0;
		char *end;
		long v;

		while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		while (i < len && k + 1 < sizeof tmp && buf[i] >= '0' && buf[i] <= '9')
			tmp[k++] = buf[i++];
		tmp[k] = '\0';
		if (k > 0) {
			v = strtol(tmp, &end, 10);
			r->retry_after_s = v;
		}
	}
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

pl_send_result pl_http_post(pl_sender *s, const char *body, const char *key, long *status,
			    long *retry_after_s)
{
	struct response resp = {.retry_after_s = -1};
	struct curl_slist *h = NULL;
	char line[1024];
	CURLcode cc;
	CURL *c;

	*status = 0;
	*retry_after_s = -1;
	c = curl_easy_init();
	if (c == NULL) {
		snprintf(s->last_error, sizeof s->last_error, "cannot start libcurl");
		return PL_SEND_RETRY;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (s->token && s->token[0]) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", s->token);
		h = curl_slist_append(h, line);
	}
	snprintf(line, sizeof line, "Idempotency-Key: %s", key);
	h = curl_slist_append(h, line);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, s->timeout_s > 0 ? s->timeout_s : 30L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "metafs-pipeline/" METAFS_VERSION);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else
		snprintf(s->last_error, sizeof s->last_error, "%s", curl_easy_strerror(cc));
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (cc != CURLE_OK)
		return PL_SEND_RETRY;
	*retry_after_s = resp.retry_after_s;
	if (*status >= 200 && *status < 300)
		return PL_SENT;
	snprintf(s->last_error, sizeof s->last_error, "HTTP status %ld", *status);
	if (*status == 429 || *status >= 500)
		return PL_SEND_RETRY;
	return PL_SEND_PERMANENT;
}

pl_send_result pl_send(pl_sender *s, const char *body, const char *key)
{
	pl_send_result r = PL_SEND_RETRY;

	for (unsigned attempt = 0;; attempt++) {
		long status = 0, retry_after = -1, delay;

		s->last_error[0] = '\0';
		r = s->post(s, body, key, &status, &retry_after);
		if (s->verbose)
			fprintf(stderr, "metafs-pipeline: POST %s: attempt %u: %s\n", s->url,
				attempt + 1, r == PL_SENT ? "delivered" : s->last_error);
		if (r != PL_SEND_RETRY || attempt >= (unsigned)s->retries)
			break;
		delay = pl_retry_delay_ms(s->backoff_ms, attempt,
					  status == 429 || status == 503 ? retry_after : -1);
		s->sleep_ms(delay);
	}
	return r;
}

/* ---- the outbox ----------------------------------------------------------------------------- */

int pl_outbox_spool(const char *outbox, const char *key, const char *body, bool *written)
{
	char path[PATH_MAX];
	int rc;

	*written = false;
	if (snprintf(path, sizeof path, "%s/%s.json", outbox, key) >= (int)sizeof path)
		return -ENAMETOOLONG;
	if (access(path, F_OK) == 0)
		return 0;
	rc = base_fs_mkdirs(outbox, BASE_MODE_DIR);
	if (rc == 0)
		rc = base_fs_file_replace(path, body, strlen(body), BASE_MODE_FILE);
	if (rc == 0)
		*written = true;
	return rc;
}

struct spooled {
	char name[256];
	struct timespec mtime;
};

static int spooled_cmp(const void *a, const void *b)
{
	const struct spooled *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

int pl_outbox_replay(const char *outbox, pl_sender *s, unsigned *sent, unsigned *kept,
		     bool *blocked)
{
	struct spooled *list = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*sent = *kept = 0;
	*blocked = false;
	d = opendir(outbox);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char path[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.' || len <= 5 || len >= sizeof list->name ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", outbox, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if ((rc = BASE_ARRAY_RESERVE(list, cap, n + 1)))
			break;
		memcpy(list[n].name, de->d_name, len + 1);
		list[n].mtime = st.st_mtim;
		n++;
	}
	closedir(d);
	if (rc == 0 && n)
		qsort(list, n, sizeof *list, spooled_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[PATH_MAX], key[256];
		pl_send_result r;
		size_t len;
		char *body;

		snprintf(path, sizeof path, "%s/%s", outbox, list[i].name);
		snprintf(key, sizeof key, "%.*s", (int)(strlen(list[i].name) - 5), list[i].name);
		if (pl_read_file(path, &body, &len) != 0) {
			(*kept)++;
			continue;
		}
		r = pl_send(s, body, key);
		free(body);
		if (r == PL_SENT) {
			if (unlink(path) != 0)
				rc = -errno;
			(*sent)++;
		} else if (r == PL_SEND_RETRY) {
			/* The channel is down: keep this and everything after it. */
			*kept += (unsigned)(n - i);
			*blocked = true;
			break;
		} else {
			(*kept)++;
		}
	}
	free(list);
	return rc;
}
