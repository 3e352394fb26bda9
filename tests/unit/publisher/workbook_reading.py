"""The workbook read back as an analyst reconciles it: each shortfall from the sheet's own cells, in Decimal.

Shared by the unit tests (fixture runs) and the end-to-end test (demo runs through the mesh): given a workbook read
with openpyxl and the run's result, every `assert_*` re-derives a figure from the workbook's cells alone, checks
it equals the result, and evaluates each Excel check formula beside it (excel_arithmetic.py).
"""
from __future__ import annotations

from decimal import Decimal

from kernel.sufficiency import AWP, BLOCKED, FEE, GUARANTEES, REBATE
from kernel.words import SIGN_CONVENTION, formula_title
from services.publisher.domain.audit_summary import owed, status_line
from services.publisher.domain.workbook_sheets import sheet_name
from tests.unit.publisher.excel_arithmetic import evaluate

CENT, ZERO = Decimal("0.01"), Decimal("0.00")
NETTED_SHORTFALL = "shortfall = Σ group shortfalls"


def money(cell) -> Decimal:
    assert isinstance(cell.value, (int, float)) and "$" in cell.number_format, (cell.coordinate, cell.value)
    return Decimal(str(cell.value)).quantize(CENT)


def labelled(sheet, label: str):
    """The row (a tuple of cells) whose column A reads `label`."""
    return next(row for row in sheet.iter_rows() if row[0].value == label)


def rows_from(sheet, header: str, after: str | None = None) -> list[dict]:
    """The table whose header row starts with `header` (the first below the row labelled `after`): header → cell,
    one dict per row, up to a row with nothing in column A."""
    start = 1 if after is None else labelled(sheet, after)[0].row
    top = next(r for r in range(start, sheet.max_row + 1) if sheet.cell(r, 1).value == header)
    headers = [c.value for c in sheet[top]]
    rows: list[dict] = []
    for r in range(top + 1, sheet.max_row + 2):
        if sheet.cell(r, 1).value is None:
            return rows
        rows.append({h: sheet.cell(r, i) for i, h in enumerate(headers, start=1) if h is not None})
    return rows


def assert_check(sheet, cell, expected: Decimal) -> None:
    """An Excel check formula, evaluated from the cells it names, equals the published figure."""
    assert isinstance(cell.value, str) and cell.value.startswith("="), (cell.coordinate, cell.value)
    assert evaluate(sheet, cell.value) == expected, (cell.coordinate, cell.value, expected)


def assert_netting_reconciles(book, formula: dict) -> None:
    """Σ group shortfall = the sheet's shortfall; each group's shortfall = max(0, variance); each group's variance
    = Σ of its buckets' variance cells; and each Excel check formula computes the same."""
    sheet = book[sheet_name(formula["id"])]
    buckets = rows_from(sheet, "channel")
    *netting, closing = rows_from(sheet, "netting group")    # the shortfall line closes the table
    total = labelled(sheet, NETTED_SHORTFALL)
    assert closing["netting group"].row == total[0].row
    assert len(netting) == len(formula["offset_groups"]) and len(buckets) == len(formula["buckets"])
    for group in netting:
        members = [money(b["variance"]) for b in buckets if b["group"].value == group["group"].value]
        assert members, group["group"].value
        assert money(group["variance"]) == sum(members)
        assert money(group["shortfall"]) == max(ZERO, money(group["variance"]))
        assert_check(sheet, group["check: Σ bucket variances"], money(group["variance"]))
        assert_check(sheet, group["check: max(0, variance)"], money(group["shortfall"]))
    assert {b["group"].value for b in buckets} == {g["group"].value for g in netting}
    assert money(total[2]) == sum(money(g["shortfall"]) for g in netting) == Decimal(formula["shortfall"])
    assert_check(sheet, total[4], money(total[2]))


