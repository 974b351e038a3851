"""Worker processes that share one Optuna study through an RDB storage.

Each worker is a fresh Python process that runs :func:`work`: it loads the study by name
from the storage URL, asks the study's sampler for configurations, and writes each result
back to the database, where every other worker's sampler sees it. That is all a worker on
another machine would do, so the same code scales from one laptop (SQLite) to many machines
(PostgreSQL or MySQL): only the URL changes.

The workers are started with ``python -c`` (not ``multiprocessing``), so they never
re-import the caller's ``__main__``: :func:`run_workers` works the same from a notebook, a
script without a ``__main__`` guard, or pytest.
"""

import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm.auto import tqdm

from coursekit.tuning.checks import check_count
from coursekit.tuning.optuna_engine import (
    TrialObjective,
    create_study,
    make_sampler,
    open_storage,
    quiet_optuna,
    study_result,
)

_COMMAND = "import sys; from coursekit.tuning.workers import _worker_main; _worker_main(sys.argv[1])"


def work(objective, space, n_trials, *, storage, study_name, sampler="tpe", seed=None, worker=0, check_schema=True):
    """What one worker runs: load the study by name from ``storage`` and add ``n_trials``.

    On several machines, run this on each with the same database URL and study name (and a
    different seed). Every trial records ``worker`` and ``pid`` as user attributes.
    ``check_schema=False`` skips Optuna's schema-version check (see ``open_storage``).

    Returns:
        dict with the worker id, its process id and the number of trials it ran.
    """
    import os

    trial_objective = TrialObjective(objective, space, {"worker": worker, "pid": os.getpid()})
    with quiet_optuna() as optuna:
        study = optuna.load_study(
            study_name=study_name,
            storage=open_storage(storage, check_schema=check_schema),
            sampler=make_sampler(sampler, seed),
        )
        study.optimize(trial_objective, n_trials=check_count("n_trials", n_trials))
    return {"worker": worker, "pid": os.getpid(), "trials": n_trials}


def _worker_main(job_path, wait_seconds=600):
    """Entry point of a worker process: run the pickled job, pickle the result beside it.

    The slow imports come first; meanwhile the parent creates the study, and then writes
    the job file this worker waits for.
    """
    import optuna  # noqa: F401

    path = Path(job_path)
    deadline = time.monotonic() + wait_seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no job at {path} after {wait_seconds} s")
        time.sleep(0.02)
    job = pickle.loads(path.read_bytes())
    sys.path[:0] = [p for p in job["sys_path"] if p not in sys.path]
    result = work(**pickle.loads(job["call"]))
    Path(job["result_path"]).write_bytes(pickle.dumps(result))


def _check_importable(objective):
    module = getattr(objective, "__module__", None) or type(objective).__module__
    if module == "__main__":
        raise ValueError(
            "objective must be importable by the worker processes: define it in a module "
            "(or use an object such as coursekit.tuning.DigitsObjective), not in a notebook "
            "or in the __main__ script"
        )


def _finished(study):
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    return len(study.get_trials(deepcopy=False, states=states))


def _start(folder, index):
    """Start worker ``index``; it waits for ``job-<index>.pkl`` (see :func:`_give_job`)."""
    log_path = folder / f"log-{index}.txt"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _COMMAND, str(folder / f"job-{index}.pkl")],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, log_path


def _give_job(folder, index, call):
    job = {"sys_path": sys.path, "call": call, "result_path": str(folder / f"result-{index}.pkl")}
    partial = folder / f"job-{index}.partial"
    partial.write_bytes(pickle.dumps(job))
    partial.replace(folder / f"job-{index}.pkl")  # atomic: the worker never reads half a job


def run_workers(
    objective,
    space,
    n_trials,
    *,
    storage,
    study_name,
    seed,
    n_workers=2,
    sampler="tpe",
    progress=True,
    poll_seconds=0.2,
):
    """Run ``n_workers`` processes that share one study in an RDB storage.

    The workers start first and import Optuna while the study is created here (so they
    never race to create it, and its schema is checked once); then each runs :func:`work`
    with ``n_trials`` trials, worker ``i`` seeding its sampler with ``seed + i``. A progress
    bar follows the trials as they reach the database.

    Args:
        objective: ``objective(params) -> float``, picklable and importable by a fresh
            process: a module-level function or object, such as
            :class:`coursekit.tuning.DigitsObjective`.
        space: dict name -> sampler.
        n_trials: trials per worker.
        storage: an RDB URL, e.g. ``f"sqlite:///{folder}/study.db"``.
        study_name: the study's name in the storage; an existing study is continued.
        seed: base seed of the workers' samplers.

    Returns:
        SearchResult of the study's completed trials; ``attrs[i]["worker"]`` and
        ``attrs[i]["pid"]`` say who ran trial ``i``.

    Raises:
        RuntimeError: a worker failed; the message ends with its log.
    """
    if not isinstance(storage, str) or "://" not in storage:
        raise ValueError(f"storage must be an RDB URL such as 'sqlite:///study.db', got {storage!r}")
    if not isinstance(study_name, str) or not study_name:
        raise ValueError(f"study_name must be a non-empty string, got {study_name!r}")
    n_trials, n_workers = check_count("n_trials", n_trials), check_count("n_workers", n_workers)
    TrialObjective(objective, space)  # check the arguments here, not in the workers
    make_sampler(sampler)
    _check_importable(objective)
    calls = [
        pickle.dumps(
            dict(
                objective=objective,
                space=space,
                n_trials=n_trials,
                storage=storage,
                study_name=study_name,
                sampler=sampler,
                seed=seed + i,
                worker=i,
                check_schema=False,
            )
        )
        for i in range(n_workers)
    ]
    bar = tqdm(total=n_trials * n_workers, desc=f"{n_workers} workers", disable=not progress)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        workers = [_start(folder, i) for i in range(n_workers)]
        try:
            study = create_study(storage=storage, study_name=study_name, sampler=sampler, seed=seed)
            start = _finished(study)
            for i, call in enumerate(calls):
                _give_job(folder, i, call)
            while any(process.poll() is None for process, _ in workers):
                time.sleep(poll_seconds)
                bar.update(_finished(study) - start - bar.n)
        finally:
            for process, _ in workers:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            bar.close()
        for i, (process, log_path) in enumerate(workers):
            if process.returncode != 0:
                log = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"worker {i} exited with code {process.returncode}; its log:\n{log}")
    return study_result(study)
