"""Pax8 Partner API simulator (doc/source-apis.md section 2).

Serves ``/v1/...``: ``POST /v1/token`` (also ``/oauth/token``, the token-manager
address) with the client-credentials JSON body, companies, subscriptions
(+history), products (+pricing), invoices and invoice items.  Lists page with
``page`` (0-based) and ``size`` (default 10, at most 200; more is a 422) into
``{"content": [...], "page": {size, totalElements, totalPages, number}}``.
Errors use Pax8's envelope ``{type, message, instance, status, details}``; the
token endpoint answers 401 ``{"error": "access_denied", ...}``.

Partners: every partner is an independent tenant (``simsource.TableStore``) with
its own tables and rate window.  The top-level store is the partner
``default``; a ``clients`` entry with ``"partner": "<name>"`` logs in to that
partner (created when new) and the token remembers it.  Other partners' parts
are kept under ``"tenants"`` in the state.

Behaviour the reference marks unknown is a knob (README.md).
"""

import datetime as dt

import seed_sources
from simcore import HttpError, Response
from simsource import SourceSim, TableStore

AUDIENCE = "https://api.pax8.com"
OTHER_AUDIENCES = ("api://p8p.client", "api://provisioning", "api://usage")
MAX_SIZE = 200
COMPANY_FILTERS = ("city", "country", "stateOrProvince", "postalCode", "selfServiceAllowed",
                   "billOnBehalfOfEnabled", "orderApprovalRequired", "status")
COMPANY_SORTS = ("name", "city", "country", "stateOrProvince", "postalCode")
SUBSCRIPTION_FILTERS = ("status", "billingTerm", "companyId", "productId")
SUBSCRIPTION_SORTS = ("quantity", "startDate", "endDate", "createdDate", "billingStart", "price")
INVOICE_FILTERS = ("status", "invoiceDate", "dueDate", "total", "balance", "carriedBalance",
                   "companyId")
ADDRESS_FIELDS = ("city", "country", "stateOrProvince", "postalCode")


def envelope(status, kind, message, instance, details=None, headers=None):
    """Pax8's error envelope (not RFC 9457)."""
    return Response(status, {"type": kind, "message": message, "instance": instance,
                             "status": status, "details": details or []}, headers)


