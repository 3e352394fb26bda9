"""The facts a narrative may state: built from the run's result and display names, and from nothing else.

These facts are all any narrative provider (a model included) is given. They are aggregates the report already
prints on its cover: scope, names, readiness, each formula's status, reasons and headline figures, the total owed.
No bucket, claim, member, rejected row or count of members is read here, so none can reach a prompt. Figures are
written exactly as the report writes them (report_format.py), so a draft that copies them shows the same text.
"""
from __future__ import annotations

from decimal import Decimal

from kernel.sufficiency import AWP, FEE, GDR, REBATE, REPRICING
from kernel.words import FORMULA_SHORT, OFFSET_RULES, formula_title, reason_sentence
from services.publisher.domain.audit_summary import owed, status_line
from services.publisher.domain.report_format import count, money, percent
from services.publisher.domain.run_context import Names

# The headline figures of each formula, by result field, and how each is written.
HEADLINES = {AWP: (("shortfall", money),), FEE: (("shortfall", money),),
             REBATE: (("variance_total", money), ("received_other", money), ("shortfall", money)),
             GDR: (("gdr", percent), ("generic_claims", count), ("claims", count)),
             REPRICING: (("total_savings", money),)}


def narrative_facts(result: dict, names: Names = Names()) -> dict:
    """The run as the narrative may describe it (JSON-ready; every figure already formatted for a reader)."""
    scope = result["scope"]
    return {
        "client": {"id": scope["client_id"], "name": names.client},
        "pbm": {"id": scope["pbm_id"], "name": names.pbm},
        "tpa": None if scope.get("tpa_id") is None else {"id": scope["tpa_id"], "name": names.tpa},
        "groups": [{"id": group_id, "name": name} for group_id, name in _group_names(scope, names)],
        "period": {"from": scope["date_from"], "to": scope["date_to"]},
        "readiness": result["readiness"],
        "status_line": status_line(result),
        "formulas": [_formula_facts(f) for f in result["formulas"]],
        "total_owed": _total_owed(result),
        "evidence": {"contract_packet_id": result["inputs"].get("contract_packet_id"),
                     "rebate_evidence_id": result["inputs"].get("rebate_evidence_id"),
                     "proposal_id": result["inputs"].get("proposal_id")},
    }


def _group_names(scope: dict, names: Names) -> list[tuple[str, str | None]]:
    known = dict(names.groups)
    return [(group_id, known.get(group_id)) for group_id in scope.get("group_ids") or ()]


def _formula_facts(formula: dict) -> dict:
    figures = {field: write(_value(formula[field])) for field, write in HEADLINES.get(formula["id"], ())
               if formula.get(field) is not None}
    facts = {"id": formula["id"], "title": formula_title(formula["id"]), "short_name": FORMULA_SHORT[formula["id"]],
             "status": formula["status"], "reasons": [reason_sentence(r) for r in formula["reasons"]],
             "figures": figures}
    if formula.get("offset"):
        facts["offset_rule"] = offset_phrase(formula["offset"])
    return facts


def _value(raw):
    return raw if isinstance(raw, int) else Decimal(raw)


def offset_phrase(offset: str) -> str:
    """"no offsetting", "offset within channel": the rule's name, as the registry words it."""
    name = OFFSET_RULES[offset].split(":", 1)[0]
    return name[0].lower() + name[1:]


def _total_owed(result: dict) -> dict | None:
    """None when no guarantee could be measured: then no amount owed is stated at all."""
    split = owed(result)
    measured = [f for f in result["formulas"] if f["id"] in (AWP, FEE, REBATE) and f["id"] not in split.blocked]
    if not measured:
        return None
    return {"total": money(split.total), "final": money(split.final), "modeled": money(split.modeled)}
