"""``coursekit lab``: JupyterLab on the workbook's notebooks, as a student opens it, with the
students' settings (no news toast or update check, no nbgrader panels).

Options it does not know are passed to ``jupyter lab`` (``coursekit lab --no-browser
--port 8890``; a ``--`` before them is accepted too). Jupyter refuses to run as root unless
told to: as root, ``--allow-root`` is added, and the command says so.
"""

import os
import subprocess
import sys


def command(root, extra=()):
    extra = list(extra)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    cmd = [sys.executable, "-m", "jupyter", "lab", str(root / "notebooks"), *extra]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        print(
            "running as root: adding --allow-root (Jupyter refuses root otherwise; a normal user account is safer)",
            file=sys.stderr,
        )
        cmd.append("--allow-root")
    return cmd


def run(cmd):
    """Start JupyterLab with the students' settings (see :mod:`coursekit.jupyter_settings`)."""
    from coursekit.jupyter_settings import lab_environment

    if os.name == "nt":
        return subprocess.run(cmd, check=False, env=lab_environment()).returncode
    os.execve(sys.executable, cmd, lab_environment())
