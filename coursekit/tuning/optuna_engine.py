"""Optuna as the engine that scales out.

The search space of :mod:`coursekit.tuning.samplers` maps onto an Optuna trial (each sampler
has ``suggest(trial, name)``), so the same objective and space run in an Optuna study. With
an RDB storage URL (``sqlite:///path/study.db`` here; PostgreSQL or MySQL across machines)
several worker processes share one study: each loads it by name, asks the study's sampler
for parameters, and writes its results back, where the other workers' samplers see them.

Worker processes are started by :mod:`coursekit.tuning.workers`. Optuna is imported only
when these functions run, so ``import coursekit.tuning`` stays light.
"""

import contextlib

from tqdm.auto import tqdm

from coursekit import _validate as v
from coursekit.tuning.checks import check_count, check_objective, check_space
from coursekit.tuning.search import SearchResult, Trial, evaluate

SAMPLERS = ("tpe", "random")


def make_sampler(name, seed=None):
    """An Optuna sampler by name: "tpe" (Bergstra et al. 2011) or "random"."""
    v.choice("sampler", name, SAMPLERS)
    import optuna

    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


@contextlib.contextmanager
def quiet_optuna():
    """Silence Optuna's per-trial INFO log while inside; restores the previous verbosity."""
    import optuna

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield optuna
    finally:
        optuna.logging.set_verbosity(previous)


def open_storage(storage, *, check_schema=True):
    """None (in memory), an RDB URL (opened with a generous SQLite lock timeout), or a storage.

    ``check_schema=False`` skips Optuna's check of the database schema's version (it loads
    Alembic's migration scripts, a second or two): safe when this process's Optuna version
    has just created or checked the database.
    """
    if storage is None or not isinstance(storage, str):
        return storage
    import optuna

    engine_kwargs = {"connect_args": {"timeout": 60}} if storage.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(storage, engine_kwargs=engine_kwargs, skip_compatibility_check=not check_schema)


class TrialObjective:
    """Wraps ``objective(params)`` as an Optuna objective ``f(trial)`` over ``space``.

    Args:
        objective: ``objective(params) -> float`` to minimise.
        space: dict name -> sampler.
        user_attrs: recorded on every trial (e.g. which worker ran it).
    """

    def __init__(self, objective, space, user_attrs=None):
        self.objective = check_objective(objective)
        self.space = check_space(space)
        self.user_attrs = dict(user_attrs or {})

    def __call__(self, trial):
        params = {name: sampler.suggest(trial, name) for name, sampler in self.space.items()}
        for key, value in self.user_attrs.items():
            trial.set_user_attr(key, value)
        return evaluate(self.objective, params)


def create_study(*, storage=None, study_name=None, sampler="tpe", seed=None):
    """A minimising study; with a storage URL an existing study of that name is loaded."""
    sampler_object = make_sampler(sampler, seed)
    with quiet_optuna() as optuna:
        return optuna.create_study(
            storage=open_storage(storage),
            study_name=study_name,
            sampler=sampler_object,
            direction="minimize",
            load_if_exists=storage is not None,
        )


def study_result(study):
    """The completed trials of a study as a :class:`SearchResult`, in trial-number order.

    ``attrs[i]`` holds the trial's number and its user attributes (``worker``, ``pid``).
    """
    import optuna

    done = sorted(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)), key=lambda t: t.number)
    trials = [Trial(dict(t.params), float(t.value)) for t in done]
    attrs = [{"number": t.number, **t.user_attrs} for t in done]
    return SearchResult(trials, attrs=attrs, study=study)


def optuna_search(objective, space, n_trials, *, seed, storage=None, study_name=None, sampler="tpe", progress=True):
    """Minimise ``objective`` over ``space`` with an Optuna study.

    Args:
        objective: ``objective(params) -> float``.
        space: dict name -> sampler; each is asked of the trial with its ``suggest``.
        n_trials: trials to add, >= 1.
        storage: None for an in-memory study, or an RDB URL such as
            ``"sqlite:///study.db"`` (then a study of the same name is continued).
        study_name: the study's name in the storage.
        sampler: "tpe" or "random".
        seed: the sampler's seed (an int; None for a fresh random seed).

    Returns:
        SearchResult of all completed trials of the study, with ``.study`` set.
    """
    n_trials = check_count("n_trials", n_trials)
    trial_objective = TrialObjective(objective, space)
    study = create_study(storage=storage, study_name=study_name, sampler=sampler, seed=seed)
    bar = tqdm(total=n_trials, desc=f"optuna ({sampler})", disable=not progress)

    def tick(study, trial):
        bar.update()
        if trial.value is not None:
            bar.set_postfix(best=f"{study.best_value:.4g}")

    with quiet_optuna():
        study.optimize(trial_objective, n_trials=n_trials, callbacks=[tick])
    bar.close()
    return study_result(study)
