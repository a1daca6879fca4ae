"""Demo data of the distributor ("source") simulators, built on the PSA demo.

One source-neutral description (customers, seat lines, seat changes, backup
usage) is rendered into each vendor's format by the ``*_state`` builders below
and into canonical records by ``canonical_fixtures.py``.  Both read the same
tables and the same billing-line arithmetic (``line_amounts``), so a correct
connector's output equals the fixture.

Relation to the PSA demo (``seed_demo``):

* company names match exactly ("Contoso Ltd"), nearly ("Repair & Wear Inc." vs
  "Repair and Wear") or not at all ("Proseware, Inc."): the distributor names
  come from ``DEMO_COMPANIES``; PSA-only customers never appear at a source;
* seat quantities are ``DEMO_SEATS``' distributor column, so six lines differ
  from the PSA units (27 at the source vs 24 in the PSA, ...), and most of the
  differences have a cause in last month's billing (a seat change that was not
  synced yet, shown as a proration line);
* Contoso's annual Microsoft 365 E3 (``DEMO_ANNUAL``) is a Partner Center
  annual/annual subscription; Wide World Importers buys Power BI Pro
  annual/annual, billed on its own annual invoice (doc/seeds.md 002);
* MSP360 backs up Contoso and Lucerne with ``BACKUP_COMPANIES``' gigabytes.

Everything is deterministic: ids are fixed numbers or name-based UUIDs and
dates are computed from "today" only through ``source_dates`` (the billing
month is last month).  Pass ``today`` to get the data of another day.
"""

import datetime as dt
import decimal

import seed_demo
from simcore import add_months, today as utc_today
from simsource import D, money_str, month_end, stable_uuid

BACKUP_GB = dict(seed_demo.BACKUP_COMPANIES)
DIST_NAME = {psa: dist for psa, _ident, dist in seed_demo.DEMO_COMPANIES if dist}
DIST_QTY = {(DIST_NAME.get(c), sku): dist for c, sku, _units, dist, _chg in seed_demo.DEMO_SEATS
            if dist is not None}
CURRENCY = "USD"

# ---------------------------------------------------------------------------
# Credentials (documented in README.md)
# ---------------------------------------------------------------------------

INTERWORKS_CREDENTIALS = {"client_key": "iw-demo-client-key",
                          "client_secret": "iw-demo-client-secret",
                          "username": "api.user@demo-msp.example", "password": "iw-demo-password"}
INGRAM_CREDENTIALS = {"username": "demo-msp-api", "password": "im-demo-password",
                      "subscription_key": "166a6ba878d74805ae3fc7e54fd33b16", "marketplace": "us"}
PARTNERCENTER_CREDENTIALS = {"tenant_id": "8b2e4a54-0c5f-4d6e-9a8f-3d1c2b7e6f50",
                             "client_id": "2a7c3e9d-5b1f-4c8a-a6e2-0d9f8b7c6a51",
                             "client_secret": "pc-demo-client-secret",
                             "refresh_token": "pc-demo-refresh-token"}
PAX8_CREDENTIALS = {"client_id": "pax8-demo-client-id", "client_secret": "pax8-demo-client-secret"}
MSP360_CREDENTIALS = {"username": "demomspapi", "password": "msp360-demo-password"}

# ---------------------------------------------------------------------------
# Products: sku -> (name, Microsoft product id, sku id, availability id)
# ---------------------------------------------------------------------------

PRODUCTS = {
    "M365-BB": ("Microsoft 365 Business Basic", "CFQ7TTC0LH18", "0001", "CFQ7TTC0K971"),
    "M365-BS": ("Microsoft 365 Business Standard", "CFQ7TTC0LDPB", "0001", "CFQ7TTC0K5DJ"),
    "M365-BP": ("Microsoft 365 Business Premium", "CFQ7TTC0LCHC", "0002", "CFQ7TTC0K5BF"),
    "EXO-P1": ("Exchange Online (Plan 1)", "CFQ7TTC0LH16", "0001", "CFQ7TTC0K8P5"),
    "M365-E3": ("Microsoft 365 E3", "CFQ7TTC0LFLX", "0001", "CFQ7TTC0K4Z1"),
    "TEAMS-ESS": ("Microsoft Teams Essentials", "CFQ7TTC0RM2D", "0001", "CFQ7TTC0RM6M"),
    "PBI-PRO": ("Power BI Pro", "CFQ7TTC0L3PB", "0001", "CFQ7TTC0KXG7"),
    "DEF-O365-P1": ("Microsoft Defender for Office 365 (Plan 1)", "CFQ7TTC0LHXM", "0001",
                    "CFQ7TTC0KQ3N"),
}


def product_code(sku):
    """``CFQ7TTC0LDPB:0001`` (NCE product:sku)."""
    _name, product, sku_id, _avail = PRODUCTS[sku]
    return "%s:%s" % (product, sku_id)


# ---------------------------------------------------------------------------
# Customers per source: (source, name, id) -- ids as the vendor shapes them
# ---------------------------------------------------------------------------

