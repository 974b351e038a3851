"""Widget notebooks run headless (as nbconvert and nbgrader's autograde run them) without
stalling.

nbclient's stand-in for an ``Output`` widget could swallow a cell's reply (see
:mod:`coursekit.headless`): the cell then waited, kernel and client idle, until its timeout
ran out (after which the reply is found and the run goes on), in about one display in twenty
under ipykernel 7. A stall therefore shows as a cell that takes its whole timeout. Here every
solution notebook that has a widget runs once with :class:`coursekit.headless.HeadlessClient`,
and each of its widget cells runs twice more, each well within its timeout; and a hundred
small cells that display into an ``Output`` run in one kernel, each within seconds.

The same first pass of topics 09 and 10 is then compared with a second run in a fresh kernel
whose global generators (torch, NumPy, Python) are seeded otherwise: every cell must print
the same text, times and memory figures aside, and every result their markdown states
(``<output>`` markers, :mod:`coursekit.claims`) must be in what they printed. Reusing the
first pass (this module runs on one worker, in order) costs one extra run of each.
"""

import json
import re
import time

import nbformat
import pytest

from coursekit import claims, course
from coursekit.headless import HeadlessClient, QuietOutputWidget

from conftest import ROOT

CELL_LIMIT = 120  # seconds: nbgrader_config.py's cell timeout
WIDGET_CELL_TIMEOUT = 40  # a stalled widget cell takes this long
WIDGET_CELL_LIMIT = 30  # a widget cell takes a few seconds, a stalled one its whole timeout
REPEATS = 2  # extra runs of each widget cell
RERUN = ("09_learning_rate_schedules", "10_beyond_the_notes")  # notebooks run twice, outputs compared
OTHER_SEEDS = "import random, numpy, torch\nrandom.seed(2029); numpy.random.seed(2029); torch.manual_seed(2029)"
_first_pass = {}  # notebook path -> printed text of each cell in the widget test's first pass

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def widget_notebooks(root=ROOT):
    """The solution notebooks whose code imports from ``coursekit.widgets``, as parameters."""
    found = []
    for assignment_id in course.assignments(root):
        path = root / "solutions" / assignment_id / course.notebook_name(assignment_id)
        if path.exists() and any(
            cell.cell_type == "code" and "coursekit.widgets" in cell.source
            for cell in nbformat.read(path, as_version=4).cells
        ):
            found.append(pytest.param(path, id=assignment_id))
    return found


def widget_cells(notebook):
    """Indices of the code cells that call a function imported from ``coursekit.widgets``."""
    sources = ["".join(cell.source) for cell in notebook.cells]
    names = {
        name.strip()
        for source in sources
        for imported in re.findall(r"from coursekit\.widgets\.\w+ import ([\w, ]+)", source)
        for name in imported.split(",")
    }
    return [
        i
        for i, (cell, source) in enumerate(zip(notebook.cells, sources))
        if cell.cell_type == "code" and any(re.search(rf"\b{name}\(", source) for name in names)
    ]


def _run(client, cell, index, timeout):
    start = time.monotonic()
    client.timeout = timeout
    client.execute_cell(cell, index)
    return round(time.monotonic() - start, 1)


@pytest.mark.parametrize("path", widget_notebooks())
def test_widget_notebook_runs_headless_and_its_widget_cells_again(path):
    notebook = nbformat.read(path, as_version=4)
    repeat = widget_cells(notebook)
    assert repeat, "no widget cell found"
    client = HeadlessClient(
        notebook,
        timeout=CELL_LIMIT,
        kernel_name="python3",
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(path.parent)}},
    )
    seconds = {}
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                seconds[index] = [_run(client, cell, index, WIDGET_CELL_TIMEOUT if index in repeat else CELL_LIMIT)]
        _first_pass[path] = claims.printed_by_cell(notebook)
        for _ in range(REPEATS):
            for index in repeat:
                seconds[index].append(_run(client, notebook.cells[index], index, WIDGET_CELL_TIMEOUT))
    widget_seconds = {i: seconds[i] for i in repeat}
    print(f"\n{path.name}: widget cells {widget_seconds}, all cells {sum(map(sum, seconds.values())):.0f} s")
    assert all(len(s) == 1 + REPEATS for s in widget_seconds.values())
    slow = {i: s for i, s in widget_seconds.items() if max(s) > WIDGET_CELL_LIMIT}
    assert not slow, f"widget cells that took more than {WIDGET_CELL_LIMIT} s (cell index: seconds per run): {slow}"


def _printed(path, *, seeded_otherwise):
    notebook = nbformat.read(path, as_version=4)
    if seeded_otherwise:
        notebook.cells.insert(0, nbformat.v4.new_code_cell(OTHER_SEEDS))
    HeadlessClient(
        notebook,
        timeout=CELL_LIMIT,
        kernel_name="python3",
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    if seeded_otherwise:
        del notebook.cells[0]
    return notebook, claims.printed_by_cell(notebook)


@pytest.mark.parametrize("assignment_id", RERUN)
def test_notebook_prints_the_same_text_in_a_fresh_kernel_and_states_only_what_it_printed(assignment_id):
    path = ROOT / "solutions" / assignment_id / course.notebook_name(assignment_id)
    first = _first_pass.get(path) or _printed(path, seeded_otherwise=False)[1]
    notebook, second = _printed(path, seeded_otherwise=True)
    differ = [
        (i, a, b)
        for i, (a, b) in enumerate(zip(first, second))
        if a is not None and claims.comparable(a) != claims.comparable(b)
    ]
    assert not differ, "cells that printed other text on the second run:\n" + "\n".join(
        f"cell {i}:\n--- first\n{a}--- second\n{b}" for i, a, b in differ
    )
    assert claims.stated_results(notebook), "no <output> marker in the markdown"
    missing = claims.unprinted_results(notebook)
    assert not missing, f"results stated in the markdown that no cell above printed (cell, number): {missing}"


def test_a_hundred_output_widget_cells_run_without_a_stall():
    cells = ["import ipywidgets as w\nfrom IPython.display import display"]
    cells += [f"o = w.Output()\nwith o:\n    display({i})\no" for i in range(100)]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = HeadlessClient(notebook, timeout=6, kernel_name="python3", shutdown_kernel="immediate")
    seconds = []
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            seconds.append(_run(client, cell, index, 6))  # a stalled cell takes the whole 6 s
    stalled = [i for i, s in enumerate(seconds[1:], 1) if s > 3]
    assert not stalled, f"cells that took more than 3 s: {stalled} (seconds {[seconds[i] for i in stalled]})"
    outputs = [w.outputs for w in client.comm_objects.values() if isinstance(w, QuietOutputWidget)]
    assert len(outputs) == 100 and all(json.dumps(o).count("text/plain") == 1 for o in outputs)


def test_nbgrader_execute_collects_output_widgets_quietly_and_takes_the_execute_config():
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    from coursekit.headless import nbgrader_execute

    config = Config()
    config.Execute.timeout = 77
    execute = nbgrader_execute()(config=config)
    assert isinstance(execute, Execute) and execute.timeout == 77
    code = "import ipywidgets as w\nfrom IPython.display import display\no = w.Output()\nwith o:\n    display(7)\no"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute.preprocess(notebook, {"metadata": {"path": str(ROOT)}})
    (quiet,) = [w for w in execute.comm_objects.values() if isinstance(w, QuietOutputWidget)]
    assert [o["data"]["text/plain"] for o in quiet.outputs] == ["7"]
