"""Foundation, web side: health, error pages, escaping, bad input, request log."""
import json

from billsync_test import get, log_lines, log_size, post, raw_get


def test_healthz_ok(stack):
    r = get(stack, "/healthz")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"status": "ok", "db": "up"}


def test_unknown_path_is_a_404_page(stack):
    r = get(stack, "/no/such/page")
    assert r.status_code == 404
    assert "<h1>Not Found</h1>" in r.text
    assert "There is no page at /no/such/page." in r.text


def test_script_in_a_value_renders_escaped(stack):
    r = get(stack, "/x<script>alert('x')</script>")
    assert r.status_code == 404
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in r.text
    assert "<script>alert" not in r.text


def test_malformed_query_string_is_a_400_page(stack):
    status, body = raw_get(stack, "/healthz?a=%zz")
    assert status == 400
    assert "Malformed query string" in body and "invalid %-escape" in body


def test_query_with_invalid_utf8_is_a_400_page(stack):
    status, body = raw_get(stack, "/?name=%ff%fe")
    assert status == 400
    assert "not valid UTF-8" in body


def test_malformed_form_is_a_400_page(stack):
    r = post(stack, "/healthz", data="a=%G1&b=2",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    assert "Malformed form" in r.text


def test_oversized_body_is_a_413_page(stack):
    r = post(stack, "/healthz", data="a=" + "x" * (1024 * 1024 + 10),
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert "too large" in r.text
    # the pool is still healthy afterwards
    assert get(stack, "/healthz").status_code == 200


def test_unsupported_method_is_405(stack):
    import requests
    r = requests.request("PUT", stack.url + "/healthz", timeout=10)
    assert r.status_code == 405


def test_one_log_line_per_request_without_query_secrets(stack):
    before = log_size(stack, "web")
    get(stack, "/reset?token=SEKRIT-TOKEN-123")
    lines = [l for l in log_lines(stack, "web", before) if " GET /reset " in l]
    assert len(lines) == 1
    assert "SEKRIT" not in "\n".join(log_lines(stack, "web", before))
    # method, path, status, duration
    assert " GET /reset 400 " in lines[0] and "ms " in lines[0]


def test_static_files_served_by_nginx(stack):
    r = get(stack, "/static/css/app.css")
    assert r.status_code == 200 and "sidebar" in r.text
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_signed_out_page_redirects_to_login(stack):
    r = get(stack, "/?a=1")
    assert r.status_code == 303
    assert r.headers["Location"] == "/login?next=%2F%3Fa%3D1"


def test_healthz_body_is_json_even_for_head(stack):
    import requests
    r = requests.head(stack.url + "/healthz", timeout=10)
    assert r.status_code == 200
    assert r.text == ""
    json.loads(get(stack, "/healthz").text)


def test_metrics_for_the_local_host_only(stack):
    from billsync_test import Client, sql
    sql(stack, "INSERT INTO jobs (kind, payload) VALUES ('selftest', '{}')")
    r = get(stack, "/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    assert "billsync_db_up 1" in r.text and "# TYPE billsync_jobs gauge" in r.text
    assert 'billsync_jobs{kind="selftest",state="' in r.text
    assert Client(stack, ip="127.0.0.9").get("/metrics").status_code == 403
