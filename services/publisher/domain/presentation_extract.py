"""Every string an artifact would show, each with where it sits (CSV row/column, JSON pointer, sheet!cell, PDF page)."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import load_workbook
from pypdf import PdfReader

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Parts openpyxl already reads cell by cell; every other part (app properties, comments, hyperlink targets,
# defined names, charts) is scanned as raw XML so nothing a spreadsheet can show goes unread.
_XLSX_PARSED_PARTS = re.compile(r"^(?:xl/worksheets/sheet\d+|xl/sharedStrings|docProps/core|docProps/custom)\.xml$")
_KINDS = {"text/csv": "csv", "application/json": "json", XLSX: "xlsx", "application/pdf": "pdf"}


@dataclass(frozen=True)
class Fragment:
    where: str
    text: str
    is_name: bool = False  # a header, key or lone cell: plain words like `email` count as PHI there
    key: str | None = None  # the column, key or property the text is filed under


def kind_of(name: str, content_type: str) -> str:
    """csv, json, xlsx, pdf or text — by content type, else by the name's extension."""
    kind = _KINDS.get(content_type.split(";")[0].strip().lower())
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return kind or (suffix if suffix in _KINDS.values() else "text")


def fragments(kind: str, data: bytes) -> Iterator[Fragment]:
    """Raises ValueError (or the parser's own error) when the bytes are not the kind they claim to be."""
    yield from {"csv": _csv, "json": _json, "xlsx": _xlsx, "pdf": _pdf, "text": _text}[kind](data)


def _text(data: bytes) -> Iterator[Fragment]:
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        yield Fragment(f"line {number}", line)


def _csv(data: bytes) -> Iterator[Fragment]:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    header = next(rows, [])
    for index, name in enumerate(header, start=1):
        yield Fragment(f"header, column {index}", name, is_name=True)
    for number, row in enumerate(rows, start=1):
        for index, cell in enumerate(row):
            column = header[index] if index < len(header) else str(index + 1)
            yield Fragment(f"row {number}, column {column}", cell, key=column)


def _json(data: bytes) -> Iterator[Fragment]:
    yield from _walk(json.loads(data.decode("utf-8-sig")), "")


def _walk(node: object, pointer: str) -> Iterator[Fragment]:
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            yield Fragment(child or "/", str(key), is_name=True)
            if isinstance(value, (dict, list)):
                yield from _walk(value, child)
            elif value is not None:
                yield Fragment(child, str(value), key=str(key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{pointer}/{index}")
    elif node is not None:
        yield Fragment(pointer or "/", str(node))


def _xlsx(data: bytes) -> Iterator[Fragment]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        for field in ("title", "subject", "creator", "keywords", "description", "lastModifiedBy", "category",
                      "contentStatus", "identifier", "language", "version"):
            value = getattr(book.properties, field, None)
            if value:
                yield Fragment(f"properties.{field}", str(value))
        for prop in getattr(book, "custom_doc_props", None) or []:
            yield Fragment(f"custom property {prop.name!r}", str(prop.name), is_name=True)
            yield Fragment(f"custom property {prop.name!r}", str(prop.value), key=str(prop.name))
        for sheet in book.worksheets:
            yield Fragment(f"sheet name {sheet.title!r}", sheet.title, is_name=True)
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is not None and hasattr(cell, "coordinate"):
                        where, text = f"{sheet.title}!{cell.coordinate}", str(cell.value)
                        yield Fragment(where, text, is_name=len(text) <= 40)
    finally:
        book.close()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for part in archive.namelist():
            if part.endswith((".xml", ".rels", ".vml")) and not _XLSX_PARSED_PARTS.match(part):
                xml = archive.read(part).decode("utf-8", "replace")
                for number, element in enumerate(xml.split(">"), start=1):  # one tag and the text before it
                    yield Fragment(f"part {part}, element {number}", html.unescape(element))


def _pdf(data: bytes) -> Iterator[Fragment]:
    reader = PdfReader(io.BytesIO(data), strict=False)
    for key, value in (reader.metadata or {}).items():
        yield Fragment(f"metadata {key}", str(value), key=str(key).lstrip("/"))
    for number, page in enumerate(reader.pages, start=1):
        for line in (page.extract_text() or "").splitlines():
            yield Fragment(f"page {number}", line)
