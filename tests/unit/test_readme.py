"""The README and docs/ stay true: every relative link names a file that exists, every `leaf` command in the
command tables of README.md and docs/cli.md is one the CLI's parser knows (with the options it shows), and every
`make` target the README names is one the Makefile defines."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from cli.main import parser

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]+`")


def prose(text: str) -> str:
    """The page without code, where a `[x](y)` is an example rather than a link."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def relative_links(page: Path) -> list[str]:
    return [target for target in LINK.findall(prose(page.read_text(encoding="utf-8")))
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_names_an_existing_file(page: Path) -> None:
    missing = [target for target in relative_links(page) if not (page.parent / target.split("#")[0]).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to files that do not exist: {missing}"


def test_the_readme_links_every_page_of_docs() -> None:
    linked = {(ROOT / target.split("#")[0]).resolve() for target in relative_links(README)}
    unlinked = [page.name for page in PAGES[1:] if page.resolve() not in linked]
    assert not unlinked, f"docs/ pages the README does not link: {unlinked}"


def section_text(text: str, heading: str) -> str:
    """The text from `heading` to the next second-level heading."""
    start = text.index(heading)
    following = text.find("\n## ", start + len(heading))
    return text[start:following if following >= 0 else len(text)]


def command_table(page: Path, heading: str) -> list[list[str]]:
    """The code spans of each row's first cell in a page's `leaf` command table (the section under `heading`)."""
    table = section_text(page.read_text(encoding="utf-8"), heading)
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return [re.findall(r"`([^`]+)`", row.split(" | ")[0]) for row in rows]


TABLES = [(README, "## The `leaf` command"), (ROOT / "docs" / "cli.md", "# The `leaf` command")]
ROWS = [(page, spans) for page, heading in TABLES for spans in command_table(page, heading)]


def subcommands(command: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def options(command: argparse.ArgumentParser) -> set[str]:
    return {flag for action in command._actions for flag in action.option_strings}


@pytest.mark.parametrize(("page", "heading"), TABLES, ids=["README.md", "docs/cli.md"])
def test_the_command_table_is_read(page: Path, heading: str) -> None:
    assert len(command_table(page, heading)) >= 10


def named_commands(spans: list[str]) -> list[argparse.ArgumentParser]:
    """The parsers a row names: `leaf itr sync`, `bundle`, `plan` (or `leaf itr bundle ID` in full) are three."""
    words = spans[0].split()
    assert words[0] == "leaf", spans
    command = subcommands(parser()).get(words[1])
    assert command is not None, f"`leaf {words[1]}` is not a command of cli/main.py's parser"
    actions = subcommands(command)
    if not actions:
        return [command]
    named = [span.split()[2] if span.startswith("leaf ") else span.split()[0] for span in spans]
    unknown = [name for name in named if name not in actions]
    assert not unknown, f"`leaf {words[1]}` has no sub-command {unknown}"
    return [actions[name] for name in named]


@pytest.mark.parametrize(("page", "spans"), ROWS, ids=[f"{page.name}:{spans[0]}" for page, spans in ROWS])
def test_every_command_in_a_command_table_exists(page: Path, spans: list[str]) -> None:
    commands = named_commands(spans)
    shown = set(re.findall(r"--[a-z][a-z-]*", " ".join(spans)))
    known = set().union(*(options(command) for command in commands))
    assert shown <= known, f"{page.name}: `{spans[0]}` has no option {sorted(shown - known)}"


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))


def test_every_make_target_the_readme_names_exists() -> None:
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"`make ([a-z][a-z-]*)", text))
    named |= {match for block in FENCE.findall(text) for match in re.findall(r"(?m)(?:^|\s)make ([a-z][a-z-]*)", block)}
    assert {"run", "test"} <= named
    assert named <= make_targets(), f"make targets the Makefile does not define: {sorted(named - make_targets())}"


def test_the_readme_first_request_is_the_one_leaf_run_prints() -> None:
    """The curl a newcomer copies from the README is the one `leaf run` prints, against the default gateway."""
    from cli.commands.run import DEMO_GROUP, TRY

    printed = TRY.format(leaf=".venv/bin/leaf", group=DEMO_GROUP, host="127.0.0.1", port=8080)
    request = section_text(README.read_text(encoding="utf-8"), "## A first request")
    shown = FENCE.search(request)
    assert shown is not None, "the README's first request has no code block"
    lines = shown.group(0).splitlines()[1:-1]
    assert [line.strip() for line in lines] == [line.strip() for line in printed.splitlines()]


def test_the_readme_stays_a_five_minute_read() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 130, "depth belongs in docs/, one topic a file"
