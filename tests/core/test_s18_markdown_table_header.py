"""report.md tables: header cells are escaped like body cells. A column named with a pipe ("|ours - target|")
or a line break gave the header row more cells (or more lines) than the delimiter row, and a Markdown renderer
then shows no table at all (GFM requires the header and delimiter rows to have the same number of cells)."""

import re

from paperworks.core.report import Report, render_markdown


def _cells(line: str) -> int:
    # cells of a Markdown table row: pipes that are not escaped, minus the outer two
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def test_header_cells_with_pipes_or_line_breaks_keep_the_column_count():
    rep = Report("x", quick=True)
    rep.add_table("distances", ["|ours - target|", "two\nlines", "plain"], [["a|b", "c\nd", 1.5]])
    md = render_markdown(rep.to_dict())
    lines = md.splitlines()
    head = lines.index("## distances") + 2
    header, delim, row = lines[head:head + 3]
    assert _cells(header) == _cells(delim) == _cells(row) == 3
    assert header == "| \\|ours - target\\| | two lines | plain |"


def test_plain_tables_render_as_before():
    rep = Report("x", quick=True)
    rep.add_table("t", ["model", "acc"], [["mlp", 0.5]])
    assert "| model | acc |\n|---|---|\n| mlp | 0.5 |" in render_markdown(rep.to_dict())
