"""The canonical scope and scope_hash of calculations.md 1.5."""
import hashlib

import pytest

from kernel.errors import InputError
from kernel.scope import Scope


def test_canonical_json_is_sorted_compact_and_hashed():
    scope = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
    expected = (b'{"client_id":"C001","date_from":"2025-01-01","date_to":"2025-12-31","group_ids":[],'
                b'"pbm_id":"PBM_A","tpa_id":null}')
    assert scope.canonical_json() == expected
    assert scope.scope_hash == hashlib.sha256(expected).hexdigest()
    assert not scope.is_partial


def test_groups_are_sorted_and_deduplicated_so_spellings_hash_alike():
    one = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", group_ids=("G2", "G1", "G2"))
    other = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", group_ids=("G1", "G2"))
    assert one.canonical()["group_ids"] == ["G1", "G2"]
    assert one.scope_hash == other.scope_hash
    assert one.is_partial


def test_non_ascii_is_raw_utf8():
    scope = Scope.parse("Clínica", "PBM_A", "2025-01-01", "2025-01-31", tpa_id="T")
    assert "Clínica".encode() in scope.canonical_json()
    assert scope.is_partial


@pytest.mark.parametrize("args", [
    ("", "PBM_A", "2025-01-01", "2025-12-31"),
    ("C001", "", "2025-01-01", "2025-12-31"),
    ("C001", "PBM_A", "2025-12-31", "2025-01-01"),
])
def test_invalid_scope_is_bad_input_scope(args):
    with pytest.raises(InputError) as err:
        Scope.parse(*args)
    assert err.value.code == "bad_input:scope"


@pytest.mark.parametrize("date_from, date_to, field, says", [
    ("2025-13-01", "2025-12-31", "date_from", "2025-13-01 is not a calendar day"),
    ("2025-02-29", "2025-12-31", "date_from", "2025-02-29 is not a calendar day"),
    ("2025-1-1", "2025-12-31", "date_from", "must be a day written YYYY-MM-DD"),
    ("2025-W01-1", "2025-12-31", "date_from", "must be a day written YYYY-MM-DD"),  # ISO, but not our wire form
    ("20250101", "2025-12-31", "date_from", "must be a day written YYYY-MM-DD"),
    ("0001-01-01", "9999-12-31", "date_from", "0001-01-01 is outside the days a window may cover"),
    ("2025-01-01", "9999-12-31", "date_to", "9999-12-31 is outside the days a window may cover"),
    ("1900-02-28", "2025-12-31", "date_from", "(1900-03-01 to 2199-12-31)"),
    ("2025-01-01", "2200-01-01", "date_to", "(1900-03-01 to 2199-12-31)"),
    ("2025-01-01", "", "date_to", "must be a day written YYYY-MM-DD"),
])
def test_a_malformed_or_far_fetched_day_is_bad_input_naming_its_field(date_from, date_to, field, says):
    with pytest.raises(InputError) as err:
        Scope.parse("C001", "PBM_A", date_from, date_to)
    assert err.value.code == f"bad_input:{field}"
    assert err.value.message.startswith(field) and says in err.value.message


def test_the_widest_window_is_a_scope():
    scope = Scope.parse("C001", "PBM_A", "1900-03-01", "2199-12-31")
    assert (scope.date_from.isoformat(), scope.date_to.isoformat()) == ("1900-03-01", "2199-12-31")


def test_empty_group_id_is_invalid():
    with pytest.raises(InputError):
        Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", group_ids=("",))
