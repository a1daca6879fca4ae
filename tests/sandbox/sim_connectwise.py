"""ConnectWise PSA (Manage) REST 3.0 simulator (doc/psa-apis.md part B, B9).

Serves ``/login/companyinfo/{company}`` and ``/{codebase}/apis/3.0/...``:
Basic auth ``company+public:private`` with the mandatory ``clientId`` header,
company/companies, company/contacts, finance/agreements (+types),
finance/billingCycles, finance/agreements/{id}/additions, procurement/catalog
and system/info; the ``conditions`` syntax, ``fields``, ``orderBy``,
``page``/``pageSize`` with ``Link`` headers and forward-only paging, ``/count``,
JSON Patch, the error envelope, 429 + Retry-After throttling and the addition
billing rules (billing start date, already-invoiced period, proration).

Behaviour the reference marks unknown is a knob in ``DEFAULT_CONFIG``; each
knob is listed in README.md.
"""

import base64
import copy
import datetime as dt
import json
import math
import re
import urllib.parse

import seed_demo
from cw_conditions import ConditionError, compile_conditions, resolve
from simcore import (HttpError, Response, RollingCounter, Simulator, add_months,
                     iso_now, parse_datetime, today)

API_RE = re.compile(r"^/(v4_6_release|v\d{4}_\d+)/apis/3\.0/(.*)$", re.IGNORECASE)
COMPANYINFO_RE = re.compile(r"^/login/companyinfo/([^/]+)/?$", re.IGNORECASE)
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
BILL_CUSTOMER = ("Billable", "DoNotBill", "NoCharge")
CYCLE_MONTHS = {"monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannual": 6, "yearly": 12,
                "weekly": 1, "biweekly": 1}
FIRST_ID = 1000


def cw_error(status, code, message, errors=None, headers=None):
    """The ConnectWise error envelope ``{code, message, errors}``."""
    return Response(status, {"code": code, "message": message, "errors": errors}, headers)


def fail(status, code, message, errors=None):
    raise HttpError(cw_error(status, code, message, errors))


def invalid(resource, field, message, code="InvalidField"):
    """400 InvalidObject with one field error (documented shape, B6)."""
    fail(400, "InvalidObject", "%s object is invalid" % resource,
         [{"code": code, "message": message, "resource": resource, "field": field}])


