"""Feedback that reads offline: the LaTeX of markdown cells becomes MathML.

nbgrader's feedback HTML typesets ``$...$`` with MathJax loaded from a CDN, so a student who
opens it offline sees raw LaTeX. This preprocessor, run by ``generate_feedback`` (see
``nbgrader_config.py``), converts each formula of the markdown cells to MathML, which
browsers draw by themselves. A formula the converter cannot read is left as it was.
"""

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$(?!\$)")


def _mathml(latex, display):
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # an unsupported construct: keep the source, MathJax may still draw it
        return None


def to_mathml(markdown):
    """Markdown with every ``$$...$$`` and ``$...$`` replaced by MathML where possible."""
    def replace(display):
        def inner(match):
            converted = _mathml(match.group(1), display)
            return converted if converted else match.group(0)
        return inner

    return INLINE.sub(replace(False), DISPLAY.sub(replace(True), markdown))


class MathToMathML(Preprocessor):
    """Convert the formulas of markdown cells to MathML (for offline feedback)."""

    enabled = Bool(True, help="on by default, unlike nbconvert's preprocessors").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = to_mathml(cell.source)
        return cell, resources
