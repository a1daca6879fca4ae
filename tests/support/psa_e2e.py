"""psa_e2e.py: what an end-to-end test needs to know about the PSA it runs against, so one
test runs against Autotask and ConnectWise alike (the `psa` fixture of tests/e2e/conftest.py):
how to connect it through the connections page, which contract and service a link takes,
how to read units on a day and charges from the sandbox's state, and how to count billsync's
posts in the sandbox's request journal."""
import json
import re
from decimal import Decimal

import requests

from testclock import today

PSAS = ("autotask", "connectwise")
ADDITIONS = re.compile(r"/finance/agreements/(\d+)/additions(?:/(\d+))?$", re.I)


class PSA:
    """One PSA's side of an e2e test; `PSA.of(name)`."""
    system = ""
    label = ""
    one_change_per_day = False       # Autotask: one adjustment per contract service and date
    annual_contract_type = ""        # the contract type annual subscriptions are charged on

    @staticmethod
    def of(name):
        return {"autotask": Autotask, "connectwise": ConnectWise}[name]()

    def __repr__(self):
        return self.system

    def control(self, stack):
        return f"http://127.0.0.1:{stack.sandbox['control']}"

    def state(self, stack):
        r = requests.get(self.control(stack) + "/state/" + self.system, timeout=10)
        r.raise_for_status()
        return r.json()

    def journal(self, stack):
        return requests.get(self.control(stack) + "/requests", params={"system": self.system, "limit": 5000},
                            timeout=10).json()["requests"]

    def connect(self, admin, stack, **over):
        """Saves the PSA connection through the connections page, as a person does."""
        fields = dict(self.form_fields(stack), **over)
        r = admin.form(f"/settings/connections?new={self.system}", "/settings/connections",
                       dict({"action": "save", "system": self.system, "name": self.label}, **fields))
        assert r.status_code == 303, r.text[:2000]
        return r

    def fault(self, stack, **rule):
        """A fault on the posts of unit changes (or what rule says)."""
        rule.setdefault("system", self.system)
        rule.setdefault("method", self.post_method)
        rule.setdefault("path", self.post_path)
        r = requests.post(self.control(stack) + "/faults", json=rule, timeout=10)
        assert r.status_code == 200, r.text

    # ---- per PSA --------------------------------------------------------------------------
    def form_fields(self, stack):
        raise NotImplementedError

    def units(self, stack, contract, service, day=None):
        raise NotImplementedError

    def posts(self, stack, contract, service=None):
        """The unit changes billsync wrote to the contract (each write that the PSA committed)."""
        raise NotImplementedError

    def charges(self, stack, contract):
        """billsync's charges on the contract as {name, text, quantity, unit_cost, date}."""
        raise NotImplementedError

    def cost_writes(self, stack, contract, service):
        """The cost changes billsync wrote to the contract service, as {cost, price, date} with
        Decimal money (price None when kept; date None where the PSA's write has none)."""
        raise NotImplementedError

    def money(self, stack, contract, service, day):
        """(unit cost, unit price) of the contract service in effect on the day, as Decimals."""
        raise NotImplementedError

    cost_fault = {}                  # where a fault hits a cost change's write

    def company_names(self, stack):
        """The PSA's customer names."""
        raise NotImplementedError

    def edit_units(self, stack, contract, service, more):
        """A person's edit in the PSA: `more` units on the contract service's first line."""
        raise NotImplementedError

    def merge(self, stack, data):
        requests.post(self.control(stack) + "/state/" + self.system, json={"mode": "merge", "data": data},
                      timeout=10).raise_for_status()


