"""Microsoft Partner Center (CSP) simulator (doc/source-apis.md section 4).

Serves, on one port:

* the Entra ID token endpoints ``POST /{tenant}/oauth2/token`` (v1: ``resource``,
  numbers as strings) and ``POST /{tenant}/oauth2/v2.0/token`` (``scope``),
  grants ``client_credentials`` and ``refresh_token`` (App+User);
* ``/v1/customers`` (``size`` + continuation), ``/v1/customers/{id}``,
  ``/v1/customers/{id}/subscriptions[/{id}]`` (Collection envelope),
  ``/v1/invoices[/{id}]`` and the OneTime billing line items
  ``/v1/invoices/{id}/lineitems/OneTime/BillingLineItems?size=&offset=`` (also
  the older ``/lineitems?provider=OneTime&invoicelineitemtype=BillingLineItems``)
  whose later pages come from ``?seekOperation=Next`` + header
  ``MS-ContinuationToken``; numbers arrive as JSON strings or numbers;
* ``GET /sandbox/recon/{YYYY-MM}`` (no auth): the new-commerce reconciliation CSV
  of the invoices of that billing month.  ``recon_csv`` / ``write_recon_csv``
  build the same file without a running sandbox.

Behaviour the reference marks unknown is a knob (README.md).
"""

import csv
import datetime as dt
import io
import itertools
import secrets
import time
import urllib.parse

import seed_sources
from simcore import HttpError, Response, unix_now, utcnow
from simsource import SourceSim, json_number

RESOURCE = "https://api.partnercenter.microsoft.com"
SCOPE = RESOURCE + "/.default"
NUMERIC_FIELDS = ("unitPrice", "effectiveUnitPrice", "quantity", "subtotal", "taxTotal",
                  "totalForCustomer", "billableQuantity", "pcToBCExchangeRate", "resellerMpnId")

# The new-commerce invoice reconciliation file, in Partner Center's column order.
RECON_COLUMNS = [
    ("PartnerId", "partnerId"), ("CustomerId", "customerId"), ("CustomerName", "customerName"),
    ("CustomerDomainName", "customerDomainName"), ("CustomerCountry", "customerCountry"),
    ("InvoiceNumber", "invoiceNumber"), ("MpnId", "mpnId"), ("ResellerMpnId", "resellerMpnId"),
    ("OrderId", "orderId"), ("OrderDate", "orderDate"), ("ProductId", "productId"),
    ("SkuId", "skuId"), ("AvailabilityId", "availabilityId"), ("SkuName", "skuName"),
    ("ProductName", "productName"), ("ChargeType", "chargeType"), ("UnitPrice", "unitPrice"),
    ("Quantity", "quantity"), ("Subtotal", "subtotal"), ("TaxTotal", "taxTotal"),
    ("Total", "totalForCustomer"), ("Currency", "currency"),
    ("PriceAdjustmentDescription", "priceAdjustmentDescription"),
    ("PublisherName", "publisherName"), ("PublisherId", "publisherId"),
    ("SubscriptionDescription", "subscriptionDescription"), ("SubscriptionId", "subscriptionId"),
    ("ChargeStartDate", "chargeStartDate"), ("ChargeEndDate", "chargeEndDate"),
    ("TermAndBillingCycle", "termAndBillingCycle"), ("EffectiveUnitPrice", "effectiveUnitPrice"),
    ("UnitType", "unitType"), ("AlternateId", "alternateId"),
    ("BillableQuantity", "billableQuantity"), ("BillingFrequency", "billingFrequency"),
    ("PricingCurrency", "pricingCurrency"), ("PCToBCExchangeRate", "pcToBCExchangeRate"),
    ("PCToBCExchangeRateDate", "pcToBCExchangeRateDate"), ("MeterDescription", "meterDescription"),
    ("ReservationOrderId", "reservationOrderId"), ("CreditReasonCode", "creditReasonCode"),
    ("SubscriptionStartDate", "subscriptionStartDate"),
    ("SubscriptionEndDate", "subscriptionEndDate"), ("ReferenceId", "referenceId"),
    ("ProductQualifiers", "productQualifiers"), ("PromotionId", "promotionId"),
    ("ProductCategory", "productCategory"),
]
RECON_DATE_COLUMNS = ("OrderDate", "ChargeStartDate", "ChargeEndDate", "SubscriptionStartDate",
                      "SubscriptionEndDate", "PCToBCExchangeRateDate")
