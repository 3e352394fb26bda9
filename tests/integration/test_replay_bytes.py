"""Replay pins the bytes: every demo run's deliverables, rendered by `leaf report` from fixed inputs, hash to the
sha256 recorded in tests/fixtures/replay/manifest.json.

A refactor that moves code but changes no behaviour leaves every hash alone; one changed byte in any artifact (run
JSON, workbook, PDF, extract CSV/Parquet, dashboard tables) fails here, naming the run and the file. `leaf report`
runs the publisher's own deliverables code (services/publisher/service_layer/deliverables.py, with the renderers of
adapters/renderers.py) over the calc domain, so this pins what the mesh publishes for the same context. The
inputs are pinned too: the generated claims file (its sha256 is in the manifest), the demo's evidence files and
registry names, SOURCE_DATE_EPOCH for created_at, a fixed pseudonym key, and no narrative model (the template).

When bytes change on purpose (a new column, a renderer or library upgrade), regenerate and review the diff:
    LEAF_UPDATE_REPLAY_MANIFEST=1 .venv/bin/pytest tests/integration/test_replay_bytes.py
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from demo import ONEDRIVE_DIR, load_registry
from demo.generator import generate_claims
from runtime.settings import load_settings
from services.scope.bootstrap import ScopeDatabaseSettings, open_registry
from tests.e2e.demo_runs import DEMO_RUNS

MANIFEST = Path(__file__).resolve().parents[1] / "fixtures" / "replay" / "manifest.json"
LEAF = Path(sys.executable).parent / "leaf"
CLAIMS, SEED = 3000, 5  # small enough for a test, enough claims for every formula of every demo plan
SOURCE_DATE_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
PSEUDONYM_KEY = base64.b64encode(b"replay-test-pseudonym-key-of-32+bytes").decode()  # a test key, no secret
UPDATE = os.environ.get("LEAF_UPDATE_REPLAY_MANIFEST") == "1"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def evidence_args(run: dict) -> list[str]:
    """The evidence files a demo run is computed with: its plan's contract and rebates for the year, and its
    proposal when it names one (the files the evidence service packetizes from the same folder)."""
    folder = ONEDRIVE_DIR / "Clients" / run["client_id"] / run["pbm_id"]
    year = run["date_from"][:4]
    found = ["--contract", str(folder / f"contract-{year}.packet.json")]
    if (rebates := folder / f"rebates-{year}.rebates.json").exists():
        found += ["--rebates", str(rebates)]
    if run.get("proposal_id"):
        [proposal] = folder.glob("*.proposal.json")
        assert json.loads(proposal.read_text())["proposal_id"] == run["proposal_id"]
        found += ["--proposal", str(proposal)]
    return found


def scope_args(run: dict) -> list[str]:
    found = ["--client", run["client_id"], "--pbm", run["pbm_id"], "--from", run["date_from"], "--to", run["date_to"]]
    if run.get("tpa_id"):
        found += ["--tpa", run["tpa_id"]]
    for group in run.get("group_ids", ()):
        found += ["--group", group]
    return found


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> dict:
    """Every demo run rendered once, in a LEAF_HOME holding the demo registry (for the names beside the ids)."""
    root = tmp_path_factory.mktemp("replay")
    home = root / "home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEAF_HOME", str(home))
        open_registry(load_settings(ScopeDatabaseSettings).LEAF_SCOPE_DB_URL).replace(load_registry())
    claims = root / "claims.csv"
    generate_claims(claims, n_claims=CLAIMS, seed=SEED)
    env = {"PATH": os.environ["PATH"], "LEAF_HOME": str(home), "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
           "LEAF_PSEUDONYM_KEY": PSEUDONYM_KEY}  # nothing else: no model configured, the narrative is the template
    if "PYTHONPATH" in os.environ:  # a checkout other than the installed one replays its own code
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    runs: dict[str, dict[str, str]] = {}
    for name, run in DEMO_RUNS.items():
        out = root / name
        done = subprocess.run([str(LEAF), "report", "--claims", str(claims), *evidence_args(run), *scope_args(run),
                               "--out", str(out)], capture_output=True, text=True, env=env, check=False)
        assert done.returncode == 0, f"{name}: {done.stderr}"
        assert "ids only" not in done.stderr, f"{name}: the demo registry's names did not reach the deliverables"
        runs[name] = {p.relative_to(out).as_posix(): sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
    return {"inputs": {"claims.csv": sha256(claims)}, "runs": runs}


def test_every_demo_run_replays_to_the_recorded_bytes(replayed: dict) -> None:
    if UPDATE:
        MANIFEST.write_text(json.dumps(replayed, indent=2, sort_keys=True) + "\n")
    recorded = json.loads(MANIFEST.read_text())
    assert replayed["inputs"] == recorded["inputs"], "the generated demo claims changed: every run's bytes follow"
    assert sorted(replayed["runs"]) == sorted(recorded["runs"]), "the set of demo runs changed"
    changed = [f"{run}/{name}" for run, files in sorted(recorded["runs"].items())
               for name in sorted(set(files) | set(replayed["runs"][run]))
               if files.get(name) != replayed["runs"][run].get(name)]
    assert not changed, "artifact bytes differ from tests/fixtures/replay/manifest.json:\n" + "\n".join(changed)


def test_the_manifest_covers_every_deliverable_of_every_run() -> None:
    recorded = json.loads(MANIFEST.read_text())["runs"]
    assert set(recorded) == set(DEMO_RUNS)
    for run, files in recorded.items():
        assert {"run.json", "report.xlsx", "report.pdf", "extract.csv", "extract.parquet",
                "dashboard/formula_totals.csv"} <= set(files), run
