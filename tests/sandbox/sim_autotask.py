"""Datto Autotask PSA REST v1.0 simulator (doc/psa-apis.md part A, A8).

Serves ``/ATServicesRest/V1.0/...`` (any case): zone discovery, header auth,
root and child routes (A3), the query language with paging (A4/A5), entity
metadata with picklists, the recurring-service billing model
(ContractServices + create-only ServiceAdjustments -> derived
ContractServiceUnits), ContractCharges, the rolling hourly request threshold
and the per (integration code, entity) thread limit (A6).

Many databases (MSP tenants) at once: every API user belongs to one database
(``"database"`` on its ``apiUsers`` entry, default ``default``) and a request
works on the database of its ``UserName``.  Each database has its own rows,
``postedThrough``, request threshold and thread limiter; ids come from one
sequence (``nextId``), so they are unique in the whole sandbox.

Behaviour the reference marks unknown is a knob in ``DEFAULT_CONFIG``; each
knob is listed in README.md.
"""

import collections
import contextlib
import datetime as dt
import json
import threading
import urllib.parse

import autotask_model as model
import seed_demo
from autotask_query import QueryError, coerce_value, parse_query
from simcore import (HttpError, Response, RollingCounter, Simulator, iso_now,
                     parse_date)

PREFIX = "/atservicesrest/"
FIRST_ID = 29683000
DEFAULT_DB = "default"
ROWS_PER_CHUNK = 250            # rows per json.dumps call when writing the state file


def error_response(status, *messages, headers=None):
    """The Autotask error envelope: ``{"errors": ["..."]}``."""
    return Response(status, {"errors": list(messages)}, headers)


def fail(status, *messages):
    raise HttpError(error_response(status, *messages))


def not_allowed(method):
    fail(405, "The requested resource does not support http method '%s'." % method)


class Route:
    """A resolved request: thread-limit entity, handler and its arguments."""

    def __init__(self, entity, handler, *args):
        self.entity = entity
        self.handler = handler
        self.args = args


class Runtime:
    """Counters and limits of one database (statistics; never persisted)."""

    def __init__(self):
        self.window = RollingCounter()          # requests in the rolling threshold window
        self.inflight = collections.Counter()   # (code, entity) -> requests in their slot
        self.clear()

    def clear(self):
        self.requests = collections.Counter()   # "METHOD entity" -> n
        self.max_inflight = {}
        self.thread_refusals = collections.Counter()
        self.threshold_refusals = 0
        self.window.clear()


