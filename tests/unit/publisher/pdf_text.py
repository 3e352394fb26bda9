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

FIGURE = re.compile(r"-?\$?[\d,]+(\.\d+)?%?( MODELED)?")
MONEY = re.compile(r"(-?)\$([\d,]+\.\d\d)( MODELED)?")
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
