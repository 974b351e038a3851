"""coursekit.claims: results stated in markdown are checked against what the cells above printed.

The notebooks themselves are checked after a real run in ``tests/test_headless.py``; here the
checker is run on small hand-made notebooks, so that each way a claim can go wrong is seen.
"""

import nbformat
import pytest

from coursekit import claims

from conftest import ROOT


def notebook(*cells):
    """Cells as ("md", text) or ("code", printed text)."""
    made = []
    for kind, text in cells:
        if kind == "md":
            made.append(nbformat.v4.new_markdown_cell(text))
        else:
            cell = nbformat.v4.new_code_cell("...")
            cell.outputs = [
                nbformat.v4.new_output("stream", name="stdout", text=text),
                nbformat.v4.new_output("stream", name="stderr", text="0.999 from a progress bar\n"),
            ]
            made.append(cell)
    return nbformat.v4.new_notebook(cells=made)


def test_a_result_that_a_cell_above_printed_passes():
    nb = notebook(
        ("code", "error 0.102, zigzags 34\n"), ("md", "error <output>0.102</output>, <output>34</output> zigzags")
    )
    assert claims.unprinted_results(nb) == []


@pytest.mark.parametrize("stated", ["0.10", "0.1021", "3", "0.999"])
def test_a_result_not_printed_as_written_above_is_reported(stated):
    nb = notebook(("code", "error 0.102, zigzags 34\n"), ("md", f"error <output>{stated}</output>"))
    assert claims.unprinted_results(nb) == [(1, stated)]


@pytest.mark.parametrize(
    "printed, stated", [("lr 3.5", "3"), ("shift -0.25", "0.25"), ("step 2.5e-3", "2.5"), ("1e-3", "1")]
)
def test_a_number_is_matched_whole_not_inside_another(printed, stated):
    nb = notebook(("code", printed + "\n"), ("md", f"it is <output>{stated}</output>"))
    assert claims.unprinted_results(nb) == [(1, stated)]


def test_a_negative_result_and_a_range_are_matched_as_printed():
    nb = notebook(("code", "shift -0.25, range 0.1-0.2\n"), ("md", "<output>-0.25</output>, <output>0.1-0.2</output>"))
    assert claims.unprinted_results(nb) == []


def test_a_result_printed_only_below_its_text_is_reported_and_parameters_are_not_checked():
    nb = notebook(("md", "at lr 0.05 the error is <output>0.102</output>"), ("code", "0.102\n"))
    assert claims.unprinted_results(nb) == [(0, "0.102")]


def test_every_number_of_a_marker_is_checked_and_an_empty_marker_is_an_error():
    nb = notebook(
        ("code", "0.869 +- 0.023\n"), ("md", "<output>0.869 ± 0.023</output>, <output>0.841 ± 0.037</output>")
    )
    assert claims.unprinted_results(nb) == [(1, "0.841"), (1, "0.037")]
    with pytest.raises(ValueError, match="holds no number"):
        claims.stated_results(notebook(("md", "<output>lower</output>")))


def test_times_and_memory_are_masked_and_other_numbers_kept():
    text = "ran in 12.3 s, 40 ms per epoch, peak 958 MB (1.1 GiB); accuracy 0.912 after 5 steps\n"
    assert claims.comparable(text) == (
        "ran in <measured>, <measured> per epoch, peak <measured> (<measured>); accuracy 0.912 after 5 steps\n"
    )
    with pytest.raises(TypeError, match="text"):
        claims.comparable(None)


@pytest.mark.parametrize("assignment_id", ["09_learning_rate_schedules", "10_beyond_the_notes"])
def test_the_rerun_notebooks_mark_their_results(assignment_id):
    source = (ROOT / "solutions" / f"{assignment_id}.py").read_text()
    assert source.count("<output>") >= 10
