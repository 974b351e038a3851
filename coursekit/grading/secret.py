"""The course secret that hidden cases are drawn from.

``<course>/.coursekit/secret`` holds 32 random bytes, created on first use, readable by the
instructor alone and git-ignored. It never reaches a release (releases are generated from
``solutions/``), a student's machine, or a sandbox: a sandboxed kernel receives only the key
of its own submission, ``HMAC(secret, assignment:student)``, from which its hidden cases are
drawn. A table of hidden cases computed in advance therefore matches nothing.
"""

import hashlib
import hmac
import os
import secrets
from pathlib import Path

FOLDER = ".coursekit"


def secret_path(root: str | Path) -> Path:
    return Path(root) / FOLDER / "secret"


def course_secret(root: str | Path) -> bytes:
    """The course's secret bytes, created (mode 0600) if it does not exist yet."""
    path = secret_path(root)
    if not path.exists():
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    data = path.read_bytes()
    if len(data) < 16:
        raise ValueError(f"{path} is too short to be a course secret; delete it to make a new one")
    return data


def submission_key(secret: bytes, assignment_id: str, student: str) -> str:
    """The hidden-case key of one submission (hex), given to its sandboxed kernel."""
    message = f"{assignment_id}:{student}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
