"""What a narrative may say about a run: the figures, ids, names and statuses its facts hold, read by the scanner.

Everything here is derived from narrative_facts (the same facts the provider was given), never from the draft.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from kernel.sufficiency import REPRICING
from services.publisher.domain.narrative_scan import CAPITAL, DATE, FIGURES, IDENT, NUMBER, OWED, amount, scan

# Words of the trade a sentence may capitalize without naming anyone; and months, for written dates.
COMMON_CAPITALS = frozenset(("AWP", "GDR", "PBM", "TPA", "NDC", "January", "February", "March", "April", "May",
                             "June", "July", "August", "September", "October", "November", "December"))


@dataclass(frozen=True)
class Allowed:
    figures: frozenset[tuple[str, object]]            # (kind, value) anywhere in the facts
    run_figures: frozenset[tuple[str, object]]        # ... outside any formula's own figures
    formula_figures: dict[str, frozenset[tuple[str, object]]]   # formula id (and OWED) → its own figures
    idents: frozenset[str]
    name_phrases: tuple[tuple[str, ...], ...]         # capitalized word runs of every name, lowercased
    statuses: dict[str, str]                          # formula id → status
    readiness: str
    audit_counts: dict[str, int] = field(default_factory=dict)   # status → formulas (repricing aside), "all" → total
    owed: dict[str, Decimal | None] = field(default_factory=dict)   # "final" / "modeled" → amount owed


def allowed(facts: dict) -> Allowed:
    owed = facts["total_owed"] or {}
    per_formula = {f["id"]: _figures(_leaves(f["figures"])) for f in facts["formulas"]}
    per_formula[OWED] = _figures(_leaves(owed))
    outside = _figures(_leaves({k: v for k, v in facts.items() if k not in ("formulas", "total_owed")})
                       + _leaves([{k: v for k, v in f.items() if k != "figures"} for f in facts["formulas"]]))
    every = frozenset().union(outside, *per_formula.values())
    audit = [f["status"] for f in facts["formulas"] if f["id"] != REPRICING]
    return Allowed(
        figures=every, run_figures=outside, formula_figures=per_formula,
        idents=frozenset(t.text for text in _leaves(facts) for t in scan(text) if t.kind == IDENT),
        name_phrases=_name_phrases(facts), statuses={f["id"]: f["status"] for f in facts["formulas"]},
        readiness=facts["readiness"],
        audit_counts={"all": len(audit), **{s: audit.count(s) for s in ("final", "modeled", "blocked")}},
        owed={status: amount(owed[status]) for status in ("final", "modeled") if status in owed})


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [] if value is None else [str(value)]


def _figures(texts: list[str]) -> frozenset[tuple[str, object]]:
    found = {(t.kind, t.value) for text in texts for t in scan(text) if t.kind in FIGURES}
    years = {(NUMBER, Decimal(str(value)[:4])) for kind, value in found if kind == DATE}   # "December 2025"
    return frozenset(found | years)


def _name_phrases(facts: dict) -> tuple[tuple[str, ...], ...]:
    """Every run of capitalized words in the facts (names, titles, reason sentences), as lowercased word tuples."""
    return tuple(sorted({run.words for text in _leaves(facts) for run in capital_runs(text)}))


@dataclass(frozen=True)
class CapitalRun:
    words: tuple[str, ...]   # lowercased
    text: str                # as written
    start: int


def capital_runs(text: str) -> list[CapitalRun]:
    """Runs of capitalized words joined by single spaces (`Meridian Rx Solutions`); any other token ends a run."""
    runs: list[list] = []
    previous = None
    for token in scan(text):
        if token.kind == CAPITAL and previous is not None and previous.kind == CAPITAL \
                and text[previous.end:token.start] == " ":
            runs[-1].append(token)
        elif token.kind == CAPITAL:
            runs.append([token])
        previous = token
    return [CapitalRun(tuple(t.text.lower() for t in run), text[run[0].start:run[-1].end], run[0].start)
            for run in runs]
