"""Connections page: create, edit without re-entering the secret, secrets encrypted at rest
and never sent back, test connection results (the remote's own error text), delete."""
import re

from billsync_test import Client, csrf_from, signed_in, sql


def autotask_fields(stack, secret="demo-secret", username="api@demo-msp.example"):
    return {
        "action": "save", "system": "autotask", "name": "Our Autotask",
        "f_username": username, "f_secret": secret, "f_integration_code": "BILLSYNCDEMO",
        "f_url": f"http://127.0.0.1:{stack.sandbox['autotask']}/ATServicesRest/",
    }


def create(admin, fields):
    r = admin.form("/settings/connections?new=" + fields["system"], "/settings/connections", fields)
    assert r.status_code == 303, r.text
    return int(sql(admin.stack, f"SELECT MAX(id) FROM connections WHERE tenant_id = {admin.tenant}"))


def test_create_stores_secrets_sealed_and_never_shows_them(stack):
    admin = signed_in(stack)
    cid = create(admin, autotask_fields(stack, secret="S3cr3t-Plaintext-Value"))
    row = sql(stack, f"SELECT settings, secrets FROM connections WHERE id = {cid}")
    assert "S3cr3t-Plaintext-Value" not in row and "BILLSYNCDEMO" not in row
    assert "api@demo-msp.example" in row                     # not a secret
    settings, secrets = row.strip().split("\t")
    assert secrets.startswith("v1:")
    page = admin.get(f"/settings/connections?edit={cid}").text
    assert "S3cr3t-Plaintext-Value" not in page and "BILLSYNCDEMO" not in page
    assert "stored; leave empty to keep it" in page
    assert "Our Autotask" in admin.get("/settings/connections").text


def test_edit_without_reentering_the_secret_keeps_it(stack):
    admin = signed_in(stack)
    cid = create(admin, autotask_fields(stack))
    before = sql(stack, f"SELECT secrets FROM connections WHERE id = {cid}").strip()
    fields = autotask_fields(stack, secret="")
    fields.update(id=str(cid), f_integration_code="", name="Renamed Autotask")
    r = admin.form(f"/settings/connections?edit={cid}", "/settings/connections", fields)
    assert r.status_code == 303
    name, secrets = sql(stack, f"SELECT name, secrets FROM connections WHERE id = {cid}").strip().split("\t")
    assert name == "Renamed Autotask" and secrets == before


def test_required_fields_and_bad_addresses_are_reported_next_to_the_field(stack):
    admin = signed_in(stack)
    fields = autotask_fields(stack, secret="")
    fields["f_url"] = "ftp://example.com"
    r = admin.form("/settings/connections?new=autotask", "/settings/connections", fields)
    assert r.status_code == 200
    assert "Required." in r.text and "An address starting with https://" in r.text
    assert 'value="api@demo-msp.example"' in r.text          # what was typed is kept
    assert sql(stack, f"SELECT COUNT(*) FROM connections WHERE tenant_id = {admin.tenant}").strip() == "0"


def test_plain_http_is_refused_except_for_this_machine(stack):
    """A connection's credentials must not travel in clear: http:// is for local test services."""
    admin = signed_in(stack)
    for url in ("http://webservices2.autotask.net/ATServicesRest/", "http://127.0.0.1.evil.example/"):
        fields = autotask_fields(stack)
        fields["f_url"] = url
        r = admin.form("/settings/connections?new=autotask", "/settings/connections", fields)
        assert r.status_code == 200 and "must not travel unencrypted" in r.text, url
    assert sql(stack, f"SELECT COUNT(*) FROM connections WHERE tenant_id = {admin.tenant}").strip() == "0"
    cid = create(admin, autotask_fields(stack))      # the sandbox on 127.0.0.1: accepted
    # a stored plain-http address to another host is refused at use, before any request
    sql(stack, "UPDATE connections SET settings = JSON_SET(settings, '$.url', "
               f"'http://webservices2.autotask.net/ATServicesRest/') WHERE id = {cid}")
    out = stack.billsync("check-connection", str(cid), check=False)
    assert out.returncode != 0 and "unencrypted" in out.stdout + out.stderr


def test_other_tenants_connections_are_404(stack):
    a = signed_in(stack)
    cid = create(a, autotask_fields(stack))
    b = signed_in(stack)
    assert b.get(f"/settings/connections?edit={cid}").status_code == 404
    tok = csrf_from(b.get("/settings/connections").text)
    for action in ("test", "delete"):
        assert b.post("/settings/connections", data={"csrf": tok, "action": action, "id": cid}).status_code == 404
    fields = autotask_fields(stack)
    fields.update(id=str(cid), csrf=tok, name="hijack")
    assert b.post("/settings/connections", data=fields).status_code == 404
    assert sql(stack, f"SELECT name FROM connections WHERE id = {cid}").strip() == "Our Autotask"


def test_only_admins_manage_connections(stack):
    billing = signed_in(stack, "billing")
    assert billing.get("/settings/connections").status_code == 403


def test_delete(stack):
    admin = signed_in(stack)
    cid = create(admin, autotask_fields(stack))
    admin.form("/settings/connections", "/settings/connections", {"action": "delete", "id": cid})
    assert sql(stack, f"SELECT COUNT(*) FROM connections WHERE id = {cid}").strip() == "0"
    assert "Connection deleted." in admin.get("/settings/connections").text


def test_test_connection_success_and_the_remote_error_text(stack):
    admin = signed_in(stack)
    good = create(admin, autotask_fields(stack))
    admin.form("/settings/connections", "/settings/connections", {"action": "test", "id": good})
    page = admin.get("/settings/connections").text
    assert re.search(r"Connected: .*\d+ accounts", page), page
    bad = create(admin, autotask_fields(stack, secret="wrong-secret"))
    admin.form("/settings/connections", "/settings/connections", {"action": "test", "id": bad})
    status, message = sql(stack, f"SELECT status, status_message FROM connections WHERE id = {bad}").strip().split("\t")
    assert status == "failed" and message.startswith("Failed: ")
    assert "wrong-secret" not in message
    # the CLI does the same
    r = stack.billsync("check-connection", str(good), check=False)
    assert r.returncode == 0 and "Connected:" in r.stdout
    r = stack.billsync("check-connection", str(bad), check=False)
    assert r.returncode == 1 and "Failed:" in r.stdout
