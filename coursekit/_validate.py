"""Argument checks shared by the NumPy and torch references.

Every public reference validates its inputs here, so that a wrong shape or dtype is
reported with the argument's name instead of failing deep inside NumPy or torch.
"""

import functools
import numbers
import warnings

import numpy as np


def _is_torch_tensor(value):
    cls = type(value)
    return any(c.__module__.startswith("torch") and c.__name__ == "Tensor" for c in cls.__mro__)


def _describe(value):
    if isinstance(value, np.ndarray) or _is_torch_tensor(value):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    return type(value).__name__


def _is_floating(value):
    if isinstance(value, np.ndarray):
        return np.issubdtype(value.dtype, np.floating)
    return value.is_floating_point()


def float_array(name, value, *, backend, ndim=None):
    """Check that ``value`` is a floating array of the backend's type ("numpy" or "torch")."""
    ok_type = isinstance(value, np.ndarray) if backend == "numpy" else _is_torch_tensor(value)
    if not ok_type:
        wanted = "a numpy.ndarray" if backend == "numpy" else "a torch.Tensor"
        raise TypeError(f"{name} must be {wanted}, got {_describe(value)}")
    if not _is_floating(value):
        raise TypeError(f"{name} must have a floating dtype, got {value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {tuple(value.shape)}")
    return value


def same_dtype(**arrays):
    """Check that all named arrays share one dtype (no silent upcasts)."""
    dtypes = {name: a.dtype for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{n}: {d}" for n, d in dtypes.items())
        raise TypeError(f"arguments must share one floating dtype, got {listed}")


def same_device(**tensors):
    """Check that all named tensors live on one device."""
    devices = {name: t.device for name, t in tensors.items()}
    if len(set(devices.values())) > 1:
        listed = ", ".join(f"{n}: {d}" for n, d in devices.items())
        raise ValueError(f"arguments must be on one device, got {listed}")


def shape_equal(name, value, shape):
    if tuple(value.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(value.shape)}")


def _number(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def real(name, value):
    """``value`` as a finite Python float (so a NumPy scalar cannot upcast float32 arrays)."""
    number = _number(name, value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value}")
    return number


def positive_number(name, value, *, allow_zero=False):
    """``value`` as a finite Python float > 0 (>= 0 with ``allow_zero``)."""
    number = _number(name, value)
    if not np.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value}")
    return number


def non_negative(name, value):
    """A finite real >= 0 (a learning rate, an eps), as a Python float."""
    return positive_number(name, value, allow_zero=True)


def flag(name, value):
    """``value``, checked to be True or False."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return value


def choice(name, value, options):
    """``value``, checked to be one of ``options`` (a sequence, or a dict's keys)."""
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose from {', '.join(map(str, options))}")
    return value


def integer_labels(name, y, n, n_classes):
    """Check integer class labels of length ``n`` in ``[0, n_classes)``."""
    if not (isinstance(y, np.ndarray) or _is_torch_tensor(y)):
        raise TypeError(f"{name} must be an array of integer labels, got {_describe(y)}")
    integral = (
        np.issubdtype(y.dtype, np.integer)
        if isinstance(y, np.ndarray)
        else not (y.is_floating_point() or y.is_complex())
    )
    if not integral or str(y.dtype) in ("bool", "torch.bool"):
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) to match the batch, got {tuple(y.shape)}")
    if n and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ValueError(
            f"{name} must lie in [0, {n_classes}) for {n_classes} classes, "
            f"got labels from {int(y.min())} to {int(y.max())}"
        )


def renamed_keywords(**old_to_new):
    """Decorator: each old keyword still works, with a ``DeprecationWarning`` naming the new one.

    ``@renamed_keywords(dropout="p_drop")`` passes ``dropout=0.5`` on as ``p_drop=0.5``;
    giving both is a TypeError.
    """

    def rename(function):
        @functools.wraps(function)
        def renaming(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{function.__name__}() got {new!r} and its old name {old!r}; give {new!r}")
                    warnings.warn(
                        f"{function.__name__}(): the keyword {old!r} is deprecated, use {new!r}",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return renaming

    return rename
