"""What the static scan (:mod:`coursekit.grading.audit.scan`) looks for: the modules, hooks,
calls, switches and names whose use in a student's code it flags, and the parts of coursekit an
answer may import.
"""

PROTECTED_MODULES = {
    "numpy",
    "torch",
    "builtins",
    "coursekit",
    "sys",
    "os",
    "math",
    "scipy",
    "IPython",
    "nbgrader",
    "warnings",
}
IPYTHON_HOOKS = {
    "input_transformers_cleanup",
    "input_transformers_post",
    "ast_transformers",
    "showtraceback",
    "set_custom_exc",
    "register",
    "run_cell",
    "_showtraceback",
    "showsyntaxerror",
    "input_splitter",
    "transform_cell",
}
DYNAMIC = {"exec", "eval", "compile", "__import__", "globals", "setattr", "delattr"}
PROCESS = {("os", "_exit"), ("sys", "exit"), ("os", "kill"), ("os", "abort"), ("signal", "signal"), ("signal", "alarm")}
TRACING = {("sys", "setprofile"), ("sys", "settrace"), ("threading", "setprofile"), ("threading", "settrace")}
# (pkgutil, pydoc and runpy reach any module, or run any file, by a string the scan cannot follow)
DANGEROUS_IMPORTS = {
    "importlib",
    "ctypes",
    "subprocess",
    "signal",
    "marshal",
    "cffi",
    "_lsprof",
    "cProfile",
    "pkgutil",
    "pydoc",
    "runpy",
}
# Names that switch the call guard off: its profiler, torch's function and dispatch modes.
GUARD_SWITCHES = {
    "setprofile",
    "settrace",
    "DisableTorchFunction",
    "DisableTorchFunctionSubclass",
    "_DisableTorchDispatch",
    "_disable_current_modes",
    "_pop_mode",
    "_pop_mode_temporarily",
    "_pop_torch_function_stack",
    "_pop_torch_dispatch_stack",
    "_unset_dispatch_mode",
    "_python_dispatch",
    "TorchDispatchMode",
    "TorchFunctionMode",
    "overrides",
    "_ExcludeDispatchKeyGuard",
    "_IncludeDispatchKeyGuard",
    "_ForceDispatchKeyGuard",
    "_EnablePythonDispatcher",
    "custom_op",
    "register_kernel",
    "register_fake",
}
# Assignments that configure a library rather than patch it.
SETTINGS = ("os.environ", "torch.backends", "np.random.seed", "warnings.filters")
ARRAY_HOOKS = {
    "__eq__",
    "__ne__",
    "__array__",
    "__array_ufunc__",
    "__array_function__",
    "__float__",
    "__sub__",
    "__rsub__",
    "__abs__",
    "__getattribute__",
}
# Code that reads other frames or the heap can rewrite the grader's results from inside.
INTROSPECTION_ATTRS = {"f_locals", "f_globals", "f_back", "f_code", "gi_frame", "tb_frame", "cr_frame"}
INTROSPECTION_CALLS = {
    "_getframe",
    "currentframe",
    "stack",
    "getouterframes",
    "get_referrers",
    "get_referents",
    "get_objects",
    "walk_stack",
    "walk_tb",
    "extract_stack",
    "getargvalues",
    "getinnerframes",
    "getframeinfo",
}
# A thread started before the call guard is not watched by it (nor by torch's modes).
THREAD_IMPORTS = {"threading", "_thread", "concurrent", "multiprocessing", "asyncio"}
# The grader's own machinery: an answer needs check() at most.
GRADER_INTERNALS = {
    "exercise",
    "make_case",
    "build",
    "_REGISTRY",
    "registered",
    "substituted",
    "load_topic",
    "student_side",
    "CASES",
    "cases",
    "hidden_seed",
    "seed_for",
    "keyed_seed",
    "run_student",
    "CallGuard",
}
ALLOWED_COURSEKIT = {
    "coursekit",
    "coursekit.grading",
    "coursekit.data",
    "coursekit.plots",
    "coursekit.training",
    "coursekit.widgets",
}

# Attributes that only the grader's machinery has, whatever object they are read from: the
# registry's (the exercises, their case generators) and the student side's declarations.
GRADER_ATTRIBUTES = {
    "make_case",
    "_REGISTRY",
    "registered",
    "substituted",
    "load_topic",
    "student_side",
    "CASES",
    "CASE_MODULES",
    "EXERCISE_MODULES",
}


def is_exercise_module(name: str) -> bool:
    """Whether ``name`` (a module or a dotted path into one) is in an exercise's student side
    (``coursekit.<topic>.cases*``) or parent side (``coursekit.<topic>.exercises*``)."""
    parts = name.split(".")
    return len(parts) >= 3 and parts[0] == "coursekit" and parts[2].startswith(("cases", "exercises"))
