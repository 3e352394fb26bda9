"""Domain errors: raised by the domain, mapped to gRPC status in one interceptor, to HTTP in one gateway table."""
from __future__ import annotations


class DomainError(Exception):
    """A rule was broken; `code` is stable and machine-readable (e.g. `bad_input:scope`)."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or code
        super().__init__(f"{code}: {self.message}" if message else code)


class InputError(DomainError):
    """The caller's input is malformed (reason codes of calculations.md: missing_column:<c>, bad_input:<x>, …)."""


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class NotReady(DomainError):
    """A precondition is not met, e.g. the scope is not exact or no claims were loaded."""


class Conflict(DomainError):
    """What the caller sends clashes with what is stored: it exists already, otherwise (or a concurrent change won)."""


class Refused(DomainError):
    """The caller may not have this (scope outside the grant, cross-client evidence)."""


class Unavailable(DomainError):
    """A dependency did not answer; the call may succeed when retried."""


class Unauthenticated(DomainError):
    """The caller did not prove who it is: no credentials, or credentials that do not verify."""


class TooLarge(DomainError):
    """A request or a result is larger than the mesh carries (`request_too_large`, `result_too_large`)."""


class RateLimited(DomainError):
    """Too many calls for now; the caller should wait and retry."""


class TimedOut(Unavailable):
    """The call's deadline passed before an answer came (the work may still have happened)."""


class Unimplemented(DomainError):
    """The operation exists in the contract but is not built on this server."""


class Internal(DomainError):
    """A fault of the server, never of the caller's input: its text names no internals."""
