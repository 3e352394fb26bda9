"""Chaos: the publisher, a real process, killed with SIGKILL in the middle of a publication (while it streams
artifacts into the store). Nothing half-written is visible — the ledger lists nothing, downloads refuse — and the
retry, by a restarted publisher, publishes exactly once: the sha256s of an undisturbed publication, one ledger row
per artifact, the run's rows in the Domo outbox once."""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from demo.generator import generate_claims
from kernel.errors import NotFound
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from runtime.convert import scope_to_proto
from runtime.db import open_database
from runtime.grpc_errors import from_rpc_error
from runtime.keys import local_secret
from services.publisher.adapters.artifact_ledger import SqlArtifactLedger
from services.publisher.adapters.artifact_store import LocalArtifactStore
from services.publisher.adapters.calc_run import GrpcCalcRuns
from services.publisher.adapters.domo_outbox import DomoOutbox
from services.publisher.adapters.lease import SqlLease
from services.publisher.adapters.renderers import renderers
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.bootstrap import MIGRATIONS
from services.publisher.service_layer.artifacts import open_artifact
from services.publisher.service_layer.handlers import PublisherDeps, publish_run
from tests.integration.mesh_fixtures import acting_under, channel_to, grant_for, grant_of, read_grant, running
from tests.integration.test_publishing_over_grpc import publisher_scope

