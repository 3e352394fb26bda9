"""What the workbook says in words around its figures: the banner heading every sheet of a run that is not final
(calculations.md 4: nothing modeled reads as a final guarantee claim, readiness never shows alone), the Summary's
scope facts, the guarantees each line of its owed block sums, and its pointer to the findings. The workbook
renderer (adapters/workbook/) writes them."""
from __future__ import annotations

from decimal import Decimal

from kernel.sufficiency import BLOCKED, GUARANTEES, MODELED
from kernel.words import FORMULA_SHORT, formula_title
from services.publisher.domain.audit_summary import audit_formulas, owed, status_line
from services.publisher.domain.formula_labels import reasons_text
from services.publisher.domain.report_format import money
from services.publisher.domain.run_context import Names, RunContext


def run_banner(context: RunContext) -> tuple[str, str] | None:
    """("MODELED, not final guarantee claims — 0 of 4 final; …", "modeled"), or None when every audit formula is final."""
    statuses = {f["status"] for f in audit_formulas(context.result)}
    heads = [status.upper() for status in (BLOCKED, MODELED) if status in statuses]
    if not heads:
        return None
    head = " and ".join(heads) + (", not final guarantee claims" if heads == [MODELED.upper()] else "")
    return f"{head} — {status_line(context.result)}", (BLOCKED if BLOCKED in statuses else MODELED)


def scope_facts(context: RunContext) -> list[tuple[str, str]]:
    scope, names = context.scope, context.names
    groups = [Names.label(dict(names.groups).get(g), g) for g in scope["group_ids"]]
    return [("client", context.client_label), ("PBM", context.pbm_label),
            ("TPA", Names.label(names.tpa, scope["tpa_id"]) or "all"), ("groups", "; ".join(groups) or "all"),
            ("audit period", f"{scope['date_from']} to {scope['date_to']}")]


def findings_note(context: RunContext) -> str:
    """The Summary's pointer: how many of each finding, and where they are listed."""
    suspect = counted(context.result["data_quality"]["suspect_channel"], "suspect-channel claim")
    if context.findings is None:
        return f"{suspect}; see the Findings sheet"
    buckets = context.findings.unguaranteed
    spend = sum((b.spend for b in buckets), start=Decimal("0.00"))
    claims = counted(sum(b.claims for b in buckets), "claim")
    return (f"{counted(len(buckets), 'unguaranteed bucket')} ({claims}, {money(spend)} spend) and {suspect}; "
            f"see the Findings sheet")


def owed_guarantees(context: RunContext, status: str) -> str:
    """The guarantees a line of the Summary's owed block sums ("AWP, fees"), or "none"."""
    blocked = owed(context.result).blocked
    return ", ".join(FORMULA_SHORT[f["id"]] for f in context.formulas
                     if f["id"] in GUARANTEES and f["status"] == status and f["id"] not in blocked) or "none"


def blocked_guarantees(context: RunContext) -> str:
    """The owed block's "blocked: no figure" line: each guarantee with no figure and its reasons, or "none"."""
    blocked = owed(context.result).blocked
    return "; ".join(f"{formula_title(f['id'])}: {reasons_text(f)}" for f in context.formulas
                     if f["id"] in GUARANTEES and f["id"] in blocked) or "none"


def counted(n: int, noun: str) -> str:
    """"1 claim", "2,400 claims"."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
