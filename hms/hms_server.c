/*
 * hms_server.c - the listening socket, the peer filter, one thread per
 * connection, and the loop that reads a call, finds its handler by
 * method name and sends the reply.
 *
 * A connection is closed (and only that connection) when its bytes are
 * not the protocol: a bad header, a length over the codec's limits, a
 * message cut off, or no byte for HMS_READ_TIMEOUT seconds while a call is
 * awaited.  An unknown method gets a TApplicationException UNKNOWN_METHOD
 * reply and the connection stays up.
 */
#include "hms_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HMS_READ_TIMEOUT 300     /* seconds a connection may stay silent */
#define HMS_MAX_CIDRS 64

typedef struct hms_cidr {
	int family;               /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
} hms_cidr;

struct hms_server {
	mgr *m;
	int lfd;
	int stop_pipe[2];
	pthread_t acceptor;
	bool acceptor_started;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned nconn, max_conn;
	int *fds;                 /* max_conn slots, -1 when free */
	unsigned ncidrs;
	hms_cidr cidrs[HMS_MAX_CIDRS];
	char location_prefix[PATH_MAX + 16];
	bool allow_daemon_user;
	int64_t started_s;
};

struct conn_arg {
	hms_server *s;
	int fd;
	unsigned slot;
};

static int cidr_parse(const char *text, hms_cidr *out)
{
	char buf[128];
	if (snprintf(buf, sizeof buf, "%s", text) >= (int)sizeof buf)
		return -EINVAL;
	char *slash = strchr(buf, '/');
	long bits = -1;
	if (slash) {
		char *end;
		*slash = '\0';
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end)
			return -EINVAL;
	}
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		if (bits < 0)
			bits = 32;
		if (bits > 32)
			return -EINVAL;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		if (bits < 0)
			bits = 128;
		if (bits > 128)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	out->bits = (unsigned)bits;
	return 0;
}

static bool cidr_match(const hms_cidr *c, int family, const uint8_t *addr)
{
	if (c->family != family)
		return false;
	unsigned full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rest));
		if ((c->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}

static bool peer_allowed(const hms_server *s, const struct sockaddr_storage *ss)
{
	int family = ss->ss_family;
	uint8_t addr[16] = {0};
	if (family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			memcpy(addr, a6->s6_addr + 12, 4);
		} else {
			memcpy(addr, a6->s6_addr, 16);
		}
	} else {
		return false;
	}
	for (unsigned i = 0; i < s->ncidrs; i++)
		if (cidr_match(&s->cidrs[i], family, addr))
			return true;
	return false;
}

static int allow_parse(hms_server *s, const char *list, char *err, size_t errlen)
{
	char buf[1024], *save = NULL;
	snprintf(buf, sizeof buf, "%s", *list ? list : "127.0.0.0/8, ::1");
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		char *end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*tok)
			continue;
		if (s->ncidrs == HMS_MAX_CIDRS || cidr_parse(tok, &s->cidrs[s->ncidrs])) {
			snprintf(err, errlen, "hms: bad allow entry \"%s\" (a CIDR such as 10.0.0.0/8)", tok);
			return -EINVAL;
		}
		s->ncidrs++;
	}
	return 0;
}

static int listen_open(const char *spec, char *err, size_t errlen)
{
	char host[128];
	snprintf(host, sizeof host, "%s", spec);
	char *colon = strrchr(host, ':');
	if (!colon) {
		snprintf(err, errlen, "hms: bad listen \"%s\" (ADDRESS:PORT)", spec);
		return -EINVAL;
	}
	*colon = '\0';
	const char *port = colon + 1;
	char *h = host;
	if (*h == '[') {
		h++;
		char *close = strchr(h, ']');
		if (close)
			*close = '\0';
	}
	if (!*h || strcmp(h, "*") == 0)
		h = NULL;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(h, port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "hms: bad listen \"%s\": %s", spec, gai_strerror(gai));
		return -EINVAL;
	}
	int fd = -1, e = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "hms: cannot listen on %s: %s", spec, strerror(e));
		return -e;
	}
	return fd;
}

/* The socket source of a connection's reader. */
static long conn_fill(void *arg, uint8_t *buf, size_t cap)
{
	int fd = *(int *)arg;
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		if (n >= 0)
			return (long)n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -ETIMEDOUT;
		return -errno;
	}
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

