"""A small Notion-formula dialect for the emulator: parse once, evaluate per page.

Supported: number and double-quoted string literals, ``true``/``false``,
``prop("Name")`` and ``{{notion:block_property:<id>...}}`` references,
``+ - * / % ^``, comparisons, ``and``/``or``/``not`` (also ``&&``, ``||``, ``!``),
``c ? a : b`` and a library of functions (see ``_FUNCTIONS``).

Warning: this is an emulator, not Notion's engine. Values are plain Python
(``float``/``str``/``bool``/:class:`FDate`/``list``/``None``); an empty input
propagates as ``None`` through arithmetic, and a runtime type error yields an
empty result rather than an error, as Notion shows a blank cell.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = ["FDate", "Formula", "FormulaError", "FormulaSyntaxError", "parse_formula"]


class FormulaSyntaxError(ValueError):
    """The expression does not parse, or names an unknown function."""


class FormulaError(Exception):
    """A runtime failure (type mismatch); the caller shows an empty value."""


@dataclass(frozen=True)
class FDate:
    """A formula date; ``has_time`` decides whether it prints as a date or a datetime."""

    dt: datetime
    has_time: bool = True

    def iso(self) -> str:
        if not self.has_time:
            return self.dt.date().isoformat()
        return self.dt.isoformat(timespec="milliseconds")


# --- tokenizer ---------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ref>\{\{notion:block_property:(?P<refid>[^:}]+)(?::[^}]*)?\}\})
  | (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%^<>!?:(),=])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: Any
    pos: int


def _tokenize(src: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(src):
        m = _TOKEN_RE.match(src, pos)
        if m is None:
            raise FormulaSyntaxError(f"Unexpected character {src[pos]!r} at position {pos}.")
        kind = m.lastgroup
        text = m.group(0)
        if kind == "refid" or m.group("ref"):
            out.append(_Tok("ref", m.group("refid"), pos))
        elif kind == "num":
            out.append(_Tok("num", float(text), pos))
        elif kind == "str":
            out.append(_Tok("str", _unescape(text[1:-1]), pos))
        elif kind == "name":
            out.append(_Tok("name", text, pos))
        elif kind == "op":
            out.append(_Tok("op", "==" if text == "=" else text, pos))
        pos = m.end()
    out.append(_Tok("end", None, pos))
    return out


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


# --- AST ---------------------------------------------------------------------
# Nodes are tuples so they stay hashable and cheap: ("lit", v), ("prop", name),
# ("propid", id), ("un", op, x), ("bin", op, a, b), ("if", c, a, b), ("call", f, args)


class _Parser:
    def __init__(self, src: str) -> None:
        self.toks = _tokenize(src)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def accept_op(self, *ops: str) -> str | None:
        tok = self.peek()
        if tok.kind == "op" and tok.value in ops:
            self.i += 1
            return tok.value
        if tok.kind == "name" and tok.value in ops:
            self.i += 1
            return tok.value
        return None

    def expect_op(self, op: str) -> None:
        if self.accept_op(op) is None:
            tok = self.peek()
            raise FormulaSyntaxError(f"Expected {op!r} at position {tok.pos}.")

    def parse(self) -> tuple:
        node = self.ternary()
        if self.peek().kind != "end":
            raise FormulaSyntaxError(f"Unexpected token at position {self.peek().pos}.")
        return node

    def ternary(self) -> tuple:
        cond = self.or_()
        if self.accept_op("?"):
            a = self.ternary()
            self.expect_op(":")
            b = self.ternary()
            return ("if", cond, a, b)
        return cond

    def or_(self) -> tuple:
        node = self.and_()
        while self.accept_op("or", "||"):
            node = ("bin", "or", node, self.and_())
        return node

    def and_(self) -> tuple:
        node = self.not_()
        while self.accept_op("and", "&&"):
            node = ("bin", "and", node, self.not_())
        return node

    def not_(self) -> tuple:
        tok = self.peek()
        # `not(x)` is a call handled in primary; bare `not x` / `!x` is an operator
        nxt = self.toks[min(self.i + 1, len(self.toks) - 1)]
        is_call = nxt.kind == "op" and nxt.value == "("
        if (tok.kind == "op" and tok.value == "!") or (
            tok.kind == "name" and tok.value == "not" and not is_call
        ):
            self.i += 1
            return ("un", "not", self.not_())
        return self.comparison()

    def comparison(self) -> tuple:
        node = self.additive()
        while op := self.accept_op("==", "!=", "<", "<=", ">", ">="):
            node = ("bin", op, node, self.additive())
        return node

    def additive(self) -> tuple:
        node = self.multiplicative()
        while op := self.accept_op("+", "-"):
            node = ("bin", op, node, self.multiplicative())
        return node

    def multiplicative(self) -> tuple:
        node = self.unary()
        while op := self.accept_op("*", "/", "%"):
            node = ("bin", op, node, self.unary())
        return node

    def unary(self) -> tuple:
        if self.accept_op("-"):
            return ("un", "-", self.unary())
        if self.accept_op("+"):
            return self.unary()
        return self.power()

    def power(self) -> tuple:
        base = self.primary()
        if self.accept_op("^"):
            # right-associative, and binds tighter than unary minus on its left
            return ("bin", "^", base, self.unary())
        return base

    def primary(self) -> tuple:
        tok = self.take()
        if tok.kind == "num":
            return ("lit", tok.value)
        if tok.kind == "str":
            return ("lit", tok.value)
        if tok.kind == "ref":
            return ("propid", tok.value)
        if tok.kind == "op" and tok.value == "(":
            node = self.ternary()
            self.expect_op(")")
            return node
        if tok.kind == "name":
            name = tok.value
            if name == "true":
                return ("lit", True)
            if name == "false":
                return ("lit", False)
            if self.accept_op("("):
                args: list[tuple] = []
                if not self.accept_op(")"):
                    args.append(self.ternary())
                    while self.accept_op(","):
                        args.append(self.ternary())
                    self.expect_op(")")
                if name == "prop":
                    if len(args) != 1 or args[0][0] != "lit" or not isinstance(args[0][1], str):
                        raise FormulaSyntaxError('prop() takes one string literal: prop("Name").')
                    return ("prop", args[0][1])
                if name not in _FUNCTIONS:
                    raise FormulaSyntaxError(f"Unknown function {name}().")
                lo, hi = _FUNCTIONS[name][1]
                if len(args) < lo or (hi is not None and len(args) > hi):
                    raise FormulaSyntaxError(f"Wrong number of arguments to {name}().")
                return ("call", name, tuple(args))
            if name in _CONSTANTS:
                return ("lit", _CONSTANTS[name])
            raise FormulaSyntaxError(f"Unknown name {name!r} at position {tok.pos}.")
        raise FormulaSyntaxError(f"Unexpected token at position {tok.pos}.")


_CONSTANTS: dict[str, Any] = {"pi": math.pi, "e": math.e}


# --- runtime helpers -----------------------------------------------------------


def _num(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise FormulaError(f"expected a number, got {_fmt(v)!r}")
    return float(v)


def _date(v: Any) -> FDate:
    if not isinstance(v, FDate):
        raise FormulaError("expected a date")
    return v


def _fmt(v: Any) -> str:
    """Notion's `format()`: how a value prints inside a string."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, FDate):
        return v.iso()
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _is_empty(v: Any) -> bool:
    return v is None or v == "" or v == [] or (isinstance(v, float) and math.isnan(v))


