"""The aggregates every formula needs, computed from netted claims by Python or by a claims store in SQL."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.calc.domain.claims import Reject
from services.calc.domain.rounding import ZERO_MONEY

Bucket = tuple[str, str]


@dataclass(frozen=True, slots=True, order=True)
class Traits:
    """A claim class: its bucket and the three claim-level traits eligibility looks at (no_term is per bucket)."""

    channel: str
    brand_generic: str
    uc: bool          # basis_of_cost = UC
    compound: bool
    zero_awp: bool    # awp_unit_price = 0

    @property
    def bucket(self) -> Bucket:
        return (self.channel, self.brand_generic)


@dataclass(frozen=True, slots=True)
class Totals:
    """Additive sums over some netted claims; awp is Σ awp_ext (each claim rounded before summing)."""

    claims: int = 0
    awp: Decimal = ZERO_MONEY
    ingredient_cost: Decimal = ZERO_MONEY
    dispensing_fee: Decimal = ZERO_MONEY

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.claims + other.claims, self.awp + other.awp,
                      self.ingredient_cost + other.ingredient_cost, self.dispensing_fee + other.dispensing_fee)


@dataclass(frozen=True, slots=True)
class ClassTotals:
    """The netted claims of one claim class; `suspect` counts RETAIL_30 claims with a 90-day-like supply."""

    traits: Traits
    totals: Totals
    suspect: int


@dataclass(frozen=True, slots=True, order=True)
class MemberMask:
    """Which traits exclude a claim from a distinct-member count: one formula's eligibility inside a term bucket."""

    uc: bool
    compound: bool
    zero_awp: bool

    def excludes(self, traits: Traits) -> bool:
        return (self.uc and traits.uc) or (self.compound and traits.compound) or (self.zero_awp and traits.zero_awp)


@dataclass(frozen=True)
class ClaimsFacts:
    """Everything a run reads from the claims: whole-input counts and rejects, then the scope's netted aggregates.

    Distinct members do not add across classes, so they are counted per (mask, bucket) for the masks asked
    for; a (mask, bucket) with no eligible claim is absent (0).
    """

    claims_sha256: str
    rows_read: int
    rows_valid: int
    rejects: tuple[Reject, ...]
    in_scope_rows: int
    reversed_pairs: int
    orphan_reversals: int
    classes: tuple[ClassTotals, ...]                      # sorted by traits, one per non-empty class
    members: dict[tuple[MemberMask, Bucket], int] = field(default_factory=dict)

    @property
    def netted_claims(self) -> int:
        return sum(c.totals.claims for c in self.classes)

    @property
    def suspect_channel(self) -> int:
        return sum(c.suspect for c in self.classes)

    def members_of(self, mask: MemberMask, bucket: Bucket) -> int:
        return self.members.get((mask, bucket), 0)
