"""Compose a run's executive narrative: the template, or a model's draft only when the validator accepts it.

The provider is optional (unset: the template, no call made). Whatever the provider does — answers, invents a
figure, times out, is throttled — the run gets a narrative, and its lineage says which text it is and why.
"""
from __future__ import annotations

import logging
from dataclasses import replace

from services.publisher.domain.narrative import (
    MODEL,
    TEMPLATE,
    Narrative,
    NarrativeProvider,
    NarrativeUnavailable,
    narrative_lineage,
)
from services.publisher.domain.narrative_check import check_draft
from services.publisher.domain.narrative_facts import narrative_facts
from services.publisher.domain.narrative_prompt import narrative_prompt
from services.publisher.domain.narrative_template import template_text
from services.publisher.domain.run_context import Names, RunContext

log = logging.getLogger(__name__)


def compose_narrative(facts: dict, provider: NarrativeProvider | None) -> Narrative:
    template = template_text(facts)
    if provider is None:
        return Narrative(template, TEMPLATE, None, None, None)
    prompt = narrative_prompt(facts)
    try:
        draft = provider.draft(prompt)
    except NarrativeUnavailable as unavailable:
        log.warning("narrative: %s gave no draft (%s); the template is used", provider.model, unavailable.reason)
        return Narrative(template, TEMPLATE, provider.model, prompt.sha256, unavailable.reason)
    text = draft.text.strip()
    problem = check_draft(text, facts)
    if problem is not None:
        log.warning("narrative: draft of %s refused (%s); the template is used", draft.model, problem)
        return Narrative(template, TEMPLATE, draft.model, prompt.sha256, problem)
    return Narrative(text, MODEL, draft.model, prompt.sha256, None)


def narrate(result: dict, names: Names, provider: NarrativeProvider | None) -> Narrative:
    """The narrative of a run's result (section 5) with the names shown beside its ids."""
    return compose_narrative(narrative_facts(result, names), provider)


def with_narrative(context: RunContext, narrative: Narrative) -> RunContext:
    """The context every renderer reads, carrying the narrative and its entry in the run's lineage."""
    return replace(context, narrative=narrative, lineage={**context.lineage, "narrative": narrative_lineage(narrative)})


def narrated(context: RunContext, provider: NarrativeProvider | None) -> RunContext:
    """The context with the narrative of its own result and names: what the service and `leaf report` render."""
    return with_narrative(context, narrate(context.result, context.names, provider))
