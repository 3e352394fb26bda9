"""`leaf calc` as analysts call it: result JSON on stdout, exit 0; input errors exit 2 with the reason code."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from demo import ONEDRIVE_DIR
from demo.generator import generate_claims

CONTRACT = ONEDRIVE_DIR / "Clients/C001/PBM_A/contract-2025.packet.json"
REBATES = ONEDRIVE_DIR / "Clients/C001/PBM_A/rebates-2025.rebates.json"
LEAF = Path(sys.executable).parent / "leaf"


@pytest.fixture(scope="module")
def claims(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("calc") / "claims.csv"
    generate_claims(path, n_claims=2000, seed=1)
    return path


def leaf_calc(claims: Path, *extra: str, contract: Path = CONTRACT, client: str = "C001"):
    args = [str(LEAF), "calc", "--claims", str(claims), "--contract", str(contract), "--client", client,
            "--pbm", "PBM_A", "--from", "2025-01-01", "--to", "2025-12-31", *extra]
    return subprocess.run(args, capture_output=True)


def test_prints_the_result_and_exits_0(claims):
    done = leaf_calc(claims, "--rebates", str(REBATES))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["inputs"]["contract_packet_id"] == "CP-C001-PBMA-2025"
    assert result["inputs"]["rebate_evidence_id"] == "RB-C001-PBMA-2025"
    assert leaf_calc(claims, "--rebates", str(REBATES)).stdout == done.stdout  # byte-identical every run


def test_a_blocked_result_still_exits_0(claims):
    done = leaf_calc(claims)  # no rebate evidence: the rebate formula is blocked
    assert done.returncode == 0
    rebate = next(f for f in json.loads(done.stdout)["formulas"] if f["id"] == "rebate_guarantee")
    assert rebate["status"] == "blocked"


def test_missing_column(tmp_path):
    broken = tmp_path / "claims.csv"
    broken.write_text("claim_id,claim_status\nX,PAID\n")
    done = leaf_calc(broken)
    assert done.returncode == 2 and b"missing_column:reverses_claim_id" in done.stderr
    assert done.stdout == b"" and len(done.stderr.strip().splitlines()) == 1


def test_unreadable_contract_json(claims, tmp_path):
    bad = tmp_path / "contract.json"
    bad.write_text("{not json")
    done = leaf_calc(claims, contract=bad)
    assert done.returncode == 2 and b"bad_input:contract" in done.stderr


def test_evidence_of_another_client(claims):
    done = leaf_calc(claims, contract=ONEDRIVE_DIR / "Clients/C002/PBM_C/contract-2025.packet.json")
    assert done.returncode == 2 and b"scope_evidence_mismatch" in done.stderr


def test_bad_scope(claims):
    done = leaf_calc(claims, "--group", "")
    assert done.returncode == 2 and b"bad_input:scope" in done.stderr
