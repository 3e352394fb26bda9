"""Golden comparison packets (takeover.md section 4): Domo's card value against the backend's, classified."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from kernel.errors import Conflict, InputError, Refused
from services.takeover.domain.beast_modes.render import MATCH as SAME
from services.takeover.domain.beast_modes.render import compare

MATCH, EXPLAINED, UNEXPLAINED = "match", "explained", "unexplained"
REASON_CODES = {
    "domo_includes_reversals": "Domo's card sums REVERSAL rows that the backend nets against their PAID claims",
    "domo_float_rounding": "Domo computed in binary floating point; the backend rounds the exact decimal value",
    "domo_scope_filter_differs": "the card's filters select another scope than the backend's (period, client, …)",
    "domo_excludes_rows": "Domo's dataset lacks rows the backend has for the same scope (a late or partial load)",
    "domo_stale_value": "the recorded value predates a correction of the source rows",
}
# Parity is exact by default (the backend's money and ratios are exact decimals); a process may state a tolerance.
# A Domo value shown rounded (fewer decimals than the backend's) matches when the backend's value rounds to it.
DEFAULT_TOLERANCE = Decimal("0")


@dataclass(frozen=True)
class Explanation:
    """A reason code put forward for a card's difference; it explains nothing until an operator approves it."""

    card_id: str
    reason_code: str
    note: str
    proposed_by: str
    approved_by: str | None = None
    approved_at: str | None = None

    def __post_init__(self) -> None:
        if self.reason_code not in REASON_CODES:
            raise InputError("bad_input:reason_code", f"unknown reason code {self.reason_code!r}")


def approve(explanation: Explanation, operator: str, at: str) -> Explanation:
    """The verified operator's approval; the one who proposed it may not approve it (four eyes)."""
    if not operator:
        raise Refused("operator_required", "an explanation is approved by a verified operator")
    if explanation.approved_by:
        raise Conflict("already_approved", f"approved by {explanation.approved_by} at {explanation.approved_at}")
    if operator == explanation.proposed_by:
        raise Refused("four_eyes", "the operator who proposed an explanation cannot approve it")
    return replace(explanation, approved_by=operator, approved_at=at)


@dataclass(frozen=True)
class BackendValue:
    formula: str  # registry formula id and the field compared, e.g. generic_dispensing_rate.gdr
    version: str
    value: str | None


@dataclass(frozen=True)
class ParityPacket:
    process: str
    card_id: str
    domo_value: str | None
    replayed_value: str | None
    replay_status: str
    backend: BackendValue
    difference: str | None
    tolerance: str
    classification: str
    reason_code: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    proposed: list[str] = field(default_factory=list)  # reason codes put forward, not yet approved
    row_diff: dict | None = None  # diff_summary of the card's rows against the backend's, when one was made

    def as_json(self) -> dict:
        rendered: dict = {
            "process": self.process, "card_id": self.card_id, "domo_value": self.domo_value,
            "replayed_value": self.replayed_value, "replay_status": self.replay_status,
            "backend_formula": f"{self.backend.formula}@{self.backend.version}", "backend_value": self.backend.value,
            "difference": self.difference, "tolerance": self.tolerance, "classification": self.classification,
            "reason_code": self.reason_code, "approved_by": self.approved_by, "approved_at": self.approved_at,
            "proposed": list(self.proposed)}
        if self.row_diff is not None:  # absent, not null, without one: a packet made without a diff keeps its digest
            rendered["row_diff"] = self.row_diff
        return rendered


def packet(process: str, replay_entry: dict, backend: BackendValue, explanations: Iterable[Explanation] = (),
           tolerance: Decimal = DEFAULT_TOLERANCE, suggested: Iterable[str] = ()) -> ParityPacket:
    """Compare Domo's recorded value with the backend's: match within the tolerance, else explained by an approved
    explanation, else unexplained (proposed explanations listed)."""
    card_id = replay_entry["card_id"]
    domo = replay_entry.get("recorded_value")
    gap = difference(domo, backend.value)
    mine = [e for e in explanations if e.card_id == card_id]
    approved = next((e for e in mine if e.approved_by), None)
    common = dict(process=process, card_id=card_id, domo_value=domo, replayed_value=replay_entry.get("replayed_value"),
                  replay_status=replay_entry.get("status", ""), backend=backend,
                  difference=None if gap is None else format(gap, "f"), tolerance=format(tolerance, "f"))
    if _within(domo, backend.value, gap, tolerance):
        return ParityPacket(**common, classification=MATCH)
    if approved is not None:
        return ParityPacket(**common, classification=EXPLAINED, reason_code=approved.reason_code,
                            approved_by=approved.approved_by, approved_at=approved.approved_at)
    proposed = {e.reason_code for e in mine} | set(suggested) | set(float_rounding(domo, backend.value))
    return ParityPacket(**common, classification=UNEXPLAINED, proposed=sorted(proposed))


