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


def test_throttle_per_account(stack):
    _, t = new_tenant(stack)
    email = new_user(stack, t)
    c = Client(stack)
    for _ in range(5):
        assert "not right" in c.login(email, "wrong wrong wrong").text
    r = c.login(email)                       # even the right password is refused now
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.text and "15 minutes" in r.text
    other = Client(stack)                    # another IP: the account limit still holds
    assert other.login(email).status_code == 429
    # the window passes (simulated by ageing the failures)
    sql(stack, f"UPDATE login_attempts SET at = at - INTERVAL 16 MINUTE WHERE email = '{email}'")
    assert c.login(email).status_code == 303


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


def test_throttle_per_ip(stack):
    _, t = new_tenant(stack)
    victim = new_user(stack, t)
    c = Client(stack)
    for i in range(20):
        r = c.login(f"guess{i}@example.test", "wrong wrong wrong")
        assert r.status_code == 200
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
