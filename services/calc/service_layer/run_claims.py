"""A run's claim-level rows: its netted claims and its rejects (those of its scope, or the whole input's).

Both are read from the claims snapshot the run recorded, for the run's own scope, so they are exactly the
rows its result counted; never the active snapshot, which may have changed since. Each netted claim carries its
reason per formula, judged by the rules of exactly the evidence versions the run recorded.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice

from kernel.grants import Grant
from kernel.scope import Scope
from services.calc.domain.claim_eligibility import ClaimEligibility, ClaimReasons, claim_eligibility, judged
from services.calc.domain.claim_lines import ClaimLine, rejects_in_scope
from services.calc.domain.claims import Reject
from services.calc.domain.rejected_rows import Listing, RejectPage, page_of, row_after
from services.calc.domain.run import RunRecord
from services.calc.service_layer.runs import CalcDeps, get_run

BATCH = 2000
CONTRACT_PACKET, PROPOSAL = "contract_packet", "proposal"   # lineage evidence kinds (EvidenceKind's words)


async def stream_run_claims(run_id: str, grant: Grant, deps: CalcDeps,
                            batch: int = BATCH) -> AsyncIterator[list[tuple[ClaimLine, ClaimReasons]]]:
    """The run's netted claims in row order, `batch` at a time, each with its reason per formula under the rules
    the run applied; an unknown run (or one outside the grant) or a pruned snapshot raises before the first batch."""
    record = await get_run(run_id, grant, deps)
    scope, snapshot_id = _scope_and_snapshot(record)
    eligibility = await run_eligibility(record, deps)
    lines = deps.claims.netted_claims(scope, snapshot_id)
    # One thread owns the store's cursor for the whole stream: a cursor may not be used from two threads at
    # once, and a caller that hangs up mid-stream must not close it while a fetch is still running.
    owner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-claims")
    loop = asyncio.get_running_loop()
    try:
        while chunk := await loop.run_in_executor(owner, lambda: list(judged(islice(lines, batch), eligibility))):
            yield chunk
    finally:
        # A generator-backed store holds its connection until closed; close it after any fetch in flight.
        owner.submit(getattr(lines, "close", lambda: None))
        owner.shutdown(wait=False)


async def run_eligibility(record: RunRecord, deps: CalcDeps) -> ClaimEligibility:
    """The exclusion rules of the run's formulas, from exactly the contract and proposal versions its lineage names
    (a newer version in force since changes nothing here)."""
    recorded = {e["kind"]: e for e in record.lineage["evidence"]}
    used = {kind: (await deps.evidence.as_recorded(recorded[kind], record.client_id)).value
            for kind in (CONTRACT_PACKET, PROPOSAL) if kind in recorded}
    return claim_eligibility(used.get(CONTRACT_PACKET), used.get(PROPOSAL))


@dataclass(frozen=True)
class ListRunRejects:
    run_id: str
    whole_input: bool = False  # every reject of the input (the analyst's list), not only those of the scope
    page_size: int = 0
    page_token: str = ""


async def list_run_rejects(order: ListRunRejects, grant: Grant, deps: CalcDeps) -> RejectPage:
    """One page of the run's rejects in row order; the token is checked before the store is read."""
    listing = Listing(order.run_id, order.whole_input)
    after = row_after(order.page_token, listing)
    rejects = await run_rejects(order.run_id, grant, deps, order.whole_input)
    return page_of(rejects, listing, order.page_size, after)


async def run_rejects(run_id: str, grant: Grant, deps: CalcDeps, whole_input: bool = False) -> list[Reject]:
    """The run's rejects that count against its scope (calculations.md 1.1 rejected_in_scope), in row order; with
    `whole_input`, every rejected row of the run's claims input (data_quality.rejected_rows)."""
    scope, snapshot_id = _scope_and_snapshot(await get_run(run_id, grant, deps))
    every = await asyncio.to_thread(deps.claims.rejects, snapshot_id)
    return sorted(every, key=lambda r: r.row) if whole_input else rejects_in_scope(every, scope)


def _scope_and_snapshot(record) -> tuple[Scope, str]:
    return record.scope, record.lineage["claims_snapshot_id"]
