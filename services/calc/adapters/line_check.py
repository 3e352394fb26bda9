"""Check a block of whole lines against the record pattern with Arrow's RE2, beside DuckDB.

DuckDB runs the record pattern (duckdb_line_validation) at about 1 µs a line; Arrow's RE2, the same engine and
syntax, matches a whole 8 MiB block of lines in one pass at about 1.9 ns a byte (0.3 µs a line) and releases the
GIL while it does, so two workers match the blocks while DuckDB takes the same lines (whole_read;
docs/benchmarks.md, round 7). Only a block that fails the one pass is matched line by line, to name its refused
lines.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy
import pyarrow
import pyarrow.compute as compute


@dataclass(frozen=True)
class LinePatterns:
    """The record pattern as RE2 sees it here: one for a block of lines, each ending with a newline, and one for
    a single line with its newline."""
    block: str
    line: str

    @classmethod
    def of(cls, record: str) -> LinePatterns:
        return cls(f"\\A(?:(?:{record})\\n)*\\z", f"\\A(?:{record})\\n\\z")

    def refused(self, data: bytearray, offsets: numpy.ndarray) -> list[tuple[int, bytes]]:
        """(index, text without its newline) of each line the record pattern refuses among the lines of `data`
        between consecutive `offsets` (int64: where each line starts, then where the last one ends), each ending
        with a newline. The lines must be UTF-8 (require_utf8)."""
        start, end = int(offsets[0]), int(offsets[-1])
        if start == end or compute.match_substring_regex(_texts(data, numpy.array([start, end], numpy.int64)),
                                                         self.block)[0].as_py():
            return []
        matched = compute.match_substring_regex(_texts(data, offsets), self.line)
        refused = compute.indices_nonzero(compute.invert(matched)).to_pylist()
        return [(i, bytes(data[offsets[i]:offsets[i + 1] - 1])) for i in refused]


def require_utf8(data: bytearray, end: int) -> None:
    """Raise ValueError (pyarrow.ArrowInvalid) where data[:end] is not UTF-8 (Arrow checks it at memory speed).
    DuckDB takes such text from Arrow as it is, and its CSV reader by columns too, where the pure reader names the
    error: the caller then steps aside to it."""
    _texts(data, numpy.array([0, end], numpy.int64)).validate(full=True)


def _texts(data: bytearray, offsets: numpy.ndarray) -> pyarrow.Array:
    """The texts between consecutive offsets of `data`, as an Arrow array over the same memory (no copy); matched
    as UTF-8 text, as DuckDB matches it. Its results are read as Python values: Arrow's to_numpy of booleans would
    import pandas (0.4 s, holding the GIL from every other thread of the read)."""
    return pyarrow.LargeStringArray.from_buffers(len(offsets) - 1, pyarrow.py_buffer(offsets), pyarrow.py_buffer(data))
