"""The data_quality block of calculations.md 5, and which rejected rows count against a scope (1.1)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from kernel.scope import Scope
from services.calc.domain.aggregates import ClaimsFacts
from services.calc.domain.claims import Reject


def shows_it_belongs_elsewhere(reject: Reject, scope: Scope) -> bool:
    """True only when the row, as written, proves it is outside the scope; anything else counts against it."""
    if not reject.shape_ok:
        return False
    return (
        _differs(reject.client_id, scope.client_id)
        or _differs(reject.pbm_id, scope.pbm_id)
        or (scope.tpa_id is not None and _differs(reject.tpa_id, scope.tpa_id))
        or (bool(scope.group_ids) and bool(reject.group_id) and reject.group_id not in scope.group_ids)
        or (reject.fill_date is not None and not scope.date_from <= reject.fill_date <= scope.date_to)
    )


def _differs(written: str | None, wanted: str) -> bool:
    return bool(written) and written != wanted


def rejected_in_scope(rejects: Iterable[Reject], scope: Scope) -> int:
    return sum(1 for r in rejects if not shows_it_belongs_elsewhere(r, scope))


def data_quality(facts: ClaimsFacts, scope: Scope) -> dict:
    """Counts for the analyst; rejects_by_reason is keyed in sorted reason order, rejected_rows in row order."""
    by_reason = Counter(r.reason for r in facts.rejects)
    return {
        "rows_read": facts.rows_read,
        "rows_rejected": len(facts.rejects),
        "rejected_in_scope": rejected_in_scope(facts.rejects, scope),
        "rejects_by_reason": {reason: by_reason[reason] for reason in sorted(by_reason)},
        "rejected_rows": [{"row": r.row, "reason": r.reason} for r in sorted(facts.rejects, key=_row)],
        "rows_out_of_scope": facts.rows_valid - facts.in_scope_rows,
        "reversed_pairs": facts.reversed_pairs,
        "orphan_reversals": facts.orphan_reversals,
        "suspect_channel": facts.suspect_channel,
    }


def _row(reject: Reject) -> int:
    return reject.row
