#!/usr/bin/python3
"""Latency of the ConnectWise and Pax8 simulators at benchmark scale (not a test).

Starts its own sandbox (``--seed empty``, no state file, free ports), seeds

* ConnectWise: 500 MSP companies, each with 30 companies (+ a contact each),
  10 agreements, 20 catalog items and 100 additions (50,000 additions);
* Pax8: 1,000 partners, each with 10 companies, 10 products and 100
  subscriptions (100,000 subscriptions);

times the bulk ``POST /state/...`` merges, then times the hot calls one after
the other on a keep-alive connection (``processing_ms`` 0) and prints the
median / p99 milliseconds per call kind.  Last, it checks that requests are
served concurrently: 16 parallel requests with ``processing_ms`` 50.

``--layout tenants`` (default) gives every MSP its own ConnectWise company and
every partner its own Pax8 partner (``"tenants"`` in the merged data).
``--layout single`` puts the same rows into the one default company / partner
(the only layout simulators without tenants understand).

  /usr/bin/python3 tests/sandbox/speed_cw_pax8.py [--layout tenants|single] [-n 300]
"""

import argparse
import base64
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
CW_MSPS, CW_COMPANIES, CW_AGREEMENTS, CW_ADDITIONS, CW_PRODUCTS = 500, 30, 10, 100, 20
PAX8_PARTNERS, PAX8_COMPANIES, PAX8_SUBS, PAX8_PRODUCTS = 1000, 10, 100, 10
CW_CLIENT_ID = "billsync-demo-client"
API = "/v4_6_release/apis/3.0/"


# ---------------------------------------------------------------------------
# Sandbox process and HTTP
# ---------------------------------------------------------------------------

NODELAY_LAUNCHER = (
    "import sys; sys.path.insert(0, %r); import sandbox; "
    "sandbox.BaseHandler.disable_nagle_algorithm = True; sys.exit(sandbox.main(sys.argv[1:]))")


