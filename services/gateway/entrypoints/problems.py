"""The one table from gRPC status to HTTP status, and RFC 9457 problem+json bodies with a stable `code`."""
from __future__ import annotations

import grpc
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from runtime import errors
from runtime.grpc_errors import status_code_of

HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Request too large", 415: "Unsupported media type",
          422: "Unprocessable request", 429: "Too many requests", 500: "Internal error", 503: "Unavailable",
          504: "Timed out"}


# What the web framework itself refuses (unparseable body, unknown route, wrong method), with a stable code too.
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large",
              415: "unsupported_media_type"}


def problem(status: int, code: str, detail: str, headers: dict | None = None, **extra) -> JSONResponse:
    body = {"type": f"https://leaf.health/problems/{code.split(':')[0]}", "title": TITLES.get(status, "Error"),
            "status": status, "code": code, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail), exc.headers)


async def domain_error(request: Request, exc: errors.DomainError) -> JSONResponse:
    # Authentication happens only here at the edge, so Unauthenticated never travels as a gRPC status.
    status = 401 if isinstance(exc, errors.Unauthenticated) else HTTP_STATUS.get(status_code_of(exc), 500)
    extra = {"resolution": exc.resolution} if hasattr(exc, "resolution") else {}
    return problem(status, exc.code, exc.message, **extra)


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = [".".join(str(p) for p in e["loc"] if p != "body") + f": {e['msg']}" for e in exc.errors()]
    return problem(422, "bad_request", "; ".join(fields))
