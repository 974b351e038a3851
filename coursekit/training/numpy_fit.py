"""Training loop for :class:`~coursekit.training.numpy_mlp.NumpyMLP`, with tqdm progress.

The optimizer (:class:`~coursekit.training.numpy_optim.FlatOptimizer`) and the gradient
clipping are in :mod:`coursekit.training.numpy_optim`.
"""

import copy
import math

import numpy as np

from coursekit.training import loop
from coursekit.training.numpy_fast import cross_entropy
from coursekit.training.numpy_optim import OPTIMIZERS, FlatOptimizer, clip_flat  # noqa: F401  (re-exported)
from coursekit.training.scheduling import RunRates, clip_settings, steps_per_epoch


def evaluate_numpy(model, x, y, *, batch_size=1024, fast=True):
    """(mean cross-entropy, accuracy) of the model in test mode, as Python floats."""
    total, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        if fast:
            logits = model.fast_path(len(xb)).forward(xb, train=False)
        else:
            logits, _ = model.forward(xb, train=False)
        correct += int((logits.argmax(axis=1) == yb).sum())
        total += float(cross_entropy(logits, yb, np.arange(len(yb)))) * len(xb)
    return total / len(x), correct / len(x)


def train_step(model, xb, yb, *, rng, fast=True):
    """Loss of one training batch; the gradients go into ``model.grads``.

    Args:
        model: a :class:`NumpyMLP`.
        xb, yb: the batch, (N, D) of the model's dtype and (N,) integer labels.
        rng: ``numpy.random.Generator`` for dropout and input noise (None if neither).
        fast: the in-place path; False calls the public references.
    """
    if not fast:
        return model.loss_and_grads(xb, yb, rng=rng)
    p = model.fast_path(len(xb))
    logits = p.forward(xb, train=True, rng=rng)
    loss = cross_entropy(logits, yb, p.rows)
    p.backward(logits)
    return loss


def fit_numpy(
    model,
    data,
    *,
    optimizer="adam",
    lr=1e-3,
    epochs=10,
    batch_size=64,
    rng,
    grad_norms=False,
    patience=None,
    progress=True,
    dtype=None,
    fast=True,
    train_accuracy=True,
    schedule=None,
    plateau=None,
    clip_norm=None,
    clip_value=None,
    step_stats=False,
    **optimizer_args,
):
    """Train a :class:`NumpyMLP` on a :class:`coursekit.data.Split` with softmax cross-entropy.

    Args:
        model: from :func:`build_numpy_mlp`; trained in place.
        optimizer: sgd, momentum, nesterov, adagrad, rmsprop or adam, with lr and
            ``optimizer_args`` (the numpy_ref step's hyperparameters).
        rng: ``numpy.random.Generator`` for the shuffling, dropout masks and input noise.
        grad_norms: also record each dense layer's weight-gradient norm, averaged per epoch.
        patience: stop after this many epochs without a better validation loss, and
            restore the best parameters (None: no early stopping).
        dtype: convert the model and data to this dtype (default: the model's).
        fast: the in-place path (:mod:`coursekit.training.numpy_fast`); False calls the
            public references, checking every argument (slower, same results).
        train_accuracy: measure the accuracy on the whole training set after each epoch.
        schedule, plateau: the learning rate of each step or epoch, as for
            :func:`coursekit.training.fit` (lr is lr0; cycled momenta set the momentum or
            Adam's beta1).
        clip_norm, clip_value: clip the gradients' global 2-norm, or each entry (None: no
            clipping); the global norm is the norm of the flat gradient vector.
        step_stats: also record "step_lr", "step_loss" and "step_grad_norm" (before clipping).

    Returns:
        the history dict of :func:`coursekit.training.loop.new_history`, the same layout as
        :func:`coursekit.training.fit`'s: "loss", "val_loss", "train_acc", "val_acc", "lr",
        "epoch_seconds", "steps", "device" ("numpy"); "grad_norms" (epochs x layers) and
        the step entries if asked.
    """
    loop.check_run(epochs=epochs, batch_size=batch_size, lr=lr)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if dtype is not None:
        model.to_dtype(dtype)
    clip = clip_settings(clip_norm, clip_value)
    trainer = NumpyTrainer(
        model,
        data,
        rng=rng,
        batch_size=batch_size,
        fast=fast,
        clip=clip,
        grad_norms=grad_norms,
        step_stats=step_stats,
        train_accuracy=train_accuracy,
        opt=FlatOptimizer(optimizer, model.flat, lr=lr, fast=fast, **optimizer_args),
    )
    run_rates = RunRates(
        lr,
        schedule,
        plateau,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch(len(trainer.x), batch_size, skips_single=model.batchnorm),
    )
    history = loop.new_history("numpy", grad_norms=grad_norms, step_stats=step_stats)
    return loop.run(
        trainer, run_rates, history, epochs=epochs, patience=patience, progress=progress, desc="training (numpy)"
    )