CUSTOMERS = [
    ("interworks", "Contoso Ltd", 2777),
    ("interworks", "Repair & Wear Inc.", 2790),
    ("interworks", "Proseware, Inc.", 2801),
    ("ingram", "Fabrikam Inc", "1000301"),
    ("ingram", "Adventure Works", "1000302"),
    ("ingram", "Tailspin Toys Ltd", "1000303"),
    ("ingram", "Woodgrove Bank", "1000304"),
    ("pax8", "Lucerne Publishing", None),
    ("pax8", "Coho Vineyard & Winery", None),
    ("pax8", "VanArsdel Ltd", None),
    ("pax8", "Wingtip Toys", None),                 # a company without subscriptions
    ("partnercenter", "Northwind Traders", None),
    ("partnercenter", "Wide World Importers", None),
    ("partnercenter", "Contoso Ltd", None),
    ("partnercenter", "Graphic Design Institute", None),
    ("msp360", "Contoso Ltd", None),
    ("msp360", "Lucerne Publishing", None),
    ("msp360", "Fourth Coffee", None),
]


def customer_id(source, name):
    """The vendor id of a demo customer (GUIDs are name-based, hence stable)."""
    for src, cname, cid in CUSTOMERS:
        if src == source and cname == name:
            return cid if cid is not None else stable_uuid(source, "customer", name)
    raise KeyError((source, name))


def customers(source):
    return [name for src, name, _ in CUSTOMERS if src == source]


class Seat:
    """One seat line: a product with a quantity at a source.

    ``start`` is (months before this month, day of month) of the current
    commitment term; ``change`` is (day of the billing month, quantity before)
    for a seat change made last month; ``group`` puts several products into
    one subscription (Ingram's company -> subscription -> resource model).
    """

    def __init__(self, source, customer, sku, qty, cycle, term, start, cost, price,
                 status="active", change=None, group=None):
        self.source, self.customer, self.sku = source, customer, sku
        self.qty, self.cycle, self.term = qty, cycle, term
        self.start, self.cost, self.price = start, D(cost), D(price)
        self.status, self.change, self.group = status, change, group or sku

    @property
    def name(self):
        return PRODUCTS[self.sku][0]

    def key(self):
        return (self.source, self.customer, self.group)

    def sub_id(self):
        """The subscription id at the source."""
        if self.source == "ingram":
            return INGRAM_SUBSCRIPTIONS[(self.customer, self.group)]
        return stable_uuid(self.source, "subscription", self.customer, self.group)

    def vendor_sub_id(self):
        """The Microsoft subscription GUID behind a reseller's subscription."""
        return stable_uuid("microsoft", "subscription", self.customer, self.sku)


def _q(customer, sku, fallback):
    """Distributor quantity from ``DEMO_SEATS`` (the PSA demo's distributor column)."""
    return DIST_QTY.get((customer, sku), fallback)


SEATS = [
    # interworks.cloud BSS (cost = costPrice, price = finalPrice)
    Seat("interworks", "Contoso Ltd", "M365-BS", _q("Contoso Ltd", "M365-BS", 27), "monthly", 12,
         (8, 1), "11.25", "15.00", change=(10, 24)),
    Seat("interworks", "Contoso Ltd", "EXO-P1", _q("Contoso Ltd", "EXO-P1", 10), "monthly", 1,
         (20, 1), "4.32", "4.80"),
    Seat("interworks", "Repair & Wear Inc.", "EXO-P1", _q("Repair & Wear Inc.", "EXO-P1", 6),
         "monthly", 12, (5, 14), "3.60", "4.80"),
    Seat("interworks", "Repair & Wear Inc.", "M365-BB", _q("Repair & Wear Inc.", "M365-BB", 3),
         "monthly", 12, (3, 1), "5.40", "7.20"),
    Seat("interworks", "Proseware, Inc.", "TEAMS-ESS", 5, "monthly", 1, (2, 1), "3.60", "4.50"),
    # Ingram Micro Cloud Marketplace (cost = unitCost, price = unitPrice; amounts as strings)
    Seat("ingram", "Fabrikam Inc", "M365-BP", _q("Fabrikam Inc", "M365-BP", 40), "monthly", 12,
         (14, 1), "19.80", "26.40", group="BP"),
    Seat("ingram", "Fabrikam Inc", "DEF-O365-P1", 5, "monthly", 12, (14, 1), "1.80", "2.40",
         group="BP", change=(16, 3)),
    Seat("ingram", "Fabrikam Inc", "M365-BB", _q("Fabrikam Inc", "M365-BB", 12), "monthly", 12,
         (7, 1), "5.40", "7.20", group="BB"),
    Seat("ingram", "Adventure Works", "M365-BP", _q("Adventure Works", "M365-BP", 20), "monthly",
         12, (4, 1), "20.035", "26.40", change=(16, 18)),
    Seat("ingram", "Tailspin Toys Ltd", "M365-BS", _q("Tailspin Toys Ltd", "M365-BS", 12),
         "monthly", 12, (9, 1), "11.035", "15.00"),
    Seat("ingram", "Woodgrove Bank", "EXO-P1", 8, "monthly", 1, (11, 1), "4.32", "4.80"),
    Seat("ingram", "Woodgrove Bank", "M365-BB", 3, "monthly", 12, (6, 1), "5.40", "7.20",
         status="cancelled"),
    # Pax8 (cost = partnerCost, price = price; annual billing states annual unit amounts)
    Seat("pax8", "Lucerne Publishing", "M365-BS", _q("Lucerne Publishing", "M365-BS", 7),
         "monthly", 12, (10, 1), "11.25", "15.00"),
    Seat("pax8", "Coho Vineyard & Winery", "M365-BP", _q("Coho Vineyard & Winery", "M365-BP", 11),
         "annual", 12, (1, 1), "237.60", "316.80"),
    Seat("pax8", "VanArsdel Ltd", "TEAMS-ESS", 15, "monthly", 1, (3, 1), "3.60", "4.80",
         change=(15, 12)),
    Seat("pax8", "VanArsdel Ltd", "EXO-P1", 3, "monthly", 1, (6, 1), "4.32", "4.80",
         status="pending_cancel"),
    # Microsoft Partner Center (cost = effectiveUnitPrice, price = list unitPrice)
    Seat("partnercenter", "Northwind Traders", "M365-BS", _q("Northwind Traders", "M365-BS", 8),
         "monthly", 12, (6, 1), "11.25", "12.50"),
    Seat("partnercenter", "Northwind Traders", "EXO-P1", _q("Northwind Traders", "EXO-P1", 6),
         "monthly", 1, (13, 1), "4.32", "4.80", change=(20, 5)),
    Seat("partnercenter", "Wide World Importers", "M365-E3",
         _q("Wide World Importers", "M365-E3", 30), "monthly", 12, (2, 1), "32.40", "36.00"),
    Seat("partnercenter", "Wide World Importers", "M365-BB",
         _q("Wide World Importers", "M365-BB", 9), "monthly", 1, (5, 1), "6.48", "7.20"),
    Seat("partnercenter", "Wide World Importers", "PBI-PRO", 10, "annual", 12, (1, 1),
         "151.20", "168.00"),
    Seat("partnercenter", "Contoso Ltd", "M365-E3", seed_demo.DEMO_ANNUAL[0][2], "annual", 12,
         (12, 1), "388.80", "432.00"),
    Seat("partnercenter", "Graphic Design Institute", "M365-BB", 4, "monthly", 1, (4, 1),
         "6.48", "7.20", status="suspended"),
]

