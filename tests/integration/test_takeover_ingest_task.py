"""`takeover_ingest` on the execution plane: an operator's task with the operator flag, done by the takeover lane's
worker through takeover.IngestExport for that operator, who is recorded as having promoted the load. A
quarantine is the task's result, not a failure."""
from __future__ import annotations

import contextlib
import json

from leaf.tasks.v1 import tasks_pb2
from services.takeover.bootstrap import TakeoverSettings
from services.takeover.bootstrap import bootstrap as takeover_bootstrap
from tests.integration.mesh_fixtures import OPERATOR, as_operator, read_grant, running
from tests.integration.plane_fixtures import claims_csv, finished, lane_worker, plane  # noqa: F401 (fixture)
from tests.takeover_fixtures import base_export


@contextlib.asynccontextmanager
async def with_takeover(folder, addresses):
    config = TakeoverSettings(LEAF_TAKEOVER_DB_URL=f"sqlite:///{folder / 'takeover.sqlite'}",
                              LEAF_TAKEOVER_LAKE_DIR=str(folder / "lake"))
    async with running(takeover_bootstrap(config)) as address:
        addresses["takeover"] = address
        yield


async def test_an_operators_ingest_task_is_done_by_the_takeover_lane(tmp_path, claims_csv):
    base_export(tmp_path / "good", load_id="LD-0001")
    base_export(tmp_path / "bad", load_id="LD-0002")
    (tmp_path / "bad" / "manifest.json").write_text("{")
    async with plane(tmp_path, claims_csv) as (addresses, stubs, tasks_url), with_takeover(tmp_path, addresses):
        tasks = []
        for folder in ("good", "bad"):
            asked = await stubs["tasks"].SubmitTask(tasks_pb2.SubmitTaskRequest(
                kind="takeover_ingest", operator_intent=True, payload_json=json.dumps({"path": str(tmp_path / folder)})),
                metadata=as_operator(read_grant("C001")))
            assert asked.state == tasks_pb2.QUEUED and asked.lane == "takeover"
            tasks.append(asked.task_id)
        with lane_worker(addresses, tasks_url, lane="takeover") as ledger:
            good, bad = [await finished(ledger, task_id) for task_id in tasks]
        assert good.state == "succeeded", good.last_error
        assert json.loads(good.result_json) == {"load_id": "LD-0001", "status": "promoted", "reasons": [], "datasets": [
            {"dataset_id": "ds-claims", "rows": 120}, {"dataset_id": "ds-members", "rows": 30}]}
        assert bad.state == "succeeded" and json.loads(bad.result_json)["reasons"] == ["manifest_invalid"]
    from services.takeover.adapters.curated_sql import SqlCurated
    from services.takeover.adapters.plane import open_takeover_db
    (promoted,) = SqlCurated(open_takeover_db(f"sqlite:///{tmp_path / 'takeover.sqlite'}")).load("LD-0001")
    assert promoted.promoted_by == OPERATOR
