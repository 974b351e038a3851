"""Feedback that reads offline and runs nothing the student wrote.

nbgrader's feedback HTML typesets ``$...$`` with MathJax loaded from a CDN, so a student who
opens it offline sees raw LaTeX; and it shows the student's HTML outputs and markdown as
they are, scripts included. Two preprocessors, run by ``generate_feedback`` (see
``nbgrader_config.py``):

- :class:`SafeStudentContent` keeps only the plain-text and image form of every output, and
  shows the markdown cells a student wrote or changed as text (HTML escaped); each image gets
  an alt text: the description the cell printed for it (``Figure: ...``, see
  :func:`coursekit.plots.caption`), else a sentence saying that a figure is shown;
- :class:`MathToMathML` converts each formula of the markdown cells to MathML, which
  browsers draw by themselves. A formula the converter cannot read, or a very long one, is
  left as it was.
"""

import html
import re
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

MAX_FORMULA = 1000
SAFE_OUTPUTS = ("text/plain", "image/png", "image/jpeg")
IMAGES = ("image/png", "image/jpeg")
NO_DESCRIPTION = "A figure drawn by this cell, which printed no description of it."
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$(?!\$)")


def _mathml(latex, display):
    from latex2mathml.converter import convert

    if len(latex) > MAX_FORMULA or any(c in latex for c in "<>&"):
        return None
    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # an unsupported construct: keep the source, MathJax may still draw it
        return None


def to_mathml(markdown: str) -> str:
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

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type == "markdown":
            cell.source = to_mathml(cell.source)
        return cell, resources


def _alt_texts(outputs):
    """Give each image output the alt text nbconvert's template writes: the cell's
    descriptions, in order, one per image."""
    from coursekit.plots.describe import PREFIX

    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    descriptions = [line[len(PREFIX) :].strip() for line in text.splitlines() if line.startswith(PREFIX)]
    images = [o for o in outputs if any(m in o.get("data", {}) for m in IMAGES)]
    for k, output in enumerate(images):
        alt = descriptions[k] if k < len(descriptions) and descriptions[k] else NO_DESCRIPTION
        for mime in IMAGES:
            if mime in output["data"]:
                output["metadata"][mime] = {**dict(output["metadata"].get(mime) or {}), "alt": alt}


class SafeStudentContent(Preprocessor):
    """Outputs as plain text and images only; student-written markdown shown as text."""

    enabled = Bool(True, help="on by default, unlike nbconvert's preprocessors").tag(config=True)

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if "data" in output:
                    output["data"] = {
                        k: _unpathed(v) if k == "text/plain" else v
                        for k, v in output["data"].items()
                        if k in SAFE_OUTPUTS
                    }
                    output["metadata"] = {}  # (a width or height from student code is no attribute of ours)
                if "text" in output:
                    output["text"] = _unpathed(output["text"])
                if "traceback" in output:
                    output["traceback"] = [_unpathed(line) for line in output["traceback"]]
            _alt_texts(cell.get("outputs", []))  # alt text only (escaped by nbconvert's template)
        elif cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get("locked"):
            cell.source = html.escape(cell.source)
        return cell, resources


def _machine_prefixes():
    import os
    import sys

    import coursekit

    found = {
        str(Path(coursekit.__file__).resolve().parent.parent),
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        os.path.expanduser("~"),
    }
    found |= {os.path.realpath(p) for p in list(found)}
    return sorted((p.rstrip("/") + "/" for p in found if len(p) > 1), key=len, reverse=True)


def _unpathed(text):
    """Text with the folders of the grading machine taken off the paths it shows (a
    traceback through coursekit or NumPy reads ``coursekit/training/two_layer.py:63``)."""
    if isinstance(text, list):
        return [_unpathed(t) for t in text]
    if not isinstance(text, str):
        return text
    for prefix in _PREFIXES:
        text = text.replace(prefix, "")
    return text


_PREFIXES = _machine_prefixes()
