"""``coursekit similarity A``: pairs of students whose own code is unusually alike.

Only what a student wrote is compared: the code of the answer cells (nbgrader's solution
cells) and of cells they added. The released template is removed first, as MOSS and JPlag
remove base code: its lines are dropped and its fingerprints discarded. Fingerprints come
from ``copydetect`` (winnowing over a token stream in which every name is one symbol, so
renamed variables, layout and comments do not matter; a set of fingerprints, so reordered
functions do not either). A fingerprint that more than ``max_share`` of the class has is
treated as base code too (what everyone writes for a short exercise). A pair is listed when
the shared code covers at least ``threshold`` of either student's remaining code and at least
``min_tokens`` tokens. It is a list for a person to read, never a grade change.
"""

import io
import itertools
import json
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from coursekit import course

NOISE_TOKENS = 25  # copydetect's k: matches shorter than this are ignored
GUARANTEE_TOKENS = 30  # any match this long is found (winnowing window = 30 - 25 + 1)
# Defaults chosen on the synthetic class of benchmarks/similarity.py (seed 1); its other seeds
# measure them: copies cover 0.9-1.0 of each other, honest classmates up to about 0.8.
THRESHOLD, MIN_TOKENS, MAX_SHARE = 0.9, 80, 0.5


@dataclass
class Pair:
    a: str
    b: str
    similarity: float  # the larger of the two coverages
    tokens: int  # shared tokens
    lines: list = field(default_factory=list)  # [(a's lines, b's lines)] that match, side by side


def _code_cells(nb):
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            yield cell.get("metadata", {}).get("nbgrader", {}), "".join(source) if isinstance(source, list) else source


def _bare(line):
    """A line without its layout and trailing comment, to compare with the template's."""
    return re.sub(r"\s+#.*$", "", line).strip()


def template_lines(release_nb):
    """The bare, non-empty lines of the released notebook's code (its base code)."""
    return {_bare(line) for _, code in _code_cells(release_nb) for line in code.splitlines() if _bare(line)}


def own_code(nb, template):
    """A student's own code: answer cells and cells without nbgrader metadata (added), in
    notebook order, less every line of the template and every comment-only line."""
    kept = []
    for meta, code in _code_cells(nb):
        if meta.get("solution") or not meta.get("grade_id"):
            kept += [line for line in code.splitlines() if _bare(line) and _bare(line) not in template]
    return "\n".join(kept) + "\n"


def _fingerprint(code, boilerplate=()):
    import numpy as np
    from copydetect import CodeFingerprint

    return CodeFingerprint(
        "answer.py",
        NOISE_TOKENS,
        GUARANTEE_TOKENS - NOISE_TOKENS + 1,
        boilerplate=np.array(sorted(boilerplate), dtype=np.int64),
        fp=io.StringIO(code),
        language="python",
    )


def _matching_lines(code, slices):
    """1-based (first, last) line ranges of each matched slice of ``code``."""
    starts = [0] + [i + 1 for i, c in enumerate(code) if c == "\n"]

    def line_of(offset):
        import bisect

        return bisect.bisect_right(starts, offset)

    return [(line_of(int(s)), line_of(max(int(s), int(e) - 1))) for s, e in zip(*slices)]


def compare_class(codes, template_code="", *, threshold=THRESHOLD, min_tokens=MIN_TOKENS, max_share=MAX_SHARE):
    """Pairs of unusually alike students, most alike first.

    Args:
        codes: {student: their own code} (see :func:`own_code`).
        template_code: the released code, whose fingerprints are discarded.
        threshold: the least coverage of a listed pair, in (0, 1].
        min_tokens: the least number of shared tokens of a listed pair.
        max_share: a fingerprint found in more than this fraction of the class (of at least
            five students) is discarded as what everyone writes.
    """
    from copydetect import compare_files

    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if not 0 < max_share <= 1:
        raise ValueError(f"max_share must be in (0, 1], got {max_share}")
    if min_tokens < 0:
        raise ValueError(f"min_tokens must be at least 0, got {min_tokens}")
    base = set(_fingerprint(template_code).hashes) if template_code.strip() else set()
    prints = {s: _fingerprint(c, base) for s, c in codes.items()}
    counts = Counter(h for p in prints.values() for h in p.hashes)
    common = {h for h, n in counts.items() if n > max_share * len(codes)} if len(codes) >= 5 else set()
    if common:
        prints = {s: _fingerprint(c, base | common) for s, c in codes.items()}
    holders = defaultdict(list)
    for student, p in prints.items():
        for h in p.hashes:
            holders[h].append(student)
    shared = Counter(pair for names in holders.values() for pair in itertools.combinations(sorted(names), 2))
    pairs = []
    for a, b in shared:
        tokens, (sim_a, sim_b), slices = compare_files(prints[a], prints[b])
        if tokens >= min_tokens and max(sim_a, sim_b) >= threshold:
            lines = list(zip(_matching_lines(codes[a], slices[0]), _matching_lines(codes[b], slices[1])))
            pairs.append(Pair(a, b, round(float(max(sim_a, sim_b)), 3), int(tokens), lines))
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b))


