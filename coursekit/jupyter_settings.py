"""JupyterLab settings for students: the package's ``coursekit/jupyter_config/`` folder.

Two files in its ``labconfig/``, which JupyterLab reads from every Jupyter config directory:

- ``default_setting_overrides.json`` changes JupyterLab's *defaults* (a student can still
  change them in Settings): no "Would you like to get notified about official Jupyter news?"
  toast over the first widget, and no update check;
- ``page_config.json`` turns off nbgrader's panels: the instructor's (formgrader, create
  assignment, course list) and the student's "Assignments" list, which needs an nbgrader
  exchange (a shared server's folder) and on a student's own machine only shows an
  "Unwritable directory .../nbgrader/exchange" error.

``coursekit lab`` runs ``jupyter lab`` with :func:`lab_environment` (the folder first on
``JUPYTER_CONFIG_PATH``); Binder's ``postBuild`` copies both files into the environment's
``etc/jupyter/labconfig``.
"""

import os
from pathlib import Path

OVERRIDES = Path("labconfig") / "default_setting_overrides.json"
PAGE_CONFIG = Path("labconfig") / "page_config.json"


def config_dir():
    """The package's Jupyter config directory (it holds ``labconfig/``)."""
    return Path(__file__).resolve().parent / "jupyter_config"


def lab_environment(environ=None):
    """A copy of ``environ`` (default ``os.environ``) in which ``jupyter lab`` reads the
    students' settings: ``JUPYTER_CONFIG_PATH`` starts with :func:`config_dir`."""
    env = dict(os.environ if environ is None else environ)
    paths = [str(config_dir()), *filter(None, env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env