def _add_months(d: datetime, months: int) -> datetime:
    month0 = d.month - 1 + months
    year = d.year + month0 // 12
    month = month0 % 12 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return d.replace(year=year, month=month, day=day)


_UNITS = {
    "years": "years", "year": "years", "quarters": "quarters", "quarter": "quarters",
    "months": "months", "month": "months", "weeks": "weeks", "week": "weeks",
    "days": "days", "day": "days", "hours": "hours", "hour": "hours",
    "minutes": "minutes", "minute": "minutes", "seconds": "seconds", "second": "seconds",
    "milliseconds": "milliseconds", "millisecond": "milliseconds",
}  # fmt: skip


def _date_add(d: Any, n: Any, unit: Any) -> FDate | None:
    if d is None or n is None:
        return None
    fd, amount = _date(d), int(_num(n))
    u = _UNITS.get(str(unit))
    if u is None:
        raise FormulaError(f"unknown unit {unit!r}")
    if u == "years":
        return FDate(_add_months(fd.dt, 12 * amount), fd.has_time)
    if u == "quarters":
        return FDate(_add_months(fd.dt, 3 * amount), fd.has_time)
    if u == "months":
        return FDate(_add_months(fd.dt, amount), fd.has_time)
    delta = timedelta(**{u: amount})
    return FDate(fd.dt + delta, fd.has_time or u in {"hours", "minutes", "seconds", "milliseconds"})


