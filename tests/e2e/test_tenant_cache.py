"""The tenant cache (db/tenant_cache.h, sql/014_tenant_cache.sql, issue 15).

The dashboard's and the checklist's figures and the subscription reports' counts, totals and
charts come from a cache while the tenant's data is unchanged, and never after it changed:
every change of a source, link or PSA-cache row (by the product or by any SQL) and every
verified change in the ledger makes the next request compute again. The ledger's own
bookkeeping on a link (last_posted_units) does not."""
import pytest

import billsync_test as bt
from test_dashboard import conn, hold_scheduler, tiles


def computed_at(stack, t, key):
    return bt.sql(stack, f"SELECT computed_at FROM tenant_cache WHERE tenant_id = {t} AND k = '{key}'").strip()


def report_rows(client, path):
    import re
    m = re.search(r'<tr class="totals" data-rows="(\d+)"', client.get(path).text)
    return int(m.group(1)) if m else 0


@pytest.fixture
def tenant(stack):
    c = bt.signed_in(stack, "billing")
    t = c.tenant
    hold_scheduler(stack, t)
    src = conn(stack, t, "Cache source")
    psa = conn(stack, t, "Cache PSA", kind="psa")
    bt.sql(stack, f"INSERT INTO src_companies (tenant_id, connection_id, source_id, name) VALUES ({t}, {src}, 'C', 'Co')")
    bt.sql(stack, f"INSERT INTO src_subscriptions (tenant_id, connection_id, source_id, company_source_id, name)"
                  f" VALUES ({t}, {src}, 'S', 'C', 'Sub')")
    bt.sql(stack, "INSERT INTO src_resources (tenant_id, connection_id, source_id, subscription_source_id,"
                  " company_source_id, name, quantity, unit_cost, currency) VALUES"
                  f" ({t}, {src}, 'r1', 'S', 'C', 'Seats A', 5000, 100000, 'USD'),"
                  f" ({t}, {src}, 'r2', 'S', 'C', 'Seats B', 3000, 100000, 'USD')")
    return c, t, src, psa


def test_figures_are_served_from_the_cache_until_the_data_changes(stack, tenant):
    c, t, src, psa = tenant
    first = tiles(c.get("/").text)
    assert first["unlinked"]["value"] == "2" and first["linked"]["value"] == "0"
    stamp = computed_at(stack, t, "dash:resources")
    assert stamp, "the figures were kept"
    assert tiles(c.get("/").text) == first
    c.get("/checklist")
    assert computed_at(stack, t, "dash:resources") == stamp, "unchanged data: served from the cache"

    # a new resource (any SQL: the triggers bump the tenant's generation)
    bt.sql(stack, "INSERT INTO src_resources (tenant_id, connection_id, source_id, subscription_source_id,"
                  " company_source_id, name, quantity, unit_cost, currency) VALUES"
                  f" ({t}, {src}, 'r3', 'S', 'C', 'Seats C', 1000, 100000, 'USD')")
    assert tiles(c.get("/").text)["unlinked"]["value"] == "3"
    # a link
    bt.sql(stack, "INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, psa_connection_id,"
                  f" psa_contract_id, psa_service_id) VALUES ({t}, {src}, 'r1', {psa}, 'K1', 'V1')")
    now = tiles(c.get("/").text)
    assert (now["linked"]["value"], now["unlinked"]["value"]) == ("1", "2")
    # a quantity edited at the source moves the unbilled seats
    bt.sql(stack, f"UPDATE src_resources SET quantity = 7000 WHERE tenant_id = {t} AND source_id = 'r2'")
    assert tiles(c.get("/").text)["seats"]["value"] == "8"
    # the ledger's bookkeeping on the link changes no figure and keeps the cache
    stamp = computed_at(stack, t, "dash:resources")
    bt.sql(stack, f"UPDATE resource_links SET last_posted_units = 5000, version = version + 1 WHERE tenant_id = {t}")
    c.get("/")
    assert computed_at(stack, t, "dash:resources") == stamp
    # a pull that finds every row unchanged touches last_seen only (sql/017): the tenant's
    # generation stays, and so do the figures; a real change of a list row moves it
    bt.sql(stack, f"INSERT INTO psa_companies (tenant_id, connection_id, psa_id, name) VALUES ({t}, {psa}, 'A1', 'Acct');"
                  " INSERT INTO psa_contracts (tenant_id, connection_id, psa_id, company_psa_id, name, contract_type)"
                  f" VALUES ({t}, {psa}, 'K1', 'A1', 'Contract', 'recurring');"
                  f" INSERT INTO psa_services (tenant_id, connection_id, psa_id, name) VALUES ({t}, {psa}, 'V1', 'Seats')")
    c.get("/")
    stamp = computed_at(stack, t, "dash:resources")
    gen = lambda: bt.sql(stack, f"SELECT gen FROM tenant_gen WHERE tenant_id = {t}").strip()  # noqa: E731
    before = gen()
    for table in ("src_resources", "src_subscriptions", "src_companies", "psa_companies", "psa_contracts",
                  "psa_services"):
        bt.sql(stack, f"UPDATE {table} SET last_seen = UTC_TIMESTAMP(6) WHERE tenant_id = {t}")
        assert gen() == before, f"{table}: touching last_seen moved the generation"
    c.get("/")
    assert computed_at(stack, t, "dash:resources") == stamp, "an unchanged pull keeps the figures"
    bt.sql(stack, f"UPDATE psa_services SET name = 'Seats renamed' WHERE tenant_id = {t}")
    assert gen() != before, "a renamed PSA service is a change"
    # unlinking (the active key cleared) does change them
    bt.sql(stack, f"UPDATE resource_links SET active_key = NULL, unlinked_at = UTC_TIMESTAMP(6) WHERE tenant_id = {t}")
    assert tiles(c.get("/").text)["linked"]["value"] == "0"


