"""The one error table, walked both ways: every gRPC status → domain error → gRPC status → HTTP problem+json."""
import json

import grpc
import pytest

from kernel import errors
from runtime.grpc_errors import ERROR_OF, INTERNAL_DETAIL, STATUS_OF, from_rpc_error, status_code_of, to_status
from services.gateway.entrypoints.problems import HTTP_STATUS, domain_error, http_status_of

Code = grpc.StatusCode
# The contract, written out rather than read back from the table: status → (domain error, HTTP status).
EXPECTED = {
    Code.OK: (errors.Internal, 500),
    Code.CANCELLED: (errors.Unavailable, 503),
    Code.UNKNOWN: (errors.Internal, 500),
    Code.INVALID_ARGUMENT: (errors.InputError, 400),
    Code.DEADLINE_EXCEEDED: (errors.TimedOut, 504),
    Code.NOT_FOUND: (errors.NotFound, 404),
    Code.ALREADY_EXISTS: (errors.Conflict, 409),
    Code.PERMISSION_DENIED: (errors.Refused, 403),
    Code.RESOURCE_EXHAUSTED: (errors.RateLimited, 429),
    Code.FAILED_PRECONDITION: (errors.NotReady, 409),
    Code.ABORTED: (errors.Conflict, 409),
    Code.OUT_OF_RANGE: (errors.InputError, 400),
    Code.UNIMPLEMENTED: (errors.Unimplemented, 501),
    Code.INTERNAL: (errors.Internal, 500),
    Code.UNAVAILABLE: (errors.Unavailable, 503),
    Code.DATA_LOSS: (errors.Internal, 500),
    # A service refusing the mesh's own identity assertion: the person at the edge was authenticated already.
    Code.UNAUTHENTICATED: (errors.Internal, 500),
}
SERVER_FAULTS = {Code.OK, Code.UNKNOWN, Code.INTERNAL, Code.DATA_LOSS, Code.UNAUTHENTICATED}
# The edge's own Unauthenticated (a person's token refused) is 401; only a rebuilt downstream refusal is a fault.
EDGE_ONLY = {Code.UNAUTHENTICATED}


class Failure(grpc.aio.AioRpcError):
    """A failed call as the client library raises it: a status, its text and the trailing metadata."""

    def __init__(self, code: grpc.StatusCode, details: str | None = None, trailing=()):
        super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailing), details)


def sent(error: errors.DomainError) -> Failure:
    """What a client receives when a server raises `error` (the server side of the table, in the interceptor)."""
    status = to_status(error)
    return Failure(status.code, status.details, status.trailing_metadata)


async def answered(error: errors.DomainError) -> tuple[int, dict]:
    reply = await domain_error(None, error)
    assert reply.media_type == "application/problem+json"
    return reply.status_code, json.loads(reply.body)


def test_the_table_names_every_grpc_status_both_ways():
    assert set(EXPECTED) == set(Code) == set(ERROR_OF) == set(HTTP_STATUS)
    assert len(Code) == 17


@pytest.mark.parametrize("code", list(Code), ids=lambda c: c.name)
async def test_every_status_becomes_its_domain_error_and_http_status(code):
    cls, http = EXPECTED[code]
    rebuilt = from_rpc_error(Failure(code, "what the other side said"))
    assert type(rebuilt) is cls
    assert http_status_of(rebuilt) == http and (HTTP_STATUS[code] == http or code in EDGE_ONLY)
    # ... and the rebuilt error leaves a server again as a status that answers the same HTTP status.
    assert HTTP_STATUS[status_code_of(rebuilt)] == http
    status, body = await answered(rebuilt)
    assert status == body["status"] == http and body["title"]
    if code in SERVER_FAULTS:
        assert body["code"] == "internal" and body["detail"] == INTERNAL_DETAIL
    else:
        assert body["code"] == code.name.lower() and body["detail"] == "what the other side said"


