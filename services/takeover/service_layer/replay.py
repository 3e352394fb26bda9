"""Replay (issue #13 item 4): each card's first Beast Mode and filters re-run on the load's silver dataset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from kernel.errors import NotFound
from services.takeover.domain.beast_modes.card import card_query
from services.takeover.domain.beast_modes.objects import BeastMode, Card, index_beast_modes
from services.takeover.domain.beast_modes.render import UNTRANSLATABLE, compare, render
from services.takeover.domain.beast_modes.translate import Column, translate


class EvaluationError(Exception):
    """The engine refused a translated query (a type error Domo would have shown on the card, say)."""


class ExportObjects(Protocol):
    """The cards and Beast Modes of a promoted load, as the export held them."""

    def cards(self, load_id: str) -> list[Card] | None:
        """None when no promoted load has this id."""

    def beast_modes(self, load_id: str) -> list[BeastMode]: ...


class SilverDatasets(Protocol):
    """The load's silver datasets: their column maps, and a query run with `silver` bound to one of them."""

    def columns(self, load_id: str, dataset_id: str) -> Mapping[str, Column] | None:
        """Original Domo name → silver column; None when the load has no such dataset."""

    def value(self, load_id: str, dataset_id: str, sql: str) -> object:
        """The single value the query selects; EvaluationError when the engine refuses it."""


def replay(load_id: str, exports: ExportObjects, silver: SilverDatasets, card_id: str | None = None) -> list[dict]:
    """One entry per card (or the one card asked for), in the export's order."""
    cards = exports.cards(load_id)
    if cards is None:
        raise NotFound("load_not_found", f"no promoted load {load_id}")
    if card_id is not None:
        cards = [card for card in cards if card.card_id == card_id]
        if not cards:
            raise NotFound("card_not_found", f"load {load_id} has no card {card_id}")
    beast_modes = index_beast_modes(exports.beast_modes(load_id))
    return [replay_card(load_id, card, beast_modes, silver) for card in cards]


def replay_card(load_id: str, card: Card, beast_modes: Mapping[str, BeastMode], silver: SilverDatasets) -> dict:
    entry = {"card_id": card.card_id, "beast_mode_ids": list(card.beast_mode_ids), "sql": None,
             "replayed_value": None, "recorded_value": card.recorded_value, "status": UNTRANSLATABLE,
             "reason": None, "flags": []}
    if not card.beast_mode_ids:
        return {**entry, "reason": "card_without_beast_mode"}
    beast_mode = beast_modes.get(card.beast_mode_ids[0])
    if beast_mode is None:
        return {**entry, "reason": f"unknown_beast_mode: {card.beast_mode_ids[0]}"}
    columns = silver.columns(load_id, card.dataset_id)
    if columns is None:
        return {**entry, "reason": f"dataset_not_in_load: {card.dataset_id}"}
    translation = translate(beast_mode.expression, columns)
    query = card_query(translation, card.aggregation, card.filters, columns)
    entry["flags"] = list(query.flags)
    if query.sql is None:
        return {**entry, "reason": query.reason}
    try:
        value = render(silver.value(load_id, card.dataset_id, query.sql))
    except EvaluationError as error:
        return {**entry, "sql": query.sql, "reason": f"evaluation_failed: {error}"}
    return {**entry, "sql": query.sql, "replayed_value": value, "status": compare(value, card.recorded_value)}
