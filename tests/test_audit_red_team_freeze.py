"""Red-team pass on the audit's code freeze (coursekit.grading.code_origin):
each attack must fail (no points, or a flag); each honest answer must keep full marks."""
# ruff: noqa: E501  (the attacks are answer cells, kept as a student would write them)

import pytest

from coursekit.grading import sandbox

from test_audit_construction import HONEST_SOFTMAX
from test_audit_red_team_split import _audit, _audit_many, _blocked

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(
        sandbox.unavailable_reason() is not None, reason=f"no sandbox here: {sandbox.unavailable_reason()}"
    ),
]

CLIP = ("schedules.clip_grad_norm", ("clip_grad_norm",))

# A. forged code that equals, value for value, code compiled from a file the answer wrote in
#    the sandbox's /tmp (runpy.run_path compiles it under that name: code_origin.known passed it), in a
#    namespace that names a library, not coursekit: the walk in code_origin.called_by_student
#    goes past it up to the exercise's run (coursekit's) and says "not the student's". The
#    worker's own-code check (_written_here) is passed with a __wrapped__ that names a cell function.
FORGED_FILE_RUNPY = '''
import pkgutil, runpy
import numpy as np
_SRC = """
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total = helper(flat, norm_type)
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
"""
_path = "/tmp/_forge_clip.py"
with open(_path, "w", encoding="utf-8") as _fh:
    _fh.write(_SRC)
_g = runpy.run_path(_path, {"np": np, "helper": pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")}, "numpy.mine")
def _mine(grads, max_norm, norm_type=2.0):
    raise NotImplementedError
clip_grad_norm = _g["clip_grad_norm"]
clip_grad_norm.__wrapped__ = _mine
'''

# A2. the same with exec(compile(src, path)) (the static scan flags exec/compile)
FORGED_FILE_EXEC = FORGED_FILE_RUNPY.replace(
    '_g = runpy.run_path(_path, {"np": np, "helper": pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")}, "numpy.mine")',
    '_g = {"__name__": "numpy.mine", "np": np, "helper": pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")}\n'
    'exec(compile(_SRC, _path, "exec"), _g)',
)

# A3. only the wrapper forged through the file; the answer itself a plain cell function
FORGED_FILE_WRAPPER_ONLY = """
import pkgutil, runpy
import numpy as np
_path = "/tmp/_forge_norm.py"
with open(_path, "w", encoding="utf-8") as _fh:
    _fh.write("def norm(values, p):\\n    return helper(values, p)\\n")
_norm = runpy.run_path(_path, {"helper": pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")}, "numpy.mine")["norm"]
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total = _norm(flat, norm_type)
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
"""

# B. the freeze emptied from the answer: known / genuine_namespace say "always true" again,
#    and the pre-freeze forgery (a FunctionType with globals naming a library) comes back.
FROZEN_CLEARED = """
import types, pkgutil, operator
_cd = operator.attrgetter('__c' + 'ode__')  # (no __code__ spelled: the scan flags it)
import numpy as np
pkgutil.resolve_name("coursekit.grading.code_origin:_FROZEN").clear()
_pn = pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")
def _norm(values, p):
    return helper(values, p)
_norm = types.FunctionType(_cd(_norm), {"__name__": "numpy.mine", "helper": _pn})
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total = _norm(flat, norm_type)
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
clip_grad_norm = types.FunctionType(_cd(clip_grad_norm), {**vars(), "__name__": "numpy.mine"}, "clip_grad_norm")
def _mine(grads, max_norm, norm_type=2.0):
    raise NotImplementedError
clip_grad_norm.__wrapped__ = _mine
"""

# C. _COMPILED poisoned: the forged code registered as "compiled from" a file it names.
COMPILED_POISONED = """
import types, pkgutil, operator
_cd = operator.attrgetter('__c' + 'ode__')  # (no __code__ spelled: the scan flags it)
import numpy as np
_C = pkgutil.resolve_name("coursekit.grading.code_origin:_COMPILED")
_pn = pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")
def _norm(values, p):
    return helper(values, p)
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total = _norm(flat, norm_type)
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
_C.setdefault(_cd(_norm).co_filename, set()).update({_cd(_norm), _cd(clip_grad_norm)})
_norm = types.FunctionType(_cd(_norm), {"__name__": "numpy.mine", "helper": _pn})
_cell = clip_grad_norm
clip_grad_norm = types.FunctionType(_cd(clip_grad_norm), {**vars(), "__name__": "numpy.mine"}, "clip_grad_norm")
"""