INGRAM_SUBSCRIPTIONS = {
    ("Fabrikam Inc", "BP"): "1000401", ("Fabrikam Inc", "BB"): "1000402",
    ("Adventure Works", "M365-BP"): "1000403", ("Tailspin Toys Ltd", "M365-BS"): "1000404",
    ("Woodgrove Bank", "EXO-P1"): "1000405", ("Woodgrove Bank", "M365-BB"): "1000406",
}

# MSP360 backup users: (company, email, computer, GB last month, GB this month so far,
# restored GB last month).  Contoso's users add up to BACKUP_COMPANIES' 512 GB.
BACKUP_USERS = [
    ("Contoso Ltd", "fileserver@contoso.example", "CONTOSO-FS01", BACKUP_GB["Contoso Ltd"] - 128,
     "391.25", 0),
    ("Contoso Ltd", "sql01@contoso.example", "CONTOSO-SQL01", 128, "131.5", 0),
    ("Lucerne Publishing", "nas@lucernepublishing.example", "LUCERNE-NAS",
     BACKUP_GB["Lucerne Publishing"], "130", 5),
    ("Fourth Coffee", "pc01@fourthcoffee.example", "FOURTHCOFFEE-PC01", "64.5", "66", 0),
]
BACKUP_EXTRA_BYTES = {"Fourth Coffee": 123457}     # not a whole number of 1/1000 GB
STORAGE_COST_PER_GB = D("0.05")
RESTORE_COST_PER_GB = D("0.02")
GIB = 1024 ** 3


def subscription_name(seat):
    """The subscription's name as its source shows it."""
    if seat.source == "interworks":
        return "%s - %s" % (seat.customer, seat.name)
    if seat.source == "ingram":
        return "%s (%s)" % (seat.name, "Monthly Pre-Paid" if seat.term == 1 else "Annual/Monthly")
    return seat.name


def seats(source, customer=None):
    return [s for s in SEATS if s.source == source and customer in (None, s.customer)]


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

def source_dates(today=None):
    """Key dates: ``m0`` = first day of the billing month (last month), ``m1`` = this month."""
    now = today or utc_today()
    m1 = now.replace(day=1)
    return {"today": now, "m0": add_months(m1, -1), "m1": m1, "m_1": add_months(m1, -2)}


def original_start(seat, d):
    """First day of the subscription's first commitment term."""
    months_ago, day = seat.start
    first = add_months(d["m1"], -months_ago)
    return first.replace(day=min(day, month_end(first).day))


def term_containing(seat, day, d):
    """(start, inclusive end) of the commitment term that contains ``day``."""
    start, k = original_start(seat, d), 0
    while add_months(start, (k + 1) * seat.term) <= day:
        k += 1
    return (add_months(start, k * seat.term),
            add_months(start, (k + 1) * seat.term) - dt.timedelta(days=1))


def term_start(seat, d):
    """Start of the current commitment term (the one containing today)."""
    return term_containing(seat, d["today"], d)[0]


def term_end(seat, d):
    """Inclusive last day of the current term (new-commerce end dates are inclusive)."""
    return term_containing(seat, d["today"], d)[1]


def period_in_month(seat, month_first):
    """(start, inclusive end) of the seat's billing period that starts in the given month."""
    day = seat.start[1]
    start = month_first.replace(day=min(day, month_end(month_first).day))
    months = 12 if seat.cycle == "annual" else 1
    return start, add_months(start, months) - dt.timedelta(days=1)


def quantity_on(seat, day, d):
    """Seat quantity on ``day``: before a last-month change it was the old quantity."""
    if seat.change and day < d["m0"].replace(day=seat.change[0]):
        return seat.change[1]
    return seat.qty


