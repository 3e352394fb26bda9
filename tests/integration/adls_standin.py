"""A local HTTPS stand-in for ADLS Gen2 that speaks the DFS/Blob wire format and checks SharedKey signatures."""
from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import trustme

from tests.integration.https_standin import HttpsStandIn

ACCOUNT = "leafartifacts"
OCTETS = "application/octet-stream"
ACCOUNT_KEY = base64.b64encode(b"stand-in account key, 32 bytes!!").decode()
SIGNED_HEADERS = ("content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
                  "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range")


@pytest.fixture
def adls_standin(tmp_path):
    """An empty storage account served over HTTPS by a certificate only `standin.ca_file` vouches for."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "adls-ca.pem"))
    with AdlsStandIn(ca) as standin:
        standin.ca_file = str(tmp_path / "adls-ca.pem")
        yield standin


@dataclass
class PathEntry:
    data: bytes = b""
    pending: bytearray = field(default_factory=bytearray)   # appended, not yet flushed: invisible to readers
    content_type: str = OCTETS
    etag: str = field(default_factory=lambda: f'"0x{uuid.uuid4().hex[:15].upper()}"')
    modified: str = field(default_factory=lambda: formatdate(usegmt=True))


class AdlsStandIn(HttpsStandIn):
    """`filesystems[name][path]` holds the files; `requests` lists (route, status); `fail_next` injects one fault."""

    def __init__(self, ca: trustme.CA) -> None:
        super().__init__(ca, AdlsHandler)
        self.filesystems: dict[str, dict[str, PathEntry]] = {}
        self.requests: list[tuple[str, int]] = []
        self.faults: dict[str, list[int]] = {}
        # Path-style, as Azurite: the SDK takes the account name from the first path segment on 127.0.0.1.
        self.account_url = f"https://127.0.0.1:{self.port}/{ACCOUNT}"

    def fail_next(self, route: str, status: int) -> None:
        self.faults.setdefault(route, []).append(status)

    def routes(self, route: str) -> list[int]:
        return [status for r, status in self.requests if r == route]


def signature(key: str, string_to_sign: str) -> str:
    return base64.b64encode(hmac.new(base64.b64decode(key), string_to_sign.encode(), hashlib.sha256).digest()).decode()


def string_to_sign(method: str, headers, raw_path: str, query: list[tuple[str, str]]) -> str:
    """The service's SharedKey canonical form (learn.microsoft.com: "Authorize with Shared Key")."""
    values = {name.lower(): value for name, value in headers.items()}
    if values.get("content-length") == "0":
        values["content-length"] = ""
    standard = "".join(values.get(name, "") + "\n" for name in SIGNED_HEADERS)
    # The service orders x-ms-* names culture-invariantly, where '-' carries no weight at the first level.
    ms = sorted((n, v) for n, v in values.items() if n.startswith("x-ms-"))
    ms.sort(key=lambda nv: nv[0].replace("-", ""))
    canonical_headers = "".join(f"{n}:{v}\n" for n, v in ms)
    resource = f"/{ACCOUNT}{raw_path}" + "".join(f"\n{n.lower()}:{v}" for n, v in sorted(query))
    return f"{method}\n{standard}{canonical_headers}{resource}"


class AdlsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:  # the test reads `requests`, not stderr
        pass

    do_PUT = do_PATCH = do_GET = do_HEAD = do_DELETE = lambda self: self.handle_storage()

    def handle_storage(self) -> None:
        url = urlsplit(self.path)
        query = parse_qsl(url.query, keep_blank_values=True)
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        account, filesystem, path = (unquote(url.path).split("/", 3) + ["", ""])[1:4]
        params, standin = dict(query), self.server.standin
        route = self.route_of(path, params)
        signed = string_to_sign(self.command, self.headers, url.path, query)
        expected = f"SharedKey {ACCOUNT}:{signature(ACCOUNT_KEY, signed)}"
        with standin.lock:
            fault = standin.faults.get(route, []).pop(0) if standin.faults.get(route) else None
            if account != ACCOUNT or not self.headers.get("x-ms-version") or not self.headers.get("x-ms-date"):
                return self.error(route, 400, "InvalidUri", "missing account, x-ms-version or x-ms-date")
            if not hmac.compare_digest(self.headers.get("Authorization", ""), expected):
                return self.error(route, 403, "AuthenticationFailed", "Server failed to authenticate the request.")
            if fault:
                return self.error(route, fault, "InternalError", "injected fault")
            if not path:
                return self.filesystem(route, standin, filesystem, params)
            if filesystem not in standin.filesystems:
                return self.error(route, 404, "FilesystemNotFound", "The specified filesystem does not exist.")
            return getattr(self, route)(route, standin.filesystems[filesystem], path, params)

    def route_of(self, path: str, params: dict) -> str:
        if not path:
            return {"PUT": "filesystem_create", "DELETE": "filesystem_delete"}.get(self.command,
                                                                                  "filesystem_properties")
        if self.command == "PUT":
            return "rename" if self.headers.get("x-ms-rename-source") else "create"
        if self.command == "PATCH":
            return params["action"] if params.get("action") in ("append", "flush") else "unsupported"
        return {"GET": "read", "HEAD": "properties", "DELETE": "delete"}[self.command]

    def answer(self, route: str, status: int, headers: dict | None = None, body: bytes = b"",
               length: int | None = None) -> None:
        self.server.standin.requests.append((route, status))
        self.send_response(status)
        headers = {"x-ms-request-id": str(uuid.uuid4()), "x-ms-version": self.headers.get("x-ms-version", ""),
                   "Date": formatdate(usegmt=True), "Content-Length": str(len(body) if length is None else length),
                   **(headers or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, route: str, status: int, code: str, message: str) -> None:
        body = f'{{"error":{{"code":"{code}","message":"{message}"}}}}'.encode()
        self.answer(route, status, {"x-ms-error-code": code, "Content-Type": "application/json"}, body)

    # --- the filesystem: a Blob container to the SDK, so create and properties use the Blob API's restype=container
    def filesystem(self, route: str, standin: AdlsStandIn, fs: str, params: dict) -> None:
        if params.get("restype") != "container":
            return self.error(route, 400, "UnsupportedQueryParameter", "expected restype=container")
        exists = fs in standin.filesystems
        if self.command == "PUT":
            if exists:
                return self.error(route, 409, "ContainerAlreadyExists", "The specified container already exists.")
            standin.filesystems[fs] = {}
            return self.answer(route, 201, {"ETag": '"0x1"', "Last-Modified": formatdate(usegmt=True)})
        if not exists:
            return self.error(route, 404, "ContainerNotFound", "The specified container does not exist.")
        if self.command == "DELETE":
            del standin.filesystems[fs]
            return self.answer(route, 202)
        return self.answer(route, 200, {"ETag": '"0x1"', "Last-Modified": formatdate(usegmt=True),
                                        "x-ms-lease-state": "available", "x-ms-lease-status": "unlocked"})

    # --- paths: DFS create/append/flush/rename, Blob HEAD/GET for properties and reads -------------------------
    def create(self, route: str, files: dict[str, PathEntry], path: str, params: dict) -> None:
        if params.get("resource") != "file":
            return self.error(route, 400, "InvalidQueryParameterValue", "only resource=file is served")
        if self.headers.get("If-None-Match") == "*" and path in files:
            return self.error(route, 409, "PathAlreadyExists", "The specified path already exists.")
        # Creating over an existing file empties it at once: why the store writes a temp file and renames it.
        entry = files[path] = PathEntry(content_type=self.headers.get("x-ms-content-type") or OCTETS)
        self.answer(route, 201, self.entry_headers(entry))

    def rename(self, route: str, files: dict[str, PathEntry], path: str, params: dict) -> None:
        source_fs, _, source = self.headers["x-ms-rename-source"].split("?")[0].lstrip("/").partition("/")
        source_files = self.server.standin.filesystems.get(unquote(source_fs), {})
        if unquote(source) not in source_files:
            return self.error(route, 404, "SourcePathNotFound", "The source path of the rename does not exist.")
        files[path] = source_files.pop(unquote(source))   # one step: a reader sees the old file or the new
        self.answer(route, 201, self.entry_headers(files[path]))

    def append(self, route: str, files: dict[str, PathEntry], path: str, params: dict) -> None:
        entry = files.get(path)
        if entry is None:
            return self.error(route, 404, "PathNotFound", "The specified path does not exist.")
        if int(params.get("position", -1)) != len(entry.data) + len(entry.pending):
            return self.error(route, 400, "InvalidFlushPosition", "The uploaded data is not contiguous.")
        entry.pending += self.body
        self.answer(route, 202)

    def flush(self, route: str, files: dict[str, PathEntry], path: str, params: dict) -> None:
        entry = files.get(path)
        if entry is None:
            return self.error(route, 404, "PathNotFound", "The specified path does not exist.")
        if self.headers.get("If-Match") not in (None, entry.etag):
            return self.error(route, 412, "ConditionNotMet", "The condition specified is not met.")
        if int(params.get("position", -1)) != len(entry.data) + len(entry.pending):
            return self.error(route, 400, "InvalidFlushPosition", "The position does not equal the length of the file.")
        entry.data, entry.pending = entry.data + bytes(entry.pending), bytearray()
        entry.content_type = self.headers.get("x-ms-content-type") or entry.content_type
        entry.etag, entry.modified = PathEntry().etag, formatdate(usegmt=True)
        self.answer(route, 200, self.entry_headers(entry))

    def properties(self, route: str, files: dict[str, PathEntry], path: str, params: dict) -> None:
        if path not in files:
            return self.error(route, 404, "BlobNotFound", "The specified blob does not exist.")
        self.answer(route, 200, self.entry_headers(files[path]), length=len(files[path].data))

    def read(self, route: str, files: dict[str, PathEntry], path: str, params: dict) -> None:
        entry = files.get(path)
        if entry is None:
            return self.error(route, 404, "BlobNotFound", "The specified blob does not exist.")
        if self.headers.get("If-Match") not in (None, "*", entry.etag):   # a read pinned to a version that is gone
            return self.error(route, 412, "ConditionNotMet", "The condition specified is not met.")
        requested = self.headers.get("x-ms-range") or self.headers.get("Range")
        if not requested:
            return self.answer(route, 200, self.entry_headers(entry), entry.data)
        start, _, end = requested.removeprefix("bytes=").partition("-")
        if int(start) >= len(entry.data):   # a range on an empty file: the SDK then asks again without one
            return self.error(route, 416, "InvalidRange", "The range is invalid for the size of the resource.")
        last = min(int(end) if end else len(entry.data) - 1, len(entry.data) - 1)
        content_range = {"Content-Range": f"bytes {start}-{last}/{len(entry.data)}"}
        self.answer(route, 206, {**self.entry_headers(entry), **content_range}, entry.data[int(start):last + 1])

    def delete(self, route: str, files: dict[str, PathEntry], path: str, params: dict) -> None:
        if files.pop(path, None) is None:
            return self.error(route, 404, "PathNotFound", "The specified path does not exist.")
        self.answer(route, 200)

    def unsupported(self, route: str, *_args) -> None:
        self.error(route, 400, "UnsupportedHttpVerb", "not served by the stand-in")

    @staticmethod
    def entry_headers(entry: PathEntry) -> dict:
        return {"ETag": entry.etag, "Last-Modified": entry.modified, "Content-Type": entry.content_type,
                   "x-ms-blob-type": "BlockBlob", "x-ms-resource-type": "file", "x-ms-server-encrypted": "true",
                   "x-ms-creation-time": entry.modified, "Accept-Ranges": "bytes"}
