"""A local HTTPS stand-in for Salesforce's REST API, answering its real shapes: query and queryAll with nextRecordsUrl
paging, the query locator, sobject describe, updated and deleted, the OAuth 2.0 token endpoint, and its errors
(`[{"message", "errorCode"}]`: REQUEST_LIMIT_EXCEEDED as 403, INVALID_SESSION_ID as 401).

It understands the SOQL the mirror sends: `SELECT f, … FROM Obj [WHERE c AND …] [ORDER BY f, …]` where each condition
is `F >= <dateTime>`, `F IN ('id', …)` or `F IN (SELECT Id FROM Obj)`.
"""
from __future__ import annotations

import copy
import json
import re
import secrets
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import trustme

from services.itr.domain.watermarks import canonical
from tests.integration.https_standin import HttpsStandIn

CLIENT_ID, CLIENT_SECRET = "3MVG9standin.client", "standin-client-secret"
SELECT = re.compile(r"^SELECT (?P<fields>.+?) FROM (?P<obj>\w+)(?: WHERE (?P<where>.+?))?(?: ORDER BY (?P<order>.+))?$")
GREATER = re.compile(r"^(\w+) >= (\S+)$")
IN_LIST = re.compile(r"^(\w+) IN \(((?:'[A-Za-z0-9]+',?)+)\)$")
IN_SELECT = re.compile(r"^(\w+) IN \(SELECT Id FROM (\w+)\)$")
PICKLIST_FIELDS = {"Status__c": ("New", "Triage", "In Progress", "Blocked", "Done", "Cancelled"),
                   "Priority__c": ("Low", "Medium", "High", "Urgent"),
                   "Deliverables__c": ("Workbook", "PDF", "Dashboard", "Extract", "Repricing")}


class SalesforceStandIn(HttpsStandIn):
    def __init__(self, ca: trustme.CA, records: dict[str, list[dict]], page_size: int = 2000) -> None:
        super().__init__(ca, Handler)
        self.records = copy.deepcopy(records)
        self.page_size = page_size
        self.base = f"https://127.0.0.1:{self.port}"
        self.tokens: set[str] = set()
        self.session_id = self.new_token()
        self.locators: dict[str, list[dict]] = {}
        self.purged: list[dict] = []      # {"id", "deletedDate"}: gone from queryAll, still in /deleted
        self.faults: list[tuple[str, int]] = []  # (route, status) answered next, in order
        self.requests: list[tuple[str, int]] = []
        self.bodies: list[str] = []       # every answer body sent, for leak scans
        self.issued = 0

    def new_token(self) -> str:
        token = f"00D5g000000StAnD!AQ{secrets.token_urlsafe(40)}"
        self.tokens.add(token)
        return token

    def expire_sessions(self) -> None:
        with self.lock:
            self.tokens.clear()

    def fail_next(self, route: str, status: int, times: int = 1) -> None:
        self.faults += [(route, status)] * times

    def purge(self, obj: str, record_id: str, when: str = "2025-01-19T00:00:00.000+0000") -> None:
        with self.lock:
            self.records[obj] = [r for r in self.records[obj] if r["Id"] != record_id]
            self.purged.append({"id": record_id, "deletedDate": when})

    def routes(self, route: str) -> list[int]:
        return [status for r, status in self.requests if r == route]

    # --- SOQL ------------------------------------------------------------------------------------------------
    def run(self, soql: str, include_deleted: bool) -> list[dict]:
        match = SELECT.match(soql.strip())
        if match is None:
            raise ValueError("MALFORMED_QUERY")
        fields = [f.strip() for f in match["fields"].split(",")]
        rows = [r for r in self.records.get(match["obj"], []) if include_deleted or not r.get("IsDeleted")]
        for condition in (match["where"] or "").split(" AND ") if match["where"] else ():
            rows = [r for r in rows if self._holds(condition.strip(), r)]
        if match["order"]:
            keys = [k.strip() for k in match["order"].split(",")]
            rows.sort(key=lambda r: tuple(canonical(r.get(k) or "") if k != "Id" else r["Id"] for k in keys))
        return [{"attributes": r["attributes"], **{f: r.get(f) for f in fields}} for r in rows]

    def _holds(self, condition: str, record: dict) -> bool:
        if m := GREATER.match(condition):
            value = record.get(m[1])
            return bool(value) and canonical(value) >= canonical(m[2])
        if m := IN_LIST.match(condition):
            return record.get(m[1]) in {v.strip("'") for v in m[2].split(",")}
        if m := IN_SELECT.match(condition):
            return record.get(m[1]) in {r["Id"] for r in self.records.get(m[2], []) if not r.get("IsDeleted")}
        raise ValueError("MALFORMED_QUERY")

    def page(self, rows: list[dict], version: str) -> dict:
        head, rest = rows[:self.page_size], rows[self.page_size:]
        body = {"totalSize": len(rows), "done": not rest, "records": head}
        if rest:
            locator = f"01g5g00000{secrets.token_hex(4)}-{self.page_size}"
            self.locators[locator] = rest
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}"
        return body


