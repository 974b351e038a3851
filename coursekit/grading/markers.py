"""An nbgrader preprocessor that makes a blanked or short-circuited test cell score zero.

Stock nbgrader gives full marks to a test cell that produces no error. A submission that
blanks later cells (``get_ipython().input_transformers_cleanup``), rebinds ``check``, or
swallows its exception therefore gets full marks. Every successful ``check`` prints a
``✓ <exercise>:`` line; this preprocessor, run after execution during autograde, requires one
such line per ``check(...)`` call in the (restored, instructor's) test cell source, and adds
an error output where any is missing.

Enabled in ``nbgrader_config.py``; the out-of-process ``coursekit audit`` is the second line
of defence against cheats that fake the output too.
"""

import re

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade

from coursekit.grading import wording

# What nbgrader's IgnorePattern drops from stderr before grading: everything. A test cell's
# result is its check's ✓ line or its error (see RequireCheckMarkers); what an honest answer
# prints to stderr (warnings, logging, progress bars) must not cost points.
STDERR_IGNORED = r"(?s).*"

CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([\w.]+)["']""")


def expected_markers(source: str) -> list[str]:
    """Exercise names that a test cell's ``check`` calls must report, in order."""
    return [
        m.group(1)
        for line in source.splitlines()
        if not line.lstrip().startswith("#")
        for m in CHECK_CALL.finditer(line)
    ]


def missing_markers(cell: NotebookNode) -> list[str]:
    """Exercises whose success line is absent from the cell's stdout."""
    printed = "".join(
        out.get("text", "")
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )
    missing = []
    for name in expected_markers(cell.source):
        marker = wording.passed_marker(name)
        if marker in printed:
            printed = printed.replace(marker, "", 1)
        else:
            missing.append(name)
    return missing


class RequireCheckMarkers(NbGraderPreprocessor):
    """Turn a test cell whose ``check`` calls did not all report success into an error."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int) -> tuple[NotebookNode, dict]:
        if cell.cell_type != "code" or not is_grade(cell):
            return cell, resources
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return cell, resources
        missing = missing_markers(cell)
        if missing:
            message = (
                f"no result from check({', '.join(repr(m) for m in missing)}): the test "
                "did not run to completion (was the cell blanked or check replaced?)"
            )
            cell.outputs.append(
                NotebookNode(output_type="error", ename="GradingFailure", evalue=message, traceback=[message])
            )
        return cell, resources
