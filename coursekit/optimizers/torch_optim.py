"""From-scratch ``torch.optim.Optimizer`` subclasses: SGD (with momentum and Nesterov),
Adagrad, RMSprop and Adam.

They take torch.optim's hyperparameters (names, defaults, order) and, trained on the same
model, follow the built-ins' trajectory: they run the multi-tensor (``torch._foreach_*``)
operations of torch's ``foreach`` implementation (Nesterov's last step is split in two
in-place passes, which changes only the rounding). Gradients are never modified. State keys are
torch's (``momentum_buffer``, ``sum``, ``square_avg``, ``exp_avg``, ``exp_avg_sq``, ``step``).
The step count is a Python int, so a step never synchronises with a cuda device.

Conventions other than torch's are keyword-only flags, as in
:mod:`coursekit.optimizers.numpy_ref`. What the built-ins add on top (weight decay,
dampening, ``maximize``, AMSGrad, centred RMSprop, lr decay) is left out.
"""

import torch
from torch.optim import Optimizer

from coursekit import _validate as v
from coursekit.optimizers import _checks as c

__all__ = ["SGD", "Adagrad", "RMSprop", "Adam"]


class _ForeachOptimizer(Optimizer):
    """Runs ``_update(group, params, grads)`` once per (device, dtype) bucket of a group."""

    def _update(self, group, params, grads):
        raise NotImplementedError

    def _state_tensors(self, params, key):
        """The state tensor ``key`` of each parameter, created as zeros on first use."""
        tensors = []
        for p in params:
            state = self.state[p]
            if key not in state:
                state[key] = torch.zeros_like(p, memory_format=torch.preserve_format)
            tensors.append(state[key])
        return tensors

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            buckets = {}
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                buckets.setdefault((p.device, p.dtype), []).append(p)
            for params in buckets.values():
                self._update(group, params, [p.grad for p in params])
        return loss


class SGD(_ForeachOptimizer):
    """SGD with optional momentum (heavy ball) or Nesterov momentum, as torch.optim.SGD.

    ``v <- momentum v + g``; ``p <- p - lr v`` (or ``p <- p - lr (g + momentum v)`` with
    Nesterov). With ``ema=True``: ``v <- momentum v + (1 - momentum) g``.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (>= 0). momentum: in [0, 1). nesterov: needs momentum > 0.
        ema: the exponential-moving-average form of momentum.
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, nesterov=False, *, ema=False):
        defaults = {
            "lr": v.non_negative("lr", lr),
            "momentum": c.decay("momentum", momentum),
            "nesterov": v.flag("nesterov", nesterov),
            "ema": v.flag("ema", ema),
        }
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        super().__init__(params, defaults)

    def _update(self, group, params, grads):
        lr, momentum = group["lr"], group["momentum"]
        if momentum == 0:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        buffers = self._state_tensors(params, "momentum_buffer")
        torch._foreach_mul_(buffers, momentum)
        torch._foreach_add_(buffers, grads, alpha=1.0 - momentum if group["ema"] else 1.0)
        if group["nesterov"]:  # p - lr (g + momentum v), in two in-place passes (no new tensors)
            torch._foreach_add_(params, grads, alpha=-lr)
            torch._foreach_add_(params, buffers, alpha=-lr * momentum)
        else:
            torch._foreach_add_(params, buffers, alpha=-lr)


class Adagrad(_ForeachOptimizer):
    """AdaGrad, as torch.optim.Adagrad: ``s <- s + g**2``, ``p <- p - lr g / (sqrt(s) + eps)``.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (>= 0). eps: >= 0.
        eps_inside: ``sqrt(s + eps)``, Keras 3's convention.
    """

    def __init__(self, params, lr=1e-2, *, eps=1e-10, eps_inside=False):
        defaults = {
            "lr": v.non_negative("lr", lr),
            "eps": v.non_negative("eps", eps),
            "eps_inside": v.flag("eps_inside", eps_inside),
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads):
        sums = self._state_tensors(params, "sum")
        torch._foreach_addcmul_(sums, grads, grads, value=1.0)
        denom = _root(sums, group["eps"], group["eps_inside"])
        torch._foreach_addcdiv_(params, torch._foreach_mul(grads, -group["lr"]), denom)


class RMSprop(_ForeachOptimizer):
    """RMSProp, as torch.optim.RMSprop: ``s <- alpha s + (1 - alpha) g**2``,
    ``p <- p - lr g / (sqrt(s) + eps)``.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (>= 0). alpha: in [0, 1). eps: >= 0.
        eps_inside: ``sqrt(s + eps)``, the notes' and Keras's convention.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, *, eps_inside=False):
        defaults = {
            "lr": v.non_negative("lr", lr),
            "alpha": c.decay("alpha", alpha),
            "eps": v.non_negative("eps", eps),
            "eps_inside": v.flag("eps_inside", eps_inside),
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads):
        alpha = group["alpha"]
        averages = self._state_tensors(params, "square_avg")
        torch._foreach_mul_(averages, alpha)
        torch._foreach_addcmul_(averages, grads, grads, value=1.0 - alpha)
        denom = _root(averages, group["eps"], group["eps_inside"])
        torch._foreach_addcdiv_(params, grads, denom, value=-group["lr"])


