"""Autotask REST v1.0 data model: entities, fields, picklists, contract billing.

Field lists follow doc/psa-apis.md section A7 (REST model names, camelCase).  The
picklists are part of the tenant's data store (``picklists`` in the state) so
tests can change them; the defaults below deliberately use tenant-looking ids
for the picklists the reference calls tenant-specific (see README.md).

The contract-billing functions are pure: they turn a recurring-service
contract, one of its contract services and that service's adjustments into
``ContractServiceUnits`` rows (one per billing period, split at every
adjustment effective date inside the period).
"""

import datetime as dt

from simcore import add_months, parse_date

INT_TYPES = ("integer", "long", "short")
NUM_TYPES = ("decimal", "double")

RECURRING_SERVICE = 7          # Contracts.contractType (documented value)
NO_CHARGE_CONTRACT_TYPES = (4, 6, 8)   # Block Hours, Retainer, Per Ticket
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "semi-annual": 6, "yearly": 12}
MAX_PERIODS = 600


class Field:
    """One entity field as described by entityInformation/fields."""

    def __init__(self, name, ftype="string", required=False, readonly=False,
                 createonly=False, picklist=False, ref=None, date_only=False,
                 default=None, length=0):
        self.name = name
        self.type = ftype
        self.required = required
        self.readonly = readonly
        self.createonly = createonly
        self.picklist = picklist
        self.ref = ref
        self.date_only = date_only
        self.default = default
        self.length = length


class Entity:
    """One REST entity: its fields and which routes accept writes."""

    def __init__(self, name, singular, fields, parent_sub=None, root_write=False,
                 child_verbs=(), queryable=True, udf=True):
        self.name = name
        self.singular = singular
        self.fields = {f.name: f for f in [Field("id", "long", readonly=True)] + fields}
        self.by_lower = {n.lower(): f for n, f in self.fields.items()}
        self.parent_sub = parent_sub      # child URL segment under Contracts/{id}/
        self.root_write = root_write      # POST/PATCH/PUT on /V1.0/{name}
        self.child_verbs = set(child_verbs)
        self.queryable = queryable
        self.udf = udf

    def field(self, name):
        """Field by case-insensitive name, or None."""
        return self.by_lower.get(str(name).lower())


def _F(*args, **kw):
    return Field(*args, **kw)


