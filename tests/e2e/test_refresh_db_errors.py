"""A refresh whose rows the database does not all take ends failed, never "ok" with part of them.

Found by make test-scale (issue 17): on a Galera cluster a row's upsert can fail (a
certification conflict run again until db.c gives up). The connectors stop listing when a
callback returns non-zero, so the refresh used to end "ok" with the rows read so far and mark
every later one gone. Here a trigger refuses one contract service of the tenant, as the
database would."""
from billsync_test import sql, wait_for
from test_mapping import setup_tenant
from test_sync import row


def refresh(stack, admin):
    sql(stack, f"UPDATE connections SET refresh_status = 'running' WHERE tenant_id = {admin.tenant} AND system = 'autotask'")
    r = admin.form("/mapping", "/mapping", {"action": "refresh"})
    assert r.status_code == 303
    wait_for(lambda: sql(stack, f"SELECT refresh_status FROM connections WHERE tenant_id = {admin.tenant}"
                                " AND system = 'autotask'").strip() in ("ok", "failed"), 60, "the PSA refresh")
    return sql(stack, f"SELECT refresh_status, refresh_message FROM connections WHERE tenant_id = {admin.tenant}"
                      " AND system = 'autotask'").strip().split("\t")


def test_a_row_the_database_refuses_fails_the_refresh_and_marks_nothing_gone(stack):
    admin = setup_tenant(stack, [row(3)])
    t = admin.tenant
    ids = sql(stack, f"SELECT psa_id FROM psa_contract_services WHERE tenant_id = {t} AND gone = 0 ORDER BY psa_id").split()
    assert len(ids) >= 2, "the demo Autotask has contract services"
    refused = ids[len(ids) // 2]
    stack._mysql(f"""DELIMITER //
        CREATE TRIGGER test_refuse_{t} BEFORE INSERT ON psa_contract_services FOR EACH ROW
        IF NEW.tenant_id = {t} AND NEW.psa_id = '{refused}' THEN
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test';
        END IF//
        DELIMITER ;""", "billsync")
    try:
        status, message = refresh(stack, admin)
    finally:
        stack._mysql(f"DROP TRIGGER test_refuse_{t}", "billsync")
    assert status == "failed", message
    assert "database error while storing what was read" in message and "refused by the test" in message
    gone = sql(stack, f"SELECT COUNT(*) FROM psa_contract_services WHERE tenant_id = {t} AND gone = 1").strip()
    assert gone == "0", "a partial read marks nothing gone"
    # the database takes it again: the next refresh is ok
    status, message = refresh(stack, admin)
    assert status == "ok", message


def test_a_sync_whose_pull_the_database_refused_fails_and_runs_again(stack):
    """The sync does not compare a pull it could not store (it used to go on with the old
    snapshot and end done, the change unseen until the next interval): it fails, and its job
    runs again; then the change posts once."""
    import requests
    from test_sync import Pax8Linked, tomorrow, worker_on
    P = Pax8Linked(stack)
    t = P.t
    state = requests.get(P.ctl + "/state/pax8", timeout=10).json()
    sub = [s for s in state["tables"]["subscriptions"] if s["id"] == P.sub_id][0]
    sub["quantity"] = 10
    requests.post(P.ctl + "/state/pax8", json={"mode": "merge", "data": {"tables": {"subscriptions": [sub]}}},
                  timeout=10).raise_for_status()
    stack._mysql(f"""DELIMITER //
        CREATE TRIGGER test_refuse_src_{t} BEFORE INSERT ON src_resources FOR EACH ROW
        IF NEW.tenant_id = {t} THEN
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test';
        END IF//
        DELIMITER ;""", "billsync")
    try:
        with worker_on(stack, tomorrow()):
            sql(stack, f"UPDATE tenant_sync SET result = '' WHERE tenant_id = {t}")
            P.admin.form("/mapping", "/mapping", {"action": "sync"})
            wait_for(lambda: "could not be stored" in sql(stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {t}"),
                     60, "the sync to fail")
            job = sql(stack, f"SELECT state, attempts, last_error FROM jobs WHERE tenant_id = {t} AND kind = 'sync'"
                             " ORDER BY id DESC LIMIT 1").strip().split("\t")
            assert job[0] == "pending" and "refused by the test" in job[2], job
            assert sql(stack, f"SELECT COUNT(*) FROM adjustments WHERE tenant_id = {t} AND desired_units = 10000").strip() == "0"
            stack._mysql(f"DROP TRIGGER test_refuse_src_{t}", "billsync")
            sql(stack, f"UPDATE jobs SET due_at = UTC_TIMESTAMP(6) WHERE tenant_id = {t} AND kind = 'sync'"
                       " AND state = 'pending' AND lease_owner IS NULL")
            wait_for(lambda: "links checked" in sql(stack, f"SELECT result FROM tenant_sync WHERE tenant_id = {t}"),
                     60, "the sync to run again")
            eff = sql(stack, f"SELECT DATE_FORMAT(effective_date, '%Y-%m-%d') FROM adjustments WHERE tenant_id = {t}"
                             " ORDER BY id DESC LIMIT 1").strip()
            wait_for(lambda: P.units(eff) == 10, 60, "+3 to reach the PSA")
    finally:
        stack._mysql(f"DROP TRIGGER IF EXISTS test_refuse_src_{t}", "billsync")
    rows = sql(stack, f"SELECT unit_change, state FROM adjustments WHERE tenant_id = {t} AND unit_change <> 0").split("\n")
    assert [r for r in rows if r] == ["3000\tverified"]
