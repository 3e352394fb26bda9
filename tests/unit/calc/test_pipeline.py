"""Pipeline steps 2–3 and data_quality: scope filter, netting, orphans, suspect_channel, rejected_in_scope."""
import dataclasses

import pytest

from services.calc.domain.calculate import calculate

from .builders import batch, contract, formula, reversal, row, run, scope


def quality(rows, **kwargs):
    return run(rows, **kwargs)["data_quality"]


def test_valid_rows_outside_the_scope_count_as_rows_out_of_scope():
    rows = [row("C1"), row("C2", client_id="C002"), row("C3", pbm_id="PBM_B"), row("C4", fill_date="2026-01-01"),
            row("C5", tpa_id="TPA_2"), row("C6", group_id="GRP_2"), reversal("R1", "C2", client_id="C002")]
    got = quality(rows, run_scope=scope(tpa_id="TPA_1", group_ids=["GRP_1"]))
    assert got["rows_out_of_scope"] == 6 and got["rows_rejected"] == 0
    assert formula(run(rows), "generic_dispensing_rate")["claims"] == 3   # whole-client scope keeps C1, C5, C6


def test_the_scope_window_is_inclusive_on_fill_date():
    rows = [row("C1", fill_date="2025-01-01"), row("C2", fill_date="2025-12-31"), row("C3", fill_date="2024-12-31")]
    assert quality(rows)["rows_out_of_scope"] == 1


def test_a_reversal_removes_its_paid_claim_and_counts_a_pair():
    got = run([row("C1"), row("C2"), reversal("R1", "C1")])
    assert got["data_quality"]["reversed_pairs"] == 1 and got["data_quality"]["orphan_reversals"] == 0
    assert formula(got, "generic_dispensing_rate")["claims"] == 1


def test_a_reversal_nets_its_paid_claim_wherever_it_stands_in_the_file():
    got = run([reversal("R1", "C1"), row("C1")])
    assert (got["data_quality"]["reversed_pairs"], got["data_quality"]["orphan_reversals"]) == (1, 0)


def test_a_second_reversal_of_the_same_claim_is_an_orphan():
    got = run([row("C1"), reversal("R1", "C1"), reversal("R2", "C1")])["data_quality"]
    assert (got["reversed_pairs"], got["orphan_reversals"]) == (1, 1)


@pytest.mark.parametrize("rows", [
    [reversal("R1", "NOPE")],                                             # names nothing
    [row("C1", group_id="GRP_2"), reversal("R1", "C1")],                  # its PAID claim is out of scope
    [row("C1", ndc="1"), reversal("R1", "C1")],                           # its PAID claim was rejected
    [reversal("R0", "X"), reversal("R1", "R0")],                          # names a reversal, not a PAID claim
])
def test_any_other_reversal_is_an_orphan_and_is_dropped(rows):
    got = run(rows, run_scope=scope(group_ids=["GRP_1"]))
    assert got["data_quality"]["reversed_pairs"] == 0 and got["data_quality"]["orphan_reversals"] >= 1
    assert formula(got, "generic_dispensing_rate")["claims"] == 0


def test_an_out_of_scope_reversal_is_neither_a_pair_nor_an_orphan():
    got = quality([row("C1"), reversal("R1", "C1", fill_date="2026-01-01")])
    assert (got["reversed_pairs"], got["orphan_reversals"], got["rows_out_of_scope"]) == (0, 0, 1)


def test_suspect_channel_counts_netted_retail_30_claims_of_84_days_or_more():
    rows = [row("C1", days_supply="84"), row("C2", days_supply="83"), row("C3", days_supply="90", channel="MAIL"),
            row("C4", days_supply="90"), reversal("R1", "C4", days_supply="90")]
    got = run(rows)
    assert got["data_quality"]["suspect_channel"] == 1
    assert formula(got, "generic_dispensing_rate")["claims"] == 3      # reported, not changed


def test_rejects_by_reason_is_sorted_and_rejected_rows_in_row_order_over_the_whole_input():
    rows = [row("C1", ndc="1"), row("C2", client_id="C002", ndc="1"), row("C1"), row("C3", channel="X"), row("C1")]
    got = quality(rows)
    assert list(got["rejects_by_reason"].items()) == [
        ("bad_value:channel", 1), ("bad_value:ndc", 2), ("duplicate_claim_id", 1)]
    assert got["rejected_rows"] == [{"row": 1, "reason": "bad_value:ndc"}, {"row": 2, "reason": "bad_value:ndc"},
                                    {"row": 4, "reason": "bad_value:channel"},
                                    {"row": 5, "reason": "duplicate_claim_id"}]
    assert got["rows_read"] == 5 and got["rows_rejected"] == 4


@pytest.mark.parametrize(("bad", "counts"), [
    (row("X", ndc="1"), 1),                                       # in scope as written
    (row("X", ndc="1", client_id=""), 1),                         # an empty id shows nothing
    (row("X", ndc="1", client_id="C002"), 0),                     # another client's bad row
    (row("X", ndc="1", pbm_id="PBM_B"), 0),
    (row("X", ndc="1", fill_date="2026-01-01"), 0),               # a valid fill_date outside the window
    (row("X", fill_date="2026-02-30"), 1),                        # an invalid fill_date shows nothing
    (row("X", ndc="1", tpa_id="TPA_2"), 1),                       # the scope is not narrowed by TPA
    (row("X", ndc="1", group_id="GRP_2"), 1),
])
def test_a_rejected_row_counts_against_the_scope_unless_it_shows_it_belongs_elsewhere(bad, counts):
    assert quality([row("C1"), bad])["rejected_in_scope"] == counts


@pytest.mark.parametrize(("changes", "counts"), [
    ({"tpa_id": "TPA_2"}, 0), ({"group_id": "GRP_2"}, 0), ({"tpa_id": ""}, 1), ({"group_id": ""}, 1), ({}, 1),
])
def test_a_partial_scope_also_excludes_rejects_outside_its_tpa_or_groups(changes, counts):
    bad = row("X", ndc="1", **changes)
    assert quality([bad], run_scope=scope(tpa_id="TPA_1", group_ids=["GRP_1"]))["rejected_in_scope"] == counts


def test_a_misshapen_row_always_counts_against_the_scope():
    data = batch([row("C1")])
    data.rejects.append(dataclasses.replace(batch([row("C9", ndc="1")]).rejects[0], row=2, reason="bad_row_shape",
                                            shape_ok=False, client_id="C002"))
    assert calculate(data, scope(), contract())["data_quality"]["rejected_in_scope"] == 1


def test_a_duplicate_counts_against_the_scope_it_lies_in():
    assert quality([row("C1"), row("C1")])["rejected_in_scope"] == 1
    assert quality([row("C1", client_id="C002"), row("C1", client_id="C002")])["rejected_in_scope"] == 0


def test_a_store_superset_batch_still_gets_the_scope_filter_and_valid_count_for_rows_out_of_scope():
    full = batch([row("C1"), row("C2", group_id="GRP_2"), row("C3", client_id="C002")])
    superset = dataclasses.replace(full, claims=full.claims[:2])          # pre-filtered by client in SQL
    got = calculate(superset, scope(group_ids=["GRP_1"]), contract())
    assert got == calculate(full, scope(group_ids=["GRP_1"]), contract())
    assert got["data_quality"]["rows_out_of_scope"] == 2
