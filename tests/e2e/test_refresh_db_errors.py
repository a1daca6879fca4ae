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
