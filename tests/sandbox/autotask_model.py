"""Autotask REST v1.0 data model: entities, fields, picklists, contract billing.

Field lists follow doc/psa-apis.md section A7 (REST model names, camelCase).  The
picklists are part of the tenant's data store (``picklists`` in the state) so
tests can change them; the defaults below deliberately use tenant-looking ids
for the picklists the reference calls tenant-specific (see README.md).

The contract-billing functions are pure: they turn a recurring-service
contract, one of its contract services and that service's adjustments into
``ContractServiceUnits`` rows (one per billing period, split at every
adjustment effective date inside the period).

``Store`` is one Autotask database (tenant): its rows by entity and id, indexes
by contract and contract service, and the derived ``ContractServiceUnits``,
computed per contract service when first asked for and kept in a ``UnitCache``
shared by every database.  A unit row's id does not depend on when it was
derived: rows starting a billing period take ids from a block reserved for the
contract service, a row starting at an adjustment's effective date takes that
adjustment's id.  So evicted rows come back with the same ids and paging by id
stays stable.
"""

import bisect
import collections
import datetime as dt
import functools
import itertools
import operator

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

@functools.lru_cache(maxsize=65536)
def format_date(day):
    """A civil date the way Autotask returns date-only fields."""
    return day.strftime("%Y-%m-%dT00:00:00.000Z")


def format_datetime(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)


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


@functools.lru_cache(maxsize=4096)
def contract_periods(start_date, end_date, months):
    """Billing periods of a contract from its stored start/end date strings:
    a tuple of ``(start, end, start text, end text)``; ValueError for bad dates."""
    start, end = parse_date(start_date), parse_date(end_date)
    return tuple((p_start, p_end, format_date(p_start), format_date(p_end))
                 for p_start, p_end in billing_periods(start, end, months))


def unit_rows(contract, service_row, adjustments, periods, posted_through, first_id):
    """ContractServiceUnits rows of one contract service.

    ``adjustments``: rows of this contract service sorted by (effective date, id).
    ``periods``: ``contract_periods`` of the contract.  ``posted_through``: last civil
    date of approved-and-posted billing, or None.  The row starting period k has id
    ``first_id + k``; a row starting inside a period, at an adjustment's effective date,
    has the (smallest) id of the adjustments dated that day.
    """
    changes = [(parse_date(a["effectiveDate"]), a) for a in adjustments
               if a.get("effectiveDate")]
    count = len(changes)
    posted_text = format_date(posted_through) if posted_through else None
    price, cost = service_row.get("unitPrice"), service_row.get("unitCost")
    template = {"id": None, "contractID": contract["id"],
                "contractServiceID": service_row["id"], "serviceID": service_row["serviceID"],
                "startDate": None, "endDate": None, "units": 0, "price": price, "cost": cost,
                "internalCurrencyPrice": price, "approveAndPostDate": None,
                "vendorCompanyID": None, "organizationalLevelAssociationID": None}
    rows, i = [], 0

    def apply(adj):
        """The template after ``adj`` (a new dict: emitted rows keep their values)."""
        nonlocal template
        template = template.copy()
        template["units"] += int(adj.get("unitChange") or 0)
        if adj.get("adjustedUnitPrice") is not None:
            template["price"] = template["internalCurrencyPrice"] = adj["adjustedUnitPrice"]
        if adj.get("adjustedUnitCost") is not None:
            template["cost"] = adj["adjustedUnitCost"]

    for k, (p_start, p_end, start_text, end_text) in enumerate(periods):
        while i < count and changes[i][0] <= p_start:
            apply(changes[i][1])
            i += 1
        posted_on = posted_text if posted_through and p_end <= posted_through else None
        row_id = first_id + k
        while i < count and changes[i][0] <= p_end:
            day = changes[i][0]
            row = template.copy()
            row.update(id=row_id, startDate=start_text, approveAndPostDate=posted_on,
                       endDate=format_date(day - dt.timedelta(days=1)))
            rows.append(row)
            row_id, start_text = changes[i][1]["id"], format_date(day)
            while i < count and changes[i][0] == day:
                row_id = min(row_id, changes[i][1]["id"])
                apply(changes[i][1])
                i += 1
        row = template.copy()
        row["id"] = row_id
        row["startDate"] = start_text
        row["endDate"] = end_text
        row["approveAndPostDate"] = posted_on
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# The data store of one database
# ---------------------------------------------------------------------------

