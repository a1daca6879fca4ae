"""Accounts: roles on every protected route, CSRF, security headers, tenant isolation,
last-admin protection, require-2FA."""
import pytest

from billsync_test import Client, csrf_from, new_tenant, new_user, signed_in, sql, totp

# Every page of the table, with the least role allowed (viewer < billing < admin).
ROUTES = {
    "/": "viewer",
    "/profile": "viewer",
    "/users": "admin",
    "/audit": "admin",
    "/audit?format=csv": "admin",
}
RANK = {"viewer": 1, "billing": 2, "admin": 3}


@pytest.fixture(scope="module")
def clients(stack):
    _, t = new_tenant(stack)
    return {role: signed_in(stack, role, tenant=t) for role in RANK}


@pytest.mark.parametrize("path", sorted(ROUTES))
@pytest.mark.parametrize("role", sorted(RANK))
def test_every_protected_route_by_role(clients, path, role):
    r = clients[role].get(path)
    if RANK[role] >= RANK[ROUTES[path]]:
        assert r.status_code == 200, (role, path)
    else:
        assert r.status_code == 403, (role, path)
        assert "Your role does not allow this page" in r.text


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_every_protected_route_needs_sign_in(stack, path):
    r = Client(stack).get(path)
    assert r.status_code == 303 and r.headers["Location"].startswith("/login?next=")


def test_posts_are_checked_by_role_too(clients, stack):
    viewer = clients["viewer"]
    tok = csrf_from(viewer.get("/profile").text)
    r = viewer.post("/users", data={"csrf": tok, "action": "invite", "email": "x@example.test",
                                    "role": "admin"})
    assert r.status_code == 403
    assert sql(stack, "SELECT COUNT(*) FROM users WHERE email = 'x@example.test'").strip() == "0"


def test_csrf_missing_or_wrong_is_refused_and_changes_nothing(stack):
    admin = signed_in(stack)
    for data in ({}, {"csrf": ""}, {"csrf": "A" * 43}):
        r = admin.post("/users", data=dict(data, action="invite", email="csrf@example.test", role="viewer"))
        assert r.status_code == 403
        assert "The form has expired" in r.text
    assert sql(stack, "SELECT COUNT(*) FROM users WHERE email = 'csrf@example.test'").strip() == "0"
    # the token of another session does not work either
    other = signed_in(stack)
    foreign = csrf_from(other.get("/profile").text)
    r = admin.post("/users", data={"csrf": foreign, "action": "invite", "email": "csrf@example.test",
                                   "role": "viewer"})
    assert r.status_code == 403


SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def check_headers(r, authenticated):
    for k, v in SECURITY.items():
        assert r.headers.get(k) == v, (r.url, k)
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    if "script-src" in csp or "default-src 'self'" in csp:
        assert "script-src 'self'" in csp or "default-src 'none'" in csp
    if authenticated:
        assert r.headers["Cache-Control"] == "no-store", r.url


def test_security_headers_on_every_page_type(stack, clients):
    anon = Client(stack)
    admin = clients["admin"]
    for r in (anon.get("/login"), anon.get("/forgot"), anon.get("/nope"), anon.get("/healthz"),
              anon.get("/"), anon.get("/reset?token=bad")):
        check_headers(r, authenticated=False)
    for r in (admin.get("/"), admin.get("/users"), admin.get("/audit"), admin.get("/audit?format=csv"),
              admin.get("/profile"), admin.get("/missing"), admin.get("/audit?page=x")):
        check_headers(r, authenticated=True)
    check_headers(anon.get("/static/css/app.css"), authenticated=False)


def test_no_inline_script_or_style_in_pages(clients):
    for path in ("/", "/users", "/audit", "/profile"):
        html = clients["admin"].get(path).text
        assert "<script>" not in html and " style=" not in html and "<style" not in html


def test_other_tenants_ids_are_404_never_data(stack):
    a = signed_in(stack)
    b = signed_in(stack)
    a_id = int(sql(stack, f"SELECT id FROM users WHERE email = '{a.email}'"))
    tok = csrf_from(b.get("/users").text)
    for action, extra in (("role", {"role": "viewer"}), ("disable", {}), ("enable", {})):
        r = b.post("/users", data=dict(extra, csrf=tok, action=action, user_id=str(a_id)))
        assert r.status_code == 404, action
        assert a.email not in r.text
    row = sql(stack, f"SELECT role, disabled FROM users WHERE id = {a_id}").split()
    assert row == ["admin", "0"]
    assert a.email not in b.get("/users").text
    assert a.email not in b.get("/audit").text


def test_last_admin_cannot_be_demoted_or_disabled(stack):
    admin = signed_in(stack)
    me = int(sql(stack, f"SELECT id FROM users WHERE email = '{admin.email}'"))
    tok = csrf_from(admin.get("/users").text)
    r = admin.post("/users", data={"csrf": tok, "action": "role", "user_id": me, "role": "billing"})
    assert r.status_code == 303
    assert "The last administrator cannot be demoted" in admin.get("/users").text
    r = admin.post("/users", data={"csrf": tok, "action": "disable", "user_id": me})
    assert "The last administrator cannot be disabled" in admin.get("/users").text
    assert sql(stack, f"SELECT role, disabled FROM users WHERE id = {me}").split() == ["admin", "0"]
    # with a second admin, the first may step down
    second = new_user(stack, admin.tenant, "admin")
    r = admin.post("/users", data={"csrf": tok, "action": "role", "user_id": me, "role": "billing"})
    assert sql(stack, f"SELECT role FROM users WHERE id = {me}").strip() == "billing"
    assert admin.get("/users").status_code == 403
    del second


def test_disabling_a_user_ends_their_sessions(stack):
    admin = signed_in(stack)
    viewer = signed_in(stack, "viewer", tenant=admin.tenant)
    vid = int(sql(stack, f"SELECT id FROM users WHERE email = '{viewer.email}'"))
    assert viewer.get("/").status_code == 200
    admin.form("/users", "/users", {"action": "disable", "user_id": vid})
    assert viewer.get("/").status_code == 303
    assert viewer.login(viewer.email).status_code == 200


def test_tenant_requiring_2fa_sends_users_to_enrol(stack):
    admin = signed_in(stack)
    user = new_user(stack, admin.tenant, "billing")
    admin.form("/users", "/users", {"action": "require_2fa", "require_2fa": "1"})
    c = Client(stack)
    r = c.login(user)
    assert r.headers["Location"] == "/profile?enrol=1"
    assert c.get("/").headers["Location"] == "/login/2fa"
    assert c.get("/login/2fa").headers["Location"] == "/profile?enrol=1"
    page = c.get("/profile?enrol=1").text
    assert "Your company requires two-factor sign-in" in page
    c.form("/profile", "/profile", {"action": "totp_start"})
    import re
    secret = re.search(r"Secret: <code>([A-Z2-7]+)</code>", c.get("/profile").text).group(1)
    r = c.form("/profile", "/profile", {"action": "totp_confirm", "code": totp(secret)})
    assert r.status_code == 303
    assert c.get("/").status_code == 200
