"""Cross-system tests of the distributor ("source") simulators: demo seed, its relation to
the PSA demo, determinism, canonical fixture formats, generic control behaviour."""

import json
import re

import pytest
import requests

import canonical_fixtures as cf
import seed_demo
import seed_sources
from conftest import start_sandbox, stop_sandbox

SOURCES = ("interworks", "ingram", "partnercenter", "pax8", "msp360")
PSA_NAMES = {psa for psa, _ident, _dist in seed_demo.DEMO_COMPANIES}
PSA_ONLY = {psa for psa, _ident, dist in seed_demo.DEMO_COMPANIES if dist is None}


def test_demo_seed_loads_for_every_source(sb):
    sb.reset("demo")
    counts = {name: {t: len(rows) for t, rows in sb.state(name)["tables"].items()}
              for name in SOURCES}
    assert counts["interworks"]["accounts"] == 3 and counts["interworks"]["invoiceLines"] == 6
    assert counts["ingram"]["subscriptions"] == 6 and counts["ingram"]["reportLines"] == 8
    assert counts["pax8"]["companies"] == 4 and counts["pax8"]["invoiceItems"] > 0
    assert counts["partnercenter"]["customers"] == 4 and counts["partnercenter"]["invoices"] == 2
    assert counts["msp360"]["users"] == 4 and counts["msp360"]["billing"] == 8
    everyone = {name for _src, name, _id in seed_sources.CUSTOMERS}
    assert 10 <= len(everyone) <= 16                       # about a dozen customers


def test_company_names_relate_to_the_psa_demo():
    names = {name for _src, name, _id in seed_sources.CUSTOMERS}
    exact = names & PSA_NAMES
    assert {"Contoso Ltd", "Fabrikam Inc", "Northwind Traders", "Wide World Importers",
            "Lucerne Publishing"} <= exact
    near = {"Repair & Wear Inc.", "Adventure Works", "Tailspin Toys Ltd", "Coho Vineyard & Winery"}
    assert near <= names and not near & PSA_NAMES
    unrelated = names - PSA_NAMES - near
    assert {"Proseware, Inc.", "Woodgrove Bank", "VanArsdel Ltd", "Fourth Coffee"} <= unrelated
    assert not names & PSA_ONLY                            # PSA-only customers stay PSA-only


def test_seat_counts_differ_from_the_psa_for_some_lines():
    psa = {(dist, sku): units for c, sku, units, _d, _chg in seed_demo.DEMO_SEATS
           for psa_name, _i, dist in seed_demo.DEMO_COMPANIES if psa_name == c and dist}
    differ = [(s.customer, s.sku, psa[(s.customer, s.sku)], s.qty) for s in seed_sources.SEATS
              if (s.customer, s.sku) in psa and psa[(s.customer, s.sku)] != s.qty]
    assert ("Contoso Ltd", "M365-BS", 24, 27) in differ
    assert len(differ) >= 5
    annual = [s for s in seed_sources.SEATS if s.cycle == "annual"]
    assert {(s.source, s.customer) for s in annual} >= {("partnercenter", "Contoso Ltd"),
                                                         ("partnercenter", "Wide World Importers")}


def test_demo_seed_is_deterministic(sb):
    sb.reset("demo")
    first = {name: sb.state(name) for name in SOURCES}
    sb.reset("demo")
    assert {name: sb.state(name) for name in SOURCES} == first
    assert cf.all_expected() == cf.CANONICAL


MONEY = re.compile(r"^-?\d+\.\d{4}$")
QTY = re.compile(r"^-?\d+(\.\d{1,3})?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.mark.parametrize("system", SOURCES)
def test_canonical_fixture_formats(system):
    fx = cf.expected(system)
    assert fx["customer"] == cf.FIXTURE_CUSTOMERS[system] and DATE.match(fx["month"])
    assert fx["companies"] and fx["subscriptions"] and fx["resources"] and fx["charges"]
    for sub in fx["subscriptions"]:
        assert sub["status"] in ("active", "suspended", "cancelled", "pending")
        assert sub["billing_cycle"] in ("monthly", "annual", "one_time", "usage")
        assert sub["term_months"] in (0, 1, 12, 36)
    for res in fx["resources"]:
        assert QTY.match(res["quantity"]) and res["subscription_id"] in {
            s["id"] for s in fx["subscriptions"]}
        for key in ("unit_cost", "unit_price"):
            assert res[key] is None or MONEY.match(res[key])
    for ch in fx["charges"]:
        assert ch["type"] in ("recurring", "one_time", "usage", "proration", "refund")
        assert ch["period_start"][:7] == fx["month"][:7] and ch["period_start"] <= ch["period_end"]
        assert DATE.match(ch["effective"]) and QTY.match(ch["quantity"])
        assert ch["resource_id"] in {r["id"] for r in fx["resources"]}
        for key in ("unit_cost", "unit_price", "extended_cost", "extended_price"):
            assert ch[key] is None or MONEY.match(ch[key]), (key, ch[key])
    assert json.loads(json.dumps(fx)) == fx


def test_expired_token_fault_needs_a_token_system(sb):
    index = sb.control("GET", "/")
    assert "expired_token" in index["fault_kinds"] and set(SOURCES) <= set(index["systems"])
    for system in ("autotask", "connectwise"):
        resp = requests.post(sb.control_url + "/faults", json={"system": system,
                                                               "kind": "expired_token"}, timeout=5)
        assert resp.status_code == 400 and "token" in resp.json()["error"]


def test_state_merge_and_knob_validation(sb):
    bad_table = requests.post(sb.control_url + "/state/pax8", timeout=5, json={
        "mode": "merge", "data": {"tables": {"nosuch": []}}})
    assert bad_table.status_code == 400
    bad_key = requests.post(sb.control_url + "/state/ingram", timeout=5, json={
        "mode": "merge", "data": {"bogus": 1}})
    assert bad_key.status_code == 400
    sb.merge("ingram", {"tables": {"customers": [{"name": "No Id Co"}]}})
    row = sb.state("ingram")["tables"]["customers"][0]
    assert row["id"].isdigit() and row["status"] == "active"      # defaults filled in
    for system, knobs in (("pax8", {"period_end_style": "sideways"}),
                          ("interworks", {"no_such_knob": 1}),
                          ("partnercenter", {"numbers": "roman"}),
                          ("msp360", {"token_lifetime_s": "long"})):
        resp = requests.post(sb.control_url + "/config/" + system, json=knobs, timeout=5)
        assert resp.status_code == 400, (system, knobs)
    assert sb.control("GET", "/config/pax8")["max_page_size"] == 200


def test_source_data_survives_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    first = start_sandbox(tmp_path, "--seed", "empty", "--state-file", str(state_file))
    try:
        first.merge("pax8", {"tables": {"companies": [{"id": "c-1", "name": "Kept Co"}]}})
    finally:
        stop_sandbox(first)
    second = start_sandbox(tmp_path, "--seed", "demo", "--state-file", str(state_file))
    try:
        assert [c["name"] for c in second.state("pax8")["tables"]["companies"]] == ["Kept Co"]
    finally:
        stop_sandbox(second)
