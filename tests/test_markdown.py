"""The one Markdown table writer."""
import pytest

from scorelab.markdown import markdown_table


def test_markdown_table_lines():
    assert markdown_table(["a", "b"], [["1", ""], [2, "x"]]).splitlines() == [
        "| a | b |", "|---|---|", "| 1 |  |", "| 2 | x |"]


def test_a_row_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError, match="a table row has 1 cells for 2 columns"):
        markdown_table(["a", "b"], [["1"]])
