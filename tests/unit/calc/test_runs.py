"""The run use cases (service_layer/runs.py: create_run, plan_run, get_run) on fakes of every port
(tests/unit/calc/fakes.py): what a run records, when it is the same run again, and what is refused before anything
is computed or stored. Runs with a proposal: test_run_with_proposal.py."""
from datetime import UTC, datetime

import pytest

from kernel.errors import InputError, NotFound, NotReady
from kernel.grants import Area, Grant
from kernel.scope import Scope
from services.calc.domain.registry import REGISTRY_VERSION
from services.calc.service_layer.runs import CreateRun, create_run, get_run, plan_run, result_of
from tests.unit.calc.builders import batch, contract, contract_json, rebates, rebates_json, row, scope
from tests.unit.calc.fakes import CONTRACT, REBATES, FakeClaims, FakeEvidence, evidence_of, fake_deps

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
CLAIMS = [row("C1"), row("C2", brand_generic="G", awp_unit_price="50.00", ingredient_cost_paid="9.00"),
          row("C3", client_id="C002"), row("C4", days_supply="x")]


def grant(*areas: str, exact: Scope | None = None) -> Grant:
    return Grant(exact, tuple(Area(a) for a in areas), "user:ana@leaf.example", NOW, NOW, "k1")


def deps(claims=CLAIMS, *extra):
    store = FakeClaims()
    store.put("snap_1", batch(claims))
    evidence = FakeEvidence(evidence_of(contract(), contract_json(), CONTRACT),
                            evidence_of(rebates(), rebates_json(), REBATES), *extra)
    return fake_deps(store, evidence, NOW)


async def test_a_run_records_its_scope_its_snapshot_and_exactly_the_evidence_it_used():
    calc = deps()
    run = await create_run(CreateRun(scope(), itr_request_id="itr_1", trace_id="t1"), grant("C001"), calc)

    assert calc.runs.stored == {run.run_id: run}
    assert (run.client_id, run.scope_hash, run.scope) == ("C001", scope().scope_hash, scope())
    lineage = run.lineage
    assert lineage["claims_snapshot_id"] == "snap_1" and lineage["created_at"] == "2026-01-05T09:30:00+00:00"
    assert (lineage["trace_id"], lineage["itr_request_id"], lineage["registry_version"]) == ("t1", "itr_1",
                                                                                             REGISTRY_VERSION)
    used = {e.kind: e for e in calc.evidence.in_force()}
    assert lineage["evidence"] == [
        {"evidence_id": "CP-C001-PBMA-2025", "kind": CONTRACT, "governance": "governed_exact",
         "sha256": used[CONTRACT].sha256, "version": 1},
        {"evidence_id": "RB-C001-PBMA-2025", "kind": REBATES, "governance": "governed_exact",
         "sha256": used[REBATES].sha256, "version": 1}]
    assert lineage["input_hashes"] == {"claims_sha256": batch(CLAIMS).sha256,
                                       "contract_packet_sha256": used[CONTRACT].sha256,
                                       "rebate_evidence_sha256": used[REBATES].sha256}
    result = result_of(run)
    # The store's aggregates reach the result: C002's row is out of scope, the bad row a reject in scope.
    assert result["readiness"] == run.readiness
    assert result["data_quality"]["rows_rejected"] == 1
    assert {f["formula_id"] for f in lineage["formulas"]} == {f["id"] for f in result["formulas"]}


async def test_the_same_inputs_are_the_same_run_and_it_is_stored_once():
    calc = deps()
    first = await create_run(CreateRun(scope()), grant("C001"), calc)
    calc.clock = lambda: datetime(2027, 1, 1, tzinfo=UTC)
    again = await create_run(CreateRun(scope()), grant("C001"), calc)
    # The stored run wins: its first created_at stays, so asking twice never rewrites history.
    assert again == first and len(calc.runs.stored) == 1
    other = await create_run(CreateRun(scope(), itr_request_id="itr_2"), grant("C001"), calc)
    assert other.run_id != first.run_id


async def test_new_claims_or_a_new_evidence_version_make_another_run():
    calc = deps()
    first = await create_run(CreateRun(scope()), grant("C001"), calc)
    calc.claims.put("snap_2", batch(CLAIMS[:2]))
    reloaded = await create_run(CreateRun(scope()), grant("C001"), calc)
    assert reloaded.run_id != first.run_id and reloaded.lineage["claims_snapshot_id"] == "snap_2"
    newer = contract_json(governance="governed_lineage")
    calc.evidence.add(evidence_of(contract(governance="governed_lineage"), newer, CONTRACT, version=2))
    amended = await create_run(CreateRun(scope()), grant("C001"), calc)
    assert amended.run_id != reloaded.run_id and amended.lineage["evidence"][0]["version"] == 2


async def test_plan_run_names_the_run_create_run_makes_and_stores_nothing():
    calc = deps()
    planned = await plan_run(CreateRun(scope()), grant("C001"), calc)
    assert not planned.computed and calc.runs.adds == 0
    run = await create_run(CreateRun(scope()), grant("C001"), calc)
    assert run.run_id == planned.run_id
    assert (await plan_run(CreateRun(scope()), grant("C001"), calc)).computed


async def test_without_claims_a_run_is_not_ready_and_nothing_is_stored():
    calc = deps()
    calc.claims.active = None
    for use_case in (plan_run, create_run):
        with pytest.raises(NotReady) as refused:
            await use_case(CreateRun(scope()), grant("C001"), calc)
        assert refused.value.code == "no_claims_loaded"
    assert not calc.runs.stored


async def test_a_scope_outside_the_grant_is_refused_before_the_evidence_service_is_asked():
    calc = deps()
    for refused_grant in (grant("C002"), grant(exact=scope(date_to="2025-06-30"))):
        for use_case in (plan_run, create_run):
            with pytest.raises(NotFound) as refused:
                await use_case(CreateRun(scope()), refused_grant, calc)
            assert refused.value.code == "scope_not_found"
    assert calc.evidence.asked == [] and not calc.runs.stored
    # An exact grant of the very scope is enough.
    assert (await create_run(CreateRun(scope()), grant(exact=scope()), calc)).scope == scope()


async def test_evidence_for_another_client_never_enters_a_run_even_if_the_evidence_service_sends_it():
    # Dual enforcement: the evidence service files it under C001/PBM_A, but the packet itself is another PBM's.
    store = FakeClaims()
    store.put("snap_1", batch(CLAIMS))
    wrong = contract_json(pbm_id="PBM_B")
    calc = fake_deps(store, FakeEvidence(evidence_of(contract(pbm_id="PBM_B"), wrong, CONTRACT)), NOW)
    for use_case in (plan_run, create_run):
        with pytest.raises(InputError) as mismatch:
            await use_case(CreateRun(scope()), grant("C001"), calc)
        assert mismatch.value.code == "scope_evidence_mismatch" and "PBM_B" in mismatch.value.message
    assert not calc.runs.stored


async def test_get_run_answers_a_run_outside_the_grant_exactly_as_one_never_computed():
    calc = deps()
    run = await create_run(CreateRun(scope()), grant("C001"), calc)
    assert await get_run(run.run_id, grant("C001"), calc) == run
    answers = []
    for run_id, who in ((run.run_id, grant("C002")), ("run_unknown", grant("C001"))):
        with pytest.raises(NotFound) as absent:
            await get_run(run_id, who, calc)
        answers.append((absent.value.code, absent.value.message.replace(run_id, "ID")))
    assert answers == [("run_not_found", "no run 'ID'")] * 2
