"""Accounts: forgot password and invitations, with the mail caught by a real SMTP server."""
import os
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


def test_forgot_is_throttled_per_address_and_per_client_alike_for_known_and_unknown(stack):
    _, t = new_tenant(stack)
    known = new_user(stack, t)
    unknown = "nobody-" + known
    answers = {}
    for addr in (known, unknown):            # 3 an hour per address, from any clients
        got = [forgot(stack, addr) for _ in range(4)]
        assert [r.status_code for r in got] == [200, 200, 200, 429]
        answers[addr] = re.sub(r'name="csrf" value="[^"]+"', "", got[3].text.replace(addr, "ADDR"))
        assert "Too many reset requests" in got[3].text
    assert answers[known] == answers[unknown], "the refusal tells nothing either"
    assert len(mails_to(stack, known)) == 1, "one mail: the resend gap and the throttle"
    c = Client(stack)                        # 20 an hour from one client, whatever the address
    codes = [c.form("/forgot", "/forgot", {"email": f"flood{i}-{known}"}).status_code for i in range(21)]
    assert codes == [200] * 20 + [429]
    assert Client(stack).form("/forgot", "/forgot", {"email": f"other-{known}"}).status_code == 200


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
    # inviting an address that has an account here: a message next to the field, nothing created
    r = admin.form("/users", "/users", {"action": "invite", "email": invitee, "role": "viewer"})
    assert r.status_code == 200 and "already has an account here" in r.text


def test_an_invite_does_not_tell_who_has_an_account_elsewhere(stack):
    """Another company's admin inviting an address that signs in elsewhere gets the answer of
    any invitation; the address's owner gets a notice; nothing changes."""
    _, t = new_tenant(stack)
    elsewhere = new_user(stack, t, role="viewer")
    nobody = "nobody-" + elsewhere
    admin = signed_in(stack)
    answers = []
    for addr in (elsewhere, nobody):
        r = admin.form("/users", "/users", {"action": "invite", "email": addr, "role": "billing"})
        answers.append((r.status_code, r.headers.get("Location"),
                        admin.get("/users").text.count(f"Invitation sent to {addr}.")))
    assert answers[0] == answers[1] == (303, "/users", 1)
    msgs = mails_to(stack, elsewhere, count=2)     # "nobody-..." contains the address too
    [notice] = [m for m in msgs if m["X-Envelope-To"].strip() == elsewhere]
    assert notice["Subject"] == "An invitation to billsync you cannot accept"
    assert "/invite?token=" not in mail_body(notice)
    [invite] = [m for m in msgs if m is not notice]
    assert "/invite?token=" in mail_body(invite)
    assert sql(stack, f"SELECT tenant_id, role FROM users WHERE email = '{elsewhere}'").split() == [str(t), "viewer"]
    audit = sql(stack, f"SELECT COUNT(*) FROM audit_log WHERE tenant_id = {admin.tenant} AND action = 'user.invited'")
    assert audit.strip() == "2"


