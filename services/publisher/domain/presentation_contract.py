"""The presentation contract: no published artifact carries PHI, credentials, download URLs or local paths."""
from __future__ import annotations

from dataclasses import dataclass

from runtime.errors import Refused
from services.publisher.domain.presentation_extract import fragments, kind_of
from services.publisher.domain.presentation_rules import PHI_RULE_ID, findings

UNREADABLE = "unreadable"  # bytes that cannot be parsed cannot be checked, so they are refused (fail closed)


@dataclass(frozen=True)
class Artifact:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Violation:
    rule: str
    artifact: str
    where: str
    shown: str  # what the message may show: a PHI field's name, else only the length of the masked value

    def __str__(self) -> str:
        return f"{self.rule} in {self.artifact} at {self.where} ({self.shown})"


class PresentationRefused(Refused):
    """Nothing is published: the first violation names the rule and the place; all of them are in `violations`."""

    def __init__(self, violation: Violation, violations: tuple[Violation, ...] = ()) -> None:
        self.violation = violation
        self.violations = violations or (violation,)
        more = f" (and {len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        super().__init__(f"presentation_contract:{violation.rule}", f"refused to publish: {violation}{more}")


def mask(rule: str, matched: str) -> str:
    """A field name is not itself a secret and helps the fix; any other match is never repeated."""
    return f"field {matched!r}" if rule == PHI_RULE_ID else f"value masked, {len(matched)} chars"


def scan(artifact: Artifact) -> list[Violation]:
    """Every violation in the artifact, at most one per rule and place, in document order."""
    seen: dict[tuple[str, str], Violation] = {}
    try:
        for fragment in fragments(kind_of(artifact.name, artifact.content_type), artifact.data):
            for rule, matched in findings(fragment.text, fragment.is_name, fragment.key):
                seen.setdefault((rule, fragment.where), Violation(rule, artifact.name, fragment.where,
                                                                  mask(rule, matched)))
    except Exception as error:  # any parser's failure means the artifact was not checked
        return [Violation(UNREADABLE, artifact.name, "whole artifact", type(error).__name__)]
    return list(seen.values())


def enforce(artifacts: list[Artifact]) -> None:
    """Check every artifact before any is published; one violation anywhere refuses the whole set."""
    violations = tuple(v for artifact in artifacts for v in scan(artifact))
    if violations:
        raise PresentationRefused(violations[0], violations)
