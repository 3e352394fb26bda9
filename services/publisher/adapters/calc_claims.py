"""A run's claim-level rows as the publisher reads them from calc: the netted claims, spooled, and the rejects.

The claims arrive as a stream of batches carrying member ids; each is pseudonymized on arrival and only the
extract row is written to the spool, so no member id reaches the disk. The spool keeps memory constant for
a million-claim run and lets every artifact (workbook, CSV, JSON) read the rows again, synchronously.
"""
from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import astuple
from datetime import date
from decimal import Decimal
from pathlib import Path

import grpc

from leaf.calc.v1 import calc_pb2
from runtime.clients import call, domain_error_of
from services.publisher.domain.extract import EXTRACT_COLUMNS, ExtractRow, cell, rows_of
from services.publisher.domain.run_context import RejectedRow

REJECTS_PAGE = 10_000  # calc's largest page: the fewest calls for a file with many bad rows
READ_RETRIES = 2  # reads of a stored run are idempotent
_DECIMALS = ("quantity", "awp_unit_price", "awp_ext", "ingredient_cost_paid", "dispensing_fee_paid")
# How a spooled cell becomes its ExtractRow type again; every other column is text as written.
_PARSE: dict[str, Callable[[str], object]] = {
    "row": int, "days_supply": int, "fill_date": date.fromisoformat, "compound": lambda text: text == "Y",
    **{name: Decimal for name in _DECIMALS},
}


async def spool_run_claims(calc_stub, run_id: str, pseudonymize: Callable[[str], str],
                           spool: Path) -> Callable[[], Iterator[ExtractRow]]:
    """Consume calc's StreamRunClaims into `spool` (CSV, extract columns) and return a re-reader of it.

    A calc error (run_not_found, claims_snapshot_expired) comes back as the domain error it was.
    """
    with spool.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(EXTRACT_COLUMNS)
        try:
            async for batch in calc_stub.StreamRunClaims(calc_pb2.StreamRunClaimsRequest(run_id=run_id)):
                for row in rows_of(run_id, map(_Claim, batch.claims), pseudonymize):
                    writer.writerow(cell(value) for value in astuple(row))
        except grpc.aio.AioRpcError as exc:
            raise domain_error_of(exc) from None
    return lambda: _read_spool(spool)


async def run_rejects(calc_stub, run_id: str) -> tuple[RejectedRow, ...]:
    """The run's rejected rows that count against its scope, in row order: the only rejects a client sees."""
    return tuple([RejectedRow(r.row, r.reason) async for r in paged_rejects(calc_stub, run_id, whole_input=False)])


async def paged_rejects(calc_stub, run_id: str, whole_input: bool) -> AsyncIterator[calc_pb2.RejectedRow]:
    """Every reject ListRunRejects lists (the scope's, or with `whole_input` the input's), page after page."""
    token = ""
    while True:
        reply = await call(calc_stub.ListRunRejects, calc_pb2.ListRunRejectsRequest(
            run_id=run_id, whole_input=whole_input, page_size=REJECTS_PAGE, page_token=token), retries=READ_RETRIES)
        for reject in reply.rejects:
            yield reject
        token = reply.next_page_token
        if not token:
            return


class _Claim:
    """A NettedClaim with the calc Claim's attribute names and types, as `rows_of` reads them."""

    __slots__ = ("row", "claim_id", "member_id", "tpa_id", "group_id", "fill_date", "ndc", "drug_name", "channel",
                 "brand_generic", "basis_of_cost", "compound", "days_supply", *_DECIMALS)

    def __init__(self, claim: calc_pb2.NettedClaim) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(claim, name))
        self.fill_date = date.fromisoformat(claim.fill_date)
        for name in _DECIMALS:
            setattr(self, name, Decimal(getattr(claim, name)))


def _read_spool(spool: Path) -> Iterator[ExtractRow]:
    with spool.open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        if next(reader) != list(EXTRACT_COLUMNS):
            raise ValueError(f"{spool} is not a claims spool of this version")
        for cells in reader:
            yield ExtractRow(*(_PARSE.get(name, str)(text) for name, text in zip(EXTRACT_COLUMNS, cells)))
