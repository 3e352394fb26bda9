"""The contract's last look, at what only rendering adds: workbook metadata and parts, the PDF's metadata and text.

Every cell value was checked where it was produced; these are the strings a renderer wrote on its own (document
properties, sheet names and defined names in workbook.xml, comments, link targets, the PDF's text as laid out).
The workbook's cell parts (sheets and shared strings) are never read again: they hold only checked values.
"""
from __future__ import annotations

import html
import io
import re
import zipfile
from os import PathLike
from xml.etree import ElementTree

from pypdf import PdfReader

from services.publisher.domain.deliverable_files import XLSX
from services.publisher.domain.presentation_contract import ContractCheck

Source = str | PathLike | bytes
# Cell values, each checked as it was written: the only parts never read back.
_CELL_PARTS = re.compile(r"^xl/(?:worksheets/sheet\d+|sharedStrings)\.xml$")
_PROPERTY_PARTS = ("docProps/core.xml", "docProps/custom.xml")


def check_rendered(check: ContractCheck, artifact: str, content_type: str, source: Source) -> None:
    """The final check of a workbook or a PDF; any other kind adds nothing to its checked values."""
    kind = {XLSX: _workbook, "application/pdf": _pdf}.get(content_type)
    if kind is None:
        return
    try:
        kind(check, artifact, io.BytesIO(source) if isinstance(source, bytes) else source)
    except Exception as error:  # any parser's failure means the artifact was not checked
        check.unreadable(artifact, error)


def _workbook(check: ContractCheck, artifact: str, source) -> None:
    with zipfile.ZipFile(source) as archive:
        parts = archive.namelist()
        if "xl/workbook.xml" not in parts:
            raise ValueError("not a workbook")
        for part in parts:
            if part == "docProps/core.xml":
                _core_properties(check, artifact, archive.read(part))
            elif part == "docProps/custom.xml":
                _custom_properties(check, artifact, archive.read(part))
            elif part.endswith((".xml", ".rels", ".vml")) and not _CELL_PARTS.match(part):
                xml = archive.read(part).decode("utf-8", "replace")
                for number, element in enumerate(xml.split(">"), start=1):  # one tag and the text before it
                    check.value(artifact, f"part {part}, element {number}", html.unescape(element))


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _core_properties(check: ContractCheck, artifact: str, xml: bytes) -> None:
    """Title, subject, creator, keywords, description, …: named as a reader's properties dialog names them."""
    for element in ElementTree.fromstring(xml):
        if element.text and element.text.strip():
            check.value(artifact, f"properties.{_local(element.tag)}", element.text)


def _custom_properties(check: ContractCheck, artifact: str, xml: bytes) -> None:
    for prop in ElementTree.fromstring(xml):
        name = prop.get("name", "")
        check.name(artifact, f"custom property {name!r}", name)
        for value in prop:
            if value.text:
                check.value(artifact, f"custom property {name!r}", value.text, key=name)


def _pdf(check: ContractCheck, artifact: str, source) -> None:
    reader = PdfReader(source, strict=False)
    for key, value in (reader.metadata or {}).items():
        check.value(artifact, f"metadata {key}", str(value), key=str(key).lstrip("/"))
    for number, page in enumerate(reader.pages, start=1):
        for line in (page.extract_text() or "").splitlines():
            check.value(artifact, f"page {number}", line)
