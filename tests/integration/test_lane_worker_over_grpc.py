"""A lane worker against real services (scope, evidence, calc, publisher and tasks, each a gRPC server on port 0 with
its own SQLite): it computes and publishes a submitted run for its submitter, under the identity it signs for
that submitter and the grant the scope service issues it again — so an entitlement revoked while the task waited
stops the task, which fails for good with the scope service's refusal."""
from __future__ import annotations

import json

from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2
from leaf.scope.v1 import scope_pb2
from leaf.tasks.v1 import tasks_pb2
from tests.integration.mesh_fixtures import PRINCIPAL, grant_for, read_grant
from tests.integration.plane_fixtures import claims_csv, finished, lane_worker, operator, plane  # noqa: F401 (fixture)

C001 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")


def submit(stubs, scope: Scope = C001):
    return stubs["tasks"].SubmitTask(tasks_pb2.SubmitTaskRequest(
        kind="compute_run", payload_json=json.dumps({"scope": scope.canonical()})), metadata=grant_for(scope))


async def test_the_worker_computes_and_publishes_the_run_for_its_submitter(tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv) as (addresses, stubs, tasks_url):
        asked = await submit(stubs)
        with lane_worker(addresses, tasks_url) as ledger:
            done = await finished(ledger, asked.task_id)
        run = await stubs["calc"].GetRun(calc_pb2.GetRunRequest(run_id=done.run_id), metadata=read_grant("C001"))
        again = await stubs["tasks"].GetTask(tasks_pb2.GetTaskRequest(task_id=asked.task_id), metadata=grant_for(C001))
    assert done.state == "succeeded", done.last_error
    assert run.scope.scope_hash == C001.scope_hash and done.run_id == run.run_id
    assert {"run.json", "report.xlsx", "report.pdf"} <= {a.name for a in done.artifacts}
    assert all(len(a.sha256) == 64 and a.size_bytes > 0 for a in done.artifacts)
    assert (again.state, again.run_id, again.progress.done, again.progress.total) == (
        tasks_pb2.SUCCEEDED, run.run_id, 2, 2)
    assert [c.actor for c in again.history][1:] == ["workload:worker-runs"] * 2  # running, succeeded


async def test_an_entitlement_revoked_while_the_task_waited_stops_it_with_the_scope_services_refusal(
        tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv) as (addresses, stubs, tasks_url):
        asked = await submit(stubs)
        await stubs["scope"].RevokeEntitlement(scope_pb2.RevokeEntitlementRequest(
            principal=PRINCIPAL, client_id="C001", reason="engagement over"), metadata=operator())
        with lane_worker(addresses, tasks_url) as ledger:
            done = await finished(ledger, asked.task_id)
    assert (done.state, done.attempts, done.run_id) == ("failed", 1, "")  # no retry: a refusal stays a refusal
    assert done.last_error == "permanent_failure: scope_not_found: no such scope for this caller"
