"""extract.csv on disk: written row by row through the domain's checked ExtractWriter, and read back as typed rows."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from services.publisher.domain.extract import (
    ExtractRow,
    ExtractWriter,
    FindingsSink,
    WrittenExtract,
    cells_of,
    read_extract,
)
from services.publisher.domain.presentation_contract import ContractCheck


def read_extract_file(path: Path) -> Iterator[ExtractRow]:
    with path.open(newline="", encoding="utf-8") as source:
        yield from read_extract(source)


def written(path: Path, rows: int, findings=None) -> WrittenExtract:
    """The record of an extract.csv written at `path`, able to read its rows back."""
    return WrittenExtract(path, rows, findings, read=lambda: read_extract_file(path))


def write_extract(rows: Iterable[ExtractRow], path: Path, check: ContractCheck,
                  gather: FindingsSink | None = None) -> WrittenExtract:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = ExtractWriter(out, check, gather=gather)
        for row in rows:
            writer.write(cells_of(row))
    return written(path, writer.rows, gather.findings() if gather is not None else None)
