"""Local secrets under LEAF_HOME/keys: created once, readable only by their owner, never in the repo.

They are the embedded defaults of secrets that Key Vault provides in production (the pseudonym key,
dev signing keys); production settings refuse them, so a dev key can never sign or key real data.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from runtime.home import home_path


def local_secret_path(name: str) -> Path:
    return home_path("keys", name)


def local_secret(name: str, nbytes: int = 32) -> bytes:
    """The bytes of LEAF_HOME/keys/<name>, made with the OS's CSPRNG on first use."""
    return local_key_file(name, lambda: secrets.token_bytes(nbytes))


def local_key_file(name: str, make: Callable[[], bytes]) -> bytes:
    """The bytes of LEAF_HOME/keys/<name>, written from `make()` on first use (e.g. a PEM private key).

    Created exclusively and renamed into place, so two processes starting together agree on one key.
    """
    path = local_secret_path(name)
    if not path.exists():
        # A random suffix as well as the pid: two threads of one process may race here too.
        scratch = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(make())
        try:
            os.link(scratch, path)  # fails if another process won the race: its key is the key
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    return path.read_bytes()
