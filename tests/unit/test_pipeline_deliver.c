/*
 * test_pipeline_deliver.c - the message and its delivery: payloads against
 * golden JSON in both formats, the idempotency key, the retry schedule
 * (doubling, the cap, Retry-After), what is retried and what is not, the
 * outbox (atomic spool, no second spool of a key, replay oldest first,
 * delivered ones deleted, failed ones kept), and one real POST to a small
 * HTTP server on 127.0.0.1 that checks the headers.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline.h"
#include "testdir.h"

static void make_message(pl_message *m)
{
	pl_message_init(m);
	assert_int_equal(pl_message_title(m, "metafs: %s — %d rows scored, %d above %g", "calls", 3, 1, 0.5), 0);
	assert_int_equal(pl_message_line(m, "eu: 2 rows, 50.0%% >= 0.5; riskiest: m1 (0.910)"), 0);
	assert_int_equal(pl_message_line(m, "say \"hi\"\\ok"), 0);
	strcpy(m->key, "00112233aabbccdd");
}

static void test_payload_full_format_matches_golden_json(void **state)
{
	pl_message m;
	char *p;

	(void)state;
	make_message(&m);
	p = pl_message_payload(&m, PL_FORMAT_FULL);
	assert_non_null(p);
	assert_string_equal(p,
		"{\"head\":{\"text\":\"metafs: calls — 3 rows scored, 1 above 0.5\"},"
		"\"body\":[{\"type\":\"message\",\"text\":\"eu: 2 rows, 50.0% >= 0.5; riskiest: m1 (0.910)\"},"
		"{\"type\":\"message\",\"text\":\"say \\\"hi\\\"\\\\ok\"}],"
		"\"idempotency_key\":\"00112233aabbccdd\"}");
	free(p);
	pl_message_free(&m);
}

static void test_payload_slack_format_matches_golden_json(void **state)
{
	pl_message m;
	char *p;

	(void)state;
	make_message(&m);
	p = pl_message_payload(&m, PL_FORMAT_SLACK);
	assert_non_null(p);
	assert_string_equal(p,
		"{\"text\":\"metafs: calls — 3 rows scored, 1 above 0.5\\n"
		"eu: 2 rows, 50.0% >= 0.5; riskiest: m1 (0.910)\\nsay \\\"hi\\\"\\\\ok\","
		"\"idempotency_key\":\"00112233aabbccdd\"}");
	free(p);
	pl_message_free(&m);
}

static void test_payload_replaces_bytes_that_are_not_utf8(void **state)
{
	pl_message m;
	char *p;

	(void)state;
	pl_message_init(&m);
	pl_message_title(&m, "t");
	pl_message_line(&m, "id \xff\xfe é");
	strcpy(m.key, "0000000000000000");
	p = pl_message_payload(&m, PL_FORMAT_FULL);
	assert_non_null(p);
	assert_non_null(strstr(p, "\"id ?? é\""));
	free(p);
	pl_message_free(&m);
}

static void test_idempotency_key_is_stable_and_depends_on_name_snapshot_title(void **state)
{
	pl_message a, b;
	char k1[17];

	(void)state;
	make_message(&a);
	make_message(&b);
	pl_message_key(&a, "calls", 42);
	pl_message_key(&b, "calls", 42);
	assert_int_equal(strlen(a.key), 16);
	assert_int_equal(strspn(a.key, "0123456789abcdef"), 16);
	assert_string_equal(a.key, b.key);
	strcpy(k1, a.key);
	pl_message_key(&b, "calls", 43);
	assert_string_not_equal(k1, b.key);
	pl_message_key(&b, "other", 42);
	assert_string_not_equal(k1, b.key);
	pl_message_title(&b, "another title");
	pl_message_key(&b, "calls", 42);
	assert_string_not_equal(k1, b.key);
	pl_message_free(&a);
	pl_message_free(&b);
}

static void test_retry_delay_doubles_from_backoff_and_caps_at_30s(void **state)
{
	(void)state;
	assert_int_equal(pl_retry_delay_ms(200, 0, -1), 200);
	assert_int_equal(pl_retry_delay_ms(200, 1, -1), 400);
	assert_int_equal(pl_retry_delay_ms(200, 2, -1), 800);
	assert_int_equal(pl_retry_delay_ms(200, 3, -1), 1600);
	assert_int_equal(pl_retry_delay_ms(200, 7, -1), 25600);
	assert_int_equal(pl_retry_delay_ms(200, 8, -1), 30000);
	assert_int_equal(pl_retry_delay_ms(200, 60, -1), 30000);
	assert_int_equal(pl_retry_delay_ms(200, 1000, -1), 30000);
	assert_int_equal(pl_retry_delay_ms(0, 5, -1), 0);
}

static void test_retry_after_is_honoured_and_capped_at_60s(void **state)
{
	(void)state;
	assert_int_equal(pl_retry_delay_ms(200, 0, 2), 2000);
	assert_int_equal(pl_retry_delay_ms(200, 5, 0), 0);
	assert_int_equal(pl_retry_delay_ms(200, 0, 45), 45000);
	assert_int_equal(pl_retry_delay_ms(200, 0, 3600), 60000);
}

/* ---- a scripted channel ------------------------------------------------------------------ */

