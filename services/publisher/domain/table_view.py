"""A table as the PDF prints it, without ReportLab: a header, rows of cells (each a value already in words or
formatted as the reader sees it, and a style tag), the status that shades it, and whether its last row is a total.
The domain builds these (bucket_rows, findings_rows, evidence_rows, lineage_rows, netting_view); the renderer
(adapters/pdf/report_tables.table) only lays them out: column widths and fonts are its business, values are not."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

TEXT = "text"      # words
LABEL = "label"    # words set bold: a total's label
NUMBER = "number"  # a figure, right-aligned, carrying MODELED beside it when the table is modeled
TOTAL = "total"    # a total's figure, bold
MONO = "mono"      # an identifier or hash, in a fixed-width font so it can be matched character by character
STYLES = frozenset({TEXT, LABEL, NUMBER, TOTAL, MONO})


@dataclass(frozen=True)
class Cell:
    value: str
    style: str = TEXT
    code: str = ""   # a machine code printed small beside the words, for the reader who must find it in the data

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"unknown cell style {self.style!r}")


@dataclass(frozen=True)
class TableView:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    status: str = "final"          # a modeled or blocked table is shaded throughout and its figures say so
    total_row: bool = False        # the last row sums the others
    shaded_rows: Mapping[int, str] = field(default_factory=dict)   # body row index -> status, for single rows

    def __post_init__(self) -> None:
        ragged = [i for i, row in enumerate(self.rows) if len(row) != len(self.header)]
        if ragged:
            raise ValueError(f"rows {ragged} do not have the header's {len(self.header)} cells")