def _date_between(a: Any, b: Any, unit: Any) -> float | None:
    if a is None or b is None:
        return None
    da, db = _date(a).dt, _date(b).dt
    u = _UNITS.get(str(unit))
    if u is None:
        raise FormulaError(f"unknown unit {unit!r}")
    if u in {"years", "quarters", "months"}:
        months = (da.year - db.year) * 12 + (da.month - db.month)
        # a partial month does not count, as in Notion
        if months > 0 and (da.day, da.time()) < (db.day, db.time()):
            months -= 1
        elif months < 0 and (da.day, da.time()) > (db.day, db.time()):
            months += 1
        return float({"years": int(months / 12), "quarters": int(months / 3)}.get(u, months))
    seconds = (da - db).total_seconds()
    per = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1,
           "milliseconds": 0.001}[u]  # fmt: skip
    return float(int(seconds / per))


def _round(x: Any, places: Any = 0.0) -> float | None:
    if x is None:
        return None
    p = int(_num(places))
    factor = 10.0**p
    # half away from zero, as in JavaScript for positive numbers and Notion generally
    return math.floor(_num(x) * factor + 0.5) / factor


def _to_number(v: Any) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, FDate):
        return float(int(v.dt.timestamp() * 1000))
    try:
        return float(str(v).strip())
    except ValueError:
        return None


def _parse_date(v: Any) -> FDate | None:
    if v is None or v == "":
        return None
    s = str(v)
    try:
        if len(s) == 10:
            return FDate(datetime.combine(date.fromisoformat(s), datetime.min.time(), UTC), False)
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return FDate(dt if dt.tzinfo else dt.replace(tzinfo=UTC), True)


def _join(lst: Any, sep: Any = ", ") -> str:
    items = lst if isinstance(lst, list) else [lst]
    return str(sep).join(_fmt(x) for x in items)


def _slice(s: Any, start: Any, end: Any = None) -> Any:
    if s is None:
        return None
    a = int(_num(start))
    b = None if end is None else int(_num(end))
    return s[a:b] if isinstance(s, str | list) else _fmt(s)[a:b]


def _length(v: Any) -> float:
    if v is None:
        return 0.0
    if isinstance(v, list | str):
        return float(len(v))
    return float(len(_fmt(v)))


def _minmax(pick: Callable[..., Any]) -> Callable[..., Any]:
    def f(*args: Any) -> Any:
        flat: list[Any] = []
        for a in args:
            flat.extend(a if isinstance(a, list) else [a])
        nums = [_num(x) for x in flat if x is not None]
        return pick(nums) if nums else None

    return f


def _sum(*args: Any) -> float:
    total = 0.0
    for a in args:
        for x in a if isinstance(a, list) else [a]:
            if x is not None:
                total += _num(x)
    return total


def _num1(fn: Callable[[float], float]) -> Callable[[Any], float | None]:
    return lambda x: None if x is None else float(fn(_num(x)))


def _date_part(fn: Callable[[datetime], int]) -> Callable[[Any], float | None]:
    return lambda d: None if d is None else float(fn(_date(d).dt))


