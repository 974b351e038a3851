"""Graded exercises of 10_beyond_the_notes, registered as ``beyond.<function>``:
``adamw_step``, ``layernorm_forward``, ``layernorm_backward``, ``gelu``, ``silu``, ``mish``
and ``max_norm``. Each lives in its own module (``exercises_activations``, ``exercises_adamw``,
``exercises_layernorm``, ``exercises_max_norm``, their cases in ``cases_<x>``), which the
registry loads (:data:`coursekit.grading.exercises.EXERCISE_MODULES`)."""
