"""The policy gate: whether a verified caller may submit a task of a kind; a denial names the rule that denied it."""
from __future__ import annotations

from dataclasses import dataclass

from services.tasks.domain.kinds import TaskKind

ALLOWED, DENIED = "allowed", "denied"


@dataclass(frozen=True)
class Submitter:
    """The caller as verified by the mesh: a namespaced principal (`user:a@b`), its groups, whether it is an operator."""

    principal: str
    operator: bool = False
    groups: tuple[str, ...] = ()  # its `group:` principals, which its entitlements may name

    @property
    def namespace(self) -> str:
        namespace, colon, name = self.principal.partition(":")
        return namespace if colon and name else ""


@dataclass(frozen=True)
class PolicyDecision:
    """`rule` names the kind's declaration that decided (`kind.<name>.<rule>`); `reason` says it for a person."""

    outcome: str
    rule: str
    reason: str

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOWED


def decide(kind: TaskKind, submitter: Submitter, operator_intent: bool) -> PolicyDecision:
    """The first rule of the kind that the submission breaks, else allowed (rules in the order a reader checks them)."""
    rule = f"kind.{kind.name}"
    if submitter.namespace not in kind.submitters:
        return PolicyDecision(DENIED, f"{rule}.submitters",
                              f"{kind.name} may be submitted by {', '.join(sorted(kind.submitters))} principals only")
    if (kind.operator_only or kind.mutates_curated) and not submitter.operator:
        return PolicyDecision(DENIED, f"{rule}.operator_only", f"{kind.name} needs an operator's identity")
    if kind.mutates_curated and not operator_intent:
        return PolicyDecision(DENIED, f"{rule}.mutates_curated",
                              f"{kind.name} changes curated data: the operator flag must be set on the request")
    return PolicyDecision(ALLOWED, rule, f"{kind.name} admitted")
