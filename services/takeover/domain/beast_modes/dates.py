"""MySQL date semantics that DuckDB spells differently: WEEK modes, DAYOFWEEK, DATE_ADD on dates, DATE_FORMAT."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlglot import exp

_DATE_UNITS = {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}
# strftime specifiers that sqlglot's mapping of MySQL's DATE_FORMAT produces with MySQL's meaning
# (%c → %-m, %e → %-d, %M → %B, %W → %A, %i → %M, %h → %I, %s → %S); anything else is refused.
_STRFTIME_SPECIFIERS = set("YymdbBaAHIMSjp%")
_DOMO_WEEK_MODES = {11, 22}


class DateRuleError(ValueError):
    """A date construct whose MySQL/Domo meaning replay does not reproduce."""


def rewrite_dates(tree: exp.Expr, columns: Mapping[str, Any]) -> exp.Expr:
    """Rewrite the date functions whose DuckDB counterpart would give another value."""
    return rewrite_bottom_up(tree, _rewrite)


def rewrite_bottom_up(tree: exp.Expr, rewrite: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """Apply `rewrite` to every node, children before parents, so a rewritten node's inside is rewritten too."""
    for node in reversed(list(tree.dfs())):
        new = rewrite(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def _rewrite(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Week):
        return _week(node)
    if isinstance(node, exp.DayOfWeek):
        # MySQL: 1 = Sunday … 7 = Saturday; DuckDB: 0 = Sunday … 6 = Saturday.
        return exp.Paren(this=exp.Add(this=node.copy(), expression=exp.Literal.number(1)))
    if isinstance(node, exp.DateAdd | exp.DateSub):
        return _date_arithmetic(node)
    if isinstance(node, exp.TimeToStr):
        _check_format(node)
    return node


def _week(node: exp.Week) -> exp.Expr:
    mode_node = node.args.get("mode")
    mode = int(mode_node.this) if mode_node is not None else 0
    day = node.this.copy()
    if mode in _DOMO_WEEK_MODES:
        raise DateRuleError(
            f"unsupported: WEEK mode {mode} is Domo's own week numbering; its rule is not documented where replay "
            "could read it, so it is not guessed"
        )
    if mode == 0:  # weeks start on Sunday; days before the year's first Sunday are week 0
        return _strftime_int(day, "%U")
    if mode == 5:  # weeks start on Monday; days before the year's first Monday are week 0
        return _strftime_int(day, "%W")
    if mode == 3:  # ISO 8601 week
        return exp.Week(this=day)  # DuckDB's WEEK is the ISO week
    raise DateRuleError(f"unsupported: WEEK mode {mode}")


def _strftime_int(day: exp.Expr, fmt: str) -> exp.Expr:
    text = exp.TimeToStr(this=day, format=exp.Literal.string(fmt))
    return exp.Cast(this=text, to=exp.DataType.build("INT"))


def _date_arithmetic(node: exp.DateAdd | exp.DateSub) -> exp.Expr:
    unit = str(node.args.get("unit") or "DAY").upper()
    operand = node.this
    if isinstance(operand, exp.Column) and operand.meta.get("domo_type") == "DATE" and unit in _DATE_UNITS:
        # MySQL keeps a DATE a DATE; DuckDB's date + interval is a TIMESTAMP.
        return exp.Cast(this=node.copy(), to=exp.DataType.build("DATE"))
    return node


def _check_format(node: exp.TimeToStr) -> None:
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise DateRuleError("unsupported: DATE_FORMAT with a format that is not a literal")
    # sqlglot has already mapped MySQL's specifiers to strftime's; check the original ones survived the mapping.
    for specifier in re.findall(r"%-?(.)", str(fmt.this)):
        if specifier not in _STRFTIME_SPECIFIERS:
            raise DateRuleError(f"unsupported: DATE_FORMAT specifier %{specifier}")
