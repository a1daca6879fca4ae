"""Accounts: TOTP two-factor (correct, wrong, replayed code; QR image) and the audit log."""
import csv
import io
import re
import time
import xml.etree.ElementTree as ET

from billsync_test import Client, csrf_from, new_tenant, new_user, signed_in, sql, totp
from testclock import today


def enrol(c):
    c.form("/profile", "/profile", {"action": "totp_start"})
    page = c.get("/profile?enrol=1").text
    secret = re.search(r"Secret: <code>([A-Z2-7]+)</code>", page).group(1)
    uri = re.search(r"Link: <code>([^<]+)</code>", page).group(1)
    return secret, uri


def fresh_step_code(secret, steps_ahead=0):
    """The code of the current 30 s step, or of a later one. The server accepts one step
    either side of its own, so a code stays good across a step boundary and the code of the
    next step is good now: no test waits for the clock."""
    return totp(secret, at=time.time() + 30 * steps_ahead)


def test_totp_enrolment_shows_secret_uri_and_a_qr_image(stack):
    c = signed_in(stack)
    secret, uri = enrol(c)
    assert len(secret) == 32
    assert uri.startswith("otpauth://totp/billsync:") and f"secret={secret}" in uri.replace("&amp;", "&")
    r = c.get("/profile/qr.svg")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(r.text)
    assert root.tag.endswith("svg") and len(list(root.iter())) > 20
    # a wrong code does not turn it on
    r = c.form("/profile", "/profile", {"action": "totp_confirm", "code": "000000"})
    assert "That code is not right" in r.text
    assert sql(stack, f"SELECT totp_enabled FROM users WHERE email = '{c.email}'").strip() == "0"
    r = c.form("/profile", "/profile", {"action": "totp_confirm", "code": fresh_step_code(secret)})
    assert r.status_code == 303
    assert sql(stack, f"SELECT totp_enabled FROM users WHERE email = '{c.email}'").strip() == "1"
    stored = sql(stack, f"SELECT totp_secret FROM users WHERE email = '{c.email}'").strip()
    assert secret not in stored and stored.startswith("v1:")


def test_totp_sign_in_correct_wrong_and_replayed_codes(stack):
    c = signed_in(stack)
    c_email = c.email
    secret, _ = enrol(c)
    enrol_code = fresh_step_code(secret)
    c.form("/profile", "/profile", {"action": "totp_confirm", "code": enrol_code})
    c.logout()

    c = Client(stack)
    r = c.login(c_email)
    assert r.headers["Location"] == "/login/2fa"
    assert c.get("/").headers["Location"] == "/login/2fa", "nothing else before the code"
    assert c.get("/profile").headers["Location"] == "/login/2fa"
    r = c.form("/login/2fa", "/login/2fa", {"code": "123456" if totp(secret) != "123456" else "654321"})
    assert "That code is not right" in r.text
    # the step used for enrolment cannot be used again: the next step's code signs in
    r = c.form("/login/2fa", "/login/2fa", {"code": enrol_code})
    assert "was used already" in r.text
    code = fresh_step_code(secret, steps_ahead=1)
    r = c.form("/login/2fa", "/login/2fa", {"code": code})
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert c.get("/").status_code == 200
    # the same code again, in a new sign-in: refused as a replay
    c2 = Client(stack)
    c2.login(c_email)
    r = c2.form("/login/2fa", "/login/2fa", {"code": code})
    assert "was used already" in r.text
    assert c2.get("/").headers["Location"] == "/login/2fa"


def test_audit_records_who_what_when_ip_with_filters_and_csv(stack):
    admin = signed_in(stack)
    t = admin.tenant
    viewer = new_user(stack, t, "viewer")
    Client(stack).login(viewer, "wrong wrong wrong")
    vc = Client(stack)
    vc.login(viewer)
    vc.logout()
    vid = int(sql(stack, f"SELECT id FROM users WHERE email = '{viewer}'"))
    admin.form("/users", "/users", {"action": "role", "user_id": vid, "role": "billing"})
    admin.form("/users", "/users", {"action": "disable", "user_id": vid})
    admin.form("/users", "/users", {"action": "invite", "email": f"inv-{viewer}", "role": "viewer"})
    Client(stack).form("/forgot", "/forgot", {"email": admin.email})

    page = admin.get("/audit").text
    for action in ("login.success", "login.failure", "logout", "user.role_changed", "user.disabled",
                   "user.invited", "password.reset_requested"):
        assert action in page, action
    assert "billing -&gt; " not in page and "viewer -&gt; billing" in page
    assert vc.ip in page, "the IP of the sign-in is recorded"

    r = admin.get(f"/audit?user={viewer}&action=login.failure")
    rows = re.findall(r"<tr><td>", r.text)
    assert len(rows) == 1 and "wrong password" in r.text

    day = today().isoformat()
    assert "Nothing matches" in admin.get("/audit?from=2001-01-01&to=2001-01-31").text
    assert "login.success" in admin.get(f"/audit?from={day}&to={day}").text
    assert admin.get("/audit?from=yesterday").status_code == 400
    assert admin.get("/audit?action=drop-table").status_code == 400

    r = admin.get(f"/audit?user={viewer}&format=csv")
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    data = list(csv.reader(io.StringIO(r.text)))
    assert data[0] == ["time_utc", "user", "action", "subject", "detail", "ip"]
    assert {row[2] for row in data[1:]} == {"login.failure", "login.success", "logout"}
    assert all(row[1] == viewer for row in data[1:])
    n_db = int(sql(stack, f"SELECT COUNT(*) FROM audit_log WHERE tenant_id = {t} AND actor_email = '{viewer}'"))
    assert len(data) - 1 == n_db


def test_audit_is_paged(stack):
    admin = signed_in(stack)
    values = ",".join(f"({admin.tenant}, 'x@example.test', 'logout', 'n{i}')" for i in range(120))
    sql(stack, f"INSERT INTO audit_log (tenant_id, actor_email, action, subject) VALUES {values}")
    p1 = admin.get("/audit?action=logout")
    assert "Page 1 of 3" in p1.text and "Next</a>" in p1.text
    p3 = admin.get("/audit?action=logout&page=3")
    assert len(re.findall(r"<tr><td>", p3.text)) == 20
    assert admin.get("/audit?page=0").status_code == 400
    assert len(list(csv.reader(io.StringIO(admin.get("/audit?action=logout&format=csv").text)))) == 121
