"""The demo runs' workbooks, downloaded through the gateway, reconcile from their own cells (issue #12, Done means).

C001 (final), C002 (modeled: rejects and orphan reversals in scope, specialty rebates as received_other), C006
(blocked: no rebate evidence for 2025) and C001's group G01 (modeled and blocked: a partial scope): each
guarantee's shortfall is re-derived from the workbook's netting table and buckets, the rebate line from its
reconciliation, the total owed as final + modeled, and each Excel check formula computes the published figure.
"""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import run_reply
from tests.unit.publisher.workbook_reading import assert_reconciles

pytestmark = pytest.mark.e2e
YEAR = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
SCOPES = {"C001": {"client_id": "C001", "pbm_id": "PBM_A", **YEAR},
          "C002": {"client_id": "C002", "pbm_id": "PBM_C", **YEAR},
          "C006": {"client_id": "C006", "pbm_id": "PBM_B", **YEAR},
          "C001-G01": {"client_id": "C001", "pbm_id": "PBM_A", "group_ids": ["C001-G01"], **YEAR}}
READINESS = {"C001": "final", "C002": "modeled", "C006": "blocked", "C001-G01": "blocked"}


@pytest.mark.parametrize("name", list(SCOPES))
def test_the_demo_workbook_reconciles_from_its_own_cells(mesh, name):
    run = run_reply(mesh["http"], SCOPES[name]).json()
    assert run["result"]["readiness"] == READINESS[name]
    listed = {a["name"]: a for a in mesh["http"].get(f"/v1/runs/{run['run_id']}/artifacts").json()["artifacts"]}
    content = mesh["http"].get(listed["report.xlsx"]["href"]).content
    assert_reconciles(load_workbook(io.BytesIO(content)), run["result"])
