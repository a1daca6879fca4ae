"""Shared building blocks of the billsync API sandbox.

Everything a simulated system module (``sim_*.py``) needs and nothing that is
specific to one vendor: the request/response objects, the ``Simulator`` base
class every plugin derives from, the fault engine, statistics, the bounded
request log, a rolling-window counter and civil-date helpers.

A plugin module exposes one ``Simulator`` subclass named ``SIMULATOR``.  The
entry program (``sandbox.py``) gives every plugin its own HTTP server, routes
each request through ``Core.dispatch`` (faults, logging, persistence) and
hands it to ``Simulator.serve``.
"""

import calendar
import collections
import copy
import datetime as dt
import json
import os
import re
import secrets
import threading
import time
import urllib.parse

FAULT_KINDS = (
    "latency",          # params: ms            -- delay, then answer normally
    "http429",          # params: retry_after   -- the system's throttle answer
    "http500",          # params: message       -- the system's server-error body
    "reset",            #                       -- close the socket (RST), no answer
    "timeout",          # params: seconds       -- hold the request, then close
    "thread_limit",     #                       -- the system's concurrency refusal
    "bad_credentials",  #                       -- the system's auth failure
    "commit_drop",      #                       -- perform the request, then close
    "garbage_body",     # params: body, status  -- answer with a raw body (truncated,
                        #                          empty, not JSON) instead of the system's
    "expired_token",    #                       -- invalidate the issued access tokens, then
                        #                          answer normally (the request's token is dead)
)
REQUEST_LOG_SIZE = 5000
LOGGED_BODY_CHARS = 4000


DEFAULT_GARBAGE_BODY = '{"items": [{"id": 1, "na'   # a body cut off mid-record


def garbage_response(params):
    """The answer of a ``garbage_body`` fault: ``params["body"]`` as raw bytes (default: a
    truncated JSON document) with ``status`` (200), whatever the system's own format is."""
    body = params.get("body", DEFAULT_GARBAGE_BODY)
    return Response(int(params.get("status", 200)), str(body).encode("utf-8"),
                    [("Content-Type", str(params.get("content_type",
                                                     "application/json; charset=utf-8")))])


class HttpError(Exception):
    """Abort request handling and answer with ``response``."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


class Response:
    """A complete HTTP answer; ``body`` is JSON-encoded unless it is bytes."""

    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])

    def payload(self):
        """Return the body as bytes (empty for 204 / no body)."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


class Request:
    """One parsed HTTP request as seen by a simulator."""

    def __init__(self, method, target, headers, body):
        self.method = method.upper()
        self.target = target
        parts = urllib.parse.urlsplit(target)
        self.path = urllib.parse.unquote(parts.path)
        self.query_string = parts.query
        self.query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        self.headers = headers          # case-insensitive mapping (email.message)
        self.body = body
        self.delay_s = 0.0              # latency chosen by the fault engine

    def header(self, name, default=None):
        """Header value, looked up case-insensitively."""
        value = self.headers.get(name)
        return default if value is None else value

    def arg(self, name, default=None):
        """First value of a query-string parameter (exact name)."""
        values = self.query.get(name)
        return values[0] if values else default

    def arg_ci(self, name, default=None):
        """First value of a query-string parameter, name matched case-insensitively."""
        for key, values in self.query.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return default

    def json(self):
        """Decode the body as JSON; ``ValueError`` when it is not JSON."""
        if not self.body:
            raise ValueError("empty body")
        return json.loads(self.body.decode("utf-8"))


