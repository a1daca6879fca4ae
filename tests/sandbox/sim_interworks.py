"""interworks.cloud BSS Platform API simulator (doc/source-apis.md section 1).

Serves ``POST /oauth/token`` (password and refresh_token grants; the client key
and secret only as HTTP Basic) and ``/api/...`` for accounts, subscriptions
(+pricingInfo), products, invoices and invoice lines.  The ``X-Api-Version``
header picks the shapes: ``3``/``3.0`` gives the v3 envelope ``{"data",
"paging"}`` with ``pageIndex``/``pageSize``; ``2.2`` (and the older ``1``,
``2``, ``2.1``, also used when the header is missing) gives ``{"data"}`` with
``page``/``size`` and the v2.2 field names.  Collections take the OData-style
``$filter`` (eq ne gt ge lt le, and/or/not, parentheses, contains/startswith/
endswith, 'strings', numbers, true/false/null, datetime'...') and ``$orderby``.
Failures carry an object with a ``Type`` key; throttling answers 403.

Behaviour the reference marks unknown is a knob (README.md).
"""

import base64
import datetime as dt
import re
import urllib.parse

import seed_sources
from simcore import HttpError, Response, parse_datetime
from simsource import SourceSim, json_number

V3 = "3"
V22 = "2.2"
VERSIONS = {"1": V22, "2": V22, "2.1": V22, "2.2": V22, "3": V3, "3.0": V3}
PRODUCT_TYPE = {"id": "37fd8e36-fb1f-4b86-a9c9-c04fe35ad863", "name": "Microsoft Cloud Services"}
NO_ADDON = "00000000-0000-0000-0000-000000000000"


def iw_error(status, kind, message, headers=None):
    """The BSS failure object: clients test for its ``Type`` key."""
    return Response(status, {"Type": kind, "Message": message, "Code": status}, headers)


def fail(status, kind, message):
    raise HttpError(iw_error(status, kind, message))


