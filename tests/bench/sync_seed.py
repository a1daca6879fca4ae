"""sync_seed.py: the MSPs of make bench-sync, in the API sandboxes and in billsync's database.

Each tenant is its own MSP with its own Pax8 partner and its own PSA instance in the sandbox:
the odd-numbered half an Autotask database, the other half a ConnectWise company. Per tenant
(T = its id in billsync, every sandbox id and name derived from it, so SQL can name them):

  Pax8 partner    COMPANIES companies and SUBS monthly subscriptions (subscription j belongs to
                  company j DIV 10), quantity qty(T, j) seats
  Autotask        COMPANIES companies, one Recurring Service contract per company (monthly, from
   database       the 1st of last month to the end of next month, nothing posted), PRODUCTS
                  services; contract service j = (contract j DIV 10, service j MOD 10), its units
                  from one adjustment dated the contract start, equal to the subscription's quantity
  ConnectWise     COMPANIES companies with a contact, one monthly agreement per company (the
   company        even ones prorated: billsync adds an addition for a change; the odd ones not:
                  it changes the quantity of the open one), PRODUCTS catalog items; addition j =
                  (agreement j DIV 10, product j MOD 10), quantity as above
  billsync        the tenant, its policy (sync interval held at a day while the bench drives the
                  syncs; decreases take effect immediately, so that every change of the cycle is
                  posted within it), its PSA and Pax8 connections, their caches as the product's own
                  refresh jobs pull them, and SUBS resource links (company, subscription and
                  resource level, as the mapping page writes them: app/db/links.c)

Connections: the first Autotask and the first ConnectWise tenant get theirs through the
connections page, as a person creates them (the product seals the secrets); every other tenant's
are copies of those rows with its own plain identifiers (user name, company, public key, client
id). All tenants share the secret values, so the sealed text is the same and decrypts with the
stack's key.

Ids: sandbox integers are ID_BASE + T * 1000 + offset (companies +0.., contracts and agreements
+100.., services and catalog items +200.., contract services +300.., adjustments and additions
+400.., billing code and contacts +900..); Pax8 ids are GUID-shaped with T and the row number in
them.
"""
import calendar
import datetime as dt
import json
import time

import requests

import billsync_test as bt

COMPANIES = 10
SUBS = 100                          # subscriptions = resource links per tenant (at most 100)
PRODUCTS = 10                       # services per contract; subscription j is service j MOD 10
ID_BASE = 10_000_000
SECRET = "bench-shared-secret"      # every tenant's secret value (see the docstring)
AT_CODE = "BILLSYNCDEMO"            # the integration code: billsync's own, the same for every MSP
AT_MONTHLY, AT_CATEGORY, AT_RECURRING_CODE = 29682771, 29682802, 4
CW_CLIENT_ID = "billsync-demo-client"

SKUS = [("Microsoft 365 Business Basic", "M365-BB", 7.20, 6.00),
        ("Microsoft 365 Business Standard", "M365-BS", 15.00, 12.50),
        ("Microsoft 365 Business Premium", "M365-BP", 26.40, 22.00),
        ("Exchange Online (Plan 1)", "EXO-P1", 4.80, 4.00),
        ("Microsoft 365 E3", "M365-E3", 43.20, 36.00),
        ("Microsoft 365 E5", "M365-E5", 68.40, 57.00),
        ("Defender for Business", "DEF-BUS", 3.60, 3.00),
        ("Teams Phone Standard", "TEAMS-PH", 9.60, 8.00),
        ("Teams Essentials", "TEAMS-ESS", 4.80, 4.00),
        ("Entra ID P1", "ENTRA-P1", 7.20, 6.00)]
assert len(SKUS) == PRODUCTS and SUBS <= 100 and COMPANIES * PRODUCTS >= SUBS


def qty(t, j):
    """Seats of tenant t's subscription j (3..40: a decrease of 2 stays positive)."""
    return 3 + (t * 7 + j * 13) % 38


