"""The canonical scope and scope_hash of calculations.md 1.5."""
import hashlib

import pytest

from runtime.errors import InputError
from runtime.scope import Scope


def test_canonical_json_is_sorted_compact_and_hashed():
    scope = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
    expected = b'{"client_id":"C001","date_from":"2025-01-01","date_to":"2025-12-31","group_ids":[],"pbm_id":"PBM_A","tpa_id":null}'
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
    ("C001", "PBM_A", "2025-13-01", "2025-12-31"),
    ("C001", "PBM_A", "2025-1-1", "2025-12-31"),
    ("C001", "PBM_A", "2025-12-31", "2025-01-01"),
])
def test_invalid_scope_is_bad_input_scope(args):
    with pytest.raises(InputError) as err:
        Scope.parse(*args)
    assert err.value.code == "bad_input:scope"


def test_empty_group_id_is_invalid():
    with pytest.raises(InputError):
        Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", group_ids=("",))
