"""Fakes of the replay ports: cards and Beast Modes in memory, and a silver dataset made of in-test rows in DuckDB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb

from services.takeover.domain.beast_modes.card import SILVER_VIEW
from services.takeover.domain.beast_modes.objects import BeastMode, Card
from services.takeover.domain.beast_modes.translate import Column
from services.takeover.service_layer.replay import EvaluationError

SQL_TYPES = {"STRING": "VARCHAR", "LONG": "BIGINT", "DOUBLE": "DOUBLE", "DATE": "DATE", "DATETIME": "TIMESTAMP"}


class FakeExportObjects:
    def __init__(self, load_id: str, cards: Sequence[dict], beast_modes: Sequence[dict]) -> None:
        self.load_id = load_id
        self._cards = [Card.from_json(c) for c in cards]
        self._modes = [BeastMode.from_json(m) for m in beast_modes]

    def cards(self, load_id: str) -> list[Card] | None:
        return list(self._cards) if load_id == self.load_id else None

    def beast_modes(self, load_id: str) -> list[BeastMode]:
        return list(self._modes) if load_id == self.load_id else []


class RowsSilver:
    """One dataset: (Domo name, silver name, Domo type, scale) columns and rows of Python values, held by DuckDB."""

    def __init__(self, dataset_id: str, columns: Sequence[tuple[str, str, str, int]], rows: Sequence[Sequence]) -> None:
        self.dataset_id = dataset_id
        self.map = {name: Column(silver, domo_type) for name, silver, domo_type, _ in columns}
        self.con = duckdb.connect()
        ddl = ", ".join(f'"{silver}" {_sql_type(kind, scale)}' for _, silver, kind, scale in columns)
        self.con.execute(f"CREATE TABLE {SILVER_VIEW} ({ddl})")
        if rows:
            marks = ", ".join("?" for _ in columns)
            self.con.executemany(f"INSERT INTO {SILVER_VIEW} VALUES ({marks})", [list(r) for r in rows])
        self.queries: list[str] = []

    def columns(self, load_id: str, dataset_id: str) -> Mapping[str, Column] | None:
        return self.map if dataset_id == self.dataset_id else None

    def value(self, load_id: str, dataset_id: str, sql: str) -> object:
        self.queries.append(sql)
        try:
            rows = self.con.execute(sql).fetchall()
        except duckdb.Error as error:
            raise EvaluationError(str(error).splitlines()[0]) from error
        return rows[0][0] if rows else None


def _sql_type(domo_type: str, scale: int) -> str:
    return f"DECIMAL(38,{scale})" if domo_type == "DECIMAL" else SQL_TYPES[domo_type]