@pytest.mark.parametrize("code", [c for c in Code if c not in {Code.INVALID_ARGUMENT, Code.OUT_OF_RANGE, Code.NOT_FOUND,
                                                                  Code.PERMISSION_DENIED,
                                                                  Code.ALREADY_EXISTS, Code.ABORTED,
                                                                  Code.FAILED_PRECONDITION, Code.RESOURCE_EXHAUSTED}],
                         ids=lambda c: c.name)
def test_no_failure_of_the_server_is_answered_as_the_callers_fault(code):
    assert http_status_of(from_rpc_error(Failure(code))) >= 500


@pytest.mark.parametrize("cls", list(STATUS_OF), ids=lambda c: c.__name__)
async def test_every_domain_error_survives_the_trip_through_grpc(cls):
    error = cls("some_reason", "what to fix")
    rebuilt = from_rpc_error(sent(error))
    if cls in (errors.Internal, errors.Unauthenticated):
        assert type(rebuilt) is errors.Internal and rebuilt.code == "internal" and rebuilt.message == INTERNAL_DETAIL
    elif cls is errors.TooLarge:  # its reason says size; any other reason of RESOURCE_EXHAUSTED is a rate
        assert type(rebuilt) is errors.RateLimited and rebuilt.code == "some_reason"
    else:
        assert type(rebuilt) is cls and (rebuilt.code, rebuilt.message) == ("some_reason", "what to fix")
    assert http_status_of(rebuilt) == http_status_of(error) or cls in (errors.TooLarge, errors.Unauthenticated)


@pytest.mark.parametrize("reason, cls, http", [
    ("request_too_large", errors.TooLarge, 413), ("result_too_large", errors.TooLarge, 413),
    ("rate_limited", errors.RateLimited, 429), ("resource_exhausted", errors.RateLimited, 429)])
async def test_resource_exhausted_is_413_for_a_size_and_429_for_a_rate(reason, cls, http):
    raised = errors.TooLarge(reason, "too big") if cls is errors.TooLarge else errors.RateLimited(reason, "slow down")
    rebuilt = from_rpc_error(sent(raised))
    assert type(rebuilt) is cls and rebuilt.code == reason
    status, body = await answered(rebuilt)
    assert status == http and body["code"] == reason


@pytest.mark.parametrize("code", sorted(SERVER_FAULTS, key=lambda c: c.name), ids=lambda c: c.name)
async def test_a_server_fault_keeps_none_of_its_text_and_no_reason_can_make_it_the_callers(code):
    # A server outside our interceptor may put an exception's words in the status, and a reason of its choosing.
    leaked = to_status(errors.InputError("bad_input:scope", "Traceback: /srv/calc.py line 9, member M123"))
    status, body = await answered(from_rpc_error(Failure(code, "Traceback: /srv/calc.py", leaked.trailing_metadata)))
    assert status == 500 and body["code"] == "internal" and body["detail"] == INTERNAL_DETAIL
    assert "srv" not in json.dumps(body) and "M123" not in json.dumps(body)


async def test_a_domain_error_the_table_does_not_know_is_a_server_error_not_a_conflict():
    class Unlisted(errors.DomainError):
        pass

    assert status_code_of(Unlisted("x")) == Code.INTERNAL
    status, body = await answered(Unlisted("x", "some text"))
    assert status == 500 and body["code"] == "internal" and body["detail"] == INTERNAL_DETAIL


@pytest.mark.parametrize("error, http", [
    (errors.InputError("bad_input:scope"), 400),
    (errors.Unauthenticated("unauthenticated", "invalid credentials"), 401),
    (errors.Refused("out_of_scope"), 403),
    (errors.NotFound("run_not_found"), 404),
    (errors.NotReady("scope_not_exact"), 409),
    (errors.Conflict("conflict:artifact_changed"), 409),
    (errors.TooLarge("result_too_large"), 413),
    (errors.RateLimited("rate_limited"), 429),
    (errors.Unimplemented("unimplemented"), 501),
    (errors.Unavailable("claims_store_busy"), 503),
    (errors.TimedOut("deadline_exceeded"), 504),
])
async def test_domain_errors_raised_at_the_edge_become_problem_json_with_their_code(error, http):
    status, body = await answered(error)
    assert status == http == body["status"]
    assert body["code"] == error.code and body["detail"] == error.message