struct script {
	long statuses[16];            /* what each POST answers; 0: connection error */
	long retry_after[16];
	unsigned n, calls;
	long slept[16];
	unsigned nslept;
	char bodies[16][256];
	char keys[16][32];
};

static pl_send_result fake_post(pl_sender *s, const char *body, const char *key, long *status,
				long *retry_after_s)
{
	struct script *sc = s->ctx;
	unsigned i = sc->calls < sc->n ? sc->calls : sc->n - 1;

	if (sc->calls < 16) {
		snprintf(sc->bodies[sc->calls], sizeof sc->bodies[0], "%s", body);
		snprintf(sc->keys[sc->calls], sizeof sc->keys[0], "%s", key);
	}
	sc->calls++;
	*status = sc->statuses[i];
	*retry_after_s = sc->retry_after[i];
	if (*status >= 200 && *status < 300)
		return PL_SENT;
	if (*status == 0 || *status == 429 || *status >= 500)
		return PL_SEND_RETRY;
	return PL_SEND_PERMANENT;
}

static struct script *g_script;

static void fake_sleep(long ms)
{
	if (g_script->nslept < 16)
		g_script->slept[g_script->nslept++] = ms;
}

static void sender_for(pl_sender *s, struct script *sc, int retries)
{
	memset(s, 0, sizeof *s);
	s->url = "http://127.0.0.1:1/hook";
	s->retries = retries;
	s->backoff_ms = 200;
	s->post = fake_post;
	s->sleep_ms = fake_sleep;
	s->ctx = sc;
	g_script = sc;
}

static void test_send_retries_5xx_and_connection_errors_with_backoff(void **state)
{
	struct script sc = {.statuses = {0, 500, 502, 200}, .retry_after = {-1, -1, -1, -1}, .n = 4};
	pl_sender s;

	(void)state;
	sender_for(&s, &sc, 5);
	assert_int_equal(pl_send(&s, "{}", "k"), PL_SENT);
	assert_int_equal(sc.calls, 4);
	assert_int_equal(sc.nslept, 3);
	assert_int_equal(sc.slept[0], 200);
	assert_int_equal(sc.slept[1], 400);
	assert_int_equal(sc.slept[2], 800);
}

static void test_send_gives_up_after_the_retries(void **state)
{
	struct script sc = {.statuses = {503}, .retry_after = {-1}, .n = 1};
	pl_sender s;

	(void)state;
	sender_for(&s, &sc, 3);
	assert_int_equal(pl_send(&s, "{}", "k"), PL_SEND_RETRY);
	assert_int_equal(sc.calls, 4);   /* the first attempt and 3 retries */
	assert_int_equal(sc.nslept, 3);
}

static void test_send_honours_retry_after_of_429_and_503(void **state)
{
	struct script sc = {.statuses = {429, 503, 500, 204}, .retry_after = {3, 1, 9, -1}, .n = 4};
	pl_sender s;

	(void)state;
	sender_for(&s, &sc, 5);
	assert_int_equal(pl_send(&s, "{}", "k"), PL_SENT);
	assert_int_equal(sc.slept[0], 3000);
	assert_int_equal(sc.slept[1], 1000);
	assert_int_equal(sc.slept[2], 800);   /* a 500's Retry-After is not honoured */
}

static void test_send_does_not_retry_other_4xx(void **state)
{
	struct script sc = {.statuses = {401}, .retry_after = {-1}, .n = 1};
	pl_sender s;

	(void)state;
	sender_for(&s, &sc, 5);
	assert_int_equal(pl_send(&s, "{}", "k"), PL_SEND_PERMANENT);
	assert_int_equal(sc.calls, 1);
	assert_int_equal(sc.nslept, 0);
}

/* ---- the outbox -------------------------------------------------------------------------- */