class Autotask(PSA):
    system = "autotask"
    label = "Autotask"
    one_change_per_day = True
    annual_contract_type = "fixed_price"
    post_method = "POST"
    post_path = "ServiceAdjustments"

    def form_fields(self, stack, secret="demo-secret"):
        return {"f_username": "api@demo-msp.example", "f_secret": secret, "f_integration_code": "BILLSYNCDEMO",
                "f_url": f"http://127.0.0.1:{stack.sandbox['autotask']}/ATServicesRest/"}

    def bad_credentials(self, stack):
        return dict(self.form_fields(stack, "wrong-secret"), f_integration_code="")

    def units(self, stack, contract, service, day=None):
        day = day or today().isoformat()
        rows = self.state(stack)["entities"]["ContractServiceUnits"]
        return sum(int(r["units"]) for r in rows if str(r["contractID"]) == str(contract)
                   and str(r["serviceID"]) == str(service) and r["startDate"][:10] <= day <= r["endDate"][:10])

    def posts(self, stack, contract, service=None):
        out = []
        for e in self.journal(stack):
            if e["method"] != "POST" or "ServiceAdjustments" not in e["path"] or e["status"] != 200:
                continue
            body = json.loads(e.get("body") or "{}")
            if str(body.get("contractID")) == str(contract) or f"/Contracts/{contract}/" in e["path"]:
                if service is None or str(body.get("serviceID")) == str(service):
                    out.append(e)
        return out

    def charges(self, stack, contract):
        ents = self.state(stack)["entities"]
        return [{"name": c["name"], "text": c["name"], "description": c.get("description") or "",
                 "quantity": float(c["unitQuantity"]), "unit_cost": float(c.get("unitCost") or 0),
                 "date": c["datePurchased"][:10]}
                for c in ents["ContractCharges"] if str(c["contractID"]) == str(contract)
                and "billsync key" in (c.get("description") or "")]

    def cost_writes(self, stack, contract, service):
        out = []
        for e in self.posts(stack, contract, service):
            body = json.loads(e["body"])
            if body.get("unitChange") == 0 and body.get("adjustedUnitCost") is not None:
                price = body.get("adjustedUnitPrice")
                out.append({"cost": Decimal(str(body["adjustedUnitCost"])),
                            "price": None if price is None else Decimal(str(price)),
                            "date": body["effectiveDate"][:10]})
        return out

    def money(self, stack, contract, service, day):
        rows = self.state(stack)["entities"]["ContractServiceUnits"]
        got = [(Decimal(str(r["cost"])), Decimal(str(r["price"]))) for r in rows
               if str(r["contractID"]) == str(contract) and str(r["serviceID"]) == str(service)
               and r["startDate"][:10] <= day <= r["endDate"][:10]]
        assert len(got) == 1, got
        return got[0]

    cost_fault = {"method": "POST", "path": "ServiceAdjustments"}

    def company_names(self, stack):
        return [c["companyName"] for c in self.state(stack)["entities"]["Companies"]]

    def service_names(self, stack):
        return [c["name"] for c in self.state(stack)["entities"]["Services"]]

    def edit_units(self, stack, contract, service, more):
        ents = self.state(stack)["entities"]
        adjs = sorted((a for a in ents["ContractServiceAdjustments"] if str(a["contractID"]) == str(contract)
                       and str(a["serviceID"]) == str(service)), key=lambda a: (a["effectiveDate"], a["id"]))
        self.merge(stack, {"entities": {"ContractServiceAdjustments": [dict(adjs[0], unitChange=adjs[0]["unitChange"]
                                                                          + more)]}})


