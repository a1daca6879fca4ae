"""The API calls a sync makes (issue 16), counted in the Autotask sandbox's request log: a tenant of
1,200 linked services on one contract. A sync whose drift check is due reads every service's units
in ceil(N/500) paged queries; the next sync, nothing changed, asks the PSA nothing; a changed seat
count costs one bulk read, one write and one verifying read."""
import datetime
import math

import requests

from billsync_test import quiesce, reset_sandbox, sql, upload_csv, wait_for
from test_mapping import GENERIC, setup_tenant
from testclock import today

N = 1200


def bench_rows(quantities, prefix="Bench"):
    first = today().replace(day=1)
    last = (first + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
    return ["bc%02d,Bench Customer %02d,bs%04d,%s Service %04d,%s Service %04d,BS%04d,%d,1.00,2.00,,USD,"
            "recurring,monthly,1,%s,%s,,bl%04d\n" % (i % 40, i % 40, i, prefix, i, prefix, i, i, q, first, last, i)
            for i, q in enumerate(quantities)]


class BigTenant:
    """N Autotask contract services on Contoso's recurring contract, each linked to one resource of a
    billing file whose quantities equal the services' units."""

    def __init__(self, stack, n, prefix="Bench", reset=True):
        self.stack, self.n = stack, n
        if reset:
            reset_sandbox(stack)
            sql(stack, "DELETE FROM psa_budget")   # the sandbox's counts start again: so does the budget
        self.control = f"http://127.0.0.1:{stack.sandbox['control']}"
        state = requests.get(self.control + "/state/autotask", timeout=30).json()
        ent = state["entities"]
        contoso = next(c["id"] for c in ent["Companies"] if c["companyName"] == "Contoso Ltd")
        contract = next(c for c in ent["Contracts"] if c["companyID"] == contoso and c["contractType"] == 7)
        self.contract = str(contract["id"])
        code = ent["Services"][0]["billingCodeID"]
        nid = state["nextId"]
        self.quantities = [1 + i % 20 for i in range(n)]
        services, rows, adjs = [], [], []
        for i, q in enumerate(self.quantities):
            sid, csid, aid = nid + 3 * i, nid + 3 * i + 1, nid + 3 * i + 2
            services.append({"id": sid, "name": "%s Service %04d" % (prefix, i), "sku": "BS%04d" % i,
                             "invoiceDescription": "%s Service %04d" % (prefix, i), "billingCodeID": code,
                             "periodType": 1, "unitPrice": 2.0, "unitCost": 1.0, "isActive": True})
            rows.append({"id": csid, "contractID": contract["id"], "serviceID": sid, "unitPrice": 2.0,
                         "unitCost": 1.0, "invoiceDescription": "%s Service %04d" % (prefix, i)})
            adjs.append({"id": aid, "contractID": contract["id"], "serviceID": sid, "contractServiceID": csid,
                         "effectiveDate": contract["startDate"], "unitChange": q})
        r = requests.post(self.control + "/state/autotask", timeout=600, json={"mode": "merge", "data": {
            "nextId": nid + 3 * n + 1,
            "entities": {"Services": services, "ContractServices": rows, "ContractServiceAdjustments": adjs}}})
        assert r.status_code == 200, r.text
        self.admin = setup_tenant(stack, bench_rows(self.quantities, prefix))
        t = self.t = self.admin.tenant
        sql(stack, "INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, psa_connection_id,"
                   " psa_contract_id, psa_service_id) SELECT r.tenant_id, r.connection_id, r.source_id,"
                   " cs.connection_id, cs.contract_psa_id, cs.service_psa_id FROM src_resources r"
                   " JOIN psa_contract_services cs ON cs.tenant_id = r.tenant_id"
                   f"  AND cs.name = CONCAT('{prefix} Service ', SUBSTRING(r.source_id, 3))"
                   f" WHERE r.tenant_id = {t}")
        assert sql(stack, f"SELECT COUNT(*) FROM resource_links WHERE tenant_id = {t}").strip() == str(n), (
            sql(stack, f"SELECT source_id FROM src_resources WHERE tenant_id = {t} LIMIT 3"),
            sql(stack, f"SELECT name, units FROM psa_contract_services WHERE tenant_id = {t} ORDER BY id DESC LIMIT 3"))

    def calls(self):
        """Autotask API calls since the log was cleared (zone discovery is not one)."""
        log = requests.get(self.control + "/requests", params={"system": "autotask", "limit": 5000},
                           timeout=30).json()["requests"]
        return [(e["method"], e["path"].split("/V1.0/")[1]) for e in log
                if "zoneinformation" not in e["path"].lower()]

    def clear_log(self):
        requests.delete(self.control + "/requests", timeout=10)

    def sync(self):
        self.admin.form("/mapping", "/mapping", {"action": "sync"})
        wait_for(lambda: "links checked" in sql(self.stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {self.t}"),
                 120, "the sync to finish")
        quiesce(self.stack, self.t)
        result = sql(self.stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {self.t}").strip()
        sql(self.stack, f"UPDATE tenant_sync SET result = '' WHERE tenant_id = {self.t}")
        return result

    def drift_due(self):
        """Ages what billsync last read, so the next sync reads every service (its drift check)."""
        sql(self.stack, f"UPDATE psa_contract_services SET read_at = read_at - INTERVAL 2 DAY WHERE tenant_id = {self.t}")

    def open_changes(self):
        return sql(self.stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {self.t}").strip()


def test_calls_of_a_sync_scale_with_pages_not_links(stack):
    B = BigTenant(stack, N)
    # the drift check is due (last read two days ago): every service is read, in pages of 500
    B.drift_due()
    B.clear_log()
    result = B.sync()
    calls = B.calls()
    assert f"{N} links checked ({N} services read from the PSA)" in result, result
    assert set(calls) == {("POST", "ContractServiceUnits/query"), ("POST", "ContractServiceUnits/query/next")}
    assert len(calls) <= math.ceil(N / 500) + 1, calls
    assert B.open_changes() == "0"
    # nothing changed and every service was read just now: the PSA is not asked at all
    B.clear_log()
    result = B.sync()
    assert B.calls() == [] and "(0 services read from the PSA)" in result, result
    # one seat count changes at the distributor: one bulk read of its contract, one write, one check
    quantities = list(B.quantities)
    quantities[7] += 2
    conn = sql(stack, f"SELECT id FROM connections WHERE tenant_id = {B.t} AND system = 'csv'").strip()
    upload_csv(B.admin, conn, "seats.csv", GENERIC + "".join(bench_rows(quantities)))
    B.clear_log()
    result = B.sync()
    assert "(1 services read from the PSA): 1 to post" in result, result
    assert B.calls() == [("POST", "ContractServiceUnits/query"),
                         ("POST", f"Contracts/{B.contract}/ServiceAdjustments"),
                         ("POST", "ContractServiceUnits/query")]
    assert sql(stack, f"SELECT state, unit_change FROM adjustments WHERE tenant_id = {B.t}").split() == \
        ["verified", "2000"]   # +2 units (quantities in thousandths)


def test_a_thousand_tenants_would_sync_spread_over_the_interval(stack):
    """The scheduler gives each tenant its own point of the 15-minute interval: tenants never
    synced (as after an outage) are not all due at once."""
    from billsync_test import new_tenant
    tenants = [new_tenant(stack)[1] for _ in range(30)]
    ids = ",".join(map(str, tenants))
    sql(stack, "INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, psa_connection_id,"
               " psa_contract_id, psa_service_id) VALUES " +
               ", ".join(f"({t}, 0, 'spread', 0, 'k', 's')" for t in tenants))
    try:
        wait_for(lambda: sql(stack, f"SELECT COUNT(*) FROM jobs WHERE kind = 'sync' AND tenant_id IN ({ids})")
                 .strip() == "30", 60, "the scheduler to queue every tenant's sync")
        delays = [int(x) for x in sql(stack, "SELECT TIMESTAMPDIFF(SECOND, created_at, due_at) FROM jobs"
                                             f" WHERE kind = 'sync' AND tenant_id IN ({ids})").split()]
        assert all(0 <= d < 900 for d in delays), delays
        assert max(delays) - min(delays) >= 600, sorted(delays)        # spread, not bunched
        assert len({d // 60 for d in delays}) >= 10, sorted(delays)    # over many minutes of it
    finally:
        sql(stack, f"DELETE FROM jobs WHERE kind = 'sync' AND tenant_id IN ({ids}) AND lease_owner IS NULL")
        sql(stack, f"DELETE FROM resource_links WHERE tenant_id IN ({ids})")