def _contains(haystack: Any, needle: Any) -> bool:
    if haystack is None:
        return False
    if isinstance(haystack, list):
        return any(_fmt(x) == _fmt(needle) for x in haystack)
    return _fmt(needle) in _fmt(haystack)


def _replace(s: Any, pattern: Any, repl: Any, count: int) -> str:
    try:
        return re.sub(_fmt(pattern), _fmt(repl), _fmt(s), count=count)
    except re.error as exc:
        raise FormulaError(str(exc)) from exc


def _test(s: Any, pattern: Any) -> bool:
    try:
        return re.search(_fmt(pattern), _fmt(s)) is not None
    except re.error as exc:
        raise FormulaError(str(exc)) from exc


def _format_date(d: Any, fmt: Any = "MMMM D, YYYY") -> str | None:
    if d is None:
        return None
    dt = _date(d).dt
    # the common moment.js tokens; longest first so MMMM wins over MM
    tokens = {"YYYY": "%Y", "YY": "%y", "MMMM": "%B", "MMM": "%b", "MM": "%m", "M": "_M",
              "DD": "%d", "D": "_D", "dddd": "%A", "ddd": "%a", "HH": "%H", "H": "_H",
              "hh": "%I", "h": "_h", "mm": "%M", "ss": "%S", "A": "%p"}  # fmt: skip
    pattern = re.compile("|".join(sorted(map(re.escape, tokens), key=len, reverse=True)))
    out = pattern.sub(lambda m: tokens[m.group(0)], str(fmt))
    out = dt.strftime(out)
    return (
        out.replace("_M", str(dt.month))
        .replace("_D", str(dt.day))
        .replace("_H", str(dt.hour))
        .replace("_h", str(dt.hour % 12 or 12))
    )


# name -> (implementation, (min args, max args or None), static result type or None)
# Lazy functions (if/and/or/ifs/empty) are evaluated specially in Formula._eval.
_FUNCTIONS: dict[str, tuple[Callable[..., Any] | None, tuple[int, int | None], str | None]] = {
    "if": (None, (3, 3), None),
    "ifs": (None, (3, None), None),
    "and": (None, (1, None), "boolean"),
    "or": (None, (1, None), "boolean"),
    "not": (lambda x: not bool(x), (1, 1), "boolean"),
    "empty": (_is_empty, (1, 1), "boolean"),
    "concat": (lambda *a: (
        [y for x in a for y in (x if isinstance(x, list) else [x])]
        if a and all(isinstance(x, list) for x in a) else "".join(_fmt(x) for x in a)
    ), (1, None), "string"),
    "join": (_join, (1, 2), "string"),
    "length": (_length, (1, 1), "number"),
    "format": (_fmt, (1, 1), "string"),
    "toNumber": (_to_number, (1, 1), "number"),
    "parseDate": (_parse_date, (1, 1), "date"),
    "contains": (_contains, (2, 2), "boolean"),
    "test": (_test, (2, 2), "boolean"),
    "replace": (lambda s, p, r: _replace(s, p, r, 1), (3, 3), "string"),
    "replaceAll": (lambda s, p, r: _replace(s, p, r, 0), (3, 3), "string"),
    "lower": (lambda s: _fmt(s).lower(), (1, 1), "string"),
    "upper": (lambda s: _fmt(s).upper(), (1, 1), "string"),
    "trim": (lambda s: _fmt(s).strip(), (1, 1), "string"),
    "slice": (_slice, (2, 3), None),
    "substring": (_slice, (2, 3), "string"),
    "abs": (_num1(abs), (1, 1), "number"),
    "ceil": (_num1(math.ceil), (1, 1), "number"),
    "floor": (_num1(math.floor), (1, 1), "number"),
    "sqrt": (_num1(math.sqrt), (1, 1), "number"),
    "sign": (_num1(lambda x: (x > 0) - (x < 0)), (1, 1), "number"),
    "round": (_round, (1, 2), "number"),
    "min": (_minmax(min), (1, None), "number"),
    "max": (_minmax(max), (1, None), "number"),
    "sum": (_sum, (1, None), "number"),
    "now": (None, (0, 0), "date"),
    "today": (None, (0, 0), "date"),
    "dateAdd": (_date_add, (3, 3), "date"),
    "dateSubtract": (
        lambda d, n, u: _date_add(d, None if n is None else -_num(n), u), (3, 3), "date"),
    "dateBetween": (_date_between, (3, 3), "number"),
    "dateStart": (lambda d: d, (1, 1), "date"),
    "dateEnd": (lambda d: d, (1, 1), "date"),
    "formatDate": (_format_date, (1, 2), "string"),
    "year": (_date_part(lambda d: d.year), (1, 1), "number"),
    "month": (_date_part(lambda d: d.month), (1, 1), "number"),
    "date": (_date_part(lambda d: d.day), (1, 1), "number"),
    "day": (_date_part(lambda d: d.isoweekday() % 7), (1, 1), "number"),
    "hour": (_date_part(lambda d: d.hour), (1, 1), "number"),
    "minute": (_date_part(lambda d: d.minute), (1, 1), "number"),
    "timestamp": (lambda d: None if d is None else _to_number(_date(d)), (1, 1), "number"),
    "toString": (_fmt, (1, 1), "string"),
}  # fmt: skip


