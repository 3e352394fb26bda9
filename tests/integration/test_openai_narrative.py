"""The narrative adapter through the real `openai` SDK against a local HTTP stand-in speaking the API's shapes.

The stand-in is a real HTTP server on port 0 (nothing is patched): OpenAI's POST /v1/chat/completions and Azure
OpenAI's POST /openai/deployments/{deployment}/chat/completions?api-version=…, answering chat.completion JSON
(id, model, choices[0].message.content, finish_reason, usage) or the API's error bodies, slowly when asked.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from services.publisher.adapters.openai_narrative import NarrativeSettings, narrative_provider
from services.publisher.domain.narrative_facts import narrative_facts
from services.publisher.domain.narrative_prompt import narrative_prompt
from services.publisher.domain.narrative_template import template_text
from services.publisher.service_layer.narrative import compose_narrative
from tests.integration.openai_stand_in import API_KEY, StandIn, completion, error, serving
from tests.publisher_fixtures import demo_batch, sample_context
from tests.unit.publisher.narrative_runs import names_of


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with serving() as server:
        yield server


@pytest.fixture(scope="module")
def run():
    context = sample_context()
    facts = narrative_facts(context.result, names_of(context.result["scope"]))
    return context, facts


def _good_draft(facts: dict) -> str:
    awp = facts["formulas"][0]["figures"]["shortfall"]
    return (f"{facts['client']['name']} ({facts['client']['id']}) is owed {facts['total_owed']['total']} by "
            f"{facts['pbm']['name']}, all final. The AWP discount guarantee is final, with a shortfall of {awp}.")


def _openai(stand_in: StandIn, **limits) -> NarrativeSettings:
    return NarrativeSettings(LEAF_OPENAI_BASE_URL=f"{stand_in.url}/v1", LEAF_OPENAI_API_KEY=API_KEY,
                             LEAF_OPENAI_MODEL="gpt-4o", **limits)


def test_openai_draft_that_keeps_to_the_facts_is_the_narrative(stand_in, run):
    context, facts = run
    stand_in.answers = [(200, completion(_good_draft(facts)), 0)]
    narrative = compose_narrative(facts, narrative_provider(_openai(stand_in)))
    assert (narrative.source, narrative.text, narrative.model) == ("model", _good_draft(facts), "gpt-4o-2024-08-06")
    assert narrative.prompt_sha256 == narrative_prompt(facts).sha256 and narrative.fallback_reason is None
    [request] = stand_in.requests
    assert request["path"] == "/v1/chat/completions" and request["headers"]["authorization"] == f"Bearer {API_KEY}"
    body = request["body"]
    assert (body["model"], body["temperature"]) == ("gpt-4o", 0)
    assert [(m["role"], m["content"]) for m in body["messages"]] == list(narrative_prompt(facts).messages)
    # What left the process holds no member: neither the pseudonyms of the extract nor the ids of the input.
    members = {row.member_key for row in context.claims()} | {claim.member_id for claim in demo_batch().claims}
    assert not any(member in request["raw"] for member in members)


def test_azure_openai_deployment_path_api_version_and_key(stand_in, run):
    _, facts = run
    stand_in.answers = [(200, completion(_good_draft(facts), model="gpt-4o-2024-11-20", azure=True), 0)]
    settings = NarrativeSettings(LEAF_AZURE_OPENAI_ENDPOINT=stand_in.url, LEAF_AZURE_OPENAI_DEPLOYMENT="leaf-narrative",
                                 LEAF_AZURE_OPENAI_API_VERSION="2024-10-21", LEAF_AZURE_OPENAI_API_KEY=API_KEY)
    narrative = compose_narrative(facts, narrative_provider(settings))
    assert (narrative.source, narrative.model) == ("model", "gpt-4o-2024-11-20")
    [request] = stand_in.requests
    assert request["path"] == "/openai/deployments/leaf-narrative/chat/completions"
    assert request["query"] == {"api-version": ["2024-10-21"]} and request["headers"]["api-key"] == API_KEY


def test_a_draft_that_invents_a_figure_falls_back_with_the_figure_named(stand_in, run):
    _, facts = run
    invented = _good_draft(facts).replace(facts["total_owed"]["total"], "$12,981.61")
    stand_in.answers = [(200, completion(invented), 0)]
    narrative = compose_narrative(facts, narrative_provider(_openai(stand_in)))
    assert (narrative.source, narrative.text) == ("template", template_text(facts))
    assert (narrative.model, narrative.fallback_reason) == ("gpt-4o-2024-08-06", "unknown_figure:$12,981.61")


@pytest.mark.parametrize(("status", "code"), [(500, "server_error"), (429, "rate_limit_exceeded")])
def test_a_failing_endpoint_is_retried_a_bounded_number_of_times_then_the_template_is_used(stand_in, run, status, code):
    _, facts = run
    stand_in.answers = [(status, error(status, code), 0)]
    narrative = compose_narrative(facts, narrative_provider(_openai(stand_in, LEAF_NARRATIVE_MAX_RETRIES=1)))
    assert (narrative.source, narrative.text) == ("template", template_text(facts))
    assert (narrative.model, narrative.fallback_reason) == ("gpt-4o", f"model_unavailable:http_{status}")
    assert len(stand_in.requests) == 2   # the first call and one retry


def test_a_throttled_call_that_then_succeeds_is_used(stand_in, run):
    _, facts = run
    stand_in.answers = [(429, error(429, "rate_limit_exceeded"), 0), (200, completion(_good_draft(facts)), 0)]
    narrative = compose_narrative(facts, narrative_provider(_openai(stand_in, LEAF_NARRATIVE_MAX_RETRIES=1)))
    assert narrative.source == "model" and len(stand_in.requests) == 2


def test_a_model_slower_than_the_timeout_falls_back(stand_in, run):
    _, facts = run
    stand_in.answers = [(200, completion(_good_draft(facts)), 2.0)]
    settings = _openai(stand_in, LEAF_NARRATIVE_TIMEOUT_SECONDS=0.3, LEAF_NARRATIVE_MAX_RETRIES=0)
    started = time.monotonic()
    narrative = compose_narrative(facts, narrative_provider(settings))
    assert (narrative.source, narrative.fallback_reason) == ("template", "model_unavailable:timeout")
    assert time.monotonic() - started < 1.5


def test_an_answer_cut_at_the_token_limit_is_not_used(stand_in, run):
    _, facts = run
    cut = completion(_good_draft(facts))
    cut["choices"][0]["finish_reason"] = "length"
    stand_in.answers = [(200, cut, 0)]
    narrative = compose_narrative(facts, narrative_provider(_openai(stand_in)))
    assert (narrative.source, narrative.fallback_reason) == ("template", "model_unavailable:length")