class ConnectWise(PSA):
    system = "connectwise"
    label = "ConnectWise"
    one_change_per_day = False
    annual_contract_type = "one_time"
    post_path = r"finance/agreements/\d+/additions"

    @property
    def post_method(self):
        """How a change of today's reconciled link is written: a new prorated addition mid-period
        (POST); on a period's first day a quantity PATCH of the addition the reconciliation made."""
        return "PATCH" if today().day == 1 else "POST"

    def form_fields(self, stack, private="demopriv"):
        return {"f_site": f"http://127.0.0.1:{stack.sandbox['connectwise']}", "f_company_id": "demomsp",
                "f_public_key": "demopub", "f_private_key": private, "f_client_id": "billsync-demo-client"}

    def bad_credentials(self, stack):
        return self.form_fields(stack, "wrong-private-key")

    def additions(self, stack, contract, service=None):
        rows = self.state(stack)["collections"]["finance/additions"]
        return [a for a in rows if str(a["agreementId"]) == str(contract)
                and (service is None or str((a.get("product") or {}).get("id")) == str(service))]

    def units(self, stack, contract, service, day=None):
        """Units of the agreement's additions of the product in effect on the day (effective on
        or before it, not cancelled before it: how ConnectWise bills them)."""
        day = day or today().isoformat()
        return sum(int(a["quantity"]) for a in self.additions(stack, contract, service)
                   if a["effectiveDate"][:10] <= day and not (a.get("cancelledDate") and a["cancelledDate"][:10] < day))

    def posts(self, stack, contract, service=None):
        """The unit changes written: each new addition (POST) and each quantity PATCH; a PATCH
        repeated with the same body (the HTTP client's retry of an absolute set, or a lost answer)
        is the same write, and a cancelled-date PATCH is part of the new addition that follows it
        (a period-start change on a prorating agreement, doc/proration.md 1.2)."""
        product_of = {str(a["id"]): str((a.get("product") or {}).get("id")) for a in self.additions(stack, contract)}
        out, last_patch = [], None
        for e in self.journal(stack):
            m = ADDITIONS.search(e["path"])
            if not m or m.group(1) != str(contract) or e["status"] not in (200, 201):
                continue
            if not ((e["method"] == "POST" and not m.group(2)) or (e["method"] == "PATCH" and m.group(2))):
                continue
            if e["method"] == "PATCH":
                ops = json.loads(e.get("body") or "[]")
                if not any(op.get("path", "").strip("/") == "quantity" for op in ops):
                    continue
                if (e["path"], e["body"]) == last_patch:
                    continue
                last_patch = (e["path"], e["body"])
            if service is not None:
                body = json.loads(e.get("body") or "{}") if e["method"] == "POST" else {}
                product = str((body.get("product") or {}).get("id")) if e["method"] == "POST" \
                    else product_of.get(m.group(2))
                if product != str(service):
                    continue
            out.append(e)
        return out

    def charges(self, stack, contract):
        return [{"name": a.get("invoiceDescription") or "", "text": a.get("invoiceDescription") or "",
                 "description": a.get("description") or "", "quantity": float(a["quantity"]),
                 "unit_cost": float(a.get("unitCost") or 0), "date": a["effectiveDate"][:10]}
                for a in self.additions(stack, contract) if "billsync key" in (a.get("description") or "")]

    def cost_writes(self, stack, contract, service):
        """Each PATCH of an addition's unitCost (a repeat of the same PATCH, the client's retry of
        an absolute value, is the same write); ConnectWise's write carries no date."""
        ids = {str(a["id"]) for a in self.additions(stack, contract, service)}
        out, seen = [], set()
        for e in self.journal(stack):
            m = ADDITIONS.search(e["path"])
            if e["method"] != "PATCH" or not m or m.group(2) not in ids or e["status"] != 200:
                continue
            ops = {op.get("path", "").strip("/"): op.get("value") for op in json.loads(e.get("body") or "[]")}
            if "unitCost" not in ops or (e["path"], e["body"]) in seen:
                continue
            seen.add((e["path"], e["body"]))
            price = ops.get("unitPrice")
            write = {"cost": Decimal(str(ops["unitCost"])), "price": None if price is None else Decimal(str(price)),
                     "date": None}
            if write not in out:             # one change writes every addition in effect alike
                out.append(write)
        return out

    def money(self, stack, contract, service, day):
        live = [a for a in self.additions(stack, contract, service) if a["effectiveDate"][:10] <= day
                and not (a.get("cancelledDate") and a["cancelledDate"][:10] < day)]
        got = {(Decimal(str(a["unitCost"])), Decimal(str(a["unitPrice"]))) for a in live}
        assert len(got) == 1, got
        return got.pop()

    cost_fault = {"method": "PATCH", "path": r"finance/agreements/\d+/additions/\d+"}

    def company_names(self, stack):
        return [c["name"] for c in self.state(stack)["collections"]["company/companies"]]

    def service_names(self, stack):
        return [c["description"] for c in self.state(stack)["collections"]["procurement/catalog"]]

    def edit_units(self, stack, contract, service, more):
        open_ = sorted((a for a in self.additions(stack, contract, service) if not a.get("cancelledDate")),
                       key=lambda a: (a["effectiveDate"], a["id"]))
        row = dict(open_[0], quantity=open_[0]["quantity"] + more)
        row.pop("agreementId", None)
        self.merge(stack, {"collections": {"finance/additions": [dict(row, agreementId=open_[0]["agreementId"])]}})
