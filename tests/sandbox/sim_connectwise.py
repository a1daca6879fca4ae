"""ConnectWise PSA (Manage) REST 3.0 simulator (doc/psa-apis.md part B, B9).

Serves ``/login/companyinfo/{company}`` and ``/{codebase}/apis/3.0/...``:
Basic auth ``company+public:private`` with the mandatory ``clientId`` header,
company/companies, company/contacts, finance/agreements (+types),
finance/billingCycles, finance/agreements/{id}/additions, procurement/catalog
and system/info; the ``conditions`` syntax, ``fields``, ``orderBy``,
``page``/``pageSize`` with ``Link`` headers and forward-only paging, ``/count``,
JSON Patch, the error envelope, 429 + Retry-After throttling and the addition
billing rules (billing start date, already-invoiced period, proration).

Companies: every ConnectWise company is an independent tenant (``Company``):
its own collections and ids, members, rate window and statistics; the login's
company part (``company+public:private``) selects it.  The top-level state is
the default company; an ``apiMembers`` entry with ``"company": "<id>"`` logs in
to that company (created when new); other companies' parts are kept under
``"tenants"`` in the state.  Additions are indexed by agreement; no request
scans or copies more than the rows it answers.

Behaviour the reference marks unknown is a knob in ``DEFAULT_CONFIG``; each
knob is listed in README.md.
"""

import base64
import collections
import copy
import datetime as dt
import math
import re
import urllib.parse

import seed_demo
from cw_conditions import ConditionError, compile_conditions, resolve
from simcore import (HttpError, Response, RollingCounter, Simulator, add_months,
                     iso_now, parse_datetime, today)
from simsource import Journal, fresh_row

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


_STORED_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def normalised_date(text):
    """``text`` as ConnectWise prints date-times (``yyyy-MM-ddTHH:mm:ssZ``, UTC);
    ``ValueError`` when it is not an ISO-8601 date."""
    if isinstance(text, str) and _STORED_RE.match(text):
        dt.datetime.fromisoformat(text[:19])        # valid calendar date and time?
        return text
    return cw_date(parse_datetime(text))


def stored_day(text):
    """The UTC date of a stored date-time (normalised by ``cw_date``: the first ten
    characters), any other ISO text through ``parse_datetime``."""
    if len(text) == 20 and text[10] == "T" and text[19] == "Z":
        return dt.date.fromisoformat(text[:10])
    return parse_datetime(text).date()


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

    def query_fields(self):
        """Fields ``conditions`` and ``orderBy`` may name (computed ones included)."""
        return frozenset(self.fields() | (ADDITION_FIGURES if self.parent else set()))


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
ADDITION_FIGURES = {"billedQuantity", "extPrice", "extCost", "margin", "prorateCost",
                    "proratePrice", "extendedProrateCost", "extendedProratePrice",
                    "prorateCurrentPeriodFlag", "agreementStatus", "additionStatus"}
QUERY_FIELDS = {path: coll.query_fields() for path, coll in COLLECTIONS.items()}
# (collection, reference field) -> the collection the reference points into
REF_TARGETS = {("finance/agreements", "type"): "finance/agreements/types",
               ("finance/agreements", "company"): "company/companies",
               ("finance/agreements", "billToCompany"): "company/companies",
               ("finance/agreements", "contact"): "company/contacts",
               ("finance/agreements", "billingCycle"): "finance/billingCycles",
               ("company/contacts", "company"): "company/companies",
               ("finance/additions", "product"): "procurement/catalog"}
STATE_KEYS = ("companyId", "companyName", "apiMembers", "clientIds", "nextId", "collections")


class Route:
    """A resolved API path: collection, optional parent and item ids, count flag."""

    def __init__(self, collection, item_id=None, parent_id=None, count=False):
        self.collection = collection
        self.item_id = item_id
        self.parent_id = parent_id
        self.count = count


