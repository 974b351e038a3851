"""Widgets of topics 01-03, driven headlessly: in a kernel, each shows its figure in its own
output and a new one when a control moves; in process, the drawing functions return figures
of the data they were asked for."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursekit.plots.unstable_gradients import pick_layers  # noqa: E402
from coursekit.widgets import activations as act_widgets  # noqa: E402
from coursekit.widgets import initialization as init_widgets  # noqa: E402
from coursekit.widgets import unstable_gradients as ug_widgets  # noqa: E402

from widget_kernel import assert_redraws  # noqa: E402


def _control(widget, name):
    """The control whose description starts with ``name`` (then its unit, in brackets)."""
    return next(c for c in widget.children if getattr(c, "description", "").split(" (")[0] == name)


def test_layer_explorer_displays_the_figure_of_its_controls(widget_kernel):
    draw = "draw_layers({}, {}, {!r}, {!r})[0]"
    assert_redraws(
        widget_kernel,
        "from coursekit.widgets.unstable_gradients import draw_layers, layer_explorer\nug = layer_explorer()\nug",
        "ug",
        [
            ("", draw.format(30, 32, "sigmoid", "standard_normal")),
            ("ug.children[0].value = 12", draw.format(12, 32, "sigmoid", "standard_normal")),
            ("ug.children[3].value = 'glorot_uniform'", draw.format(12, 32, "sigmoid", "glorot_uniform")),
        ],
    )


def test_propagation_explorer_displays_the_figure_of_its_controls(widget_kernel):
    draw = "draw_propagation({!r}, 'glorot_uniform', {}, depth=20, width=64)[0]"
    assert_redraws(
        widget_kernel,
        "from coursekit.widgets.initialization import draw_propagation, "
        "propagation_explorer\npe = propagation_explorer(depth=20, width=64)\npe",
        "pe",
        [
            ("", draw.format("tanh", 1.0)),
            ("pe.children[2].value = 4.0", draw.format("tanh", 4.0)),
            ("pe.children[0].value = 'sigmoid'", draw.format("sigmoid", 4.0)),
        ],
    )


def test_activation_explorer_displays_the_chosen_function_and_greys_out_an_unused_alpha(widget_kernel):
    assert_redraws(
        widget_kernel,
        "from coursekit.widgets.activations import activation_explorer, draw_activation\n"
        "ae = activation_explorer()\nae",
        "ae",
        [
            ("", "draw_activation('elu', 1.0)[0]"),
            ("ae.children[1].value = 0.5", "draw_activation('elu', 0.5)[0]"),
            ("ae.children[0].value = 'selu'", "draw_activation('selu')[0]"),
        ],
    )
    (state,) = [o["text"] for o in widget_kernel.run("print(ae.children[1].disabled)") if o.get("name") == "stdout"]
    assert state.strip() == "True"


def test_layer_explorer_redraws_for_each_control():
    widget = ug_widgets.layer_explorer()
    first = widget.result
    assert first.activation == "sigmoid" and len(first.activations) == 30
    _control(widget, "depth").value = 12
    assert len(widget.result.activations) == 12
    _control(widget, "activation").value = "tanh"
    assert widget.result.activation == "tanh" and widget.result.saturation is not None
    _control(widget, "init").value = "glorot_uniform"
    assert widget.result.init == "glorot_uniform"
    assert widget.result.grad_norms[0] > first.grad_norms[0]  # Glorot: no vanishing
    _control(widget, "width").value = 64
    assert widget.result.activations[0].shape == (256, 64)


def test_draw_layers_figure_shows_the_run():
    figure, run = ug_widgets.draw_layers(8, 16, "relu", "he_normal")
    hist_ax, norm_ax, third_ax = figure.axes
    assert len(hist_ax.patches) == len(pick_layers(8))  # one step histogram per chosen layer
    np.testing.assert_allclose(norm_ax.lines[0].get_ydata(), run.grad_norms)
    assert third_ax.get_title() == "activation variance"  # ReLU has no saturation panel
    np.testing.assert_allclose(third_ax.lines[0].get_ydata(), run.variances)


def test_propagation_explorer_follows_the_gain():
    widget = init_widgets.propagation_explorer(depth=20, width=64)
    assert widget.result.activation == "tanh" and widget.result.gain == 1.0
    _control(widget, "gain").value = 4.0
    assert widget.result.gain == pytest.approx(4.0)
    # 4 x Glorot on tanh: the backward signal explodes towards the input
    assert widget.result.delta_variances[0] > 100 * widget.result.delta_variances[-1]
    _control(widget, "activation").value = "sigmoid"
    assert widget.result.activation == "sigmoid"
    _control(widget, "init").value = "he_normal"
    assert widget.result.init == "he_normal"


def test_draw_propagation_plots_both_signals():
    figure, run = init_widgets.draw_propagation("relu", "he_normal", depth=10, width=32)
    forward, backward = figure.axes
    np.testing.assert_allclose(forward.lines[0].get_ydata(), run.variances)
    np.testing.assert_allclose(backward.lines[0].get_ydata(), run.delta_variances)


def test_activation_training_curves_draw_each_seed_and_the_mean():
    from coursekit.plots import activations as act_plots

    seeds = [{"loss": [3.0, 1.0], "val_acc": [0.5, 0.9]}, {"loss": [1.0, 0.5], "val_acc": [0.7, 0.8]}]
    figure = act_plots.training_curves({"elu": seeds, "relu": seeds[0]})  # several seeds, or one run
    loss_panel = figure.axes[0]
    assert len(loss_panel.lines) == 5  # elu: two seeds and their mean; relu: its run and its mean
    mean = next(ln for ln in loss_panel.lines if ln.get_label() == "elu")
    np.testing.assert_allclose(mean.get_ydata(), [2.0, 0.75])


def test_activation_explorer_draws_the_chosen_function_and_alpha():
    widget = act_widgets.activation_explorer()
    alpha = _control(widget, "α")
    assert widget.result == "elu (alpha=1)" and not alpha.disabled
    alpha.value = 0.5
    assert widget.result == "elu (alpha=0.5)"
    for name, ignores_alpha in (("selu", True), ("leaky_relu", False), ("relu", True), ("elu", False)):
        _control(widget, "activation").value = name
        assert alpha.disabled is ignores_alpha, name
        assert widget.result == (name if ignores_alpha else f"{name} (alpha=0.5)")


def test_draw_activation_plots_values_and_derivatives():
    from coursekit.activations import leaky_relu, leaky_relu_grad

    figure, label = act_widgets.draw_activation("leaky_relu", 0.3)
    values, slopes = figure.axes
    line = values.lines[0]
    np.testing.assert_allclose(line.get_ydata(), leaky_relu(line.get_xdata(), 0.3))
    np.testing.assert_allclose(slopes.lines[0].get_ydata(), leaky_relu_grad(line.get_xdata(), 0.3))
    assert [ln.get_label() for ln in values.lines if not ln.get_label().startswith("_")] == [label, "relu"]
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        act_widgets.draw_activation("swish")
