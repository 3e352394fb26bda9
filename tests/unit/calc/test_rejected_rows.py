"""Rejected rows across the mesh: the run message's capped list, and pages with tokens bound to their listing."""
import json

import pytest

from kernel.errors import InputError
from services.calc.domain.calculate import render
from services.calc.domain.claims import Reject
from services.calc.domain.rejected_rows import (
    MAX_PAGE_SIZE,
    REJECTED_ROWS_IN_MESSAGE,
    Listing,
    capped_for_message,
    page_of,
    row_after,
)

from .builders import contract, row, run

WHOLE = Listing("run_1", whole_input=True)


def rejects(rows) -> list[Reject]:
    return [Reject(r, "bad_value:ndc", True, "C001", "PBM_A", None, None, None) for r in rows]


def result_with_rejects(count: int) -> dict:
    return run([row(f"C{i}", ndc="x") for i in range(count)] + [row("OK")], contract())


def test_a_result_within_the_cap_travels_byte_for_byte():
    stored = render(result_with_rejects(3))
    assert capped_for_message(stored) == (stored, 0)


def test_over_the_cap_only_the_list_is_cut_and_the_cut_is_counted():
    result = result_with_rejects(7)
    capped, omitted = capped_for_message(render(result), cap=5)
    travelled = json.loads(capped)
    assert omitted == 2 and travelled["data_quality"]["rejected_rows"] == result["data_quality"]["rejected_rows"][:5]
    result["data_quality"]["rejected_rows"] = result["data_quality"]["rejected_rows"][:5]
    assert capped == render(result)  # same canonical bytes otherwise: counts and rejects_by_reason stay whole
    assert travelled["data_quality"]["rows_rejected"] == 7 and travelled["data_quality"]["rejects_by_reason"] == {
        "bad_value:ndc": 7}
    assert REJECTED_ROWS_IN_MESSAGE == 1000


def test_pages_walk_every_reject_once_in_row_order():
    every = rejects([2, 3, 5, 8, 13, 21, 34])
    seen, after = [], 0
    while True:
        page = page_of(every, WHOLE, 3, after)
        seen += page.rejects
        if not page.next_page_token:
            break
        after = row_after(page.next_page_token, WHOLE)
    assert seen == every


def test_page_sizes_default_cap_and_refuse_negatives():
    every = rejects(range(1, 12_001))
    assert len(page_of(every, WHOLE, 0, 0).rejects) == 1000
    assert len(page_of(every, WHOLE, 50_000, 0).rejects) == MAX_PAGE_SIZE
    assert page_of(every, WHOLE, 12_000, 0).next_page_token != ""  # served as 10000: more remain
    assert page_of(rejects([]), WHOLE, 0, 0).next_page_token == ""
    with pytest.raises(InputError) as refused:
        page_of(every, WHOLE, -1, 0)
    assert refused.value.code == "bad_input:page_size"


@pytest.mark.parametrize("token", ["garbage!", "bm90IGpzb24=", "WzEsMiwzXQ==", "W10="])
def test_a_token_that_is_not_a_token_is_refused(token):
    with pytest.raises(InputError) as refused:
        row_after(token, WHOLE)
    assert refused.value.code == "bad_input:page_token"


@pytest.mark.parametrize("other", [Listing("run_2", True), Listing("run_1", False)])
def test_a_token_of_another_listing_is_refused(other):
    token = page_of(rejects([1, 2, 3]), WHOLE, 1, 0).next_page_token
    assert row_after(token, WHOLE) == 1
    with pytest.raises(InputError):
        row_after(token, other)
