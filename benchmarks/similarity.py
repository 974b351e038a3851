"""coursekit similarity on a synthetic class: precision, recall and time.

    python benchmarks/similarity.py            # 200 students, seeds 0, 1 and 2
    python benchmarks/similarity.py --students 40 --seeds 0

Seed 1 is the class the defaults were chosen on; seeds 0 and 2 measure them. The time is
the whole comparison (fingerprints of every student, every pair that shares one, the
matching lines), as ``coursekit similarity`` runs it. Writes benchmarks/similarity.json.
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

from coursekit.term import similarity, synthetic_copies

ROOT = Path(__file__).resolve().parents[1]


def measure(students, seed):
    release = json.loads((ROOT / "notebooks" / "00_backprop" / "backprop.ipynb").read_text())
    notebooks, copied = synthetic_copies.make_class(release, students, seed=seed)
    start = time.perf_counter()
    lines = similarity.template_lines(release)
    codes = {s: similarity.own_code(nb, lines) for s, nb in notebooks.items()}
    template = "\n".join(code for _, code in similarity._code_cells(release))
    pairs = similarity.compare_class(codes, template)
    seconds = time.perf_counter() - start
    found = {frozenset((p.a, p.b)) for p in pairs}
    hits = len(found & copied)
    return {
        "students": students,
        "seed": seed,
        "copied_pairs": len(copied),
        "flagged_pairs": len(found),
        "precision": round(hits / max(1, len(found)), 3),
        "recall": round(hits / max(1, len(copied)), 3),
        "seconds": round(seconds, 2),
        "tuned_on": seed == 1,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    results = [measure(args.students, int(s)) for s in args.seeds.split(",")]
    for r in results:
        print(
            f"{r['students']} students, seed {r['seed']}{' (tuned on)' if r['tuned_on'] else ''}: "
            f"{r['copied_pairs']} copied pairs, {r['flagged_pairs']} flagged, precision {r['precision']:.2f}, "
            f"recall {r['recall']:.2f}, {r['seconds']:.1f} s"
        )
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "defaults": {
            "threshold": similarity.THRESHOLD,
            "min_tokens": similarity.MIN_TOKENS,
            "max_share": similarity.MAX_SHARE,
        },
        "results": results,
    }
    (Path(__file__).parent / "similarity.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
