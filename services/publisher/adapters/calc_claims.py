"""A run's claim-level rows as the publisher reads them from calc: the netted claims, written out, and the rejects.

The claims arrive as a stream of batches carrying member ids; each is pseudonymized on arrival and only the
extract row is written — straight into extract.csv, each row checked by the presentation contract as it is
written — so no member id reaches the disk and a million-claim run keeps memory flat. Calc's amounts and days
arrive as text and are held to their shapes, so the extract spells them exactly as calc stored them.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc

from kernel.claim_reasons import REASON_CELLS
from kernel.errors import Internal
from leaf.calc.v1 import calc_pb2
from runtime.clients import call, domain_error_of
from services.publisher.adapters.extract_csv import written
from services.publisher.domain.extract import (
    DATE_TEXT,
    DECIMAL_TEXT,
    EXTRACT_CSV,
    ExtractWriter,
    FindingsSink,
    WrittenExtract,
)
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RejectedRow

REJECTS_PAGE = 10_000  # calc's largest page: the fewest calls for a file with many bad rows
READ_RETRIES = 2  # reads of a stored run are idempotent


async def spool_run_claims(calc_stub, run_id: str, pseudonymize: Callable[[str], str], folder: Path,
                           check: ContractCheck, gather: FindingsSink,
                           also: Callable[[list[str]], None] | None = None) -> WrittenExtract:
    """Consume calc's StreamRunClaims into `folder`/extract.csv, checking each row and gathering the claim
    findings from it as it passes (`also` sees each row too); a calc error (run_not_found,
    claims_snapshot_expired) comes back as the domain error it was."""
    path = folder / EXTRACT_CSV
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = ExtractWriter(out, check, gather=gather, also=also)
        try:
            async for batch in calc_stub.StreamRunClaims(calc_pb2.StreamRunClaimsRequest(run_id=run_id)):
                for claim in batch.claims:
                    writer.write(_cells(run_id, claim, pseudonymize))
        except grpc.aio.AioRpcError as exc:
            raise domain_error_of(exc) from None
    return written(path, writer.rows, gather.findings())


def _cells(run_id: str, c: calc_pb2.NettedClaim, pseudonymize: Callable[[str], str]) -> list[str]:
    """The extract row (extract.EXTRACT_COLUMNS) of one netted claim."""
    return [run_id, str(c.row), c.claim_id, pseudonymize(c.member_id), c.tpa_id, c.group_id,
            _shaped(DATE_TEXT, c.fill_date), c.ndc, c.drug_name, c.channel, c.brand_generic, c.basis_of_cost,
            "Y" if c.compound else "N", str(c.days_supply),
            *(_shaped(DECIMAL_TEXT, text) for text in (c.quantity, c.awp_unit_price, c.awp_ext, c.ingredient_cost_paid,
                                                       c.dispensing_fee_paid)),
            *(_reason(text) for text in (c.awp_discount_excluded, c.dispensing_fee_excluded, c.rebate_excluded,
                                         c.repricing_excluded))]


def _shaped(shape, text: str) -> str:
    if shape.fullmatch(text) is None:  # calc's own store would never give this: not the caller's fault
        raise Internal("run_claims_malformed", "calc sent a claim amount or day that is not a plain decimal or date")
    return text


def _reason(text: str) -> str:
    """A per-formula cell from the closed set, so the extract shows no text of calc's that no rule has seen."""
    if text not in REASON_CELLS:
        raise Internal("run_claims_malformed", "calc sent a claim's exclusion reason outside the registry's codes")
    return text


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
