"""Domo card filters as SQL predicates over silver columns, literals typed by the column's Domo type."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from services.takeover.domain.beast_modes.parse import resolve_column
from services.takeover.domain.beast_modes.translate import Column

_COMPARISONS: dict[str, type[exp.Binary]] = {
    "EQUALS": exp.EQ, "NOT_EQUALS": exp.NEQ, "GREATER_THAN": exp.GT, "GREATER_THAN_EQUAL": exp.GTE,
    "LESS_THAN": exp.LT, "LESS_THAN_EQUAL": exp.LTE,
}
_TEXT_TESTS = {"CONTAINS": "CONTAINS", "BEGINS_WITH": "STARTS_WITH", "ENDS_WITH": "ENDS_WITH"}
_NULL_TESTS = {"IS_NULL", "IS_NOT_NULL"}


class FilterError(ValueError):
    """A card filter replay cannot state exactly (unknown column or operator, a value of the wrong type)."""


@dataclass(frozen=True)
class CardFilter:
    column: str  # the original Domo column name
    operator: str
    values: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Mapping) -> CardFilter:
        values = data.get("values") or []
        return cls(str(data.get("column", "")), str(data.get("operator", "")).upper(), tuple(str(v) for v in values))


def predicate(card_filter: CardFilter, columns: Mapping[str, Column]) -> exp.Expr:
    """The filter as a DuckDB predicate; FilterError when it cannot be stated exactly."""
    name = resolve_column(card_filter.column, True, columns)
    if name is None:
        raise FilterError(f"unknown_column: filter on {card_filter.column}")
    column = columns[name]
    target = exp.column(column.silver, quoted=True)
    op, values = card_filter.operator, card_filter.values
    if op in _NULL_TESTS:
        is_null = exp.Is(this=target, expression=exp.Null())
        return is_null if op == "IS_NULL" else exp.Not(this=is_null)
    literals = [literal(value, column.domo_type) for value in values]
    if op in ("IN", "NOT_IN"):
        _need(op, literals, at_least=1)
        inside = exp.In(this=target, expressions=literals)
        return inside if op == "IN" else exp.Not(this=inside)
    if op in _COMPARISONS:
        _need(op, literals, exactly=1)
        return _COMPARISONS[op](this=target, expression=literals[0])
    if op == "BETWEEN":
        _need(op, literals, exactly=2)
        return exp.Between(this=target, low=literals[0], high=literals[1])
    if op in _TEXT_TESTS or op == "NOT_CONTAINS":
        _need(op, literals, exactly=1)
        text = exp.Cast(this=target, to=exp.DataType.build("VARCHAR"))
        test = exp.Anonymous(this=_TEXT_TESTS.get(op, "CONTAINS"), expressions=[text, exp.Literal.string(values[0])])
        return exp.Not(this=test) if op == "NOT_CONTAINS" else test
    if op == "LIKE":
        _need(op, literals, exactly=1)
        return exp.Like(this=exp.Cast(this=target, to=exp.DataType.build("VARCHAR")), expression=exp.Literal.string(values[0]))
    raise FilterError(f"unsupported_filter: operator {op or '(none)'} on {card_filter.column}")


def literal(value: str, domo_type: str) -> exp.Expr:
    """A filter value as a literal of the column's type; FilterError when it is not one."""
    try:
        if domo_type == "LONG":
            return exp.Literal.number(int(value))
        if domo_type in ("DECIMAL", "DOUBLE"):
            number = Decimal(value)
            if not number.is_finite():
                raise ValueError(value)
            return exp.Literal.number(format(number, "f"))
        if domo_type == "DATE":
            return exp.Cast(this=exp.Literal.string(dt.date.fromisoformat(value).isoformat()), to=exp.DataType.build("DATE"))
        if domo_type == "DATETIME":
            stamp = dt.datetime.fromisoformat(value).isoformat(sep=" ")
            return exp.Cast(this=exp.Literal.string(stamp), to=exp.DataType.build("TIMESTAMP"))
    except (ValueError, InvalidOperation) as error:
        raise FilterError(f"filter_value: {value!r} is not a {domo_type}") from error
    return exp.Literal.string(value)


def _need(op: str, values: Sequence[exp.Expr], exactly: int | None = None, at_least: int | None = None) -> None:
    if (exactly is not None and len(values) != exactly) or (at_least is not None and len(values) < at_least):
        raise FilterError(f"filter_values: {op} with {len(values)} value(s)")
