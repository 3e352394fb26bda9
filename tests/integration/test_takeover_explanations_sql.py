"""Explanations in the takeover database (SQLite and PostgreSQL): proposals and approvals kept in order, the
latest state of each (card, reason code) read back, and UPDATE / DELETE refused by the database itself."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from runtime.errors import Conflict, NotFound, Refused
from services.takeover.adapters.explanations_sql import SqlExplanations, takeover_parity_explanations
from services.takeover.adapters.plane import open_takeover_db
from services.takeover.service_layer.parity import approve_explanation, propose_explanation


def test_explanations_are_kept_append_only(db_url) -> None:
    engine = open_takeover_db(db_url)
    try:
        explanations = SqlExplanations(engine)
        propose_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "sums reversals", "op:a")
        propose_explanation(explanations, "awp", "CARD-104", "domo_stale_value", "", "op:a")
        with pytest.raises(Refused):
            approve_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "op:a", "t1")
        with pytest.raises(NotFound):
            approve_explanation(explanations, "gdr", "CARD-104", "domo_stale_value", "op:b", "t1")
        approve_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "op:b", "t1")
        with pytest.raises(Conflict):
            approve_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "op:c", "t2")
        kept = explanations.all("gdr")
        assert [(e.card_id, e.note, e.proposed_by, e.approved_by, e.approved_at) for e in kept] == [
            ("CARD-102", "sums reversals", "op:a", None, None), ("CARD-102", "sums reversals", "op:a", "op:b", "t1")]
        assert [e.card_id for e in explanations.all("awp")] == ["CARD-104"]
        t = takeover_parity_explanations
        for statement in (update(t).values(approved_by="op:z"), delete(t)):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as db:
                db.execute(statement)
        assert explanations.all("gdr") == kept
    finally:
        engine.dispose()
