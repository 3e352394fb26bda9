"""What the gateway's use cases need from outside (style.md 11): the mesh of services they call for a verified caller,
and the scope grants they carry. adapters/mesh.py and adapters/grants.py implement them; unit tests use fakes."""
from __future__ import annotations

from typing import Protocol

from kernel.grants import Grant
from leaf.calc.v1 import calc_pb2_grpc
from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2_grpc
from leaf.itr.v1 import itr_pb2_grpc
from leaf.publisher.v1 import publisher_pb2_grpc
from leaf.scope.v1 import scope_pb2_grpc
from leaf.takeover.v1 import takeover_pb2_grpc
from leaf.tasks.v1 import tasks_pb2_grpc
from services.gateway.domain.identity import Identity

Metadata = tuple[tuple[str, str], ...]  # gRPC call metadata: the signed identity, and a grant when one is needed


class ScopeGrants(Protocol):
    """Scope grants from the scope service for the verified caller (never for a name in a request)."""

    async def for_scope(self, identity: Identity, scope: common_pb2.ExactScope,
                        timeout: float | None = None) -> tuple[Metadata, common_pb2.ExactScope]:
        """A grant of the scope narrowed to the caller's entitlement, and that granted scope (NotFound if none)."""
        ...

    async def for_reads(self, identity: Identity, timeout: float | None = None) -> Metadata:
        """A grant of everything the caller may see, for data asked for by id (kept for half its life)."""
        ...

    async def read_grant(self, identity: Identity, timeout: float | None = None) -> tuple[Metadata, Grant]:
        """The read grant and what it grants (to check a cached answer's scope against)."""
        ...

    def forget(self, principal: str) -> None:
        """Drop the kept read grants of a principal whose entitlements just changed."""


class Mesh(Protocol):
    """The services the gateway calls, each call made for the verified caller within the request's deadline."""

    scope: scope_pb2_grpc.ScopeServiceStub
    calc: calc_pb2_grpc.CalcServiceStub
    evidence: evidence_pb2_grpc.EvidenceServiceStub
    publisher: publisher_pb2_grpc.PublisherServiceStub
    tasks: tasks_pb2_grpc.TasksServiceStub
    itr: itr_pb2_grpc.ItrServiceStub
    takeover: takeover_pb2_grpc.TakeoverServiceStub

    @property
    def grants(self) -> ScopeGrants: ...  # read-only here, so the adapter's own Grants type fits

    def as_caller(self, identity: Identity, grant: Metadata = ()) -> Metadata:
        """The metadata of one call made for `identity`: its signed identity, and the grant when one is given."""
        ...

    def remaining(self) -> float:
        """Seconds left for the current request: the deadline of every call it makes."""
        ...
