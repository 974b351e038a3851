"""Batch normalisation in torch from tensor operations, and a from-scratch ``BatchNorm1d``.

Same names, signatures and conventions as :mod:`coursekit.batchnorm.numpy_ref` (torch's:
momentum weights the new batch statistic, the running variance is updated with the
unbiased batch variance, the batch is normalised with the biased one). Tensors stay on the
caller's device and keep their dtype. No autograd is used inside: the backward pass is the
closed form, and :class:`BatchNorm1d` plugs it into autograd through
:class:`BatchNormFunction`.

The kernels are written for speed as well as clarity: few torch calls and few passes over
the (N, D) data, and nothing that waits for the GPU (no ``.item()``, no branch on a
tensor's value), so a training step never synchronises with the host.
"""

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from coursekit import _validate as v
from coursekit.batchnorm import _checks
from coursekit.batchnorm.numpy_ref import BatchNormCache

__all__ = ["BatchNorm1d", "BatchNormCache", "BatchNormFunction", "batchnorm_backward", "batchnorm_forward"]


# ----- kernels (no argument checks, no autograd) ----------------------------------------
# Each line is one torch call, so that a training step dispatches as few operations as it can.


def _batch_statistics(x):
    """Mean and biased variance over the batch of x (N, D), and the centred x."""
    n = x.shape[0]
    mean = x.sum(0).div_(n)  # on CPU twice as fast as x.mean(0)
    centred = x - mean
    var = torch.linalg.vecdot(centred, centred, dim=0).div_(n)
    return mean, var, centred


def _normalise(centred, gamma, beta, var, eps):
    """``gamma * centred / sqrt(var + eps) + beta``; also returns inv_std and the scale."""
    inv_std = (var + eps).rsqrt_()
    scale = gamma * inv_std
    return torch.addcmul(beta, centred, scale), inv_std, scale


def _backward(dout, centred, inv_std, scale, train):
    """Closed form: dx = scale * (dout - mean(dout) - xhat * mean(dout * xhat))."""
    dbeta = dout.sum(0)
    dgamma = torch.linalg.vecdot(dout, centred, dim=0).mul_(inv_std)  # sum(dout * xhat)
    if not train:
        return dout * scale, dgamma, dbeta
    n = dout.shape[0]
    dx = torch.sub(dout, dbeta, alpha=1 / n).addcmul_(centred, dgamma * inv_std, value=-1 / n).mul_(scale)
    return dx, dgamma, dbeta


# ----- the functional reference ---------------------------------------------------------


def batchnorm_forward(x, gamma, beta, running_mean, running_var, *, train=True, momentum=0.1, eps=1e-5):
    """BatchNorm over the batch axis; see :func:`coursekit.batchnorm.numpy_ref.batchnorm_forward`.

    Args:
        x: (N, D) tensor; N >= 2 in training.
        gamma, beta, running_mean, running_var: (D,) tensors of x's dtype and device.
            None is modified.
        train: normalise with (and update towards) the batch statistics.
        momentum: weight of the batch statistic in the running average, in [0, 1].
        eps: added to the variance inside the square root.

    Returns:
        out (N, D), cache (a :class:`BatchNormCache`), new_running_mean (D,),
        new_running_var (D,). No autograd graph is recorded.
    """
    _checks.forward_args("torch", x, gamma, beta, running_mean, running_var, train, momentum, eps)
    with torch.no_grad():
        if train:
            n = x.shape[0]
            mean, var, centred = _batch_statistics(x)
            new_running_mean = torch.lerp(running_mean, mean, momentum)
            new_running_var = torch.lerp(running_var, var * (n / (n - 1)), momentum)
        else:
            mean, var, centred = running_mean, running_var, x - running_mean
            new_running_mean, new_running_var = running_mean.clone(), running_var.clone()
        out, inv_std, _ = _normalise(centred, gamma, beta, var, eps)
    return out, BatchNormCache(x, mean, inv_std, gamma, bool(train)), new_running_mean, new_running_var


