"""The local lake as LakeFiles: a key is a path inside the lake, a missing file a clear NotFound."""
from __future__ import annotations

import pytest

from kernel.errors import InputError, NotFound
from services.takeover.adapters.lake_local import LocalLakeFiles, lake_path


@pytest.mark.parametrize("key", ["", "/etc/passwd", "silver/../../x", "silver//a.parquet", "silver/./a", "a\\b"])
def test_a_key_that_could_leave_the_lake_is_refused(tmp_path, key):
    with pytest.raises(InputError) as refused:
        lake_path(tmp_path, key)
    assert refused.value.code == "lake_key_invalid"


def test_a_present_file_is_read_where_it_is_and_a_missing_one_is_named(tmp_path):
    (tmp_path / "silver" / "LD-1").mkdir(parents=True)
    (tmp_path / "silver" / "LD-1" / "ds.parquet").write_bytes(b"PAR1")
    files = LocalLakeFiles(tmp_path)
    assert files.local("silver/LD-1/ds.parquet", "a" * 64) == tmp_path / "silver" / "LD-1" / "ds.parquet"
    with pytest.raises(NotFound) as missing:
        files.local("silver/LD-1/other.parquet", "a" * 64)
    assert missing.value.code == "lake_object_missing" and "silver/LD-1/other.parquet" in missing.value.message
