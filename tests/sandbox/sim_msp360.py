"""MSP360 (CloudBerry) Managed Backup API simulator (doc/source-apis.md section 5).

Serves ``POST /api/Provider/Login`` (JSON ``{"UserName", "Password"}`` ->
``access_token``), ``/api/Users``, ``/api/Companies``, ``/api/Packages`` and the
monthly storage billing: ``GET /api/Billing`` (current month, every user;
``skip``/``take`` page the ``StatisticBilling`` rows), ``PUT /api/Billing``
``{"CompanyName", "Date"}`` (one company, the month of ``Date``) and
``PUT /api/Billing/Details`` ``{"UserID", "Date"}``.  Answers are plain
PascalCase JSON without an envelope; space is in bytes, costs are decimals.
Failures are ``{"Message": "..."}`` (ASP.NET Web API); a bad login is 403.

Behaviour the reference marks unknown is a knob (README.md).
"""

import datetime as dt

import seed_sources
from simcore import HttpError, Response, today, utcnow
from simsource import SourceSim


def message(status, text, headers=None):
    return Response(status, {"Message": text}, headers)


class Msp360Sim(SourceSim):
    """The MSP360 Managed Backup plugin."""

    name = "msp360"
    DEFAULT_CONFIG = dict(SourceSim.COMMON_CONFIG, **{
        "token_lifetime_s": 1209599,        # documented: about two weeks
        "login_token_field": "access_token",    # * access_token | Token (clients accept both)
        "login_failure_status": 403,        # documented: 403 on bad credentials
        "unknown_company": "error",         # * PUT /api/Billing, unknown company: error | empty
    })
    KNOB_CHOICES = {"login_token_field": ("access_token", "Token"),
                    "login_failure_status": (403, 401), "unknown_company": ("error", "empty")}
    TABLES = {
        "companies": {"name": None, "storageLimit": -1, "licenseSettings": 0, "destinations": []},
        "users": {"email": None, "firstName": "", "lastName": "", "notificationEmails": [],
                  "company": None, "enabled": True, "licenseManagmentMode": "CompanySettings",
                  "spaceUsed": 0, "destinationList": [], "computer": None},
        "billing": {"month": None, "userId": None, "averageSpace": 0, "totalVolumeRestore": 0,
                    "planCost": 0, "storageCost": 0, "restoreCost": 0, "totalCost": 0},
        "packages": {"name": None, "cost": 0, "description": "", "enabled": True,
                     "storageLimit": -1, "isGlacierRestoreLimit": False, "restoreLimit": -1,
                     "glacierRestoreType": 0, "useRestoreLimit": False},
    }
    ID_KINDS = {"companies": "uuid", "users": "uuid", "billing": "uuid"}
    ROUTES = [
        ("POST", "/api/Provider/Login", "login", False),
        ("GET", "/api/Users", "list_users", True),
        ("GET", "/api/Users/{id}", "get_user", True),
        ("GET", "/api/Companies", "list_companies", True),
        ("GET", "/api/Companies/{id}", "get_company", True),
        ("GET", "/api/Packages", "list_packages", True),
        ("GET", "/api/Billing", "billing_current", True),
        ("PUT", "/api/Billing", "billing_company", True),
        ("PUT", "/api/Billing/Details", "billing_details", True),
    ]

    def meta_defaults(self):
        c = seed_sources.MSP360_CREDENTIALS
        return {"apiLogins": [{"userName": c["username"], "password": c["password"]}]}

    def demo_state(self):
        return seed_sources.msp360_state(self.empty_state())

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------
    def auth_failure(self, req, reason="invalid"):
        if req.path.lower() == "/api/provider/login":
            return message(self.config["login_failure_status"],
                           "The user name or password is incorrect.")
        return message(401, "Authorization has been denied for this request.")

    def throttle_response(self, retry_after):
        return message(429, "Too many requests. Try again in %d seconds." % retry_after,
                       [("Retry-After", str(retry_after))])

    def server_error(self, text, status=500):
        return message(status, text if status != 500 else "An error has occurred.")

    def not_found(self, req, status=404):
        return message(status, "No HTTP resource was found that matches the request URI '%s'."
                       % req.path)

    def fail(self, status, text):
        raise HttpError(message(status, text))

    def authenticate(self, req):
        state, subject = self.check_bearer(req)
        if state != "ok":
            raise HttpError(self.auth_failure(req, state))
        return subject

    # ------------------------------------------------------------------
    # Login
    # ------------------------------------------------------------------
    def login(self, req, _p):
        body = self.body_json(req, lambda m: self.fail(400, m))
        if not isinstance(body, dict):
            self.fail(400, "The request is invalid.")
        name, password = body.get("UserName"), body.get("Password")
        if not isinstance(password, str) or not 3 <= len(password) <= 100:
            self.fail(400, "The request is invalid. Password must be 3 to 100 characters long.")
        login = next((l for l in self.meta["apiLogins"]
                      if l["userName"] == name and l["password"] == password), None)
        if login is None:
            return self.auth_failure(req)
        token = self.tokens.issue(login["userName"], self.lifetime(), prefix="mbs")
        issued = utcnow()
        expires = issued + dt.timedelta(seconds=self.expires_in())
        fmt = "%a, %d %b %Y %H:%M:%S GMT"
        return Response(200, {self.config["login_token_field"]: token, "token_type": "bearer",
                              "expires_in": self.expires_in(), "userName": login["userName"],
                              ".issued": issued.strftime(fmt), ".expires": expires.strftime(fmt)})

    # ------------------------------------------------------------------
    # Users, companies, packages
    # ------------------------------------------------------------------
    @staticmethod
    def render_user(row):
        return {"ID": row["id"], "Email": row["email"], "FirstName": row["firstName"],
                "LastName": row["lastName"], "NotificationEmails": row["notificationEmails"],
                "Company": row["company"], "Enabled": row["enabled"],
                "LicenseManagmentMode": row["licenseManagmentMode"],
                "DestinationList": row["destinationList"], "SpaceUsed": row["spaceUsed"]}

    @staticmethod
    def render_company(row):
        return {"ID": row["id"], "Name": row["name"], "StorageLimit": row["storageLimit"],
                "LicenseSettings": row["licenseSettings"],
                "Destinations": [{"DestinationId": d} for d in row["destinations"]]}

    def list_users(self, req, _p):
        return Response(200, [self.render_user(r) for r in self.rows("users")])

    def get_user(self, req, _p, user_id):
        row = self.row("users", user_id)
        if row is None:
            self.fail(404, "User %s not found." % user_id)
        return Response(200, self.render_user(row))

    def list_companies(self, req, _p):
        return Response(200, [self.render_company(r) for r in self.rows("companies")])

    def get_company(self, req, _p, company_id):
        row = self.row("companies", company_id)
        if row is None:
            self.fail(404, "Company %s not found." % company_id)
        return Response(200, self.render_company(row))

    def list_packages(self, req, _p):
        return Response(200, [{"ID": r["id"], "Name": r["name"], "Cost": r["cost"],
                               "Description": r["description"], "Enabled": r["enabled"],
                               "StorageLimit": r["storageLimit"],
                               "isGlacierRestoreLimit": r["isGlacierRestoreLimit"],
                               "RestoreLimit": r["restoreLimit"],
                               "GlacierRestoreType": r["glacierRestoreType"],
                               "UseRestoreLimit": r["useRestoreLimit"]}
                              for r in self.rows("packages")])

    # ------------------------------------------------------------------
    # Billing
    # ------------------------------------------------------------------
    def month_of(self, value):
        if value in (None, ""):
            return today().strftime("%Y-%m")
        try:
            return dt.date.fromisoformat(str(value)[:10]).strftime("%Y-%m")
        except ValueError:
            self.fail(400, "The request is invalid. Date must be yyyy-MM-dd.")

    def billing(self, req, month, company=None):
        users = {u["id"]: u for u in self.rows("users")}
        rows = []
        for b in self.rows("billing"):
            user = users.get(b["userId"])
            if b["month"] != month or user is None:
                continue
            if company is not None and (user["company"] or "").lower() != company.lower():
                continue
            rows.append({"UserId": user["id"], "Email": user["email"],
                         "FirstName": user["firstName"], "LastName": user["lastName"],
                         "CompanyName": user["company"], "AverageSpace": b["averageSpace"],
                         "TotalVolumeRestore": b["totalVolumeRestore"], "PlanCost": b["planCost"],
                         "StorageCost": b["storageCost"], "RestoreCost": b["restoreCost"],
                         "TotalCost": b["totalCost"]})
        bad = lambda m: self.fail(400, m)
        skip = self.int_arg(req, "skip", 0, bad, minimum=0)
        take = self.int_arg(req, "take", None, bad, minimum=0)
        picked = [r for r in rows]
        current = sum(u["spaceUsed"] for u in users.values()
                      if company is None or (u["company"] or "").lower() == company.lower())
        return Response(200, {
            "CurrentSpaceUsed": current,
            "AverageSpaceUsed": sum(r["AverageSpace"] for r in picked),
            "TotalRestore": sum(r["TotalVolumeRestore"] for r in picked),
            "StatisticBilling": picked[skip:None if take is None else skip + take]})

    def billing_current(self, req, _p):
        return self.billing(req, self.month_of(None))

    def billing_company(self, req, _p):
        body = self.body_json(req, lambda m: self.fail(400, m))
        if not isinstance(body, dict):
            self.fail(400, "The request is invalid.")
        company = body.get("CompanyName")
        if company and not any((c["name"] or "").lower() == company.lower()
                               for c in self.rows("companies")):
            if self.config["unknown_company"] == "error":
                self.fail(400, "Company '%s' was not found." % company)
        return self.billing(req, self.month_of(body.get("Date")), company or None)

    def billing_details(self, req, _p):
        body = self.body_json(req, lambda m: self.fail(400, m))
        if not isinstance(body, dict):
            self.fail(400, "The request is invalid.")
        user = self.row("users", body.get("UserID"))
        if user is None:
            self.fail(400, "User '%s' was not found." % body.get("UserID"))
        month = self.month_of(body.get("Date"))
        rows = [b for b in self.rows("billing")
                if b["userId"] == user["id"] and b["month"] == month]
        backup = sum(b["averageSpace"] for b in rows)
        restore = sum(b["totalVolumeRestore"] for b in rows)
        dest = (user["destinationList"] or [{}])[0]
        return Response(200, {
            "TotalBackupBytes": backup, "TotalRestoreBytes": restore, "UserID": user["id"],
            "UserDetailList": [{"Computer": user.get("computer") or user["firstName"],
                                "SizeBackup": backup, "SizeRestore": restore,
                                "Prefix": user["email"].split("@")[0],
                                "AccountID": dest.get("AccountID"),
                                "Destination": dest.get("Destination")}] if rows else []})


SIMULATOR = Msp360Sim