# --- evaluation --------------------------------------------------------------

PropResolver = Callable[[str, bool], Any]
"""(name-or-id, by_id) -> formula value of that property on the current page."""


@dataclass(frozen=True)
class Formula:
    """A parsed expression. Evaluate with a property resolver and a clock."""

    source: str
    ast: tuple

    def references(self) -> list[tuple[str, bool]]:
        """Every property reference as (name or id, is_id), in source order."""
        found: list[tuple[str, bool]] = []

        def walk(node: Any) -> None:
            if not isinstance(node, tuple):
                return
            if node[0] == "prop":
                found.append((node[1], False))
            elif node[0] == "propid":
                found.append((node[1], True))
            else:
                for child in node[1:]:
                    if isinstance(child, tuple):
                        walk(child)

        walk(self.ast)
        return found

    def evaluate(self, resolve: PropResolver, now: datetime) -> Any:
        """The raw result; raises FormulaError on a runtime type error."""
        return _Evaluator(resolve, now).eval(self.ast)

    def static_type(self, prop_type: Callable[[str, bool], str | None]) -> str:
        """Best-effort result type ("string"/"number"/"boolean"/"date") for empty results."""
        return _infer(self.ast, prop_type) or "string"


def parse_formula(expression: str) -> Formula:
    """Parse, raising FormulaSyntaxError with a short reason."""
    if not isinstance(expression, str) or not expression.strip():
        raise FormulaSyntaxError("Formula expression is empty.")
    return Formula(expression, _Parser(expression).parse())