def assert_rebate_reconciles(book, rebate: dict) -> None:
    """variance_total (= Σ bucket variances) − received_other, floored at zero, = the shortfall."""
    sheet = book[sheet_name(REBATE)]
    if rebate["status"] == BLOCKED:
        assert not [c for row in sheet.iter_rows() for c in row if isinstance(c.value, (int, float))]
        return
    buckets = rows_from(sheet, "channel")
    variance_total, received_other = labelled(sheet, "variance_total"), labelled(sheet, "received_other")
    difference, shortfall = labelled(sheet, "variance_total − received_other"), labelled(sheet, "shortfall")
    assert money(variance_total[1]) == sum(money(b["variance"]) for b in buckets) == Decimal(rebate["variance_total"])
    assert money(received_other[1]) == Decimal(rebate["received_other"])
    assert money(shortfall[1]) == max(ZERO, money(variance_total[1]) - money(received_other[1]))
    assert money(shortfall[1]) == Decimal(rebate["shortfall"])
    assert_check(sheet, variance_total[2], money(variance_total[1]))
    assert_check(sheet, difference[2], money(variance_total[1]) - money(received_other[1]))
    assert_check(sheet, shortfall[2], money(shortfall[1]))


def assert_owed_reconciles(book, result: dict) -> None:
    """total = final + modeled, each the Σ of the Summary's guarantee shortfalls of that status; blocked named."""
    sheet, expected = book["Summary"], owed(result)
    final, modeled = labelled(sheet, "final"), labelled(sheet, "modeled")
    total = labelled(sheet, "total (final + modeled)")
    assert (money(final[1]), money(modeled[1])) == (expected.final, expected.modeled)
    assert money(total[1]) == money(final[1]) + money(modeled[1]) == expected.total
    for row, amount in ((final, expected.final), (modeled, expected.modeled), (total, expected.total)):
        assert_check(sheet, row[2], amount)
    shown = {r["formula"].value: r for r in rows_from(sheet, "formula")}
    for status, amount in (("final", expected.final), ("modeled", expected.modeled)):
        assert sum((money(shown[formula_title(f["id"])]["value"]) for f in result["formulas"]
                    if f["id"] in GUARANTEES and f["status"] == status), ZERO) == amount
    blocked = labelled(sheet, "blocked: no figure")[3].value
    if expected.blocked:
        assert all(formula_title(f) in blocked for f in expected.blocked), blocked
    else:
        assert blocked == "none"


def assert_status_stated(book, result: dict) -> None:
    """Readiness beside the status line, each formula's status by its title, the sign convention once."""
    sheet = book["Summary"]
    readiness = labelled(sheet, "readiness")
    assert (readiness[1].value, readiness[2].value) == (result["readiness"], status_line(result))
    assert labelled(sheet, "sign convention")[1].value == SIGN_CONVENTION
    stated = [c.value for s in book.worksheets for row in s.iter_rows() for c in row
              if isinstance(c.value, str) and SIGN_CONVENTION in c.value]
    assert len(stated) == 1, "the sign convention is stated once"
    assert [(r["formula"].value, r["status"].value, r["code"].value) for r in rows_from(sheet, "formula")] == [
        (formula_title(f["id"]), f["status"], f"{f['id']}@{f['version']}") for f in result["formulas"]]


def assert_banner_on_every_sheet(book, result: dict) -> None:
    """A run that is not final says so, with the status line, on every sheet and every printed page."""
    for sheet in book.worksheets:
        banner = sheet["A3"].value
        if result["readiness"] == "final":
            assert banner is None, sheet.title
            continue
        assert banner.startswith(result["readiness"].upper()) and status_line(result) in banner, (sheet.title, banner)
        if any(f["status"] == "modeled" and f["id"] in GUARANTEES for f in result["formulas"]):
            assert "MODELED" in banner and "MODELED" in sheet.oddHeader.center.text, sheet.title


def assert_reconciles(book, result: dict) -> None:
    """Everything above, for one run's workbook."""
    for formula in result["formulas"]:
        if formula["id"] in (AWP, FEE) and formula["status"] != BLOCKED:
            assert_netting_reconciles(book, formula)
        elif formula["id"] == REBATE:
            assert_rebate_reconciles(book, formula)
    assert_owed_reconciles(book, result)
    assert_status_stated(book, result)
    assert_banner_on_every_sheet(book, result)