class NumpyTrainer:
    """Epochs of a :class:`NumpyMLP` for :func:`coursekit.training.loop.run`.

    Args:
        model: the model, trained in place.
        data: a :class:`coursekit.data.Split`, converted to the model's dtype.
        rng: ``numpy.random.Generator`` for the shuffling, dropout masks and input noise.
        opt: a :class:`FlatOptimizer` on ``model.flat``.
        clip: ``(clip_norm, clip_value)``.
        batch_size, fast, grad_norms, step_stats, train_accuracy: as for :func:`fit_numpy`.
    """

    def __init__(self, model, data, *, rng, opt, clip, batch_size, fast, grad_norms, step_stats, train_accuracy):
        self.model, self.rng, self.opt, self.clip = model, rng, opt, clip
        self.batch_size, self.fast, self.grad_norms = batch_size, fast, grad_norms
        self.step_stats, self.train_accuracy = step_stats, train_accuracy
        self.x, self.y = np.asarray(data.x_train, dtype=model.dtype), np.asarray(data.y_train, dtype=np.int64)
        self.xv, self.yv = np.asarray(data.x_val, dtype=model.dtype), np.asarray(data.y_val, dtype=np.int64)

    def _step(self, xb, yb, rate, momentum, epoch):
        """One optimizer step on a batch, its records added to ``epoch``."""
        model = self.model
        epoch.step_loss.append(train_step(model, xb, yb, rng=self.rng, fast=self.fast))
        if self.grad_norms:
            epoch.grad_norms.append([math.sqrt(np.dot(g.ravel(), g.ravel())) for g in model.weight_grads()])
        if self.clip != (None, None) or self.step_stats:
            epoch.step_grad_norm.append(clip_flat(model.flat_grad, *self.clip, fast=self.fast))
        self.opt.lr = rate
        if momentum is not None:
            self.opt.set_momentum(momentum)
        self.opt.step(model.flat_grad)

    def train_epoch(self, rates, momenta):
        """One epoch of minibatch training, then the measurements."""
        order = self.rng.permutation(len(self.x))
        xs, ys = self.x[order], self.y[order]
        epoch = loop.Epoch(loss=math.nan, val_loss=math.nan, val_acc=math.nan, grad_norms=[])
        for start in range(0, len(xs), self.batch_size):
            xb, yb = xs[start : start + self.batch_size], ys[start : start + self.batch_size]
            if len(xb) < 2 and self.model.batchnorm:
                continue  # BatchNorm cannot normalise a batch of one
            step = len(epoch.step_loss)
            self._step(xb, yb, rates[step], momenta[step] if momenta is not None else None, epoch)
        epoch.loss = float(np.mean(epoch.step_loss))  # in the model's dtype, as each step's loss
        epoch.val_loss, epoch.val_acc = evaluate_numpy(self.model, self.xv, self.yv, fast=self.fast)
        if self.train_accuracy:
            epoch.train_acc = evaluate_numpy(self.model, self.x, self.y, fast=self.fast)[1]
        epoch.grad_norms = np.mean(epoch.grad_norms, axis=0).tolist() if self.grad_norms else None
        epoch.step_loss = [float(loss) for loss in epoch.step_loss] if self.step_stats else []
        epoch.step_grad_norm = epoch.step_grad_norm if self.step_stats else []
        return epoch

    def snapshot(self):
        """A copy of the parameters and buffers."""
        return self.model.flat.copy(), copy.deepcopy(self.model.buffers)

    def restore(self, state):
        """Put a :meth:`snapshot` back."""
        np.copyto(self.model.flat, state[0])
        self.model.buffers.update(state[1])
