"""A Beast Mode translated into a DuckDB expression over silver columns, or the reason it cannot be."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp

from services.takeover.domain.beast_modes.dates import DateRuleError, rewrite_dates
from services.takeover.domain.beast_modes.parse import parse, resolve_column
from services.takeover.domain.beast_modes.supported import unsupported_reason
from services.takeover.domain.beast_modes.text import BeastModeSyntaxError

DIVISION_FLAG = "division_by_zero_gives_null"  # Domo's grammar leaves `a / b` unguarded
AGGREGATES = (exp.Sum, exp.Count, exp.Avg, exp.Min, exp.Max)


@dataclass(frozen=True)
class Column:
    """A dataset column as silver holds it: the Parquet column name and the Domo type it came from."""

    silver: str
    domo_type: str


@dataclass(frozen=True)
class Translation:
    """What replay runs for one Beast Mode; `reason` set (and `sql` None) when it cannot be translated."""

    original: str  # the text as Domo holds it, kept for lineage
    sql: str | None
    aggregated: bool
    flags: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def translated(self) -> bool:
        return self.reason is None


def translate(expression: str, columns: Mapping[str, Column]) -> Translation:
    """Translate one Beast Mode (MySQL-flavoured) into DuckDB SQL; never guesses: an unknown construct is a reason."""
    try:
        tree = parse(expression).tree
    except BeastModeSyntaxError as error:
        return Translation(expression, None, False, reason=f"unparseable: {error}")
    try:
        tree = _rename_columns(tree, columns)
        aggregated = _is_aggregated(tree)
        reason = unsupported_reason(tree)
        if reason:
            return Translation(expression, None, aggregated, reason=reason)
        tree = rewrite_dates(tree, columns)
    except (_Untranslatable, DateRuleError) as error:
        return Translation(expression, None, False, reason=str(error))
    tree, divides = _guard_divisions(tree)
    return Translation(expression, tree.sql(dialect="duckdb"), aggregated, (DIVISION_FLAG,) if divides else ())


class _Untranslatable(ValueError):
    pass


def _rename_columns(tree: exp.Expr, columns: Mapping[str, Column]) -> exp.Expr:
    def rename(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Column):
            return node
        name = ".".join(part.name for part in node.parts)
        quoted = any(part.args.get("quoted") for part in node.parts)
        found = resolve_column(name, quoted, columns)
        if found is None:
            raise _Untranslatable(f"unknown_column: {name}")
        renamed = exp.column(columns[found].silver, quoted=True)
        renamed.meta["domo_type"] = columns[found].domo_type
        return renamed

    return tree.transform(rename)


def _is_aggregated(tree: exp.Expr) -> bool:
    """Aggregated when it holds an aggregate; then every column must sit inside one (no row value leaks out)."""
    aggregates = list(tree.find_all(*AGGREGATES))
    if not aggregates:
        return False
    for aggregate in aggregates:
        if aggregate.find_ancestor(*AGGREGATES) is not None:
            raise _Untranslatable("nested_aggregate: an aggregate inside an aggregate")
    for column in tree.find_all(exp.Column):
        if column.find_ancestor(*AGGREGATES) is None:
            raise _Untranslatable(f"mixed_aggregation: column {column.name} outside any aggregate in an aggregated Beast Mode")
    return True


def _guard_divisions(tree: exp.Expr) -> tuple[exp.Expr, bool]:
    """`a / b` (and DIV, MOD) gives NULL when b = 0, as in Domo, instead of DuckDB's division-by-zero error."""
    divides = False

    def guard(node: exp.Expr) -> exp.Expr:
        nonlocal divides
        if isinstance(node, exp.Div | exp.IntDiv | exp.Mod):
            divides = True
            denominator = node.expression
            node.set("safe", False)  # sqlglot would add its own NULLIF for / and %; say it once, here
            node.set("expression", exp.Nullif(this=denominator, expression=exp.Literal.number(0)))
        return node

    return tree.transform(guard), divides
