"""A claims file on disk, read by the domain's streaming reader (domain/reading.py), which never opens a file itself."""
from __future__ import annotations

import hashlib
import io
import os
from bisect import bisect_left
from collections.abc import Collection

from kernel.errors import InputError
from services.calc.domain.claims import ClaimsBatch
from services.calc.domain.reading import read_claims_from

_CHUNK = 1 << 20


def read_claims(source: bytes | str | os.PathLike) -> ClaimsBatch:
    """Read a whole claims input: bytes are the file's content, a str or path names the file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return read_claims_from(io.BytesIO(bytes(source)))
    try:
        stream = open(source, "rb")
    except OSError as exc:
        raise InputError("bad_input:claims", f"cannot open the claims file: {exc}") from None
    with stream:
        return read_claims_from(stream)


def file_sha256(path: str | os.PathLike) -> str:
    """claims_sha256 of a claims file: the SHA-256 of its bytes, exactly as the scan computes it."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while data := stream.read(_CHUNK):
            digest.update(data)
    return digest.hexdigest()


def lines_at(path: str | os.PathLike, wanted: Collection[int]) -> tuple[dict[int, str], int] | None:
    """The `wanted` lines' texts by line number (0 = the header), and how many lines the file has.

    None when the file holds a double quote or a carriage return: a record may then span lines or end at a
    lone carriage return. Otherwise a caller who read as many records as the file has lines after its header
    knows that record n is line n. A few memchr-speed passes over the bytes: a fraction of parsing them again.
    """
    wanted, ordered = set(wanted), sorted(wanted)
    found: dict[int, str] = {}
    line, tail = 0, b""  # complete lines before `tail`, the line not yet ended
    buffer = bytearray(8 * _CHUNK)  # one buffer read into again and again: no fresh pages to fault in per chunk
    with open(path, "rb") as stream:
        while size := stream.readinto(buffer):
            chunk = memoryview(buffer)[:size]
            if buffer.find(b'"', 0, size) >= 0 or buffer.find(b"\r", 0, size) >= 0:
                return None
            complete = buffer.count(b"\n", 0, size)
            if not complete:
                tail += chunk
                continue
            if bisect_left(ordered, line) < bisect_left(ordered, line + complete):
                for offset, text in enumerate((tail + chunk).split(b"\n")[:complete]):
                    if line + offset in wanted:
                        found[line + offset] = text.decode("utf-8")
            tail, line = bytes(chunk[buffer.rfind(b"\n", 0, size) + 1:]), line + complete
    if tail:
        if line in wanted:
            found[line] = tail.decode("utf-8")
        line += 1
    return found, line