def float_rounding(domo: str | None, backend: str | None) -> list[str]:
    """["domo_float_rounding"] when Domo's value carries more decimals than the backend's and rounds to it."""
    a, b = _number(domo), _number(backend)
    if a is None or b is None or a == b:
        return []
    exponent = b.as_tuple().exponent
    if not isinstance(exponent, int) or exponent <= a.as_tuple().exponent:  # type: ignore[operator]
        return []
    return ["domo_float_rounding"] if a.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP) == b else []


def difference(domo: str | None, backend: str | None) -> Decimal | None:
    """Domo minus backend, exactly; None when either is missing or not a number."""
    a, b = _number(domo), _number(backend)
    return None if a is None or b is None else a - b


def _within(domo: str | None, backend: str | None, gap: Decimal | None, tolerance: Decimal) -> bool:
    if gap is None:
        return domo in (None, "") and backend in (None, "")
    return abs(gap) <= tolerance or compare(backend, domo) == SAME


def _number(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        number = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parity_report(process: str, packets: Sequence[ParityPacket]) -> dict:
    """Counts of match / explained / unexplained and the worst difference, for one Domo-backed process; report_id
    is a digest of its packets (the same comparison gives the same id)."""
    mine = [p for p in packets if p.process == process]
    worst = max((p for p in mine if p.difference is not None), key=lambda p: abs(Decimal(p.difference or "0")),
                default=None)
    rendered = [p.as_json() for p in mine]
    digest = hashlib.sha256(json.dumps(rendered, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return {"report_id": f"PR-{digest[:20]}", "process": process, "cards": len(mine),
            **{c: sum(1 for p in mine if p.classification == c) for c in (MATCH, EXPLAINED, UNEXPLAINED)},
            "worst_difference": None if worst is None else {"card_id": worst.card_id, "difference": worst.difference},
            "packets": rendered}


ROW_DIFF_ROWS_SHOWN = 5


def diff_summary(diff: Mapping, rows_shown: int = ROW_DIFF_ROWS_SHOWN) -> dict:
    """What a parity report keeps of a row diff: the counts, the compared columns and the first differing rows by
    key, every value as text (exact decimals, ISO dates). Only the key and the compared columns travel, so the
    columns a caller picks decide what a report can show (a claim id and amounts, never a member id)."""
    def side(values: Mapping | None) -> dict[str, str]:
        return {} if values is None else {k: "" if v is None else str(v) for k, v in values.items()}

    return {**{k: int(diff.get(k) or 0) for k in ("domo_rows", "backend_rows", "only_domo", "only_backend",
                                                   "changed")},
            "columns": list(diff.get("columns") or []),
            "rows": [{"claim_id": str(row["key"]), "side": row["side"], "domo": side(row.get("domo")),
                      "backend": side(row.get("backend"))} for row in list(diff.get("rows") or [])[:rows_shown]]}


def diff_suggestions(diff: dict, status_column: str = "status") -> list[str]:
    """Reason codes a row-level diff points to (still to be approved): rows only Domo has that are all reversals
    → domo_includes_reversals; rows only the backend has, none only Domo has → domo_excludes_rows."""
    codes = []
    only_domo = [row for row in diff.get("rows", []) if row["side"] == "only_domo"]
    if diff.get("only_domo") and len(only_domo) == diff["only_domo"] and all(
            (row["domo"] or {}).get(status_column) == "REVERSAL" for row in only_domo):
        codes.append("domo_includes_reversals")
    if diff.get("only_backend") and not diff.get("only_domo"):
        codes.append("domo_excludes_rows")
    return codes



def reclassify(report: Mapping, explanations: Iterable[Explanation]) -> dict:
    """A kept parity report with the explanations recorded since (their latest state): an unexplained card with an
    approved explanation becomes explained (reason code, approver); one without lists what was proposed. Matches and
    kept explanations stay as they are; counts follow the packets. When something changed the result is a new report
    (report_id the digest of its packets, the kept one as `base_report_id`), else the kept report's id stays."""
    known = list(explanations)
    packets = []
    for kept in report.get("packets") or []:
        now = dict(kept)
        if kept.get("classification") == UNEXPLAINED:
            mine = [e for e in known if e.card_id == kept.get("card_id")]
            approved = next((e for e in mine if e.approved_by), None)
            if approved is not None:
                now.update(classification=EXPLAINED, reason_code=approved.reason_code,
                           approved_by=approved.approved_by, approved_at=approved.approved_at, proposed=[])
            else:
                now["proposed"] = sorted(set(kept.get("proposed") or []) | {e.reason_code for e in mine})
        packets.append(now)
    base = report.get("report_id")
    changed = packets != list(report.get("packets") or [])
    digest = hashlib.sha256(json.dumps(packets, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    counts = {c: sum(1 for p in packets if p.get("classification") == c) for c in (MATCH, EXPLAINED, UNEXPLAINED)}
    if not packets:  # a report kept without its packets: its own counts
        counts = {c: int(report.get(c) or 0) for c in counts}
    return {**report, **counts, "report_id": f"PR-{digest[:20]}" if changed else base, "base_report_id": base,
            "cards": int(report.get("cards") or len(packets)), "load_id": report.get("load_id"),
            "worst_difference": report.get("worst_difference"), "packets": packets}
