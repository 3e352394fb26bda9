"""The narrative validator: the template's own text passes; one altered number, status or name never does."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from demo import load_registry
from services.publisher.domain.narrative_allowed import allowed
from services.publisher.domain.narrative_check import check_draft
from services.publisher.domain.narrative_facts import narrative_facts
from services.publisher.domain.narrative_scan import DATE, FIGURES, MONEY, NUMBER, PERCENT, STATUS, scan
from services.publisher.domain.narrative_template import template_text
from services.publisher.domain.report_format import count, money, percent
from tests.unit.publisher.narrative_runs import RUN_NAMES, narrative_runs

RUNS = RUN_NAMES
STATUS_WORDS = ("final", "modeled", "blocked")


def _case(name: str) -> tuple[dict, str]:
    result, names = narrative_runs()[name]
    facts = narrative_facts(result, names)
    return facts, template_text(facts)


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _altered_figure(kind: str, value, figures) -> str:
    """The nearest written figure of the same kind that the run does not have: one changed number."""
    step = {MONEY: Decimal("0.01"), PERCENT: Decimal("0.01"), NUMBER: Decimal(1)}
    while True:
        if kind == DATE:
            value = (date.fromisoformat(value) + timedelta(days=1)).isoformat()
        else:
            value += step[kind]
        if (kind, value) not in figures:
            break
    if kind == MONEY:
        return money(value)
    return value if kind == DATE else percent(value / 100) if kind == PERCENT else count(int(value))


@pytest.mark.parametrize("name", RUNS)
def test_the_templates_own_text_is_accepted(name):
    facts, text = _case(name)
    assert check_draft(text, facts) is None


@pytest.mark.parametrize("name", RUNS)
def test_every_single_altered_number_is_refused(name):
    facts, text = _case(name)
    figures = allowed(facts).figures
    tokens = [t for t in scan(text) if t.kind in FIGURES]
    assert {MONEY, NUMBER, DATE} <= {t.kind for t in tokens}
    for token in tokens:
        altered = _altered_figure(token.kind, token.value, figures)
        assert check_draft(_replace(text, token.start, token.end, altered), facts) == f"unknown_figure:{altered}", (
            token.text, altered)


@pytest.mark.parametrize("name", RUNS)
def test_every_single_altered_status_word_is_refused(name):
    facts, text = _case(name)
    statuses = [t for t in scan(text) if t.kind == STATUS]
    assert statuses
    counts = allowed(facts).audit_counts
    for token in statuses:
        for other in STATUS_WORDS:
            if other == token.value or _still_true(text, token, other, counts):
                continue
            reason = check_draft(_replace(text, token.start, token.end, other), facts)
            assert reason is not None and reason.split(":")[0] in ("wrong_status", "wrong_count"), (token.start, other)


def _still_true(text: str, token, other: str, counts: dict) -> bool:
    """ "0 of 4 final" altered to "0 of 4 blocked" is still true when no formula is blocked: not an error. """
    claim = re.search(r"(\d+) of \d+ $", text[:token.start])
    return claim is not None and counts[other] == int(claim.group(1))


def _name_alterations(facts: dict) -> list[tuple[str, str]]:
    """(name in the run, what it is changed to): another demo client or PBM, one word changed, a neighbouring id."""
    registry = load_registry()
    client, pbm = facts["client"], facts["pbm"]
    other_client = next(c for c in registry["clients"] if c["name"] != client["name"])
    other_pbm = next(p for p in registry["pbms"] if p["name"] != pbm["name"])
    changes = [(client["name"], other_client["name"]), (client["name"], client["name"].rsplit(" ", 1)[0] + " Holdings"),
               (pbm["name"], other_pbm["name"]), (client["id"], other_client["client_id"]),
               (pbm["id"], other_pbm["pbm_id"])]
    if facts["evidence"]["proposal_id"]:
        changes.append((facts["evidence"]["proposal_id"], facts["evidence"]["proposal_id"][:-1] + "9"))
    if facts["tpa"]:
        changes.append((facts["tpa"]["id"], "TPA_9"))
    changes += [(g["id"], g["id"][:-1] + "9") for g in facts["groups"]]
    return changes


@pytest.mark.parametrize("name", RUNS)
def test_every_single_altered_name_is_refused(name):
    facts, text = _case(name)
    changes = _name_alterations(facts)
    assert len(changes) >= 5
    for old, new in changes:
        at = text.index(old)
        reason = check_draft(_replace(text, at, at + len(old), new), facts)
        assert reason is not None and reason.startswith("unknown_name:"), (old, new, reason)


def test_a_figure_of_another_formula_is_refused_where_a_formula_is_named():
    facts, text = _case("c001_final")
    awp, fee = (f["figures"]["shortfall"] for f in facts["formulas"][:2])
    swapped = text.replace(f"shortfall {fee}", f"shortfall {awp}")
    assert check_draft(swapped, facts) == f"misattributed_figure:{awp}"
    owed = text.replace(f"plan: {facts['total_owed']['total']}", f"plan: {awp}")
    assert check_draft(owed, facts) == f"misattributed_figure:{awp}"


def test_counts_of_statuses_must_be_the_audits():
    facts, text = _case("c001_rebate_blocked")
    assert "3 of 4 final" in text
    assert check_draft(text.replace("3 of 4 final", "4 of 4 final"), facts) == "wrong_count:4 of 4 final"
    assert check_draft(text.replace("3 of 4 final", "three of four formulas are final"), facts) is None


def test_an_amount_qualified_by_a_status_must_be_owed_with_that_status():
    facts, text = _case("split_owed")
    owed = facts["total_owed"]
    assert f"{owed['final']} final and {owed['modeled']} modeled" in text
    swapped = text.replace(f"{owed['final']} final", f"{owed['final']} modeled")
    assert check_draft(swapped, facts) == f"wrong_status:{owed['final']}:modeled"


def _figure(facts: dict, formula_id: str, field: str) -> str:
    return next(f for f in facts["formulas"] if f["id"] == formula_id)["figures"][field]


@pytest.mark.parametrize("draft", [
    "{client} is owed {owed} by {pbm}, about $3.0 thousand.",
    "{client} is owed {owed_whole} by {pbm}.",
    "The generic dispensing rate is {gdr_rounded}.",
    "The audit covers 2025-01-01 to 2025-12-30.",
    "The AWP discount guarantee is final, with 17 claims reviewed.",
])
def test_rounded_converted_or_invented_figures_are_refused(draft):
    facts, _ = _case("c001_final")
    owed, gdr = facts["total_owed"]["total"], _figure(facts, "generic_dispensing_rate", "gdr")
    text = draft.format(client=facts["client"]["name"], pbm=facts["pbm"]["name"], owed=owed,
                        owed_whole=owed.split(".")[0], gdr_rounded=gdr[:-2] + "%")
    assert check_draft(text, facts).startswith("unknown_figure:")


def test_prose_that_keeps_every_figure_status_and_name_is_accepted():
    facts, _ = _case("c001_final")
    figures = {f["id"]: f["figures"] for f in facts["formulas"]}
    gdr = figures["generic_dispensing_rate"]
    drafts = [
        f"For {facts['client']['name']} and {facts['pbm']['name']} the audit, covering January 1, 2025 to "
        f"December 31, 2025, is final. Total owed to the plan: {facts['total_owed']['total']}, all of it final.",
        f"The AWP discount and dispensing fee guarantees are final, with shortfalls of "
        f"{figures['awp_discount_guarantee']['shortfall']} and {figures['dispensing_fee_guarantee']['shortfall']}; "
        f"the generic dispensing rate is {gdr['gdr']} ({gdr['generic_claims']} of {gdr['claims']} claims). "
        f"Repricing under proposal {facts['evidence']['proposal_id']} is modeled: a projection of "
        f"{figures['repricing_savings']['total_savings']}, not an audit finding.",
    ]
    for draft in drafts:
        assert check_draft(draft, facts) is None, draft


@pytest.mark.parametrize(("draft", "reason"), [
    ("", "empty_draft"),
    ("The audit is final. " * 300, "draft_too_long"),
    ("Acme Manufacturing Inc. is owed nothing more.", "unknown_name:Acme Manufacturing Inc"),
    ("Claims at RETAIL_30 were reviewed.", "unknown_name:RETAIL_30"),
    ("The rebate guarantee is blocked.", "wrong_status:rebate_guarantee:blocked"),
    ("The audit is modeled.", "wrong_status:readiness:modeled"),
])
def test_each_rule_names_what_it_refused(draft, reason):
    facts, _ = _case("c001_final")
    assert check_draft(draft, facts) == reason
