"""How each guarantee's variances net into what is owed, as rows a dashboard can add up (calculations.md 3).

`offset_groups`: one row per netting group of the AWP and fee guarantees, so the formula's shortfall is the sum
of the rows' shortfalls, with the contract's offset rule in words beside it. `rebate_totals`: the rebate's
variance_total − received_other = shortfall, naming the channels received_other came from (the run's lineage
`rebates_received_other`, when the run recorded it).
"""
from __future__ import annotations

from kernel.sufficiency import AWP, FEE, REBATE
from kernel.words import FLOOR_RULE, OFFSET_RULES, REBATE_OFFSET_RULE
from services.publisher.domain.dashboard_table import FORMULA_COLUMNS, SCOPE_COLUMNS, Table, formula_context
from services.publisher.domain.netting_view import GROUP_OF
from services.publisher.domain.run_context import RunContext

NETTED = (AWP, FEE)
GROUP_COLUMNS = ("offset", "offset_rule", "group", "variance", "shortfall")
REBATE_TOTAL_COLUMNS = ("variance_total", "received_other", "shortfall", "received_other_channels", "offset_rule")


def offset_rule(offset: str) -> str:
    return f"{OFFSET_RULES.get(offset, offset)} {FLOOR_RULE}"


def offset_groups(context: RunContext, scope: dict) -> Table:
    """A blocked guarantee has no groups (its offset_groups is null): it contributes no row."""
    rows = tuple({**formula_context(scope, f), "offset": f["offset"], "offset_rule": offset_rule(f["offset"]),
                  "group": g["group"], "variance": g["variance"], "shortfall": g["shortfall"]}
                 for f in context.formulas if f["id"] in NETTED for g in f.get("offset_groups") or ())
    return Table("offset_groups", (*SCOPE_COLUMNS, *FORMULA_COLUMNS, *GROUP_COLUMNS), rows)


def rebate_totals(context: RunContext, scope: dict) -> Table:
    rebate = context.formula(REBATE)
    rows: tuple[dict, ...] = ()
    if rebate is not None:
        rows = ({**formula_context(scope, rebate), "variance_total": rebate.get("variance_total"),
                 "received_other": rebate.get("received_other"), "shortfall": rebate.get("shortfall"),
                 "received_other_channels": received_other_channels(context.lineage),
                 "offset_rule": REBATE_OFFSET_RULE},)
    return Table("rebate_totals", (*SCOPE_COLUMNS, *FORMULA_COLUMNS, *REBATE_TOTAL_COLUMNS), rows)


def received_other_channels(lineage: dict) -> str | None:
    """"SPECIALTY" (";" between several), in the lineage's order; None when the run did not record them."""
    received = lineage.get("rebates_received_other")
    if received is None:
        return None
    return ";".join(str(r["channel"]) for r in received)


def group_of(offset: str, channel: str, brand_generic: str) -> str | None:
    """The netting group a bucket belongs to, named as the result names it; None for an offset this code does not know."""
    rule = GROUP_OF.get(offset)
    return None if rule is None else rule(channel, brand_generic)
