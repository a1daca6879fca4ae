#!/usr/bin/python3
"""billsync API sandbox: one program simulating every external API on loopback.

Each simulated system (a plugin module listed in ``PLUGINS``) listens on its own
port; a separate control port exposes JSON endpoints for tests (reset, fault
rules, statistics, data store, knobs, request log).  See README.md.

Usage:
  /usr/bin/python3 tests/sandbox/sandbox.py --ready-file PATH [--host 127.0.0.1]
      [--seed demo|empty] [--state-file FILE] [--port NAME=PORT ...]

When every server listens, PATH receives (atomically) a JSON object
``{"pid": N, "control": P, "<system>": P, ...}``.  SIGTERM/SIGINT stop it.
"""

import argparse
import gc
import importlib
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import simcore  # noqa: E402  (needs the path above)

# Plugin modules; each defines SIMULATOR.  Add a distributor module here.
PLUGINS = ("sim_autotask", "sim_connectwise", "sim_interworks", "sim_ingram",
           "sim_partnercenter", "sim_pax8", "sim_msp360")
MAX_BODY = 64 * 1024 * 1024
DEFAULT_TIMEOUT_FAULT_S = 30.0
# State file: while it is small a change is written before the answer; a larger one is
# written by a background thread, at most once per MIN_SAVE_INTERVAL_S (or 4x the time the
# last write took, if more), and at shutdown.
SYNC_SAVE_MAX_BYTES = 1024 * 1024
MIN_SAVE_INTERVAL_S = 1.0
WRITER_PAUSE_S = 0.0005     # the background writer sleeps between pieces: requests go first


# ---------------------------------------------------------------------------
# Core: shared lock, faults, stats, request log, persistence
# ---------------------------------------------------------------------------