UNITS = "ContractServiceUnits"
CONTRACT_CHILDREN = ("ContractServices", "ContractServiceAdjustments", "ContractCharges")
STORED = tuple(name for name in ENTITIES if name != UNITS)
UNIT_CACHE_ROWS = 100000        # derived unit rows kept (all databases together): a larger
                                # cache allocates slower (locality) and gains little


class IdCounter:
    """The id sequence shared by every database (``nextId`` of each database's state)."""

    def __init__(self, value):
        self.value = value

    def take(self, count=1):
        """Reserve ``count`` consecutive ids; returns the first."""
        first = self.value
        self.value += count
        return first

    def at_least(self, value):
        self.value = max(self.value, value)


class UnitCache:
    """Derived unit rows by (store uid, store generation, contract service id): an LRU
    bounded by the number of rows.  Derivation is deterministic, so an evicted entry is
    derived again identically.  Used under the sandbox lock only."""

    def __init__(self, max_rows=UNIT_CACHE_ROWS):
        self.max_rows = max_rows
        self._entries = collections.OrderedDict()
        self._rows = 0

    def get(self, key):
        rows = self._entries.get(key)
        if rows is not None:
            self._entries.move_to_end(key)
        return rows

    def put(self, key, rows):
        self.drop(key)
        self._entries[key] = rows
        self._rows += len(rows)
        while self._rows > self.max_rows and len(self._entries) > 1:
            _, old = self._entries.popitem(last=False)
            self._rows -= len(old)

    def drop(self, key):
        old = self._entries.pop(key, None)
        if old is not None:
            self._rows -= len(old)

    def clear(self):
        self._entries.clear()
        self._rows = 0


