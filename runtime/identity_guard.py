"""The service side of the caller identity: every method but health and reflection runs under a verified identity.

The server interceptor verifies the assertion in the call's metadata and keeps it in a context variable for
the handler (`current_identity()`); the client interceptors forward that same assertion on calls made while
serving, so calc's call to evidence is made for the same caller as the request behind it. A caller that
sets its own identity (a service acting as its `workload:` self) keeps it.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import grpc

from kernel.identity import CallerIdentity, IdentityRefused
from runtime.grant_guard import is_open
from runtime.handlers import rewrapped
from runtime.identity_keys import IdentityKeys
from runtime.identity_tokens import METADATA_KEY, verify, with_identity


@dataclass(frozen=True)
class CallIdentity:
    identity: CallerIdentity
    token: str


_current: ContextVar[CallIdentity | None] = ContextVar("leaf_caller_identity", default=None)


def current_identity() -> CallerIdentity:
    """The verified caller of the call being served; outside one, the caller is unknown and refused."""
    held = _current.get()
    if held is None:
        raise IdentityRefused("identity_missing", f"this call needs a caller identity in the {METADATA_KEY} metadata")
    return held.identity


@contextlib.contextmanager
def serving_for(identity: CallerIdentity, token: str) -> Iterator[None]:
    """Run the enclosed code as if serving a call made for `identity` (the interceptor's own path)."""
    reset = _current.set(CallIdentity(identity, token))
    try:
        yield
    finally:
        # As in grant_guard: an abandoned server stream may be finalized in another context.
        with contextlib.suppress(ValueError):
            _current.reset(reset)


def _token_of(metadata) -> str | None:
    return next((value for key, value in metadata or () if key == METADATA_KEY), None)


class IdentityInterceptor(grpc.aio.ServerInterceptor):
    """Refuses every method but health and reflection unless the call carries a valid caller identity.

    Verified inside the wrapped handler, so the context variable is set in the handler's own context and a
    refusal is an IdentityRefused that DomainErrorInterceptor (outside this one) maps to UNAUTHENTICATED.
    Installed before the GrantInterceptor: who is calling is settled before what they may see.
    """

    def __init__(self, keys: IdentityKeys) -> None:
        self.keys = keys

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or is_open(handler_call_details.method, frozenset()):
            return handler
        keys = self.keys

        def around_unary(inner):
            async def verified(request, context):
                token = _token_of(context.invocation_metadata())
                with serving_for(verify(token, keys), token):
                    return await inner(request, context)
            return verified

        def around_stream(stream):
            async def verified_stream(request, context):
                token = _token_of(context.invocation_metadata())
                with serving_for(verify(token, keys), token):
                    async for message in stream(request, context):
                        yield message
            return verified_stream

        # None for a client-streaming method: UNIMPLEMENTED, so a new kind is never served unverified.
        return rewrapped(handler, around_unary, around_stream)


def _forwarded(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    held = _current.get()
    if held is None or _token_of(details.metadata) is not None:
        return details  # not serving a call, or the caller chose its identity itself
    metadata = grpc.aio.Metadata(*with_identity(tuple(details.metadata or ()), held.token))
    return grpc.aio.ClientCallDetails(details.method, details.timeout, metadata, details.credentials,
                                      details.wait_for_ready)


class ForwardIdentityUnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(_forwarded(client_call_details), request)


class ForwardIdentityUnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(_forwarded(client_call_details), request)


def identity_forwarding_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """Client interceptors that carry the served call's identity on to the calls it makes."""
    return [ForwardIdentityUnaryUnary(), ForwardIdentityUnaryStream()]
