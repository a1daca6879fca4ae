"""ConnectWise Manage ``conditions`` query syntax (doc/psa-apis.md B4).

Grammar (keywords case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := field ["not"] op value
    op         := = | != | < | <= | > | >= | contains | like | in
    value      := "string" | number | true | false | null | [datetime] | ( value, ... )

Fields may be nested with ``/`` (``company/id``); a field that is a list
(e.g. ``types/id``) matches when any element matches.  String comparisons
are case-insensitive like SQL Server; ``like`` uses ``*`` (or ``%``) as the
wildcard; any comparison with a null field is false except ``= null``.
"""

import functools
import re

from simcore import parse_datetime

_TOKEN_RE = re.compile(r"""
    \s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<date>\[[^\]]*\])
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<number>-?\d+(?:\.\d+)?(?![\w/]))
    | (?P<word>[A-Za-z_][\w/.]*)
    )""", re.VERBOSE)
_KEYWORD_OPS = ("contains", "like", "in")


class ConditionError(ValueError):
    """The conditions string cannot be parsed or names an unknown field."""


def tokenize(text):
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise ConditionError("unexpected character at position %d" % pos)
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens, known_fields):
        self.tokens = tokens
        self.pos = 0
        self.known = known_fields

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        if token[0] is None:
            raise ConditionError("unexpected end of conditions")
        self.pos += 1
        return token

    def keyword(self, word):
        kind, value = self.peek()
        if kind == "word" and value.lower() == word:
            self.pos += 1
            return True
        return False

    def expr(self):
        node = self.and_expr()
        while self.keyword("or"):
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.unary()
        while self.keyword("and"):
            node = ("and", node, self.unary())
        return node

    def unary(self):
        if self.keyword("not"):
            return ("not", self.unary())
        if self.peek() == ("punct", "("):
            self.take()
            node = self.expr()
            if self.take() != ("punct", ")"):
                raise ConditionError("expected ')'")
            return node
        return self.comparison()

    def comparison(self):
        kind, field = self.take()
        if kind != "word":
            raise ConditionError("expected a field name, got %r" % field)
        top = field.split("/")[0]
        if self.known is not None and top not in self.known:
            raise ConditionError("unknown field %r" % field)
        negate = self.keyword("not")
        op = self.operator()
        value = self.value_list() if op == "in" else self.value()
        return ("cmp", field, op, value, negate)

    def operator(self):
        kind, value = self.take()
        if kind == "op":
            return value
        if kind == "word" and value.lower() in _KEYWORD_OPS:
            return value.lower()
        raise ConditionError("expected an operator, got %r" % value)

    def value_list(self):
        if self.take() != ("punct", "("):
            raise ConditionError("'in' expects a parenthesised list")
        values = [self.value()]
        while self.peek() == ("punct", ","):
            self.take()
            values.append(self.value())
        if self.take() != ("punct", ")"):
            raise ConditionError("expected ')' after the 'in' list")
        return values

    def value(self):
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "date":
            try:
                return parse_datetime(text[1:-1].strip())
            except ValueError:
                raise ConditionError("invalid date %s" % text) from None
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "word" and text.lower() == "null":
            return None
        raise ConditionError("expected a value, got %r" % text)


def compile_conditions(text, known_fields=None):
    """Parse ``text``; returns a predicate over record dicts.  Parsed trees are cached
    (clients repeat the same few conditions)."""
    tree = _parse(text, None if known_fields is None else frozenset(known_fields))
    return lambda record: _evaluate(tree, record)


@functools.lru_cache(maxsize=1024)
def _parse(text, known_fields):
    parser = _Parser(tokenize(text), known_fields)
    tree = parser.expr()
    if parser.pos != len(parser.tokens):
        raise ConditionError("unexpected %r" % (parser.peek()[1],))
    return tree


def _evaluate(node, record):
    kind = node[0]
    if kind == "and":
        return _evaluate(node[1], record) and _evaluate(node[2], record)
    if kind == "or":
        return _evaluate(node[1], record) or _evaluate(node[2], record)
    if kind == "not":
        return not _evaluate(node[1], record)
    _, field, op, value, negate = node
    candidates = resolve(record, field)
    return any(_compare(c, op, value, negate) for c in candidates)


def resolve(record, path):
    """Every value reached by a ``/`` path (lists fan out); [None] when absent."""
    values = [record]
    for part in path.split("/"):
        nxt = []
        for value in values:
            items = value if isinstance(value, list) else [value]
            nxt.extend(item.get(part) for item in items if isinstance(item, dict))
        values = nxt
    flat = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return flat or [None]


def _compare(actual, op, wanted, negate):
    result = _compare_plain(actual, op, wanted)
    if result is None:
        return False
    return result != negate


def _compare_plain(actual, op, wanted):
    """True/False, or None when SQL would say 'unknown' (null involved)."""
    if op in ("=", "!=") and wanted is None:
        return (actual is None) == (op == "=")
    if actual is None:
        return None
    if op == "in":
        return any(_compare_plain(actual, "=", w) for w in wanted)
    if op == "contains":
        return str(wanted).lower() in str(actual).lower()
    if op == "like":
        pattern = re.escape(str(wanted).lower()).replace(r"\*", ".*").replace("%", ".*")
        return re.fullmatch(pattern, str(actual).lower()) is not None
    left, right = _align(actual, wanted)
    if left is None:
        return None
    return {"=": left == right, "!=": left != right, "<": left < right,
            "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _align(actual, wanted):
    """Bring both sides into one comparable domain, or (None, None)."""
    try:
        if hasattr(wanted, "year"):
            return parse_datetime(str(actual)), wanted
        if isinstance(wanted, bool) or isinstance(actual, bool):
            return bool(actual), bool(wanted)
        if isinstance(wanted, (int, float)):
            return float(actual), float(wanted)
    except (TypeError, ValueError):
        return None, None
    return str(actual).lower(), str(wanted).lower()
