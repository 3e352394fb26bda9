"""An export on disk: a folder, or a .zip of one extracted (safely) to a temporary folder."""
from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from kernel.errors import InputError

SMALL_FILE_LIMIT = 64 * 1024 * 1024  # manifest, schemas, beastmodes.json: read whole


class FolderExport:
    def __init__(self, root: Path, name: str | None = None) -> None:
        self.root = root
        self.name = name or root.name
        self._paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        if not self._paths:
            raise InputError("export_unreadable", f"{self.name} holds no file")
        # A zip of a folder often holds that folder: an export whose only entry is one folder is read inside it.
        top = {PurePosixPath(p).parts[0] for p in self._paths}
        if "manifest.json" not in self._paths and len(top) == 1 and all("/" in p for p in self._paths):
            inner = top.pop()
            self.root = root / inner
            self._paths = [p[len(inner) + 1:] for p in self._paths]

    def paths(self) -> list[str]:
        return list(self._paths)

    def local_path(self, path: str) -> Path:
        return self.root / path

    def read(self, path: str) -> bytes | None:
        file = self.root / path
        if path not in self._paths or file.stat().st_size > SMALL_FILE_LIMIT:
            return None
        return file.read_bytes()


@contextlib.contextmanager
def open_export(path: str | Path, scratch: Path | None = None) -> Iterator[FolderExport]:
    """The export at `path` (a folder or a .zip); InputError `export_unreadable` when it is neither."""
    source = Path(path)
    if source.is_dir():
        yield FolderExport(source)
        return
    if not source.is_file() or not zipfile.is_zipfile(source):
        raise InputError("export_unreadable", f"{source.name} is not a folder or a .zip export")
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=scratch))
    try:
        try:
            with zipfile.ZipFile(source) as archive:
                for member in archive.infolist():
                    parts = PurePosixPath(member.filename.replace("\\", "/")).parts
                    if member.is_dir() or not parts:
                        continue
                    if parts[0] in ("/", "..") or ".." in parts or ":" in parts[0]:
                        raise InputError("export_unreadable", f"{source.name} holds a path outside the export")
                    target = folder.joinpath(*parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(member) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1024 * 1024)
        except (zipfile.BadZipFile, OSError) as err:
            raise InputError("export_unreadable", f"{source.name} could not be extracted: {type(err).__name__}") from err
        yield FolderExport(folder, name=source.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
