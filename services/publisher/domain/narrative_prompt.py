"""The one prompt a model is given: the validator's rules in words, the run's facts as JSON, the template's text.

Built from narrative_facts only, so nothing the facts leave out (claims, members, buckets, rejected rows) can be
sent. The same facts give the same prompt, byte for byte, so its sha256 in the lineage identifies what was asked.
"""
from __future__ import annotations

import json

from services.publisher.domain.narrative import NarrativePrompt
from services.publisher.domain.narrative_template import template_text

INSTRUCTIONS = """\
You write the executive summary of a pharmacy benefit audit for a chief financial officer.
Use only the facts in the JSON you are given. Every sentence is checked against those facts before it is published:
- Copy every figure (dollar amount, percentage, count, date) exactly as the facts write it. Never compute, round, \
add, subtract, convert or estimate a figure, and write no other number, not even in words.
- Write a status word (final, modeled, blocked) only right after the formula it describes, or after "Readiness:", \
exactly as the facts give it.
- Name the client, the PBM and every id exactly as the facts write them; name nothing else.
- Say that repricing savings are a modeled projection, never an audit finding.
- Plain English, at most two short paragraphs, no headings, lists or markdown.
A plain version that passes every check follows the facts; improve its English without changing any figure, \
status or name."""


def narrative_prompt(facts: dict) -> NarrativePrompt:
    facts_json = json.dumps(facts, sort_keys=True, ensure_ascii=False, indent=1)
    user = f"Facts (JSON):\n{facts_json}\n\nPlain version:\n{template_text(facts)}"
    return NarrativePrompt((("system", INSTRUCTIONS), ("user", user)))
