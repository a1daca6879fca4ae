"""ledger_model.py: a model-based test of the seat ledger (issue 13).

Three independent parts meet here:
  * the product's planning, run for real: tests/tools/ledger_model (core/service_plan.c and
    core/planner.c, the code the worker's sync runs) answers each sync round over a pipe;
  * an Autotask model that enforces Autotask's rules: one adjustment per contract service and
    day, effective dates inside the contract, never negative units; units on a day are the
    sum of the adjustments dated on or before it (ContractServiceUnits);
  * a reference model of the billing contract (doc/design.md 4, written from the rules, not from
    the C): with decreases at once, the PSA bills on each day the quantity the first sync of the
    day saw; with decreases from the next period, it bills the highest quantity any sync saw
    since the period's first sync (increases count at once, decreases wait for the period).

Between them, a small copy of the ledger's bookkeeping (db/ledger.c, worker/sync.c job_post):
one open change per service replaced by each newer plan, a change posted only from its
effective date, a post that reads the PSA on its date first and posts the difference, a person
who approves what is held for review the next morning.

A history is 120 days from a random date: increases, decreases, restores, same-day bursts, a
source that disappears and comes back, PSA hand edits (held for review), one or two links on
one service, monthly or annual billing periods, an open or an ending contract, under both
decrease policies. Invariants on every day: the PSA's units equal the reference's; Autotask
never refuses a change; a change that cannot be posted says why. Seeded: a failure prints its
seed, and `python3 tests/model/ledger_model.py --seed N` replays it with the day-by-day trail.
"""
import datetime as dt
import json
import os
import random
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "build", "tools", "ledger_model")
DAYS = 120


class Refused(Exception):
    pass


class Autotask:
    """ContractServiceAdjustments of one contract service, with Autotask's rules."""

    def __init__(self, start, end):
        self.start, self.end, self.adj = start, end, {}

    def units(self, day):
        return sum(delta for d, delta in self.adj.items() if d <= day)

    def post(self, day, delta, who="billsync"):
        if day in self.adj:
            raise Refused(f"{who}: a second adjustment on {day} (one per service and day)")
        if day < self.start or (self.end and day > self.end):
            raise Refused(f"{who}: {day} is outside the contract {self.start}..{self.end}")
        self.adj[day] = delta
        if any(self.units(d) < 0 for d in [day] + [d for d in self.adj if d > day]):
            del self.adj[day]
            raise Refused(f"{who}: {delta:+d} on {day} leaves negative units")


class Planner:
    """The product's planning over the pipe (tests/tools/ledger_model)."""

    def __init__(self):
        self.p = subprocess.Popen([TOOL], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, req):
        self.p.stdin.write(json.dumps(req) + "\n")
        ans = json.loads(self.p.stdout.readline())
        if "error" in ans:
            raise AssertionError(f"the tool refused {req}: {ans['error']}")
        return ans

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def period_start(anchor, cycle, day):
    """First day of the billing period (cycle months from anchor) containing day."""
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    k = months // cycle
    while True:
        start = add_months(anchor, k * cycle)
        if start <= day:
            nxt = add_months(anchor, (k + 1) * cycle)
            if day < nxt:
                return start
            k += 1
        else:
            k -= 1


def add_months(d, n):
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    last = [31, 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
            31][m - 1]
    return dt.date(y, m, min(d.day, last))


