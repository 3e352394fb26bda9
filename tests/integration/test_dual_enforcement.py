"""Dual enforcement without the gateway: every guarded RPC of calc, evidence, publisher, itr and tasks, called
directly, refuses a missing, expired, tampered or foreign-signed grant, answers another client's data exactly
as missing data, and serves a valid grant; calls a service makes while serving carry the caller's grant on."""
import base64
import contextlib
import json
import secrets
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import insert

from demo.generator import generate_claims
from demo.itr_export import build_export, write_export
from kernel.grants import Area
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from leaf.itr.v1 import itr_pb2, itr_pb2_grpc
from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from leaf.tasks.v1 import tasks_pb2, tasks_pb2_grpc
from runtime import grant_tokens, identity_tokens
from runtime.convert import scope_to_proto
from runtime.db import open_database
from runtime.grant_keys import GrantKeys, local_grant_keys
from runtime.grpc_errors import reason_of
from runtime.identity_keys import IdentityKeys, local_identity_keys
from services.evidence.bootstrap import open_packets
from services.itr.adapters import tables as itr_tables
from services.itr.bootstrap import MIGRATIONS as ITR_MIGRATIONS
from services.itr.bootstrap import ItrSettings
from services.itr.bootstrap import bootstrap as itr_bootstrap
from services.tasks.bootstrap import TasksSettings
from services.tasks.bootstrap import bootstrap as tasks_bootstrap
from tests.integration.mesh_fixtures import (
    PRINCIPAL,
    as_operator,
    caller,
    channel_to,
    grant_for,
    publishing_mesh,
    read_grant,
    running,
)

C001 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
C001_G01 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", group_ids=("C001-G01",))
C002 = Scope.parse("C002", "PBM_C", "2025-01-01", "2025-12-31")
CANDIDATE = "CP-C004-PBMB-2024"  # C004's candidate contract packet: what a promotion needs
# Open without a grant: registry and snapshot metadata. Every other method of these services is guarded.
OPEN = {"/leaf.calc.v1.CalcService/ListFormulas", "/leaf.calc.v1.CalcService/GetClaimsSnapshot"}
SERVICES = (calc_pb2, evidence_pb2, publisher_pb2, itr_pb2, tasks_pb2)
REQUESTS = [  # (request_id, client_id, group_ids): the mirror's rows
    ("a0B000000000001AAA", "C001", ""), ("a0B000000000002AAA", "C001", "C001-G01"), ("a0B000000000003AAA", "C002", "")]


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=3000, seed=5)
    return path


@contextlib.asynccontextmanager
async def whole_mesh(folder):
    """Scope, evidence, calc and publisher, plus itr (its mirror seeded) and tasks; yields a stub per service."""
    itr_url = f"sqlite:///{folder / 'itr.sqlite'}"
    with open_database(itr_url, "itr", ITR_MIGRATIONS).begin() as db:
        db.execute(insert(itr_tables.requests), [
            {"request_id": rid, "name": f"ITR-{n}", "status": "Open", "client_id": client, "group_ids": groups,
             "system_modstamp": "2026-01-01T00:00:00Z"} for n, (rid, client, groups) in enumerate(REQUESTS)])
    async with contextlib.AsyncExitStack() as stack:
        mesh = await stack.enter_async_context(publishing_mesh(folder))
        # An export with no requests: a sync here is served, and leaves the seeded mirror as it is.
        empty_export = write_export(folder / "itr_export", build_export(requests=0))
        mesh["itr"] = await stack.enter_async_context(running(itr_bootstrap(ItrSettings(
            LEAF_ITR_DB_URL=itr_url, LEAF_ITR_EXPORT_DIR=str(empty_export)))))
        mesh["tasks"] = await stack.enter_async_context(running(tasks_bootstrap(
            TasksSettings(LEAF_TASKS_DB_URL=f"sqlite:///{folder / 'tasks.sqlite'}"))))
        stubs = {}
        for name, stub in (("calc", calc_pb2_grpc.CalcServiceStub), ("evidence", evidence_pb2_grpc.EvidenceServiceStub),
                           ("publisher", publisher_pb2_grpc.PublisherServiceStub), ("itr", itr_pb2_grpc.ItrServiceStub),
                           ("tasks", tasks_pb2_grpc.TasksServiceStub)):
            stubs[name] = stub(await stack.enter_async_context(channel_to(mesh[name])))
        yield stubs


