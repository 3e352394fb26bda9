"""Which failures a retry might cure: a dependency that did not answer, was busy or faulted may answer next time;
a refusal (not found, not entitled, malformed, too large, not built) says the same however often it is asked."""
from __future__ import annotations

from kernel.errors import DomainError, Internal, RateLimited, Unavailable

# Unavailable covers TimedOut; Internal covers a service refusing the mesh's identity (a configuration fault).
PASSING = (Unavailable, RateLimited, Internal)


def is_permanent(error: DomainError) -> bool:
    return not isinstance(error, PASSING)
