"""Reading prose for what it asserts: figures, ids, capitalized names, status words and the formulas they describe.

The same scanner reads the run's facts (what may be said) and a draft (what is said), so a figure is recognised
the same way on both sides. Figures compare by value within their kind: `$2635.16` is `$2,635.16`, `$2,635.2` is
not, and `$2.6 million` never matches a figure of the run (the run has no rounded figures).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kernel.sufficiency import AWP, FEE, GDR, REBATE, REPRICING

MONEY, PERCENT, NUMBER, DATE, IDENT, CAPITAL, STATUS, MENTION = (
    "money", "percent", "number", "date", "ident", "capital", "status", "mention")
READINESS = "readiness"   # a MENTION of the run's readiness rather than of a formula
OWED = "owed"             # a MENTION of the total owed: the amounts after it are the owed ones
FIGURES = (MONEY, PERCENT, NUMBER, DATE)

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
          r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_AMOUNT = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SIGN = r"[-−]?"
_WORD_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")
# Longest first: "generic dispensing rate" is the rate, not a fee.
_MENTIONS = ((GDR, r"generic\s+dispensing\s+rates?|GDR"),
             (AWP, r"AWP(?:\s+discounts?)?(?:\s+guarantees?)?"),
             (FEE, r"(?:dispensing\s+)?fees?(?:\s+guarantees?)?"),
             (REBATE, r"rebates?(?:\s+guarantees?)?"),
             (REPRICING, r"repricing(?:\s+savings)?|proposal|projected\s+savings"),
             (READINESS, r"readiness"),
             (OWED, r"(?:total\s+)?owed"))
_PATTERN = re.compile("|".join((
    r"(?P<date_iso>\b\d{4}-\d{2}-\d{2}\b)",
    rf"(?P<date_md>\b{_MONTH}\.?\s+\d{{1,2}},?\s+\d{{4}}\b)",
    rf"(?P<date_dm>\b\d{{1,2}}\s+{_MONTH}\.?,?\s+\d{{4}}\b)",
    rf"(?P<money>{_SIGN}\$\s?{_AMOUNT}(?:\s?(?:[kKmMbB]\b|thousand|million|billion))?)",
    rf"(?P<percent>(?<![\w.]){_SIGN}{_AMOUNT}\s?%)",
    r"(?P<ident>\b(?=[\w-]*(?:_|\d))(?=[\w-]*[A-Za-z])[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)+\b"
    r"|\b(?=\w*\d)[A-Za-z]+\d\w*\b)",
    rf"(?P<number>(?<![\w.]){_SIGN}{_AMOUNT}(?!\w))",
    rf"(?P<word_number>(?i:\b(?:{'|'.join(_WORD_NUMBERS)})\b))",
    r"(?P<status>(?i:\b(?:final|modeled|modelled|blocked)\b))",
    *(rf"(?P<m_{i}>(?i:\b(?:{pattern})\b))" for i, (_, pattern) in enumerate(_MENTIONS)),
    r"(?P<capital>\b[A-Z][A-Za-z]*)",
)))
_CLAUSE_END = re.compile(r"[.;!?](?=\s|$)|\n")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str          # as written
    value: object      # Decimal for figures (DATE: the ISO date), the formula id for MENTION, lowercase STATUS
    start: int
    end: int
    clause: int        # index of the clause (split at . ; ! ? and line ends) the token is in


def scan(text: str) -> list[Token]:
    """Every token the rules look at, in text order."""
    clause_ends = [m.end() for m in _CLAUSE_END.finditer(text)]
    tokens = []
    for match in _PATTERN.finditer(text):
        kind, value = _classify(match)
        clause = sum(1 for end in clause_ends if end <= match.start())
        tokens.append(Token(kind, match.group(0), value, match.start(), match.end(), clause))
    return tokens


def _classify(match: re.Match) -> tuple[str, object]:
    group, text = match.lastgroup, match.group(0)
    if group == "date_iso":
        return DATE, text
    if group in ("date_md", "date_dm"):
        return DATE, _long_date(text)
    if group == "money":
        return MONEY, amount(text)
    if group == "percent":
        return PERCENT, amount(text)
    if group == "number":
        return NUMBER, amount(text)
    if group == "word_number":
        return NUMBER, Decimal(_WORD_NUMBERS.index(text.lower()))
    if group == "status":
        return STATUS, "modeled" if text.lower() == "modelled" else text.lower()
    if group and group.startswith("m_"):
        return MENTION, _MENTIONS[int(group[2:])][0]
    return (IDENT, text) if group == "ident" else (CAPITAL, text)


def amount(text: str) -> Decimal | None:
    """The value of a written figure; None when it is scaled (`$2.6 million`), which no run figure ever is."""
    digits = re.sub(r"[\s$,%]", "", text).replace("−", "-")
    try:
        return Decimal(digits)
    except ArithmeticError:
        return None


def _long_date(text: str) -> str | None:
    cleaned = re.sub(r"[.,]", " ", text)
    words = cleaned.split()
    day, month, year = (words[1], words[0], words[2]) if words[0][0].isalpha() else (words[0], words[1], words[2])
    for form in ("%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(f"{day} {month} {year}", form).date().isoformat()
        except ValueError:
            continue
    return None   # "Sept" and other spellings strptime does not read: never a figure of the run
