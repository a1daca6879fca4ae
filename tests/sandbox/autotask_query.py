"""Autotask REST query language (doc/psa-apis.md A4): parse, validate, evaluate.

A query body is ``{"MaxRecords": n, "IncludeFields": [...], "filter": [...]}``
(keys case-insensitive).  A filter item is a condition
``{"op", "field", "value", "udf"}`` or a group ``{"op": "and"|"or", "items"}``;
the top-level list is an implicit AND.  Values are coerced to the field's
type the way the real API does, so a picklist label where an integer is
expected fails with the SQL-style conversion error integrators report.

``Query.terms`` tells the store which rows can match at all: the integer fields
that a top-level ``eq`` / ``in`` condition (or one inside a top-level ``and``)
restricts to a set of values, e.g. ``{"contractID": {7, 9}}``.  The store uses
it to pick rows from an index; the predicate still decides.
"""

import functools
import operator

from autotask_model import INT_TYPES, NUM_TYPES
from simcore import parse_datetime

MAX_RECORDS = 500
MAX_OR_CONDITIONS = 500
VALUE_OPS = ("eq", "noteq", "gt", "gte", "lt", "lte", "beginswith", "endswith",
             "contains")
LIST_OPS = ("in", "notin")
EXIST_OPS = ("exist", "notexist")
GROUP_OPS = ("and", "or")


class QueryError(ValueError):
    """Invalid query; the message becomes the ``errors`` entry."""


class Query:
    """A validated query: page size, projection and a compiled predicate."""

    def __init__(self, max_records, include_fields, parts, source, terms=None):
        self.max_records = max_records
        self.include_fields = include_fields
        self.parts = parts              # [(indexable field name or None, predicate)]
        self.predicate = self.predicate_without(None)
        self.source = source            # the normalised body, re-used by paging
        self.terms = terms or {}        # field name -> set of values every match has

    def predicate_without(self, field):
        """The filter without its top-level ``eq``/``in`` conditions on ``field`` (for rows
        an index already picked by ``terms[field]``); None when nothing is left."""
        parts = [p for f, p in self.parts if field is None or f != field]
        if not parts:
            return None if field is not None else (lambda row: True)
        if len(parts) == 1:
            return parts[0]

        def predicate(row):
            for part in parts:
                if not part(row):
                    return False
            return True
        return predicate


def parse_query(body, entity):
    """Validate a query body for ``entity``; returns a ``Query``."""
    if not isinstance(body, dict):
        raise QueryError("The query body must be a JSON object.")
    keys = {k.lower(): v for k, v in body.items()}
    max_records = _max_records(keys.get("maxrecords"))
    include = _include_fields(keys.get("includefields"), entity)
    items = keys.get("filter")
    if not isinstance(items, list) or not items:
        raise QueryError("Invalid query: a filter with at least one condition is required.")
    counter = {"or": 0, "udf": 0}
    parts = [(_indexable_field(item, entity), _compile(item, entity, counter))
             for item in items]
    if counter["or"] > MAX_OR_CONDITIONS:
        raise QueryError("Invalid query syntax. Queries are limited to 500 or fewer "
                         "'OR' conditions.")
    if counter["udf"] > 1:
        raise QueryError("Invalid query: only one user-defined field may be used per query.")
    source = {"MaxRecords": max_records, "filter": items}
    if include:
        source["IncludeFields"] = include
    return Query(max_records, include, parts, source, index_terms(items, entity))


def _indexable_field(item, entity):
    """The integer field of a top-level ``eq``/``in`` condition (not udf), else None."""
    if not isinstance(item, dict):
        return None
    keys = {k.lower(): v for k, v in item.items()}
    if str(keys.get("op", "")).lower() not in ("eq", "in") or keys.get("udf") is True:
        return None
    field = entity.field(keys.get("field")) if isinstance(keys.get("field"), str) else None
    return field.name if field is not None and field.type in INT_TYPES else None


def index_terms(items, entity):
    """{field name: set of values} for the integer fields that the (validated) filter
    ``items`` requires to be one of some values: top-level ``eq``/``in`` conditions,
    also inside top-level ``and`` groups; several conditions on one field intersect."""
    terms, pending = {}, list(items)
    while pending:
        keys = {k.lower(): v for k, v in pending.pop().items()}
        op = str(keys.get("op", "")).lower()
        if op == "and":
            pending.extend(keys.get("items") or [])
            continue
        if op not in ("eq", "in") or keys.get("udf") is True:
            continue
        field = entity.field(keys.get("field"))
        if field is None or field.type not in INT_TYPES:
            continue
        values = keys.get("value") if op == "in" else [keys.get("value")]
        wanted = {coerce_value(field.type, v, field.name) for v in values}
        terms[field.name] = terms[field.name] & wanted if field.name in terms else wanted
    return terms


def _max_records(value):
    if value is None:
        return MAX_RECORDS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RECORDS:
        raise QueryError("MaxRecords must be an integer between 1 and 500.")
    return value


def _include_fields(value, entity):
    if value in (None, []):
        return None
    if not isinstance(value, list):
        raise QueryError("IncludeFields must be an array of field names.")
    names = []
    for name in value:
        field = entity.field(name)
        if field is None:
            raise QueryError("Unable to find %s in the %s entity." % (name, entity.name))
        names.append(field.name)
    return names


