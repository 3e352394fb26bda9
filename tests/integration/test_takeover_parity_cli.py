"""`leaf takeover parity PROCESS_ID [--load] [--xlsx PATH]`: the kept parity report with the takeover database's
explanations, as JSON and as a workbook sheet whose cells carry the exact decimal strings (read back with
openpyxl); `leaf takeover advance` reads the same gate."""
from __future__ import annotations

import json

import openpyxl

from cli.main import main as leaf
from services.takeover.adapters.explanations_sql import SqlExplanations
from services.takeover.adapters.parity_reports_sql import SqlParityReports
from services.takeover.adapters.parity_xlsx import COLUMNS, SHEET
from services.takeover.adapters.plane import open_takeover_db
from services.takeover.adapters.process_registry import SqlProcessRegistry
from services.takeover.domain.processes import PROOFS, Process
from services.takeover.service_layer.parity import approve_explanation, propose_explanation
from services.takeover.service_layer.processes import record_proof
from tests.integration.test_takeover_parity_service import demo_like_report

AT = "2026-11-02T09:00:00Z"


def test_parity_as_json_and_as_a_sheet(tmp_path, capsys, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'takeover.sqlite'}"
    monkeypatch.setenv("LEAF_TAKEOVER_DB_URL", url)
    monkeypatch.setenv("LEAF_TAKEOVER_LAKE_DIR", str(tmp_path / "lake"))
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    engine = open_takeover_db(url)
    registry = SqlProcessRegistry(engine)
    registry.define(Process("gdr", "GDR", "user:o@leaf.example", ("CARD-105", "CARD-102", "CARD-109")), AT)
    for proof in PROOFS:
        record_proof(registry, "gdr", proof, f"ref-{proof}", "op:a", AT)
    kept = demo_like_report()
    SqlParityReports(engine).write("gdr", kept)
    explanations = SqlExplanations(engine)
    propose_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "sums reversals", "op:a")
    approve_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "op:b", "2026-11-02T10:00:00Z")

    target = tmp_path / "parity.xlsx"
    assert leaf(["takeover", "parity", "gdr", "--xlsx", str(target)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["match"], report["explained"], report["unexplained"]) == (1, 1, 1)
    assert report["base_report_id"] == kept["report_id"] != report["report_id"]

    sheet = openpyxl.load_workbook(target)[SHEET]
    summary = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(1, 10)}
    assert summary["Process"] == "gdr" and summary["Load"] == "LD-2026-11-01-C001"
    assert (summary["Cards"], summary["Match"], summary["Explained"], summary["Unexplained"]) == (3, 1, 1, 1)
    assert summary["Report id"] == report["report_id"] and summary["Classified again from"] == kept["report_id"]
    assert [sheet.cell(9, c).value for c in (1, 2, 3)] == ["Worst difference", "CARD-102", "110.25"]
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Card")
    titles = [sheet.cell(header, c + 1).value for c in range(len(COLUMNS))]
    rows = {sheet.cell(r, 1).value: {t: sheet.cell(r, c + 1).value for c, t in enumerate(titles)}
            for r in range(header + 1, header + 4)}
    assert list(rows) == ["CARD-105", "CARD-102", "CARD-109"]
    noisy = rows["CARD-109"]
    assert (noisy["Domo value"], noisy["Backend value"], noisy["Difference (Domo - backend)"]) == (
        "0.33333333333333331", "0.3333", "0.00003333333333331")  # exact decimal strings, no float noise
    assert noisy["Classification"] == "unexplained" and noisy["Proposed, not approved"] == "domo_float_rounding"
    reversals = rows["CARD-102"]
    assert (reversals["Classification"], reversals["Reason code"], reversals["Approved by"]) == (
        "explained", "domo_includes_reversals", "op:b")
    assert rows["CARD-105"]["Backend formula"] == "generic_dispensing_rate.gdr@1"

    # the CLI's gate reads the same explanations: CARD-109 still holds the process at golden_comparison
    for state in ("candidate_evidence", "golden_comparison"):
        assert leaf(["takeover", "advance", "gdr", "--to", state]) == 0
    capsys.readouterr()
    assert leaf(["takeover", "advance", "gdr", "--to", "presentation_consumer"]) == 1
    assert json.loads(capsys.readouterr().out)["reasons"] == ["unexplained_difference:CARD-109"]

    assert leaf(["takeover", "parity", "gdr", "--load", "LD-OTHER"]) == 2
    assert "parity_not_found" in capsys.readouterr().err
    assert leaf(["takeover", "parity", "nope"]) == 2
    assert leaf(["takeover", "parity", "gdr", "--xlsx", str(tmp_path / "missing" / "p.xlsx")]) == 2
    engine.dispose()