@pytest.fixture
async def served(tmp_path, claims_csv):
    """The mesh with one computed and published C001 run and one task, all made under valid grants."""
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    async with whole_mesh(tmp_path) as stubs:
        # Evidence refuses any call without a grant (below), so this run having its evidence proves that calc
        # carried the caller's grant on to evidence.
        run = await stubs["calc"].CreateRun(calc_pb2.CreateRunRequest(scope=scope_to_proto(C001)),
                                            metadata=grant_for(C001))
        assert {e.evidence_id for e in run.lineage.evidence} == {"CP-C001-PBMA-2025", "RB-C001-PBMA-2025"}
        # Likewise the publisher's calls to calc for the run's claims and rejects.
        await stubs["publisher"].PublishRun(publisher_pb2.PublishRunRequest(run_id=run.run_id),
                                            metadata=grant_for(C001))
        task = await stubs["tasks"].SubmitTask(tasks_pb2.SubmitTaskRequest(
            kind="compute_run", payload_json=json.dumps({"scope": C001.canonical()})), metadata=grant_for(C001))
        yield stubs, run, task


def guarded_calls(stubs, run, task):
    """Every guarded RPC: (full method, call(metadata), the grant kind it needs, what another client's grant gets)."""
    calc, evidence, publisher, itr, tasks = (stubs[n] for n in ("calc", "evidence", "publisher", "itr", "tasks"))
    scope, run_id = scope_to_proto(C001), run.run_id

    async def streamed(method, request, md):
        return [m async for m in method(request, metadata=md)]

    def calc_(name):
        return f"/leaf.calc.v1.CalcService/{name}"

    def ev(name):
        return f"/leaf.evidence.v1.EvidenceService/{name}"

    def pub(name):
        return f"/leaf.publisher.v1.PublisherService/{name}"

    promote = dict(packet_id=CANDIDATE, client_id="C004", governance=common_pb2.GOVERNED_EXACT,
                   reason="executed copy received")
    return [
        (calc_("CreateRun"), lambda md: calc.CreateRun(calc_pb2.CreateRunRequest(scope=scope), metadata=md),
         "exact", "scope_not_found"),
        (calc_("PlanRun"), lambda md: calc.PlanRun(calc_pb2.CreateRunRequest(scope=scope), metadata=md),
         "exact", "scope_not_found"),
        (calc_("GetRun"), lambda md: calc.GetRun(calc_pb2.GetRunRequest(run_id=run_id), metadata=md),
         "read", "run_not_found"),
        (calc_("StreamRunClaims"), lambda md: streamed(calc.StreamRunClaims,
                                                       calc_pb2.StreamRunClaimsRequest(run_id=run_id), md),
         "read", "run_not_found"),
        (calc_("ListRunRejects"), lambda md: calc.ListRunRejects(calc_pb2.ListRunRejectsRequest(run_id=run_id),
                                                                 metadata=md), "read", "run_not_found"),
        (ev("FindContractPacket"), lambda md: evidence.FindContractPacket(
            evidence_pb2.FindEvidenceRequest(scope=scope), metadata=md), "exact", "scope_not_found"),
        (ev("FindRebateEvidence"), lambda md: evidence.FindRebateEvidence(
            evidence_pb2.FindEvidenceRequest(scope=scope), metadata=md), "exact", "scope_not_found"),
        # The proposal_id is only a reference: C002's grant over C001's scope is refused whatever the id.
        (ev("FindProposal"), lambda md: evidence.FindProposal(
            evidence_pb2.FindProposalRequest(scope=scope, proposal_id="PR-C001-PBMA-2026"), metadata=md),
         "exact", "scope_not_found"),
        (ev("CheckSufficiency"), lambda md: evidence.CheckSufficiency(
            evidence_pb2.CheckSufficiencyRequest(scope=scope), metadata=md), "exact", "scope_not_found"),
        (ev("ListPackets"), lambda md: evidence.ListPackets(evidence_pb2.ListPacketsRequest(client_id="C001"),
                                                            metadata=md), "read", "client_not_found"),
        (ev("GetPacket"), lambda md: evidence.GetPacket(evidence_pb2.GetPacketRequest(
            packet_id="CP-C001-PBMA-2025", client_id="C001"), metadata=md), "read", "packet_not_found"),
        (ev("GetDocument"), lambda md: evidence.GetDocument(evidence_pb2.GetDocumentRequest(
            packet_id="CP-C001-PBMA-2025", client_id="C001"), metadata=md), "read", "packet_not_found"),
        # An operator's action: the grant checks below run under an operator identity (its own refusals are in
        # test_promotion_needs_a_verified_operator_identity).
        (ev("PromotePacket"), lambda md: evidence.PromotePacket(evidence_pb2.PromotePacketRequest(**promote),
                                                                metadata=as_operator(md)), "read:C004",
         "packet_not_found"),
        (pub("PublishRun"), lambda md: publisher.PublishRun(publisher_pb2.PublishRunRequest(run_id=run_id),
                                                            metadata=md), "exact", "run_not_found"),
        (pub("GetPublication"), lambda md: publisher.GetPublication(
            publisher_pb2.GetPublicationRequest(run_id=run_id), metadata=md), "read", "publication_not_found"),
        (pub("GetDashboardTable"), lambda md: publisher.GetDashboardTable(
            publisher_pb2.GetDashboardTableRequest(run_id=run_id, table="readiness"), metadata=md),
         "read", "publication_not_found"),
        (pub("ListArtifacts"), lambda md: publisher.ListArtifacts(publisher_pb2.ListArtifactsRequest(run_id=run_id),
                                                                  metadata=md), "read", "publication_not_found"),
        (pub("GetArtifact"), lambda md: streamed(publisher.GetArtifact,
                                                 publisher_pb2.GetArtifactRequest(run_id=run_id, name="run.json"), md),
         "read", "publication_not_found"),
        ("/leaf.itr.v1.ItrService/ListRequests", lambda md: itr.ListRequests(
            itr_pb2.ListRequestsRequest(client_id="C001"), metadata=md), "read", "client_not_found"),
        ("/leaf.itr.v1.ItrService/GetRequest", lambda md: itr.GetRequest(
            itr_pb2.GetRequestRequest(request_id=REQUESTS[0][0]), metadata=md), "read", "request_not_found"),
        ("/leaf.itr.v1.ItrService/GetBundle", lambda md: itr.GetBundle(
            itr_pb2.GetBundleRequest(request_id=REQUESTS[0][0]), metadata=md), "read", "request_not_found"),
        ("/leaf.itr.v1.ItrService/PlanAsk", lambda md: itr.PlanAsk(
            itr_pb2.PlanAskRequest(request_id=REQUESTS[0][0]), metadata=md), "read", "request_not_found"),
        # A search names no one thing: another client's grant gets hits without this client's documents.
        ("/leaf.itr.v1.ItrService/Search", lambda md: itr.Search(itr_pb2.SearchRequest(query="audit"), metadata=md),
         "read", None),
        # An operator's: the mirror holds every client's requests (the caller's identity made an operator's).
        ("/leaf.itr.v1.ItrService/SyncRequests", lambda md: itr.SyncRequests(itr_pb2.SyncRequestsRequest(),
                                                                            metadata=as_operator(md)), "read", None),
        ("/leaf.tasks.v1.TasksService/SubmitTask", lambda md: tasks.SubmitTask(tasks_pb2.SubmitTaskRequest(
            kind="compute_run", payload_json=json.dumps({"scope": C001.canonical()})), metadata=md),
         "exact", "scope_not_found"),
        ("/leaf.tasks.v1.TasksService/GetTask", lambda md: tasks.GetTask(
            tasks_pb2.GetTaskRequest(task_id=task.task_id), metadata=md), "read", "task_not_found"),
        # A list names no one thing: another client's grant gets the list without this client's tasks.
        ("/leaf.tasks.v1.TasksService/ListTasks", lambda md: tasks.ListTasks(tasks_pb2.ListTasksRequest(), metadata=md),
         "read", None),
        # Operators' moves, guarded like the rest; past the grant, a task that does not exist is not found
        # (what they do to real tasks: tests/integration/test_task_ledger.py).
        ("/leaf.tasks.v1.TasksService/CancelTask", lambda md: tasks.CancelTask(
            tasks_pb2.CancelTaskRequest(task_id="task_missing", reason="why"), metadata=as_operator(md)), None, None),
        ("/leaf.tasks.v1.TasksService/RequeueTask", lambda md: tasks.RequeueTask(
            tasks_pb2.RequeueTaskRequest(task_id="task_missing", reason="why"), metadata=as_operator(md)), None, None),
    ]


