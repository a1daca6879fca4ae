"""Shared base of the distributor ("source") simulators.

The five source plugins (interworks, Ingram, Partner Center, Pax8, MSP360)
store plain JSON rows in named tables, issue access tokens, page collections
and throttle requests the same way; only their URLs, envelopes, field names
and error bodies differ.  ``SourceSim`` holds the common part:

* store: ``{<meta keys>..., "nextId": N, "tables": {name: [rows]}}``; merge
  upserts rows by ``id`` (a row without id gets the next id of the table's id
  kind; missing fields get the table defaults), top-level objects are merged
  key by key;
* tokens: a ``simcore.TokenStore``; knob ``token_lifetime_s``; the
  ``expired_token`` fault makes every issued access token expire;
* throttling: knobs ``rate_limit_per_window`` (0 = never) and
  ``rate_limit_window_s``;
* routing: ``ROUTES`` = ``[(method, path template, handler name, needs auth)]``;
  ``{x}`` in a template matches one path segment, the match is
  case-insensitive, and the template is the statistics entity.

Subclasses implement ``authenticate(req)`` (raise ``HttpError`` with the
vendor's body), ``auth_failure(req)``, ``throttle_response(retry_after)``,
``server_error(message, status)`` and the handlers.
"""

import copy
import datetime as dt
import decimal
import json
import re
import uuid

from simcore import HttpError, RollingCounter, Simulator, TokenStore

ID_NAMESPACE = uuid.UUID("6f1c8e52-5a43-4a8e-9d3c-b111d5e0c0de")
D = decimal.Decimal


