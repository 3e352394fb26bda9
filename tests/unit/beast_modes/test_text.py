"""Pasted Beast Mode text: look-alike characters normalized outside string literals, quoting made MySQL's."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.takeover.domain.beast_modes.text import BeastModeSyntaxError, prepare
from services.takeover.domain.beast_modes.translate import Column, translate

COLUMNS = {"Plan Paid": Column("plan_paid", "DECIMAL"), "Drug Name": Column("drug_name", "STRING")}


@pytest.mark.parametrize(
    ("pasted", "mysql"),
    [
        ("SUM(\u00a0`Plan Paid`\u200b)", "SUM( `Plan Paid`)"),
        ("\u201cPlan\u00a0Paid\u201d = \u2018x\u2019", "`Plan Paid` = 'x'"),
        ("\u2018O\u2019Brien\u2019", "'O\u2019Brien'"),  # a curly quote before a letter is an apostrophe
        ("'keep\u00a0this\u200b'", "'keep\u00a0this\u200b'"),  # string content is data: left as written
        ("'it''s'", "'it''s'"),
        ('"a""b"', "`a\"b`"),
        ("1 -- note\n+ 2 /* more */", "1  \n+ 2  "),
    ],
)
def test_prepare(pasted: str, mysql: str) -> None:
    assert prepare(pasted).mysql == mysql


@pytest.mark.parametrize("broken", ["'open", "`open", '"open', "1 /* open", "\u201cPlan Paid", "  ", "-- only"])
def test_broken_text(broken: str) -> None:
    with pytest.raises(BeastModeSyntaxError):
        prepare(broken)


def test_the_original_text_is_kept_for_lineage() -> None:
    pasted = "SUM(\u201cPlan\u00a0Paid\u201d) -- total"
    assert translate(pasted, COLUMNS).original == pasted


_NOISE = st.lists(st.sampled_from(["", " ", "\u00a0", "\u200b", "\u2060", "\ufeff", "\u202f"]), min_size=5, max_size=5)


@given(_NOISE)
def test_pasted_noise_between_tokens_does_not_change_the_translation(noise: list[str]) -> None:
    a, b, c, d, e = noise
    plain = "SUM(CASE WHEN `Drug Name` = 'x' THEN `Plan Paid` END)"
    pasted = f"{a}SUM({b}CASE WHEN{c} `Drug Name` = 'x' THEN `Plan Paid`{d} END){e}"
    assert translate(pasted, COLUMNS).sql == translate(plain, COLUMNS).sql
