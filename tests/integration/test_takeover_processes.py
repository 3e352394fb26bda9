"""The takeover-process registry on the real database (SQLite and PostgreSQL) and the real lake: the demo's
processes over the demo export's parity, the append-only tables, a concurrent transition, and the CLI's exit codes."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from cli.main import main as leaf
from demo.takeover_export import DEMO_EXPORT_DIR, DEMO_LOAD_ID
from demo.takeover_processes import demo_backend, load_demo_processes, read_processes
from kernel.errors import Conflict
from services.takeover.adapters.bronze_local import LocalBronze
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.parity_reports_sql import SqlParityReports
from services.takeover.adapters.plane import Plane, open_takeover_db
from services.takeover.adapters.process_registry import (
    SqlProcessRegistry,
    takeover_process_proofs,
    takeover_process_refusals,
    takeover_process_transitions,
)
from services.takeover.adapters.replay_lake import LakeReplay
from services.takeover.adapters.silver_duckdb import DuckDbLake
from services.takeover.domain.processes import PROOFS, Process, Transition
from services.takeover.service_layer.processes import advance, list_processes, record_proof, show_process

OPERATOR = "user:ops@leaf.example"
AT = "2026-11-02T09:00:00Z"


@pytest.fixture
def plane(db_url, tmp_path):
    engine = open_takeover_db(db_url)
    lake = tmp_path / "lake"
    yield Plane(lake, LocalBronze(lake), DuckDbLake(lake), SqlCurated(engine))
    engine.dispose()


def count(registry: SqlProcessRegistry, table) -> int:
    with registry.engine.connect() as db:
        return db.execute(select(func.count()).select_from(table)).scalar_one()


def test_the_demo_processes_over_the_demo_parity(plane: Plane) -> None:
    assert plane.ingest(DEMO_EXPORT_DIR, OPERATOR).status == "promoted"
    registry, files = SqlProcessRegistry(plane.curated.engine), SqlParityReports(plane.curated.engine)
    lake, backend = LakeReplay(plane.files, plane.curated), demo_backend(plane)
    states = load_demo_processes(registry, files, lake, backend, OPERATOR, AT)
    wanted = {p["process_id"]: p["state"] for p in read_processes()["processes"]}
    assert states == wanted and len(set(wanted.values())) == 3
    lines = count(registry, takeover_process_transitions)
    assert lines == sum(["legacy_reference", "candidate_evidence", "golden_comparison"].index(s) for s in wanted.values())
    # a second run changes nothing (no proof, no transition, no refusal added)
    proofs = count(registry, takeover_process_proofs)
    assert load_demo_processes(registry, files, lake, backend, OPERATOR, AT) == wanted
    assert (count(registry, takeover_process_proofs), count(registry, takeover_process_transitions)) == (proofs, lines)
    assert count(registry, takeover_process_refusals) == 0

    listed = {p["process_id"]: p for p in list_processes(registry, files)}
    assert listed["generic_dispensing_rate"]["proofs_missing"] == []
    gdr_parity = listed["generic_dispensing_rate"]["parity"]
    assert gdr_parity["unexplained"] == [] and gdr_parity["cards"] == 1  # CARD-105 matches the calc twin's gdr
    assert listed["generic_dispensing_rate"]["proofs"]["golden_comparison"]["ref"] == gdr_parity["report_id"]
    # no contract evidence in the demo: the calc twin has no value for these, Domo's own mistakes aside
    assert listed["repricing_savings"]["parity"]["unexplained"] == ["CARD-102", "CARD-107", "CARD-109"]

    refused = advance(registry, files, "awp_discount_guarantee", "presentation_consumer", OPERATOR, AT)
    assert refused.reasons == ("proof_missing:dashboard_publish_contract", "proof_missing:owner_remediation",
                               "unexplained_difference:CARD-104")
    refused = advance(registry, files, "repricing_savings", "presentation_consumer", OPERATOR, AT)
    assert refused.reasons == ("unexplained_difference:CARD-102", "unexplained_difference:CARD-107",
                               "unexplained_difference:CARD-109")
    assert count(registry, takeover_process_transitions) == lines  # refusals are not transitions
    assert [r.reasons for r in registry.refusals("repricing_savings")] == [refused.reasons]

    done = advance(registry, files, "generic_dispensing_rate", "presentation_consumer", OPERATOR, AT, "parity exact")
    assert done.done
    shown = show_process(registry, files, "generic_dispensing_rate")
    assert shown["state"] == "presentation_consumer"
    assert [(h["from"], h["to"], h["operator"]) for h in shown["history"]][-1] == (
        "golden_comparison", "presentation_consumer", OPERATOR)


def test_a_stale_decision_is_a_conflict_and_appends_nothing(db_url) -> None:
    engine = open_takeover_db(db_url)
    registry = SqlProcessRegistry(engine)
    registry.define(Process("gdr", "GDR", "user:o@leaf.example"), AT)
    registry.transition(Transition("gdr", "legacy_reference", "candidate_evidence", AT, OPERATOR))
    with pytest.raises(Conflict):
        registry.transition(Transition("gdr", "legacy_reference", "candidate_evidence", AT, OPERATOR))
    assert [t.to_state for t in registry.history("gdr")] == ["candidate_evidence"]
    record = registry.get("gdr")
    assert record is not None and record.state == "candidate_evidence"
    record_proof(registry, "gdr", "source_lineage", "LD-1", OPERATOR, AT)
    record_proof(registry, "gdr", "source_lineage", "LD-2", "local:alice", AT)
    record = registry.get("gdr")
    assert record is not None and record.proofs["source_lineage"].ref == "LD-2"
    assert [p.ref for p in registry.proofs("gdr")] == ["LD-1", "LD-2"]
    engine.dispose()


def test_the_cli(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LEAF_TAKEOVER_DB_URL", f"sqlite:///{tmp_path / 'takeover.sqlite'}")
    monkeypatch.setenv("LEAF_TAKEOVER_LAKE_DIR", str(tmp_path / "lake"))
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    registry = SqlProcessRegistry(open_takeover_db(f"sqlite:///{tmp_path / 'takeover.sqlite'}"))
    registry.define(Process("gdr", "GDR", "user:o@leaf.example", ("CARD-105",)), AT)
    files = SqlParityReports(registry.engine)

    assert leaf(["takeover", "advance", "gdr", "--to", "candidate_evidence", "--note", "started"]) == 0
    assert json.loads(capsys.readouterr().out)["transition"]["operator"] == "local:alice"
    assert leaf(["takeover", "advance", "gdr", "--to", "golden_comparison"]) == 0
    capsys.readouterr()
    assert leaf(["takeover", "advance", "gdr", "--to", "presentation_consumer"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "refused" and out["reasons"] == [*(f"proof_missing:{p}" for p in PROOFS), "parity_missing"]

    for proof in PROOFS:
        assert leaf(["takeover", "prove", "gdr", proof, "--ref", f"ref-{proof}"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n}\n")[0] + "\n}")["recorded_by"] == "local:alice"
    files.write("gdr", {"report_id": "PR-1", "process": "gdr", "cards": 1, "match": 0, "explained": 0, "unexplained": 1,
                                "packets": [{"card_id": "CARD-105", "classification": "unexplained"}]})
    assert leaf(["takeover", "advance", "gdr", "--to", "presentation_consumer"]) == 1
    assert json.loads(capsys.readouterr().out)["reasons"] == ["unexplained_difference:CARD-105"]
    files.write("gdr", {"report_id": "PR-2", "process": "gdr", "cards": 1, "match": 1, "explained": 0, "unexplained": 0,
                                "packets": [{"card_id": "CARD-105", "classification": "match"}]})
    assert leaf(["takeover", "advance", "gdr", "--to", "presentation_consumer"]) == 0
    capsys.readouterr()

    assert leaf(["takeover", "processes"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["state"] == "presentation_consumer" and listed["parity"]["report_id"] == "PR-2"
    assert leaf(["takeover", "processes", "gdr"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["history"]) == 3 and len(shown["refusals"]) == 2

    assert leaf(["takeover", "advance", "nope", "--to", "candidate_evidence"]) == 2
    assert "process_not_found" in capsys.readouterr().err
    assert leaf(["takeover", "prove", "gdr", "source_lineage", "--ref", "https://x.example/a?sig=s"]) == 2
    assert "bad_input:ref" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        leaf(["takeover", "advance", "gdr", "--to", "live"])
    assert usage.value.code == 2
    assert leaf(["takeover", "processes", "nope"]) == 2
    registry.engine.dispose()


def test_the_demo_load_id_is_the_exports() -> None:
    assert read_processes()["load_id"] == DEMO_LOAD_ID


def test_leaf_demo_loads_the_processes_once(leaf_home) -> None:
    from cli.commands.demo import ingest_demo_export
    from demo.takeover_processes import load_demo_processes_here

    ingest_demo_export()
    wanted = {p["process_id"]: p["state"] for p in read_processes()["processes"]}
    assert load_demo_processes_here("local:demo") == wanted
    assert load_demo_processes_here("local:demo") == wanted


def test_two_operators_moving_at_once_make_one_line(db_url) -> None:
    """Both decided on legacy_reference; the database lets exactly one of them move it and append its line."""
    import threading

    engine = open_takeover_db(db_url)
    registry = SqlProcessRegistry(engine)
    registry.define(Process("gdr", "GDR", "user:o@leaf.example"), AT)
    start, outcomes = threading.Barrier(2), []

    def move(operator: str) -> None:
        start.wait()
        try:
            registry.transition(Transition("gdr", "legacy_reference", "candidate_evidence", AT, operator))
            outcomes.append("done")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=move, args=(f"user:{n}@leaf.example",)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "done"]
    assert len(registry.history("gdr")) == 1
    engine.dispose()
