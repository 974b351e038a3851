"""Thread settings for the workbook's tiny models.

The networks here are so small that each operation costs mostly its overhead: a second
thread only adds synchronisation, and on a shared or busy machine a thread pool can make
them many times slower. :func:`one_thread` runs a block (or a function) on one thread.
"""

import contextlib


@contextlib.contextmanager
def threads(n):
    """Run torch's CPU ops, and NumPy's BLAS where threadpoolctl is installed, on ``n`` threads.

    The previous settings are restored afterwards. Works as a context manager
    (``with threads(2): ...``) and as a decorator (``@threads(1)``).

    Args:
        n: number of threads, a positive int.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    import torch

    previous = torch.get_num_threads()
    with contextlib.ExitStack() as stack:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # NumPy's BLAS keeps its own setting
            pass
        else:
            stack.enter_context(threadpool_limits(limits=n, user_api="blas"))
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(previous)


def one_thread():
    """``threads(1)``: for tiny models, as ``with one_thread():`` or ``@one_thread()``."""
    return threads(1)
