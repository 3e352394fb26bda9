"""A run's claim-level rows: the netted claims its formulas counted and the rejects that count against its scope.

The claims stores answer the same questions in SQL; this is the pure path (`leaf report`) and the reference
the stores are checked against.
"""
from __future__ import annotations

import decimal
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal

from kernel.scope import Scope
from services.calc.domain.claims import Claim, ClaimsBatch, Reject
from services.calc.domain.data_quality import shows_it_belongs_elsewhere
from services.calc.domain.facts import awp_ext
from services.calc.domain.pipeline import in_scope, net_reversals
from services.calc.domain.rounding import CENT, exact_arithmetic

_PADDING = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.Inexact, decimal.InvalidOperation])
# Every store and the file give the same digits: each amount at its column's places.
PLACES = {"quantity": Decimal("0.001"), "awp_unit_price": Decimal("0.00001"), "awp_ext": CENT,
          "ingredient_cost_paid": CENT, "dispensing_fee_paid": CENT}


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One netted claim as the extract needs it; attribute names are the Claim's, plus the awp_ext formulas use."""

    row: int
    claim_id: str
    member_id: str  # PHI: never leaves the mesh; the publisher pseudonymizes it
    tpa_id: str
    group_id: str
    fill_date: date
    ndc: str
    drug_name: str
    channel: str
    brand_generic: str
    basis_of_cost: str
    compound: bool
    days_supply: int
    quantity: Decimal
    awp_unit_price: Decimal
    awp_ext: Decimal
    ingredient_cost_paid: Decimal
    dispensing_fee_paid: Decimal


CLAIM_LINE_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ClaimLine))


def at_places(line: ClaimLine) -> ClaimLine:
    """Pad (or drop trailing zeros) to each column's places; a value that would lose a digit raises instead."""
    return replace(line, **{name: getattr(line, name).quantize(step, context=_PADDING)
                            for name, step in PLACES.items()})


def netted_claims(batch: ClaimsBatch, scope: Scope) -> list[Claim]:
    """In scope, PAID and not reversed, in row order: exactly the claims the formulas count (pipeline 2–3)."""
    return net_reversals(in_scope(batch.claims, scope)).claims


def claim_lines(claims: Iterable[Claim]) -> list[ClaimLine]:
    """The lines the stores give for these claims: awp_ext per claim, amounts at their places."""
    with exact_arithmetic():  # the product is exact before round2, as in the aggregates
        return [at_places(ClaimLine(c.row, c.claim_id, c.member_id, c.tpa_id, c.group_id, c.fill_date, c.ndc,
                                    c.drug_name, c.channel, c.brand_generic, c.basis_of_cost, c.compound,
                                    c.days_supply, c.quantity, c.awp_unit_price, awp_ext(c), c.ingredient_cost_paid,
                                    c.dispensing_fee_paid))
                for c in claims]


def rejects_in_scope(rejects: Iterable[Reject], scope: Scope) -> list[Reject]:
    """The rejects counted as rejected_in_scope (calculations.md 1.1), in row order; another client's never show."""
    return sorted((r for r in rejects if not shows_it_belongs_elsewhere(r, scope)), key=lambda r: r.row)
