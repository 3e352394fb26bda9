"""A run's claim-level rows over a real calc gRPC server: the same rows as the pure path, on DuckDB and PostgreSQL."""
import contextlib
import csv
import json
import time
from dataclasses import astuple
from datetime import date, timedelta

import grpc
import pytest
from sqlalchemy.dialects import mssql, postgresql

from demo import load_contract_packets
from demo.generator import generate_claims
from kernel.errors import NotFound, NotReady
from kernel.packets import parse_contract
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from runtime.convert import scope_to_proto
from runtime.grpc_errors import from_rpc_error
from services.calc.adapters.aggregate_query import netted_claims_query
from services.calc.adapters.claims_file import read_claims
from services.calc.adapters.claims_schema import KEEP_SNAPSHOTS, duckdb_claims_table
from services.calc.adapters.claims_schema import claims as shared_claims
from services.calc.adapters.duckdb_dialect import duckdb_sql
from services.calc.bootstrap import CalcSettings
from services.calc.bootstrap import bootstrap as calc_bootstrap
from services.calc.domain.claim_eligibility import claim_eligibility, judged
from services.calc.domain.claim_lines import claim_lines, netted_claims, rejects_in_scope
from services.calc.domain.claims import REVERSAL
from services.calc.domain.pipeline import in_scope
from services.calc.entrypoints.grpc_servicer import claim_to_proto
from services.calc.service_layer.run_claims import BATCH
from services.evidence.bootstrap import EvidenceServiceSettings
from services.evidence.bootstrap import bootstrap as evidence_bootstrap
from services.publisher.adapters.calc_claims import run_rejects, spool_run_claims
from services.publisher.domain.claim_findings_pass import FindingsPass
from services.publisher.domain.extract import Pseudonymizer, rows_of
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RejectedRow
from tests.integration.mesh_fixtures import acting_under, channel_to, grant_for, read_grant, running
from tests.integration.store_fixtures import duckdb_store, pg_store

