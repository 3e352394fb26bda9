"""The one gRPC → HTTP table and the problem+json body."""
import json

import grpc
import pytest

from runtime import errors
from runtime.grpc_errors import from_rpc_error, status_code_of, to_status
from services.gateway.entrypoints.problems import HTTP_STATUS, domain_error


@pytest.mark.parametrize("error, http", [
    (errors.InputError("bad_input:scope"), 400),
    (errors.NotFound("run_not_found"), 404),
    (errors.NotReady("scope_not_exact"), 409),
    (errors.Refused("out_of_scope"), 403),
    (errors.Unavailable("claims_store_busy"), 503),
])
async def test_domain_errors_become_problem_json_with_their_code(error, http):
    reply = await domain_error(None, error)
    body = json.loads(reply.body)
    assert reply.status_code == http == HTTP_STATUS[status_code_of(error)]
    assert reply.media_type == "application/problem+json"
    assert body["code"] == error.code and body["status"] == http and body["title"]


def test_rich_status_round_trips_the_domain_code():
    status = to_status(errors.InputError("missing_column:ndc", "the claims file has no ndc column"))
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT

    class Failure(grpc.aio.AioRpcError):
        def __init__(self):
            super().__init__(status.code, None, grpc.aio.Metadata(*status.trailing_metadata), status.details)

    rebuilt = from_rpc_error(Failure())
    assert isinstance(rebuilt, errors.InputError) and rebuilt.code == "missing_column:ndc"
