"""The invoice text (doc/invoice-text.md) on both PSAs: what the customer's invoice shows for
billsync's lines (ConnectWise additions and one-time additions, Autotask contract charges; Autotask
seat adjustments carry no text), by default the product or service name, or the tenant's
template from the billing settings page; bad templates are refused with the reason and store
nothing. Each text is read from the sandbox's journal or state, as the PSA got it."""
import datetime
import json

from billsync_test import csrf_from, sql, upload_csv, wait_for, worker_on
from test_charges import E3
from test_mapping import GENERIC, row_id, set_relation
from test_sync import Linked, next_change_date, row
from testclock import today

TEMPLATE = "{product} for {company}, {period} ({quantity})"


def save(L, mode, template):
    page = L.admin.get("/settings/billing").text
    return L.admin.post("/settings/billing", data={"csrf": csrf_from(page), "action": "invoice_text",
                                                   "invoice_text_mode": mode, "invoice_text_template": template})


def stored(L):
    return sql(L.stack, f"SELECT invoice_text_mode, COALESCE(invoice_text_template, '') FROM tenant_policies "
                        f"WHERE tenant_id = {L.t}").strip()


def seat_texts(L):
    """The invoiceDescription of each ConnectWise addition billsync created on the link's agreement."""
    return [json.loads(e["body"]).get("invoiceDescription") for e in L.adjustments_posted() if e["method"] == "POST"]


def test_invoice_text_default_then_template(stack, psa):
    L = Linked(stack, 12, psa)
    L.reconciled(12)
    # the default: the PSA's product or service name
    if psa.system == "connectwise":
        assert seat_texts(L) == ["Microsoft 365 Business Basic"]
        assert [a["invoiceDescription"] for a in psa.additions(stack, L.contract, L.service)] == \
            ["Microsoft 365 Business Basic"]
    else:                                          # Autotask's ServiceAdjustments have no text field
        body = json.loads(L.adjustments_posted()[0]["body"])
        assert not {"description", "invoiceDescription", "name"} & set(body)
    # an annual subscription's charge: the product and its term
    start = today().replace(day=1)
    end = start.replace(year=start.year + 1) - datetime.timedelta(days=1)
    annual = E3.format(qty=3, ext="1166.40", type="one_time", start=start, end=end, line="e3-1")
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {L.t} AND system = 'csv'").strip()
    upload_csv(L.admin, conn, "lines.csv", GENERIC + row(12) + annual)
    L.admin.form("/mapping", "/mapping", {"action": "refresh"})
    wait_for(lambda: row_id(stack, "src_subscriptions", L.t, "ct-e3"), 60, "the annual subscription")
    contoso = sql(stack, f"SELECT company_psa_id FROM psa_contracts WHERE tenant_id = {L.t} AND psa_id = '{L.contract}'"
                  ).strip()
    fixed = sql(stack, f"SELECT psa_id FROM psa_contracts WHERE tenant_id = {L.t} AND company_psa_id = '{contoso}' "
                       f"AND contract_type = '{psa.annual_contract_type}' LIMIT 1").strip()
    set_relation(L.admin, "subscription", row_id(stack, "src_subscriptions", L.t, "ct-e3"), fixed)
    L.sync()
    wait_for(lambda: len(psa.charges(stack, fixed)) == 1, 60, "the annual charge")
    assert [c["text"] for c in psa.charges(stack, fixed)] == [f"Microsoft 365 E3 ({start} to {end})"]

    # the tenant's template, saved on the billing settings page
    r = save(L, "template", TEMPLATE)
    assert r.status_code == 303
    assert stored(L) == "template\t" + TEMPLATE
    assert "Invoice text saved." in L.admin.get("/settings/billing").text
    mid = start + datetime.timedelta(days=10)
    more = E3.format(qty=2, ext="755.58", type="proration", start=mid, end=end, line="e3-2")
    upload_csv(L.admin, conn, "lines.csv", GENERIC + row(15) + annual + more)
    L.sync()
    wait_for(lambda: len(psa.charges(stack, fixed)) == 2, 60, "the mid-term charge")
    texts = sorted(c["text"] for c in psa.charges(stack, fixed))
    assert texts == sorted([f"Microsoft 365 E3 ({start} to {end})",
                            f"Microsoft 365 E3 for Contoso Ltd, {mid} to {end} (2)"])
    day = next_change_date(psa)
    with worker_on(stack, day) as w:
        w.post(L.t)
        wait_for(lambda: L.units(day.isoformat()) == 15, 60, "the +3")
    if psa.system == "connectwise" and day.day != 1:   # on a period's first day a quantity PATCH: no new line
        assert seat_texts(L)[-1] == f"Microsoft 365 Business Basic for Contoso Ltd, {day} (15)"


def test_bad_templates_are_refused_and_store_nothing(stack, psa):
    L = Linked(stack, 12, psa)
    assert save(L, "template", "{product} for {company}").status_code == 303
    before = stored(L)
    for bad, words in (("{product} of {sku}", "unknown placeholder {sku}"),
                       ("{product", "without its"),
                       ("", "is empty"),
                       ("x" * 6001, "6000"),
                       ("line one\nline two", "one line")):
        r = save(L, "template", bad)
        assert r.status_code == 400 and words in r.text, (bad[:20], r.text[:3000])
        assert stored(L) == before, "nothing is stored"
    r = save(L, "sideways", "{product}")
    assert r.status_code == 400 and "Choose where the invoice text comes from" in r.text
    # Autotask: a charge's name takes 100 characters; ConnectWise's invoiceDescription 6000
    long = "{product} " + "y" * 95
    r = save(L, "template", long)
    if psa.system == "autotask":
        assert r.status_code == 400 and "at most 100" in r.text
        assert stored(L) == before
    else:
        assert r.status_code == 303 and stored(L) == "template\t" + long
    assert save(L, "product", "").status_code == 303
    assert stored(L) == "product"          # the template cleared (strip() drops the tab)
    audit = sql(stack, f"SELECT action FROM audit_log WHERE tenant_id = {L.t} AND action = 'tenant.invoice_text'")
    assert audit.split().count("tenant.invoice_text") >= 2
