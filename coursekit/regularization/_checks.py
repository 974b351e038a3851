"""Argument checks of the regularisation references (kept out of numpy_ref, so that the
grader's report of a call to the reference names only the public function)."""

import numbers

import numpy as np


def drop_probability(p_drop):
    """p_drop as a float, checked to lie in [0, 1)."""
    if isinstance(p_drop, bool) or not isinstance(p_drop, numbers.Real):
        raise TypeError(f"p_drop must be a real number, got {type(p_drop).__name__}")
    if not 0 <= p_drop < 1:
        raise ValueError(f"p_drop must lie in [0, 1), got {p_drop}")
    return float(p_drop)


def train_flag(train):
    """train, checked to be a bool."""
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be True or False, got {type(train).__name__}")
    return bool(train)


def numpy_generator(rng, needed):
    """The rng, checked to be a numpy Generator when randomness is ``needed``."""
    if rng is None and not needed:
        return None
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def torch_generator(generator, x):
    """An optional torch.Generator, checked to be on x's device type."""
    import torch

    if generator is None:
        return None
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if generator.device.type != x.device.type:
        raise ValueError(
            f"generator is on {generator.device.type} but x is on {x.device.type}; use torch.Generator(device=x.device)"
        )
    return generator


def norm_axes(axis, ndim):
    """``axis`` (an int or a tuple of ints) as a sorted tuple of non-negative axes of an
    ``ndim``-dimensional array; raises ``TypeError``/``ValueError`` naming ``axis``."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not axes or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes):
        raise TypeError(f"axis must be an int or a non-empty tuple of ints, got {axis!r}")
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"axis {axis!r} is out of range for w with {ndim} dimension(s)")
    normalised = sorted(int(a) % ndim for a in axes)
    if len(set(normalised)) != len(normalised):
        raise ValueError(f"axis must not repeat an axis, got {axis!r}")
    return tuple(normalised)
