"""The API contract under hostile input: schemathesis generates requests for every operation of the live gateway's
/openapi.json (authenticated as the demo analyst) and fails on any 5xx, any response that breaks its documented
schema, content type or status code. The number of cases tried is printed at the end of the session."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance

pytestmark = pytest.mark.e2e
CASES_PER_OPERATION = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
TRIED: dict[str, int] = {}


@pytest.fixture(scope="session")
def live_schema(mesh):
    schema = schemathesis.openapi.from_dict(mesh["http"].get("/openapi.json").json())
    schema.config.update(base_url=mesh["base"])
    return schema


schema = schemathesis.pytest.from_fixture("live_schema")


@schema.parametrize()
@settings(max_examples=CASES_PER_OPERATION, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_holds_its_contract(case, mesh):
    token = mesh["http"].headers["Cf-Access-Jwt-Assertion"]
    response = case.call(base_url=mesh["base"], headers={"Cf-Access-Jwt-Assertion": token}, timeout=120)
    name = f"{case.method.upper()} {case.path}"
    TRIED[name] = TRIED.get(name, 0) + 1
    case.validate_response(response, checks=CHECKS)
