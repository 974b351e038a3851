"""The benchmark table: what students and instructors wait for, as side-by-side ratios.

    python benchmarks/run.py              # everything, writes benchmarks/results.json
    python benchmarks/run.py --quick      # a smoke run (few repetitions, one notebook)
    python benchmarks/run.py --only optimizers,batchnorm

Every ratio is measured in one run, candidate and baseline interleaved, as the median of
several repetitions. Benchmarks never run inside the test suite's time budget; the tests
only run a --quick smoke pass so that this command cannot rot.
"""

import argparse
import json
import os
import platform
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import grading_rows  # noqa: E402
import rows  # noqa: E402

GROUPS = {
    "import": rows.import_time,
    "numpy_vs_torch": rows.numpy_vs_torch,
    "optimizers": rows.optimizer_steps,
    "batchnorm": rows.batchnorm_step,
    "notebooks": rows.notebooks,
    **grading_rows.GROUPS,
}


def machine():
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info

    blas = sorted(
        {f"{i.get('internal_api')} {i.get('version')}" for i in threadpool_info() if i.get("user_api") == "blas"}
    )
    return {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def passes(row):
    value, target = row["value"], row["target"]
    if value is None or not target.startswith(("<=", ">=")):
        return None
    limit = float(target.split()[1])
    return value <= limit if target.startswith("<=") else value >= limit


def table(results):
    lines = [f"{'what':<40} {'value':>10}  {'target':<11} ok   detail"]
    for name, row in results.items():
        value = "n/a" if row["value"] is None else f"{row['value']:.3g}"
        ok = {True: "yes", False: "NO", None: "-"}[passes(row)]
        lines.append(f"{name:<40} {value:>10}  {row['target']:<11} {ok:<4} {row['detail']}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repetitions, one notebook (smoke run)")
    parser.add_argument("--only", help=f"comma-separated groups: {', '.join(GROUPS)}")
    parser.add_argument("--output", default=str(Path(__file__).with_name("results.json")))
    args = parser.parse_args(argv)
    groups = args.only.split(",") if args.only else list(GROUPS)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups {sorted(unknown)}; choose from {', '.join(GROUPS)}")
    import torch

    results, failed = {}, []
    for group in groups:
        try:
            results.update(GROUPS[group](quick=args.quick))
            if group in ("optimizers", "batchnorm") and torch.cuda.is_available():
                results.update(GROUPS[group](quick=args.quick, device="cuda"))
        except Exception as err:  # the other groups' rows are still worth keeping
            failed.append(group)
            traceback.print_exc()
            results[f"group {group}"] = {
                "value": None,
                "target": "reported",
                "detail": f"failed: {type(err).__name__}: {err}"[:300],
            }
    if not torch.cuda.is_available() and {"optimizers", "batchnorm"} & set(groups):
        results["cuda rows"] = {"value": None, "target": "<= 1.3", "detail": "skipped: no CUDA device here"}
    print(table(results))
    output = Path(args.output)
    if args.only and not args.quick and output.exists():
        previous = json.loads(output.read_text())
        if not previous.get("quick"):
            results = {**previous["results"], **results}  # --only refreshes those rows
    output.write_text(json.dumps({"machine": machine(), "quick": args.quick, "results": results}, indent=1) + "\n")
    print(f"\nwrote {args.output}")
    if failed:
        sys.exit(f"benchmark groups failed: {', '.join(failed)} (tracebacks above)")


if __name__ == "__main__":
    main()
