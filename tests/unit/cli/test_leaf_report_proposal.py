"""`leaf report --proposal`: a repriced run is another run (its own run id, the proposal in its lineage), with the
result bytes of `leaf calc --proposal`; the audit's readiness is unchanged."""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from demo import ONEDRIVE_DIR
from demo.generator import generate_claims

FOLDER = ONEDRIVE_DIR / "Clients/C001/PBM_A"
PROPOSAL = FOLDER / "proposal-2026.proposal.json"
LEAF = Path(sys.executable).parent / "leaf"
INPUTS = ["--contract", str(FOLDER / "contract-2025.packet.json"), "--rebates", str(FOLDER / "rebates-2025.rebates.json"),
          "--client", "C001", "--pbm", "PBM_A", "--from", "2025-01-01", "--to", "2025-12-31"]


@pytest.fixture(scope="module")
def claims(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("repriced") / "claims.csv"
    generate_claims(path, n_claims=2000, seed=3)
    return path


def leaf(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LEAF), *args], capture_output=True, env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"})


def report(claims: Path, out: Path, *extra: str) -> dict:
    done = leaf("report", "--claims", str(claims), *INPUTS, *extra, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads((out / "run.json").read_text())


def test_a_report_with_a_proposal_is_another_run_with_the_proposal_in_its_lineage(claims, tmp_path):
    plain = report(claims, tmp_path / "plain")
    repriced = report(claims, tmp_path / "repriced", "--proposal", str(PROPOSAL))
    assert repriced["run_id"] != plain["run_id"]
    calc = leaf("calc", "--claims", str(claims), *INPUTS, "--proposal", str(PROPOSAL))
    assert repriced["result"] == json.loads(calc.stdout)
    sha = hashlib.sha256(PROPOSAL.read_bytes()).hexdigest()
    assert repriced["lineage"]["evidence"][-1] == {"evidence_id": "PR-C001-PBMA-2026", "kind": "proposal",
                                                   "governance": "proposed", "sha256": sha, "version": 0}
    assert repriced["lineage"]["input_hashes"]["proposal_sha256"] == sha
    assert repriced["result"]["readiness"] == plain["result"]["readiness"]
    assert repriced["result"]["formulas"][-1]["id"] == "repricing_savings"