CHARGE_TYPE_CSV = {"new": "New", "cyclecharge": "Cycle charge", "addquantity": "Add quantity",
                   "removequantity": "Remove quantity", "renew": "Renew",
                   "cancelinstance": "Cancel instance", "customercredit": "Customer credit"}


def pc_error(status, description, headers=None):
    """Partner Center's error body (``code`` + ``description`` always present)."""
    return Response(status, {"code": str(status), "description": description, "data": [],
                             "source": "PartnerFD"}, headers)


def aad_error(status, error, description, codes):
    """Entra ID token endpoint error."""
    now = utcnow().strftime("%Y-%m-%d %H:%M:%SZ")
    trace = "%s" % secrets.token_hex(16)
    return Response(status, {"error": error, "error_description": "%s\r\nTrace ID: %s\r\n"
                             "Timestamp: %s" % (description, trace, now),
                             "error_codes": codes, "timestamp": now, "trace_id": trace,
                             "correlation_id": secrets.token_hex(16)})


class PartnerCenterSim(SourceSim):
    """The Microsoft Partner Center plugin."""

    name = "partnercenter"
    DEFAULT_CONFIG = dict(SourceSim.COMMON_CONFIG, **{
        "token_lifetime_s": 3599,           # Entra ID default (about an hour)
        "refresh_token_lifetime_s": 7776000,    # 90 days
        "rate_limit_per_window": 500,       # documented: 500 requests / minute / tenant
        "rate_limit_window_s": 60,
        "numbers": "mixed",                 # line item numerics: mixed | strings | numbers
        "line_items_default_size": 2000,    # * size when omitted
        "line_items_max_size": 2000,        # * larger sizes are an error (400)
        "customers_default_size": 100,      # * GET /customers page size when omitted
        "require_app_user": False,          # * True: customer reads refuse app-only tokens
        "continuation_ttl_s": 600,          # * how long a continuation token stays valid
    })
    KNOB_CHOICES = {"numbers": ("mixed", "strings", "numbers")}
    TABLES = {
        "customers": {"companyProfile": {}, "billingProfile": {},
                      "relationshipToPartner": "reseller", "allowDelegatedAccess": True,
                      "attributes": {"objectType": "Customer"}},
        "subscriptions": {"customerId": None, "offerId": None, "offerName": None,
                          "friendlyName": None, "quantity": 1, "unitType": "Licenses",
                          "status": "active", "autoRenewEnabled": True, "isTrial": False,
                          "billingType": "license", "billingCycle": "monthly",
                          "termDuration": "P1M", "commitmentEndDate": None,
                          "effectiveStartDate": None, "creationDate": None,
                          "productType": {"id": "OnlineServicesNCE",
                                          "displayName": "OnlineServicesNCE"}},
        "invoices": {"invoiceDate": None, "billingPeriodStartDate": None,
                     "billingPeriodEndDate": None, "totalCharges": 0, "paidAmount": 0,
                     "currencyCode": "USD", "currencySymbol": "$", "invoiceType": "Recurring",
                     "documentType": "Invoice", "kind": "monthly"},
        "lineItems": {"invoiceNumber": None, "chargeType": "cycleCharge", "quantity": 1,
                      "billableQuantity": 1, "currency": "USD", "seq": 0,
                      "attributes": {"objectType": "OneTimeInvoiceLineItem"}},
    }
    ID_KINDS = {"customers": "uuid", "subscriptions": "uuid", "lineItems": "uuid"}
    ROUTES = [
        ("POST", "/{tenant}/oauth2/token", "token_v1", False),
        ("POST", "/{tenant}/oauth2/v2.0/token", "token_v2", False),
        ("GET", "/v1/customers", "list_customers", True),
        ("GET", "/v1/customers/{id}", "get_customer", True),
        ("GET", "/v1/customers/{id}/subscriptions", "list_subscriptions", True),
        ("GET", "/v1/customers/{id}/subscriptions/{sid}", "get_subscription", True),
        ("GET", "/v1/invoices", "list_invoices", True),
        ("GET", "/v1/invoices/{id}", "get_invoice", True),
        ("GET", "/v1/invoices/{id}/lineitems", "line_items_legacy", True),
        ("GET", "/v1/invoices/{id}/lineitems/{provider}/{kind}", "line_items", True),
        ("GET", "/sandbox/recon/{month}", "recon", False),
    ]

    def __init__(self, core):
        super().__init__(core)
        self._continuations = {}
        self._seq = itertools.count(1)

    def meta_defaults(self):
        c = seed_sources.PARTNERCENTER_CREDENTIALS
        return {"tenantId": c["tenant_id"], "partnerId": seed_sources.PC_PARTNER_ID,
                "apps": [{"clientId": c["client_id"], "clientSecret": c["client_secret"]}],
                "refreshTokens": [c["refresh_token"]]}

    def demo_state(self):
        return seed_sources.partnercenter_state(self.empty_state())

    def seed(self, kind):
        self._continuations.clear()
        super().seed(kind)

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------
    def auth_failure(self, req, reason="invalid"):
        if "/oauth2/" in req.path.lower():
            return aad_error(401, "invalid_client", "AADSTS7000215: Invalid client secret "
                             "provided. Ensure the secret being sent in the request is the "
                             "client secret value, not the client secret ID.", [7000215])
        text = "The access token expired" if reason == "expired" else "The access token is invalid"
        return pc_error(401, "Unauthorized: %s." % text,
                        [("WWW-Authenticate", 'Bearer error="invalid_token", '
                          'error_description="%s"' % text)])

    def throttle_response(self, retry_after):
        return pc_error(429, "Too many requests. Retry after %d seconds." % retry_after,
                        [("Retry-After", str(retry_after))])

    def server_error(self, message, status=500):
        return pc_error(status, message)

    def fail(self, status, description):
        raise HttpError(pc_error(status, description))

    def authenticate(self, req):
        state, subject = self.check_bearer(req)
        if state != "ok":
            raise HttpError(self.auth_failure(req, state))
        return subject

    def serve(self, req):
        response = super().serve(req)
        for name in ("MS-RequestId", "MS-CorrelationId"):
            if req.header(name):
                response.headers.append((name, req.header(name)))
        return response

    # ------------------------------------------------------------------
    # Tokens (Entra ID)
    # ------------------------------------------------------------------
    def token_v1(self, req, _p, tenant):
        return self._token(req, tenant, v2=False)

    def token_v2(self, req, _p, tenant):
        return self._token(req, tenant, v2=True)

    def _token(self, req, tenant, v2):
        form = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        arg = lambda name: (form.get(name) or [None])[0]
        if tenant.lower() not in (self.meta["tenantId"].lower(), "common", "organizations"):
            return aad_error(400, "invalid_request", "AADSTS90002: Tenant '%s' not found. Check "
                             "to make sure you have the correct tenant ID." % tenant, [90002])
        app = next((a for a in self.meta["apps"] if a["clientId"] == arg("client_id")), None)
        if app is None:
            return aad_error(400, "unauthorized_client", "AADSTS700016: Application with "
                             "identifier '%s' was not found in the directory." % arg("client_id"),
                             [700016])
        if arg("client_secret") != app["clientSecret"]:
            return self.auth_failure(req)
        target = arg("scope") if v2 else arg("resource")
        wanted = SCOPE if v2 else RESOURCE
        if target is None or target.rstrip("/") not in (wanted, wanted + "/"):
            return aad_error(400, "invalid_resource" if not v2 else "invalid_scope",
                             "AADSTS500011: The resource principal named %s was not found in "
                             "the tenant." % target, [500011])
        grant = arg("grant_type")
        refresh = None
        if grant == "client_credentials":
            subject = {"app": app["clientId"], "user": None}
        elif grant == "refresh_token":
            token = arg("refresh_token")
            state, user = (("ok", "admin@demomsp.onmicrosoft.com")
                           if token in self.meta["refreshTokens"]
                           else self.tokens.check(token, "refresh"))
            if state != "ok":
                return aad_error(400, "invalid_grant", "AADSTS700082: The refresh token has "
                                 "expired or is invalid.", [700082])
            subject = {"app": app["clientId"], "user": user}
            refresh = self.tokens.issue(user, self.config["refresh_token_lifetime_s"],
                                        kind="refresh", prefix="pcrt")
        else:
            return aad_error(400, "unsupported_grant_type", "AADSTS70003: The app requested an "
                             "unsupported grant type '%s'." % grant, [70003])
        access = self.tokens.issue(subject, self.lifetime(), prefix="pc")
        now, life = int(unix_now()), self.expires_in()
        if v2:
            body = {"token_type": "Bearer", "expires_in": life, "ext_expires_in": life,
                    "access_token": access}
        else:                                   # v1 sends its numbers as strings
            body = {"token_type": "Bearer", "expires_in": str(life), "ext_expires_in": str(life),
                    "expires_on": str(now + life), "not_before": str(now),
                    "resource": RESOURCE, "access_token": access}
        if refresh:
            body["refresh_token"] = refresh
            body["scope"] = "user_impersonation"
        return Response(200, body)

    def need_user(self, principal):
        if self.config["require_app_user"] and not principal.get("user"):
            self.fail(403, "This operation requires App+User authentication.")

    # ------------------------------------------------------------------
    # Collections and continuation
    # ------------------------------------------------------------------
    @staticmethod
    def collection(items, self_uri, extra=None):
        out = {"totalCount": len(items), "items": items,
               "links": {"self": {"uri": self_uri, "method": "GET", "headers": []}},
               "attributes": {"objectType": "Collection"}}
        out.update(extra or {})
        return out

    def continued(self, req, scope, rows, size, base_uri, render):
        """A page of ``rows`` with Partner Center's continuation (seekOperation=Next)."""
        self._expire_continuations()
        if (req.arg_ci("seekOperation") or "").lower() == "next":
            token = req.header("MS-ContinuationToken")
            entry = self._continuations.get(token or "")
            if entry is None or entry["scope"] != scope:
                self.fail(400, "The continuation token is missing, invalid or expired.")
            offset, size = entry["offset"], entry["size"]
        else:
            offset = self.int_arg(req, "offset", 0, lambda m: self.fail(400, m), minimum=0)
        chunk = rows[offset:offset + size]
        extra, links = {}, {"self": {"uri": base_uri + "?size=%d" % size, "method": "GET",
                                     "headers": []}}
        if offset + size < len(rows):
            token = "%s,%s_%d" % (secrets.token_hex(8), scope.replace("/", "-"), next(self._seq))
            self._continuations[token] = {"scope": scope, "offset": offset + size, "size": size,
                                          "expires": time.monotonic()
                                          + self.config["continuation_ttl_s"]}
            extra["continuationToken"] = token
            links["next"] = {"uri": base_uri + "?seekOperation=Next", "method": "GET",
                             "headers": [{"key": "MS-ContinuationToken", "value": token}]}
        out = self.collection([render(r, offset + n) for n, r in enumerate(chunk)],
                              base_uri, extra)
        out["totalCount"] = len(chunk)
        out["links"] = links
        return Response(200, out)

    def _expire_continuations(self):
        now = time.monotonic()
        for token in [t for t, e in self._continuations.items() if e["expires"] < now]:
            del self._continuations[token]

    # ------------------------------------------------------------------
    # Customers and subscriptions
    # ------------------------------------------------------------------
    def list_customers(self, req, principal):
        self.need_user(principal)
        size = self.int_arg(req, "size", self.config["customers_default_size"],
                            lambda m: self.fail(400, m), minimum=1)
        return self.continued(req, "customers", self.rows("customers"), size, "/customers",
                              lambda r, _n: self.render_customer(r))

    def render_customer(self, row):
        out = dict(row)
        out["links"] = {"self": {"uri": "/customers/%s" % row["id"], "method": "GET",
                                 "headers": []}}
        return out

    def customer(self, customer_id):
        row = self.row("customers", customer_id)
        if row is None:
            self.fail(404, "Customer %s was not found." % customer_id)
        return row

    def get_customer(self, req, principal, customer_id):
        self.need_user(principal)
        return Response(200, self.render_customer(self.customer(customer_id)))

    def render_subscription(self, row):
        out = {k: v for k, v in row.items() if k != "customerId"}
        out["links"] = {"self": {"uri": "/customers/%s/subscriptions/%s"
                                 % (row["customerId"], row["id"]), "method": "GET",
                                 "headers": []}}
        out["attributes"] = {"etag": "", "objectType": "Subscription"}
        return out

    def list_subscriptions(self, req, principal, customer_id):
        self.need_user(principal)
        self.customer(customer_id)
        items = [self.render_subscription(r) for r in self.rows("subscriptions")
                 if r["customerId"] == customer_id]
        return Response(200, self.collection(items, "/customers/%s/subscriptions" % customer_id))

    def get_subscription(self, req, principal, customer_id, sub_id):
        self.need_user(principal)
        self.customer(customer_id)
        row = self.row("subscriptions", sub_id)
        if row is None or row["customerId"] != customer_id:
            self.fail(404, "Subscription %s was not found." % sub_id)
        return Response(200, self.render_subscription(row))

    # ------------------------------------------------------------------
    # Invoices and billing line items
    # ------------------------------------------------------------------
    def render_invoice(self, row):
        out = {k: v for k, v in row.items() if k != "kind"}
        out["invoiceDetails"] = [{
            "invoiceLineItemType": "BillingLineItems", "billingProvider": "OneTime",
            "links": {"self": {"uri": "/invoices/%s/lineitems/OneTime/BillingLineItems"
                               % row["id"], "method": "GET", "headers": []}},
            "attributes": {"objectType": "InvoiceDetail"}}]
        out["pdfDownloadLink"] = "/invoices/%s/documents/statement" % row["id"]
        out["attributes"] = {"objectType": "Invoice"}
        return out

    def list_invoices(self, req, _p):
        rows = sorted(self.rows("invoices"), key=lambda r: (r.get("invoiceDate") or "", r["id"]),
                      reverse=True)
        return Response(200, self.collection([self.render_invoice(r) for r in rows], "/invoices"))

    def invoice(self, invoice_id):
        row = self.row("invoices", invoice_id)
        if row is None:
            self.fail(404, "Invoice %s was not found." % invoice_id)
        return row

    def get_invoice(self, req, _p, invoice_id):
        return Response(200, self.render_invoice(self.invoice(invoice_id)))

    def line_items_legacy(self, req, p, invoice_id):
        provider = req.arg_ci("provider") or ""
        kind = req.arg_ci("invoicelineitemtype") or ""
        return self._line_items(req, invoice_id, provider, kind,
                                "/invoices/%s/lineitems" % invoice_id)

    def line_items(self, req, p, invoice_id, provider, kind):
        return self._line_items(req, invoice_id, provider, kind, "/invoices/%s/lineitems/%s/%s"
                                % (invoice_id, provider, kind))

    def _line_items(self, req, invoice_id, provider, kind, base_uri):
        self.invoice(invoice_id)
        if provider.lower() != "onetime" or kind.lower() != "billinglineitems":
            self.fail(400, "Only the OneTime provider's BillingLineItems are simulated.")
        size = self.int_arg(req, "size", self.config["line_items_default_size"],
                            lambda m: self.fail(400, m), minimum=1)
        if size > self.config["line_items_max_size"]:
            self.fail(400, "The size parameter must be at most %d."
                      % self.config["line_items_max_size"])
        rows = sorted((r for r in self.rows("lineItems") if r["invoiceNumber"] == invoice_id),
                      key=lambda r: r.get("seq", 0))
        return self.continued(req, "lineitems/" + invoice_id, rows, size, base_uri,
                              self.render_line)

    def render_line(self, row, index):
        out = {k: v for k, v in row.items() if k not in ("id", "seq")}
        mode = self.config["numbers"]
        as_string = mode == "strings" or (mode == "mixed" and index % 2 == 0)
        for name in NUMERIC_FIELDS:
            if name in out and out[name] is not None:
                out[name] = str(out[name]) if as_string else json_number(out[name])
        return out

    def recon(self, req, _p, month):
        try:
            first = dt.date.fromisoformat(month + "-01")
        except ValueError:
            self.fail(400, "Month must be YYYY-MM.")
        text = recon_csv(first, state=self.dump_state(), invoice=req.arg("invoiceId"))
        return Response(200, text.encode("utf-8"), [
            ("Content-Type", "text/csv; charset=utf-8"),
            ("Content-Disposition", 'attachment; filename="recon-%s.csv"' % month)])


