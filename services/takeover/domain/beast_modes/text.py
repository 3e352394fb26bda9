"""Beast Mode text as pasted into Domo, made parseable: web punctuation normalized, quoting made MySQL's."""

from __future__ import annotations

from dataclasses import dataclass

# Text copied from web pages and chat carries look-alike characters that Domo's own parser tolerates.
_SPACES = {"\u00a0", "\u202f", "\u2007", "\u2009", "\u2002", "\u2003"}  # no-break, narrow, figure, thin, en, em
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
_SINGLE = {"'": "'", "\u2018": "\u2019", "\u2019": "\u2019", "\u201a": "\u2019"}  # opening quote → its closing one
_DOUBLE = {'"': '"', "\u201c": "\u201d", "\u201d": "\u201d", "\u201e": "\u201d"}


class BeastModeSyntaxError(ValueError):
    """The text cannot be read as one Beast Mode expression."""


@dataclass(frozen=True)
class PreparedText:
    """The original text (kept for lineage) and the MySQL text sqlglot reads."""

    original: str
    mysql: str
    had_comments: bool


def normalize_name(name: str) -> str:
    """A column name with pasted look-alike spaces made plain and zero-width characters dropped."""
    return "".join(" " if ch in _SPACES else ch for ch in name if ch not in _ZERO_WIDTH)


def prepare(text: str) -> PreparedText:
    """Normalize outside string literals (their content is data and stays as written), drop comments, and turn
    double-quoted and curly-quoted column names into backtick-quoted ones."""
    mysql, had_comments = _requote(text)
    if not mysql.strip():
        raise BeastModeSyntaxError("empty expression")
    return PreparedText(text, mysql, had_comments)


def _requote(text: str) -> tuple[str, bool]:
    out: list[str] = []
    had_comments = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SINGLE:
            end = _closing(text, i, ch, _SINGLE[ch])
            literal = text[i : end + 1] if ch == "'" else "'" + text[i + 1 : end].replace("'", "''") + "'"
            out.append(literal)
            i = end + 1
        elif ch in _DOUBLE or ch == "`":
            close = "`" if ch == "`" else _DOUBLE[ch]
            end = _closing(text, i, ch, close)
            name = normalize_name(text[i + 1 : end].replace(ch * 2, ch) if ch in "`\"" else text[i + 1 : end])
            out.append("`" + name.replace("`", "``") + "`")
            i = end + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            out.append(" ")
            had_comments = True
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise BeastModeSyntaxError("unterminated /* comment")
            i = end + 2
            out.append(" ")
            had_comments = True
        else:
            out.append(" " if ch in _SPACES else "" if ch in _ZERO_WIDTH else ch)
            i += 1
    return "".join(out), had_comments


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """Index of the quote closing the one at start. A straight quote is closed by the same quote (doubled = escaped);
    a curly opening quote by its curly closing one (or a straight one, as pasted text mixes them)."""
    i = start + 1
    straight = opening in "'\"`"
    while i < len(text):
        ch = text[i]
        if straight and ch == opening:
            if text.startswith(opening * 2, i):
                i += 2
                continue
            return i
        if not straight and ch in (closing, "'" if closing == "\u2019" else '"') and not _word(text, i + 1):
            return i  # a curly quote followed by a letter is an apostrophe (O’Brien), not the closing quote
        if ch == "\\" and opening == "'":
            i += 2
            continue
        i += 1
    raise BeastModeSyntaxError(f"unterminated {opening} quote")


def _word(text: str, index: int) -> bool:
    return index < len(text) and text[index].isalnum()
