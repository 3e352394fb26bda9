"""A published run's files at the edge: the list, and one file's verified bytes streamed from the publisher."""
from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from kernel.errors import NotFound
from leaf.publisher.v1 import publisher_pb2
from runtime.clients import call
from runtime.grpc_errors import from_rpc_error
from services.gateway.domain.identity import Identity
from services.gateway.service_layer.ports import Mesh
from services.gateway.service_layer.runs import READ_RETRIES, artifact_to_json


async def list_artifacts(mesh: Mesh, identity: Identity, run_id: str) -> dict:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    reply = await call(mesh.publisher.ListArtifacts, publisher_pb2.ListArtifactsRequest(run_id=run_id),
                       timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)
    return {"run_id": run_id, "artifacts": [artifact_to_json(a) for a in reply.artifacts]}


async def open_artifact(mesh: Mesh, identity: Identity, run_id: str,
                        name: str) -> tuple[publisher_pb2.Artifact, AsyncIterator[bytes]]:
    """The artifact's record (from the first chunk, so a refusal is raised before any byte is sent) and its bytes."""
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    stream = mesh.publisher.GetArtifact(publisher_pb2.GetArtifactRequest(run_id=run_id, name=name),
                                        timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant))
    try:
        first = await stream.read()
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc) from None
    if first is grpc.aio.EOF:  # the publisher always sends the record first; nothing means nothing to serve
        raise NotFound("artifact_not_found", f"run {run_id!r} has no artifact {name!r}")

    async def chunks() -> AsyncIterator[bytes]:
        yield first.data
        async for chunk in stream:
            yield chunk.data

    return first.artifact, chunks()
