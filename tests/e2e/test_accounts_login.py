"""Accounts: sign-in, sessions (cookie flags, fixation, expiry), redirects, throttling."""
from billsync_test import PASSWORD, Client, new_tenant, new_user, signed_in, sql


def test_login_good_sets_a_safe_session_cookie_and_opens_the_dashboard(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    c = Client(stack)
    r = c.login(email)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    cookie = [h for h in r.raw.headers.getlist("Set-Cookie") if h.startswith("bs_sid=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie          # base URL is http:// in the test stack
    r = c.get("/")
    assert r.status_code == 200 and email in r.text
    assert 'href="/users"' in r.text       # admin navigation


def test_login_bad_password_and_unknown_address_look_the_same(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    c = Client(stack)
    r1 = c.login(email, "not the password at all")
    r2 = c.login("nobody-" + email, "not the password at all")
    for r in (r1, r2):
        assert r.status_code == 200
        assert "The e-mail address or the password is not right." in r.text
        assert "bs_sid=" not in r.headers.get("Set-Cookie", "")
    assert 'value="' + email + '"' in r1.text          # the address is kept
    assert "not the password" not in r1.text           # the password never is


def test_new_session_id_at_login_no_fixation(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    c = Client(stack)
    planted = "A" * 43
    c.cookies.set("bs_sid", planted, domain="127.0.0.1", path="/")
    c.login(email)
    assert c.cookies.get("bs_sid") != planted
    c2 = signed_in(stack)
    old = c2.cookies.get("bs_sid")
    c2.logout()
    c2.login(c2.email)                      # signing in again gives another id
    assert c2.cookies.get("bs_sid") not in (old, None)
    replay = Client(stack)
    replay.cookies.set("bs_sid", old, domain="127.0.0.1", path="/")
    assert replay.get("/").status_code == 303


def test_return_to_the_page_first_asked_for_local_only(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    c = Client(stack)
    r = c.get("/audit?action=logout")
    assert r.headers["Location"] == "/login?next=%2Faudit%3Faction%3Dlogout"
    r = c.login(email, next_path="/audit?action=logout")
    assert r.headers["Location"] == "/audit?action=logout"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        r = Client(stack).login(email, next_path=evil)
        assert r.headers["Location"] == "/", evil


def test_logout_ends_the_session(stack):
    c = signed_in(stack)
    sid = c.cookies.get("bs_sid")
    r = c.logout()
    assert r.status_code == 303 and r.headers["Location"] == "/login?m=bye"
    again = Client(stack)
    again.cookies.set("bs_sid", sid, domain="127.0.0.1", path="/")
    assert again.get("/").status_code == 303
    assert "You are signed out." in c.get("/login?m=bye").text


def test_idle_and_absolute_expiry(stack):
    c = signed_in(stack)
    assert c.get("/").status_code == 200
    sql(stack, f"UPDATE sessions SET last_seen_at = UTC_TIMESTAMP() - INTERVAL 31 MINUTE "
               f"WHERE tenant_id = {c.tenant}")
    assert c.get("/").status_code == 303, "idle for 31 minutes (limit 30)"
    c = signed_in(stack)
    sql(stack, f"UPDATE sessions SET created_at = UTC_TIMESTAMP() - INTERVAL 13 HOUR "
               f"WHERE tenant_id = {c.tenant}")
    assert c.get("/").status_code == 303, "older than 12 hours although active"
    assert sql(stack, f"SELECT COUNT(*) FROM sessions WHERE tenant_id = {c.tenant}").strip() == "0"


def test_throttle_per_account_from_one_address(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    c = Client(stack)
    for _ in range(5):
        assert "not right" in c.login(email, "wrong wrong wrong").text
    r = c.login(email)                       # even the right password is refused now
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.text and "15 minutes" in r.text
    # the account's owner at another address is not locked out by this one
    assert Client(stack).login(email).status_code == 303
    # the window passes (simulated by ageing the failures)
    sql(stack, f"UPDATE login_attempts SET at = at - INTERVAL 16 MINUTE WHERE email = '{email}'")
    assert c.login(email).status_code == 303


def test_throttle_per_account_from_everywhere(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    for _ in range(4):                       # 4 addresses x 5 guesses: the account's limit (20)
        c = Client(stack)
        for _ in range(5):
            assert c.login(email, "wrong wrong wrong").status_code == 200
    r = Client(stack).login(email)           # a fresh address: refused too
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text


def test_success_resets_the_account_counter(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    c = Client(stack)
    for _ in range(4):
        c.login(email, "wrong wrong wrong")
    assert c.login(email).status_code == 303
    c.logout()
    for _ in range(4):
        c.login(email, "wrong wrong wrong")
    assert c.login(email).status_code == 303, "4 new failures after a success are under the limit"


def test_one_address_guessing_does_not_lock_out_its_office(stack):
    """An office behind one NAT address: one machine guessing other accounts (20 failures)
    leaves everybody else there able to sign in; only far more (100) close the address."""
    _, t = new_tenant(stack)
    victim = new_user(stack, t)
    c = Client(stack)
    for i in range(20):
        r = c.login(f"guess{i}@example.test", "wrong wrong wrong")
        assert r.status_code == 200
    assert Client(stack, ip=c.ip).login(victim).status_code == 303, "a colleague at the same address"
    sql(stack, "INSERT INTO login_attempts (email, ip) SELECT CONCAT('bulk', seq, '@example.test'), "
               f"'{c.ip}' FROM seq_1_to_80")
    r = c.login(victim)
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    assert Client(stack).login(victim).status_code == 303, "other addresses are not blocked"


def test_disabled_user_cannot_sign_in(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t, role="viewer")
    sql(stack, f"UPDATE users SET disabled = 1 WHERE email = '{email}'")
    r = Client(stack).login(email)
    assert r.status_code == 200 and "not right" in r.text


def test_login_form_needs_its_csrf_token(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    c = Client(stack)
    r = c.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 403
    r = c.post("/login", data={"email": email, "password": PASSWORD, "csrf": "x" * 43})
    assert r.status_code == 403
