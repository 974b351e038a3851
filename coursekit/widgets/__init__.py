"""ipywidgets demos. Each topic's widgets live in a submodule, ``coursekit.widgets.<topic>``.

Every demo is a function that returns the widget (so tests can drive it headlessly: setting
``.value`` fires the observers) and keeps its drawing logic in a plain function of the
control values, which the tests call directly.

A widget must *display* its figure inside its own ``Output``: ``ipywidgets.interactive``
shows only what the function displays (a returned figure is never shown), and matplotlib's
end-of-cell output does not run when a control moves. :func:`interactive_figure` does that
for every demo (:func:`displaying` for a layout of one's own, with
``ipywidgets.interactive_output``).

Every figure a widget shows is followed by its text alternative (``Figure: ...``, from
:func:`coursekit.plots.describe`), and every control's ``description`` names what it sets
(with its unit), shown in full and given to screen readers as the control's name
(:func:`named`, :func:`coursekit.plots.describe.label_page`).
"""


def named(*controls):
    """Show each control's whole description, and in a notebook give every slider handle its
    description as accessible name (once per kernel; later widgets are named as they appear).

    Returns:
        the controls, as given.
    """
    from coursekit.plots.describe import label_page

    for control in controls:  # (fixed values and Outputs have no style)
        style = getattr(control, "style", None)
        if style is not None and hasattr(style, "description_width"):
            style.description_width = "initial"
    label_page()
    return controls


def displaying(draw):
    """``draw(**values) -> (figure, result)`` as a function that displays the figure in the
    current output (then closes it) and returns ``result``."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    from coursekit.plots import caption

    def show(**values):
        figure, result = draw(**values)
        display(figure)
        caption(figure)
        plt.close(figure)
        return result

    return show


def interactive_figure(draw, **controls):
    """``ipywidgets.interactive`` over ``draw``, which shows the figure it draws.

    Args:
        draw: ``draw(**values) -> (figure, result)``, called with the controls' values each
            time one of them changes.
        **controls: name -> ipywidgets control, in the order they are shown.

    Returns:
        ``ipywidgets.interactive``: ``.children`` are the controls then the ``Output``
        (``.out``) that displays the figure; ``.result`` is the latest ``result``.
    """
    import ipywidgets as widgets

    named(*controls.values())
    return widgets.interactive(displaying(draw), **controls)