def token(t):
    """The per-tenant part of every name and plain credential (fixed width: replaceable in SQL)."""
    return f"m{t:07d}"


def base(t):
    return ID_BASE + t * 1000


def pax8_company_id(t, c):
    return f"{t:08x}-0000-4000-8000-{c:012x}"


def pax8_sub_id(t, j):
    return f"{t:08x}-0001-4000-8000-{j:012x}"


def pax8_product_id(p):
    return f"00000000-0002-4000-8000-{p:012x}"


def contract_id(t, j):
    """The Autotask contract / ConnectWise agreement of subscription j."""
    return base(t) + 100 + j // PRODUCTS


def service_id(t, j):
    """The Autotask service / ConnectWise catalog item of subscription j."""
    return base(t) + 200 + j % PRODUCTS


# SQL of the same ids, for a tenant id column T and a row number column J (billsync stores them
# as text: the Autotask/ConnectWise ids in decimal, the Pax8 GUIDs in lower case)
def sql_sub_id(T, J):
    return f"CONCAT(LPAD(LOWER(HEX({T})), 8, '0'), '-0001-4000-8000-', LPAD(LOWER(HEX({J})), 12, '0'))"


def sql_company_id(T, C):
    return f"CONCAT(LPAD(LOWER(HEX({T})), 8, '0'), '-0000-4000-8000-', LPAD(LOWER(HEX({C})), 12, '0'))"


def sql_contract_id(T, J):
    return f"CAST({ID_BASE} + {T} * 1000 + 100 + ({J}) DIV {PRODUCTS} AS CHAR)"


def sql_service_id(T, J):
    return f"CAST({ID_BASE} + {T} * 1000 + 200 + ({J}) MOD {PRODUCTS} AS CHAR)"


def sql_account_id(T, C):
    return f"CAST({ID_BASE} + {T} * 1000 + ({C}) AS CHAR)"


# --- dates --------------------------------------------------------------------------------
def add_months(day, months):
    m0 = day.month - 1 + months
    y, m = day.year + m0 // 12, m0 % 12 + 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def contract_dates(today):
    """Contracts run from the 1st of last month to the end of next month: three monthly periods,
    so the sandbox's unit rows stay few at 100,000 contract services (their length changes no
    call billsync makes)."""
    first = today.replace(day=1)
    return add_months(first, -1), add_months(first, 2) - dt.timedelta(days=1)


def at_date(d):
    return d.strftime("%Y-%m-%dT00:00:00.000Z")


def cw_date(d):
    return d.strftime("%Y-%m-%dT00:00:00Z")


