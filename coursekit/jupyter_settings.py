"""JupyterLab settings for students: the repository's ``jupyter-config/`` folder.

``jupyter-config/labconfig/default_setting_overrides.json`` changes JupyterLab's *defaults*
(a student can still change them in Settings): no "Would you like to get notified about
official Jupyter news?" toast over the first widget, and no update check. JupyterLab reads
that file from the ``labconfig`` folder of every Jupyter config directory, so:

- ``coursekit lab`` runs ``jupyter lab`` with :func:`lab_environment` (the folder first on
  ``JUPYTER_CONFIG_PATH``);
- Binder's ``postBuild`` copies the file into the environment's ``etc/jupyter/labconfig``.
"""

import os
from pathlib import Path

CONFIG_DIR = "jupyter-config"
OVERRIDES = Path("labconfig") / "default_setting_overrides.json"


def config_dir(root):
    """The repository's Jupyter config directory (it holds ``labconfig/``)."""
    return Path(root) / CONFIG_DIR


def lab_environment(root, environ=None):
    """A copy of ``environ`` (default ``os.environ``) in which ``jupyter lab`` reads the
    repository's settings: ``JUPYTER_CONFIG_PATH`` starts with :func:`config_dir`."""
    env = dict(os.environ if environ is None else environ)
    paths = [str(config_dir(root)), *filter(None, env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env
