"""Objectives to tune: the validation error of a small network on digits, in well under a
second per trial, so a notebook can afford a hundred trials.
"""

import numpy as np

PARAMS = ("lr", "hidden", "batch_size")


class DigitsObjective:
    """Validation error of coursekit's NumPy two-layer net on digits after a few epochs.

    ``objective(params)`` trains dense-ReLU-dense with minibatch SGD
    (:func:`coursekit.training.train_two_layer`) and returns ``1 - validation accuracy``.
    ``objective(params, budget)`` trains for ``budget`` epochs instead (for successive
    halving). A diverging run (too large a learning rate) scores the error of its useless
    predictions, not NaN.

    Args:
        epochs: epochs per trial when no budget is given.
        hidden, batch_size: used when ``params`` does not set them.
        seed: seed of the initial weights and of the minibatch order.
        data_seed: seed of the train/validation split.

    Params: ``lr`` (required), ``hidden`` (width of the hidden layer), ``batch_size``.

    The object is picklable, so worker processes can run it; the data travel with it (under
    a megabyte), so a worker need not import scikit-learn. It uses one BLAS thread: for
    matrices this small, more threads only cost synchronisation, and parallel workers should
    not compete for cores.
    """

    def __init__(self, *, epochs=1, hidden=32, batch_size=16, seed=0, data_seed=0):
        for name, value in (("epochs", epochs), ("hidden", hidden), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self.epochs, self.seed, self.data_seed = epochs, seed, data_seed
        self.defaults = {"hidden": hidden, "batch_size": batch_size}
        self._data = None

    def __getstate__(self):
        # Load the data here, once, so that worker processes need not import scikit-learn.
        return {**self.__dict__, "_data": self.data}

    @property
    def data(self):
        if self._data is None:
            from coursekit import data

            self._data = data.digits(seed=self.data_seed)
        return self._data

    def __call__(self, params, budget=None):
        from threadpoolctl import threadpool_limits

        from coursekit.training import train_two_layer

        unknown = sorted(set(params) - set(PARAMS))
        if unknown or "lr" not in params:
            raise ValueError(f"params must have 'lr' and may have {list(PARAMS)}; got {sorted(params)}")
        settings = {**self.defaults, **params}
        epochs = self.epochs if budget is None else int(round(budget))
        with threadpool_limits(limits=1), np.errstate(all="ignore"):
            _, hist = train_two_layer(
                self.data,
                hidden=int(settings["hidden"]),
                batch_size=int(settings["batch_size"]),
                lr=float(settings["lr"]),
                epochs=max(1, epochs),
                seed=self.seed,
                progress=False,
            )
        return 1.0 - hist["val_acc"][-1]

    def __repr__(self):
        return (
            f"DigitsObjective(epochs={self.epochs}, hidden={self.defaults['hidden']}, "
            f"batch_size={self.defaults['batch_size']}, seed={self.seed}, data_seed={self.data_seed})"
        )
