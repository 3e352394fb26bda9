"""The promotion guardrails' reason codes (takeover.md section 3), spelled exactly as the spec spells them."""
from __future__ import annotations

from collections.abc import Iterable

MANIFEST_MISSING = "manifest_missing"
MANIFEST_INVALID = "manifest_invalid"
MANIFEST_INCOMPLETE = "manifest_incomplete"
LOAD_ID_MISSING = "load_id_missing"
DATASET_ID_MISSING = "dataset_id_missing"
DUPLICATE_LOAD_ID = "duplicate_load_id"
FILE_MISSING = "file_missing"
UNLISTED_FILE = "unlisted_file"
HASH_MISMATCH = "hash_mismatch"
ROW_COUNT_MISMATCH = "row_count_mismatch"
SCHEMA_INVALID = "schema_invalid"
SCHEMA_DRIFT = "schema_drift"
BEAST_MODE_UNPARSEABLE = "beast_mode_unparseable"
BEAST_MODE_UNKNOWN_COLUMN = "beast_mode_unknown_column"

# The order of the spec's table: reasons are reported in it, then by their argument (a path or an id).
ORDER = (MANIFEST_MISSING, MANIFEST_INVALID, MANIFEST_INCOMPLETE, LOAD_ID_MISSING, DATASET_ID_MISSING,
         DUPLICATE_LOAD_ID, FILE_MISSING, UNLISTED_FILE, HASH_MISMATCH, ROW_COUNT_MISMATCH, SCHEMA_INVALID,
         SCHEMA_DRIFT, BEAST_MODE_UNPARSEABLE, BEAST_MODE_UNKNOWN_COLUMN)


def reason(code: str, argument: str | None = None) -> str:
    if code not in ORDER:
        raise ValueError(f"not a reason code of takeover.md: {code}")
    return code if argument is None else f"{code}:{argument}"


def _key(text: str) -> tuple[int, str]:
    code, _, argument = text.partition(":")
    return ORDER.index(code), argument


def sorted_reasons(reasons: Iterable[str]) -> list[str]:
    """Every reason once, in the spec's order then by argument: the same export always reports the same list."""
    return sorted(set(reasons), key=_key)
