"""Evidence shapes of calculations.md 1.2–1.4 (contract packet, rebate evidence, proposal), parsed strictly; no I/O."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from kernel.errors import InputError

CHANNELS = ("RETAIL_30", "RETAIL_90", "MAIL", "SPECIALTY")
BRAND_GENERIC = ("B", "G")
GOVERNANCE = ("governed_exact", "governed_lineage", "candidate")
OFFSETS = ("none", "within_channel", "within_drug_type", "all")
DISCOUNT_PLACES, MONEY_PLACES = 4, 2
# A proposal's governance word wherever evidence is listed: never governed, never promoted (docs/proposals.md).
PROPOSED = "proposed"


@dataclass(frozen=True, slots=True)
class Exclusions:
    uc_claims: bool
    compounds: bool


@dataclass(frozen=True, slots=True)
class Term:
    channel: str
    brand_generic: str
    awp_discount: Decimal
    dispensing_fee: Decimal
    rebate_per_claim: Decimal | None

    @property
    def bucket(self) -> tuple[str, str]:
        return (self.channel, self.brand_generic)


@dataclass(frozen=True, slots=True)
class RebateReceived:
    channel: str
    amount: Decimal


@dataclass(frozen=True)
class ContractPacket:
    packet_id: str
    client_id: str
    pbm_id: str
    effective_from: date
    effective_to: date
    governance: str
    source: dict
    offset: str
    exclusions: Exclusions
    terms: tuple[Term, ...]

    def to_dict(self) -> dict:
        return {"packet_id": self.packet_id, "client_id": self.client_id, "pbm_id": self.pbm_id,
                "effective_from": self.effective_from.isoformat(), "effective_to": self.effective_to.isoformat(),
                "governance": self.governance, "source": dict(self.source), "offset": self.offset,
                "exclusions": _exclusions_dict(self.exclusions), "terms": [_term_dict(t) for t in self.terms]}


@dataclass(frozen=True)
class RebateEvidence:
    evidence_id: str
    client_id: str
    pbm_id: str
    period_from: date
    period_to: date
    governance: str
    received: tuple[RebateReceived, ...]

    def to_dict(self) -> dict:
        return {"evidence_id": self.evidence_id, "client_id": self.client_id, "pbm_id": self.pbm_id,
                "period_from": self.period_from.isoformat(), "period_to": self.period_to.isoformat(),
                "governance": self.governance,
                "received": [{"channel": r.channel, "amount": _text(r.amount)} for r in self.received]}


@dataclass(frozen=True)
class Proposal:
    proposal_id: str
    exclusions: Exclusions
    terms: tuple[Term, ...]
    governance: ClassVar[str] = PROPOSED

    def to_dict(self) -> dict:
        return {"proposal_id": self.proposal_id, "exclusions": _exclusions_dict(self.exclusions),
                "terms": [_term_dict(t) for t in self.terms]}


def parse_contract(obj: Any) -> ContractPacket:
    """A contract packet, or `bad_input:contract` naming the first field that breaks the shape."""
    f = _Fields("contract", obj, "contract")
    start, end = f.window("effective_from", "effective_to")
    source = f.required("source")
    if not isinstance(source, dict):
        raise f.error("source", "must be a JSON object")
    return ContractPacket(f.text("packet_id"), f.text("client_id"), f.text("pbm_id"), start, end,
                          f.choice("governance", GOVERNANCE), dict(source), f.choice("offset", OFFSETS),
                          _exclusions(f), _terms(f))


def parse_rebates(obj: Any) -> RebateEvidence:
    """Rebate evidence, or `bad_input:rebates` naming the first field that breaks the shape."""
    f = _Fields("rebates", obj, "rebates")
    start, end = f.window("period_from", "period_to")
    received = []
    for i, item in enumerate(f.items("received")):
        r = _Fields("rebates", item, f"received[{i}]")
        received.append(RebateReceived(r.choice("channel", CHANNELS), r.decimal("amount", MONEY_PLACES)))
    _unique(f, "received", [r.channel for r in received], "channel")
    return RebateEvidence(f.text("evidence_id"), f.text("client_id"), f.text("pbm_id"), start, end,
                          f.choice("governance", GOVERNANCE), tuple(received))


def parse_proposal(obj: Any) -> Proposal:
    """A proposal, or `bad_input:proposal`; a proposal is never governed evidence, so `governance` is refused."""
    f = _Fields("proposal", obj, "proposal")
    if "governance" in obj:
        raise f.error("governance", "a proposal never carries governance")
    return Proposal(f.text("proposal_id"), _exclusions(f), _terms(f))


@dataclass(frozen=True)
class ProposalFile:
    """A proposal as the contract tree holds it: the calc shape, whose it is, and the term it would run for."""

    proposal: Proposal
    client_id: str
    pbm_id: str
    effective_from: date
    effective_to: date
    title: str


def parse_proposal_file(obj: Any) -> ProposalFile:
    """A stored proposal (docs/proposals.md): parse_proposal's shape plus client_id, pbm_id, the proposed term
    (effective_from, effective_to) and an optional title; `bad_input:proposal` naming the first bad field."""
    proposal = parse_proposal(obj)
    f = _Fields("proposal", obj, "proposal")
    start, end = f.window("effective_from", "effective_to")
    for name in ("title", "description"):
        if name in obj and not isinstance(obj[name], str):
            raise f.error(name, "must be a string")
    return ProposalFile(proposal, f.text("client_id"), f.text("pbm_id"), start, end, obj.get("title", ""))


def _exclusions(f: _Fields) -> Exclusions:
    e = _Fields(f.kind, f.required("exclusions"), "exclusions")
    return Exclusions(e.boolean("uc_claims"), e.boolean("compounds"))


def _terms(f: _Fields) -> tuple[Term, ...]:
    terms = []
    for i, item in enumerate(f.items("terms")):
        t = _Fields(f.kind, item, f"terms[{i}]")
        discount = t.decimal("awp_discount", DISCOUNT_PLACES)
        if discount >= 1:
            raise t.error("awp_discount", "must lie in [0, 1)")
        terms.append(Term(t.choice("channel", CHANNELS), t.choice("brand_generic", BRAND_GENERIC), discount,
                          t.decimal("dispensing_fee", MONEY_PLACES),
                          t.optional_decimal("rebate_per_claim", MONEY_PLACES)))
    _unique(f, "terms", [t.bucket for t in terms], "bucket")
    return tuple(terms)


def _unique(f: _Fields, name: str, keys: list, what: str) -> None:
    for i, key in enumerate(keys):
        if key in keys[:i]:
            raise f.error(f"{name}[{i}]", f"{what} {key} is listed twice")


class _Fields:
    """Typed access to one JSON object's fields; every failure is `bad_input:<kind>` naming the field."""

    def __init__(self, kind: str, obj: Any, where: str) -> None:
        self.kind, self.obj, self.where = kind, obj, where
        if not isinstance(obj, dict):
            raise InputError(f"bad_input:{kind}", f"{where}: must be a JSON object")

    def error(self, name: str, problem: str) -> InputError:
        return InputError(f"bad_input:{self.kind}", f"{self.where}.{name}: {problem}")

    def required(self, name: str) -> Any:
        if name not in self.obj:
            raise self.error(name, "is missing")
        return self.obj[name]

    def text(self, name: str) -> str:
        value = self.required(name)
        if not isinstance(value, str) or not value:
            raise self.error(name, "must be a non-empty string")
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.required(name)
        if not isinstance(value, str) or value not in allowed:
            raise self.error(name, f"must be one of {', '.join(allowed)}")
        return value

    def boolean(self, name: str) -> bool:
        value = self.required(name)
        if not isinstance(value, bool):
            raise self.error(name, "must be true or false")
        return value

    def day(self, name: str) -> date:
        value = self.required(name)
        if not (isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-"
                and (value[:4] + value[5:7] + value[8:]).isdecimal() and value.isascii()):
            raise self.error(name, "must be a YYYY-MM-DD date")
        try:
            return date(int(value[:4]), int(value[5:7]), int(value[8:]))
        except ValueError:
            raise self.error(name, "is not a calendar date") from None

    def window(self, start_name: str, end_name: str) -> tuple[date, date]:
        start, end = self.day(start_name), self.day(end_name)
        if end < start:
            raise self.error(end_name, f"ends before {start_name}")
        return start, end

    def decimal(self, name: str, places: int) -> Decimal:
        found = self.optional_decimal(name, places, nullable=False)
        assert found is not None  # not nullable: a null was refused as "must be a decimal"
        return found

    def optional_decimal(self, name: str, places: int, nullable: bool = True) -> Decimal | None:
        value = self.required(name)
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise self.error(name, "must be a decimal given as a JSON string")
        whole, point, fraction = value.partition(".")
        if not (whole.isdecimal() and whole.isascii() and (not point or (fraction.isdecimal() and fraction.isascii()))):
            raise self.error(name, "must be ASCII digits with an optional point and digits")
        if len(fraction) > places:
            raise self.error(name, f"has more than {places} decimal places")
        return Decimal(value)

    def items(self, name: str) -> list:
        value = self.required(name)
        if not isinstance(value, list):
            raise self.error(name, "must be a JSON list")
        return value


def _exclusions_dict(e: Exclusions) -> dict:
    return {"uc_claims": e.uc_claims, "compounds": e.compounds}


def _term_dict(t: Term) -> dict:
    rebate = None if t.rebate_per_claim is None else _text(t.rebate_per_claim)
    return {"channel": t.channel, "brand_generic": t.brand_generic, "awp_discount": _text(t.awp_discount),
            "dispensing_fee": _text(t.dispensing_fee), "rebate_per_claim": rebate}


def _text(value: Decimal) -> str:
    return format(value, "f")