def batchnorm_backward(dout, cache):
    """Closed-form backward pass of :func:`batchnorm_forward`.

    Args:
        dout: upstream gradient, (N, D).
        cache: the :class:`BatchNormCache` from :func:`batchnorm_forward`.

    Returns:
        dx (N, D), dgamma (D,), dbeta (D,).
    """
    _checks.backward_args("torch", dout, cache, BatchNormCache)
    with torch.no_grad():
        centred, scale = cache.x - cache.mean, cache.gamma * cache.inv_std
        return _backward(dout, centred, cache.inv_std, scale, cache.train)


# ----- autograd and the module ----------------------------------------------------------


class BatchNormFunction(torch.autograd.Function):
    """BatchNorm for autograd, with the hand-written backward of :func:`batchnorm_backward`.

    ``apply(x, gamma, beta, running_mean, running_var, train, momentum, eps)`` returns out;
    in training it also moves the running statistics in place (they are buffers, not
    differentiated), as torch's ``F.batch_norm`` does.
    """

    @staticmethod
    def forward(ctx, x, gamma, beta, running_mean, running_var, train, momentum, eps):
        if train:
            n = x.shape[0]
            mean, var, centred = _batch_statistics(x)
            running_mean.lerp_(mean, momentum)
            running_var.mul_(1 - momentum).add_(var, alpha=momentum * n / (n - 1))
        else:
            var, centred = running_var, x - running_mean
        out, inv_std, scale = _normalise(centred, gamma, beta, var, eps)
        ctx.train = train
        ctx.save_for_backward(centred, inv_std, scale)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):
        dx, dgamma, dbeta = _backward(dout, *ctx.saved_tensors, ctx.train)
        return dx, dgamma, dbeta, None, None, None, None, None


class BatchNorm1d(nn.Module):
    """From-scratch ``nn.BatchNorm1d`` (with ``track_running_stats=True``).

    Same parameters, buffers and state_dict as torch's module, so the two load each
    other's weights; over training steps and then in eval mode they compute the same
    outputs, gradients and running statistics.

    Args:
        num_features: D, the number of features (channels).
        eps: added to the variance inside the square root.
        momentum: weight of the batch statistic in the running average (torch's; Keras's
            momentum is 1 - this).
        affine: learn gamma (``weight``) and beta (``bias``).

    Shape:
        input (N, D) or (N, D, L); output the same. Statistics are per feature, over N
        (and L).
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, device=None, dtype=None):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"num_features must be a positive int, got {num_features!r}")
        _checks.unit_interval("momentum", momentum)
        v.positive_number("eps", eps)
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        factory = {"device": device, "dtype": dtype}
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features, **factory))
            self.bias = nn.Parameter(torch.zeros(num_features, **factory))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
            self.register_buffer("_ones", torch.ones(num_features, **factory), persistent=False)
            self.register_buffer("_zeros", torch.zeros(num_features, **factory), persistent=False)
        self.register_buffer("running_mean", torch.zeros(num_features, **factory))
        self.register_buffer("running_var", torch.ones(num_features, **factory))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device))

    def reset_running_stats(self):
        self.running_mean.zero_()
        self.running_var.fill_(1)
        self.num_batches_tracked.zero_()

    def forward(self, x):
        if x.dim() not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"x must have shape (N, {self.num_features}) or (N, {self.num_features}, L), got {tuple(x.shape)}"
            )
        if x.dtype != self.running_mean.dtype:
            raise TypeError(f"x has dtype {x.dtype} but the module holds {self.running_mean.dtype}; use .to()")
        if x.dim() == 3:
            n, d, length = x.shape
            flat = self._forward_2d(x.transpose(1, 2).reshape(n * length, d))
            return flat.reshape(n, length, d).transpose(1, 2)
        return self._forward_2d(x)

    def _forward_2d(self, x):
        if self.training:
            _checks.batch_of_at_least_two(x.shape[0])
            self.num_batches_tracked.add_(1)
        gamma, beta = (self.weight, self.bias) if self.affine else (self._ones, self._zeros)
        return BatchNormFunction.apply(
            x, gamma, beta, self.running_mean, self.running_var, self.training, self.momentum, self.eps
        )

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