class _Evaluator:
    def __init__(self, resolve: PropResolver, now: datetime) -> None:
        self.resolve = resolve
        self.now = now

    def eval(self, node: tuple) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "prop":
            return self.resolve(node[1], False)
        if kind == "propid":
            return self.resolve(node[1], True)
        if kind == "if":
            return self.eval(node[2]) if _truthy(self.eval(node[1])) else self.eval(node[3])
        if kind == "un":
            v = self.eval(node[2])
            if node[1] == "not":
                return not _truthy(v)
            return None if v is None else -_num(v)
        if kind == "bin":
            return self._binary(node[1], node[2], node[3])
        if kind == "call":
            return self._call(node[1], node[2])
        raise FormulaError(f"bad node {kind}")  # pragma: no cover - parser never emits it

    def _binary(self, op: str, left: tuple, right: tuple) -> Any:
        if op == "and":
            return _truthy(self.eval(left)) and _truthy(self.eval(right))
        if op == "or":
            return _truthy(self.eval(left)) or _truthy(self.eval(right))
        a, b = self.eval(left), self.eval(right)
        if op == "==":
            return _eq(a, b)
        if op == "!=":
            return not _eq(a, b)
        if op in {"<", "<=", ">", ">="}:
            return _compare(op, a, b)
        if op == "+" and (isinstance(a, str) or isinstance(b, str)):
            return _fmt(a) + _fmt(b)
        if a is None or b is None:
            return None
        if op == "+" and isinstance(a, FDate):
            raise FormulaError("use dateAdd() to add to a date")
        x, y = _num(a), _num(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            if y == 0:
                raise FormulaError("division by zero")
            return x / y
        if op == "%":
            if y == 0:
                raise FormulaError("division by zero")
            return math.fmod(x, y)
        if op == "^":
            try:
                return float(x**y)
            except (OverflowError, ZeroDivisionError) as exc:
                raise FormulaError(str(exc)) from exc
        raise FormulaError(f"unknown operator {op}")  # pragma: no cover

    def _call(self, name: str, args: tuple) -> Any:
        if name == "if":
            return self.eval(args[1]) if _truthy(self.eval(args[0])) else self.eval(args[2])
        if name == "ifs":
            pairs = list(args)
            while len(pairs) >= 2:
                cond, val, *pairs = pairs
                if _truthy(self.eval(cond)):
                    return self.eval(val)
            return self.eval(pairs[0]) if pairs else None
        if name == "and":
            return all(_truthy(self.eval(a)) for a in args)
        if name == "or":
            return any(_truthy(self.eval(a)) for a in args)
        if name == "now":
            return FDate(self.now, True)
        if name == "today":
            return FDate(datetime.combine(self.now.date(), datetime.min.time(), UTC), False)
        fn = _FUNCTIONS[name][0]
        assert fn is not None
        values = [self.eval(a) for a in args]
        try:
            return fn(*values)
        except (TypeError, ValueError, OverflowError) as exc:
            raise FormulaError(str(exc)) from exc


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v != ""
    if isinstance(v, list):
        return bool(v)
    return bool(v)


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, FDate) and isinstance(b, FDate):
        return a.dt == b.dt
    return a == b


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    if isinstance(a, FDate) and isinstance(b, FDate):
        x, y = a.dt, b.dt
    elif isinstance(a, str) and isinstance(b, str):
        x, y = a, b
    else:
        x, y = _num(a), _num(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]  # type: ignore[operator]


_PROP_FORMULA_TYPE = {
    "number": "number", "checkbox": "boolean", "date": "date", "created_time": "date",
    "last_edited_time": "date", "unique_id": "number", "title": "string", "rich_text": "string",
    "url": "string", "email": "string", "phone_number": "string", "select": "string",
    "status": "string",
}  # fmt: skip


def _infer(node: tuple, prop_type: Callable[[str, bool], str | None]) -> str | None:
    kind = node[0]
    if kind == "lit":
        v = node[1]
        if isinstance(v, bool):
            return "boolean"
        return "number" if isinstance(v, int | float) else "string"
    if kind in {"prop", "propid"}:
        t = prop_type(node[1], kind == "propid")
        return _PROP_FORMULA_TYPE.get(t or "", t if t in {"string", "number", "boolean", "date"}
                                      else None)
    if kind == "if":
        return _infer(node[2], prop_type) or _infer(node[3], prop_type)
    if kind == "un":
        return "boolean" if node[1] == "not" else "number"
    if kind == "bin":
        op = node[1]
        if op in {"and", "or", "==", "!=", "<", "<=", ">", ">="}:
            return "boolean"
        if op == "+":
            types = {_infer(node[2], prop_type), _infer(node[3], prop_type)}
            return "string" if "string" in types else "number"
        return "number"
    if kind == "call":
        name, args = node[1], node[2]
        if name in {"if", "ifs"}:
            branches = [args[i] for i in range(1, len(args), 2)] + (
                [args[-1]] if len(args) % 2 == 1 and name == "ifs" else []
            )
            if name == "if":
                branches = [args[1], args[2]]
            for b in branches:
                t = _infer(b, prop_type)
                if t:
                    return t
            return None
        if name in {"slice", "dateStart", "dateEnd"}:
            return _infer(args[0], prop_type)
        return _FUNCTIONS[name][2]
    return None
