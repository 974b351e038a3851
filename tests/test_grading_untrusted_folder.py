"""The submission folder is untrusted input: a notebook that is a link to a classmate's,
extra files that are links to the course secret, the gradebook, the solutions and the
system, a ``timestamp.txt`` that is a FIFO, and an image whose metadata carries an HTML
attribute. The class completes; nothing but the notebook and its timestamp reaches
``autograded/`` or ``feedback/``; every file outside is unchanged (checked by hash)."""

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from coursekit.grading import class_grade, sandbox, synthetic

from conftest import ROOT

AID = synthetic.ASSIGNMENT
RIGHT = {exercise: "right" for exercise in synthetic.VARIANTS}
INJECTION = "1 onerror=alert(document.domain)"
IMAGE_CELL = (
    "from IPython.display import Image, display\n"
    "import base64\n"
    "PNG = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
    "hQGAhKmMIQAAAABJRU5ErkJggg==')\n"
    f"display(Image(data=PNG, format='png', width={INJECTION!r}))\n"
)
LOUD_CELL = "for _ in range(1000):\n    print('x' * 30_000)\n"  # 30 MB in 1,000 lines
LYING_SOFTMAX = (
    "def softmax(z):\n"  # prints the success lines, then floods past the cap, and is wrong
    "    print('✓ layers.softmax: all 3 visible cases pass')\n"
    "    print('✓ layers.softmax: all 6 hidden cases pass')\n"
    "    for _ in range(200):\n        print('x' * 30_000)\n"
    "    return z\n"
)
pytestmark = [
    pytest.mark.notebook,
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.unavailable_reason() is not None, reason="no grading sandbox here"),
]


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = synthetic.make_course(ROOT, tmp_path_factory.mktemp("course"))
    victim = synthetic.write_submission(root, "victim", RIGHT)
    linker = root / "submitted" / "linker" / AID
    linker.mkdir(parents=True)
    (linker / synthetic.NOTEBOOK).symlink_to(victim)
    extras = synthetic.write_submission(root, "extras", RIGHT).parent
    class_grade.course_secret(root)  # the secret exists before anyone links to it
    targets = {
        "secret": root / ".coursekit" / "secret",
        "solution": root / "solutions" / AID / synthetic.NOTEBOOK,
        "passwd": Path("/etc/passwd"),
        "config": root / "nbgrader_config.py",
    }
    for name, target in targets.items():
        (extras / f"{name}.txt").symlink_to(target)
    (extras / "notes.txt").write_text("my own notes")
    fifo = synthetic.write_submission(root, "fifo", RIGHT).parent
    os.mkfifo(fifo / "timestamp.txt")
    image = synthetic.write_submission(root, "image", RIGHT)
    nb = json.loads(image.read_text())
    nb["cells"].append(
        {
            "cell_type": "code",
            "id": "picture",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": IMAGE_CELL,
        }
    )
    image.write_text(json.dumps(nb))
    loud = synthetic.write_submission(root, "loud", RIGHT)
    nb = json.loads(loud.read_text())
    nb["cells"].append(
        {"cell_type": "code", "id": "loud", "metadata": {}, "execution_count": None, "outputs": [], "source": LOUD_CELL}
    )
    loud.write_text(json.dumps(nb))
    liar = synthetic.write_submission(root, "loud_liar", RIGHT)
    nb = json.loads(liar.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "softmax":
            cell["source"] = LYING_SOFTMAX
    liar.write_text(json.dumps(nb))
    before = {name: _sha(target) for name, target in targets.items()}
    outcomes, _ = class_grade.grade_class(root, AID, jobs=2, progress=False, audit_seed=2)
    return root, {o.student: o for o in outcomes}, targets, before


def test_a_notebook_that_is_a_link_is_not_graded_as_the_students(graded):
    _, outcomes, _, _ = graded
    linker = outcomes["linker"]
    assert (linker.status, linker.final_score) == ("malformed", 0.0)
    assert "symbolic link" in linker.message
    assert outcomes["victim"].final_score == synthetic.MAX_SCORE


def test_nothing_but_the_notebook_reaches_autograded_or_feedback(graded):
    root, outcomes, targets, before = graded
    assert outcomes["extras"].final_score == synthetic.MAX_SCORE
    for folder in ("autograded", "feedback"):
        names = sorted(p.name for p in (root / folder / "extras" / AID).iterdir())
        assert names in (["mini.ipynb"], ["mini.html"]), (folder, names)
    assert {name: _sha(target) for name, target in targets.items()} == before


def test_a_fifo_for_a_timestamp_does_not_stall_the_class(graded):
    _, outcomes, _, _ = graded
    assert outcomes["fifo"].status == "ok" and outcomes["fifo"].final_score == synthetic.MAX_SCORE


def test_image_metadata_from_student_code_becomes_no_attribute(graded):
    root, outcomes, _, _ = graded
    assert outcomes["image"].final_score == synthetic.MAX_SCORE
    page = (root / "feedback" / "image" / AID / "mini.html").read_text()
    images = re.findall(r"<img[^>]*>", page)
    assert any("data:image/png;base64" in tag for tag in images)  # the picture is shown
    assert not [tag for tag in images if "onerror" in tag or "width" in tag], images


def test_output_is_capped_in_bytes_and_flagged(graded):
    root, outcomes, _, _ = graded
    loud = outcomes["loud"]
    assert loud.final_score == synthetic.MAX_SCORE  # its answers are right
    assert any(flag.startswith("output:") and "over 5 MB" in flag for flag in loud.flags), loud.flags
    graded_nb = root / "autograded" / "loud" / AID / synthetic.NOTEBOOK
    assert graded_nb.stat().st_size < 8 * 2**20
    assert "output cut here: over 5 MB" in graded_nb.read_text()
    assert (root / "feedback" / "loud" / AID / "mini.html").stat().st_size < 8 * 2**20


def test_a_failed_test_stays_failed_when_its_output_is_cut(graded):
    """The error of a failing check is never dropped with the output past the cap."""
    root, outcomes, _, _ = graded
    liar = outcomes["loud_liar"]
    assert liar.score == synthetic.MAX_SCORE - synthetic.POINTS  # nbgrader: softmax's points lost
    assert liar.final_score == synthetic.MAX_SCORE - synthetic.POINTS
    assert any(flag.startswith("output:") for flag in liar.flags), liar.flags
