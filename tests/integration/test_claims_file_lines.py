"""LineIndex: a few lines of a large file by number, across read blocks, or None where lines are not records."""
import hashlib

import pytest

from services.calc.adapters.whole_read import LineRead, file_sha256


def index_lines(path):
    return LineRead(path, None, feed=False).result().lines


def _lines(count: int, width: int) -> list[str]:
    return [f"{n:08d}," + "x" * (width + n % 7) for n in range(count)]


@pytest.mark.parametrize("ending", ["\n", ""], ids=["newline at the end", "no newline at the end"])
def test_lines_across_chunks_and_a_line_longer_than_a_chunk(tmp_path, ending):
    lines = _lines(120_000, 150)
    lines[30_000] = "long," + "y" * (9 << 20)  # longer than one 8 MiB block
    lines[30_001] = "after the long line"
    path = tmp_path / "claims.csv"
    path.write_text("\n".join(lines) + ending, encoding="utf-8")
    index = index_lines(path)
    assert index is not None and index.lines == len(lines)
    wanted = [1, 2, 29_999, 30_000, 30_001, 55_555, 77_777, 100_000, len(lines) - 1]
    assert index.texts(wanted) == {n: lines[n] for n in wanted}
    # every line that straddles a chunk boundary comes back whole
    data = path.read_bytes()
    straddling = [data.count(b"\n", 0, start) for start in index.chunk_starts[1:]]
    assert index.texts(straddling) == {n: lines[n] for n in straddling}
    with pytest.raises(ValueError):
        index.texts([len(lines)])


@pytest.mark.parametrize("text", ['a,b\n1,"2"\n', "a,b\r\n1,2\r\n", "a,b\n1,2\r"])
def test_a_quote_or_a_carriage_return_gives_none(tmp_path, text):
    path = tmp_path / "claims.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert index_lines(path) is None


def test_blank_lines_count_as_lines(tmp_path):
    """The caller compares the count with the records DuckDB read: a skipped blank line makes them differ."""
    path = tmp_path / "claims.csv"
    path.write_text("a,b\n\n1,2\n", encoding="utf-8")
    index = index_lines(path)
    assert index is not None and index.lines == 3 and index.texts([2]) == {2: "1,2"}


def test_the_index_comes_with_the_files_sha256(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" + b"3,4")   # a last line without a newline: never one in the hash
    read = LineRead(path, None, feed=False, block=5).result()
    assert read.sha256 == file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert read.lines is not None and read.lines.lines == 3 and read.lines.texts([1, 2]) == {1: "1,2", 2: "3,4"}
    assert read.refused is None  # no record pattern, no check
