"""The instructor's term, beyond one grading: grades into the LMS (:mod:`.export`, with
:mod:`.roster`), similar submissions (:mod:`.similarity`), whether the exercises can tell a
wrong answer from a right one (:mod:`.validate`, :mod:`.mutants`), late work (:mod:`.late`)
and what a re-grade changed (:mod:`.changes`).
"""


def sections(root, assignment_id):
    """The class report's sections about the term (similar submissions, late work), as HTML."""
    from coursekit.term import similarity

    return similarity.report_section(root, assignment_id)
