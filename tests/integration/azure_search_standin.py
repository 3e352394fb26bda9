"""A local HTTPS stand-in for Azure AI Search's documents REST API, answering its real shapes for one index defined by
services/itr/adapters/search_index.json:

- `POST /indexes('<name>')/docs/search.index?api-version=…` (or `/indexes/<name>/docs/index`): `{"value": [{"@search.
  action": "mergeOrUpload" | "upload" | "merge" | "delete", …fields}]}` → `{"value": [{"key", "status",
  "errorMessage", "statusCode"}]}`, 207 when some action failed; a field the schema lacks, or of the wrong type, is 400.
- `POST /indexes('<name>')/docs/search.post.search?api-version=…` (or `/indexes/<name>/docs/search.post.search`):
  `search` (`*` or words; `searchMode` any/all over the searchable fields), `filter` (only the form the adapter sends:
  `<collection>/any(x: search.in(x, '<values>'[, '<delimiters>']))`), `select`, `orderby`, `top` (≤ 1000), `skip`
  → `{"value": [{"@search.score", …}]}`.
- `api-key` checked on every call (403 otherwise); errors as `{"error": {"code", "message"}}`.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlparse

import trustme

from tests.integration.https_standin import HttpsStandIn

ROUTE = re.compile(r"^/indexes(?:\('(?P<quoted>[^']+)'\)|/(?P<plain>[^/]+))/docs/(?P<op>search\.index|index|"
                   r"search\.post\.search)$")
ANY_IN = re.compile(r"^(?P<field>\w+)/any\((?P<var>\w+): search\.in\((?P=var), '(?P<values>[^']*)'"
                    r"(?:, '(?P<delims>[^']*)')?\)\)$")
_WORD = re.compile(r"\w+")
TYPES = {"Edm.String": str, "Collection(Edm.String)": list, "Edm.DateTimeOffset": str}


class SearchError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class AzureSearchStandIn(HttpsStandIn):
    def __init__(self, ca: trustme.CA, schema: dict, key: str) -> None:
        super().__init__(ca, Handler)
        self.schema, self.key = schema, key
        self.fields = {f["name"]: f for f in schema["fields"]}
        self.key_field = next(f["name"] for f in schema["fields"] if f.get("key"))
        self.documents: dict[str, dict] = {}
        self.endpoint = f"https://127.0.0.1:{self.port}"
        self.calls: list[tuple[str, dict]] = []  # (operation, body) of every call, for the tests to read
        self.api_versions: set[str] = set()

    # -- indexing --------------------------------------------------------------------------------------------------
    def index(self, body: dict) -> tuple[int, dict]:
        results = []
        for action in body.get("value", []):
            kind = action.get("@search.action", "upload")
            fields = {k: v for k, v in action.items() if k != "@search.action"}
            self._check_fields(fields)
            key = fields.get(self.key_field)
            if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_=-]+", key):
                raise SearchError(400, f"Invalid document key: '{key}'")
            existed = key in self.documents
            if kind == "delete":
                self.documents.pop(key, None)
            elif kind == "merge" and not existed:
                results.append({"key": key, "status": False, "errorMessage": "Document not found.", "statusCode": 404})
                continue
            elif kind in ("merge", "mergeOrUpload"):
                self.documents[key] = {**self.documents.get(key, {}), **fields}
            elif kind == "upload":
                self.documents[key] = fields
            else:
                raise SearchError(400, f"Invalid action '{kind}'")
            results.append({"key": key, "status": True, "errorMessage": None,
                            "statusCode": 201 if kind != "delete" and not existed else 200})
        return (207 if any(not r["status"] for r in results) else 200), {"value": results}

    def _check_fields(self, fields: dict) -> None:
        for name, value in fields.items():
            field = self.fields.get(name)
            if field is None:
                raise SearchError(400, f"The request is invalid. Details: The property '{name}' does not exist on "
                                       f"type 'search.documentFields'.")
            if value is None:
                continue
            if not isinstance(value, TYPES[field["type"]]):
                raise SearchError(400, f"Cannot convert the literal for field '{name}' to the expected type "
                                       f"'{field['type']}'.")
            if field["type"] == "Edm.DateTimeOffset":
                try:
                    datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    raise SearchError(400, f"Cannot convert '{value}' to Edm.DateTimeOffset.") from None

    # -- searching -------------------------------------------------------------------------------------------------
    def search(self, body: dict) -> dict:
        top, skip = body.get("top"), body.get("skip") or 0
        if top is not None and not 0 <= top <= 1000 or not 0 <= skip <= 100_000:
            raise SearchError(400, "Invalid top or skip.")
        matches = [d for d in self.documents.values() if self._passes(d, body.get("filter"))]
        scored = [(self._score(d, body.get("search") or "*", body.get("searchMode") or "any"), d) for d in matches]
        scored = [(s, d) for s, d in scored if s > 0]
        order = body.get("orderby")
        if order:
            field, _, direction = _listed(order)[0].partition(" ")
            scored.sort(key=lambda sd: sd[1].get(field) or "", reverse=direction.strip() == "desc")
        else:
            scored.sort(key=lambda sd: (-sd[0], sd[1][self.key_field]))
        page = scored[skip:skip + (50 if top is None else top)]
        select = _listed(body["select"]) if body.get("select") else list(self.fields)
        return {"value": [{"@search.score": score, **{k: d.get(k) for k in select}} for score, d in page]}

    def _passes(self, document: dict, expression: str | None) -> bool:
        if not expression:
            return True
        found = ANY_IN.match(expression.strip())
        if found is None or found["field"] not in self.fields:
            raise SearchError(400, f"Invalid expression: the filter '{expression}' is not supported here.")
        delimiters = found["delims"] if found["delims"] is not None else " ,"
        values = {v for v in re.split(f"[{re.escape(delimiters)}]", found["values"]) if v}
        return any(v in values for v in document.get(found["field"]) or [])

    def _score(self, document: dict, text: str, mode: str) -> float:
        if text.strip() == "*":
            return 1.0
        weights = self.schema.get("scoringProfiles", [{}])[0].get("text", {}).get("weights", {})
        tokens = {name: [w.lower() for w in _WORD.findall(str(document.get(name) or ""))]
                  for name, f in self.fields.items() if f.get("searchable")}
        words = [w.lower() for w in _WORD.findall(text)]
        hits = [sum(weights.get(name, 1) * found.count(w) for name, found in tokens.items()) for w in words]
        if not words or (mode == "all" and not all(hits)) or not any(hits):
            return 0.0
        return float(sum(hits))


def _listed(value) -> list[str]:
    return [v.strip() for v in (value if isinstance(value, list) else str(value).split(","))]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet: the test reads the stand-in's own record
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; odata.metadata=none")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        standin: AzureSearchStandIn = self.server.standin  # type: ignore[attr-defined]
        parsed = urlparse(self.path)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        route = ROUTE.match(unquote(parsed.path))
        version = parse_qs(parsed.query).get("api-version", [""])[0]
        try:
            if self.headers.get("api-key") != standin.key:
                raise SearchError(403, "Authorization failed.")
            if route is None or (route["quoted"] or route["plain"]) != standin.schema["name"]:
                raise SearchError(404, "The index was not found.")
            if not version:
                raise SearchError(400, "The api-version query parameter is required.")
            with standin.lock:
                standin.api_versions.add(version)
                operation = "search" if route["op"] == "search.post.search" else "index"
                standin.calls.append((operation, body))
                status, answer = (200, standin.search(body)) if operation == "search" else standin.index(body)
        except SearchError as err:
            status, answer = err.status, {"error": {"code": "", "message": str(err)}}
        self._answer(status, answer)
