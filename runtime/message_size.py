"""The one gRPC message limit (LEAF_GRPC_MAX_MESSAGE_BYTES) every server and client uses, and how a message
too large for it fails: a domain error naming the limit, never an opaque transport failure."""
from __future__ import annotations

import functools
import re

import grpc
from google.protobuf.message import Message

from kernel.errors import TooLarge
from runtime.settings import LeafSettings, load_settings

SETTING = "LEAF_GRPC_MAX_MESSAGE_BYTES"
# gRPC core's own refusal: "<SIDE>: <Sent|Received> message larger than max (N vs. M)".
_CORE_REFUSAL = re.compile(r"\b(CLIENT|SERVER): (Sent|Received) message larger than max\b")


@functools.cache
def max_message_bytes() -> int:
    """The process's limit, read from the environment once (a bad value stops the process naming it)."""
    return load_settings(LeafSettings).LEAF_GRPC_MAX_MESSAGE_BYTES


def channel_options(limit: int) -> list[tuple[str, int]]:
    """gRPC options holding both directions to `limit`: a server and a client must agree on the one number."""
    return [("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit)]


def require_fits(message: Message, limit: int, what: str) -> Message:
    """`message`, or result_too_large before anything is sent: the caller learns which limit, not a reset stream."""
    size = message.ByteSize()
    if size > limit:
        raise TooLarge("result_too_large", f"{what} is {size:,} bytes, more than the {limit:,} the mesh carries "
                                           f"({SETTING})")
    return message


def too_large_of(exc: grpc.aio.AioRpcError) -> TooLarge | None:
    """gRPC core's own size refusal as the domain error it means; None for any other failure.

    It carries no domain reason, so without this it would surface as a bare resource_exhausted. Which side
    refused says whose message was too large: a reply the client could not receive (or the server could not
    send) is result_too_large; a request is request_too_large.
    """
    if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
        return None
    found = _CORE_REFUSAL.search(exc.details() or "")
    if found is None:
        return None
    reply = (found.group(1), found.group(2)) in {("CLIENT", "Received"), ("SERVER", "Sent")}
    what = "result" if reply else "request"
    return TooLarge(f"{what}_too_large", f"the {what} is larger than the gRPC message limit ({SETTING})")
