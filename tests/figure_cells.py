"""Which cells of a notebook's jupytext source draw a figure, and whether each prints its
description (:func:`coursekit.plots.caption`).

A cell draws a figure when it calls a plot helper imported from ``coursekit.plots`` (a module
alias, such as ``actplots.functions(``, or a function imported by name) or pyplot's
drawing functions. Widget cells are left out: widgets print their figures' descriptions.
"""

import re

PLOT_IMPORT = re.compile(r"^from coursekit\.plots(?:\.(\w+))? import (.+)$", re.M)
PACKAGE_IMPORT = re.compile(r"^from coursekit import (.+)$", re.M)
PYPLOT_DRAWS = re.compile(r"\bplt\.(subplots|figure|plot|imshow|hist|bar|barh|scatter|contourf?)\(")


def cells(source):
    """[(first line number, code)] of the code cells of a percent-format source."""
    # header: the "# %%" line that opened the cell being collected (None before the first cell).
    found, start, header, lines = [], None, None, []
    for number, line in enumerate(source.splitlines() + ["# %% end"], 1):
        if line.startswith("# %%"):
            if start is not None and "[markdown]" not in header:
                found.append((start, "\n".join(lines)))
            start, header, lines = number, line, []
        elif start is not None:
            lines.append(line)
    return found


def plot_names(source):
    """Names a source uses for plot helpers: module aliases (``name.``) and functions (``name(``)."""
    names = []
    for module, imported in PLOT_IMPORT.findall(source):
        for item in imported.split(","):
            alias = item.split(" as ")[-1].strip()
            if module or item.strip().split(" as ")[0] not in ("caption", "describe", "palette"):
                names.append(alias)
    for imported in PACKAGE_IMPORT.findall(source):
        names += [
            item.split(" as ")[-1].strip() for item in imported.split(",") if item.split(" as ")[0].strip() == "plots"
        ]
    return names


def figure_cells(source):
    """[(line, code, described)] of the cells that draw a figure; described when it calls
    ``caption(`` before each ``plt.show()`` (which shows and closes the figures), or at all."""
    names = [re.escape(n) for n in plot_names(source) if n not in ("caption", "describe")]
    calls = re.compile(r"\b(" + "|".join(names) + r")[.(]") if names else None
    out = []
    for line, code in cells(source):
        body = "\n".join(row for row in code.splitlines() if not row.lstrip().startswith(("#", "from ", "import ")))
        if PYPLOT_DRAWS.search(body) or (calls and calls.search(body)):
            shown = body.split("plt.show()")
            described = "caption(" in body and all("caption(" in part for part in shown[:-1])
            out.append((line, code, described))
    return out
