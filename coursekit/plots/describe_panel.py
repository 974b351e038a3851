"""What one panel of a figure shows, in one sentence (:func:`describe_axes`): its title, its
axes (with their ranges and log scales), and per series the trend and the numbers that matter
(first and last value, lowest and highest and where), bars and histograms by their values,
scatter plots by their points, images and filled contours by their range.
:mod:`coursekit.plots.describe` puts the panels' sentences together.
"""

import numpy as np
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.container import BarContainer
from matplotlib.image import AxesImage
from matplotlib.patches import Polygon
from matplotlib.ticker import FixedLocator

MAX_SERIES = 8
MAX_BARS = 8


def _num(value):
    return "nan" if not np.isfinite(value) else f"{value:.3g}"


def _label(artist):
    label = artist.get_label() or ""
    return "" if label.startswith("_") else label


def _trend(y):
    """'rises', 'falls', 'stays level', or those with a peak or a dip between the ends."""
    span = np.ptp(y)
    if span == 0 or span <= 1e-9 * max(1.0, np.abs(y).max()):
        return "stays level"
    ends = y[-1] - y[0]
    word = "stays level" if abs(ends) < 0.1 * span else ("rises" if ends > 0 else "falls")
    if y.max() - max(y[0], y[-1]) > 0.25 * span:
        return f"{word}, with a peak between" if word != "stays level" else "rises then falls"
    if min(y[0], y[-1]) - y.min() > 0.25 * span:
        return f"{word}, with a dip between" if word != "stays level" else "falls then rises"
    return word


def _xy(line):
    """A line's data as floats (text categories converted, masked points NaN)."""
    xy = np.ma.filled(np.ma.asarray(line.get_xydata(), dtype=float), np.nan)
    return xy[:, 0], xy[:, 1]


def _line(line):
    x, y = _xy(line)
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return "no finite values"
    gaps = "" if finite.all() else f" ({(~finite).sum()} points not finite: diverged)"
    x, y = x[finite], y[finite]
    if len(y) == 1:
        return f"one point at ({_num(x[0])}, {_num(y[0])}){gaps}"
    low, high = y.argmin(), y.argmax()
    return (
        f"{_trend(y)} from {_num(y[0])} at x={_num(x[0])} to {_num(y[-1])} at x={_num(x[-1])}; "
        f"lowest {_num(y[low])} at x={_num(x[low])}, highest {_num(y[high])} at x={_num(x[high])}{gaps}"
    )


def _bundle(lines):
    """Many unlabelled lines (one per feature, per seed) in one clause."""
    ys = [_xy(line)[1] for line in lines]
    ys = [y[np.isfinite(y)] for y in ys if np.isfinite(y).any()]
    if not ys:
        return f"{len(lines)} lines with no finite values"
    first, last = [y[0] for y in ys], [y[-1] for y in ys]
    return (
        f"{len(lines)} lines, starting between {_num(min(first))} and {_num(max(first))} and ending "
        f"between {_num(min(last))} and {_num(max(last))}"
    )


def _is_reference(line):
    """An axhline/axvline (or any straight line across a constant value)."""
    x, y = _xy(line)
    return len(x) == 2 and (x[0] == x[1] or y[0] == y[1])


def _lines(ax):
    named, unnamed, references = [], [], []
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        label = _label(line)
        if _is_reference(line):
            if not label:  # an axis at zero, a guide: not data
                continue
            x, y = _xy(line)
            where = f"x={_num(float(x[0]))}" if x[0] == x[1] else f"y={_num(float(y[0]))}"
            references.append(f"{label} at {where}")
        elif label:
            named.append(f"{label}: {_line(line)}")
        elif len(line.get_xdata()) > 1:
            unnamed.append(line)
    parts = named[:MAX_SERIES]
    if len(named) > MAX_SERIES:
        parts.append(f"and {len(named) - MAX_SERIES} more series")
    if unnamed and not named and len(unnamed) <= 3:
        parts += [f"line {i + 1}: {_line(line)}" for i, line in enumerate(unnamed)]
    elif unnamed and not named:
        parts.append(_bundle(unnamed))
    elif unnamed:
        parts.append(f"{len(unnamed)} thinner unlabelled lines behind them")
    if references:
        parts.append("reference lines: " + ", ".join(references))
    return parts


