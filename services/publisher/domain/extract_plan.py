"""How many claim rows the workbook's Extract sheet carries, and what it says when they are published elsewhere.

A rule of the deliverables, not of XlsxWriter: the workbook renderer (adapters/workbook/) draws what this decides.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.publisher.domain.run_context import RunContext

# The Extract sheet carries at most this many claim rows (LEAF_WORKBOOK_EXTRACT_MAX_ROWS): Excel opens 100,000
# rows comfortably and they take seconds to write; past it, the CSV and Parquet are the extract (a million rows
# of cells take minutes to write and most machines minutes to open).
WORKBOOK_EXTRACT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class ExtractPlan:
    """How many claim rows the run has, how many the workbook may carry, and the files that hold them all."""

    rows: int
    max_rows: int
    full_extract: tuple[str, ...] = ()

    @classmethod
    def every_row(cls, context: RunContext) -> ExtractPlan:
        rows = sum(1 for _ in context.claims())
        return cls(rows, rows)

    @property
    def carried(self) -> bool:
        return self.rows <= self.max_rows

    def note(self) -> str | None:
        """What the Extract sheet and the Summary say when the rows are elsewhere; None when they are carried."""
        if self.carried:
            return None
        return (f"{self.rows:,} claim rows: more than this workbook carries ({self.max_rows:,}, "
                f"LEAF_WORKBOOK_EXTRACT_MAX_ROWS). The full extract is published with this run as "
                f"{' and '.join(self.full_extract)}.")
