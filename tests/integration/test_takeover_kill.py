"""`leaf takeover ingest` killed with SIGKILL at random points: curated is byte-identical to before, or holds the
whole load — never part of it — and the next ingest of the same export promotes it (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.takeover.adapters.bronze_local import LocalBronze
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.plane import Plane, open_takeover_db
from services.takeover.adapters.silver_duckdb import DuckDbLake
from tests.takeover_fixtures import base_export, curated_dump

CHECKOUT = Path(__file__).resolve().parents[2]
KILLS = 4
OPERATOR = "operator:ops@leaf.example"


# `leaf takeover ingest PATH`, saying when its imports are done, so the random kill lands in the ingest itself.
LEAF = "import sys; import cli.main; print('ready', flush=True); sys.exit(cli.main.main(sys.argv[1:]))"


def _ingest(folder: Path, env: dict) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", LEAF, "takeover", "ingest", str(folder)], cwd=CHECKOUT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    return process


def _plane(db_url: str, lake: Path) -> Plane:
    return Plane(lake, LocalBronze(lake), DuckDbLake(lake), SqlCurated(open_takeover_db(db_url)))


def _promoted(engine) -> set[str]:
    from sqlalchemy import text
    with engine.connect() as db:
        return set(db.execute(text("SELECT load_id FROM curated_loads")).scalars())


@pytest.mark.timeout(300)
def test_sigkill_mid_ingest_leaves_curated_whole_or_untouched(db_url, tmp_path, leaf_home):
    lake = tmp_path / "lake"
    env = {**os.environ, "LEAF_HOME": str(leaf_home), "LEAF_TAKEOVER_DB_URL": db_url,
           "LEAF_TAKEOVER_LAKE_DIR": str(lake), "PYTHONPATH": os.pathsep.join([str(CHECKOUT), str(CHECKOUT / "gen")])}
    plane = _plane(db_url, lake)
    engine = plane.curated.engine
    base_export(tmp_path / "prior", load_id="LD-0000", claims=50)
    assert plane.ingest(tmp_path / "prior", OPERATOR).status == "promoted"
    # How long one whole ingest of this size takes here: the kills land anywhere from start-up to the commit.
    base_export(tmp_path / "probe", load_id="LD-PROBE", claims=60_000)
    probe = _ingest(tmp_path / "probe", env)
    started = time.monotonic()
    assert probe.wait() == 0
    span = time.monotonic() - started
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    outcomes = []
    for attempt in range(KILLS):
        load_id = f"LD-{attempt + 1:04d}"
        folder = tmp_path / load_id
        base_export(folder, load_id=load_id, claims=60_000, offset=(attempt + 1) * 60_000)  # new bronze each time
        before, promoted_before = curated_dump(engine, lake), _promoted(engine)
        process = _ingest(folder, env)
        time.sleep(rng.uniform(0.05, span))
        process.send_signal(signal.SIGKILL)
        code = process.wait()
        after = _promoted(engine)
        if load_id in after:  # finished before the kill, or killed after its commit: the whole load is there
            outcomes.append("promoted")
            assert after == promoted_before | {load_id}, f"seed {seed}"
            curated_dump(engine, lake)  # every referenced silver file present with its recorded hash
        else:
            outcomes.append(f"killed ({code})")
            assert curated_dump(engine, lake) == before, f"seed {seed}: curated changed by a killed ingest"
        # whatever was left behind, the same export ingests again: promoted, or unchanged if it already was
        assert plane.ingest(folder, OPERATOR).status == ("unchanged" if load_id in after else "promoted")
        assert load_id in _promoted(engine)
        curated_dump(engine, lake)
    print(f"seed {seed}, span {span:.2f}s: {outcomes}")
    engine.dispose()
