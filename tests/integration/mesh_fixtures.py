"""Start real services in-process on port 0, exactly as `python -m services.<name>` builds them."""
from __future__ import annotations

import contextlib

from runtime.clients import open_channel
from runtime.server import ServiceDeps, create_server, mark_when_ready


@contextlib.asynccontextmanager
async def running(deps: ServiceDeps):
    """A started, ready server; yields its address."""
    server, port = await create_server("127.0.0.1:0", deps)
    await server.start()
    await mark_when_ready(deps, interval=0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)
        await deps.close()


@contextlib.asynccontextmanager
async def channel_to(address: str):
    channel = open_channel(address)
    try:
        yield channel
    finally:
        await channel.close()
