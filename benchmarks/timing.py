"""Small timing helpers: medians of repetitions, measured side by side in one process.

On a GPU, kernels run asynchronously: pass ``sync`` (``torch.cuda.synchronize``) so that
each timed block waits for the work it launched, or only the launches are timed.
"""

import statistics
import time


def median_seconds(fn, *, repeats=7, number=20, warmup=3, sync=None):
    """Median over ``repeats`` of the mean time of ``number`` calls of ``fn``."""
    sync = sync or (lambda: None)
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def ratio(candidate, baseline, **kwargs):
    """(candidate median, baseline median, candidate / baseline), interleaved runs."""
    pairs = []
    repeats = kwargs.pop("repeats", 7)
    for _ in range(repeats):
        pairs.append((median_seconds(candidate, repeats=1, **kwargs), median_seconds(baseline, repeats=1, **kwargs)))
    c = statistics.median(p[0] for p in pairs)
    b = statistics.median(p[1] for p in pairs)
    return c, b, c / b
