"""Every figure's series stay apart under simulated deuteranopia, protanopia and tritanopia.

The threshold is a CIEDE2000 distance of 10 between any two series of a panel, under each
simulated deficiency. A distance of 1 is about the smallest difference seen between two
large patches side by side; thin lines, small markers and legend swatches need several times
more (Szafir 2018, "Modeling Color Difference for Visualization Design", finds 3 to 6 times
for marks of a few pixels), and a series must be matched with its legend entry, not only
told apart from its neighbour. 10 leaves that margin and is met by Okabe and Ito's eight
colours (10.9 at worst, blue against sky blue under tritanopia), where matplotlib's default
palette falls to 1.3. Lines also differ by style (``coursekit.plots.palette``).
"""

import matplotlib.pyplot as plt
import pytest

pytest.importorskip("colorspacious", reason="colorspacious is in the dev extra: pip install -e '.[dev]'")

from coursekit.plots import palette  # noqa: E402

from colour_vision import DEFICIENCIES, ciede2000, series_colours, smallest_distance  # noqa: E402
from figure_catalog import FIGURES  # noqa: E402

THRESHOLD = 10.0


def test_ciede2000_matches_sharmas_test_data():
    # Sharma, Wu & Dalal (2005), Table 1, pairs 1, 7 and 17.
    assert ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert ciede2000((50, 0, 0), (50, -1, 2)) == pytest.approx(2.3669, abs=1e-4)
    assert ciede2000((50, 2.5, 0), (56, -27, -3)) == pytest.approx(31.9030, abs=1e-4)


def test_the_palette_itself_clears_the_threshold():
    fig, ax = plt.subplots()
    for k, colour in enumerate(palette.PALETTE):
        ax.plot([0, 1, 2], [k, k + 1, k], color=colour, label=str(k))
    for deficiency in (None, *DEFICIENCIES):
        assert smallest_distance(fig, deficiency) >= THRESHOLD, deficiency
    plt.close(fig)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_series_stay_apart_under_colour_blindness(name):
    fig = FIGURES[name]()
    distances = {d: round(smallest_distance(fig, d), 1) for d in DEFICIENCIES}
    plt.close(fig)
    assert min(distances.values()) >= THRESHOLD, (name, distances, series_colours(fig))
