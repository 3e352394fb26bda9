"""What the report's cover says, in words: the scope in a phrase, the findings at a glance, each formula's headline
figure, and the owed figures as sentences (calculations.md 4: readiness is never shown alone, nothing modeled reads as
final). The PDF renderer (adapters/pdf/report_cover.py) lays them out."""
from __future__ import annotations

from decimal import Decimal

from kernel.sufficiency import BLOCKED, GDR, GUARANTEES, REPRICING
from kernel.words import FORMULA_SHORT, bucket_title, formula_title
from services.publisher.domain.audit_summary import owed
from services.publisher.domain.report_format import count, money, percent
from services.publisher.domain.run_context import Names, RunContext

STATUS_MEANING = ("FINAL: the figure rests on governed evidence and settles the guarantee. MODELED: an estimate on "
                  "evidence that does not settle it, never a conclusion. BLOCKED: the evidence is insufficient, so "
                  "no figure is shown.")


def scope_words(context: RunContext) -> str:
    """"whole client", or the partial scope by its TPA's and groups' names."""
    scope, names = context.scope, context.names
    parts = []
    if scope["tpa_id"] is not None:
        parts.append(f"TPA {Names.label(names.tpa, scope['tpa_id'])}")
    if scope["group_ids"]:
        known = dict(names.groups)
        groups = ", ".join(Names.label(known.get(g), g) for g in scope["group_ids"])
        parts.append(f"group{'s' if len(scope['group_ids']) > 1 else ''} {groups}")
    return "partial scope: " + "; ".join(parts) if parts else "whole client"


def at_a_glance(context: RunContext) -> list[str]:
    """One line per finding the Audit findings section details."""
    quality = context.result["data_quality"]
    found = context.findings.unguaranteed if context.findings else ()
    lines = []
    if found:
        claims = sum(b.claims for b in found)
        spend = sum((b.spend for b in found), Decimal("0.00"))
        where = ", ".join(bucket_title(b.channel, b.brand_generic) for b in found)
        lines.append(f"{count(claims)} claims ({money(spend)} spend) fall where the contract gives no guarantee: "
                     f"{where}.")
    left_out = [f"{FORMULA_SHORT[f['id']]} {count(f['excluded']['no_term'])}" for f in context.formulas
                if f.get("excluded", {}).get("no_term")]
    if left_out:
        lines.append(f"Claims left out of a formula for want of a guarantee term: {', '.join(left_out)}.")
    elif not found:
        lines.append("Every claim falls in a channel and drug type the contract guarantees.")
    lines.append(f"{count(quality['suspect_channel'])} retail 30-day claims carry 84 or more days' supply "
                 "(listed for review; no figure is changed).")
    lines.append(f"Data quality: {count(quality['rejected_in_scope'])} rows of this scope rejected, "
                 f"{count(quality['orphan_reversals'])} reversals matching no paid claim, "
                 f"{count(quality['reversed_pairs'])} paid claims cancelled by their reversal.")
    return lines


def measured_guarantees(result: dict) -> list[dict]:
    blocked = owed(result).blocked
    return [f for f in result["formulas"] if f["id"] in GUARANTEES and f["id"] not in blocked]


def not_included(result: dict) -> str:
    """The owed box's "Not included (no figure)": each blocked guarantee by title, or that every one has a figure."""
    return ", ".join(f"{formula_title(f)} (blocked)" for f in owed(result).blocked) or "None: every guarantee has a figure"


def headline(formula: dict) -> tuple[str, str | None]:
    """(what the formula concludes, its figure as written), or no figure for a blocked formula."""
    if formula["id"] in GUARANTEES:
        label, field, write = "Shortfall owed", "shortfall", money
    elif formula["id"] == GDR:
        label, field, write = "Generic dispensing rate", "gdr", percent
    else:
        label, field, write = "Projected savings", "total_savings", money
    value = formula.get(field)
    if formula["status"] == BLOCKED or value is None:
        return label, None
    return label, write(Decimal(value))


def summary_sentences(result: dict) -> list[str]:
    """What the owed box and the status line say, as sentences (the status line itself is printed just above)."""
    split = owed(result)
    measured = measured_guarantees(result)
    sentences = []
    if measured:
        parts = ", ".join(f"{FORMULA_SHORT[f['id']]} {money(Decimal(f['shortfall']))}" for f in measured)
        sentences.append(f"The plan is owed {money(split.total)} ({parts}): {money(split.final)} on final figures "
                         f"and {money(split.modeled)} on modeled estimates.")
    if split.blocked:
        titles = [formula_title(f) for f in split.blocked]
        named = titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"
        sentences.append(f"No figure is given for the {named}: what {'it' if len(titles) == 1 else 'they'} may owe "
                         "is not included.")
    repricing = next((f for f in result["formulas"] if f["id"] == REPRICING), None)
    if repricing is not None and repricing.get("total_savings") is not None:
        sentences.append(f"A proposed contract ({result['inputs']['proposal_id']}) would have saved "
                         f"{money(Decimal(repricing['total_savings']))} on the "
                         f"{count(sum(b['claims'] for b in repricing['buckets']))} claims its terms price: a projection, "
                         "MODELED, which changes neither the audit's status nor the amount owed.")
    return sentences
