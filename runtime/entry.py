"""`python -m services.<name>`: settings, JSON logs, tracing, then serve until SIGTERM or `leaf run` is gone."""
from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable

from runtime.lifeline import follow_parent
from runtime.logs import configure_logging
from runtime.server import ServiceDeps, serve
from runtime.settings import ServiceSettings, SettingsError, load_settings
from runtime.telemetry import setup_tracing


def listen_address(service: str, settings: ServiceSettings) -> str:
    """LEAF_GRPC_LISTEN, else the address the rest of the mesh knows this service by (<NAME>_ADDR)."""
    address = settings.LEAF_GRPC_LISTEN or os.environ.get(f"{service.upper()}_ADDR")
    if not address:
        print(f"configuration error: set LEAF_GRPC_LISTEN or {service.upper()}_ADDR for the {service} service",
              file=sys.stderr)
        raise SettingsError(2)
    return address


def main(service: str, settings_type: type[ServiceSettings], bootstrap: Callable[[ServiceSettings], ServiceDeps]) -> None:
    follow_parent()
    configure_logging(service)
    setup_tracing(service)
    settings = load_settings(settings_type)
    address = listen_address(service, settings)

    async def run() -> None:
        # Built inside the loop: gRPC aio channels belong to the loop that creates them.
        await serve(bootstrap(settings), address, grace=settings.LEAF_GRPC_GRACE_SECONDS)

    asyncio.run(run())