def test_drift_follows_the_verified_ledger_and_the_psa_cache(stack, tenant):
    c, t, src, psa = tenant
    bt.sql(stack, "INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, psa_connection_id,"
                  f" psa_contract_id, psa_service_id) VALUES ({t}, {src}, 'r1', {psa}, 'K1', 'V1')")
    bt.sql(stack, "INSERT INTO psa_contract_services (tenant_id, connection_id, psa_id, contract_psa_id,"
                  f" service_psa_id, units) VALUES ({t}, {psa}, 'cs1', 'K1', 'V1', 4000)")
    assert tiles(c.get("/").text)["drift"]["value"] == "0", "billsync never posted there: nothing to compare"
    link = bt.sql(stack, f"SELECT id FROM resource_links WHERE tenant_id = {t}").strip()
    # a verified post of 5 seats: the PSA's 4 now differ from what billsync left there
    bt.sql(stack, "INSERT INTO adjustments (tenant_id, resource_link_id, origin, src_connection_id, src_resource_id,"
                  " psa_connection_id, psa_contract_id, psa_service_id, desired_units, psa_units_before, unit_change,"
                  " effective_date, state, idempotency_key, posted_at) VALUES"
                  f" ({t}, {link}, 'sync', {src}, 'r1', {psa}, 'K1', 'V1', 5000, 4000, 1000, '2025-01-01',"
                  f" 'verified', 'cache-{t}', UTC_TIMESTAMP(6))")
    assert tiles(c.get("/").text)["drift"]["value"] == "1"
    # a change of the ledger alone computes drift again, not the figures over every resource
    stamp = computed_at(stack, t, "dash:resources")
    bt.sql(stack, f"UPDATE adjustments SET desired_units = 4000 WHERE tenant_id = {t}")
    bt.sql(stack, f"UPDATE adjustments SET state = 'failed' WHERE tenant_id = {t}")
    assert tiles(c.get("/").text)["drift"]["value"] == "0", "no verified post left: nothing to compare"
    assert computed_at(stack, t, "dash:resources") == stamp
    bt.sql(stack, f"UPDATE adjustments SET state = 'verified', desired_units = 5000 WHERE tenant_id = {t}")
    assert tiles(c.get("/").text)["drift"]["value"] == "1"
    assert computed_at(stack, t, "dash:resources") == stamp
    # the PSA cache read again with the posted units: no drift
    bt.sql(stack, f"UPDATE psa_contract_services SET units = 5000 WHERE tenant_id = {t}")
    assert tiles(c.get("/").text)["drift"]["value"] == "0"


def test_report_totals_follow_changes(stack, tenant):
    c, t, src, psa = tenant
    assert report_rows(c, "/reports/subscriptions") == 2
    assert report_rows(c, "/reports/subscriptions?company=Co") == 2
    assert report_rows(c, "/reports/unlinked") == 2
    bt.sql(stack, f"UPDATE src_resources SET gone = 1 WHERE tenant_id = {t} AND source_id = 'r1'")
    assert report_rows(c, "/reports/subscriptions") == 1
    assert report_rows(c, "/reports/subscriptions?company=Co") == 1
    assert report_rows(c, "/reports/unlinked") == 1
    assert ">Co<" in c.get("/reports/subscriptions").text
    bt.sql(stack, f"UPDATE src_companies SET name = 'Renamed' WHERE tenant_id = {t}")
    page = c.get("/reports/subscriptions").text
    assert ">Renamed<" in page and ">Co<" not in page, "the page's rows follow the change too"
    assert report_rows(c, "/reports/subscriptions?company=Co") == 0
    assert report_rows(c, "/reports/subscriptions?company=Renamed") == 1


def test_one_tenants_change_leaves_anothers_cache(stack, tenant):
    c, t, src, psa = tenant
    other = bt.signed_in(stack, "billing")
    hold_scheduler(stack, other.tenant)
    conn(stack, other.tenant, "Other source")
    other.get("/")
    c.get("/")
    stamp = computed_at(stack, other.tenant, "dash:resources")
    assert stamp
    bt.sql(stack, f"UPDATE src_resources SET quantity = quantity + 1000 WHERE tenant_id = {t}")
    other.get("/")
    assert computed_at(stack, other.tenant, "dash:resources") == stamp


def test_the_worker_computes_the_figures_after_a_refresh(stack):
    """The person who opens the dashboard after a refresh does not wait for its figures: the
    worker computed them ("figures" job) when the refresh finished."""
    from test_mapping import setup_tenant
    from test_sync import row
    admin = setup_tenant(stack, [row(3)])
    t = admin.tenant
    bt.quiesce(stack, t)
    stamp = computed_at(stack, t, "dash:resources")
    assert stamp, "the figures were computed without anyone opening the dashboard"
    assert bt.sql(stack, f"SELECT COUNT(*) FROM tenant_cache WHERE tenant_id = {t} AND k LIKE 'dash:drift:%'").strip() == "1"
    assert tiles(admin.get("/").text)["unlinked"]["value"] == "1"
    assert computed_at(stack, t, "dash:resources") == stamp, "the dashboard used them"
