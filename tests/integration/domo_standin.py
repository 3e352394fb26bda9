"""A local HTTPS stand-in for Domo's public API (OAuth, DataSet, Stream, PDP, users, groups) in Domo's JSON shapes.

Like Domo: imports and stream parts are header-less CSV, exports carry a header when asked, enabling PDP
adds the "All Rows" policy, POSTs answer 201 and deletes 204. Every request is recorded; faults can be queued.
"""
from __future__ import annotations

import base64
import copy
import csv
import io
import json
import secrets
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

from tests.integration.https_standin import HttpsStandIn

CLIENT_ID = "leaf-publisher-client"
CLIENT_SECRET = "domo-s3cret-never-logged"
GROUPS = {"C001 Analysts": 101, "C002 Analysts": 102, "Leaf Ops": 103}
USERS = {"pat@c001.example": 27, "ops@leaf.example": 28}
NOW = "2026-01-05T10:00:00Z"


@pytest.fixture
def domo_standin(tmp_path, monkeypatch):
    """The stand-in over HTTPS; only this test process trusts its CA (pydomo reads REQUESTS_CA_BUNDLE)."""
    ca = trustme.CA()
    ca_file = tmp_path / "domo-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    with DomoStandIn(ca) as standin:
        yield standin


class DomoStandIn(HttpsStandIn):
    def __init__(self, ca: trustme.CA) -> None:
        super().__init__(ca, Handler)
        self.datasets: dict[str, dict] = {}     # id → dataset object
        self.data: dict[str, list[list[str]]] = {}
        self.policies: dict[str, list[dict]] = {}
        self.streams: dict[int, dict] = {}       # id → {"dataSet": id, "executions": {id: {part: bytes}}}
        self.requests: list[dict] = []           # {"method", "path", "query", "status", "body", "headers"}
        self.tokens: list[str] = []
        self.faults: list[tuple[str, int, dict]] = []
        self.host = f"127.0.0.1:{self.port}"

    def fail_next(self, route: str, status: int, headers: dict | None = None) -> None:
        """The next request whose "METHOD /path" starts with `route` answers `status`."""
        self.faults.append((route, status, headers or {}))

    def writes(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.requests if r["method"] != "GET" and r["path"] != "/oauth/token"]

    def state(self) -> dict:
        with self.lock:
            return copy.deepcopy({"datasets": self.datasets, "data": self.data, "policies": self.policies,
                                  "streams": {k: v["dataSet"] for k, v in self.streams.items()}})

    def rows(self, name: str) -> list[dict[str, str]]:
        dataset = next(d for d in self.datasets.values() if d["name"] == name)
        names = [c["name"] for c in dataset["schema"]["columns"]]
        return [dict(zip(names, row)) for row in self.data[dataset["id"]]]

    def policies_of(self, name: str) -> dict[str, dict]:
        dataset = next(d for d in self.datasets.values() if d["name"] == name)
        return {p["name"]: p for p in self.policies[dataset["id"]]}

    def add_foreign_policy(self, name: str) -> None:
        for dataset_id in self.policies:
            self._add_policy(dataset_id, {"name": name, "type": "user", "users": [28], "groups": [],
                                          "filters": [{"column": "client_id", "values": ["C001"], "operator": "EQUALS"}]})

    # --- Domo's object shapes ------------------------------------------------------------------------------
    def create_dataset(self, body: dict) -> dict:
        dataset_id = f"{len(self.datasets) + 1:08x}-0000-4000-8000-000000000000"
        dataset = {"id": dataset_id, "name": body["name"], "description": body.get("description", ""),
                   "rows": 0, "columns": len(body["schema"]["columns"]), "schema": body["schema"],
                   "owner": {"id": 1, "name": "leaf-publisher"}, "createdAt": NOW, "updatedAt": NOW, "pdpEnabled": False}
        self.datasets[dataset_id], self.data[dataset_id], self.policies[dataset_id] = dataset, [], []
        return dataset

    def update_dataset(self, dataset_id: str, body: dict) -> dict:
        dataset = self.datasets[dataset_id]
        if body.get("pdpEnabled") and not dataset["pdpEnabled"]:   # Domo adds its own open policy
            self._add_policy(dataset_id, {"name": "All Rows", "type": "open", "filters": [], "users": [], "groups": []})
        dataset.update({k: v for k, v in body.items() if k in ("name", "description", "schema", "pdpEnabled")})
        dataset["columns"] = len(dataset["schema"]["columns"])
        return dataset

    def replace_data(self, dataset_id: str, csv_bytes: bytes) -> None:
        rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8"))))
        width = len(self.datasets[dataset_id]["schema"]["columns"])
        if any(len(r) != width for r in rows):
            raise ValueError("row width does not match the schema")
        self.data[dataset_id] = rows
        self.datasets[dataset_id]["rows"] = len(rows)

    def export(self, dataset_id: str, header: bool) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if header:
            writer.writerow([c["name"] for c in self.datasets[dataset_id]["schema"]["columns"]])
        writer.writerows(self.data[dataset_id])
        return out.getvalue().encode()

    def _add_policy(self, dataset_id: str, body: dict) -> dict:
        ids = [p["id"] for ps in self.policies.values() for p in ps]
        policy = {"id": max(ids, default=7) + 1, "type": body.get("type", "user"), "name": body["name"],
                  "filters": [{**f, "not": bool(f.get("not", False))} for f in body["filters"]],
                  "users": body.get("users", []), "groups": body.get("groups", [])}
        self.policies[dataset_id].append(policy)
        return policy