class Company:
    """One ConnectWise company (a tenant): settings, collections and the API on them.

    ``meta`` holds ``companyId``, ``companyName``, ``apiMembers``, ``clientIds`` and
    ``nextId``; ``tables`` maps a collection path to ``{id: row}``; ``by_agreement``
    indexes additions by agreement id.  Stored rows are never changed in place (a write
    stores a new dict), so views and dumps copy them shallowly.
    """

    def __init__(self, sim, meta):
        self.sim = sim
        self.meta = meta
        self.tables = {path: {} for path in COLLECTIONS}
        self.by_agreement = {}          # agreementId -> {additionId: addition}
        self._members_of = None         # the apiMembers list the lookups were built from
        self._members = {}              # publicKey -> [member]
        self._clients_of = None
        self._clients = frozenset()

    @property
    def key(self):
        """The company id as logins match it (case-insensitive)."""
        return str(self.meta.get("companyId") or "").lower()

    @property
    def config(self):
        return self.sim.config

    @property
    def base_url(self):
        return self.sim.base_url

    # ------------------------------------------------------------------
    # Credentials
    # ------------------------------------------------------------------
    def member(self, public, secret):
        """The API member with these keys, or None."""
        members = self.meta.get("apiMembers") or []
        if self._members_of is not members:
            self._members = {}
            for entry in members:
                if isinstance(entry, dict):
                    self._members.setdefault(entry.get("publicKey"), []).append(entry)
            self._members_of = members
        return next((m for m in self._members.get(public, ())
                     if m.get("privateKey") == secret), None)

    def client_ids(self):
        ids = self.meta.get("clientIds") or []
        if self._clients_of is not ids:
            self._clients = frozenset(ids)
            self._clients_of = ids
        return self._clients

    # ------------------------------------------------------------------
    # Storage
    # ------------------------------------------------------------------
    def new_id(self):
        value = self.meta["nextId"]
        self.meta["nextId"] = value + 1
        return value

    def put(self, path, row):
        """Store ``row`` in collection ``path`` (replacing the row with its id)."""
        table = self.tables[path]
        old = table.get(row["id"])
        table[row["id"]] = row
        if path == ADDITIONS.path:
            if old is not None and old.get("agreementId") != row.get("agreementId"):
                self._unindex(old)
            self.by_agreement.setdefault(row.get("agreementId"), {})[row["id"]] = row

    def drop(self, path, row_id):
        """Remove a row from collection ``path``."""
        old = self.tables[path].pop(row_id, None)
        if old is not None and path == ADDITIONS.path:
            self._unindex(old)

    def _unindex(self, addition):
        bucket = self.by_agreement.get(addition.get("agreementId"))
        if bucket is not None:
            bucket.pop(addition["id"], None)
            if not bucket:
                del self.by_agreement[addition.get("agreementId")]

    def upsert(self, coll, row, stamp, journal=None):
        """Merge one row (by id) into ``coll``; ``ValueError`` when it is invalid."""
        table = self.tables[coll.path]
        if row.get("id") is None:
            row = dict(row, id=self.new_id())
        if isinstance(row["id"], bool) or not isinstance(row["id"], int):
            raise ValueError("%s id %r must be an integer" % (coll.resource, row["id"]))
        old = table.get(row["id"])
        current = dict(old) if old is not None else dict(id=row["id"],
                                                         **fresh_row(coll.defaults))
        current.update(row)
        if coll is ADDITIONS and current.get("sequenceNumber") is None:
            current["sequenceNumber"] = self._next_sequence(current.get("agreementId"))
        for name in coll.dates:
            if current.get(name):
                try:
                    current[name] = normalised_date(current[name])
                except ValueError:
                    raise ValueError("%s %s: bad %s" % (coll.resource, row["id"], name)) from None
        if coll.parent and not isinstance(current.get("agreementId"), int):
            raise ValueError("%s %s needs an agreementId" % (coll.resource, row["id"]))
        current.setdefault("_info", {"lastUpdated": stamp, "updatedBy": "seed"})
        if journal is not None:
            journal.row(self, coll.path, current["id"], old)
        self.put(coll.path, current)
        self.meta["nextId"] = max(self.meta["nextId"], current["id"] + 1)

    def dump(self):
        """This company's state (the single-company format)."""
        out = dict(self.meta)
        out["collections"] = {path: [dict(r) for _, r in sorted(t.items())]
                              for path, t in self.tables.items()}
        return out

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------
    def handler(self, method, route):
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
        """Stored rows of the route's collection (additions of one agreement)."""
        if route.parent_id is None:
            return list(self.tables[route.collection.path].values())
        self._agreement(route.parent_id)
        return list(self.by_agreement.get(route.parent_id, {}).values())

    def _agreement(self, agreement_id):
        row = self.tables["finance/agreements"].get(agreement_id)
        if row is None:
            fail(404, "NotFound", "Agreement with id %s was not found." % agreement_id)
        return row

    @staticmethod
    def _predicate(req, coll):
        """The compiled ``conditions`` of the request, or None without conditions."""
        conditions = req.arg_ci("conditions")
        if not conditions:
            return None
        try:
            return compile_conditions(conditions, QUERY_FIELDS[coll.path])
        except ConditionError as err:
            fail(400, "BadRequest", "The conditions parameter is invalid: %s" % err)

    def _matching(self, req, route):
        """(rows, viewed): the rows the conditions select, as views when there are
        conditions (``viewed`` True), else the stored rows (viewed later, page only)."""
        coll = route.collection
        predicate = self._predicate(req, coll)
        rows = self._scope(route)
        if predicate is None:
            return rows, False
        views = (self._view(coll, r) for r in rows)
        return [v for v in views if predicate(v)], True

    def _count(self, req, route, member):
        return Response(200, {"count": len(self._matching(req, route)[0])})

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
        coll = route.collection
        rows, viewed = self._matching(req, route)
        size = self._page_size(req)
        fields = req.arg_ci("fields")
        view = (lambda r: r) if viewed else (lambda r: self._view(coll, r))
        if (req.header("pagination-type") or "").lower() == "forward-only":
            return self._forward_only(req, rows, size, fields, view)
        order_by = req.arg_ci("orderBy")
        if order_by:
            rows = self._ordered(rows if viewed else [view(r) for r in rows], order_by, coll)
            view = lambda r: r
        else:
            rows = sorted(rows, key=lambda r: r["id"])
        page = self._int_arg(req, "page", 1)
        last = max(1, math.ceil(len(rows) / size))
        window = rows[(page - 1) * size: page * size]
        headers = self._link_header(req, page, last)
        return Response(200, [self._project(view(r), fields) for r in window], headers)

    def _forward_only(self, req, rows, size, fields, view):
        if req.arg_ci("orderBy"):
            fail(400, "BadRequest", "orderBy is not supported with forward-only pagination.")
        after = self._int_arg(req, "pageId", 0)
        rows = sorted((r for r in rows if r["id"] > after), key=lambda r: r["id"])
        window = rows[:size]
        headers = []
        if len(rows) > size:
            url = self._url(req, {"pageId": str(window[-1]["id"]), "page": None})
            headers.append(("Link", '<%s>; rel="next"' % url))
        return Response(200, [self._project(view(r), fields) for r in window], headers)

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

    @staticmethod
    def _ordered(rows, order_by, coll):
        keys = []
        for clause in order_by.split(","):
            words = clause.split()
            if not words or len(words) > 2 or (len(words) == 2 and
                                                words[1].lower() not in ("asc", "desc")):
                fail(400, "BadRequest", "orderBy %r is invalid." % clause.strip())
            if words[0].split("/")[0] not in QUERY_FIELDS[coll.path]:
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
        view = dict(row)                # stored rows are never changed in place
        for name in coll.refs:
            if isinstance(view.get(name), dict):
                view[name] = self._expand_ref(coll, name, view[name])
        if coll is ADDITIONS:
            self._addition_figures(view)
        return view

    def _expand_ref(self, coll, name, ref):
        target = REF_TARGETS.get((coll.path, name))
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
        if not agreement.get("prorateFlag") or not view.get("effectiveDate"):
            return 0.0
        months = self._cycle_months(agreement)
        if not months:
            return 0.0
        day = stored_day(view["effectiveDate"])
        start = period_start(day, months)
        if day == start:
            return 0.0
        end = add_months(start, months) - dt.timedelta(days=1)
        return ((end - day).days + 1) / ((end - start).days + 1)

    @staticmethod
    def _addition_status(view):
        cancelled = view.get("cancelledDate")
        if cancelled and stored_day(cancelled) < today():
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
        row = dict(id=None, **fresh_row(coll.defaults))
        if coll is ADDITIONS:
            row["quantity"] = self.config["default_quantity"]
        self._assign(coll, row, body)
        if route.parent_id is not None:
            self._agreement(route.parent_id)
            row["agreementId"] = route.parent_id
        self._validate(coll, row, None)
        row["id"] = self.new_id()
        self._touch(row, member)
        self.put(coll.path, row)
        self.sim.changed()
        return Response(201, self._view(coll, row))

    def _put(self, req, route, member):
        body = self._json(req)
        if not isinstance(body, dict):
            fail(400, "BadRequest", "The request body must be a JSON object.")
        old = self._row(route)
        row = dict(id=old["id"], **fresh_row(route.collection.defaults))
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
        self.put(coll.path, row)
        self.sim.changed()
        return Response(200, self._view(coll, row))

    def _delete(self, req, route, member):
        row = self._row(route)
        self.drop(route.collection.path, row["id"])
        if route.collection.path == "finance/agreements":
            for addition_id in list(self.by_agreement.get(row["id"], {})):
                self.drop(ADDITIONS.path, addition_id)
        self.sim.changed()
        return Response(204)

    @staticmethod
    def _touch(row, member):
        row["_info"] = {"lastUpdated": iso_now()[:19] + "Z",
                        "updatedBy": member.get("identifier") or member.get("publicKey")}

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
                    row[name] = normalised_date(row[name])
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
        self._max_length("addition", row, "invoiceDescription", 6000)   # reference B8
        self._max_length("addition", row, "serialNumber", 50)
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
        return max((a.get("sequenceNumber") or 0
                    for a in self.by_agreement.get(agreement_id, {}).values()), default=0) + 1

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


