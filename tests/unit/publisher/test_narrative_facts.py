"""The facts a narrative provider is given: the run's headline figures and names, never claim- or member-level data."""
from __future__ import annotations

import copy
import json
from decimal import Decimal

from services.publisher.domain.narrative_facts import narrative_facts
from services.publisher.domain.narrative_prompt import narrative_prompt
from services.publisher.domain.report_format import money
from services.publisher.domain.run_context import Names
from tests.publisher_fixtures import demo_batch, sample_context


def _poisoned(result: dict) -> dict:
    """The result with every claim-, bucket- and row-level part replaced by member-looking data."""
    poisoned = copy.deepcopy(result)
    poisoned["data_quality"]["rejected_rows"] = [{"row": 7, "reason": "bad_value:member_id M00012345"}]
    poisoned["data_quality"]["rejects_by_reason"] = {"bad_value:member_id M00012345": 1}
    for formula in poisoned["formulas"]:
        for bucket in formula.get("buckets", ()):
            bucket.update(members=424242, member_id="M00012345", channel="M00012345")
        formula["unpriced_buckets"] = [{"channel": "M00012345", "brand_generic": "B"}]
    return poisoned


def test_nothing_below_the_headline_figures_is_read():
    result = sample_context().result
    assert narrative_facts(_poisoned(result), Names("Acme Manufacturing")) == narrative_facts(result, Names("Acme Manufacturing"))


def test_no_member_of_the_run_reaches_the_prompt():
    context = sample_context()
    prompt = "\n".join(content for _, content in narrative_prompt(narrative_facts(context.result, context.names)).messages)
    members = {row.member_key for row in context.claims()} | {claim.member_id for claim in demo_batch().claims}
    assert len(members) > 1000 and not any(member in prompt for member in members)
    assert "member" not in prompt.lower() and "rejected_rows" not in prompt and "buckets" not in prompt


def test_the_facts_hold_scope_names_readiness_statuses_headlines_and_the_total_owed():
    context = sample_context(rebates=False)
    facts = narrative_facts(context.result, Names("Acme Manufacturing", "Meridian Rx Solutions"))
    assert set(facts) == {"client", "pbm", "tpa", "groups", "period", "readiness", "status_line", "formulas",
                          "total_owed", "evidence"}
    assert facts["client"] == {"id": "C001", "name": "Acme Manufacturing"}
    assert facts["readiness"] == "blocked" and facts["status_line"].startswith("3 of 4 final; rebate blocked: ")
    rebate = next(f for f in facts["formulas"] if f["id"] == "rebate_guarantee")
    assert rebate["figures"] == {} and rebate["reasons"] == ["no rebate evidence for the audit period"]
    awp = context.formula("awp_discount_guarantee")
    assert facts["formulas"][0]["figures"] == {"shortfall": money(Decimal(awp["shortfall"]))}
    assert all(set(f) <= {"id", "title", "short_name", "status", "reasons", "figures", "offset_rule"}
               for f in facts["formulas"])
    json.dumps(facts)  # JSON as it is, for the prompt
