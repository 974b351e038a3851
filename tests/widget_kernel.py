"""Widgets as a student sees them, without a browser.

A real IPython kernel runs the widget code (``%matplotlib inline``, as in the notebooks), and
nbclient stands in for JupyterLab's widget manager: it routes every output that the kernel
sends while an ``Output`` widget is capturing into that widget, exactly as the browser does
(through :class:`coursekit.headless.HeadlessClient`, which cannot stall on them).
So a test reads what each widget *displays* (the images in its own ``Output``) and what the
cell displays outside it, not what a Python function returned.

Use the ``widget_kernel`` fixture of conftest.py (one kernel per test session and worker)::

    widget_kernel.run("w = some_widget()\\nw")
    (out,) = widget_kernel.outputs_of("w")
    before = widget_kernel.images(out)
    widget_kernel.run("w.children[0].value = 3")
    assert widget_kernel.images(out) != before
"""

import contextlib
import json

import nbformat

from coursekit.headless import HeadlessClient

from conftest import ROOT

PNG = "image/png"

_SETUP = """
%matplotlib inline
import json as _json
import ipywidgets as _widgets
import matplotlib.pyplot as _plt
from IPython.display import display as _display

def _show(figure):
    _display(figure)
    _plt.close(figure)

def _output_ids(widget):
    found, todo = [], [widget]
    while todo:
        w = todo.pop(0)
        if isinstance(w, _widgets.Output):
            found.append(w.model_id)
        todo[:0] = [c for c in getattr(w, "children", ()) if isinstance(c, _widgets.Widget)]
    return found
"""


class WidgetKernel:
    """One kernel, and the outputs that each of its ``Output`` widgets holds."""

    def __init__(self, timeout=120):
        self.notebook = nbformat.v4.new_notebook()
        self.client = HeadlessClient(
            self.notebook,
            timeout=timeout,
            kernel_name="python3",
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(ROOT)}},
        )
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(self.client.setup_kernel())
        self.run(_SETUP)

    def close(self):
        self._stack.close()

    def run(self, code):
        """Execute ``code`` as a new cell; return the cell's own outputs (an error raises)."""
        cell = nbformat.v4.new_code_cell(code)
        self.notebook.cells.append(cell)
        self.client.execute_cell(cell, len(self.notebook.cells) - 1)
        return cell.outputs

    def outputs_of(self, expression):
        """Model ids of the ``Output`` widgets inside the widget ``expression`` names."""
        (stream,) = [o for o in self.run(f"print(_json.dumps(_output_ids({expression})))") if o.get("name") == "stdout"]
        return json.loads(stream["text"])

    def displayed(self, output_id):
        """The outputs that the ``Output`` widget ``output_id`` shows now (after a
        ``clear_output(wait=True)``, still the old ones until a new output arrives)."""
        return list(self.client.comm_objects[output_id].outputs)

    def images(self, output_id):
        """The PNG images (base64 strings) that the ``Output`` widget shows now."""
        return [o["data"][PNG] for o in self.displayed(output_id) if PNG in o.get("data", {})]

    def errors(self, output_id):
        """Error outputs and stderr text that the ``Output`` widget shows now."""
        return [o for o in self.displayed(output_id) if o["output_type"] == "error" or o.get("name") == "stderr"]


def images_outside(cell_outputs):
    """Images a cell displays outside its widgets (a figure that escaped its widget)."""
    return [o for o in cell_outputs if PNG in o.get("data", {})]


def assert_shows_one_new_image(kernel, output_id, cell_outputs, before=None):
    """The widget's own output shows exactly one image, different from ``before``, and no
    error; the cell shows no image outside the widget. Returns the image."""
    assert not kernel.errors(output_id), kernel.errors(output_id)
    images = kernel.images(output_id)
    assert len(images) == 1, f"the widget's output shows {len(images)} images, not 1"
    assert images_outside(cell_outputs) == [], "a figure was displayed outside the widget"
    assert images[0] != before, "the widget's image did not change"
    return images[0]


def expected_image(kernel, figure_expression):
    """The PNG of the figure that ``figure_expression`` draws, displayed on its own."""
    outputs = kernel.run(f"_show({figure_expression})")
    (image,) = images_outside(outputs)
    return image["data"][PNG]


def assert_redraws(kernel, create, widget, steps, output=0):
    """A widget displays its figure in its own output, and a new one after each change.

    Args:
        create: code of a notebook cell that creates the widget and ends with its name.
        widget: the widget's name.
        steps: (code that changes a control, expression of the expected figure or None),
            starting with ("", expected figure) for the figure shown when the cell runs.
        output: which of the widget's ``Output`` widgets shows the figure.

    Returns:
        the model id of that ``Output``.
    """
    cell = kernel.run(create)
    out = kernel.outputs_of(widget)[output]
    image = None
    for change, expected in steps:
        if change:
            cell = kernel.run(change)
        image = assert_shows_one_new_image(kernel, out, cell, before=image)
        if expected is not None:
            assert image == expected_image(kernel, expected), f"after {change!r}: not the figure of {expected}"
    return out
