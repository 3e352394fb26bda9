"""A sync killed mid-way (SIGKILL, twice, at different places) and run again ends in exactly the mirror one clean
sync makes: same row counts, same content hashes, no history row twice, nothing lost (issue #14 item 2)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from services.itr.adapters import tables
from tests.integration.itr_fixtures import digest, export_at, mirror_at, sync, zeros


def leaf_itr_sync(folder, url) -> subprocess.Popen:
    env = {**os.environ, "LEAF_ITR_DB_URL": url}
    return subprocess.Popen([sys.executable, "-m", "cli.main", "itr", "sync", "--export", str(folder)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def count(engine, table) -> int:
    with engine.connect() as db:
        return db.execute(select(func.count()).select_from(table)).scalar_one()


def kill_when(process: subprocess.Popen, engine, table, at_least: int) -> None:
    deadline = time.monotonic() + 120
    while count(engine, table) < at_least:
        assert process.poll() is None, "the sync finished before it could be killed: make the export larger"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_killed_syncs_resume_without_loss_or_duplicates(tmp_path):
    folder, records = export_at(tmp_path / "export", requests=4000, history=10)
    url = f"sqlite:///{tmp_path / 'crashed.sqlite'}"
    crashed = mirror_at(url)
    kill_when(leaf_itr_sync(folder, url), crashed, tables.requests, 1)          # within the requests
    partial = count(crashed, tables.requests)
    assert 0 < partial < len(records["IT_Request__c"])
    kill_when(leaf_itr_sync(folder, url), crashed, tables.history, 12000)       # within the history
    assert count(crashed, tables.history) < len(records["IT_Request__History"])
    finished = leaf_itr_sync(folder, url)
    out, err = finished.communicate(timeout=300)
    assert finished.returncode == 0, err
    resumed = json.loads(out)
    assert resumed["requests_upserted"] + resumed["requests_deleted"] <= len(records["IT_Request__c"]) - partial
    clean = mirror_at(f"sqlite:///{tmp_path / 'clean.sqlite'}")
    sync(folder, clean)
    assert digest(crashed) == digest(clean)
    assert count(crashed, tables.history) == len(records["IT_Request__History"]) == 40000
    assert zeros(sync(folder, crashed))
