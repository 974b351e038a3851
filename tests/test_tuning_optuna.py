"""Oracle tests for coursekit.tuning's Optuna glue and its digits objective.

The Optuna glue against plain Optuna, the two-worker study by reading the SQLite file back
with Optuna, and the digits objective against train_two_layer's validation accuracy.
"""

import math
import os

import numpy as np
import optuna
import pytest

from coursekit import data, tuning
from coursekit.training import train_two_layer
from coursekit.tuning import Choice, IntUniform, LogUniform, Uniform

# ----- Optuna --------------------------------------------------------------------------

SPACE = {"lr": LogUniform(1e-4, 1.0), "h": IntUniform(2, 9), "act": Choice(["a", "bb"])}


def _toy(params):
    return (math.log10(params["lr"]) + 2) ** 2 + (params["h"] - 5) ** 2 / 10 + (params["act"] == "bb")


def test_optuna_search_is_plain_optuna_with_the_same_distributions():
    ours = tuning.optuna_search(_toy, SPACE, 12, sampler="random", seed=3, progress=False)

    def plain(trial):
        return _toy(
            {
                "lr": trial.suggest_float("lr", 1e-4, 1.0, log=True),
                "h": trial.suggest_int("h", 2, 9),
                "act": trial.suggest_categorical("act", ["a", "bb"]),
            }
        )

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    study.optimize(plain, n_trials=12)
    assert [t.params for t in ours.trials] == [t.params for t in study.trials]
    assert ours.values().tolist() == [t.value for t in study.trials]
    assert ours.best_value == ours.study.best_value and ours.best_params == ours.study.best_params


def test_tpe_is_reproducible_and_concentrates_on_the_good_region():
    first = tuning.optuna_search(_toy, SPACE, 40, sampler="tpe", seed=0, progress=False)
    again = tuning.optuna_search(_toy, SPACE, 40, sampler="tpe", seed=0, progress=False)
    assert first.trials == again.trials
    near = lambda r: np.mean(np.abs(np.log10(r.column("lr")[20:]) + 2) < 1)  # noqa: E731
    random = tuning.optuna_search(_toy, SPACE, 40, sampler="random", seed=0, progress=False)
    assert near(first) > near(random)  # TPE's later trials sit near the optimum lr = 1e-2


def test_optuna_search_continues_a_study_in_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tuning.optuna_search(_toy, SPACE, 3, storage=url, study_name="toy", seed=0, progress=False)
    result = tuning.optuna_search(_toy, SPACE, 2, storage=url, study_name="toy", seed=1, progress=False)
    assert len(result) == 5
    assert len(optuna.load_study(study_name="toy", storage=url).trials) == 5


def test_two_workers_share_one_sqlite_study(tmp_path):
    """The issue's requirement: two processes, one SQLite file, both workers' trials in it."""
    objective = tuning.DigitsObjective(epochs=1)
    space = {"lr": LogUniform(1e-3, 1.0), "hidden": IntUniform(8, 32)}
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    result = tuning.run_workers(
        objective, space, 3, storage=url, study_name="digits", n_workers=2, seed=0, progress=False
    )
    study = optuna.load_study(study_name="digits", storage=url)  # read back independently
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 6 == len(result)
    workers = [t.user_attrs["worker"] for t in done]
    assert sorted(workers) == [0, 0, 0, 1, 1, 1]
    pids = {t.user_attrs["worker"]: t.user_attrs["pid"] for t in done}
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
    for trial in done[:2]:  # the objective is deterministic: recompute here
        assert objective(trial.params) == pytest.approx(trial.value, abs=1e-12)
    assert [a["worker"] for a in result.attrs] == workers


def test_run_workers_reports_a_failing_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    with pytest.raises(RuntimeError, match=r"(?s)worker 0 exited with code 1.*params must have 'lr'"):
        tuning.run_workers(
            tuning.DigitsObjective(),
            {"rate": Uniform(0.1, 1.0)},
            1,
            storage=url,
            study_name="bad",
            n_workers=1,
            seed=0,
            progress=False,
        )


def test_run_workers_refuses_an_objective_from_main(tmp_path):
    def objective(params):
        return 0.0

    objective.__module__ = "__main__"
    with pytest.raises(ValueError, match="objective must be importable"):
        tuning.run_workers(
            objective,
            {"x": Uniform(0, 1)},
            1,
            storage=f"sqlite:///{tmp_path}/m.db",
            study_name="m",
            seed=0,
            progress=False,
        )


# ----- the digits objective ------------------------------------------------------------


def test_digits_objective_is_the_validation_error_of_train_two_layer():
    objective = tuning.DigitsObjective(epochs=2, hidden=24, batch_size=32, seed=1)
    _, hist = train_two_layer(data.digits(seed=0), hidden=24, batch_size=32, lr=0.2, epochs=2, seed=1, progress=False)
    assert objective({"lr": 0.2}) == pytest.approx(1 - hist["val_acc"][-1], abs=1e-12)
    _, hist = train_two_layer(data.digits(seed=0), hidden=24, batch_size=32, lr=0.2, epochs=3, seed=1, progress=False)
    assert objective({"lr": 0.2}, 3) == pytest.approx(1 - hist["val_acc"][-1], abs=1e-12)
    assert 0.0 <= objective({"lr": 50.0}) <= 1.0  # diverges, without NaN
    with pytest.raises(ValueError, match="params must have 'lr'"):
        objective({"learning_rate": 0.1})
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        tuning.DigitsObjective(epochs=0)
