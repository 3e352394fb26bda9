"""Reading the report back as a reader would: page text by pypdf, table rows as label + the figures printed after it.

pypdf gives each table cell on a line of its own, in reading order. A row is a label (one or more lines, when a
cell wraps) followed by its figures; a narrow cell may wrap its MODELED label onto a line of its own, which
still belongs to the figure before it.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal

from pypdf import PdfReader

from kernel.words import formula_title
from services.publisher.domain.netting_view import NETTING_HEADER, NETTING_TOTAL, REBATE_LINES

FIGURE = re.compile(r"-?\$?[\d,]+(\.\d+)?%?( MODELED)?")
MONEY = re.compile(r"(-?)\$([\d,]+\.\d\d)( MODELED)?")
ZERO = Decimal("0.00")
HEADER_LINES, FOOTER_LINES = 4, 1   # title, run, status band, scope hash; "Page X of Y"


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def body_lines(pages: list[str]) -> list[str]:
    """Every page's lines without the header and footer every page repeats, MODELED labels joined to their cell."""
    lines: list[str] = []
    for page in pages:
        lines += lines_of(page)[HEADER_LINES:-FOOTER_LINES]
    return joined(lines)


def joined(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line == "MODELED" and out and FIGURE.fullmatch(out[-1]):
            out[-1] += " MODELED"
        else:
            out.append(line)
    return out


def money(shown: str) -> Decimal:
    match = MONEY.fullmatch(shown)
    assert match, f"not a money figure: {shown!r}"
    return Decimal(match.group(1) + match.group(2).replace(",", ""))


@dataclass(frozen=True)
class Row:
    labels: tuple[str, ...]   # the label's lines (a wrapped cell, or the cells before the figures)
    figures: list[str]

    @property
    def label(self) -> str:
        return " ".join(self.labels)


def rows(lines: list[str]) -> list[Row]:
    """Label lines followed by figure lines; a label with no figure after it (a header cell) is dropped."""
    found: list[Row] = []
    label: list[str] = []
    figures: list[str] = []
    for line in lines:
        if FIGURE.fullmatch(line):
            figures.append(line)
            continue
        if figures:
            found.append(Row(tuple(label), figures))
            label, figures = [], []
        label.append(line)
    if figures:
        found.append(Row(tuple(label), figures))
    return found


def between(lines: list[str], start: str, end: str, after: int = 0) -> list[str]:
    """The lines after the first line starting with `start` (at or past index `after`) up to one starting with `end`."""
    first = next(i for i in range(after, len(lines)) if lines[i].startswith(start))
    last = next(i for i in range(first + 1, len(lines)) if lines[i].startswith(end))
    return lines[first + 1:last]


def section_start(lines: list[str], formula: dict) -> int:
    """Where a formula's section begins: its heading starts with its title and status."""
    heading = f"{formula_title(formula['id'])} — {formula['status'].upper()}"
    return next(i for i, line in enumerate(lines) if line.startswith(heading))


def printed_bucket_variances(lines: list[str], formula: dict) -> dict[str, Decimal]:
    """Bucket title → its variance as the bucket table prints it (the table's last column)."""
    table = between(lines, "Channel and drug type", "How the ", after=section_start(lines, formula))
    return {row.labels[-1]: money(row.figures[-1]) for row in rows(table)}


def reconcile_guarantee(lines: list[str], formula: dict) -> Decimal:
    """The shortfall re-derived from the section's own netting table; asserts every step of the arithmetic.

    Each group's variance = Σ of its buckets' variances as printed; its shortfall = max(0, its variance);
    the shortfall owed = Σ of the groups' shortfalls; every bucket nets in exactly one group.
    """
    buckets = printed_bucket_variances(lines, formula)
    netting = [line for line in between(lines, "How the ", "Offset rule of the contract.",
                                         after=section_start(lines, formula)) if line not in NETTING_HEADER]
    *groups, total = rows(netting)
    assert total.label == NETTING_TOTAL, total
    covered = []
    for group in groups:
        members = " ".join(group.labels[1:]).split(" + ")
        variance, shortfall = (money(f) for f in group.figures)
        assert variance == sum(buckets[m] for m in members), (formula["id"], group)
        assert shortfall == max(ZERO, variance), (formula["id"], group)
        covered += members
    assert sorted(covered) == sorted(buckets), f"{formula['id']}: every bucket nets in exactly one group"
    net, shortfall = (money(f) for f in total.figures)
    assert net == sum(money(g.figures[0]) for g in groups)
    assert shortfall == sum(money(g.figures[1]) for g in groups)
    return shortfall


def reconcile_rebate(lines: list[str], formula: dict) -> list[Row]:
    """variance_total - received_other = difference, shortfall = max(0, difference), from the printed lines."""
    table = between(lines, "Rebate reconciliation", "Offset rule for rebates.", after=section_start(lines, formula))
    found = rows([line for line in table if line != "Amount"])
    assert [row.label.split(" (")[0] for row in found] == [label.split(" (")[0] for label in REBATE_LINES]
    total, other, difference, shortfall = (money(row.figures[0]) for row in found)
    assert total - other == difference and shortfall == max(ZERO, difference)
    return found
