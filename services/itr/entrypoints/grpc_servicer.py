"""ItrService over gRPC: list mirrored requests and their bundles (the sync itself arrives with the ITR issue)."""
from __future__ import annotations

import asyncio
import json

from leaf.itr.v1 import itr_pb2, itr_pb2_grpc
from runtime.grant_guard import current_grant
from services.itr.adapters.mirror import SqlRequestMirror
from services.itr.service_layer import requests

TEXT_FIELDS = ("request_id", "name", "subject", "status", "priority", "client_id", "pbm_id", "tpa_id",
               "period_start", "period_end")


def request_to_proto(row: dict) -> itr_pb2.ItRequest:
    return itr_pb2.ItRequest(**{k: row[k] for k in TEXT_FIELDS}, last_modified=row["system_modstamp"],
                             group_ids=[g for g in row["group_ids"].split(";") if g],
                             deliverables=[d for d in row["deliverables"].split(";") if d])


class ItrServicer(itr_pb2_grpc.ItrServiceServicer):
    def __init__(self, mirror: SqlRequestMirror) -> None:
        self.mirror = mirror

    async def ListRequests(self, request, context):
        rows = await asyncio.to_thread(requests.list_requests, request.client_id, request.status, current_grant(),
                                       self.mirror)
        return itr_pb2.ListRequestsResponse(requests=[request_to_proto(r) for r in rows])

    async def GetBundle(self, request, context):
        row = await asyncio.to_thread(requests.get_request, request.request_id, current_grant(), self.mirror)
        bundle = {"request": {k: row[k] for k in TEXT_FIELDS}, "history": [], "files": [], "notes": [], "feed": [],
                  "lineage": {"system_modstamp": row["system_modstamp"]}}
        return itr_pb2.Bundle(request=request_to_proto(row), bundle_json=json.dumps(bundle, sort_keys=True))
