"""Artifact bytes on their way into a store, whichever store: cut into blocks and hashed as they pass.

Both stores (artifact_store.py's local folder, adls_store.py's ADLS Gen2) build on this, so neither imports the
other.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator

from services.publisher.service_layer.ports import Chunks, Written

BLOCK_BYTES = 1 << 20  # what one write or read moves at a time; also under every gRPC message limit we allow


def blocks_of(data: Chunks, size: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The source's bytes a block at a time: bytes, an iterable of chunks, or a readable binary file."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        for start in range(0, len(data), size):
            yield bytes(data[start:start + size])
    elif hasattr(data, "read"):
        while block := data.read(size):
            yield block
    else:
        yield from data


class Hashing:
    """Counts and hashes the bytes passing through on their way to a store."""

    def __init__(self) -> None:
        self._digest, self.size = hashlib.sha256(), 0

    def __call__(self, block: bytes) -> bytes:
        self._digest.update(block)
        self.size += len(block)
        return block

    def written(self) -> Written:
        return Written(self._digest.hexdigest(), self.size)
