"""Beast Mode text as pasted into Domo, made parseable: web punctuation normalized, quoting made MySQL's."""

from __future__ import annotations

from dataclasses import dataclass

# Text copied from web pages and chat carries look-alike characters that Domo's own parser tolerates.
_REPLACEMENTS = {
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u200b": "",  # zero-width space
    "\u200c": "",  # zero-width non-joiner
    "\u200d": "",  # zero-width joiner
    "\u2060": "",  # word joiner
    "\ufeff": "",  # byte order mark / zero-width no-break space
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u00b4": "'",
}


class BeastModeSyntaxError(ValueError):
    """The text cannot be read as one Beast Mode expression."""


@dataclass(frozen=True)
class PreparedText:
    """The original text (kept for lineage) and the MySQL text sqlglot reads."""

    original: str
    normalized: str
    mysql: str
    had_comments: bool


def normalize(text: str) -> str:
    """Replace pasted look-alike characters by their ASCII meaning."""
    return "".join(_REPLACEMENTS.get(ch, ch) for ch in text)


def prepare(text: str) -> PreparedText:
    """Normalize, drop comments and turn double-quoted column names into backtick-quoted ones."""
    normalized = normalize(text)
    mysql, had_comments = _requote(normalized)
    if not mysql.strip():
        raise BeastModeSyntaxError("empty expression")
    return PreparedText(text, normalized, mysql, had_comments)


def _requote(text: str) -> tuple[str, bool]:
    out: list[str] = []
    had_comments = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "'":
            end = _closing(text, i, "'")
            out.append(text[i : end + 1])
            i = end + 1
        elif ch in "`\"":
            end = _closing(text, i, ch)
            name = text[i + 1 : end].replace(ch * 2, ch)
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
            out.append(ch)
            i += 1
    return "".join(out), had_comments


def _closing(text: str, start: int, quote: str) -> int:
    """Index of the quote closing the one at start; a doubled quote is an escaped quote."""
    i = start + 1
    while i < len(text):
        if text[i] == quote:
            if text.startswith(quote * 2, i):
                i += 2
                continue
            return i
        if text[i] == "\\" and quote == "'":
            i += 2
            continue
        i += 1
    raise BeastModeSyntaxError(f"unterminated {quote} quote")
