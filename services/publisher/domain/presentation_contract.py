"""The presentation contract: no published artifact carries PHI, credentials, download URLs or local paths.

Each value is checked once, where it is produced — a dashboard cell, a run.json value, an extract row, a
workbook cell — by one compiled matcher (`presentation_rules.may_leak`); the rules themselves run only on what
it stops, to name the rule. What only rendering adds (workbook and PDF metadata, the PDF's text) is checked
once at the end (`presentation_rendered`). Nothing is parsed back cell by cell.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kernel.errors import Refused
from services.publisher.domain.presentation_rules import PHI_RULE_ID, findings, key_may_leak, may_leak

UNREADABLE = "unreadable"  # bytes that cannot be parsed cannot be checked, so they are refused (fail closed)
KEPT = 1000  # violations listed in a refusal; a leaky source could otherwise fill memory with a million
NAME_LENGTH = 40  # a lone workbook cell this short may be a field name: plain words like `email` count there
_VERDICTS_PER_KEY = 65_536  # remembered clean values per column: the extract repeats drug names, groups, channels


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


@dataclass
class ContractCheck:
    """The contract applied to one publication as its values are produced; `enforce` refuses if anything was found."""

    violations: list[Violation] = field(default_factory=list)
    found: int = 0
    _seen: set[tuple[str, str, str]] = field(default_factory=set)
    _clean: dict[tuple[str | None, bool], set[str]] = field(default_factory=dict)
    _keys: dict[str, bool] = field(default_factory=dict)

    def value(self, artifact: str, where: str, text: str, key: str | None = None, is_name: bool = False) -> None:
        """One string as it will be shown: filed under `key` (a column or JSON key), or a name itself."""
        clean = self._clean.setdefault((key, is_name), set())
        if text in clean:
            return
        if may_leak(text, is_name) or (key is not None and self._key_may_leak(key)):
            hits = findings(text, is_name, key)
            if hits:
                for rule, matched in hits:
                    self._add(Violation(rule, artifact, where, mask(rule, matched)))
                return
        if len(clean) >= _VERDICTS_PER_KEY:
            clean.clear()
        clean.add(text)

    def name(self, artifact: str, where: str, text: str) -> None:
        self.value(artifact, where, text, is_name=True)

    def cell(self, artifact: str, where: str, text: str) -> None:
        """A workbook cell: on its own, a short one reads as a field name."""
        self.value(artifact, where, text, is_name=len(text) <= NAME_LENGTH)

    def header(self, artifact: str, columns: Iterable[str]) -> None:
        for index, column in enumerate(columns, start=1):
            self.name(artifact, f"header, column {index}", column)

    def row(self, artifact: str, number: int, columns: Sequence[str], cells: Iterable[str]) -> None:
        """A CSV row (`row N, column C`), each cell filed under its column."""
        for column, text in zip(columns, cells):
            if text:
                self.value(artifact, f"row {number}, column {column}", text, key=column)

    def document(self, artifact: str, node: object, pointer: str = "") -> None:
        """A JSON document before it is serialized: every key as a name, every scalar under its key (JSON pointers)."""
        if isinstance(node, dict):
            for key, child in node.items():
                at = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
                self.name(artifact, at or "/", str(key))
                if isinstance(child, (dict, list, tuple)):
                    self.document(artifact, child, at)
                elif child is not None:
                    self.value(artifact, at, str(child), key=str(key))
        elif isinstance(node, (list, tuple)):
            for index, item in enumerate(node):
                self.document(artifact, item, f"{pointer}/{index}")
        elif node is not None:
            self.value(artifact, pointer or "/", str(node))

    def unreadable(self, artifact: str, error: BaseException) -> None:
        self._add(Violation(UNREADABLE, artifact, "whole artifact", type(error).__name__))

    def add(self, violation: Violation) -> None:
        self._add(violation)

    def absorb(self, other: ContractCheck) -> None:
        """What another check found (the workbook's, written in another process) counts as found here."""
        for violation in other.violations:
            self._add(violation)
        self.found += max(other.found - len(other.violations), 0)

    def enforce(self) -> None:
        """Refuse the whole publication if anything anywhere was found."""
        if self.violations:
            raise PresentationRefused(self.violations[0], tuple(self.violations))

    def _key_may_leak(self, key: str) -> bool:
        verdict = self._keys.get(key)
        if verdict is None:
            verdict = self._keys[key] = key_may_leak(key)
        return verdict

    def _add(self, violation: Violation) -> None:
        place = (violation.rule, violation.artifact, violation.where)
        if place in self._seen:  # at most one per rule and place, as a reader fixes them
            return
        self.found += 1
        if len(self.violations) < KEPT:
            self._seen.add(place)
            self.violations.append(violation)

