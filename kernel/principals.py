"""Principals: who an entitlement, a grant, an identity or an audit entry names, each in one namespaced spelling.

`user:<email>`, `group:<name>`, `service:<common_name>` are what entitlements name (and so what a grant or an
identity can be entitled as); `workload:<service>` is a mesh service acting for itself, never issued by the
gateway; `local:<OS user>` is an operator at the database's own machine (the `leaf` command). Names match
exactly: nothing is stripped, and only an email's case is folded (identity providers disagree on it), so a
group named like an email, a group with a space before its name and a service token named like a group
are three other principals.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kernel.errors import InputError

USER, GROUP, SERVICE, WORKLOAD, LOCAL = "user", "group", "service", "workload", "local"
ENTITLED = frozenset({USER, GROUP, SERVICE})   # who an entitlement may name
OPERATORS = frozenset({USER, LOCAL})           # who an audit entry may name as the deciding operator
MAX_LENGTH = 200  # the whole principal, prefix included: the width of the database columns
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME = re.compile(r"^[^\s\x00-\x1f\x7f]+$")     # any visible characters; no whitespace anywhere
WORKLOAD_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
# For request validation at the edge (OpenAPI `pattern`): an entitled principal's shape; Principal.parse decides.
ENTITLED_PATTERN = r"^(user|group|service):\S+$"


@dataclass(frozen=True)
class Principal:
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

    @classmethod
    def parse(cls, text: str, kinds: Iterable[str] = ENTITLED) -> Principal:
        """The principal `text` spells, or InputError `bad_input:principal` naming what is wrong."""
        allowed = sorted(kinds)
        if not isinstance(text, str) or len(text) > MAX_LENGTH or any(c.isspace() for c in text):
            raise _bad(f"a principal is <kind>:<name> of at most {MAX_LENGTH} characters, without whitespace")
        kind, colon, name = text.partition(":")
        if not colon or kind not in allowed:
            raise _bad(f"a principal starts with one of {', '.join(k + ':' for k in allowed)}")
        if kind == USER:
            if not EMAIL.match(name):
                raise _bad("a user: principal is an email address")
            name = name.casefold()
        elif kind == WORKLOAD:
            if not WORKLOAD_NAME.match(name):
                raise _bad("a workload: principal is a service name")
        elif not NAME.match(name):
            raise _bad(f"a {kind}: principal needs a name")
        return cls(kind, name)


def principal(text: str, kinds: Iterable[str] = ENTITLED) -> str:
    """`text` in its one spelling (InputError `bad_input:principal` if it is none of `kinds`)."""
    return str(Principal.parse(text, kinds))


def user(email: str) -> str:
    return principal(f"{USER}:{email}")


def group(name: str) -> str:
    return principal(f"{GROUP}:{name}")


def service(common_name: str) -> str:
    return principal(f"{SERVICE}:{common_name}")


def workload(name: str) -> str:
    return principal(f"{WORKLOAD}:{name}", {WORKLOAD})


def local(os_user: str) -> str:
    return principal(f"{LOCAL}:{os_user}", {LOCAL})


def _bad(message: str) -> InputError:
    return InputError("bad_input:principal", message)
