"""Time per training step: coursekit's NumPy MLP against torch eager on the CPU.

Both train the same architecture on the same batches, at the same dtype and on the same
number of threads (torch's intra-op pool and NumPy's BLAS, via threadpoolctl). A step is
forward, softmax cross-entropy, backward and an optimizer update. Repetitions alternate
between the two (side by side, so a busy machine slows both alike) and the reported time
is the median over repetitions of the mean time per step.

    python benchmarks/bench_numpy_vs_torch.py                 # the default grid, 1 thread
    python benchmarks/bench_numpy_vs_torch.py --threads 2 --reps 9
    python benchmarks/bench_numpy_vs_torch.py --reference     # NumPy through the public,
                                                              # checked references too

``rows(quick)`` gives the same ratios as rows for ``benchmarks/run.py``.
"""

import argparse
import statistics
import time

import numpy as np
import torch

from coursekit.training import build_mlp, build_numpy_mlp, make_optimizer, threads
from coursekit.training.numpy_fit import FlatOptimizer, train_step

CONFIGS = {
    "plain": {"activation": "relu", "batchnorm": False, "dropout": 0.0, "optimizer": "sgd"},
    "default": {"activation": "elu", "batchnorm": True, "dropout": 0.2, "optimizer": "adam"},
}


def _batches(n_batches, batch_size, n_features, n_classes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((n_batches, batch_size, n_features)).astype(dtype)
    ys = rng.integers(0, n_classes, size=(n_batches, batch_size))
    return xs, ys


def numpy_runner(sizes, config, dtype, xs, ys, fast):
    model = build_numpy_mlp(
        sizes,
        activation=config["activation"],
        batchnorm=config["batchnorm"],
        dropout=config["dropout"],
        init="he_normal",
        rng=np.random.default_rng(0),
        dtype=dtype,
    )
    opt = FlatOptimizer(config["optimizer"], model.flat, lr=1e-3, fast=fast)
    rng = np.random.default_rng(1)

    def run():
        for xb, yb in zip(xs, ys):
            train_step(model, xb, yb, rng=rng, fast=fast)
            opt.step(model.flat_grad)

    return run


def torch_runner(sizes, config, dtype, xs, ys):
    torch_dtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    model = (
        build_mlp(
            sizes,
            activation=config["activation"],
            batchnorm=config["batchnorm"],
            dropout=config["dropout"],
            init="he_normal",
            bias_before_batchnorm=True,
        )
        .to(torch_dtype)
        .train()
    )  # as the NumPy MLP has
    opt = make_optimizer(model.parameters(), config["optimizer"], lr=1e-3)
    txs, tys = torch.from_numpy(xs), torch.from_numpy(ys)

    def run():
        for xb, yb in zip(txs, tys):
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    return run


def per_step(run, n_steps):
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) / n_steps


def measure(runners, n_steps, reps):
    """Median seconds per step of each runner, over ``reps`` alternating repetitions."""
    for run in runners.values():  # warm up: allocate buffers, load kernels
        run()
    times = {name: [] for name in runners}
    for _ in range(reps):
        for name, run in runners.items():
            times[name].append(per_step(run, n_steps))
    return {name: statistics.median(t) for name, t in times.items()}


def compare(configs, widths, depths, dtypes, *, batch_size=128, steps=20, reps=7, reference=False):
    """Yield (config, sizes label, dtype name, median seconds per step of each runner)."""
    for config_name in configs:
        config = CONFIGS[config_name]
        for width in widths:
            for depth in depths:
                for dtype_name in dtypes:
                    dtype = np.dtype(dtype_name).type
                    sizes = [64] + [width] * depth + [10]
                    xs, ys = _batches(steps, batch_size, 64, 10, dtype)
                    runners = {
                        "numpy": numpy_runner(sizes, config, dtype, xs, ys, fast=True),
                        "torch": torch_runner(sizes, config, dtype, xs, ys),
                    }
                    if reference:
                        runners["reference"] = numpy_runner(sizes, config, dtype, xs, ys, fast=False)
                    yield config_name, f"64-{width}x{depth}-10", dtype_name, measure(runners, steps, reps)


def rows(quick=False):
    """Results as rows for ``benchmarks/run.py``: the ratio NumPy / torch per configuration."""
    grid = (
        (["default"], [256], [5], ["float64", "float32"])
        if quick
        else (list(CONFIGS), [64, 256], [5, 10], ["float64", "float32"])
    )
    out = {}
    with threads(1):
        for config, sizes, dtype, t in compare(*grid, steps=5 if quick else 20, reps=3 if quick else 7):
            out[f"NumPy MLP step / torch ({config} {sizes}, {dtype})"] = {
                "value": t["numpy"] / t["torch"],
                "target": "<= 1.0",
                "detail": f"numpy {1e3 * t['numpy']:.2f} ms, torch {1e3 * t['torch']:.2f} ms per step, "
                "batch 128, 1 thread",
            }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--depths", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20, help="steps per repetition")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reference", action="store_true", help="also time fast=False")
    args = parser.parse_args()

    print(
        f"torch {torch.__version__}, numpy {np.__version__}, {args.threads} thread(s), "
        f"batch {args.batch_size}, median of {args.reps} x {args.steps} steps"
    )
    header = f"{'config':<8} {'sizes':<18} {'dtype':<8} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}"
    print(header + ("  reference ms" if args.reference else ""))
    ratios = []
    with threads(args.threads):
        for config, sizes, dtype, t in compare(
            args.configs,
            args.widths,
            args.depths,
            args.dtypes,
            batch_size=args.batch_size,
            steps=args.steps,
            reps=args.reps,
            reference=args.reference,
        ):
            ratio = t["numpy"] / t["torch"]
            ratios.append(ratio)
            line = f"{config:<8} {sizes:<18} {dtype:<8} {1e3 * t['numpy']:9.3f} {1e3 * t['torch']:9.3f} {ratio:6.2f}"
            if args.reference:
                line += f"  {1e3 * t['reference']:12.3f}"
            print(line, flush=True)
    print(
        f"numpy / torch time per step: median {statistics.median(ratios):.2f}, "
        f"worst {max(ratios):.2f} (below 1: NumPy is faster)"
    )


if __name__ == "__main__":
    main()
