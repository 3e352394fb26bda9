"""The one place domain errors become gRPC status (server side) and come back as domain errors (client side)."""
from __future__ import annotations

import logging

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from runtime import errors
from runtime.handlers import rewrapped

log = logging.getLogger(__name__)
DOMAIN = "leaf.health"

STATUS_OF: dict[type[errors.DomainError], grpc.StatusCode] = {
    errors.InputError: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.NotReady: grpc.StatusCode.FAILED_PRECONDITION,
    errors.Refused: grpc.StatusCode.PERMISSION_DENIED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
}
ERROR_OF = {code: cls for cls, code in STATUS_OF.items()}


def status_code_of(error: errors.DomainError) -> grpc.StatusCode:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return grpc.StatusCode.FAILED_PRECONDITION


def to_status(error: errors.DomainError) -> grpc.Status:
    """A rich status whose ErrorInfo.reason carries the stable domain code."""
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason=error.code, domain=DOMAIN))
    code = status_code_of(error)
    return rpc_status.to_status(status_pb2.Status(code=code.value[0], message=error.message, details=[detail]))


def from_rpc_error(exc: grpc.aio.AioRpcError) -> errors.DomainError:
    """Rebuild the domain error a downstream service raised, keeping its code."""
    code = exc.code().name.lower()
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    code = info.reason
    cls = ERROR_OF.get(exc.code(), errors.Unavailable if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED else errors.DomainError)
    return cls(code, exc.details() or code)


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
                except Exception as error:
                    await _abort(error, context, method)
            return guarded

        def around_stream(stream):
            async def guarded_stream(request, context):
                try:
                    async for message in stream(request, context):
                        yield message
                except Exception as error:
                    await _abort(error, context, method)
            return guarded_stream

        return rewrapped(handler, around_unary, around_stream) or handler


async def _abort(error: Exception, context, method: str) -> None:
    if isinstance(error, grpc.aio.AbortError):
        raise error
    if isinstance(error, errors.DomainError):
        status = to_status(error)
        await context.abort(status.code, status.details, status.trailing_metadata)
    # grpc would otherwise send the exception's text, which may quote claim values.
    log.error("unhandled error", exc_info=error, extra={"rpc": method})
    await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the service log by trace id")