def right_grant(kind: str):
    return grant_for(C001) if kind == "exact" else read_grant(kind.partition(":")[2] or "C001")


def foreign_grant(kind: str):
    return grant_for(C002) if kind == "exact" else read_grant("C002")


async def refusal(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value.code(), reason_of(caught.value)


def with_grant(token: str) -> tuple[tuple[str, str], ...]:
    """A verified caller carrying `token` as its scope grant: the grant alone decides."""
    return (*caller(), (grant_tokens.METADATA_KEY, token))


def expired() -> tuple[tuple[str, str], ...]:
    token, _, _ = grant_tokens.issue(C001, PRINCIPAL, local_grant_keys(), ttl=60,
                               now=datetime.now(UTC) - timedelta(hours=1))
    return with_grant(token)


def tampered() -> tuple[tuple[str, str], ...]:
    """C001's own valid grant with its areas rewritten to C002: payload re-encoded, signature kept."""
    header, payload, signature = dict(read_grant("C001"))[grant_tokens.METADATA_KEY].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["areas"] = [["C002", []]]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return with_grant(f"{header}.{forged}.{signature}")


def foreign_key() -> tuple[tuple[str, str], ...]:
    """A well-formed grant for C001 signed by a key the mesh does not hold (kid and secret both unknown)."""
    token, _, _ = grant_tokens.issue(C001, PRINCIPAL, GrantKeys(("stranger", secrets.token_bytes(32))))
    return with_grant(token)


def same_kid_other_secret() -> tuple[tuple[str, str], ...]:
    token, _, _ = grant_tokens.issue(C001, PRINCIPAL, GrantKeys((local_grant_keys().current[0], secrets.token_bytes(32))))
    return with_grant(token)


async def test_every_guarded_rpc_is_listed_here():
    """A new RPC must be declared open or be exercised by the refusal tests below."""
    every = {f"/{s.full_name}/{m.name}" for module in SERVICES for s in module.DESCRIPTOR.services_by_name.values()
             for m in s.methods}
    assert {method for method, *_ in guarded_calls(dict.fromkeys(
        ("calc", "evidence", "publisher", "itr", "tasks")), calc_pb2.Run(), tasks_pb2.Task())} == every - OPEN


async def test_missing_expired_tampered_and_unknown_key_grants_are_refused(served):
    stubs, run, task = served
    bad = {"none": (caller(), "scope_grant_missing"), "empty": (with_grant(""), "scope_grant_missing"),
           "expired": (expired(), "scope_grant_expired"), "tampered": (tampered(), "scope_grant_invalid"),
           "unknown key": (foreign_key(), "scope_grant_invalid"),
           "same kid, other secret": (same_kid_other_secret(), "scope_grant_invalid"),
           "garbage": (with_grant("not.a.jwt"), "scope_grant_invalid")}
    for method, call, _, _ in guarded_calls(stubs, run, task):
        for label, (metadata, reason) in bad.items():
            assert await refusal(call(metadata)) == (grpc.StatusCode.PERMISSION_DENIED, reason), (method, label)


async def test_a_valid_grant_is_served_and_another_clients_gets_not_found(served):
    stubs, run, task = served
    for method, call, kind, foreign_code in guarded_calls(stubs, run, task):
        if kind is None:  # past the grant check; the missing implementation answers whatever it answers
            assert (await refusal(call(right_grant("read"))))[0] != grpc.StatusCode.PERMISSION_DENIED
            continue
        if foreign_code is not None:
            assert await refusal(call(foreign_grant(kind))) == (grpc.StatusCode.NOT_FOUND, foreign_code), method
        assert await call(right_grant(kind)), method
    listed = await stubs["tasks"].ListTasks(tasks_pb2.ListTasksRequest(), metadata=read_grant("C002"))
    assert task.task_id not in {t.task_id for t in listed.tasks}
    mine = await stubs["tasks"].ListTasks(tasks_pb2.ListTasksRequest(), metadata=read_grant("C001"))
    assert task.task_id in {t.task_id for t in mine.tasks}


async def test_the_open_methods_need_no_grant_but_a_verified_caller(served):
    stubs, _, _ = served
    formulas = await stubs["calc"].ListFormulas(calc_pb2.ListFormulasRequest(), metadata=caller())
    snapshot = await stubs["calc"].GetClaimsSnapshot(calc_pb2.GetClaimsSnapshotRequest(), metadata=caller())
    assert formulas.formulas and snapshot.rows_read > 0
    for method in (stubs["calc"].ListFormulas(calc_pb2.ListFormulasRequest()),
                   stubs["calc"].GetClaimsSnapshot(calc_pb2.GetClaimsSnapshotRequest())):
        assert await refusal(method) == (grpc.StatusCode.UNAUTHENTICATED, "identity_missing")


def without_identity(metadata):
    return tuple(kv for kv in metadata if kv[0] != identity_tokens.METADATA_KEY)


def signed_identity(keys=None, now=None, **who) -> tuple[tuple[str, str], ...]:
    token, _ = identity_tokens.sign(who.get("principal", PRINCIPAL), (), who.get("operator", False),
                             keys or local_identity_keys(), now=now)
    return ((identity_tokens.METADATA_KEY, token),)


async def test_every_rpc_refuses_a_caller_it_cannot_verify_whatever_grant_it_carries(served):
    """No identity, an empty one, one signed by another key, an expired one: UNAUTHENTICATED before any grant is
    looked at, for every method of every service (the open ones too)."""
    stubs, run, task = served
    stranger = IdentityKeys((local_identity_keys().current[0], secrets.token_bytes(32)))
    unverified = {"none": ((), "identity_missing"), "empty": (((identity_tokens.METADATA_KEY, ""),), "identity_missing"),
                  "other key": (signed_identity(stranger), "identity_invalid"),
                  "expired": (signed_identity(now=datetime.now(UTC) - timedelta(hours=1)), "identity_expired"),
                  "a grant key": (signed_identity(local_grant_keys()), "identity_invalid")}
    calls = [(method, call, kind) for method, call, kind, _ in guarded_calls(stubs, run, task)]
    calls += [(f"/leaf.calc.v1.CalcService/{m}", lambda md, m=m, r=r: getattr(stubs["calc"], m)(r, metadata=md), None)
              for m, r in (("ListFormulas", calc_pb2.ListFormulasRequest()),
                                 ("GetClaimsSnapshot", calc_pb2.GetClaimsSnapshotRequest()))]
    for method, call, kind in calls:
        right = without_identity(right_grant(kind or "read"))
        for label, (who, reason) in unverified.items():
            assert await refusal(call((*who, *right))) == (grpc.StatusCode.UNAUTHENTICATED, reason), (method, label)


async def test_promotion_needs_a_verified_operator_identity(served, tmp_path):
    """PromotePacket with C004's read grant: refused without a verified operator; the audit log names only the
    operator whose identity was verified."""
    stubs, _, _ = served
    request = evidence_pb2.PromotePacketRequest(packet_id=CANDIDATE, client_id="C004", reason="executed copy received",
                                                governance=common_pb2.GOVERNED_EXACT)
    grant = without_identity(read_grant("C004"))
    ceo = {"operator": True, "principal": "user:ceo@leaf.example"}
    refusals = [((), (grpc.StatusCode.UNAUTHENTICATED, "identity_missing")),
                (signed_identity(IdentityKeys(("stranger", secrets.token_bytes(32))), **ceo),
                 (grpc.StatusCode.UNAUTHENTICATED, "identity_invalid")),
                (signed_identity(now=datetime.now(UTC) - timedelta(hours=1), **ceo),
                 (grpc.StatusCode.UNAUTHENTICATED, "identity_expired")),
                (caller("user:analyst@leaf.example", ("group:leaf-operators",)),
                 (grpc.StatusCode.PERMISSION_DENIED, "operator_required"))]
    for who, answer in refusals:
        assert await refusal(stubs["evidence"].PromotePacket(request, metadata=(*who, *grant))) == answer
    promoted = await stubs["evidence"].PromotePacket(request, metadata=(*caller("user:ops@leaf.example", operator=True),
                                                                        *grant))
    assert promoted.governance == common_pb2.GOVERNED_EXACT
    audit = open_packets(f"sqlite:///{tmp_path / 'evidence.sqlite'}").audit_of(CANDIDATE)
    assert [(a.action, a.operator) for a in audit if a.action == "promoted"] == [("promoted", "user:ops@leaf.example")]


async def test_a_read_grant_limited_to_some_groups_does_not_see_the_whole_client(served):
    stubs, run, _ = served
    some = read_grant(Area("C001", ("C001-G01",)))
    calc, publisher, itr = stubs["calc"], stubs["publisher"], stubs["itr"]
    for call in (calc.GetRun(calc_pb2.GetRunRequest(run_id=run.run_id), metadata=some),
                 calc.ListRunRejects(calc_pb2.ListRunRejectsRequest(run_id=run.run_id), metadata=some),
                 publisher.GetPublication(publisher_pb2.GetPublicationRequest(run_id=run.run_id), metadata=some),
                 publisher.ListArtifacts(publisher_pb2.ListArtifactsRequest(run_id=run.run_id), metadata=some),
                 itr.GetBundle(itr_pb2.GetBundleRequest(request_id=REQUESTS[0][0]), metadata=some)):
        assert (await refusal(call))[0] == grpc.StatusCode.NOT_FOUND
    # The group's own run, and the group's own IT request, are served to that grant.
    own = await calc.CreateRun(calc_pb2.CreateRunRequest(scope=scope_to_proto(C001_G01)), metadata=grant_for(C001_G01))
    assert (await calc.GetRun(calc_pb2.GetRunRequest(run_id=own.run_id), metadata=some)).run_id == own.run_id
    listed = await itr.ListRequests(itr_pb2.ListRequestsRequest(), metadata=some)
    assert [r.request_id for r in listed.requests] == [REQUESTS[1][0]]
    # An exact grant for the group cannot compute the whole client either.
    assert await refusal(calc.CreateRun(calc_pb2.CreateRunRequest(scope=scope_to_proto(C001)),
                                        metadata=grant_for(C001_G01))) == (grpc.StatusCode.NOT_FOUND, "scope_not_found")
    # Contract evidence settles client-wide, so a group's grant reads its client's packets.
    packets = await stubs["evidence"].ListPackets(evidence_pb2.ListPacketsRequest(client_id="C001"), metadata=some)
    assert packets.packets and {p.client_id for p in packets.packets} == {"C001"}


async def test_a_list_without_a_client_is_narrowed_to_the_grant(served):
    stubs, _, _ = served
    both = await stubs["itr"].ListRequests(itr_pb2.ListRequestsRequest(), metadata=read_grant("C001", "C002"))
    only = await stubs["itr"].ListRequests(itr_pb2.ListRequestsRequest(), metadata=read_grant("C002"))
    assert {r.request_id for r in both.requests} == {rid for rid, _, _ in REQUESTS}
    assert [r.request_id for r in only.requests] == [REQUESTS[2][0]]


async def test_calc_refuses_a_scope_outside_the_grant_before_it_asks_evidence(tmp_path):
    """Evidence here holds other keys, so it refuses whatever calc forwards: calc's own check must answer first."""
    from services.calc.bootstrap import CalcSettings
    from services.calc.bootstrap import bootstrap as calc_bootstrap
    from services.evidence.bootstrap import EvidenceServiceSettings
    from services.evidence.bootstrap import bootstrap as evidence_bootstrap

    elsewhere = GrantKeys(("elsewhere", secrets.token_bytes(32)))
    evidence = evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{tmp_path / 'e.sqlite'}"),
                                  keys=elsewhere)
    async with running(evidence) as evidence_address:
        calc = calc_bootstrap(CalcSettings(EVIDENCE_ADDR=evidence_address,
                                           LEAF_CALC_DB_URL=f"sqlite:///{tmp_path / 'c.sqlite'}"))
        async with running(calc) as address, channel_to(address) as channel:
            stub = calc_pb2_grpc.CalcServiceStub(channel)
            request = calc_pb2.CreateRunRequest(scope=scope_to_proto(C001))
            outside = await refusal(stub.CreateRun(request, metadata=grant_for(C002)))
            forwarded = await refusal(stub.CreateRun(request, metadata=grant_for(C001)))
    assert outside == (grpc.StatusCode.NOT_FOUND, "scope_not_found")
    # Inside the grant, calc asks evidence with the caller's token, which evidence cannot verify.
    assert forwarded == (grpc.StatusCode.PERMISSION_DENIED, "scope_grant_invalid")