# ---------------------------------------------------------------------------
# Reconciliation CSV (usable without a running sandbox)
# ---------------------------------------------------------------------------

def _us_date(value):
    """``M/D/YYYY`` as in Partner Center's recon sample (``10/3/2020``)."""
    day = dt.date.fromisoformat(str(value)[:10])
    return "%d/%d/%d" % (day.month, day.day, day.year)


def recon_lines(month, state=None, today=None, invoice=None):
    """Line items (API shape) of the invoices whose billing period starts in ``month``."""
    if state is None:
        sim = PartnerCenterSim(None)
        state = sim.demo_state() if today is None else seed_sources.partnercenter_state(
            sim.empty_state(), today)
    first = month.replace(day=1)
    numbers = [inv["id"] for inv in state["tables"]["invoices"]
               if str(inv.get("billingPeriodStartDate", ""))[:7] == first.isoformat()[:7]
               and invoice in (None, inv["id"])]
    lines = [l for l in state["tables"]["lineItems"] if l.get("invoiceNumber") in numbers]
    return sorted(lines, key=lambda l: (numbers.index(l["invoiceNumber"]), l.get("seq", 0)))


def recon_csv(month=None, state=None, today=None, invoice=None, date_style="us"):
    """The reconciliation CSV text for ``month`` (default: last month of the demo).

    Columns follow ``RECON_COLUMNS``; dates are ``M/D/YYYY`` (``date_style="iso"``
    gives ``YYYY-MM-DD``); ChargeType uses the file's capitalised wording ("New",
    "Cycle charge", "Add quantity", ...); numbers are plain decimals.
    """
    month = month or seed_sources.source_dates(today)["m0"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([title for title, _ in RECON_COLUMNS])
    for line in recon_lines(month, state, today, invoice):
        row = []
        for title, key in RECON_COLUMNS:
            value = line.get(key)
            if value is None or value == "":
                row.append("")
            elif title in RECON_DATE_COLUMNS:
                row.append(_us_date(value) if date_style == "us" else str(value)[:10])
            elif title == "ChargeType":
                row.append(CHARGE_TYPE_CSV.get(str(value).lower(), value))
            elif title == "ProductQualifiers":
                row.append(";".join(value) if isinstance(value, list) else str(value))
            else:
                row.append(str(value))
        writer.writerow(row)
    return buf.getvalue()


def write_recon_csv(path, month=None, state=None, today=None, invoice=None, date_style="us"):
    """Write ``recon_csv(...)`` to ``path`` (UTF-8 with BOM like the portal); returns path."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(recon_csv(month, state, today, invoice, date_style))
    return path


SIMULATOR = PartnerCenterSim
