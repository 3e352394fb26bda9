"""Narrative settings: unset is the template; a lane is whole or refused at start; prod sends prompts over HTTPS only."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.publisher.adapters.openai_narrative import NarrativeSettings, narrative_provider

OPENAI = {"LEAF_OPENAI_MODEL": "gpt-4o", "LEAF_OPENAI_API_KEY": "sk-test"}
AZURE = {"LEAF_AZURE_OPENAI_ENDPOINT": "https://leaf.openai.azure.com", "LEAF_AZURE_OPENAI_DEPLOYMENT": "narrative"}


def test_nothing_set_means_the_template():
    assert narrative_provider(NarrativeSettings()) is None


@pytest.mark.parametrize(("values", "names"), [
    ({"LEAF_OPENAI_MODEL": "gpt-4o"}, "LEAF_OPENAI_MODEL and LEAF_OPENAI_API_KEY"),
    ({"LEAF_OPENAI_BASE_URL": "https://llm.example/v1"}, "LEAF_OPENAI_MODEL and LEAF_OPENAI_API_KEY"),
    ({"LEAF_AZURE_OPENAI_ENDPOINT": "https://leaf.openai.azure.com"}, "LEAF_AZURE_OPENAI_DEPLOYMENT"),
    ({**OPENAI, **AZURE}, "not both"),
    ({**AZURE, "LEAF_ENV": "prod", "LEAF_AZURE_OPENAI_ENDPOINT": "http://leaf.openai.azure.com"}, "HTTPS only"),
])
def test_half_a_lane_both_lanes_or_plain_http_in_prod_stop_the_start(values, names):
    with pytest.raises(ValidationError, match=names):
        NarrativeSettings(**values)


def test_each_lane_asks_its_model_or_deployment():
    assert narrative_provider(NarrativeSettings(**OPENAI)).model == "gpt-4o"
    keyed = narrative_provider(NarrativeSettings(**AZURE, LEAF_AZURE_OPENAI_API_KEY="k" * 32))
    managed = narrative_provider(NarrativeSettings(**AZURE))   # no key: tokens from the managed identity, when asked
    assert keyed.model == managed.model == "narrative"
