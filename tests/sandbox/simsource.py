"""Shared base of the distributor ("source") simulators.

The five source plugins (interworks, Ingram, Partner Center, Pax8, MSP360)
store plain JSON rows in named tables, issue access tokens, page collections
and throttle requests the same way; only their URLs, envelopes, field names
and error bodies differ.  ``SourceSim`` holds the common part:

* store: ``{<meta keys>..., "nextId": N, "tables": {name: [rows]}}``; merge
  upserts rows by ``id`` (a row without id gets the next id of the table's id
  kind; missing fields get the table defaults), top-level objects are merged
  key by key; a failing merge is undone from a journal (the store is never
  copied whole); rows are stored copy-on-write, ``INDEXES`` declares lookup
  indexes (``TableStore.rows_where``);
* tenants (opt-in, ``TENANT_KEY``): independent stores per tenant, with their
  own rate windows and statistics (see ``SourceSim``);
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

import collections
import copy
import datetime as dt
import decimal
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


_MUTABLE_DEFAULTS = {}      # id(defaults) -> (defaults, keys whose values are dicts/lists)


def fresh_row(defaults):
    """A new row's default fields: one level of dicts/lists copied (defaults are flat)."""
    entry = _MUTABLE_DEFAULTS.get(id(defaults))
    if entry is None or entry[0] is not defaults:
        entry = _MUTABLE_DEFAULTS[id(defaults)] = (defaults, tuple(
            k for k, v in defaults.items() if isinstance(v, (dict, list))))
    row = dict(defaults)
    for key in entry[1]:
        row[key] = row[key].copy()
    return row


