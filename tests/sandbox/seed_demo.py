"""Demo data for the sandbox: one MSP ("Demo MSP") as seen by each PSA.

The same customers, services and seat counts exist in Autotask and in
ConnectWise.  ``DEMO_COMPANIES`` and ``DEMO_SEATS`` are the single source of
truth; the distributor simulators' seed (``seed_sources.py``) imports them, so
that their data matches the PSA data the way real data does:

* exact names ("Contoso Ltd", "Fabrikam Inc", "Northwind Traders", ...),
* near names ("Repair and Wear" in the PSA, "Repair & Wear Inc." at the
  distributor), and
* PSA-only customers (no distributor name), plus seat lines whose PSA units
  differ from the distributor's quantity (``psa_units != distributor_units``).

Dates are relative to today so the demo never expires: recurring contracts
run from 1 January last year to 31 December next year, and billing is
approved and posted (Autotask) / invoiced (ConnectWise) through the end of
last month.
"""

import datetime as dt

from simcore import add_months, today

AUTOTASK_CREDENTIALS = {"user": "api@demo-msp.example", "secret": "demo-secret",
                        "integration_code": "BILLSYNCDEMO"}
CONNECTWISE_CREDENTIALS = {"company": "demomsp", "public_key": "demopub",
                           "private_key": "demopriv", "client_id": "billsync-demo-client"}

# (PSA name, ConnectWise identifier, distributor name or None)
DEMO_COMPANIES = [
    ("Contoso Ltd", "ContosoLtd", "Contoso Ltd"),
    ("Fabrikam Inc", "FabrikamInc", "Fabrikam Inc"),
    ("Northwind Traders", "NorthwindTraders", "Northwind Traders"),
    ("Repair and Wear", "RepairAndWear", "Repair & Wear Inc."),
    ("Adventure Works Cycles", "AdventureWorks", "Adventure Works"),
    ("Tailspin Toys", "TailspinToys", "Tailspin Toys Ltd"),
    ("Wide World Importers", "WideWorldImporters", "Wide World Importers"),
    ("Lucerne Publishing", "LucernePublishing", "Lucerne Publishing"),
    ("Coho Winery", "CohoWinery", "Coho Vineyard & Winery"),
    ("Alpine Ski House", "AlpineSkiHouse", None),
    ("Blue Yonder Airlines", "BlueYonder", None),
    ("Margie's Travel", "MargiesTravel", None),
]

# sku -> (name, monthly unit price, unit cost)
DEMO_SERVICES = {
    "M365-BB": ("Microsoft 365 Business Basic", 7.20, 6.00),
    "M365-BS": ("Microsoft 365 Business Standard", 15.00, 12.50),
    "M365-BP": ("Microsoft 365 Business Premium", 26.40, 22.00),
    "EXO-P1": ("Exchange Online (Plan 1)", 4.80, 4.00),
    "M365-E3": ("Microsoft 365 E3", 43.20, 36.00),
    "BACKUP-GB": ("Backup storage (per GB)", 0.10, 0.05),
}

# (company, sku, units in the PSA today, distributor quantity or None,
#  units change made two months ago (history), or 0)
DEMO_SEATS = [
    ("Contoso Ltd", "M365-BS", 24, 27, 4),
    ("Contoso Ltd", "EXO-P1", 10, 10, 0),
    ("Fabrikam Inc", "M365-BP", 40, 40, 5),
    ("Fabrikam Inc", "M365-BB", 15, 12, 0),
    ("Northwind Traders", "M365-BS", 8, 8, 0),
    ("Northwind Traders", "EXO-P1", 5, 6, 0),
    ("Repair and Wear", "EXO-P1", 6, 6, 0),
    ("Repair and Wear", "M365-BB", 3, 3, -1),
    ("Adventure Works Cycles", "M365-BP", 18, 20, 0),
    ("Tailspin Toys", "M365-BS", 12, 12, 0),
    ("Wide World Importers", "M365-E3", 30, 30, 2),
    ("Wide World Importers", "M365-BB", 10, 9, 0),
    ("Lucerne Publishing", "M365-BS", 7, 7, 0),
    ("Coho Winery", "M365-BP", 9, 11, 0),
    ("Alpine Ski House", "M365-BB", 5, None, 0),
    ("Blue Yonder Airlines", "M365-BS", 20, None, 0),
    ("Margie's Travel", "EXO-P1", 4, None, 0),
]

