"""Regenerate the README's figures from the solution notebooks.

    python docs/make_figures.py

Executes each notebook below headless (coursekit.headless, nbclient without the widget stall)
and saves the first PNG output of the cell whose source contains the given text, so the README
shows what the notebooks really draw. The screenshot docs/images/workbook.png comes from the
browser test instead:

    COURSEKIT_SCREENSHOT=docs/images/workbook.png COURSEKIT_BROWSER_TOPICS=03_activations \
        pytest tests/test_browser.py -p no:xdist
"""

import base64
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coursekit.headless import HeadlessClient  # noqa: E402

FIGURES = {
    "unstable_gradients.png": ("01_unstable_gradients/unstable_gradients.ipynb", "ugplots.activation_histograms("),
    "optimizer_paths.png": ("05_optimizers/optimizers.ipynb", "oplots.contours(bowl, shallow"),
    "dropout_boundaries.png": ("06_regularization/regularization.ipynb", "figures.compare_classifiers(moons, results)"),
}


def first_png(notebook, marker):
    for cell in notebook.cells:
        if cell.cell_type == "code" and marker in cell.source:
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    return base64.b64decode(output["data"]["image/png"])
    raise LookupError(f"no PNG output in a cell containing {marker!r}")


def main(names):
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for name in names or FIGURES:
        path, marker = FIGURES[name]
        notebook = nbformat.read(ROOT / "solutions" / path, as_version=4)
        HeadlessClient(
            notebook, timeout=300, resources={"metadata": {"path": str((ROOT / "solutions" / path).parent)}}
        ).execute()
        (out / name).write_bytes(first_png(notebook, marker))
        print(f"wrote docs/images/{name}")


if __name__ == "__main__":
    main(sys.argv[1:])
