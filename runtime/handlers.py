"""Wrapping a gRPC method handler's behaviour while keeping its (de)serializers: what server interceptors share."""
from __future__ import annotations

from collections.abc import Callable

import grpc


def rewrapped(handler: grpc.RpcMethodHandler, around_unary: Callable, around_stream: Callable):
    """The handler with its unary-unary or unary-stream behaviour passed through `around_*`, else None.

    Client-streaming kinds are not served by this project: callers decide what None means for them.
    """
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(around_unary(handler.unary_unary),
                                                   request_deserializer=handler.request_deserializer,
                                                   response_serializer=handler.response_serializer)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(around_stream(handler.unary_stream),
                                                    request_deserializer=handler.request_deserializer,
                                                    response_serializer=handler.response_serializer)
    return None
