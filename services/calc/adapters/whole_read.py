"""One read of a claims file beside DuckDB: its SHA-256 and, when asked, its lines counted and checked.

`leaf calc` reads the file twice at once: DuckDB reads its lines, and a thread reads its bytes for claims_sha256.
That thread also counts the lines (LineIndex: the hints of a repeated id that kept no text) and, given the record
pattern, hands whole-line blocks to two workers that match them with Arrow's RE2 (line_check), so DuckDB never
runs the pattern. hashlib, numpy and Arrow release the GIL, so all of it runs while DuckDB reads.
"""
from __future__ import annotations

import hashlib
import os
import queue
import threading
from bisect import bisect_left
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy

if TYPE_CHECKING:
    from services.calc.adapters.line_check import LinePatterns

_BLOCK = 8 << 20
_WORKERS = 2
# Beyond this many refused lines their texts are not kept here (a file so broken is not the case to optimize):
# WholeRead.refused is then None, and the caller lets DuckDB run the pattern, its table spilling to disk.
MOST_REFUSED = 100_000


@dataclass(frozen=True)
class LineIndex:
    """Where each block of whole lines starts and how many lines come before it, so a few lines are found by
    number without parsing the file again.

    Only for a file with no double quote and no carriage return: there a record is one line, and a caller who
    read as many records as the file has lines after its header knows that record n is line n."""

    path: Path
    chunk_starts: list[int]  # where each block of whole lines starts
    newlines_before: list[int]  # lines before each block (the header is line 0)
    lines: int  # lines in the file, a last one without a newline included

    def texts(self, wanted: Collection[int]) -> dict[int, str]:
        """Line number (0 = the header) → that line's text; only the blocks that hold a wanted line are read."""
        by_block: dict[int, list[int]] = {}
        for number in wanted:
            if not 0 < number < self.lines:
                raise ValueError(f"no line {number} after the header of a {self.lines}-line file")
            by_block.setdefault(bisect_left(self.newlines_before, number + 1) - 1, []).append(number)
        ends = [*self.chunk_starts[1:], os.path.getsize(self.path)]
        found: dict[int, str] = {}
        with open(self.path, "rb") as stream:
            for block, numbers in by_block.items():
                stream.seek(self.chunk_starts[block])
                parts = stream.read(ends[block] - self.chunk_starts[block]).split(b"\n")  # whole lines
                for number in numbers:
                    found[number] = parts[number - self.newlines_before[block]].decode("utf-8")
        return found


@dataclass(frozen=True)
class RefusedLines:
    """The lines after the header that the record pattern refuses."""
    records: int  # lines after the header, blank ones and a last one without a newline included
    texts: dict[int, str]  # line number (1 = the first after the header) → its text


@dataclass(frozen=True)
class WholeRead:
    sha256: str  # claims_sha256: the SHA-256 of the file's bytes
    lines: LineIndex | None  # where asked for and the file has no double quote and no carriage return
    refused: RefusedLines | None  # where a record pattern was given, unless over MOST_REFUSED lines or not UTF-8


@dataclass(frozen=True)
class _Block:
    newlines: int
    plain: bool  # no double quote, no carriage return
    refused: list[tuple[int, bytes]]  # (index from the block's first record, text) of each refused line


