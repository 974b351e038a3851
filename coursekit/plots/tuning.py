"""Figures of 07_hyperparameter_tuning.

Searches are passed as a list of ``(params, value)`` pairs (what the notebook's own
``random_search`` returns) or as a :class:`coursekit.tuning.SearchResult`; several searches
as a dict ``label -> search``.
"""

import matplotlib.pyplot as plt
import numpy as np

from coursekit.plots.palette import BLUE, VERMILLION


def _pairs(search):
    trials = search.trials if hasattr(search, "trials") else search
    if not isinstance(trials, (list, tuple)) or not trials:
        raise ValueError(f"a search must be a non-empty list of (params, value) pairs, got {trials!r}")
    for trial in trials:
        if len(trial) != 2 or not isinstance(trial[0], dict):
            raise ValueError(f"each trial must be a (params, value) pair, got {trial!r}")
    return list(trials)


def _column(trials, name):
    if any(name not in params for params, _ in trials):
        raise ValueError(f"parameter {name!r} is missing from some trials")
    return np.array([params[name] for params, _ in trials], dtype=np.float64)


def _values(trials):
    return np.array([value for _, value in trials], dtype=np.float64)


def _searches(searches):
    if not isinstance(searches, dict) or not searches:
        raise ValueError("searches must be a non-empty dict label -> search")
    return {label: _pairs(search) for label, search in searches.items()}


def search_samples(searches, x, y, *, xlog=True, ylog=False, value_label="validation error"):
    """Where each search looked, and what it saw along the important parameter ``x``.

    Top row: the sampled (x, y) points coloured by value, with each sample's projection on
    the axes drawn as ticks (Bergstra & Bengio 2012, figure 1). Bottom row: the value
    against ``x`` alone. A k-by-k grid tries only k distinct values of ``x``.
    """
    searches = _searches(searches)
    all_values = np.concatenate([_values(t) for t in searches.values()])
    norm = plt.Normalize(np.nanmin(all_values), np.nanmax(all_values))
    fig, axes = plt.subplots(
        2, len(searches), figsize=(4.2 * len(searches), 6.4), squeeze=False, sharex=True, sharey="row"
    )
    for col, (label, trials) in enumerate(searches.items()):
        xs, values = _column(trials, x), _values(trials)
        best = int(np.nanargmin(values))
        top, bottom = axes[0][col], axes[1][col]
        points = sample_layout(trials, x, y, ax=top, norm=norm, title=f"{label}: {len(np.unique(xs))} distinct {x}")
        bottom.scatter(xs, values, c=values, cmap="viridis_r", norm=norm, s=30, edgecolor="k", lw=0.4)
        bottom.scatter(xs[best], values[best], marker="*", s=200, color=VERMILLION, zorder=3)
        bottom.set(xlabel=x, ylabel=value_label, title=f"best {values[best]:.3f} at {x} = {xs[best]:.3g}")
        if xlog:
            bottom.set_xscale("log")
        if ylog:
            top.set_yscale("log")
    fig.colorbar(points, ax=axes.ravel().tolist(), label=value_label, shrink=0.6)
    return fig


def sample_layout(search, x, y, *, ax, norm=None, title=None):
    """Where one search looked: its (x, y) samples coloured by value, the best one starred,
    and each sample's projection onto the axes drawn as a tick.

    Args:
        search: a list of (params, value) pairs or a SearchResult.
        ax: the axes to draw on (the caller sets their scales).
        norm: optional ``matplotlib.colors.Normalize`` shared by several panels.

    Returns:
        the scatter of the samples (for a colour bar).
    """
    trials = _pairs(search)
    xs, ys, values = _column(trials, x), _column(trials, y), _values(trials)
    best = int(np.nanargmin(values))
    points = ax.scatter(xs, ys, c=values, cmap="viridis_r", norm=norm, s=36, edgecolor="k", lw=0.4)
    ax.scatter(xs[best], ys[best], marker="*", s=260, facecolor="none", edgecolor=VERMILLION, lw=1.5)
    ax.plot(xs, np.zeros_like(xs), "|", color=VERMILLION, ms=14, transform=ax.get_xaxis_transform())
    ax.plot(np.zeros_like(ys), ys, "_", color=VERMILLION, ms=14, transform=ax.get_yaxis_transform())
    ax.set(title=title, ylabel=y)
    return points


