"""The executive narrative of a run: what a reader is told in prose, and where those words came from.

The narrative never carries a value of its own: the template writes the run's figures as the report formats
them, and a model's draft is kept only when every figure, status and name in it is the run's
(domain/narrative_check.py). Either way the lineage says which it is, which model was asked and with what prompt.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final, Literal, Protocol

TEMPLATE: Final = "template"
MODEL: Final = "model"


@dataclass(frozen=True)
class Narrative:
    text: str
    source: Literal["template", "model"]
    model: str | None            # the model asked, kept even when its draft was refused
    prompt_sha256: str | None    # the exact prompt sent (domain/narrative_prompt.py), when a model was asked
    fallback_reason: str | None  # why a model's draft is not the text, e.g. `unknown_figure:$12,981.61`


@dataclass(frozen=True)
class NarrativePrompt:
    """The chat messages a provider sends, built from the run's facts only."""

    messages: tuple[tuple[str, str], ...]   # (role, content), in order

    @property
    def sha256(self) -> str:
        canonical = "\n".join(f"{role}\n{content}" for role, content in self.messages)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Draft:
    text: str
    model: str   # what the provider says answered (a deployment may name a model version)


class NarrativeUnavailable(Exception):
    """The provider gave no draft (status, timeout, connection, empty answer); `reason` goes to the lineage."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NarrativeProvider(Protocol):
    """Something that drafts the narrative from a prompt (an OpenAI or Azure OpenAI model, a fake in tests)."""

    model: str   # the model or deployment it asks, recorded even when it fails

    def draft(self, prompt: NarrativePrompt) -> Draft: ...


def narrative_label(narrative: Narrative) -> str | None:
    """The line a renderer prints beside model-drafted text; template text needs none."""
    if narrative.source != MODEL:
        return None
    return f"Drafted by AI ({narrative.model}); every figure, status and name was checked against this run."


def narrative_lineage(narrative: Narrative) -> dict:
    """The run lineage's `narrative` entry: which text was published and, when a model was asked, how."""
    return {"source": narrative.source, "model": narrative.model, "prompt_sha256": narrative.prompt_sha256,
            "fallback_reason": narrative.fallback_reason,
            "text_sha256": hashlib.sha256(narrative.text.encode("utf-8")).hexdigest()}