def _compile(item, entity, counter):
    if not isinstance(item, dict):
        raise QueryError("Invalid query: each filter item must be an object.")
    keys = {k.lower(): v for k, v in item.items()}
    op = str(keys.get("op", "")).lower()
    if op in GROUP_OPS:
        return _compile_group(op, keys.get("items"), entity, counter)
    if op not in VALUE_OPS + LIST_OPS + EXIST_OPS:
        raise QueryError("Invalid query: unknown operator '%s'." % keys.get("op"))
    getter, ftype = _field_getter(keys, entity, counter)
    if op in EXIST_OPS:
        present = op == "exist"
        return lambda row: (getter(row) not in (None, "")) == present
    if op in LIST_OPS:
        values = keys.get("value")
        if not isinstance(values, list) or not values:
            raise QueryError("Invalid query: '%s' requires a non-empty array value." % op)
        counter["or"] += len(values)
        wanted = [coerce_value(ftype, v, keys.get("field")) for v in values]
        return _list_predicate(op, getter, ftype, wanted)
    if "value" not in keys or keys["value"] is None:
        raise QueryError("Invalid query: operator '%s' requires a value." % op)
    wanted = coerce_value(ftype, keys["value"], keys.get("field"))
    return _value_predicate(op, getter, ftype, wanted)


def _compile_group(op, items, entity, counter):
    if not isinstance(items, list) or not items:
        raise QueryError("Invalid query: an '%s' group requires items." % op)
    if op == "or":
        counter["or"] += len(items)
    parts = [_compile(i, entity, counter) for i in items]
    if op == "and":
        return lambda row: all(p(row) for p in parts)
    return lambda row: any(p(row) for p in parts)


def _field_getter(keys, entity, counter):
    name = keys.get("field")
    if not isinstance(name, str) or not name:
        raise QueryError("Invalid query: a condition requires a field.")
    if keys.get("udf") is True:
        counter["udf"] += 1
        return (lambda row: _udf_value(row, name)), "string"
    field = entity.field(name)
    if field is None:
        raise QueryError("Unable to find %s in the %s entity." % (name, entity.name))
    return (lambda row: row.get(field.name)), field.type


def _udf_value(row, name):
    for udf in row.get("userDefinedFields") or []:
        if str(udf.get("name", "")).lower() == name.lower():
            return udf.get("value")
    return None


def coerce_value(ftype, value, field_name):
    """Convert a filter/body value to the field's type or raise ``QueryError``."""
    if value is None:
        return None
    if ftype in INT_TYPES:
        return _to_int(value)
    if ftype in NUM_TYPES:
        return _to_number(value)
    if ftype == "boolean":
        return _to_bool(value, field_name)
    if ftype == "datetime":
        try:
            return parse_datetime(value)
        except ValueError:
            raise QueryError("Conversion failed when converting date and/or time from "
                             "character string '%s'." % value) from None
    return str(value)


def _to_int(value):
    if isinstance(value, bool):
        raise QueryError("Conversion failed when converting varchar '%s' to data type int"
                         % str(value).lower())
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise QueryError("Conversion failed when converting varchar '%s' to data type int"
                         % value) from None


def _to_number(value):
    if isinstance(value, bool):
        raise QueryError("Error converting data type varchar to numeric.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise QueryError("Error converting data type varchar to numeric.") from None


def _to_bool(value, field_name):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise QueryError("Value '%s' for boolean field %s must be true or false."
                     % (value, field_name))


def _comparable(ftype, value):
    """Stored value in the same domain as a coerced filter value."""
    if value is None:
        return None
    if ftype == "datetime":
        return _stored_datetime(value)
    if ftype == "string":
        return str(value).lower()
    return value


@functools.lru_cache(maxsize=65536)
def _stored_datetime(text):
    """A stored date/time string as a datetime (stored values repeat a lot)."""
    return parse_datetime(text)


def _value_predicate(op, getter, ftype, wanted):
    if ftype == "string":
        wanted = wanted.lower()
    if op in ("beginswith", "endswith", "contains"):
        text = str(wanted).lower()
        test = {"beginswith": str.startswith, "endswith": str.endswith,
                "contains": str.__contains__}[op]
        return lambda row: getter(row) is not None and test(str(getter(row)).lower(), text)
    compare = {
        "eq": lambda a: a == wanted, "noteq": lambda a: a != wanted,
        "gt": lambda a: a > wanted, "gte": lambda a: a >= wanted,
        "lt": lambda a: a < wanted, "lte": lambda a: a <= wanted,
    }[op]
    text = _canonical_text(wanted) if ftype == "datetime" else None
    if text is not None:
        return _datetime_predicate(_TEXT_OPS[op], getter, text, compare)

    def predicate(row):
        actual = _comparable(ftype, getter(row))
        return actual is not None and compare(actual)
    return predicate


_TEXT_OPS = {"eq": operator.eq, "noteq": operator.ne, "gt": operator.gt,
             "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def _canonical_text(value):
    """A filter datetime as the sandbox stores date/times (``YYYY-MM-DDTHH:MM:SS.mmmZ``,
    UTC), or None when it has sub-millisecond digits (compared as datetimes then)."""
    if value.microsecond % 1000 or value.year < 1000:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)


def _datetime_predicate(text_op, getter, text, compare):
    """Stored date/times are canonical fixed-width UTC strings, so comparing the strings
    compares the instants; anything else is parsed as before."""
    def predicate(row):
        actual = getter(row)
        if actual is None:
            return False
        if type(actual) is str and len(actual) == 24 and actual[23] == "Z" \
                and actual[10] == "T":
            return text_op(actual, text)
        actual = _comparable("datetime", actual)
        return compare(actual)
    return predicate


def _list_predicate(op, getter, ftype, wanted):
    pool = {w.lower() if ftype == "string" else w for w in wanted}

    def predicate(row):
        actual = _comparable(ftype, getter(row))
        if actual is None:
            return False
        return (actual in pool) == (op == "in")
    return predicate