# ---------------------------------------------------------------------------
# Billing lines (source-neutral) and their amounts as each source states them
# ---------------------------------------------------------------------------

class Line:
    """One billed line: a seat's period charge or a proration for a seat change."""

    def __init__(self, seat, kind, start, end, qty, period_days, days):
        self.seat, self.kind = seat, kind          # kind: recurring | proration
        self.start, self.end, self.qty = start, end, qty
        self.period_days, self.days = period_days, days
        self.amounts = line_amounts(self)


def billing_lines(source, month_first, d):
    """Every line whose billing period starts in the month of ``month_first``."""
    out = []
    for seat in seats(source):
        if seat.status in ("cancelled", "suspended"):
            continue
        start, end = period_in_month(seat, month_first)
        if start < original_start(seat, d):
            continue
        if seat.cycle == "annual" and term_containing(seat, start, d)[0] != start:
            continue                            # annual billing: only when a term starts
        out.append(Line(seat, "recurring", start, end, quantity_on(seat, start, d),
                        (end - start).days + 1, (end - start).days + 1))
        if seat.change and month_first == d["m0"]:
            day, before = seat.change
            changed = month_first.replace(day=day)
            p_start, p_end = period_in_month(seat, changed if day >= seat.start[1]
                                             else add_months(month_first, -1))
            out.append(Line(seat, "proration", changed, p_end, seat.qty - before,
                            (p_end - p_start).days + 1, (p_end - changed).days + 1))
    return out


def plain(value):
    """Shortest plain decimal text: ``Decimal("12.500000")`` -> ``"12.5"``, never ``1E+1``."""
    text = format(value.normalize(), "f")
    return text


def _round(value, places=2):
    return value.quantize(D(1).scaleb(-places), rounding=decimal.ROUND_HALF_EVEN)


def _rounddown(value, places=2):
    return value.quantize(D(1).scaleb(-places), rounding=decimal.ROUND_DOWN)


def line_amounts(line):
    """Unit and extended amounts of a line exactly as the line's source states them.

    interworks: a proration line carries a prorated unit price (2 decimals) and
      totals = unit x quantity (as in the recorded BSS output);
    Ingram: unit prices stay whole-period; a ``duration`` fraction
      (days in period - effective day) / days in period, 4 decimals, scales the
      extended amounts (vendor's ConnectWise integration formula);
    Pax8: unit prices stay whole-period, subTotal/costTotal are prorated by days;
    Partner Center: unitPrice / effectiveUnitPrice are the prices for the given
      billing period (6 decimals), subtotal = ROUNDDOWN(effective, 2) x quantity;
      no extended list price is stated.
    """
    seat, qty = line.seat, D(line.qty)
    cost, price = seat.cost, seat.price
    share = D(line.days) / D(line.period_days)
    out = {"duration": None}
    if line.kind == "recurring":
        share = D(1)
    if seat.source == "interworks":
        ucost, uprice = (cost, price) if line.kind == "recurring" else (
            _round(cost * share), _round(price * share))
        out.update(unit_cost=ucost, unit_price=uprice, ext_cost=_round(ucost * qty),
                   ext_price=_round(uprice * qty))
    elif seat.source == "ingram":
        duration = D(1)
        if line.kind == "proration":
            duration = _round(D(line.period_days - line.start.day) / D(line.period_days), 4)
        out.update(unit_cost=cost, unit_price=price, duration=duration,
                   ext_cost=_round(qty * cost * duration), ext_price=_round(qty * price * duration))
    elif seat.source == "pax8":
        out.update(unit_cost=cost, unit_price=price, ext_cost=_round(cost * qty * share),
                   ext_price=_round(price * qty * share))
    elif seat.source == "partnercenter":
        ucost, uprice = _round(cost * share, 6), _round(price * share, 6)
        out.update(unit_cost=ucost, unit_price=uprice, ext_cost=_rounddown(ucost) * qty,
                   ext_price=None)
    return out


def backup_usage(d):
    """MSP360 user billing rows for last month (``m0``) and this month so far (``m1``)."""
    rows = []
    for company, email, computer, gb_last, gb_now, restore_gb in BACKUP_USERS:
        for month, gb, restored in ((d["m0"], gb_last, restore_gb), (d["m1"], gb_now, 0)):
            extra = BACKUP_EXTRA_BYTES.get(company, 0) if month == d["m0"] else 0
            avg_bytes = int(D(str(gb)) * GIB) + extra
            storage = _round(D(avg_bytes) / GIB * STORAGE_COST_PER_GB)
            restore = _round(D(restored) * RESTORE_COST_PER_GB)
            rows.append({"month": month, "company": company, "email": email,
                         "computer": computer, "user_id": stable_uuid("msp360", "user", email),
                         "average_bytes": avg_bytes, "restore_bytes": int(D(restored) * GIB),
                         "plan_cost": D(0), "storage_cost": storage, "restore_cost": restore,
                         "total_cost": storage + restore})
    return rows


# ---------------------------------------------------------------------------
# interworks.cloud BSS
# ---------------------------------------------------------------------------

