"""A run's claim-level rows (service_layer/run_claims.py: stream_run_claims, run_eligibility, run_rejects,
list_run_rejects) on fakes of every port: always the snapshot and the evidence versions the run recorded, never what
is active or in force now, and only for a run inside the caller's grant."""
import asyncio
from datetime import UTC, datetime

import pytest

from kernel.errors import InputError, Internal, NotFound, NotReady
from kernel.grants import Area, Grant
from services.calc.domain.claim_eligibility import claim_eligibility
from services.calc.service_layer.run_claims import (
    ListRunRejects,
    list_run_rejects,
    run_eligibility,
    run_rejects,
    stream_run_claims,
)
from services.calc.service_layer.runs import CreateRun, create_run
from tests.unit.calc.builders import batch, contract, contract_json, reversal, row, scope
from tests.unit.calc.fakes import CONTRACT, FakeClaims, FakeEvidence, evidence_of, fake_deps

NOW = datetime(2026, 1, 5, tzinfo=UTC)
CLAIMS = [row("C1"), row("C2", compound="Y"), reversal("C3", "C1"), row("C4", client_id="C002"),
          row("C5", days_supply="x"), row("C6", client_id="C002", days_supply="x"),
          row("C7", brand_generic="G", awp_unit_price="50.00", ingredient_cost_paid="9.00"),
          row("C8", quantity="x"), row("C9", fill_date="2024-12-31", days_supply="x")]
LENIENT = {"uc_claims": True, "compounds": False}   # a later contract version that counts compounds


def grant(client: str = "C001") -> Grant:
    return Grant(None, (Area(client),), "user:ana@leaf.example", NOW, NOW, "k1")


async def computed():
    claims = FakeClaims()
    claims.put("snap_1", batch(CLAIMS))
    calc = fake_deps(claims, FakeEvidence(evidence_of(contract(), contract_json(), CONTRACT)), NOW)
    return calc, await create_run(CreateRun(scope()), grant(), calc)


async def closed(streams, seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.01)):
        if all(stream.closed for stream in streams):
            return True
        await asyncio.sleep(0.01)
    return False


async def streamed(run_id, calc, who=None, size=1):
    return [chunk async for chunk in stream_run_claims(run_id, who or grant(), calc, batch=size)]


async def test_the_stream_is_the_runs_netted_claims_in_row_order_each_with_its_reason_per_formula():
    calc, run = await computed()
    chunks = await streamed(run.run_id, calc)
    # C1 is reversed by C3, C4 is another client's: the two claims left, one a batch, each judged by the contract.
    assert [[(line.claim_id, reasons) for line, reasons in chunk] for chunk in chunks] == [
        [("C2", ("compound", "compound", "compound", "n/a"))], [("C7", ("", "", "n/a", "n/a"))]]
    assert len(await streamed(run.run_id, calc, size=2000)) == 1
    # The store's cursor is let go, by the thread that owns it, once the fetch in flight is done.
    assert await closed(calc.claims.streams) and len(calc.claims.streams) == 2


async def test_the_stream_reads_the_recorded_snapshot_and_evidence_version_not_the_active_ones():
    calc, run = await computed()
    calc.claims.put("snap_2", batch([row("N1")]))
    newer = contract_json(exclusions=LENIENT)
    calc.evidence.add(evidence_of(contract(exclusions=LENIENT), newer, CONTRACT, version=2))
    chunks = await streamed(run.run_id, calc, size=10)
    assert [(line.claim_id, reasons[0]) for line, reasons in chunks[0]] == [("C2", "compound"), ("C7", "")]
    # The version in force now would have counted the compound; run_eligibility keeps to the recorded version 1.
    compound = chunks[0][0][0]
    assert claim_eligibility(contract(exclusions=LENIENT), None).reasons(compound)[0] == ""
    assert (await run_eligibility(run, calc)).reasons(compound)[0] == "compound"


async def test_a_pruned_snapshot_or_a_run_outside_the_grant_raises_before_the_first_batch():
    calc, run = await computed()
    with pytest.raises(NotFound) as outside:
        await streamed(run.run_id, calc, who=grant("C002"))
    assert outside.value.code == "run_not_found"
    calc.claims.prune("snap_1")
    with pytest.raises(NotReady) as expired:
        await streamed(run.run_id, calc)
    assert expired.value.code == "claims_snapshot_expired"
    assert calc.claims.streams == []


async def test_a_run_whose_recorded_evidence_no_longer_matches_is_refused():
    calc, run = await computed()
    calc.evidence.versions.clear()
    calc.evidence.add(evidence_of(contract(exclusions=LENIENT), contract_json(exclusions=LENIENT), CONTRACT))
    with pytest.raises(Internal) as mismatch:
        await streamed(run.run_id, calc)
    assert mismatch.value.code == "run_evidence_mismatch"


async def test_the_runs_rejects_are_those_of_its_scope_or_with_whole_input_every_rejected_row_in_row_order():
    calc, run = await computed()
    in_scope = await run_rejects(run.run_id, grant(), calc)
    every = await run_rejects(run.run_id, grant(), calc, whole_input=True)
    # C6 says it is C002's and C9 that it falls before the window: neither counts against the scope.
    assert [r.row for r in in_scope] == [5, 8]
    assert [r.row for r in every] == [5, 6, 8, 9]
    with pytest.raises(NotFound):
        await run_rejects(run.run_id, grant("C002"), calc)


async def test_rejects_are_paged_in_row_order_and_a_token_serves_only_its_own_listing():
    calc, run = await computed()
    first = await list_run_rejects(ListRunRejects(run.run_id, whole_input=True, page_size=3), grant(), calc)
    assert [r.row for r in first.rejects] == [5, 6, 8] and first.next_page_token
    rest = await list_run_rejects(ListRunRejects(run.run_id, True, 3, first.next_page_token), grant(), calc)
    assert [r.row for r in rest.rejects] == [9] and rest.next_page_token == ""
    # The token is checked before the store is read: a scope listing refuses a whole-input token even when the
    # snapshot is gone.
    calc.claims.prune("snap_1")
    with pytest.raises(InputError) as refused:
        await list_run_rejects(ListRunRejects(run.run_id, False, 3, first.next_page_token), grant(), calc)
    assert refused.value.code == "bad_input:page_token"
