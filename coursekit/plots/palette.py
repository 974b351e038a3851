"""Colours every figure uses: Okabe and Ito's palette, chosen to stay distinguishable under
the three colour-vision deficiencies (deuteranopia, protanopia, tritanopia).

Okabe, M. & Ito, K. (2002), *Color Universal Design*. Simulated with ``colorspacious`` at
full severity, its eight colours keep a CIEDE2000 distance of at least 10.9 between any two
of them under each deficiency (``tests/test_colour_vision.py`` measures every figure), where
matplotlib's default ``tab10`` falls to 1.3 (blue against purple under protanopia).

Series also differ by line style (the cycle pairs each colour with one), so lines that cross
stay apart in greyscale print too. ``C0``..``C7`` name the palette's colours in order.
"""

import matplotlib as mpl
from cycler import cycler

BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
PURPLE, SKY, YELLOW, BLACK = "#CC79A7", "#56B4E9", "#F0E442", "#000000"

#: Okabe and Ito's colours, in the order series get them.
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK)
#: The line style of the series with the same index (solid, dashed, dash-dot, dotted, then again).
LINESTYLES = ("-", "--", "-.", ":", "-", "--", "-.", ":")
#: Markers for series drawn as points.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Context that is not a series (reference lines, other runs drawn faintly).
GREY = "#999999"
#: Colour maps: sequential data (perceptually uniform, readable in every deficiency) and
#: data around a centre (blue to red through white, which keeps its two sides apart).
SEQUENTIAL, DIVERGING = "viridis", "RdBu_r"


def cycle():
    """The property cycle: palette colours paired with line styles."""
    return cycler(color=PALETTE) + cycler(linestyle=LINESTYLES)


def use():
    """Make the palette matplotlib's default (``coursekit.plots`` does this when imported)."""
    mpl.rcParams["axes.prop_cycle"] = cycle()
    mpl.rcParams["image.cmap"] = SEQUENTIAL