class AutotaskSim(Simulator):
    """The Autotask plugin."""

    name = "autotask"
    DEFAULT_CONFIG = {
        "thread_limit": 3,                  # concurrent requests per (database, code, entity)
        "thread_limit_status": 429,         # 429 or 500 for thread-limit refusals
        "thread_limit_retry_after": 0,      # seconds; 0 = no Retry-After header
        "hourly_cap": 10000,                # requests per rolling window (per database)
        "threshold_window_s": 3600,         # rolling window length
        "threshold_status": 429,            # 429 (+Retry-After) or 500 when over the cap
        "threshold_latency_50_ms": 500,     # added delay at >=50% of the cap
        "threshold_latency_75_ms": 1000,    # added delay at >=75% of the cap
        "external_request_count": 0,        # requests by other integrations (noisy neighbour)
        "processing_ms": 0,                 # service time of every request (inside the slot)
        "same_day_adjustment_mode": "reject",   # reject | accumulate | replace
        "posted_period_mode": "reject",     # reject | shift (to the next period)
        "adjustment_item_id": "zero",       # zero | id: itemId returned for adjustments
        "not_found_mode": "404",            # 404 | 200null | 200empty for GET by id
    }
    KNOB_CHOICES = {
        "thread_limit_status": (429, 500), "threshold_status": (429, 500),
        "same_day_adjustment_mode": ("reject", "accumulate", "replace"),
        "posted_period_mode": ("reject", "shift"), "adjustment_item_id": ("zero", "id"),
        "not_found_mode": ("404", "200null", "200empty"),
    }

    def __init__(self, core):
        super().__init__(core)
        self._slots_lock = threading.Lock()
        self.ids = model.IdCounter(FIRST_ID)
        self.unit_cache = model.UnitCache()
        self.dbs = {}               # database name -> model.Store
        self._users = {}            # lower-case userName -> (database name, apiUsers entry)
        self._runtime = {}          # database name -> Runtime
        self._txn = None            # databases backed up by the running state change
        self.dbs[DEFAULT_DB] = self._new_store(DEFAULT_DB)
        self.reset_stats()

    # ------------------------------------------------------------------
    # State: databases
    # ------------------------------------------------------------------
    def empty_state(self):
        creds = seed_demo.AUTOTASK_CREDENTIALS
        return {
            "apiUsers": [{"userName": creds["user"], "secret": creds["secret"]}],
            "integrationCodes": [creds["integration_code"]],
            "zone": {"zoneName": "Sandbox Zone (loopback)", "ci": 99},
            "picklists": model.default_picklists(),
            "postedThrough": {},
            "nextId": FIRST_ID,
            "entities": {name: [] for name in model.ENTITIES},
        }

    def demo_state(self):
        return seed_demo.autotask_state(self.empty_state())

    def _new_store(self, name):
        """An empty database: the default one has the demo credentials, a new one no
        users (user names are unique in the sandbox)."""
        meta = {k: v for k, v in self.empty_state().items() if k not in ("entities", "nextId")}
        if name != DEFAULT_DB:
            meta["apiUsers"] = []
        return model.Store(name, meta, self.ids, self.unit_cache)

    def _database(self, name, create=False):
        if not isinstance(name, str) or not name:
            raise ValueError("database must be a non-empty string")
        store = self.dbs.get(name)
        if store is None:
            if not create:
                raise LookupError("unknown Autotask database %r" % name)
            store = self.dbs[name] = self._new_store(name)
        return store

    # -- state changes are all-or-nothing ---------------------------------
    def _transaction(self, change):
        """Run ``change``; on any error restore every database as it was and re-raise.
        Rows are never changed in place, so backups are shallow copies (``_touch``)."""
        before = (dict(self.dbs), self.ids.value)
        self._txn = {"dbs": before[0], "saved": {}}
        try:
            change()
        except Exception:
            for store, saved in self._txn["saved"].values():
                store.restore(saved)
            self.dbs, self.ids.value = before
            raise
        finally:
            self._txn = None
            self._index_users()
        self.changed()

    def _touch(self, store):
        """Back up ``store`` before the running transaction changes it in place."""
        txn = self._txn
        if txn is not None and txn["dbs"].get(store.name) is store \
                and store.uid not in txn["saved"]:
            txn["saved"][store.uid] = (store, store.backup())

    def load_state(self, data):
        """Replace every database with ``data`` (the state file's Autotask part, a seed,
        or a ``replace`` of the default database carrying ``databases``)."""
        def replace():
            self.dbs = {}
            self.ids.value = FIRST_ID
            self.unit_cache.clear()
            self._load_into(DEFAULT_DB, data)
            for name, part in (data.get("databases") or {}).items():
                self._load_into(name, part)
        self._transaction(replace)

    def _load_into(self, name, data):
        if not isinstance(data, dict):
            raise ValueError("the state of database %r must be an object" % name)
        store = self.dbs[name] = self._new_store(name)
        data = dict(data)
        data.pop("databases", None)
        data["entities"] = {k: v for k, v in (data.get("entities") or {}).items()
                            if k != model.UNITS}
        self._merge_into(store, data, fresh=True)

    def merge_state(self, data):
        self.control_set_state("merge", data, {})

    def control_set_state(self, mode, data, options):
        """``POST /state/autotask``: ``options["database"]`` (default ``default``) names the
        database; merging into (or replacing) a database that does not exist creates it."""
        name = options.get("database", DEFAULT_DB)
        if not isinstance(name, str) or not name:
            raise ValueError("database must be a non-empty string")
        if "databases" in data and name != DEFAULT_DB:
            raise ValueError("databases can only be given for the default database")
        if mode == "replace" and name == DEFAULT_DB and "databases" in data:
            self.load_state(data)
            return {"database": name}

        def change():
            if mode == "replace":
                self._load_into(name, data)
            else:
                parts = dict(data.get("databases") or {})
                data_here = {k: v for k, v in data.items() if k != "databases"}
                self._merge_into(self._database(name, create=True), data_here, fresh=False)
                for other, part in parts.items():
                    if not isinstance(part, dict):
                        raise ValueError("the state of database %r must be an object" % other)
                    self._merge_into(self._database(other, create=True), part, fresh=False)
        self._transaction(change)
        return {"database": name}

    def control_get_state(self, options):
        """``GET /state/autotask[?database=NAME]``: one database, units included."""
        return self._dump(self._database(options.get("database", DEFAULT_DB)))

    def dump_state(self):
        return self._dump(self.dbs[DEFAULT_DB])

    def _merge_into(self, store, data, fresh):
        """Merge JSON ``data`` into ``store``; ``fresh``: the store is new (a replace), its
        ``apiUsers`` become exactly the given ones."""
        unknown = set(data) - set(self.empty_state())
        if unknown:
            raise ValueError("unknown Autotask state keys: %s" % ", ".join(sorted(unknown)))
        self._touch(store)
        for key, value in data.items():
            if key == "entities":
                continue
            if key == "nextId":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError("nextId must be an integer")
                self.ids.at_least(value)
            elif key == "apiUsers":
                self._merge_users(store, value, fresh)
            elif isinstance(value, dict) and isinstance(store.meta.get(key), dict):
                store.meta[key].update(value)
            else:
                store.meta[key] = value
        entities = data.get("entities") or {}
        if not isinstance(entities, dict):
            raise ValueError("entities must be an object")
        for name, rows in entities.items():
            if name not in model.ENTITIES:
                raise ValueError("unknown Autotask entity %r" % name)
            if name == model.UNITS and rows:
                raise ValueError("ContractServiceUnits are derived; seed "
                                 "ContractServiceAdjustments instead")
            if not isinstance(rows, list):
                raise ValueError("entities.%s must be a list of rows" % name)
        for name, rows in entities.items():
            if name == model.UNITS:
                continue
            entity = model.ENTITIES[name]
            for row in rows:
                self._upsert(store, entity, row)
        store.forget_all_units()
        for cs_id in store.ids_in_order("ContractServices"):
            try:
                store.unit_block(cs_id)
            except (ValueError, TypeError) as err:
                raise ValueError("ContractService %s: its contract's dates: %s"
                                 % (cs_id, err)) from None

    def _upsert(self, store, entity, row):
        if not isinstance(row, dict):
            raise ValueError("%s rows must be objects" % entity.name)
        if row.get("id") is None:
            row = dict(row, id=self.ids.take())
        try:
            item_id = self._coerce(entity.fields["id"], row["id"])
        except HttpError as err:
            raise ValueError("%s row %s: %s" % (entity.name, row["id"],
                                                err.response.body["errors"][0])) from None
        current = dict(store.tables[entity.name].get(item_id) or self._blank(entity))
        for key, value in row.items():
            field = entity.field(key)
            name = field.name if field else key
            try:
                current[name] = self._coerce(field, value) if field and value is not None else value
            except HttpError as err:
                raise ValueError("%s row %s: %s" % (entity.name, row["id"],
                                                    err.response.body["errors"][0])) from None
        if entity.name == "ContractCharges":
            self._derive_charge_amounts(current)
        store.put(entity.name, current)
        self.ids.at_least(current["id"] + 1)
        if entity.name == "ContractServiceAdjustments":
            store.move_block_off(current["id"])

    # -- API users ----------------------------------------------------------
    def _merge_users(self, store, users, fresh):
        """``apiUsers`` of a merge: an entry naming another ``database`` goes there (created
        if needed); the others belong to ``store``.  A user name lives in one database:
        an entry replaces the user of that name wherever it was."""
        if not isinstance(users, list):
            raise ValueError("apiUsers must be a list")
        if fresh:
            store.meta["apiUsers"] = []
        for entry in users:
            if not isinstance(entry, dict) or not isinstance(entry.get("userName"), str) \
                    or not isinstance(entry.get("secret"), str):
                raise ValueError("an apiUsers entry needs userName and secret strings")
            target = self._database(entry.get("database", store.name), create=True)
            entry = dict(entry)
            if target.name != DEFAULT_DB:
                entry["database"] = target.name
            self._place_user(target, entry)

    def _place_user(self, store, entry):
        key = entry["userName"].lower()
        for other in self.dbs.values():
            if other is not store and any(u["userName"].lower() == key
                                          for u in other.meta["apiUsers"]):
                self._touch(other)
                other.meta["apiUsers"] = [u for u in other.meta["apiUsers"]
                                          if u["userName"].lower() != key]
        self._touch(store)
        users = store.meta["apiUsers"]
        for i, user in enumerate(users):
            if user["userName"].lower() == key:
                users[i] = entry
                break
        else:
            users.append(entry)

    def _index_users(self):
        self._users = {u["userName"].lower(): (name, u)
                       for name, store in self.dbs.items() for u in store.meta["apiUsers"]}

    def _user(self, name):
        """(database, apiUsers entry) of a user name, or (None, None)."""
        hit = self._users.get(str(name).lower())
        if hit is None or hit[0] not in self.dbs:
            return None, None
        return self.dbs[hit[0]], hit[1]

    # -- dumps and the state file -------------------------------------------
    def _meta_out(self, store):
        out = {}
        for key, value in store.meta.items():
            out[key] = value
            if key == "postedThrough":
                out["nextId"] = self.ids.value
        out.setdefault("nextId", self.ids.value)
        return out

    def _dump(self, store):
        out = self._meta_out(store)
        out["entities"] = {name: [dict(r) for r in store.rows(name)] for name in model.ENTITIES}
        return out

    def persist_chunks(self):
        """The state file's Autotask part: the default database, plus ``databases`` with
        every other one; derived ContractServiceUnits are left out (a load rebuilds them).
        Runs under the sandbox lock and only takes shallow copies (rows are never
        changed in place); the returned generator renders the JSON outside the lock, in
        chunks, so requests are served meanwhile."""
        snapshot = [(name, model.copy_json(self._meta_out(store)),
                     {entity: list(table.values()) for entity, table in store.tables.items()})
                    for name, store in self.dbs.items()]
        return self._render(snapshot)

    @staticmethod
    def _render(snapshot):
        def one(meta, tables):
            """A database's object, without its closing brace."""
            text = json.dumps(meta, separators=(",", ":"))
            yield text[:-1] + ',"entities":{'
            for i, (entity, rows) in enumerate(tables.items()):
                yield '%s"%s":[' % ("," if i else "", entity)
                rows.sort(key=lambda r: r["id"])
                for start in range(0, len(rows), ROWS_PER_CHUNK):
                    text = json.dumps(rows[start:start + ROWS_PER_CHUNK], separators=(",", ":"))
                    yield ("," if start else "") + text[1:-1]
                yield "]"
            yield "}"

        default = [s for s in snapshot if s[0] == DEFAULT_DB]
        others = [s for s in snapshot if s[0] != DEFAULT_DB]
        for _, meta, tables in default:
            yield from one(meta, tables)
        if others:
            yield ',"databases":{'
            for i, (name, meta, tables) in enumerate(others):
                yield ("," if i else "") + json.dumps(name) + ":"
                yield from one(meta, tables)
                yield "}"
            yield "}"
        yield "}"

    def _new_id(self):
        return self.ids.take()

    @staticmethod
    def _blank(entity):
        row = {name: f.default for name, f in entity.fields.items()}
        if entity.udf:
            row["userDefinedFields"] = []
        return row

    # ------------------------------------------------------------------
    # Statistics
    # ------------------------------------------------------------------
    def _rt(self, name):
        """The Runtime of a database (created on first use).  Not under _slots_lock."""
        rt = self._runtime.get(name)
        if rt is None:
            with self._slots_lock:
                rt = self._runtime.setdefault(name, Runtime())
        return rt

    def reset_stats(self):
        with self._slots_lock:
            for rt in self._runtime.values():
                rt.clear()

    def record_request(self, req, entity, fault_kind):
        """Count a request (as GET /stats' ``requests``) for the database of its user."""
        segs = self._segments(req) or []
        user = req.arg_ci("user") if segs[1:2] == ["zoneinformation"] else req.header("UserName")
        store, _ = self._user(user) if user else (None, None)
        if store is not None:
            rt = self._rt(store.name)
            with self._slots_lock:
                rt.requests["%s %s" % (req.method, entity)] += 1

    def extra_stats(self):
        window = self.config["threshold_window_s"]
        top_flight, top_peak = collections.Counter(), {}
        top_refusals, databases = collections.Counter(), {}
        with self._slots_lock:
            for name in sorted(set(self.dbs) | {n for n, rt in self._runtime.items()
                                                 if +rt.inflight}):
                rt = self._runtime.get(name) or Runtime()
                peaks, refusals, flight = (collections.defaultdict(dict) for _ in range(3))
                for (code, entity), peak in rt.max_inflight.items():
                    peaks[code][entity] = peak
                    top_peak[(code, entity)] = max(top_peak.get((code, entity), 0), peak)
                for (code, entity), count in rt.thread_refusals.items():
                    refusals[code][entity] = count
                    top_refusals[(code, entity)] += count
                for (code, entity), count in rt.inflight.items():
                    if count:
                        flight[code][entity] = count
                        top_flight[(code, entity)] += count
                databases[name] = {
                    "total_requests": sum(rt.requests.values()),
                    "requests": dict(rt.requests),
                    "max_concurrency": dict(peaks),
                    "in_flight": dict(flight),
                    "thread_limit_refusals": sum(rt.thread_refusals.values()),
                    "thread_limit_refusals_by_entity": dict(refusals),
                    "threshold_refusals": rt.threshold_refusals,
                    "threshold_requests_in_window": rt.window.count(window),
                }

        def nest(counter):
            out = collections.defaultdict(dict)
            for (code, entity), value in counter.items():
                if value:
                    out[code][entity] = value
            return dict(out)
        return {
            "in_flight": nest(top_flight),
            "max_concurrency": nest(top_peak),
            "thread_limit_refusals": sum(top_refusals.values()),
            "thread_limit_refusals_by_entity": nest(top_refusals),
            "threshold_refusals": sum(d["threshold_refusals"] for d in databases.values()),
            "threshold_requests_in_window": max(
                [d["threshold_requests_in_window"] for d in databases.values()] or [0]),
            "databases": databases,
        }

    # ------------------------------------------------------------------
    # Request pipeline
    # ------------------------------------------------------------------
    @staticmethod
    def _segments(req):
        """Lower-case path segments after ``/ATServicesRest/``, or None."""
        path = req.path.lower()
        if not path.startswith(PREFIX):
            return None
        return [s for s in path[len(PREFIX):].split("/") if s]

    def entity_of(self, req):
        """``Entity`` for reads/writes, ``Entity/query...`` for queries."""
        segs = self._segments(req) or []
        if len(segs) < 2:
            return "/".join(segs) or req.path
        head, rest = segs[1], [s for s in segs[2:] if not s.isdigit()]
        if head == "contracts" and rest and rest[0] in model.CHILD_BY_SUB:
            return model.CHILD_BY_SUB[rest[0]].name
        entity = model.ENTITY_BY_LOWER.get(head)
        name = entity.name if entity else {"zoneinformation": "ZoneInformation",
                                           "thresholdinformation": "ThresholdInformation"
                                           }.get(head, head)
        return "/".join([name] + rest)

    def serve(self, req):
        """Every answer costs ``processing_ms`` (plus injected latency), except refusals by
        the request threshold and the thread limit; inside the thread slot for the
        routes that take one."""
        service_s = req.delay_s + self.config["processing_ms"] / 1000.0
        segs = self._segments(req)
        if segs == ["versioninformation"]:
            self.core.sleep(service_s)
            return Response(200, {"apiVersions": ["V1.0"]})
        if not segs or segs[0] != "v1.0":
            self.core.sleep(service_s)
            fail(404, "No HTTP resource was found that matches the request URI '%s'." % req.path)
        if segs[1:2] == ["zoneinformation"]:
            self.core.sleep(service_s)
            with self.core.lock:
                return self._zone_information(req)
        try:
            with self.core.lock:
                store, code = self._authenticate(req)
        except HttpError:
            self.core.sleep(service_s)
            raise
        rt = self._rt(store.name)
        self._count_request(rt)
        try:
            route = self._resolve(req.method, segs[1:])
        except HttpError:
            self.core.sleep(service_s)
            raise
        with self._thread_slot(rt, code, route.entity):
            self.core.sleep(service_s + self._tier_delay_ms(rt) / 1000.0)
            with self.core.lock:
                if self.dbs.get(store.name) is not store:   # replaced meanwhile
                    store = self._database(store.name)
                return route.handler(req, store, *route.args)

    def _zone_information(self, req):
        if req.method != "GET":
            not_allowed(req.method)
        user = req.arg_ci("user")
        store = self._user(user)[0] if user else None
        if store is None:
            fail(500, "Zone information could not be determined")
        zone = store.meta["zone"]
        return Response(200, {"zoneName": zone["zoneName"],
                              "url": self.base_url + "/ATServicesRest/",
                              "webUrl": self.base_url + "/", "ci": zone["ci"]})

    def _authenticate(self, req):
        """Check the three headers; returns (database, integration code)."""
        name, secret = req.header("UserName"), req.header("Secret")
        if not name or secret is None:
            fail(401, "Authorization has been denied for this request.")
        store, user = self._user(name)
        if user is None:
            fail(500, "Zone information could not be determined")
        if user["secret"] != secret:
            fail(401, "Authorization has been denied for this request.")
        code = req.header("ApiIntegrationCode") or ""
        if code not in store.meta["integrationCodes"]:
            fail(500, "IntegrationCode is invalid.")
        return store, code

    # -- hourly threshold (per database) -----------------------------------
    def _used_requests(self, rt):
        return (rt.window.count(self.config["threshold_window_s"])
                + self.config["external_request_count"])

    def _count_request(self, rt):
        if self._used_requests(rt) >= self.config["hourly_cap"]:
            with self._slots_lock:
                rt.threshold_refusals += 1
            raise HttpError(self._threshold_response(
                rt.window.seconds_until_free(self.config["threshold_window_s"])))
        rt.window.add()

    def _threshold_response(self, retry_after):
        status = self.config["threshold_status"]
        headers = [("Retry-After", str(retry_after))] if status == 429 else []
        return error_response(
            status, "API request threshold exceeded: this database is limited to %d "
            "requests per 60 minutes; retry when the rolling hour drops below the limit."
            % self.config["hourly_cap"], headers=headers)

    def _tier_delay_ms(self, rt):
        cap = self.config["hourly_cap"]
        share = self._used_requests(rt) / cap if cap else 1.0
        if share >= 0.75:
            return self.config["threshold_latency_75_ms"]
        return self.config["threshold_latency_50_ms"] if share >= 0.5 else 0

    # -- thread limit (per database, integration code and entity) ---------
    @contextlib.contextmanager
    def _thread_slot(self, rt, code, entity):
        key = (code, entity)
        with self._slots_lock:
            if rt.inflight[key] >= self.config["thread_limit"]:
                rt.thread_refusals[key] += 1
                raise HttpError(self._thread_limit_response())
            rt.inflight[key] += 1
            rt.max_inflight[key] = max(rt.max_inflight.get(key, 0), rt.inflight[key])
        try:
            yield
        finally:
            with self._slots_lock:
                rt.inflight[key] -= 1

    def _thread_limit_response(self):
        limit, retry = self.config["thread_limit"], self.config["thread_limit_retry_after"]
        return error_response(
            self.config["thread_limit_status"],
            "Thread Threshold Exceeded: The Autotask API thread threshold of %d threads "
            "has been exceeded. (Itgenatr005)" % limit,
            headers=[("Retry-After", str(retry))] if retry else [])

    def fault_response(self, kind, params):
        if kind == "http429":
            return self._threshold_response(int(params.get("retry_after", 30)))
        if kind == "thread_limit":
            return self._thread_limit_response()
        if kind == "bad_credentials":
            return error_response(401, "Authorization has been denied for this request.")
        return error_response(int(params.get("status", 500)),
                              params.get("message", "An unexpected error has occurred."))

    # ------------------------------------------------------------------
    # Routing (doc/psa-apis.md A3)
    # ------------------------------------------------------------------
    def _resolve(self, method, rest):
        if not rest:
            fail(404, "No HTTP resource was found that matches the request URI.")
        head = rest[0]
        if head == "thresholdinformation" and len(rest) == 1:
            if method != "GET":
                not_allowed(method)
            return Route("ThresholdInformation", self._threshold_information)
        if head == "contracts" and len(rest) >= 3 and rest[2] in model.CHILD_BY_SUB:
            return self._resolve_child(method, rest)
        entity = model.ENTITY_BY_LOWER.get(head)
        if entity is None:
            fail(404, "No HTTP resource was found that matches the request URI '%s'." % head)
        return self._resolve_entity(method, entity, rest[1:])

    def _resolve_entity(self, method, entity, tail):
        if not tail:
            return self._resolve_root_write(method, entity)
        if tail[0] == "query" and entity.queryable and len(tail) <= 2:
            return self._resolve_query(method, entity, tail[1:])
        if tail[0] == "entityinformation" and len(tail) <= 2:
            if method != "GET":
                not_allowed(method)
            return Route(entity.name, self._entity_information, entity, tail[1:])
        if len(tail) == 1 and tail[0].isdigit() and entity.queryable:
            if method != "GET":
                not_allowed(method)
            return Route(entity.name, self._get_one, entity, int(tail[0]))
        not_allowed(method)

    def _resolve_root_write(self, method, entity):
        if entity.name == "ContractServiceAdjustments" and method == "POST":
            return Route(entity.name, self._create_adjustment, None)
        if not entity.root_write or method not in ("POST", "PATCH", "PUT"):
            not_allowed(method)
        handler = {"POST": self._create, "PATCH": self._update, "PUT": self._replace}[method]
        return Route(entity.name, handler, entity, None)

    def _resolve_query(self, method, entity, tail):
        if method not in ("GET", "POST"):
            not_allowed(method)
        handler = {(): self._query, ("count",): self._count,
                   ("next",): self._query_next}.get(tuple(tail))
        if handler is None:
            fail(404, "No HTTP resource was found that matches the request URI.")
        return Route(entity.name, handler, entity)

    def _resolve_child(self, method, rest):
        entity = model.CHILD_BY_SUB[rest[2]]
        if not rest[1].isdigit() or len(rest) > 4 or method not in entity.child_verbs:
            not_allowed(method)
        parent = int(rest[1])
        if len(rest) == 4:
            if not rest[3].isdigit() or method not in ("GET", "DELETE"):
                not_allowed(method)
            handler = self._get_child if method == "GET" else self._delete_child
            return Route(entity.name, handler, entity, parent, int(rest[3]))
        if entity.name == "ContractServiceAdjustments":
            return Route(entity.name, self._create_adjustment, parent)
        handler = {"GET": self._list_children, "POST": self._create,
                   "PATCH": self._update, "PUT": self._replace}.get(method)
        if handler is None:
            not_allowed(method)
        return Route(entity.name, handler, entity, parent)

    # ------------------------------------------------------------------
    # Reads
    # ------------------------------------------------------------------
    def _threshold_information(self, req, db):
        return Response(200, {
            "externalRequestThreshold": self.config["hourly_cap"],
            "requestThresholdTimeframe": self.config["threshold_window_s"] // 60,
            "currentTimeframeRequestCount": self._used_requests(self._rt(db.name)),
        })

    def _get_one(self, req, db, entity, item_id):
        row = db.get(entity.name, item_id)
        return Response(200, {"item": dict(row)}) if row else self._not_found(entity, item_id)

    def _not_found(self, entity, item_id):
        mode = self.config["not_found_mode"]
        if mode == "200null":
            return Response(200, {"item": None})
        if mode == "200empty":
            return Response(200, b"")
        return error_response(404, "%s with id %s was not found." % (entity.singular, item_id))

    def _get_child(self, req, db, entity, parent, item_id):
        row = db.get(entity.name, item_id)
        if not row or row.get("contractID") != parent:
            return self._not_found(entity, item_id)
        return Response(200, {"item": dict(row)})

    def _list_children(self, req, db, entity, parent):
        self._contract(db, parent)
        found = (db.units_of_contracts([parent]) if entity.name == model.UNITS
                 else db.children(entity.name, [parent]))
        rows = [dict(r) for r in found]
        return Response(200, {"items": rows, "pageDetails": {
            "count": len(rows), "requestCount": len(rows),
            "prevPageUrl": None, "nextPageUrl": None}})

    def _entity_information(self, req, db, entity, tail):
        if not tail:
            return Response(200, {"info": self._entity_info(entity)})
        if tail == ["fields"]:
            return Response(200, {"fields": [self._field_info(db, entity, f)
                                             for f in entity.fields.values()]})
        if tail == ["userdefinedfields"]:
            return Response(200, {"fields": []})
        fail(404, "No HTTP resource was found that matches the request URI.")

    @staticmethod
    def _entity_info(entity):
        writable = entity.root_write or bool(entity.child_verbs - {"GET"})
        return {"name": entity.singular, "canCreate": writable,
                "canDelete": "DELETE" in entity.child_verbs, "canQuery": entity.queryable,
                "canUpdate": writable and entity.name != "ContractServiceAdjustments",
                "hasUserDefinedFields": entity.udf, "supportsWebhookCallouts": False,
                "userAccessForCreate": "All", "userAccessForDelete": "All",
                "userAccessForQuery": "All", "userAccessForUpdate": "All"}

    def _field_info(self, db, entity, field):
        values = db.meta["picklists"].get("%s.%s" % (entity.name, field.name))
        return {
            "name": field.name, "dataType": field.type, "length": field.length,
            "isRequired": field.required, "isReadOnly": field.readonly,
            "isQueryable": entity.queryable, "isReference": field.ref is not None,
            "referenceEntityType": model.ENTITIES[field.ref].singular if field.ref else "",
            "isPickList": field.picklist,
            "picklistValues": [dict(v, value=str(v["value"])) for v in values]
            if field.picklist and values is not None else None,
            "picklistParentValueField": "", "isSupportedWebhookField": False,
        }

    # -- queries and paging (A4/A5) ----------------------------------------
    def _query_body(self, req):
        if req.method == "POST":
            try:
                return req.json()
            except ValueError:
                fail(500, "The query body is not valid JSON.")
        search = req.arg_ci("search")
        if not search:
            fail(500, "Invalid query: the search parameter is required.")
        try:
            return json.loads(search)
        except ValueError:
            fail(500, "The search parameter is not valid JSON.")

    def _parse(self, req, entity):
        try:
            return parse_query(self._query_body(req), entity)
        except QueryError as err:
            fail(500, str(err))

    @staticmethod
    def _candidates(db, entity, query):
        """(rows in id order, the field an index chose them by or None): narrowed by an
        index when the filter requires ``id`` / ``contractID`` / ``contractServiceID`` to
        be one of some values (top-level ``eq`` / ``in``), else every row."""
        terms = query.terms
        if "id" in terms:
            found = (db.get(entity.name, i) for i in sorted(terms["id"]))
            return [r for r in found if r is not None], "id"
        if entity.name == model.UNITS:
            if "contractServiceID" in terms:
                return db.units_of_services(terms["contractServiceID"]), "contractServiceID"
            if "contractID" in terms:
                return db.units_of_contracts(terms["contractID"]), "contractID"
        elif entity.name in model.CONTRACT_CHILDREN and "contractID" in terms:
            return db.children(entity.name, terms["contractID"]), "contractID"
        return db.rows(entity.name), None

    def _matches(self, db, entity, query):
        """Rows matching the query, in id order; conditions an index satisfied are not
        evaluated again."""
        rows, field = self._candidates(db, entity, query)
        predicate = query.predicate_without(field) if field else query.predicate
        return rows if predicate is None else [r for r in rows if predicate(r)]

    def _count(self, req, db, entity):
        return Response(200, {"queryCount": len(self._matches(db, entity,
                                                               self._parse(req, entity)))})

    def _query(self, req, db, entity):
        return self._page(req, db, entity, self._parse(req, entity), None, None)

    def _query_next(self, req, db, entity):
        try:
            paging = json.loads(req.arg_ci("paging") or "")
            method = paging["method"]
            after = (paging.get("nextIds") or [None])[0]
            before = (paging.get("previousIds") or [None])[0]
        except (ValueError, KeyError, TypeError, AttributeError):
            fail(500, "The paging parameter is invalid.")
        if method != req.method:
            not_allowed(req.method)
        return self._page(req, db, entity, self._parse(req, entity), after, before)

    def _page(self, req, db, entity, query, after, before):
        rows, size = self._matches(db, entity, query), query.max_records
        if after is not None:
            window = [r for r in rows if r["id"] > after][:size]
        elif before is not None:
            window = [r for r in rows if r["id"] < before][-size:]
        else:
            window = rows[:size]
        has_next = bool(window) and rows[-1]["id"] > window[-1]["id"]
        has_prev = bool(window) and rows[0]["id"] < window[0]["id"]
        details = {
            "count": len(window), "requestCount": size,
            "prevPageUrl": self._page_url(req, entity, query, "previousIds", window[0]["id"])
            if has_prev else None,
            "nextPageUrl": self._page_url(req, entity, query, "nextIds", window[-1]["id"])
            if has_next else None,
        }
        items = [self._project(r, query.include_fields) for r in window]
        return Response(200, {"items": items, "pageDetails": details})

    def _page_url(self, req, entity, query, direction, marker):
        paging = {"pageSize": query.max_records, "previousIds": [], "nextIds": [],
                  "method": req.method}
        paging[direction] = [marker]
        params = urllib.parse.urlencode({
            "paging": json.dumps(paging, separators=(",", ":")),
            "search": json.dumps(query.source, separators=(",", ":"))})
        return "%s/ATServicesRest/V1.0/%s/query/next?%s" % (self.base_url, entity.name, params)

    @staticmethod
    def _project(row, include):
        """The row as answered (stored rows are never changed in place: no copy needed)."""
        if not include:
            return row
        return {name: row.get(name) for name in include}

    # ------------------------------------------------------------------
    # Writes: generic create / update / replace
    # ------------------------------------------------------------------
    def _body(self, req):
        try:
            body = req.json()
        except ValueError:
            fail(500, "The request body is not valid JSON.")
        if not isinstance(body, dict):
            fail(500, "The request body must be a JSON object.")
        return body

    def _coerce(self, field, value):
        try:
            value = coerce_value(field.type, value, field.name)
        except QueryError as err:
            fail(500, str(err))
        if isinstance(value, dt.datetime):
            return (model.format_date(value.date()) if field.date_only
                    else model.format_datetime(value))
        if field.type == "decimal" and value is not None:
            return round(value, 4)
        return value

    def _apply(self, entity, body, row, creating):
        for key, value in body.items():
            if key.lower() == "userdefinedfields" and entity.udf:
                row["userDefinedFields"] = value if isinstance(value, list) else []
                continue
            field = entity.field(key)
            if field is None or field.readonly:
                continue
            new = self._coerce(field, value)
            if not creating and field.createonly and new != row.get(field.name):
                fail(500, "Field %s cannot be changed once the %s exists."
                     % (field.name, entity.singular))
            row[field.name] = new

    def _validate(self, db, entity, row):
        for field in entity.fields.values():
            value = row.get(field.name)
            if field.required and not field.readonly and value in (None, ""):
                fail(500, "Required field %s is missing." % field.name)
            if value is None:
                continue
            if field.length and isinstance(value, str) and len(value) > field.length:
                fail(500, "Value of field %s exceeds its maximum length of %d."
                     % (field.name, field.length))
            if field.picklist and not self._in_picklist(db, entity, field, value):
                fail(500, "Value %s is not a valid picklist value for field %s."
                     % (value, field.name))
            if field.ref and value not in db.tables[field.ref]:
                fail(500, "Reference value on field: %s of type: %s does not exist or is "
                     "invalid." % (field.name, model.ENTITIES[field.ref].singular))

    def _in_picklist(self, db, entity, field, value):
        values = db.meta["picklists"].get("%s.%s" % (entity.name, field.name))
        return values is None or any(v["value"] == value for v in values)

    def _create(self, req, db, entity, parent):
        body = self._body(req)
        row = self._blank(entity)
        if parent is not None:
            self._check_parent(body, parent)
            body = dict(body, contractID=parent)
        self._apply(entity, body, row, creating=True)
        self._check_rules(db, entity, row, None)
        row["id"] = self._new_id()
        self._stamp(entity, row, created=True)
        db.put(entity.name, row)
        self.changed()
        return Response(200, {"itemId": row["id"]})

    def _update(self, req, db, entity, parent):
        return self._write_existing(req, db, entity, parent, replace=False)

    def _replace(self, req, db, entity, parent):
        return self._write_existing(req, db, entity, parent, replace=True)

    def _write_existing(self, req, db, entity, parent, replace):
        body = self._body(req)
        old = self._existing(db, entity, body, parent)
        row = dict(old)
        if replace:
            for field in entity.fields.values():
                if not field.readonly and not field.createonly:
                    row[field.name] = field.default
        self._apply(entity, body, row, creating=False)
        self._check_rules(db, entity, row, old)
        self._stamp(entity, row, created=False)
        db.put(entity.name, row)
        self.changed()
        return Response(200, {"itemId": row["id"]})

    def _existing(self, db, entity, body, parent):
        item_id = next((v for k, v in body.items() if k.lower() == "id"), None)
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            fail(500, "The id of the %s to update is required in the body." % entity.singular)
        old = db.tables[entity.name].get(item_id)
        if old is None or (parent is not None and old.get("contractID") != parent):
            fail(500, "%s with id %s was not found." % (entity.singular, item_id))
        return old

    @staticmethod
    def _check_parent(body, parent):
        given = next((v for k, v in body.items() if k.lower() == "contractid"), None)
        if given is not None and given != parent:
            fail(500, "contractID %s in the body does not match the parent contract %s."
                 % (given, parent))

    def _stamp(self, entity, row, created):
        now = iso_now()
        stamps = {"Companies": ("createDate", "lastTrackedModifiedDateTime"),
                  "Contracts": (None, "lastModifiedDateTime"),
                  "Services": ("createDate", "lastModifiedDate"),
                  "ContractCharges": ("createDate", None)}.get(entity.name, (None, None))
        if created and stamps[0]:
            row[stamps[0]] = now
        if stamps[1]:
            row[stamps[1]] = now

    def _delete_child(self, req, db, entity, parent, item_id):
        row = db.tables[entity.name].get(item_id)
        if row is None or row.get("contractID") != parent:
            return self._not_found(entity, item_id)
        if row.get("isBilled"):
            fail(500, "This charge has already been billed and cannot be deleted.")
        db.delete(entity.name, item_id)
        self.changed()
        return Response(200, {"itemId": item_id})

    # ------------------------------------------------------------------
    # Entity rules
    # ------------------------------------------------------------------
    def _check_rules(self, db, entity, row, old):
        self._validate(db, entity, row)
        check = {"Contracts": self._check_contract, "Services": self._check_service,
                 "ContractServices": self._check_contract_service,
                 "ContractCharges": self._check_charge}.get(entity.name)
        if check:
            check(db, row, old)

    @staticmethod
    def _contract(db, contract_id):
        contract = db.tables["Contracts"].get(contract_id)
        if contract is None:
            fail(500, "Reference value on field: contractID of type: Contract does not exist "
                 "or is invalid.")
        return contract

    @staticmethod
    def _check_contract(db, row, old):
        if parse_date(row["endDate"]) < parse_date(row["startDate"]):
            fail(500, "The contract endDate must be on or after its startDate.")
        if row["contractType"] == model.RECURRING_SERVICE and row["contractPeriodType"] is None:
            fail(500, "contractPeriodType is required for Recurring Service contracts.")

    def _check_service(self, db, row, old):
        for other in db.tables["Services"].values():
            if other["id"] != row.get("id") and other["name"].lower() == row["name"].lower():
                fail(500, "Violation of UNIQUE KEY constraint 'IX_service'. Cannot insert "
                     "duplicate key in object 'dbo.service'. The duplicate key value is (%s)."
                     % row["name"])
        code = db.tables["BillingCodes"][row["billingCodeID"]]
        if not self._billing_code_is(db, code, "recurring contract service"):
            fail(500, "billingCodeID must reference an active Recurring Contract Service "
                 "billing code.")

    @staticmethod
    def _billing_code_is(db, code, label):
        use = model.picklist_label(db.meta["picklists"], "BillingCodes.useType",
                                   code.get("useType"))
        return use == label and code.get("isActive") is not False

    def _check_contract_service(self, db, row, old):
        contract = self._contract(db, row["contractID"])
        if old is None:
            if contract["contractType"] != model.RECURRING_SERVICE:
                fail(500, "Services can only be added to Recurring Service contracts.")
            if any(r["serviceID"] == row["serviceID"]
                   for r in db.contract_services(contract["id"])):
                fail(500, "The service %s is already associated with contract %s."
                     % (row["serviceID"], contract["id"]))
        service = db.tables["Services"][row["serviceID"]]
        for name in ("unitPrice", "unitCost"):
            if row.get(name) is None:
                row[name] = service.get(name)
        row["internalCurrencyUnitPrice"] = row["unitPrice"]
        row["internalCurrencyAdjustedPrice"] = row["unitPrice"]

    def _check_charge(self, db, row, old):
        if old is not None and old.get("isBilled"):
            fail(500, "This charge has already been billed and cannot be modified.")
        contract = self._contract(db, row["contractID"])
        if contract["contractType"] in model.NO_CHARGE_CONTRACT_TYPES:
            fail(500, "Charges cannot be added to Block Hour, Retainer or Per Ticket contracts.")
        if row.get("productID") is None and row.get("billingCodeID") is None:
            fail(500, "A ContractCharge requires either a productID or a billingCodeID.")
        code = db.tables["BillingCodes"].get(row.get("billingCodeID"))
        if code is not None and not self._billing_code_is(db, code, "material cost code"):
            fail(500, "billingCodeID must reference an active Material Cost Code.")
        if row.get("status") is None:
            row["status"] = model.picklist_default(db.meta["picklists"],
                                                   "ContractCharges.status")
        if row.get("unitPrice") is None:
            source = code or db.tables["Products"].get(row.get("productID")) or {}
            row["unitPrice"] = source.get("unitPrice")
        self._derive_charge_amounts(row)

    @staticmethod
    def _derive_charge_amounts(row):
        qty = row.get("unitQuantity")
        if qty is not None:
            row["unitQuantity"] = round(qty, 4)
        price, cost = row.get("unitPrice"), row.get("unitCost")
        row["billableAmount"] = round(qty * price, 2) if None not in (qty, price) else None
        row["extendedCost"] = round(qty * cost, 2) if None not in (qty, cost) else None
        row["internalCurrencyBillableAmount"] = row["billableAmount"]
        row["internalCurrencyUnitPrice"] = price

    # ------------------------------------------------------------------
    # Service adjustments (units are derived by the store, see autotask_model)
    # ------------------------------------------------------------------
    def _create_adjustment(self, req, db, parent):
        entity = model.ENTITIES["ContractServiceAdjustments"]
        body = self._body(req)
        if parent is not None:
            self._check_parent(body, parent)
            body = dict(body, contractID=parent)
        adj = self._blank(entity)
        self._apply(entity, body, adj, creating=True)
        self._validate(db, entity, adj)
        contract = self._contract(db, adj["contractID"])
        if contract["contractType"] != model.RECURRING_SERVICE:
            fail(500, "Service adjustments can only be made on Recurring Service contracts.")
        service_row = self._adjusted_service(db, contract, adj)
        self._place_effective_date(db, contract, adj)
        existing = db.adjustments_of(service_row["id"]) if service_row else []
        replaced = self._same_day_clash(existing, adj)
        self._check_units_stay_positive([a for a in existing if a not in replaced] + [adj])
        for old in replaced:
            db.delete(entity.name, old["id"])
        if service_row is None:
            service_row = self._implicit_contract_service(db, contract, adj)
        adj.update(id=self._new_id(), contractServiceID=service_row["id"],
                   serviceID=service_row["serviceID"])
        db.put(entity.name, adj)
        self.changed()
        item_id = adj["id"] if self.config["adjustment_item_id"] == "id" else 0
        return Response(200, {"itemId": item_id})

    @staticmethod
    def _adjusted_service(db, contract, adj):
        """The adjusted contract service, or None when it must be created."""
        if adj["contractServiceID"] is not None:
            row = db.tables["ContractServices"][adj["contractServiceID"]]
            if row["contractID"] != contract["id"]:
                fail(500, "contractServiceID %s does not belong to contract %s."
                     % (row["id"], contract["id"]))
            if adj["serviceID"] not in (None, row["serviceID"]):
                fail(500, "serviceID does not match the contract service's service.")
            return row
        if adj["serviceID"] is None:
            fail(500, "Either contractServiceID or serviceID must be specified.")
        return next((r for r in db.contract_services(contract["id"])
                     if r["serviceID"] == adj["serviceID"]), None)

    def _place_effective_date(self, db, contract, adj):
        day = parse_date(adj["effectiveDate"])
        start, end = parse_date(contract["startDate"]), parse_date(contract["endDate"])
        if not start <= day <= end:
            fail(500, "The effectiveDate %s is outside the contract period %s to %s."
                 % (day.isoformat(), start.isoformat(), end.isoformat()))
        posted = db.posted_through(contract["id"])
        if posted and day <= posted:
            if self.config["posted_period_mode"] != "shift":
                fail(500, "Unable to make changes as it would result in the deletion/"
                     "modification of an already approved and posted contract period.")
            adj["effectiveDate"] = model.format_date(posted + dt.timedelta(days=1))

    def _same_day_clash(self, existing, adj):
        """Apply the same-day rule; returns the adjustments the new one replaces."""
        clash = [a for a in existing if a["effectiveDate"] == adj["effectiveDate"]]
        mode = self.config["same_day_adjustment_mode"]
        if not clash or mode == "accumulate":
            return []
        if mode == "replace":
            return clash
        fail(500, "An adjustment for contract service %s with effective date %s already "
             "exists." % (clash[0]["contractServiceID"], adj["effectiveDate"][:10]))

    @staticmethod
    def _check_units_stay_positive(adjustments):
        units = 0
        for adj in sorted(adjustments, key=lambda a: a["effectiveDate"]):
            units += adj["unitChange"] or 0
            if units < 0:
                fail(500, "The unit change would reduce the service below zero units on %s."
                     % adj["effectiveDate"][:10])

    def _implicit_contract_service(self, db, contract, adj):
        service = db.tables["Services"][adj["serviceID"]]
        price = adj["adjustedUnitPrice"]
        cost = adj["adjustedUnitCost"]
        row = self._blank(model.ENTITIES["ContractServices"])
        row.update(id=self._new_id(), contractID=contract["id"], serviceID=service["id"],
                   unitPrice=service["unitPrice"] if price is None else price,
                   unitCost=service.get("unitCost") if cost is None else cost,
                   invoiceDescription=service.get("invoiceDescription"))
        row["internalCurrencyUnitPrice"] = row["internalCurrencyAdjustedPrice"] = row["unitPrice"]
        db.put("ContractServices", row)
        return row


SIMULATOR = AutotaskSim
