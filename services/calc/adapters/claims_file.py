"""A claims file on disk, read by the domain's streaming reader (domain/reading.py), which never opens a file itself."""
from __future__ import annotations

import hashlib
import io
import os
from bisect import bisect_left
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy

from kernel.errors import InputError
from services.calc.domain.claims import ClaimsBatch
from services.calc.domain.reading import read_claims_from

_CHUNK = 1 << 20
_INDEX_CHUNK = 8 << 20


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
    return read_whole(path).sha256


@dataclass(frozen=True)
class LineIndex:
    """The newlines of a file counted per chunk, so a few lines are found by number without parsing it again.

    Only for a file with no double quote and no carriage return: there a record is one line, and a caller who
    read as many records as the file has lines after its header knows that record n is line n."""

    path: Path
    chunk_starts: list[int]  # where each chunk of the file starts
    newlines_before: list[int]  # newlines before each chunk
    lines: int  # lines in the file, a last one without a newline included

    def texts(self, wanted: Collection[int]) -> dict[int, str]:
        """Line number (0 = the header) → that line's text; only the chunks that hold a wanted line are read."""
        by_chunk: dict[int, list[int]] = {}
        for number in wanted:
            if not 0 < number < self.lines:
                raise ValueError(f"no line {number} after the header of a {self.lines}-line file")
            # The line starts after newline number `number`, which lies in the last chunk with fewer before it.
            by_chunk.setdefault(bisect_left(self.newlines_before, number) - 1, []).append(number)
        found: dict[int, str] = {}
        with open(self.path, "rb") as stream:
            for chunk, numbers in by_chunk.items():
                stream.seek(self.chunk_starts[chunk])
                data = stream.read(_INDEX_CHUNK)
                parts = data.split(b"\n")  # parts[j] is line newlines_before + j: the first one began earlier
                for number in numbers:
                    j = number - self.newlines_before[chunk]
                    text = parts[j] if j < len(parts) - 1 else parts[j] + _rest_of_line(
                        stream, self.chunk_starts[chunk] + len(data))
                    found[number] = text.decode("utf-8")
        return found


@dataclass(frozen=True)
class WholeRead:
    sha256: str  # claims_sha256: the SHA-256 of the file's bytes
    lines: LineIndex | None  # where asked for and the file has no double quote and no carriage return


def read_whole(path: str | os.PathLike, index_lines: bool = False) -> WholeRead:
    """The file's SHA-256 and, if asked, its LineIndex, from one read into a reused buffer (no fresh pages to
    fault in per chunk). hashlib, memchr and numpy release the GIL, so this runs on a thread beside DuckDB.

    The newlines cost one numpy pass over each chunk while it is in the cache (bytes.count would take three
    times as long); the index is None where the file holds a double quote or a carriage return."""
    digest = hashlib.sha256()
    starts: list[int] = []
    before: list[int] = []
    newlines = offset = 0
    plain, ends_a_line = index_lines, True
    buffer = bytearray(_INDEX_CHUNK)
    view = memoryview(buffer)
    is_newline = numpy.empty(_INDEX_CHUNK if index_lines else 0, dtype=bool)
    with open(path, "rb") as stream:
        while size := stream.readinto(buffer):
            digest.update(view[:size])
            plain = plain and buffer.find(b'"', 0, size) < 0 and buffer.find(b"\r", 0, size) < 0
            if plain:
                starts.append(offset)
                before.append(newlines)
                newlines += _newlines(buffer, size, is_newline)
                ends_a_line = buffer[size - 1] == ord("\n")
            offset += size
    lines = LineIndex(Path(path), starts, before, newlines + (0 if ends_a_line else 1)) if plain else None
    return WholeRead(digest.hexdigest(), lines)


def _newlines(buffer: bytearray, size: int, scratch: numpy.ndarray) -> int:
    """How many newlines the first `size` bytes of `buffer` hold; `scratch` is a reused bool array as long."""
    found = numpy.equal(numpy.frombuffer(buffer, numpy.uint8, size), ord("\n"), out=scratch[:size])
    return int(numpy.count_nonzero(found))


def _rest_of_line(stream, offset: int) -> bytes:
    """The bytes from `offset` to the next newline or the end of the file."""
    stream.seek(offset)
    pieces = []
    while piece := stream.read(_CHUNK):
        end = piece.find(b"\n")
        pieces.append(piece if end < 0 else piece[:end])
        if end >= 0:
            break
    return b"".join(pieces)
