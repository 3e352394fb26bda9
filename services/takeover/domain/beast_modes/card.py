"""A card's value as one DuckDB query: its first Beast Mode over the card's filtered rows taken as one group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from services.takeover.domain.beast_modes.filters import CardFilter, FilterError, predicate
from services.takeover.domain.beast_modes.translate import Column, Translation

SILVER_VIEW = "silver"  # the name the engine gives the card's silver dataset
_CARD_AGGREGATIONS = {
    "SUM": lambda e: exp.Sum(this=e), "AVG": lambda e: exp.Avg(this=e), "COUNT": lambda e: exp.Count(this=e),
    "COUNT_DISTINCT": lambda e: exp.Count(this=exp.Distinct(expressions=[e])),
    "MIN": lambda e: exp.Min(this=e), "MAX": lambda e: exp.Max(this=e),
}


@dataclass(frozen=True)
class CardQuery:
    sql: str | None
    reason: str | None = None
    flags: tuple[str, ...] = ()


def card_query(
    beast_mode: Translation, aggregation: str | None, filters: Sequence[CardFilter], columns: Mapping[str, Column]
) -> CardQuery:
    """The query replay runs: an aggregated Beast Mode as written, a row-level one under the card's aggregation."""
    if beast_mode.sql is None:
        return CardQuery(None, beast_mode.reason, beast_mode.flags)
    value: exp.Expr = exp.maybe_parse(beast_mode.sql, dialect="duckdb")
    if not beast_mode.aggregated:
        how = (aggregation or "SUM").upper()
        if how not in _CARD_AGGREGATIONS:
            return CardQuery(None, f"unsupported: card aggregation {how}", beast_mode.flags)
        value = _CARD_AGGREGATIONS[how](value)
    try:
        predicates = [predicate(f, columns) for f in filters]
    except FilterError as error:
        return CardQuery(None, str(error), beast_mode.flags)
    query = exp.select(exp.alias_(value, "value")).from_(SILVER_VIEW)
    if predicates:
        query = query.where(exp.and_(*predicates))
    return CardQuery(query.sql(dialect="duckdb"), None, beast_mode.flags)
