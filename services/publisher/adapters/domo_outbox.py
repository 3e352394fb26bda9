"""The embedded Domo target: LEAF_HOME/domo_outbox/<dataset>/ holding data.csv, schema.json and pdp.json.

It applies the same plan as the Domo adapter (shared datasets, latest run per scope, `leaf:` policies), so
what lands here is what Domo would hold. Each file is written through a temporary file and a rename, so a
reader never sees half a file, and only when its bytes change, so republishing a run touches nothing.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from services.publisher.domain.dashboard import Table
from services.publisher.domain.domo_plan import (
    DESCRIPTION,
    Column,
    DatasetPlan,
    DatasetSummary,
    Entitlement,
    PublishSummary,
    merge,
    parse_csv,
    plan_datasets,
    plan_policies,
    to_csv_text,
)


class DomoOutbox:
    """Publishes into a local folder laid out like the datasets Domo would hold."""

    def __init__(self, root: Path, per_client: bool = False) -> None:
        self.root = root
        self.per_client = per_client

    def publish(self, run_id: str, client_id: str, tables: list[Table], entitlements: Iterable[Entitlement],
                fence: Callable[[], None] = lambda: None) -> PublishSummary:
        entitlements = list(entitlements)
        plans = plan_datasets(run_id, client_id, tables, self.per_client)
        summaries = []
        for plan in plans:
            fence()  # as Domo's adapter: only the lease's holder reads, merges and writes a dataset
            summaries.append(self._publish_one(plan, entitlements))
        return PublishSummary(run_id, client_id, "outbox", tuple(summaries))

    def _publish_one(self, plan: DatasetPlan, entitlements: list[Entitlement]) -> DatasetSummary:
        folder = self.root / plan.name
        created = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        current_schema, current_rows = self._current(folder)
        schema, rows = merge(plan, current_schema, current_rows)
        policies = plan_policies(plan.entitlements(entitlements), rows)
        schema_json = {"name": plan.name, "description": DESCRIPTION,
                       "schema": {"columns": [{"type": c.type, "name": c.name} for c in schema]}}
        pdp_json = [{"name": p.name, "principal": p.principal, "filters": p.filter_json()} for p in policies]
        wrote = [write_if_changed(folder / "data.csv", to_csv_text(schema, rows, header=True)),
                 write_if_changed(folder / "schema.json", _json(schema_json)),
                 write_if_changed(folder / "pdp.json", _json(pdp_json))]
        return DatasetSummary(plan.name, str(folder.name), created, len(rows), "file" if any(wrote) else "none")

    @staticmethod
    def _current(folder: Path) -> tuple[list[Column], list[dict[str, str]]]:
        schema_file, data_file = folder / "schema.json", folder / "data.csv"
        if not schema_file.exists() or not data_file.exists():
            return [], []
        columns = json.loads(schema_file.read_text())["schema"]["columns"]
        return [Column(c["name"], c["type"]) for c in columns], parse_csv(data_file.read_bytes())[1]


def _json(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it already holds those bytes; True when it wrote."""
    if path.exists() and path.read_bytes() == data:
        return False
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True