# --- sandbox data ---------------------------------------------------------------------------
def pax8_data(t, today):
    start, _ = contract_dates(today)
    companies = [{"id": pax8_company_id(t, c), "name": f"Customer {c:02d} of MSP {token(t)}",
                  "address": {"city": "Denver", "country": "US", "stateOrProvince": "CO", "postalCode": "80202"},
                  "status": "Active"} for c in range(COMPANIES)]
    products = [{"id": pax8_product_id(p), "name": SKUS[p][0], "vendorName": "Microsoft", "sku": SKUS[p][1]}
                for p in range(PRODUCTS)]
    subs = []
    for j in range(SUBS):
        name, sku, price, cost = SKUS[j % PRODUCTS]
        subs.append({"id": pax8_sub_id(t, j), "companyId": pax8_company_id(t, j // PRODUCTS),
                     "productId": pax8_product_id(j % PRODUCTS), "productName": name,
                     "vendorSkuId": f"CFQ7TTC0{j % PRODUCTS:04d}:0001", "quantity": qty(t, j),
                     "startDate": start.isoformat() + "T08:30:00Z", "createdDate": start.isoformat(),
                     "billingStart": start.isoformat(), "status": "Active", "price": price, "partnerCost": cost,
                     "currencyCode": "USD", "billingTerm": "Monthly",
                     "commitmentTerm": {"term": "1-Month", "endDate": add_months(start, 1).isoformat()}})
    return {"tables": {"companies": companies, "products": products, "subscriptions": subs}}


def pax8_client(t):
    return {"client_id": f"bench-pax8-{token(t)}", "client_secret": SECRET}


def autotask_user(t):
    return {"userName": f"api@{token(t)}.bench.example", "secret": SECRET}


def autotask_data(t, today):
    start, end = contract_dates(today)
    b = base(t)
    code = b + 900
    ent = {
        "BillingCodes": [{"id": code, "name": "Recurring Services - Cloud", "useType": AT_RECURRING_CODE,
                          "isActive": True, "billingCodeType": 0}],
        "Companies": [{"id": b + c, "companyName": f"Customer {c:02d} of MSP {token(t)}", "companyType": 1,
                       "isActive": True, "phone": "+1 555 0100", "ownerResourceID": 29682885,
                       "companyNumber": f"C{c:05d}"} for c in range(COMPANIES)],
        "Services": [{"id": b + 200 + p, "name": SKUS[p][0], "sku": SKUS[p][1], "invoiceDescription": SKUS[p][0],
                      "billingCodeID": code, "periodType": AT_MONTHLY, "unitPrice": SKUS[p][2],
                      "unitCost": SKUS[p][3], "isActive": True} for p in range(PRODUCTS)],
        "Contracts": [{"id": b + 100 + c, "companyID": b + c, "contractName": f"Managed Cloud Services {c:02d}",
                       "contractNumber": f"CN-{b + 100 + c}", "contractType": 7, "contractCategory": AT_CATEGORY,
                       "contractPeriodType": AT_MONTHLY, "status": 1, "startDate": at_date(start),
                       "endDate": at_date(end)} for c in range(COMPANIES)],
        "ContractServices": [], "ContractServiceAdjustments": []}
    for j in range(SUBS):
        name, _, price, cost = SKUS[j % PRODUCTS]
        ent["ContractServices"].append({"id": b + 300 + j, "contractID": contract_id(t, j),
                                        "serviceID": service_id(t, j), "unitPrice": price, "unitCost": cost,
                                        "invoiceDescription": name})
        ent["ContractServiceAdjustments"].append({"id": b + 400 + j, "contractID": contract_id(t, j),
                                                  "serviceID": service_id(t, j), "contractServiceID": b + 300 + j,
                                                  "effectiveDate": at_date(start), "unitChange": qty(t, j)})
    return {"entities": ent}


def cw_company(t):
    return f"bench{token(t)}"


def cw_member(t):
    return {"publicKey": f"pub{token(t)}", "privateKey": SECRET, "identifier": "billsync-api"}


def connectwise_data(t, today):
    start, end = contract_dates(today)
    b = base(t)
    col = {
        "finance/agreements/types": [{"id": 1, "name": "Managed Services"}],
        "finance/billingCycles": [{"id": 1, "name": "Monthly", "billingOptions": "Monthly"}],
        "procurement/catalog": [{"id": b + 200 + p, "identifier": SKUS[p][1], "description": SKUS[p][0],
                                 "customerDescription": SKUS[p][0], "price": SKUS[p][2], "cost": SKUS[p][3],
                                 "productClass": "NonInventory", "recurringFlag": True,
                                 "recurringRevenue": SKUS[p][2], "recurringCost": SKUS[p][3],
                                 "subcategory": {"id": 1, "name": "Cloud"}, "type": {"id": 1, "name": "Software"}}
                                for p in range(PRODUCTS)],
        "company/companies": [], "company/contacts": [], "finance/agreements": [], "finance/additions": []}
    for c in range(COMPANIES):
        name = f"Customer {c:02d} of MSP {token(t)}"
        col["company/companies"].append({"id": b + c, "identifier": f"Customer{c:02d}", "name": name,
                                         "status": {"id": 1, "name": "Active"}, "types": [{"id": 1, "name": "Client"}],
                                         "addressLine1": "1 Bench Street", "city": "Springfield",
                                         "phoneNumber": "5550100"})
        col["company/contacts"].append({"id": b + 900 + c, "firstName": "Billing", "lastName": "Contact",
                                        "company": {"id": b + c, "identifier": f"Customer{c:02d}", "name": name}})
        col["finance/agreements"].append({"id": b + 100 + c, "name": f"Managed Cloud Services {c:02d}",
                                          "type": {"id": 1}, "company": {"id": b + c}, "contact": {"id": b + 900 + c},
                                          "startDate": cw_date(start), "endDate": cw_date(end),
                                          "billStartDate": cw_date(start), "billingCycle": {"id": 1},
                                          "prorateFlag": c % 2 == 0, "invoiceProratedAdditionsFlag": True,
                                          "nextInvoiceDate": add_months(today.replace(day=1), 1).isoformat()})
    for j in range(SUBS):
        name, sku, price, cost = SKUS[j % PRODUCTS]
        col["finance/additions"].append({"id": b + 400 + j, "agreementId": contract_id(t, j),
                                         "product": {"id": service_id(t, j), "identifier": sku}, "quantity": qty(t, j),
                                         "unitPrice": price, "unitCost": cost, "billCustomer": "Billable",
                                         "effectiveDate": cw_date(start), "cancelledDate": None,
                                         "description": name, "invoiceDescription": name, "taxableFlag": True})
    return {"collections": col}


class Sandbox:
    """The sandbox's control API, with each MSP's own PSA instance and Pax8 partner
    (tests/sandbox/README.md)."""

    def __init__(self, stack):
        self.url = f"http://127.0.0.1:{stack.sandbox['control']}"
        self.ports = stack.sandbox

    def _post(self, path, body, timeout=120):
        r = requests.post(self.url + path, json=body, timeout=timeout)
        if r.status_code != 200:
            raise RuntimeError(f"sandbox {path}: HTTP {r.status_code}: {r.text[:500]}")
        return r.json()

    def get(self, path, timeout=120, **params):
        r = requests.get(self.url + path, params=params, timeout=timeout)
        r.raise_for_status()
        return r.json()

    def configure(self, system, **knobs):
        return self._post(f"/config/{system}", knobs)

    def clear_stats(self):
        requests.delete(self.url + "/stats", timeout=60).raise_for_status()

    def stats(self):
        return self.get("/stats")

    # one MSP's data, in its own instance
    def merge_autotask(self, parts):
        """{tenant: data} of several Autotask databases in one merge (each created on first use,
        its API user in it)."""
        return self._post("/state/autotask", {"mode": "merge", "data": {"databases": {
            token(t): dict(d, apiUsers=[dict(autotask_user(t), database=token(t))]) for t, d in parts.items()}}})

    def merge_connectwise(self, parts):
        """{tenant: data} of several ConnectWise companies in one merge (a company is created by
        its API member naming it)."""
        members = [dict(cw_member(t), company=cw_company(t)) for t in parts]
        return self._post("/state/connectwise", {"mode": "merge", "data": {
            "apiMembers": members,
            "tenants": {cw_company(t): dict(d, companyName=f"MSP {token(t)}") for t, d in parts.items()}}})

    def merge_pax8(self, parts):
        """{tenant: data} of several Pax8 partners in one merge (a partner is created by its
        client entry naming it)."""
        clients = [dict(pax8_client(t), partner=token(t)) for t in parts]
        return self._post("/state/pax8", {"mode": "merge", "data": {
            "clients": clients, "tenants": {token(t): d for t, d in parts.items()}}})

    def autotask_state(self, t):
        return self.get("/state/autotask", database=token(t))

    def connectwise_states(self, ts):
        """{tenant: its company's part of the store}, read one company at a time; a sandbox that
        answers the whole store to ?company= (the other companies under "tenants") is read once."""
        out, whole = {}, None
        for t in ts:
            name = cw_company(t)
            st = whole or self.get("/state/connectwise", company=name)
            if st.get("companyId") != name:
                whole = st
                st = st["tenants"][name]
            out[t] = st
        return out

    def seed(self, tenants, today):
        """Every tenant's Pax8 partner and PSA instance, with its credentials."""
        for i in range(0, len(tenants), 50):
            self.merge_pax8({t: pax8_data(t, today) for t, _ in tenants[i:i + 50]})
        cw = [t for t, psa in tenants if psa == "connectwise"]
        for i in range(0, len(cw), 25):
            self.merge_connectwise({t: connectwise_data(t, today) for t in cw[i:i + 25]})
        at = [t for t, psa in tenants if psa == "autotask"]
        for i in range(0, len(at), 25):
            self.merge_autotask({t: autotask_data(t, today) for t in at[i:i + 25]})


# --- billsync's side ------------------------------------------------------------------------
def connection_forms(stack, t, psa):
    """The form fields of tenant t's PSA connection and its Pax8 connection (the connections
    page's names, app/connectors/systems.c)."""
    p = stack.sandbox
    if psa == "autotask":
        u = autotask_user(t)
        first = {"system": "autotask", "name": "Autotask", "f_username": u["userName"], "f_secret": u["secret"],
                 "f_integration_code": AT_CODE, "f_url": f"http://127.0.0.1:{p['autotask']}/ATServicesRest/"}
    else:
        m = cw_member(t)
        first = {"system": "connectwise", "name": "ConnectWise", "f_site": f"http://127.0.0.1:{p['connectwise']}",
                 "f_company_id": cw_company(t), "f_public_key": m["publicKey"], "f_private_key": m["privateKey"],
                 "f_client_id": CW_CLIENT_ID}
    c = pax8_client(t)
    pax8 = {"system": "pax8", "name": "Pax8", "f_url": f"http://127.0.0.1:{p['pax8']}/v1",
            "f_token_url": f"http://127.0.0.1:{p['pax8']}/v1/token", "f_client_id": c["client_id"],
            "f_client_secret": c["client_secret"]}
    return [first, pax8]


def create_template_connections(stack, t, psa):
    """Tenant t's two connections through the connections page, signed in as its admin."""
    admin = bt.signed_in(stack, "admin", tenant=t)
    for fields in connection_forms(stack, t, psa):
        r = admin.form(f"/settings/connections?new={fields['system']}", "/settings/connections",
                       dict(fields, action="save"))
        if r.status_code != 303:
            raise RuntimeError(f"the connections page refused the {fields['system']} connection: "
                               f"HTTP {r.status_code} {r.text[:300]}")


def copy_connections(stack, template, ids):
    """Copies of the template tenant's connections for tenants ids: each with its own plain
    identifiers (token(template) replaced by its own in the settings), the same sealed secrets."""
    if not ids:
        return
    old = token(template)
    bt.sql(stack, f"""INSERT INTO connections (tenant_id, kind, system, name, settings, secrets, status, created_at,
                          updated_at)
        SELECT t.id, c.kind, c.system, c.name, REPLACE(c.settings, '{old}', CONCAT('m', LPAD(t.id, 7, '0'))),
               c.secrets, c.status, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
        FROM tenants t JOIN connections c ON c.tenant_id = {int(template)}
        WHERE t.id IN ({','.join(str(int(x)) for x in ids)}) ORDER BY t.id, c.id""")


def hold_scheduler(stack, ids):
    """The bench drives the syncs: each tenant marked as synced just now, with a day between its
    periodic syncs and refreshes (app/db/ledger.c sync_enqueue_due, app/db/snapshot.c
    refresh_enqueue_due), and decreases effective at once (app/core/planner: next_period would
    date them the 1st of next month, outside the measured cycle)."""
    lst = ",".join(str(int(x)) for x in ids)
    bt.sql(stack, f"INSERT INTO tenant_policies (tenant_id, sync_interval_minutes, decrease_mode) SELECT id, 1440,"
                  f" 'immediate' FROM tenants WHERE id IN ({lst}) ON DUPLICATE KEY UPDATE"
                  " sync_interval_minutes = 1440, decrease_mode = 'immediate'")
    bt.sql(stack, f"INSERT INTO tenant_sync (tenant_id, started_at, finished_at, result) SELECT id, UTC_TIMESTAMP(6),"
                  f" UTC_TIMESTAMP(6), 'held by bench-sync' FROM tenants WHERE id IN ({lst})"
                  " ON DUPLICATE KEY UPDATE started_at = UTC_TIMESTAMP(6), finished_at = UTC_TIMESTAMP(6),"
                  " result = 'held by bench-sync'")


def refresh_all(stack, ids, timeout):
    """Every connection of the tenants refreshed by the product's refresh jobs, as the mapping
    page's Refresh asks for them (app/db/snapshot.c refresh_enqueue_tenant); waits until each
    has ended and fails unless all are ok."""
    lst = ",".join(str(int(x)) for x in ids)
    # "running" before the jobs exist: a refresh that ends first must not be overwritten
    bt.sql(stack, "UPDATE connections SET refresh_status = 'running', refresh_message = 'queued'"
                  f" WHERE tenant_id IN ({lst}) AND system <> 'csv'")
    bt.sql(stack, "INSERT INTO jobs (tenant_id, kind, payload, unique_key)"
                  " SELECT tenant_id, 'refresh', CONCAT('{\"connection_id\":', id, '}'), CONCAT('refresh:', id)"
                  f" FROM connections WHERE tenant_id IN ({lst}) AND system <> 'csv'"
                  " ON DUPLICATE KEY UPDATE jobs.due_at = IF(jobs.lease_owner IS NULL,"
                  " LEAST(jobs.due_at, UTC_TIMESTAMP(6)), jobs.due_at)")
    left = f"SELECT COUNT(*) FROM connections WHERE tenant_id IN ({lst}) AND refresh_status = 'running'"
    bt.wait_for(lambda: bt.sql(stack, left).strip() == "0", timeout, "the connections' refresh jobs")
    bad = bt.sql(stack, f"SELECT tenant_id, system, refresh_status, refresh_message FROM connections"
                        f" WHERE tenant_id IN ({lst}) AND refresh_status <> 'ok' LIMIT 5").strip()
    if bad:
        raise RuntimeError("a connection's refresh failed:\n" + bad)


def tenant_conns(ids):
    """SQL of the derived table b (tid, src, psa): the tenants' Pax8 and PSA connections."""
    return ("SELECT t.id AS tid, MIN(IF(k.kind = 'source', k.id, NULL)) AS src,"
            " MIN(IF(k.kind = 'psa', k.id, NULL)) AS psa FROM tenants t JOIN connections k ON k.tenant_id = t.id"
            f" WHERE t.id IN ({','.join(str(int(x)) for x in ids)}) GROUP BY t.id")


def link_all(stack, ids):
    """The company, subscription and resource links of every subscription (the rows the mapping
    page's Set Relation writes: app/db/links.c; the reconciliation it would plan is nothing, the
    PSA already has the distributor's quantities). Each refers to rows of the caches: checked."""
    B = f"({tenant_conns(ids)}) b"
    want = len(ids) * SUBS
    sub, contract, service = (f("b.tid", "s.seq") for f in (sql_sub_id, sql_contract_id, sql_service_id))
    found = bt.sql(stack, f"""SELECT COUNT(*) FROM {B} JOIN seq_0_to_{SUBS - 1} s
        JOIN src_resources r ON r.tenant_id = b.tid AND r.connection_id = b.src AND r.source_id = {sub}
        JOIN psa_contract_services cs ON cs.tenant_id = b.tid AND cs.connection_id = b.psa
         AND cs.contract_psa_id = {contract} AND cs.service_psa_id = {service}
         AND cs.gone = 0 AND cs.units = r.quantity""").strip()
    if int(found) != want:
        raise RuntimeError(f"the caches hold {found} of the {want} subscription / contract service pairs"
                           " with equal quantities: the refresh did not read what was seeded")
    bt.sql(stack, f"""INSERT INTO company_links (tenant_id, src_connection_id, src_company_id, psa_connection_id,
               psa_company_id)
        SELECT b.tid, b.src, {sql_company_id('b.tid', 's.seq')}, b.psa, {sql_account_id('b.tid', 's.seq')}
        FROM {B} JOIN seq_0_to_{COMPANIES - 1} s""")
    bt.sql(stack, f"""INSERT INTO subscription_links (tenant_id, src_connection_id, src_subscription_id,
               psa_connection_id, psa_contract_id)
        SELECT b.tid, b.src, {sql_sub_id('b.tid', 's.seq')}, b.psa, {sql_contract_id('b.tid', 's.seq')}
        FROM {B} JOIN seq_0_to_{SUBS - 1} s""")
    bt.sql(stack, f"""INSERT INTO resource_links (tenant_id, src_connection_id, src_resource_id, psa_connection_id,
               psa_contract_id, psa_service_id)
        SELECT b.tid, b.src, {sql_sub_id('b.tid', 's.seq')}, b.psa, {sql_contract_id('b.tid', 's.seq')},
               {sql_service_id('b.tid', 's.seq')}
        FROM {B} JOIN seq_0_to_{SUBS - 1} s""")


def seed(stack, sandbox, n, today, log=print, refresh_timeout=3600):
    """n bench tenants: in the sandboxes, then in billsync. Returns [(tenant id, psa)] and
    [(step, seconds)]."""
    timings = []

    def step(name, fn, *a):
        t0 = time.perf_counter()
        out = fn(*a)
        timings.append((name, time.perf_counter() - t0))
        log(f"  {name:<50} {timings[-1][1]:7.1f} s")
        return out

    def add_tenants():
        bt.sql(stack, f"INSERT INTO tenants (name) SELECT CONCAT('Bench sync MSP ', LPAD(seq, 5, '0'))"
                      f" FROM seq_1_to_{n}")
        return [int(x) for x in bt.sql(stack, "SELECT id FROM tenants WHERE name LIKE 'Bench sync MSP %'"
                                              " ORDER BY id").split()]
    ids = step(f"tenants ({n})", add_tenants)
    tenants = [(t, "autotask" if i % 2 == 0 else "connectwise") for i, t in enumerate(ids)]
    step("tenant_policies, tenant_sync (held)", hold_scheduler, stack, ids)
    step(f"sandboxes ({n} Pax8, {n - n // 2} Autotask, {n // 2} ConnectWise)",
         sandbox.seed, tenants, today)

    def connections():
        for psa in ("autotask", "connectwise"):
            mine = [t for t, p in tenants if p == psa]
            if mine:
                create_template_connections(stack, mine[0], psa)
                copy_connections(stack, mine[0], mine[1:])
        got = int(bt.sql(stack, f"SELECT COUNT(*) FROM connections WHERE tenant_id IN ({','.join(map(str, ids))})"))
        if got != 2 * n:
            raise RuntimeError(f"{got} connections for {n} tenants")
    step(f"connections ({2 * n}: 2 by the page, the rest copied)", connections)
    step(f"refresh jobs ({2 * n} connections, the product's)", refresh_all, stack, ids, refresh_timeout)
    step(f"links ({n * SUBS} resources, by SQL)", link_all, stack, ids)
    bt.sql(stack, "ANALYZE TABLE resource_links, company_links, subscription_links, src_resources,"
                  " psa_contract_services, psa_contracts")
    return tenants, timings


def json_dumps(v):
    return json.dumps(v, separators=(",", ":"))
