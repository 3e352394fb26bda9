"""Dashboard-safe tables of one run: tidy rows, each carrying run_id, the scope fields and scope_hash.

No member-level field ever appears; the finest date is the scope's own window. Every table is produced for
every run, empty when the run has nothing for it (no proposal, a blocked guarantee): Domo keeps the latest run
of each scope, and an empty table is what clears the scope's rows of an earlier run that had them.
docs/dashboards.md lists the tables and their columns.
"""
from __future__ import annotations

from kernel.sufficiency import AWP, FEE, GDR, REBATE, REPRICING
from services.publisher.domain.dashboard_findings import suspect_channel, unguaranteed_buckets
from services.publisher.domain.dashboard_netting import offset_groups, rebate_totals
from services.publisher.domain.dashboard_run import formula_status, run_summary
from services.publisher.domain.dashboard_table import (
    FORMULA_COLUMNS,
    SCOPE_COLUMNS,
    Table,
    formula_context,
    scope_context,
    to_csv,
)
from services.publisher.domain.run_context import RunContext

__all__ = ["SCOPE_COLUMNS", "Table", "dashboard_tables", "to_csv"]

# calculations.md 5, plus `members` on every bucket table: the rebate and repricing results carry no member
# count, so it comes from the run's claim findings, for small-cell suppression to judge those rows too.
BUCKET_COLUMNS = {
    AWP: ("channel", "brand_generic", "claims", "members", "awp", "ingredient_cost", "actual_discount",
          "guaranteed_discount", "guaranteed_cost", "variance"),
    FEE: ("channel", "brand_generic", "claims", "members", "fees", "dispensing_fee", "guaranteed_fees", "variance"),
    REBATE: ("channel", "brand_generic", "brand_claims", "members", "rebate_per_claim", "guaranteed", "received",
             "variance"),
    REPRICING: ("channel", "brand_generic", "claims", "members", "current_cost", "proposed_cost", "savings"),
}
GDR_COLUMNS = ("claims", "generic_claims", "gdr")
TOTAL_FIELDS = ("shortfall", "received_other", "total_savings", "claims", "generic_claims", "gdr")


def dashboard_tables(context: RunContext) -> list[Table]:
    """The run summary, each formula's status, its buckets, the GDR, the netting, the findings and the totals."""
    scope = scope_context(context)
    return [run_summary(context, scope), formula_status(context, scope),
            _buckets(context, scope, AWP), _buckets(context, scope, FEE), _buckets(context, scope, REBATE),
            _generic_dispensing_rate(context, scope), _buckets(context, scope, REPRICING),
            offset_groups(context, scope), rebate_totals(context, scope),
            unguaranteed_buckets(context, scope), suspect_channel(context, scope), _totals(context, scope)]


def _buckets(context: RunContext, scope: dict, formula_id: str) -> Table:
    measures = list(BUCKET_COLUMNS[formula_id])
    formula = context.formula(formula_id)
    if formula is None:
        return Table(formula_id, (*SCOPE_COLUMNS, *FORMULA_COLUMNS, *measures), ())
    for bucket in formula["buckets"]:  # a field calc adds later is published too, after the documented ones
        measures += [k for k in bucket if k not in measures]
    members = _eligible_members(context, formula_id)
    rows = tuple({**formula_context(scope, formula), **{k: b.get(k) for k in measures},
                  "members": b["members"] if "members" in b else members.get((b["channel"], b["brand_generic"]))}
                 for b in formula["buckets"])
    return Table(formula_id, (*SCOPE_COLUMNS, *FORMULA_COLUMNS, *measures), rows)


def _eligible_members(context: RunContext, formula_id: str) -> dict[tuple[str, str], int]:
    """Distinct members per bucket of the formula's eligible claims; a bucket missing here is hidden (fail closed)."""
    return dict(context.findings.eligible_members.get(formula_id, {})) if context.findings else {}


def _generic_dispensing_rate(context: RunContext, scope: dict) -> Table:
    formula = context.formula(GDR)
    rows = ({**formula_context(scope, formula), **{k: formula.get(k) for k in GDR_COLUMNS}},) if formula else ()
    return Table(GDR, (*SCOPE_COLUMNS, *FORMULA_COLUMNS, *GDR_COLUMNS), rows)


def _totals(context: RunContext, scope: dict) -> Table:
    rows = tuple({**formula_context(scope, f), **{k: f.get(k) for k in TOTAL_FIELDS}} for f in context.formulas)
    return Table("formula_totals", (*SCOPE_COLUMNS, *FORMULA_COLUMNS, *TOTAL_FIELDS), rows)
