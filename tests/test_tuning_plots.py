"""Tests for coursekit.plots.tuning: the figures show the trials they are given."""

import matplotlib
import numpy as np
import pytest

from coursekit import tuning

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from coursekit.plots import tuning as tuning_plots  # noqa: E402

# ----- figures -------------------------------------------------------------------------


def _trials(seed, n=12):
    rng = np.random.default_rng(seed)
    return [
        ({"lr": float(10 ** rng.uniform(-4, 0)), "hidden": int(rng.integers(8, 64))}, float(rng.random()))
        for _ in range(n)
    ]


def test_figures_show_the_trials():
    grid, random = _trials(0), _trials(1)
    fig = tuning_plots.search_samples({"grid": grid, "random": random}, x="lr", y="hidden")
    top = fig.axes[1]  # the random search's 2-D panel
    np.testing.assert_allclose(top.collections[0].get_offsets(), [[p["lr"], p["hidden"]] for p, _ in random])
    assert "12 distinct lr" in top.get_title()
    for figure in (
        tuning_plots.sampling_histograms({"a": np.geomspace(1e-3, 1, 50)}, low=1e-3, high=1.0, threshold=0.1),
        tuning_plots.value_vs_param({"random": random}, "lr"),
        tuning_plots.best_so_far({"random": random}),
        tuning_plots.param_by_trial({"random": random}, "lr"),
    ):
        assert figure.axes
    result = tuning.SearchResult(
        [tuning.Trial(*t) for t in random], attrs=[{"number": i, "worker": i % 2} for i in range(12)]
    )
    fig = tuning_plots.worker_trials(result, "lr")
    assert len(fig.axes[0].collections) == 2  # one scatter per worker
    with pytest.raises(ValueError, match="worker"):
        tuning_plots.worker_trials(tuning.SearchResult(result.trials), "lr")
    halving = tuning.successive_halving(lambda p, b: p["lr"] / b, [p for p, _ in random[:9]], progress=False)
    assert tuning_plots.halving(halving).axes
    plt.close("all")
