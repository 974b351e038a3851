"""A configurable torch MLP and a training loop that runs on cpu or cuda.

The loop keeps everything on the device: losses and accuracies are accumulated as tensors
and read back once per epoch, so there is no host synchronisation per batch.
"""

import torch
from torch import nn

from coursekit import _validate as v
from coursekit.training import loop
from coursekit.training.scheduling import RunRates, clip_settings, steps_per_epoch
from coursekit.training.torch_steps import TorchTrainer, clipper, loss_and_accuracy

ACTIVATIONS = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "identity": nn.Identity,
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
    "sgd": torch.optim.SGD,
    "momentum": torch.optim.SGD,
    "nesterov": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
}

PARTS = {"torch": "torch's built-in modules", "coursekit": "coursekit's from-scratch parts"}


@v.renamed_keywords(dropout="p_drop", generator_seed="seed")
def build_mlp(
    sizes,
    *,
    activation="relu",
    init="he_normal",
    batchnorm=False,
    p_drop=0.0,
    input_noise=0.0,
    layers=None,
    seed=0,
    parts="torch",
    bias_before_batchnorm=False,
):
    """An MLP ``sizes[0] -> ... -> sizes[-1]``: dense, [BatchNorm], activation, [dropout].

    Args:
        sizes: layer widths, input first, number of classes last (at least two entries).
        activation: one of ``ACTIVATIONS``.
        init: one of ``INITIALISERS`` (applied to every weight matrix; biases start at 0).
        batchnorm: add BatchNorm before each hidden activation. The Linear layers just before
            it have no bias: BatchNorm subtracts the batch mean, which cancels any bias, and its
            shift beta takes the bias's place (Ioffe & Szegedy, 2015, section 3.2).
        p_drop: drop probability after each hidden activation (0 disables); the old keyword
            ``dropout`` still works, with a DeprecationWarning.
        input_noise: stddev of Gaussian noise added to the inputs in training (0 disables).
        layers: optional dict of module factories overriding "batchnorm" (called with the
            width), "dropout" (with p), "noise" (with stddev) and "activation" (with the
            name), e.g. coursekit's from-scratch modules.
        seed: seed of the initial weights (and, with ``parts="coursekit"``, of the dropout
            masks and input noise). The global RNG is left as it was. The old keyword
            ``generator_seed`` still works, with a DeprecationWarning.
        parts: "torch" (torch's built-in modules and ``nn.init``) or "coursekit" (the
            from-scratch parts of :mod:`coursekit.training.parts`: coursekit's
            activations, BatchNorm1d, Dropout, GaussianNoise and initialisers).
        bias_before_batchnorm: keep the (redundant) bias of the Linear layers just before
            BatchNorm, to mirror a network that has one, such as the NumPy MLP.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least two positive widths, got {sizes}")
    if not 0 <= p_drop < 1:
        raise ValueError(f"p_drop must lie in [0, 1), got {p_drop}")
    if input_noise < 0:
        raise ValueError(f"input_noise must be >= 0, got {input_noise}")
    v.choice("parts", parts, PARTS)
    v.choice("activation", activation, ACTIVATIONS)
    v.choice("init", init, INITIALISERS)
    if parts == "coursekit":
        from coursekit.training import parts as ck

        base = ck.factories(seed)
        generator = torch.Generator().manual_seed(seed)
        initialise = lambda linear: ck.initialise_(linear, init, generator)  # noqa: E731
    else:
        base = {
            "batchnorm": nn.BatchNorm1d,
            "dropout": nn.Dropout,
            "noise": None,
            "activation": lambda name: ACTIVATIONS[name](),
        }
        initialise = _torch_initialiser(init)
    factories = {**base, **(layers or {})}
    modules = []
    if input_noise > 0:
        if factories["noise"] is None:
            raise ValueError("input_noise needs layers={'noise': <module factory>} or parts='coursekit'")
        modules.append(factories["noise"](input_noise))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            normalised = batchnorm and i < len(sizes) - 2
            modules.append(initialise(nn.Linear(fan_in, fan_out, bias=bias_before_batchnorm or not normalised)))
            if i < len(sizes) - 2:
                if batchnorm:
                    modules.append(factories["batchnorm"](fan_out))
                modules.append(factories["activation"](activation))
                if p_drop > 0:
                    modules.append(factories["dropout"](p_drop))
    return nn.Sequential(*modules)


def _torch_initialiser(init):
    draw = INITIALISERS[init]

    def initialise(linear):
        if draw is not None:
            draw(linear.weight)
            if linear.bias is not None:
                nn.init.zeros_(linear.bias)
        return linear

    return initialise


def make_optimizer(params, name="adam", *, parts="torch", **hyper):
    """An optimizer by course name; "momentum"/"nesterov" are SGD with momentum (0.9 unless given).

    Args:
        params: parameters or parameter groups.
        name: one of ``OPTIMIZERS``.
        parts: "torch" (``torch.optim``) or "coursekit" (the from-scratch optimizers of
            :mod:`coursekit.optimizers.torch_optim`, same hyperparameters).
        **hyper: the optimizer's hyperparameters (lr, betas, eps, ...).
    """
    cls = OPTIMIZERS[v.choice("optimizer", name, OPTIMIZERS)]
    v.choice("parts", parts, PARTS)
    if parts == "coursekit":
        from coursekit.optimizers import torch_optim

        cls = getattr(torch_optim, cls.__name__)
    if name in ("momentum", "nesterov"):
        hyper.setdefault("momentum", 0.9)
        hyper["nesterov"] = name == "nesterov"
    return cls(params, **hyper)


def _tensor(a, device, dtype=None):
    t = torch.as_tensor(a)
    return t.to(device=device, dtype=dtype if dtype is not None and t.is_floating_point() else t.dtype)


def evaluate(model, x, y, batch_size=1024, *, as_tensors=False):
    """(mean loss, accuracy) of ``model`` in eval mode, as Python floats, like
    :func:`~coursekit.training.evaluate_numpy`.

    x and y may be arrays or tensors on any device: they are moved to the model's device
    (and x to its dtype), which costs nothing when they are there already. The model is put
    in eval mode and restored.

    Args:
        as_tensors: return 0-d tensors on the model's device instead, without a host
            synchronisation (what this function returned before it returned floats).
    """
    if not isinstance(model, nn.Module) or next(model.parameters(), None) is None:
        raise TypeError(f"model must be a torch.nn.Module with parameters, got {type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    param = next(model.parameters())
    x, y = _tensor(x, param.device, param.dtype), _tensor(y, param.device)
    if x.dim() < 1 or y.dim() != 1 or len(x) != len(y):
        raise ValueError(
            f"x and y must hold the same number of examples, with y of shape (N,); "
            f"got x {tuple(x.shape)} and y {tuple(y.shape)}"
        )
    loss, accuracy = loss_and_accuracy(model, x, y, batch_size)
    return (loss, accuracy) if as_tensors else tuple(torch.stack([loss, accuracy]).tolist())


def fit(
    model,
    data,
    *,
    optimizer="adam",
    lr=1e-3,
    epochs=10,
    batch_size=64,
    device=None,
    dtype=torch.float32,
    seed=0,
    grad_norms=False,
    patience=None,
    progress=True,
    optimizer_factory=None,
    parts="torch",
    train_accuracy=True,
    schedule=None,
    plateau=None,
    clip_norm=None,
    clip_value=None,
    step_stats=False,
    **optimizer_args,
):
    """Train ``model`` on a :class:`coursekit.data.Split` with softmax cross-entropy.

    Everything stays on the device: the losses and accuracies are read back once per epoch.

    Args:
        optimizer: course name of an optimizer (see ``OPTIMIZERS``), unless
            ``optimizer_factory(params, lr=..., **optimizer_args)`` is given.
        lr: the learning rate; with a schedule, its lr0 (1cycle's max_lr).
        device: torch device (default: :func:`coursekit.device`).
        dtype: floating dtype of the model and the data.
        seed: seed of the shuffling.
        grad_norms: also record each Linear layer's mean weight-gradient norm per epoch.
        patience: stop after this many epochs without a better validation loss, and
            restore the best weights (None: no early stopping).
        progress: show a tqdm progress bar (with the current learning rate).
        parts: "torch" (``torch.optim`` and torch's clipping) or "coursekit" (coursekit's
            from-scratch optimizers and clipping), for ``optimizer``.
        train_accuracy: measure the accuracy on the whole training set after each epoch
            (False saves a pass over the training set; "train_acc" then stays empty).
        schedule: the learning rate of each step (None: constant): a name of
            :data:`coursekit.schedules.runs.SCHEDULES`, a run schedule
            ``f(lr, n_steps) -> lrs or (lrs, momenta)`` (e.g. from
            :func:`~coursekit.schedules.runs.make_schedule`) or a sequence of rates. Cycled
            momenta (1cycle) set SGD's momentum or Adam's beta1, as torch's OneCycleLR does.
        plateau: performance scheduling instead: a dict of
            :func:`~coursekit.schedules.plateau.reduce_on_plateau` settings, stepped with
            each epoch's validation loss.
        clip_norm: clip the gradients' global 2-norm to this (None: no clipping).
        clip_value: or clip each gradient entry to [-clip_value, clip_value].
        step_stats: also record every step's rate, loss and total gradient 2-norm (before
            clipping) as "step_lr", "step_loss", "step_grad_norm".

    Returns:
        the history dict of :func:`coursekit.training.loop.new_history`, the same layout as
        :func:`fit_numpy`'s: "loss", "val_loss", "train_acc", "val_acc", "lr",
        "epoch_seconds", "steps", "device"; "grad_norms" (epochs x layers) and the step
        entries if asked.
    """
    from coursekit import device as pick_device

    loop.check_run(epochs=epochs, batch_size=batch_size, lr=lr)
    v.choice("parts", parts, PARTS)
    clip = clipper(*clip_settings(clip_norm, clip_value), parts)
    device = torch.device(device) if device is not None else pick_device()
    model.to(device=device, dtype=dtype)
    x, y = _tensor(data.x_train, device, dtype), _tensor(data.y_train, device).long()
    factory = optimizer_factory or (lambda p, **k: make_optimizer(p, optimizer, parts=parts, **k))
    opt = factory(model.parameters(), lr=lr, **optimizer_args)
    has_batchnorm = any(hasattr(m, "running_mean") for m in model.modules())
    run_rates = RunRates(
        lr,
        schedule,
        plateau,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch(len(x), batch_size, skips_single=has_batchnorm),
    )
    if run_rates.momenta is not None and not any(k in opt.defaults for k in ("momentum", "betas")):
        raise ValueError(f"the schedule cycles the momentum, but {type(opt).__name__} has neither momentum nor betas")
    trainer = TorchTrainer(
        model,
        opt,
        (x, y),
        (_tensor(data.x_val, device, dtype), _tensor(data.y_val, device).long()),
        constant=run_rates.constant,
        train_accuracy=train_accuracy,
        step_stats=step_stats,
        batch_size=batch_size,
        generator=torch.Generator(device=device).manual_seed(seed),
        grad_norms=grad_norms,
        clip=clip,
    )
    history = loop.new_history(device, grad_norms=grad_norms, step_stats=step_stats)
    return loop.run(
        trainer,
        run_rates,
        history,
        epochs=epochs,
        patience=patience,
        progress=progress,
        desc=f"training on {device.type}",
    )
