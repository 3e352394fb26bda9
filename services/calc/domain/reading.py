"""Streaming reader of a claims CSV (calculations.md 1.1): one pass, constant memory but the set of claim ids."""
from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from operator import itemgetter
from typing import BinaryIO

from kernel.errors import InputError
from services.calc.domain.claims import CLAIM_COLUMNS, Claim, ClaimsBatch, Reject
from services.calc.domain.validation import misshapen, rejected, validate_row

__all__ = ["ClaimsScan", "read_claims_from", "ClaimsBatch"]
_CHUNK = 1 << 20


class _HashingReader(io.RawIOBase):
    """Hands the caller's bytes through unchanged while hashing them, so claims_sha256 is of the input bytes."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while data := self._stream.read(_CHUNK):
            self.digest.update(data)


class ClaimsScan:
    """Iterate once: yields Claim or Reject in row order; sha256 and rows_read are valid after exhaustion."""

    def __init__(self, stream: BinaryIO) -> None:
        self._raw = _HashingReader(stream)
        # utf-8-sig drops a leading byte-order mark; newline="" leaves CRLF inside quotes to the csv parser.
        text = io.TextIOWrapper(io.BufferedReader(self._raw, _CHUNK), encoding="utf-8-sig", newline="")
        self._reader = csv.reader(text, strict=True)
        self.rows_read = 0
        self.sha256 = ""
        header = next(self._records(), None)
        if header is None:
            raise InputError("bad_input:claims", "the claims file has no header row")
        self._width = len(header)
        self._pick = itemgetter(*_column_positions(header))

    def __iter__(self) -> Iterator[Claim | Reject]:
        seen_claim_ids: set[str] = set()
        for record in self._records():
            self.rows_read += 1
            row = self.rows_read
            if len(record) != self._width:
                yield misshapen(row)
                continue
            fields = self._pick(record)
            outcome = validate_row(row, fields)
            if isinstance(outcome, Claim):
                if outcome.claim_id in seen_claim_ids:
                    outcome = rejected(row, "duplicate_claim_id", fields)
                else:
                    seen_claim_ids.add(outcome.claim_id)
            yield outcome
        self._raw.drain()
        self.sha256 = self._raw.digest.hexdigest()

    def _records(self) -> Iterator[list[str]]:
        """Non-empty records; a file that cannot be read, decoded or parsed is `bad_input:claims`."""
        while True:
            try:
                record = next(self._reader)
            except StopIteration:
                return
            except (csv.Error, ValueError, OSError) as exc:
                raise InputError("bad_input:claims", f"unreadable after data row {self.rows_read}: {exc}") from None
            if record:
                yield record


def _column_positions(header: list[str]) -> list[int]:
    for column in CLAIM_COLUMNS:
        if column not in header:
            raise InputError(f"missing_column:{column}", f"the claims header has no column {column}")
        if header.count(column) > 1:
            # Two columns of one name leave it ambiguous which value is the claim's.
            raise InputError("bad_input:claims", f"the claims header names {column} twice")
    return [header.index(column) for column in CLAIM_COLUMNS]


def read_claims_from(stream: BinaryIO) -> ClaimsBatch:
    """Read a whole claims input from an open binary stream (adapters/claims_file.py opens files)."""
    scan = ClaimsScan(stream)
    claims: list[Claim] = []
    rejects: list[Reject] = []
    for outcome in scan:
        if isinstance(outcome, Claim):
            claims.append(outcome)
        else:
            rejects.append(outcome)
    return ClaimsBatch(scan.sha256, scan.rows_read, claims, rejects, len(claims))
