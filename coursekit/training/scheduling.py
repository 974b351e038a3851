"""Learning-rate schedules and gradient clipping inside the training loops (NumPy and torch).

:class:`RunRates` turns a loop's ``schedule`` / ``plateau`` arguments into the rate (and
momentum) of every step, epoch by epoch; :func:`clip_settings` checks ``clip_norm`` and
``clip_value``. Both loops default to what they did before: a constant rate, no clipping.
"""

import math

from coursekit.schedules import plateau as plateau_ref
from coursekit.schedules.runs import resolve


def steps_per_epoch(n_examples, batch_size, *, skips_single):
    """Optimizer steps in one epoch: one per batch, less a last batch of one example when
    the model has BatchNorm (``skips_single``), which cannot normalise it."""
    batches = math.ceil(n_examples / batch_size)
    return batches - 1 if skips_single and n_examples % batch_size == 1 else batches


def clip_settings(clip_norm, clip_value):
    """Check the clipping arguments: each None or a finite number > 0, not both."""
    for name, value in (("clip_norm", clip_norm), ("clip_value", clip_value)):
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be None or a finite number > 0, got {value!r}")
    if clip_norm is not None and clip_value is not None:
        raise ValueError("give clip_norm or clip_value, not both")
    return clip_norm, clip_value


class RunRates:
    """The rate and momentum of every step of a run.

    Args:
        lr: the loop's learning rate (lr0; 1cycle's max_lr).
        schedule: None, a schedule name, a run schedule or a sequence of rates (see
            :func:`coursekit.schedules.runs.resolve`).
        plateau: None, or a dict of :func:`~coursekit.schedules.plateau.reduce_on_plateau`
            settings: the rate then changes between epochs with the validation loss (or
            with the metric :meth:`end_epoch` is given).
        epochs, steps_per_epoch: the run's length.
    """

    def __init__(self, lr, schedule, plateau, *, epochs, steps_per_epoch):
        if schedule is not None and plateau is not None:
            raise ValueError("give schedule or plateau, not both: both would set the learning rate")
        self.steps_per_epoch = steps_per_epoch
        self.constant = schedule is None and plateau is None  # the loop then leaves the rate alone
        self.rates, self.momenta = resolve(schedule, lr, epochs * steps_per_epoch)
        if self.momenta is not None and len(self.momenta) < len(self.rates):
            raise ValueError(f"schedule gave {len(self.momenta)} momenta for {len(self.rates)} steps")
        self.plateau = None
        if plateau is not None:
            if not isinstance(plateau, dict):
                raise TypeError(f"plateau must be a dict of reduce_on_plateau settings, got {type(plateau).__name__}")
            self.plateau = dict(plateau)
            self.state = plateau_ref.plateau_init(lr, mode=self.plateau.get("mode", "min"))
            plateau_ref.plateau_step(self.state, 0.0, **self.plateau)  # check the settings now

    def epoch(self, index):
        """(rates, momenta or None) of epoch ``index``'s steps."""
        part = slice(index * self.steps_per_epoch, (index + 1) * self.steps_per_epoch)
        return self.rates[part], (self.momenta[part] if self.momenta is not None else None)

    def end_epoch(self, index, metric):
        """After epoch ``index``: performance scheduling sets the following epochs' rate."""
        if self.plateau is None:
            return
        self.state = plateau_ref.plateau_step(self.state, metric, **self.plateau)
        start = (index + 1) * self.steps_per_epoch
        self.rates[start:] = [self.state.lr] * (len(self.rates) - start)

    def last_rate(self, index):
        """The rate of epoch ``index``'s last step (its only rate under performance scheduling)."""
        rates, _ = self.epoch(index)
        return rates[-1] if rates else self.rates[0] if self.rates else float("nan")
