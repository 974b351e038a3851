"""One function per row of the benchmark table. Each returns a dict with "value" (a ratio or
seconds), "target" (a string such as "<= 1.3") and "detail"."""

import json
import subprocess
import sys
import time
from pathlib import Path

from timing import ratio

ROOT = Path(__file__).resolve().parents[1]


def _mlp_params(torch, dtype, device):
    sizes = [64] + [256] * 5 + [10]
    return [torch.randn(a, b, dtype=dtype, device=device, requires_grad=True) for a, b in zip(sizes, sizes[1:])]


def optimizer_steps(quick=False, device="cpu"):
    """Our from-scratch Adam/RMSprop step against torch.optim's foreach implementation."""
    import torch

    from coursekit.optimizers import torch_optim

    rows = {}
    for name in ("Adam", "RMSprop"):
        ours_params = _mlp_params(torch, torch.float32, device)
        theirs_params = [p.detach().clone().requires_grad_(True) for p in ours_params]
        for p, q in zip(ours_params, theirs_params):
            p.grad = torch.randn_like(p)
            q.grad = p.grad.clone()
        ours = getattr(torch_optim, name)(ours_params, lr=1e-3)
        theirs = getattr(torch.optim, name)(theirs_params, lr=1e-3, foreach=True)
        kwargs = _repetitions(torch, quick, device)
        sync_checked = _no_sync(torch, ours.step) if device == "cuda" else None
        c, b, r = ratio(ours.step, theirs.step, **kwargs)
        rows[f"{name} step ({device})"] = {
            "value": r,
            "target": "<= 1.3",
            "detail": f"ours {c * 1e6:.0f} us, torch.optim foreach {b * 1e6:.0f} us"
            + ("" if sync_checked is None else f"; host syncs per step: {sync_checked}"),
        }
    return rows


def _repetitions(torch, quick, device):
    kwargs = dict(repeats=3, number=5) if quick else dict(repeats=7, number=50)
    if device == "cuda":
        kwargs["sync"] = torch.cuda.synchronize  # time the kernels, not just their launches
    return kwargs


def _no_sync(torch, fn):
    torch.cuda.set_sync_debug_mode("error")
    try:
        fn()
        return "none"
    except RuntimeError as err:
        return f"sync detected ({err})"
    finally:
        torch.cuda.set_sync_debug_mode("default")


def batchnorm_step(quick=False, device="cpu"):
    """Our BatchNorm1d forward+backward against nn.BatchNorm1d, batch 128 x 256 features.

    On cuda a second, larger case (4096 x 1024) is reported too: at 128 x 256 both modules
    only wait for kernel launches, at the larger size for memory.
    """
    import torch

    from coursekit.batchnorm.torch_ref import BatchNorm1d

    sizes = [(128, 256)] + ([(4096, 1024)] if device == "cuda" else [])
    rows = {}
    for n, d in sizes:
        x = torch.randn(n, d, device=device, requires_grad=True)
        dout = torch.randn(n, d, device=device)
        ours, theirs = BatchNorm1d(d).to(device), torch.nn.BatchNorm1d(d).to(device)

        def step(module, x=x, dout=dout):
            def run():
                out = module(x)
                out.backward(dout)

            return run

        sync = _no_sync(torch, step(ours)) if device == "cuda" else None
        c, b, r = ratio(step(ours), step(theirs), **_repetitions(torch, quick, device))
        main_case = (n, d) == (128, 256)
        label = f"BatchNorm1d fwd+bwd ({device})" if main_case else f"BatchNorm1d fwd+bwd {n}x{d} ({device})"
        rows[label] = {
            "value": r,
            "target": "<= 1.3" if main_case else "reported",
            "detail": f"{n}x{d}: ours {c * 1e6:.0f} us, nn.BatchNorm1d {b * 1e6:.0f} us"
            + ("" if sync is None else f"; host syncs per step: {sync}"),
        }
    return rows


def numpy_vs_torch(quick=False):
    """The NumPy reference MLP's train step against torch eager autograd + SGD."""
    try:
        import bench_numpy_vs_torch as bench
    except ImportError as err:
        return {"NumPy MLP step vs torch": {"value": None, "target": "<= 1.0", "detail": f"not available: {err}"}}
    return bench.rows(quick=quick)


def import_time(quick=False):
    code = "import sys, coursekit; assert 'torch' not in sys.modules"
    samples = []
    for _ in range(3 if quick else 7):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append(time.perf_counter() - start)
    samples.sort()
    return {
        "import coursekit (no torch)": {
            "value": samples[len(samples) // 2],
            "target": "<= 0.5 s",
            "detail": "python -c 'import coursekit', median wall time",
        }
    }


NOTEBOOK_RUNNER = r"""
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=600, resources={"metadata": {"path": sys.argv[2]}}).execute()
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run_notebook(path):
    out = subprocess.run(
        [sys.executable, "-c", NOTEBOOK_RUNNER, str(path), str(path.parent)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def notebooks(quick=False):
    from coursekit import course

    rows, total = {}, 0.0
    ids = course.assignments(ROOT)[:1] if quick else course.assignments(ROOT)
    for aid in ids:
        m = run_notebook(ROOT / "solutions" / aid / course.notebook_name(aid))
        total += m["wall"]
        rows[f"{aid} wall time"] = {"value": m["wall"], "target": "<= 60 s", "detail": "nbclient, solution notebook"}
        rows[f"{aid} peak RSS"] = {"value": m["peak_rss_mb"], "target": "<= 1536 MB", "detail": "kernel's max RSS"}
    rows["whole workbook wall time"] = {
        "value": total,
        "target": "<= 480 s",
        "detail": f"{len(ids)} notebooks, one after another",
    }
    return rows