# ---------------------------------------------------------------------------
# $filter (OData 4.01 subset) and $orderby
# ---------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"""
    \s*(?:
      (?P<dt>datetime'[^']*')
    | (?P<str>'(?:[^']|'')*')
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_/.]*)
    )""", re.VERBOSE)
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
FUNCTIONS = ("contains", "startswith", "endswith")


class FilterError(ValueError):
    pass


def tokenize(text):
    pos, out = 0, []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise FilterError("Syntax error at position %d in '%s'." % (pos, text))
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "dt":
            value = ("dt", value[len("datetime'"):-1])
        elif kind == "str":
            value = ("str", value[1:-1].replace("''", "'"))
        elif kind == "num":
            value = ("num", float(value))
        elif kind == "punct":
            value = ("punct", value)
        else:
            low = value.lower()
            if low in ("true", "false"):
                value = ("bool", low == "true")
            elif low == "null":
                value = ("null", None)
            else:
                value = ("word", value)
        out.append(value)
        pos = m.end()
    return out


class FilterParser:
    """Recursive descent over the tokens; produces a predicate row -> bool."""

    def __init__(self, text, fields):
        self.tokens = tokenize(text)
        self.pos = 0
        self.fields = fields            # lower-case filter name -> getter(row)

    def parse(self):
        if not self.tokens:
            raise FilterError("The $filter expression is empty.")
        pred = self.or_expr()
        if self.pos != len(self.tokens):
            raise FilterError("Unexpected '%s' in $filter." % (self.tokens[self.pos][1],))
        return pred

    def peek(self, kind=None, value=None):
        if self.pos >= len(self.tokens):
            return None
        tok = self.tokens[self.pos]
        if kind and tok[0] != kind:
            return None
        if value is not None and str(tok[1]).lower() != value:
            return None
        return tok

    def take(self, kind=None, value=None):
        tok = self.peek(kind, value)
        if tok is None:
            raise FilterError("Expected %s in $filter." % (value or kind or "more input"))
        self.pos += 1
        return tok

    def or_expr(self):
        left = self.and_expr()
        while self.peek("word", "or"):
            self.pos += 1
            right = self.and_expr()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left

    def and_expr(self):
        left = self.not_expr()
        while self.peek("word", "and"):
            self.pos += 1
            right = self.not_expr()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
        return left

    def not_expr(self):
        if self.peek("word", "not"):
            self.pos += 1
            inner = self.not_expr()
            return lambda row: not inner(row)
        return self.primary()

    def primary(self):
        if self.peek("punct", "("):
            self.pos += 1
            inner = self.or_expr()
            self.take("punct", ")")
            return inner
        word = self.peek("word")
        if word and word[1].lower() in FUNCTIONS and self.pos + 1 < len(self.tokens) \
                and self.tokens[self.pos + 1] == ("punct", "("):
            return self.function()
        left = self.operand()
        op = self.take("word")[1].lower()
        if op not in COMPARISONS:
            raise FilterError("Unknown operator '%s' in $filter." % op)
        right = self.operand()
        return lambda row: compare(left(row), op, right(row))

    def function(self):
        name = self.take("word")[1].lower()
        self.take("punct", "(")
        field = self.operand()
        self.take("punct", ",")
        needle = self.operand()
        self.take("punct", ")")

        def pred(row):
            hay, sub = field(row), needle(row)
            if hay is None or sub is None:
                return False
            hay, sub = str(hay).lower(), str(sub).lower()
            return {"contains": sub in hay, "startswith": hay.startswith(sub),
                    "endswith": hay.endswith(sub)}[name]
        return pred

    def operand(self):
        tok = self.take()
        kind, value = tok
        if kind == "word":
            getter = self.fields.get(value.lower())
            if getter is None:
                raise FilterError("Could not find a property named '%s'." % value)
            return getter
        if kind == "dt":
            try:
                moment = parse_datetime(value)
            except ValueError:
                raise FilterError("Invalid datetime literal '%s'." % value) from None
            return lambda row: moment
        if kind == "punct":
            raise FilterError("Unexpected '%s' in $filter." % value)
        return lambda row: value


def compare(left, op, right):
    """OData comparison; strings case-insensitive, dates as datetimes, null-aware."""
    if left is None or right is None:
        if op == "eq":
            return left is None and right is None
        if op == "ne":
            return (left is None) != (right is None)
        return False
    if isinstance(left, dt.datetime) or isinstance(right, dt.datetime):
        try:
            left, right = _as_datetime(left), _as_datetime(right)
        except ValueError:
            return False
    elif isinstance(left, bool) or isinstance(right, bool):
        pass
    elif isinstance(left, (int, float)) or isinstance(right, (int, float)):
        try:
            left, right = float(left), float(right)
        except (TypeError, ValueError):
            return False
    else:
        left, right = str(left).lower(), str(right).lower()
    try:
        return {"eq": left == right, "ne": left != right, "gt": left > right,
                "ge": left >= right, "lt": left < right, "le": left <= right}[op]
    except TypeError:
        return False


def _as_datetime(value):
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return parse_datetime(str(value)[:10]) if len(str(value)) >= 10 and "T" not in str(value) \
        else parse_datetime(str(value))


def order_rows(rows, spec, fields):
    """Apply ``$orderby=a desc, b``; stable, nulls first."""
    keys = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        bits = part.split()
        if len(bits) > 2 or (len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
            raise FilterError("Invalid $orderby clause '%s'." % part)
        getter = fields.get(bits[0].lower())
        if getter is None:
            raise FilterError("Could not find a property named '%s'." % bits[0])
        keys.append((getter, len(bits) == 2 and bits[1].lower() == "desc"))
    for getter, desc in reversed(keys):
        rows = sorted(rows, key=lambda r: _order_key(getter(r)), reverse=desc)
    return rows


def _order_key(value):
    if value is None:
        return (0, 0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value, "")
    return (2, 0, str(value).lower())


# ---------------------------------------------------------------------------
# Simulator
# ---------------------------------------------------------------------------

class InterworksSim(SourceSim):
    """The interworks.cloud BSS plugin."""

    name = "interworks"
    DEFAULT_CONFIG = dict(SourceSim.COMMON_CONFIG, **{
        "token_lifetime_s": 1199,           # * unknown; the inferred example's expires_in
        "refresh_token_lifetime_s": 1209600,    # * 14 days
        "missing_version": "v1",            # * no X-Api-Version: v1 (old orgs; 2.2 shapes) | error
        "v3_default_page_size": 50,         # * pageSize when omitted
        "v3_max_page_size": 1000,           # * larger pageSize values are clamped
        "v22_default_size": 100,            # * v2.2 `size` when omitted (client sent 1000000)
        "throttle_status": 403,             # documented: 403 is also used for rate limiting
        "utc_offset": "+02:00",             # offset printed on date-times (recorded output)
        "invoice_lines_via_code": True,     # v2.2 GET /api/invoices?invoiceCode=X returns lines
    })
    KNOB_CHOICES = {"missing_version": ("v1", "error"), "throttle_status": (403, 429)}
    TABLES = {
        "accounts": {"name": None, "code": None, "companyName": None, "email": None,
                     "currency": "USD", "billToAccountId": None, "resellingEnabled": False,
                     "typeId": 1, "creditLimit": 0, "prorateBillingEnabled": False,
                     "partialChargesInvoicing": "OnOrderDay", "separateInvoicesEnabled": False,
                     "createdAt": None},
        "products": {"code": None, "name": None, "productTypeName": "Microsoft Cloud Services"},
        "subscriptions": {"name": None, "externalId": None, "accountId": None, "productId": None,
                          "quantity": 1, "status": "Active", "billingType": "Recurring",
                          "billingPlan": "Monthly", "billingCycle": "Monthly",
                          "commitmentTerm": "Monthly", "autoRenew": True, "startDate": None,
                          "endDate": None, "costPrice": 0, "unitPrice": 0, "discount": 0,
                          "finalUnitPrice": 0},
        "invoices": {"code": None, "accountId": None, "date": None, "dueDate": None,
                     "stage": "Unpaid", "type": "Debit", "description": None},
        "invoiceLines": {"invoiceId": None, "subscriptionId": None, "billingPeriodStart": None,
                         "billingPeriodEnd": None, "quantity": 1, "unit": "Month",
                         "costPrice": 0, "finalPrice": 0, "costTotal": 0, "finalTotal": 0},
    }
    ID_KINDS = {"products": "uuid", "subscriptions": "uuid", "invoiceLines": "uuid"}
    FIRST_ID = 20000
    ROUTES = [
        ("POST", "/oauth/token", "token", False),
        ("GET", "/api/accounts", "list_accounts", True),
        ("GET", "/api/accounts/{id}", "get_account", True),
        ("GET", "/api/subscriptions", "list_subscriptions", True),
        ("GET", "/api/subscriptions/{id}", "get_subscription", True),
        ("GET", "/api/subscriptions/{id}/pricingInfo", "pricing_info", True),
        ("GET", "/api/products", "list_products", True),
        ("GET", "/api/invoices", "list_invoices", True),
        ("GET", "/api/invoices/{id}", "get_invoice", True),
        ("GET", "/api/invoices/{id}/lines", "invoice_lines", True),
    ]

    def meta_defaults(self):
        c = seed_sources.INTERWORKS_CREDENTIALS
        return {"clients": [{"clientKey": c["client_key"], "clientSecret": c["client_secret"]}],
                "users": [{"username": c["username"], "password": c["password"]}]}

    def demo_state(self):
        return seed_sources.interworks_state(self.empty_state())

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------
    def auth_failure(self, req, reason="invalid"):
        if req.path.lower() == "/oauth/token":
            return Response(400, {"error": "invalid_grant",
                                  "error_description": "The user name or password is incorrect."})
        return iw_error(401, "Unauthorized", "Authorization has been denied for this request.")

    def throttle_response(self, retry_after):
        return iw_error(self.config["throttle_status"], "RateLimitExceeded",
                        "API rate limit exceeded. Retry after %d seconds." % retry_after,
                        [("Retry-After", str(retry_after))])

    def server_error(self, message, status=500):
        kind = {404: "NotFound", 405: "MethodNotAllowed", 503: "ServiceUnavailable"}.get(
            status, "InternalServerError")
        return iw_error(status, kind, message)

    def authenticate(self, req):
        state, subject = self.check_bearer(req)
        if state != "ok":
            raise HttpError(self.auth_failure(req, state))
        return {"user": subject, "version": self.version(req)}

    def version(self, req):
        raw = req.header("X-Api-Version")
        if raw is None or raw.strip() == "":
            if self.config["missing_version"] == "error":
                fail(400, "ApiVersionRequired", "The X-Api-Version header is required.")
            return V22
        version = VERSIONS.get(raw.strip())
        if version is None:
            fail(400, "UnsupportedApiVersion", "API version '%s' is not supported. Supported "
                 "versions: %s." % (raw, ", ".join(VERSIONS)))
        return version

    # ------------------------------------------------------------------
    # Token
    # ------------------------------------------------------------------
    def token(self, req, _p):
        form = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        arg = lambda name: (form.get(name) or [None])[0]
        client = self._basic_client(req)
        if client is None:
            return Response(400, {"error": "invalid_client",
                                  "error_description": "Client credentials must be sent with "
                                  "HTTP Basic authentication."})
        grant = arg("grant_type")
        if grant == "password":
            user = next((u for u in self.meta["users"] if u["username"].lower()
                         == (arg("username") or "").lower()
                         and u["password"] == arg("password")), None)
            if user is None:
                return self.auth_failure(req)
            subject = user["username"]
        elif grant == "refresh_token":
            state, subject = self.tokens.check(arg("refresh_token"), "refresh")
            if state != "ok":
                return Response(400, {"error": "invalid_grant",
                                      "error_description": "The refresh token is invalid or "
                                      "expired."})
            self.tokens.revoke(arg("refresh_token"))
        else:
            return Response(400, {"error": "unsupported_grant_type"})
        access = self.tokens.issue(subject, self.lifetime(), prefix="iw")
        refresh = self.tokens.issue(subject, self.config["refresh_token_lifetime_s"],
                                    kind="refresh", prefix="iw")
        return Response(200, {"access_token": access, "token_type": "bearer",
                              "expires_in": self.expires_in(), "refresh_token": refresh,
                              "userName": subject})

    def _basic_client(self, req):
        value = req.header("Authorization") or ""
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            key, _, secret = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return next((c for c in self.meta["clients"]
                     if c["clientKey"] == key and c["clientSecret"] == secret), None)

    # ------------------------------------------------------------------
    # Rendering
    # ------------------------------------------------------------------
    def stamp(self, day):
        """``2018-10-30T00:00:00+02:00`` from a stored ``YYYY-MM-DD``."""
        if not day:
            return None
        return str(day)[:10] + "T00:00:00" + self.config["utc_offset"]

    def _account_ref(self, account_id):
        acc = self.row("accounts", account_id) or {}
        return {"id": account_id, "name": acc.get("name")}

    def render_account(self, row, version):
        if version == V3:
            return {"id": row["id"], "integrationId": None,
                    "createdAt": self.stamp(row["createdAt"]),
                    "updatedAt": self.stamp(row["createdAt"]), "name": row["name"],
                    "code": row["code"], "companyName": row["companyName"],
                    "corpEmail": row["email"], "transactionCurrency": row["currency"],
                    "resellingEnabled": row["resellingEnabled"], "typeId": row["typeId"],
                    "creditLimitAmount": row["creditLimit"],
                    "billToAccountId": row["billToAccountId"],
                    "prorateBillingEnabled": row["prorateBillingEnabled"],
                    "partialChargesInvoicing": row["partialChargesInvoicing"],
                    "separateInvoicesEnabled": row["separateInvoicesEnabled"]}
        return {"id": row["id"], "name": row["name"], "code": row["code"],
                "prorateBillingEnabled": row["prorateBillingEnabled"], "prorateBillingDate": None,
                "creditLimit": row["creditLimit"],
                "partialChargesInvoicing": row["partialChargesInvoicing"],
                "separateInvoicesEnabled": row["separateInvoicesEnabled"],
                "billToAccountId": row["billToAccountId"],
                "enableReselling": row["resellingEnabled"], "tradingName": row["companyName"],
                "registrationNumber": None, "taxAuthority": None}

    def _product_ref(self, product_id):
        prod = self.row("products", product_id) or {}
        return {"id": product_id, "code": prod.get("code"), "name": prod.get("name")}

    def render_subscription(self, row, version, quantity=None, start=None, end=None):
        base = {"id": row["id"], "name": row["name"], "externalId": row["externalId"],
                "quantity": row["quantity"] if quantity is None else quantity,
                "startDate": self.stamp(start or row["startDate"]),
                "endDate": self.stamp(end or row["endDate"]), "status": row["status"],
                "account": self._account_ref(row["accountId"]), "addonId": NO_ADDON}
        if version != V3 or quantity is not None:
            return base
        base.pop("addonId")
        renewal = None
        if row.get("endDate"):
            renewal = self.stamp((dt.date.fromisoformat(row["endDate"][:10])
                                  + dt.timedelta(days=1)).isoformat())
        base.update(product=self._product_ref(row["productId"]), billingType=row["billingType"],
                    billingPlan=row["billingPlan"], billingCycle=row["billingCycle"],
                    commitmentTerm=row["commitmentTerm"], autoRenew=row["autoRenew"],
                    renewalDate=renewal)
        return base

    def render_invoice(self, row, version):
        acc = self._account_ref(row["accountId"])
        total = sum(l["finalTotal"] for l in self.rows("invoiceLines")
                    if l["invoiceId"] == row["id"])
        total = json_number(round(total, 2))
        if version == V3:
            return {"id": row["id"], "code": row["code"], "accountId": acc["id"],
                    "accountName": acc["name"], "billingAccountId": acc["id"],
                    "billingAccountName": acc["name"], "stage": row["stage"], "type": row["type"],
                    "totalAmount": total, "currency": (self.row("accounts", acc["id"]) or {})
                    .get("currency"), "invoiceDate": self.stamp(row["date"]),
                    "dueDate": self.stamp(row["dueDate"]), "createdAt": self.stamp(row["date"]),
                    "description": row["description"]}
        return {"id": row["id"], "code": row["code"], "billingAccountId": acc["id"],
                "billingAccountName": acc["name"], "accountId": acc["id"], "stage": row["stage"],
                "totalAmount": total, "type": row["type"], "date": self.stamp(row["date"]),
                "dueDate": self.stamp(row["dueDate"]), "description": row["description"]}

    def render_line(self, row, version):
        sub = self.row("subscriptions", row["subscriptionId"]) or {
            "id": row["subscriptionId"], "name": None, "externalId": None, "status": "Active",
            "accountId": None, "startDate": None, "endDate": None, "productId": None}
        prod = self.row("products", sub.get("productId")) or {}
        out = {"id": row["id"], "billingPeriodStart": self.stamp(row["billingPeriodStart"]),
               "billingPeriodEnd": self.stamp(row["billingPeriodEnd"]),
               "product": self._product_ref(sub.get("productId")),
               "productType": dict(PRODUCT_TYPE, name=prod.get("productTypeName") or
                                   PRODUCT_TYPE["name"]),
               "unit": row["unit"], "costPrice": row["costPrice"], "finalPrice": row["finalPrice"],
               "costTotal": row["costTotal"], "finalTotal": row["finalTotal"],
               "subscriptions": [self.render_subscription(
                   sub, V22, quantity=row["quantity"], start=row["billingPeriodStart"],
                   end=row["billingPeriodEnd"])],
               "usageRecords": []}
        if version == V3:
            out["usage"] = None
        return out

    # ------------------------------------------------------------------
    # Collections
    # ------------------------------------------------------------------
    def collection(self, req, version, rows, fields, render):
        """Apply $filter/$orderby and the version's paging; answer the version's envelope."""
        try:
            flt = req.arg("$filter")
            if flt is not None:
                pred = FilterParser(flt, fields).parse()
                rows = [r for r in rows if pred(r)]
            if req.arg("$orderby"):
                rows = order_rows(rows, req.arg("$orderby"), fields)
        except FilterError as err:
            fail(400, "InvalidFilter", str(err))
        bad = lambda message: fail(400, "InvalidParameter", message)
        if version == V3:
            index = self.int_arg(req, "pageIndex", 1, bad, minimum=1)
            size = self.int_arg(req, "pageSize", self.config["v3_default_page_size"], bad,
                                minimum=1)
            size = min(size, self.config["v3_max_page_size"])
            total = len(rows)
            chunk = rows[(index - 1) * size:index * size]
            return Response(200, {"data": [render(r, version) for r in chunk],
                                  "paging": {"pageIndex": index, "pageSize": size,
                                             "totalPages": (total + size - 1) // size,
                                             "totalRecords": total}})
        page = self.int_arg(req, "page", 1, bad, minimum=1)
        size = self.int_arg(req, "size", self.config["v22_default_size"], bad, minimum=1)
        chunk = rows[(page - 1) * size:page * size]
        return Response(200, {"data": [render(r, version) for r in chunk]})

    def one(self, table, row_id, what):
        key = int(row_id) if table in ("accounts", "invoices") and str(row_id).isdigit() else row_id
        row = self.row(table, key)
        if row is None:
            fail(404, "NotFound", "%s '%s' was not found." % (what, row_id))
        return row

    # -- accounts ----------------------------------------------------------
    ACCOUNT_FIELDS = {
        "id": lambda r: r["id"], "name": lambda r: r["name"], "code": lambda r: r["code"],
        "email": lambda r: r["email"], "billtoaccountid": lambda r: r["billToAccountId"],
        "currency": lambda r: r["currency"], "resellingenabled": lambda r: r["resellingEnabled"],
        "typeid": lambda r: r["typeId"], "creditlimit": lambda r: r["creditLimit"],
        "createdat": lambda r: r["createdAt"], "companyname": lambda r: r["companyName"],
    }

    def list_accounts(self, req, p):
        return self.collection(req, p["version"], self.rows("accounts"), self.ACCOUNT_FIELDS,
                               self.render_account)

    def get_account(self, req, p, account_id):
        return Response(200, self.render_account(self.one("accounts", account_id, "Account"),
                                                 p["version"]))

    # -- subscriptions -------------------------------------------------------
    SUBSCRIPTION_FIELDS = {
        "id": lambda r: r["id"], "name": lambda r: r["name"], "status": lambda r: r["status"],
        "externalid": lambda r: r["externalId"], "quantity": lambda r: r["quantity"],
        "accountid": lambda r: r["accountId"], "account/id": lambda r: r["accountId"],
        "productid": lambda r: r["productId"], "product/id": lambda r: r["productId"],
        "startdate": lambda r: r["startDate"], "enddate": lambda r: r["endDate"],
        "billingcycle": lambda r: r["billingCycle"],
    }

    def list_subscriptions(self, req, p):
        return self.collection(req, p["version"], self.rows("subscriptions"),
                               self.SUBSCRIPTION_FIELDS, self.render_subscription)

    def get_subscription(self, req, p, sub_id):
        return Response(200, self.render_subscription(
            self.one("subscriptions", sub_id, "Subscription"), p["version"]))

    def pricing_info(self, req, p, sub_id):
        row = self.one("subscriptions", sub_id, "Subscription")
        unit, final, qty = row["unitPrice"], row["finalUnitPrice"], row["quantity"]
        markup = round((unit / row["costPrice"] - 1) * 100, 2) if row["costPrice"] else 0
        return Response(200, {
            "name": row["name"], "total": json_number(round(final * qty, 2)), "unitPrice": unit,
            "discount": row["discount"], "discountType": "Percentage", "finalUnitPrice": final,
            "quantity": qty, "costPrice": row["costPrice"],
            "priceList": {"name": "Partner price",
                          "pricingMethod": {"pricingMethod": "Percent Markup - Cost Price",
                                            "amount": markup, "price": unit}},
            "priceProtection": {"periodEndDate": self.stamp(row["endDate"]),
                                "protectedSalesPrice": None, "protectedCostPrice": None}})

    # -- products ------------------------------------------------------------
    PRODUCT_FIELDS = {"id": lambda r: r["id"], "code": lambda r: r["code"],
                      "name": lambda r: r["name"]}

    def list_products(self, req, p):
        return self.collection(req, p["version"], self.rows("products"), self.PRODUCT_FIELDS,
                               lambda r, v: {"id": r["id"], "code": r["code"], "name": r["name"],
                                             "productType": dict(PRODUCT_TYPE,
                                                                 name=r["productTypeName"])})

    # -- invoices ------------------------------------------------------------
    INVOICE_FIELDS = {
        "id": lambda r: r["id"], "code": lambda r: r["code"], "accountid": lambda r: r["accountId"],
        "billingaccountid": lambda r: r["accountId"], "stage": lambda r: r["stage"],
        "type": lambda r: r["type"], "invoicedate": lambda r: r["date"],
        "date": lambda r: r["date"], "duedate": lambda r: r["dueDate"],
        "createdat": lambda r: r["date"],
    }

    def list_invoices(self, req, p):
        version = p["version"]
        rows = self.rows("invoices")
        code = req.arg_ci("invoiceCode")
        if code is not None and version == V22 and self.config["invoice_lines_via_code"]:
            invoice = next((r for r in rows if r["code"] == code), None)
            if invoice is None:
                return Response(200, {"data": []})
            return self._lines_of(req, invoice, version)
        if code is not None:
            rows = [r for r in rows if r["code"] == code]
        day = req.arg_ci("invoiceDate")
        if day is not None:
            rows = [r for r in rows if str(r["date"])[:10] == day[:10]]
        if req.arg_ci("sort"):
            field = req.arg_ci("sort")
            getter = self.INVOICE_FIELDS.get(field.lower())
            if getter is None:
                fail(400, "InvalidParameter", "Cannot sort by '%s'." % field)
            desc = (req.arg_ci("order") or "asc").lower() == "desc"
            rows = sorted(rows, key=lambda r: _order_key(getter(r)), reverse=desc)
        return self.collection(req, version, rows, self.INVOICE_FIELDS, self.render_invoice)

    def get_invoice(self, req, p, invoice_id):
        return Response(200, self.render_invoice(self.one("invoices", invoice_id, "Invoice"),
                                                 p["version"]))

    def invoice_lines(self, req, p, invoice_id):
        return self._lines_of(req, self.one("invoices", invoice_id, "Invoice"), p["version"])

    LINE_FIELDS = {
        "id": lambda r: r["id"], "billingperiodstart": lambda r: r["billingPeriodStart"],
        "billingperiodend": lambda r: r["billingPeriodEnd"], "unit": lambda r: r["unit"],
        "subscriptionid": lambda r: r["subscriptionId"],
    }

    def _lines_of(self, req, invoice, version):
        rows = [r for r in self.rows("invoiceLines") if r["invoiceId"] == invoice["id"]]
        return self.collection(req, version, rows, self.LINE_FIELDS, self.render_line)


SIMULATOR = InterworksSim
