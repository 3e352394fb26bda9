"""Parity on the shipped demo export through real adapters: ingest, replay from the lake, the backend's value from the
offline calc twin over the silver claims (no contract evidence: only generic_dispensing_rate is computed)."""
from __future__ import annotations

from pathlib import Path

from cli.offline_parity import OfflineCalcBackend
from services.takeover.adapters.bronze_local import LocalBronze
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.plane import Plane, open_takeover_db
from services.takeover.adapters.replay_lake import LakeReplay
from services.takeover.adapters.silver_duckdb import DuckDbLake
from services.takeover.service_layer.parity import ProcessCards, approve_explanation, parity, propose_explanation
from tests.unit.takeover.fakes import FakeExplanations

DEMO = Path(__file__).resolve().parents[2] / "demo" / "takeover" / "leafiq_export"
SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}


def test_demo_parity_with_the_offline_calc(tmp_path) -> None:
    engine = open_takeover_db(f"sqlite:///{tmp_path / 'takeover.sqlite'}")
    lake = tmp_path / "lake"
    plane = Plane(lake, LocalBronze(lake), DuckDbLake(lake), SqlCurated(engine))
    report = plane.ingest(DEMO, "operator:ops@leaf.example")
    assert report.status == "promoted" and report.load_id
    replayer = LakeReplay(plane.files, plane.curated)
    [dataset] = plane.curated.curated_datasets(report.load_id)
    backend = OfflineCalcBackend(lake / dataset.parquet_path)
    process = ProcessCards("gdr_and_fees", {"CARD-105": "generic_dispensing_rate.gdr",
                                            "CARD-103": "dispensing_fee_guarantee.fees"}, scope=SCOPE)
    ledger = FakeExplanations()
    result = parity(report.load_id, process, replayer, replayer, backend, ledger)
    by_card = {p["card_id"]: p for p in result["packets"]}
    assert by_card["CARD-105"]["classification"] == "match"
    assert by_card["CARD-105"]["backend_formula"] == "generic_dispensing_rate.gdr@1"
    assert by_card["CARD-103"]["backend_value"] is None and by_card["CARD-103"]["classification"] == "unexplained"
    propose_explanation(ledger, process.process, "CARD-103", "domo_scope_filter_differs", "no contract here", "op:a")
    approve_explanation(ledger, process.process, "CARD-103", "domo_scope_filter_differs", "op:b", "2026-12-05T16:30:00Z")
    again = parity(report.load_id, process, replayer, replayer, backend, ledger)
    assert (again["match"], again["explained"], again["unexplained"]) == (1, 1, 0)
    engine.dispose()
