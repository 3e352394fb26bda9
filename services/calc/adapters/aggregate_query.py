"""The one definition of the aggregate SQL (SQLAlchemy Core): scope, reversal netting and exact sums in the store.

Portable on purpose (DuckDB, PostgreSQL, SQL Server): CASE instead of FILTER, no subquery inside an
aggregate, exact DECIMAL throughout. Reversal netting follows registry decision `reversal_match`: a PAID
claim is reversed when any in-scope REVERSAL names it; every other in-scope REVERSAL is an orphan.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa

from kernel.scope import Scope
from services.calc.adapters.claims_schema import Snapshot
from services.calc.domain.aggregates import ClaimsFacts, ClassTotals, MemberMask, Totals, Traits
from services.calc.domain.claim_lines import CLAIM_LINE_COLUMNS, ClaimLine, at_places
from services.calc.domain.claims import PAID, REVERSAL, Reject
from services.calc.domain.pipeline import SUSPECT_CHANNEL, SUSPECT_MIN_DAYS

_ONE, _ZERO = sa.literal_column("1"), sa.literal_column("0")
# A constant, never a bind: DuckDB keeps ROUND(DECIMAL, n) exact only for a constant n.
_CENTS = sa.literal_column("2")
# Wide enough that price (5 places) × quantity (3 places) stays an exact DECIMAL(37/38, 8) on every engine.
_PRICE = sa.Numeric(19, 5)
_LINE_COLUMNS = tuple(name for name in CLAIM_LINE_COLUMNS if name != "awp_ext")
_AGGREGATE_COLUMNS = ("channel", "brand_generic", "member_id", "basis_of_cost", "compound", "days_supply", "quantity",
                      "awp_unit_price", "ingredient_cost_paid", "dispensing_fee_paid")


@dataclass(frozen=True)
class AggregateQueries:
    counts: sa.Select    # in-scope rows, in-scope reversals, reversed pairs
    classes: sa.Select   # netted claims grouped by claim class
    members: sa.Select | None  # distinct members per bucket, one column per mask


def _flag(condition) -> sa.Case:
    return sa.case((condition, _ONE), else_=_ZERO)


def scoped_and_marked(claims: sa.Table, scope: Scope, snapshot_id: str | None, columns: Sequence[str]) -> sa.CTE:
    """The scope filter and reversal marking every claim-level statement starts from (pipeline steps 2–3).

    `columns` are what the caller reads on; the netting columns come along. snapshot_id filters a shared
    table (the embedded store has one table per snapshot).
    """
    picked = dict.fromkeys(("claim_id", "claim_status", "reverses_claim_id", *columns))
    scoped = sa.select(*(claims.c[name] for name in picked)).where(*_in_scope(claims, scope, snapshot_id)).cte("scoped")
    # The reversals are read from the table under the same filter, not from `scoped`: a CTE read twice is
    # materialized (DuckDB and PostgreSQL copy the scope's rows once more per statement), one read once is inlined.
    reversal = claims.alias("reversal")
    named = sa.exists().where(*_in_scope(reversal, scope, snapshot_id), reversal.c.claim_status == REVERSAL,
                              reversal.c.reverses_claim_id == scoped.c.claim_id)
    return sa.select(scoped, _flag(named).label("reversed")).cte("marked")


def _in_scope(claims: sa.FromClause, scope: Scope, snapshot_id: str | None) -> list[sa.ColumnElement]:
    """The scope filter (pipeline step 2) over `claims`."""
    c = claims.c
    where = [c.client_id == scope.client_id, c.pbm_id == scope.pbm_id,
             c.fill_date.between(scope.date_from, scope.date_to)]
    if snapshot_id is not None:
        where.append(c.snapshot_id == snapshot_id)
    if scope.tpa_id is not None:
        where.append(c.tpa_id == scope.tpa_id)
    if scope.group_ids:
        where.append(c.group_id.in_(scope.group_ids))
    return where


def _awp_ext(m) -> sa.ColumnElement:
    """round2(awp_unit_price × quantity) per claim, before any summing."""
    return sa.func.round(sa.cast(m.awp_unit_price, _PRICE) * m.quantity, _CENTS)


def _is_netted(m) -> sa.ColumnElement:
    return sa.and_(m.claim_status == PAID, m.reversed == _ZERO)


def aggregate_queries(claims: sa.Table, scope: Scope, masks: Sequence[MemberMask],
                      snapshot_id: str | None = None) -> AggregateQueries:
    """The statements over `claims`; snapshot_id filters a shared table (the embedded store has one per snapshot)."""
    marked = scoped_and_marked(claims, scope, snapshot_id, _AGGREGATE_COLUMNS)
    m = marked.c
    counts = sa.select(sa.func.count(), sa.func.sum(_flag(m.claim_status == REVERSAL)),
                       sa.func.sum(_flag(sa.and_(m.claim_status == PAID, m.reversed == _ONE)))).select_from(marked)
    netted = sa.select(
        m.channel, m.brand_generic,
        _flag(m.basis_of_cost == "UC").label("uc"),
        _flag(m.compound == sa.true()).label("compound"),
        _flag(m.awp_unit_price == _ZERO).label("zero_awp"),
        _flag(sa.and_(m.channel == SUSPECT_CHANNEL, m.days_supply >= SUSPECT_MIN_DAYS)).label("suspect"),
        # The embedded store reads an empty member_id back as NULL; it still counts as one value.
        sa.func.coalesce(m.member_id, "").label("member_id"),
        _awp_ext(m).label("awp_ext"),
        m.ingredient_cost_paid, m.dispensing_fee_paid,
    ).where(_is_netted(m)).cte("netted")
    n = netted.c
    keys = (n.channel, n.brand_generic, n.uc, n.compound, n.zero_awp)
    classes = sa.select(*keys, sa.func.count(), sa.func.sum(n.awp_ext), sa.func.sum(n.ingredient_cost_paid),
                        sa.func.sum(n.dispensing_fee_paid), sa.func.sum(n.suspect)).group_by(*keys)
    members = None
    if masks:
        # Distinct members counted in two steps: one grouping by member for every mask at once (a COUNT DISTINCT
        # per mask grouped the netted claims once per mask), then the members eligible under each mask.
        per_member = sa.select(n.channel, n.brand_generic, n.member_id, *(
            sa.func.max(_eligible(n, mask)).label(f"mask_{i}") for i, mask in enumerate(masks))
        ).group_by(n.channel, n.brand_generic, n.member_id).subquery("per_member")
        p = per_member.c
        members = sa.select(p.channel, p.brand_generic, *(sa.func.sum(p[f"mask_{i}"]) for i in range(len(masks)))
                            ).group_by(p.channel, p.brand_generic)
    return AggregateQueries(counts, classes, members)


def netted_claims_query(claims: sa.Table, scope: Scope, snapshot_id: str | None = None) -> sa.Select:
    """The scope's netted claims in row order, with awp_ext computed exactly as the aggregates compute it."""
    m = scoped_and_marked(claims, scope, snapshot_id, _LINE_COLUMNS).c
    # The embedded store reads an empty text value back as NULL; the claim wrote it as ''.
    text = {name: sa.func.coalesce(m[name], "").label(name) for name in ("member_id", "drug_name")}
    picked = [_awp_ext(m).label(name) if name == "awp_ext" else text.get(name, m.get(name))
              for name in CLAIM_LINE_COLUMNS]
    return sa.select(*picked).where(_is_netted(m)).order_by(m.row)