def interworks_state(base, today=None):
    """Fill an empty interworks store: accounts, products, subscriptions, invoices, lines."""
    d = source_dates(today)
    t = base["tables"]
    for name in customers("interworks"):
        cid = customer_id("interworks", name)
        t["accounts"].append({
            "id": cid, "name": name, "code": "ACC%05d" % cid,
            "companyName": name, "email": "billing@%s.example" % _slug(name),
            "currency": CURRENCY, "createdAt": add_months(d["m1"], -24).isoformat()})
    for sku in sorted({s.sku for s in seats("interworks")}):
        t["products"].append({"id": stable_uuid("interworks", "product", sku),
                              "code": product_code(sku), "name": PRODUCTS[sku][0],
                              "productTypeName": "Microsoft Cloud Services"})
    for seat in seats("interworks"):
        t["subscriptions"].append({
            "id": seat.sub_id(), "name": subscription_name(seat),
            "externalId": seat.vendor_sub_id().upper(), "accountId": customer_id(
                "interworks", seat.customer),
            "productId": stable_uuid("interworks", "product", seat.sku),
            "quantity": seat.qty, "status": "Active",
            "billingType": "Recurring", "billingPlan": "Monthly",
            "billingCycle": "Monthly" if seat.cycle == "monthly" else "Annual",
            "commitmentTerm": "Annual" if seat.term == 12 else "Monthly", "autoRenew": True,
            "startDate": original_start(seat, d).isoformat(),
            "endDate": term_end(seat, d).isoformat(),
            "costPrice": float(seat.cost), "unitPrice": float(seat.price), "discount": 0,
            "finalUnitPrice": float(seat.price)})
    invoices = {}
    number = 701
    for line in sorted(billing_lines("interworks", d["m0"], d),
                       key=lambda l: (customer_id("interworks", l.seat.customer), l.start)):
        key = (line.seat.customer, line.start)
        if key not in invoices:
            cid = customer_id("interworks", line.seat.customer)
            invoices[key] = {"id": 9900 + number, "code": "%06d" % number, "accountId": cid,
                             "date": line.start.isoformat(),
                             "dueDate": (line.start + dt.timedelta(days=30)).isoformat(),
                             "stage": "Unpaid", "type": "Debit", "description": None}
            t["invoices"].append(invoices[key])
            number += 1
        a = line.amounts
        t["invoiceLines"].append({
            "id": stable_uuid("interworks", "line", line.seat.sub_id(), line.kind, line.start),
            "invoiceId": invoices[key]["id"], "subscriptionId": line.seat.sub_id(),
            "billingPeriodStart": line.start.isoformat(), "billingPeriodEnd": line.end.isoformat(),
            "quantity": line.qty, "unit": "Month" if line.seat.cycle == "monthly" else "Annual",
            "costPrice": float(a["unit_cost"]), "finalPrice": float(a["unit_price"]),
            "costTotal": float(a["ext_cost"]), "finalTotal": float(a["ext_price"])})
    base["nextId"] = 20000
    return base


def _slug(name):
    return "".join(ch for ch in name.lower() if ch.isalnum())


# ---------------------------------------------------------------------------
# Ingram Micro Cloud Marketplace
# ---------------------------------------------------------------------------

def ingram_mpn(seat):
    """MPN of a product: ``<NCE product:sku>_<P1Y|P1M>_<MONTHLY|ANNUAL>``."""
    return "%s_%s_%s" % (product_code(seat.sku), "P1Y" if seat.term == 12 else "P1M",
                         seat.cycle.upper())


def ingram_state(base, today=None):
    d = source_dates(today)
    t = base["tables"]
    for name in customers("ingram"):
        t["customers"].append({
            "id": customer_id("ingram", name), "name": name,
            "externalId": "BS-%s" % _slug(name)[:12], "status": "active",
            "address": {"streetAddress": "1 Demo Way", "addressExtension": "",
                        "postalCode": "10001", "city": "New York", "state": "NY",
                        "countryCode": "US"},
            "contactPersons": [{"type": "admin", "firstName": "Pat", "lastName": "Admin",
                                "email": "admin@%s.example" % _slug(name),
                                "phoneNumber": "+1 555 0100"}],
            "language": "en"})
    groups = {}
    for seat in seats("ingram"):
        groups.setdefault(seat.key(), []).append(seat)
    for (_src, customer, group), members in groups.items():
        first = members[0]
        status = {"cancelled": "terminated"}.get(first.status, first.status)
        sub_name = subscription_name(first)
        t["subscriptions"].append({
            "id": first.sub_id(), "customerId": customer_id("ingram", customer),
            "name": sub_name, "status": status, "renewalStatus": status == "active",
            "creationDate": original_start(first, d).isoformat(),
            "renewalDate": (term_end(first, d) + dt.timedelta(days=1)).isoformat(),
            "expirationDate": term_end(first, d).isoformat(),
            "lastModifiedDate": (d["m0"].replace(day=first.change[0]) if first.change
                                 else term_start(first, d)).isoformat(),
            "billingModel": "chargeBeforeBillingPeriod",
            "billingPeriod": {"type": "month", "duration": 1},
            "subscriptionPeriod": {"type": "year", "duration": 1} if first.term == 12
            else {"type": "month", "duration": 1},
            "planId": "PLAN-%s" % group,
            "products": [{"mpn": ingram_mpn(s), "name": s.name, "vendor": "Microsoft",
                          "quantity": float(s.qty),
                          "unitPrice": money_str(s.price), "unitCost": money_str(s.cost),
                          "vendorSubscriptionId": s.vendor_sub_id()} for s in members]})
    report_id = stable_uuid("ingram", "report", d["m0"])
    t["reports"].append({
        "id": report_id, "name": "Monthly - Rated Data", "status": "completed", "type": "monthly",
        "format": "csv", "creationDate": d["m1"].isoformat() + "T02:00:00+00:00",
        "startDate": d["m0"].isoformat() + "T00:00:00+00:00",
        "endDate": d["m1"].isoformat() + "T00:00:00+00:00"})
    for line in billing_lines("ingram", d["m0"], d):
        s, a = line.seat, line.amounts
        t["reportLines"].append({
            "reportId": report_id, "customerId": customer_id("ingram", s.customer),
            "customerName": s.customer, "subscriptionId": s.sub_id(),
            "subscriptionName": next(x["name"] for x in t["subscriptions"]
                                     if x["id"] == s.sub_id()),
            "expirationDate": term_containing(s, line.start, d)[1].isoformat(),
            "planId": "PLAN-%s" % s.group,
            "mpn": ingram_mpn(s), "resourceName": s.name,
            "chargeType": "recurring" if line.kind == "recurring" else "prorate",
            "chargeStartDate": line.start.isoformat(), "chargeEndDate": line.end.isoformat(),
            "quantity": line.qty, "duration": money_str(a["duration"]),
            "unitPrice": money_str(a["unit_price"]), "unitCost": money_str(a["unit_cost"]),
            "extendedPrice": money_str(a["ext_price"]), "extendedCost": money_str(a["ext_cost"]),
            "currency": CURRENCY, "billingPeriod": "1 month",
            "subscriptionPeriod": "1 year" if s.term == 12 else "1 month"})
    base["nextId"] = 1000500
    return base


