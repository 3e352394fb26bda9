"""Failures through the gateway as a caller meets them: real gRPC servers on port 0 answer with failures, the
gateway app serves real HTTP, and every answer is problem+json with the status of the one table."""
from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from kernel import errors
from leaf.calc.v1 import calc_pb2_grpc
from leaf.common.v1 import common_pb2
from leaf.itr.v1 import itr_pb2, itr_pb2_grpc
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from runtime.grpc_errors import INTERNAL_DETAIL, UNIMPLEMENTED_DETAIL
from tests.integration.gateway_fixtures import gateway, grpc_server
from tests.integration.mesh_fixtures import channel_to
from tests.unit.gateway.test_problems import EXPECTED, SERVER_FAULTS

PROBLEM = "application/problem+json"
WINDOW = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
SECRET = "/srv/scope/registry.py: member M123 has no plan"


class FailingScope(scope_pb2_grpc.ScopeServiceServicer):
    """ResolveScope fails the way the asked client_id names: a raised exception, a domain error, a slow answer,
    or any gRPC status by name."""

    async def ResolveScope(self, request, context):
        asked = request.client_id
        if asked == "crash":
            raise RuntimeError(SECRET)
        if asked == "rate":
            raise errors.RateLimited("rate_limited", "too many resolutions at once; retry in a second")
        if asked == "too_large":
            raise errors.TooLarge("result_too_large", "the resolution is larger than the mesh carries")
        if asked == "slow":
            await asyncio.sleep(30)
        if asked == "garbled":  # an answer the gateway cannot read: its own fault, not the caller's
            return scope_pb2.ResolveScopeResponse(state=scope_pb2.EXACT,
                                                  exact=common_pb2.ExactScope(canonical_json="{not json"))
        await context.abort(grpc.StatusCode[asked], f"{SECRET} ({asked})")


def resolve(client_id: str) -> dict:
    return {"client_id": client_id, **WINDOW}


def is_problem(reply, status: int, code: str) -> dict:
    assert (reply.status_code, reply.headers["content-type"]) == (status, PROBLEM), reply.text
    body = reply.json()
    assert body["status"] == status and body["code"] == code and body["title"]
    return body


@pytest.fixture
async def failing():
    """The gateway with a failing scope service and a calc service that implements nothing."""
    servicers = [(scope_pb2_grpc.add_ScopeServiceServicer_to_server, FailingScope()),
                 (calc_pb2_grpc.add_CalcServiceServicer_to_server, calc_pb2_grpc.CalcServiceServicer())]
    async with grpc_server(*servicers) as at, gateway({"scope": at, "calc": at}, LEAF_GATEWAY_MAX_BODY_BYTES=1024) as client:
        yield client


# --- server failures are 5xx (and the 4xx that mean it), never 409 ---------------------------------------------

async def test_an_exception_in_a_service_is_500_internal_naming_nothing_of_it(failing):
    body = is_problem(await failing.post("/v1/scopes:resolve", json=resolve("crash")), 500, "internal")
    assert body["detail"] == INTERNAL_DETAIL and "M123" not in str(body) and "srv" not in str(body)


async def test_an_exception_in_the_gateway_itself_is_500_problem_json(failing):
    body = is_problem(await failing.post("/v1/scopes:resolve", json=resolve("garbled")), 500, "internal")
    assert body["detail"] == INTERNAL_DETAIL and "not json" not in str(body)


async def test_a_method_the_service_has_not_built_is_501(failing):
    body = is_problem(await failing.get("/v1/registry/formulas"), 501, "unimplemented")
    assert body["detail"] == UNIMPLEMENTED_DETAIL


async def test_a_deadline_is_504_and_comes_when_the_caller_asked(failing):
    started = time.monotonic()
    reply = await failing.post("/v1/scopes:resolve", json=resolve("slow"), headers={"X-Request-Timeout": "0.5"})
    is_problem(reply, 504, "deadline_exceeded")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("client_id, status, code", [("rate", 429, "rate_limited"),
                                                      ("too_large", 413, "result_too_large")])
async def test_resource_exhausted_is_429_for_a_rate_and_413_for_a_size(failing, client_id, status, code):
    body = is_problem(await failing.post("/v1/scopes:resolve", json=resolve(client_id)), status, code)
    assert body["detail"]  # the service's own words: what to do about it


@pytest.mark.parametrize("code", [c for c in grpc.StatusCode if c != grpc.StatusCode.OK], ids=lambda c: c.name)
async def test_every_grpc_status_a_service_answers_has_its_http_status(failing, code):
    reply = await failing.post("/v1/scopes:resolve", json=resolve(code.name))
    if code in SERVER_FAULTS:
        body = is_problem(reply, 500, "internal")
        assert SECRET not in body["detail"]
    else:
        is_problem(reply, EXPECTED[code][1], code.name.lower())