ENTITIES = {e.name: e for e in [
    Entity("Companies", "Company", [
        _F("companyName", required=True, length=100),
        _F("companyNumber", length=50),
        _F("companyType", "integer", required=True, picklist=True),
        _F("isActive", "boolean", default=True),
        _F("phone", required=True, length=25),
        _F("ownerResourceID", "integer", required=True),
        _F("parentCompanyID", "integer", ref="Companies"),
        _F("address1", length=128), _F("city", length=30), _F("postalCode", length=10),
        _F("countryID", "integer"), _F("taxID", length=50), _F("webAddress", length=255),
        _F("createDate", "datetime", readonly=True),
        _F("lastActivityDate", "datetime", readonly=True),
        _F("lastTrackedModifiedDateTime", "datetime", readonly=True),
    ], root_write=True),
    Entity("Contracts", "Contract", [
        _F("companyID", "integer", required=True, ref="Companies"),
        _F("contractName", required=True, length=100),
        _F("contractNumber", length=50),
        _F("contractType", "integer", required=True, picklist=True, createonly=True),
        _F("contractCategory", "integer", picklist=True),
        _F("contractPeriodType", "integer", picklist=True, createonly=True),
        _F("status", "integer", required=True, picklist=True),
        _F("startDate", "datetime", required=True, date_only=True),
        _F("endDate", "datetime", required=True, date_only=True),
        _F("description", length=2000),
        _F("billToCompanyID", "integer", ref="Companies"),
        _F("contactID", "integer"),
        _F("isDefaultContract", "boolean", default=False),
        _F("estimatedCost", "decimal"), _F("estimatedHours", "decimal"),
        _F("estimatedRevenue", "decimal"), _F("setupFee", "decimal"),
        _F("purchaseOrderNumber", length=50),
        _F("serviceLevelAgreementID", "integer"),
        _F("timeReportingRequiresStartAndStopTimes", "integer", default=1),
        _F("lastModifiedDateTime", "datetime", readonly=True),
    ], root_write=True),
    Entity("Services", "Service", [
        _F("name", required=True, length=150),
        _F("description", length=400), _F("invoiceDescription", length=1000),
        _F("billingCodeID", "integer", required=True, ref="BillingCodes"),
        _F("periodType", "integer", required=True, picklist=True),
        _F("unitPrice", "decimal", required=True),
        _F("unitCost", "decimal"), _F("markupRate", "decimal"),
        _F("isActive", "boolean", default=True),
        _F("serviceLevelAgreementID", "integer"),
        _F("vendorCompanyID", "integer", ref="Companies"),
        _F("sku", length=50), _F("catalogNumberPartNumber", length=50),
        _F("manufacturerServiceProvider", length=100),
        _F("manufacturerServiceProviderProductNumber", length=50),
        _F("createDate", "datetime", readonly=True),
        _F("creatorResourceID", "integer", readonly=True),
        _F("lastModifiedDate", "datetime", readonly=True),
        _F("updateResourceID", "integer", readonly=True),
    ], root_write=True),
    Entity("ContractServices", "ContractService", [
        _F("contractID", "integer", required=True, ref="Contracts", createonly=True),
        _F("serviceID", "integer", required=True, ref="Services", createonly=True),
        _F("unitPrice", "decimal"),
        _F("unitCost", "decimal", createonly=True),
        _F("internalCurrencyUnitPrice", "decimal", readonly=True),
        _F("internalCurrencyAdjustedPrice", "decimal", readonly=True),
        _F("invoiceDescription", length=1000),
        _F("internalDescription", length=1000, createonly=True),
        _F("quoteItemID", "integer", createonly=True),
    ], parent_sub="services", child_verbs=("GET", "POST", "PATCH", "PUT")),
    Entity("ContractServiceAdjustments", "ContractServiceAdjustment", [
        _F("contractID", "integer", required=True, ref="Contracts"),
        _F("serviceID", "integer", ref="Services"),
        _F("contractServiceID", "integer", ref="ContractServices"),
        _F("effectiveDate", "datetime", required=True, date_only=True),
        _F("unitChange", "integer", default=0),
        _F("adjustedUnitPrice", "decimal"), _F("adjustedUnitCost", "decimal"),
        _F("allowRepeatService", "boolean", default=False),
        _F("quoteItemID", "integer"),
    ], parent_sub="serviceadjustments", child_verbs=("POST",), queryable=False, udf=False),
    Entity("ContractServiceUnits", "ContractServiceUnit", [
        _F("contractID", "integer", readonly=True, ref="Contracts"),
        _F("contractServiceID", "integer", readonly=True, ref="ContractServices"),
        _F("serviceID", "integer", readonly=True, ref="Services"),
        _F("startDate", "datetime", readonly=True, date_only=True),
        _F("endDate", "datetime", readonly=True, date_only=True),
        _F("units", "integer", readonly=True),
        _F("price", "decimal", readonly=True), _F("cost", "decimal", readonly=True),
        _F("internalCurrencyPrice", "decimal", readonly=True),
        _F("approveAndPostDate", "datetime", readonly=True),
        _F("vendorCompanyID", "integer", readonly=True),
        _F("organizationalLevelAssociationID", "integer", readonly=True),
    ], parent_sub="serviceunits", child_verbs=("GET",), udf=False),
    Entity("ContractCharges", "ContractCharge", [
        _F("contractID", "integer", required=True, ref="Contracts", createonly=True),
        _F("name", required=True, length=100),
        _F("description", length=2000),
        _F("chargeType", "integer", required=True, picklist=True),
        _F("status", "integer", picklist=True),
        _F("datePurchased", "datetime", required=True, date_only=True),
        _F("unitQuantity", "double", required=True),
        _F("unitPrice", "decimal"), _F("unitCost", "decimal"),
        _F("extendedCost", "decimal", readonly=True),
        _F("billableAmount", "decimal", readonly=True),
        _F("isBillableToCompany", "boolean", default=True),
        _F("isBilled", "boolean", readonly=True, default=False),
        _F("billingCodeID", "integer", ref="BillingCodes"),
        _F("productID", "integer", ref="Products"),
        _F("contractServiceID", "integer", ref="ContractServices"),
        _F("purchaseOrderNumber", length=50), _F("internalPurchaseOrderNumber", length=50),
        _F("notes", length=2000),
        _F("createDate", "datetime", readonly=True),
        _F("creatorResourceID", "integer", readonly=True),
        _F("statusLastModifiedDate", "datetime", readonly=True),
        _F("internalCurrencyBillableAmount", "decimal", readonly=True),
        _F("internalCurrencyUnitPrice", "decimal", readonly=True),
    ], parent_sub="charges", child_verbs=("GET", "POST", "PATCH", "PUT", "DELETE")),
    Entity("BillingCodes", "BillingCode", [
        _F("name", readonly=True), _F("description", readonly=True),
        _F("useType", "integer", readonly=True, picklist=True),
        _F("billingCodeType", "integer", readonly=True),
        _F("isActive", "boolean", readonly=True),
        _F("unitPrice", "decimal", readonly=True), _F("unitCost", "decimal", readonly=True),
        _F("externalNumber", readonly=True),
    ], udf=False),
    Entity("Products", "Product", [
        _F("name", required=True, length=100), _F("description", length=8000),
        _F("sku", length=50), _F("unitPrice", "decimal"), _F("unitCost", "decimal"),
        _F("periodType", "integer", picklist=True),
        _F("productBillingCodeID", "integer", ref="BillingCodes"),
        _F("chargeBillingCodeID", "integer", ref="BillingCodes"),
        _F("isActive", "boolean", default=True),
    ], root_write=True),
]}

ENTITY_BY_LOWER = {name.lower(): e for name, e in ENTITIES.items()}
CHILD_BY_SUB = {e.parent_sub: e for e in ENTITIES.values() if e.parent_sub}


