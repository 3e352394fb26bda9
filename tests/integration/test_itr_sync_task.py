"""`itr_sync` on the execution plane: an operator's task, done by the itr lane's worker through itr.SyncRequests for
that operator; the task records the sync's counts. An analyst may not submit it, nor call SyncRequests."""
from __future__ import annotations

import json

import grpc
import pytest

from leaf.itr.v1 import itr_pb2
from leaf.tasks.v1 import tasks_pb2
from tests.integration.itr_fixtures import with_itr
from tests.integration.mesh_fixtures import as_operator, read_grant
from tests.integration.plane_fixtures import claims_csv, finished, lane_worker, plane  # noqa: F401 (fixture)


async def test_an_operators_itr_sync_task_is_synced_by_the_itr_lane(tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv) as (addresses, stubs, tasks_url), with_itr(tmp_path, addresses) as itr:
        asked = await stubs["tasks"].SubmitTask(tasks_pb2.SubmitTaskRequest(kind="itr_sync"),
                                                metadata=as_operator(read_grant("C001")))
        assert asked.state == tasks_pb2.QUEUED and asked.lane == "itr"
        with lane_worker(addresses, tasks_url, lane="itr") as ledger:
            done = await finished(ledger, asked.task_id)
        assert done.state == "succeeded", done.last_error
        summary = json.loads(done.result_json)
        assert (summary["requests_upserted"], summary["requests_deleted"], summary["flags"]) == (23, 1, 3)
        again = await itr.SyncRequests(itr_pb2.SyncRequestsRequest(), metadata=as_operator(read_grant("C001")))
        assert (again.requests_upserted, again.history_added, again.flags) == (0, 0, 0)


async def test_an_analyst_can_neither_submit_nor_call_a_sync(tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv) as (addresses, stubs, _), with_itr(tmp_path, addresses) as itr:
        blocked = await stubs["tasks"].SubmitTask(tasks_pb2.SubmitTaskRequest(kind="itr_sync"),
                                                  metadata=read_grant("C001"))
        assert blocked.state == tasks_pb2.BLOCKED and blocked.policy.rule == "kind.itr_sync.operator_only"
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await itr.SyncRequests(itr_pb2.SyncRequestsRequest(), metadata=read_grant("C001"))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
