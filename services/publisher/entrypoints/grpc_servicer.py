"""PublisherService over gRPC: translate, call the handler, translate back."""
from __future__ import annotations

import asyncio
import json

from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc

from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.domain.dashboard import Table, to_csv
from services.publisher.service_layer import handlers


def table_to_proto(table: Table) -> publisher_pb2.DashboardTable:
    return publisher_pb2.DashboardTable(name=table.name, columns=table.columns,
                                        rows_json=json.dumps(list(table.rows), ensure_ascii=False).encode(),
                                        csv=to_csv(table))


def publication_to_proto(run_id: str, scope_hash: str, published: list[Table]) -> publisher_pb2.Publication:
    return publisher_pb2.Publication(run_id=run_id, scope_hash=scope_hash, tables=[table_to_proto(t) for t in published])


class PublisherServicer(publisher_pb2_grpc.PublisherServiceServicer):
    def __init__(self, publications: SqlPublicationRepository) -> None:
        self.publications = publications

    async def PublishRun(self, request, context):
        run = request.run
        scope_hash, published = await asyncio.to_thread(handlers.publish_run, run.run_id, run.result_json, self.publications)
        return publication_to_proto(run.run_id, scope_hash, published)

    async def GetPublication(self, request, context):
        scope_hash, published = await asyncio.to_thread(handlers.get_publication, request.run_id, self.publications)
        return publication_to_proto(request.run_id, scope_hash, published)

    async def GetDashboardTable(self, request, context):
        return table_to_proto(await asyncio.to_thread(handlers.dashboard_table, request.run_id, request.table,
                                                      request.client_id, self.publications))
