"""A process's scope: checked when the process is defined, carried through its JSON, and the rule of who reads its
parity (a grant covering the scope; operators only for a process with none)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kernel.errors import InputError
from kernel.grants import Area, Grant
from kernel.scope import Scope
from services.takeover.domain.processes import Process, may_read_parity, process_scope

SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-01-31",
         "group_ids": "C001-G01, C001-G02"}
NOW = datetime(2026, 11, 2, tzinfo=UTC)


def read(*areas: Area) -> Grant:
    return Grant(None, areas, "user:a@leaf.example", NOW, NOW, "k1")


def exact(scope: Scope) -> Grant:
    return Grant(scope, (Area(scope.client_id, scope.group_ids),), "user:a@leaf.example", NOW, NOW, "k1")


def test_the_scope_is_kept_through_json_and_absent_when_empty() -> None:
    process = Process("gdr", "GDR", "user:o@leaf.example", ("CARD-105",), scope=SCOPE)
    assert process.as_json()["scope"] == SCOPE and Process.from_json(process.as_json()) == process
    assert "scope" not in Process("gdr", "GDR", "user:o@leaf.example").as_json()
    assert process_scope(SCOPE) == Scope.parse("C001", "PBM_A", "2025-01-01", "2025-01-31", None,
                                               ("C001-G01", "C001-G02"))


@pytest.mark.parametrize("scope, code", [
    ({**SCOPE, "client": "C001"}, "bad_input:scope"),                 # a field no scope has
    ({k: v for k, v in SCOPE.items() if k != "pbm_id"}, "bad_input:scope"),
    ({**SCOPE, "date_to": "2024-12-31"}, "bad_input:scope"),          # ends before it starts
    ({**SCOPE, "date_from": "01/01/2025"}, "bad_input:date_from"),
])
def test_a_bad_scope_is_refused_when_defined(scope, code) -> None:
    with pytest.raises(InputError) as err:
        Process("gdr", "GDR", "user:o@leaf.example", scope=scope)
    assert err.value.code == code


def test_who_reads_a_process_parity() -> None:
    scoped = Process("gdr", "GDR", "user:o@leaf.example", scope=SCOPE)
    assert may_read_parity(scoped, read(Area("C001")), operator=False)
    assert may_read_parity(scoped, read(Area("C001", ("C001-G01", "C001-G02", "C001-G03"))), operator=False)
    assert not may_read_parity(scoped, read(Area("C001", ("C001-G01",))), operator=False)  # one group of two
    assert not may_read_parity(scoped, read(Area("C002")), operator=True)  # an operator needs the grant too
    assert may_read_parity(scoped, exact(process_scope(SCOPE)), operator=False)
    narrower = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-01-15", None, ("C001-G01", "C001-G02"))
    assert not may_read_parity(scoped, exact(narrower), operator=False)
    unscoped = Process("legacy", "Legacy", "user:o@leaf.example")
    for process in (unscoped, None):  # no scope, or no such process: operators only
        assert may_read_parity(process, read(Area("C001")), operator=True)
        assert not may_read_parity(process, read(Area("C001")), operator=False)