def jwt(seconds: int) -> str:
    """Domo's access tokens are JWTs; pydomo reads `exp` to know when to renew."""
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return ".".join((part({"alg": "HS256"}), part({"exp": int(time.time()) + seconds, "jti": secrets.token_hex(8)}),
                     secrets.token_urlsafe(16)))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.handle_any("GET")

    def do_POST(self) -> None:
        self.handle_any("POST")

    def do_PUT(self) -> None:
        self.handle_any("PUT")

    def do_DELETE(self) -> None:
        self.handle_any("DELETE")

    def handle_any(self, method: str) -> None:
        s: DomoStandIn = self.server.standin
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.record = {"method": method, "path": url.path, "query": query, "body": body, "headers": dict(self.headers)}
        with s.lock:
            for i, (route, status, headers) in enumerate(s.faults):
                if f"{method} {url.path}".startswith(route):
                    del s.faults[i]
                    return self.answer(status, {"status": status, "statusReason": "fault", "message": "injected"}, headers)
            if url.path == "/oauth/token":
                return self.token(method, {**query, **{k: v[0] for k, v in parse_qs(body.decode()).items()}})
            if self.headers.get("Authorization", "").removeprefix("bearer ") not in s.tokens:
                return self.answer(401, {"status": 401, "statusReason": "Unauthorized",
                                         "message": "Full authentication is required"})
            try:
                self.route(s, method, url.path.split("/")[2:], query, body)
            except (KeyError, StopIteration, ValueError) as exc:
                self.answer(400 if isinstance(exc, ValueError) else 404,
                            {"status": 404, "statusReason": "Not Found", "message": str(exc)})

    def token(self, method: str, form: dict) -> None:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if method != "POST" or form.get("grant_type") != "client_credentials" or self.headers.get("Authorization") != expected:
            return self.answer(401, {"error": "unauthorized", "error_description": "Bad credentials"})
        token = jwt(3600)
        self.server.standin.tokens.append(token)
        self.answer(200, {"access_token": token, "token_type": "bearer", "expires_in": 3599,
                          "scope": form.get("scope") or "data user",
                          "customer": "leafhealth", "env": "prod", "userId": 1, "role": "Admin", "jti": "1"})

    def route(self, s: DomoStandIn, method: str, parts: list[str], query: dict, body: bytes) -> None:
        js = json.loads(body) if body and self.headers.get("Content-Type") == "application/json" else None
        head, rest = parts[0], parts[1:]
        if head in ("users", "groups") and method == "GET":
            source = USERS if head == "users" else GROUPS
            items = [{"id": i, "name": k, "email": k} if head == "users" else {"id": i, "name": k, "default": False,
                                                                                 "memberCount": 3} for k, i in source.items()]
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 50))
            return self.answer(200, items[offset:offset + limit])
        if head == "datasets":
            return self.datasets(s, method, rest, query, body, js)
        if head == "streams":
            return self.streams(s, method, rest, query, body, js)
        raise KeyError("/".join(parts))

    def datasets(self, s, method, rest, query, body, js) -> None:
        if not rest and method == "GET":
            like = query.get("nameLike", "").lower()
            found = sorted((d for d in s.datasets.values() if like in d["name"].lower()), key=lambda d: d["name"])
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 50))
            return self.answer(200, found[offset:offset + limit])
        if not rest and method == "POST":
            return self.answer(201, s.create_dataset(js))
        dataset_id = rest[0]
        s.datasets[dataset_id]  # noqa: B018 — KeyError → 404
        if len(rest) == 1:
            return self.answer(200, s.datasets[dataset_id] if method == "GET" else s.update_dataset(dataset_id, js))
        if rest[1] == "data" and method == "PUT":
            if query.get("updateMethod") != "REPLACE" or self.headers.get("Content-Type") != "text/csv":
                raise ValueError("only REPLACE imports of text/csv are expected")
            s.replace_data(dataset_id, body)
            return self.answer(204, b"")
        if rest[1] == "data" and method == "GET":
            return self.answer(200, s.export(dataset_id, query.get("includeHeader", "").lower() == "true"))
        policies = s.policies[dataset_id]
        if len(rest) == 2:
            return self.answer(200, policies) if method == "GET" else self.answer(201, s._add_policy(dataset_id, js))
        policy = next(p for p in policies if str(p["id"]) == rest[2])
        if method == "DELETE":
            policies.remove(policy)
            return self.answer(204, b"")
        if method == "PUT":
            policy.update({k: v for k, v in js.items() if k in ("name", "filters", "users", "groups", "type")})
            policy["filters"] = [{**f, "not": bool(f.get("not", False))} for f in policy["filters"]]
        self.answer(200, policy)

    def streams(self, s, method, rest, query, body, js) -> None:
        if not rest and method == "POST":
            dataset = s.create_dataset(js["dataSet"])
            stream_id = len(s.streams) + 1
            s.streams[stream_id] = {"dataSet": dataset["id"], "updateMethod": js["updateMethod"], "executions": {}}
            return self.answer(201, {"id": stream_id, "dataSet": dataset, "updateMethod": js["updateMethod"],
                                     "createdAt": NOW, "modifiedAt": NOW})
        if rest == ["search"]:
            dataset_id = query["q"].removeprefix("dataSource.id:")
            return self.answer(200, [{"id": k, "dataSet": s.datasets[v["dataSet"]], "updateMethod": v["updateMethod"]}
                                     for k, v in s.streams.items() if v["dataSet"] == dataset_id])
        stream = s.streams[int(rest[0])]
        execution = {"startedAt": NOW, "currentState": "ACTIVE", "createdAt": NOW, "modifiedAt": NOW}
        if rest[1:] == ["executions"] and method == "POST":
            execution_id = len(stream["executions"]) + 1
            stream["executions"][execution_id] = {}
            return self.answer(201, {"id": execution_id, **execution})
        parts = stream["executions"][int(rest[2])]
        if rest[3] == "part" and method == "PUT":
            parts[int(rest[4])] = body
            return self.answer(200, {"id": int(rest[2]), **execution})
        if rest[3] == "commit" and method == "PUT":
            s.replace_data(stream["dataSet"], b"".join(parts[k] for k in sorted(parts)))
            return self.answer(200, {"id": int(rest[2]), **execution, "currentState": "SUCCESS"})
        raise KeyError("/".join(rest))

    def answer(self, status: int, body, headers: dict | None = None) -> None:
        self.server.standin.requests.append({**self.record, "status": status})
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        kind = "text/csv" if isinstance(body, bytes) else "application/json"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
