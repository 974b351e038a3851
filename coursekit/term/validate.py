"""``coursekit validate``: can an exercise's cases tell a wrong answer from a right one?

For each exercise:

1. the blank (every function raises ``NotImplementedError``, as released) fails;
2. the NumPy reference and the torch reference (the same name in the topic's ``torch_ref``,
   given tensors and giving arrays back) pass the visible and the hidden cases, which hold
   every dtype the exercise grades (float64 and float32 where it uses ``Float32Cases``);
3. every named mistake (the exercise's ``conventions``) fails the *visible* cases, so a
   student's own check tells them;
4. mutated copies of the reference (:mod:`coursekit.term.mutants`) of the function the
   exercise grades (:func:`mutated_roles`) fail the visible or the hidden cases. The mutation
   score is the share that fails; the survivors are listed. Some
   survivors are equivalent to the reference (a constant that cannot matter) and need a
   person's judgement; the others are inputs the cases are missing.

``release`` warns about an exercise whose last recorded score (``.coursekit/validate.json``)
is below ``MUTATION_THRESHOLD``.
"""

import copy
import importlib
import inspect
import json
import signal
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from coursekit.grading.check import problems
from coursekit.grading.exercises import EXERCISE_MODULES, cases, exercise, keyed_seed, registered, seed_for
from coursekit.term import mutants as mutation

MUTATION_THRESHOLD = 0.8  # release warns below this: one mutant in five or more goes unnoticed
TOPICS = tuple(EXERCISE_MODULES)
RECORD = Path(".coursekit") / "validate.json"


@dataclass
class Validation:
    exercise: str
    blank_fails: bool = False
    references: dict = field(default_factory=dict)  # "numpy"/"torch" -> None (passes) or why not
    mistakes_missed: list = field(default_factory=list)  # named mistakes that pass the visible cases
    mutants: int = 0
    killed_visible: int = 0
    killed: int = 0
    survivors: list = field(default_factory=list)  # "line N: what: statement"
    errors: list = field(default_factory=list)  # what could not be checked, and why

    @property
    def score(self):
        return self.killed / self.mutants if self.mutants else None

    @property
    def ok(self):
        return (
            self.blank_fails
            and not self.mistakes_missed
            and not self.errors
            and all(v is None for v in self.references.values())
            and (self.score is None or self.score >= MUTATION_THRESHOLD)
        )


def all_exercises():
    return sorted(registered())