def class_codes(root, assignment_id):
    """({student: own code}, template code) of an assignment's submissions."""
    course.check_assignment(root, assignment_id)
    name = course.notebook_name(assignment_id)
    release_path = Path(root) / "notebooks" / assignment_id / name
    if not release_path.exists():
        raise ValueError(f"no released notebook {release_path}; run: coursekit release {assignment_id}")
    release = json.loads(release_path.read_text())
    template = template_lines(release)
    from coursekit.grading.submissions import read_submission, students

    codes = {}
    for student in students(root, assignment_id):
        # read as the grader reads it: untrusted input, no links, no FIFOs, a size cap
        data, why = read_submission(root, Path(root) / "submitted" / student / assignment_id, assignment_id)
        if why:
            continue  # a malformed submission: coursekit grade reports it
        try:
            codes[student] = own_code(json.loads(data), template)
        except (ValueError, TypeError, AttributeError, KeyError):
            continue
    if not codes:
        raise ValueError(f"no submissions of {assignment_id} under {Path(root) / 'submitted'}/<student>/")
    return codes, "\n".join(code for _, code in _code_cells(release))


def run(root, assignment_id, **options):
    """Compare the class, write grades/<A>.similarity.json; returns (pairs, codes)."""
    codes, template = class_codes(root, assignment_id)
    pairs = compare_class(codes, template, **options)
    folder = Path(root) / "grades"
    folder.mkdir(exist_ok=True)
    (folder / f"{assignment_id}.similarity.json").write_text(
        json.dumps(
            {
                "assignment": assignment_id,
                "options": options,
                "students": len(codes),
                "pairs": [{**asdict(p), "code": {p.a: codes[p.a], p.b: codes[p.b]}} for p in pairs],
            },
            indent=1,
        )
    )
    return pairs, codes


def side_by_side(pair, codes, width=60, limit=12):
    """The pair's matching lines as text, a's on the left and b's on the right."""
    from coursekit.grading.report import clean

    a_lines, b_lines = clean(codes[pair.a], 10**6).splitlines(), clean(codes[pair.b], 10**6).splitlines()
    out = [f"{pair.a} ~ {pair.b}: {pair.similarity:.0%} alike, {pair.tokens} tokens shared"]
    for (a0, a1), (b0, b1) in pair.lines[:limit]:
        left, right = a_lines[a0 - 1 : a1], b_lines[b0 - 1 : b1]
        out.append(f"  {pair.a} lines {a0}-{a1}".ljust(width + 4) + f"{pair.b} lines {b0}-{b1}")
        for i in range(max(len(left), len(right))):
            l_text = left[i] if i < len(left) else ""
            r_text = right[i] if i < len(right) else ""
            out.append(f"    {l_text[:width]:<{width}}  | {r_text[:width]}")
    return "\n".join(out)


def report_section(root, assignment_id):
    """The class report's HTML section from grades/<A>.similarity.json ("" when absent)."""
    import html

    path = Path(root) / "grades" / f"{assignment_id}.similarity.json"
    if not path.exists():
        return ""
    data = json.loads(path.read_text())
    parts = [
        f"<h2>Similar submissions ({len(data['pairs'])} pairs of {data['students']} students)</h2>",
        "<p>Pairs whose own code (the released template removed) is unusually alike, for a "
        "person to read; nothing here changes a grade.</p>",
    ]
    for p in data["pairs"]:
        rows = []
        for (a0, a1), (b0, b1) in p["lines"]:
            left = "\n".join(p["code"][p["a"]].splitlines()[a0 - 1 : a1])
            right = "\n".join(p["code"][p["b"]].splitlines()[b0 - 1 : b1])
            rows.append(f"<tr><td><pre>{html.escape(left)}</pre></td><td><pre>{html.escape(right)}</pre></td></tr>")
        parts.append(
            f"<h3>{html.escape(p['a'])} ~ {html.escape(p['b'])}: {p['similarity']:.0%}, "
            f"{p['tokens']} tokens</h3><table><tr><th>{html.escape(p['a'])}</th>"
            f"<th>{html.escape(p['b'])}</th></tr>{''.join(rows)}</table>"
        )
    return "\n".join(parts)
