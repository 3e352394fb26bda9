"""A Beast Mode parsed by sqlglot's MySQL dialect, and the dataset columns it names."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from services.takeover.domain.beast_modes.text import BeastModeSyntaxError, PreparedText, prepare

# Statements and aliases parse as SQL but are not expressions a Beast Mode can hold.
_NOT_AN_EXPRESSION = (exp.Query, exp.Alias, exp.DDL, exp.DML, exp.Command, exp.Use, exp.Set)


@dataclass(frozen=True)
class ParsedBeastMode:
    """The prepared text and its expression tree (column names still Domo's)."""

    text: PreparedText
    tree: exp.Expr


def parse(expression: str) -> ParsedBeastMode:
    """Parse one Beast Mode; raise BeastModeSyntaxError with a reason when it is not one expression."""
    prepared = prepare(expression)
    try:
        trees = sqlglot.parse(prepared.mysql, read="mysql")
    except (ParseError, TokenError) as error:
        raise BeastModeSyntaxError(_first_line(str(error))) from error
    found = [tree for tree in trees if tree is not None]
    if len(found) != 1:
        raise BeastModeSyntaxError("not exactly one expression")
    tree = found[0]
    if isinstance(tree, _NOT_AN_EXPRESSION):
        raise BeastModeSyntaxError(f"not an expression: {tree.key}")
    return ParsedBeastMode(prepared, tree)


def column_refs(tree: exp.Expr) -> list[tuple[str, bool]]:
    """Every column name the expression refers to, with whether it was quoted, without repeats."""
    refs: list[tuple[str, bool]] = []
    for column in tree.find_all(exp.Column):
        name = ".".join(part.name for part in column.parts)
        quoted = any(part.args.get("quoted") for part in column.parts)
        if (name, quoted) not in refs:
            refs.append((name, quoted))
    return refs


def resolve_column(name: str, quoted: bool, columns: Collection[str]) -> str | None:
    """The dataset column a name refers to: quoted names exactly (case-sensitive), bare ones case-insensitively if unique."""
    if name in columns:
        return name
    if quoted:
        return None
    folded = [column for column in columns if column.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def check(expression: str, columns: Mapping[str, str]) -> str | None:
    """None when the Beast Mode parses and names only the dataset's columns, else "unparseable" or "unknown_column"."""
    try:
        parsed = parse(expression)
    except BeastModeSyntaxError:
        return "unparseable"
    if any(resolve_column(name, quoted, columns) is None for name, quoted in column_refs(parsed.tree)):
        return "unknown_column"
    return None


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "does not parse"
