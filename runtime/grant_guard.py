"""The service side of dual enforcement: every guarded RPC runs under the verified scope grant it was sent.

The server interceptor verifies the grant in the call's metadata and keeps it in a context variable for the
handler (`current_grant()`); the client interceptors forward that same token on calls made while serving,
so calc's call to evidence, or the publisher's to calc, is bounded by the grant of the request behind it.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection

from kernel.grants import Grant, GrantRefused
from runtime.grant_keys import GrantKeys
from runtime.grant_tokens import METADATA_KEY, verify, with_grant
from runtime.handlers import rewrapped

# Probes and tooling carry no grant and answer no client data.
ALWAYS_OPEN_SERVICES = frozenset({health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME})


@dataclass(frozen=True)
class CallGrant:
    grant: Grant
    token: str


_current: ContextVar[CallGrant | None] = ContextVar("leaf_scope_grant", default=None)


def current_grant() -> Grant:
    """The verified grant of the call being served; a handler of an open method asking for one is refused."""
    held = _current.get()
    if held is None:
        raise GrantRefused("scope_grant_missing", f"this call needs a scope grant in the {METADATA_KEY} metadata")
    return held.grant


@contextlib.contextmanager
def serving_under(grant: Grant, token: str) -> Iterator[None]:
    """Run the enclosed code as if serving a call that carried `token` (the interceptor's own path)."""
    reset = _current.set(CallGrant(grant, token))
    try:
        yield
    finally:
        # A server stream abandoned by its caller may be closed by the loop's finalizer, in another context:
        # there is nothing to undo in that one, and each RPC runs in its own task's context anyway.
        with contextlib.suppress(ValueError):
            _current.reset(reset)


def _token_of(metadata) -> str | None:
    return next((value for key, value in metadata or () if key == METADATA_KEY), None)


def is_open(method: str, open_methods: frozenset[str]) -> bool:
    return method in open_methods or method.lstrip("/").rsplit("/", 1)[0] in ALWAYS_OPEN_SERVICES


class GrantInterceptor(grpc.aio.ServerInterceptor):
    """Refuses every method not declared open unless the call carries a valid grant.

    The grant is verified inside the wrapped handler, so the context variable is set in the handler's own
    context and a refusal is a GrantRefused that DomainErrorInterceptor (installed outside this one) maps to
    PERMISSION_DENIED.
    """

    def __init__(self, keys: GrantKeys, open_methods: frozenset[str] = frozenset()) -> None:
        self.keys = keys
        self.open_methods = frozenset(open_methods)

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or is_open(handler_call_details.method, self.open_methods):
            return handler
        keys = self.keys

        def around_unary(inner):
            async def guarded(request, context):
                token = _token_of(context.invocation_metadata())
                with serving_under(verify(token, keys), token):
                    return await inner(request, context)
            return guarded

        def around_stream(stream):
            async def guarded_stream(request, context):
                token = _token_of(context.invocation_metadata())
                with serving_under(verify(token, keys), token):
                    async for message in stream(request, context):
                        yield message
            return guarded_stream

        # None for a client-streaming method: UNIMPLEMENTED, so a new kind is never served unchecked.
        return rewrapped(handler, around_unary, around_stream)


def _forwarded(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    held = _current.get()
    if held is None or _token_of(details.metadata) is not None:
        return details  # not serving a guarded call, or the caller chose the grant itself
    metadata = grpc.aio.Metadata(*with_grant(tuple(details.metadata or ()), held.token))
    return grpc.aio.ClientCallDetails(details.method, details.timeout, metadata, details.credentials,
                                      details.wait_for_ready)


class ForwardGrantUnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(_forwarded(client_call_details), request)


class ForwardGrantUnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(_forwarded(client_call_details), request)


def forwarding_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """Client interceptors that carry the served call's grant on to the calls it makes."""
    return [ForwardGrantUnaryUnary(), ForwardGrantUnaryStream()]
