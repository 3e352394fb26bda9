"""The stand-in's HTTP face: the token endpoint, Graph's drive routes, pre-authenticated downloads, injected faults."""
from __future__ import annotations

import hashlib
import json
import secrets
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

DRIVE_ID = "b!standInDrive"
TENANT_ID = "contoso-tenant"
CLIENT_ID = "leaf-evidence"
CLIENT_SECRET = "s3cret-value-never-logged"
DOWNLOAD_PATH = "/_layouts/15/download.aspx"   # where content redirects: pre-authenticated with tempauth=


def item_id(path: str) -> str:
    return "01" + hashlib.sha1(path.encode()).hexdigest()[:30].upper()


def graph_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message,
                      "innerError": {"date": "2026-01-05T10:00:00", "request-id": "0d1e", "client-request-id": "0d1e"}}}


class StandInHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # headers and body go out in two writes; Nagle would hold the body ~40 ms

    def log_message(self, *args) -> None:  # the test reads `requests`, not stderr
        pass

    def do_POST(self) -> None:
        standin = self.server.standin
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        if self.path != f"/{TENANT_ID}/oauth2/v2.0/token":
            return self.answer("other", 404, {"error": "not_found"})
        if form.get("client_id") != [CLIENT_ID] or form.get("client_secret") != [CLIENT_SECRET]:
            return self.answer("token", 401, {"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"})
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(24)
        with standin.lock:
            standin.tokens.append(token)
        self.answer("token", 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    def do_GET(self) -> None:
        standin = self.server.standin
        url = urlsplit(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        if path.startswith(DOWNLOAD_PATH):
            iid = query.get("UniqueId", [""])[0]
            ok = query.get("tempauth", [""])[0] in standin.download_tokens
            return self.answer("download", 200 if ok else 401, standin.items[iid]["data"] if ok else {"error": "tempauth"})
        prefix = f"/v1.0/drives/{DRIVE_ID}/"
        rest = path.removeprefix(prefix)
        route = ("root_path" if rest.startswith("root:/") else "delta" if "/delta" in rest
                 else "content" if rest.endswith("/content") else "item")
        bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
        with standin.lock:
            fault = standin.faults.get(route, []).pop(0) if standin.faults.get(route) else None
            if fault == 401:
                standin.revoked.add(bearer)
            if not path.startswith(prefix):
                return self.answer(route, 404, graph_error("itemNotFound", "The resource could not be found."))
            if bearer not in standin.tokens or bearer in standin.revoked:
                return self.answer(route, 401, graph_error("InvalidAuthenticationToken", "Access token has expired."),
                                   {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})
            if fault == 429:
                return self.answer(route, 429, graph_error("TooManyRequests", "Please retry after 1 second."),
                                   {"Retry-After": "1"})
            return self.graph(standin, route, rest, query)

    def graph(self, standin, route: str, rest: str, query: dict) -> None:
        if route == "root_path":
            iid = item_id(rest.removeprefix("root:/").rstrip(":"))
        else:
            iid = rest.removeprefix("items/").split("/")[0]
        if iid not in standin.items or standin.items[iid]["deleted"]:
            return self.answer(route, 404, graph_error("itemNotFound", "The resource could not be found."))
        if route == "delta":
            token = query.get("token", [None])[0] or (rest.split("token='")[1].split("'")[0] if "token='" in rest else None)
            if token and token.startswith("latest.") and standin.cursors_expired:
                return self.answer(route, 410, graph_error("resyncRequired", "Resync required. Replace any local items "
                                                           "with the server's version (including deletes)."))
            return self.answer(route, 200, standin.delta(iid, token))
        if route == "content":
            tempauth = secrets.token_urlsafe(16)
            standin.download_tokens.add(tempauth)
            return self.answer(route, 302, b"", {"Location": f"{standin.base}{DOWNLOAD_PATH}?UniqueId={iid}&tempauth={tempauth}"})
        self.answer(route, 200, standin.drive_item(iid, with_path=True))

    def answer(self, route: str, status: int, body: dict | bytes, headers: dict | None = None) -> None:
        self.server.standin.requests.append((route, status))
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
