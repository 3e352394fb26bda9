"""The demo runs' workbooks, downloaded through the gateway, reconcile from their own cells (issue #12, Done means).

Every demo run (tests/e2e/demo_runs.py), among them C001 (final), C002 (modeled: rejects and orphan reversals in
scope, specialty rebates as received_other), C006
(blocked: no rebate evidence for 2025) and C001's group G01 (modeled and blocked: a partial scope): each
guarantee's shortfall is re-derived from the workbook's netting table and buckets, the rebate line from its
reconciliation, the total owed as final + modeled, and each Excel check formula computes the published figure.
"""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import run_reply
from tests.e2e.demo_runs import DEMO_RUNS
from tests.unit.publisher.workbook_reading import assert_reconciles

pytestmark = pytest.mark.e2e
READINESS = {"C001-PBM_A": "final", "C002-PBM_C": "modeled", "C006-PBM_B": "blocked", "C001-PBM_A-G01": "blocked",
             "C001-PBM_A-proposal": "final"}


@pytest.mark.parametrize("name", list(DEMO_RUNS))
def test_the_demo_workbook_reconciles_from_its_own_cells(mesh, name):
    run = run_reply(mesh["http"], DEMO_RUNS[name]).json()
    assert run["result"]["readiness"] == READINESS.get(name, run["result"]["readiness"])
    listed = {a["name"]: a for a in mesh["http"].get(f"/v1/runs/{run['run_id']}/artifacts").json()["artifacts"]}
    content = mesh["http"].get(listed["report.xlsx"]["href"]).content
    assert_reconciles(load_workbook(io.BytesIO(content)), run["result"])
