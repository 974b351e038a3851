"""What an executed notebook prints, and whether its text states only what it printed.

A number that a notebook's markdown states as a *result* is wrapped in an ``<output>`` tag
(HTML's element for "the result of a calculation"; Jupyter shows its text as plain text):

    Adam zigzagged <output>34</output> times; the seeds gave <output>0.869 ± 0.023</output>.

Parameters of an experiment (a learning rate, a number of seeds, a layer width) are not
results and stay unmarked. :func:`unprinted_results` lists every number inside a marker
that no code cell above the marker printed, exactly as written (``0.10`` is not ``0.100``).
:func:`printed_by_cell` and :func:`comparable` give each code cell's printed text with
times and memory figures masked, to check that a notebook prints the same on every run.
"""

import re

RESULT = re.compile(r"<output>(.*?)</output>", re.S)
NUMBER = re.compile(r"(?:(?<![\w.])[-−])?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?")
MEASURED = re.compile(r"\d+(?:\.\d+)?\s?(?:s|ms|µs|us|seconds?|min|[kMG]i?B)\b")


def _source(cell):
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def printed_by_cell(notebook):
    """The stdout text of each code cell, in order (None for the other cells).

    Args:
        notebook: an executed notebook (``nbformat`` node or the same as plain dicts).
    """
    printed = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            printed.append(None)
            continue
        streams = [o for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stdout"]
        printed.append("".join(o["text"] if isinstance(o["text"], str) else "".join(o["text"]) for o in streams))
    return printed


def comparable(text):
    """``text`` with every time (``12.3 s``, ``40 ms``) and memory figure (``958 MB``) masked."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return MEASURED.sub("<measured>", text)


def stated_results(notebook):
    """Every number inside an ``<output>`` marker: a list of (cell index, number as written)."""
    found = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            for marked in RESULT.findall(_source(cell)):
                numbers = NUMBER.findall(marked)
                if not numbers:
                    raise ValueError(f"cell {index}: the marker <output>{marked}</output> holds no number")
                found += [(index, n) for n in numbers]
    return found


def unprinted_results(notebook):
    """The stated results that no code cell above their markdown cell printed.

    Returns:
        list of (cell index, number as written); empty when every result was printed.
    """
    printed = printed_by_cell(notebook)
    missing = []
    for index, number in stated_results(notebook):
        above = "\n".join(text for text in printed[:index] if text)
        # the whole number: not 3 inside 3.5, 0.25 inside -0.25, nor 2.5 inside 2.5e-3
        if not re.search(rf"(?<![\d.])(?<!(?<![\w.])[-−]){re.escape(number)}(?!\d|\.\d|[eE][-+]?\d)", above):
            missing.append((index, number))
    return missing


def mean_spread(values, digits=3):
    """``values`` (one per seed) as "mean ± standard deviation (min to max)", for comparisons
    that state their spread over seeds."""
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"values must be one number per seed, at least two, got shape {values.shape}")
    return (
        f"{values.mean():.{digits}f} ± {values.std():.{digits}f} "
        f"({values.min():.{digits}f} to {values.max():.{digits}f})"
    )