def start(workdir, nodelay=False):
    """Start sandbox.py; ``nodelay`` sets TCP_NODELAY on its accepted sockets (from outside)."""
    ready = os.path.join(workdir, "ready.json")
    program = (["-c", NODELAY_LAUNCHER % HERE] if nodelay
               else [os.path.join(HERE, "sandbox.py")])
    proc = subprocess.Popen([PYTHON] + program + ["--ready-file", ready, "--seed", "empty"],
                            stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("sandbox did not start")
        time.sleep(0.05)
    with open(ready) as fh:
        return proc, json.load(fh)


def stop(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


class Client:
    """One keep-alive connection to a port."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        hdrs = dict(headers or {})
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        payload = resp.read()
        return resp.status, payload


def control(ports, method, path, body=None):
    status, payload = Client(ports["control"]).request(method, path, body)
    if status != 200:
        raise SystemExit("control %s %s: %d %s" % (method, path, status, payload[:300]))
    return json.loads(payload)


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def cw_tenant_rows(msp, base):
    """One MSP's ConnectWise collections; ``base`` offsets ids (single layout)."""
    prefix = "" if base == 0 else "M%03d-" % msp
    products = [{"id": base + 1 + p, "identifier": "%sP%02d" % (prefix, p),
                 "description": "Product %02d" % p, "customerDescription": "x",
                 "subcategory": {"id": 1}, "type": {"id": 1}, "price": 10.0 + p, "cost": 8.0 + p}
                for p in range(CW_PRODUCTS)]
    companies = [{"id": base + 100 + c, "identifier": "%sC%02d" % (prefix, c),
                  "name": "Customer %02d" % c, "city": "Springfield"} for c in range(CW_COMPANIES)]
    contacts = [{"id": base + 200 + c, "firstName": "Bill", "lastName": "C%02d" % c,
                 "company": {"id": base + 100 + c}} for c in range(CW_COMPANIES)]
    agreements = [{"id": base + 300 + a, "name": "Managed Cloud %02d" % a, "type": {"id": 1},
                   "company": {"id": base + 100 + a}, "contact": {"id": base + 200 + a},
                   "startDate": "2025-01-01T00:00:00Z", "billStartDate": "2025-01-01T00:00:00Z",
                   "billingCycle": {"id": 1}, "prorateFlag": a % 2 == 0}
                  for a in range(CW_AGREEMENTS)]
    additions = [{"id": base + 1000 + n, "agreementId": base + 300 + n % CW_AGREEMENTS,
                  "product": {"id": base + 1 + n % CW_PRODUCTS}, "quantity": 1 + n % 17,
                  "billCustomer": "Billable", "effectiveDate": "2025-02-01T00:00:00Z",
                  "cancelledDate": "2025-05-31T00:00:00Z" if n % 10 == 9 else None}
                 for n in range(CW_ADDITIONS)]
    return {"procurement/catalog": products, "company/companies": companies,
            "company/contacts": contacts, "finance/agreements": agreements,
            "finance/additions": additions}


CW_SHARED = {"finance/agreements/types": [{"id": 1, "name": "Managed Services"}],
             "finance/billingCycles": [{"id": 1, "name": "Monthly", "billingOptions": "Monthly"},
                                       {"id": 4, "name": "One-Time",
                                        "billingOptions": "NotRecurring"}]}


def cw_data(layout):
    if layout == "single":
        cols = {k: list(v) for k, v in CW_SHARED.items()}
        for msp in range(CW_MSPS):
            for path, rows in cw_tenant_rows(msp, (msp + 1) * 10000).items():
                cols.setdefault(path, []).extend(rows)
        return {"collections": cols}
    tenants = {}
    for msp in range(CW_MSPS):
        cols = dict(CW_SHARED, **cw_tenant_rows(msp, 0))
        tenants["msp%03d" % msp] = {
            "companyName": "MSP %03d" % msp,
            "apiMembers": [{"publicKey": "pub%03d" % msp, "privateKey": "priv%03d" % msp,
                            "identifier": "billsync"}],
            "collections": cols}
    return {"tenants": tenants}


def pax8_partner_rows(partner, prefix):
    def gid(kind, n):
        return "%08d-%04d-4000-8000-%012d" % (partner, kind, n)
    companies = [{"id": gid(1, c), "name": "Company %02d" % c,
                  "address": {"city": "Denver", "country": "US"}} for c in range(PAX8_COMPANIES)]
    products = [{"id": gid(2, p), "name": "%sProduct %02d" % (prefix, p), "sku": "SKU-%02d" % p}
                for p in range(PAX8_PRODUCTS)]
    subs = [{"id": gid(3, s), "companyId": gid(1, s % PAX8_COMPANIES),
             "productId": gid(2, s % PAX8_PRODUCTS), "productName": "Product", "quantity": 1 + s,
             "startDate": "2025-01-01T00:00:00Z", "billingStart": "2025-01-01",
             "status": "Cancelled" if s % 20 == 19 else "Active", "price": 12.5,
             "partnerCost": 10.0, "billingTerm": "Monthly"} for s in range(PAX8_SUBS)]
    return {"companies": companies, "products": products, "subscriptions": subs}


def pax8_data(layout):
    if layout == "single":
        tables = {}
        for p in range(PAX8_PARTNERS):
            for name, rows in pax8_partner_rows(p, "P%04d " % p).items():
                tables.setdefault(name, []).extend(rows)
        return {"tables": tables}
    return {"tenants": {"p%04d" % p: {
        "clients": [{"client_id": "client-%04d" % p, "client_secret": "secret-%04d" % p}],
        "tables": pax8_partner_rows(p, "")} for p in range(PAX8_PARTNERS)}}


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

def timed(fn, n):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        status = fn()
        samples.append((time.perf_counter() - t0) * 1000)
        if status >= 300:
            raise SystemExit("unexpected status %d" % status)
    return samples


def report(name, samples):
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print("  %-58s median %7.2f ms   p99 %7.2f ms" % (name, statistics.median(ordered), p99))
    sys.stdout.flush()


def cw_calls(ports, layout, n):
    client = Client(ports["connectwise"])
    rng = random.Random(1)

    def login():
        msp = rng.randrange(CW_MSPS)
        if layout == "single":
            user, secret, base = "demomsp+demopub", "demopriv", (msp + 1) * 10000
        else:
            user, secret, base = "msp%03d+pub%03d" % (msp, msp), "priv%03d" % msp, 0
        auth = base64.b64encode(("%s:%s" % (user, secret)).encode()).decode()
        return {"Authorization": "Basic " + auth, "clientId": CW_CLIENT_ID}, base

    if layout == "single":
        control(ports, "POST", "/state/connectwise", {"mode": "merge", "data": {
            "clientIds": [CW_CLIENT_ID]}})
    conditions = "conditions=cancelledDate%20%3D%20null%20or%20cancelledDate%20%3E%20" \
                 "%5B2025-06-01T00%3A00%3A00Z%5D&pageSize=1000"

    def additions():
        headers, base = login()
        agreement = base + 300 + rng.randrange(CW_AGREEMENTS)
        return client.request("GET", API + "finance/agreements/%d/additions?%s"
                              % (agreement, conditions), headers=headers)[0]

    def post():
        headers, base = login()
        agreement = base + 300 + rng.randrange(CW_AGREEMENTS)
        return client.request(
            "POST", API + "finance/agreements/%d/additions" % agreement, headers=headers,
            body={"product": {"id": base + 1 + rng.randrange(CW_PRODUCTS)}, "quantity": 3,
                  "billCustomer": "Billable", "effectiveDate": "2025-03-01T00:00:00Z"})[0]

    def patch():
        headers, base = login()
        n = rng.randrange(CW_ADDITIONS)
        path = "finance/agreements/%d/additions/%d" % (base + 300 + n % CW_AGREEMENTS,
                                                       base + 1000 + n)
        return client.request("PATCH", API + path, headers=headers,
                              body=[{"op": "replace", "path": "quantity",
                                     "value": rng.randrange(1, 50)}])[0]

    def agreement():
        headers, base = login()
        return client.request("GET", API + "finance/agreements/%d"
                              % (base + 300 + rng.randrange(CW_AGREEMENTS)), headers=headers)[0]

    def cycles():
        headers, _ = login()
        return client.request("GET", API + "finance/billingCycles", headers=headers)[0]

    def companies():
        headers, _ = login()
        return client.request("GET", API + "company/companies?pageSize=1000&conditions="
                              "deletedFlag%3Dfalse", headers=headers)[0]

    def agreements_of_company():
        headers, base = login()
        return client.request("GET", API + "finance/agreements?conditions=company/id%%3D%d"
                              % (base + 100 + rng.randrange(CW_AGREEMENTS)), headers=headers)[0]

    print("ConnectWise (%s layout):" % layout)
    for name, fn in (("GET finance/agreements/{id}/additions (conditions, 1000)", additions),
                     ("POST finance/agreements/{id}/additions", post),
                     ("PATCH finance/agreements/{id}/additions/{id}", patch),
                     ("GET finance/agreements/{id}", agreement),
                     ("GET finance/billingCycles", cycles),
                     ("GET company/companies (conditions, 1000)", companies),
                     ("GET finance/agreements?conditions=company/id=N", agreements_of_company)):
        report(name, timed(fn, n))


def pax8_calls(ports, layout, n):
    client = Client(ports["pax8"])
    rng = random.Random(2)
    tokens = {}

    def creds(p):
        if layout == "single":
            return "pax8-demo-client-id", "pax8-demo-client-secret"
        return "client-%04d" % p, "secret-%04d" % p

    def get_token(p):
        cid, secret = creds(p)
        status, payload = client.request("POST", "/v1/token", body={
            "client_id": cid, "client_secret": secret, "audience": "https://api.pax8.com",
            "grant_type": "client_credentials"})
        if status != 200:
            raise SystemExit("token: %d %s" % (status, payload[:200]))
        return json.loads(payload)["access_token"]

    def pick():
        p = rng.randrange(PAX8_PARTNERS)
        key = 0 if layout == "single" else p
        if key not in tokens:
            tokens[key] = get_token(p)
        return p, {"Authorization": "Bearer " + tokens[key]}

    def gid(partner, kind, num):
        return "%08d-%04d-4000-8000-%012d" % (partner, kind, num)

    def token():
        cid, secret = creds(rng.randrange(PAX8_PARTNERS))
        return client.request("POST", "/v1/token", body={
            "client_id": cid, "client_secret": secret, "audience": "https://api.pax8.com",
            "grant_type": "client_credentials"})[0]

    def companies():
        p, headers = pick()
        page = rng.randrange(PAX8_PARTNERS * PAX8_COMPANIES // 200) if layout == "single" else 0
        return client.request("GET", "/v1/companies?page=%d&size=200" % page, headers=headers)[0]

    def subs_all():
        p, headers = pick()
        page = rng.randrange(PAX8_PARTNERS * PAX8_SUBS // 200) if layout == "single" else 0
        return client.request("GET", "/v1/subscriptions?page=%d&size=200" % page,
                              headers=headers)[0]

    def subs_company():
        p, headers = pick()
        company = gid(p, 1, rng.randrange(PAX8_COMPANIES))
        return client.request("GET", "/v1/subscriptions?companyId=%s&status=Active&page=0"
                              "&size=200" % company, headers=headers)[0]

    def products():
        p, headers = pick()
        return client.request("GET", "/v1/products?page=0&size=200", headers=headers)[0]

    print("Pax8 (%s layout):" % layout)
    for name, fn in (("POST /v1/token", token),
                     ("GET /v1/companies (size 200)", companies),
                     ("GET /v1/subscriptions (size 200)", subs_all),
                     ("GET /v1/subscriptions?companyId&status (size 200)", subs_company),
                     ("GET /v1/products (size 200)", products)):
        report(name, timed(fn, n))


def concurrency(ports, layout, parallel=16, ms=50):
    """Wall time of ``parallel`` simultaneous requests with processing_ms = ms."""
    control(ports, "POST", "/config/connectwise", {"processing_ms": ms})
    control(ports, "POST", "/config/pax8", {"processing_ms": ms})
    user = "demomsp+demopub:demopriv" if layout == "single" else "msp001+pub001:priv001"
    cw_headers = {"Authorization": "Basic " + base64.b64encode(user.encode()).decode(),
                  "clientId": CW_CLIENT_ID}
    cid = "pax8-demo-client-id" if layout == "single" else "client-0001"
    secret = "pax8-demo-client-secret" if layout == "single" else "secret-0001"
    token_body = {"client_id": cid, "client_secret": secret,
                  "audience": "https://api.pax8.com", "grant_type": "client_credentials"}
    for system, method, path, headers, body in (
            ("connectwise", "GET", API + "system/info", cw_headers, None),
            ("pax8", "POST", "/v1/token", {}, token_body)):
        clients = [Client(ports[system]) for _ in range(parallel)]
        for c in clients:                       # open the connections first
            c.conn.connect()
        statuses, barrier = [], threading.Barrier(parallel + 1)

        def one(c):
            barrier.wait()
            statuses.append(c.request(method, path, body, headers)[0])

        threads = [threading.Thread(target=one, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        wall = (time.perf_counter() - t0) * 1000
        print("  %s %s: %d parallel requests with processing_ms %d: %.0f ms wall (%s)"
              % (system, path.rsplit("/", 1)[-1], parallel, ms, wall,
                 sorted(set(statuses))))
    control(ports, "POST", "/config/connectwise", {"processing_ms": 0})
    control(ports, "POST", "/config/pax8", {"processing_ms": 0})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layout", choices=("tenants", "single"), default="tenants")
    parser.add_argument("-n", type=int, default=300, help="requests per call kind")
    parser.add_argument("--nodelay", action="store_true",
                        help="start the sandbox with TCP_NODELAY on its sockets (see README)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        proc, ports = start(workdir, args.nodelay)
        try:
            control(ports, "POST", "/config/connectwise", {"rate_limit_per_minute": 0})
            control(ports, "POST", "/config/pax8", {"rate_limit_per_window": 0})
            for system, build in (("connectwise", cw_data), ("pax8", pax8_data)):
                data = build(args.layout)
                t0 = time.perf_counter()
                control(ports, "POST", "/state/" + system, {"mode": "merge", "data": data})
                print("bulk merge %s (%s layout): %.1f s" % (system, args.layout,
                                                             time.perf_counter() - t0))
            cw_calls(ports, args.layout, args.n)
            pax8_calls(ports, args.layout, args.n)
            print("Concurrency:")
            concurrency(ports, args.layout)
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