def claim_line(values: Sequence) -> ClaimLine:
    """A netted-claims row as the domain's ClaimLine; engines differ in int and bool types, never in digits."""
    line = ClaimLine(*values)
    return at_places(replace(line, row=int(line.row), days_supply=int(line.days_supply), compound=bool(line.compound)))


def _eligible(n, mask: MemberMask) -> sa.ColumnElement:
    """1 where a netted claim is eligible under `mask` (none of its reasons excludes it), else 0."""
    excluding = [flag == _ZERO for flag, on in ((n.uc, mask.uc), (n.compound, mask.compound),
                                                (n.zero_awp, mask.zero_awp)) if on]
    return _flag(sa.and_(*excluding)) if excluding else _ONE


Run = Callable[[sa.Select], Sequence[Sequence]]


def collect_facts(snapshot: Snapshot, rejects: Iterable[Reject], queries: AggregateQueries,
                  masks: Sequence[MemberMask], run: Run) -> ClaimsFacts:
    """Run the statements through the store's `run` and assemble the facts, exactly as the Python path would."""
    in_scope, reversals, reversed_pairs = run(queries.counts)[0]
    # Engines return exact Decimal for DECIMAL sums (never float); only the collation-free order is Python's.
    classes = sorted((ClassTotals(Traits(channel, drug_type, bool(uc), bool(compound), bool(zero_awp)),
                                  Totals(int(claims), awp, ingredient, fee), int(suspect))
                      for channel, drug_type, uc, compound, zero_awp, claims, awp, ingredient, fee, suspect
                      in run(queries.classes)), key=lambda k: k.traits)
    members = {}
    for channel, drug_type, *counts in (run(queries.members) if queries.members is not None else ()):
        # A SUM of 0/1 flags: an int or an integral Decimal, by engine.
        members.update({(mask, (channel, drug_type)): int(count) for mask, count in zip(masks, counts) if count})
    # SUM over no rows is NULL.
    reversals, reversed_pairs = int(reversals or 0), int(reversed_pairs or 0)
    return ClaimsFacts(snapshot.claims_sha256, snapshot.rows_read, snapshot.rows_valid,
                       tuple(sorted(rejects, key=lambda r: r.row)), int(in_scope), reversed_pairs,
                       reversals - reversed_pairs, tuple(classes), dict(sorted(members.items())))
