"""lines_at: a few lines of a large file by number, across read chunks, or None where lines are not records."""
import pytest

from services.calc.adapters.claims_file import lines_at


def _lines(count: int, width: int) -> list[str]:
    return [f"{n:08d}," + "x" * (width + n % 7) for n in range(count)]


@pytest.mark.parametrize("ending", ["\n", ""], ids=["newline at the end", "no newline at the end"])
def test_lines_across_chunks_and_a_line_longer_than_a_chunk(tmp_path, ending):
    lines = _lines(60_000, 150)
    lines[30_000] = "long," + "y" * (9 << 20)  # longer than one 8 MiB read
    path = tmp_path / "claims.csv"
    path.write_text("\n".join(lines) + ending, encoding="utf-8")
    wanted = [0, 1, 29_999, 30_000, 30_001, 55_555, 59_999]
    found, count = lines_at(path, wanted)
    assert count == len(lines)
    assert found == {n: lines[n] for n in wanted}


@pytest.mark.parametrize("text", ['a,b\n1,"2"\n', "a,b\r\n1,2\r\n", "a,b\n1,2\r"])
def test_a_quote_or_a_carriage_return_gives_none(tmp_path, text):
    path = tmp_path / "claims.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert lines_at(path, [1]) is None


def test_blank_lines_count_as_lines(tmp_path):
    """The caller compares the count with the records DuckDB read: a skipped blank line makes them differ."""
    path = tmp_path / "claims.csv"
    path.write_text("a,b\n\n1,2\n", encoding="utf-8")
    assert lines_at(path, [2]) == ({2: "1,2"}, 3)
