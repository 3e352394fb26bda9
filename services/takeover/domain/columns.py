"""Silver columns: Domo's column names made snake_case, Domo's types mapped to exact SQL types."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

DOMO_TYPES = ("STRING", "LONG", "DOUBLE", "DECIMAL", "DATE", "DATETIME")
_SQL = {"STRING": "VARCHAR", "LONG": "BIGINT", "DOUBLE": "DOUBLE", "DATE": "DATE", "DATETIME": "TIMESTAMP"}
MAX_PRECISION = 38
LINEAGE = ("_bronze_sha256", "_bronze_row")


def sql_type(domo_type: str, scale: int = 0) -> str:
    """DECIMAL stays decimal: DECIMAL(38, scale), the scale chosen from the data (docs/takeover.md)."""
    if domo_type == "DECIMAL":
        return f"DECIMAL({MAX_PRECISION},{scale})"
    return _SQL[domo_type]


def snake(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") or "column"
    return f"c_{text}" if text[0].isdigit() else text


def silver_names(names: Sequence[str]) -> list[str]:
    """Snake-case names, unique: a clash (or a lineage name) gets `_2`, `_3`, … in column order."""
    taken: set[str] = set(LINEAGE)
    out = []
    for name in names:
        base = candidate = snake(name)
        n = 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        out.append(candidate)
    return out


@dataclass(frozen=True)
class SilverColumn:
    name: str        # the original Domo name
    silver: str      # the Parquet column
    domo_type: str
    type: str        # the SQL type in silver

    def as_json(self) -> dict:
        return {"name": self.name, "silver": self.silver, "domo_type": self.domo_type, "type": self.type}
