"""CSV recon import: a real-layout Microsoft file imports exactly; a bad row refuses the
whole file naming the row; a 100,000-line file imports in bounded memory."""
import os
import subprocess

from billsync_test import ROOT, new_tenant, sql, wait_import
from recon_file import MS_HEADER, ms_row, write_big
from testclock import native_env


def csv_connection(stack, tenant):
    sql(stack, "INSERT INTO connections (tenant_id, kind, system, name, settings) VALUES "
               f"({tenant}, 'source', 'csv', 'Recon files', '{{\"format\":\"mscsp\"}}')")
    return int(sql(stack, f"SELECT MAX(id) FROM connections WHERE tenant_id = {tenant}"))


def run_import(stack, conn, path, fmt="mscsp"):
    """Runs the import as a child process; returns (exit code, stdout, max RSS in KiB)."""
    p = subprocess.Popen([os.path.join(ROOT, "bin", "billsync"), "import-csv", "--connection", str(conn),
                          "--format", fmt, str(path)], cwd=ROOT, env=native_env(stack.env()),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = p.stdout.read()
    p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, out.strip(), usage.ru_maxrss


def test_real_layout_file_imports_exactly(stack, tmp_path):
    _, t = new_tenant(stack)
    conn = csv_connection(stack, t)
    rows = [MS_HEADER,
            ms_row(1, "c-1", "Repair & Wear, Inc.", "sub-1", "Exchange Online (Plan 1)", "cycleCharge",
                   8, "3.6000", "28.80", "2026-10-01T00:00:00Z", "2026-10-31T00:00:00Z"),
            ms_row(2, "c-1", "Repair & Wear, Inc.", "sub-1", "Exchange Online (Plan 1)", "addQuantity",
                   2, "3.6000", "3.72", "2026-10-17T00:00:00Z", "2026-10-31T00:00:00Z",
                   order_date="2026-10-17T10:00:00Z"),
            ms_row(3, "c-2", "Contoso Ltd", "sub-2", "Microsoft 365 E3", "new", 3, "32.40", "1166.40",
                   "10/20/2026", "10/19/2027", freq="Annual", order_date="10/20/2026")]
    f = tmp_path / "recon.csv"
    f.write_text("\r\n".join(rows) + "\r\n")
    rc, out, _ = run_import(stack, conn, f)
    assert rc == 0 and out == "Imported 3 rows from recon.csv.", out
    lines = sql(stack, "SELECT company_name, subscription_source_id, charge_type, quantity, unit_cost, "
                       "extended_cost, period_start, period_end, frequency FROM src_charges "
                       f"WHERE connection_id = {conn} ORDER BY period_start, id").strip().splitlines()
    assert [l.split("\t") for l in lines] == [
        ["Repair & Wear, Inc.", "sub-1", "recurring", "8000", "36000", "288000", "2026-10-01", "2026-10-31", "monthly"],
        ["Repair & Wear, Inc.", "sub-1", "proration", "2000", "36000", "37200", "2026-10-17", "2026-10-31", "monthly"],
        ["Contoso Ltd", "sub-2", "one_time", "3000", "324000", "11664000", "2026-10-20", "2027-10-19", "annual"],
    ]
    res = sql(stack, "SELECT source_id, name, quantity, unit_cost, billing_cycle, COALESCE(commitment_end, '') "
                     f"FROM src_resources WHERE connection_id = {conn} ORDER BY source_id").strip().splitlines()
    assert [r.split("\t") for r in res] == [
        ["sub-1", "Exchange Online (Plan 1)", "10000", "36000", "monthly", ""],   # 8 + 2 added
        ["sub-2", "Microsoft 365 E3", "3000", "324000", "annual", "2027-10-19"],
    ]
    assert sql(stack, f"SELECT name FROM src_companies WHERE connection_id = {conn} ORDER BY source_id").split("\n")[0] \
        == "Repair & Wear, Inc."
    # importing the same file again changes nothing (lines are keyed)
    rc, out, _ = run_import(stack, conn, f)
    assert rc == 0
    assert sql(stack, f"SELECT COUNT(*) FROM src_charges WHERE connection_id = {conn}").strip() == "3"


def test_a_bad_row_refuses_the_whole_file_naming_the_row(stack, tmp_path):
    _, t = new_tenant(stack)
    conn = csv_connection(stack, t)
    good = [ms_row(i, "c-1", "Fabrikam Inc", f"sub-{i}", "Teams Essentials", "cycleCharge", 4, "4.00", "16.00",
                   "2026-10-01", "2026-10-31") for i in range(1, 30)]
    bad = ms_row(30, "c-1", "Fabrikam Inc", "sub-30", "Teams Essentials", "cycleCharge", "four", "4.00", "16.00",
                 "2026-10-01", "2026-10-31")
    f = tmp_path / "bad.csv"
    f.write_text("\n".join([MS_HEADER] + good + [bad] + good[:3]) + "\n")
    rc, out, _ = run_import(stack, conn, f)
    assert rc == 1
    assert out == "Nothing was imported: row 31: the quantity 'four' is not a number.", out
    assert sql(stack, f"SELECT COUNT(*) FROM src_charges WHERE connection_id = {conn}").strip() == "0"
    assert sql(stack, f"SELECT status, message FROM csv_imports WHERE connection_id = {conn}").strip() \
        .startswith("refused\tNothing was imported: row 31")


def test_a_100000_line_file_imports_in_bounded_memory(stack, tmp_path):
    _, t = new_tenant(stack)
    conn = csv_connection(stack, t)
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_big(small, 1000)
    write_big(big, 100000)
    assert os.path.getsize(big) > 30_000_000
    rc, out, rss_small = run_import(stack, conn, small)
    assert rc == 0, out
    rc, out, rss_big = run_import(stack, conn, big)
    assert rc == 0 and out == "Imported 100000 rows from big.csv.", out
    # memory does not grow with the file: 100x the rows, (nearly) the same peak
    assert rss_big < rss_small + 8 * 1024, (rss_small, rss_big)
    assert sql(stack, f"SELECT COUNT(*) FROM src_charges WHERE connection_id = {conn}").strip() == "100000"
    assert sql(stack, f"SELECT COUNT(*) FROM src_resources WHERE connection_id = {conn}").strip() == "5000"


def test_upload_through_the_connections_page(stack, tmp_path):
    from billsync_test import csrf_from, signed_in
    admin = signed_in(stack)
    conn = csv_connection(stack, admin.tenant)
    page = admin.get("/settings/connections").text
    assert 'action="/settings/connections/upload"' in page and 'enctype="multipart/form-data"' in page
    tok = csrf_from(page)
    body = "\n".join([MS_HEADER, ms_row(1, "c-9", "Upload <script>Co</script>", "sub-9", "Teams Essentials",
                                        "cycleCharge", 7, "4.00", "28.00", "2026-10-01", "2026-10-31")]) + "\n"
    r = admin.post("/settings/connections/upload", data={"csrf": tok, "id": str(conn), "format": "mscsp"},
                   files={"file": ("october.csv", body, "text/csv")})
    assert r.status_code == 303
    assert "october.csv: 1 rows checked. Importing now" in admin.get("/settings/connections").text
    assert wait_import(stack, conn) == ["imported", "Imported 1 rows from october.csv."]
    page = admin.get("/settings/connections").text
    assert "Imported 1 rows from october.csv." in page
    assert sql(stack, f"SELECT quantity FROM src_resources WHERE connection_id = {conn}").strip() == "7000"
    # a refused file: the reason names the row, nothing more is imported
    bad = body.replace("cycleCharge,6.00,7", "cycleCharge,6.00,seven")
    r = admin.post("/settings/connections/upload", data={"csrf": tok, "id": str(conn), "format": "mscsp"},
                   files={"file": ("bad.csv", bad.replace(",7,", ",seven,"), "text/csv")})
    assert "Nothing was imported: row 2: the quantity &#39;seven&#39; is not a number." in admin.get("/settings/connections").text
    # no CSRF token: 403, nothing imported
    r = admin.post("/settings/connections/upload", data={"id": str(conn)},
                   files={"file": ("x.csv", body.replace("sub-9", "sub-10"), "text/csv")})
    assert r.status_code == 403
    assert sql(stack, f"SELECT COUNT(*) FROM src_charges WHERE connection_id = {conn}").strip() == "1"
    # garbage instead of multipart data
    r = admin.post("/settings/connections/upload", data=b"--nope\r\n",
                   headers={"Content-Type": "multipart/form-data; boundary=zzz"})
    assert r.status_code == 400


def test_oversized_part_headers_are_refused_and_no_child_dies(stack):
    """The upload that overflowed the multipart reader's header buffer (more than 8 KiB of part
    headers, the blank line after them, all in the first read): a 400, every web child alive."""
    from billsync_test import children_of, csrf_from, log_lines, log_size, signed_in
    admin = signed_in(stack)
    conn = csv_connection(stack, admin.tenant)
    tok = csrf_from(admin.get("/settings/connections").text)
    kids = set(children_of(stack.pid("web")))
    mark = log_size(stack, "web")
    for pad in (8200, 9000, 60000):
        body = ("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nX-Pad: "
                + "a" * pad + "\r\n\r\nx\r\n--XyZ--\r\n")
        r = admin.post(f"/settings/connections/upload?id={conn}&csrf={tok}", data=body.encode(),
                       headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
        assert r.status_code == 400 and "bytes of headers" in r.text, (pad, r.status_code)
    assert admin.get("/settings/connections").status_code == 200
    assert set(children_of(stack.pid("web"))) == kids, "no web child was replaced"
    log = "\n".join(log_lines(stack, "web", mark))
    assert "died by signal" not in log and "exited with status" not in log, log[-2000:]
    assert sql(stack, f"SELECT COUNT(*) FROM csv_imports WHERE connection_id = {conn}").strip() == "0"
