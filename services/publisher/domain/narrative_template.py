"""The default executive narrative: fixed sentences around the run's own figures, the same words every time.

Written from narrative_facts alone (the figures already formatted as the report formats them), so it can say
nothing the facts do not hold; the validator accepts it by construction, and a test proves that for every kind
of run. Two paragraphs: where the audit stands (scope, readiness, total owed), then each formula's headline.
"""
from __future__ import annotations

from kernel.sufficiency import AWP, BLOCKED, FEE, GDR, REBATE, REPRICING
from services.publisher.domain.narrative_scan import amount
from services.publisher.domain.run_context import Names


def template_text(facts: dict) -> str:
    standing = [_scope_sentence(facts), f"Readiness: {facts['readiness']} — {facts['status_line']}.",
                _owed_sentence(facts["total_owed"])]
    headlines = [_formula_sentence(f, facts["evidence"]) for f in facts["formulas"]]
    return " ".join(standing) + "\n\n" + " ".join(headlines)


def _scope_sentence(facts: dict) -> str:
    client = Names.label(facts["client"]["name"], facts["client"]["id"])
    pbm = Names.label(facts["pbm"]["name"], facts["pbm"]["id"])
    period = f"{facts['period']['from']} to {facts['period']['to']}"
    tpa = f", administered by {Names.label(facts['tpa']['name'], facts['tpa']['id'])}" if facts["tpa"] else ""
    groups = ", ".join(Names.label(g["name"], g["id"]) for g in facts["groups"])
    only = f", for {'group' if len(facts['groups']) == 1 else 'groups'} {groups} only" if groups else ""
    return f"Pharmacy benefit audit of {client} with {pbm}{tpa}, {period}{only}."


def _owed_sentence(owed: dict | None) -> str:
    if owed is None:
        return "No guarantee could be measured, so no amount owed to the plan is stated."
    if amount(owed["total"]) == 0:
        return f"Total owed to the plan: {owed['total']}."
    if amount(owed["modeled"]) == 0:
        return f"Total owed to the plan: {owed['total']}, all final."
    if amount(owed["final"]) == 0:
        return f"Total owed to the plan: {owed['total']}, all modeled."
    return f"Total owed to the plan: {owed['total']} — {owed['final']} final and {owed['modeled']} modeled."


def _formula_sentence(formula: dict, evidence: dict) -> str:
    figures, status = formula["figures"], formula["status"]
    if formula["id"] == REPRICING:
        return _repricing_sentence(formula, evidence.get("proposal_id"))
    title = formula["title"]
    if status == BLOCKED or not figures:
        missing = "rate" if formula["id"] == GDR else "shortfall"
        return f"{title}: {status}, so no {missing} is stated."
    if formula["id"] in (AWP, FEE):
        return f"{title} ({status}): shortfall {figures['shortfall']} ({formula['offset_rule']})."
    if formula["id"] == REBATE:
        return (f"{title} ({status}): guaranteed minus received rebates come to {figures['variance_total']}; "
                f"after {figures['received_other']} received in channels without a rebate guarantee, "
                f"the rebate shortfall is {figures['shortfall']}.")
    if formula["id"] == GDR:
        return (f"{title} ({status}): {figures['gdr']}, {figures['generic_claims']} of {figures['claims']} "
                f"claims generic.")
    return f"{title} ({status})."


def _repricing_sentence(formula: dict, proposal_id: str | None) -> str:
    under = f"Repricing under proposal {proposal_id}" if proposal_id else "Repricing under the proposal"
    if formula["status"] == BLOCKED or "total_savings" not in formula["figures"]:
        return f"{under}: {formula['status']}, so no savings are stated."
    return (f"{under} ({formula['status']}, a projection, not an audit finding): "
            f"projected savings {formula['figures']['total_savings']}.")