def stable_uuid(*parts):
    """A deterministic GUID for ``parts`` (same input, same id, every run)."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(str(p) for p in parts)))


def dec(value):
    """Decimal of a number or numeric string (exact for strings)."""
    if isinstance(value, D):
        return value
    if isinstance(value, float):
        return D(repr(value))
    return D(str(value))


def money_str(value, places=4):
    """``"11.0350"``: a decimal string with exactly ``places`` decimals (half-even)."""
    q = D(1).scaleb(-places)
    return str(dec(value).quantize(q, rounding=decimal.ROUND_HALF_EVEN))


def json_number(value):
    """An int when whole, else a float (how most vendors serialise decimals)."""
    v = dec(value)
    return int(v) if v == v.to_integral_value() else float(v)


def month_start(day):
    return day.replace(day=1)


def month_end(day):
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def _template_re(template):
    parts = re.split(r"(\{[^}]+\})", template)
    rx = "".join("([^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile("^" + rx + "/?$", re.IGNORECASE)


class SourceSim(Simulator):
    """Table store + tokens + throttling + routing for one distributor API."""

    HAS_TOKENS = True
    TABLES = {}             # table -> defaults of a row
    ID_KINDS = {}           # table -> "int" (default) | "uuid" | "numstr"
    FIRST_ID = 1000
    ROUTES = []             # (method, path template, handler name, needs auth)
    COMMON_CONFIG = {
        "token_lifetime_s": 3600,       # overridden per system
        "rate_limit_per_window": 0,     # requests per window before throttling; 0 = never
        "rate_limit_window_s": 60,
        "processing_ms": 0,             # service time of every request
    }

    def __init__(self, core):
        super().__init__(core)
        self.tokens = TokenStore()
        self._window = RollingCounter()
        self._throttled = 0
        self._routes = [(m, _template_re(t), h, a, t) for m, t, h, a in self.ROUTES]

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------
    def meta_defaults(self):
        """Top-level store keys other than ``tables`` / ``nextId`` (credentials...)."""
        return {}

    def empty_state(self):
        state = copy.deepcopy(self.meta_defaults())
        state["nextId"] = self.FIRST_ID
        state["tables"] = {name: [] for name in self.TABLES}
        return state

    def fresh_store(self):
        meta = {k: v for k, v in self.empty_state().items() if k != "tables"}
        return meta, {name: {} for name in self.TABLES}

    def seed(self, kind):
        self.tokens.clear()
        super().seed(kind)

    def merge_data(self, data):
        data = json.loads(json.dumps(data))
        unknown = set(data) - set(self.empty_state())
        if unknown:
            raise ValueError("unknown %s state keys: %s" % (self.name, ", ".join(sorted(unknown))))
        tables = data.get("tables") or {}
        bad = set(tables) - set(self.TABLES)
        if bad:
            raise ValueError("unknown %s tables: %s (known: %s)" % (
                self.name, ", ".join(sorted(bad)), ", ".join(self.TABLES)))
        for key, value in data.items():
            if key == "tables":
                continue
            if isinstance(value, dict) and isinstance(self.meta.get(key), dict):
                self.meta[key].update(value)
            else:
                self.meta[key] = value
        for name, rows in tables.items():
            if not isinstance(rows, list):
                raise ValueError("%s table %s must be a list of rows" % (self.name, name))
            for row in rows:
                if not isinstance(row, dict):
                    raise ValueError("%s table %s: rows must be objects" % (self.name, name))
                self.upsert(name, row)

    def upsert(self, table, row):
        """Insert or update ``row`` (by id) in ``table``; returns the stored row."""
        store = self.tables[table]
        if row.get("id") is None:
            row = dict(row, id=self.new_id(table))
        current = store.get(row["id"])
        if current is None:
            current = {"id": row["id"]}
            current.update(copy.deepcopy(self.TABLES[table]))
        current.update(row)
        self.check_row(table, current)
        store[current["id"]] = current
        if isinstance(current["id"], int):
            self.meta["nextId"] = max(self.meta["nextId"], current["id"] + 1)
        return current

    def check_row(self, table, row):
        """Validate a merged row; raise ``ValueError``.  Default: nothing."""

    def new_id(self, table):
        value = self.meta["nextId"]
        self.meta["nextId"] = value + 1
        kind = self.ID_KINDS.get(table, "int")
        if kind == "uuid":
            return stable_uuid(self.name, table, value)
        if kind == "numstr":
            return str(value)
        return value

    def dump_state(self):
        out = copy.deepcopy(self.meta)
        out["tables"] = {name: [copy.deepcopy(r) for r in t.values()]
                         for name, t in self.tables.items()}
        return out

    def rows(self, table):
        return list(self.tables[table].values())

    def row(self, table, row_id):
        return self.tables[table].get(row_id)

    # ------------------------------------------------------------------
    # Statistics
    # ------------------------------------------------------------------
    def reset_stats(self):
        self._window.clear()
        self._throttled = 0

    def extra_stats(self):
        return {"throttled": self._throttled, "tokens_issued": self.tokens.issued(),
                "requests_in_rate_window": self._window.count(
                    self.config["rate_limit_window_s"])}

    def expire_tokens(self):
        self.tokens.expire_all("access")

    # ------------------------------------------------------------------
    # Request pipeline
    # ------------------------------------------------------------------
    def entity_of(self, req):
        route = self._match(req)
        return route[0] if route else req.path

    def _match(self, req):
        for method, rx, handler, auth, template in self._routes:
            m = rx.match(req.path)
            if m and method == req.method:
                return template, handler, auth, m.groups()
        return None

    def serve(self, req):
        self.core.sleep(req.delay_s + self.config["processing_ms"] / 1000.0)
        self._count_request()
        with self.core.lock:
            route = self._match(req)
            if route is None:
                if any(r[1].match(req.path) for r in self._routes):
                    raise HttpError(self.not_found(req, 405))
                raise HttpError(self.not_found(req, 404))
            _, handler, auth, args = route
            principal = self.authenticate(req) if auth else None
            return getattr(self, handler)(req, principal, *args)

    def _count_request(self):
        cap = self.config["rate_limit_per_window"]
        window = self.config["rate_limit_window_s"]
        if cap and self._window.count(window) >= cap:
            self._throttled += 1
            raise HttpError(self.throttle_response(self._window.seconds_until_free(window)))
        self._window.add()

    # -- answers every subclass provides --------------------------------
    def authenticate(self, req):
        raise NotImplementedError

    def auth_failure(self, req, reason="invalid"):
        raise NotImplementedError

    def throttle_response(self, retry_after):
        raise NotImplementedError

    def server_error(self, message, status=500):
        raise NotImplementedError

    def not_found(self, req, status=404):
        return self.server_error("No resource matches %s %s" % (req.method, req.path), status)

    def fault_response(self, kind, params):
        if kind in ("http429", "thread_limit"):
            return self.throttle_response(int(params.get("retry_after", 30)))
        return self.server_error(params.get("message", "An unexpected error occurred."),
                                 int(params.get("status", 500)))

    def fault_answer(self, req, kind, params):
        if kind == "bad_credentials":
            return self.auth_failure(req, "invalid")
        return self.fault_response(kind, params)

    # -- helpers ---------------------------------------------------------
    def bearer(self, req):
        """The token of an ``Authorization: Bearer`` header, or None."""
        value = req.header("Authorization") or ""
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def check_bearer(self, req):
        """(state, subject) of the request's bearer token (state ok/expired/unknown/missing)."""
        token = self.bearer(req)
        if token is None:
            return "missing", None
        return self.tokens.check(token)

    def lifetime(self):
        return float(self.config["token_lifetime_s"])

    def expires_in(self):
        """``expires_in`` as announced: whole seconds, at least 1."""
        return max(1, int(round(self.lifetime())))

    def body_json(self, req, fail):
        """The JSON body, or ``fail(message)`` (which raises)."""
        try:
            return req.json()
        except ValueError:
            fail("The request body is not valid JSON.")

    def int_arg(self, req, name, default, fail, minimum=None, maximum=None):
        raw = req.arg_ci(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            fail("Parameter '%s' must be an integer, got '%s'." % (name, raw))
        if minimum is not None and value < minimum:
            fail("Parameter '%s' must be at least %d." % (name, minimum))
        if maximum is not None and value > maximum:
            fail("Parameter '%s' must be at most %d." % (name, maximum))
        return value
