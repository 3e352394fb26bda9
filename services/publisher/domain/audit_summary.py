"""What a deliverable says before any table: each formula's status beside readiness, and the total owed.

calculations.md 4: a deliverable never shows readiness alone. Every renderer (PDF cover, workbook summary,
dashboard, narrative) takes these lines from here, so they cannot word the same run two ways.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kernel.sufficiency import BLOCKED, FINAL, GUARANTEES, MODELED, REPRICING
from kernel.words import FORMULA_SHORT, reason_sentence

ZERO = Decimal("0.00")


def audit_formulas(result: dict) -> list[dict]:
    """The formulas readiness is judged on: every one but repricing, a projection that never lowers it."""
    return [f for f in result["formulas"] if f["id"] != REPRICING]


def status_line(result: dict) -> str:
    """"3 of 4 final; rebate blocked: no rebate evidence for the audit period" — or "4 of 4 final"."""
    audit = audit_formulas(result)
    final = sum(1 for f in audit if f["status"] == FINAL)
    # Formulas held back for the same reasons are named together, so a modeled scope reads as one clause.
    held: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for formula in audit:
        if formula["status"] != FINAL:
            held.setdefault((formula["status"], tuple(formula["reasons"])), []).append(FORMULA_SHORT[formula["id"]])
    others = [f"{_and(names)} {status}: {', '.join(reason_sentence(r) for r in reasons)}"
              for (status, reasons), names in held.items()]
    return "; ".join([f"{final} of {len(audit)} final", *others])


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class Owed:
    """Σ shortfall of the guarantees, split by how firm it is; a blocked guarantee concludes nothing."""

    final: Decimal
    modeled: Decimal
    blocked: tuple[str, ...]    # ids of guarantee formulas with no figure

    @property
    def total(self) -> Decimal:
        return self.final + self.modeled


def owed(result: dict) -> Owed:
    final, modeled, blocked = ZERO, ZERO, []
    for formula in result["formulas"]:
        if formula["id"] not in GUARANTEES:
            continue
        if formula["status"] == BLOCKED or formula.get("shortfall") is None:
            blocked.append(formula["id"])
        elif formula["status"] == MODELED:
            modeled += Decimal(formula["shortfall"])
        else:
            final += Decimal(formula["shortfall"])
    return Owed(final, modeled, tuple(blocked))