class Simulator:
    """Base class of one simulated external system (one plugin).

    The data store is ``meta`` (tenant settings such as credentials) plus
    ``tables`` (collection name -> {id: row}).  Subclasses set ``name`` and
    ``DEFAULT_CONFIG`` and implement ``empty_state``, ``demo_state``,
    ``fresh_store``, ``merge_data``, ``dump_state``, ``handle`` (or
    ``serve``), ``entity_of`` and ``fault_response``.
    """

    name = "base"
    DEFAULT_CONFIG = {}
    KNOB_CHOICES = {}       # knob -> allowed values, for enumerated knobs
    HAS_TOKENS = False      # True: issues access tokens (the expired_token fault applies)

    def __init__(self, core):
        self.core = core
        self.config = dict(self.DEFAULT_CONFIG)
        self.base_url = ""
        self.dirty = False
        self.meta, self.tables = {}, {}

    # -- lifecycle -------------------------------------------------------
    def bound(self, host, port):
        """Called once the server listens; remembers the public base URL."""
        self.base_url = "http://%s:%d" % (host, port)

    def reset_config(self):
        """Restore every knob to its default."""
        self.config = dict(self.DEFAULT_CONFIG)

    def configure(self, knobs):
        """Merge knobs; unknown names or wrong types raise ``ValueError``."""
        for key, value in knobs.items():
            if key not in self.DEFAULT_CONFIG:
                raise ValueError("unknown knob %r for %s" % (key, self.name))
            default = self.DEFAULT_CONFIG[key]
            if default is not None and not _same_kind(default, value):
                raise ValueError("knob %r expects %s" % (key, type(default).__name__))
            choices = self.KNOB_CHOICES.get(key)
            if choices and value not in choices:
                raise ValueError("knob %r must be one of %s" % (key, list(choices)))
        self.config.update(knobs)
        return dict(self.config)

    def changed(self):
        """Mark the data store as modified (the core persists it)."""
        self.dirty = True

    # -- state -----------------------------------------------------------
    def seed(self, kind):
        """Replace the data store with the ``demo`` or ``empty`` seed."""
        if kind == "demo":
            self.load_state(self.demo_state())
        elif kind == "empty":
            self.load_state(self.empty_state())
        else:
            raise ValueError("unknown seed %r" % kind)

    def empty_state(self):
        raise NotImplementedError

    def demo_state(self):
        raise NotImplementedError

    def load_state(self, data):
        """Replace the data store with ``data`` (as produced by ``dump_state``)."""
        def replace():
            self.meta, self.tables = self.fresh_store()
            self.merge_data(data)
        self._atomically(replace)

    def merge_state(self, data):
        """Merge ``data`` into the store (rows upserted by id)."""
        self._atomically(lambda: self.merge_data(data))

    def _atomically(self, change):
        """Run ``change``; on any error restore the previous store and re-raise."""
        backup = copy.deepcopy((self.meta, self.tables))
        try:
            change()
        except Exception:
            self.meta, self.tables = backup
            raise
        self.changed()

    def fresh_store(self):
        """(meta, tables) of a store without data."""
        raise NotImplementedError

    def merge_data(self, data):
        """Merge JSON ``data`` into ``meta``/``tables``; ``ValueError`` when invalid."""
        raise NotImplementedError

    def dump_state(self):
        """The whole data store as JSON-serialisable data."""
        raise NotImplementedError

    def control_get_state(self, options):
        """``GET /state/<system>``; ``options``: the query parameters (first values).
        LookupError: 404. A system with tenants (``TENANT_KEY``: ConnectWise ``company``,
        Pax8 ``partner``) answers the one named."""
        return self.dump_state(*self._tenant_args(options))

    def control_set_state(self, mode, data, options):
        """``POST /state/<system>``; ``options``: the body's keys besides mode and data (the
        tenant, by ``TENANT_KEY``). Returns extra keys for the answer (or None)."""
        args = self._tenant_args(options)
        if mode == "replace":
            self.load_state(data, *args)
        else:
            self.merge_state(data, *args)

    def _tenant_args(self, options):
        key = getattr(self, "TENANT_KEY", None)
        value = options.get(key) if key else None
        return () if value is None else (value,)

    def persist_chunks(self):
        """Called under the sandbox lock: this system's part of the state file as an
        iterable of JSON text pieces, iterated after the lock is released.  The default
        encodes at once; a large store returns a generator over a snapshot instead."""
        return [json.dumps(self.dump_state(), separators=(",", ":"))]

    def extra_stats(self):
        """System-specific counters for GET /stats."""
        return {}

    def reset_stats(self):
        """Forget system-specific counters."""

    def record_request(self, req, entity, fault_kind):
        """Called (under the sandbox lock) for every request counted in the statistics."""

    # -- requests --------------------------------------------------------
    def serve(self, req):
        """Apply the injected latency, then handle the request."""
        self.core.sleep(req.delay_s)
        return self.handle(req)

    def handle(self, req):
        raise NotImplementedError

    def entity_of(self, req):
        """Short entity name for statistics (e.g. ``Contracts``)."""
        return req.path

    def fault_response(self, kind, params):
        """The system's own answer for an injected fault kind."""
        raise NotImplementedError

    def fault_answer(self, req, kind, params):
        """Answer for an injected fault on ``req``; systems whose answer depends on the
        endpoint (token endpoint vs API) override this."""
        return self.fault_response(kind, params)

    def expire_tokens(self):
        """Invalidate every access token issued so far (fault ``expired_token``)."""