class Core:
    """State shared by every server thread of the sandbox."""

    def __init__(self, state_file=None):
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.faults = simcore.FaultEngine()
        self.stats = simcore.Stats()
        self.log = simcore.RequestLog()
        self.state_file = state_file
        self.sims = {}
        # Writing the state file: one writer at a time (_save_lock, never taken while
        # holding lock); _save_wanted wakes the background writer.
        self._save_lock = threading.Lock()
        self._save_wanted = threading.Event()
        self._saver = None
        self._saver_start = threading.Lock()
        self._last_save = {"bytes": 0, "seconds": 0.0, "ended": 0.0}

    def sleep(self, seconds):
        """Sleep, but wake up at once when the sandbox shuts down."""
        if seconds > 0:
            self.stopping.wait(seconds)

    # -- persistence -----------------------------------------------------
    def load_or_seed(self, seed):
        """Load systems found in the state file; seed the others."""
        saved = read_json_file(self.state_file) if self.state_file else None
        systems = (saved or {}).get("systems", {})
        with self.lock:
            for name, sim in self.sims.items():
                if name in systems:
                    sim.load_state(systems[name])
                else:
                    sim.seed(seed)
        settle()
        self.save()

    def save(self, pause_s=0.0, only_if_dirty=False):
        """Write every system's data store to the state file now (atomic).  The snapshot
        is taken under ``lock``; the writing happens outside it, sleeping ``pause_s``
        between pieces.  Never call this while holding ``lock``.  ``only_if_dirty``:
        nothing to do when the last write (waited for) already holds every change."""
        if not self.state_file:
            return
        with self._save_lock:
            with self.lock:
                if only_if_dirty and not any(sim.dirty for sim in self.sims.values()):
                    return
                parts = [(n, s.persist_chunks()) for n, s in self.sims.items()]
                for sim in self.sims.values():
                    sim.dirty = False
            started = time.monotonic()
            try:
                size = write_state_atomic(self.state_file, parts, pause_s)
            except Exception:
                with self.lock:
                    for sim in self.sims.values():
                        sim.dirty = True
                raise
            ended = time.monotonic()
            self._last_save.update(bytes=size, seconds=ended - started, ended=ended)

    def dirty(self):
        with self.lock:
            return any(sim.dirty for sim in self.sims.values())

    def save_if_dirty(self, pause_s=0.0):
        self.save(pause_s, only_if_dirty=True)

    def request_save(self):
        """Persist a change: at once while the state file is small (the caller answers
        after it is written, also when another thread's write took the change), else by
        the background writer.  Not under ``lock``."""
        if not self.state_file:
            return
        if self._last_save["bytes"] <= SYNC_SAVE_MAX_BYTES:
            if self.dirty() or self._save_lock.locked():
                self.save(only_if_dirty=True)
            return
        if not self.dirty():
            return
        with self._saver_start:
            if self._saver is None:
                self._saver = threading.Thread(target=self._saver_loop, name="state-writer",
                                               daemon=True)
                self._saver.start()
        self._save_wanted.set()

    def _saver_loop(self):
        while True:
            self._save_wanted.wait()
            if self.stopping.is_set():
                return
            pause = max(MIN_SAVE_INTERVAL_S, 4 * self._last_save["seconds"])
            if self.stopping.wait(max(0.0, self._last_save["ended"] + pause - time.monotonic())):
                return
            self._save_wanted.clear()
            try:
                self.save_if_dirty(WRITER_PAUSE_S)
            except Exception as exc:  # keep serving; the next change retries
                sys.stderr.write("sandbox: writing the state file failed: %r\n" % exc)

    def close(self):
        """At shutdown: stop the background writer, then write what is not saved yet."""
        self.stopping.set()
        self._save_wanted.set()
        if self._saver is not None:
            self._saver.join()
        self.save_if_dirty()

    # -- request pipeline ------------------------------------------------
    def dispatch(self, sim, req):
        """Run one request through faults and the simulator.

        Returns ``(response, delivered)``; ``delivered`` False means the
        connection must be closed without an answer.
        """
        started = time.monotonic()
        with self.lock:
            latency_ms, rule = self.faults.take(sim.name, req.method, req.path)
        req.delay_s = latency_ms / 1000.0
        kind = rule["kind"] if rule else None
        response, delivered = self._run(sim, req, kind, rule["params"] if rule else {})
        fired = kind or ("latency" if latency_ms else None)
        with self.lock:
            entity = sim.entity_of(req)
            self.stats.record(sim.name, req.method, entity, fired)
            sim.record_request(req, entity, fired)
            self.log.add(sim.name, req, response.status if response else 0,
                         fired, delivered, started)
        return response, delivered

    def _run(self, sim, req, kind, params):
        if kind in ("reset", "timeout"):
            self.sleep(req.delay_s)
            if kind == "timeout":
                self.sleep(float(params.get("seconds", DEFAULT_TIMEOUT_FAULT_S)))
            return None, False
        if kind == "garbage_body":
            self.sleep(req.delay_s)
            return simcore.garbage_response(params), True
        if kind in ("http429", "http500", "thread_limit", "bad_credentials"):
            self.sleep(req.delay_s)
            return sim.fault_answer(req, kind, params), True
        if kind == "expired_token":
            with self.lock:
                sim.expire_tokens()
        response = self._serve(sim, req)
        self.request_save()
        return response, kind != "commit_drop"

    def _serve(self, sim, req):
        try:
            return sim.serve(req)
        except simcore.HttpError as err:
            return err.response
        except Exception as exc:  # a sandbox bug must still answer
            sys.stderr.write("sandbox: %s %s failed: %r\n" % (req.method, req.path, exc))
            return sim.fault_response("http500", {"message": "Sandbox error: %s" % exc})

    # -- control operations ----------------------------------------------
    def reset(self, seed):
        with self.lock:
            for sim in self.sims.values():
                sim.seed(seed)
                sim.reset_config()
                sim.reset_stats()
            self.faults.clear()
            self.stats.clear()
            self.log.clear()
        settle()
        self.request_save()

    def stats_snapshot(self):
        with self.lock:
            out = {}
            for name, sim in self.sims.items():
                entry = self.stats.snapshot(name)
                entry.update(sim.extra_stats())
                out[name] = entry
            return out


def settle():
    """After loading data: move every object alive now out of the garbage collector's
    generations (gc.freeze).  Stores are large and long-lived; without this a full
    collection walks them all and stalls every request for a few hundred ms at bench
    scale.  Frozen objects are still freed by reference counting."""
    gc.freeze()


def read_json_file(path):
    """Parsed JSON of ``path``, or None when missing or empty."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return None
    return json.loads(text) if text.strip() else None


def write_state_atomic(path, parts, pause_s=0.0):
    """Write the state file from (system, JSON pieces) pairs to a temporary file beside
    ``path`` and rename it; returns its size in characters.  ``pause_s``: sleep between
    pieces (producing a piece holds the GIL)."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    size = 0
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write('{"version":1,"systems":{')
            for i, (name, chunks) in enumerate(parts):
                fh.write(("," if i else "") + json.dumps(name) + ":")
                for chunk in chunks:
                    fh.write(chunk)
                    size += len(chunk)
                    if pause_s:
                        time.sleep(pause_s)
            fh.write("}}")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return size