def _bars(ax):
    parts = []
    for container in ax.containers:
        if not isinstance(container, BarContainer) or not container.patches:
            continue
        horizontal = container.orientation == "horizontal"
        sizes = np.array([p.get_width() if horizontal else p.get_height() for p in container.patches])
        places = np.array(
            [p.get_y() + p.get_height() / 2 if horizontal else p.get_x() + p.get_width() / 2 for p in container.patches]
        )
        name = _label(container) or "bars"
        if len(sizes) <= MAX_BARS:
            names = _categories(ax, "y" if horizontal else "x")
            parts.append(f"{name}: " + ", ".join(f"{_name(names, p)}: {_num(v)}" for p, v in zip(places, sizes)))
        else:
            top = sizes.argmax()
            parts.append(
                f"{name}: {len(sizes)} bars from {_num(places[0])} to {_num(places[-1])}, "
                f"total {_num(sizes.sum())}, tallest {_num(sizes[top])} at {_num(places[top])}"
            )
    return parts


def _others(ax):
    parts = []
    for c in ax.collections:
        if isinstance(c, PathCollection) and len(c.get_offsets()):
            xy = np.asarray(c.get_offsets(), dtype=float)
            name = _label(c) or "points"
            parts.append(
                f"{name}: {len(xy)} points, x from {_num(xy[:, 0].min())} to {_num(xy[:, 0].max())}, "
                f"y from {_num(xy[:, 1].min())} to {_num(xy[:, 1].max())}"
            )
        elif isinstance(c, PolyCollection) and _label(c):
            parts.append(f"a shaded band: {_label(c)}")
    for image in ax.get_images():
        if isinstance(image, AxesImage):
            data = np.ma.masked_invalid(np.asarray(image.get_array(), dtype=float))
            parts.append(
                f"a colour map of {data.shape[0]}×{data.shape[1]} values from {_num(data.min())} to {_num(data.max())}"
            )
    for patch in ax.patches:
        if isinstance(patch, Polygon) and len(patch.get_xy()) > 2:  # a step histogram
            x, y = np.asarray(patch.get_xy(), dtype=float).T
            top = y.argmax()
            parts.append(
                f"histogram {_label(patch) or ''}: from {_num(x.min())} to {_num(x.max())}, "
                f"highest bin {_num(y[top])} at {_num(x[top])}".replace("histogram :", "histogram:")
            )
    levels = [c for c in ax.collections if hasattr(c, "levels") and getattr(c, "filled", False)]
    for c in levels:
        parts.append(f"filled contours from {_num(c.levels[0])} to {_num(c.levels[-1])}")
    return parts


def _axis(ax, which):
    label = getattr(ax, f"get_{which}label")() or "unlabelled"
    low, high = getattr(ax, f"get_{which}lim")()
    scale = getattr(ax, f"get_{which}scale")()
    note = "" if scale == "linear" else f", {scale} scale"
    names = _categories(ax, which)
    if names:
        return f"{which}: {label} ({', '.join(list(names.values())[:MAX_BARS])})"
    return f"{which}: {label} ({_num(min(low, high))} to {_num(max(low, high))}{note})"


def _categories(ax, which):
    """{tick position: name} when an axis names categories (fixed tick labels), else {}."""
    axis = getattr(ax, f"{which}axis")
    names = {
        float(t): tick.get_text() for t, tick in zip(axis.get_ticklocs(), axis.get_ticklabels()) if tick.get_text()
    }
    if not isinstance(axis.get_major_locator(), FixedLocator) or all(map(_numeric, names.values())):
        return {}
    return names


def _numeric(text):
    try:
        float(text.replace("\u2212", "-"))
        return True
    except ValueError:
        return False


def _name(names, place):
    """The category nearest a bar's centre (bars in a group sit around their tick)."""
    if not names:
        return _num(place)
    ticks = np.array(list(names))
    spacing = np.diff(np.sort(ticks)).min() if len(ticks) > 1 else 1.0
    nearest = ticks[np.abs(ticks - place).argmin()]
    return names[nearest] if abs(nearest - place) < spacing / 2 else _num(place)


def describe_axes(ax):
    """One sentence about one panel."""
    title = ax.get_title() or ax.get_title("left") or "untitled panel"
    body = _lines(ax) + _bars(ax) + _others(ax)
    return f"{title} ({_axis(ax, 'x')}; {_axis(ax, 'y')}): " + ("; ".join(body) or "nothing drawn") + "."
