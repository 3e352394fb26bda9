"""Fakes of the gateway's ports (services/gateway/service_layer/ports.py), in memory: a Mesh whose stubs answer with
proto messages given by the test and record every call with the metadata it carried, and ScopeGrants that hand out
recognisable grants, so the edge's use cases run in unit tests without a gRPC server (style.md 11)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import grpc

from kernel.errors import DomainError, NotFound
from kernel.grants import Area, Grant
from kernel.scope import Scope
from leaf.common.v1 import common_pb2
from runtime.convert import scope_to_proto
from runtime.grpc_errors import to_status
from services.gateway.domain.identity import Identity

IDENTITY_KEY, GRANT_KEY = "x-leaf-identity", "x-leaf-scope-grant"
OPERATORS = "leaf-operators"
ANA = Identity.user("ana@leaf.example", "sub-ana")
OPS = Identity.user("ops@leaf.example", "sub-ops", (OPERATORS,))
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def scope(client_id: str = "C001", group_ids: tuple[str, ...] = ()) -> common_pb2.ExactScope:
    return scope_to_proto(Scope.parse(client_id, "PBM_A", "2025-01-01", "2025-12-31", None, group_ids))


def rpc_failure(error: DomainError) -> grpc.aio.AioRpcError:
    """What a stub raises when the service refused with `error` (as its interceptor sends it)."""
    status = to_status(error)
    return grpc.aio.AioRpcError(status.code, grpc.aio.Metadata(), grpc.aio.Metadata(*status.trailing_metadata),
                                status.details)


class Streamed:
    """The answer of a server-streaming method: its messages, in order."""

    def __init__(self, *messages: Any) -> None:
        self.messages = list(messages)


class FakeStream:
    """What grpc.aio gives for a server-streaming call: `read()` (EOF at the end) and async iteration; an exception
    among the messages is raised where it stands (a refusal before the first message, say)."""

    def __init__(self, messages: list[Any]) -> None:
        self.messages = messages

    async def read(self) -> Any:
        if not self.messages:
            return grpc.aio.EOF
        message = self.messages.pop(0)
        if isinstance(message, BaseException):
            raise message
        return message

    def __aiter__(self) -> FakeStream:
        return self

    async def __anext__(self) -> Any:
        if not self.messages:
            raise StopAsyncIteration
        return self.messages.pop(0)


Answer = Any  # a message; an exception to raise; a function of the request; a list: one answer per call; Streamed


class FakeService:
    """One service's stub: a method answers from `answers[name]` and every call is kept as (method, request,
    metadata). A method the test did not answer does not exist, so a call the use case must not make fails."""

    def __init__(self, **answers: Answer) -> None:
        self.answers = answers
        self.calls: list[tuple[str, Any, tuple]] = []
        self.journal: list[str] = []  # the mesh's journal of every call, across its services
        self.name = ""

    def __getattr__(self, method: str) -> Callable:
        if method.startswith("_") or method not in self.answers:
            raise AttributeError(method)

        def invoke(request: Any, timeout: float | None = None, metadata: Sequence = ()) -> Any:
            assert timeout is not None and timeout > 0  # every call is bounded by the request's deadline
            self.calls.append((method, request, tuple(metadata or ())))
            self.journal.append(f"{self.name}.{method}")
            answer = self.answers[method]
            if isinstance(answer, list):
                answer = answer.pop(0) if len(answer) > 1 else answer[0]
            if isinstance(answer, Streamed):
                return FakeStream(list(answer.messages))
            return _unary(answer, request)

        return invoke

    def requests(self, method: str) -> list[Any]:
        return [request for name, request, _ in self.calls if name == method]

    def metadata(self, method: str) -> list[tuple]:
        return [metadata for name, _, metadata in self.calls if name == method]


async def _unary(answer: Answer, request: Any) -> Any:
    if isinstance(answer, BaseException):
        raise answer
    return answer(request) if callable(answer) else answer


class FakeGrants:
    """ScopeGrants: a read grant of `areas`; an exact grant of the scope asked (or of `narrowed_to`, as the scope
    service narrows a scope to the caller's entitlement); NotFound when `no_scope`."""

    def __init__(self, areas: tuple[Area, ...] = (Area("C001"),), narrowed_to: common_pb2.ExactScope | None = None,
                 no_scope: bool = False) -> None:
        self.areas, self.narrowed_to, self.no_scope = areas, narrowed_to, no_scope
        self.asked: list[tuple[str, str]] = []  # (what, principal)
        self.forgotten: list[str] = []

    async def for_scope(self, identity: Identity, scope: common_pb2.ExactScope,
                        timeout: float | None = None) -> tuple[tuple[tuple[str, str], ...], common_pb2.ExactScope]:
        self.asked.append(("scope", identity.principal))
        if self.no_scope:
            raise NotFound("scope_not_found", "no such scope for this caller")
        granted = self.narrowed_to or scope
        return ((GRANT_KEY, f"exact:{granted.scope_hash}"),), granted

    async def for_reads(self, identity: Identity, timeout: float | None = None) -> tuple[tuple[str, str], ...]:
        self.asked.append(("reads", identity.principal))
        return ((GRANT_KEY, f"read:{identity.principal}"),)

    async def read_grant(self, identity: Identity,
                         timeout: float | None = None) -> tuple[tuple[tuple[str, str], ...], Grant]:
        metadata = await self.for_reads(identity, timeout)
        return metadata, Grant(None, self.areas, identity.mesh_principal(), NOW, NOW, "k1")

    def forget(self, principal: str) -> None:
        self.forgotten.append(principal)


class FakeMesh:
    """The Mesh: one FakeService per service (empty unless given), the grants, and a request deadline `left`."""

    def __init__(self, grants: FakeGrants | None = None, left: float = 30.0, **services: FakeService) -> None:
        self.grants = grants or FakeGrants()
        self.left = left
        self.journal: list[str] = []
        for name in ("scope", "calc", "evidence", "publisher", "tasks", "itr", "takeover"):
            service = services.get(name, FakeService())
            service.name, service.journal = name, self.journal
            setattr(self, name, service)

    def as_caller(self, identity: Identity, grant: tuple = ()) -> tuple:
        return ((IDENTITY_KEY, identity.mesh_principal()), *grant)

    def remaining(self) -> float:
        return self.left

    def called(self) -> list[str]:
        """Every stub method called (`service.Method`), in the order called."""
        return list(self.journal)


def read_grant_of(identity: Identity) -> tuple:
    return ((IDENTITY_KEY, identity.mesh_principal()), (GRANT_KEY, f"read:{identity.principal}"))


def exact_grant_of(identity: Identity, granted: common_pb2.ExactScope) -> tuple:
    return ((IDENTITY_KEY, identity.mesh_principal()), (GRANT_KEY, f"exact:{granted.scope_hash}"))


def identity_only(identity: Identity) -> tuple:
    return ((IDENTITY_KEY, identity.mesh_principal()),)
