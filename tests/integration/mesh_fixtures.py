"""Start real services in-process on port 0, exactly as `python -m services.<name>` builds them."""
from __future__ import annotations

import contextlib

from kernel.grants import Area, Grant
from kernel.identity import IdentityRefused
from kernel.scope import Scope
from runtime import grant_tokens, identity_tokens
from runtime.clients import open_channel
from runtime.grant_guard import serving_under
from runtime.grant_keys import local_grant_keys
from runtime.identity_guard import serving_for
from runtime.identity_keys import local_identity_keys
from runtime.server import ServiceDeps, create_server, mark_when_ready

PRINCIPAL = "user:tests@leaf.example"
OPERATOR = "user:ops@leaf.example"
Metadata = tuple[tuple[str, str], ...]


def caller(principal: str = PRINCIPAL, groups: tuple[str, ...] = (), operator: bool = False) -> Metadata:
    """Call metadata carrying a signed caller identity, as the gateway sends on every call (the test's local
    identity key under LEAF_HOME/keys, which the services of the test verify with)."""
    token, _ = identity_tokens.sign(principal, groups, operator, local_identity_keys())
    return ((identity_tokens.METADATA_KEY, token),)


def as_operator(metadata: Metadata) -> Metadata:
    """The metadata with the test caller's own identity replaced by an operator's (an evidence promotion); no
    identity, or one that does not verify, stays as it is."""
    try:
        identity_tokens.verify(dict(metadata).get(identity_tokens.METADATA_KEY), local_identity_keys())
    except IdentityRefused:
        return metadata
    kept = tuple(kv for kv in metadata if kv[0] != identity_tokens.METADATA_KEY)
    return (*caller(OPERATOR, operator=True), *kept)


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
    from demo import load_registry
    from services.calc.bootstrap import CalcSettings
    from services.calc.bootstrap import bootstrap as calc_bootstrap
    from services.evidence.bootstrap import EvidenceServiceSettings
    from services.evidence.bootstrap import bootstrap as evidence_bootstrap
    from services.publisher.bootstrap import PublisherServiceSettings
    from services.publisher.bootstrap import bootstrap as publisher_bootstrap
    from services.scope.bootstrap import ScopeSettings, open_registry
    from services.scope.bootstrap import bootstrap as scope_bootstrap

    db = lambda name: f"sqlite:///{folder / f'{name}.sqlite'}"  # noqa: E731
    registry = open_registry(db("scope"))
    registry.replace(load_registry())  # the demo's clients, PBMs, TPAs and groups
    async with contextlib.AsyncExitStack() as stack:
        scope = await stack.enter_async_context(
            running(scope_bootstrap(ScopeSettings(LEAF_SCOPE_DB_URL=db("scope")), registry)))
        evidence = await stack.enter_async_context(
            running(evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=db("evidence")))))
        calc = await stack.enter_async_context(
            running(calc_bootstrap(CalcSettings(EVIDENCE_ADDR=evidence, LEAF_CALC_DB_URL=db("calc")))))
        publisher = await stack.enter_async_context(running(publisher_bootstrap(PublisherServiceSettings(
            LEAF_PUBLISHER_DB_URL=db("publisher"), CALC_ADDR=calc, SCOPE_ADDR=scope))))
        yield {"scope": scope, "evidence": evidence, "calc": calc, "publisher": publisher}


def grant_for(scope: Scope) -> Metadata:
    """Call metadata carrying the test caller's identity and an exact grant for `scope`, signed with the test's local
    key (LEAF_HOME/keys) as the scope service would sign it: what the gateway sends to compute or check one scope."""
    token, _, _ = grant_tokens.issue(scope, PRINCIPAL, local_grant_keys())
    return (*caller(), (grant_tokens.METADATA_KEY, token))


def read_grant(*areas: str | Area) -> Metadata:
    """Call metadata carrying the test caller's identity and a read grant over `areas` (a client id means all of its
    groups): what the gateway sends to read a run, its artifacts or a packet by id."""
    listed = [Area(a) if isinstance(a, str) else a for a in areas]
    token, _, _ = grant_tokens.issue_read(listed, PRINCIPAL, local_grant_keys())
    return (*caller(), (grant_tokens.METADATA_KEY, token))


def grant_of(metadata: Metadata) -> Grant:
    return grant_tokens.verify(dict(metadata)[grant_tokens.METADATA_KEY], local_grant_keys())


@contextlib.contextmanager
def acting_under(metadata: Metadata):
    """Run service-layer code in the test as a service does while serving a call with this grant (and identity):
    calls it makes through open_channel carry them on."""
    token, who = dict(metadata)[grant_tokens.METADATA_KEY], dict(metadata)[identity_tokens.METADATA_KEY]
    with serving_under(grant_tokens.verify(token, local_grant_keys()), token), \
            serving_for(identity_tokens.verify(who, local_identity_keys()), who):
        yield
