"""Expected CANONICAL records of the demo seed: what a correct source connector produces.

For each source system, ``expected(system)`` returns one demo customer's
records in the canonical model of ``app/connectors/source.h`` (companies,
subscriptions, resources, and the billing lines of one month), as plain JSON
values so a C connector's output can be compared field by field::

    {"system": "pax8", "customer": "VanArsdel Ltd", "month": "2026-10-01",
     "companies":     [{"id", "name"}],
     "subscriptions": [{"id", "company_id", "name", "status", "billing_cycle",
                        "term_months", "commitment_end", "auto_renew"}],
     "resources":     [{"id", "subscription_id", "company_id", "name", "sku",
                        "quantity", "unit_cost", "unit_price", "currency",
                        "billing_cycle", "term_months", "commitment_end", "status"}],
     "charges":       [{"id", "company_id", "subscription_id", "resource_id",
                        "description", "sku", "type", "period_start", "period_end",
                        "effective", "quantity", "unit_cost", "unit_price",
                        "extended_cost", "extended_price", "currency",
                        "term_months", "frequency"}]}

Formats (those of ``core/money.h`` and ``registry.c``):

* ids are strings (interworks' integer account ids too: ``"2777"``);
* quantity: shortest decimal, up to 3 decimals (``"27"``, ``"64.5"``), half-even;
* money: exactly 4 decimals (``"11.0350"``), half-even from the source's value;
* dates: ``YYYY-MM-DD``, the civil date the source printed (interworks' ``...T00:00:00+02:00``
  is that day, not the UTC day before); period_end is inclusive;
* status: active | suspended | cancelled | pending; billing_cycle / frequency:
  monthly | annual | one_time | usage; type: recurring | one_time | usage |
  proration | refund; term_months: 1, 12, 36, or 0 = no commitment;
* ``None`` = the source does not state the value (a connector must not invent
  it: Partner Center states no sell price, MSP360 no sell price or currency).
* lists are sorted by ``id``; ``charges`` are the lines whose billing period
  starts in ``month`` (default: last month), whichever invoice carries them.

Mapping rules per source (how the sandbox's answers turn into these values):

interworks  company = account (id, name).  subscription: status Active->active,
    Suspended->suspended, In-Active/Cancelled->cancelled; billing_cycle from
    ``billingCycle``; term from ``commitmentTerm`` (Annual 12, Monthly 1);
    commitment_end = ``endDate``; auto_renew = ``autoRenew`` (v3 fields).
    resource = the subscription (same id), sku = ``product.code``, unit_cost =
    pricingInfo ``costPrice``, unit_price = pricingInfo ``finalUnitPrice``.
    charge = invoice line: id = line id, quantity = ``subscriptions[0].quantity``,
    unit = ``costPrice``/``finalPrice``, extended = ``costTotal``/``finalTotal``,
    type proration when the period is shorter than the line's ``unit`` (Month /
    Annual), else recurring; frequency from ``unit``; term from the subscription;
    currency = the account's currency.
ingram  company = customer.  subscription: active->active, hold->suspended,
    pending->pending, terminated/removed->cancelled; billing_cycle from
    ``billingPeriod``, term from ``subscriptionPeriod``; commitment_end =
    ``expirationDate``; auto_renew = ``renewalStatus``.  resource = one per
    ``products[]`` entry: id = ``<subscription id>/<mpn>``, sku = mpn, amounts
    from ``unitCost``/``unitPrice``.  charge = a row of the month's rated-data
    report: id = ``<Subscription ID>/<Resource MPN>/<Charge Start Date>/<Charge
    Type>``, type recurring / prorate->proration, extended = Extended Cost /
    Extended Price (already scaled by Duration), frequency from Billing Period,
    term from Subscription Period.
pax8  company = company.  subscription: name = ``productName``; Active,
    PendingCancel, Trial, Activated->active; Cancelled, Converted->cancelled;
    other Pending*/WaitingForDetails->pending; billing_cycle from
    ``billingTerm``; term from ``commitmentTerm.term`` (1-Year 12, 1-Month 1,
    none 0); commitment_end = ``commitmentTerm.endDate``; auto_renew None (not
    stated).  resource = the subscription, sku = ``vendorSkuId``, unit_cost =
    ``partnerCost``, unit_price = ``price``.  charge = invoice item: type
    subscription->recurring, prorate->proration; period_end = ``endPeriod`` - 1
    day (endPeriod is exclusive by default); extended = ``costTotal`` /
    ``subTotal``; frequency from the item's ``term``; term from the subscription.
partnercenter  company = customer (tenant id, ``companyProfile.companyName``).
    subscription: name = ``friendlyName``; active, suspended, pending as is;
    expired/disabled/deleted->cancelled; term from ``termDuration``;
    commitment_end = ``commitmentEndDate``; auto_renew = ``autoRenewEnabled``.
    resource = the subscription, sku = ``offerId``, no amounts (None).  charge =
    OneTime billing line item: id = ``<invoiceNumber>/<referenceId>``, sku =
    ``productId:skuId:availabilityId``, quantity = ``billableQuantity``, unit_cost
    = ``effectiveUnitPrice``, unit_price = ``unitPrice`` (list price for the
    billed period), extended_cost = ``subtotal``, extended_price None; type new /
    cycleCharge / renew->recurring, addQuantity->proration, removeQuantity /
    cancelInstance / customerCredit->refund; frequency = ``billingFrequency``;
    term from ``termAndBillingCycle``.
msp360  company = company.  subscription = one per company (id = company ID,
    name "Managed Backup", usage, term 0).  resource = ``<company ID>/storage``
    ("Backup storage (GB)", sku ``MSP360-STORAGE-GB``): quantity = the company's
    users' ``SpaceUsed`` in GiB (bytes / 1024^3), no amounts.  charge = a
    ``StatisticBilling`` row of the month (users matched to the company by
    ``CompanyName``): id = ``<YYYY-MM>/<UserId>``, description = the user's
    e-mail, quantity = ``AverageSpace`` in GiB, extended_cost = ``TotalCost``,
    unit_cost = TotalCost / quantity, no price, no currency, type usage, period =
    the calendar month.
"""