def select(names):
    """Exercise names from names or topic prefixes (all of them when ``names`` is empty)."""
    known = all_exercises()
    if not names:
        return known
    chosen = []
    for name in names:
        found = [k for k in known if k == name or k.startswith(name.rstrip(".") + ".")]
        if not found:
            exercise(name)  # a KeyError that lists the known exercises
        chosen += [f for f in found if f not in chosen]
    return chosen


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _outcome(ex, functions, all_cases, expected, seconds):
    """None when ``functions`` pass every case, else why not (the first failure)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for i, case in enumerate(all_cases):
            signal.alarm(seconds)
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    got = ex.run(functions, copy.deepcopy(case))
                wrong = problems(ex, got, expected[i])
            except _Timeout:
                return f"case {i + 1}: took longer than {seconds} s"
            except Exception as err:  # any error of a wrong answer is a failure
                return f"case {i + 1}: {type(err).__name__}: {str(err)[:120]}"
            finally:
                signal.alarm(0)
            if wrong:
                return f"case {i + 1}: {wrong[0][:160]}"
        return None
    finally:
        signal.signal(signal.SIGALRM, old)


def _blank(*args, **kwargs):
    raise NotImplementedError()


def _as_torch(value):
    import torch

    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_as_torch(v) for v in value)
    if hasattr(value, "_fields"):
        return type(value)(*(_as_torch(v) for v in value))
    return value


def _as_numpy(value):
    if type(value).__name__ == "Tensor":
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_as_numpy(v) for v in value)
    if hasattr(value, "_fields"):
        return type(value)(*(_as_numpy(v) for v in value))
    return value


def torch_reference(function):
    """The torch reference of the same name, taking and giving arrays; None if there is none
    or if it draws its randomness from a ``torch.Generator`` (its draws differ from NumPy's)."""
    module = getattr(function, "__module__", "") or ""
    if not module.endswith(".numpy_ref"):
        return None
    try:
        torch_module = importlib.import_module(module[: -len("numpy_ref")] + "torch_ref")
    except ModuleNotFoundError:
        return None
    twin = getattr(torch_module, function.__name__, None)
    if twin is None or (
        "rng" in inspect.signature(function).parameters and "rng" not in inspect.signature(twin).parameters
    ):
        return None  # none, or it draws from a torch.Generator: not comparable draw by draw

    def through_torch(*args, **kwargs):
        return _as_numpy(twin(*_as_torch(args), **{k: _as_torch(v) for k, v in kwargs.items()}))

    return through_torch


def validate(name, *, seed=0, max_mutants=None, seconds=20):
    """Validate one exercise; returns a :class:`Validation`."""
    ex = exercise(name)
    result = Validation(name)
    visible = cases(ex, False, seed_for(ex.name))
    hidden = cases(ex, True, keyed_seed(f"coursekit-validate-{seed}", ex.name, "hidden"))
    both = visible + hidden
    expected = [ex.run(ex.reference, copy.deepcopy(c)) for c in both]
    result.blank_fails = _outcome(ex, {r: _blank for r in ex.roles}, visible, expected, seconds) is not None
    result.references["numpy"] = _outcome(ex, dict(ex.reference), both, expected, seconds)
    twins = {role: torch_reference(fn) for role, fn in ex.reference.items()}
    if all(twins.values()):
        result.references["torch"] = _outcome(ex, twins, both, expected, seconds)
    for convention in ex.conventions:
        if _outcome(ex, {**ex.reference, **convention.functions}, visible, expected, seconds) is None:
            result.mistakes_missed.append(convention.name)
    for role, function in mutated_roles(ex).items():
        try:
            found = mutation.mutants(function)
        except (ValueError, SyntaxError) as err:
            result.errors.append(f"{role}: {err}")
            continue
        if max_mutants and len(found) > max_mutants:  # an even sample, the same every run
            found = [found[int(i)] for i in np.linspace(0, len(found) - 1, max_mutants)]
        for m in found:
            functions = {**ex.reference, role: m.function}
            result.mutants += 1
            if _outcome(ex, functions, visible, expected, seconds):
                result.killed_visible += 1
                result.killed += 1
            elif _outcome(ex, functions, both, expected, seconds):
                result.killed += 1
            else:
                result.survivors.append(f"{role} line {m.line}: {m.what}: {m.source}")
    return result


def mutated_roles(ex):
    """The functions an exercise grades: the role named like the exercise ("layers.dense_backward"
    -> dense_backward) when there is one (the forward pass a backward exercise runs has an
    exercise of its own), else every role."""
    own = ex.name.split(".", 1)[1]
    return {own: ex.reference[own]} if own in ex.reference else dict(ex.reference)


def summary(result):
    """A few lines about one exercise."""
    score = (
        "no mutants"
        if result.score is None
        else (
            f"mutation score {result.score:.0%} ({result.killed}/{result.mutants}; "
            f"{result.killed_visible} by visible cases)"
        )
    )
    refs = ", ".join(f"{k} {'passes' if v is None else 'FAILS: ' + v}" for k, v in result.references.items())
    lines = [
        f"{'ok  ' if result.ok else 'WARN'} {result.exercise}: {score}",
        f"     blank {'fails' if result.blank_fails else 'PASSES'}; references: {refs}",
    ]
    lines += [f"     named mistake passes the visible cases: {m}" for m in result.mistakes_missed]
    lines += [f"     survivor: {s}" for s in result.survivors]
    lines += [f"     not checked: {e}" for e in result.errors]
    return "\n".join(lines)


def record(root, results):
    """Keep the scores in .coursekit/validate.json for ``release`` to read."""
    path = Path(root) / RECORD
    path.parent.mkdir(exist_ok=True)
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        kept = {}
    kept.update({r.exercise: {**asdict(r), "score": r.score, "ok": r.ok} for r in results})
    path.write_text(json.dumps(kept, indent=1, sort_keys=True))


def release_warnings(root, assignment_id):
    """Warnings about the exercises an assignment's solution notebook checks."""
    import re

    from coursekit import course

    notebook = Path(root) / "solutions" / assignment_id / course.notebook_name(assignment_id)
    names = (
        sorted(set(re.findall(r'check\(\\?"([a-z_]+\.[a-z0-9_]+)\\?"', notebook.read_text())))
        if notebook.exists()
        else []
    )
    try:
        kept = json.loads((Path(root) / RECORD).read_text())
    except (OSError, ValueError):
        kept = {}
    out = []
    for name in names:
        if name not in kept:
            out.append(f"{name}: not validated yet (coursekit validate {name})")
        elif kept[name]["score"] is not None and kept[name]["score"] < MUTATION_THRESHOLD:
            out.append(
                f"{name}: mutation score {kept[name]['score']:.0%} is below {MUTATION_THRESHOLD:.0%} "
                f"({len(kept[name]['survivors'])} mutants survive; coursekit validate {name})"
            )
        elif not kept[name]["ok"]:
            out.append(f"{name}: failed validation (coursekit validate {name})")
    return out