# ---------------------------------------------------------------------------
# Pax8
# ---------------------------------------------------------------------------

PAX8_STATUS = {"active": "Active", "pending_cancel": "PendingCancel", "cancelled": "Cancelled"}


def pax8_sku(seat):
    return "MST-%s-%s" % (seat.sku, "ANN" if seat.cycle == "annual" else "MTH")


def pax8_state(base, today=None):
    d = source_dates(today)
    t = base["tables"]
    for name in customers("pax8"):
        t["companies"].append({
            "id": customer_id("pax8", name), "name": name,
            "address": {"street": "1 Demo Way", "city": "Denver", "stateOrProvince": "CO",
                        "postalCode": "80202", "country": "US"},
            "phone": "+1 555 0100", "website": "www.%s.example" % _slug(name),
            "externalId": None, "billOnBehalfOfEnabled": False, "selfServiceAllowed": False,
            "orderApprovalRequired": False, "status": "Active",
            "updatedDate": add_months(d["m1"], -3).isoformat()})
    for sku in sorted({s.sku for s in seats("pax8")}):
        t["products"].append({"id": stable_uuid("pax8", "product", sku), "name": PRODUCTS[sku][0],
                              "vendorName": "Microsoft", "sku": "MST-%s" % sku})
    for seat in seats("pax8"):
        start = original_start(seat, d)
        sub = {
            "id": seat.sub_id(), "companyId": customer_id("pax8", seat.customer),
            "productId": stable_uuid("pax8", "product", seat.sku), "productName": seat.name,
            "vendorSubscriptionId": seat.vendor_sub_id(), "vendorSkuId": product_code(seat.sku),
            "quantity": seat.qty, "startDate": start.isoformat() + "T08:30:00Z",
            "createdDate": (start - dt.timedelta(days=1)).isoformat(),
            "billingStart": start.isoformat(), "status": PAX8_STATUS[seat.status],
            "price": float(seat.price), "partnerCost": float(seat.cost), "currencyCode": CURRENCY,
            "billingTerm": "Annual" if seat.cycle == "annual" else "Monthly",
            "commitmentTerm": {"id": stable_uuid("pax8", "commitment", seat.term),
                               "term": "1-Year" if seat.term == 12 else "1-Month",
                               "endDate": term_end(seat, d).isoformat()}}
        if seat.status == "pending_cancel":
            sub["endDate"] = month_end(d["m1"]).isoformat()
        history = [dict(sub, updatedDate=sub["createdDate"] + "T09:12:14.453-0700")]
        if seat.change:
            day, before = seat.change
            changed = d["m0"].replace(day=day)
            history = [dict(sub, quantity=before,
                            updatedDate=sub["createdDate"] + "T09:12:14.453-0700"),
                       dict(sub, updatedDate=changed.isoformat() + "T10:02:11.120-0600")]
            sub["updatedDate"] = history[-1]["updatedDate"]
        t["subscriptions"].append(sub)
        for n, snap in enumerate(history):
            t["subscriptionHistory"].append(dict(
                snap, id=stable_uuid("pax8", "history", seat.sub_id(), n),
                subscriptionId=sub["id"]))
    for month in (d["m0"], d["m1"]):
        inv_id = stable_uuid("pax8", "invoice", month)
        items = []
        for line in billing_lines("pax8", month, d):
            items.append(line)
        if month == d["m1"]:                    # last month's seat changes bill in arrears
            items += [l for l in billing_lines("pax8", d["m0"], d) if l.kind == "proration"]
        total = D(0)
        for line in items:
            s, a = line.seat, line.amounts
            total += a["ext_cost"]
            t["invoiceItems"].append({
                "id": stable_uuid("pax8", "item", s.sub_id(), line.kind, line.start),
                "invoiceId": inv_id,
                "type": "subscription" if line.kind == "recurring" else "prorate",
                "purchaseOrderNumber": "N/A", "companyId": customer_id("pax8", s.customer),
                "companyName": s.customer, "startPeriod": line.start.isoformat(),
                "endPeriod": line.end.isoformat(),  # inclusive; rendered per knob
                "quantity": line.qty, "unitOfMeasure": "User",
                "term": "Annual" if s.cycle == "annual" else "Monthly", "sku": pax8_sku(s),
                "description": s.name, "rateType": "single", "chargeType": "per",
                "price": float(a["unit_price"]), "subTotal": float(a["ext_price"]),
                "cost": float(a["unit_cost"]), "costTotal": float(a["ext_cost"]),
                "offeredBy": "Pax8", "billedByPax8": False, "total": float(a["ext_cost"]),
                "productId": stable_uuid("pax8", "product", s.sku), "productName": s.name,
                "billingFee": 0, "billingFeeRate": 0, "amountDue": float(a["ext_cost"]),
                "currencyCode": CURRENCY, "salesTax": 0, "subscriptionId": s.sub_id(),
                "vendorName": "Microsoft"})
        t["invoices"].append({
            "id": inv_id, "invoiceDate": month.replace(day=4).isoformat(),
            "dueDate": month.replace(day=19).isoformat(), "status": "Paid" if month == d["m0"]
            else "Unpaid", "total": float(total),
            "balance": 0 if month == d["m0"] else float(total),
            "carriedBalance": 0, "currencyCode": CURRENCY, "partnerName": "Demo MSP",
            "companyId": None, "externalId": None})
    return base