def cw_date(value):
    """ConnectWise datetime text (``yyyy-MM-ddTHH:mm:ssZ``) of a datetime/date."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.strftime("%Y-%m-%dT00:00:00Z")


class Collection:
    """One REST collection: stored fields with defaults, references, dates."""

    def __init__(self, path, resource, defaults, refs=(), dates=(), required=(),
                 writable=True, parent=None):
        self.path = path
        self.resource = resource
        self.defaults = defaults
        self.refs = refs
        self.dates = dates
        self.required = required
        self.writable = writable
        self.parent = parent            # "finance/agreements" for additions

    def fields(self):
        return set(self.defaults) | {"id", "_info"} | ({"agreementId"} if self.parent else set())


COLLECTIONS = {c.path: c for c in [
    Collection("company/companies", "company", {
        "identifier": None, "name": None, "status": {"id": 1, "name": "Active"},
        "types": [], "deletedFlag": False, "addressLine1": None, "addressLine2": None,
        "city": None, "state": None, "zip": None, "country": None, "phoneNumber": None,
        "site": None, "territory": None, "billingTerms": None, "taxCode": None,
        "parentCompany": None, "customFields": []},
        refs=("status", "country", "site", "territory", "billingTerms", "taxCode",
              "parentCompany"), required=("identifier", "name")),
    Collection("company/contacts", "contact", {
        "firstName": None, "lastName": None, "company": None, "title": None,
        "inactiveFlag": False, "customFields": []},
        refs=("company",), required=("firstName", "company")),
    Collection("finance/agreements", "agreement", {
        "name": None, "type": None, "company": None, "contact": None,
        "agreementStatus": "Active", "startDate": None, "endDate": None,
        "noEndingDateFlag": False, "cancelledFlag": False, "dateCancelled": None,
        "reasonCancelled": None, "billStartDate": None, "billingCycle": None,
        "billAmount": 0.0, "billOneTimeFlag": False, "invoicingCycle": "ContractYear",
        "prorateFlag": False, "prorateFirstBill": False,
        "invoiceProratedAdditionsFlag": False, "nextInvoiceDate": None,
        "periodType": "Current", "applicationUnits": "Amount", "applicationLimit": 0.0,
        "applicationUnlimitedFlag": False, "oneTimeFlag": False, "taxable": False,
        "billTime": "Billable", "billExpenses": "Billable", "billProducts": "Billable",
        "parentAgreement": None, "billToCompany": None, "customFields": []},
        refs=("type", "company", "contact", "billingCycle", "parentAgreement",
              "billToCompany"),
        dates=("startDate", "endDate", "dateCancelled", "billStartDate"),
        required=("name", "type", "company", "contact")),
    Collection("finance/additions", "addition", {
        "product": None, "quantity": 1.0, "lessIncluded": 0.0, "unitPrice": None,
        "unitCost": None, "billCustomer": None, "effectiveDate": None,
        "cancelledDate": None, "taxableFlag": False, "serialNumber": None,
        "invoiceDescription": None, "description": None, "uom": "Each",
        "purchaseItemFlag": False, "specialOrderFlag": False, "sequenceNumber": None,
        "opportunity": None, "invoiceGrouping": None, "customFields": []},
        refs=("product", "opportunity"), dates=("effectiveDate", "cancelledDate"),
        required=("product", "billCustomer"), parent="finance/agreements"),
    Collection("procurement/catalog", "catalogItem", {
        "identifier": None, "description": None, "subcategory": None, "type": None,
        "customerDescription": None, "productClass": "NonInventory", "price": 0.0,
        "cost": 0.0, "inactiveFlag": False, "taxableFlag": False, "recurringFlag": False,
        "recurringRevenue": 0.0, "recurringCost": 0.0, "recurringBillCycle": None,
        "recurringCycleType": None, "recurringOneTimeFlag": False, "manufacturer": None,
        "manufacturerPartNumber": None, "vendor": None, "vendorSku": None,
        "integrationXRef": None, "category": None, "unitOfMeasure": None,
        "billableOption": "Billable", "priceAttribute": "FixedFee", "customFields": []},
        refs=("subcategory", "type", "manufacturer", "vendor", "category", "unitOfMeasure"),
        required=("identifier", "description", "subcategory", "type",
                  "customerDescription")),
    Collection("finance/agreements/types", "type", {"name": None}, writable=False),
    Collection("finance/billingCycles", "billingCycle",
               {"name": None, "billingOptions": "Monthly"}, writable=False),
]}
# URL path (lower case) -> collection; additions are reached through agreements.
ROUTABLE = {c.path.lower(): c for c in COLLECTIONS.values() if not c.parent}
ADDITIONS = COLLECTIONS["finance/additions"]


class Route:
    """A resolved API path: collection, optional parent and item ids, count flag."""

    def __init__(self, collection, item_id=None, parent_id=None, count=False):
        self.collection = collection
        self.item_id = item_id
        self.parent_id = parent_id
        self.count = count


class ConnectWiseSim(Simulator):
    """The ConnectWise plugin."""

    name = "connectwise"
    DEFAULT_CONFIG = {
        "rate_limit_per_minute": 1000,      # 0 = never throttle
        "rate_limit_window_s": 60,
        "auth_failure_status": 401,         # 401, or 404 like cloud sites sometimes do
        "require_registered_client_id": True,
        "require_api_host": False,          # True: Host must start with "api-"
        "processing_ms": 0,                 # service time of every request
        "invoiced_period_rule": True,       # reject additions in an invoiced period (no prorate)
        "billstart_message": "sync365",     # sync365 | msp360 wording of the bill-start error
        "default_quantity": 1.0,            # addition quantity when omitted
    }
    KNOB_CHOICES = {"auth_failure_status": (401, 404),
                    "billstart_message": ("sync365", "msp360")}

    def __init__(self, core):
        super().__init__(core)
        self._throttle = RollingCounter()
        self._throttled = 0

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------
    def empty_state(self):
        creds = seed_demo.CONNECTWISE_CREDENTIALS
        return {
            "companyId": creds["company"], "companyName": "Demo MSP",
            "apiMembers": [{"publicKey": creds["public_key"],
                            "privateKey": creds["private_key"],
                            "identifier": "billsync-api"}],
            "clientIds": [creds["client_id"]],
            "nextId": FIRST_ID,
            "collections": {path: [] for path in COLLECTIONS},
        }

    def demo_state(self):
        return seed_demo.connectwise_state(self.empty_state())

    def fresh_store(self):
        meta = {k: v for k, v in self.empty_state().items() if k != "collections"}
        return meta, {path: {} for path in COLLECTIONS}

    def merge_data(self, data):
        data = json.loads(json.dumps(data))
        unknown_keys = set(data) - set(self.empty_state())
        if unknown_keys:
            raise ValueError("unknown ConnectWise state keys: %s"
                             % ", ".join(sorted(unknown_keys)))
        collections = data.get("collections") or {}
        unknown = set(collections) - set(COLLECTIONS)
        if unknown:
            raise ValueError("unknown ConnectWise collections: %s" % ", ".join(sorted(unknown)))
        for key, value in data.items():
            if key != "collections":
                self.meta[key] = value
        for path, rows in collections.items():
            for row in rows:
                self._upsert(COLLECTIONS[path], row)

    def _upsert(self, coll, row):
        table = self.tables[coll.path]
        if row.get("id") is None:
            row["id"] = self._new_id()
        current = table.get(row["id"]) or dict(id=row["id"], **copy.deepcopy(coll.defaults))
        current.update(row)
        if coll is ADDITIONS and current.get("sequenceNumber") is None:
            current["sequenceNumber"] = self._next_sequence(current.get("agreementId"))
        for name in coll.dates:
            if current.get(name):
                try:
                    current[name] = cw_date(parse_datetime(current[name]))
                except ValueError:
                    raise ValueError("%s %s: bad %s" % (coll.resource, row["id"], name)) from None
        if coll.parent and not isinstance(current.get("agreementId"), int):
            raise ValueError("%s %s needs an agreementId" % (coll.resource, row["id"]))
        current.setdefault("_info", {"lastUpdated": iso_now()[:19] + "Z",
                                     "updatedBy": "seed"})
        table[current["id"]] = current
        self.meta["nextId"] = max(self.meta["nextId"], current["id"] + 1)

    def dump_state(self):
        out = dict(self.meta)
        out["collections"] = {path: [dict(r) for _, r in sorted(t.items())]
                              for path, t in self.tables.items()}
        return out

    def _new_id(self):
        value = self.meta["nextId"]
        self.meta["nextId"] = value + 1
        return value

    # ------------------------------------------------------------------
    # Statistics
    # ------------------------------------------------------------------
    def reset_stats(self):
        self._throttle.clear()
        self._throttled = 0

    def extra_stats(self):
        return {"throttled": self._throttled,
                "requests_in_rate_window": self._throttle.count(
                    self.config["rate_limit_window_s"])}

    def entity_of(self, req):
        m = API_RE.match(req.path)
        if not m:
            return "login/companyinfo" if COMPANYINFO_RE.match(req.path) else req.path
        parts = [p for p in m.group(2).split("/") if p]
        return "/".join("{id}" if p.isdigit() else p for p in parts)

    # ------------------------------------------------------------------
    # Request pipeline
    # ------------------------------------------------------------------
    def serve(self, req):
        info = COMPANYINFO_RE.match(req.path)
        if info:
            self.core.sleep(req.delay_s)
            with self.core.lock:
                return self._company_info(info.group(1))
        m = API_RE.match(req.path)
        if not m:
            fail(404, "NotFound", "The requested URL was not found.")
        if self.config["require_api_host"] and not (req.header("Host") or "").startswith("api-"):
            fail(400, "Security", "SSL is required.")
        with self.core.lock:
            member = self._authenticate(req)
        self._check_rate()
        self.core.sleep(req.delay_s + self.config["processing_ms"] / 1000.0)
        with self.core.lock:
            return self._route(req, m.group(2), member)

    def _company_info(self, company):
        if company.lower() != self.meta["companyId"].lower():
            fail(404, "NotFound", "Company %s was not found." % company)
        return Response(200, {
            "CompanyName": self.meta["companyName"], "Codebase": "v4_6_release/",
            "VersionCode": "v2025.1", "VersionNumber": "v4.6.2025.1",
            "CompanyID": self.meta["companyId"], "IsCloud": False,
            "SiteUrl": self.base_url.split("//", 1)[1]})

    def _authenticate(self, req):
        client_id = req.header("clientId")
        if not client_id:
            fail(400, "BadRequest", "The clientId header is required on every request.")
        if (self.config["require_registered_client_id"]
                and client_id not in self.meta["clientIds"]):
            fail(400, "BadRequest", "The clientId '%s' is not registered." % client_id)
        member = self._member(req.header("Authorization") or "")
        if member is None:
            raise HttpError(self._auth_failure())
        return member

    def _member(self, authorization):
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, secret = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        company, _, public = user.partition("+")
        if company.lower() != self.meta["companyId"].lower():
            return None
        return next((m for m in self.meta["apiMembers"]
                     if m["publicKey"] == public and m["privateKey"] == secret), None)

    def _auth_failure(self):
        return cw_error(self.config["auth_failure_status"], "ConnectWiseApi",
                        "UserNotAuthenticated")

    def _check_rate(self):
        cap, window = self.config["rate_limit_per_minute"], self.config["rate_limit_window_s"]
        if cap and self._throttle.count(window) >= cap:
            self._throttled += 1
            raise HttpError(self._throttle_response(self._throttle.seconds_until_free(window)))
        self._throttle.add()

    @staticmethod
    def _throttle_response(retry_after):
        return Response(429, {"error": "ConnectWiseAPI",
                              "message": "Too many requests. Please try again in %d seconds."
                              % retry_after},
                        [("Retry-After", str(retry_after))])

    def fault_response(self, kind, params):
        if kind in ("http429", "thread_limit"):
            return self._throttle_response(int(params.get("retry_after", 30)))
        if kind == "bad_credentials":
            return self._auth_failure()
        return cw_error(int(params.get("status", 500)), "ConnectWiseApi",
                        params.get("message", "An unexpected error has occurred."))

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------
    def _route(self, req, rest, member):
        parts = [p for p in rest.split("/") if p]
        lowered = "/".join(parts).lower()
        if lowered == "system/info":
            return Response(200, {"version": "v2025.1", "isCloud": False,
                                  "serverTimeZone": "Etc/UTC", "cloudRegion": None})
        route = self._resolve(parts)
        if route is None:
            fail(404, "NotFound", "The requested URL was not found.")
        handler = self._handler(req.method, route)
        return handler(req, route, member)

    @staticmethod
    def _resolve(parts):
        """Longest collection prefix, then ``/count``, ``/{id}``, ``/{id}/additions...``."""
        for size in (3, 2):
            coll = ROUTABLE.get("/".join(parts[:size]).lower())
            if coll:
                break
        else:
            return None
        tail = parts[size:]
        if not tail:
            return Route(coll)
        if tail == ["count"]:
            return Route(coll, count=True)
        if not tail[0].isdigit():
            return None
        item = int(tail[0])
        if len(tail) == 1:
            return Route(coll, item_id=item)
        if coll.path != "finance/agreements" or tail[1].lower() != "additions":
            return None
        return ConnectWiseSim._resolve_additions(item, tail[2:])

    @staticmethod
    def _resolve_additions(agreement_id, tail):
        if not tail:
            return Route(ADDITIONS, parent_id=agreement_id)
        if tail == ["count"]:
            return Route(ADDITIONS, parent_id=agreement_id, count=True)
        if len(tail) == 1 and tail[0].isdigit():
            return Route(ADDITIONS, item_id=int(tail[0]), parent_id=agreement_id)
        return None

    def _handler(self, method, route):
        if route.count:
            allowed = {"GET": self._count}
        elif route.item_id is None:
            allowed = {"GET": self._list, "POST": self._create}
        else:
            allowed = {"GET": self._get, "PUT": self._put, "PATCH": self._patch,
                       "DELETE": self._delete}
        if not route.collection.writable:
            allowed = {k: v for k, v in allowed.items() if k == "GET"}
        if method not in allowed:
            fail(405, "MethodNotAllowed",
                 "The requested resource does not support http method '%s'." % method)
        return allowed[method]

    # ------------------------------------------------------------------
    # Reads
    # ------------------------------------------------------------------
    def _scope(self, route):
        """Rows of the route's collection (additions of one agreement)."""
        rows = self.tables[route.collection.path].values()
        if route.parent_id is None:
            return list(rows)
        self._agreement(route.parent_id)
        return [r for r in rows if r["agreementId"] == route.parent_id]

    def _agreement(self, agreement_id):
        row = self.tables["finance/agreements"].get(agreement_id)
        if row is None:
            fail(404, "NotFound", "Agreement with id %s was not found." % agreement_id)
        return row

    def _filtered(self, req, route):
        views = [self._view(route.collection, r) for r in self._scope(route)]
        conditions = req.arg_ci("conditions")
        if not conditions:
            return views
        try:
            predicate = compile_conditions(conditions, route.collection.fields()
                                           | self._computed_fields(route.collection))
        except ConditionError as err:
            fail(400, "BadRequest", "The conditions parameter is invalid: %s" % err)
        return [v for v in views if predicate(v)]

    @staticmethod
    def _computed_fields(coll):
        if coll.path == "finance/additions":
            return {"billedQuantity", "extPrice", "extCost", "margin", "prorateCost",
                    "proratePrice", "extendedProrateCost", "extendedProratePrice",
                    "prorateCurrentPeriodFlag", "agreementStatus", "additionStatus"}
        return set()

    def _count(self, req, route, member):
        return Response(200, {"count": len(self._filtered(req, route))})

    def _get(self, req, route, member):
        row = self._row(route)
        return Response(200, self._project(self._view(route.collection, row),
                                           req.arg_ci("fields")))

    def _row(self, route):
        if route.parent_id is not None:
            self._agreement(route.parent_id)
        row = self.tables[route.collection.path].get(route.item_id)
        if row is None or (route.parent_id is not None
                           and row.get("agreementId") != route.parent_id):
            fail(404, "NotFound", "%s with id %s was not found."
                 % (route.collection.resource.capitalize(), route.item_id))
        return row

    def _list(self, req, route, member):
        rows = self._filtered(req, route)
        size = self._page_size(req)
        fields = req.arg_ci("fields")
        if (req.header("pagination-type") or "").lower() == "forward-only":
            return self._forward_only(req, rows, size, fields)
        rows = self._ordered(rows, req.arg_ci("orderBy"), route.collection)
        page = self._int_arg(req, "page", 1)
        last = max(1, math.ceil(len(rows) / size))
        window = rows[(page - 1) * size: page * size]
        headers = self._link_header(req, page, last)
        return Response(200, [self._project(r, fields) for r in window], headers)

    def _forward_only(self, req, rows, size, fields):
        if req.arg_ci("orderBy"):
            fail(400, "BadRequest", "orderBy is not supported with forward-only pagination.")
        after = self._int_arg(req, "pageId", 0)
        rows = sorted((r for r in rows if r["id"] > after), key=lambda r: r["id"])
        window = rows[:size]
        headers = []
        if len(rows) > size:
            url = self._url(req, {"pageId": str(window[-1]["id"]), "page": None})
            headers.append(("Link", '<%s>; rel="next"' % url))
        return Response(200, [self._project(r, fields) for r in window], headers)

    def _page_size(self, req):
        return min(MAX_PAGE_SIZE, self._int_arg(req, "pageSize", DEFAULT_PAGE_SIZE))

    @staticmethod
    def _int_arg(req, name, default):
        text = req.arg_ci(name)
        if text in (None, ""):
            return default
        if not text.isdigit() or int(text) < 1 and name != "pageId":
            fail(400, "BadRequest", "%s must be a positive integer." % name)
        return int(text)

    def _ordered(self, rows, order_by, coll):
        if not order_by:
            return sorted(rows, key=lambda r: r["id"])
        keys = []
        for clause in order_by.split(","):
            words = clause.split()
            if not words or len(words) > 2 or (len(words) == 2 and
                                                words[1].lower() not in ("asc", "desc")):
                fail(400, "BadRequest", "orderBy %r is invalid." % clause.strip())
            if words[0].split("/")[0] not in coll.fields() | self._computed_fields(coll):
                fail(400, "BadRequest", "orderBy field %r is unknown." % words[0])
            keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
        for path, desc in reversed(keys):
            rows = sorted(rows, key=lambda r, p=path: _sort_key(resolve(r, p)[0]), reverse=desc)
        return rows

    def _url(self, req, changes):
        query = {k: v[0] for k, v in req.query.items() if v}
        for key, value in changes.items():
            for existing in [k for k in query if k.lower() == key.lower()]:
                del query[existing]
            if value is not None:
                query[key] = value
        return "%s%s?%s" % (self.base_url, req.path, urllib.parse.urlencode(query))

    def _link_header(self, req, page, last):
        if last <= 1:
            return []
        size = str(self._page_size(req))
        links = []
        if page > 1:
            links.append((1, "first"))
            links.append((min(page - 1, last), "prev"))
        if page < last:
            links.append((page + 1, "next"))
            links.append((last, "last"))
        text = ", ".join('<%s>; rel="%s"' % (self._url(req, {"page": str(p), "pageSize": size}),
                                             rel) for p, rel in links)
        return [("Link", text)] if text else []

    @staticmethod
    def _project(view, fields):
        if not fields:
            return view
        out = {}
        for path in [f.strip() for f in fields.split(",") if f.strip()]:
            _project_path(view, out, path.split("/"))
        return out

    # -- views: stored row + references expanded + computed fields ----------
    def _view(self, coll, row):
        view = copy.deepcopy(row)
        for name in coll.refs:
            if isinstance(view.get(name), dict):
                view[name] = self._expand_ref(coll, name, view[name])
        if coll.path == "finance/additions":
            self._addition_figures(view)
        return view

    def _expand_ref(self, coll, name, ref):
        target = {("finance/agreements", "type"): "finance/agreements/types",
                  ("finance/agreements", "company"): "company/companies",
                  ("finance/agreements", "billToCompany"): "company/companies",
                  ("finance/agreements", "contact"): "company/contacts",
                  ("finance/agreements", "billingCycle"): "finance/billingCycles",
                  ("company/contacts", "company"): "company/companies",
                  ("finance/additions", "product"): "procurement/catalog",
                  }.get((coll.path, name))
        row = self.tables[target].get(ref.get("id")) if target else None
        if row is None:
            return ref
        out = {"id": row["id"]}
        if "identifier" in row:
            out["identifier"] = row["identifier"]
        label = row.get("name") or row.get("description")
        if target == "company/contacts":
            label = " ".join(x for x in (row.get("firstName"), row.get("lastName")) if x)
        if label:
            out["name"] = label
        out["_info"] = {"%s_href" % name: "%s/v4_6_release/apis/3.0/%s/%s"
                        % (self.base_url, target, row["id"])}
        return out

    def _addition_figures(self, view):
        agreement = self.tables["finance/agreements"].get(view.get("agreementId")) or {}
        qty = float(view.get("quantity") or 0)
        billed = qty - float(view.get("lessIncluded") or 0)
        price, cost = float(view.get("unitPrice") or 0), float(view.get("unitCost") or 0)
        ext_price, ext_cost = round(price * billed, 2), round(cost * billed, 2)
        share = self._prorate_share(agreement, view)
        view.update(
            billedQuantity=billed, extPrice=ext_price, extCost=ext_cost,
            margin=round(ext_price - ext_cost, 2),
            proratePrice=round(price * share, 2), prorateCost=round(cost * share, 2),
            extendedProratePrice=round(price * share * billed, 2),
            extendedProrateCost=round(cost * share * billed, 2),
            prorateCurrentPeriodFlag=share > 0,
            agreementStatus=agreement.get("agreementStatus"),
            additionStatus=self._addition_status(view))

    def _cycle_months(self, agreement):
        """Months per billing period, or None for one-time (NotRecurring)."""
        cycle = self.tables["finance/billingCycles"].get(
            (agreement.get("billingCycle") or {}).get("id")) or {}
        option = str(cycle.get("billingOptions", "Monthly")).lower()
        return None if option == "notrecurring" else CYCLE_MONTHS.get(option, 1)

    def _prorate_share(self, agreement, view):
        """Share of the first billing period an addition pays (0 = no proration)."""
        months = self._cycle_months(agreement)
        if not agreement.get("prorateFlag") or not months or not view.get("effectiveDate"):
            return 0.0
        day = parse_datetime(view["effectiveDate"]).date()
        start = period_start(day, months)
        if day == start:
            return 0.0
        end = add_months(start, months) - dt.timedelta(days=1)
        return ((end - day).days + 1) / ((end - start).days + 1)

    @staticmethod
    def _addition_status(view):
        cancelled = view.get("cancelledDate")
        if cancelled and parse_datetime(cancelled).date() < today():
            return "Cancelled"
        return "Active"

    # ------------------------------------------------------------------
    # Writes
    # ------------------------------------------------------------------
    def _json(self, req):
        try:
            return req.json()
        except ValueError:
            fail(400, "BadRequest", "The request body is not valid JSON.")

    def _create(self, req, route, member):
        body = self._json(req)
        coll = route.collection
        if not isinstance(body, dict):
            fail(400, "BadRequest", "The request body must be a JSON object.")
        row = dict(id=None, **copy.deepcopy(coll.defaults))
        if coll is ADDITIONS:
            row["quantity"] = self.config["default_quantity"]
        self._assign(coll, row, body)
        if route.parent_id is not None:
            self._agreement(route.parent_id)
            row["agreementId"] = route.parent_id
        self._validate(coll, row, None)
        row["id"] = self._new_id()
        self._touch(row, member)
        self.tables[coll.path][row["id"]] = row
        self.changed()
        return Response(201, self._view(coll, row))

    def _put(self, req, route, member):
        body = self._json(req)
        if not isinstance(body, dict):
            fail(400, "BadRequest", "The request body must be a JSON object.")
        old = self._row(route)
        row = dict(id=old["id"], **copy.deepcopy(route.collection.defaults))
        row.update({k: old[k] for k in ("agreementId", "sequenceNumber") if k in old})
        self._assign(route.collection, row, body)
        return self._store(route.collection, row, old, member)

    def _patch(self, req, route, member):
        ops = self._json(req)
        if not isinstance(ops, list) or not ops:
            fail(400, "BadRequest", "PATCH expects a JSON Patch array of operations.")
        old = self._row(route)
        row = copy.deepcopy(old)
        for op in ops:
            self._apply_patch(route.collection, row, op)
        return self._store(route.collection, row, old, member)

    def _store(self, coll, row, old, member):
        self._validate(coll, row, old)
        self._touch(row, member)
        self.tables[coll.path][row["id"]] = row
        self.changed()
        return Response(200, self._view(coll, row))

    def _delete(self, req, route, member):
        row = self._row(route)
        del self.tables[route.collection.path][row["id"]]
        if route.collection.path == "finance/agreements":
            additions = self.tables["finance/additions"]
            for addition_id in [a["id"] for a in additions.values()
                                if a["agreementId"] == row["id"]]:
                del additions[addition_id]
        self.changed()
        return Response(204)

    @staticmethod
    def _touch(row, member):
        row["_info"] = {"lastUpdated": iso_now()[:19] + "Z", "updatedBy": member["identifier"]}

    @staticmethod
    def _assign(coll, row, body):
        for key, value in body.items():
            if key in coll.defaults and key != "sequenceNumber":
                row[key] = value

    def _apply_patch(self, coll, row, op):
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove"):
            fail(400, "BadRequest", "Each patch operation needs op add, replace or remove.")
        path = str(op.get("path", "")).strip("/")
        top, _, rest = path.partition("/")
        if top not in coll.defaults and top not in coll.fields():
            invalid(coll.resource, path, "Cannot find field %s." % path, "InvalidField")
        if top not in coll.defaults or top == "sequenceNumber":
            return                       # read-only: silently ignored
        if rest and top in coll.refs:
            return                       # nested reference patch: misleading 200 (B5)
        if op["op"] == "remove":
            row[top] = copy.deepcopy(coll.defaults[top])
        elif rest:
            target = row.get(top) if isinstance(row.get(top), dict) else {}
            row[top] = dict(target, **{rest: op.get("value")})
        else:
            row[top] = op.get("value")

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------
    def _validate(self, coll, row, old):
        for name in coll.required:
            if row.get(name) in (None, "", {}):
                invalid(coll.resource, name, "%s is required." % name, "Required")
        for name in coll.dates:
            if row.get(name) not in (None, ""):
                try:
                    row[name] = cw_date(parse_datetime(row[name]))
                except ValueError:
                    invalid(coll.resource, name, "%s is not a valid date." % name)
        check = {"company/companies": self._check_company,
                 "company/contacts": self._check_contact,
                 "finance/agreements": self._check_agreement,
                 "finance/additions": self._check_addition,
                 "procurement/catalog": self._check_catalog}.get(coll.path)
        check(row, old)

    def _exists(self, resource, path, row, name):
        ref = row.get(name)
        if ref is None:
            return None
        target = self.tables[path].get(ref.get("id")) if isinstance(ref, dict) else None
        if target is None:
            invalid(resource, name + "/id", "%s %s was not found." % (name, (ref or {}).get("id")),
                    "NotFound")
        return target

    def _unique(self, path, resource, row, field, message):
        value = str(row.get(field) or "").lower()
        for other in self.tables[path].values():
            if other["id"] != row.get("id") and str(other.get(field) or "").lower() == value:
                invalid(resource, field, message, "ObjectExists")

    @staticmethod
    def _max_length(resource, row, field, limit):
        if row.get(field) and len(str(row[field])) > limit:
            invalid(resource, field, "The field %s must be a string with a maximum length of "
                    "%d." % (field, limit), "MaxLengthField")

    def _check_company(self, row, old):
        self._max_length("company", row, "identifier", 30)
        self._max_length("company", row, "name", 50)
        self._unique("company/companies", "company", row, "identifier",
                     "Company ID already in use.")
        if not any(row.get(f) for f in ("addressLine1", "city", "state", "zip")):
            invalid("company", "addressLine1", "At least one address field is required.",
                    "Required")

    def _check_contact(self, row, old):
        self._exists("contact", "company/companies", row, "company")

    def _check_agreement(self, row, old):
        self._max_length("agreement", row, "name", 100)
        for name, path in (("type", "finance/agreements/types"),
                           ("company", "company/companies"), ("contact", "company/contacts"),
                           ("billingCycle", "finance/billingCycles")):
            self._exists("agreement", path, row, name)
        row["startDate"] = row.get("startDate") or cw_date(today())
        row["billStartDate"] = row.get("billStartDate") or row["startDate"]
        if row.get("endDate") and row["endDate"] < row["startDate"]:
            invalid("agreement", "endDate", "endDate cannot be before startDate.")
        if not row.get("nextInvoiceDate"):
            row["nextInvoiceDate"] = row["billStartDate"][:10]

    def _check_catalog(self, row, old):
        self._max_length("catalogItem", row, "identifier", 60)
        self._max_length("catalogItem", row, "description", 60)
        self._unique("procurement/catalog", "catalogItem", row, "identifier",
                     "Product ID already in use.")

    def _check_addition(self, row, old):
        product = self._addition_product(row)
        if row.get("billCustomer") not in BILL_CUSTOMER:
            invalid("addition", "billCustomer", "billCustomer must be one of %s."
                    % ", ".join(BILL_CUSTOMER))
        for name in ("quantity", "lessIncluded", "unitPrice", "unitCost"):
            if row.get(name) is not None and (isinstance(row[name], bool)
                                              or not isinstance(row[name], (int, float))):
                invalid("addition", name, "%s must be a number." % name)
        for name, source in (("unitPrice", "price"), ("unitCost", "cost")):
            if row.get(name) is None:
                row[name] = product.get(source, 0.0)
        row["effectiveDate"] = row.get("effectiveDate") or cw_date(today())
        self._check_addition_dates(row, old)
        if old is None:
            row["sequenceNumber"] = self._next_sequence(row["agreementId"])

    def _next_sequence(self, agreement_id):
        return max((a.get("sequenceNumber") or 0 for a in self.tables["finance/additions"]
                    .values() if a.get("agreementId") == agreement_id), default=0) + 1

    def _addition_product(self, row):
        ref = row.get("product")
        catalog = self.tables["procurement/catalog"]
        item = None
        if isinstance(ref, dict) and ref.get("id") is not None:
            item = catalog.get(ref["id"])
        elif isinstance(ref, dict) and ref.get("identifier"):
            item = next((c for c in catalog.values()
                         if c["identifier"].lower() == str(ref["identifier"]).lower()), None)
        if item is None:
            invalid("addition", "product", "Product was not found.", "NotFound")
        if item.get("productClass") == "Bundle":
            invalid("addition", "product", "Bundle products cannot be added as agreement "
                    "additions.")
        row["product"] = {"id": item["id"], "identifier": item["identifier"]}
        return item

    def _check_addition_dates(self, row, old):
        agreement = self._agreement(row["agreementId"])
        effective = parse_datetime(row["effectiveDate"]).date()
        bill_start = agreement.get("billStartDate")
        if bill_start and effective < parse_datetime(bill_start).date():
            invalid("addition", "effectiveDate", self._billstart_message(effective, bill_start))
        cancelled = row.get("cancelledDate")
        if cancelled and parse_datetime(cancelled).date() < effective:
            invalid("addition", "cancelledDate", "cancelledDate cannot be before effectiveDate.")
        end = agreement.get("endDate")
        if end and not agreement.get("noEndingDateFlag") and effective > parse_datetime(
                end).date():
            invalid("addition", "effectiveDate", "effectiveDate cannot be after the agreement "
                    "end date.")
        changed = old is None or old.get("effectiveDate") != row["effectiveDate"]
        if changed and self._in_invoiced_period(agreement, effective):
            invalid("addition", "effectiveDate",
                    "Since this period has already been invoiced there will not be an invoice "
                    "generated for additional products for this period. Please prorate the "
                    "agreement or update the start date to on or after the Next Invoice Date.")

    def _billstart_message(self, effective, bill_start):
        if self.config["billstart_message"] == "msp360":
            return ("The Effective Date: %s in agreement addition cannot precede the Billing "
                    "Start Date: %s" % (effective.isoformat(), bill_start[:10]))
        return "effectiveDate cannot be less than the agreement billing start date"

    def _in_invoiced_period(self, agreement, effective):
        if not self.config["invoiced_period_rule"] or agreement.get("prorateFlag"):
            return False
        if not self._cycle_months(agreement):
            return False
        next_invoice, bill_start = agreement.get("nextInvoiceDate"), agreement.get(
            "billStartDate")
        if not next_invoice or not bill_start:
            return False
        next_day = parse_datetime(next_invoice).date()
        invoiced = next_day > parse_datetime(bill_start).date()
        return invoiced and effective < next_day


def period_start(day, months):
    """First day of the calendar-aligned billing period containing ``day``."""
    month0 = (day.month - 1) // months * months
    return dt.date(day.year, month0 + 1, 1)


def _project_path(view, out, parts):
    value = view.get(parts[0]) if isinstance(view, dict) else None
    if len(parts) == 1:
        out[parts[0]] = value
    elif isinstance(value, dict):
        _project_path(value, out.setdefault(parts[0], {}), parts[1:])


def _sort_key(value):
    if value is None:
        return (0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value).lower())


SIMULATOR = ConnectWiseSim
