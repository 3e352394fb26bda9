"""PublisherService over gRPC: translate, call the handler, translate back."""
from __future__ import annotations

import asyncio
import json

from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from runtime.grant_guard import current_grant
from services.publisher.domain.artifacts import StoredArtifact
from services.publisher.domain.dashboard import Table, to_csv
from services.publisher.service_layer import handlers
from services.publisher.service_layer.handlers import Publication, PublisherDeps

CHUNK_BYTES = 1 << 20  # far under the 16 MiB default of LEAF_GRPC_MAX_MESSAGE_BYTES; a limit below it fails downloads


def table_to_proto(table: Table) -> publisher_pb2.DashboardTable:
    return publisher_pb2.DashboardTable(name=table.name, columns=table.columns,
                                        rows_json=json.dumps(list(table.rows), ensure_ascii=False).encode(),
                                        csv=to_csv(table))


def artifact_to_proto(artifact: StoredArtifact) -> publisher_pb2.Artifact:
    return publisher_pb2.Artifact(artifact_id=artifact.artifact_id, run_id=artifact.run_id, name=artifact.name,
                                  content_type=artifact.content_type, sha256=artifact.sha256, size=artifact.size)


def publication_to_proto(publication: Publication) -> publisher_pb2.Publication:
    return publisher_pb2.Publication(run_id=publication.run_id, scope_hash=publication.scope_hash,
                                     tables=[table_to_proto(t) for t in publication.tables],
                                     artifacts=[artifact_to_proto(a) for a in publication.artifacts])


class PublisherServicer(publisher_pb2_grpc.PublisherServiceServicer):
    def __init__(self, deps: PublisherDeps) -> None:
        self.deps = deps

    async def PublishRun(self, request, context):
        publication = await handlers.publish_run(request.run_id, current_grant(), self.deps)
        return publication_to_proto(publication)

    async def GetPublication(self, request, context):
        return publication_to_proto(await asyncio.to_thread(handlers.get_publication, request.run_id, current_grant(),
                                                            self.deps))

    async def GetDashboardTable(self, request, context):
        return table_to_proto(await asyncio.to_thread(handlers.dashboard_table, request.run_id, request.table,
                                                      current_grant(), self.deps))

    async def ListArtifacts(self, request, context):
        found = await asyncio.to_thread(handlers.list_artifacts, request.run_id, current_grant(), self.deps)
        return publisher_pb2.ListArtifactsResponse(artifacts=[artifact_to_proto(a) for a in found])

    async def GetArtifact(self, request, context):
        # The whole file is hashed before the first chunk leaves (a refusal arrives before any byte), then each
        # block is read in a worker thread as the caller takes it: memory holds one block, never the file.
        artifact, blocks = await asyncio.to_thread(handlers.open_artifact, request.run_id, request.name,
                                                   current_grant(), self.deps)
        record = artifact_to_proto(artifact)
        try:
            while (block := await asyncio.to_thread(next, blocks, None)) is not None:
                for start in range(0, len(block), CHUNK_BYTES):
                    yield publisher_pb2.ArtifactChunk(artifact=record, data=block[start:start + CHUNK_BYTES])
                    record = None
            if record is not None:  # an empty file: its record alone
                yield publisher_pb2.ArtifactChunk(artifact=record)
        finally:
            await asyncio.to_thread(blocks.close)  # a caller that hangs up mid-stream: the store is let go