def _same_kind(default, value):
    """True when ``value`` may replace knob ``default`` (ints accept floats)."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, type(default))


class TokenStore:
    """Bearer / refresh tokens issued by a simulated token endpoint (thread-safe).

    Tokens live in memory only (a restart or a reset forgets them, as a real
    service's signing-key rotation would).  ``check`` answers ``"ok"``,
    ``"expired"`` or ``"unknown"``.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens = {}           # token -> {"kind", "subject", "expires"}
        self._issued = collections.Counter()

    def issue(self, subject, lifetime_s, kind="access", prefix="tok"):
        token = "%s-%s-%s" % (prefix, kind, secrets.token_hex(16))
        with self._lock:
            self._tokens[token] = {"kind": kind, "subject": subject,
                                   "expires": time.monotonic() + float(lifetime_s)}
            self._issued[kind] += 1
        return token

    def check(self, token, kind="access"):
        """(state, subject) of ``token``: state is ok, expired or unknown."""
        with self._lock:
            entry = self._tokens.get(token or "")
            if entry is None or entry["kind"] != kind:
                return "unknown", None
            if time.monotonic() >= entry["expires"]:
                return "expired", entry["subject"]
            return "ok", entry["subject"]

    def revoke(self, token):
        with self._lock:
            self._tokens.pop(token, None)

    def expire_all(self, kind="access"):
        """Make every live token of ``kind`` expire now; returns how many."""
        now, count = time.monotonic(), 0
        with self._lock:
            for entry in self._tokens.values():
                if entry["kind"] == kind and entry["expires"] > now:
                    entry["expires"] = now
                    count += 1
        return count

    def issued(self):
        with self._lock:
            return dict(self._issued)

    def clear(self):
        with self._lock:
            self._tokens.clear()
            self._issued.clear()


# ---------------------------------------------------------------------------
# Fault engine
# ---------------------------------------------------------------------------

class FaultEngine:
    """Ordered fault rules; each applies to the next ``count`` matching requests."""

    def __init__(self):
        self._rules = []
        self._next_id = 1

    def add(self, rule, systems):
        """Validate and append a rule; returns its public form."""
        if not isinstance(rule, dict):
            raise ValueError("rule must be a JSON object")
        system, kind = rule.get("system"), rule.get("kind")
        if system not in systems:
            raise ValueError("system must be one of %s" % ", ".join(systems))
        if kind not in FAULT_KINDS:
            raise ValueError("kind must be one of %s" % ", ".join(FAULT_KINDS))
        count = rule.get("count", 1)
        if not isinstance(count, int) or count == 0 or count < -1:
            raise ValueError("count must be a positive integer or -1")
        params = rule.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("params must be an object")
        path = rule.get("path")
        entry = {
            "id": self._next_id, "system": system, "kind": kind,
            "method": (rule.get("method") or "").upper() or None,
            "path": path, "params": params, "count": count, "fired": 0,
            "_re": re.compile(path, re.IGNORECASE) if path else None,
        }
        self._next_id += 1
        self._rules.append(entry)
        return _public_rule(entry)

    def clear(self, rule_id=None):
        """Remove one rule, or all rules when ``rule_id`` is None."""
        before = len(self._rules)
        self._rules = [r for r in self._rules if rule_id is not None and r["id"] != rule_id]
        return before - len(self._rules)

    def rules(self):
        return [_public_rule(r) for r in self._rules]

    def take(self, system, method, target):
        """Consume matching rules: (total latency ms, first other rule or None)."""
        latency_ms, chosen = 0, None
        for rule in self._rules:
            if rule["count"] == 0 or not _rule_matches(rule, system, method, target):
                continue
            if rule["kind"] == "latency":
                latency_ms += int(rule["params"].get("ms", 0))
            elif chosen is None:
                chosen = rule
            else:
                continue
            _consume(rule)
        return latency_ms, chosen


def _rule_matches(rule, system, method, target):
    if rule["system"] != system:
        return False
    if rule["method"] and rule["method"] != method:
        return False
    return rule["_re"] is None or rule["_re"].search(target) is not None


def _consume(rule):
    rule["fired"] += 1
    if rule["count"] > 0:
        rule["count"] -= 1


def _public_rule(rule):
    return {k: v for k, v in rule.items() if not k.startswith("_")}


# ---------------------------------------------------------------------------
# Statistics and request log
# ---------------------------------------------------------------------------

class Stats:
    """Per-system request counts and fired faults."""

    def __init__(self):
        self.requests = collections.defaultdict(collections.Counter)
        self.faults = collections.defaultdict(collections.Counter)

    def record(self, system, method, entity, fault_kind):
        self.requests[system]["%s %s" % (method, entity)] += 1
        if fault_kind:
            self.faults[system][fault_kind] += 1

    def clear(self):
        self.requests.clear()
        self.faults.clear()

    def snapshot(self, system):
        counts = self.requests.get(system, {})
        return {
            "requests": dict(counts),
            "total_requests": sum(counts.values()),
            "faults_fired": dict(self.faults.get(system, {})),
        }


class RequestLog:
    """The last ``size`` (default ``REQUEST_LOG_SIZE``) requests of every system."""

    def __init__(self, size=REQUEST_LOG_SIZE):
        self._entries = collections.deque(maxlen=size)
        self._seq = 0

    def add(self, system, req, status, fault_kind, delivered, started):
        self._seq += 1
        entry = {
            "seq": self._seq, "time": iso_now(), "system": system,
            "method": req.method, "path": req.path, "query": req.query_string,
            "status": status, "fault": fault_kind, "delivered": delivered,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        if req.method != "GET" and req.body:
            entry["body"] = req.body[:LOGGED_BODY_CHARS].decode("utf-8", "replace")
        self._entries.append(entry)

    def clear(self):
        self._entries.clear()

    def entries(self, system=None, limit=None):
        rows = [e for e in self._entries if system in (None, e["system"])]
        return rows[-limit:] if limit else rows


class RollingCounter:
    """Events in a rolling time window (thread-safe)."""

    def __init__(self):
        self._times = collections.deque()
        self._lock = threading.Lock()

    def _expire(self, now, window_s):
        while self._times and self._times[0] <= now - window_s:
            self._times.popleft()

    def count(self, window_s):
        with self._lock:
            self._expire(time.monotonic(), window_s)
            return len(self._times)

    def add(self):
        with self._lock:
            self._times.append(time.monotonic())

    def seconds_until_free(self, window_s):
        """Seconds until the oldest event leaves the window (at least 1)."""
        with self._lock:
            if not self._times:
                return 1
            return max(1, int(self._times[0] + window_s - time.monotonic() + 0.999))

    def clear(self):
        with self._lock:
            self._times.clear()


# ---------------------------------------------------------------------------
# Dates (UTC, naive datetime objects)
# ---------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$")


def parse_datetime(text):
    """Parse an ISO-8601 date or datetime into a naive UTC datetime."""
    if not isinstance(text, str):
        raise ValueError("not a date string: %r" % (text,))
    m = _ISO_RE.match(text.strip())
    if not m:
        raise ValueError("not an ISO-8601 date: %r" % text)
    year, month, day, hour, minute, sec, frac, zone = m.groups()
    micro = int((frac or "0").ljust(6, "0")[:6])
    value = dt.datetime(int(year), int(month), int(day), int(hour or 0),
                        int(minute or 0), int(sec or 0), micro)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        value -= sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return value


def parse_date(text):
    """The civil date of an ISO string; the time part is ignored (no TZ shift)."""
    if not isinstance(text, str) or len(text) < 10:
        raise ValueError("not a date string: %r" % (text,))
    return dt.date.fromisoformat(text[:10])


def add_months(day, months):
    """``day`` moved by whole months, clamped to the month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# The sandbox's clock. `make test-dates` runs the product's programs and MariaDB with their
# clock faked by libfaketime, and tells the Python side (this sandbox, the tests) the same
# offset in BILLSYNC_CLOCK_OFFSET: every party then agrees on "today".
CLOCK_OFFSET_S = float(os.environ.get("BILLSYNC_CLOCK_OFFSET") or 0)


def utcnow():
    """The current UTC time as an aware datetime, on the shared (possibly faked) clock."""
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=CLOCK_OFFSET_S)


def unix_now():
    """Seconds since the epoch on the shared clock."""
    return time.time() + CLOCK_OFFSET_S


def iso_now():
    """Current UTC time as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    now = utcnow()
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


def today():
    return utcnow().date()