class Handler(BaseHTTPRequestHandler):
    server_version = "SalesforceStandIn"

    def log_message(self, *args) -> None:
        pass

    @property
    def standin(self) -> SalesforceStandIn:
        return self.server.standin  # type: ignore[attr-defined]

    def _send(self, route: str, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        with self.standin.lock:
            self.standin.requests.append((route, status))
            self.standin.bodies.append(data.decode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _fault(self, route: str) -> bool:
        with self.standin.lock:
            fault = next((f for f in self.standin.faults if f[0] in (route, "*")), None)
            if fault:
                self.standin.faults.remove(fault)
        if fault is None:
            return False
        if fault[1] == 403:
            self._send(route, 403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
        else:
            self._send(route, fault[1], [{"message": "An unexpected error occurred.", "errorCode": "UNKNOWN_EXCEPTION"}])
        return True

    def do_POST(self) -> None:
        if urlparse(self.path).path != "/services/oauth2/token":
            return self._send("other", 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        if form.get("grant_type") != ["client_credentials"] or form.get("client_id") != [CLIENT_ID] \
                or form.get("client_secret") != [CLIENT_SECRET]:
            return self._send("token", 400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        self.standin.issued += 1
        self._send("token", 200, {"access_token": self.standin.new_token(), "instance_url": self.standin.base,
                                  "id": f"{self.standin.base}/id/00D5g000000StAnD/0055g00000AbCdEAAV",
                                  "token_type": "Bearer", "issued_at": "1735689600000", "signature": "c3RhbmQtaW4="})

    def do_GET(self) -> None:
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        if parts[:2] != ["services", "data"] or len(parts) < 4:
            return self._send("other", 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
        version, rest = parts[2].removeprefix("v"), parts[3:]
        route = rest[0] if rest[0] in ("query", "queryAll") else rest[-1] if rest[0] == "sobjects" else "other"
        if rest[0] == "query" and len(rest) == 2:
            route = "query_more"
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.standin.tokens:
            return self._send(route, 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        if self._fault(route):
            return
        query = parse_qs(url.query)
        if route in ("query", "queryAll"):
            try:
                rows = self.standin.run(query["q"][0], include_deleted=route == "queryAll")
            except (ValueError, KeyError):
                return self._send(route, 400, [{"message": "unexpected token", "errorCode": "MALFORMED_QUERY"}])
            return self._send(route, 200, self.standin.page(rows, version))
        if route == "query_more":
            rows = self.standin.locators.pop(rest[1], None)
            if rows is None:
                return self._send(route, 400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}])
            return self._send(route, 200, self.standin.page(rows, version))
        if route == "describe":
            fields = [{"name": name, "type": "multipicklist" if name == "Deliverables__c" else "picklist",
                       "picklistValues": [{"value": v, "label": v, "active": True, "defaultValue": False} for v in values]}
                      for name, values in PICKLIST_FIELDS.items()]
            return self._send(route, 200, {"name": rest[1], "custom": True, "fields": [
                {"name": "Id", "type": "id", "picklistValues": []}, *fields]})
        if route in ("deleted", "updated"):
            start, end = (canonical(query[k][0]) for k in ("start", "end"))
            if route == "deleted":
                gone = [d for d in self.standin.purged if start <= d["deletedDate"] <= end]
                return self._send(route, 200, {"deletedRecords": gone, "earliestDateAvailable": start,
                                               "latestDateCovered": end})
            ids = [r["Id"] for r in self.standin.records.get(rest[1], [])
                   if start <= canonical(r.get("SystemModstamp") or "") <= end]
            return self._send(route, 200, {"ids": ids, "latestDateCovered": end})
        self._send("other", 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])


def now_utc() -> datetime:
    return datetime.now(UTC)