# D. a C-level callable between the answer and the helper (map), no Python frame of the answer's
MAP_TO_HELPER = """
import pkgutil
import numpy as np
_pn = pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total, = map(_pn, [flat], [norm_type])
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
"""


@pytest.mark.parametrize(
    "source",
    [FORGED_FILE_RUNPY, FORGED_FILE_EXEC, FORGED_FILE_WRAPPER_ONLY, FROZEN_CLEARED, COMPILED_POISONED, MAP_TO_HELPER],
    ids=["file-runpy", "file-exec", "file-wrapper-only", "frozen-cleared", "compiled-poisoned", "map"],
)
def test_clip_grad_norm_attacks(source):
    r = _audit(*CLIP, source)
    assert _blocked(r), r


# E. forbidden sampler through C-level callables / generators
LOG_UNIFORM_VIA = {
    "map": """
import pkgutil, numpy as np
_LU = pkgutil.resolve_name("coursekit.tuning.samplers:LogUniform")
def log_uniform(low, high, size=None, rng=None):
    return np.asarray(next(map(_LU.sample, [_LU(low, high)], [rng], [size])), dtype=np.float64)
""",
    "methodcaller": """
import operator, pkgutil, numpy as np
_LU = pkgutil.resolve_name("coursekit.tuning.samplers:LogUniform")
def log_uniform(low, high, size=None, rng=None):
    return np.asarray(operator.methodcaller("sample", rng, size)(_LU(low, high)), dtype=np.float64)
""",
    "generator": """
import pkgutil, numpy as np
_LU = pkgutil.resolve_name("coursekit.tuning.samplers:LogUniform")
def _gen(low, high, rng, size):
    yield _LU(low, high).sample(rng, size)
def log_uniform(low, high, size=None, rng=None):
    return np.asarray(next(_gen(low, high, rng, size)), dtype=np.float64)
""",
}


@pytest.mark.parametrize("source", list(LOG_UNIFORM_VIA.values()), ids=list(LOG_UNIFORM_VIA))
def test_log_uniform_attacks(source):
    r = _audit_many([("tuning.log_uniform", ("log_uniform",)), ("tuning.random_search", ("random_search",))], source)
    assert r.exercises["tuning.log_uniform"].visible is False or r.flags, r


# F. false positives: honest answers that import lazily, cache, vectorize or use dataclasses
HONEST = {
    "statistics": HONEST_SOFTMAX.replace(
        "    e = np.exp",
        "    import statistics, fractions, decimal\n    statistics.mean([1.0, 2.0]); fractions.Fraction(1, 3); decimal.Decimal('1.5')\n    e = np.exp",
    ),
    "lru_cache": """
import functools
import numpy as np
@functools.lru_cache(maxsize=None)
def _shift():
    return 0.0
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True) + _shift())
    return e / e.sum(axis=1, keepdims=True)
""",
    "vectorize": """
import math
import numpy as np
_exp = np.vectorize(lambda x: math.exp(x))
def softmax(z):
    e = _exp(z - z.max(axis=1, keepdims=True)).astype(z.dtype)
    return e / e.sum(axis=1, keepdims=True)
""",
    "dataclass": """
import dataclasses
import numpy as np
@dataclasses.dataclass(frozen=True)
class _Soft:
    axis: int = 1
    def __call__(self, z):
        e = np.exp(z - z.max(axis=self.axis, keepdims=True))
        return e / e.sum(axis=self.axis, keepdims=True)
_s = dataclasses.replace(_Soft(), axis=1)
def softmax(z):
    return _s(z)
""",
}