SCOPES = [
    Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31"),                    # more than one batch
    Scope.parse("C001", "PBM_A", "2025-03-15", "2025-08-20"),                    # cuts through shifted reversal pairs
    Scope.parse("C005", "PBM_C", "2025-01-01", "2025-06-30", tpa_id="TPA_3", group_ids=("C005-G03",)),
]
SECRET = b"test-pseudonym-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    """Demo claims with reversals split from their pairs, extra orphans, rejects inside and outside C001's
    scope, and C001 claims whose member_id and drug_name are empty or need CSV quoting."""
    folder = tmp_path_factory.mktemp("run-claims")
    generated = folder / "generated.csv"
    generate_claims(generated, n_claims=20000, seed=23)
    with generated.open(newline="") as source:
        header, *body = list(csv.reader(source))
    at = {name: header.index(name) for name in header}
    extra = []
    for number, record in enumerate(r for r in body if len(r) == len(header) and r[at["claim_status"]] == REVERSAL):
        if number % 3 == 0 and len(record[at["fill_date"]]) == 10:
            moved = date.fromisoformat(record[at["fill_date"]]) + timedelta(days=9)
            record[at["fill_date"]] = min(moved, date(2025, 12, 31)).isoformat()
        if number % 5 == 0:  # a second reversal of the same claim: an orphan
            extra.append(_with(record, at, claim_id=f"DUP{number}"))
    paid = next(r for r in body if r[at["client_id"]] == "C001" and r[at["claim_status"]] == "PAID"
                and r[at["fill_date"]].startswith("2025"))
    odd = [_with(paid, at, claim_id="ODD1", member_id="", drug_name=""),
           _with(paid, at, claim_id="ODD2", drug_name='Acme "Extra", 10 mg\r\nline two', quantity="7",
                 awp_unit_price="0.12345")]
    rejects = [_with(paid, at, claim_id="BAD1", ndc="123"),                       # counts against C001 2025
               _with(paid, at, claim_id="BAD2", client_id="C002", ndc="123"),     # another client's
               _with(paid, at, claim_id="BAD3", fill_date="2024-06-01", ndc="1"),  # C001, outside the window
               _with(paid, at, claim_id="BAD4", fill_date="2025-13-01"),           # no valid date: counts
               ["short", "row"]]                                                  # misshapen: counts everywhere
    path = folder / "claims.csv"
    with path.open("w", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows([header, *extra[:5], *rejects[:2], *body[:3000], *odd,
                                                        *rejects[2:], *body[3000:], *extra[5:]])
    return path


def demo_eligibility(scope: Scope):
    """The rules of the demo contract the evidence service picks for the scope (these runs have no proposal)."""
    packet = next(p for p in load_contract_packets() if (p["client_id"], p["pbm_id"]) == (scope.client_id, scope.pbm_id)
                  and p["effective_from"] <= scope.date_from.isoformat() and scope.date_to.isoformat() <= p["effective_to"])
    return claim_eligibility(parse_contract(packet), None)


def _with(record: list[str], at: dict, **changes: str) -> list[str]:
    changed = list(record)
    for name, value in changes.items():
        changed[at[name]] = value
    return changed


@pytest.fixture(scope="module")
def batch(claims_csv):
    return read_claims(claims_csv)


@pytest.fixture(params=["duckdb", "postgresql"])
def store_and_url(request, tmp_path):
    """An empty claims store of each kind and the LEAF_CLAIMS_URL calc reads it by."""
    if request.param == "duckdb":
        store = duckdb_store(tmp_path)
        yield store, f"duckdb:///{store.path}"
        return
    with pg_store(request.getfixturevalue("pg_server")) as store:
        yield store, store.engine.url.render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def calc_over(url: str, folder):
    evidence = evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{folder / 'e.sqlite'}"))
    async with running(evidence) as evidence_address:
        calc = calc_bootstrap(CalcSettings(EVIDENCE_ADDR=evidence_address, LEAF_CLAIMS_URL=url,
                                           LEAF_CALC_DB_URL=f"sqlite:///{folder / 'c.sqlite'}"))
        async with running(calc) as address, channel_to(address) as channel:
            yield calc_pb2_grpc.CalcServiceStub(channel)


async def _create(stub, scope: Scope) -> calc_pb2.Run:
    return await stub.CreateRun(calc_pb2.CreateRunRequest(scope=scope_to_proto(scope)), metadata=grant_for(scope))


def _reader():
    """A read grant over the clients of SCOPES: runs are read back by id under one, as the gateway does."""
    return read_grant("C001", "C005")


async def _stream(stub, run_id: str) -> list[calc_pb2.NettedClaimBatch]:
    return [b async for b in stub.StreamRunClaims(calc_pb2.StreamRunClaimsRequest(run_id=run_id), metadata=_reader())]


async def test_streamed_claims_and_rejects_equal_the_pure_path(store_and_url, claims_csv, batch, tmp_path):
    store, url = store_and_url
    store.load(claims_csv)
    async with calc_over(url, tmp_path) as stub:
        for scope in SCOPES:
            run = await _create(stub, scope)
            batches = await _stream(stub, run.run_id)
            rejects = await stub.ListRunRejects(calc_pb2.ListRunRejectsRequest(run_id=run.run_id), metadata=_reader())
            _check(scope, batch, json.loads(run.result_json), batches, rejects)


def _check(scope, batch, result, batches, rejects) -> None:
    streamed = [claim for b in batches for claim in b.claims]
    expected = judged(claim_lines(netted_claims(batch, scope)), demo_eligibility(scope))
    # every field, every digit, every formula's reason, row order
    assert streamed == [claim_to_proto(line, reasons) for line, reasons in expected]
    assert {c.dispensing_fee_excluded for c in streamed} >= {"", "uc"}
    assert [len(b.claims) for b in batches[:-1]] == [BATCH] * (len(batches) - 1)
    assert 0 < len(batches[-1].claims) <= BATCH
    rows = [c.row for c in streamed]
    assert rows == sorted(set(rows))
    gdr = next(f for f in result["formulas"] if f["id"] == "generic_dispensing_rate")
    awp = next(f for f in result["formulas"] if f["id"] == "awp_discount_guarantee")
    assert len(streamed) == gdr["claims"] == sum(b["claims"] for b in awp["buckets"]) + sum(awp["excluded"].values())
    scoped = in_scope(batch.claims, scope)
    reversed_ids = {c.reverses_claim_id for c in scoped if c.claim_status == REVERSAL}
    assert not reversed_ids & {c.claim_id for c in streamed}
    assert len(streamed) == sum(c.claim_status == "PAID" for c in scoped) - result["data_quality"]["reversed_pairs"]
    assert [(r.row, r.reason) for r in rejects.rejects] == \
        [(r.row, r.reason) for r in rejects_in_scope(batch.rejects, scope)]
    assert len(rejects.rejects) == result["data_quality"]["rejected_in_scope"]


def test_the_fixture_exercises_what_the_stream_must_get_right(batch):
    """Netting, several batches, rejects both counted and not, and awkward text are really in the input."""
    whole_year = SCOPES[0]
    netted = netted_claims(batch, whole_year)
    assert len(netted) > BATCH
    assert len(netted) < sum(c.claim_status == "PAID" for c in in_scope(batch.claims, whole_year))
    counted = {r.row for r in rejects_in_scope(batch.rejects, whole_year)}
    assert 3 <= len(counted) < len(batch.rejects)
    assert {"ODD1", "ODD2"} <= {c.claim_id for c in netted}


async def test_the_spool_gives_back_exactly_the_extract_rows(claims_csv, batch, tmp_path):
    """The stream is written straight into extract.csv (the publisher's spool), each row checked, and reads back
    as exactly the extract rows the pure path gives."""
    scope = SCOPES[0]
    store = duckdb_store(tmp_path)
    store.load(claims_csv)
    pseudonym = Pseudonymizer(SECRET, scope.client_id)
    check = ContractCheck()
    async with calc_over(f"duckdb:///{store.path}", tmp_path) as stub:
        run = await _create(stub, scope)
        with acting_under(grant_for(scope)):  # as the publisher does while serving PublishRun
            extract = await spool_run_claims(stub, run.run_id, pseudonym, tmp_path, check,
                                             FindingsPass(json.loads(run.result_json)))
            rejected = await run_rejects(stub, run.run_id)
    expected = list(rows_of(run.run_id, judged(claim_lines(netted_claims(batch, scope)), demo_eligibility(scope)),
                            pseudonym))
    assert extract.findings.suspect_channel_count == json.loads(run.result_json)["data_quality"]["suspect_channel"]
    assert extract.rows == len(expected) and check.violations == []
    for _ in range(2):  # the workbook may read extract.csv again
        again = list(extract.claims())
        assert again == expected
        # Equal Decimals may differ in places; the types and the digits must both survive the spool.
        assert [[repr(v) for v in astuple(r)] for r in again] == [[repr(v) for v in astuple(r)] for r in expected]
    assert rejected == tuple(RejectedRow(r.row, r.reason) for r in rejects_in_scope(batch.rejects, scope))
    spooled = extract.path.read_text()
    assert not any(c.member_id and c.member_id in spooled for c in netted_claims(batch, scope))


async def test_unknown_runs_and_pruned_snapshots_are_refused_by_name(store_and_url, claims_csv, tmp_path):
    store, url = store_and_url
    store.load(claims_csv)
    async with calc_over(url, tmp_path) as stub:
        for error in await _both_errors(stub, "run_nonexistent"):
            assert isinstance(error, NotFound) and error.code == "run_not_found"
        run = await _create(stub, SCOPES[1])
        assert await _stream(stub, run.run_id)
        for _ in range(KEEP_SNAPSHOTS - 1):  # the run's snapshot is still among the kept ones
            _load_a_second_later(store, claims_csv)
        assert await _stream(stub, run.run_id)
        _load_a_second_later(store, claims_csv)
        for error in await _both_errors(stub, run.run_id):
            assert isinstance(error, NotReady) and error.code == "claims_snapshot_expired"


def _load_a_second_later(store, claims_csv) -> None:
    # Pruning orders snapshots by loaded_at, kept to the second: loads within one second would tie.
    time.sleep(1.05)
    store.load(claims_csv)


async def _both_errors(stub, run_id: str) -> list:
    errors = []
    for call in (lambda: _stream(stub, run_id),
                 lambda: stub.ListRunRejects(calc_pb2.ListRunRejectsRequest(run_id=run_id), metadata=_reader())):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call()
        errors.append(from_rpc_error(caught.value))
    return errors


@pytest.mark.parametrize("scope", SCOPES, ids=["client", "window", "partial"])
def test_the_netted_claims_query_compiles_for_sql_server_postgresql_and_duckdb(scope):
    for dialect in (mssql.dialect(), postgresql.dialect()):
        text = str(netted_claims_query(shared_claims, scope, "abc123").compile(dialect=dialect))
        assert "ORDER BY" in text and "EXISTS" in text
    assert "ORDER BY" in duckdb_sql(netted_claims_query(duckdb_claims_table("abc123"), scope))[0]
