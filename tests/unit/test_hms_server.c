/*
 * test_hms_server.c - the server of hms/ on a real socket: [hms] keys are
 * checked, nothing listens without listen, a peer outside allow and a
 * connection past max_connections are closed unanswered, a peer inside
 * allow is answered, and stopping the server closes open connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hms.h"
#include "hms_thrift.h"
#include "mgr_fixture.h"

static const char *const names[] = {"warehouse", "lake"};

/* A home whose metafs.ini ends with the [hms] lines HMS; opened. */
static mgr *open_with(char *home, const char *hms)
{
	char err[512] = "";
	mgr *m = NULL;
	assert_int_equal(testdir_make(home), 0);
	assert_int_equal(mgr_home_init(home, 2, names, NULL, err, sizeof err), 0);
	char ini[PATH_MAX + 16];
	snprintf(ini, sizeof ini, "%s/metafs.ini", home);
	FILE *f = fopen(ini, "a");
	assert_non_null(f);
	fprintf(f, "\n[hms]\n%s", hms);
	fclose(f);
	int rc = mgr_open(home, false, &m, err, sizeof err);
	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return m;
}

/* The reason mgr_config_load gives for the [hms] lines HMS ("" when none). */
static void config_error(const char *hms, char *err, size_t errlen)
{
	char home[PATH_MAX];
	char e[512] = "";
	assert_int_equal(testdir_make(home), 0);
	assert_int_equal(mgr_home_init(home, 1, names, NULL, e, sizeof e), 0);
	char ini[PATH_MAX + 16];
	snprintf(ini, sizeof ini, "%s/metafs.ini", home);
	FILE *f = fopen(ini, "a");
	assert_non_null(f);
	fprintf(f, "\n[hms]\n%s", hms);
	fclose(f);
	mgr_config cfg;
	err[0] = '\0';
	mgr_config_load(home, &cfg, err, errlen);
	assert_int_equal(testdir_remove(home), 0);
}

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	struct timeval tv = {.tv_sec = 30};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

/* Send a getName call on FD; the reply's bytes (0 when the server closed
 * the connection instead). */
static ssize_t call_get_name(int fd, uint8_t *buf, size_t cap)
{
	hms_writer w;
	hms_writer_init(&w);
	hms_write_message_begin(&w, "getName", HMS_CALL, 5, false);
	hms_write_field_stop(&w);
	ssize_t sent = send(fd, w.data, w.len, MSG_NOSIGNAL);
	(void)sent;
	hms_writer_free(&w);
	ssize_t n = recv(fd, buf, cap, 0);
	return n < 0 ? 0 : n;
}

static void assert_answers_get_name(int fd)
{
	uint8_t buf[512];
	ssize_t n = call_get_name(fd, buf, sizeof buf);
	assert_true(n > 0);
	hms_reader r;
	hms_reader_init_mem(&r, buf, (size_t)n);
	char *name, *value;
	int type, t;
	int32_t seq;
	int16_t id;
	assert_int_equal(hms_read_message_begin(&r, &name, &type, &seq), 0);
	assert_string_equal(name, "getName");
	assert_int_equal(type, HMS_REPLY);
	assert_int_equal(seq, 5);
	free(name);
	assert_int_equal(hms_read_field_begin(&r, &t, &id), 0);
	assert_int_equal(t, HMS_T_STRING);
	assert_int_equal(id, 0);
	assert_int_equal(hms_read_string(&r, &value, NULL), 0);
	assert_string_equal(value, "metafs");
	free(value);
}

static void test_hms_keys_are_checked(void **state)
{
	(void)state;
	char err[512];
	config_error("max_connections = 0\n", err, sizeof err);
	assert_non_null(strstr(err, "max_connections"));
	config_error("allow_daemon_user = yes\n", err, sizeof err);
	assert_non_null(strstr(err, "allow_daemon_user"));
	config_error("listen = 9083\n", err, sizeof err);
	assert_non_null(strstr(err, "listen"));
	config_error("port = 9083\n", err, sizeof err);
	assert_non_null(strstr(err, "unknown key"));
	config_error("listen = 127.0.0.1:9083\nallow = 10.0.0.0/8\nmax_connections = 8\n"
		     "location_prefix = hdfs://nn/m\nallow_daemon_user = true\n", err, sizeof err);
	assert_string_equal(err, "");
}

static void test_nothing_listens_without_listen(void **state)
{
	(void)state;
	char home[PATH_MAX], err[512] = "";
	mgr *m = open_with(home, "max_connections = 4\n");
	hms_server *s = (hms_server *)1;
	assert_int_equal(hms_server_start(m, NULL, &s, err, sizeof err), 0);
	assert_null(s);
	mgr_fx_close(m, home);
}

static void test_bad_allow_entry_fails_the_start(void **state)
{
	(void)state;
	char home[PATH_MAX], err[512] = "";
	mgr *m = open_with(home, "listen = 127.0.0.1:0\nallow = 10.0.0.0/33\n");
	hms_server *s = NULL;
	assert_int_equal(hms_server_start(m, NULL, &s, err, sizeof err), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "10.0.0.0/33"));
	mgr_fx_close(m, home);
}

static void test_loopback_peer_is_answered_by_default(void **state)
{
	(void)state;
	char home[PATH_MAX], err[512] = "";
	mgr *m = open_with(home, "listen = 127.0.0.1:0\n");
	hms_server *s = NULL;
	assert_int_equal(hms_server_start(m, NULL, &s, err, sizeof err), 0);
	assert_non_null(s);
	int fd = connect_to(hms_server_port(s));
	assert_answers_get_name(fd);
	assert_answers_get_name(fd);   /* the connection stays up */
	close(fd);
	hms_server_stop(s);
	mgr_fx_close(m, home);
}

static void test_peer_outside_allow_is_closed_unanswered(void **state)
{
	(void)state;
	char home[PATH_MAX], err[512] = "";
	mgr *m = open_with(home, "listen = 127.0.0.1:0\nallow = 10.0.0.0/8, ::1\n");
	hms_server *s = NULL;
	assert_int_equal(hms_server_start(m, NULL, &s, err, sizeof err), 0);
	int fd = connect_to(hms_server_port(s));
	uint8_t buf[64];
	assert_int_equal(call_get_name(fd, buf, sizeof buf), 0);
	close(fd);
	hms_server_stop(s);
	mgr_fx_close(m, home);
}

static void test_connection_past_max_connections_is_closed(void **state)
{
	(void)state;
	char home[PATH_MAX], err[512] = "";
	mgr *m = open_with(home, "listen = 127.0.0.1:0\nmax_connections = 1\n");
	hms_server *s = NULL;
	assert_int_equal(hms_server_start(m, NULL, &s, err, sizeof err), 0);
	int first = connect_to(hms_server_port(s));
	assert_answers_get_name(first);   /* its thread runs */
	int second = connect_to(hms_server_port(s));
	uint8_t buf[64];
	assert_int_equal(call_get_name(second, buf, sizeof buf), 0);
	assert_answers_get_name(first);
	close(second);
	/* Stopping the server closes the connection still open. */
	hms_server_stop(s);
	assert_int_equal(recv(first, buf, sizeof buf, 0), 0);
	close(first);
	mgr_fx_close(m, home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hms_keys_are_checked),
		cmocka_unit_test(test_nothing_listens_without_listen),
		cmocka_unit_test(test_bad_allow_entry_fails_the_start),
		cmocka_unit_test(test_loopback_peer_is_answered_by_default),
		cmocka_unit_test(test_peer_outside_allow_is_closed_unanswered),
		cmocka_unit_test(test_connection_past_max_connections_is_closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
