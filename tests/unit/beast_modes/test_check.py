"""The promotion guardrail's Beast Mode check: parses, and names only the dataset's columns."""

import pytest

from services.takeover.domain.beast_modes import check

COLUMNS = {"Fill Date": "DATE", "Paid Amount": "DECIMAL", "Claim ID": "STRING", "qty": "LONG"}


@pytest.mark.parametrize(
    "expression",
    [
        "SUM(`Paid Amount`)",
        'SUM("Paid Amount") / COUNT(DISTINCT "Claim ID")',
        "CASE WHEN `qty` > 1 THEN 'it''s many' END",
        "SUM(\u00a0`Paid Amount`\u200b) -- total\n",
        "/* paid */ ROUND(SUM(`Paid Amount`), 2)",
        "YEAR(\u201cFill Date\u201d)",
        "SUM(QTY)",  # a bare name matches case-insensitively
    ],
)
def test_valid_expressions_pass(expression: str) -> None:
    assert check(expression, COLUMNS) is None


@pytest.mark.parametrize(
    "expression",
    ["", "   -- only a comment", "SUM(", "`Paid Amount` +", "SELECT 1", "SUM(`Paid Amount`); 1", "'open", "`open", "/* open"],
)
def test_unparseable(expression: str) -> None:
    assert check(expression, COLUMNS) == "unparseable"


@pytest.mark.parametrize(
    "expression",
    ["SUM(`Paid amount`)", 'SUM("Billed Amount")', "MAX(`t`.`qty`)", "COUNT(claim_id)"],
)
def test_unknown_column(expression: str) -> None:
    assert check(expression, COLUMNS) == "unknown_column"


def test_a_name_inside_a_string_or_comment_is_not_a_column() -> None:
    assert check("CASE WHEN `qty` = 1 THEN '`Nope`' END -- `Nope` too", COLUMNS) is None