# Annual (yearly-billed) subscriptions already charged last year.
DEMO_ANNUAL = [("Contoso Ltd", "M365-E3", 12, 396.00, 330.00)]
ANNUAL_COMPANIES = ("Contoso Ltd", "Fabrikam Inc", "Wide World Importers")
BACKUP_COMPANIES = (("Contoso Ltd", 512), ("Lucerne Publishing", 128))


def demo_dates():
    """Key dates of the demo relative to today."""
    now = today()
    this_month = now.replace(day=1)
    return {
        "start": dt.date(now.year - 1, 1, 1),
        "end": dt.date(now.year + 1, 12, 31),
        "history": add_months(now.replace(day=15), -2),
        "this_month": this_month,
        "last_month": add_months(this_month, -1),
        "posted_through": this_month - dt.timedelta(days=1),
        "next_invoice": add_months(this_month, 1),
        "last_year": dt.date(now.year - 1, now.month, 1),
    }


def _at(day):
    return day.strftime("%Y-%m-%dT00:00:00.000Z")


def _cw(day):
    return day.strftime("%Y-%m-%dT00:00:00Z")


class _Ids:
    """A simple id sequence."""

    def __init__(self, first):
        self.value = first

    def __call__(self):
        self.value += 1
        return self.value


# ---------------------------------------------------------------------------
# Autotask
# ---------------------------------------------------------------------------

AT_MONTHLY = 29682771            # Contracts/Services periodType "Monthly"
AT_CLOUD_CATEGORY = 29682802     # Contracts.contractCategory "Cloud Subscriptions"
AT_OPERATIONAL = 2               # ContractCharges.chargeType "Operational"


def autotask_state(base):
    """Fill an empty Autotask state (``base``) with the demo tenant."""
    d, ids = demo_dates(), _Ids(29683000)
    ent = base["entities"]
    codes = _at_billing_codes(ent, ids)
    companies = _at_companies(ent, ids)
    services = _at_services(ent, ids, codes)
    contracts = {}
    for company, sku, units, _dist, change in DEMO_SEATS:
        contract = contracts.get(company)
        if contract is None:
            contract = contracts[company] = _at_contract(
                ent, ids, companies[company], "Managed Cloud Services", 7, d)
            base["postedThrough"][str(contract)] = d["posted_through"].isoformat()
        _at_seats(ent, ids, contract, services[sku], DEMO_SERVICES[sku], units, change, d)
    for company in ANNUAL_COMPANIES:
        contracts[company + "/annual"] = _at_contract(
            ent, ids, companies[company], "Annual Subscriptions", 3, d)
    for company, sku, qty, price, cost in DEMO_ANNUAL:
        ent["ContractCharges"].append({
            "id": ids(), "contractID": contracts[company + "/annual"],
            "name": "%s annual term from %s (%d seats)" % (
                DEMO_SERVICES[sku][0], d["last_year"].isoformat(), qty),
            "chargeType": AT_OPERATIONAL, "datePurchased": _at(d["last_year"]),
            "unitQuantity": qty, "unitPrice": price, "unitCost": cost,
            "billingCodeID": codes["licences"], "isBilled": True})
    _at_contract(ent, ids, companies["Northwind Traders"], "Support (T&M)", 1, d)
    base["nextId"] = ids() + 1
    return base


def _at_billing_codes(ent, ids):
    codes = {"recurring": ids(), "licences": ids(), "usage": ids(), "labour": ids()}
    rows = [("recurring", "Recurring Services - Cloud", 4, None),
            ("licences", "Material - Software Licences", 2, None),
            ("usage", "Material - Backup Usage", 2, 0.10),
            ("labour", "Remote Support", 1, 125.0)]
    for key, name, use, price in rows:
        ent["BillingCodes"].append({"id": codes[key], "name": name, "useType": use,
                                    "isActive": True, "unitPrice": price,
                                    "billingCodeType": 0})
    return codes


