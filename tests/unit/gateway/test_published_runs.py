"""The gateway's kept published runs: bounded by the bytes of their rendered JSON, least recently used out first."""
import json

from services.gateway.service_layer.runs import PublishedRuns


def run(run_id: str, padding: int = 0) -> dict:
    return {"run_id": run_id, "scope_hash": f"h-{run_id}", "pad": "x" * padding,
            "scope": {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31",
                      "tpa_id": None, "group_ids": []}}


def render(body: dict) -> bytes:
    return json.dumps(body).encode()


def test_the_least_recently_used_run_goes_first_and_the_bytes_stay_within_capacity():
    size = len(render(run("run_a", 100)))
    kept = PublishedRuns(render, capacity=2 * size)
    a = kept.keep(run("run_a", 100))
    assert a.scope.client_id == "C001" and a.scope_hash == "h-run_a" and a.body == render(run("run_a", 100))
    kept.keep(run("run_b", 100))
    assert kept.get("run_a") == a  # now the most recently used
    kept.keep(run("run_c", 100))
    assert kept.get("run_b") is None and kept.get("run_a") == a and kept.get("run_c") is not None


def test_a_run_larger_than_the_whole_capacity_is_answered_but_not_kept():
    kept = PublishedRuns(render, capacity=100)
    answered = kept.keep(run("run_big", 500))
    assert answered.body == render(run("run_big", 500)) and kept.get("run_big") is None
