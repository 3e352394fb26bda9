"""`leaf report` as analysts call it: every deliverable in one folder, the numbers of `leaf calc`; a refusal writes nothing."""
import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from demo import ONEDRIVE_DIR
from demo.generator import generate_claims

FOLDER = ONEDRIVE_DIR / "Clients/C001/PBM_A"
LEAF = Path(sys.executable).parent / "leaf"
SCOPE = ["--client", "C001", "--pbm", "PBM_A", "--from", "2025-01-01", "--to", "2025-12-31"]


@pytest.fixture(scope="module")
def claims(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "claims.csv"
    generate_claims(path, n_claims=3000, seed=5)
    return path


def leaf(*args: str, env: dict | None = None):
    return subprocess.run([str(LEAF), *args], capture_output=True, env={**os.environ, **(env or {})})


def test_writes_every_deliverable_with_the_numbers_of_leaf_calc(claims, tmp_path):
    inputs = ["--claims", str(claims), "--contract", str(FOLDER / "contract-2025.packet.json"),
              "--rebates", str(FOLDER / "rebates-2025.rebates.json"), *SCOPE]
    out = tmp_path / "out"
    done = leaf("report", *inputs, "--out", str(out), env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert done.returncode == 0, done.stderr
    tables = sorted(p.name for p in (out / "dashboard").iterdir())
    assert {"readiness.csv", "formula_totals.csv", "awp_discount_guarantee.csv"} <= set(tables)
    assert {p.name for p in out.iterdir()} == {"run.json", "report.xlsx", "report.pdf", "extract.csv", "extract.parquet",
                                              "dashboard"}
    run = json.loads((out / "run.json").read_text())
    assert run["result"] == json.loads(leaf("calc", *inputs).stdout)
    assert run["lineage"]["created_at"] == "2026-01-01T00:00:00+00:00"
    shortfall = next(f for f in run["result"]["formulas"] if f["id"] == "awp_discount_guarantee")["shortfall"]
    summary = [v for row in load_workbook(out / "report.xlsx", read_only=True)["Summary"].iter_rows(values_only=True)
               for v in row if v is not None]
    assert run["run_id"] in summary and Decimal(shortfall) in {Decimal(str(v)) for v in summary
                                                             if isinstance(v, (int, float))}
    pdf_text = "".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    assert run["run_id"] in pdf_text and run["result"]["scope_hash"] in pdf_text
    extract = list(csv.DictReader(io.StringIO((out / "extract.csv").read_text())))
    gdr = next(f for f in run["result"]["formulas"] if f["id"] == "generic_dispensing_rate")
    assert len(extract) == gdr["claims"] and all(r["member_key"].startswith("mk_") for r in extract)
    again = tmp_path / "again"
    assert leaf("report", *inputs, "--out", str(again), env={"SOURCE_DATE_EPOCH": "1767225600"}).returncode == 0
    for name in ("run.json", "report.xlsx", "report.pdf", "extract.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_a_refused_artifact_writes_nothing_and_exits_3(claims, tmp_path):
    packet = json.loads((FOLDER / "contract-2025.packet.json").read_text())
    packet["packet_id"] = "CP-C001 see C:\\Users\\analyst\\contract.pdf"  # a local path would reach every artifact
    contract = tmp_path / "contract.json"
    contract.write_text(json.dumps(packet))
    out = tmp_path / "out"
    done = leaf("report", "--claims", str(claims), "--contract", str(contract), *SCOPE, "--out", str(out))
    assert done.returncode == 3
    assert b"presentation_contract:local_path" in done.stderr and b"analyst" not in done.stderr
    assert not out.exists() or not any(out.iterdir())


def test_input_errors_exit_2_like_leaf_calc(claims, tmp_path):
    done = leaf("report", "--claims", str(tmp_path / "missing.csv"), "--contract", str(FOLDER / "contract-2025.packet.json"),
                *SCOPE, "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.startswith(b"leaf report: bad_input:claims")


def test_progress_on_stderr_and_names_from_the_local_registry_or_ids_alone(claims, tmp_path):
    """Each step is a line on stderr (stdout stays the folder); names come from the scope registry loaded under
    LEAF_HOME, and without one the deliverables show ids alone (never the demo's names for a real client's id)."""
    inputs = ["--claims", str(claims), "--contract", str(FOLDER / "contract-2025.packet.json"), *SCOPE]
    bare = leaf("report", *inputs, "--out", str(tmp_path / "bare"))
    assert bare.returncode == 0 and bare.stdout.decode().strip() == str(tmp_path / "bare")
    lines = bare.stderr.decode().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["claims read", "calc", "names", "extract", "dashboard",
                                                              "PDF", "workbook"]
    assert lines[0].startswith("leaf report: claims read: 3,000 rows") and "ids only" in lines[2]
    rows = sum(1 for _ in csv.reader(io.StringIO((tmp_path / "bare" / "extract.csv").read_text()))) - 1
    assert f"extract: {rows:,} claim rows written" in lines[3]

    from demo import load_registry
    from runtime.home import sqlite_url
    from services.scope.bootstrap import open_registry

    open_registry(sqlite_url("scope")).replace(load_registry())   # what `leaf demo` loads
    named = leaf("report", *inputs, "--out", str(tmp_path / "named"))
    assert "names: Acme Manufacturing (C001), Meridian Rx Solutions (PBM_A); from the local scope registry" \
        in named.stderr.decode()