def _at_companies(ent, ids):
    rows = [{"id": 0, "companyName": "Demo MSP", "companyType": 1}]
    ids_by_name = {}
    for name, _ident, _dist in DEMO_COMPANIES:
        ids_by_name[name] = ids()
        rows.append({"id": ids_by_name[name], "companyName": name, "companyType": 1})
    rows += [{"id": ids(), "companyName": "Ingram Micro", "companyType": 7},
             {"id": ids(), "companyName": "Trey Research", "companyType": 3},
             {"id": ids(), "companyName": "Litware Inc", "companyType": 1, "isActive": False}]
    for row in rows:
        row.setdefault("isActive", True)
        row.update(phone="+1 555 0100", ownerResourceID=29682885,
                   companyNumber="C%05d" % (row["id"] % 100000))
    ent["Companies"].extend(rows)
    return ids_by_name


def _at_services(ent, ids, codes):
    services = {}
    for sku, (name, price, cost) in DEMO_SERVICES.items():
        services[sku] = ids()
        ent["Services"].append({
            "id": services[sku], "name": name, "sku": sku, "invoiceDescription": name,
            "billingCodeID": codes["recurring"], "periodType": AT_MONTHLY,
            "unitPrice": price, "unitCost": cost, "isActive": True})
    return services


def _at_contract(ent, ids, company_id, name, contract_type, d):
    contract_id = ids()
    ent["Contracts"].append({
        "id": contract_id, "companyID": company_id, "contractName": name,
        "contractNumber": "CN-%d" % contract_id, "contractType": contract_type,
        "contractCategory": AT_CLOUD_CATEGORY,
        "contractPeriodType": AT_MONTHLY if contract_type == 7 else None,
        "status": 1, "startDate": _at(d["start"]), "endDate": _at(d["end"])})
    return contract_id


def _at_seats(ent, ids, contract_id, service_id, service, units, change, d):
    """A contract service whose units come from an opening and a history adjustment."""
    name, price, cost = service
    row_id = ids()
    ent["ContractServices"].append({"id": row_id, "contractID": contract_id,
                                    "serviceID": service_id, "unitPrice": price,
                                    "unitCost": cost, "invoiceDescription": name})
    ent["ContractServiceAdjustments"].append({
        "id": ids(), "contractID": contract_id, "serviceID": service_id,
        "contractServiceID": row_id, "effectiveDate": _at(d["start"]),
        "unitChange": units - change})
    if change:
        ent["ContractServiceAdjustments"].append({
            "id": ids(), "contractID": contract_id, "serviceID": service_id,
            "contractServiceID": row_id, "effectiveDate": _at(d["history"]),
            "unitChange": change})


# ---------------------------------------------------------------------------
# ConnectWise
# ---------------------------------------------------------------------------

CW_TYPES = [(1, "Managed Services"), (2, "Cloud Subscriptions (Annual)"),
            (3, "ManagedBackupService"), (4, "Block Time")]
CW_CYCLES = [(1, "Monthly", "Monthly"), (2, "Quarterly", "Quarterly"),
             (3, "Annual", "Yearly"), (4, "One-Time", "NotRecurring")]
CW_NO_PRORATE = ("Northwind Traders",)
CW_LATE_BILL_START = ("Tailspin Toys",)


def connectwise_state(base):
    """Fill an empty ConnectWise state (``base``) with the demo tenant."""
    d, ids = demo_dates(), _Ids(240)
    col = base["collections"]
    col["finance/agreements/types"] = [{"id": i, "name": n} for i, n in CW_TYPES]
    col["finance/billingCycles"] = [{"id": i, "name": n, "billingOptions": o}
                                    for i, n, o in CW_CYCLES]
    catalog = _cw_catalog(col, ids)
    companies = _cw_companies(col, ids)
    agreements = {}
    for company, sku, units, _dist, change in DEMO_SEATS:
        first = d["this_month"] if company in CW_LATE_BILL_START else d["start"]
        agreement = agreements.get(company)
        if agreement is None:
            agreement = agreements[company] = _cw_agreement(
                col, ids, companies[company], "Managed Cloud Services", 1, 1, d,
                billStartDate=_cw(first), prorateFlag=company not in CW_NO_PRORATE)
        _cw_seats(col, ids, agreement, catalog[sku], sku, units, change, first, d)
    for company in ANNUAL_COMPANIES:
        agreements[company + "/annual"] = _cw_agreement(
            col, ids, companies[company], "Annual Subscriptions", 2, 4, d,
            billStartDate=_cw(d["start"]), prorateFlag=False, oneTimeFlag=True,
            billOneTimeFlag=True)
    for company, sku, qty, price, cost in DEMO_ANNUAL:
        _cw_addition(col, ids, agreements[company + "/annual"], catalog[sku], sku, qty,
                     d["last_year"], add_months(d["last_year"], 1) - dt.timedelta(days=1),
                     unitPrice=price, unitCost=cost,
                     invoiceDescription="%s annual term (%d seats)" % (
                         DEMO_SERVICES[sku][0], qty))
    for company, gigabytes in BACKUP_COMPANIES:
        backup = _cw_agreement(col, ids, companies[company], "ManagedBackupService", 3, 1, d,
                               billStartDate=_cw(d["start"]), prorateFlag=False)
        _cw_addition(col, ids, backup, catalog["BACKUP-GB"], "BACKUP-GB", gigabytes,
                     d["last_month"], d["posted_through"])
    base["nextId"] = ids() + 1
    return base