void hms_write_app_exception(hms_writer *w, bool old_style, const char *name, int32_t seqid,
			     int type, const char *message)
{
	hms_write_message_begin(w, name, HMS_EXCEPTION, seqid, old_style);
	hms_write_string_field(w, 1, message);
	hms_write_field_begin(w, HMS_T_I32, 2);
	hms_write_i32(w, type);
	hms_write_field_stop(w);
}

/* Serve one call: 0 to go on, -errno to close. */
static int serve_one(hms_conn *c, hms_reader *r, hms_writer *w, int fd)
{
	char *name = NULL;
	int type;
	int32_t seqid;
	int first = 0;
	/* The first byte of a strict header has its top bit set. */
	if (r->pos < r->len)
		first = r->data[r->pos];
	else if (r->fill) {
		long got = r->fill(r->fill_arg, r->buf, r->cap);
		if (got <= 0)
			return got < 0 ? (int)got : -EPIPE;
		r->data = r->buf;
		r->pos = 0;
		r->len = (size_t)got;
		first = r->data[0];
	}
	if (hms_read_message_begin(r, &name, &type, &seqid))
		return r->err;
	c->old_style = !(first & 0x80);
	int rc = 0;
	hms_writer_reset(w);
	rc = type == HMS_CALL || type == HMS_ONEWAY ? hms_call(c, r, w, name, seqid) : HMS_NOT_SERVED;
	if (rc == HMS_NOT_SERVED) {
		rc = 0;
		if (hms_skip(r, HMS_T_STRUCT)) {
			rc = r->err;
			goto out;
		}
		char msg[320];
		if (type == HMS_CALL || type == HMS_ONEWAY)
			snprintf(msg, sizeof msg, "Invalid method name: '%.256s'", name);
		else
			snprintf(msg, sizeof msg, "unexpected message type %d", type);
		hms_write_app_exception(w, c->old_style, name, seqid,
					type == HMS_CALL || type == HMS_ONEWAY ?
					HMS_TAPP_UNKNOWN_METHOD : HMS_TAPP_INVALID_MESSAGE_TYPE, msg);
	}
	if (rc == 0 && r->err)
		rc = r->err;
	if (rc == 0 && w->err)
		rc = w->err;
	if (rc == 0 && type != HMS_ONEWAY)
		rc = send_all(fd, w->data, w->len);
out:
	free(name);
	return rc;
}

static void *conn_main(void *arg)
{
	struct conn_arg *ca = arg;
	hms_server *s = ca->s;
	int fd = ca->fd;
	unsigned slot = ca->slot;
	free(ca);
	hms_conn c = {.m = s->m, .location_prefix = s->location_prefix,
		      .allow_daemon_user = s->allow_daemon_user, .started_s = s->started_s};
	hms_reader r;
	hms_writer w;
	hms_writer_init(&w);
	if (hms_reader_init_fill(&r, conn_fill, &fd) == 0) {
		for (;;) {
			int rc = serve_one(&c, &r, &w, fd);
			if (rc) {
				if (rc != -EPIPE)
					mgr_log(MGR_LOG_INFO, "hms: connection closed: %s", strerror(-rc));
				break;
			}
		}
		hms_reader_free(&r);
	}
	hms_writer_free(&w);
	mgr_log_set_uid(MGR_LOG_NO_UID);
	pthread_mutex_lock(&s->lock);
	close(fd);
	s->fds[slot] = -1;
	s->nconn--;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void *accept_main(void *arg)
{
	hms_server *s = arg;
	for (;;) {
		struct pollfd pf[2] = {{.fd = s->lfd, .events = POLLIN},
				       {.fd = s->stop_pipe[0], .events = POLLIN}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of descriptors: the pending connection stays
			 * pending, so wait a little (or for the stop) rather
			 * than spin on it. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				mgr_log(MGR_LOG_WARN, "hms: cannot accept a connection: %s", strerror(errno));
				poll(&pf[1], 1, 100);
			}
			continue;
		}
		if (!peer_allowed(s, &ss)) {
			char host[INET6_ADDRSTRLEN + 8] = "?";
			getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, NULL, 0, NI_NUMERICHOST);
			mgr_log(MGR_LOG_WARN, "hms: refused a connection from %s: not in [hms] allow", host);
			close(fd);
			continue;
		}
		struct timeval tv = {.tv_sec = HMS_READ_TIMEOUT};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		pthread_mutex_lock(&s->lock);
		unsigned slot = 0;
		if (s->nconn < s->max_conn)
			while (s->fds[slot] >= 0)
				slot++;
		bool full = s->nconn >= s->max_conn;
		struct conn_arg *ca = full ? NULL : malloc(sizeof *ca);
		pthread_t t;
		pthread_attr_t attr;
		bool started = false;
		if (ca) {
			*ca = (struct conn_arg){.s = s, .fd = fd, .slot = slot};
			s->fds[slot] = fd;
			s->nconn++;
			pthread_attr_init(&attr);
			pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
			started = pthread_create(&t, &attr, conn_main, ca) == 0;
			pthread_attr_destroy(&attr);
			if (!started) {
				s->fds[slot] = -1;
				s->nconn--;
				free(ca);
			}
		}
		pthread_mutex_unlock(&s->lock);
		if (!started) {
			mgr_log(MGR_LOG_WARN, "hms: refused a connection: %s",
				full ? "max_connections reached" : "cannot start a thread");
			close(fd);
		}
	}
	return NULL;
}