def sampling_histograms(samples, *, low, high, bins=30, threshold=None):
    """Histograms of samples on log-spaced bins, one panel per sampler.

    Args:
        samples: dict label -> 1-D array of sampled values in ``[low, high]``.
        threshold: optional value; each panel says what share of samples lies below it.
    """
    if not isinstance(samples, dict) or not samples:
        raise ValueError("samples must be a non-empty dict label -> array")
    if not 0 < low < high:
        raise ValueError(f"need 0 < low < high, got low={low}, high={high}")
    edges = np.geomspace(low, high, bins + 1)
    fig, axes = plt.subplots(1, len(samples), figsize=(4.2 * len(samples), 3.2), squeeze=False, sharey=True)
    for ax, (label, values) in zip(axes[0], samples.items()):
        values = np.asarray(values, dtype=np.float64).ravel()
        ax.hist(values, bins=edges, color=BLUE, edgecolor="white")
        title = label
        if threshold is not None:
            title += f": {np.mean(values < threshold):.0%} below {threshold:g}"
            ax.axvline(threshold, color=VERMILLION, ls="--", lw=1)
        ax.set(xscale="log", xlabel="sampled value (log axis)", title=title)
    axes[0][0].set_ylabel("count")
    fig.tight_layout()
    return fig


def value_vs_param(searches, name, *, log=True, value_label="validation error", ax=None):
    """The value of every trial against one parameter, one marker style per search."""
    searches = _searches(searches)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    for (label, trials), marker in zip(searches.items(), "osD^v<>"):
        values = _values(trials)
        ax.scatter(
            _column(trials, name), values, marker=marker, alpha=0.75, label=f"{label} (best {np.nanmin(values):.3f})"
        )
    ax.set(xlabel=name, ylabel=value_label, xscale="log" if log else "linear")
    ax.legend(fontsize="small")
    ax.figure.tight_layout()
    return ax.figure


def best_so_far(searches, *, value_label="validation error", ax=None):
    """The best value found so far against the number of trials, one line per search."""
    searches = _searches(searches)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    for label, trials in searches.items():
        values = np.where(np.isnan(_values(trials)), np.inf, _values(trials))
        ax.step(np.arange(1, len(values) + 1), np.minimum.accumulate(values), where="post", label=label)
    ax.set(xlabel="trial", ylabel=f"best {value_label} so far")
    ax.legend()
    ax.figure.tight_layout()
    return ax.figure


def param_by_trial(searches, name, *, log=True, ax=None):
    """One parameter against the trial number, one marker style per search: a sampler that
    learns (TPE) moves its samples towards the good region; random search does not."""
    searches = _searches(searches)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    for (label, trials), marker in zip(searches.items(), "osD^v<>"):
        ax.scatter(np.arange(1, len(trials) + 1), _column(trials, name), marker=marker, alpha=0.75, label=label)
    ax.set(xlabel="trial", ylabel=name, yscale="log" if log else "linear")
    ax.legend(fontsize="small")
    ax.figure.tight_layout()
    return ax.figure


def worker_trials(result, x, *, log=True, value_label="validation error"):
    """The trials of a shared study in order, coloured by the worker that ran each one.

    Args:
        result: a SearchResult whose ``attrs`` hold each trial's "number" and "worker".
        x: a parameter to show beside the value.
    """
    trials = _pairs(result)
    attrs = getattr(result, "attrs", None)
    if not attrs or len(attrs) != len(trials) or any("worker" not in a for a in attrs):
        raise ValueError("result.attrs must give each trial's 'worker' (see tuning.run_workers)")
    numbers = np.array([a.get("number", i) for i, a in enumerate(attrs)])
    workers = np.array([a["worker"] for a in attrs])
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    for worker in np.unique(workers):
        mine = workers == worker
        style = dict(marker="os^D"[int(worker) % 4], s=45, label=f"worker {worker}")
        left.scatter(numbers[mine], _values(trials)[mine], **style)
        right.scatter(numbers[mine], _column(trials, x)[mine], **style)
    left.set(xlabel="trial number in the shared study", ylabel=value_label)
    right.set(xlabel="trial number in the shared study", ylabel=x, yscale="log" if log else "linear")
    left.legend()
    fig.tight_layout()
    return fig


def halving(result, *, value_label="validation error", ax=None):
    """Successive halving: each config's value against its budget, rung after rung."""
    if not getattr(result, "rungs", None):
        raise ValueError("result must be a HalvingResult with rungs")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.8))
    paths = {}
    for rung in result.rungs:
        for params, value in rung.trials:
            paths.setdefault(repr(sorted(params.items())), []).append((rung.budget, value))
    for path in paths.values():
        budgets, values = zip(*path)
        ax.plot(budgets, values, marker="o", ms=4, lw=1, alpha=0.7, color="C0" if len(path) > 1 else "0.6")
    best = result.best
    ax.scatter(
        [result.rungs[-1].budget],
        [best.value],
        marker="*",
        s=250,
        color=VERMILLION,
        zorder=3,
        label=f"best {best.value:.3f}",
    )
    ax.set(
        xscale="log",
        xlabel="budget (epochs)",
        ylabel=value_label,
        title=f"{len(result.rungs[0].trials)} configs, total budget {result.total_budget:g}",
    )
    ax.set_xticks([r.budget for r in result.rungs], [f"{r.budget:g}" for r in result.rungs])
    ax.legend()
    ax.figure.tight_layout()
    return ax.figure
