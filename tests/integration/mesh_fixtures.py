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


@contextlib.asynccontextmanager
async def publishing_mesh(folder):
    """scope, evidence, calc and publisher, each on its own SQLite under `folder`, callees first; yields addresses."""
    from services.calc.bootstrap import CalcSettings, bootstrap as calc_bootstrap
    from services.evidence.bootstrap import EvidenceSettings, bootstrap as evidence_bootstrap
    from services.publisher.bootstrap import PublisherServiceSettings, bootstrap as publisher_bootstrap
    from demo import load_registry
    from services.scope.bootstrap import ScopeSettings, bootstrap as scope_bootstrap, open_registry

    db = lambda name: f"sqlite:///{folder / f'{name}.sqlite'}"  # noqa: E731
    registry = open_registry(db("scope"))
    registry.replace(load_registry())  # the demo's clients, PBMs, TPAs and groups
    async with contextlib.AsyncExitStack() as stack:
        scope = await stack.enter_async_context(
            running(scope_bootstrap(ScopeSettings(LEAF_SCOPE_DB_URL=db("scope")), registry)))
        evidence = await stack.enter_async_context(
            running(evidence_bootstrap(EvidenceSettings(LEAF_EVIDENCE_DB_URL=db("evidence")))))
        calc = await stack.enter_async_context(
            running(calc_bootstrap(CalcSettings(EVIDENCE_ADDR=evidence, LEAF_CALC_DB_URL=db("calc")))))
        publisher = await stack.enter_async_context(running(publisher_bootstrap(PublisherServiceSettings(
            LEAF_PUBLISHER_DB_URL=db("publisher"), CALC_ADDR=calc, SCOPE_ADDR=scope))))
        yield {"scope": scope, "evidence": evidence, "calc": calc, "publisher": publisher}
