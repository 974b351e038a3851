"""What students' front ends and fingers do to an honest notebook: each function takes a
notebook (a dict) and returns an edited copy that must still get full marks and no flag."""

import copy


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def duplicated_answer(nb):
    """An answer cell copied and pasted below itself (JupyterLab keeps nbgrader's metadata)."""
    nb = copy.deepcopy(nb)
    i = _index(nb, "softmax")
    twin = copy.deepcopy(nb["cells"][i])
    twin["id"] = "pasted-copy"
    nb["cells"].insert(i + 1, twin)
    return nb


def split_answer(nb):
    """An answer cell split in two: a helper above, the function below (both halves keep the
    answer cell's metadata)."""
    nb = copy.deepcopy(nb)
    i = _index(nb, "softmax_cross_entropy")
    cell = nb["cells"][i]
    helper = copy.deepcopy(cell)
    helper["source"] = (
        "def log_probabilities(logits):\n"
        "    shifted = logits - logits.max(axis=1, keepdims=True)\n"
        "    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n"
    )
    cell["id"] = "split-second-half"
    nb["cells"].insert(i, helper)
    return nb


def added_and_moved(nb):
    """A scratch cell added at the end and a markdown cell moved."""
    nb = copy.deepcopy(nb)
    nb["cells"].append(
        {
            "cell_type": "code",
            "id": "scratch",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": "z = np.array([[1.0, 2.0, 3.0]])\nprint(softmax(z))\n",
        }
    )
    markdown = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown")
    nb["cells"].insert(len(nb["cells"]) - 1, nb["cells"].pop(markdown))
    return nb


def ids_rewritten(nb):
    """Every cell id rewritten (another front end, or a copy through another tool)."""
    nb = copy.deepcopy(nb)
    for n, cell in enumerate(nb["cells"]):
        cell["id"] = f"rewritten-{n}"
    return nb


def nbformat_44(nb):
    """Saved as nbformat 4.4, which has no cell ids."""
    nb = copy.deepcopy(nb)
    nb["nbformat_minor"] = 4
    for cell in nb["cells"]:
        cell.pop("id", None)
    return nb


def outputs_left(nb):
    """Run before hand-in: every code cell keeps an output."""
    nb = copy.deepcopy(nb)
    for n, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"] = n + 1
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "earlier output\n"}]
    return nb


EDITS = [duplicated_answer, split_answer, added_and_moved, ids_rewritten, nbformat_44, outputs_left]