def read_whole(path: str | os.PathLike, index_lines: bool = False, record: str | None = None) -> WholeRead:
    """The file's SHA-256 and, if asked, its LineIndex and the lines after its header that the RE2 full match
    `record` refuses.

    Read in blocks of whole lines (a block ends at its last newline; the rest of the read begins the next
    block) into a few reused buffers (no fresh pages to fault in per block); a last line without a newline is
    given one in the buffer, never in the hash. The blocks are counted and checked on worker threads, in order of
    arrival, while this thread reads and hashes."""
    if not index_lines and record is None:
        return WholeRead(_sha256(path), None, None)
    patterns = None
    if record is not None:
        # Arrow takes a tenth of a second to import: here, on the thread that reads beside DuckDB.
        from services.calc.adapters.line_check import LinePatterns
        patterns = LinePatterns.of(record)
    budget = _Budget(MOST_REFUSED)
    digest = hashlib.sha256()
    free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
    for _ in range(_WORKERS + 2):
        free.put(bytearray(_BLOCK + 1))
    blocks: list[tuple[int, int, Future[_Block]]] = []  # (file offset, first record's line number, facts)
    offset, carry = 0, b""
    with ThreadPoolExecutor(_WORKERS) as workers, open(path, "rb") as stream:
        while True:
            buffer = free.get()
            if len(buffer) < len(carry) + _BLOCK + 1:  # a line longer than a block
                buffer = bytearray(len(carry) + _BLOCK + 1)
            buffer[:len(carry)] = carry
            size = stream.readinto(memoryview(buffer)[len(carry):len(carry) + _BLOCK])
            digest.update(memoryview(buffer)[len(carry):len(carry) + size])
            filled = len(carry) + size
            if size:
                end = buffer.rfind(b"\n", 0, filled) + 1
            elif filled:  # the last line has no newline
                buffer[filled], end = ord("\n"), filled + 1
            else:
                break
            if not end:  # no whole line yet
                carry = bytes(buffer[:filled])
                free.put(buffer)
                continue
            carry = bytes(buffer[end:filled])
            start = buffer.find(b"\n", 0, end) + 1 if not blocks else 0  # the header is no record
            facts = workers.submit(_block_facts, buffer, start, end, patterns, budget)
            facts.add_done_callback(lambda _, done=buffer: free.put(done))
            blocks.append((offset, 1 if start else 0, facts))
            offset += end
            if not size:
                break
    return _assembled(Path(path), digest.hexdigest(), blocks, index_lines, patterns is not None and budget.kept())


def _block_facts(buffer: bytearray, start: int, end: int, patterns: LinePatterns | None, budget: _Budget) -> _Block:
    refused = patterns.refused(buffer, start, end) if patterns is not None else []
    budget.spend(len(refused))
    plain = buffer.find(b'"', 0, end) < 0 and buffer.find(b"\r", 0, end) < 0
    return _Block(_newlines(buffer, end), plain, refused if budget.kept() else [])


_SLICE = 1 << 20
_scratch = threading.local()


def _newlines(buffer: bytearray, end: int) -> int:
    """How many newlines buffer[:end] holds: numpy passes of a MiB into this thread's reused bool array (bytes.count
    takes three times as long, and a fresh array per block faults in its pages every time)."""
    scratch = getattr(_scratch, "is_newline", None)
    if scratch is None:
        scratch = _scratch.is_newline = numpy.empty(_SLICE, dtype=bool)
    data = numpy.frombuffer(buffer, numpy.uint8, end)
    return sum(int(numpy.count_nonzero(numpy.equal(data[at:at + _SLICE], ord("\n"), out=scratch[:min(_SLICE, end - at)])))
               for at in range(0, end, _SLICE))


def _assembled(path: Path, sha256: str, blocks: list[tuple[int, int, Future[_Block]]], index_lines: bool,
               checked: bool) -> WholeRead:
    """The WholeRead of the blocks' facts, in file order (every worker has finished). `checked`: a pattern was
    given and no more than MOST_REFUSED lines failed it."""
    starts: list[int] = []
    before: list[int] = []
    texts: dict[int, str] = {}
    lines, plain = 0, True
    for offset, first, facts in blocks:
        block = facts.result()
        starts.append(offset)
        before.append(lines)
        plain = plain and block.plain
        for index, text in block.refused:
            try:
                texts[lines + first + index] = text.decode("utf-8")
            except UnicodeDecodeError:  # DuckDB refuses such a file; its answer is the reference
                checked = False
        lines += block.newlines
    index = LineIndex(path, starts, before, lines) if index_lines and plain else None
    return WholeRead(sha256, index, RefusedLines(max(lines - 1, 0), texts) if checked else None)


class _Budget:
    """How many refused lines the workers may still keep, shared between them."""

    def __init__(self, most: int) -> None:
        self._left = most
        self._lock = threading.Lock()

    def spend(self, count: int) -> None:
        with self._lock:
            self._left -= count

    def kept(self) -> bool:
        return self._left >= 0


def _sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(_BLOCK)
    view = memoryview(buffer)
    with open(path, "rb") as stream:
        while size := stream.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()