int hms_server_start(mgr *m, const char *mountpoint, hms_server **out, char *err, size_t errlen)
{
	const mgr_config *cfg = mgr_get_config(m);
	*out = NULL;
	if (!cfg->hms_listen[0])
		return 0;
	hms_server *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "hms: out of memory");
		return -ENOMEM;
	}
	s->m = m;
	s->lfd = -1;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	s->max_conn = cfg->hms_max_connections ? cfg->hms_max_connections : 64;
	s->allow_daemon_user = cfg->hms_allow_daemon_user;
	s->started_s = (int64_t)time(NULL);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (cfg->hms_location_prefix[0])
		snprintf(s->location_prefix, sizeof s->location_prefix, "%s", cfg->hms_location_prefix);
	else if (mountpoint)
		snprintf(s->location_prefix, sizeof s->location_prefix, "file://%s", mountpoint);
	else
		snprintf(s->location_prefix, sizeof s->location_prefix, "file://%s/data", cfg->home);
	size_t pl = strlen(s->location_prefix);
	while (pl > 0 && s->location_prefix[pl - 1] == '/')
		s->location_prefix[--pl] = '\0';
	int rc = allow_parse(s, cfg->hms_allow, err, errlen);
	if (rc)
		goto fail;
	s->fds = malloc(s->max_conn * sizeof *s->fds);
	if (!s->fds || pipe2(s->stop_pipe, O_CLOEXEC)) {
		rc = -ENOMEM;
		snprintf(err, errlen, "hms: cannot start: %s", strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	for (unsigned i = 0; i < s->max_conn; i++)
		s->fds[i] = -1;
	s->lfd = listen_open(cfg->hms_listen, err, errlen);
	if (s->lfd < 0) {
		rc = s->lfd;
		s->lfd = -1;
		goto fail;
	}
	if (pthread_create(&s->acceptor, NULL, accept_main, s)) {
		rc = -EAGAIN;
		snprintf(err, errlen, "hms: cannot start the listener thread");
		goto fail;
	}
	s->acceptor_started = true;
	mgr_log(MGR_LOG_INFO, "hms: serving the Hive Metastore API on %s", cfg->hms_listen);
	*out = s;
	return 0;
fail:
	hms_server_stop(s);
	return rc;
}

int hms_server_port(const hms_server *s)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &sl))
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

void hms_server_stop(hms_server *s)
{
	if (!s)
		return;
	if (s->acceptor_started) {
		if (write(s->stop_pipe[1], "x", 1) < 0)
			mgr_log(MGR_LOG_WARN, "hms: cannot wake the listener: %s", strerror(errno));
		pthread_join(s->acceptor, NULL);
	}
	if (s->lfd >= 0)
		close(s->lfd);
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; s->fds && i < s->max_conn; i++)
		if (s->fds[i] >= 0)
			shutdown(s->fds[i], SHUT_RDWR);
	while (s->nconn > 0)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	for (int i = 0; i < 2; i++)
		if (s->stop_pipe[i] >= 0)
			close(s->stop_pipe[i]);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
	free(s->fds);
	free(s);
}
