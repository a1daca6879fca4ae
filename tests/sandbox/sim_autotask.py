"""Datto Autotask PSA REST v1.0 simulator (doc/psa-apis.md part A, A8).

Serves ``/ATServicesRest/V1.0/...`` (any case): zone discovery, header auth,
root and child routes (A3), the query language with paging (A4/A5), entity
metadata with picklists, the recurring-service billing model
(ContractServices + create-only ServiceAdjustments -> derived
ContractServiceUnits), ContractCharges, the rolling hourly request threshold
and the per (integration code, entity) thread limit (A6).

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


class AutotaskSim(Simulator):
    """The Autotask plugin."""

    name = "autotask"
    DEFAULT_CONFIG = {
        "thread_limit": 3,                  # concurrent requests per (code, entity)
        "thread_limit_status": 429,         # 429 or 500 for thread-limit refusals
        "thread_limit_retry_after": 0,      # seconds; 0 = no Retry-After header
        "hourly_cap": 10000,                # requests per rolling window (tenant)
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
        self._inflight = collections.Counter()
        self._window = RollingCounter()
        self.reset_stats()

    # ------------------------------------------------------------------
    # State
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

    def fresh_store(self):
        meta = {k: v for k, v in self.empty_state().items() if k != "entities"}
        return meta, {name: {} for name in model.ENTITIES}

    def merge_data(self, data):
        data = json.loads(json.dumps(data))
        unknown = set(data) - set(self.empty_state())
        if unknown:
            raise ValueError("unknown Autotask state keys: %s" % ", ".join(sorted(unknown)))
        for key, value in data.items():
            if key == "entities":
                continue
            if isinstance(value, dict) and isinstance(self.meta.get(key), dict):
                self.meta[key].update(value)
            else:
                self.meta[key] = value
        entities = data.get("entities") or {}
        for name, rows in entities.items():
            if name not in model.ENTITIES:
                raise ValueError("unknown Autotask entity %r" % name)
            if name == "ContractServiceUnits" and rows:
                raise ValueError("ContractServiceUnits are derived; seed "
                                 "ContractServiceAdjustments instead")
        for name, rows in entities.items():
            for row in rows:
                self._upsert(model.ENTITIES[name], row)
        self._rebuild_all_units()

    def _upsert(self, entity, row):
        table = self.tables[entity.name]
        if row.get("id") is None:
            row["id"] = self._new_id()
        current = table.get(row["id"]) or self._blank(entity)
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
        table[current["id"]] = current
        self.meta["nextId"] = max(self.meta["nextId"], current["id"] + 1)

    def load_state(self, data):
        """A saved store includes the derived ContractServiceUnits; they are rebuilt from
        the adjustments, so drop them before loading."""
        data = dict(data)
        data["entities"] = {k: v for k, v in (data.get("entities") or {}).items()
                            if k != "ContractServiceUnits"}
        super().load_state(data)

    def dump_state(self):
        out = dict(self.meta)
        out["entities"] = {name: [dict(r) for _, r in sorted(t.items())]
                           for name, t in self.tables.items()}
        return out

    def _new_id(self):
        value = self.meta["nextId"]
        self.meta["nextId"] = value + 1
        return value

    @staticmethod
    def _blank(entity):
        row = {name: f.default for name, f in entity.fields.items()}
        if entity.udf:
            row["userDefinedFields"] = []
        return row

    # ------------------------------------------------------------------
    # Statistics
    # ------------------------------------------------------------------
    def reset_stats(self):
        with self._slots_lock:
            self._max_inflight = {}
            self._thread_refusals = collections.Counter()
            self._threshold_refusals = 0
        self._window.clear()

    def extra_stats(self):
        with self._slots_lock:
            concurrency = collections.defaultdict(dict)
            for (code, entity), peak in self._max_inflight.items():
                concurrency[code][entity] = peak
            refusals = collections.defaultdict(dict)
            for (code, entity), count in self._thread_refusals.items():
                refusals[code][entity] = count
            in_flight = collections.defaultdict(dict)
            for (code, entity), count in self._inflight.items():
                if count:
                    in_flight[code][entity] = count
            return {
                "in_flight": dict(in_flight),
                "max_concurrency": dict(concurrency),
                "thread_limit_refusals": sum(self._thread_refusals.values()),
                "thread_limit_refusals_by_entity": dict(refusals),
                "threshold_refusals": self._threshold_refusals,
                "threshold_requests_in_window": self._window.count(
                    self.config["threshold_window_s"]),
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
        segs = self._segments(req)
        if segs == ["versioninformation"]:
            return Response(200, {"apiVersions": ["V1.0"]})
        if not segs or segs[0] != "v1.0":
            fail(404, "No HTTP resource was found that matches the request URI '%s'." % req.path)
        if segs[1:2] == ["zoneinformation"]:
            self.core.sleep(req.delay_s)
            with self.core.lock:
                return self._zone_information(req)
        with self.core.lock:
            code = self._authenticate(req)
        self._count_request()
        route = self._resolve(req.method, segs[1:])
        with self._thread_slot(code, route.entity):
            delay_ms = self._tier_delay_ms() + self.config["processing_ms"]
            self.core.sleep(req.delay_s + delay_ms / 1000.0)
            with self.core.lock:
                return route.handler(req, *route.args)

    def _zone_information(self, req):
        if req.method != "GET":
            not_allowed(req.method)
        user = req.arg_ci("user")
        if not user or self._user(user) is None:
            fail(500, "Zone information could not be determined")
        zone = self.meta["zone"]
        return Response(200, {"zoneName": zone["zoneName"],
                              "url": self.base_url + "/ATServicesRest/",
                              "webUrl": self.base_url + "/", "ci": zone["ci"]})

    def _user(self, name):
        for user in self.meta["apiUsers"]:
            if user["userName"].lower() == name.lower():
                return user
        return None

    def _authenticate(self, req):
        """Check the three headers; returns the integration code."""
        name, secret = req.header("UserName"), req.header("Secret")
        if not name or secret is None:
            fail(401, "Authorization has been denied for this request.")
        user = self._user(name)
        if user is None:
            fail(500, "Zone information could not be determined")
        if user["secret"] != secret:
            fail(401, "Authorization has been denied for this request.")
        code = req.header("ApiIntegrationCode") or ""
        if code not in self.meta["integrationCodes"]:
            fail(500, "IntegrationCode is invalid.")
        return code

    # -- hourly threshold --------------------------------------------------
    def _used_requests(self):
        return (self._window.count(self.config["threshold_window_s"])
                + self.config["external_request_count"])

    def _count_request(self):
        if self._used_requests() >= self.config["hourly_cap"]:
            with self._slots_lock:
                self._threshold_refusals += 1
            raise HttpError(self._threshold_response(
                self._window.seconds_until_free(self.config["threshold_window_s"])))
        self._window.add()

    def _threshold_response(self, retry_after):
        status = self.config["threshold_status"]
        headers = [("Retry-After", str(retry_after))] if status == 429 else []
        return error_response(
            status, "API request threshold exceeded: this database is limited to %d "
            "requests per 60 minutes; retry when the rolling hour drops below the limit."
            % self.config["hourly_cap"], headers=headers)

    def _tier_delay_ms(self):
        cap = self.config["hourly_cap"]
        share = self._used_requests() / cap if cap else 1.0
        if share >= 0.75:
            return self.config["threshold_latency_75_ms"]
        return self.config["threshold_latency_50_ms"] if share >= 0.5 else 0

    # -- thread limit ------------------------------------------------------
    @contextlib.contextmanager
    def _thread_slot(self, code, entity):
        key = (code, entity)
        with self._slots_lock:
            if self._inflight[key] >= self.config["thread_limit"]:
                self._thread_refusals[key] += 1
                raise HttpError(self._thread_limit_response())
            self._inflight[key] += 1
            self._max_inflight[key] = max(self._max_inflight.get(key, 0), self._inflight[key])
        try:
            yield
        finally:
            with self._slots_lock:
                self._inflight[key] -= 1

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
    def _threshold_information(self, req):
        return Response(200, {
            "externalRequestThreshold": self.config["hourly_cap"],
            "requestThresholdTimeframe": self.config["threshold_window_s"] // 60,
            "currentTimeframeRequestCount": self._used_requests(),
        })

    def _get_one(self, req, entity, item_id):
        row = self.tables[entity.name].get(item_id)
        return Response(200, {"item": dict(row)}) if row else self._not_found(entity, item_id)

    def _not_found(self, entity, item_id):
        mode = self.config["not_found_mode"]
        if mode == "200null":
            return Response(200, {"item": None})
        if mode == "200empty":
            return Response(200, b"")
        return error_response(404, "%s with id %s was not found." % (entity.singular, item_id))

    def _get_child(self, req, entity, parent, item_id):
        row = self.tables[entity.name].get(item_id)
        if not row or row.get("contractID") != parent:
            return self._not_found(entity, item_id)
        return Response(200, {"item": dict(row)})

    def _list_children(self, req, entity, parent):
        self._contract(parent)
        rows = [dict(r) for _, r in sorted(self.tables[entity.name].items())
                if r.get("contractID") == parent]
        return Response(200, {"items": rows, "pageDetails": {
            "count": len(rows), "requestCount": len(rows),
            "prevPageUrl": None, "nextPageUrl": None}})

    def _entity_information(self, req, entity, tail):
        if not tail:
            return Response(200, {"info": self._entity_info(entity)})
        if tail == ["fields"]:
            return Response(200, {"fields": [self._field_info(entity, f)
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

    def _field_info(self, entity, field):
        values = self.meta["picklists"].get("%s.%s" % (entity.name, field.name))
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

    def _matches(self, entity, query):
        return [r for _, r in sorted(self.tables[entity.name].items()) if query.predicate(r)]

    def _count(self, req, entity):
        return Response(200, {"queryCount": len(self._matches(entity, self._parse(req, entity)))})

    def _query(self, req, entity):
        return self._page(req, entity, self._parse(req, entity), None, None)

    def _query_next(self, req, entity):
        try:
            paging = json.loads(req.arg_ci("paging") or "")
            method = paging["method"]
            after = (paging.get("nextIds") or [None])[0]
            before = (paging.get("previousIds") or [None])[0]
        except (ValueError, KeyError, TypeError, AttributeError):
            fail(500, "The paging parameter is invalid.")
        if method != req.method:
            not_allowed(req.method)
        return self._page(req, entity, self._parse(req, entity), after, before)

    def _page(self, req, entity, query, after, before):
        rows, size = self._matches(entity, query), query.max_records
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
        if not include:
            return dict(row)
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

    def _validate(self, entity, row):
        for field in entity.fields.values():
            value = row.get(field.name)
            if field.required and not field.readonly and value in (None, ""):
                fail(500, "Required field %s is missing." % field.name)
            if value is None:
                continue
            if field.length and isinstance(value, str) and len(value) > field.length:
                fail(500, "Value of field %s exceeds its maximum length of %d."
                     % (field.name, field.length))
            if field.picklist and not self._in_picklist(entity, field, value):
                fail(500, "Value %s is not a valid picklist value for field %s."
                     % (value, field.name))
            if field.ref and value not in self.tables[field.ref]:
                fail(500, "Reference value on field: %s of type: %s does not exist or is "
                     "invalid." % (field.name, model.ENTITIES[field.ref].singular))

    def _in_picklist(self, entity, field, value):
        values = self.meta["picklists"].get("%s.%s" % (entity.name, field.name))
        return values is None or any(v["value"] == value for v in values)

    def _create(self, req, entity, parent):
        body = self._body(req)
        row = self._blank(entity)
        if parent is not None:
            self._check_parent(body, parent)
            body = dict(body, contractID=parent)
        self._apply(entity, body, row, creating=True)
        self._check_rules(entity, row, None)
        row["id"] = self._new_id()
        self._stamp(entity, row, created=True)
        self.tables[entity.name][row["id"]] = row
        self._after_write(entity, row)
        self.changed()
        return Response(200, {"itemId": row["id"]})

    def _update(self, req, entity, parent):
        return self._write_existing(req, entity, parent, replace=False)

    def _replace(self, req, entity, parent):
        return self._write_existing(req, entity, parent, replace=True)

    def _write_existing(self, req, entity, parent, replace):
        body = self._body(req)
        old = self._existing(entity, body, parent)
        row = dict(old)
        if replace:
            for field in entity.fields.values():
                if not field.readonly and not field.createonly:
                    row[field.name] = field.default
        self._apply(entity, body, row, creating=False)
        self._check_rules(entity, row, old)
        self._stamp(entity, row, created=False)
        self.tables[entity.name][row["id"]] = row
        self._after_write(entity, row)
        self.changed()
        return Response(200, {"itemId": row["id"]})

    def _existing(self, entity, body, parent):
        item_id = next((v for k, v in body.items() if k.lower() == "id"), None)
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            fail(500, "The id of the %s to update is required in the body." % entity.singular)
        old = self.tables[entity.name].get(item_id)
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

    def _delete_child(self, req, entity, parent, item_id):
        row = self.tables[entity.name].get(item_id)
        if row is None or row.get("contractID") != parent:
            return self._not_found(entity, item_id)
        if row.get("isBilled"):
            fail(500, "This charge has already been billed and cannot be deleted.")
        del self.tables[entity.name][item_id]
        self.changed()
        return Response(200, {"itemId": item_id})

    # ------------------------------------------------------------------
    # Entity rules
    # ------------------------------------------------------------------
    def _check_rules(self, entity, row, old):
        self._validate(entity, row)
        check = {"Contracts": self._check_contract, "Services": self._check_service,
                 "ContractServices": self._check_contract_service,
                 "ContractCharges": self._check_charge}.get(entity.name)
        if check:
            check(row, old)

    def _after_write(self, entity, row):
        if entity.name == "ContractServices":
            self._rebuild_units(row)
        elif entity.name == "Contracts":
            for service_row in self._contract_services(row["id"]):
                self._rebuild_units(service_row)

    def _contract(self, contract_id):
        contract = self.tables["Contracts"].get(contract_id)
        if contract is None:
            fail(500, "Reference value on field: contractID of type: Contract does not exist "
                 "or is invalid.")
        return contract

    def _contract_services(self, contract_id):
        return [r for r in self.tables["ContractServices"].values()
                if r["contractID"] == contract_id]

    def _check_contract(self, row, old):
        if parse_date(row["endDate"]) < parse_date(row["startDate"]):
            fail(500, "The contract endDate must be on or after its startDate.")
        if row["contractType"] == model.RECURRING_SERVICE and row["contractPeriodType"] is None:
            fail(500, "contractPeriodType is required for Recurring Service contracts.")

    def _check_service(self, row, old):
        for other in self.tables["Services"].values():
            if other["id"] != row.get("id") and other["name"].lower() == row["name"].lower():
                fail(500, "Violation of UNIQUE KEY constraint 'IX_service'. Cannot insert "
                     "duplicate key in object 'dbo.service'. The duplicate key value is (%s)."
                     % row["name"])
        code = self.tables["BillingCodes"][row["billingCodeID"]]
        if not self._billing_code_is(code, "recurring contract service"):
            fail(500, "billingCodeID must reference an active Recurring Contract Service "
                 "billing code.")

    def _billing_code_is(self, code, label):
        use = model.picklist_label(self.meta["picklists"], "BillingCodes.useType",
                                   code.get("useType"))
        return use == label and code.get("isActive") is not False

    def _check_contract_service(self, row, old):
        contract = self._contract(row["contractID"])
        if old is None:
            if contract["contractType"] != model.RECURRING_SERVICE:
                fail(500, "Services can only be added to Recurring Service contracts.")
            if any(r["serviceID"] == row["serviceID"]
                   for r in self._contract_services(contract["id"])):
                fail(500, "The service %s is already associated with contract %s."
                     % (row["serviceID"], contract["id"]))
        service = self.tables["Services"][row["serviceID"]]
        for name in ("unitPrice", "unitCost"):
            if row.get(name) is None:
                row[name] = service.get(name)
        row["internalCurrencyUnitPrice"] = row["unitPrice"]
        row["internalCurrencyAdjustedPrice"] = row["unitPrice"]

    def _check_charge(self, row, old):
        if old is not None and old.get("isBilled"):
            fail(500, "This charge has already been billed and cannot be modified.")
        contract = self._contract(row["contractID"])
        if contract["contractType"] in model.NO_CHARGE_CONTRACT_TYPES:
            fail(500, "Charges cannot be added to Block Hour, Retainer or Per Ticket contracts.")
        if row.get("productID") is None and row.get("billingCodeID") is None:
            fail(500, "A ContractCharge requires either a productID or a billingCodeID.")
        code = self.tables["BillingCodes"].get(row.get("billingCodeID"))
        if code is not None and not self._billing_code_is(code, "material cost code"):
            fail(500, "billingCodeID must reference an active Material Cost Code.")
        if row.get("status") is None:
            row["status"] = model.picklist_default(self.meta["picklists"],
                                                   "ContractCharges.status")
        if row.get("unitPrice") is None:
            source = code or self.tables["Products"].get(row.get("productID")) or {}
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
    # Service adjustments and derived units
    # ------------------------------------------------------------------
    def _create_adjustment(self, req, parent):
        entity = model.ENTITIES["ContractServiceAdjustments"]
        body = self._body(req)
        if parent is not None:
            self._check_parent(body, parent)
            body = dict(body, contractID=parent)
        adj = self._blank(entity)
        self._apply(entity, body, adj, creating=True)
        self._validate(entity, adj)
        contract = self._contract(adj["contractID"])
        if contract["contractType"] != model.RECURRING_SERVICE:
            fail(500, "Service adjustments can only be made on Recurring Service contracts.")
        service_row = self._adjusted_service(contract, adj)
        self._place_effective_date(contract, adj)
        existing = self._adjustments_of(service_row["id"]) if service_row else []
        replaced = self._same_day_clash(existing, adj)
        self._check_units_stay_positive([a for a in existing if a not in replaced] + [adj])
        for old in replaced:
            del self.tables[entity.name][old["id"]]
        if service_row is None:
            service_row = self._implicit_contract_service(contract, adj)
        adj.update(id=self._new_id(), contractServiceID=service_row["id"],
                   serviceID=service_row["serviceID"])
        self.tables[entity.name][adj["id"]] = adj
        self._rebuild_units(service_row)
        self.changed()
        item_id = adj["id"] if self.config["adjustment_item_id"] == "id" else 0
        return Response(200, {"itemId": item_id})

    def _adjusted_service(self, contract, adj):
        """The adjusted contract service, or None when it must be created."""
        if adj["contractServiceID"] is not None:
            row = self.tables["ContractServices"][adj["contractServiceID"]]
            if row["contractID"] != contract["id"]:
                fail(500, "contractServiceID %s does not belong to contract %s."
                     % (row["id"], contract["id"]))
            if adj["serviceID"] not in (None, row["serviceID"]):
                fail(500, "serviceID does not match the contract service's service.")
            return row
        if adj["serviceID"] is None:
            fail(500, "Either contractServiceID or serviceID must be specified.")
        return next((r for r in self._contract_services(contract["id"])
                     if r["serviceID"] == adj["serviceID"]), None)

    def _place_effective_date(self, contract, adj):
        day = parse_date(adj["effectiveDate"])
        start, end = parse_date(contract["startDate"]), parse_date(contract["endDate"])
        if not start <= day <= end:
            fail(500, "The effectiveDate %s is outside the contract period %s to %s."
                 % (day.isoformat(), start.isoformat(), end.isoformat()))
        posted = self._posted_through(contract["id"])
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

    def _implicit_contract_service(self, contract, adj):
        service = self.tables["Services"][adj["serviceID"]]
        price = adj["adjustedUnitPrice"]
        cost = adj["adjustedUnitCost"]
        row = self._blank(model.ENTITIES["ContractServices"])
        row.update(id=self._new_id(), contractID=contract["id"], serviceID=service["id"],
                   unitPrice=service["unitPrice"] if price is None else price,
                   unitCost=service.get("unitCost") if cost is None else cost,
                   invoiceDescription=service.get("invoiceDescription"))
        row["internalCurrencyUnitPrice"] = row["internalCurrencyAdjustedPrice"] = row["unitPrice"]
        self.tables["ContractServices"][row["id"]] = row
        return row

    def _adjustments_of(self, service_row_id):
        rows = [a for a in self.tables["ContractServiceAdjustments"].values()
                if a["contractServiceID"] == service_row_id]
        return sorted(rows, key=lambda a: (a["effectiveDate"], a["id"]))

    def _posted_through(self, contract_id):
        value = self.meta["postedThrough"].get(str(contract_id))
        return parse_date(value) if value else None

    def _period_months(self, contract):
        label = model.picklist_label(self.meta["picklists"], "Contracts.contractPeriodType",
                                     contract.get("contractPeriodType"))
        return model.PERIOD_MONTHS.get(label or "monthly", 1)

    def _rebuild_units(self, service_row, old_rows=None):
        """Recompute the ContractServiceUnits rows of one contract service."""
        units = self.tables["ContractServiceUnits"]
        if old_rows is None:
            old_rows = [r for r in units.values() if r["contractServiceID"] == service_row["id"]]
        reuse = {r["startDate"]: r["id"] for r in old_rows}
        for row in old_rows:
            del units[row["id"]]
        contract = self.tables["Contracts"].get(service_row["contractID"])
        if contract is None:
            return
        for row in model.unit_rows(contract, service_row, self._adjustments_of(service_row["id"]),
                                   self._period_months(contract),
                                   self._posted_through(contract["id"])):
            row_id = reuse.get(row["startDate"]) or self._new_id()
            units[row_id] = dict(id=row_id, **row)

    def _rebuild_all_units(self):
        by_service = collections.defaultdict(list)
        for row in self.tables["ContractServiceUnits"].values():
            by_service[row["contractServiceID"]].append(row)
        for service_row in list(self.tables["ContractServices"].values()):
            self._rebuild_units(service_row, by_service.pop(service_row["id"], []))
        for orphans in by_service.values():
            for row in orphans:
                del self.tables["ContractServiceUnits"][row["id"]]


SIMULATOR = AutotaskSim
