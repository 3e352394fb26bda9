"""What a Domo publish wants, decided without a network: datasets, their schema and rows, and PDP policies.

Design (one shared dataset per dashboard table, isolated by PDP):
- Each dashboard table is one Domo dataset named `leaf_<table>`, shared by every client. Its content is
  the latest published run of every scope: publishing a run replaces the rows of its scope_hash and keeps
  every other scope's rows, so republishing the same run yields the same bytes (idempotent) and two
  clients never overwrite each other. Rows are ordered by (client_id, scope_hash), stable inside a scope.
- Column types come from the column's role, never from one run's values, so a schema never flips when a
  measure happens to be all suppressed: DATE for the scope window, STRING for words, labels and flags, LONG
  for counts (members, claims, *_claims, formula_version), DECIMAL for every other measure. A value that does
  not fit its type stops the plan instead of being published mistyped. Domo has no boolean type: a flag is
  the STRING `true`/`false`, as the dashboard CSV writes it; rows an older publisher wrote as `True`/`False`
  are rewritten so when their dataset is next published.
- PDP: one policy per principal (Domo group name, or user email when it holds an '@'), named
  `leaf:<principal>`, filtering client_id to every client the principal is entitled to as a whole. An
  entitlement narrowed to groups gets its own policy `leaf:<principal>:<client>`, filtering client_id and
  the group_ids column to the scopes present whose groups all lie inside the entitlement (client-wide rows
  cover other groups, so they stay hidden). Domo shows a user the union of its policies' rows; a principal
  with no policy sees nothing. Policies named `leaf:` are the backend's; any other policy is never touched.
- Where isolation must be hard (LEAF_DOMO_DATASETS=per_client), each client gets its own datasets,
  `leaf_<client>_<table>`, holding only its rows, with policies only for the principals entitled to it:
  a mistaken policy can then never show one client's rows to another.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from kernel.errors import InputError, Refused
from services.publisher.domain.dashboard_table import BOOLEAN_COLUMNS, TEXT_COLUMNS, Table, cell_text

DATASET_PREFIX = "leaf_"
POLICY_PREFIX = "leaf:"
DESCRIPTION = "Published by the LeafEnterprise publisher; rows of the latest published run per scope."
DATE_COLUMNS = frozenset(("date_from", "date_to"))
STRING_COLUMNS = frozenset((*TEXT_COLUMNS, *BOOLEAN_COLUMNS, "suppression_reason"))
LEGACY_BOOLEANS = {"True": "true", "False": "false"}
LONG_NAMES = frozenset(("members", "claims", "formula_version"))
SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DATE_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Entitlement = tuple[str, str, "tuple[str, ...] | None"]   # (principal, client_id, group_ids or None for all)


@dataclass(frozen=True)
class Column:
    name: str
    type: str   # Domo's column types: STRING, LONG, DECIMAL, DATE


@dataclass(frozen=True)
class DatasetPlan:
    name: str
    schema: tuple[Column, ...]
    rows: tuple[dict[str, str], ...]          # this run's rows, rendered as CSV text
    scope_hashes: frozenset[str]
    client_id: str | None = None              # set for a per-client dataset: only this client's rows, ever

    def entitlements(self, entitlements: Iterable[Entitlement]) -> list[Entitlement]:
        """The entitlements whose policies belong on this dataset (a per-client dataset: that client's only)."""
        return [e for e in entitlements if self.client_id is None or e[1] == self.client_id]


@dataclass(frozen=True)
class Policy:
    name: str
    principal: str
    filters: tuple[tuple[str, tuple[str, ...]], ...]   # (column, values): column EQUALS any of values

    def filter_json(self) -> list[dict]:
        return [{"column": c, "values": list(v), "operator": "EQUALS", "not": False} for c, v in self.filters]


@dataclass(frozen=True)
class DatasetSummary:
    name: str
    dataset_id: str
    created: bool
    rows: int
    upload: str                                # "none" | "import" | "stream" | "file"
    policies_created: tuple[str, ...] = ()
    policies_updated: tuple[str, ...] = ()
    policies_deleted: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublishSummary:
    run_id: str
    client_id: str
    target: str                                # "domo" | "outbox"
    datasets: tuple[DatasetSummary, ...]
    unresolved_principals: tuple[str, ...] = ()


class DomoTarget(Protocol):
    def publish(self, run_id: str, client_id: str, tables: list[Table], entitlements: Iterable[Entitlement],
                fence: Callable[[], None] = ...) -> PublishSummary:
        """`fence` raises when this publisher is no longer the single writer; called before each dataset."""


def plan_datasets(run_id: str, client_id: str, tables: list[Table], per_client: bool = False) -> tuple[DatasetPlan, ...]:
    """One dataset per table (per client and table when `per_client`); refuses a row of another run or client."""
    # A run's scope is every scope_hash its tables carry, so an empty table still clears that scope's old rows.
    scope_hashes = frozenset(str(r.get("scope_hash")) for t in tables for r in t.rows)
    plans = []
    for table in tables:
        if not SAFE_NAME.match(table.name):
            raise InputError("bad_input:table_name", f"table name {table.name!r} is not a safe dataset name")
        foreign = [r for r in table.rows if r.get("run_id") != run_id or r.get("client_id") != client_id]
        if foreign:
            raise Refused("cross_client_rows", f"table {table.name} holds rows outside run {run_id} / client {client_id}")
        schema = tuple(Column(c, column_type(c)) for c in table.columns)
        rows = tuple({col.name: render(row.get(col.name), col, table.name) for col in schema} for row in table.rows)
        if per_client:
            plans.append(DatasetPlan(f"{DATASET_PREFIX}{client_id}_{table.name}", schema, rows, scope_hashes,
                                     client_id))
        else:
            plans.append(DatasetPlan(DATASET_PREFIX + table.name, schema, rows, scope_hashes))
    return tuple(plans)


def column_type(name: str) -> str:
    if name in DATE_COLUMNS:
        return "DATE"
    if name in STRING_COLUMNS:
        return "STRING"
    if name in LONG_NAMES or name.endswith("_claims") or name.endswith("_count"):
        return "LONG"
    return "DECIMAL"


def render(value: object, column: Column, table: str) -> str:
    """The CSV text of one value, checked against the column's type."""
    text = cell_text(value)
    if value is None:
        return text
    ok = {"STRING": lambda: True, "DATE": lambda: bool(DATE_VALUE.match(text)),
          "LONG": lambda: isinstance(value, int) and not isinstance(value, bool), "DECIMAL": lambda: _decimal(value)}
    if not ok[column.type]():
        raise InputError(f"bad_input:{table}.{column.name}", f"{text!r} is not a {column.type} value")
    return text


def _decimal(value: object) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return Decimal(str(value)).is_finite()
    except InvalidOperation:
        return False


def merge(plan: DatasetPlan, current_schema: Iterable[Column], current_rows: Iterable[dict[str, str]]
          ) -> tuple[tuple[Column, ...], tuple[dict[str, str], ...]]:
    """The dataset after publishing: other scopes' rows kept, this run's scopes replaced, columns unioned."""
    planned = {c.name for c in plan.schema}
    schema = (*plan.schema, *(c for c in current_schema if c.name not in planned))
    kept = [_lower_booleans(r) for r in current_rows if r.get("scope_hash") not in plan.scope_hashes]
    rows = sorted([*kept, *plan.rows], key=lambda r: (r.get("client_id", ""), r.get("scope_hash", "")))
    return schema, tuple({c.name: r.get(c.name, "") for c in schema} for r in rows)


def _lower_booleans(row: dict[str, str]) -> dict[str, str]:
    return {k: LEGACY_BOOLEANS.get(v, v) if k in BOOLEAN_COLUMNS else v for k, v in row.items()}


def to_csv_text(schema: Iterable[Column], rows: Iterable[dict[str, str]], header: bool) -> bytes:
    """RFC 4180 CSV in schema order; Domo's imports take no header row, the outbox's file keeps one."""
    names = [c.name for c in schema]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(names)
    writer.writerows([r.get(n, "") for n in names] for r in rows)
    return out.getvalue().encode("utf-8")


def parse_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV with a header row (Domo's export with includeHeader, the outbox file) as column names and rows."""
    lines = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    if not lines:
        return [], []
    return lines[0], [dict(zip(lines[0], line)) for line in lines[1:]]


def plan_policies(entitlements: Iterable[Entitlement], rows: Iterable[dict[str, str]]) -> tuple[Policy, ...]:
    """The backend's policies for one dataset's rows: whole-client entitlements, then narrowed ones."""
    whole: dict[str, set[str]] = {}
    narrowed: dict[tuple[str, str], set[str]] = {}
    for principal, client, groups in entitlements:
        if not principal or ":" in principal:   # ':' separates principal and client in a policy name
            raise InputError("bad_input:principal", f"principal {principal!r} is empty or holds ':'")
        if groups:
            narrowed.setdefault((principal, client), set()).update(groups)
        else:
            whole.setdefault(principal, set()).add(client)
    policies = [Policy(POLICY_PREFIX + p, p, (("client_id", tuple(sorted(c))),)) for p, c in sorted(whole.items())]
    scopes = {(r.get("client_id", ""), r.get("group_ids", "")) for r in rows}
    for (principal, client), allowed in sorted(narrowed.items()):
        if client in whole.get(principal, set()):
            continue   # the whole-client policy already shows every group of this client
        visible = sorted(g for c, g in scopes if c == client and g and set(g.split(";")) <= allowed)
        if visible:    # no visible scope: no policy, so the principal sees nothing of this client
            policies.append(Policy(f"{POLICY_PREFIX}{principal}:{client}", principal,
                                   (("client_id", (client,)), ("group_ids", tuple(visible)))))
    return tuple(policies)
