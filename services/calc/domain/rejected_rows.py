"""A run's rejected rows across the mesh: a run message lists the first few, ListRunRejects pages them all.

calc's stored run and `leaf calc` keep every row (calculations.md 5); only what travels is cut, and the cut is
counted, so a reader always knows the list is partial and where the rest is.
"""
from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from kernel.errors import InputError
from services.calc.domain.claims import Reject
from services.calc.domain.result import render

# A listed row costs about 40 bytes: a file with a hundred thousand bad rows would make a run's message
# several MiB, past what the mesh carries, while rows_rejected and rejects_by_reason already tell the
# analyst the whole story. A thousand rows keep a run's message in the tens of KiB.
REJECTED_ROWS_IN_MESSAGE = 1000
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 10_000  # about 400 KiB a page: far under the message limit, few calls for a whole file


def capped_for_message(result_json: bytes, cap: int = REJECTED_ROWS_IN_MESSAGE) -> tuple[bytes, int]:
    """The result with data_quality.rejected_rows cut to its first `cap` rows, and how many were cut.

    Under the cap the stored bytes go out untouched; over it, the same canonical rendering with the shorter list.
    """
    result = json.loads(result_json)
    rows = result["data_quality"]["rejected_rows"]
    if len(rows) <= cap:
        return result_json, 0
    result["data_quality"]["rejected_rows"] = rows[:cap]
    return render(result), len(rows) - cap


@dataclass(frozen=True)
class Listing:
    """Which rejects a page token walks: a token is refused by any other listing."""

    run_id: str
    whole_input: bool


@dataclass(frozen=True)
class RejectPage:
    rejects: list[Reject]
    next_page_token: str  # empty: the last page


def row_after(token: str, listing: Listing) -> int:
    """The last row the page before ended on (0 for the first page)."""
    if not token:
        return 0
    try:
        run_id, whole_input, row = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        run_id = None
    if run_id != listing.run_id or whole_input is not listing.whole_input or type(row) is not int or row < 0:
        raise InputError("bad_input:page_token", "page_token is not a token of this listing: start from an empty one")
    return row


def page_of(rejects: Sequence[Reject], listing: Listing, page_size: int, after: int) -> RejectPage:
    """The rejects (in row order, rows unique) after row `after`: `page_size` of them (0: the default)."""
    if page_size < 0:
        raise InputError("bad_input:page_size", "page_size must be 0 (the default) or more")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    start = bisect_right(rejects, after, key=_row)
    page = list(rejects[start:start + size])
    more = start + size < len(rejects)
    return RejectPage(page, _token(listing, page[-1].row) if more else "")


def _token(listing: Listing, row: int) -> str:
    # Not secret and not signed: it only says where to resume, and every page is served under the caller's grant.
    material = json.dumps([listing.run_id, listing.whole_input, row], separators=(",", ":"))
    return base64.urlsafe_b64encode(material.encode()).decode("ascii")


def _row(reject: Reject) -> int:
    return reject.row
