"""One read of a claims file, on threads beside DuckDB: its SHA-256 and, for a plain file, its lines.

`leaf calc` reads a plain file once (LineRead): a thread reads it in blocks of whole lines and hashes them for
claims_sha256; DuckDB takes the blocks as Arrow batches of lines (as fast, in a whole run, as its own CSV reader of
the same lines, which reads the file again and cannot take a 0x01 byte), and two workers check each block is UTF-8,
match it with the record pattern (line_check: Arrow's RE2 at about half DuckDB's cost) and count its lines
(LineIndex: the hints of a repeated id that kept no text). hashlib, numpy, Arrow and DuckDB release the GIL, so all
of it runs at once (docs/benchmarks.md, round 7).
"""
from __future__ import annotations

import hashlib
import os
import queue
import threading
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy

if TYPE_CHECKING:
    import pyarrow

    from services.calc.adapters.line_check import LinePatterns

BLOCK = 8 << 20
_WORKERS = 2
_IN_FLIGHT = 4  # blocks read and not yet checked (and as many not yet taken by DuckDB): the read waits beyond
# Beyond this many refused lines their texts are not kept here (a file so broken is not the case to optimize):
# WholeRead.refused is then None, and the caller lets DuckDB read the file and match the pattern itself.
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
                data = stream.read(ends[block] - self.chunk_starts[block])  # whole lines
                # Only the wanted lines are cut out: splitting the block would make 50,000 objects.
                newlines = numpy.flatnonzero(numpy.frombuffer(data, numpy.uint8) == ord("\n"))
                for number in numbers:
                    j = number - self.newlines_before[block]
                    start = int(newlines[j - 1]) + 1 if j else 0
                    found[number] = data[start:int(newlines[j]) if j < len(newlines) else len(data)].decode("utf-8")
        return found


@dataclass(frozen=True)
class RefusedLines:
    """The lines after the header that the record pattern refuses."""
    records: int  # lines after the header, blank ones and a last one without a newline included
    texts: dict[int, str]  # line number (1 = the first after the header) → its text


@dataclass(frozen=True)
class WholeRead:
    sha256: str  # claims_sha256: the SHA-256 of the file's bytes
    lines: LineIndex | None  # None where the file holds a double quote or a carriage return
    refused: RefusedLines | None  # where a record pattern was given, unless over MOST_REFUSED lines were refused


def file_sha256(path: str | os.PathLike) -> str:
    """claims_sha256 of a claims file: the SHA-256 of its bytes, read into one reused buffer."""
    digest = hashlib.sha256()
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    with open(path, "rb") as stream:
        while size := stream.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


@dataclass(frozen=True)
class _Block:
    buffer: bytearray
    start: int  # where its first record begins (after the header, in the first block)
    end: int  # just after its last newline
    offsets: Future  # its records' offsets in the buffer (numpy int64), for the Arrow batch
    facts: Future  # _Facts


@dataclass(frozen=True)
class _Facts:
    lines: int  # lines in the block, the header included
    plain: bool  # no double quote, no carriage return
    refused: list[tuple[int, bytes]]  # (index from the block's first record, text) of each refused line


