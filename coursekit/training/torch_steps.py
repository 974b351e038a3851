"""One epoch of torch training: the minibatch loop of :func:`coursekit.training.fit`, with
per-step learning rates and momenta, in-place gradient clipping and per-step records, all
without a host synchronisation."""

import torch
from torch import nn


def _set_step(opt, rate, momentum):
    """Set every parameter group's learning rate (and momentum, or Adam's beta1) for a step."""
    for group in opt.param_groups:
        group["lr"] = rate
        if momentum is not None:
            if "betas" in group:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum


def run_epoch(model, opt, x, y, *, batch_size, generator, grad_norms=False, rates=None, momenta=None,
              clip=None, steps=None):
    """One epoch of minibatch training, without any host synchronisation.

    Args:
        model, opt: the model (in training mode) and its optimizer.
        x, y: the training set, on the model's device.
        batch_size: examples per step.
        generator: ``torch.Generator`` on the device, for the shuffling.
        grad_norms: also return each Linear layer's weight-gradient norm, averaged over steps.
        rates, momenta: optional learning rate (and momentum or Adam's beta1) of each step,
            Python floats set on every parameter group before the step.
        clip: optional in-place clipper, ``clip(parameters) -> total norm`` (a 0-d tensor),
            called between backward and the step.
        steps: optional dict of lists; each step appends its loss to ``steps["loss"]`` and
            its total gradient 2-norm before clipping to ``steps["grad_norm"]`` (device
            tensors).

    Returns:
        (mean training loss, per-layer gradient norms or None), as device tensors.
    """
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    params = [p for p in model.parameters() if p.requires_grad]
    has_batchnorm = any(hasattr(m, "running_mean") for m in model.modules())
    order = torch.randperm(len(x), device=x.device, generator=generator)
    batch_losses, norms, step = [], [], 0
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        if len(idx) < 2 and has_batchnorm:
            continue  # BatchNorm cannot normalise a batch of one
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if grad_norms:
            norms.append(torch.stack([torch.linalg.vector_norm(m.weight.grad) for m in linears]))
        total = clip(params) if clip is not None else None
        if steps is not None:
            if total is None:
                total = _grad_norm(params)
            steps.setdefault("loss", []).append(loss.detach())
            steps.setdefault("grad_norm", []).append(total)
        if rates is not None:
            _set_step(opt, rates[step], momenta[step] if momenta is not None else None)
        opt.step()
        batch_losses.append(loss.detach())
        step += 1
    return torch.stack(batch_losses).mean(), (torch.stack(norms).mean(0) if grad_norms else None)


def _grad_norm(params):
    """The 2-norm of all gradients together, a 0-d device tensor."""
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params
                                                 if p.grad is not None]))


def clipper(clip_norm, clip_value, parts):
    """The in-place clipper of ``fit``: torch's own, or coursekit's from-scratch one."""
    if clip_norm is None and clip_value is None:
        return None
    if parts == "coursekit":
        from coursekit.schedules import torch_ref as clip_ref

        by_norm, by_value = clip_ref.clip_grad_norm_, clip_ref.clip_grad_value_
    else:
        by_norm, by_value = nn.utils.clip_grad_norm_, nn.utils.clip_grad_value_
    if clip_norm is not None:
        return lambda params: by_norm(params, clip_norm)

    def clip_by_value(params):
        total = _grad_norm(params)
        by_value(params, clip_value)
        return total

    return clip_by_value
