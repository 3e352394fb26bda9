"""The services a lane worker calls, over gRPC, always for the task's submitter (the WorkerMesh port).

The worker holds LEAF_IDENTITY_KEYS like every service, and signs a short-lived identity for the submitter it
recorded — as the gateway does for the person it authenticated. With that identity it asks the scope service
for a grant of the recorded scope; every other call carries both, and each service checks them as it checks a
request from the gateway. Open inside the loop that will use it: gRPC aio channels belong to one loop.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from kernel.errors import NotFound, Unavailable
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.itr.v1 import itr_pb2, itr_pb2_grpc
from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from leaf.takeover.v1 import takeover_pb2, takeover_pb2_grpc
from runtime import grant_tokens, identity_tokens
from runtime.clients import call, open_channel
from runtime.convert import READINESS_NAME, scope_to_proto
from runtime.identity_keys import IdentityKeys
from services.tasks.domain.tasks import Artifact, Task
from services.tasks.service_layer.ports import RunMade

Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class GrpcActingFor:
    metadata: Metadata


class GrpcWorkerMesh:
    def __init__(self, addresses: dict[str, str], keys: IdentityKeys, identity_ttl: int) -> None:
        self.channels = {name: open_channel(address) for name, address in addresses.items()}
        self.scope = scope_pb2_grpc.ScopeServiceStub(self.channels["scope"])
        self.calc = calc_pb2_grpc.CalcServiceStub(self.channels["calc"])
        self.publisher = publisher_pb2_grpc.PublisherServiceStub(self.channels["publisher"])
        # Only the itr lane's work calls itr (a worker of another lane may be started without its address).
        self.itr = itr_pb2_grpc.ItrServiceStub(self.channels["itr"]) if "itr" in self.channels else None
        self.takeover = (takeover_pb2_grpc.TakeoverServiceStub(self.channels["takeover"])
                         if "takeover" in self.channels else None)
        self.keys, self.identity_ttl = keys, identity_ttl

    def _submitter(self, task: Task) -> Metadata:
        """Signed per call, never cached: each call chain starts with a whole identity life."""
        token, _ = identity_tokens.sign(task.requested_by, task.requested_groups, task.requested_operator, self.keys,
                                 self.identity_ttl)
        return ((identity_tokens.METADATA_KEY, token),)

    async def acting_for(self, task: Task, timeout: float) -> GrpcActingFor:
        who = self._submitter(task)
        request = scope_pb2.IssueScopeGrantRequest()
        wanted = Scope.parse(**json.loads(task.granted_scope_json)) if task.granted_scope_json else None
        if wanted is not None:
            request.scope.CopyFrom(scope_to_proto(wanted))
        grant = await call(self.scope.IssueScopeGrant, request, timeout=timeout, metadata=who, retries=2)
        # The scope service narrows a scope to what the caller may see now: anything but the recorded scope means
        # the submitter lost part of it since, and the task must not run on a scope nobody asked for.
        if wanted is not None and grant.scope.scope_hash != wanted.scope_hash:
            raise NotFound("scope_not_found", "the submitter is no longer entitled to the whole scope it was granted")
        return GrpcActingFor((*who, (grant_tokens.METADATA_KEY, grant.token)))

    async def create_run(self, acting: GrpcActingFor, scope_json: str, itr_request_id: str,
                         timeout: float, proposal_id: str = "") -> RunMade:
        request = calc_pb2.CreateRunRequest(scope=scope_to_proto(Scope.parse(**json.loads(scope_json))),
                                            itr_request_id=itr_request_id, proposal_id=proposal_id)
        run = await call(self.calc.CreateRun, request, timeout=timeout, metadata=acting.metadata)
        return RunMade(run.run_id, READINESS_NAME[run.readiness])

    async def publish_run(self, acting: GrpcActingFor, run_id: str,
                          timeout: float) -> tuple[Artifact, ...]:
        publication = await call(self.publisher.PublishRun, publisher_pb2.PublishRunRequest(run_id=run_id),
                                 timeout=timeout, metadata=acting.metadata)
        return tuple(Artifact(a.name, a.sha256, a.size) for a in publication.artifacts)

    async def sync_requests(self, acting: GrpcActingFor, timeout: float) -> dict:
        if self.itr is None:
            raise Unavailable("itr_not_configured", "this worker was not given the itr service's address")
        summary = await call(self.itr.SyncRequests, itr_pb2.SyncRequestsRequest(), timeout=timeout,
                             metadata=acting.metadata)
        return {f.name: getattr(summary, f.name) for f in summary.DESCRIPTOR.fields}

    async def ingest_export(self, acting: GrpcActingFor, path: str, timeout: float) -> dict:
        if self.takeover is None:
            raise Unavailable("takeover_not_configured", "this worker was not given the takeover service's address")
        load = await call(self.takeover.IngestExport, takeover_pb2.IngestExportRequest(path=path), timeout=timeout,
                          metadata=acting.metadata)
        return {"load_id": load.load_id or None, "status": load.status, "reasons": list(load.reasons),
                "datasets": [{"dataset_id": d.dataset_id, "rows": d.rows} for d in load.datasets]}

    async def compare_parity(self, acting: GrpcActingFor, process_id: str, load_id: str, timeout: float) -> dict:
        if self.takeover is None:
            raise Unavailable("takeover_not_configured", "this worker was not given the takeover service's address")
        report = await call(self.takeover.CompareParity,
                            takeover_pb2.CompareParityRequest(process_id=process_id, load_id=load_id),
                            timeout=timeout, metadata=acting.metadata)  # makes a report: never retried here
        worst = report.worst_difference if report.HasField("worst_difference") else None
        return {"report_id": report.report_id, "process_id": report.process, "load_id": report.load_id,
                "cards": report.cards, "match": report.match, "explained": report.explained,
                "unexplained": report.unexplained,
                "worst_difference": None if worst is None else {"card_id": worst.card_id,
                                                                "difference": worst.difference}}

    async def close(self) -> None:
        await asyncio.gather(*(channel.close() for channel in self.channels.values()))