class Store:
    """One Autotask database: ``meta`` (apiUsers, integrationCodes, zone, picklists,
    postedThrough), rows by entity and id, and indexes.

    Stored rows are never changed in place: a write puts a new dict (copy-on-write), so
    a shallow copy of the tables is a consistent snapshot.  ContractServiceUnits are not
    stored; ``units_*`` derive them."""

    _uids = itertools.count(1)

    def __init__(self, name, meta, ids, cache):
        self.name = name
        self.meta = meta
        self.ids = ids
        self.cache = cache
        self.uid = next(Store._uids)
        self.gen = 0                # bumped to forget every cached unit row of this store
        self.tables = {name: {} for name in STORED}
        self._sorted = {}           # entity -> ids in order (None: rebuild)
        self._by_contract = {name: collections.defaultdict(set) for name in CONTRACT_CHILDREN}
        self._adj_by_cs = collections.defaultdict(set)
        self._blocks = {}           # contract service id -> (first unit id, signature, count)
        self._block_starts = []     # first ids of the blocks, ascending
        self._block_owners = []     # contract service id of each of those blocks

    # -- rows ------------------------------------------------------------------
    def get(self, entity, item_id):
        if entity == UNITS:
            return self.unit_by_id(item_id)
        return self.tables[entity].get(item_id)

    def put(self, entity, row):
        """Insert or replace a row (a dict no one changes afterwards)."""
        table = self.tables[entity]
        old = table.get(row["id"])
        if old is not None:
            self._unindex(entity, old)
        else:
            order = self._sorted.get(entity)
            if order is not None and (not order or order[-1] < row["id"]):
                order.append(row["id"])
            else:
                self._sorted[entity] = None
        table[row["id"]] = row
        self._index(entity, row)
        self._touched(entity, row)
        if old is not None and old is not row:
            self._touched(entity, old)
        if entity == "ContractServices" and old is None:
            self.unit_block(row["id"])

    def delete(self, entity, item_id):
        row = self.tables[entity].pop(item_id, None)
        if row is not None:
            self._unindex(entity, row)
            self._sorted[entity] = None
            self._touched(entity, row)
        return row

    def ids_in_order(self, entity):
        order = self._sorted.get(entity)
        if order is None:
            order = self._sorted[entity] = sorted(self.tables[entity])
        return order

    def rows(self, entity):
        """Every row of ``entity`` in id order."""
        if entity == UNITS:
            return self.all_units()
        table = self.tables[entity]
        return [table[i] for i in self.ids_in_order(entity)]

    def children(self, entity, contract_ids):
        """Rows of a contract child entity belonging to ``contract_ids``, in id order."""
        index, table = self._by_contract[entity], self.tables[entity]
        ids = sorted(itertools.chain.from_iterable(index.get(c, ()) for c in contract_ids))
        return [table[i] for i in ids]

    def contract_services(self, contract_id):
        return self.children("ContractServices", [contract_id])

    def adjustments_of(self, cs_id):
        """Adjustments of one contract service, by (effective date, id)."""
        table = self.tables["ContractServiceAdjustments"]
        rows = [table[i] for i in self._adj_by_cs.get(cs_id, ())]
        rows.sort(key=lambda a: (a["effectiveDate"] or "", a["id"]))
        return rows

    def _index(self, entity, row):
        if entity in self._by_contract and row.get("contractID") is not None:
            self._by_contract[entity][row["contractID"]].add(row["id"])
        if entity == "ContractServiceAdjustments" and row.get("contractServiceID") is not None:
            self._adj_by_cs[row["contractServiceID"]].add(row["id"])

    def _unindex(self, entity, row):
        if entity in self._by_contract:
            self._by_contract[entity].get(row.get("contractID"), set()).discard(row["id"])
        if entity == "ContractServiceAdjustments":
            self._adj_by_cs.get(row.get("contractServiceID"), set()).discard(row["id"])

    def _touched(self, entity, row):
        """Forget the cached unit rows a write to ``row`` changes."""
        if entity == "ContractServices":
            self.forget_units(row["id"])
        elif entity == "ContractServiceAdjustments":
            self.forget_units(row.get("contractServiceID"))
        elif entity == "Contracts":
            for cs_id in self._by_contract["ContractServices"].get(row["id"], ()):
                self.forget_units(cs_id)

    def reindex(self):
        """Rebuild every index from the tables (after a restore)."""
        self._sorted = {}
        for index in self._by_contract.values():
            index.clear()
        self._adj_by_cs.clear()
        for entity, table in self.tables.items():
            for row in table.values():
                self._index(entity, row)
        self.forget_all_units()

    # -- backup (copy-on-write rows: shallow copies suffice) --------------------
    def backup(self):
        return (copy_json(self.meta), {n: dict(t) for n, t in self.tables.items()},
                dict(self._blocks), list(self._block_starts), list(self._block_owners))

    def restore(self, saved):
        meta, tables, blocks, starts, owners = saved
        self.meta, self.tables = meta, tables
        self._blocks, self._block_starts, self._block_owners = blocks, starts, owners
        self.reindex()

    # -- derived ContractServiceUnits -------------------------------------------
    def forget_units(self, cs_id):
        self.cache.drop((self.uid, self.gen, cs_id))

    def forget_all_units(self):
        self.gen += 1

    def period_months(self, contract):
        label = picklist_label(self.meta["picklists"], "Contracts.contractPeriodType",
                               contract.get("contractPeriodType"))
        return PERIOD_MONTHS.get(label or "monthly", 1)

    def posted_through(self, contract_id):
        value = self.meta["postedThrough"].get(str(contract_id))
        return parse_date(value) if value else None

    def _periods(self, contract):
        months = self.period_months(contract)
        signature = (contract.get("startDate"), contract.get("endDate"), months)
        return contract_periods(*signature), signature

    def unit_block(self, cs_id, context=None):
        """First unit id of the contract service's block, reserving one when it has none or
        its contract's periods changed; None when it has no contract.  ValueError when the
        contract's dates are unusable.  ``context``: ``_context`` of its contract."""
        if context is None:
            cs = self.tables["ContractServices"].get(cs_id)
            contract = cs and self.tables["Contracts"].get(cs.get("contractID"))
            if contract is None:
                return None
            context = self._context(contract)
        contract, periods, signature, _ = context
        block = self._blocks.get(cs_id)
        if block is None or block[1] != signature:
            block = (self.ids.take(max(1, len(periods))), signature, len(periods))
            self._blocks[cs_id] = block
            self._block_starts.append(block[0])
            self._block_owners.append(cs_id)
        return block[0]

    def move_block_off(self, item_id):
        """An adjustment got an explicit id inside a unit block (rows merged with ids):
        give that block's contract service a new one so unit ids stay unique."""
        pos = bisect.bisect_right(self._block_starts, item_id) - 1
        if pos < 0:
            return
        cs_id = self._block_owners[pos]
        block = self._blocks.get(cs_id)
        if block and block[0] == self._block_starts[pos] and item_id < block[0] + block[2]:
            del self._blocks[cs_id]
            self.forget_units(cs_id)

    def _context(self, contract):
        """What every contract service of ``contract`` shares when deriving units:
        (contract, periods, period signature, postedThrough); ValueError for bad dates."""
        periods, signature = self._periods(contract)
        return contract, periods, signature, self.posted_through(contract["id"])

    def units_of_service(self, cs_id, keep=True, contexts=None):
        """Unit rows of a contract service (cached; ``keep`` False: a miss is not cached;
        ``contexts``: contract id -> ``_context``, shared by the services of one call)."""
        key = (self.uid, self.gen, cs_id)
        rows = self.cache.get(key)
        if rows is None:
            rows = self._derive(cs_id, {} if contexts is None else contexts)
            if keep:
                self.cache.put(key, rows)
        return rows

    def _derive(self, cs_id, contexts):
        cs = self.tables["ContractServices"][cs_id]
        contract_id = cs.get("contractID")
        context = contexts.get(contract_id)
        if context is None:
            contract = self.tables["Contracts"].get(contract_id)
            if contract is None:
                return []
            try:
                context = contexts[contract_id] = self._context(contract)
            except (ValueError, TypeError):
                return []
        contract, periods, _, posted = context
        first_id = self.unit_block(cs_id, context)
        rows = unit_rows(contract, cs, self.adjustments_of(cs_id), periods, posted, first_id)
        rows.sort(key=_ROW_ID)      # sorted runs make sorting a contract's rows cheap
        return rows

    def units_of_services(self, cs_ids, keep=True):
        services, contexts = self.tables["ContractServices"], {}
        rows = [r for cs_id in cs_ids if cs_id in services
                for r in self.units_of_service(cs_id, keep, contexts)]
        rows.sort(key=_ROW_ID)
        return rows

    def units_of_contracts(self, contract_ids):
        index = self._by_contract["ContractServices"]
        return self.units_of_services(
            itertools.chain.from_iterable(index.get(c, ()) for c in contract_ids))

    def all_units(self):
        """Every unit row of the database; a database too large for the cache does not
        push every other database's rows out of it."""
        services = self.tables["ContractServices"]
        keep = len(services) * 40 <= self.cache.max_rows // 2
        return self.units_of_services(services, keep)

    def unit_by_id(self, item_id):
        """A unit row by id: a block's period row or a split row (an adjustment's id)."""
        candidates = []
        pos = bisect.bisect_right(self._block_starts, item_id) - 1
        if pos >= 0:
            candidates.append(self._block_owners[pos])
        adj = self.tables["ContractServiceAdjustments"].get(item_id)
        if adj is not None:
            candidates.append(adj.get("contractServiceID"))
        for cs_id in candidates:
            if cs_id in self.tables["ContractServices"]:
                for row in self.units_of_service(cs_id):
                    if row["id"] == item_id:
                        return row
        return None


_ROW_ID = operator.itemgetter("id")


def copy_json(value):
    """A deep copy of JSON-like data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value