def index_key(value):
    """How an indexed field's value is looked up: case-insensitive text, as filters compare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value).lower()


class TableStore:
    """One tenant's data: ``meta`` (credentials, ``nextId``...), ``tables`` (name -> {id: row})
    and the secondary indexes the simulator declares in ``INDEXES``.

    Stored rows are never changed in place: an update stores a new dict (copy on write), so
    a dump may copy rows shallowly and a list being answered is not changed under it.
    """

    def __init__(self, sim, meta, name=None):
        self.sim = sim
        self.name = name                # tenant name; None = the default tenant
        self.meta = meta
        self.tables = {table: {} for table in sim.TABLES}
        self.indexes = {(table, field): {} for table, fields in sim.INDEXES.items()
                        for field in fields}
        self._order = {table: {} for table in sim.INDEXES}   # insertion number of rows
        self._counter = 0

    def rows(self, table):
        return list(self.tables[table].values())

    def row(self, table, row_id):
        return self.tables[table].get(row_id)

    def rows_where(self, table, field, value):
        """Rows of ``table`` whose indexed ``field`` matches ``value`` (``index_key``), in
        table order."""
        return list(self.indexes[(table, field)].get(index_key(value), {}).values())

    def new_id(self, table):
        value = self.meta["nextId"]
        self.meta["nextId"] = value + 1
        kind = self.sim.ID_KINDS.get(table, "int")
        if kind == "uuid":
            parts = (self.sim.name, table, value) if self.name is None else (
                self.sim.name, self.name, table, value)
            return stable_uuid(*parts)
        if kind == "numstr":
            return str(value)
        return value

    def upsert(self, table, row, journal=None):
        """Insert or update ``row`` (by id) in ``table``; returns the stored row."""
        store = self.tables[table]
        if row.get("id") is None:
            row = dict(row, id=self.new_id(table))
        old = store.get(row["id"])
        if old is None:
            current = {"id": row["id"]}
            current.update(fresh_row(self.sim.TABLES[table]))
        else:
            current = dict(old)
        current.update(row)
        self.sim.check_row(table, current)
        if journal is not None:
            journal.row(self, table, current["id"], old)
        self.put(table, current)
        if isinstance(current["id"], int):
            self.meta["nextId"] = max(self.meta["nextId"], current["id"] + 1)
        return current

    def put(self, table, row):
        """Store ``row`` (replacing the row with its id) and keep the indexes right."""
        store = self.tables[table]
        old = store.get(row["id"])
        store[row["id"]] = row
        fields = self.sim.INDEXES.get(table)
        if not fields:
            return
        order = self._order[table]
        if old is None:
            self._counter += 1
            order[row["id"]] = self._counter
        for field in fields:
            index = self.indexes[(table, field)]
            key = index_key(row.get(field))
            if old is not None:
                old_key = index_key(old.get(field))
                if old_key == key:
                    index[key][row["id"]] = row
                    continue
                self._unindex(index, old_key, row["id"])
            bucket = index.setdefault(key, {})
            bucket[row["id"]] = row
            if old is not None and len(bucket) > 1:     # moved: restore table order
                index[key] = dict(sorted(bucket.items(), key=lambda kv: order[kv[0]]))

    def drop(self, table, row_id):
        """Remove a row (and its index entries)."""
        old = self.tables[table].pop(row_id, None)
        if old is None or not self.sim.INDEXES.get(table):
            return
        for field in self.sim.INDEXES[table]:
            self._unindex(self.indexes[(table, field)], index_key(old.get(field)), row_id)
        self._order[table].pop(row_id, None)

    @staticmethod
    def _unindex(index, key, row_id):
        bucket = index.get(key)
        if bucket is not None:
            bucket.pop(row_id, None)
            if not bucket:
                del index[key]

    def dump(self):
        """This tenant's part of the state: meta plus every table's rows."""
        out = copy.deepcopy(self.meta)
        out["tables"] = {name: [dict(r) for r in t.values()] for name, t in self.tables.items()}
        return out


class Journal:
    """What a merge changed, so that a failing merge can be undone without copying the
    store first: the first previous version of every touched row, every touched meta."""

    def __init__(self):
        self._rows = []
        self._seen = set()
        self._metas = {}

    def meta(self, store):
        if id(store) not in self._metas:
            self._metas[id(store)] = (store, copy.deepcopy(store.meta))

    def row(self, store, table, row_id, old):
        key = (id(store), table, row_id)
        if key not in self._seen:
            self._seen.add(key)
            self._rows.append((store, table, row_id, old))

    def rollback(self):
        for store, table, row_id, old in reversed(self._rows):
            if old is None:
                store.drop(table, row_id)
            else:
                store.put(table, old)
        for store, meta in self._metas.values():
            store.meta = meta


class SourceSim(Simulator):
    """Table store + tokens + throttling + routing for one distributor API.

    Tenants (opt-in, ``TENANT_KEY`` set, e.g. ``"partner"``): every tenant is an
    independent ``TableStore``.  The top-level store is the default tenant
    (``DEFAULT_TENANT``); the others are kept under ``"tenants": {name: part}`` in the
    state, each part in the top-level format.  An entry of the credential list
    ``TENANT_CREDENTIALS`` carrying ``TENANT_KEY`` belongs to that tenant (created when
    new).  ``rate_key(req)`` names the tenant a request is counted against (its own
    rate window and statistics).
    """

    HAS_TOKENS = True
    TABLES = {}             # table -> defaults of a row
    ID_KINDS = {}           # table -> "int" (default) | "uuid" | "numstr"
    INDEXES = {}            # table -> fields with a lookup index (see TableStore.rows_where)
    FIRST_ID = 1000
    TENANT_KEY = None       # e.g. "partner": tenants are enabled
    TENANT_CREDENTIALS = None   # meta key of the credential list whose entries name a tenant
    TENANT_STATS = "tenants"    # GET /stats key of the per-tenant counters
    DEFAULT_TENANT = "default"
    ROUTES = []             # (method, path template, handler name, needs auth)
    COMMON_CONFIG = {
        "token_lifetime_s": 3600,       # overridden per system
        "rate_limit_per_window": 0,     # requests per window before throttling; 0 = never
        "rate_limit_window_s": 60,
        "processing_ms": 0,             # service time of every request
    }

    def __init__(self, core):
        self._default = TableStore(self, {})
        self._tenants = {}              # name -> TableStore (without the default)
        super().__init__(core)
        self.tokens = TokenStore()
        self._windows = {}              # rate key -> RollingCounter
        self._tenant_counts = {}        # rate key -> {"requests": Counter, "throttled": n}
        self._throttled = 0
        self._routes = [(m, _template_re(t), h, a, t) for m, t, h, a in self.ROUTES]

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------
    @property
    def meta(self):
        """The default tenant's meta (credentials, ``nextId``)."""
        return self._default.meta

    @meta.setter
    def meta(self, value):
        self._default.meta = value

    @property
    def tables(self):
        """The default tenant's tables (name -> {id: row})."""
        return self._default.tables

    @tables.setter
    def tables(self, value):
        self._default.tables = value

    def meta_defaults(self):
        """Top-level store keys other than ``tables`` / ``nextId`` (credentials...)."""
        return {}

    def tenant_meta_defaults(self):
        """Meta of a new tenant: the default's keys with empty values (no credentials)."""
        meta = {k: type(v)() for k, v in self.meta_defaults().items()}
        meta["nextId"] = self.FIRST_ID
        return meta

    def empty_state(self):
        state = copy.deepcopy(self.meta_defaults())
        state["nextId"] = self.FIRST_ID
        state["tables"] = {name: [] for name in self.TABLES}
        return state

    def fresh_store(self):
        meta = {k: v for k, v in self.empty_state().items() if k != "tables"}
        return meta, {name: {} for name in self.TABLES}

    def _new_default(self):
        meta, _ = self.fresh_store()
        return TableStore(self, meta)

    def seed(self, kind):
        self.tokens.clear()
        super().seed(kind)

    def tenant_names(self):
        """Every tenant's name, the default first."""
        return [self.DEFAULT_TENANT] + list(self._tenants)

    def store(self, tenant=None):
        """The ``TableStore`` of ``tenant`` (None or ``DEFAULT_TENANT``: the default);
        ``KeyError`` when unknown."""
        if tenant is None or tenant == self.DEFAULT_TENANT:
            return self._default
        return self._tenants[tenant]

    def load_state(self, data, tenant=None):
        """Replace the whole store (``tenant`` None) or one tenant's part with ``data``."""
        if tenant is None:
            default, tenants = self._new_default(), {}
            self._merge(default, tenants, data, None, None)
            self._default, self._tenants = default, tenants
        else:
            name = self._tenant_name(tenant)
            tenants, journal = dict(self._tenants), Journal()
            if name == self.DEFAULT_TENANT:
                default = self._new_default()
            else:
                default = self._default
                tenants[name] = TableStore(self, self.tenant_meta_defaults(), name)
            try:        # credentials may name (and change) other live tenants
                self._merge(default, tenants, data, name, journal)
            except Exception:
                journal.rollback()
                self.tenants_changed()
                raise
            self._default, self._tenants = default, tenants
        self.tenants_changed()
        self.changed()

    def merge_state(self, data, tenant=None):
        """Merge ``data`` into the store, or into one tenant's part (created when new).
        A failing merge changes nothing (the journal undoes what it did)."""
        name = None if tenant is None else self._tenant_name(tenant)
        journal, tenants = Journal(), dict(self._tenants)
        try:
            self._merge(self._default, tenants, data, name, journal)
        except Exception:
            journal.rollback()
            raise
        finally:
            self.tenants_changed()
        self._tenants = tenants
        self.changed()

    def merge_data(self, data):
        """Merge ``data`` into the default tenant (no undo; ``merge_state`` has it)."""
        self._merge(self._default, self._tenants, data, None, None)
        self.tenants_changed()

    def tenants_changed(self):
        """Hook: credentials or tenants may have changed (drop derived lookups)."""

    def _tenant_name(self, tenant):
        if self.TENANT_KEY is None:
            raise ValueError("%s has no tenants" % self.name)
        if not isinstance(tenant, str) or not tenant:
            raise ValueError("%s must be a non-empty string" % self.TENANT_KEY)
        return tenant

    def _merge(self, default, tenants, data, name, journal):
        """Merge ``data`` into tenant ``name`` (None: the default, where ``tenants`` is
        allowed) of the world ``default`` + ``tenants`` (changed in place)."""
        if not isinstance(data, dict):
            raise ValueError("%s state must be a JSON object" % self.name)
        allowed = set(self.empty_state())
        if self.TENANT_KEY is not None and name is None:
            allowed.add("tenants")
        unknown = set(data) - allowed
        if unknown:
            raise ValueError("unknown %s state keys: %s" % (self.name, ", ".join(sorted(unknown))))
        tables = data.get("tables") or {}
        bad = set(tables) - set(self.TABLES)
        if bad:
            raise ValueError("unknown %s tables: %s (known: %s)" % (
                self.name, ", ".join(sorted(bad)), ", ".join(self.TABLES)))

        def store_of(tenant):
            if tenant is None or tenant == self.DEFAULT_TENANT:
                return default
            if tenant not in tenants:
                tenants[tenant] = TableStore(self, self.tenant_meta_defaults(), tenant)
            return tenants[tenant]

        target = store_of(name)
        if journal is not None:
            journal.meta(target)
        for key, value in data.items():
            if key in ("tables", "tenants"):
                continue
            if key == self.TENANT_CREDENTIALS and self.TENANT_KEY and isinstance(value, list):
                self._merge_credentials(target, value, store_of, journal)
            elif isinstance(value, dict) and isinstance(target.meta.get(key), dict):
                target.meta[key].update(value)
            else:
                target.meta[key] = value
        for table, rows in tables.items():
            if not isinstance(rows, list):
                raise ValueError("%s table %s must be a list of rows" % (self.name, table))
            for row in rows:
                if not isinstance(row, dict):
                    raise ValueError("%s table %s: rows must be objects" % (self.name, table))
                target.upsert(table, row, journal)
        parts = data.get("tenants") or {}
        if not isinstance(parts, dict):
            raise ValueError("%s tenants must be an object {name: state}" % self.name)
        for tenant, part in parts.items():
            self._merge(default, tenants, part, self._tenant_name(tenant), journal)

    def _merge_credentials(self, target, entries, store_of, journal):
        """The credential list: entries naming a tenant go to it; each named tenant's list
        is replaced by its entries (an empty list empties the target's)."""
        groups = {target.name or self.DEFAULT_TENANT: []}
        for entry in entries:
            tenant = entry.get(self.TENANT_KEY) if isinstance(entry, dict) else None
            groups.setdefault(tenant or target.name or self.DEFAULT_TENANT, []).append(entry)
        for tenant, group in groups.items():
            if group or not entries:
                store = store_of(self._tenant_name(tenant) if tenant != self.DEFAULT_TENANT
                                 else None)
                if journal is not None:
                    journal.meta(store)
                store.meta[self.TENANT_CREDENTIALS] = group

    def upsert(self, table, row):
        """Insert or update ``row`` (by id) in the default tenant's ``table``."""
        return self._default.upsert(table, row)

    def check_row(self, table, row):
        """Validate a merged row; raise ``ValueError``.  Default: nothing."""

    def new_id(self, table):
        return self._default.new_id(table)

    def dump_state(self, tenant=None):
        """The whole store (other tenants under ``tenants`` when there are any), or one
        tenant's part (``KeyError`` when unknown)."""
        if tenant is not None:
            return self.store(tenant).dump()
        out = self._default.dump()
        if self._tenants:
            out["tenants"] = {name: store.dump() for name, store in self._tenants.items()}
        return out

    def rows(self, table):
        return self._default.rows(table)

    def row(self, table, row_id):
        return self._default.row(table, row_id)

    # ------------------------------------------------------------------
    # Statistics
    # ------------------------------------------------------------------
    def reset_stats(self):
        self._windows = {}
        self._tenant_counts = {}
        self._throttled = 0

    def extra_stats(self):
        window = self.config["rate_limit_window_s"]
        out = {"throttled": self._throttled, "tokens_issued": self.tokens.issued(),
               "requests_in_rate_window": sum(w.count(window) for w in self._windows.values())}
        if self.TENANT_KEY is not None:
            out[self.TENANT_STATS] = self.tenant_stats()
        return out

    def tenant_stats(self):
        """Per-tenant counters: ``{name: {total_requests, requests, throttled,
        requests_in_rate_window}}`` for every tenant and every key that was counted."""
        window = self.config["rate_limit_window_s"]
        out = {}
        for name in self.tenant_names() + [k for k in self._tenant_counts
                                            if k not in self._tenants
                                            and k != self.DEFAULT_TENANT]:
            counts = self._tenant_counts.get(name) or {"requests": {}, "throttled": 0}
            out[name] = {"total_requests": sum(counts["requests"].values()),
                         "requests": dict(counts["requests"]),
                         "throttled": counts["throttled"],
                         "requests_in_rate_window": (self._windows[name].count(window)
                                                     if name in self._windows else 0)}
        return out

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

    def rate_key(self, req):
        """The tenant a request counts against (rate window, statistics); called under
        ``core.lock``.  Without tenants: None (one window)."""
        return None

    def serve(self, req):
        self.core.sleep(req.delay_s + self.config["processing_ms"] / 1000.0)
        route = self._match(req)
        key = None
        if self.TENANT_KEY is not None:
            with self.core.lock:
                key = self.rate_key(req)
                counts = self._tenant_counts.setdefault(
                    key, {"requests": collections.Counter(), "throttled": 0})
                counts["requests"]["%s %s" % (req.method, route[0] if route else req.path)] += 1
        self._count_request(key)
        with self.core.lock:
            if route is None:
                if any(r[1].match(req.path) for r in self._routes):
                    raise HttpError(self.not_found(req, 405))
                raise HttpError(self.not_found(req, 404))
            _, handler, auth, args = route
            principal = self.authenticate(req) if auth else None
            return getattr(self, handler)(req, principal, *args)

    def _count_request(self, key=None):
        cap = self.config["rate_limit_per_window"]
        window = self.config["rate_limit_window_s"]
        counter = self._windows.get(key)
        if counter is None:
            counter = self._windows.setdefault(key, RollingCounter())
        if cap and counter.count(window) >= cap:
            self._throttled += 1
            if key is not None:
                self._tenant_counts[key]["throttled"] += 1
            raise HttpError(self.throttle_response(counter.seconds_until_free(window)))
        counter.add()

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