class History:
    def __init__(self, seed, planner, trail=False):
        self.rng = r = random.Random(seed)
        self.seed, self.planner, self.trail = seed, planner, trail
        self.day0 = dt.date(2026, 1, 1) + dt.timedelta(days=r.randrange(3 * 365))
        self.cycle = r.choice([1, 1, 1, 12])
        first = self.day0.replace(day=1)
        # the contract starts before the first day: the seats billed before billsync are an
        # adjustment dated on the start, a day billsync never posts on (see the note)
        self.contract_start = add_months(first, -r.randrange(1 if self.day0 == first else 0,
                                                            15 if self.cycle == 12 else 3))
        self.decrease = r.choice(["next_period", "immediate"])
        self.drift = r.choice(["flag", "overwrite"])
        self.hand_edits = self.decrease == "immediate" and r.random() < 0.5
        self.contract_end = None
        if r.random() < 0.4:
            # a period end inside the history, so its last periods and the end itself are seen
            probe = self.day0 + dt.timedelta(days=r.randrange(20, DAYS))
            self.contract_end = add_months(period_start(self.contract_start, self.cycle, probe), self.cycle) \
                - dt.timedelta(days=1)
        self.links = [[r.randrange(0, 30), False] for _ in range(r.choice([1, 1, 2]))]
        self.psa = Autotask(self.contract_start, self.contract_end)
        p0 = r.randrange(0, 30)
        if p0:
            self.psa.adj[self.contract_start] = p0    # seats billed before billsync was linked
        self.verified = []      # billsync's verified changes: (effective, desired, seq), newest first
        self.open = None        # the one open change of the service
        self.keys = set()       # idempotency keys of every plan recorded (db unique key)
        self.seq = 0
        self.high = None        # the reference: highest quantity seen in this billing period
        self.log = []

    # the bookkeeping of db/ledger.c and worker/sync.c ----------------------------------------
    def desired(self):
        return sum(q for q, gone in self.links if not gone)

    def posts(self):
        return [[d.isoformat(), q] for d, q, _ in self.verified[:40]]

    def sync(self, today):
        base = {"today": today.isoformat(), "posts": self.posts(), "one_per_day": True}
        read_on = dt.date.fromisoformat(self.planner.ask(dict(base, op="read_on"))["read_on"])
        psa = self.psa.units(read_on)
        out = self.planner.ask(dict(base, op="plan", links=self.links, psa_units=psa, decrease=self.decrease,
                                    drift=self.drift, approval="auto",
                                    contract_start=self.contract_start.isoformat(),
                                    contract_end=self.contract_end and self.contract_end.isoformat(),
                                    cycle_months=self.cycle))
        self.note(today, f"sync: links {self.links} psa {psa} on {read_on} -> {out['action']} {out['change']:+d} "
                         f"on {out['effective']} ({out['reason']})")
        if out["action"] == "nothing":
            if self.open is not None:                   # the target is reached: a waiting change is void
                self.superseded.append(self.open)
            self.open = None
            return
        want = self.desired()
        key = (out["effective"], want, psa)
        if self.open is not None and self.open["key"] == key:
            return                                      # the same plan: nothing changes
        if self.open is not None:
            self.superseded.append(self.open)           # one open change: the newest plan wins
            self.open = None
        if key in self.keys:
            # db/ledger.c: the plan exists (a unique key): a superseded one comes back, a
            # verified one stays as it is and nothing is left open
            back = [o for o in self.superseded if o["key"] == key]
            if back:
                self.superseded.remove(back[-1])
                self.open = dict(back[-1], state=self.state_of(out), reason=out["reason"])
            return
        self.keys.add(key)
        self.open = {"key": key, "effective": dt.date.fromisoformat(out["effective"]), "desired": want,
                     "state": self.state_of(out), "reason": out["reason"]}

    superseded = None

    @staticmethod
    def state_of(out):
        if out["action"] == "fail":
            return "failed"
        return "awaiting" if out["action"] == "drift" or out["needs_approval"] else "queued"

    def post_due(self, today):
        o = self.open
        if o is None or o["state"] != "queued" or o["effective"] > today:
            return
        current = self.psa.units(o["effective"])
        if current != o["desired"]:
            try:
                self.psa.post(o["effective"], o["desired"] - current)
            except Refused as e:
                raise AssertionError(f"Autotask refused billsync's change: {e}")
            self.note(today, f"post: {o['desired'] - current:+d} on {o['effective']} -> {o['desired']}")
        else:
            self.note(today, f"post: the PSA already has {current} on {o['effective']}")
        self.seq += 1
        self.verified.insert(0, (o["effective"], o["desired"], self.seq))
        self.verified.sort(key=lambda v: (v[0], v[2]), reverse=True)
        self.open = None

    def approve(self, today):
        if self.open is not None and self.open["state"] == "awaiting":
            self.open["state"] = "queued"
            self.note(today, "a person approves the held change")

    # the world ------------------------------------------------------------------------------------
    def source_event(self, today):
        r = self.rng
        link = r.choice(self.links)
        kind = r.random()
        if kind < 0.1:
            link[1] = not link[1]                      # gone from the source, or back
        elif kind < 0.5:
            link[0] += r.randrange(1, 6)
        else:
            link[0] = max(0, link[0] - r.randrange(1, 6))
        self.note(today, f"source: {self.links}")

    def hand_edit(self, today):
        day = today - dt.timedelta(days=1)
        if day < self.contract_start or day in self.psa.adj:
            return
        delta = self.rng.choice([-3, -2, -1, 1, 2, 3])
        try:
            self.psa.post(day, delta, who="a person")
        except Refused:
            return
        self.note(today, f"a person edits the PSA: {delta:+d} on {day}")

    def first_sighting(self, today, seen):
        """The reference at the day's first sync: what the PSA should bill today."""
        if self.decrease == "immediate":
            return seen
        start = period_start(self.contract_start, self.cycle, today)
        if start == today:
            self.high = seen              # decreases seen in the last period take effect today
        elif self.high is None:
            self.high = max(seen, self.psa_before_link)   # the first day: no credit before the period ends
        else:
            self.high = max(self.high, seen)
        return self.high

    def later_sighting(self, today, seen, free):
        """The reference at a later sync of the day (next-period policy): an increase counts today
        when the day is free in the PSA (else tomorrow's first sync sees it, if it lasts); a
        decrease waits for the period's end, unless today starts the period."""
        if self.decrease == "immediate":
            return
        if seen > self.high and free:
            self.high = seen
        elif seen < self.high and period_start(self.contract_start, self.cycle, today) == today:
            self.high = seen

    def note(self, today, text):
        self.log.append(f"{today} {text}")
        if self.trail:
            print(self.log[-1])

    def run(self):
        self.superseded = []
        self.psa_before_link = self.psa.units(self.day0)
        for i in range(DAYS):
            today = self.day0 + dt.timedelta(days=i)
            # the first round of the day: the person's approvals, what is due, the sync, its post
            self.approve(today)
            self.post_due(today)
            seen = self.desired()
            self.sync(today)
            self.post_due(today)
            want = self.first_sighting(today, seen)
            if self.contract_end is None or today <= self.contract_end:
                got = self.psa.units(today)
                if got != want:
                    raise AssertionError(f"seed {self.seed}: on {today} the PSA has {got}, the contract says {want}")
            if self.open is not None and self.open["state"] == "failed":
                assert self.open["reason"], f"seed {self.seed}: a failed change without a reason"
            # the rest of the day: bursts of source changes, each followed by a sync and a post
            for _ in range(self.rng.choice([0, 0, 1, 1, 2, 3])):
                if self.hand_edits and self.rng.random() < 0.08:
                    self.hand_edit(today)
                else:
                    self.source_event(today)
                seen, free = self.desired(), today not in self.psa.adj
                self.sync(today)
                self.post_due(today)
                self.later_sighting(today, seen, free)


def run(first_seed, count):
    planner = Planner()
    try:
        for seed in range(first_seed, first_seed + count):
            h = History(seed, planner)
            try:
                h.run()
            except AssertionError as e:
                tail = "\n".join(h.log[-25:])
                raise AssertionError(f"{e}\n(replay: /usr/bin/python3 tests/model/ledger_model.py --seed {seed})\n"
                                     f"{tail}") from None
    finally:
        planner.close()


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, help="replay one history with its day-by-day trail")
    ap.add_argument("-n", type=int, default=1000, help="histories to run (from seed 1)")
    ap.add_argument("--first", type=int, default=1)
    a = ap.parse_args()
    if a.seed is not None:
        p = Planner()
        try:
            History(a.seed, p, trail=True).run()
        finally:
            p.close()
        print(f"seed {a.seed}: every invariant held")
    else:
        run(a.first, a.n)
        print(f"{a.n} histories of {DAYS} days (seeds {a.first}..{a.first + a.n - 1}): every invariant held")
    sys.exit(0)
