"""Domo Beast Modes: parsing, the promotion check, translation to DuckDB and the card value it replays."""

from services.takeover.domain.beast_modes.parse import check

__all__ = ["check"]