@pytest.mark.parametrize("source", list(HONEST.values()), ids=list(HONEST))
def test_honest_answers_keep_full_marks(source):
    r = _audit("layers.softmax", ("softmax",), source)
    assert r.audit_score == r.max_score and not r.flags, r


# G. the guard module's own names rebound from the answer cell (run_case imports run_student
#    from coursekit.grading.guard at every case): the guard is gone altogether. G2: code_origin.known only.
GUARD_REBOUND = """
import pkgutil, copy
import numpy as np
_g = pkgutil.resolve_name("coursekit.grading.guard")
_g.run_student = lambda ex, functions, case, **k: (ex.run(functions, copy.deepcopy(case)), None)
_pn = pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total = _pn(flat, norm_type)
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
"""
KNOWN_REBOUND = FROZEN_CLEARED.replace(
    'pkgutil.resolve_name("coursekit.grading.code_origin:_FROZEN").clear()',
    'pkgutil.resolve_name("coursekit.grading.code_origin").known = lambda frame: True',
)


@pytest.mark.parametrize("source", [GUARD_REBOUND, KNOWN_REBOUND], ids=["run_student", "_known"])
def test_guard_module_rebound(source):
    r = _audit(*CLIP, source)
    assert _blocked(r), r


# A4. A with the written file made read-only (chmod 0o444) before it is run
FORGED_FILE_READONLY = FORGED_FILE_RUNPY.replace(
    "_g = runpy.run_path(", "import os\nos.chmod(_path, 0o444)\n_g = runpy.run_path("
)


def test_forged_file_made_read_only():
    assert _blocked(_audit(*CLIP, FORGED_FILE_READONLY))


# H. the guard's own hits list, reached through sys.getprofile() (not taken away) and emptied
#    after the helper's call, inside the answer
HITS_CLEARED = """
import sys, pkgutil
import numpy as np
_pn = pkgutil.resolve_name("coursekit.schedules.cases_clip:p_norm")
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total = _pn(flat, norm_type)
    sys.getprofile().__self__.hits.clear()
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
"""


def test_hits_cleared_through_getprofile():
    assert _blocked(_audit(*CLIP, HITS_CLEARED))


HITS_CLEARED_VIA = {
    "threading-hook": HITS_CLEARED.replace(
        "sys.getprofile().__self__", 'pkgutil.resolve_name("threading:_profile_hook").__self__'
    ),
    "guard-getter": HITS_CLEARED.replace(
        "sys.getprofile().__self__", 'pkgutil.resolve_name("coursekit.grading.guard:_get_profile")().__self__'
    ),
}


@pytest.mark.parametrize("source", list(HITS_CLEARED_VIA.values()), ids=list(HITS_CLEARED_VIA))
def test_hits_cleared_other_routes(source):
    assert _blocked(_audit(*CLIP, source))


# H3. no import at all: the guard's class found among object's subclasses, its module's
#     globals through a method, and from them sys.modules and the hook
HITS_CLEARED_NO_IMPORT = """
import numpy as np
_G = [c for c in object.__subclasses__() if c.__name__ == "CallGuard"][0].intact.__globals__
_pn = _G["sys"].modules["coursekit.schedules.cases_clip"].p_norm
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total = _pn(flat, norm_type)
    _G["_get_profile"]().__self__.hits.clear()
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
"""


def test_hits_cleared_without_imports():
    assert _blocked(_audit(*CLIP, HITS_CLEARED_NO_IMPORT))


# H4. as H, every coursekit name reached with pydoc.locate (not pkgutil): the static scan sees
#     no coursekit import, no sys.modules, no __globals__.
HITS_CLEARED_PYDOC = """
import pydoc
import numpy as np
_pn = pydoc.locate("coursekit.schedules.cases_clip.p_norm")
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in grads]) if grads else np.zeros(0)
    total = _pn(flat, norm_type)
    pydoc.locate("coursekit.grading.guard._get_profile")().__self__.hits.clear()
    factor = min(1.0, max_norm / (total + 1e-6))
    return [g * float(factor) for g in grads], total
"""


def test_hits_cleared_through_pydoc_locate():
    assert _blocked(_audit(*CLIP, HITS_CLEARED_PYDOC))