class Pax8Sim(SourceSim):
    """The Pax8 plugin."""

    name = "pax8"
    DEFAULT_CONFIG = dict(SourceSim.COMMON_CONFIG, **{
        "token_lifetime_s": 86400,          # documented: 24 h
        "rate_limit_per_window": 1000,      # documented "1000" per window (unit cut off)
        "rate_limit_window_s": 60,          # * assumed: per minute
        "max_page_size": MAX_SIZE,          # documented 200
        "oversize_status": 422,             # * size above the maximum: 422 (or 400)
        "period_end_style": "exclusive",    # * item endPeriod: exclusive (spec example) | inclusive
        "api_401_body": "envelope",         # * 401 on API calls: envelope | oauth ({"error": ...})
    })
    KNOB_CHOICES = {"oversize_status": (422, 400),
                    "period_end_style": ("exclusive", "inclusive"),
                    "api_401_body": ("envelope", "oauth")}
    TABLES = {
        "companies": {"name": None, "address": {}, "phone": None, "website": None,
                      "externalId": None, "billOnBehalfOfEnabled": False,
                      "selfServiceAllowed": False, "orderApprovalRequired": False,
                      "status": "Active", "updatedDate": None},
        "products": {"name": None, "vendorName": "Microsoft", "sku": None},
        "subscriptions": {"companyId": None, "productId": None, "productName": None,
                          "quantity": 1, "startDate": None, "createdDate": None,
                          "billingStart": None, "status": "Active", "price": 0,
                          "partnerCost": None, "currencyCode": "USD", "billingTerm": "Monthly"},
        "subscriptionHistory": {"subscriptionId": None},
        "invoices": {"invoiceDate": None, "dueDate": None, "status": "Unpaid", "total": 0,
                     "balance": 0, "carriedBalance": 0, "currencyCode": "USD",
                     "partnerName": "Demo MSP", "companyId": None, "externalId": None},
        "invoiceItems": {"invoiceId": None, "type": "subscription", "quantity": 1,
                         "currencyCode": "USD"},
    }
    ID_KINDS = {name: "uuid" for name in TABLES}
    INDEXES = {"subscriptions": ("companyId", "productId"),
               "subscriptionHistory": ("subscriptionId",), "invoiceItems": ("invoiceId",)}
    TENANT_KEY = "partner"
    TENANT_CREDENTIALS = "clients"
    TENANT_STATS = "partners"
    ROUTES = [
        ("POST", "/v1/token", "token", False),
        ("POST", "/oauth/token", "token", False),
        ("GET", "/v1/companies", "list_companies", True),
        ("GET", "/v1/companies/{id}", "get_company", True),
        ("GET", "/v1/subscriptions", "list_subscriptions", True),
        ("GET", "/v1/subscriptions/{id}", "get_subscription", True),
        ("GET", "/v1/subscriptions/{id}/history", "subscription_history", True),
        ("GET", "/v1/products", "list_products", True),
        ("GET", "/v1/products/{id}", "get_product", True),
        ("GET", "/v1/products/{id}/pricing", "product_pricing", True),
        ("GET", "/v1/invoices", "list_invoices", True),
        ("GET", "/v1/invoices/{id}", "get_invoice", True),
        ("GET", "/v1/invoices/{id}/items", "invoice_items", True),
    ]

    def __init__(self, core):
        super().__init__(core)
        self._clients = None            # client_id -> (partner, client); None = rebuild
        self._tokens_by_partner = {}

    def meta_defaults(self):
        creds = seed_sources.PAX8_CREDENTIALS
        return {"clients": [{"client_id": creds["client_id"],
                             "client_secret": creds["client_secret"]}]}

    def demo_state(self):
        return seed_sources.pax8_state(self.empty_state())

    # ------------------------------------------------------------------
    # Partners
    # ------------------------------------------------------------------
    def tenants_changed(self):
        self._clients = None

    def _client(self, client_id):
        """(partner, client entry) of a client id, or (None, None)."""
        if self._clients is None:
            index = {}
            for name in reversed(self.tenant_names()):      # the default wins a clash
                for client in self.store(name).meta.get("clients") or []:
                    if isinstance(client, dict):
                        index[client.get("client_id")] = (name, client)
            self._clients = index
        return self._clients.get(client_id, (None, None))

    def reset_stats(self):
        super().reset_stats()
        self._tokens_by_partner = {}

    def tenant_stats(self):
        out = super().tenant_stats()
        for name, entry in out.items():
            entry["tokens_issued"] = dict(self._tokens_by_partner.get(name) or {})
        return out

    def rate_key(self, req):
        """The partner of the request: the token's, or at the token endpoint the client's."""
        if req.path.lower() in ("/v1/token", "/oauth/token"):
            try:
                body = req.json()
            except ValueError:
                body = None
            partner = self._client(body.get("client_id"))[0] if isinstance(body, dict) else None
        else:
            token = self.bearer(req)
            partner = (self.tokens.check(token)[1] or {}).get("partner") if token else None
        return partner if partner in self._tenants else self.DEFAULT_TENANT

    def partner(self, principal):
        """The ``TableStore`` of the token's partner (a partner replaced since keeps its
        name; a partner that no longer exists has no data)."""
        name = (principal or {}).get("partner")
        if name in (None, self.DEFAULT_TENANT):
            return self._default
        store = self._tenants.get(name)
        if store is None:
            store = TableStore(self, self.tenant_meta_defaults(), name)
        return store

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------
    def fail(self, req, status, kind, message):
        raise HttpError(envelope(status, kind, message, req.path))

    def auth_failure(self, req, reason="invalid"):
        if req.path.lower() in ("/v1/token", "/oauth/token"):
            return Response(401, {"error": "access_denied", "error_description": "Unauthorized"})
        message = {"expired": "The access token has expired.",
                   "missing": "Full authentication is required to access this resource."
                   }.get(reason, "The access token is invalid.")
        if self.config["api_401_body"] == "oauth":
            return Response(401, {"error": "access_denied", "error_description": message})
        return envelope(401, "UNAUTHORIZED", message, req.path)

    def throttle_response(self, retry_after):
        return envelope(429, "TOO_MANY_REQUESTS",
                        "Rate limit exceeded; retry after %d seconds." % retry_after, "/v1",
                        headers=[("Retry-After", str(retry_after))])

    def server_error(self, message, status=500):
        kind = {404: "NOT_FOUND", 405: "BAD_REQUEST", 408: "REQUEST_TIMEOUT"}.get(
            status, "INTERNAL_SERVER_ERROR")
        return envelope(status, kind, message, "/v1")

    def authenticate(self, req):
        state, subject = self.check_bearer(req)
        if state != "ok":
            raise HttpError(self.auth_failure(req, state))
        if subject.get("audience") != AUDIENCE:
            self.fail(req, 403, "FORBIDDEN", "The token's audience %s does not grant partner "
                      "endpoints." % subject.get("audience"))
        return subject

    # ------------------------------------------------------------------
    # Token
    # ------------------------------------------------------------------
    def token(self, req, _principal):
        try:
            body = req.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return Response(400, {"error": "invalid_request",
                                  "error_description": "The request body must be JSON."})
        if body.get("grant_type") != "client_credentials":
            return Response(403, {"error": "unauthorized_client",
                                  "error_description": "Grant type '%s' not allowed for the client."
                                  % body.get("grant_type")})
        partner, client = self._client(body.get("client_id"))
        if client is None or client.get("client_secret") != body.get("client_secret"):
            return self.auth_failure(req)
        audience = body.get("audience")
        if audience != AUDIENCE and audience not in OTHER_AUDIENCES:
            return Response(403, {"error": "access_denied",
                                  "error_description": "Service not enabled within domain: %s"
                                  % audience})
        token = self.tokens.issue({"client": client["client_id"], "audience": audience,
                                   "partner": partner}, self.lifetime(), prefix="pax8")
        counts = self._tokens_by_partner.setdefault(partner, {})
        counts["access"] = counts.get("access", 0) + 1
        return Response(200, {"access_token": token, "expires_in": self.expires_in(),
                              "token_type": "Bearer"})

    # ------------------------------------------------------------------
    # Paging, filtering, sorting
    # ------------------------------------------------------------------
    def page(self, req, rows, render=lambda r: r):
        fail = lambda message: self.fail(req, 400, "BAD_REQUEST", message)
        page = self.int_arg(req, "page", 0, fail)
        size = self.int_arg(req, "size", 10, fail)
        if page < 0:
            self.fail(req, 422, "UNPROCESSABLE_ENTITY", "page must be greater than or equal to 0")
        if size < 1 or size > self.config["max_page_size"]:
            status = self.config["oversize_status"]
            self.fail(req, status, "UNPROCESSABLE_ENTITY" if status == 422 else "BAD_REQUEST",
                      "size must be between 1 and %d" % self.config["max_page_size"])
        total = len(rows)
        chunk = rows[page * size:(page + 1) * size]
        return Response(200, {"content": [render(r) for r in chunk],
                              "page": {"size": size, "totalElements": total,
                                       "totalPages": (total + size - 1) // size, "number": page}})

    def filtered(self, req, rows, names, getter=lambda row, name: row.get(name)):
        for name in names:
            wanted = req.arg(name)
            if wanted is None:
                continue
            rows = [r for r in rows if _text(getter(r, name)).lower() == wanted.lower()]
        return rows

    def sorted_rows(self, req, rows, allowed):
        spec = req.arg("sort")
        if not spec:
            return rows
        field, _, direction = spec.partition(",")
        if field not in allowed or direction.lower() not in ("", "asc", "desc"):
            self.fail(req, 400, "INVALID_PARAM", "Cannot sort by '%s'; allowed: %s"
                      % (spec, ", ".join(allowed)))
        key = lambda r: (r.get(field) is None, _sort_key(r.get(field)))
        return sorted(rows, key=key, reverse=direction.lower() == "desc")

    def found(self, req, store, table, row_id, what):
        row = store.row(table, row_id)
        if row is None:
            self.fail(req, 404, "NOT_FOUND", "%s %s was not found." % (what, row_id))
        return row

    # ------------------------------------------------------------------
    # Companies
    # ------------------------------------------------------------------
    def list_companies(self, req, p):
        getter = lambda r, n: (r.get("address") or {}).get(n) if n in ADDRESS_FIELDS else r.get(n)
        rows = self.filtered(req, self.partner(p).rows("companies"), COMPANY_FILTERS, getter)
        return self.page(req, self.sorted_rows(req, rows, COMPANY_SORTS), _company)

    def get_company(self, req, p, company_id):
        return Response(200, _company(self.found(req, self.partner(p), "companies", company_id,
                                                 "Company")))

    # ------------------------------------------------------------------
    # Subscriptions
    # ------------------------------------------------------------------
    def list_subscriptions(self, req, p):
        store = self.partner(p)
        company = req.arg("companyId")
        if company is not None and store.row("companies", company) is None:
            self.fail(req, 403, "FORBIDDEN", "You do not have access to company %s." % company)
        if company is not None:
            rows = store.rows_where("subscriptions", "companyId", company)
        elif req.arg("productId") is not None:
            rows = store.rows_where("subscriptions", "productId", req.arg("productId"))
        else:
            rows = store.rows("subscriptions")
        rows = self.filtered(req, rows, SUBSCRIPTION_FILTERS)
        return self.page(req, self.sorted_rows(req, rows, SUBSCRIPTION_SORTS), _subscription)

    def get_subscription(self, req, p, sub_id):
        return Response(200, _subscription(self.found(req, self.partner(p), "subscriptions",
                                                      sub_id, "Subscription")))

    def subscription_history(self, req, p, sub_id):
        store = self.partner(p)
        self.found(req, store, "subscriptions", sub_id, "Subscription")
        snaps = [r for r in store.rows_where("subscriptionHistory", "subscriptionId", sub_id)
                 if r["subscriptionId"] == sub_id]
        snaps.sort(key=lambda r: _sort_key(r.get("updatedDate") or r.get("createdDate")),
                   reverse=True)
        content = []
        for snap in snaps:
            item = {k: v for k, v in snap.items() if k != "subscriptionId"}
            item["id"] = sub_id
            content.append(_subscription(item))
        return Response(200, {"content": content})

    # ------------------------------------------------------------------
    # Products
    # ------------------------------------------------------------------
    def list_products(self, req, p):
        return self.page(req, self.partner(p).rows("products"))

    def get_product(self, req, p, product_id):
        return Response(200, self.found(req, self.partner(p), "products", product_id, "Product"))

    def product_pricing(self, req, p, product_id):
        store = self.partner(p)
        product = self.found(req, store, "products", product_id, "Product")
        subs = [s for s in store.rows_where("subscriptions", "productId", product_id)
                if s.get("productId") == product_id]
        content = []
        for term in sorted({s.get("billingTerm") for s in subs} or {"Monthly"}):
            sample = next((s for s in subs if s.get("billingTerm") == term), {})
            commitment = sample.get("commitmentTerm") or {}
            content.append({
                "productId": product_id, "productName": product.get("name"),
                "billingTerm": term, "commitmentTerm": commitment.get("term"),
                "commitmentTermInMonths": 12 if commitment.get("term") == "1-Year" else 1,
                "type": "Flat", "unitOfMeasurement": "User",
                "rates": [{"partnerBuyRate": sample.get("partnerCost"),
                           "suggestedRetailPrice": sample.get("price"),
                           "startQuantityRange": 1, "endQuantityRange": None,
                           "chargeType": "Per Unit"}]})
        return Response(200, {"content": content})

    # ------------------------------------------------------------------
    # Invoices
    # ------------------------------------------------------------------
    def list_invoices(self, req, p):
        rows = self.filtered(req, self.partner(p).rows("invoices"), INVOICE_FILTERS)
        start, end = req.arg("invoiceDateRangeStart"), req.arg("invoiceDateRangeEnd")
        try:
            low = dt.date.fromisoformat(start).isoformat() if start else ""
            high = dt.date.fromisoformat(end).isoformat() if end else "9999"
        except ValueError:
            self.fail(req, 400, "BAD_REQUEST", "Dates must be yyyy-MM-dd.")
        rows = [r for r in rows if low <= (r.get("invoiceDate") or "")[:10] <= high]
        rows.sort(key=lambda r: r.get("invoiceDate") or "", reverse=True)
        return self.page(req, rows)

    def get_invoice(self, req, p, invoice_id):
        return Response(200, self.found(req, self.partner(p), "invoices", invoice_id, "Invoice"))

    def invoice_items(self, req, p, invoice_id):
        store = self.partner(p)
        self.found(req, store, "invoices", invoice_id, "Invoice")
        rows = [r for r in store.rows_where("invoiceItems", "invoiceId", invoice_id)
                if r.get("invoiceId") == invoice_id]
        return self.page(req, rows, self._item)

    def _item(self, row):
        item = {k: v for k, v in row.items() if k != "invoiceId"}
        end = item.get("endPeriod")
        if end and self.config["period_end_style"] == "exclusive":
            item["endPeriod"] = (dt.date.fromisoformat(end) + dt.timedelta(days=1)).isoformat()
        return item


def _company(row):
    return dict(row)


def _subscription(row):
    """Optional fields are left out when unset, as the spec's examples do."""
    return {k: v for k, v in row.items() if v is not None}


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _sort_key(value):
    return (0, value) if isinstance(value, (int, float)) else (1, _text(value).lower())


SIMULATOR = Pax8Sim
