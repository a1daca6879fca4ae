"""make test-volume: a 1,000,000-line Microsoft recon file through the upload page, twice.

1. A clean file: the page answers once the file is checked and stored; a worker imports it
   while the connections page shows its progress; every row arrives; MariaDB answers
   throughout (on the demo/test stack's settings); the web child's and the worker's peak
   memory is reported and stays small.
2. The same file with a bad quantity on line 999,999: refused at once, naming the line;
   nothing in the snapshot changes.

Slow (a few minutes), so not part of make test; tests/e2e/test_csv_import.py keeps the
100,000-line import there.
"""
import os
import re
import subprocess
import threading
import time
import uuid

from billsync_test import children_of, csrf_from, signed_in, sql, wait_for, wait_import
from recon_file import write_big

ROWS = 1_000_000
BAD_LINE = 999_999
MiB = 1024 * 1024


def csv_connection(stack, admin):
    admin.form("/settings/connections?new=csv", "/settings/connections", {
        "action": "save", "system": "csv", "name": "Recon files", "f_format": "mscsp"})
    return int(sql(stack, f"SELECT id FROM connections WHERE tenant_id = {admin.tenant} AND system = 'csv'"))


def upload_file(admin, conn, path, name):
    """POSTs the file as multipart/form-data, streamed from disk (never held in memory)."""
    boundary = "----billsync" + uuid.uuid4().hex
    tok = csrf_from(admin.get("/settings/connections").text)
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in (("csrf", tok), ("id", conn), ("format", "mscsp")))
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
             "Content-Type: text/csv\r\n\r\n")
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = len(head.encode()) + os.path.getsize(path) + len(tail)

    class Body:
        """Iterated in 1 MiB chunks; its length makes requests send Content-Length, not chunks."""

        def __len__(self):
            return size

        def __iter__(self):
            yield head.encode()
            with open(path, "rb") as f:
                while chunk := f.read(MiB):
                    yield chunk
            yield tail
    return admin.post("/settings/connections/upload", data=Body(), timeout=600,
                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


class Watch(threading.Thread):
    """Every half second while an import runs: MariaDB answers (a ping that fails is
    counted), and the peak RSS (VmHWM) of every web and worker child is sampled."""

    def __init__(self, stack):
        super().__init__(daemon=True)
        self.stack, self.stop, self.db_down, self.peak = stack, False, 0, {"web": 0, "worker": 0}

    def run(self):
        while not self.stop:
            r = subprocess.run(["mariadb-admin", "--no-defaults", "-S", self.stack.db_socket, "-uroot",
                                "ping"], capture_output=True)
            self.db_down += r.returncode != 0
            for name in self.peak:
                for pid in children_of(self.stack.pid(name)):
                    try:
                        status = open(f"/proc/{pid}/status").read()
                    except OSError:
                        continue
                    m = re.search(r"VmHWM:\s+(\d+) kB", status)
                    if m:
                        self.peak[name] = max(self.peak[name], int(m.group(1)))
            time.sleep(0.5)


def test_a_million_lines_import_whole_then_a_bad_line_changes_nothing(stack, tmp_path):
    admin = signed_in(stack)
    conn = csv_connection(stack, admin)
    good, bad = tmp_path / "million.csv", tmp_path / "million-bad.csv"
    write_big(good, ROWS)
    write_big(bad, ROWS, bad_line=BAD_LINE)
    mb = os.path.getsize(good) / MiB
    watch = Watch(stack)
    watch.start()
    try:
        t0 = time.monotonic()
        r = upload_file(admin, conn, good, "million.csv")
        answered = time.monotonic() - t0
        assert r.status_code == 303, r.text[:500]
        assert f"million.csv: {ROWS} rows checked. Importing now" in admin.get("/settings/connections").text
        # the page shows the import's progress while the worker runs it
        seen = set()

        def done():
            page = admin.get("/settings/connections").text
            if 'http-equiv="refresh"' in page:
                m = re.search(r"reading rows: (\d+) of (\d+)", page)
                seen.add(m.group(0) if m else "busy")
            status = sql(stack, f"SELECT status FROM csv_imports WHERE connection_id = {conn} "
                                "ORDER BY id DESC LIMIT 1").strip()
            return status in ("imported", "refused", "failed")
        wait_for(done, 1800, "the million-line import")
        took = time.monotonic() - t0
        status, message = wait_import(stack, conn)
        assert (status, message) == ("imported", f"Imported {ROWS} rows from million.csv."), message
        assert any(s.startswith("reading rows:") for s in seen), seen
        assert sql(stack, f"SELECT COUNT(*) FROM src_charges WHERE connection_id = {conn}").strip() == str(ROWS)
        assert sql(stack, f"SELECT COUNT(*) FROM src_resources WHERE connection_id = {conn}").strip() == "5000"
        # the staged rows and the stored bytes are deleted after the commit, in short batches
        wait_for(lambda: sql(stack, "SELECT (SELECT COUNT(*) FROM csv_import_rows) + "
                                    "(SELECT COUNT(*) FROM csv_upload_chunks)").strip() == "0",
                 600, "the staged rows and stored bytes to be cleaned")

        before = sql(stack, f"SELECT COUNT(*), SUM(quantity), MAX(imported_at) FROM src_charges "
                            f"WHERE connection_id = {conn}")
        r = upload_file(admin, conn, bad, "million-bad.csv")
        assert r.status_code == 303
        page = admin.get("/settings/connections").text
        assert f"Nothing was imported: row {BAD_LINE}: the quantity &#39;twelve&#39; is not a number." in page
        assert sql(stack, f"SELECT COUNT(*), SUM(quantity), MAX(imported_at) FROM src_charges "
                          f"WHERE connection_id = {conn}") == before
        assert sql(stack, f"SELECT status FROM csv_imports WHERE connection_id = {conn} ORDER BY id DESC LIMIT 1"
                   ).strip() == "refused"
    finally:
        watch.stop = True
        watch.join()
    print(f"\nvolume: {ROWS} lines, {mb:.0f} MiB: upload answered in {answered:.1f} s, imported in "
          f"{took:.1f} s; peak RSS web child {watch.peak['web'] / 1024:.1f} MiB, worker child "
          f"{watch.peak['worker'] / 1024:.1f} MiB; MariaDB unreachable in {watch.db_down} samples")
    assert watch.db_down == 0, "MariaDB stopped answering during the import"
    assert watch.peak["web"] < 64 * 1024 and watch.peak["worker"] < 64 * 1024, watch.peak
