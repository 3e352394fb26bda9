"""The gateway app (create_app, as `python -m services.gateway` builds it) served over real HTTP on port 0, in front
of gRPC servers the test chooses."""
from __future__ import annotations

import asyncio
import contextlib

import grpc
import httpx
import uvicorn

from runtime.grpc_errors import DomainErrorInterceptor
from runtime.identity_tokens import SignedAssertions
from runtime.topology import CALLS, GATEWAY
from services.gateway.adapters.callers import CallerAssertions
from services.gateway.adapters.dev_keys import mint_dev_token
from services.gateway.adapters.mesh import Mesh
from services.gateway.entrypoints.app import create_app
from services.gateway.entrypoints.auth import build_authenticator
from services.gateway.settings import GatewaySettings


@contextlib.asynccontextmanager
async def grpc_server(*servicers):
    """A real gRPC server on port 0 with the mesh's error interceptor and nothing else: `servicers` are
    (add_XServicer_to_server, servicer) pairs. Yields its address."""
    server = grpc.aio.server(interceptors=[DomainErrorInterceptor()])
    for add, servicer in servicers:
        add(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


@contextlib.asynccontextmanager
async def gateway(addresses: dict[str, str], **settings):
    """The gateway over HTTP, built as services/gateway/__main__.py builds it; services missing from `addresses`
    point at a port nobody listens on. Yields an httpx client signed in with a dev token."""
    nowhere = "127.0.0.1:9"  # discard: nothing answers gRPC there
    config = GatewaySettings(**{f"{name.upper()}_ADDR": addresses.get(name, nowhere) for name in CALLS[GATEWAY]},
                             **settings)
    callers = CallerAssertions(SignedAssertions(config.identity_keys(), config.LEAF_IDENTITY_TTL_SECONDS),
                               config.LEAF_OPERATOR_GROUP)
    app = create_app(lambda: Mesh(config.peer_addresses(), callers, config.LEAF_GATEWAY_TIMEOUT_SECONDS),
                     build_authenticator(config), config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # raises why it stopped
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    token = mint_dev_token(groups=("leaf-demo",))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                     headers={"Cf-Access-Jwt-Assertion": token}) as client:
            yield client
    finally:
        server.should_exit = True
        await serving
