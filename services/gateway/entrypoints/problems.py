"""The one table from gRPC status to HTTP status, and RFC 9457 problem+json bodies with a stable `code`."""
from __future__ import annotations

import logging

import grpc
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from kernel import errors
from runtime.grpc_errors import INTERNAL_DETAIL, status_code_of

log = logging.getLogger(__name__)
Code = grpc.StatusCode

# Every gRPC status (all 17). Server faults are 5xx whatever their reason: monitoring counts them as ours.
HTTP_STATUS = {
    Code.OK: 500,  # a failure that says OK is a broken server
    Code.CANCELLED: 503,  # the service stopped the call; docs/security.md says why not 499
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,  # 413 when the error is TooLarge (request_too_large, result_too_large)
    Code.FAILED_PRECONDITION: 409,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Request too large", 415: "Unsupported media type",
          422: "Unprocessable request", 429: "Too many requests", 500: "Internal error", 501: "Not implemented",
          503: "Unavailable", 504: "Timed out"}


# What the web framework itself refuses (unparseable body, unknown route, wrong method), with a stable code too.
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large",
              415: "unsupported_media_type"}


def http_status_of(error: errors.DomainError) -> int:
    # RESOURCE_EXHAUSTED is one gRPC status for two things: a size (413) and a rate (429).
    if isinstance(error, errors.TooLarge):
        return 413
    return HTTP_STATUS[status_code_of(error)]


def problem(status: int, code: str, detail: str, headers: dict | None = None, **extra) -> JSONResponse:
    body = {"type": f"https://leaf.health/problems/{code.split(':')[0]}", "title": TITLES.get(status, "Error"),
            "status": status, "code": code, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = exc.headers
    if exc.status_code == 405:
        # The framework names the methods of the first route whose path matched; a path served by several
        # routes (GET and POST /v1/entitlements) allows them all.
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return problem(exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail), headers)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Each method some route would take for this path, asked of the router itself (included routers nest)."""
    routes = request.app.router.routes
    return [method for method in METHODS
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)]


async def domain_error(request: Request, exc: errors.DomainError) -> JSONResponse:
    status = http_status_of(exc)
    if status >= 500:
        # The code only: the service that failed logged the cause under the same trace id.
        log.warning("answered a server error", extra={"status": status, "code": exc.code})
    detail = INTERNAL_DETAIL if status == 500 else exc.message
    extra = {name: getattr(exc, name) for name in ("resolution", "plan") if hasattr(exc, name)}
    return problem(status, "internal" if status == 500 else exc.code, detail, **extra)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A fault of the gateway itself: 500 problem+json like any other, its cause only in the log."""
    log.error("unhandled error", exc_info=exc)
    return problem(500, "internal", INTERNAL_DETAIL)


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    return problem(422, "bad_request", "; ".join(describe(error, exc.body) for error in exc.errors()))


WHERE = {"query": "query parameter ", "path": "path parameter ", "header": "header ", "cookie": "cookie "}


def describe(error: dict, body) -> str:
    """One readable line per failed check: the field's path in the request, then what is wrong with it."""
    where, *path = error.get("loc") or ("body",)
    if error.get("type") == "json_invalid":
        return f"body: not valid JSON {_position(body, path[0] if path else 0)}: {error.get('ctx', {}).get('error', '')}"
    name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    field = f"{WHERE.get(where, '')}{name}" if name else where
    if error.get("type") == "extra_forbidden":
        return f"{field}: unknown field; this request has no field of that name"
    return f"{field}: {error.get('msg', 'invalid')}"


def _position(document, position: int) -> str:
    """Where a JSON decode error is, as an editor shows it (line and column from 1) and as a character offset."""
    if not isinstance(document, str) or not isinstance(position, int):
        return f"at position {position}"
    line = document.count("\n", 0, position) + 1
    column = position - document.rfind("\n", 0, position)
    return f"at line {line}, column {column} (position {position})"
