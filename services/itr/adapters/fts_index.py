"""The embedded search index (docs/search.md): SQLite FTS5 in its own file under LEAF_HOME, so it serves whichever
database the mirror is on. Documents are kept whole as JSON beside an FTS5 table of their title and content (porter
stemming: "rebates" finds "rebate"); a query is ranked by bm25, the title weighing more than the content."""
from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS search_documents (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
    "content_sha256 TEXT NOT NULL, allowed_clients TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5(title, content, tokenize = 'porter unicode61')",
)
TITLE_WEIGHT, CONTENT_WEIGHT = 5.0, 1.0
_WORD = re.compile(r"\w+")


def match_expression(text: str) -> str:
    """Every word of the query, each quoted (FTS5 syntax in a user's query is taken as words), all required."""
    return " ".join(f'"{word}"' for word in _WORD.findall(text))


class FtsSearchIndex:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            for statement in SCHEMA:
                db.execute(statement)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        finally:
            db.close()

    def indexed(self) -> dict[str, str]:
        with self._db() as db:
            return dict(db.execute("SELECT id, content_sha256 FROM search_documents"))

    def upsert(self, documents: Sequence[dict]) -> None:
        with self._db() as db:
            for d in documents:
                found = db.execute("SELECT rowid FROM search_documents WHERE id = ?", (d["id"],)).fetchone()
                row = (d["id"], d["content_sha256"], json.dumps(d["allowed_clients"]), json.dumps(d))
                if found:
                    db.execute("DELETE FROM search_text WHERE rowid = ?", found)
                    db.execute("UPDATE search_documents SET id = ?, content_sha256 = ?, allowed_clients = ?, body = ? "
                               "WHERE rowid = ?", (*row, found[0]))
                    rowid = found[0]
                else:
                    rowid = db.execute("INSERT INTO search_documents (id, content_sha256, allowed_clients, body) "
                                       "VALUES (?, ?, ?, ?)", row).lastrowid
                db.execute("INSERT INTO search_text (rowid, title, content) VALUES (?, ?, ?)",
                           (rowid, d["title"], d["content"]))

    def delete(self, document_ids: Sequence[str]) -> None:
        with self._db() as db:
            for document_id in document_ids:
                found = db.execute("SELECT rowid FROM search_documents WHERE id = ?", (document_id,)).fetchone()
                if found:
                    db.execute("DELETE FROM search_text WHERE rowid = ?", found)
                    db.execute("DELETE FROM search_documents WHERE rowid = ?", found)

    def query(self, text: str, allowed_clients: Sequence[str], top: int, skip: int) -> list[dict]:
        expression = match_expression(text)
        if not expression or not allowed_clients:
            return []
        marks = ", ".join("?" for _ in allowed_clients)
        sql = (f"SELECT d.body, bm25(search_text, {TITLE_WEIGHT}, {CONTENT_WEIGHT}) AS rank "
               "FROM search_text JOIN search_documents d ON d.rowid = search_text.rowid "
               "WHERE search_text MATCH ? "
               f"AND EXISTS (SELECT 1 FROM json_each(d.allowed_clients) WHERE json_each.value IN ({marks})) "
               "ORDER BY rank, d.id LIMIT ? OFFSET ?")
        with self._db() as db:
            rows = db.execute(sql, (expression, *allowed_clients, top, skip)).fetchall()
        return [{**json.loads(body), "score": -rank} for body, rank in rows]  # bm25: lower is better
