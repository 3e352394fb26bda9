"""Scope resolution against the demo registry: exact, and every ambiguity state with its reasons."""
from datetime import date

import pytest

from demo import load_registry
from kernel.errors import InputError
from services.scope.domain.registry import covers, registry_from_document
from services.scope.domain.resolution import ResolveScope, State, resolve

REGISTRY = registry_from_document(load_registry())


def ask(client, pbm="", date_from="2025-01-01", date_to="2025-12-31", tpa=None, groups=()):
    return resolve(ResolveScope(client, pbm, date_from, date_to, tpa, tuple(groups)), REGISTRY)


def test_exact_scope_by_id():
    result = ask("C001", "PBM_A")
    assert result.state is State.EXACT
    assert result.scope.client_id == "C001" and result.scope.pbm_id == "PBM_A"
    assert not result.scope.is_partial


def test_pbm_may_be_omitted_when_only_one_covers_the_window():
    assert ask("C001").scope.pbm_id == "PBM_A"


def test_client_by_display_name_is_exact_when_unique():
    assert ask("acme manufacturing", "PBM_A").scope.client_id == "C001"


def test_two_clients_with_one_name_are_ambiguous_with_candidates():
    result = ask("Harbor Foods")
    assert result.state is State.AMBIGUOUS and result.reasons == ("ambiguous_client",)
    assert {client.client_id for client, _ in result.candidates} == {"C004", "C005"}


def test_a_pbm_switch_inside_the_window_is_ambiguous_without_a_pbm():
    result = ask("C003")
    assert result.state is State.AMBIGUOUS and result.reasons == ("ambiguous_pbm",)
    assert {plan.pbm_id for _, plan in result.candidates} == {"PBM_A", "PBM_B"}


def test_a_pbm_that_covers_only_part_of_the_window_is_out_of_coverage():
    result = ask("C003", "PBM_B")
    assert result.state is State.OUT_OF_COVERAGE and result.reasons == ("window_outside_plan",)
    assert ask("C003", "PBM_B", "2025-07-01", "2025-12-31").state is State.EXACT


def test_a_window_after_every_plan_is_out_of_coverage():
    assert ask("C001", "", "2027-01-01", "2027-03-31").reasons == ("no_plan_in_window",)


@pytest.mark.parametrize("kwargs, reason", [
    ({"client": "C999"}, "unknown_client"),
    ({"client": "C001", "pbm": "PBM_Z"}, "unknown_pbm"),
    ({"client": "C001", "tpa": "TPA_9"}, "unknown_tpa"),
    ({"client": "C001", "groups": ["NOPE"]}, "unknown_group"),
])
def test_unknown_ids(kwargs, reason):
    result = ask(**kwargs)
    assert result.state is State.UNKNOWN and reason in result.reasons


@pytest.mark.parametrize("kwargs, reason", [
    ({"client": "C001", "pbm": "PBM_C"}, "pbm_not_contracted_by_client"),
    ({"client": "C001", "tpa": "TPA_2"}, "tpa_not_serving_client"),
    ({"client": "C001", "pbm": "PBM_A", "groups": ["C002-G01"]}, "group_of_another_client"),
    ({"client": "C005", "pbm": "PBM_C", "tpa": "TPA_2", "groups": ["C005-G03"]}, "group_not_under_tpa"),
])
def test_conflicting_parts(kwargs, reason):
    result = ask(**kwargs)
    assert result.state is State.CONFLICTING and reason in result.reasons


def test_a_group_outside_its_validity_is_out_of_coverage():
    result = ask("C004", "PBM_B", groups=["C004-G03"])
    assert result.state is State.OUT_OF_COVERAGE and result.reasons == ("window_outside_group",)


def test_partial_scope_with_tpa_and_groups():
    result = ask("C005", "PBM_C", tpa="TPA_3", groups=["C005-G03"])
    assert result.state is State.EXACT and result.scope.is_partial
    assert result.scope.tpa_id == "TPA_3" and result.scope.group_ids == ("C005-G03",)


def test_malformed_window_is_an_input_error_not_a_state():
    with pytest.raises(InputError):
        ask("C001", "PBM_A", "2025-12-31", "2025-01-01")


@pytest.mark.parametrize("date_from, date_to, field", [
    ("0001-01-01", "9999-12-31", "date_from"),  # once an OverflowError in the coverage check
    ("2025-01-01", "9999-12-31", "date_to"),
    ("2025-02-30", "2025-12-31", "date_from"),
])
def test_a_window_outside_the_calendar_we_serve_is_bad_input_naming_the_day(date_from, date_to, field):
    with pytest.raises(InputError) as caught:
        ask("C001", "PBM_A", date_from, date_to)
    assert caught.value.code == f"bad_input:{field}"


def test_coverage_is_counted_to_the_ends_of_the_calendar_without_overflow():
    open_ended = [(date(2024, 1, 1), date.max)]
    assert covers(open_ended, date(2025, 1, 1), date.max)
    assert covers([(date.min, date(2025, 12, 31))], date.min, date(2025, 6, 30))
    assert not covers([(date.min, date(2024, 12, 31)), (date(2025, 1, 2), date.max)], date.min, date.max)
    assert covers([(date.min, date(2024, 12, 31)), (date(2025, 1, 1), date.max)], date.min, date.max)