class ConnectWiseSim(Simulator):
    """The ConnectWise plugin: companies (tenants), authentication, throttling, routing and
    the control API's state operations; the API itself is ``Company``'s."""

    name = "connectwise"
    TENANT_KEY = "company"
    DEFAULT_CONFIG = {
        "rate_limit_per_minute": 1000,      # per company; 0 = never throttle
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
        self._default = Company(self, {})
        self._others = {}               # lower-case company id -> Company (not the default)
        super().__init__(core)
        self._windows = {}              # lower-case company id -> RollingCounter
        self._counts = {}               # lower-case company id -> {"requests", "throttled"}
        self._throttled = 0

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------
    @property
    def meta(self):
        """The default company's settings."""
        return self._default.meta

    @meta.setter
    def meta(self, value):
        self._default.meta = value

    @property
    def tables(self):
        """The default company's collections (path -> {id: row})."""
        return self._default.tables

    @tables.setter
    def tables(self, value):
        self._default.tables = value

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

    @staticmethod
    def new_company_meta(company_id):
        """Settings of a company created by naming it (no members, no client ids)."""
        return {"companyId": company_id, "companyName": company_id, "apiMembers": [],
                "clientIds": [], "nextId": FIRST_ID}

    def companies(self):
        """Every company, the default first."""
        return [self._default] + list(self._others.values())

    def company(self, company_id):
        """The company with this id (case-insensitive), or None."""
        key = str(company_id or "").lower()
        return self._default if key == self._default.key else self._others.get(key)

    def load_state(self, data, company=None):
        """Replace the whole store (``company`` None) or one company's part with ``data``."""
        if company is None:
            default, others = Company(self, self.fresh_store()[0]), {}
            self._merge(default, others, data, None, None)
        else:
            name = self._company_name(company)
            default, others, journal = self._default, dict(self._others), Journal()
            if name.lower() == default.key:
                default = Company(self, dict(self.fresh_store()[0], companyId=name))
            else:
                others[name.lower()] = Company(self, self.new_company_meta(name))
            try:            # members may name (and change) other live companies
                self._merge(default, others, data, name, journal)
            except Exception:
                journal.rollback()
                raise
        self._default, self._others = default, others
        self.changed()

    def merge_state(self, data, company=None):
        """Merge ``data`` into the store, or into one company's part (created when new).
        A failing merge changes nothing (the journal undoes what it did)."""
        name = None if company is None else self._company_name(company)
        journal, others = Journal(), dict(self._others)
        try:
            self._merge(self._default, others, data, name, journal)
        except Exception:
            journal.rollback()
            raise
        self._others = others
        self.changed()

    def merge_data(self, data):
        """Merge ``data`` into the default company (no undo; ``merge_state`` has it)."""
        self._merge(self._default, self._others, data, None, None)

    @staticmethod
    def _company_name(company):
        if not isinstance(company, str) or not company:
            raise ValueError("company must be a non-empty string")
        return company

    def _merge(self, default, others, data, name, journal):
        """Merge ``data`` into company ``name`` (None: the default, where ``tenants`` is
        allowed) of the world ``default`` + ``others`` (changed in place)."""
        if not isinstance(data, dict):
            raise ValueError("ConnectWise state must be a JSON object")
        allowed = set(STATE_KEYS) | ({"tenants"} if name is None else set())
        unknown_keys = set(data) - allowed
        if unknown_keys:
            raise ValueError("unknown ConnectWise state keys: %s"
                             % ", ".join(sorted(unknown_keys)))
        collections_ = data.get("collections") or {}
        unknown = set(collections_) - set(COLLECTIONS)
        if unknown:
            raise ValueError("unknown ConnectWise collections: %s" % ", ".join(sorted(unknown)))

        def company_of(company_id):
            company_id = self._company_name(company_id)
            key = company_id.lower()
            if key == default.key:
                return default
            if key not in others:
                others[key] = Company(self, self.new_company_meta(company_id))
            return others[key]

        target = default if name is None else company_of(name)
        if journal is not None:
            journal.meta(target)
        for key, value in data.items():
            if key in ("collections", "tenants"):
                continue
            if key == "companyId":
                self._rename(target, value, default, others)
            elif key == "apiMembers" and isinstance(value, list):
                self._merge_members(target, value, company_of, journal)
            else:
                target.meta[key] = value
        stamp = iso_now()[:19] + "Z"
        for path, rows in collections_.items():
            if not isinstance(rows, list):
                raise ValueError("ConnectWise collection %s must be a list of rows" % path)
            for row in rows:
                if not isinstance(row, dict):
                    raise ValueError("ConnectWise collection %s: rows must be objects" % path)
                target.upsert(COLLECTIONS[path], row, stamp, journal)
        parts = data.get("tenants") or {}
        if not isinstance(parts, dict):
            raise ValueError("ConnectWise tenants must be an object {companyId: state}")
        for company_id, part in parts.items():
            self._merge(default, others, part, company_id, journal)

    @staticmethod
    def _rename(target, value, default, others):
        """``companyId`` in merged data: renames the default; names its own company
        elsewhere."""
        if not isinstance(value, str) or not value:
            raise ValueError("companyId must be a non-empty string")
        if value.lower() == target.key:
            target.meta["companyId"] = value
            return
        if target is not default:
            raise ValueError("companyId %r does not match the company %r"
                             % (value, target.meta["companyId"]))
        if value.lower() in others:
            raise ValueError("company %r already exists" % value)
        target.meta["companyId"] = value

    @staticmethod
    def _merge_members(target, entries, company_of, journal):
        """``apiMembers``: an entry naming a ``company`` belongs to it; each company named
        gets its entries as its list (an empty list empties the target's)."""
        groups = {id(target): (target, [])}
        for entry in entries:
            named = entry.get("company") if isinstance(entry, dict) else None
            company = company_of(named) if named else target
            groups.setdefault(id(company), (company, []))[1].append(entry)
        for company, group in groups.values():
            if group or not entries:
                if journal is not None:
                    journal.meta(company)
                company.meta["apiMembers"] = group

    def dump_state(self, company=None):
        """The whole store (other companies under ``tenants`` when there are any), or one
        company's part (``KeyError`` when unknown)."""
        if company is not None:
            found = self.company(company)
            if found is None:
                raise KeyError("unknown ConnectWise company %r" % company)
            return found.dump()
        out = self._default.dump()
        if self._others:
            out["tenants"] = {c.meta["companyId"]: c.dump() for c in self._others.values()}
        return out

    # ------------------------------------------------------------------
    # Statistics
    # ------------------------------------------------------------------
    def reset_stats(self):
        self._windows = {}
        self._counts = {}
        self._throttled = 0

    def extra_stats(self):
        window = self.config["rate_limit_window_s"]
        companies = {}
        names = {c.key: c.meta["companyId"] for c in self.companies()}
        for key in list(names) + [k for k in self._counts if k not in names]:
            counts = self._counts.get(key) or {"requests": {}, "throttled": 0}
            companies[names.get(key, key)] = {
                "total_requests": sum(counts["requests"].values()),
                "requests": dict(counts["requests"]), "throttled": counts["throttled"],
                "requests_in_rate_window": (self._windows[key].count(window)
                                            if key in self._windows else 0)}
        return {"throttled": self._throttled,
                "requests_in_rate_window": sum(w.count(window) for w in self._windows.values()),
                "companies": companies}

    def _count(self, company, req):
        counts = self._counts.get(company.key)
        if counts is None:
            counts = self._counts[company.key] = {"requests": collections.Counter(),
                                                  "throttled": 0}
        counts["requests"]["%s %s" % (req.method, self.entity_of(req))] += 1

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
        self.core.sleep(req.delay_s + self.config["processing_ms"] / 1000.0)
        info = COMPANYINFO_RE.match(req.path)
        if info:
            with self.core.lock:
                return self._company_info(info.group(1), req)
        m = API_RE.match(req.path)
        if not m:
            fail(404, "NotFound", "The requested URL was not found.")
        if self.config["require_api_host"] and not (req.header("Host") or "").startswith("api-"):
            fail(400, "Security", "SSL is required.")
        with self.core.lock:
            company, member = self._authenticate(req)
            self._check_rate(company)
            return self._route(req, m.group(2), company, member)

    def _company_info(self, name, req):
        company = self.company(name)
        if company is None:
            fail(404, "NotFound", "Company %s was not found." % name)
        self._count(company, req)
        return Response(200, {
            "CompanyName": company.meta.get("companyName"), "Codebase": "v4_6_release/",
            "VersionCode": "v2025.1", "VersionNumber": "v4.6.2025.1",
            "CompanyID": company.meta["companyId"], "IsCloud": False,
            "SiteUrl": self.base_url.split("//", 1)[1]})

    def _authenticate(self, req):
        """(company, member) of the request; the login's company part selects the company."""
        login = _basic_login(req.header("Authorization") or "")
        company = self.company(login[0]) if login else None
        if company is not None:
            self._count(company, req)
        client_id = req.header("clientId")
        if not client_id:
            fail(400, "BadRequest", "The clientId header is required on every request.")
        if (self.config["require_registered_client_id"]
                and client_id not in (company or self._default).client_ids()
                and client_id not in self._default.client_ids()):
            fail(400, "BadRequest", "The clientId '%s' is not registered." % client_id)
        member = company.member(login[1], login[2]) if company is not None else None
        if member is None:
            raise HttpError(self._auth_failure())
        return company, member

    def _auth_failure(self):
        return cw_error(self.config["auth_failure_status"], "ConnectWiseApi",
                        "UserNotAuthenticated")

    def _check_rate(self, company):
        cap, window = self.config["rate_limit_per_minute"], self.config["rate_limit_window_s"]
        counter = self._windows.get(company.key)
        if counter is None:
            counter = self._windows[company.key] = RollingCounter()
        if cap and counter.count(window) >= cap:
            self._throttled += 1
            self._counts[company.key]["throttled"] += 1
            raise HttpError(self._throttle_response(counter.seconds_until_free(window)))
        counter.add()

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
    def _route(self, req, rest, company, member):
        parts = [p for p in rest.split("/") if p]
        lowered = "/".join(parts).lower()
        if lowered == "system/info":
            return Response(200, {"version": "v2025.1", "isCloud": False,
                                  "serverTimeZone": "Etc/UTC", "cloudRegion": None})
        route = self._resolve(parts)
        if route is None:
            fail(404, "NotFound", "The requested URL was not found.")
        return company.handler(req.method, route)(req, route, member)

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


def _basic_login(authorization):
    """(company, public key, private key) of ``Basic base64(company+public:private)``."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, secret = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    company, _, public = user.partition("+")
    return company, public, secret


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
