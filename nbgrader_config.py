"""nbgrader configuration of the coursekit workbook; the course root is this folder."""

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "coursekit"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Training cells take a few seconds; a hung submission is stopped after this many.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# Test cells a student deleted are put back from the gradebook.
c.OverwriteCells.add_missing_cells = True

# Warnings go to stderr, and nbgrader scores any test cell with stderr output 0.
# A student's harmless warning must not cost points: drop stderr that is only warnings.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning\b"