class Adam(_ForeachOptimizer):
    """Adam, as torch.optim.Adam, with Keras's and the notes' variants as flags.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (>= 0). betas: (beta1, beta2), each in [0, 1). eps: >= 0.
        bias_correction: False drops the division by ``1 - beta**t``.
        eps_hat: Keras's convention, ``lr_t = lr sqrt(1 - beta2**t) / (1 - beta1**t)`` and
            ``p <- p - lr_t m / (sqrt(v) + eps)``.
        second_moment_beta1: the notes' typo, ``v <- beta1 v + (1 - beta2) g**2``.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        *,
        bias_correction=True,
        eps_hat=False,
        second_moment_beta1=False,
    ):
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        defaults = {
            "lr": v.non_negative("lr", lr),
            "betas": (c.decay("beta1", betas[0]), c.decay("beta2", betas[1])),
            "eps": v.non_negative("eps", eps),
            "bias_correction": v.flag("bias_correction", bias_correction),
            "eps_hat": v.flag("eps_hat", eps_hat),
            "second_moment_beta1": v.flag("second_moment_beta1", second_moment_beta1),
        }
        if eps_hat and not bias_correction:
            raise ValueError(
                "eps_hat folds the bias correction into the step size; it cannot be combined with bias_correction=False"
            )
        super().__init__(params, defaults)

    def _update(self, group, params, grads):
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        exp_avgs = self._state_tensors(params, "exp_avg")
        exp_avg_sqs = self._state_tensors(params, "exp_avg_sq")
        steps = []
        for p in params:
            state = self.state[p]
            state["step"] = state.get("step", 0) + 1
            steps.append(state["step"])
        torch._foreach_lerp_(exp_avgs, grads, 1.0 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta1 if group["second_moment_beta1"] else beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1.0 - beta2)
        if group["bias_correction"]:
            corrections1 = [1.0 - beta1**t for t in steps]
            roots2 = [(1.0 - beta2**t) ** 0.5 for t in steps]
        else:
            corrections1 = roots2 = [1.0] * len(steps)
        denom = torch._foreach_sqrt(exp_avg_sqs)
        if group["eps_hat"]:
            step_sizes = [-lr * r / b for r, b in zip(roots2, corrections1)]
        else:
            if group["bias_correction"]:
                torch._foreach_div_(denom, roots2)
            step_sizes = [-lr / b for b in corrections1]
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(params, exp_avgs, denom, step_sizes)


def _root(tensors, eps, eps_inside):
    """``sqrt(t) + eps``, or ``sqrt(t + eps)`` when eps_inside, for each tensor (new tensors)."""
    if eps_inside:
        roots = torch._foreach_add(tensors, eps)
        torch._foreach_sqrt_(roots)
        return roots
    roots = torch._foreach_sqrt(tensors)
    torch._foreach_add_(roots, eps)
    return roots
