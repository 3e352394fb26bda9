"""The one place domain errors become gRPC status (server side) and come back as domain errors (client side).

Both directions cover every status: a server fault leaves as a server status (INTERNAL, UNIMPLEMENTED) and
comes back as a server error, never as something the caller did wrong.
"""
from __future__ import annotations

import logging

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from kernel import errors
from runtime.handlers import rewrapped

log = logging.getLogger(__name__)
DOMAIN = "leaf.health"
Code = grpc.StatusCode
INTERNAL_DETAIL = "internal error; see the service log by trace id"
UNIMPLEMENTED_DETAIL = "this operation is not implemented on this server"
# RESOURCE_EXHAUSTED means size with these reasons (413 at the edge) and a rate with any other (429).
TOO_LARGE_REASONS = frozenset({"request_too_large", "result_too_large"})

# Server side: the status each domain error leaves as (its nearest listed class decides).
STATUS_OF: dict[type[errors.DomainError], grpc.StatusCode] = {
    errors.InputError: Code.INVALID_ARGUMENT,
    errors.NotFound: Code.NOT_FOUND,
    errors.NotReady: Code.FAILED_PRECONDITION,
    errors.Conflict: Code.ALREADY_EXISTS,
    errors.Refused: Code.PERMISSION_DENIED,
    errors.Unauthenticated: Code.UNAUTHENTICATED,
    errors.TooLarge: Code.RESOURCE_EXHAUSTED,
    errors.RateLimited: Code.RESOURCE_EXHAUSTED,
    errors.Unavailable: Code.UNAVAILABLE,
    errors.TimedOut: Code.DEADLINE_EXCEEDED,
    errors.Unimplemented: Code.UNIMPLEMENTED,
    errors.Internal: Code.INTERNAL,
}

# Client side: every status a call can end with (all 17), as the domain error the caller handles.
ERROR_OF: dict[grpc.StatusCode, type[errors.DomainError]] = {
    Code.OK: errors.Internal,  # a failure that says OK is a broken server
    # The service stopped the call (a shutdown, a cancelled stream): retryable, and not the caller's doing.
    Code.CANCELLED: errors.Unavailable,
    Code.UNKNOWN: errors.Internal,
    Code.INVALID_ARGUMENT: errors.InputError,
    Code.DEADLINE_EXCEEDED: errors.TimedOut,
    Code.NOT_FOUND: errors.NotFound,
    Code.ALREADY_EXISTS: errors.Conflict,
    Code.PERMISSION_DENIED: errors.Refused,
    Code.RESOURCE_EXHAUSTED: errors.RateLimited,  # errors.TooLarge for TOO_LARGE_REASONS
    Code.FAILED_PRECONDITION: errors.NotReady,
    Code.ABORTED: errors.Conflict,
    Code.OUT_OF_RANGE: errors.InputError,
    Code.UNIMPLEMENTED: errors.Unimplemented,
    Code.INTERNAL: errors.Internal,
    Code.UNAVAILABLE: errors.Unavailable,
    Code.DATA_LOSS: errors.Internal,
    # Only the edge authenticates people. A service refusing the identity this process sent (keys out of step,
    # an identity that expired along a long chain) is a fault of the mesh, never of the person calling the edge.
    Code.UNAUTHENTICATED: errors.Internal,
}


def status_code_of(error: errors.DomainError) -> grpc.StatusCode:
    """The status of the nearest listed class; a DomainError no row covers is a gap in this table, so INTERNAL."""
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return Code.INTERNAL


def to_status(error: errors.DomainError) -> grpc.Status:
    """A rich status whose ErrorInfo.reason carries the stable domain code."""
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason=error.code, domain=DOMAIN))
    code = status_code_of(error)
    return rpc_status.to_status(status_pb2.Status(code=code.value[0], message=error.message, details=[detail]))


def reason_of(exc: grpc.aio.AioRpcError) -> str:
    """The domain code the server sent in ErrorInfo, else the status name (`unavailable`, `deadline_exceeded`)."""
    reason = exc.code().name.lower()
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info) and info.reason:
                    reason = info.reason
    return reason


def from_rpc_error(exc: grpc.aio.AioRpcError) -> errors.DomainError:
    """Rebuild the domain error a downstream service raised, keeping its code.

    The status, never the reason, picks the class, so no reason can turn a server fault into a caller's one.
    A server fault keeps no text: whatever the other side put in it (an exception's words) stays in its log.
    """
    status = exc.code()
    cls = ERROR_OF.get(status, errors.Internal)
    reason = reason_of(exc)
    if cls is errors.Internal:
        if status == Code.UNAUTHENTICATED:
            log.error("a service refused this process's identity assertion", extra={"reason": reason})
        return errors.Internal("internal", INTERNAL_DETAIL)
    if status == Code.RESOURCE_EXHAUSTED and reason in TOO_LARGE_REASONS:
        cls = errors.TooLarge
    return cls(reason, exc.details() or reason)


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):
    """Turns DomainError into its status; any other exception into INTERNAL with no internals leaked.

    Unary calls and server streams alike (a stream may fail before or between its messages).
    """

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method

        def around_unary(inner):
            async def guarded(request, context):
                try:
                    return await inner(request, context)
                except Exception as error:  # noqa: BLE001 - every failure must leave as a status
                    await _abort(error, context, method)
            return guarded

        def around_stream(stream):
            async def guarded_stream(request, context):
                try:
                    async for message in stream(request, context):
                        yield message
                except Exception as error:  # noqa: BLE001 - every failure must leave as a status
                    await _abort(error, context, method)
            return guarded_stream

        return rewrapped(handler, around_unary, around_stream) or handler


async def _abort(error: Exception, context, method: str) -> None:
    if isinstance(error, grpc.aio.AbortError):
        raise error
    if isinstance(error, errors.DomainError):
        status = to_status(error)
        if status.code == Code.INTERNAL:
            log.error("server fault raised as a domain error", exc_info=error, extra={"rpc": method})
        await context.abort(status.code, status.details, status.trailing_metadata)
    if isinstance(error, NotImplementedError):
        # What a generated servicer base class raises for a method this server has not built.
        log.warning("unimplemented method called", extra={"rpc": method})
        await context.abort(Code.UNIMPLEMENTED, UNIMPLEMENTED_DETAIL)
    # grpc would otherwise send the exception's text, which may quote claim values.
    log.error("unhandled error", exc_info=error, extra={"rpc": method})
    await context.abort(Code.INTERNAL, INTERNAL_DETAIL)
