/*
 * bench_hms_call.c - time one Hive Metastore API call against metafsd
 * ([hms] listen), for bench_hms.sh.  It speaks the binary protocol with
 * hms/'s own codec and does nothing with the answer but walk it, so the
 * time is the server's and the wire's, not a client library's.
 *
 * usage: bench_hms_call PORT USER RUNS CALL DB TABLE [ARG]
 *   CALL: get_partition_names | get_partitions
 *         | get_partitions_by_filter (ARG: the filter)
 *         | get_partitions_by_names (ARG: a file of partition names, one a line)
 * Prints "CALL <TAB> median_s <TAB> min_s <TAB> elements" (the elements of
 * the answer's list); exits 1 on an exception or a protocol error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hms_thrift.h"

static long fill(void *arg, uint8_t *buf, size_t cap)
{
	ssize_t n = recv(*(int *)arg, buf, cap, 0);
	return n < 0 ? -errno : (long)n;
}

static int send_all(int fd, const hms_writer *w)
{
	for (size_t off = 0; off < w->len;) {
		ssize_t n = send(fd, w->data + off, w->len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* Read one reply: its result field 0 must be there (a list: its length in
 * *N; set_ugi's too). */
static int read_reply(hms_reader *r, uint32_t *n)
{
	char *name = NULL;
	int type, t;
	int32_t seq;
	int16_t id;
	bool ok = false;
	if (hms_read_message_begin(r, &name, &type, &seq))
		return r->err;
	free(name);
	if (type != HMS_REPLY)
		return -EPROTO;
	for (;;) {
		if (hms_read_field_begin(r, &t, &id))
			return r->err;
		if (t == HMS_T_STOP)
			break;
		if (id == 0 && t == HMS_T_LIST) {
			int et;
			if (hms_read_list_begin(r, &et, n))
				return r->err;
			for (uint32_t i = 0; i < *n; i++)
				if (hms_skip(r, et))
					return r->err;
			ok = true;
		} else if (hms_skip(r, t)) {
			return r->err;
		}
	}
	return ok ? 0 : -EBADMSG;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: bench_hms_call PORT USER RUNS CALL DB TABLE [ARG]\n");
		return 2;
	}
	int port = atoi(argv[1]), runs = atoi(argv[3]);
	const char *user = argv[2], *call = argv[4], *db = argv[5], *table = argv[6];
	const char *filter = argc > 7 ? argv[7] : "";
	char **names = NULL;
	size_t nnames = 0, cap = 0;
	if (strcmp(call, "get_partitions_by_names") == 0) {
		FILE *f = fopen(filter, "r");
		char line[4096];
		if (!f) {
			perror(filter);
			return 2;
		}
		while (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\n")] = '\0';
			if (nnames == cap) {
				cap = cap ? 2 * cap : 1024;
				names = realloc(names, cap * sizeof *names);
			}
			if (!names || !(names[nnames++] = strdup(line)))
				return 1;
		}
		fclose(f);
	}
	if (runs < 1 || runs > 1000)
		runs = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		perror("bench_hms_call: connect");
		return 1;
	}
	hms_reader r;
	hms_writer w;
	hms_writer_init(&w);
	if (hms_reader_init_fill(&r, fill, &fd))
		return 1;
	uint32_t n = 0;
	hms_write_message_begin(&w, "set_ugi", HMS_CALL, 1, false);
	hms_write_string_field(&w, 1, user);
	hms_write_field_begin(&w, HMS_T_LIST, 2);
	hms_write_list_begin(&w, HMS_T_STRING, 0);
	hms_write_field_stop(&w);
	if (send_all(fd, &w) || read_reply(&r, &n)) {
		fprintf(stderr, "bench_hms_call: set_ugi %s failed\n", user);
		return 1;
	}
	double *t = calloc((size_t)runs, sizeof *t);
	for (int i = 0; t && i < runs; i++) {
		hms_writer_reset(&w);
		hms_write_message_begin(&w, call, HMS_CALL, 2 + i, false);
		hms_write_string_field(&w, 1, db);
		hms_write_string_field(&w, 2, table);
		if (names) {
			hms_write_field_begin(&w, HMS_T_LIST, 3);
			hms_write_list_begin(&w, HMS_T_STRING, (uint32_t)nnames);
			for (size_t k = 0; k < nnames; k++)
				hms_write_string(&w, names[k]);
			hms_write_field_stop(&w);
			goto send;
		}
		if (strcmp(call, "get_partitions_by_filter") == 0) {
			hms_write_string_field(&w, 3, filter);
			hms_write_field_begin(&w, HMS_T_I16, 4);
		} else {
			hms_write_field_begin(&w, HMS_T_I16, 3);
		}
		hms_write_i16(&w, -1);
		hms_write_field_stop(&w);
send:;
		double t0 = now();
		int rc = send_all(fd, &w) ? -EPIPE : read_reply(&r, &n);
		t[i] = now() - t0;
		if (rc) {
			fprintf(stderr, "bench_hms_call: %s: %s\n", call,
				rc == -EBADMSG ? "the answer is an exception" : strerror(-rc));
			return 1;
		}
	}
	if (!t)
		return 1;
	qsort(t, (size_t)runs, sizeof *t, cmp_double);
	printf("%s\t%.6f\t%.6f\t%u\n", call, t[runs / 2], t[0], n);
	free(t);
	for (size_t k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	hms_reader_free(&r);
	hms_writer_free(&w);
	close(fd);
	return 0;
}
