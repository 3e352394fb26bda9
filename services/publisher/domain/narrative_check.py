"""The narrative validator: a draft is published only if every figure, status and name in it is the run's.

Rules, in the order they are applied (the first broken one is the draft's fallback reason):
- every money amount, percentage, count, number and date is a figure of the run (`unknown_figure:$12,981.61`);
- a figure in a clause after formulas (or the total owed) are named belongs to one of them or to the run as a
  whole (`misattributed_figure:$204.17`);
- every id (C001, PBM_A, PR-C001-2026) is one of the run's (`unknown_name:C002`), and every run of capitalized
  words lies within a name of the run (`unknown_name:Bluebird Logistics`); a single capitalized word opening a
  sentence is read as an ordinary word;
- status words agree with what they describe: "N of M final" counts the audit's formulas (`wrong_count:…`), a
  status right after an amount qualifies that amount, a status after formulas are named is theirs, and any other
  status is the run's readiness (`wrong_status:rebate_guarantee:final`).
"""
from __future__ import annotations

import re
from itertools import groupby

from services.publisher.domain.narrative_allowed import COMMON_CAPITALS, Allowed, allowed, capital_runs
from services.publisher.domain.narrative_scan import (
    FIGURES,
    IDENT,
    MENTION,
    MONEY,
    NUMBER,
    OWED,
    PERCENT,
    READINESS,
    STATUS,
    Token,
    scan,
)

MAX_DRAFT_CHARS = 4000   # an executive summary is a paragraph or two; anything longer is not one
# Words that may open a sentence before a name ("The Acme Manufacturing audit").
STARTERS = frozenset(("the", "this", "these", "for", "under", "with", "in", "at", "by", "on", "from", "as", "and",
                      "but", "while", "after", "before", "all", "both", "each", "no", "its", "their", "a", "an",
                      "if", "when", "since", "because", "overall", "total", "of", "to", "so", "however", "across",
                      "during", "per", "between", "against"))
_SENTENCE_OPENERS = ".:;!?—–-*•\"'“‘\n"
_COUNT_GAP = re.compile(r"\s+of\s+(?:the\s+)?")
_COUNT_TAIL = re.compile(r"\s+(?:[a-z]+\s+){0,3}")
_AMOUNT_TAIL = re.compile(r"[\s,]*(?:(?:is|are|was|were|all|of|it|on|remains|and)\s+){0,3}")


def check_draft(text: str, facts: dict) -> str | None:
    """None when the draft may be published; else the first rule it breaks, as a reason for the lineage."""
    if not text.strip():
        return "empty_draft"
    if len(text) > MAX_DRAFT_CHARS:
        return "draft_too_long"
    rules, tokens = allowed(facts), scan(text)
    for check in (_figures, _names, _statuses):
        problem = check(text, tokens, rules)
        if problem:
            return problem
    return None


def _figures(text: str, tokens: list[Token], rules: Allowed) -> str | None:
    for _, clause in groupby(tokens, key=lambda t: t.clause):
        named: set[str] = set()
        for token in clause:
            if token.kind == MENTION and token.value != READINESS:   # a formula, or the total owed
                named.add(str(token.value))
            if token.kind not in FIGURES:
                continue
            key = (token.kind, token.value)
            if token.value is None or key not in rules.figures:
                return f"unknown_figure:{token.text}"
            if named and token.kind in (MONEY, PERCENT, NUMBER) and key not in rules.run_figures and not any(
                    key in rules.formula_figures.get(f, ()) for f in named):
                return f"misattributed_figure:{token.text}"
    return None


def _names(text: str, tokens: list[Token], rules: Allowed) -> str | None:
    for token in tokens:
        if token.kind == IDENT and token.text not in rules.idents:
            return f"unknown_name:{token.text}"
    for run in capital_runs(text):
        words, opens = run.words, _opens_sentence(text, run.start)
        if opens and len(words) == 1:
            continue
        if opens and words[0] in STARTERS:
            words = words[1:]
        if not _known(words, rules):
            return f"unknown_name:{run.text}"
    return None


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in _SENTENCE_OPENERS


def _known(words: tuple[str, ...], rules: Allowed) -> bool:
    if all(w in {c.lower() for c in COMMON_CAPITALS} for w in words):
        return True
    n = len(words)
    return any(phrase[i:i + n] == words for phrase in rules.name_phrases for i in range(len(phrase) - n + 1))


def _statuses(text: str, tokens: list[Token], rules: Allowed) -> str | None:
    for _, group in groupby(tokens, key=lambda t: t.clause):
        clause = list(group)
        consumed: set[int] = set()
        problem = _count_claims(text, clause, rules, consumed) or _amount_statuses(text, clause, rules, consumed)
        problem = problem or _subject_statuses(clause, rules, consumed)
        if problem:
            return problem
    return None


def _count_claims(text: str, clause: list[Token], rules: Allowed, consumed: set[int]) -> str | None:
    """ "3 of 4 final": 3 audit formulas have that status, of 4 (repricing is never counted). """
    for i in range(len(clause) - 2):
        n, m, status = clause[i:i + 3]
        if (n.kind, m.kind, status.kind) != (NUMBER, NUMBER, STATUS) \
                or not _COUNT_GAP.fullmatch(text[n.end:m.start]) or not _COUNT_TAIL.fullmatch(text[m.end:status.start]):
            continue
        consumed.add(status.start)
        if (n.value, m.value) != (rules.audit_counts.get(str(status.value)), rules.audit_counts["all"]):
            return f"wrong_count:{text[n.start:status.end]}"
    return None


def _amount_statuses(text: str, clause: list[Token], rules: Allowed, consumed: set[int]) -> str | None:
    """ "$12,981.60 final": the amount owed on final formulas, or the shortfall of a formula with that status. """
    for previous, token in zip(clause, clause[1:], strict=False):
        if token.kind != STATUS or token.start in consumed or previous.kind != MONEY \
                or not _AMOUNT_TAIL.fullmatch(text[previous.end:token.start]):
            continue
        consumed.add(token.start)
        status = str(token.value)
        amounts = {rules.owed.get(status)} | {value for f, s in rules.statuses.items() if s == status
                                               for kind, value in rules.formula_figures.get(f, ()) if kind == MONEY}
        if previous.value not in amounts:
            return f"wrong_status:{previous.text}:{status}"
    return None


def _subject_statuses(clause: list[Token], rules: Allowed, consumed: set[int]) -> str | None:
    """A status belongs to the formulas (or the readiness) named since the last status; if none, to readiness."""
    pending: list[str] = []
    for token in clause:
        if token.kind == MENTION and token.value != OWED:   # "owed … final" is the amount's status (above)
            pending.append(str(token.value))
        elif token.kind == STATUS and token.start not in consumed:
            for subject in pending or [READINESS]:
                expected = rules.readiness if subject == READINESS else rules.statuses.get(subject)
                if expected != token.value:
                    return f"wrong_status:{subject}:{token.value}"
            pending = []
    return None
