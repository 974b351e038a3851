"""One epoch of torch training: the minibatch loop of :func:`coursekit.training.fit`, with
per-step learning rates and momenta, in-place gradient clipping and per-step records, all
without a host synchronisation; and :class:`TorchTrainer`, the torch side of the shared
loop (:mod:`coursekit.training.loop`), which reads the device back once per epoch."""

import copy
import itertools

import torch
from torch import nn

from coursekit.training.loop import Epoch


def _set_step(opt, rate, momentum):
    """Set every parameter group's learning rate (and momentum, or Adam's beta1) for a step."""
    for group in opt.param_groups:
        group["lr"] = rate
        if momentum is not None:
            if "betas" in group:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum


def run_epoch(
    model, opt, x, y, *, batch_size, generator, grad_norms=False, rates=None, momenta=None, clip=None, steps=None
):
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
    return torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(p.grad) for p in params if p.grad is not None])
    )


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


def loss_and_accuracy(model, x, y, batch_size=1024):
    """(mean cross-entropy, accuracy) of ``model`` in eval mode, as 0-d device tensors.

    x and y are on the model's device already; the model's mode is restored.
    """
    was_training = model.training
    model.eval()
    with torch.no_grad():
        losses, correct = [], []
        for start in range(0, len(x), batch_size):
            logits = model(x[start : start + batch_size])
            target = y[start : start + batch_size]
            losses.append(nn.functional.cross_entropy(logits, target, reduction="sum"))
            correct.append((logits.argmax(1) == target).sum())
    model.train(was_training)
    return torch.stack(losses).sum() / len(x), torch.stack(correct).sum() / len(x)


class TorchTrainer:
    """Epochs of :func:`run_epoch` for :func:`coursekit.training.loop.run`.

    Args:
        model, opt: the model and its optimizer.
        train, val: (x, y) tensors on the model's device.
        constant: the rate is constant, so the loop leaves the optimizer's rate alone.
        train_accuracy: measure the accuracy on the whole training set after each epoch.
        step_stats: record every step's loss and gradient norm.
        **epoch_args: ``batch_size``, ``generator``, ``grad_norms`` and ``clip`` of
            :func:`run_epoch`.
    """

    def __init__(self, model, opt, train, val, *, constant, train_accuracy, step_stats, **epoch_args):
        self.model, self.opt, self.train, self.val = model, opt, train, val
        self.constant, self.train_accuracy, self.step_stats = constant, train_accuracy, step_stats
        self.epoch_args = epoch_args

    def train_epoch(self, rates, momenta):
        """One epoch, measured with a single read-back from the device."""
        self.model.train()
        steps = {} if self.step_stats else None
        loss, norms = run_epoch(
            self.model,
            self.opt,
            *self.train,
            rates=None if self.constant else rates,
            momenta=momenta,
            steps=steps,
            **self.epoch_args,
        )
        measured = [loss, *loss_and_accuracy(self.model, *self.val)]
        if self.train_accuracy:
            measured.append(loss_and_accuracy(self.model, *self.train)[1])
        parts = {"measured": torch.stack(measured)}
        if norms is not None:
            parts["grad_norms"] = norms
        if steps:
            parts.update(step_loss=torch.stack(steps["loss"]), step_grad_norm=torch.stack(steps["grad_norm"]))
        values = iter(torch.cat(list(parts.values())).tolist())  # the epoch's one read-back
        read = {name: list(itertools.islice(values, len(part))) for name, part in parts.items()}
        loss, val_loss, val_acc, *train_acc = read.pop("measured")
        return Epoch(
            loss=loss,
            val_loss=val_loss,
            val_acc=val_acc,
            train_acc=train_acc[0] if train_acc else None,
            lr=self.opt.param_groups[0]["lr"],
            **read,
        )

    def snapshot(self):
        """A copy of the model's state."""
        return copy.deepcopy(self.model.state_dict())

    def restore(self, state):
        """Load a :meth:`snapshot` back."""
        self.model.load_state_dict(state)
