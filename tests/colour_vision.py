"""How far apart a figure's series stay in colour under simulated colour blindness.

The series of a panel are its data lines (and labelled reference lines), bar groups, and
scatter colours (each class of a class-coloured scatter); a colour drawn with transparency is
taken as it shows on white, once per colour (a run's thin seed lines and its thick mean are
one series). Twin axes over one panel count as one panel. Deficiencies are simulated with
``colorspacious`` (Machado et al. 2009) at full severity; distances are CIEDE2000 in CIELab.
"""

import itertools

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer

DEFICIENCIES = ("deuteranomaly", "protanomaly", "tritanomaly")
MAX_CLASSES = 10  # a scatter with more distinct colours is a colour map, not classes


def ciede2000(lab1, lab2):
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005) between two CIELab colours."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    d_big_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    rotation = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_mean, 1 + 0.015 * cp_mean * t
    dl, dc, dhh = (l2 - l1) / s_l, (c2p - c1p) / s_c, d_big_h / s_h
    return float(np.sqrt(dl**2 + dc**2 + dhh**2 - np.sin(np.radians(2 * rotation)) * r_c * dc * dhh))


def on_white(rgba):
    r, g, b, a = to_rgba(rgba)
    return tuple(round(a * v + (1 - a), 4) for v in (r, g, b))


def _line_colours(ax):
    for line in ax.get_lines():
        label = line.get_label() or ""
        x = np.asarray(line.get_xdata(), dtype=float)
        reference = len(x) == 2 and label.startswith("_")  # an unlabelled axis or guide
        if line.get_visible() and not reference:
            yield line.get_color(), line.get_alpha()


def _collection_colours(ax):
    for container in ax.containers:
        if isinstance(container, BarContainer) and container.patches:
            yield container.patches[0].get_facecolor(), None
    for c in ax.collections:
        if not isinstance(c, PathCollection) or not len(c.get_offsets()):
            continue
        values = c.get_array()
        if values is not None:
            classes = np.unique(np.asarray(values))
            if len(classes) <= MAX_CLASSES:
                for colour in c.to_rgba(classes):
                    yield tuple(colour), c.get_alpha()
        elif len(np.unique(c.get_facecolors(), axis=0)) <= MAX_CLASSES:
            for colour in np.unique(c.get_facecolors(), axis=0):
                yield tuple(colour), None


def series_colours(fig):
    """[set of RGB colours as shown on white] per panel (twin axes merged)."""
    panels = {}
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        key = tuple(np.round(ax.get_position().bounds, 3))
        seen = panels.setdefault(key, {})
        for colour, alpha in [*_line_colours(ax), *_collection_colours(ax)]:
            rgba = to_rgba(colour, alpha)
            base = to_rgba(colour)[:3]
            if base not in seen or rgba[3] > seen[base][3]:  # the most opaque drawing of a colour
                seen[base] = rgba
    return [{on_white(rgba) for rgba in seen.values()} for seen in panels.values()]


def smallest_distance(fig, deficiency=None):
    """The smallest CIEDE2000 distance between two series of one panel (inf: no panel has two).

    Args:
        deficiency: one of ``DEFICIENCIES`` (simulated at severity 100), or None for normal vision.
    """
    from colorspacious import cspace_convert

    def lab(rgb):
        rgb = np.asarray(rgb, dtype=float)
        if deficiency:
            rgb = np.clip(
                cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}, "sRGB1"), 0, 1
            )
        return cspace_convert(rgb, "sRGB1", "CIELab")

    best = np.inf
    for colours in series_colours(fig):
        labs = [lab(c) for c in colours]
        for p, q in itertools.combinations(labs, 2):
            best = min(best, ciede2000(p, q))
    return best
