"""Composing the narrative: template by default, a model's draft only when checked, the lineage says which."""
from __future__ import annotations

import copy
import hashlib
import json
import pickle
from dataclasses import replace

import pytest

from services.publisher.domain.narrative import (
    Draft,
    Narrative,
    NarrativePrompt,
    NarrativeUnavailable,
    narrative_label,
    narrative_lineage,
)
from services.publisher.domain.narrative_facts import narrative_facts
from services.publisher.domain.narrative_prompt import narrative_prompt
from services.publisher.domain.narrative_template import template_text
from services.publisher.domain.run_context import run_document
from services.publisher.service_layer.narrative import compose_narrative, with_narrative
from tests.publisher_fixtures import sample_context
from tests.unit.publisher.narrative_runs import narrative_runs


class FakeProvider:
    """Answers with a fixed draft (or raises), and remembers every prompt it was given."""

    def __init__(self, answer: str | Exception, model: str = "gpt-test") -> None:
        self.answer, self.model, self.prompts = answer, model, []

    def draft(self, prompt: NarrativePrompt) -> Draft:
        self.prompts.append(prompt)
        if isinstance(self.answer, Exception):
            raise self.answer
        return Draft(self.answer, f"{self.model}-2026-01-01")


@pytest.fixture(scope="module")
def facts() -> dict:
    result, names = narrative_runs()["c001_final"]
    return narrative_facts(result, names)


def _reworded(facts: dict) -> str:
    awp = facts["formulas"][0]
    return (f"{facts['client']['name']} is owed {facts['total_owed']['total']} by {facts['pbm']['name']}, all final. "
            f"The AWP discount guarantee is final, with a shortfall of {awp['figures']['shortfall']}.")


def test_without_a_provider_the_template_is_the_narrative_and_nothing_is_asked(facts):
    narrative = compose_narrative(facts, None)
    assert narrative == Narrative(template_text(facts), "template", None, None, None)
    assert narrative_label(narrative) is None


def test_a_draft_that_keeps_to_the_facts_is_published_as_the_models(facts):
    provider = FakeProvider("  " + _reworded(facts) + "\n")
    narrative = compose_narrative(facts, provider)
    assert narrative == Narrative(_reworded(facts), "model", "gpt-test-2026-01-01", narrative_prompt(facts).sha256, None)
    assert provider.prompts == [narrative_prompt(facts)]
    assert narrative_label(narrative) == ("Drafted by AI (gpt-test-2026-01-01); every figure, status and name was "
                                          "checked against this run.")


def test_a_draft_with_an_invented_figure_falls_back_to_the_template_and_says_why(facts):
    invented = _reworded(facts).replace(facts["total_owed"]["total"], "$12,981.61")
    narrative = compose_narrative(facts, FakeProvider(invented))
    assert (narrative.text, narrative.source) == (template_text(facts), "template")
    assert (narrative.model, narrative.fallback_reason) == ("gpt-test-2026-01-01", "unknown_figure:$12,981.61")
    assert narrative.prompt_sha256 == narrative_prompt(facts).sha256


def test_a_provider_that_gives_no_draft_leaves_the_template_with_its_reason(facts):
    narrative = compose_narrative(facts, FakeProvider(NarrativeUnavailable("model_unavailable:http_429")))
    assert narrative == Narrative(template_text(facts), "template", "gpt-test", narrative_prompt(facts).sha256,
                                  "model_unavailable:http_429")


def test_the_lineage_entry_names_the_text_the_model_and_the_prompt(facts):
    narrative = compose_narrative(facts, FakeProvider(_reworded(facts)))
    assert narrative_lineage(narrative) == {
        "source": "model", "model": "gpt-test-2026-01-01", "prompt_sha256": narrative_prompt(facts).sha256,
        "fallback_reason": None, "text_sha256": hashlib.sha256(_reworded(facts).encode()).hexdigest()}


def test_the_context_carries_the_narrative_and_run_json_its_lineage():
    context = sample_context(proposal=False)
    narrative = compose_narrative(narrative_facts(context.result, context.names), None)
    published = with_narrative(context, narrative)
    assert published.narrative == narrative and published.result == context.result
    assert run_document(published)["lineage"] == {**context.lineage, "narrative": narrative_lineage(narrative)}
    # The PDF renders in another process: the context travels pickled, without its claims.
    assert pickle.loads(pickle.dumps(replace(published, claims=tuple))).narrative == narrative


def test_the_prompt_is_the_same_bytes_for_the_same_facts_and_holds_them_whole(facts):
    prompt = narrative_prompt(facts)
    assert prompt == narrative_prompt(copy.deepcopy(facts))
    assert [role for role, _ in prompt.messages] == ["system", "user"]
    assert json.dumps(facts, sort_keys=True, ensure_ascii=False, indent=1) in prompt.messages[1][1]