def write_json_atomic(path, data):
    """Write JSON to a temporary file beside ``path`` and rename it."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------

class QuietServer(ThreadingHTTPServer):
    """Threaded server with daemon handler threads and quiet socket errors."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128    # bursts of parallel clients must not hit SYN retries

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            super().handle_error(request, client_address)


class BaseHandler(BaseHTTPRequestHandler):
    """Request reading, JSON answers and abortive closes for every port."""

    protocol_version = "HTTP/1.1"
    server_version = "billsync-sandbox/1"
    sys_version = ""
    # TCP_NODELAY: the headers and the body go out in two writes; with Nagle the body
    # waits for the client's delayed ACK (~40 ms per answer on loopback).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        """Silence per-request logging (the request log is on the control port)."""

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _read_chunked(self):
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def send(self, response):
        payload = response.payload()
        self.send_response(response.status)
        names = {name.lower() for name, _ in response.headers}
        for name, value in response.headers:
            self.send_header(name, value)
        if payload and "content-type" not in names:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        if response.status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def drop(self):
        """Close the connection abortively (TCP RST) without any answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass


def make_system_handler(core, sim):
    """Handler class bound to one simulator."""

    class SystemHandler(BaseHandler):
        def _serve(self):
            try:
                body = self.read_body()
            except ValueError:
                self.close_connection = True
                self.send(simcore.Response(400, b"bad request body",
                                           [("Content-Type", "text/plain")]))
                return
            req = simcore.Request(self.command, self.path, self.headers, body)
            response, delivered = core.dispatch(sim, req)
            if delivered:
                self.send(response)
            else:
                self.drop()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    return SystemHandler


# ---------------------------------------------------------------------------
# Control API
# ---------------------------------------------------------------------------

class ControlError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def make_control_handler(core, ports):
    """Handler class of the control port (JSON in, JSON out)."""

    class ControlHandler(BaseHandler):
        def _serve(self):
            try:
                body = self.read_body()
                data = json.loads(body) if body.strip() else {}
                if not isinstance(data, dict):
                    raise ControlError(400, "body must be a JSON object")
                status, result = control_route(core, ports, self.command, self.path, data)
            except ControlError as err:
                status, result = err.status, {"error": str(err)}
            except ValueError as err:
                status, result = 400, {"error": str(err)}
            self.send(simcore.Response(status, result))

        do_GET = do_POST = do_DELETE = do_PUT = _serve

    return ControlHandler


def control_route(core, ports, method, target, data):
    """Dispatch one control request; returns (status, JSON result)."""
    req = simcore.Request(method, target, {}, b"")
    parts = [p for p in req.path.split("/") if p]
    head = parts[0] if parts else ""
    handler = CONTROL_ROUTES.get((method, head))
    if handler is None:
        raise ControlError(404, "no control endpoint %s %s" % (method, req.path))
    return handler(core, ports, parts[1:], req, data)


def _sim(core, rest):
    if len(rest) != 1 or rest[0] not in core.sims:
        raise ControlError(404, "unknown system; known: %s" % ", ".join(core.sims))
    return core.sims[rest[0]]


def c_index(core, ports, rest, req, data):
    return 200, {"systems": sorted(core.sims), "ports": ports,
                 "fault_kinds": list(simcore.FAULT_KINDS)}


def c_reset(core, ports, rest, req, data):
    seed = data.get("seed", "empty")
    if seed not in ("demo", "empty"):
        raise ControlError(400, "seed must be demo or empty")
    core.reset(seed)
    return 200, {"reset": True, "seed": seed}


def c_faults_add(core, ports, rest, req, data):
    sim = core.sims.get(data.get("system"))
    if data.get("kind") == "expired_token" and sim is not None and not sim.HAS_TOKENS:
        raise ControlError(400, "%s issues no access tokens; expired_token does not apply"
                           % sim.name)
    with core.lock:
        return 200, core.faults.add(data, list(core.sims))


def c_faults_list(core, ports, rest, req, data):
    with core.lock:
        return 200, {"faults": core.faults.rules()}


def c_faults_clear(core, ports, rest, req, data):
    rule_id = int(rest[0]) if rest else None
    with core.lock:
        return 200, {"removed": core.faults.clear(rule_id)}


def c_stats(core, ports, rest, req, data):
    return 200, core.stats_snapshot()


def c_stats_clear(core, ports, rest, req, data):
    with core.lock:
        core.stats.clear()
        core.log.clear()
        for sim in core.sims.values():
            sim.reset_stats()
    return 200, {"cleared": True}


def c_requests(core, ports, rest, req, data):
    system = req.arg("system")
    if system is not None and system not in core.sims:
        raise ControlError(404, "unknown system %r" % system)
    limit = int(req.arg("limit", "0")) or None
    with core.lock:
        return 200, {"requests": core.log.entries(system, limit)}


def c_requests_clear(core, ports, rest, req, data):
    with core.lock:
        core.log.clear()
    return 200, {"cleared": True}


def c_state_get(core, ports, rest, req, data):
    sim = _sim(core, rest)
    options = {k: v[0] for k, v in req.query.items() if v}
    with core.lock:  # encode under the lock: the store keeps changing
        try:
            state = sim.control_get_state(options)
        except LookupError as err:
            raise ControlError(404, str(err.args[0] if err.args else err)) from None
        return 200, json.dumps(state).encode()


def c_state_set(core, ports, rest, req, data):
    sim = _sim(core, rest)
    mode = data.get("mode", "merge")
    payload = data.get("data")
    if mode not in ("merge", "replace") or not isinstance(payload, dict):
        raise ControlError(400, 'body must be {"mode": "merge"|"replace", "data": {...}}')
    options = {k: v for k, v in data.items() if k not in ("mode", "data")}
    with core.lock:
        extra = sim.control_set_state(mode, payload, options)
    settle()
    core.request_save()
    return 200, dict({"ok": True, "mode": mode}, **(extra or {}))


def c_config_get(core, ports, rest, req, data):
    sim = _sim(core, rest)
    with core.lock:
        return 200, dict(sim.config)


def c_config_set(core, ports, rest, req, data):
    sim = _sim(core, rest)
    with core.lock:
        return 200, sim.configure(data)


def c_health(core, ports, rest, req, data):
    return 200, {"ok": True, "pid": os.getpid()}


CONTROL_ROUTES = {
    ("GET", ""): c_index,
    ("GET", "health"): c_health,
    ("POST", "reset"): c_reset,
    ("GET", "faults"): c_faults_list,
    ("POST", "faults"): c_faults_add,
    ("DELETE", "faults"): c_faults_clear,
    ("GET", "stats"): c_stats,
    ("DELETE", "stats"): c_stats_clear,
    ("GET", "requests"): c_requests,
    ("DELETE", "requests"): c_requests_clear,
    ("GET", "state"): c_state_get,
    ("POST", "state"): c_state_set,
    ("GET", "config"): c_config_get,
    ("POST", "config"): c_config_set,
}


# ---------------------------------------------------------------------------
# Program
# ---------------------------------------------------------------------------

def parse_args(argv, names):
    parser = argparse.ArgumentParser(description="billsync API sandbox")
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", choices=("demo", "empty"), default="demo")
    parser.add_argument("--state-file")
    parser.add_argument("--request-log", type=int, default=simcore.REQUEST_LOG_SIZE, metavar="N",
                        help="keep the last N requests for GET /requests (a benchmark's whole cycle)")
    parser.add_argument("--port", action="append", default=[], metavar="NAME=PORT")
    args = parser.parse_args(argv)
    args.ports = {}
    for item in args.port:
        name, sep, port = item.partition("=")
        if not sep or name not in names or not port.isdigit():
            parser.error("--port expects NAME=PORT with NAME in %s" % ", ".join(names))
        args.ports[name] = int(port)
    return args


def load_plugins(core):
    for module_name in PLUGINS:
        sim = importlib.import_module(module_name).SIMULATOR(core)
        core.sims[sim.name] = sim


def start_servers(core, args):
    """Bind every port, start serving threads; returns (servers, ports)."""
    servers, ports = [], {}
    handlers = [(name, make_system_handler(core, sim)) for name, sim in core.sims.items()]
    for name, handler in handlers:
        server = QuietServer((args.host, args.ports.get(name, 0)), handler)
        core.sims[name].bound(args.host, server.server_address[1])
        servers.append(server)
        ports[name] = server.server_address[1]
    control = QuietServer((args.host, args.ports.get("control", 0)),
                          make_control_handler(core, ports))
    servers.append(control)
    ports["control"] = control.server_address[1]
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()
    return servers, ports


def main(argv=None):
    core = Core()
    load_plugins(core)
    args = parse_args(argv, list(core.sims) + ["control"])
    core.state_file = args.state_file
    core.log = simcore.RequestLog(max(1, args.request_log))
    core.load_or_seed(args.seed)
    servers, ports = start_servers(core, args)

    def stop(_signum, _frame):
        core.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_json_atomic(args.ready_file, dict(pid=os.getpid(), **ports))
    while not core.stopping.wait(0.2):
        pass
    for server in servers:
        server.shutdown()
        server.server_close()
    core.close()
    try:
        os.unlink(args.ready_file)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