def test_reset_mail_payload_is_not_stored_in_clear(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    forgot(stack, email)
    path = link_in(mails_to(stack, email)[0], "/reset")
    token = path.split("token=")[1]
    rows = sql(stack, f"SELECT COALESCE(payload, '') FROM jobs WHERE kind = 'mail' AND tenant_id = {t}")
    assert token not in rows
    assert sql(stack, f"SELECT COUNT(*) FROM password_tokens WHERE token_hash = '{token}'").strip() == "0"


def test_reset_and_invite_tokens_are_in_no_log_line(stack):
    """The one-time tokens travel in the links' query strings: nginx logs no query string (nor
    the referer's), the web log only paths, the worker never the mail's body."""
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    forgot(stack, email)
    reset_path = link_in(mails_to(stack, email)[0], "/reset")
    admin = signed_in(stack)
    invitee = f"invitee-{admin.email}"
    admin.form("/users", "/users", {"action": "invite", "email": invitee, "role": "viewer"})
    invite_path = link_in(mails_to(stack, invitee)[0], "/invite")
    tokens = [p.split("token=")[1] for p in (reset_path, invite_path)]
    c = Client(stack)
    for path in (reset_path, invite_path):
        assert c.get("/" + path).status_code == 200
        # what a browser does next: the stylesheet, with the page (and its token) as referer
        c.get("/static/css/app.css", headers={"Referer": f"{stack.url}/{path}"})
    c.form("/" + reset_path, "/reset", {"token": tokens[0], "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    quiesce(stack, kinds=["mail"])
    logs = os.listdir(stack.path("log"))
    assert "nginx-access.log" in logs and "web.log" in logs
    access = open(stack.path("log", "nginx-access.log"), errors="replace").read()
    assert "GET /reset " in access and "GET /invite " in access, "the requests are logged, without query"
    for name in logs:
        text = open(stack.path("log", name), errors="replace").read()
        for tok in tokens:
            assert tok not in text, f"a token in {name}"


def two_reset_links(stack, email):
    """Two live reset links for one account (the first aged past the one-a-minute gap)."""
    forgot(stack, email)
    sql(stack, f"UPDATE password_tokens SET created_at = created_at - INTERVAL 2 MINUTE WHERE user_id = "
               f"(SELECT id FROM users WHERE email = '{email}')")
    forgot(stack, email)
    msgs = mails_to(stack, email, count=2)
    assert len(msgs) == 2
    return [link_in(m, "/reset") for m in msgs]


def test_a_password_change_ends_every_older_link_and_other_session(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    # a reset: the older, unused link dies with the newer one's use
    older, newer = two_reset_links(stack, email)
    c = Client(stack)
    r = c.form("/" + newer, "/reset", {"token": newer.split("token=")[1], "password": NEW_PASSWORD,
                                       "confirm": NEW_PASSWORD})
    assert r.status_code == 303
    assert Client(stack).get("/" + older).status_code == 400
    r = Client(stack).form("/forgot", "/reset", {"token": older.split("token=")[1],
                                                 "password": "an attacker's new password", "confirm":
                                                 "an attacker's new password"})
    assert r.status_code == 400
    assert Client(stack).login(email, NEW_PASSWORD).status_code == 303
    # a change on the profile: an outstanding link dies, another session ends, this one goes on
    sql(stack, f"UPDATE password_tokens SET created_at = created_at - INTERVAL 2 MINUTE WHERE user_id = "
               f"(SELECT id FROM users WHERE email = '{email}')")
    forgot(stack, email)
    pending = link_in(mails_to(stack, email, count=3)[-1], "/reset")
    me, laptop = Client(stack), Client(stack)
    assert me.login(email, NEW_PASSWORD).status_code == 303 and laptop.login(email, NEW_PASSWORD).status_code == 303
    r = me.form("/profile", "/profile", {"action": "password", "current": NEW_PASSWORD,
                                         "password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 303
    assert me.get("/").status_code == 200 and laptop.get("/").status_code == 303
    assert Client(stack).get("/" + pending).status_code == 400
    # an operator's `billsync user passwd`: every session and link ends
    sql(stack, f"UPDATE password_tokens SET created_at = created_at - INTERVAL 2 MINUTE WHERE user_id = "
               f"(SELECT id FROM users WHERE email = '{email}')")
    forgot(stack, email)
    pending = link_in(mails_to(stack, email, count=4)[-1], "/reset")
    stack.billsync("user", "passwd", "--email", email, input=NEW_PASSWORD + "\n")
    assert me.get("/").status_code == 303
    assert Client(stack).get("/" + pending).status_code == 400


def test_the_profiles_current_password_check_is_throttled(stack):
    c = signed_in(stack)
    for _ in range(5):
        r = c.form("/profile", "/profile", {"action": "password", "current": "not my password at all",
                                            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert "not your current password" in r.text
    r = c.form("/profile", "/profile", {"action": "password", "current": PASSWORD,
                                        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert "Too many wrong passwords" in r.text, "even the right one is refused now"
    assert sql(stack, f"SELECT COUNT(*) FROM login_attempts WHERE email = '{c.email}'").strip() == "5"
    assert Client(stack).login(c.email, NEW_PASSWORD).status_code == 200, "nothing changed"
    assert sql(stack, f"SELECT COUNT(*) FROM audit_log WHERE action = 'password.change_failed' AND tenant_id = "
                      f"{c.tenant}").strip() == "5"
