"""What a grant allows, as the kernel decides it: built as plain values, no key or token (those are runtime's)."""
from datetime import UTC, datetime

import pytest

from kernel.grants import Area, Grant
from kernel.identity import CallerIdentity, OperatorRequired, operator_of
from kernel.scope import Scope

AT = datetime(2026, 3, 1, tzinfo=UTC)
EXACT = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", None, ("G1", "G2"))


def grant(scope: Scope | None, *areas: Area) -> Grant:
    return Grant(scope, areas, "user:a@leaf.example", AT, AT, "k1")


def test_a_read_grant_covers_its_areas_and_narrowed_groups_only():
    read = grant(None, Area("C001"), Area("C002", ("G1",)))
    assert read.covers_scope(EXACT)  # C001: every group
    assert read.covers_scope(Scope.parse("C002", "PBM_B", "2024-01-01", "2024-01-31", None, ("G1",)))
    assert not read.covers_scope(Scope.parse("C002", "PBM_B", "2024-01-01", "2024-01-31"))  # C002 as a whole
    assert not read.covers_scope(Scope.parse("C003", "PBM_A", "2025-01-01", "2025-12-31"))
    assert read.covers_client("C002") and not read.covers_client("C003")
    assert read.scope_hash is None


def test_an_exact_grant_covers_a_scope_inside_it_and_nothing_wider():
    exact = grant(EXACT, Area("C001", ("G1", "G2")))
    assert exact.covers_scope(Scope.parse("C001", "PBM_A", "2025-03-01", "2025-03-31", None, ("G2",)))
    assert not exact.covers_scope(Scope.parse("C001", "PBM_A", "2025-03-01", "2026-01-01", None, ("G2",)))
    assert not exact.covers_scope(Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31"))  # all groups
    assert exact.covers("C001", "G1", "2025-06-30") and not exact.covers("C001", "G3")
    assert exact.scope_hash == EXACT.scope_hash


def test_only_an_operator_identity_names_an_operator():
    ops = CallerIdentity("user:ops@leaf.example", ("group:ops",), True, AT, AT, "k1")
    assert operator_of(ops) == "user:ops@leaf.example"
    assert ops.principals == ("user:ops@leaf.example", "group:ops")
    with pytest.raises(OperatorRequired):
        operator_of(CallerIdentity("user:a@leaf.example", (), False, AT, AT, "k1"))
