"""A golden comparison made in the running mesh (`leaf run`): an operator entitled to the demo client POSTs parity
for the demo's generic_dispensing_rate process; a takeover lane worker runs the takeover_parity task for them; the
takeover service replays the demo load, asks calc for the run of the process's scope and diffs its netted claims
against the load's rows. GET parity then shows calc's value and the row diff, and parity.xlsx the same report."""
from __future__ import annotations

import io
import time

import pytest
from openpyxl import load_workbook

from demo.takeover_export import DEMO_LOAD_ID
from tests.e2e.conftest import DEMO_GROUP

pytestmark = pytest.mark.e2e
PROCESS = "/v1/takeover/processes/generic_dispensing_rate"
OPERATORS = "leaf-operators"


def finished(http, reply, seconds: float = 300) -> dict:
    task, deadline = reply.json(), time.monotonic() + seconds
    while task["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"task {task['task_id']} still {task['state']}"
        time.sleep(0.5)
        task = http.get(reply.headers["location"]).raise_for_status().json()
    return task


def test_an_operator_compares_a_process_through_the_mesh(mesh):
    with mesh["signed_in"]("--email", "ops@leaf.example", "--group", DEMO_GROUP, "--group", OPERATORS) as ops:
        reply = ops.post(f"{PROCESS}/parity", json={"load_id": DEMO_LOAD_ID})
        assert reply.status_code == 202, reply.text
        assert reply.json()["kind"] == "takeover_parity" and reply.json()["lane"] == "takeover"
        task = finished(ops, reply)
        assert task["state"] == "succeeded", task
        assert task["params"]["scope"]["client_id"] == "C001" and task["requested_by"] == "user:ops@leaf.example"
        report = ops.get(f"{PROCESS}/parity", params={"load_id": DEMO_LOAD_ID})
        assert report.status_code == 200, report.text
        [gdr] = report.json()["packets"]
        assert gdr["card_id"] == "CARD-105" and gdr["backend_formula"] == "generic_dispensing_rate.gdr@1"
        assert gdr["backend_value"] and gdr["classification"] == "match"  # calc's value, over the mesh
        diff = gdr["row_diff"]
        assert diff["backend_rows"] > 0 and diff["only_backend"] == 0 and diff["changed"] == 0
        assert "member_id" not in report.text
        book = ops.get(f"{PROCESS}/parity.xlsx")
        assert book.status_code == 200, book.text
        assert book.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
        assert book.headers["content-disposition"].startswith("attachment;")
        sheet = load_workbook(io.BytesIO(book.content)).active
        assert report.json()["report_id"] in {str(c.value) for row in sheet.iter_rows() for c in row}


def test_comparing_is_for_operators_with_the_whole_scope(mesh):
    analyst = mesh["http"]  # entitled to the demo client, not an operator
    refused = analyst.post(f"{PROCESS}/parity", json={"load_id": DEMO_LOAD_ID})
    assert refused.status_code == 403, refused.text
    with mesh["signed_in"]("--email", "ops2@leaf.example", "--group", OPERATORS) as unentitled:
        refused = unentitled.post(f"{PROCESS}/parity", json={"load_id": DEMO_LOAD_ID})
        assert refused.status_code == 404, refused.text  # no grant of the process's scope: as if there were none
