"""nbgrader configuration of the coursekit workbook; the course root is this folder."""

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "coursekit"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Training cells take a few seconds; a hung submission is stopped after this many seconds
# (coursekit's default, which the audit uses too; a number set here is used by both).
from coursekit.grading.defaults import CELL_TIMEOUT  # noqa: E402

c.Execute.timeout = CELL_TIMEOUT
c.Execute.interrupt_on_timeout = True

# Test cells a student deleted are put back from the gradebook.
c.OverwriteCells.add_missing_cells = True

# nbgrader scores any test cell with output on stderr 0. What an honest answer writes there
# (warnings, logging, progress bars) must not cost points: stderr is dropped before grading
# (a test cell's result is its check's success line or its error).
from coursekit.grading.markers import STDERR_IGNORED  # noqa: E402

c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = STDERR_IGNORED

# A test cell whose check(...) calls did not all print their success line scores 0, so that
# blanking cells or rebinding `check` earns nothing (see coursekit/grading/markers.py).
from nbgrader.converters.autograde import Autograde  # noqa: E402

from coursekit.grading.markers import RequireCheckMarkers  # noqa: E402
from coursekit.headless import nbgrader_execute  # noqa: E402

# nbclient can stall on a cell that displays into an ipywidgets Output (see coursekit/headless.py):
# its Execute is replaced by one that cannot. (coursekit grade also moves the kernel into the
# grading sandbox; see coursekit/grading/kernel.py.)
_steps = [
    nbgrader_execute() if s.__name__ == "Execute" else s
    for s in Autograde.class_traits()["autograde_preprocessors"].default()
]
_steps.insert([s.__name__ for s in _steps].index("IgnorePattern") + 1, RequireCheckMarkers)
c.Autograde.autograde_preprocessors = _steps

# Feedback reads offline (formulas become MathML, which browsers draw without MathJax's CDN)
# and shows what students wrote as text: no HTML or script of theirs runs in it.
from nbgrader.converters.generate_feedback import GenerateFeedback  # noqa: E402

from coursekit.grading.feedback_math import MathToMathML, SafeStudentContent  # noqa: E402

c.GenerateFeedback.preprocessors = [
    *GenerateFeedback.class_traits()["preprocessors"].default(),
    SafeStudentContent,
    MathToMathML,
]

# nbgrader's feedback template with a stated language, link and comment colours that keep
# their contrast, and wrapped output lines (coursekit/grading/templates/coursekit_feedback).
import os  # noqa: E402

import nbgrader  # noqa: E402

import coursekit.grading  # noqa: E402

c.HTMLExporter.template_name = "coursekit_feedback"
c.HTMLExporter.template_file = "feedback.html.j2"
c.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
    os.path.join(os.path.dirname(coursekit.grading.__file__), "templates"),
]
