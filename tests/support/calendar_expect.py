"""Expected amounts of the demo seed's seat changes, worked out from the calendar alone.

The sandbox seeds date last month's seat changes relative to "today", so their prorated
amounts depend on how many days last month had. These helpers state the billing rules in a
few lines, independently of the seed code, so a test's expected value follows the date the
code under test sees (the real one, or the one `make test-dates` fakes) instead of a number
that was right only in a 31-day month.
"""
import calendar
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal


def days_in_month(day):
    return calendar.monthrange(day.year, day.month)[1]


def share_from(month_first, day):
    """Share of a whole-month period left from `day` of that month, both days counted."""
    n = days_in_month(month_first)
    return Decimal(n - day + 1) / Decimal(n)


def q(value, places, rounding=ROUND_HALF_EVEN):
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def pc_northwind_add(m0):
    """Partner Center: Northwind's +1 Exchange Online seat on the 20th of last month (cost 4.32,
    list 4.80 a month). Unit prices are the period's prices to 6 places; the subtotal is the
    cost rounded down to the cent. Returned as src_probe prints money (4 places)."""
    share = share_from(m0, 20)
    cost, price = q(Decimal("4.32") * share, 6), q(Decimal("4.80") * share, 6)
    return (str(q(cost, 4)), str(q(price, 4)), str(q(q(cost, 2, ROUND_DOWN), 4)))


def iw_contoso_add(m0):
    """interworks: Contoso's +3 Microsoft 365 Business Standard seats on the 10th of last month
    (cost 11.25 a month): a prorated unit cost to the cent, times 3."""
    unit = q(Decimal("11.25") * share_from(m0, 10), 2)
    return unit, unit * 3
