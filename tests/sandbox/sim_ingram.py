"""Ingram Micro Cloud Marketplace API simulator (doc/source-apis.md section 3).

Serves ``/marketplace/{region}/...``: ``POST token`` (HTTP Basic user:password,
``X-Subscription-Key``, JSON body ``{"marketplace": "us"}``) answering
``{token, expiresInSeconds}``; customers, subscriptions (the company ->
subscription -> resource model: a subscription's ``products[]`` carry one
quantity and price per MPN), products, and rated-data reports whose
``downloadUrl`` serves a CSV or JSON file.  Lists page with ``offset``/``limit``
into ``{"data": [...], "pagination": {offset, limit, total}}``; amounts are
strings (``"11.0350"``).  Every call needs the subscription key (checked by the
API gateway first, with its own error body) and the bearer token; errors use
``{timeStamp, status, message, path, correlationId}``; every answer carries
``X-Correlation-ID``.

Behaviour the reference marks unknown is a knob (README.md).
"""

import base64
import csv
import io
import itertools
import json

import seed_sources
from simcore import HttpError, Response, iso_now
from simsource import D, SourceSim, money_str

CUSTOMER_STATUSES = ("pending", "active", "creditHold", "adminHold", "cancelled")
SUBSCRIPTION_STATUSES = ("pending", "active", "hold", "terminated", "removed")
REPORT_COLUMNS = [
    ("Reseller ID", "resellerId"), ("Reseller Company Name", "resellerName"),
    ("Customer Account ID", "customerId"), ("End Customer Name", "customerName"),
    ("Subscription ID", "subscriptionId"), ("Subscription Name", "subscriptionName"),
    ("Subscription Expiration Date", "expirationDate"), ("Plan ID", "planId"),
    ("Resource MPN", "mpn"), ("Resource Name", "resourceName"), ("Charge Type", "chargeType"),
    ("Charge Start Date", "chargeStartDate"), ("Charge End Date", "chargeEndDate"),
    ("Quantity", "quantity"), ("Duration", "duration"), ("Unit Price", "unitPrice"),
    ("Unit Cost", "unitCost"), ("Extended Price", "extendedPrice"),
    ("Extended Cost", "extendedCost"), ("Currency", "currency"),
    ("Billing Period", "billingPeriod"), ("Subscription Period", "subscriptionPeriod"),
]
RESELLER = ("1000100", "Demo MSP")