class LineRead:
    """One read of a claims file on a thread, begun at once: its WholeRead (result) and, where `feed`, its records
    as Arrow batches of lines for DuckDB (batches: to be read whole, or closed). The result raises ValueError where
    the file is not UTF-8 (line_check.require_utf8).

    `record`: the RE2 full match of a valid line, or None for no check. `block`: the read's size, and
    `most_refused`: the texts kept at most (tests make both small). At most _IN_FLIGHT blocks wait for a worker,
    and as many for DuckDB."""

    def __init__(self, path: str | os.PathLike, record: str | None, feed: bool, block: int = BLOCK,
                 most_refused: int = MOST_REFUSED) -> None:
        self._path = Path(path)
        self._record = record
        self._patterns: LinePatterns | None = None  # line_check's, imported on the read's own thread
        self._require_utf8: Callable[[bytearray, int], None] | None = None
        self._block = block
        self._fed: queue.SimpleQueue[_Block | BaseException | None] | None = queue.SimpleQueue() if feed else None
        self._unchecked = threading.Semaphore(_IN_FLIGHT)
        self._unfed = threading.Semaphore(_IN_FLIGHT)
        self._closed = threading.Event()
        self._refused_left = most_refused
        self._lock = threading.Lock()
        self._result: Future[WholeRead] = Future()
        threading.Thread(target=self._read, name="line-read", daemon=True).start()

    @property
    def feeds(self) -> bool:
        return self._fed is not None

    def batches(self) -> pyarrow.RecordBatchReader:
        """The records, each line with its newline, in file order (DuckDB scans them in order)."""
        import pyarrow
        schema = pyarrow.schema([("line", pyarrow.large_string())])
        return pyarrow.RecordBatchReader.from_batches(schema, self._batches(schema))

    def result(self) -> WholeRead:
        return self._result.result()

    def close(self) -> None:
        """No more batches are read: the read goes on without feeding them, for the WholeRead."""
        self._closed.set()

    def _batches(self, schema: pyarrow.Schema) -> Iterator[pyarrow.RecordBatch]:
        import pyarrow
        while (block := self._fed.get()) is not None:
            self._unfed.release()
            if isinstance(block, BaseException):
                raise block
            offsets = block.offsets.result()
            yield pyarrow.record_batch([pyarrow.LargeStringArray.from_buffers(
                len(offsets) - 1, pyarrow.py_buffer(offsets), pyarrow.py_buffer(block.buffer))], schema=schema)

    def _read(self) -> None:
        digest = hashlib.sha256()
        blocks: list[tuple[int, bool, Future[_Facts]]] = []  # (file offset, after the header, facts): no buffer kept
        try:
            # Arrow takes a tenth of a second to import: here, beside DuckDB.
            from services.calc.adapters.line_check import LinePatterns, require_utf8
            self._require_utf8 = require_utf8
            if self._record is not None:
                self._patterns = LinePatterns.of(self._record)
            with ThreadPoolExecutor(_WORKERS) as workers, open(self._path, "rb") as stream:
                for buffer, end, offset in _whole_lines(stream, self._block, digest):
                    start = buffer.find(b"\n", 0, end) + 1 if not blocks else 0  # the header is no record
                    block = _Block(buffer, start, end, Future(), Future())
                    self._unchecked.acquire()
                    workers.submit(self._counted_and_checked, block)
                    blocks.append((offset, start > 0, block.facts))
                    if self._fed is not None and self._room_to_feed():
                        self._fed.put(block)
            if self._fed is not None:
                self._fed.put(None)
            self._result.set_result(self._assembled(digest.hexdigest(), blocks))
        except BaseException as exc:  # e.g. an OSError: DuckDB's statement and the caller both hear of it
            if self._fed is not None:
                self._fed.put(exc)
            self._result.set_exception(exc)

    def _room_to_feed(self) -> bool:
        """Wait until DuckDB has taken a block, unless the batches are closed."""
        while not self._closed.is_set():
            if self._unfed.acquire(timeout=0.05):
                return True
        return False

    def _counted_and_checked(self, block: _Block) -> None:
        try:
            self._require_utf8(block.buffer, block.end)
            newlines = numpy.flatnonzero(_is_newline(block.buffer, block.end))
            records = numpy.concatenate(([block.start], newlines[newlines >= block.start] + 1))
            block.offsets.set_result(records)
            refused = self._patterns.refused(block.buffer, records) if self._patterns else []
            with self._lock:
                self._refused_left -= len(refused)
                kept = self._refused_left >= 0
            # A line the pattern takes holds neither (its texts exclude them): only the rest is looked at.
            looked_at = block.start if self._patterns is not None and not refused else block.end
            plain = block.buffer.find(b'"', 0, looked_at) < 0 and block.buffer.find(b"\r", 0, looked_at) < 0
            block.facts.set_result(_Facts(len(newlines), plain, refused if kept else []))
        except BaseException as exc:
            for future in (block.offsets, block.facts):
                if not future.done():
                    future.set_exception(exc)
        finally:
            self._unchecked.release()

    def _assembled(self, sha256: str, blocks: list[tuple[int, bool, Future[_Facts]]]) -> WholeRead:
        """The WholeRead of the blocks' facts, in file order."""
        starts: list[int] = []
        before: list[int] = []
        texts: dict[int, str] = {}
        lines, plain, checked = 0, True, self._patterns is not None and self._refused_left >= 0
        for offset, after_header, block_facts in blocks:
            facts = block_facts.result()
            starts.append(offset)
            before.append(lines)
            plain = plain and facts.plain
            first = lines + (1 if after_header else 0)
            texts.update((first + index, text.decode("utf-8")) for index, text in facts.refused)  # checked UTF-8
            lines += facts.lines
        index = LineIndex(self._path, starts, before, lines) if plain else None
        return WholeRead(sha256, index, RefusedLines(max(lines - 1, 0), texts) if checked else None)


_scratch = threading.local()


def _is_newline(buffer: bytearray, end: int) -> numpy.ndarray:
    """Whether each byte of buffer[:end] is a newline, in this thread's reused bool array (a fresh one per block
    would fault in its pages every time)."""
    scratch = getattr(_scratch, "is_newline", None)
    if scratch is None or len(scratch) < end:
        scratch = _scratch.is_newline = numpy.empty(end, dtype=bool)
    return numpy.equal(numpy.frombuffer(buffer, numpy.uint8, end), ord("\n"), out=scratch[:end])


def _whole_lines(stream, block: int, digest) -> Iterator[tuple[bytearray, int, int]]:
    """(buffer, end, file offset) of each block of whole lines: a fresh buffer per block, as DuckDB and a worker
    read it at once; a block ends at its last newline, and the rest of the read begins the next one. A last line
    without a newline is given one in its buffer, never in the hash."""
    offset, carry = 0, b""
    while True:
        buffer = bytearray(len(carry) + block + 1)
        buffer[:len(carry)] = carry
        size = stream.readinto(memoryview(buffer)[len(carry):len(carry) + block])
        digest.update(memoryview(buffer)[len(carry):len(carry) + size])
        filled = len(carry) + size
        if size:
            end = buffer.rfind(b"\n", 0, filled) + 1
        elif filled:
            buffer[filled], end = ord("\n"), filled + 1
        else:
            return
        if not end:  # no whole line yet: one line longer than a block
            carry = bytes(buffer[:filled])
            continue
        carry = bytes(buffer[end:filled])
        yield buffer, end, offset
        offset += end
        if not size:
            return
