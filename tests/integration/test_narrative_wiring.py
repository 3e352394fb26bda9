"""Where the narrative is composed: the publisher's publish_run and `leaf report`, template unless a model is configured,
the run lineage's `narrative` entry in run.json either way."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from demo import ONEDRIVE_DIR
from demo.generator import generate_claims
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.scope.v1 import scope_pb2_grpc
from runtime.convert import scope_to_proto
from runtime.db import open_database
from runtime.identity_keys import local_identity_keys
from runtime.identity_tokens import SignedAssertions
from runtime.keys import local_secret
from services.publisher.adapters.artifact_ledger import SqlArtifactLedger
from services.publisher.adapters.artifact_store import LocalArtifactStore
from services.publisher.adapters.calc_run import GrpcCalcRuns
from services.publisher.adapters.domo_outbox import DomoOutbox
from services.publisher.adapters.lease import SqlLease
from services.publisher.adapters.openai_narrative import NarrativeSettings, narrative_provider
from services.publisher.adapters.renderers import renderers
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.adapters.scope_entitlements import ScopeEntitlements
from services.publisher.bootstrap import MIGRATIONS
from services.publisher.service_layer.handlers import PublisherDeps, publish_run
from tests.integration.mesh_fixtures import acting_under, channel_to, grant_for, grant_of, publishing_mesh
from tests.integration.openai_stand_in import API_KEY, faithful_answer, serving

FOLDER = ONEDRIVE_DIR / "Clients/C001/PBM_A"
LEAF = Path(sys.executable).parent / "leaf"
SCOPE = ["--client", "C001", "--pbm", "PBM_A", "--from", "2025-01-01", "--to", "2025-12-31"]


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=3000, seed=5)
    return path


def _report(claims: Path, out: Path, env: dict) -> dict:
    inputs = ["--claims", str(claims), "--contract", str(FOLDER / "contract-2025.packet.json"), *SCOPE]
    quiet = {k: v for k, v in os.environ.items() if not k.startswith(("LEAF_OPENAI_", "LEAF_AZURE_OPENAI_"))}
    done = subprocess.run([str(LEAF), "report", *inputs, "--out", str(out)], capture_output=True,
                          env={**quiet, **env})
    assert done.returncode == 0, done.stderr
    return json.loads((out / "run.json").read_text())


def test_leaf_report_writes_the_template_narrative_by_default(claims_csv, tmp_path):
    entry = _report(claims_csv, tmp_path / "out", {})["lineage"]["narrative"]
    assert (entry["source"], entry["model"], entry["prompt_sha256"], entry["fallback_reason"]) == (
        "template", None, None, None)


def test_leaf_report_asks_the_configured_model_and_records_it(claims_csv, tmp_path):
    with serving() as stand_in:
        stand_in.answers = [(200, faithful_answer, 0)]
        run = _report(claims_csv, tmp_path / "out", {"LEAF_OPENAI_BASE_URL": f"{stand_in.url}/v1",
                                                     "LEAF_OPENAI_API_KEY": API_KEY, "LEAF_OPENAI_MODEL": "gpt-4o"})
    [request] = stand_in.requests
    sent = "\n".join(f"{m['role']}\n{m['content']}" for m in request["body"]["messages"])
    text = faithful_answer(request["body"])["choices"][0]["message"]["content"]
    assert run["lineage"]["narrative"] == {
        "source": "model", "model": "gpt-4o-2024-08-06", "prompt_sha256": hashlib.sha256(sent.encode()).hexdigest(),
        "fallback_reason": None, "text_sha256": hashlib.sha256(text.encode()).hexdigest()}


async def test_publish_run_composes_the_narrative_before_rendering(tmp_path, claims_csv, leaf_home):
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    exact = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
    with serving() as stand_in:
        stand_in.answers = [(200, faithful_answer, 0)]
        provider = narrative_provider(NarrativeSettings(LEAF_OPENAI_BASE_URL=f"{stand_in.url}/v1",
                                                        LEAF_OPENAI_API_KEY=API_KEY, LEAF_OPENAI_MODEL="gpt-4o"))
        async with publishing_mesh(tmp_path) as mesh, channel_to(mesh["calc"]) as calc_channel, \
                channel_to(mesh["scope"]) as scope_channel:
            calc = calc_pb2_grpc.CalcServiceStub(calc_channel)
            grant = grant_for(exact)
            run = await calc.CreateRun(calc_pb2.CreateRunRequest(scope=scope_to_proto(exact)), metadata=grant)
            folder = tmp_path / "published"
            engine = open_database(f"sqlite:///{folder}.sqlite", "publisher", MIGRATIONS)
            deps = PublisherDeps(SqlPublicationRepository(engine), LocalArtifactStore(folder), SqlArtifactLedger(engine),
                                 GrpcCalcRuns(calc), ScopeEntitlements(scope_pb2_grpc.ScopeServiceStub(scope_channel),
                                                         SignedAssertions(local_identity_keys())),
                                 DomoOutbox(folder / "outbox"), local_secret("pseudonym_key"), narrative=provider,
                                 domo_lease=SqlLease(engine), renderers=renderers())
            with acting_under(grant):
                await publish_run(run.run_id, grant_of(grant), deps)
    published = json.loads((folder / run.run_id / "run.json").read_bytes())
    assert published["result"] == json.loads(run.result_json)
    entry = published["lineage"]["narrative"]
    assert (entry["source"], entry["model"], entry["fallback_reason"]) == ("model", "gpt-4o-2024-08-06", None)
    assert len(stand_in.requests) == 1