async def test_an_unbuilt_method_of_a_real_servicer_is_unimplemented_over_grpc(tmp_path):
    """A method left to the generated base class (every itr method is built now: the base class itself stands for a
    servicer that leaves one unbuilt) raises NotImplementedError, which gRPC answers UNIMPLEMENTED."""
    async with grpc_server((itr_pb2_grpc.add_ItrServiceServicer_to_server, itr_pb2_grpc.ItrServiceServicer())) \
            as address, channel_to(address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await itr_pb2_grpc.ItrServiceStub(channel).SyncRequests(itr_pb2.SyncRequestsRequest())
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


# --- the request's deadline header -----------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1", "0", "soon", "", "1e999"])
async def test_a_timeout_header_that_is_not_a_positive_number_of_seconds_is_400_naming_it(failing, value):
    reply = await failing.post("/v1/scopes:resolve", json=resolve("rate"), headers={"X-Request-Timeout": value})
    body = is_problem(reply, 400, "bad_request:x-request-timeout")
    assert "X-Request-Timeout" in body["detail"]
    assert reply.headers["x-content-type-options"] == "nosniff"  # the edge's headers on its own answers too


# --- request bodies --------------------------------------------------------------------------------------------

async def test_an_unknown_key_is_422_naming_it_not_a_wider_run(failing):
    reply = await failing.post("/v1/runs", json={"client_id": "C001", "group_id": "C001-G01", **WINDOW})
    body = is_problem(reply, 422, "bad_request")
    assert body["detail"] == "group_id: unknown field; this request has no field of that name"


async def test_a_missing_field_and_a_missing_body_are_named(failing):
    missing = is_problem(await failing.post("/v1/runs", json={"client_id": "C001", "date_to": "2025-12-31"}),
                         422, "bad_request")
    assert missing["detail"] == "date_from: Field required"
    nothing = is_problem(await failing.post("/v1/runs"), 422, "bad_request")
    assert nothing["detail"] == "body: Field required"
    nested = is_problem(await failing.post("/v1/runs", json={**resolve("C001"), "group_ids": ["G1", 7]}),
                        422, "bad_request")
    assert nested["detail"].startswith("group_ids[1]: ")
    query = is_problem(await failing.get("/v1/dashboard/readiness"), 422, "bad_request")
    assert query["detail"] == "query parameter run_id: Field required"


async def test_a_json_decode_error_says_where(failing):
    broken = '{"client_id": "C001",\n "date_from": 2025-01-01}'
    reply = await failing.post("/v1/runs", content=broken, headers={"Content-Type": "application/json"})
    body = is_problem(reply, 422, "bad_request")
    position = broken.index("2025-01-01") + 4  # the decoder stops after the number 2025
    assert body["detail"] == (f"body: not valid JSON at line 2, column {position - broken.index(chr(10))} "
                              f"(position {position}): Expecting ',' delimiter")


async def test_a_body_over_the_limit_is_413_whether_its_length_is_declared_or_chunked(failing):
    big = b'{"client_id": "' + b"x" * 3000 + b'"}'

    async def chunked():
        for start in range(0, len(big), 500):
            yield big[start:start + 500]

    declared = await failing.post("/v1/runs", content=big, headers={"Content-Type": "application/json"})
    is_problem(declared, 413, "request_too_large")
    streamed = await failing.post("/v1/runs", content=chunked(), headers={"Content-Type": "application/json"})
    assert "content-length" not in streamed.request.headers  # sent chunked: only counting the body can catch it
    body = is_problem(streamed, 413, "request_too_large")
    assert body["detail"] == "the request body is larger than 1024 bytes"


# --- the documented surface ------------------------------------------------------------------------------------

async def test_a_method_a_path_does_not_serve_is_405_allowing_every_method_it_does_serve(failing):
    paths = (await failing.get("/openapi.json")).json()["paths"]
    for template, operations in paths.items():
        path = template.replace("{", "").replace("}", "")  # any value fits each parameter's pattern
        reply = await failing.request("OPTIONS", path)
        is_problem(reply, 405, "method_not_allowed")
        allowed = {m.strip() for m in reply.headers["allow"].split(",")}
        assert allowed == {m.upper() for m in operations}, template
    assert (await failing.request("OPTIONS", "/v1/entitlements")).headers["allow"] == "GET, POST"


async def test_every_request_body_refuses_unknown_keys_and_dates_are_format_date(failing):
    schema = (await failing.get("/openapi.json")).json()
    bodies = [op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
              for operations in schema["paths"].values() for op in operations.values() if "requestBody" in op]
    components = schema["components"]["schemas"]
    assert {"ScopeRequest", "RunRequest", "SufficiencyRequest", "EntitlementGrant"} <= set(bodies)
    assert all(components[name]["additionalProperties"] is False for name in bodies)
    for name, fields in [("RunRequest", ("date_from", "date_to")), ("Candidate", ("valid_from", "valid_to")),
                         ("Packet", ("effective_from", "effective_to"))]:
        assert all(components[name]["properties"][f]["format"] == "date" for f in fields), name
