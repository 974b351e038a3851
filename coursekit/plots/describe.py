"""A text alternative for every figure, read from the data it draws.

:func:`describe` walks a matplotlib figure's axes and states what each shows: its title, its
axes (with their ranges and log scales), and per series the trend and the numbers that
matter (first and last value, lowest and highest and where), bars and histograms by their
values, scatter plots by their points, images and filled contours by their range.
:func:`caption` prints it beside the figure in a notebook; widgets print it under theirs.
"""

import weakref

from coursekit.plots.describe_panel import MAX_BARS, MAX_SERIES, describe_axes  # noqa: F401  (re-exported)

PREFIX = "Figure: "

# What JupyterLab leaves out, put in the page: an output image gets no alt text (the image
# renderer ignores the output's metadata), and ipywidgets' slider handles (noUiSlider, role
# "slider") no accessible name. This gives each image of an output area the description
# printed beside it (in order), and each handle its slider's description.
_PAGE_SCRIPT = (
    """
(() => {
  if (window.coursekitLabels) return;
  window.coursekitLabels = true;
  const prefix = %r;
  const label = () => {
    document.querySelectorAll('.jp-OutputArea').forEach(area => {
      const lines = [...area.querySelectorAll(':scope > .jp-OutputArea-child .jp-RenderedText')]
        .flatMap(t => t.textContent.split('\\n')).filter(l => l.startsWith(prefix));
      area.querySelectorAll(':scope > .jp-OutputArea-child .jp-RenderedImage > img').forEach((img, k) => {
        const alt = k < lines.length ? lines[k].slice(prefix.length).trim() : null;
        if (alt && img.alt !== alt) img.alt = alt;
      });
    });
    document.querySelectorAll('.widget-slider').forEach(slider => {
      const name = slider.querySelector('.widget-label');
      const text = name && name.textContent.trim();
      slider.querySelectorAll('.noUi-handle').forEach(handle => {
        if (text && handle.getAttribute('aria-label') !== text) handle.setAttribute('aria-label', text);
      });
    });
  };
  let queued = false;
  new MutationObserver(() => {
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; label(); }); }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
  label();
})();
"""
    % PREFIX
)


def describe(fig):
    """A short text alternative for a matplotlib figure, from the data drawn in it.

    Returns:
        str: the figure's title, then one sentence per panel (colour bars are left out).
    """
    _check_figure(fig)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    head = f"{suptitle}. " if suptitle else ""
    count = f"{len(panels)} panels. " if len(panels) > 1 else ""
    return head + count + " ".join(describe_axes(ax) for ax in panels)


def _check_figure(fig):
    from matplotlib.figure import FigureBase

    if not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure (plt.subplots() returns (fig, ax)), got {type(fig).__name__}")


_captioned = weakref.WeakSet()


def caption(fig=None):
    """Print a figure's description (``Figure: ...``) beside it; returns nothing, so a notebook
    cell that ends with it shows each figure once.

    Args:
        fig: the figure; by default every open pyplot figure not described yet (in a notebook,
            the figures the cell drew), each on a line of its own.
    """
    label_page()
    if fig is None:
        import matplotlib.pyplot as plt

        figures = [plt.figure(n) for n in plt.get_fignums()]
    else:
        _check_figure(fig)
        figures = [fig]
    for figure in figures:
        if fig is not None or figure not in _captioned:
            _captioned.add(figure)
            print(PREFIX + describe(figure))


def label_page():
    """In a notebook kernel, once: put the script that gives JupyterLab's output images their
    printed descriptions as alt text, and slider handles their names, into the page."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel") or getattr(shell, "_coursekit_labels", False):
        return
    from IPython.display import Javascript, display

    display(Javascript(_PAGE_SCRIPT))
    shell._coursekit_labels = True