static int count_files(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_spool_writes_key_json_once(void **state)
{
	char dir[PATH_MAX], outbox[PATH_MAX + 8], path[PATH_MAX + 64], *text;
	bool written;
	size_t len;

	(void)state;
	assert_int_equal(testdir_make(dir), 0);
	snprintf(outbox, sizeof outbox, "%s/outbox", dir);
	assert_int_equal(pl_outbox_spool(outbox, "0123456789abcdef", "{\"a\":1}", &written), 0);
	assert_true(written);
	snprintf(path, sizeof path, "%s/0123456789abcdef.json", outbox);
	assert_int_equal(pl_read_file(path, &text, &len), 0);
	assert_string_equal(text, "{\"a\":1}");
	free(text);
	/* the same key again: not written twice, the first stays */
	assert_int_equal(pl_outbox_spool(outbox, "0123456789abcdef", "{\"a\":2}", &written), 0);
	assert_false(written);
	assert_int_equal(pl_read_file(path, &text, &len), 0);
	assert_string_equal(text, "{\"a\":1}");
	free(text);
	assert_int_equal(count_files(outbox), 1);   /* no temp file left */
	testdir_remove(dir);
}

static void spool_at(const char *outbox, const char *key, const char *body, time_t mtime)
{
	char path[PATH_MAX + 64];
	struct timeval tv[2] = {{mtime, 0}, {mtime, 0}};
	bool written;

	assert_int_equal(pl_outbox_spool(outbox, key, body, &written), 0);
	snprintf(path, sizeof path, "%s/%s.json", outbox, key);
	assert_int_equal(utimes(path, tv), 0);
}

static void test_replay_sends_oldest_first_and_deletes_delivered(void **state)
{
	struct script sc = {.statuses = {200}, .retry_after = {-1}, .n = 1};
	char dir[PATH_MAX];
	unsigned sent, kept;
	bool blocked;
	pl_sender s;

	(void)state;
	assert_int_equal(testdir_make(dir), 0);
	spool_at(dir, "bbbb", "{\"n\":2}", 2000);
	spool_at(dir, "aaaa", "{\"n\":3}", 3000);
	spool_at(dir, "cccc", "{\"n\":1}", 1000);
	sender_for(&s, &sc, 0);
	assert_int_equal(pl_outbox_replay(dir, &s, &sent, &kept, &blocked), 0);
	assert_int_equal(sent, 3);
	assert_int_equal(kept, 0);
	assert_false(blocked);
	assert_string_equal(sc.keys[0], "cccc");
	assert_string_equal(sc.bodies[0], "{\"n\":1}");
	assert_string_equal(sc.keys[1], "bbbb");
	assert_string_equal(sc.keys[2], "aaaa");
	assert_int_equal(count_files(dir), 0);
	testdir_remove(dir);
}

static void test_replay_keeps_failed_messages(void **state)
{
	/* the first is refused for good (kept, replay goes on), the second is
	 * delivered, the third meets a channel that is down (kept, replay stops) */
	struct script sc = {.statuses = {400, 200, 503}, .retry_after = {-1, -1, -1}, .n = 3};
	char dir[PATH_MAX], path[PATH_MAX + 16];
	unsigned sent, kept;
	bool blocked;
	pl_sender s;

	(void)state;
	assert_int_equal(testdir_make(dir), 0);
	spool_at(dir, "k1", "{}", 1000);
	spool_at(dir, "k2", "{}", 2000);
	spool_at(dir, "k3", "{}", 3000);
	spool_at(dir, "k4", "{}", 4000);
	sender_for(&s, &sc, 0);
	assert_int_equal(pl_outbox_replay(dir, &s, &sent, &kept, &blocked), 0);
	assert_int_equal(sent, 1);
	assert_int_equal(kept, 3);
	assert_true(blocked);
	assert_int_equal(sc.calls, 3);   /* k4 is not tried while the channel is down */
	snprintf(path, sizeof path, "%s/k1.json", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/k2.json", dir);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(count_files(dir), 3);
	testdir_remove(dir);
}

static void test_replay_of_a_missing_outbox_is_nothing(void **state)
{
	struct script sc = {.statuses = {200}, .n = 1};
	unsigned sent = 9, kept = 9;
	bool blocked = true;
	pl_sender s;

	(void)state;
	sender_for(&s, &sc, 0);
	assert_int_equal(pl_outbox_replay("/nonexistent/metafs-outbox", &s, &sent, &kept, &blocked), 0);
	assert_int_equal(sent + kept, 0);
	assert_false(blocked);
	assert_int_equal(sc.calls, 0);
}

/* ---- real HTTP ------------------------------------------------------------------------------- */

struct server {
	int fd;
	int port;
	const char *reply;            /* the whole response */
	char request[8192];
};

static void *serve_one(void *arg)
{
	struct server *sv = arg;
	size_t n = 0;
	int c = accept(sv->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	/* read the head and the body (Content-Length), bounded */
	for (int i = 0; i < 100 && n < sizeof sv->request - 1; i++) {
		ssize_t r = read(c, sv->request + n, sizeof sv->request - 1 - n);
		char *head_end, *cl;

		if (r <= 0)
			break;
		n += (size_t)r;
		sv->request[n] = '\0';
		head_end = strstr(sv->request, "\r\n\r\n");
		cl = strcasestr(sv->request, "Content-Length:");
		if (head_end && cl && n >= (size_t)(head_end + 4 - sv->request) + strtoul(cl + 15, NULL, 10))
			break;
	}
	if (write(c, sv->reply, strlen(sv->reply)) < 0)
		n = 0;
	close(c);
	return NULL;
}

static void server_start(struct server *sv, pthread_t *t)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;

	sv->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sv->fd >= 0);
	assert_int_equal(bind(sv->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(sv->fd, 4), 0);
	assert_int_equal(getsockname(sv->fd, (struct sockaddr *)&a, &len), 0);
	sv->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(t, NULL, serve_one, sv), 0);
}

static void test_http_post_sends_json_token_and_idempotency_key(void **state)
{
	struct server sv = {.reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"};
	char url[64];
	pthread_t t;
	pl_sender s;
	long status, ra;

	(void)state;
	server_start(&sv, &t);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", sv.port);
	memset(&s, 0, sizeof s);
	s.url = url;
	s.token = "s3cret";
	s.timeout_s = 10;
	assert_int_equal(pl_http_post(&s, "{\"text\":\"hi\"}", "00112233aabbccdd", &status, &ra), PL_SENT);
	pthread_join(t, NULL);
	close(sv.fd);
	assert_int_equal(status, 200);
	assert_non_null(strstr(sv.request, "POST /hook HTTP/1.1\r\n"));
	assert_non_null(strstr(sv.request, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(sv.request, "Authorization: Bearer s3cret\r\n"));
	assert_non_null(strstr(sv.request, "Idempotency-Key: 00112233aabbccdd\r\n"));
	assert_non_null(strstr(sv.request, "\r\n\r\n{\"text\":\"hi\"}"));
}

static void test_http_post_reads_retry_after_of_429(void **state)
{
	struct server sv = {.reply = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
				     "Content-Length: 0\r\nConnection: close\r\n\r\n"};
	char url[64];
	pthread_t t;
	pl_sender s;
	long status, ra;

	(void)state;
	server_start(&sv, &t);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", sv.port);
	memset(&s, 0, sizeof s);
	s.url = url;
	s.timeout_s = 10;
	assert_int_equal(pl_http_post(&s, "{}", "k", &status, &ra), PL_SEND_RETRY);
	pthread_join(t, NULL);
	close(sv.fd);
	assert_int_equal(status, 429);
	assert_int_equal(ra, 7);
	assert_null(strstr(sv.request, "Authorization:"));   /* no token, no header */
}

static void test_http_post_connection_refused_is_retryable(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	char url[64];
	pl_sender s;
	long status, ra;
	int fd;

	(void)state;
	/* a port that was free a moment ago and has no listener */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", ntohs(a.sin_port));
	close(fd);
	memset(&s, 0, sizeof s);
	s.url = url;
	s.timeout_s = 5;
	assert_int_equal(pl_http_post(&s, "{}", "k", &status, &ra), PL_SEND_RETRY);
	assert_int_equal(status, 0);
	assert_true(s.last_error[0] != '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_full_format_matches_golden_json),
		cmocka_unit_test(test_payload_slack_format_matches_golden_json),
		cmocka_unit_test(test_payload_replaces_bytes_that_are_not_utf8),
		cmocka_unit_test(test_idempotency_key_is_stable_and_depends_on_name_snapshot_title),
		cmocka_unit_test(test_retry_delay_doubles_from_backoff_and_caps_at_30s),
		cmocka_unit_test(test_retry_after_is_honoured_and_capped_at_60s),
		cmocka_unit_test(test_send_retries_5xx_and_connection_errors_with_backoff),
		cmocka_unit_test(test_send_gives_up_after_the_retries),
		cmocka_unit_test(test_send_honours_retry_after_of_429_and_503),
		cmocka_unit_test(test_send_does_not_retry_other_4xx),
		cmocka_unit_test(test_spool_writes_key_json_once),
		cmocka_unit_test(test_replay_sends_oldest_first_and_deletes_delivered),
		cmocka_unit_test(test_replay_keeps_failed_messages),
		cmocka_unit_test(test_replay_of_a_missing_outbox_is_nothing),
		cmocka_unit_test(test_http_post_sends_json_token_and_idempotency_key),
		cmocka_unit_test(test_http_post_reads_retry_after_of_429),
		cmocka_unit_test(test_http_post_connection_refused_is_retryable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
