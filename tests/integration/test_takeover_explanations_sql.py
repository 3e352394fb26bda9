"""Explanations in the takeover database (SQLite and PostgreSQL): proposals and approvals kept in order, the
latest state of each (card, reason code) read back, UPDATE / DELETE refused by the database itself, and two
operators approving one proposal at once recorded once (the unique proposal_id of migration 0004)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from kernel.errors import Conflict, NotFound, Refused
from services.takeover.adapters.explanations_sql import SqlExplanations, takeover_parity_explanations
from services.takeover.adapters.plane import open_takeover_db
from services.takeover.domain.parity import approve
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


def test_two_approvals_of_one_proposal_one_is_recorded(db_url) -> None:
    """Both operators read the proposal pending (held at a barrier until both have read), then both approve at
    once: the database keeps one approval, the other is `already_approved` and writes nothing."""
    engine = open_takeover_db(db_url)
    try:
        explanations = SqlExplanations(engine)
        propose_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "sums reversals", "op:a")
        both_read = threading.Barrier(2, timeout=30)

        class ReadTogether:
            def all(self, process: str):
                history = explanations.all(process)
                both_read.wait()
                return history

            def append(self, process: str, explanation) -> None:
                explanations.append(process, explanation)

        outcomes: list[str] = []

        def approve_as(operator: str) -> None:
            try:
                approve_explanation(ReadTogether(), "gdr", "CARD-102", "domo_includes_reversals", operator, "t1")
                outcomes.append("approved")
            except Conflict as err:
                outcomes.append(err.code)

        threads = [threading.Thread(target=approve_as, args=(op,)) for op in ("op:b", "op:c")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["already_approved", "approved"]
        approvals = [e for e in explanations.all("gdr") if e.approved_by]
        assert len(approvals) == 1 and approvals[0].approved_by in ("op:b", "op:c")
        with pytest.raises(Conflict, match="already_approved"):  # and later, as before, by the domain
            approve_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "op:d", "t2")
    finally:
        engine.dispose()


def test_an_approval_of_a_proposal_superseded_meanwhile_is_refused(db_url) -> None:
    """The approver was shown one proposal; another was proposed for the same card and code before the approval
    landed: the approval is refused (`proposal_changed`), not recorded against a note nobody approved."""
    engine = open_takeover_db(db_url)
    try:
        explanations = SqlExplanations(engine)
        shown = propose_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "first", "op:a")
        propose_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "second", "op:a")
        with pytest.raises(Conflict, match="proposal_changed"):
            explanations.append("gdr", approve(shown, "op:b", "t1"))
        assert [e.note for e in explanations.all("gdr")] == ["first", "second"]
        approve_explanation(explanations, "gdr", "CARD-102", "domo_includes_reversals", "op:b", "t1")
        assert [(e.note, e.approved_by) for e in explanations.all("gdr")][-1] == ("second", "op:b")
    finally:
        engine.dispose()
