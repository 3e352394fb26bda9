"""What every HTTP request passes through at the edge, as one plain ASGI layer (cheaper than a middleware stack):
a deadline for its gRPC calls, a body size limit, security headers, and one access audit line.

The audit line says who asked for what and which scope or run it touched; never a body, a token or a query
value that could carry PHI (only the route template and the ids the handlers record).
"""
from __future__ import annotations

import logging
import math
import time

from starlette.exceptions import HTTPException

from services.gateway.adapters.mesh import request_deadline
from services.gateway.entrypoints.problems import problem

audit_log = logging.getLogger("leaf.audit")
TIMEOUT_HEADER = b"x-request-timeout"  # seconds the caller will wait; becomes the deadline of every gRPC call
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
]
API_ONLY = [  # not for /docs, whose page loads Swagger UI's own scripts
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),  # every answer is one caller's entitled data
]
DOCS = ("/docs", "/redoc", "/openapi.json")


class Edge:
    def __init__(self, app, timeout: float, max_body_bytes: int) -> None:
        self.app = app
        self.timeout = timeout
        self.max_body = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.monotonic()
        headers = dict(scope["headers"])
        budget = self._budget(headers)
        token = request_deadline.set(started + (budget or self.timeout))
        status = {"code": 500}
        extra = list(SECURITY_HEADERS) + ([] if scope["path"].startswith(DOCS) else API_ONLY)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            if budget is None:
                return await problem(400, "bad_request:x-request-timeout", "the X-Request-Timeout header must be a "
                                     "number of seconds greater than 0")(scope, receive, send_with_headers)
            declared = headers.get(b"content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
                return await self._too_large(scope, receive, send_with_headers)
            await self.app(scope, self._limited(receive), send_with_headers)
        except BodyTooLarge:
            await self._too_large(scope, receive, send_with_headers)
        finally:
            request_deadline.reset(token)
            if scope["path"].startswith("/v1/"):
                self._audit(scope, status["code"], started)

    def _budget(self, headers: dict) -> float | None:
        """Seconds this request may take: the configured timeout, or less if the caller asks; None if it asks nonsense
        (a deadline of nan, inf or below zero would fail every gRPC call as if the mesh were down)."""
        asked = headers.get(TIMEOUT_HEADER)
        if asked is None:
            return self.timeout
        try:
            seconds = float(asked)
        except ValueError:
            return None
        if not math.isfinite(seconds) or seconds <= 0:
            return None
        return min(max(seconds, 0.001), self.timeout)

    def _limited(self, receive):
        """Counts a body sent without Content-Length (chunked), so the limit holds for it too.

        BodyTooLarge is an HTTPException so that the framework's body parsing passes it on (it turns any other
        exception into a 400) and the app answers it as problem+json."""
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        return counted

    async def _too_large(self, scope, receive, send) -> None:
        await problem(413, "request_too_large", BodyTooLarge(self.max_body).detail)(scope, receive, send)

    @staticmethod
    def _audit(scope, status: int, started: float) -> None:
        state = scope.get("state", {})
        identity = state.get("identity")
        route = scope.get("route")
        audit_log.info("access", extra={
            "who": identity.principal if identity else None,
            "who_kind": identity.kind if identity else None,
            "method": scope["method"],
            "route": route.path if route is not None else "unmatched",
            "status": status,
            "run_id": scope.get("path_params", {}).get("run_id"),
            **state.get("audit", {}),
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        })


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def record(request, **fields) -> None:
    """Handlers note which client, scope or run a request touched, for the audit line (ids only)."""
    request.state.audit = {**getattr(request.state, "audit", {}), **fields}
