"""The feedback page as a student opens it: offline, inert, readable.

nbgrader's feedback template loads MathJax from a CDN (its ``mathjax()`` macro has the URL
built in) and leaves long output lines to scroll. After ``generate_feedback``, each page is
rewritten: every script that loads from elsewhere is removed (formulas are MathML already,
see :mod:`coursekit.grading.feedback_math`), a Content-Security-Policy forbids script and
every request off the page, and long lines wrap.
"""

import re
from collections.abc import Iterable
from pathlib import Path

POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'"
)
HEAD = (
    f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
    "<style>pre, .output_text pre, .output_area pre { white-space: pre-wrap; "
    "overflow-wrap: anywhere; }</style>\n"
)
EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I)


def harden(path: Path) -> None:
    """Rewrite one feedback page in place (once: a page already rewritten is left)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if POLICY in text:
        return
    text = EXTERNAL_SCRIPT.sub("", text)
    text = re.sub(r"<head[^>]*>", lambda m: m.group(0) + "\n" + HEAD, text, count=1, flags=re.I)
    path.write_text(text, encoding="utf-8")


def harden_all(root: str | Path, assignment_id: str, students: Iterable[str]) -> None:
    """:func:`harden` every feedback page of these students."""
    for student in students:
        for page in sorted((Path(root) / "feedback" / student / assignment_id).glob("*.html")):
            if page.is_file() and not page.is_symlink():
                harden(page)
