"""Source documents: the bytes a packet was extracted from, and the check that they are the ones it names."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from kernel.errors import InputError

CONTENT_TYPES = {".pdf": "application/pdf",
                 ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass(frozen=True)
class Document:
    sha256: str
    name: str          # its place in the client's contract tree, e.g. "Clients/C001/PBM_A/2025 contract.pdf"
    content_type: str
    size: int
    data: bytes
    retrieved_at: str


def is_document(name: str) -> bool:
    return name.lower().endswith(tuple(CONTENT_TYPES))


def document_of(name: str, data: bytes, retrieved_at: str) -> Document:
    suffix = name[name.rfind("."):].lower()
    return Document(hashlib.sha256(data).hexdigest(), name, CONTENT_TYPES[suffix], len(data), data, retrieved_at)


def named_source(body_json: bytes) -> tuple[str, str] | None:
    """(source.path, source.sha256) of a contract packet, when it names its document."""
    source = json.loads(body_json).get("source") or {}
    return (source["path"], source["sha256"]) if source.get("path") and source.get("sha256") else None


def check_source(body_json: bytes, delivered: dict[str, Document]) -> None:
    """A document delivered with the packet must be exactly the one its source.sha256 names."""
    named = named_source(body_json)
    if named and named[0] in delivered and delivered[named[0]].sha256 != named[1]:
        raise InputError("bad_input:packet", "source.sha256 does not match the document at source.path")
