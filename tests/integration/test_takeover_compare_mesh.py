"""The golden comparison's backend over a real calc gRPC server: calc.CreateRun of the process scope and the run's
netted claims streamed into Parquet (adapters/calc_mesh.py), diffed against the shipped demo load's silver rows of
that scope (adapters/row_diff_silver.py), through CompareParity's use case with the real lake adapters. Calc's
claims are the load's own silver claims, so the backend agrees with Domo wherever a formula has its evidence."""
from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb
import pytest

from kernel.errors import NotFound
from services.calc.bootstrap import CalcSettings
from services.calc.bootstrap import bootstrap as calc_bootstrap
from services.calc.domain.claims import CLAIM_COLUMNS
from services.evidence.bootstrap import EvidenceServiceSettings
from services.evidence.bootstrap import bootstrap as evidence_bootstrap
from services.takeover.adapters.bronze_local import LocalBronze
from services.takeover.adapters.calc_mesh import CalcOverMesh
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.parity_reports_sql import SqlParityReports
from services.takeover.adapters.plane import Plane, open_takeover_db
from services.takeover.adapters.replay_lake import LakeReplay
from services.takeover.adapters.row_diff_silver import SilverRowDiffs
from services.takeover.adapters.silver_duckdb import DuckDbLake
from services.takeover.domain.processes import process_scope
from services.takeover.service_layer.compare import compare_parity
from services.takeover.service_layer.parity import ProcessCards
from tests.integration.mesh_fixtures import acting_under, grant_for, read_grant, running
from tests.integration.store_fixtures import duckdb_store

DEMO = Path(__file__).resolve().parents[2] / "demo" / "takeover" / "leafiq_export"
SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-01-31",
         "group_ids": "C001-G01"}
PROCESS = ProcessCards("gdr_and_paid", {"CARD-105": "generic_dispensing_rate.gdr",
                                        "CARD-102": "claims.plan_paid_net"}, scope=SCOPE)


class Explanations:
    def all(self, process):
        return []

    def append(self, process, explanation):
        raise AssertionError("the comparison records no explanation")


@contextlib.asynccontextmanager
async def demo_load_and_calc(tmp_path):
    """The demo export promoted into a takeover lake, and a calc server whose claims are that load's silver rows."""
    engine = open_takeover_db(f"sqlite:///{tmp_path / 'takeover.sqlite'}")
    lake = tmp_path / "lake"
    plane = Plane(lake, LocalBronze(lake), DuckDbLake(lake), SqlCurated(engine))
    load = plane.ingest(DEMO, "user:ops@leaf.example")
    [dataset] = plane.curated.curated_datasets(load.load_id)
    claims_csv = tmp_path / "claims.csv"
    columns = ", ".join(f'"{c}"' for c in CLAIM_COLUMNS)
    duckdb.execute(f"COPY (SELECT {columns} FROM read_parquet('{lake / dataset.parquet_path}') ORDER BY _bronze_row)"
                   f" TO '{claims_csv}' (HEADER, DELIMITER ',')")
    store = duckdb_store(tmp_path)
    store.load(claims_csv)
    evidence = evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{tmp_path / 'e.sqlite'}"))
    async with running(evidence) as evidence_address:
        calc = calc_bootstrap(CalcSettings(EVIDENCE_ADDR=evidence_address, LEAF_CLAIMS_URL=f"duckdb:///{store.path}",
                                           LEAF_CALC_DB_URL=f"sqlite:///{tmp_path / 'c.sqlite'}"))
        async with running(calc) as address:
            backend = CalcOverMesh(address, scratch=tmp_path)
            try:
                yield plane, load.load_id, backend, engine
            finally:
                await backend.close()
                engine.dispose()


async def test_parity_with_calc_over_grpc_and_the_row_diff_fed(tmp_path):
    async with demo_load_and_calc(tmp_path) as (plane, load_id, calc, engine):
        replay = LakeReplay(plane.files, plane.curated)
        reports = SqlParityReports(engine)
        seen: list[Path] = []

        def diffs(made):
            seen.append(made.claims)
            described = duckdb.execute(f"DESCRIBE SELECT * FROM read_parquet('{made.claims}')").fetchall()
            columns = [row[0] for row in described]
            assert "member_id" not in columns  # the stream carries it; the scratch file never does
            return SilverRowDiffs(plane.files, plane.curated, replay, made.claims)

        with acting_under(grant_for(process_scope(SCOPE))):  # as takeover does while serving CompareParity
            report = await compare_parity(PROCESS, load_id, replay, replay, calc, diffs, reports, Explanations(),
                                          "user:ops@leaf.example", 120)
        by_card = {p["card_id"]: p for p in report["packets"]}
        gdr = by_card["CARD-105"]
        assert gdr["backend_formula"] == "generic_dispensing_rate.gdr@1" and gdr["backend_value"]
        assert gdr["classification"] == "match"
        diff = gdr["row_diff"]
        assert diff["columns"] == ["status", "fill_date", "days_supply", "ingredient_cost_paid", "dispensing_fee_paid"]
        # calc nets reversals against their PAID claims: Domo's rows only it has are those, nothing else differs
        assert diff["backend_rows"] > 0 and diff["only_backend"] == 0 and diff["changed"] == 0
        assert diff["domo_rows"] == diff["backend_rows"] + diff["only_domo"] and diff["only_domo"] > 0
        assert diff["rows"] and all(row["side"] == "only_domo" and row["backend"] == {}
                                    and set(row["domo"]) == {"claim_id", *diff["columns"]} for row in diff["rows"])
        assert {row["domo"]["status"] for row in diff["rows"]} <= {"PAID", "REVERSAL"}
        assert "member_id" not in str(report)
        kept = reports.latest_report("gdr_and_paid")
        assert kept["run_id"] and kept["load_id"] == load_id and kept["made_by"] == "user:ops@leaf.example"
        assert seen and not seen[0].exists()  # the scratch folder is gone once the comparison is made


async def test_calc_refuses_a_comparison_without_a_grant_of_the_scope(tmp_path):
    async with demo_load_and_calc(tmp_path) as (plane, load_id, calc, engine):
        replay = LakeReplay(plane.files, plane.curated)
        with acting_under(read_grant("C005")), pytest.raises(NotFound) as refused:
            await compare_parity(PROCESS, load_id, replay, replay, calc,
                                 lambda made: SilverRowDiffs(plane.files, plane.curated, replay, made.claims),
                                 SqlParityReports(engine), Explanations(), "user:ops@leaf.example", 60)
        assert refused.value.code == "scope_not_found"
        assert SqlParityReports(engine).latest_report("gdr_and_paid") is None
