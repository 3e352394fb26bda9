"""Golden comparison packets on fakes of the ports: classification, tolerance, explanations and their approval."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kernel.errors import Conflict, InputError, NotFound, Refused
from services.takeover.domain.parity import BackendValue, Explanation, diff_suggestions, packet
from services.takeover.service_layer.parity import ProcessCards, approve_explanation, parity, propose_explanation
from tests.unit.beast_modes.claims_rows import COLUMNS, ROWS
from tests.unit.beast_modes.fakes import FakeExportObjects, RowsSilver

PAID_TOTAL = sum((r.paid for r in ROWS if r.status == "PAID"), Decimal("0.00"))
ALL_TOTAL = sum((r.paid for r in ROWS), Decimal("0.00"))
MODES = [{"id": "BM-ALL", "expression": "SUM(`Plan Paid`)"},
         {"id": "BM-RATIO", "expression": "SUM(`Copay`) / SUM(`Plan Paid`)"}]
CARDS = [
    {"card_id": "EXACT", "dataset_id": "ds", "beast_mode_ids": ["BM-ALL"], "recorded_value": str(PAID_TOTAL),
     "filters": [{"column": "Claim Status", "operator": "IN", "values": ["PAID"]}]},
    {"card_id": "REVERSALS", "dataset_id": "ds", "beast_mode_ids": ["BM-ALL"], "recorded_value": str(ALL_TOTAL)},
    {"card_id": "FLOAT", "dataset_id": "ds", "beast_mode_ids": ["BM-RATIO"], "recorded_value": "0.0681000000000001"},
    {"card_id": "ODD", "dataset_id": "ds", "beast_mode_ids": ["BM-ALL"], "recorded_value": "12.00"},
]
PROCESS = ProcessCards("plan_paid_audit", {c["card_id"]: "plan_paid.total" for c in CARDS})


class FakeBackend:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def value(self, process: ProcessCards, card_id: str) -> BackendValue:
        return BackendValue("plan_paid.total", "1", self.values[card_id])


class FakeExplanations:
    def __init__(self) -> None:
        self.history: list[tuple[str, Explanation]] = []

    def all(self, process: str) -> list[Explanation]:
        return [e for p, e in self.history if p == process]

    def append(self, process: str, explanation: Explanation) -> None:
        self.history.append((process, explanation))


class FakeDiffs:
    def diff(self, load_id, process, card_id):
        if card_id != "REVERSALS":
            return None
        return {"only_domo": 1, "only_backend": 0, "changed": 0,
                "rows": [{"key": "C03", "side": "only_domo", "domo": {"status": "REVERSAL"}, "backend": None}]}


BACKEND = FakeBackend({"EXACT": str(PAID_TOTAL), "REVERSALS": str(PAID_TOTAL), "FLOAT": "0.0681", "ODD": "13.00"})


@pytest.fixture
def ports():
    silver = RowsSilver("ds", COLUMNS, [list(r) for r in ROWS])
    return FakeExportObjects("LD-1", CARDS, MODES), silver, FakeExplanations()


def test_a_report_before_any_explanation(ports) -> None:
    exports, silver, explanations = ports
    report = parity("LD-1", PROCESS, exports, silver, BACKEND, explanations, FakeDiffs())
    by_card = {p["card_id"]: p for p in report["packets"]}
    assert (report["match"], report["explained"], report["unexplained"]) == (1, 0, 3)
    assert by_card["EXACT"]["classification"] == "match" and by_card["EXACT"]["replay_status"] == "match"
    assert by_card["REVERSALS"]["proposed"] == ["domo_includes_reversals"]
    assert by_card["REVERSALS"]["difference"] == str(ALL_TOTAL - PAID_TOTAL)
    assert by_card["FLOAT"]["proposed"] == ["domo_float_rounding"]
    assert by_card["ODD"]["proposed"] == [] and by_card["ODD"]["difference"] == "-1.00"
    assert report["worst_difference"] == {"card_id": "REVERSALS", "difference": str(ALL_TOTAL - PAID_TOTAL)}
    assert by_card["EXACT"]["backend_formula"] == "plan_paid.total@1"
    assert report["report_id"].startswith("PR-")
    assert parity("LD-1", PROCESS, exports, silver, BACKEND, explanations, FakeDiffs())["report_id"] == report["report_id"]


def test_explanations_count_once_another_operator_approves_them(ports) -> None:
    exports, silver, explanations = ports
    propose_explanation(explanations, PROCESS.process, "REVERSALS", "domo_includes_reversals", "card sums them", "op:a")
    propose_explanation(explanations, PROCESS.process, "FLOAT", "domo_float_rounding", "double math", "op:a")
    with pytest.raises(Refused):
        approve_explanation(explanations, PROCESS.process, "REVERSALS", "domo_includes_reversals", "op:a", "t1")
    approve_explanation(explanations, PROCESS.process, "REVERSALS", "domo_includes_reversals", "op:b", "t1")
    with pytest.raises(Conflict):
        approve_explanation(explanations, PROCESS.process, "REVERSALS", "domo_includes_reversals", "op:c", "t2")
    with pytest.raises(NotFound):
        approve_explanation(explanations, PROCESS.process, "ODD", "domo_stale_value", "op:b", "t1")
    report = parity("LD-1", PROCESS, exports, silver, BACKEND, explanations)
    by_card = {p["card_id"]: p for p in report["packets"]}
    assert (report["match"], report["explained"], report["unexplained"]) == (1, 1, 2)
    assert by_card["REVERSALS"]["approved_by"] == "op:b" and by_card["REVERSALS"]["reason_code"] == "domo_includes_reversals"
    assert by_card["FLOAT"]["classification"] == "unexplained" and by_card["FLOAT"]["proposed"] == ["domo_float_rounding"]
    assert len(explanations.history) == 3  # append-only: proposals kept beside the approval


def test_unknown_reason_codes_are_refused() -> None:
    with pytest.raises(InputError):
        Explanation("C", "because", "", "op:a")


@pytest.mark.parametrize(
    ("domo", "backend", "tolerance", "classification"),
    [("100.00", "100.00", "0", "match"), ("1,234.57", "1234.57", "0", "match"), ("1234.6", "1234.57", "0", "match"),
     ("100.004", "100.00", "0", "unexplained"), ("100.004", "100.00", "0.01", "match"), (None, None, "0", "match"),
     (None, "1.00", "0", "unexplained")],
)
def test_tolerance_and_domo_display_rounding(domo, backend, tolerance, classification) -> None:
    made = packet("p", {"card_id": "C", "recorded_value": domo}, BackendValue("f.x", "1", backend), (),
                  Decimal(tolerance))
    assert made.classification == classification


def test_diff_suggestions() -> None:
    excluded = {"only_domo": 0, "only_backend": 2, "rows": []}
    mixed = {"only_domo": 2, "only_backend": 0, "rows": [
        {"side": "only_domo", "domo": {"status": "REVERSAL"}}, {"side": "only_domo", "domo": {"status": "PAID"}}]}
    assert diff_suggestions(excluded) == ["domo_excludes_rows"] and diff_suggestions(mixed) == []


def test_a_kept_report_is_classified_again_with_the_explanations_only_where_unexplained() -> None:
    from services.takeover.domain.parity import parity_report, reclassify

    packets = [packet("p", {"card_id": card, "recorded_value": domo, "status": "match"}, BackendValue("f.x", "1", b))
               for card, domo, b in (("M", "5", "5"), ("R", "12", "10"), ("F", "0.30000000000000004", "0.3"))]
    kept = {**parity_report("p", packets), "load_id": "LD-1"}
    same = reclassify(kept, [])
    assert same["report_id"] == same["base_report_id"] == kept["report_id"]
    assert same["packets"] == kept["packets"] and (same["match"], same["unexplained"]) == (1, 2)

    proposed = Explanation("R", "domo_includes_reversals", "", "op:a")
    on_a_match = Explanation("M", "domo_stale_value", "", "op:a", "op:b", "t0")  # a match stays a match
    now = reclassify(kept, [proposed, on_a_match])
    by_card = {p["card_id"]: p for p in now["packets"]}
    assert by_card["R"]["classification"] == "unexplained" and by_card["R"]["proposed"] == ["domo_includes_reversals"]
    assert by_card["M"]["classification"] == "match" and by_card["M"]["reason_code"] is None
    assert now["report_id"] != kept["report_id"] and now["base_report_id"] == kept["report_id"]

    approved = Explanation("R", "domo_includes_reversals", "", "op:a", "op:b", "t1")
    done = reclassify(kept, [approved])
    by_card = {p["card_id"]: p for p in done["packets"]}
    assert (by_card["R"]["classification"], by_card["R"]["approved_by"], by_card["R"]["proposed"]) == (
        "explained", "op:b", [])
    assert by_card["F"]["proposed"] == ["domo_float_rounding"]
    assert (done["match"], done["explained"], done["unexplained"], done["cards"]) == (1, 1, 1, 3)
    assert done["worst_difference"] == kept["worst_difference"] == {"card_id": "R", "difference": "2"}
    assert done["load_id"] == "LD-1" and reclassify(kept, [approved]) == done  # the same explanations, the same id
