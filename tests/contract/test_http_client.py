"""test_http_client.py: the libcurl client (app/net/http.c) and JSON helpers (app/net/jsonx.c)
driven through build/tools/http_probe against a fault-injecting HTTP server started in the test
(a stand-in for "a remote service": 429 + Retry-After, 5xx, resets, slow replies, bad bodies,
Link paging), plus the cross-process concurrency cap. Self-contained: needs no stack."""
import email.utils
import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from testclock import native_env, unix_now  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBE = os.path.join(ROOT, "build", "tools", "http_probe")


class FaultState:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = defaultdict(int)       # requests seen per path
        self.inflight = defaultdict(int)    # per bucket, now
        self.max_inflight = defaultdict(int)

    def hit(self, path):
        with self.lock:
            self.count[path] += 1
            return self.count[path]


class FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set per server
    base = None

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None, ctype="application/json"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reset(self):
        """Abort the connection with a TCP RST: the client sees 'connection reset'."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def handle_any(self):
        n_body = int(self.headers.get("Content-Length") or 0)
        if n_body:
            self.rfile.read(n_body)
        u = urlparse(self.path)
        q = parse_qs(u.query)
        parts = u.path.strip("/").split("/")
        mode = parts[0]
        n = self.state.hit(u.path)
        ok = '{"ok":true}'
        if mode == "ok":
            return self.reply(200, ok)
        if mode == "ra429":  # 429 + Retry-After seconds, then fine
            if n == 1:
                return self.reply(429, '{"error":"ConnectWiseAPI","message":"Too many requests."}',
                                  {"Retry-After": "1"})
            return self.reply(200, ok)
        if mode == "radate":  # 429 + Retry-After as an HTTP-date 2 s ahead, then fine
            if n == 1:
                when = email.utils.formatdate(unix_now() + 2, usegmt=True)
                return self.reply(429, "{}", {"Retry-After": when})
            return self.reply(200, ok)
        if mode == "rabig":
            return self.reply(429, "{}", {"Retry-After": q.get("s", ["600"])[0]})
        if mode == "e500":
            if n == 1:
                return self.reply(500, '{"errors":["transient"]}')
            return self.reply(200, ok)
        if mode == "always500":
            return self.reply(500, '{"errors":["still broken"]}')
        if mode == "notfound":
            return self.reply(404, '{"errors":["no such thing"]}')
        if mode == "reset":
            if n == 1:
                return self.reset()
            return self.reply(200, ok)
        if mode == "slow":  # longer than the client's timeout: the client gives up mid-request
            time.sleep(float(q.get("s", ["2"])[0]))
            try:
                return self.reply(200, ok)
            except OSError:
                return None
        if mode == "body":
            kind = parts[1]
            bodies = {"truncated": '{"items": [1, 2', "empty": "", "html": "<html>oops secretword</html>",
                      "dup": '{"a": 1, "a": 2}', "spaces": "   \n "}
            return self.reply(200, bodies[kind], ctype="text/html" if kind == "html" else "application/json")
        if mode == "big":
            return self.reply(200, "x" * int(q.get("n", ["5000"])[0]), ctype="text/plain")
        if mode == "link":  # ConnectWise-style navigable paging
            nxt = f"{self.base}/link?pageSize=2&page=2"
            return self.reply(200, "[]", {"Link": f'<{self.base}/link?page=1>; rel="first", '
                                                  f'<{nxt}>; rel="next", <{self.base}/link?page=9>; rel="last"'})
        if mode == "rellink":
            return self.reply(200, "[]", {"Link": '</rellink/x?pageId=42>; rel=next'})
        if mode == "autotask":
            nxt = f"{self.base}/V1.0/Contracts/query/next?paging=%7B%22pageSize%22%3A500%7D"
            return self.reply(200, json.dumps({"items": [{"id": 1}],
                                               "pageDetails": {"count": 1, "requestCount": 500,
                                                               "prevPageUrl": None, "nextPageUrl": nxt}}))
        if mode == "redirect":
            return self.reply(302, "", {"Location": f"{self.base}/ok/redirected"})
        if mode == "bucket":  # count requests in flight per bucket while holding each a while
            name = parts[1]
            with self.state.lock:
                self.state.inflight[name] += 1
                self.state.max_inflight[name] = max(self.state.max_inflight[name], self.state.inflight[name])
            try:
                time.sleep(float(q.get("hold", ["0.3"])[0]))
            finally:
                with self.state.lock:
                    self.state.inflight[name] -= 1
            try:
                return self.reply(200, ok)
            except OSError:
                return None
        return self.reply(400, '{"errors":["unknown test path"]}')

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # resets and clients that time out are the point of these tests


@pytest.fixture(scope="session")
def probe():
    r = subprocess.run(["make", "-C", ROOT, "--no-print-directory", "tools"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.access(PROBE, os.X_OK)
    return PROBE


@pytest.fixture(scope="module")
def server():
    state = FaultState()
    handler = type("Handler", (FaultHandler,), {"state": state})
    srv = QuietServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    handler.base = base
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    srv.state = state
    srv.base = base
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def uid():
    return uuid.uuid4().hex[:12]


def run(probe, server, path, *args, base=None, timeout=60):
    """Run the probe; returns (list of JSON result lines, stderr text, exit code, seconds)."""
    cmd = [probe, "--base", base or server.base + "/", "--path", path, "--backoff-base", "10",
           "--backoff-cap", "100", *[str(a) for a in args]]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=native_env())
    took = time.monotonic() - t0
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    return lines, r.stderr, r.returncode, took


def one(probe, server, path, *args, **kw):
    lines, err, rc, took = run(probe, server, path, *args, **kw)
    assert len(lines) == 1, (lines, err)
    return lines[0], err, rc, took


def test_success(probe, server):
    res, err, rc, _ = one(probe, server, "ok/" + uid())
    assert rc == 0 and res["ok"] and res["status"] == 200
    assert res["attempts"] == 1 and res["error"] == "" and res["body_len"] == len('{"ok":true}')
    assert res["content_type"] == "application/json"
    assert " -> HTTP 200 " in err and "attempt 1/5" in err


def test_429_retry_after_seconds_is_honoured(probe, server):
    path = "ra429/" + uid()
    res, err, rc, took = one(probe, server, path)
    assert rc == 0 and res["status"] == 200 and res["attempts"] == 2
    assert res["ms"] >= 1000 and took >= 1.0
    assert server.state.count["/" + path] == 2
    assert "HTTP 429" in err and "retry in 1" in err


def test_429_retry_after_http_date(probe, server):
    path = "radate/" + uid()
    res, _, rc, _ = one(probe, server, path)
    assert rc == 0 and res["attempts"] == 2
    assert res["ms"] >= 900  # a whole-second date 2 s ahead: at least ~1 s after truncation


def test_500_then_200_is_retried(probe, server):
    path = "e500/" + uid()
    res, err, rc, _ = one(probe, server, path)
    assert rc == 0 and res["status"] == 200 and res["attempts"] == 2
    assert server.state.count["/" + path] == 2
    assert "HTTP 500" in err and "attempt 1/5" in err and "attempt 2/5" in err


def test_connection_reset_retried_for_get(probe, server):
    path = "reset/" + uid()
    res, err, rc, _ = one(probe, server, path)
    assert rc == 0 and res["status"] == 200 and res["attempts"] == 2
    assert server.state.count["/" + path] == 2
    assert 'error "' in err  # the first attempt logged as a transport error


def test_post_that_times_out_is_not_retried(probe, server):
    path = "slow/" + uid()
    res, err, rc, _ = one(probe, server, path, "--method", "POST", "--body", '{"q":1}',
                          "--timeout", 500, "--attempts", 3)
    assert rc == 1 and not res["ok"]
    assert res["attempts"] == 1 and res["transport_error"] and res["status"] == 0
    assert "timed out" in res["error"].lower() and "not retried" in res["error"]
    time.sleep(0.2)
    assert server.state.count["/" + path] == 1
    # "only when the server surely did not act" does not cover a request that was sent
    path = "slow/" + uid()
    res, _, rc, _ = one(probe, server, path, "--method", "POST", "--body", "{}", "--timeout", 500,
                        "--attempts", 3, "--write-safe", 2)
    assert rc == 1 and res["attempts"] == 1
    assert server.state.count["/" + path] == 1


def test_post_timeout_retried_when_caller_says_safe(probe, server):
    path = "slow/" + uid()
    res, _, rc, _ = one(probe, server, path, "--method", "POST", "--body", "{}", "--timeout", 400,
                        "--attempts", 3, "--write-safe", 1)
    assert rc == 1 and res["attempts"] == 3
    assert "(after 3 attempts)" in res["error"]
    time.sleep(0.2)
    assert server.state.count["/" + path] == 3


def test_write_retry_on_rejection_only(probe, server):
    # 429 means the server refused before acting: safe with HTTP_WRITE_RETRY_REJECTED (2)
    path = "ra429/" + uid()
    res, _, rc, _ = one(probe, server, path, "--method", "PATCH", "--body", "[]", "--write-safe", 2)
    assert rc == 0 and res["attempts"] == 2
    # a 500 on a write may have been committed: not retried under 0 or 2
    for safe in (0, 2):
        path = "e500/" + uid()
        res, _, rc, _ = one(probe, server, path, "--method", "POST", "--body", "{}", "--write-safe", safe)
        assert rc == 1 and res["status"] == 500 and res["attempts"] == 1
        assert server.state.count["/" + path] == 1


def test_attempts_are_capped(probe, server):
    path = "always500/" + uid()
    res, err, rc, _ = one(probe, server, path, "--attempts", 4)
    assert rc == 1 and res["status"] == 500 and res["attempts"] == 4
    assert server.state.count["/" + path] == 4
    assert "HTTP 500 (after 4 attempts)" in res["error"]
    assert err.count(" -> HTTP 500 ") == 4  # one log line per attempt
    # the final body stays available for the PSA's own error message
    assert res["body_len"] == len('{"errors":["still broken"]}')


def test_404_is_not_retried(probe, server):
    path = "notfound/" + uid()
    res, err, rc, _ = one(probe, server, path)
    assert rc == 1 and res["status"] == 404 and res["attempts"] == 1 and res["error"] == "HTTP 404"
    assert server.state.count["/" + path] == 1
    assert "not retryable" in err


def test_retry_after_beyond_cap_gives_clear_error(probe, server):
    path = "rabig/" + uid()
    res, _, rc, took = one(probe, server, path, "--retry-after-max", 120000)
    assert rc == 1 and res["status"] == 429 and res["attempts"] == 1
    assert "Retry-After" in res["error"] and "600 s" in res["error"] and "120 s cap" in res["error"]
    assert took < 10
    assert server.state.count["/" + path] == 1


def test_retry_after_beyond_budget_gives_clear_error(probe, server):
    path = "rabig/" + uid()
    res, _, rc, took = one(probe, server, path, "--query", "s=5", "--budget", 2000)
    assert rc == 1 and res["status"] == 429 and res["attempts"] == 1
    assert "budget" in res["error"]
    assert took < 4


@pytest.mark.parametrize("kind", ["truncated", "empty", "html", "dup", "spaces"])
def test_bad_bodies_give_jsonx_errors(probe, server, kind):
    res, _, rc, _ = one(probe, server, f"body/{kind}", "--json")
    assert rc == 0 and res["status"] == 200  # HTTP was fine; the body is not
    assert res["json_error"].startswith("not JSON: "), res
    assert "secretword" not in res["json_error"]  # never echoes body text


def test_body_size_cap(probe, server):
    res, _, rc, _ = one(probe, server, "big/" + uid(), "--query", "n=5000", "--max-body", 1000)
    assert rc == 1 and res["attempts"] == 1 and "larger than 1000 bytes" in res["error"]


def test_redirects_are_not_followed(probe, server):
    res, _, rc, _ = one(probe, server, "redirect/" + uid())
    assert rc == 1 and res["status"] == 302 and "not followed" in res["error"]
    assert server.state.count["/ok/redirected"] == 0


def test_absolute_url_on_another_origin_is_refused(probe, server):
    res, _, rc, _ = one(probe, server, "http://127.0.0.2:9/steal")
    assert rc == 1 and res["attempts"] == 0 and "origin" in res["error"]
    res, _, rc, _ = one(probe, server, server.base + "/ok/" + uid())  # same origin: fine
    assert rc == 0


def test_link_header_next_url(probe, server):
    res, _, rc, _ = one(probe, server, "link")
    assert rc == 0 and res["next"] == f"{server.base}/link?pageSize=2&page=2"
    res, _, rc, _ = one(probe, server, "rellink/a")
    assert rc == 0 and res["next"] == f"{server.base}/rellink/x?pageId=42"
    res, _, rc, _ = one(probe, server, "ok/" + uid())
    assert res["next"] is None


def test_autotask_next_page_url_via_json_path(probe, server):
    res, _, rc, _ = one(probe, server, "autotask", "--json-path", "pageDetails.nextPageUrl")
    assert rc == 0 and res["json_error"] is None
    assert res["json_path"] == f"{server.base}/V1.0/Contracts/query/next?paging=%7B%22pageSize%22%3A500%7D"


def test_log_line_redacts_secrets(probe, server):
    path = "ok/" + uid()
    base = server.base.replace("http://", "http://someone:pw-s3cr3t@") + "/"
    res, err, rc, _ = one(probe, server, path, "--query", "token=abc&x=1&client_secret=zz9top",
                          "--header", "Authorization: Bearer hdr-s3cr3t", base=base)
    assert rc == 0
    assert "abc" not in err and "zz9top" not in err and "pw-s3cr3t" not in err and "hdr-s3cr3t" not in err
    assert "token=***&x=1&client_secret=***" in err
    assert "abc" not in res["url"] and "someone" not in res["url"]


def test_concurrency_cap_holds_across_processes(probe, server, tmp_path):
    bucket = "Contracts-" + uid()
    lines, err, rc, took = run(probe, server, f"bucket/{bucket}", "--query", "hold=0.3", "--n", 10,
                               "--bucket", "Contracts", "--limit", 3, "--conn", "conn-" + bucket,
                               "--slot-dir", str(tmp_path))
    assert rc == 0, err
    assert len(lines) == 10 and all(x["ok"] and x["status"] == 200 for x in lines)
    assert len({x["pid"] for x in lines}) == 10  # ten separate processes
    assert 2 <= server.state.max_inflight[bucket] <= 3, server.state.max_inflight[bucket]
    assert took >= 1.1  # 10 requests of 0.3 s through 3 slots need at least 4 rounds
    assert "bucket=Contracts" in err


def test_buckets_and_connections_are_independent(probe, server, tmp_path):
    # the same bucket name under two connection ids: two separate caps of 1
    tag = uid()
    procs = []
    for conn in ("a", "b"):
        cmd = [probe, "--base", server.base + "/", "--path", f"bucket/{tag}", "--query", "hold=0.5",
               "--bucket", "Tickets", "--limit", "1", "--conn", conn, "--slot-dir", str(tmp_path)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=native_env()))
    for p in procs:
        p.communicate(timeout=30)
        assert p.returncode == 0
    assert server.state.max_inflight[tag] == 2


def test_killed_holder_does_not_leak_its_slot(probe, server, tmp_path):
    bucket = "hold-" + uid()
    common = ["--bucket", "Contracts", "--limit", "1", "--conn", bucket, "--slot-dir", str(tmp_path)]
    holder = subprocess.Popen([probe, "--base", server.base + "/", "--path", f"bucket/{bucket}",
                               "--query", "hold=20", *common],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=native_env())
    try:
        deadline = time.monotonic() + 10
        while server.state.inflight[bucket] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.state.inflight[bucket] == 1
        # while the holder lives, a second request cannot get the only slot within its budget
        res, _, rc, _ = one(probe, server, "ok/" + uid(), *common, "--budget", 500)
        assert rc == 1 and "slots" in res["error"] and "busy" in res["error"]
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        res, _, rc, took = one(probe, server, "ok/" + uid(), *common, "--budget", 5000)
        assert rc == 0 and took < 3  # the kernel dropped the dead holder's flock
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