import decimal

import seed_sources as src
from simsource import D, month_end

SYSTEMS = ("interworks", "ingram", "partnercenter", "pax8", "msp360")
FIXTURE_CUSTOMERS = {
    "interworks": "Contoso Ltd",            # exact PSA name; proration line for +3 seats
    "ingram": "Fabrikam Inc",               # two subscriptions, one with two resources
    "partnercenter": "Wide World Importers",    # monthly lines + an annual invoice (doc/seeds.md 002)
    "pax8": "VanArsdel Ltd",                # history, prorate on the next month's invoice
    "msp360": "Contoso Ltd",                # two backup users, 512 GB last month
}
STATUS = {"active": "active", "pending_cancel": "active", "suspended": "suspended",
          "cancelled": "cancelled", "pending": "pending"}
MSP360_SKU = "MSP360-STORAGE-GB"


def qty(value):
    """Shortest decimal with at most 3 places (``qty_format``), half-even."""
    v = D(str(value)).quantize(D("0.001"), rounding=decimal.ROUND_HALF_EVEN)
    text = format(v, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value):
    """Exactly 4 decimals, half-even (``money_parse`` then ``money_format(.., 4)``)."""
    if value is None:
        return None
    return format(D(str(value)).quantize(D("0.0001"), rounding=decimal.ROUND_HALF_EVEN), "f")


def day(value):
    return None if value is None else value.isoformat()


def expected(system, customer=None, today=None, month=None):
    """Canonical records of ``customer`` (default ``FIXTURE_CUSTOMERS[system]``) at ``system``.

    ``month`` (any day of it) picks the billing month of ``charges``; default:
    last month, the month the demo's invoices cover.
    """
    if system not in SYSTEMS:
        raise KeyError("unknown source system %r" % system)
    customer = customer or FIXTURE_CUSTOMERS[system]
    if customer not in src.customers(system):
        raise KeyError("%s has no demo customer %r" % (system, customer))
    d = src.source_dates(today)
    month_first = (month or d["m0"]).replace(day=1)
    build = {"msp360": _msp360}.get(system, _seats_source)
    records = build(system, customer, d, month_first)
    out = {"system": system, "customer": customer, "month": month_first.isoformat()}
    for key in ("companies", "subscriptions", "resources", "charges"):
        out[key] = sorted(records[key], key=lambda r: r["id"])
    return out


def all_expected(today=None):
    """``{system: expected(system)}`` for every source."""
    return {system: expected(system, today=today) for system in SYSTEMS}


# ---------------------------------------------------------------------------
# Seat-based sources
# ---------------------------------------------------------------------------

def _cid(system, customer):
    return str(src.customer_id(system, customer))


def _resource_id(seat):
    if seat.source == "ingram":
        return "%s/%s" % (seat.sub_id(), src.ingram_mpn(seat))
    return seat.sub_id()


def _sku(seat):
    return {"ingram": src.ingram_mpn, "partnercenter": src.pc_offer_id}.get(
        seat.source, lambda s: src.product_code(s.sku))(seat)


def _has_prices(seat):
    return seat.source != "partnercenter"