class IngramSim(SourceSim):
    """The Ingram Micro Cloud Marketplace plugin."""

    name = "ingram"
    DEFAULT_CONFIG = dict(SourceSim.COMMON_CONFIG, **{
        "token_lifetime_s": 1500,           # documented example expiresInSeconds
        "default_limit": 10,                # * limit when omitted
        "max_limit": 100,                   # * largest limit
        "over_limit": "clamp",              # * limit above max_limit: clamp | error (400)
        "require_marketplace": True,        # newer versions require {"marketplace": ...}
        "list_includes_products": False,    # * GET /subscriptions items carry products[]
    })
    KNOB_CHOICES = {"over_limit": ("clamp", "error")}
    TABLES = {
        "customers": {"name": None, "externalId": None, "status": "active", "address": {},
                      "contactPersons": [], "taxRegId": None, "language": "en"},
        "subscriptions": {"customerId": None, "name": None, "status": "active",
                          "renewalStatus": True, "creationDate": None, "renewalDate": None,
                          "expirationDate": None, "lastModifiedDate": None,
                          "billingModel": "chargeBeforeBillingPeriod",
                          "billingPeriod": {"type": "month", "duration": 1},
                          "subscriptionPeriod": {"type": "year", "duration": 1},
                          "planId": None, "products": []},
        "reports": {"name": None, "status": "completed", "type": "monthly", "format": "csv",
                    "creationDate": None, "startDate": None, "endDate": None},
        "reportLines": {"reportId": None},
    }
    ID_KINDS = {"customers": "numstr", "subscriptions": "numstr", "reports": "uuid",
                "reportLines": "uuid"}
    FIRST_ID = 1000500
    ROUTES = [
        ("POST", "/marketplace/{region}/token", "token", False),
        ("GET", "/marketplace/{region}/customers", "list_customers", True),
        ("GET", "/marketplace/{region}/customers/{id}", "get_customer", True),
        ("GET", "/marketplace/{region}/subscriptions", "list_subscriptions", True),
        ("GET", "/marketplace/{region}/subscriptions/{id}", "get_subscription", True),
        ("GET", "/marketplace/{region}/products", "list_products", True),
        ("GET", "/marketplace/{region}/reports", "list_reports", True),
        ("GET", "/marketplace/{region}/reports/{id}", "get_report", True),
        ("GET", "/report-files/{file}", "report_file", False),
    ]

    def __init__(self, core):
        super().__init__(core)
        self._correlation = itertools.count(1)

    def meta_defaults(self):
        c = seed_sources.INGRAM_CREDENTIALS
        return {"users": [{"username": c["username"], "password": c["password"]}],
                "subscriptionKeys": [c["subscription_key"]],
                "marketplaces": [c["marketplace"], "ca", "uk", "eu", "nl"],
                "reseller": {"id": RESELLER[0], "name": RESELLER[1]}}

    def demo_state(self):
        return seed_sources.ingram_state(self.empty_state())

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------
    def correlation_id(self):
        return "a8n-%08d" % next(self._correlation)

    def error(self, status, message, path="", headers=None):
        cid = self.correlation_id()
        return Response(status, {"timeStamp": iso_now(), "status": status, "message": message,
                                 "path": path, "correlationId": cid},
                        [("X-Correlation-ID", cid)] + list(headers or []))

    def fail(self, req, status, message):
        raise HttpError(self.error(status, message, req.path))

    def gateway_error(self, status, message, headers=None):
        """The API gateway's own body (subscription key, quota)."""
        return Response(status, {"statusCode": status, "message": message}, headers)

    def auth_failure(self, req, reason="invalid"):
        if req.path.lower().endswith("/token"):
            return self.error(401, "Bad credentials", req.path)
        return self.error(401, {"expired": "Access token expired",
                                "missing": "Full authentication is required to access this "
                                           "resource"}.get(reason, "Invalid access token"),
                          req.path)

    def throttle_response(self, retry_after):
        return self.gateway_error(429, "Rate limit is exceeded. Try again in %d seconds."
                                  % retry_after, [("Retry-After", str(retry_after))])

    def server_error(self, message, status=500):
        return self.error(status, message)

    def serve(self, req):
        response = super().serve(req)
        if not any(name.lower() == "x-correlation-id" for name, _ in response.headers):
            response.headers.append(("X-Correlation-ID", self.correlation_id()))
        return response

    def check_key(self, req):
        key = req.header("X-Subscription-Key")
        if not key:
            raise HttpError(self.gateway_error(
                401, "Access denied due to missing subscription key. Make sure to include "
                "subscription key when making requests to an API."))
        if key not in self.meta["subscriptionKeys"]:
            raise HttpError(self.gateway_error(
                401, "Access denied due to invalid subscription key. Make sure to provide a "
                "valid key for an active subscription."))

    def authenticate(self, req):
        self.check_key(req)
        state, subject = self.check_bearer(req)
        if state != "ok":
            raise HttpError(self.auth_failure(req, state))
        return subject

    # ------------------------------------------------------------------
    # Token
    # ------------------------------------------------------------------
    def token(self, req, _p, region):
        self.check_key(req)
        value = req.header("Authorization") or ""
        scheme, _, encoded = value.partition(" ")
        user = None
        if scheme.lower() == "basic":
            try:
                name, _, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                name = password = None
            user = next((u for u in self.meta["users"]
                         if u["username"] == name and u["password"] == password), None)
        if user is None:
            return self.auth_failure(req)
        try:
            body = req.json() if req.body else {}
        except ValueError:
            return self.error(400, "Request body is not valid JSON", req.path)
        market = body.get("marketplace") if isinstance(body, dict) else None
        if market is None and self.config["require_marketplace"]:
            return self.error(400, "marketplace is required", req.path)
        if market is not None and market not in self.meta["marketplaces"]:
            return self.error(400, "Unknown marketplace '%s'" % market, req.path)
        token = self.tokens.issue({"user": user["username"], "marketplace": market},
                                  self.lifetime(), prefix="im")
        return Response(200, {"token": token, "expiresInSeconds": self.expires_in()})

    # ------------------------------------------------------------------
    # Paging
    # ------------------------------------------------------------------
    def paged(self, req, rows, render):
        bad = lambda message: self.fail(req, 400, message)
        offset = self.int_arg(req, "offset", 0, bad, minimum=0)
        limit = self.int_arg(req, "limit", self.config["default_limit"], bad, minimum=1)
        if limit > self.config["max_limit"]:
            if self.config["over_limit"] == "error":
                self.fail(req, 400, "limit must be less than or equal to %d"
                          % self.config["max_limit"])
            limit = self.config["max_limit"]
        return Response(200, {"data": [render(r) for r in rows[offset:offset + limit]],
                              "pagination": {"offset": offset, "limit": limit,
                                             "total": len(rows)}})

    def found(self, req, table, row_id, what):
        row = self.row(table, row_id)
        if row is None:
            self.fail(req, 404, "%s %s not found" % (what, row_id))
        return row

    # ------------------------------------------------------------------
    # Customers
    # ------------------------------------------------------------------
    def list_customers(self, req, _p, _region):
        rows = self.rows("customers")
        for name in ("name", "externalId"):
            if req.arg(name):
                rows = [r for r in rows if req.arg(name).lower() in (r.get(name) or "").lower()]
        if req.arg("email"):
            rows = [r for r in rows if any(c.get("email") == req.arg("email")
                                           for c in r.get("contactPersons") or [])]
        return self.paged(req, rows, lambda r: {k: r.get(k) for k in
                                                ("id", "externalId", "name", "status")})

    def get_customer(self, req, _p, _region, customer_id):
        return Response(200, dict(self.found(req, "customers", customer_id, "Customer")))

    # ------------------------------------------------------------------
    # Subscriptions
    # ------------------------------------------------------------------
    def list_subscriptions(self, req, _p, _region):
        rows = self.rows("subscriptions")
        if req.arg("customerId"):
            rows = [r for r in rows if r["customerId"] == req.arg("customerId")]
        if req.arg("status"):
            if req.arg("status") not in SUBSCRIPTION_STATUSES:
                self.fail(req, 400, "status must be one of %s" % ", ".join(SUBSCRIPTION_STATUSES))
            rows = [r for r in rows if r["status"] == req.arg("status")]
        for arg, cmp in (("creationDateFrom", lambda a, b: a >= b),
                         ("creationDateTo", lambda a, b: a <= b)):
            if req.arg(arg):
                rows = [r for r in rows if cmp(r.get("creationDate") or "", req.arg(arg)[:10])]
        rows = sorted(rows, key=lambda r: (r.get("creationDate") or "", r["id"]), reverse=True)
        return self.paged(req, rows, self.render_list_item)

    def render_list_item(self, row):
        item = {k: row.get(k) for k in ("id", "customerId", "status", "renewalStatus",
                                        "creationDate", "renewalDate", "lastModifiedDate",
                                        "name")}
        if self.config["list_includes_products"]:
            item["products"] = self.render_products(row)
        return item

    def render_products(self, row):
        out = []
        for p in row.get("products") or []:
            qty = D(str(p.get("quantity", 0)))
            price, cost = D(str(p.get("unitPrice", "0"))), D(str(p.get("unitCost", "0")))
            out.append({"mpn": p.get("mpn"), "name": p.get("name"), "vendor": p.get("vendor"),
                        "quantity": float(qty),
                        "unitPrice": {"amount": money_str(price), "currency": "USD"},
                        "extendedPrice": {"amount": money_str(price * qty), "currency": "USD"},
                        "unitCost": {"amount": money_str(cost), "currency": "USD"},
                        "extendedCost": {"amount": money_str(cost * qty), "currency": "USD"},
                        "vendorSubscriptionId": p.get("vendorSubscriptionId")})
        return out

    def get_subscription(self, req, _p, _region, sub_id):
        row = self.found(req, "subscriptions", sub_id, "Subscription")
        products = self.render_products(row)
        total = sum(D(p["extendedPrice"]["amount"]) for p in products)
        cost = sum(D(p["extendedCost"]["amount"]) for p in products)
        out = {k: v for k, v in row.items() if k != "products"}
        out.update(products=products,
                   totalPrice={"amount": money_str(total), "currency": "USD"},
                   totalSubscriptionPrice={"amount": money_str(total), "currency": "USD"},
                   totalSubscriptionCost={"amount": money_str(cost), "currency": "USD"})
        return Response(200, out)

    # ------------------------------------------------------------------
    # Products (the catalogue entries the subscriptions use)
    # ------------------------------------------------------------------
    def list_products(self, req, _p, _region):
        seen = {}
        for sub in self.rows("subscriptions"):
            for p in sub.get("products") or []:
                seen.setdefault(p.get("mpn"), {
                    "mpn": p.get("mpn"), "name": p.get("name"), "vendor": p.get("vendor"),
                    "serviceName": p.get("name"), "minimumQuantity": 1, "maximumQuantity": 300,
                    "prices": [{"amount": money_str(p.get("unitPrice", "0")), "currency": "USD",
                                "type": "recurring"}],
                    "costs": [{"amount": money_str(p.get("unitCost", "0")), "currency": "USD",
                               "type": "recurring"}],
                    "billingPeriod": sub.get("billingPeriod"),
                    "subscriptionPeriod": sub.get("subscriptionPeriod"), "dependsOn": []})
        rows = list(seen.values())
        if req.arg("mpn"):
            rows = [r for r in rows if r["mpn"] == req.arg("mpn")]
        return self.paged(req, rows, lambda r: r)

    # ------------------------------------------------------------------
    # Reports (rated data)
    # ------------------------------------------------------------------
    def list_reports(self, req, _p, _region):
        rows = self.rows("reports")
        for name in ("type", "status", "format"):
            if req.arg(name):
                rows = [r for r in rows if r.get(name) == req.arg(name)]
        if req.arg("from"):
            rows = [r for r in rows if (r.get("startDate") or "")[:10] >= req.arg("from")[:10]]
        if req.arg("to"):
            rows = [r for r in rows if (r.get("startDate") or "")[:10] <= req.arg("to")[:10]]
        return self.paged(req, rows, self.render_report)

    def render_report(self, row):
        out = dict(row)
        out["downloadUrl"] = "%s/report-files/%s.%s" % (self.base_url, row["id"], row["format"])
        return out

    def get_report(self, req, _p, _region, report_id):
        return Response(200, self.render_report(self.found(req, "reports", report_id, "Report")))

    def report_file(self, req, _p, name):
        report_id, _, ext = name.rpartition(".")
        report = self.row("reports", report_id)
        if report is None or ext not in ("csv", "json"):
            return Response(404, b"<Error><Code>BlobNotFound</Code></Error>",
                            [("Content-Type", "application/xml")])
        lines = [dict(r, resellerId=self.meta["reseller"]["id"],
                      resellerName=self.meta["reseller"]["name"])
                 for r in self.rows("reportLines") if r.get("reportId") == report_id]
        if ext == "json":
            data = [{title: _cell(line.get(key)) for title, key in REPORT_COLUMNS}
                    for line in lines]
            return Response(200, json.dumps(data).encode(),
                            [("Content-Type", "application/json")])
        return Response(200, report_csv(lines).encode("utf-8"),
                        [("Content-Type", "text/csv; charset=utf-8")])


def _cell(value):
    return "" if value is None else str(value)


def report_csv(lines):
    """Rated-data CSV text (header row + one row per line) with ``REPORT_COLUMNS``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([title for title, _ in REPORT_COLUMNS])
    for line in lines:
        writer.writerow([_cell(line.get(key)) for _, key in REPORT_COLUMNS])
    return buf.getvalue()


SIMULATOR = IngramSim
