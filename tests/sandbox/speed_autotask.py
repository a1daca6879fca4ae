#!/usr/bin/python3
"""Speed of the Autotask simulator at bench scale (not a test: pytest does not collect it).

Starts a sandbox of its own (empty seed, a state file in a temporary directory unless
--no-state-file, as the stack runs it), seeds DATABASES Autotask databases of 30 companies,
10 monthly contracts of three years, 10 services and 100 contract services each, with 1-3
service adjustments per contract service (~200 per database), then times calls from one
client over one keep-alive connection, spread over random databases:

  units in [contracts]          POST ContractServiceUnits/query, contractID in [the 10 contracts]
                                (first page: 500 of ~3,700 rows)
  units in [contracts] on a day the same plus startDate lte / endDate gte a day (~100 rows)
  units of a service on a day   contractID eq, serviceID eq, the day (what billsync asks)
  query/next                    the second page of "units in [contracts]"
  contract services eq contract POST ContractServices/query, contractID eq
  POST adjustment               POST Contracts/{id}/ServiceAdjustments
  GET by id                     GET Contracts/{id} or Companies/{id}
  ThresholdInformation          GET ThresholdInformation

(time from sending the request to having read the whole answer; the client's JSON
decoding is not counted) in two patterns: "random" (every call on a random database: mostly cold, the worst case
for the unit-row cache) and "bursts" (one database at a time, each kind once, as a sync
works through a tenant).  Prints the median / p99 / max milliseconds of each kind, the
seeding time, the time of a bulk merge of ~100,000 rows into one database (--bulk), the
sandbox's resident memory, its shutdown time and the state file size.  processing_ms
stays 0.

--legacy seeds everything into the default database with the demo user (for a simulator
without databases, e.g. an older checkout: --sandbox PATH/tests/sandbox/sandbox.py); use a
smaller --databases there.

  /usr/bin/python3 tests/sandbox/speed_autotask.py [--databases 500] [--calls 300] [--bulk]
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MONTHLY = 29682771
START, END, POSTED = "2025-01-01", "2027-12-31", "2025-06-30"
DEMO_USER = ("api@demo-msp.example", "demo-secret")
CODE = "BILLSYNCDEMO"


def start_sandbox(script, workdir, state_file):
    ready = os.path.join(workdir, "ready.json")
    args = ["/usr/bin/python3", script, "--ready-file", ready, "--seed", "empty"]
    if state_file:
        args += ["--state-file", state_file]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("sandbox did not start")
        time.sleep(0.05)
    with open(ready) as fh:
        return proc, json.load(fh)


def stop_sandbox(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


class Client:
    """One keep-alive HTTP connection.  ``last_ms``: the last call's time from sending the
    request to having read the whole answer (decoding the JSON is not counted)."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.last_ms = 0.0

    def call(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        hdrs = dict(headers or {})
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        began = time.perf_counter()
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        payload = resp.read()
        self.last_ms = (time.perf_counter() - began) * 1000
        return resp.status, (json.loads(payload) if payload else None)


def tenant(index, ids, rnd):
    """One database's rows (explicit ids from ``ids``) and what the timing needs."""
    t = {"code": next(ids), "services": [next(ids) for _ in range(10)],
         "companies": [next(ids) for _ in range(30)], "contracts": [next(ids) for _ in range(10)]}
    ent = {
        "BillingCodes": [{"id": t["code"], "name": "Recurring", "useType": 4, "isActive": True}],
        "Services": [{"id": sid, "name": "Service %d" % k, "billingCodeID": t["code"],
                      "periodType": MONTHLY, "unitPrice": 10.0 + k, "unitCost": 7.5 + k}
                     for k, sid in enumerate(t["services"])],
        "Companies": [{"id": cid, "companyName": "Company %d-%d" % (index, k), "companyType": 1,
                       "phone": "1", "ownerResourceID": 1} for k, cid in enumerate(t["companies"])],
        "Contracts": [{"id": cid, "companyID": t["companies"][k], "contractName": "Cloud %d" % k,
                       "contractType": 7, "contractPeriodType": MONTHLY, "status": 1,
                       "startDate": START, "endDate": END} for k, cid in enumerate(t["contracts"])],
        "ContractServices": [], "ContractServiceAdjustments": [],
    }
    t["cs"] = []
    for contract in t["contracts"]:
        for sid in t["services"]:
            cs = next(ids)
            t["cs"].append((contract, sid, cs))
            ent["ContractServices"].append({"id": cs, "contractID": contract, "serviceID": sid})
            days = ["2025-01-01"] + sorted(rnd.sample(
                ["2025-%02d-%02d" % (m, d) for m in range(2, 7) for d in (5, 15, 25)],
                rnd.randrange(0, 3)))
            for n, day in enumerate(days):
                ent["ContractServiceAdjustments"].append({
                    "id": next(ids), "contractID": contract, "serviceID": sid,
                    "contractServiceID": cs, "effectiveDate": day,
                    "unitChange": 10 if n == 0 else rnd.choice([1, 2, -1])})
    posted = {str(c): POSTED for c in t["contracts"]}
    return ent, posted, t


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", type=int, default=500)
    parser.add_argument("--calls", type=int, default=300, help="calls per kind")
    parser.add_argument("--no-state-file", action="store_true")
    parser.add_argument("--legacy", action="store_true",
                        help="everything in the default database (simulators without databases)")
    parser.add_argument("--bulk", action="store_true",
                        help="also time one merge of ~100,000 rows into one database")
    parser.add_argument("--sandbox", default=os.path.join(HERE, "sandbox.py"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rnd = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="speed-autotask-")
    state_file = None if args.no_state_file else os.path.join(workdir, "state.json")
    proc, ready = start_sandbox(args.sandbox, workdir, state_file)
    try:
        run(args, rnd, proc, ready)
    finally:
        began = time.monotonic()
        stop_sandbox(proc)
        print("shutdown (final state write) %.1f s" % (time.monotonic() - began))
    if state_file:
        with open(state_file) as fh:
            saved = json.load(fh)["systems"]["autotask"]
        print("state file %.1f MB, %d databases" % (os.path.getsize(state_file) / 1e6,
                                                   1 + len(saved.get("databases", {}))))
    return 0


def run(args, rnd, proc, ready):
    control, api = Client(ready["control"]), Client(ready["autotask"])
    status, _ = control.call("POST", "/config/autotask", {"hourly_cap": 10 ** 9})
    assert status == 200
    ids = iter(range(1000000, 10 ** 9))
    tenants = []
    started = time.monotonic()
    for i in range(args.databases):
        ent, posted, t = tenant(i, ids, rnd)
        data = {"entities": ent, "postedThrough": posted}
        body = {"mode": "merge", "data": data}
        if args.legacy:
            t["headers"] = {"UserName": DEMO_USER[0], "Secret": DEMO_USER[1],
                            "ApiIntegrationCode": CODE}
        else:
            user, secret = "api@db%03d.example" % i, "secret-%03d" % i
            data["apiUsers"] = [{"userName": user, "secret": secret}]
            body["database"] = "db%03d" % i
            t["headers"] = {"UserName": user, "Secret": secret, "ApiIntegrationCode": CODE}
        status, answer = control.call("POST", "/state/autotask", body)
        assert status == 200, answer
        tenants.append(t)
    seeded = time.monotonic() - started
    adjustments = sum(1 for t in tenants for _ in t["cs"])
    print("seeded %d databases (%d contract services) in %.1f s%s"
          % (len(tenants), adjustments, seeded, " (legacy: one database)" if args.legacy else ""))

    used_days = set()
    later_days = ["%d-%02d-%02d" % (y, m, d) for y in (2026, 2027) for m in range(1, 13)
                  for d in range(1, 29)]

    def units_in(t, day=None):
        f = [{"op": "in", "field": "contractID", "value": t["contracts"]}]
        if day:
            f += [{"op": "lte", "field": "startDate", "value": day},
                  {"op": "gte", "field": "endDate", "value": day}]
        return f

    def k_units_in(t):
        return api.call("POST", "/ATServicesRest/V1.0/ContractServiceUnits/query",
                        {"filter": units_in(t)}, t["headers"])

    def k_units_in_day(t):
        return api.call("POST", "/ATServicesRest/V1.0/ContractServiceUnits/query",
                        {"filter": units_in(t, rnd.choice(later_days))}, t["headers"])

    def k_units_one(t):
        contract, sid, _ = rnd.choice(t["cs"])
        f = [{"op": "eq", "field": "contractID", "value": contract},
             {"op": "eq", "field": "serviceID", "value": sid},
             {"op": "lte", "field": "startDate", "value": "2026-03-10"},
             {"op": "gte", "field": "endDate", "value": "2026-03-10"}]
        return api.call("POST", "/ATServicesRest/V1.0/ContractServiceUnits/query",
                        {"filter": f}, t["headers"])

    next_urls = []

    def k_next(_t):
        url, owner = next_urls.pop()
        path = url.split("127.0.0.1:%d" % ready["autotask"], 1)[1]
        return api.call("POST", path, {"filter": units_in(owner)}, owner["headers"])

    def k_services(t):
        return api.call("POST", "/ATServicesRest/V1.0/ContractServices/query",
                        {"filter": [{"op": "eq", "field": "contractID",
                                     "value": rnd.choice(t["contracts"])}]}, t["headers"])

    def k_adjust(t):
        while True:
            contract, sid, cs = rnd.choice(t["cs"])
            day = rnd.choice(later_days)
            if (cs, day) not in used_days:
                used_days.add((cs, day))
                break
        return api.call("POST", "/ATServicesRest/V1.0/Contracts/%d/ServiceAdjustments" % contract,
                        {"contractID": contract, "serviceID": sid, "effectiveDate": day,
                         "unitChange": 1}, t["headers"])

    def k_get(t):
        if rnd.random() < 0.5:
            return api.call("GET", "/ATServicesRest/V1.0/Contracts/%d" % rnd.choice(t["contracts"]),
                            headers=t["headers"])
        return api.call("GET", "/ATServicesRest/V1.0/Companies/%d" % rnd.choice(t["companies"]),
                        headers=t["headers"])

    def k_threshold(t):
        return api.call("GET", "/ATServicesRest/V1.0/ThresholdInformation", headers=t["headers"])

    kinds = [("units in [contracts]", k_units_in), ("units in [contracts] on a day", k_units_in_day),
             ("units of a service on a day", k_units_one), ("query/next", k_next),
             ("contract services eq contract", k_services), ("POST adjustment", k_adjust),
             ("GET by id", k_get), ("ThresholdInformation", k_threshold)]
    plan = [(k, rnd.choice(tenants)) for k in kinds for _ in range(args.calls)]
    rnd.shuffle(plan)
    measure("random databases", plan, kinds, next_urls, k_units_in, k_next, api)
    plan = []
    for _ in range(args.calls):
        t = rnd.choice(tenants)
        burst = list(kinds)
        rnd.shuffle(burst)
        plan += [(k, t) for k in burst]
    measure("bursts per database", plan, kinds, next_urls, k_units_in, k_next, api)
    if args.bulk:
        bulk(control, ids, rnd, args.legacy)
    print("sandbox RSS %.0f MB" % rss_mb(proc.pid))


def measure(title, plan, kinds, next_urls, k_units_in, k_next, api):
    timings = {name: [] for name, _ in kinds}
    sizes = {name: [] for name, _ in kinds}
    next_urls.clear()
    for (name, fn), t in plan:
        if fn is k_next and not next_urls:
            status, body = k_units_in(t)
            next_urls.append((body["pageDetails"]["nextPageUrl"], t))
        status, body = fn(t)
        timings[name].append(api.last_ms)
        assert status == 200, (name, status, body)
        if body and "items" in body:
            sizes[name].append(len(body["items"]))
        if fn is k_units_in and body["pageDetails"]["nextPageUrl"]:
            next_urls.append((body["pageDetails"]["nextPageUrl"], t))
    print("%s (ms):" % title)
    print("  %-30s %8s %8s %8s %6s %6s" % ("call", "median", "p99", "max", "rows", "n"))
    for name, _ in kinds:
        values = timings[name]
        rows = ("%d" % statistics.median(sizes[name])) if sizes[name] else ""
        print("  %-30s %8.2f %8.2f %8.2f %6s %6d" % (name, statistics.median(values),
                                                    percentile(values, 0.99), max(values),
                                                    rows, len(values)))


def bulk(control, ids, rnd, legacy):
    """One merge of ~100,000 rows (1,000 contracts, 10,000 contract services, ~89,000
    adjustments) into one database."""
    ent = {"BillingCodes": [], "Services": [], "Companies": [], "Contracts": [],
           "ContractServices": [], "ContractServiceAdjustments": []}
    code = next(ids)
    ent["BillingCodes"].append({"id": code, "name": "Recurring", "useType": 4, "isActive": True})
    services = [next(ids) for _ in range(10)]
    for k, sid in enumerate(services):
        ent["Services"].append({"id": sid, "name": "Bulk service %d" % k, "billingCodeID": code,
                                "periodType": MONTHLY, "unitPrice": 10.0, "unitCost": 8.0})
    days = ["2025-%02d-%02d" % (m, d) for m in range(1, 13) for d in (1, 10, 20)]
    for k in range(1000):
        company, contract = next(ids), next(ids)
        ent["Companies"].append({"id": company, "companyName": "Bulk %d" % k, "companyType": 1,
                                 "phone": "1", "ownerResourceID": 1})
        ent["Contracts"].append({"id": contract, "companyID": company, "contractName": "C",
                                 "contractType": 7, "contractPeriodType": MONTHLY, "status": 1,
                                 "startDate": START, "endDate": END})
        for sid in services:
            cs = next(ids)
            ent["ContractServices"].append({"id": cs, "contractID": contract, "serviceID": sid})
            for day in sorted(rnd.sample(days, 9)):
                ent["ContractServiceAdjustments"].append({
                    "id": next(ids), "contractID": contract, "serviceID": sid,
                    "contractServiceID": cs, "effectiveDate": day, "unitChange": 1})
    rows = sum(len(v) for v in ent.values())
    body = {"mode": "merge", "data": {"entities": ent}}
    if not legacy:
        body["database"] = "bulk"
    began = time.monotonic()
    status, answer = control.call("POST", "/state/autotask", body)
    assert status == 200, answer
    print("bulk merge of %d rows into one database: %.1f s" % (rows, time.monotonic() - began))


if __name__ == "__main__":
    sys.exit(main())
