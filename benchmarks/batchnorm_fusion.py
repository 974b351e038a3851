"""What fusing coursekit's BatchNorm1d would buy: the eager module, the same module under
``torch.compile``, and ``nn.BatchNorm1d``, forward+backward, side by side.

    python benchmarks/batchnorm_fusion.py                 # cpu, and cuda when present
    python benchmarks/batchnorm_fusion.py --devices cuda

The from-scratch module issues about twenty small tensor operations per training step where
torch issues two fused kernels; at the sizes a course trains, each operation's dispatch
costs more than its arithmetic. This experiment measures whether a compiler that fuses the
same operations closes the gap, and what the compilation costs. It is not part of
``run.py``'s table: compiling takes seconds to minutes.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from coursekit.batchnorm.torch_ref import BatchNorm1d  # noqa: E402

from timing import ratio  # noqa: E402


def step(module, x, dout, cuda_graphs=False):
    """One training step's forward and backward. Gradients are set to None first, for every
    variant alike: cuda graphs reuse their output buffers, so nothing may accumulate into them."""

    def run():
        if cuda_graphs:  # a new step: the graphs may overwrite the previous step's outputs
            torch.compiler.cudagraph_mark_step_begin()
        x.grad = None
        module.zero_grad(set_to_none=True)
        module(x).backward(dout)

    return run


def compiled(module, mode, x, dout):
    """(the step of ``torch.compile(module)``, seconds to compile and warm it up)."""
    start = time.perf_counter()
    run = step(
        torch.compile(module, mode=mode, fullgraph=True, dynamic=False), x, dout, cuda_graphs=mode == "reduce-overhead"
    )
    for _ in range(3):  # compile, then let cuda graphs (reduce-overhead) record
        run()
    if x.is_cuda:
        torch.cuda.synchronize()
    return run, time.perf_counter() - start


def measure(device, n, d, modes):
    x = torch.randn(n, d, device=device, requires_grad=True)
    dout = torch.randn(n, d, device=device)
    theirs = step(torch.nn.BatchNorm1d(d).to(device), x, dout)
    sync = torch.cuda.synchronize if device == "cuda" else None

    def report(name, ours, baseline, note=""):
        c, b, r = ratio(ours, baseline, repeats=7, number=50, sync=sync)
        print(
            f"{device:<5} {n}x{d:<5} {name:<40} {r:5.2f}   ours {c * 1e6:6.0f} us, "
            f"nn.BatchNorm1d {b * 1e6:6.0f} us{note}",
            flush=True,
        )

    report("eager / eager", step(BatchNorm1d(d).to(device), x, dout), theirs)
    for mode in modes:
        try:
            ours, ours_s = compiled(BatchNorm1d(d).to(device), mode, x, dout)
            theirs_compiled, theirs_s = compiled(torch.nn.BatchNorm1d(d).to(device), mode, x, dout)
        except Exception as err:  # report and go on: this is an experiment
            print(f"{device:<5} {n}x{d:<5} compiled ({mode}) failed: {type(err).__name__}: {err}"[:300])
            continue
        report(f"compiled ({mode}) / eager", ours, theirs, f", compile {ours_s:.1f} s")
        report(f"both compiled ({mode})", ours, theirs_compiled, f" compiled in {theirs_s:.1f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", default="cpu,cuda", help="comma-separated; cuda is skipped when absent")
    devices = parser.parse_args(argv).devices.split(",")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if "cpu" in devices:
        measure("cpu", 128, 256, ["default"])
    if "cuda" in devices and torch.cuda.is_available():
        for n, d in ((128, 256), (4096, 1024)):
            measure("cuda", n, d, ["default", "reduce-overhead"])


if __name__ == "__main__":
    main()