# ---------------------------------------------------------------------------
# Microsoft Partner Center
# ---------------------------------------------------------------------------

PC_PARTNER_ID = "934f3416-bc2f-47f3-b492-77e517d4e572"
PC_MPN_ID = "5357564"
PC_STATUS = {"active": "active", "suspended": "suspended", "cancelled": "deleted"}


def pc_domain(name):
    return "%s.onmicrosoft.com" % _slug(name)[:20]


def pc_offer_id(seat):
    _name, product, sku_id, avail = PRODUCTS[seat.sku]
    return "%s:%s:%s" % (product, sku_id, avail)


def pc_term_text(seat):
    if seat.term == 12:
        return "One-Year commitment for monthly/yearly billing"
    return "One-Month commitment for monthly billing"


def pc_invoice_number(month, seq):
    return "G%02d%02d%05d" % (month.year % 100, month.month, seq)


def partnercenter_state(base, today=None):
    d = source_dates(today)
    t = base["tables"]
    for name in customers("partnercenter"):
        cid = customer_id("partnercenter", name)
        t["customers"].append({
            "id": cid, "companyProfile": {"tenantId": cid, "domain": pc_domain(name),
                                          "companyName": name,
                                          "attributes": {"objectType": "CustomerCompanyProfile"}},
            "billingProfile": {"id": stable_uuid("pc", "billing", name), "companyName": name,
                               "defaultAddress": {"country": "US", "city": "Redmond",
                                                  "state": "WA", "addressLine1": "1 Demo Way",
                                                  "postalCode": "98052"},
                               "attributes": {"objectType": "CustomerBillingProfile"}},
            "relationshipToPartner": "reseller", "allowDelegatedAccess": True,
            "attributes": {"objectType": "Customer"}})
    for seat in seats("partnercenter"):
        start = original_start(seat, d)
        t["subscriptions"].append({
            "id": seat.sub_id(), "customerId": customer_id("partnercenter", seat.customer),
            "offerId": pc_offer_id(seat),
            "entitlementId": stable_uuid("pc", "entitlement", seat.sub_id()),
            "offerName": seat.name, "friendlyName": seat.name, "quantity": seat.qty,
            "unitType": "Licenses", "hasPurchasableAddons": False,
            "creationDate": start.isoformat() + "T16:57:15.0966728Z",
            "effectiveStartDate": start.isoformat() + "T00:00:00Z",
            "commitmentEndDate": term_end(seat, d).isoformat() + "T00:00:00Z",
            "status": PC_STATUS[seat.status], "autoRenewEnabled": seat.status == "active",
            "isTrial": False, "billingType": "license",
            "billingCycle": "annual" if seat.cycle == "annual" else "monthly",
            "termDuration": "P1Y" if seat.term == 12 else "P1M", "renewalTermDuration": "",
            "isMicrosoftProduct": True, "partnerId": "", "contractType": "subscription",
            "publisherName": "Microsoft Corporation",
            "orderId": stable_uuid("pc", "order", seat.sub_id())[-12:],
            "productType": {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"}})
    invoices = [(pc_invoice_number(d["m0"], 1), "monthly"),
                (pc_invoice_number(d["m0"], 2), "annual")]
    for number, kind in invoices:
        lines = [l for l in billing_lines("partnercenter", d["m0"], d)
                 if (l.seat.cycle == "annual") == (kind == "annual")]
        total = D(0)
        for n, line in enumerate(lines):
            total += line.amounts["ext_cost"]
            t["lineItems"].append(_pc_line(number, n, line, d))
        t["invoices"].append({
            "id": number, "invoiceDate": (d["m1"] if kind == "monthly" else d["m0"].replace(day=2)
                                          ).isoformat() + "T00:00:00Z",
            "billingPeriodStartDate": d["m0"].isoformat() + "T00:00:00Z",
            "billingPeriodEndDate": month_end(d["m0"]).isoformat() + "T00:00:00Z",
            "totalCharges": float(total), "paidAmount": 0, "currencyCode": CURRENCY,
            "currencySymbol": "$", "invoiceType": "Recurring" if kind == "monthly" else "OneTime",
            "documentType": "Invoice", "kind": kind})
    return base


def _pc_line(number, n, line, d):
    s, a = line.seat, line.amounts
    _name, product, sku_id, avail = PRODUCTS[s.sku]
    if line.kind == "proration":
        charge = "addQuantity"
    elif line.start == original_start(s, d):
        charge = "new"
    elif line.start == term_containing(s, line.start, d)[0]:
        charge = "renew"
    else:
        charge = "cycleCharge"
    return {
        "invoiceNumber": number, "partnerId": PC_PARTNER_ID,
        "customerId": customer_id("partnercenter", s.customer), "customerName": s.customer,
        "customerDomainName": pc_domain(s.customer), "customerCountry": "US", "mpnId": PC_MPN_ID,
        "resellerMpnId": "0", "orderId": stable_uuid("pc", "order", s.sub_id())[-12:],
        "orderDate": (line.start.isoformat() + "T18:48:30.6168285Z"),
        "productId": product, "skuId": sku_id, "availabilityId": avail,
        "productName": s.name, "skuName": s.name, "productQualifiers": [],
        "chargeType": charge, "unitPrice": plain(a["unit_price"]),
        "effectiveUnitPrice": plain(a["unit_cost"]), "unitType": "",
        "quantity": line.qty, "subtotal": str(a["ext_cost"]), "taxTotal": "0",
        "totalForCustomer": str(a["ext_cost"]), "currency": CURRENCY,
        "publisherName": "Microsoft Corporation", "publisherId": "", "subscriptionDescription": "",
        "subscriptionId": s.sub_id(),
        "subscriptionStartDate": term_containing(s, line.start, d)[0].isoformat() + "T00:00:00Z",
        "subscriptionEndDate": term_containing(s, line.start, d)[1].isoformat() + "T00:00:00Z",
        "chargeStartDate": line.start.isoformat() + "T00:00:00Z",
        "chargeEndDate": line.end.isoformat() + "T00:00:00Z",
        "termAndBillingCycle": pc_term_text(s),
        "alternateId": stable_uuid("pc", "order", s.sub_id())[-12:],
        "referenceId": stable_uuid("pc", "line", number, s.sub_id(), line.kind, line.start),
        "priceAdjustmentDescription": "[\"Price for given billing period\"]" if line.kind ==
        "proration" else "[\"You are getting a discount for being a partner.\"]",
        "discountDetails": "", "pricingCurrency": CURRENCY, "pcToBCExchangeRate": "1",
        "pcToBCExchangeRateDate": d["m0"].isoformat() + "T00:00:00", "billableQuantity": line.qty,
        "meterDescription": "", "billingFrequency": "Annual" if s.cycle == "annual" else "Monthly",
        "reservationOrderId": "", "promotionId": "", "creditReasonCode": "",
        "invoiceLineItemType": "billing_line_items", "billingProvider": "one_time",
        "productCategory": "Microsoft 365",
        "attributes": {"objectType": "OneTimeInvoiceLineItem"}, "seq": n}


# ---------------------------------------------------------------------------
# MSP360 Managed Backup
# ---------------------------------------------------------------------------

def msp360_state(base, today=None):
    d = source_dates(today)
    t = base["tables"]
    for name in customers("msp360"):
        t["companies"].append({"id": customer_id("msp360", name), "name": name,
                               "storageLimit": -1, "licenseSettings": 0, "destinations": []})
    space_now = {}
    for row in backup_usage(d):
        if row["month"] == d["m1"]:
            space_now[row["email"]] = row["average_bytes"]
    for company, email, computer, _last, _now, _restore in BACKUP_USERS:
        user_id = stable_uuid("msp360", "user", email)
        t["users"].append({
            "id": user_id, "email": email, "firstName": computer, "lastName": "",
            "notificationEmails": [email], "company": company, "enabled": True,
            "licenseManagmentMode": "CompanySettings", "spaceUsed": space_now[email],
            "destinationList": [{"ID": stable_uuid("msp360", "dest", email),
                                 "CurrentVolume": space_now[email],
                                 "PackageID": 7, "AccountID": stable_uuid("msp360", "account", 1),
                                 "AccountDisplayName": "Wasabi (demo)",
                                 "Destination": "demo-bucket",
                                 "DestinationDisplayName": "demo-bucket"}],
            "computer": computer})
    for row in backup_usage(d):
        t["billing"].append({
            "month": row["month"].strftime("%Y-%m"), "userId": row["user_id"],
            "averageSpace": row["average_bytes"], "totalVolumeRestore": row["restore_bytes"],
            "planCost": float(row["plan_cost"]), "storageCost": float(row["storage_cost"]),
            "restoreCost": float(row["restore_cost"]), "totalCost": float(row["total_cost"])})
    t["packages"].append({"id": 7, "name": "Wasabi 0.05/GB", "cost": float(STORAGE_COST_PER_GB),
                          "description": "Storage billed per GB of average monthly space",
                          "enabled": True, "storageLimit": -1, "isGlacierRestoreLimit": False,
                          "restoreLimit": -1, "glacierRestoreType": 0, "useRestoreLimit": False})
    return base
