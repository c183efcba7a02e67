#!/usr/bin/env python3
"""webhook_receiver.py - a local incoming-webhook receiver for tests and the demo.

    webhook_receiver.py --port P [--token T] [--fail-first N] [--status S]
                        [--retry-after SECS] [--log FILE] [--dedupe]

Listens on 127.0.0.1:P (P = 0 picks a free port; the first line printed
names it) and plays a team-chat channel's incoming webhook:

  - POST with a JSON body is a message.  With --token T the request must carry
    "Authorization: Bearer T", else the answer is 401 and nothing is recorded.
  - The first N authorized POSTs (--fail-first N) are answered with status S
    (--status, default 500; with --retry-after a Retry-After header too) and
    not recorded; after that the answer is 200.
  - With --dedupe a message whose Idempotency-Key header (or, without one, its
    body's "idempotency_key") was recorded before is answered 200 and dropped.
  - A body that is not JSON is answered 400 and not recorded.
  - Every recorded message is appended to FILE (--log) as one JSON line
    {"headers": {...}, "body": <the parsed JSON>} and printed to stdout.
  - GET answers 200 with {"recorded": N, "requests": N} (for readiness checks).

SIGTERM or SIGINT stops it (exit 0).  Standard library only; it makes no
network use other than its listening socket on 127.0.0.1.
"""
import argparse
import http.server
import json
import signal
import sys
import threading


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.requests = 0      # authorized POSTs seen
        self.failed = 0        # of those, answered with --status
        self.recorded = 0
        self.dropped = 0       # duplicates dropped by --dedupe
        self.seen = set()
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None


def message_text(body):
    """The human text of a message in either webhook format."""
    if isinstance(body, dict):
        if isinstance(body.get("text"), str) and "head" not in body:
            return body["text"]
        head = body.get("head")
        lines = []
        if isinstance(head, dict) and isinstance(head.get("text"), str):
            lines.append(head["text"])
        items = body.get("body")
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("text"), str):
                    lines.append("  " + item["text"])
        if lines:
            return "\n".join(lines)
    return json.dumps(body, ensure_ascii=False)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive and Expect: 100-continue, as libcurl uses them
    server_version = "webhook-receiver/1"
    state = None                   # set in main()

    def log_message(self, fmt, *args):  # quiet: our own lines go to stdout
        pass

    def reply(self, status, obj, extra=None):
        data = (json.dumps(obj) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        st = self.state
        with st.lock:
            self.reply(200, {"recorded": st.recorded, "requests": st.requests})

    def do_POST(self):
        st = self.state
        a = st.args
        raw = self.read_body()
        if a.token is not None:
            if self.headers.get("Authorization", "") != "Bearer " + a.token:
                print("webhook_receiver: %s -> 401 (bad or missing token)" % self.path, flush=True)
                self.reply(401, {"error": "unauthorized"})
                return
        with st.lock:
            st.requests += 1
            if st.failed < a.fail_first:
                st.failed += 1
                print("webhook_receiver: %s -> %d (failing %d of %d)"
                      % (self.path, a.status, st.failed, a.fail_first), flush=True)
                extra = {"Retry-After": str(a.retry_after)} if a.retry_after is not None else None
                self.reply(a.status, {"error": "induced failure"}, extra)
                return
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                print("webhook_receiver: %s -> 400 (body is not JSON: %s)" % (self.path, e), flush=True)
                self.reply(400, {"error": "body is not JSON"})
                return
            key = self.headers.get("Idempotency-Key")
            if key is None and isinstance(body, dict) and isinstance(body.get("idempotency_key"), str):
                key = body["idempotency_key"]
            if a.dedupe and key is not None and key in st.seen:
                st.dropped += 1
                print("webhook_receiver: %s -> 200 (duplicate %s dropped)" % (self.path, key), flush=True)
                self.reply(200, {"ok": True, "duplicate": True})
                return
            if key is not None:
                st.seen.add(key)
            headers = {k: v for k, v in self.headers.items()}
            if st.log:
                st.log.write(json.dumps({"headers": headers, "body": body}, ensure_ascii=False) + "\n")
                st.log.flush()
            st.recorded += 1
            print("webhook_receiver: %s -> 200, message %d%s:\n%s"
                  % (self.path, st.recorded, " (key %s)" % key if key else "", message_text(body)),
                  flush=True)
            self.reply(200, {"ok": True})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--token", help="require 'Authorization: Bearer TOKEN' (else 401)")
    ap.add_argument("--fail-first", type=int, default=0, metavar="N",
                    help="answer the first N authorized POSTs with --status")
    ap.add_argument("--status", type=int, default=500, metavar="S", help="status of the failures (default 500)")
    ap.add_argument("--retry-after", type=int, metavar="SECS", help="send Retry-After with the failures")
    ap.add_argument("--log", metavar="FILE", help="append each recorded message as a JSON line")
    ap.add_argument("--dedupe", action="store_true", help="drop messages whose Idempotency-Key was recorded")
    a = ap.parse_args()
    if a.fail_first < 0 or not 100 <= a.status <= 599 or not 0 <= a.port <= 65535:
        ap.error("bad --fail-first, --status or --port")

    Handler.state = State(a)
    http.server.HTTPServer.allow_reuse_address = True
    try:
        server = http.server.HTTPServer(("127.0.0.1", a.port), Handler)
    except OSError as e:
        print("webhook_receiver: cannot listen on 127.0.0.1:%d: %s" % (a.port, e.strerror), file=sys.stderr)
        return 1

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("webhook_receiver: listening on http://127.0.0.1:%d/" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        server.server_close()
        if Handler.state.log:
            Handler.state.log.close()
    st = Handler.state
    print("webhook_receiver: stopped; %d recorded, %d duplicates dropped, %d induced failures"
          % (st.recorded, st.dropped, st.failed), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