CHECKOUT = Path(__file__).resolve().parents[2]
SCOPE = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def publisher_process(db_url: str, calc: str, scope: str):
    """`python -m services.publisher` as the mesh starts it; yields (process, address) once it serves."""
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONPATH": str(CHECKOUT), "LEAF_PUBLISHER_DB_URL": db_url, "CALC_ADDR": calc,
           "SCOPE_ADDR": scope, "LEAF_GRPC_LISTEN": address}
    process = subprocess.Popen([sys.executable, "-m", "services.publisher"], cwd=CHECKOUT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process, address
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


async def serving(address: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    async with channel_to(address) as channel:
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(grpc.aio.AioRpcError):
                await publisher_pb2_grpc.PublisherServiceStub(channel).GetPublication(
                    publisher_pb2.GetPublicationRequest(run_id="run_probe"), metadata=read_grant("C001"), timeout=1)
            try:
                await asyncio.wait_for(channel.channel_ready(), 0.2)
                return
            except TimeoutError:
                await asyncio.sleep(0.1)
    raise AssertionError("the publisher process never served")


async def kill_when_storing(process: subprocess.Popen, run_folder: Path, publish: asyncio.Task) -> list[str]:
    """SIGKILL the moment a second whole artifact is renamed into place in the store (the first one finished,
    others still to come); returns what the store held then."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not publish.done():
        present = sorted(p.name for p in run_folder.rglob("*") if p.is_file()) if run_folder.exists() else []
        if sum(not name.startswith(".") for name in present) >= 2:
            process.send_signal(signal.SIGKILL)
            return present
        await asyncio.sleep(0.002)
    raise AssertionError("the publication ended before any artifact reached the store")


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=40_000, seed=17)
    return path


async def test_a_publisher_killed_mid_publication_leaves_nothing_visible_and_the_retry_publishes_once(
        tmp_path, claims_csv, leaf_home):
    from cli.commands.claims import load_claims
    from demo import load_registry
    from services.calc.bootstrap import CalcSettings
    from services.calc.bootstrap import bootstrap as calc_bootstrap
    from services.evidence.bootstrap import EvidenceServiceSettings
    from services.evidence.bootstrap import bootstrap as evidence_bootstrap
    from services.scope.bootstrap import ScopeSettings, open_registry
    from services.scope.bootstrap import bootstrap as scope_bootstrap

    load_claims(claims_csv)
    db = lambda name: f"sqlite:///{tmp_path / f'{name}.sqlite'}"  # noqa: E731
    registry = open_registry(db("scope"))
    registry.replace(load_registry())
    grant = grant_for(SCOPE)
    async with contextlib.AsyncExitStack() as stack:
        scope = await stack.enter_async_context(
            running(scope_bootstrap(ScopeSettings(LEAF_SCOPE_DB_URL=db("scope")), registry)))
        evidence = await stack.enter_async_context(
            running(evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=db("evidence")))))
        calc = await stack.enter_async_context(
            running(calc_bootstrap(CalcSettings(EVIDENCE_ADDR=evidence, LEAF_CALC_DB_URL=db("calc")))))
        calc_stub = calc_pb2_grpc.CalcServiceStub(await stack.enter_async_context(channel_to(calc)))
        run = await calc_stub.CreateRun(calc_pb2.CreateRunRequest(scope=scope_to_proto(SCOPE)), metadata=grant)
        run_folder = leaf_home / "artifacts" / run.run_id
        engine = open_database(db("publisher"), "publisher", MIGRATIONS)
        ledger = SqlArtifactLedger(engine)
        store = LocalArtifactStore(leaf_home / "artifacts")

        # 1. killed while it streams artifacts into the store
        with publisher_process(db("publisher"), calc, scope) as (process, address):
            await serving(address, process)
            async with channel_to(address) as channel:
                publish = asyncio.ensure_future(publisher_pb2_grpc.PublisherServiceStub(channel).PublishRun(
                    publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant, timeout=120))
                present = await kill_when_storing(process, run_folder, publish)
                with pytest.raises(grpc.aio.AioRpcError):
                    await publish
            assert process.wait(10) == -signal.SIGKILL
        assert present, "the kill came before any byte was stored"
        assert ledger.of_run(run.run_id) == [] and SqlPublicationRepository(engine).get(run.run_id) is None
        left = [p.relative_to(run_folder).as_posix() for p in run_folder.rglob("*") if p.is_file()]
        assert left
        for name in left:   # whole files renamed into place and temp files alike: none is served
            with pytest.raises(NotFound):
                open_artifact(run.run_id, name, store, ledger)

        # 2. the retry, by a restarted publisher on the same database and store
        with publisher_process(db("publisher"), calc, scope) as (process, address):
            await serving(address, process)
            async with channel_to(address) as channel:
                stub = publisher_pb2_grpc.PublisherServiceStub(channel)
                with pytest.raises(grpc.aio.AioRpcError) as before:
                    await stub.ListArtifacts(publisher_pb2.ListArtifactsRequest(run_id=run.run_id),
                                             metadata=read_grant("C001"))
                retried = await stub.PublishRun(publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant,
                                                timeout=120)
                again = await stub.PublishRun(publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant,
                                              timeout=120)
        assert from_rpc_error(before.value).code == "publication_not_found"

        # 3. an undisturbed publication of the same run, by a fresh in-process publisher: the reference bytes
        reference = tmp_path / "reference"
        clean = open_database(f"sqlite:///{reference}.sqlite", "publisher", MIGRATIONS)
        scope_channel = await stack.enter_async_context(channel_to(scope))
        deps = PublisherDeps(SqlPublicationRepository(clean), LocalArtifactStore(reference), SqlArtifactLedger(clean),
                             GrpcCalcRuns(calc_stub), publisher_scope(scope_channel), DomoOutbox(reference / "outbox"),
                             local_secret("pseudonym_key"), domo_lease=SqlLease(clean), renderers=renderers())
        with acting_under(grant):
            undisturbed = await publish_run(run.run_id, grant_of(grant), deps)
        clean.dispose()

    recorded = ledger.of_run(run.run_id)
    engine.dispose()
    assert {a.name: a.sha256 for a in retried.artifacts} == {a.name: a.sha256 for a in undisturbed.artifacts}
    assert list(again.artifacts) == list(retried.artifacts)
    assert sorted(a.name for a in recorded) == sorted(a.name for a in undisturbed.artifacts)   # one row each
    assert {a.name: a.sha256 for a in recorded} == {a.name: a.sha256 for a in undisturbed.artifacts}
    print(f"\nkilled with {present} in the store; after the retry: "
          f"{sorted(p.name for p in run_folder.rglob('*') if p.is_file())}")
    readiness = (leaf_home / "domo_outbox" / "leaf_readiness" / "data.csv").read_text()
    readiness_rows = next(t for t in undisturbed.tables if t.name == "readiness").rows
    assert readiness.count(run.run_id) == len(readiness_rows)
