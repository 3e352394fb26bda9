"""ItrService over gRPC: translate, call the use case, translate back. Every method runs under a verified identity
(runtime/identity_guard.py) and a scope grant (runtime/grant_guard.py)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kernel.errors import Refused
from leaf.itr.v1 import itr_pb2, itr_pb2_grpc
from runtime.grant_guard import current_grant
from runtime.identity_guard import current_identity
from services.itr.adapters.mirror import SqlRequestMirror
from services.itr.adapters.mirror_store import SqlMirrorStore
from services.itr.domain.plan import Choice, PlanAsk
from services.itr.service_layer import mirrored_requests, search
from services.itr.service_layer.ports import RecordSource
from services.itr.service_layer.sync import SyncOptions, sync_requests

TEXT_FIELDS = ("request_id", "name", "subject", "status", "priority", "client_id", "pbm_id", "tpa_id",
               "period_start", "period_end")
log = logging.getLogger(__name__)


def request_to_proto(row: dict) -> itr_pb2.ItRequest:
    return itr_pb2.ItRequest(**{k: row[k] for k in TEXT_FIELDS}, last_modified=row["system_modstamp"],
                             group_ids=[g for g in row["group_ids"].split(";") if g],
                             deliverables=[d for d in row["deliverables"].split(";") if d])


class ItrServicer(itr_pb2_grpc.ItrServiceServicer):
    def __init__(self, mirror: SqlRequestMirror, store: SqlMirrorStore, source: Callable[[], RecordSource],
                 options: SyncOptions, hosts: tuple[str, ...] = (),
                 searching: tuple[search.SearchSource, search.SearchIndex] | None = None) -> None:
        self.mirror, self.store, self.source, self.options = mirror, store, source, options
        self.searching = searching  # the mirror's text and the index kept in step with it after each sync (docs/search.md)
        self.hosts = hosts  # the configured Salesforce instance's host: never in a bundle
        self.syncing = asyncio.Lock()  # one sync at a time per replica; the store is safe with several anyway

    async def SyncRequests(self, request, context):
        # The mirror holds every client's requests: only an operator may refresh it (the itr_sync kind agrees).
        if not current_identity().operator:
            raise Refused("operator_only", "syncing the ITR mirror needs an operator identity")
        async with self.syncing:
            summary = await asyncio.to_thread(lambda: sync_requests(self.source(), self.store, self.options))
            if self.searching is not None:
                texts, index = self.searching
                indexed = await asyncio.to_thread(search.index_mirror, texts, index, self.hosts)
                log.info("itr search index: %d documents indexed, %d removed", indexed.indexed, indexed.removed)
        for flag in summary.flagged:
            log.warning("itr data quality: %s %s %s", flag["stream"], flag["record_id"], flag["rule"])
        return itr_pb2.SyncSummary(**summary.as_json())

    async def ListRequests(self, request, context):
        rows = await asyncio.to_thread(mirrored_requests.list_requests, request.client_id, request.status, current_grant(),
                                       self.mirror)
        return itr_pb2.ListRequestsResponse(requests=[request_to_proto(r) for r in rows])

    async def GetRequest(self, request, context):
        row = await asyncio.to_thread(mirrored_requests.get_request, request.request_id, current_grant(), self.mirror)
        return request_to_proto(row)

    async def GetBundle(self, request, context):
        row, bundle = await asyncio.to_thread(mirrored_requests.get_bundle, request.request_id, current_grant(), self.mirror,
                                              self.hosts)
        return itr_pb2.Bundle(request=request_to_proto(row), bundle_json=bundle)

    async def PlanAsk(self, request, context):
        choice = Choice(request.choice.pbm_id, request.choice.tpa_id, request.choice.date_from,
                        request.choice.date_to, request.choice.proposal_id)
        row, ask = await asyncio.to_thread(mirrored_requests.request_plan_ask, request.request_id, choice, current_grant(),
                                           self.mirror)
        return plan_ask_to_proto(row, ask)

    async def Search(self, request, context):
        if self.searching is None:
            return itr_pb2.SearchResponse()
        hits = await asyncio.to_thread(search.search, request.query, request.page_size, current_grant(),
                                       self.searching[1])
        return itr_pb2.SearchResponse(hits=[hit_to_proto(h) for h in hits])


def plan_ask_to_proto(row: dict, ask: PlanAsk) -> itr_pb2.PlanAskResponse:
    scope = ask.scope
    return itr_pb2.PlanAskResponse(
        request=request_to_proto(row),
        scope=itr_pb2.PlanScope(client_id=scope.client_id, pbm_id=scope.pbm_id, tpa_id=scope.tpa_id,
                                group_ids=scope.group_ids, date_from=scope.date_from, date_to=scope.date_to),
        proposal_id=ask.proposal_id, settled=ask.settled, asked={k: str(v) for k, v in ask.asked.items()},
        resolvable=ask.resolvable,
        deliverables=[itr_pb2.PlannedDeliverable(name=d.name, artifacts=d.artifacts, formula_ids=d.formula_ids,
                                                 needs_proposal=d.needs_proposal) for d in ask.deliverables],
        problems=[itr_pb2.PlanProblem(code=p.code, message=p.message) for p in ask.problems])


def hit_to_proto(hit: dict) -> itr_pb2.SearchHit:
    return itr_pb2.SearchHit(id=hit["id"], kind=hit["kind"], title=hit["title"], snippet=search.snippet(hit["content"]),
                             request_id=hit["request_id"], client_id=hit["client_id"], pbm_id=hit["pbm_id"],
                             tpa_id=hit["tpa_id"], group_ids=hit["group_ids"], updated=hit["updated"] or "",
                             score=float(hit["score"]))
