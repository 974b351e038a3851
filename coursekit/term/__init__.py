"""The instructor's term, beyond one grading: grades into the LMS (:mod:`.export`, with
:mod:`.roster`), similar submissions (:mod:`.similarity`), whether the exercises can tell a
wrong answer from a right one (:mod:`.validate`, :mod:`.mutants`), late work (:mod:`.late`)
and what a re-grade changed (:mod:`.changes`).
"""


def sections(root, assignment_id):
    """The class report's sections about the term (similar submissions, late work), as HTML."""
    from coursekit.term import late, similarity

    return late.report_section(root, assignment_id) + similarity.report_section(root, assignment_id)


def before_grading(root, assignment_id):
    """What ``coursekit grade`` keeps before it grades (see :mod:`.changes`)."""
    from coursekit.term import changes, late

    late.load_settings(root)  # a mistake in late.toml or extensions.csv stops grade here, before
    late.extensions(root, assignment_id)  # anyone is graded, not after the whole class
    return changes.snapshot(root, assignment_id)


def after_grading(root, assignment_id, before, students):
    """After ``coursekit grade`` wrote grades/<A>.csv: lateness and penalties into it, and
    what changed since ``before``; returns (late students, changes)."""
    from coursekit.term import changes, late

    return late.annotate(root, assignment_id), changes.record(root, assignment_id, before, students)


def record_penalties(root, assignment_id, outcomes, notebook):
    """Late penalties into nbgrader's gradebook before the feedback is written (:mod:`.late`)."""
    from coursekit.term import late

    late.record_penalties(root, assignment_id, outcomes, notebook)
