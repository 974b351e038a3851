"""coursekit: reference implementations, data, plots and grading helpers for the workbook
on training deep neural networks.

``import coursekit`` stays light: torch is imported only by the ``torch_ref`` modules and
by :func:`device`.
"""

__version__ = "0.1.0"

__all__ = ["device", "__version__"]


def device(prefer=None):
    """Pick the best available torch device: cuda, then mps, then cpu.

    Args:
        prefer: optional device name ("cuda", "mps" or "cpu"). If given and available it is
            returned; if it is not available a ``ValueError`` says so.

    Returns:
        torch.device
    """
    import torch

    available = {
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
        "cpu": True,
    }
    if prefer is not None:
        if prefer not in available:
            raise ValueError(f"prefer must be one of {sorted(available)}, got {prefer!r}")
        if not available[prefer]:
            raise ValueError(f"prefer={prefer!r} but that device is not available here")
        return torch.device(prefer)
    for name in ("cuda", "mps", "cpu"):
        if available[name]:
            return torch.device(name)
