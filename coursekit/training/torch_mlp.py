"""A configurable torch MLP and a training loop that runs on cpu or cuda.

The loop keeps everything on the device: losses and accuracies are accumulated as tensors
and read back once per epoch, so there is no host synchronisation per batch.
"""

import copy
import math

import torch
from torch import nn
from tqdm.auto import tqdm

ACTIVATIONS = {
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU, "selu": nn.SELU, "identity": nn.Identity,
}

INITIALISERS = {
    "default": None,  # torch's own nn.Linear initialisation
    "standard_normal": lambda w: nn.init.normal_(w, 0.0, 1.0),
    "glorot_uniform": nn.init.xavier_uniform_,
    "glorot_normal": nn.init.xavier_normal_,
    "he_uniform": lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
    "he_normal": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
    "lecun_normal": lambda w: nn.init.kaiming_normal_(w, nonlinearity="linear"),
}

OPTIMIZERS = {
    "sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "nesterov": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
}


def _choice(name, value, options):
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose from {', '.join(sorted(options))}")
    return options[value]


def build_mlp(sizes, *, activation="relu", init="he_normal", batchnorm=False, dropout=0.0,
              input_noise=0.0, layers=None, generator_seed=0):
    """An MLP ``sizes[0] -> ... -> sizes[-1]``: dense, [BatchNorm], activation, [dropout].

    Args:
        sizes: layer widths, input first, number of classes last (at least two entries).
        activation: one of ``ACTIVATIONS``.
        init: one of ``INITIALISERS`` (applied to every weight matrix; biases start at 0).
        batchnorm: add BatchNorm before each hidden activation.
        dropout: drop probability after each hidden activation (0 disables).
        input_noise: stddev of Gaussian noise added to the inputs in training (0 disables).
        layers: optional dict of module factories overriding "batchnorm" (called with the
            width), "dropout" (with p) and "noise" (with stddev), e.g. coursekit's
            from-scratch modules.
        generator_seed: seed of the initial weights.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least two positive widths, got {sizes}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    if input_noise < 0:
        raise ValueError(f"input_noise must be >= 0, got {input_noise}")
    act = _choice("activation", activation, ACTIVATIONS)
    initialise = _choice("init", init, INITIALISERS)
    factories = {"batchnorm": nn.BatchNorm1d, "dropout": nn.Dropout, "noise": None, **(layers or {})}
    modules = []
    if input_noise > 0:
        if factories["noise"] is None:
            raise ValueError("input_noise needs layers={'noise': <module factory>}")
        modules.append(factories["noise"](input_noise))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(generator_seed)
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            linear = nn.Linear(fan_in, fan_out)
            if initialise is not None:
                initialise(linear.weight)
                nn.init.zeros_(linear.bias)
            modules.append(linear)
            if i < len(sizes) - 2:
                if batchnorm:
                    modules.append(factories["batchnorm"](fan_out))
                modules.append(act())
                if dropout > 0:
                    modules.append(factories["dropout"](dropout))
    return nn.Sequential(*modules)


def make_optimizer(params, name="adam", **hyper):
    """torch.optim optimizer by course name; "momentum"/"nesterov" are SGD with momentum."""
    cls = _choice("optimizer", name, OPTIMIZERS)
    if name in ("momentum", "nesterov"):
        hyper.setdefault("momentum", 0.9)
        hyper["nesterov"] = name == "nesterov"
    return cls(params, **hyper)


def _tensor(a, device, dtype=None):
    t = torch.as_tensor(a)
    return t.to(device=device, dtype=dtype if dtype is not None and t.is_floating_point() else t.dtype)


def evaluate(model, x, y, batch_size=1024):
    """(mean loss, accuracy) as device tensors; the model is put in eval mode and restored."""
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


def fit(model, data, *, optimizer="adam", lr=1e-3, epochs=10, batch_size=64, device=None,
        dtype=torch.float32, seed=0, grad_norms=False, patience=None, progress=True,
        optimizer_factory=None, **optimizer_args):
    """Train ``model`` on a :class:`coursekit.data.Split` with softmax cross-entropy.

    Args:
        optimizer: course name of a torch.optim optimizer (see ``OPTIMIZERS``), unless
            ``optimizer_factory(params, lr=..., **optimizer_args)`` is given.
        device: torch device (default: :func:`coursekit.device`).
        grad_norms: also record each Linear layer's mean weight-gradient norm per epoch.
        patience: stop after this many epochs without a better validation loss, and
            restore the best weights (None: no early stopping).

    Returns:
        history dict: "loss" (mean training loss per epoch), "val_loss", "train_acc",
        "val_acc", "epoch_seconds", "device"; "grad_norms" (epochs x layers) if asked.
    """
    import time

    from coursekit import device as pick_device

    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    if lr <= 0 or not math.isfinite(lr):
        raise ValueError(f"lr must be finite and > 0, got {lr}")
    device = torch.device(device) if device is not None else pick_device()
    model.to(device=device, dtype=dtype)
    x, y = _tensor(data.x_train, device, dtype), _tensor(data.y_train, device).long()
    xv, yv = _tensor(data.x_val, device, dtype), _tensor(data.y_val, device).long()
    factory = optimizer_factory or (lambda p, **k: make_optimizer(p, optimizer, **k))
    opt = factory(model.parameters(), lr=lr, **optimizer_args)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    generator = torch.Generator(device=device).manual_seed(seed)
    hist = {"loss": [], "val_loss": [], "train_acc": [], "val_acc": [], "epoch_seconds": [],
            "device": str(device)}
    if grad_norms:
        hist["grad_norms"] = []
    best, best_loss, since_best = None, math.inf, 0
    bar = tqdm(range(epochs), desc=f"training on {device.type}", disable=not progress)
    for _ in bar:
        start_time = time.perf_counter()
        model.train()
        order = torch.randperm(len(x), device=device, generator=generator)
        batch_losses, norms = [], []
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            if len(idx) < 2 and any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
                continue  # BatchNorm cannot normalise a batch of one
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if grad_norms:
                norms.append(torch.stack([m.weight.grad.norm() for m in linears]))
            opt.step()
            batch_losses.append(loss.detach())
        val_loss, val_acc = evaluate(model, xv, yv)
        _, train_acc = evaluate(model, x, y)
        epoch = torch.stack([torch.stack(batch_losses).mean(), val_loss, train_acc, val_acc]).tolist()
        for key, value in zip(("loss", "val_loss", "train_acc", "val_acc"), epoch):
            hist[key].append(value)
        if grad_norms:
            hist["grad_norms"].append(torch.stack(norms).mean(0).tolist())
        hist["epoch_seconds"].append(time.perf_counter() - start_time)
        bar.set_postfix(loss=f"{epoch[0]:.3f}", val_acc=f"{epoch[3]:.3f}")
        if patience is not None:
            if epoch[1] < best_loss:
                best, best_loss, since_best = copy.deepcopy(model.state_dict()), epoch[1], 0
            else:
                since_best += 1
                if since_best > patience:
                    break
    if patience is not None and best is not None:
        model.load_state_dict(best)
    return hist
