"""Cards and Beast Modes as the export holds them (cards.json, beastmodes.json: Domo's own API shapes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.takeover.domain.beast_modes.filters import CardFilter


@dataclass(frozen=True)
class Card:
    card_id: str
    title: str
    dataset_id: str
    beast_mode_ids: tuple[str, ...]
    aggregation: str | None
    filters: tuple[CardFilter, ...]
    recorded_value: str | None
    recorded_at: str | None

    @classmethod
    def from_json(cls, data: Mapping) -> Card:
        recorded = data.get("recorded_value")
        return cls(
            card_id=str(data.get("card_id", "")),
            title=str(data.get("title", "")),
            dataset_id=str(data.get("dataset_id", "")),
            beast_mode_ids=tuple(str(i) for i in data.get("beast_mode_ids") or []),
            aggregation=data.get("aggregation"),
            filters=tuple(CardFilter.from_json(f) for f in data.get("filters") or []),
            recorded_value=None if recorded is None else str(recorded),
            recorded_at=data.get("recorded_at"),
        )


@dataclass(frozen=True)
class BeastMode:
    id: str
    legacy_id: str | None
    name: str
    expression: str
    dataset_id: str | None  # from its DATA_SOURCE link

    @classmethod
    def from_json(cls, data: Mapping) -> BeastMode:
        sources = [
            str(link.get("resource", {}).get("id"))
            for link in data.get("links") or []
            if link.get("resource", {}).get("type") == "DATA_SOURCE"
        ]
        legacy = data.get("legacyId")
        return cls(str(data.get("id", "")), None if legacy is None else str(legacy), str(data.get("name", "")),
                   str(data.get("expression", "")), sources[0] if sources else None)


def index_beast_modes(beast_modes: Iterable[BeastMode]) -> dict[str, BeastMode]:
    """Cards refer to a Beast Mode by id or by legacyId: both keys lead to it."""
    index: dict[str, BeastMode] = {}
    for beast_mode in beast_modes:
        index[beast_mode.id] = beast_mode
        if beast_mode.legacy_id:
            index.setdefault(beast_mode.legacy_id, beast_mode)
    return index
