"""Who decides when an operator's tool changes a service's database in-process: `local:<OS user>`.

`leaf entitlements` and `leaf evidence promote` run the services' own use cases on their databases, with no
mesh and no identity assertion. The proof of authority is the OS account that can open that database
(its file, or its credentials in the environment), so that account is what the audit log records; there
is no flag to name someone else.
"""
from __future__ import annotations

import getpass

from kernel import principals


def local_operator() -> str:
    return principals.local(getpass.getuser())
