"""Small torch MLPs and a lean training loop for the experiments of 10_beyond_the_notes.

:func:`mlp` builds ``Linear -> [norm] -> activation -> [norm] -> [dropout]`` blocks, with
the normalisation (coursekit's from-scratch BatchNorm1d or LayerNorm) before or after the
activation; :func:`train` runs minibatch training with any optimizer factory and an
optional projection after each step (max-norm). Everything is seeded and runs on one
thread in well under a second per model: the initial weights from :func:`mlp`'s seed, the
order and the dropout masks from :func:`train`'s, never from torch's global generator.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from coursekit import _validate as v
from coursekit.training import one_thread

ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU, "mish": nn.Mish, "tanh": nn.Tanh}
NORMS = ("batch", "layer")
POSITIONS = ("before", "after")


def _norm_layer(norm, width):
    from coursekit.batchnorm.torch_ref import BatchNorm1d
    from coursekit.layernorm.torch_ref import LayerNorm

    return {"batch": BatchNorm1d, "layer": LayerNorm}[norm](width)


@v.renamed_keywords(dropout="p_drop")
def mlp(sizes, *, activation="relu", norm=None, position="before", p_drop=0.0, seed=0):
    """An MLP ``sizes[0] -> ... -> sizes[-1]`` whose initial weights come from ``seed``.

    Args:
        sizes: widths, input first, number of classes last.
        activation: a key of ``ACTIVATIONS`` (torch's modules).
        norm: None, "batch" (coursekit's BatchNorm1d) or "layer" (coursekit's LayerNorm).
        position: "before" the activation (the notes' placement) or "after" it.
        p_drop: drop probability after each hidden block (torch's ``nn.Dropout``); the old
            keyword ``dropout`` still works, with a DeprecationWarning.
        seed: seed of the initial weights (torch's default initialisation); the global RNG
            is left as it was. A Linear layer followed by BatchNorm has no bias (BatchNorm's
            shift β replaces it, and the mean subtraction would cancel it).

    Returns:
        ``nn.Sequential``, float32.
    """
    v.choice("activation", activation, ACTIVATIONS)
    if norm is not None and norm not in NORMS:
        raise ValueError(f"norm must be None, 'batch' or 'layer', got {norm!r}")
    if position not in POSITIONS:
        raise ValueError(f"position must be 'before' or 'after', got {position!r}")
    if not 0 <= p_drop < 1:
        raise ValueError(f"p_drop must lie in [0, 1), got {p_drop}")
    layers = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            layers.append(nn.Linear(fan_in, fan_out, bias=last or not (norm == "batch" and position == "before")))
            if last:
                break
            block = [ACTIVATIONS[activation]()]
            if norm is not None:
                block.insert(0 if position == "before" else 1, _norm_layer(norm, fan_out))
            layers += block + ([nn.Dropout(p_drop)] if p_drop else [])
    return nn.Sequential(*layers)


def tensors(x, y):
    """float32 inputs and int64 labels as tensors."""
    return torch.as_tensor(np.asarray(x), dtype=torch.float32), torch.as_tensor(np.asarray(y), dtype=torch.int64)


@torch.no_grad()
def accuracy(model, x, y):
    """Accuracy of ``model`` in eval mode on arrays or tensors (the mode is restored)."""
    x, y = tensors(x, y)
    was_training = model.training
    model.eval()
    correct = (model(x).argmax(1) == y).double().mean().item()
    model.train(was_training)
    return correct


@one_thread()
def train(
    model, x, y, *, epochs=10, batch_size=64, optimizer=None, seed=0, after_step=None, evaluate=None, drop_last=False
):
    """Minibatch training with softmax cross-entropy.

    Args:
        model: a torch module (trained in place).
        x, y: training inputs (N, D) and labels (N,), arrays or tensors.
        epochs, batch_size: as usual.
        seed: the order is reshuffled each epoch from a generator seeded with ``seed``, and the
            dropout masks come from a second stream seeded with ``seed`` (torch's global
            generator is forked and left as it was), so a call prints the same numbers on
            every run.
        optimizer: ``optimizer(params) -> torch.optim.Optimizer``; Adam at lr 1e-3 if None.
        after_step: optional ``after_step(model)`` run after each optimizer step (e.g. a
            max-norm projection).
        evaluate: optional ``evaluate(model) -> float`` recorded after each epoch.
        drop_last: skip a last batch smaller than ``batch_size``.

    Returns:
        dict with "loss" (mean training loss per epoch) and "score" (``evaluate``'s values).
    """
    x, y = tensors(x, y)
    if drop_last and len(x) < batch_size:
        raise ValueError(
            f"batch_size={batch_size} is larger than the {len(x)} examples, and drop_last=True "
            "would skip every batch; lower batch_size or set drop_last=False"
        )
    opt = (optimizer or (lambda p: torch.optim.Adam(p, lr=1e-3)))(model.parameters())
    generator = torch.Generator().manual_seed(seed)
    history = {"loss": [], "score": []}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # nn.Dropout's masks: a private stream, restored on exit
        for _ in range(epochs):
            model.train()
            order, losses = torch.randperm(len(x), generator=generator), []
            for start in range(0, len(x), batch_size):
                idx = order[start : start + batch_size]
                if drop_last and len(idx) < batch_size:
                    continue
                loss = F.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if after_step is not None:
                    after_step(model)
                losses.append(loss.detach())
            history["loss"].append(torch.stack(losses).mean().item())
            if evaluate is not None:
                history["score"].append(evaluate(model))
    return history