def _seats_source(system, customer, d, month_first):
    cid = _cid(system, customer)
    seats = src.seats(system, customer)
    subs, resources = {}, []
    for seat in seats:
        sub_id = seat.sub_id()
        if sub_id not in subs:
            subs[sub_id] = {
                "id": sub_id, "company_id": cid, "name": src.subscription_name(seat),
                "status": STATUS[seat.status], "billing_cycle": seat.cycle,
                "term_months": seat.term, "commitment_end": day(src.term_end(seat, d)),
                "auto_renew": None if system == "pax8" else seat.status == "active"}
        priced = _has_prices(seat)
        resources.append({
            "id": _resource_id(seat), "subscription_id": sub_id, "company_id": cid,
            "name": seat.name, "sku": _sku(seat), "quantity": qty(seat.qty),
            "unit_cost": money(seat.cost) if priced else None,
            "unit_price": money(seat.price) if priced else None,
            "currency": src.CURRENCY if priced else None, "billing_cycle": seat.cycle,
            "term_months": seat.term, "commitment_end": day(src.term_end(seat, d)),
            "status": STATUS[seat.status]})
    charges = [_charge(system, line, d) for line in src.billing_lines(system, month_first, d)
               if line.seat.customer == customer]
    return {"companies": [{"id": cid, "name": customer}], "subscriptions": list(subs.values()),
            "resources": resources, "charges": charges}


def _charge(system, line, d):
    seat, a = line.seat, line.amounts
    kind = "recurring" if line.kind == "recurring" else "proration"
    if system == "interworks":
        line_id = src.stable_uuid("interworks", "line", seat.sub_id(), line.kind, line.start)
    elif system == "ingram":
        line_id = "%s/%s/%s/%s" % (seat.sub_id(), src.ingram_mpn(seat), line.start.isoformat(),
                                   "recurring" if line.kind == "recurring" else "prorate")
    elif system == "pax8":
        line_id = src.stable_uuid("pax8", "item", seat.sub_id(), line.kind, line.start)
    else:
        number = src.pc_invoice_number(d["m0"], 2 if seat.cycle == "annual" else 1)
        line_id = "%s/%s" % (number, src.stable_uuid("pc", "line", number, seat.sub_id(),
                                                      line.kind, line.start))
    sku = src.pax8_sku(seat) if system == "pax8" else _sku(seat)
    return {
        "id": line_id, "company_id": _cid(system, seat.customer), "subscription_id": seat.sub_id(),
        "resource_id": _resource_id(seat), "description": seat.name, "sku": sku, "type": kind,
        "period_start": day(line.start), "period_end": day(line.end), "effective": day(line.start),
        "quantity": qty(line.qty), "unit_cost": money(a["unit_cost"]),
        "unit_price": money(a["unit_price"]), "extended_cost": money(a["ext_cost"]),
        "extended_price": money(a["ext_price"]), "currency": src.CURRENCY,
        "term_months": seat.term, "frequency": seat.cycle}


# ---------------------------------------------------------------------------
# MSP360 (usage)
# ---------------------------------------------------------------------------

def _gib(nbytes):
    return qty(D(nbytes) / D(src.GIB))


def _msp360(system, customer, d, month_first):
    cid = _cid(system, customer)
    rows = src.backup_usage(d)
    now = {r["email"]: r["average_bytes"] for r in rows if r["month"] == d["m1"]}
    space = sum(now[email] for comp, email, *_ in src.BACKUP_USERS if comp == customer)
    charges = []
    for r in rows:
        if r["company"] != customer or r["month"] != month_first:
            continue
        quantity = D(qty(D(r["average_bytes"]) / D(src.GIB)))
        unit = r["total_cost"] / quantity if quantity else r["total_cost"]
        charges.append({
            "id": "%s/%s" % (month_first.strftime("%Y-%m"), r["user_id"]), "company_id": cid,
            "subscription_id": cid, "resource_id": cid + "/storage", "description": r["email"],
            "sku": MSP360_SKU, "type": "usage", "period_start": day(month_first),
            "period_end": day(month_end(month_first)), "effective": day(month_first),
            "quantity": qty(quantity), "unit_cost": money(unit), "unit_price": None,
            "extended_cost": money(r["total_cost"]), "extended_price": None, "currency": None,
            "term_months": 0, "frequency": "usage"})
    return {
        "companies": [{"id": cid, "name": customer}],
        "subscriptions": [{"id": cid, "company_id": cid, "name": "Managed Backup",
                           "status": "active", "billing_cycle": "usage", "term_months": 0,
                           "commitment_end": None, "auto_renew": None}],
        "resources": [{"id": cid + "/storage", "subscription_id": cid, "company_id": cid,
                       "name": "Backup storage (GB)", "sku": MSP360_SKU, "quantity": _gib(space),
                       "unit_cost": None, "unit_price": None, "currency": None,
                       "billing_cycle": "usage", "term_months": 0, "commitment_end": None,
                       "status": "active"}],
        "charges": charges}


CANONICAL = all_expected()
"""The fixtures for today (recomputed by ``expected``/``all_expected`` for another day)."""
