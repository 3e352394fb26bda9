"""CompareParity's use case on fakes of its ports: calc's run of the process scope gives the backend values, the row
diff of that run is fed into the packets (suggestions and a summary without member ids), the report is kept with
its run and operator and answered classified with the explanations recorded so far; the exact-grant rule."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kernel.errors import InputError, NotFound, Refused
from kernel.grants import Area, Grant
from kernel.scope import Scope
from services.takeover.domain.parity import Explanation
from services.takeover.domain.processes import Process, process_scope
from services.takeover.service_layer.compare import BackendRun, compare_parity, process_cards, require_exact_grant
from services.takeover.service_layer.parity import ProcessCards
from tests.unit.beast_modes.claims_rows import COLUMNS, ROWS
from tests.unit.beast_modes.fakes import FakeExportObjects, RowsSilver

PAID_TOTAL = sum((r.paid for r in ROWS if r.status == "PAID"), Decimal("0.00"))
ALL_TOTAL = sum((r.paid for r in ROWS), Decimal("0.00"))
MODES = [{"id": "BM-ALL", "expression": "SUM(`Plan Paid`)"}]
CARDS = [
    {"card_id": "PAID", "dataset_id": "ds", "beast_mode_ids": ["BM-ALL"], "recorded_value": str(PAID_TOTAL),
     "filters": [{"column": "Claim Status", "operator": "IN", "values": ["PAID"]}]},
    {"card_id": "ALL", "dataset_id": "ds", "beast_mode_ids": ["BM-ALL"], "recorded_value": str(ALL_TOTAL)},
]
SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-01-31",
         "group_ids": "C001-G01"}
PROCESS = ProcessCards("plan_paid", {"PAID": "claims.plan_paid_net", "ALL": "claims.plan_paid_net"}, scope=SCOPE)
RESULT = {"registry_version": "7", "formulas": [{"id": "claims", "version": 2, "plan_paid_net": str(PAID_TOTAL)}]}
REVERSAL = {"key": "C03", "side": "only_domo", "domo": {"status": "REVERSAL", "ingredient_cost_paid": Decimal("-5.10")},
            "backend": None}


class FakeCalc:
    def __init__(self) -> None:
        self.asked: list[dict] = []
        self.open = False

    @asynccontextmanager
    async def run(self, scope, timeout):
        self.asked.append(dict(scope))
        self.open = True
        try:
            yield BackendRun("run_1", RESULT, "7", Path("/nowhere/claims.parquet"))
        finally:
            self.open = False


class FakeDiffs:
    def __init__(self, made: BackendRun, calc: FakeCalc) -> None:
        self.made, self.calc = made, calc

    def diff(self, load_id, process, card_id):
        assert self.calc.open  # the run's claims file is there while the diff is made
        return {"domo_rows": 4, "backend_rows": 3, "only_domo": 1, "only_backend": 0, "changed": 0,
                "columns": ["status", "ingredient_cost_paid"], "rows": [REVERSAL]}


class FakeReports:
    def __init__(self) -> None:
        self.kept: list[tuple[str, dict]] = []

    def write(self, process_id, report, report_id=None):
        self.kept.append((process_id, dict(report)))
        return report["report_id"]

    def latest_report(self, process_id):
        mine = [r for p, r in self.kept if p == process_id]
        return mine[-1] if mine else None


class FakeExplanations:
    def __init__(self, *recorded: Explanation) -> None:
        self.recorded = list(recorded)

    def all(self, process):
        return list(self.recorded)

    def append(self, process, explanation):
        self.recorded.append(explanation)


def compare(explanations=None, load_id="LD-1", calc=None, reports=None):
    exports = FakeExportObjects("LD-1", CARDS, MODES)
    silver = RowsSilver("ds", COLUMNS, [list(r) for r in ROWS])
    calc = calc or FakeCalc()
    return asyncio.run(compare_parity(PROCESS, load_id, exports, silver, calc, lambda made: FakeDiffs(made, calc),
                                      reports or FakeReports(), explanations or FakeExplanations(), "user:ops@x",
                                      30.0))


def test_the_backend_values_come_from_the_run_and_the_row_diff_is_fed_into_the_packets() -> None:
    calc, reports = FakeCalc(), FakeReports()
    report = compare(calc=calc, reports=reports)
    assert calc.asked == [SCOPE]
    by_card = {p["card_id"]: p for p in report["packets"]}
    assert by_card["PAID"]["backend_value"] == str(PAID_TOTAL)
    assert by_card["PAID"]["backend_formula"] == "claims.plan_paid_net@2"  # the formula's own version
    assert by_card["PAID"]["classification"] == "match"
    assert by_card["ALL"]["classification"] == "unexplained"
    assert by_card["ALL"]["proposed"] == ["domo_includes_reversals"]  # suggested by the diff's reversal row
    summary = by_card["ALL"]["row_diff"]
    assert (summary["domo_rows"], summary["backend_rows"], summary["only_domo"]) == (4, 3, 1)
    assert summary["rows"] == [{"claim_id": "C03", "side": "only_domo", "backend": {},
                                "domo": {"status": "REVERSAL", "ingredient_cost_paid": "-5.10"}}]
    [(process_id, kept)] = reports.kept
    assert process_id == "plan_paid" and kept["load_id"] == "LD-1" and kept["run_id"] == "run_1"
    assert kept["made_by"] == "user:ops@x" and report["base_report_id"] == kept["report_id"]


def test_the_answer_applies_the_explanations_recorded_so_far_but_the_kept_report_is_the_raw_comparison() -> None:
    approved = Explanation("ALL", "domo_includes_reversals", "Domo sums reversals", "user:a@x", "user:b@x", "t")
    reports = FakeReports()
    report = compare(FakeExplanations(approved), reports=reports)
    assert (report["match"], report["explained"], report["unexplained"]) == (1, 1, 0)
    [(_, kept)] = reports.kept
    assert (kept["match"], kept["explained"], kept["unexplained"]) == (1, 0, 1)


def test_an_unknown_load_is_not_found_before_calc_is_asked() -> None:
    calc = FakeCalc()
    with pytest.raises(NotFound) as refused:
        compare(load_id="LD-404", calc=calc)
    assert refused.value.code == "load_not_found" and calc.asked == []


def grant(scope: Scope | None, areas=()) -> Grant:
    now = datetime.now(UTC)
    return Grant(scope, tuple(areas), "user:ops@x", now, now, "k1")


def test_comparing_needs_an_exact_grant_of_the_process_scope_itself() -> None:
    exact = process_scope(SCOPE)
    assert exact.group_ids == ("C001-G01",)
    assert require_exact_grant(grant(exact), SCOPE) == exact
    wider = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", None, ("C001-G01",))
    narrower = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-01-15", None, ("C001-G01",))
    for other in (grant(wider), grant(narrower), grant(None, [Area("C001")])):  # a read grant covers, but is no exact
        with pytest.raises(Refused) as refused:
            require_exact_grant(other, SCOPE)
        assert refused.value.code == "scope_grant_not_exact"


def test_a_process_is_compared_only_with_its_card_fields_and_a_scope() -> None:
    with pytest.raises(InputError) as refused:
        process_cards(Process("gdr", "GDR", "user:o@x", ("CARD-1",)))
    assert refused.value.code == "process_without_cards"
    with pytest.raises(InputError) as refused:
        process_cards(Process("gdr", "GDR", "user:o@x", ("CARD-1",), card_formulas={"CARD-1": "gdr.gdr"}))
    assert refused.value.code == "process_without_scope"
    cards = process_cards(Process("gdr", "GDR", "user:o@x", ("CARD-1",), card_formulas={"CARD-1": "gdr.gdr"},
                                  scope=SCOPE))
    assert (cards.process, dict(cards.cards), dict(cards.scope)) == ("gdr", {"CARD-1": "gdr.gdr"}, SCOPE)
