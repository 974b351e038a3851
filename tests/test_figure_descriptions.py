"""Every figure has a text alternative: ``coursekit.plots.describe`` states what a figure
shows from the data drawn; every notebook cell that draws a figure prints it
(``caption()``), widgets print it under theirs, and every image of the class report and of the
feedback pages has a non-empty alt text that describes it."""

import re

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest

from coursekit.grading import class_report
from coursekit.grading.feedback_math import NO_DESCRIPTION, SafeStudentContent
from coursekit.plots import caption, describe

from conftest import ROOT
from figure_catalog import FIGURES
from figure_cells import figure_cells

IMG = re.compile(r"<img\b[^>]*>")
ALT = re.compile(r'\balt="([^"]*)"')


def test_a_line_is_described_by_its_axes_trend_and_numbers():
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3, 4], [4.0, 2.0, 1.0, 0.5], label="loss")
    ax.plot([1, 2, 3, 4], [0.1, 0.5, 0.9, 0.2], label="accuracy")
    ax.axhline(1.0, ls="--", label="target")
    ax.set(xlabel="epoch", ylabel="value", yscale="log", title="training")
    text = describe(fig)
    assert text.startswith("training (x: epoch (") and "log scale" in text
    assert "loss: falls from 4 at x=1 to 0.5 at x=4" in text
    assert "accuracy: stays level, with a peak between" in text or "accuracy: rises, with a peak between" in text
    assert "highest 0.9 at x=3" in text and "target at y=1" in text


def test_bars_points_images_and_divergence_are_described():
    fig, (bars, points, image) = plt.subplots(1, 3)
    bars.bar([0, 1], [3, 5], label="counts")
    bars.set_xticks([0, 1], ["a", "b"])
    points.scatter([0, 1, 2], [5, 6, 7])
    points.plot([1, 2, 3], [1.0, np.inf, np.nan], label="run")
    image.imshow(np.arange(6.0).reshape(2, 3))
    text = describe(fig)
    assert "3 panels" in text and "counts: a: 3, b: 5" in text
    assert "3 points, x from 0 to 2" in text and "2 points not finite: diverged" in text
    assert "a colour map of 2×3 values from 0 to 5" in text


def test_caption_prints_each_open_figure_once(capsys):
    first, second = plt.figure(), plt.figure()
    first.add_subplot().set_title("one")
    second.add_subplot().set_title("two")
    caption()
    caption()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Figure: one") and lines[1].startswith("Figure: two")


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_figure_gets_a_description_from_its_data(name):
    fig = FIGURES[name]()
    text = describe(fig)
    labels = [label for ax in fig.axes for label in (ax.get_xlabel(), ax.get_ylabel()) if label]
    assert all(label in text for label in labels), (labels, text)
    assert re.search(r"\d", text) and "nothing drawn" not in text, text


@pytest.mark.parametrize("source", sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py")), ids=lambda p: p.stem)
def test_every_figure_cell_prints_a_description(source):
    undescribed = [line for line, _, described in figure_cells(source.read_text()) if not described]
    assert not undescribed, f"{source.name}: the cells at lines {undescribed} draw a figure without caption()"


def test_the_class_report_gives_each_figure_its_description_as_alt_text():
    data = {
        "assignment": "00_backprop",
        "graded_at": "now",
        "audit_seed": 1,
        "sandboxed": True,
        "students": 3,
        "max_score": 2.0,
        "final_scores": {"a": 0.0, "b": 2.0, "c": 2.0},
        "statuses": {"ok": 3},
        "exercises": {
            "layers.softmax": {"graded": 3, "visible_pass_rate": 1.0, "hidden_pass_rate": 2 / 3, "conventions": []}
        },
        "review": {},
        "seconds": {"a": 5.0, "b": 6.0, "c": 7.5},
    }
    images = IMG.findall(class_report.render(data))
    alts = [ALT.search(img).group(1) for img in images]
    assert len(images) == 3 and all(alts), images
    assert "final score" in alts[0] and "visible cases: layers.softmax: 1" in alts[1]


def test_feedback_images_get_the_cells_description_as_alt_text():
    from nbconvert import HTMLExporter

    described = nbformat.v4.new_code_cell("caption()")
    described.outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "fig"}),
        nbformat.v4.new_output("stream", name="stdout", text="Figure: loss falls from 2 to 1.\n"),
    ]
    bare = nbformat.v4.new_code_cell("plt.plot(x)")
    bare.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})]
    exporter = HTMLExporter(template_name="classic")  # nbgrader's feedback template extends it
    exporter.register_preprocessor(SafeStudentContent, enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[described, bare]))
    alts = [ALT.search(img).group(1) if ALT.search(img) else "" for img in IMG.findall(body)]
    assert alts == ["loss falls from 2 to 1.", NO_DESCRIPTION]


@pytest.mark.parametrize("bad", [None, "figure", 3])
def test_describe_names_its_argument_when_given_no_figure(bad):
    from coursekit.plots.describe import caption, describe

    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        describe(bad)
    if bad is not None:  # (caption() with no figure describes every open one)
        with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
            caption(bad)


def test_a_line_over_text_categories_is_described():
    import matplotlib.pyplot as plt

    from coursekit.plots.describe import describe

    fig, ax = plt.subplots()
    ax.plot(["sgd", "adam", "nadam"], [3.0, 1.0, 2.0], label="loss")
    assert "loss: " in describe(fig) and "lowest 1" in describe(fig)
