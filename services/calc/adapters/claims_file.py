"""A claims file on disk, read by the domain's streaming reader (domain/reading.py), which never opens a file itself."""
from __future__ import annotations

import io
import os

from kernel.errors import InputError
from services.calc.domain.claims import ClaimsBatch
from services.calc.domain.reading import read_claims_from


def read_claims(source: bytes | str | os.PathLike) -> ClaimsBatch:
    """Read a whole claims input: bytes are the file's content, a str or path names the file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return read_claims_from(io.BytesIO(bytes(source)))
    try:
        stream = open(source, "rb")
    except OSError as exc:
        raise InputError("bad_input:claims", f"cannot open the claims file: {exc}") from None
    with stream:
        return read_claims_from(stream)

