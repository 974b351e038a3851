"""The grading's default limits, in one place: ``coursekit grade`` and ``coursekit audit``
(their options' defaults), ``nbgrader_config.py`` (its cell timeout), the watchdog, the audit
and ``coursekit check`` all read them from here.

Change a value here and every part of grading follows; the course's ``nbgrader_config.py``
may still set its own cell timeout, which ``coursekit grade`` then uses for the audit too.
"""

GRADE_TIMEOUT = 900  # seconds for one submission's autograde (nbgrader, its kernel)
GRADE_MEMORY_MB = 4096  # memory of one submission's autograde (the whole process tree)
AUDIT_TIMEOUT = 300  # seconds for one submission's audit
AUDIT_MEMORY_MB = 3072  # memory of one submission's audit
CELL_TIMEOUT = 120  # seconds per notebook cell: nbgrader's Execute.timeout and the audit's
UNIT_SLACK_SECONDS = 120  # a whole unit's backstop: its two steps' limits plus this
