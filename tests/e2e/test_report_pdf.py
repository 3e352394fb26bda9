"""The demo runs' PDFs, downloaded through the gateway, reconcile from their own pages: every guarantee's shortfall
re-derived from its netting table, the rebate line from its reconciliation, each formula's status on the cover, and
MODELED on every page of a run with a modeled figure."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from kernel.sufficiency import AWP, FEE, REBATE
from kernel.words import formula_title
from services.publisher.domain.audit_summary import status_line
from tests.e2e.conftest import run_reply
from tests.e2e.demo_runs import DEMO_RUNS
from tests.unit.publisher.pdf_text import body_lines, lines_of, money, reconcile_guarantee, reconcile_rebate

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", list(DEMO_RUNS))
def test_the_pdf_reconciles_from_its_own_pages(mesh, name):
    run = run_reply(mesh["http"], DEMO_RUNS[name]).json()
    result = run["result"]
    listed = {a["name"]: a for a in mesh["http"].get(f"/v1/runs/{run['run_id']}/artifacts").json()["artifacts"]}
    pdf = mesh["http"].get(listed["report.pdf"]["href"]).content
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    lines = body_lines(pages)
    for formula in result["formulas"]:
        if formula["status"] == "blocked":
            continue
        if formula["id"] in (AWP, FEE):
            assert reconcile_guarantee(lines, formula) == Decimal(formula["shortfall"])
        elif formula["id"] == REBATE:
            shortfall = reconcile_rebate(lines, formula)[-1]
            assert money(shortfall.figures[0]) == Decimal(formula["shortfall"])
    cover = lines_of(pages[0])
    assert f"{result['readiness'].upper()} — {status_line(result)}" in " ".join(cover)
    for formula in result["formulas"]:
        title = cover.index(formula_title(formula["id"]))
        assert cover[title + 2] == formula["status"].upper()
    modeled = any(f["status"] == "modeled" for f in result["formulas"] if f["id"] != "repricing_savings")
    assert all(("MODELED" in lines_of(page)[2]) == modeled for page in pages)
