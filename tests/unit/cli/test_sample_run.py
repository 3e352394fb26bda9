"""`leaf run`'s sample run follows its task (202, Location) until it succeeds, against an HTTP peer that answers as the
gateway does: queued, running, then succeeded; a task that fails is reported, not waited on forever."""
from __future__ import annotations

import httpx

from cli.commands.run import sample_run


def gateway(states: list[str]) -> httpx.Client:
    """Answers POST /v1/runs with 202 and the task, then each GET of its Location with the next state."""
    seen = iter(states)

    def answer(request: httpx.Request) -> httpx.Response:
        task = {"task_id": "task_1", "lineage": {"run_id": "run_1"}, "links": {"self": "/v1/tasks/task_1"},
                "error": "permanent_failure: scope_not_found: no such scope for this caller"}
        if request.method == "POST":
            assert request.headers["prefer"] == "wait=30"
            return httpx.Response(202, json={**task, "state": "queued"}, headers={"Location": "/v1/tasks/task_1"})
        assert request.url.path == "/v1/tasks/task_1"
        return httpx.Response(200, json={**task, "state": next(seen)})

    return httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(answer))


def test_the_sample_run_is_followed_through_its_task_to_its_run():
    with gateway(["running", "running", "succeeded"]) as http:
        assert sample_run(http) == "run_1"


def test_a_failed_sample_run_says_why_and_gives_up(capsys):
    with gateway(["running", "failed"]) as http:
        assert sample_run(http) is None
    assert "scope_not_found" in capsys.readouterr().err