def _pick(pairs, default=None, system=()):
    return [{"value": v, "label": label, "isDefaultValue": v == default,
             "sortOrder": i, "parentValue": "", "isActive": True, "isSystem": v in system}
            for i, (v, label) in enumerate(pairs)]


def default_picklists():
    """Picklists of the simulated tenant, keyed ``Entity.field``."""
    period_pairs = [(29682771, "Monthly"), (29682772, "Quarterly"),
                    (29682773, "Semi-Annual"), (29682774, "Yearly")]
    contract_types = [(1, "Time & Materials"), (3, "Fixed Price"), (4, "Block Hours"),
                      (6, "Retainer"), (7, "Recurring Service"), (8, "Per Ticket"),
                      (9, "Umbrella")]
    return {
        "Companies.companyType": _pick(
            [(1, "Customer"), (2, "Lead"), (3, "Prospect"), (4, "Dead"),
             (6, "Cancellation"), (7, "Vendor"), (8, "Partner")], 1, (1, 2, 3, 4, 6, 7, 8)),
        "Contracts.contractType": _pick(contract_types, 1, [v for v, _ in contract_types]),
        "Contracts.status": _pick([(0, "Inactive"), (1, "Active")], 1, (0, 1)),
        "Contracts.contractCategory": _pick(
            [(29682801, "Managed Services"), (29682802, "Cloud Subscriptions"),
             (29682803, "Backup & Continuity")]),
        "Contracts.contractPeriodType": _pick(period_pairs, 29682771),
        "Services.periodType": _pick(period_pairs, 29682771),
        "Products.periodType": _pick(period_pairs, 29682771),
        "ContractCharges.chargeType": _pick([(1, "Capitalized"), (2, "Operational")], 2),
        "ContractCharges.status": _pick(
            [(29682791, "Pending Approval"), (29682792, "Approved"),
             (29682793, "Delivered/Shipped Full")], 29682791),
        "BillingCodes.useType": _pick(
            [(1, "Work Type"), (2, "Material Cost Code"), (3, "Expense Cost Code"),
             (4, "Recurring Contract Service")], None, (1, 2, 3, 4)),
    }


def picklist_label(picklists, key, value):
    """Label of ``value`` in picklist ``key`` (lower case), or None."""
    for item in picklists.get(key, []):
        if item["value"] == value:
            return item["label"].lower()
    return None


def picklist_default(picklists, key):
    for item in picklists.get(key, []):
        if item["isDefaultValue"]:
            return item["value"]
    return None


# ---------------------------------------------------------------------------
# Contract billing: periods and ContractServiceUnits rows
# ---------------------------------------------------------------------------

def billing_periods(start, end, months):
    """(start, end) civil-date pairs of each billing period of a contract."""
    periods, k = [], 0
    while k < MAX_PERIODS:
        p_start = add_months(start, k * months)
        if p_start > end:
            break
        p_end = min(add_months(start, (k + 1) * months) - dt.timedelta(days=1), end)
        periods.append((p_start, p_end))
        k += 1
    return periods


def unit_rows(contract, service_row, adjustments, months, posted_through):
    """ContractServiceUnits rows (without ids) for one contract service.

    ``adjustments``: rows of this contract service sorted by effective date.
    ``posted_through``: last civil date of approved-and-posted billing, or None.
    """
    start, end = parse_date(contract["startDate"]), parse_date(contract["endDate"])
    changes = [(parse_date(a["effectiveDate"]), a) for a in adjustments]
    rows = []
    for p_start, p_end in billing_periods(start, end, months):
        cuts = sorted({d for d, _ in changes if p_start < d <= p_end})
        bounds = [p_start] + cuts
        for i, r_start in enumerate(bounds):
            r_end = bounds[i + 1] - dt.timedelta(days=1) if i + 1 < len(bounds) else p_end
            rows.append(_unit_row(contract, service_row, changes, r_start, r_end,
                                  posted_through if posted_through and p_end <= posted_through
                                  else None))
    return rows


def _unit_row(contract, service_row, changes, r_start, r_end, posted_on):
    units, price, cost = 0, service_row.get("unitPrice"), service_row.get("unitCost")
    for day, adj in changes:
        if day > r_start:
            break
        units += int(adj.get("unitChange") or 0)
        if adj.get("adjustedUnitPrice") is not None:
            price = adj["adjustedUnitPrice"]
        if adj.get("adjustedUnitCost") is not None:
            cost = adj["adjustedUnitCost"]
    return {
        "contractID": contract["id"], "contractServiceID": service_row["id"],
        "serviceID": service_row["serviceID"],
        "startDate": format_date(r_start), "endDate": format_date(r_end),
        "units": units, "price": price, "cost": cost, "internalCurrencyPrice": price,
        "approveAndPostDate": format_date(posted_on) if posted_on else None,
        "vendorCompanyID": None, "organizationalLevelAssociationID": None,
    }


def format_date(day):
    """A civil date the way Autotask returns date-only fields."""
    return day.strftime("%Y-%m-%dT00:00:00.000Z")


def format_datetime(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)
