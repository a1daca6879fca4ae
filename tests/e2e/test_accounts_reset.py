"""Accounts: forgot password and invitations, with the mail caught by a real SMTP server."""
import re
import statistics
import time

from billsync_test import PASSWORD, Client, csrf_from, mail_body, mails_to, new_tenant, new_user, quiesce, signed_in, sql

NEW_PASSWORD = "a brand new long passphrase"


def forgot(stack, address):
    return Client(stack).form("/forgot", "/forgot", {"email": address})


def link_in(msg, path):
    m = re.search(r"(http://127\.0\.0\.1:\d+" + path + r"\?token=[A-Za-z0-9_-]{43})", mail_body(msg))
    assert m, mail_body(msg)
    return m.group(1).split(":", 2)[2].split("/", 1)[1]


def test_forgot_answers_the_same_for_known_and_unknown_addresses(stack):
    _, t = new_tenant(stack)
    known = new_user(stack, t)
    unknown = "nobody-" + known
    r1, r2 = forgot(stack, known), forgot(stack, unknown)
    assert r1.status_code == r2.status_code == 200
    assert r1.text == r2.text
    assert "If an account exists for that address" in r1.text
    assert len(mails_to(stack, known)) == 1
    quiesce(stack, kinds=["mail"])
    assert mails_to(stack, unknown, wait=0) == []


def test_forgot_takes_about_the_same_time_either_way(stack):
    _, t = new_tenant(stack)
    known = [new_user(stack, t) for _ in range(5)]
    def timed(addr):
        c = Client(stack)
        page = c.get("/forgot").text
        tok = csrf_from(page)
        t0 = time.perf_counter()
        c.post("/forgot", data={"email": addr, "csrf": tok})
        return time.perf_counter() - t0
    k = statistics.median(timed(a) for a in known)
    u = statistics.median(timed("ghost-" + a) for a in known)
    assert abs(k - u) < 0.05, (k, u)


def test_reset_link_sets_the_password_once_and_ends_sessions(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    other_device = Client(stack)
    assert other_device.login(email).status_code == 303
    forgot(stack, email)
    [msg] = mails_to(stack, email)
    assert msg["Subject"] == "Reset your billsync password"
    path = link_in(msg, "/reset")
    c = Client(stack)
    page = c.get("/" + path)
    assert page.status_code == 200 and "Choose a new password" in page.text and email in page.text
    token = path.split("token=")[1]
    # too short a password: refused, nothing changes, the token still works
    r = c.form("/" + path, "/reset", {"token": token, "password": "short", "confirm": "short"})
    assert r.status_code == 200 and "at least 12" in r.text
    r = c.form("/" + path, "/reset", {"token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/login?m=reset"
    assert other_device.get("/").status_code == 303, "every session of the user ended"
    assert Client(stack).login(email, NEW_PASSWORD).status_code == 303
    assert Client(stack).login(email, PASSWORD).status_code == 200
    # the same link again: a clear page, and nothing changes
    again = Client(stack).get("/" + path)
    assert again.status_code == 400 and "This link cannot be used" in again.text
    r = Client(stack).form("/forgot", "/reset", {"token": token, "password": "yet another long one!",
                                                 "confirm": "yet another long one!"})
    assert r.status_code == 400
    assert Client(stack).login(email, NEW_PASSWORD).status_code == 303


def test_expired_tampered_and_garbled_tokens_change_nothing(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    forgot(stack, email)
    path = link_in(mails_to(stack, email)[0], "/reset")
    token = path.split("token=")[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (flipped, token[:20], "<script>alert(1)</script>", "", "%00"):
        r = Client(stack).get("/reset?token=" + bad)
        assert r.status_code in (400,), bad
        assert "<script>alert" not in r.text
    sql(stack, f"UPDATE password_tokens SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND "
               f"WHERE tenant_id = {t}")
    r = Client(stack).get("/" + path)
    assert r.status_code == 400 and "expired" in r.text
    r = Client(stack).form("/forgot", "/reset", {"token": token, "password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert r.status_code == 400
    assert Client(stack).login(email, PASSWORD).status_code == 303, "password unchanged"


def test_invite_sets_a_password_and_the_role(stack):
    admin = signed_in(stack)
    invitee = f"new-{admin.email}"
    r = admin.form("/users", "/users", {"action": "invite", "email": invitee.upper(), "role": "billing"})
    assert r.status_code == 303
    assert f"Invitation sent to {invitee}." in admin.get("/users").text
    [msg] = mails_to(stack, invitee)
    path = link_in(msg, "/invite")
    token = path.split("token=")[1]
    c = Client(stack)
    assert "Welcome to billsync" in c.get("/" + path).text
    r = c.form("/" + path, "/invite", {"token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.headers["Location"] == "/login?m=welcome"
    assert c.login(invitee, NEW_PASSWORD).status_code == 303
    assert c.get("/users").status_code == 403, "billing is not admin"
    assert c.get("/").status_code == 200
    # inviting an address that has an account: a message next to the field, nothing created
    r = admin.form("/users", "/users", {"action": "invite", "email": invitee, "role": "viewer"})
    assert r.status_code == 200 and "already has an account" in r.text


def test_reset_mail_payload_is_not_stored_in_clear(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    forgot(stack, email)
    path = link_in(mails_to(stack, email)[0], "/reset")
    token = path.split("token=")[1]
    rows = sql(stack, f"SELECT COALESCE(payload, '') FROM jobs WHERE kind = 'mail' AND tenant_id = {t}")
    assert token not in rows
    assert sql(stack, f"SELECT COUNT(*) FROM password_tokens WHERE token_hash = '{token}'").strip() == "0"