def _cw_catalog(col, ids):
    catalog = {}
    for sku, (name, price, cost) in DEMO_SERVICES.items():
        catalog[sku] = ids()
        col["procurement/catalog"].append({
            "id": catalog[sku], "identifier": sku, "description": name,
            "customerDescription": name, "price": price, "cost": cost,
            "productClass": "Service" if sku == "BACKUP-GB" else "NonInventory",
            "recurringFlag": sku != "BACKUP-GB", "recurringRevenue": price,
            "recurringCost": cost, "subcategory": {"id": 1, "name": "Cloud"},
            "type": {"id": 1, "name": "Software"}})
    col["procurement/catalog"].append({
        "id": ids(), "identifier": "CLOUD-BUNDLE", "description": "Cloud starter bundle",
        "customerDescription": "Cloud starter bundle", "productClass": "Bundle",
        "price": 50.0, "cost": 40.0, "subcategory": {"id": 1, "name": "Cloud"},
        "type": {"id": 1, "name": "Software"}})
    return catalog


def _cw_companies(col, ids):
    ids_by_name = {}
    rows = [(n, i) for n, i, _ in DEMO_COMPANIES] + [("Trey Research", "TreyResearch")]
    for name, identifier in rows:
        company_id = ids_by_name[name] = ids()
        col["company/companies"].append({
            "id": company_id, "identifier": identifier, "name": name,
            "status": {"id": 1, "name": "Active"},
            "types": [{"id": 1, "name": "Client" if name != "Trey Research" else "Prospect"}],
            "addressLine1": "1 Demo Street", "city": "Springfield", "phoneNumber": "5550100"})
        col["company/contacts"].append({
            "id": ids(), "firstName": "Billing", "lastName": "Contact",
            "company": {"id": company_id, "identifier": identifier, "name": name}})
    return ids_by_name


def _cw_agreement(col, ids, company_id, name, type_id, cycle_id, d, **fields):
    agreement_id = ids()
    contact = next(c for c in col["company/contacts"] if c["company"]["id"] == company_id)
    row = {"id": agreement_id, "name": name, "type": {"id": type_id},
           "company": {"id": company_id}, "contact": {"id": contact["id"]},
           "startDate": _cw(d["start"]), "endDate": _cw(d["end"]),
           "billingCycle": {"id": cycle_id}, "invoiceProratedAdditionsFlag": True,
           "nextInvoiceDate": d["next_invoice"].isoformat()}
    row.update(fields)
    col["finance/agreements"].append(row)
    return agreement_id


def _cw_seats(col, ids, agreement_id, product_id, sku, units, change, first, d):
    """One open addition per seat line; a seat change leaves a cancelled one behind."""
    if change:
        _cw_addition(col, ids, agreement_id, product_id, sku, units - change, first,
                     d["history"] - dt.timedelta(days=1))
        _cw_addition(col, ids, agreement_id, product_id, sku, units, d["history"], None)
    else:
        _cw_addition(col, ids, agreement_id, product_id, sku, units, first, None)


def _cw_addition(col, ids, agreement_id, product_id, sku, quantity, effective, cancelled,
                 **fields):
    name, price, cost = DEMO_SERVICES[sku]
    row = {"id": ids(), "agreementId": agreement_id,
           "product": {"id": product_id, "identifier": sku}, "quantity": quantity,
           "unitPrice": price, "unitCost": cost, "billCustomer": "Billable",
           "effectiveDate": _cw(effective),
           "cancelledDate": _cw(cancelled) if cancelled else None,
           "description": name, "invoiceDescription": name, "taxableFlag": True}
    row.update(fields)
    col["finance/additions"].append(row)
    return row["id"]
